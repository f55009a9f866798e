"""A hostile SMSC's sources and ids (issue 15, items 1 and 2), against the real ermgw:
- a deliver_sm whose source or destination holds bytes that are not UTF-8 (or a control
  character), or a receipt whose message id does, can never be stored: it is answered with
  the permanent ESME_RX_P_APPN once, not the temporary status that makes the SMSC retry it
  forever;
- a source that is not a mobile number (SQL metacharacters, an alphanumeric sender, a
  newline) is no customer: refused for good, no order, no reply, no commission.
After each, a valid order from a real number still works (the stream is in sync). Each refusal
is counted by its reason in GET /metrics (the log's warning is rate-limited: a peer may send
such messages at will)."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

DELIVER_SM = 0x00000005
ESME_RX_P_APPN = 0x65


def tlv(tag, value):
    return struct.pack(">HH", tag, len(value)) + value


def deliver_sm(seq, source, sm, dest=b"10086", esm_class=0, tlvs=b""):
    """A deliver_sm built by hand from bytes, as a hostile SMSC would send it."""
    body = (b"\x00" + b"\x01\x01" + source + b"\x00" + b"\x00\x01" + dest + b"\x00"
            + bytes([esm_class]) + b"\x00\x00" + b"\x00\x00" + b"\x00\x00\x00\x00"
            + bytes([len(sm)]) + sm + tlvs)
    return struct.pack(">IIII", 16 + len(body), DELIVER_SM, 0, seq) + body


ADMIN_PORT = ermtest.free_port()


class HostileSources(ermtest.BoundCase):
    seq = 5000
    customer = 13930000000
    EXTRA_CONFIG = "[admin]\nlisten = 127.0.0.1:%d\n" % ADMIN_PORT

    @classmethod
    def prepare(cls, pg):
        cls.code, _ = ermtest.setup_pool(pg)

    def send(self, data, seq):
        mark = self.sim.out.mark()
        self.sim.send("raw %s %s" % (self.sim.next_tag(), data.hex()))
        _, m = self.sim.out.wait(r"^RESP deliver_sm_resp 0x([0-9a-f]+) %d$" % seq, start=mark)
        return int(m.group(1), 16)

    def next_seq(self):
        HostileSources.seq += 1
        return HostileSources.seq

    def counts(self):
        return [self.pg.scalar("SELECT count(*) FROM %s" % t)
                for t in ("orders", "outbox", "commission_ledger")]

    def assert_order_works(self):
        HostileSources.customer += 1
        customer = str(HostileSources.customer)
        mark = self.sim.out.mark()
        self.assertEqual(self.sim.wait_mo_resp(self.sim.mo_text(customer, "10086", self.code)), 0)
        self.sim.wait_message(customer, start=mark)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders WHERE customer = :'p1'",
                                        customer), "1")

    def refusals(self, reason):
        return ermtest.metric(ermtest.scrape(ADMIN_PORT), "ermgw_mo_refused_total",
                              channel="sms", reason=reason)

    def assert_refused(self, data, seq, reason):
        before = self.counts()
        refused = self.refusals(reason)
        mark = self.gw.log.mark()
        self.assertEqual(self.send(data, seq), ESME_RX_P_APPN)
        self.assertEqual(self.refusals(reason), refused + 1)
        self.assertEqual(self.counts(), before)
        self.assertEqual(self.gw.log.count(r"answered ESME_RX_T_APPN", start=mark), 0)
        self.assert_order_works()

    def test_source_not_utf8_refused_for_good(self):
        seq = self.next_seq()
        self.assert_refused(deliver_sm(seq, b"\xff\xfe\xfd", self.code.encode()), seq,
                            "not_text")

    def test_destination_not_utf8_refused_for_good(self):
        seq = self.next_seq()
        self.assert_refused(deliver_sm(seq, b"13930001001", self.code.encode(),
                                       dest=b"10086\xc0\xaf"), seq, "not_text")

    def test_sources_that_are_not_mobile_numbers(self):
        for source in (b"1' OR '1'='1", b"13900000000;--", b"A" * 20, b"1390000\n0001",
                       b"10086", b"CMCC"):
            with self.subTest(source=source):
                seq = self.next_seq()
                reason = "not_text" if b"\n" in source else "not_mobile"
                self.assert_refused(deliver_sm(seq, source, self.code.encode()), seq, reason)

    def test_receipt_id_not_utf8_refused_for_good(self):
        seq = self.next_seq()
        receipt = (b"id:\xff\xfe\xfd sub:001 dlvrd:001 submit date:2611010000 "
                   b"done date:2611010001 stat:DELIVRD err:000 text:")
        self.assert_refused(deliver_sm(seq, b"13930002001", receipt, esm_class=0x04), seq,
                            "receipt_id_not_text")
        seq = self.next_seq()
        self.assert_refused(deliver_sm(seq, b"13930002002", b"", esm_class=0x04,
                                       tlvs=tlv(0x001E, b"\xff\xfe\x00") + tlv(0x0427, b"\x02")),
                            seq, "receipt_id_not_text")


if __name__ == "__main__":
    ermtest.main()
