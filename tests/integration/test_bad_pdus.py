"""Regression tests for what libsmpp34 gets wrong (see the head of gateway/smpp_pdu.c), sent
to the real ermgw through the simulator's `raw` command: many TLVs, a TLV whose length
disagrees with its tag, truncated bodies and frames, sequence number 0, a vendor
command_status in a request, an error response with a body, command_length out of bounds.
Each gets its answer, and after each an order still goes through (the stream is in sync,
or closed and bound again where that is the design). One daemon lives through all of them
and must exit 0 at the end with no AddressSanitizer or LeakSanitizer report."""
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

DELIVER_SM = 0x00000005
SUBMIT_SM_RESP = 0x80000004
ENQUIRE_LINK_RESP = 0x80000015
GENERIC_NACK = 0x80000000

# the statuses the gateway answers with
ESME_ROK = 0x00
ESME_RINVMSGLEN = 0x01
ESME_RINVOPTPARSTREAM = 0xC0
ESME_RINVPARLEN = 0xC2
ESME_RX_P_APPN = 0x65


def header(command_id, seq, body_len, status=0, length=None):
    return struct.pack(">IIII", 16 + body_len if length is None else length, command_id,
                       status, seq)


def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


def deliver_sm(seq, source, text, tlvs=b"", status=0, dest="10086"):
    """A deliver_sm built by hand, independent of the code under test."""
    sm = text.encode("ascii")
    body = (b"\x00"                                    # service_type
            + b"\x01\x01" + source.encode() + b"\x00"  # source TON, NPI, addr
            + b"\x00\x01" + dest.encode() + b"\x00"    # dest TON, NPI, addr
            + b"\x00\x00\x00"                          # esm_class, protocol_id, priority
            + b"\x00\x00"                              # schedule, validity (empty)
            + b"\x00\x00\x00\x00"                      # registered_delivery .. default_msg_id
            + bytes([len(sm)]) + sm + tlvs)
    return header(DELIVER_SM, seq, len(body), status) + body


class BadPdus(ermtest.BoundCase):
    customer = 13920000000

    EXTRA_CONFIG = '[smsc]\nresponse_timeout_s = 2\n'

    @classmethod
    def prepare(cls, pg):
        cls.code, _ = ermtest.setup_pool(pg)

    def next_customer(self):
        BadPdus.customer += 1
        return str(BadPdus.customer)

    def raw(self, data):
        self.sim.send("raw %s %s" % (self.sim.next_tag(), data.hex()))

    def answer_to(self, seq, start):
        """The gateway's deliver_sm_resp status to a raw deliver_sm with SEQ."""
        _, m = self.sim.out.wait(r"^RESP deliver_sm_resp 0x([0-9a-f]+) %d$" % seq, start=start)
        return int(m.group(1), 16)

    def assert_order_works(self):
        """An order right after: acknowledged 0, stored, confirmed: the stream is in sync."""
        customer = self.next_customer()
        mark = self.sim.out.mark()
        tag = self.sim.mo_text(customer, "10086", self.code)
        self.assertEqual(self.sim.wait_mo_resp(tag), 0)
        self.sim.wait_message(customer, start=mark)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders WHERE customer = :'p1'",
                                        customer), "1")

    def assert_refused(self, data, seq, status):
        mark = self.sim.out.mark()
        self.raw(data)
        self.assertEqual(self.answer_to(seq, mark), status)
        self.assert_order_works()

    def test_40_and_100_tlvs(self):
        for n, seq in ((40, 401), (100, 1001)):
            with self.subTest(tlvs=n):
                many = b"".join(tlv(0x0204, struct.pack(">H", i)) for i in range(n))
                self.assert_refused(deliver_sm(seq, self.next_customer(), self.code, many), seq,
                                    ESME_RINVOPTPARSTREAM)

    def test_tlv_length_disagrees_with_tag(self):
        # sar_msg_ref_num is 2 octets, user_message_reference 2, sar_total_segments 1
        for seq, t in ((501, tlv(0x020C, b"\x01")), (502, tlv(0x0204, b"\x00\x01\x02")),
                       (503, tlv(0x020E, b"\x01\x02"))):
            with self.subTest(seq=seq):
                self.assert_refused(deliver_sm(seq, self.next_customer(), self.code, t), seq,
                                    ESME_RINVPARLEN)

    def test_empty_source_is_a_permanent_error(self):
        # Nothing can be stored for a sender with no address: a temporary status would
        # make the SMSC deliver it again forever, so the answer is ESME_RX_P_APPN.
        before = self.pg.scalar("SELECT count(*) FROM orders")
        self.assert_refused(deliver_sm(505, "", self.code), 505, ESME_RX_P_APPN)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders"), str(int(before) + 1))

    def test_tlv_beyond_the_pdu(self):
        cut = tlv(0x0204, b"\x00\x01")[:5]  # header says 2 octets, 1 is there
        self.assert_refused(deliver_sm(504, self.next_customer(), self.code, cut), 504,
                            ESME_RINVOPTPARSTREAM)

    def test_truncated_body(self):
        # command_length agrees with the bytes, but the mandatory fields stop mid-address
        body = b"\x00\x01\x01" + b"1392"
        self.assert_refused(header(DELIVER_SM, 601, len(body)) + body, 601, ESME_RINVMSGLEN)
        # and a short_message longer than what is left
        body = deliver_sm(602, self.next_customer(), self.code)[16:-2]
        self.assert_refused(header(DELIVER_SM, 602, len(body)) + body, 602, ESME_RINVMSGLEN)

    def test_truncated_frame_closes_after_timeout(self):
        # the frame says 64 bytes, 40 come: the gateway waits for the rest, not forever
        whole = deliver_sm(603, self.next_customer(), self.code, tlv(0x1401, b"x" * 24))
        self.assertGreater(len(whole), 40)
        mark, logmark = self.sim.out.mark(), self.gw.log.mark()
        self.raw(whole[:40])
        self.gw.log.wait(r"incomplete PDU from \S+: 40 of %d bytes after 2 s" % len(whole),
                         start=logmark, timeout=10)
        i, _ = self.sim.out.wait(r"^DISCONNECT$", start=mark)
        self.assertEqual(self.sim.out.count(r"^RESP deliver_sm_resp", start=mark), 0)
        self.sim.wait_bound(start=i)
        self.assert_order_works()

    def test_sequence_number_0(self):
        customer = self.next_customer()
        mark = self.sim.out.mark()
        self.raw(deliver_sm(0, customer, self.code))
        self.assertEqual(self.answer_to(0, mark), ESME_ROK)  # answered with sequence 0
        self.sim.wait_message(customer, start=mark)
        self.assert_order_works()

    def test_vendor_status_in_a_request(self):
        # a request's command_status means nothing (SMPP 3.4 5.1.3); libsmpp34 refuses one it
        # has no name for. The MO is taken as it is.
        customer = self.next_customer()
        mark = self.sim.out.mark()
        self.raw(deliver_sm(701, customer, self.code, status=0x00000400))
        self.assertEqual(self.answer_to(701, mark), ESME_ROK)
        self.sim.wait_message(customer, start=mark)
        self.assert_order_works()

    def test_error_response_with_a_body(self):
        customer = self.next_customer()
        mark = self.sim.out.mark()
        self.sim.send("ignore submit_sm on")
        try:
            tag = self.sim.mo_text(customer, "10086", self.code)
            self.assertEqual(self.sim.wait_mo_resp(tag), 0)
            _, m = self.sim.out.wait(r"^IGNORED submit_sm (\d+)$", start=mark)
        finally:
            self.sim.send("ignore submit_sm off")
        # ESME_RSUBMITFAIL with a message_id-like body that SMPP says is not there
        body = b"bogus-id\x00"
        self.raw(header(SUBMIT_SM_RESP, int(m.group(1)), len(body), status=0x45) + body)
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT state || ' ' || error FROM outbox WHERE dest = :'p1'", customer) ==
            "failed SMPP status 0x00000045", "the row failed with 0x45")
        # error responses with bodies to requests the gateway never made: ignored, no answer
        for data in (header(ENQUIRE_LINK_RESP, 9901, 4, status=0x08) + b"abc\x00",
                     header(GENERIC_NACK, 9902, 4, status=0x03) + b"xyz\x00"):
            self.raw(data)
        self.assert_order_works()
        self.assertEqual(self.sim.out.count(r"^NACK ", start=mark), 0)

    def test_command_length_out_of_bounds(self):
        for length in (8, 15, 4097, 0xFFFFFFFF):
            with self.subTest(command_length=length):
                mark, logmark = self.sim.out.mark(), self.gw.log.mark()
                self.raw(header(DELIVER_SM, 801, 0, length=length) + b"\x00" * 16)
                self.gw.log.wait(r"framing error from \S+: command_length %d out of bounds "
                                 r"\[16, 4096\]; retry in" % length, start=logmark)
                i, _ = self.sim.out.wait(r"^DISCONNECT$", start=mark)
                self.sim.wait_bound(start=i)
                self.assert_order_works()


if __name__ == "__main__":
    ermtest.main()
