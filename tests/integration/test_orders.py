"""The SMS order path end to end: the real ermgw bound to the bundled SMSC simulator over
TCP, a real PostgreSQL cluster, codes claimed with ermctl. Each test uses its own customer
number so the tests do not depend on each other's order."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402


class OrderPath(ermtest.BoundCase):
    @classmethod
    def prepare(cls, pg):
        cls.code, cls.phone = ermtest.setup_pool(pg)
        # A draft product with a claimed code (a draft is claimed to be tested before it is
        # activated): orders for it must be refused.
        ermtest.ermctl(pg, "product", "add", "--code", "20", "--name", "视频会员",
                       "--quota", "9", "--commission", "3.00", "--intro", "x", check=True)
        r = ermtest.ermctl(pg, "claim", "--product", "20", "--employee", "E001", check=True)
        m = re.search(r"sms code (\d+),", r.stdout)
        if not m:
            raise AssertionError("claim of the draft printed no code: %r" % r.stdout)
        cls.draft_code = m.group(1)

    def order(self, customer, text, dest="10086"):
        """Sends TEXT from CUSTOMER; returns (deliver_sm_resp status, reply text)."""
        mark = self.sim.out.mark()
        tag = self.sim.mo_text(customer, dest, text)
        status = self.sim.wait_mo_resp(tag)
        if status != 0:
            return status, None
        _, source, reply = self.sim.wait_message(customer, start=mark)
        self.assertEqual(source, "10086")
        return status, reply

    def orders_of(self, customer):
        return self.pg.psql("SELECT code, employee_id, product_code, channel FROM orders "
                            "WHERE customer = :'p1'", customer)

    def outbox_of(self, customer):
        return self.pg.psql("SELECT kind, text, state FROM outbox WHERE dest = :'p1' "
                            "ORDER BY id", customer)

    def wait_outbox_sent(self, customer, n):
        ermtest.wait_until(lambda: [r[2] for r in self.outbox_of(customer)] == ["sent"] * n,
                           "outbox rows of %s all sent" % customer)

    def test_claim_prints_codes_by_width(self):
        self.assertEqual((self.code, self.phone), ("10001", "1008610001"))

    def test_order_stored_and_confirmed(self):
        status, reply = self.order("13900000001", self.code)
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000001"), [("10001", "E001", "10", "sms")])
        self.assertIn("流量包", reply)
        self.wait_outbox_sent("13900000001", 1)
        self.assertEqual(self.outbox_of("13900000001"), [("order_ok", reply, "sent")])

    def test_repeat_order_not_counted_twice(self):
        status, first = self.order("13900000002", self.code)
        self.assertEqual(status, 0)
        status, second = self.order("13900000002", self.code)
        self.assertEqual(status, 0)
        self.assertNotEqual(first, second)
        self.assertIn("流量包", second)
        self.assertEqual(len(self.orders_of("13900000002")), 1)
        self.wait_outbox_sent("13900000002", 2)
        self.assertEqual([r[0] for r in self.outbox_of("13900000002")],
                         ["order_ok", "order_dup"])

    def test_fullwidth_and_spaces_normalised(self):
        status, reply = self.order("13900000003", " １０ ００１ ")
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000003"), [("10001", "E001", "10", "sms")])
        self.assertIn("流量包", reply)

    def test_unknown_code(self):
        status, reply = self.order("13900000004", "10099")
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000004"), [])
        self.assertIn("10099", reply)
        self.wait_outbox_sent("13900000004", 1)
        self.assertEqual(self.outbox_of("13900000004")[0][0], "code_unknown")

    def test_inactive_product(self):
        status, reply = self.order("13900000005", self.draft_code)
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000005"), [])
        self.wait_outbox_sent("13900000005", 1)
        self.assertEqual(self.outbox_of("13900000005")[0][0], "product_inactive")

    def order_coded(self, customer, dcs, data):
        """Sends DATA in data_coding DCS from CUSTOMER; returns (status, reply text)."""
        mark = self.sim.out.mark()
        status = self.sim.wait_mo_resp(self.sim.mo_hex(customer, "10086", dcs, data))
        _, _, reply = self.sim.wait_message(customer, start=mark)
        return status, reply

    def test_gb2312_order(self):
        # Chinese SMSCs deliver data_coding 15 (GB2312/GBK): full-width digits here.
        status, reply = self.order_coded("13900000011", 0x0F, "１０００１".encode("gb2312"))
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000011"), [("10001", "E001", "10", "sms")])
        self.assertIn("流量包", reply)

    def test_ucs2_with_message_class_order(self):
        # data_coding 0x19: UCS-2 with message class 1, as some SMSCs pass it through.
        status, reply = self.order_coded("13900000012", 0x19, "１０ ００１".encode("utf-16-be"))
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000012"), [("10001", "E001", "10", "sms")])
        self.assertIn("流量包", reply)

    def test_extended_destination_orders(self):
        status, reply = self.order("13900000006", "hi", dest=self.phone)
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000006"), [("10001", "E001", "10", "sms")])
        self.assertIn("流量包", reply)

    def test_anything_else_gets_help(self):
        status, reply = self.order("13900000007", "hello there")
        self.assertEqual(status, 0)
        self.assertEqual(self.orders_of("13900000007"), [])
        self.wait_outbox_sent("13900000007", 1)
        self.assertEqual(self.outbox_of("13900000007")[0][0], "help")
        for keyword in ("RL", "CX", "TD"):
            self.assertIn(keyword, reply)

    def test_ucs2_and_latin1_mo(self):
        tag = self.sim.mo_hex("13900000008", "10086", 8, "１０００１".encode("utf-16-be"))
        self.assertEqual(self.sim.wait_mo_resp(tag), 0)
        tag = self.sim.mo_hex("13900000009", "10086", 3, b"10001")
        self.assertEqual(self.sim.wait_mo_resp(tag), 0)
        self.assertEqual(len(self.orders_of("13900000008")), 1)
        self.assertEqual(len(self.orders_of("13900000009")), 1)

    def test_international_sender_normalised(self):
        status, _ = self.order("8613900000010", self.code)
        self.assertEqual(status, 0)
        self.assertEqual(len(self.orders_of("13900000010")), 1)


if __name__ == "__main__":
    ermtest.main()
