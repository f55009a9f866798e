"""Delivery receipts: the real ermgw, the simulator and PostgreSQL. A receipt (esm_class
0x04 with its text, or only the receipted_message_id and message_state TLVs) finds the
outbox row's part by the SMSC's message id, in whichever base each side writes it; the row's
delivery is set once every part has a final state; a receipt that comes before the
submit_sm_resp was recorded waits and is applied when it is. Each test sends its own reply
to its own number."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import ermtest  # noqa: E402

LONG_TEXT = "您好，" + "感谢您使用本业务，这是一条很长的测试消息。" * 9  # 3 UCS-2 parts


class Bind(bound.Bound):
    """The bound gateway, with [smsc] message_ids = MESSAGE_IDS when given."""

    def __init__(self, sim_extra=(), message_ids=None):
        super().__init__(sim_extra,
                         "[smsc]\nmessage_ids = %s\n" % message_ids if message_ids else "")

    def submits_to(self, dest, n, start):
        """Waits for N SUBMIT lines to DEST after START; returns their message ids."""
        ids = []
        for _ in range(n):
            i, m = self.sim.out.wait(r"^SUBMIT (\S+) 10086 %s " % re.escape(dest), start=start)
            ids.append(m.group(1))
            start = i + 1
        return ids

    def reply_to(self, customer, text="hello"):
        """The customer's MO gets the help reply; returns the reply's message id once the
        row is recorded as sent."""
        mark = self.sim.out.mark()
        tag = self.sim.mo_text(customer, "10086", text)
        assert self.sim.wait_mo_resp(tag) == 0
        (mid,) = self.submits_to(customer, 1, mark)
        self.wait_row(customer, "state", "sent")
        return mid

    def long_message(self, dest):
        """Queues LONG_TEXT to DEST (an outbox row, as ermctl's pushes are); returns its 3
        parts' message ids once the row is recorded as sent."""
        mark = self.sim.out.mark()
        self.pg.psql("INSERT INTO outbox (dest, source, kind, text) "
                     "VALUES (:'p1', '10086', 'test', :'p2')", dest, LONG_TEXT)
        ids = self.submits_to(dest, 3, mark)
        self.wait_row(dest, "state", "sent")
        return ids

    def row(self, dest):
        rows = self.pg.psql("SELECT id, state, coalesce(delivery, '-') FROM outbox "
                            "WHERE dest = :'p1' ORDER BY id", dest)
        assert len(rows) == 1, rows
        return {"id": rows[0][0], "state": rows[0][1], "delivery": rows[0][2]}

    def wait_row(self, dest, field, value):
        ermtest.wait_until(lambda: self.row(dest)[field] == value,
                           "outbox row to %s with %s %s" % (dest, field, value))

    def parts(self, dest):
        return self.pg.psql(
            "SELECT p.part, p.message_id, coalesce(p.stat, '-'), p.final FROM outbox_parts p "
            "JOIN outbox o ON o.id = p.outbox_id WHERE o.dest = :'p1' ORDER BY p.part", dest)

    def forms(self, dest):
        """The id forms DEST's one part keeps: (text, dec, hex), '-' for none."""
        (row,) = self.pg.psql(
            "SELECT p.id_text, coalesce(p.id_dec, '-'), coalesce(p.id_hex, '-')"
            " FROM outbox_parts p JOIN outbox o ON o.id = p.outbox_id WHERE o.dest = :'p1'",
            dest)
        return tuple(row)

    def burn_ids(self, below):
        """Sends help replies to a number of its own until the SMSC's next message id is
        at least BELOW (ids with hex letters in them need 10 and more)."""
        while True:
            mark = self.sim.out.mark()
            tag = self.sim.mo_text("13699999999", "10086", "hello")
            assert self.sim.wait_mo_resp(tag) == 0
            (mid,) = self.submits_to("13699999999", 1, mark)
            if int(mid, 16 if "--hex-ids" in self.sim_extra else 10) + 1 >= below:
                return

    def receipt(self, handset, message_id, stat="DELIVRD"):
        """Sends a receipt (text and TLV) and returns the gateway's status for it."""
        tag = self.sim.next_tag()
        self.sim.send("receipt %s %s 10086 %s %s" % (tag, handset, message_id, stat))
        return self.sim.wait_mo_resp(tag)


class Receipts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Bind()
        cls.pg = cls.b.pg

    @classmethod
    def tearDownClass(cls):
        cls.b.close()

    def test_delivered(self):
        b = self.b
        mid = b.reply_to("13600000001")
        self.assertEqual(b.row("13600000001")["delivery"], "-")
        self.assertEqual(b.parts("13600000001"), [("1", mid, "-", "f")])
        self.assertEqual(b.receipt("13600000001", mid), 0)
        b.wait_row("13600000001", "delivery", "DELIVRD")
        self.assertEqual(b.parts("13600000001"), [("1", mid, "DELIVRD", "t")])

    def test_undelivered_and_a_second_copy(self):
        b = self.b
        mid = b.reply_to("13600000002")
        self.assertEqual(b.receipt("13600000002", mid, "UNDELIV"), 0)
        b.wait_row("13600000002", "delivery", "UNDELIV")
        # The SMSC's second copy, or a late contradicting one, changes nothing.
        self.assertEqual(b.receipt("13600000002", mid, "DELIVRD"), 0)
        self.assertEqual(b.row("13600000002")["delivery"], "UNDELIV")
        self.assertEqual(b.parts("13600000002"), [("1", mid, "UNDELIV", "t")])
        self.assertEqual(self.pg.scalar(
            "SELECT count(*) FROM receipts_pending WHERE message_id = :'p1'", mid), "0")

    def test_enroute_is_not_final(self):
        b = self.b
        mid = b.reply_to("13600000003")
        self.assertEqual(b.receipt("13600000003", mid, "ENROUTE"), 0)
        ermtest.wait_until(lambda: b.parts("13600000003")[0][2] == "ENROUTE", "ENROUTE kept")
        self.assertEqual(b.row("13600000003")["delivery"], "-")
        self.assertEqual(b.receipt("13600000003", mid, "EXPIRED"), 0)
        b.wait_row("13600000003", "delivery", "EXPIRED")

    def test_padding_and_case(self):
        """message_ids = same (the default): zero padding aside, the same id."""
        b = self.b
        mid = b.reply_to("13600000004")
        self.assertEqual(b.receipt("13600000004", mid.zfill(10)), 0)
        b.wait_row("13600000004", "delivery", "DELIVRD")

    def test_tlv_only_receipt(self):
        """No text at all: receipted_message_id and message_state (2 = DELIVERED)."""
        b = self.b
        mid = b.reply_to("13600000005")
        self.assertEqual(b.mo_ex("13600000005", 0, b"", "esm=0x04", "receipted=%s" % mid,
                                 "state=5"), 0)
        b.wait_row("13600000005", "delivery", "UNDELIV")

    def test_multipart_delivered_when_every_part_is(self):
        b = self.b
        dest = "13600000006"
        ids = b.long_message(dest)
        self.assertEqual([p[1] for p in b.parts(dest)], ids)
        # Receipts in any order; the row waits for the last part.
        self.assertEqual(b.receipt(dest, ids[2]), 0)
        self.assertEqual(b.receipt(dest, ids[0]), 0)
        ermtest.wait_until(lambda: [p[2] for p in b.parts(dest)] == ["DELIVRD", "-", "DELIVRD"],
                           "two parts delivered")
        self.assertEqual(b.row(dest)["delivery"], "-")
        self.assertEqual(b.receipt(dest, ids[1]), 0)
        b.wait_row(dest, "delivery", "DELIVRD")

    def test_multipart_one_part_failed(self):
        b = self.b
        dest = "13600000007"
        ids = b.long_message(dest)
        for mid, stat in zip(ids, ("DELIVRD", "REJECTD", "DELIVRD")):
            self.assertEqual(b.receipt(dest, mid, stat), 0)
        b.wait_row(dest, "delivery", "REJECTD")

    def test_receipt_before_submit_resp(self):
        b = self.b
        dest = "13600000008"
        b.sim.send("hold_submit_resp on")
        try:
            mark = b.sim.out.mark()
            tag = b.sim.mo_text(dest, "10086", "hello")
            self.assertEqual(b.sim.wait_mo_resp(tag), 0)
            (mid,) = b.submits_to(dest, 1, mark)
            # The SMSC has the message and reports it before answering the submit.
            self.assertEqual(b.receipt(dest, mid), 0)
            self.assertEqual(b.row(dest)["state"], "sending")
            self.assertEqual(self.pg.scalar(
                "SELECT stat FROM receipts_pending WHERE message_id = :'p1'", mid), "DELIVRD")
        finally:
            b.sim.send("hold_submit_resp off")
            b.sim.send("release_submit_resp")
        b.wait_row(dest, "delivery", "DELIVRD")
        self.assertEqual(b.row(dest)["state"], "sent")
        self.assertEqual(self.pg.scalar(
            "SELECT count(*) FROM receipts_pending WHERE message_id = :'p1'", mid), "0")

    def test_receipt_for_no_message_waits(self):
        b = self.b
        self.assertEqual(b.receipt("13600000009", "999999"), 0)
        self.assertEqual(self.pg.scalar(
            "SELECT count(*) FROM receipts_pending WHERE message_id = '999999'"), "1")

    def test_unreadable_receipt_acknowledged(self):
        b = self.b
        mark = b.gw.log.mark()
        self.assertEqual(b.mo_ex("13600000010", 0, b"hello", "esm=0x04"), 0)
        b.gw.log.wait(r"names no message id or no state", start=mark)
        self.assertEqual(self.pg.scalar(
            "SELECT count(*) FROM outbox WHERE dest = '13600000010'"), "0")


class IdBases(unittest.TestCase):
    """SMSCs that answer submit_sm in one base and report receipts in the other, configured
    with [smsc] message_ids; ids are burnt until they have hex letters in them."""

    def test_hex_resp_decimal_receipt(self):
        b = Bind(sim_extra=["--hex-ids"], message_ids="hex_dec")
        try:
            b.burn_ids(10)
            mid = b.reply_to("13600000101")
            self.assertRegex(mid, r"^[0-9a-f]{8}$")
            self.assertRegex(mid, r"[a-f]")
            # The part keeps its text and, as receipts look for it, the value read as hex.
            self.assertEqual(b.forms("13600000101"),
                             (mid.lstrip("0"), "-", str(int(mid, 16))))
            self.assertEqual(b.receipt("13600000101", str(int(mid, 16)), "UNDELIV"), 0)
            b.wait_row("13600000101", "delivery", "UNDELIV")
        finally:
            b.close()

    def test_decimal_resp_hex_receipt(self):
        b = Bind(message_ids="dec_hex")
        try:
            b.burn_ids(10)
            mid = b.reply_to("13600000102")
            self.assertRegex("%X" % int(mid), "[A-F]")
            # All decimal digits, so hex digits too: only the decimal form is kept.
            self.assertEqual(b.forms("13600000102"), (mid.lstrip("0"), mid.lstrip("0"), "-"))
            self.assertEqual(b.receipt("13600000102", "%08X" % int(mid)), 0)
            b.wait_row("13600000102", "delivery", "DELIVRD")
        finally:
            b.close()

    def test_same_does_not_guess(self):
        """With the default, a receipt in the other base is not taken for another message:
        "12" in hex is 18, and 18 may well be an id of its own. It waits."""
        b = Bind(sim_extra=["--hex-ids"])
        try:
            b.burn_ids(10)
            mid = b.reply_to("13600000103")
            # Receipts are compared by text only: no other form is kept (index entries).
            self.assertEqual(b.forms("13600000103"), (mid.lstrip("0"), "-", "-"))
            self.assertEqual(b.receipt("13600000103", str(int(mid, 16))), 0)
            self.assertEqual(b.pg.scalar("SELECT count(*) FROM receipts_pending "
                                         "WHERE message_id = :'p1'", str(int(mid, 16))), "1")
            self.assertEqual(b.row("13600000103")["delivery"], "-")
            self.assertEqual(b.receipt("13600000103", mid.upper()), 0)
            b.wait_row("13600000103", "delivery", "DELIVRD")
        finally:
            b.close()


if __name__ == "__main__":
    ermtest.main()
