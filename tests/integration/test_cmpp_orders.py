"""The SMS order path over CMPP: every test of test_orders.py (order, repeat, unknown code,
inactive product, extension, help, GB and UCS-2 texts) run unchanged, with the same
expected replies, against the ISMG simulator (tests/ismg_sim.c) in CMPP 3.0 and 2.0, the
daemon configured with [cmpp] in place of [smsc]. Plus what only CMPP has: the SUBMIT's
fields (Msg_Fmt 8 for Chinese, Registered_Delivery 1, Src_Id, Service_Id) and the Msg_Id
stored as the outbox row's message id."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402
import test_orders  # noqa: E402


class CmppOrders:
    def test_submit_fields_and_msg_id_stored(self):
        mark = self.sim.out.mark()
        status, reply = self.order("13900000031", self.code)
        self.assertEqual(status, 0)
        _, m = self.sim.out.wait(r"^SUBMIT (\S+) (\S+) 13900000031 0x(\S+) 0x(\S+) 0x(\S+) "
                                 r"(\d+)/(\d+) (\S+) ", start=mark)
        msg_id, src, udhi, fmt, rd, total, num, service = m.groups()
        self.assertEqual((src, udhi, fmt, rd, total, num, service),
                         ("10086", "00", "08", "01", "1", "1", "ERM"))
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT message_ids FROM outbox WHERE dest = '13900000031'") == msg_id,
            "the outbox row holding Msg_Id %s" % msg_id)


class Cmpp30Orders(CmppOrders, test_orders.OrderPath):
    CMPP = "3.0"


class Cmpp20Orders(CmppOrders, test_orders.OrderPath):
    CMPP = "2.0"


if __name__ == "__main__":
    ermtest.main()
