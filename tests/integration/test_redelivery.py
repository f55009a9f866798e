"""Redelivered MOs: an SMSC that did not see our deliver_sm_resp delivers the MO again (with
the same sequence number, or over a new bind after the link dropped). The copy is
acknowledged with status 0 and creates neither a second order nor a second reply. The same
text sent twice by the customer on one link is two messages, and a copy older than
[service] dedupe_window_s is a message again. Each test uses its own customer number."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import ermtest  # noqa: E402


class Redelivery(bound.BoundCase):

    def send(self, customer, text, seq=None):
        """Sends TEXT (GSM 7-bit) from CUSTOMER with sequence number SEQ (the simulator's
        next one when None); returns the gateway's status."""
        return self.sim.wait_mo_resp(self.sim.mo_hex(customer, "10086", 0, text.encode(),
                                                     seq=seq))

    def first_time(self, customer, text, seq=None, kind="order_ok"):
        """The MO's first delivery: acknowledged, its reply queued and sent."""
        mark = self.sim.out.mark()
        self.assertEqual(self.send(customer, text, seq), 0)
        self.sim.wait_message(customer, start=mark)
        self.assertEqual(self.b.replies(customer), [kind])

    def assert_redelivery_ignored(self, customer, text, seq=None, kind="order_ok"):
        """The copy is acknowledged with 0 after the gateway looked it up; by then a second
        reply would already be an outbox row (it is written before the acknowledgement)."""
        log = self.gw.log.mark()
        self.assertEqual(self.send(customer, text, seq), 0)
        self.gw.log.wait(r"from %s: \S+ handled before \(the SMSC delivered it again\)" %
                         customer, start=log)
        self.assertEqual(self.b.replies(customer), [kind])

    def test_same_sequence_number_again(self):
        """The SMSC's response timer ran out: it resends the PDU on the same link."""
        c = "13400000001"
        self.first_time(c, self.code, seq=5001)
        self.assert_redelivery_ignored(c, self.code, seq=5001)
        self.assertEqual(self.b.orders(c), 1)

    def test_help_reply_not_sent_twice(self):
        c = "13400000002"
        self.first_time(c, "what is this", seq=5002, kind="help")
        self.assert_redelivery_ignored(c, "what is this", seq=5002, kind="help")

    def test_after_the_link_dropped(self):
        """Our response was lost with the link: the SMSC delivers the MO again over the
        next bind, with a sequence number of that link."""
        c = "13400000003"
        self.first_time(c, self.code)
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT state FROM outbox WHERE dest = :'p1'", c) == "sent", "the reply sent")
        mark = self.sim.out.mark()
        self.sim.send("drop")
        self.sim.wait_bound(start=mark)
        self.assert_redelivery_ignored(c, self.code)
        self.assertEqual(self.b.orders(c), 1)

    def test_after_a_gateway_restart(self):
        """ermgw stopped after COMMIT but before the SMSC saw the response (a crash, a
        restart): the copy comes to the next ermgw, which knows it too."""
        c = "13400000004"
        self.first_time(c, self.code, seq=5004)
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT state FROM outbox WHERE dest = :'p1'", c) == "sent", "the reply sent")
        self.b.stop_gateway()
        self.b.start_gateway()
        self.assert_redelivery_ignored(c, self.code, seq=5004)
        self.assertEqual(self.b.orders(c), 1)

    def test_customer_sends_the_same_twice(self):
        """The same bytes on the same link with a new sequence number are the customer's
        second message: answered as a repeat order."""
        c = "13400000005"
        self.first_time(c, self.code)
        mark = self.sim.out.mark()
        self.assertEqual(self.send(c, self.code), 0)
        self.sim.wait_message(c, start=mark)
        self.assertEqual(self.b.replies(c), ["order_ok", "order_dup"])
        self.assertEqual(self.b.orders(c), 1)

    def test_copy_older_than_the_window(self):
        c = "13400000006"
        self.first_time(c, self.code, seq=5006)
        # Age the MO's log entry past the window (600 s by default) rather than wait.
        self.pg.psql("UPDATE mo_log SET received_at = received_at - interval '11 minutes' "
                     "WHERE key = (SELECT key FROM mo_log ORDER BY received_at DESC LIMIT 1)")
        mark = self.sim.out.mark()
        self.assertEqual(self.send(c, self.code, seq=5006), 0)
        self.sim.wait_message(c, start=mark)
        self.assertEqual(self.b.replies(c), ["order_ok", "order_dup"])

    def test_not_stored_is_not_known(self):
        """A copy of an MO that was answered with the temporary status (nothing stored) is
        handled as the first: the dedupe key commits with the order or not at all."""
        c = "13400000007"
        log = self.gw.log.mark()
        self.pg.stop()
        try:
            self.gw.log.wait(r"database down", start=log)
            self.assertEqual(self.send(c, self.code, seq=5007), 0x64)
        finally:
            log = self.gw.log.mark()
            self.pg.start()
        self.gw.log.wait(r"database up", start=log, timeout=30)
        self.first_time(c, self.code, seq=5007)
        self.assertEqual(self.b.orders(c), 1)


if __name__ == "__main__":
    ermtest.main()
