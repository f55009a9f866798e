"""Long MOs: the real ermgw, the simulator and PostgreSQL. Parts of a concatenated MO (a UDH
with an 8- or 16-bit reference, or the SAR TLVs) are stored and acknowledged as they come,
joined in order when the last one is in and parsed as one message; a message whose parts
do not all come is handled with what arrived after [service] concat_timeout_s; an MO whose
text is in message_payload is read. Each test uses its own customer number."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import ermtest  # noqa: E402


def udh8(ref, total, seq):
    return bytes([0x05, 0x00, 0x03, ref, total, seq])


def udh16(ref, total, seq):
    return bytes([0x06, 0x08, 0x04, ref >> 8, ref & 0xFF, total, seq])


class Gateway(bound.Bound):
    def parts_waiting(self, customer):
        return int(self.pg.scalar("SELECT count(*) FROM mo_parts WHERE source = :'p1'",
                                  customer))


class Concatenated(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.g = Gateway()

    @classmethod
    def tearDownClass(cls):
        cls.g.close()

    def assert_ordered_once(self, customer, mark):
        """One order, one confirmation naming the product, no parts left waiting."""
        g = self.g
        _, _, reply = g.sim.wait_message(customer, start=mark)
        self.assertIn("流量包", reply)
        self.assertEqual(g.orders(customer), 1)
        self.assertEqual(g.replies(customer), ["order_ok"])
        self.assertEqual(g.parts_waiting(customer), 0)

    def test_udh_8bit_out_of_order(self):
        g, c = self.g, "13500000001"
        mark = g.sim.out.mark()
        self.assertEqual(g.mo_ex(c, 0, udh8(0x21, 2, 2) + b"01", "esm=0x40"), 0)
        # Acknowledged once stored; nothing is parsed from half a message.
        self.assertEqual(g.parts_waiting(c), 1)
        self.assertEqual(g.orders(c), 0)
        self.assertEqual(g.replies(c), [])
        self.assertEqual(g.mo_ex(c, 0, udh8(0x21, 2, 1) + b"100", "esm=0x40"), 0)
        self.assert_ordered_once(c, mark)

    def test_udh_16bit_ucs2(self):
        g, c = self.g, "13500000002"
        mark = g.sim.out.mark()
        text = "１０００１".encode("utf-16-be")
        self.assertEqual(g.mo_ex(c, 8, udh16(0xABCD, 3, 1) + text[:4], "esm=0x40"), 0)
        self.assertEqual(g.mo_ex(c, 8, udh16(0xABCD, 3, 2) + text[4:6], "esm=0x40"), 0)
        self.assertEqual(g.orders(c), 0)
        self.assertEqual(g.mo_ex(c, 8, udh16(0xABCD, 3, 3) + text[6:], "esm=0x40"), 0)
        self.assert_ordered_once(c, mark)

    def test_sar_tlvs(self):
        g, c = self.g, "13500000003"
        mark = g.sim.out.mark()
        self.assertEqual(g.mo_ex(c, 0, b" 1000", "sar=4660:2:1"), 0)
        self.assertEqual(g.orders(c), 0)
        self.assertEqual(g.mo_ex(c, 0, b"1 ", "sar=4660:2:2"), 0)
        self.assert_ordered_once(c, mark)

    def test_same_ref_other_sender_or_kind_apart(self):
        """Messages are told apart by sender and by kind of reference: an 8-bit UDH ref 5
        and a SAR ref 5 from one sender, and the same UDH ref from another, never mix."""
        g, a, b = self.g, "13500000004", "13500000005"
        self.assertEqual(g.mo_ex(a, 0, udh8(5, 2, 1) + b"100", "esm=0x40"), 0)
        self.assertEqual(g.mo_ex(a, 0, b"hel", "sar=5:2:1"), 0)
        self.assertEqual(g.mo_ex(b, 0, udh8(5, 2, 2) + b"01", "esm=0x40"), 0)
        self.assertEqual(g.parts_waiting(a), 2)
        self.assertEqual(g.parts_waiting(b), 1)
        mark = g.sim.out.mark()
        self.assertEqual(g.mo_ex(a, 0, udh8(5, 2, 2) + b"01", "esm=0x40"), 0)
        self.assertEqual(g.orders(a), 1)
        self.assertEqual(g.parts_waiting(a), 1)  # the SAR message still waits
        self.assertEqual(g.mo_ex(a, 0, b"lo", "sar=5:2:2"), 0)
        ermtest.wait_until(lambda: g.replies(a) == ["order_ok", "help"], "the two replies")
        self.assertEqual(g.parts_waiting(a), 0)
        g.sim.wait_message(a, start=mark)

    def test_part_delivered_twice(self):
        """The SMSC resends a part before the message is complete, and another after."""
        g, c = self.g, "13500000006"
        mark = g.sim.out.mark()
        p1, p2 = udh8(0x77, 2, 1) + b"10", udh8(0x77, 2, 2) + b"001"
        self.assertEqual(g.mo_ex(c, 0, p1, "esm=0x40", "seq=9001"), 0)
        self.assertEqual(g.mo_ex(c, 0, p1, "esm=0x40", "seq=9001"), 0)
        self.assertEqual(g.parts_waiting(c), 1)
        self.assertEqual(g.mo_ex(c, 0, p2, "esm=0x40", "seq=9002"), 0)
        self.assert_ordered_once(c, mark)
        # Once handled, a part again is known: with its sequence number, or with another
        # (a part's bytes carry the message's reference: it is no new message).
        for part, seq in ((p2, "seq=9002"), (p1, "seq=9101")):
            log = g.gw.log.mark()
            self.assertEqual(g.mo_ex(c, 0, part, "esm=0x40", seq), 0)
            g.gw.log.wait(r"from %s: a part of a message handled already" % c, start=log)
        self.assertEqual(g.parts_waiting(c), 0)
        self.assertEqual(g.replies(c), ["order_ok"])

    def test_message_payload(self):
        g, c = self.g, "13500000007"
        mark = g.sim.out.mark()
        self.assertEqual(g.mo_ex(c, 8, "１０００１".encode("utf-16-be"), "payload"), 0)
        self.assert_ordered_once(c, mark)
        self.assertTrue(g.gw.log.count(r'from %s to 10086: "１０００１"' % c))

    def test_whole_message_with_other_udh(self):
        """A UDH without a concatenation IE (port addressing) is not part of the text."""
        g, c = self.g, "13500000008"
        mark = g.sim.out.mark()
        ports = bytes([0x06, 0x05, 0x04, 0x0B, 0x84, 0x23, 0xF0])
        self.assertEqual(g.mo_ex(c, 0, ports + b"10001", "esm=0x40"), 0)
        self.assert_ordered_once(c, mark)

    def test_last_part_while_database_down(self):
        """The part that completes a message finds no database: 0x64, and the SMSC's
        redelivery of that part completes it."""
        g, c = self.g, "13500000102"
        p1, p2 = udh8(0x44, 2, 1) + b"10", udh8(0x44, 2, 2) + b"001"
        self.assertEqual(g.mo_ex(c, 0, p1, "esm=0x40"), 0)
        log = g.gw.log.mark()
        g.pg.stop()
        g.gw.log.wait(r"database down", start=log)
        self.assertEqual(g.mo_ex(c, 0, p2, "esm=0x40"), 0x64)
        log = g.gw.log.mark()
        g.pg.start()
        g.gw.log.wait(r"database up", start=log, timeout=30)
        mark = g.sim.out.mark()
        self.assertEqual(g.mo_ex(c, 0, p2, "esm=0x40"), 0)
        _, _, reply = g.sim.wait_message(c, start=mark)
        self.assertIn("流量包", reply)
        self.assertEqual(g.orders(c), 1)
        self.assertEqual(g.parts_waiting(c), 0)


class MissingPart(unittest.TestCase):
    """concat_timeout_s = 2: a message whose second part never comes."""

    @classmethod
    def setUpClass(cls):
        cls.g = Gateway(config="[service]\nconcat_timeout_s = 2\n")

    @classmethod
    def tearDownClass(cls):
        cls.g.close()

    def test_given_up_after_timeout(self):
        g, c = self.g, "13500000101"
        mark = g.sim.out.mark()
        log = g.gw.log.mark()
        self.assertEqual(g.mo_ex(c, 0, udh8(0x31, 2, 1) + b"10001", "esm=0x40"), 0)
        self.assertEqual(g.orders(c), 0)
        g.gw.log.wait(r"from %s: message ref 49 lacks 1 of 2 parts" % c, start=log, timeout=15)
        _, _, reply = g.sim.wait_message(c, start=mark)
        self.assertIn("流量包", reply)
        self.assertEqual(g.orders(c), 1)
        self.assertEqual(g.parts_waiting(c), 0)
        self.assertEqual(g.replies(c), ["order_ok"])


if __name__ == "__main__":
    ermtest.main()
