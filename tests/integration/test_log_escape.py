"""Log injection (issue 15, item 4): the real ermgw logs what an SMSC sends (source numbers,
texts) into its log file; a newline there must not forge a record, ESC must not reach the
operator's terminal, and bytes that are not UTF-8 must not reach a log shipper. The log
file is read as bytes: every record is one line that starts with a time stamp, and holds
no control character and no invalid UTF-8."""
import os
import re
import struct
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

DELIVER_SM = 0x00000005


def deliver_sm(seq, source, sm, dest=b"10086"):
    """A deliver_sm built by hand (SOURCE, SM: bytes, as a hostile SMSC would send them)."""
    body = (b"\x00" + b"\x01\x01" + source + b"\x00" + b"\x00\x01" + dest + b"\x00"
            + b"\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00\x00" + bytes([len(sm)]) + sm)
    return struct.pack(">IIII", 16 + len(body), DELIVER_SM, 0, seq) + body


RECORD = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (DEBUG|INFO |WARN |ERROR) [a-z]+: ")


class LogInjection(ermtest.PoolCase):
    def read_log(self, path):
        with open(path, "rb") as f:
            return f.read()

    def test_outside_bytes_escaped(self):
        log_dir = tempfile.mkdtemp(prefix="ermtest-log-")
        path = os.path.join(log_dir, "ermgw.log")
        sim = ermtest.Sim()
        self.addCleanup(sim.close)
        gw = ermtest.Daemon(self.pg, sim.port,
                            extra_config="[log]\nfile = %s\nlevel = debug\n" % path)
        self.addCleanup(self.stop_clean, gw)
        sim.wait_bound()
        ermtest.wait_until(lambda: b"database up" in self.read_log(path), "database up")

        forged = "\n2026-01-01T00:00:00.000Z ERROR smpp: forged\x1b[2J"
        # UCS-2 text with a newline, a forged record and ESC.
        tag = sim.mo_hex("13900000101", "10086", 8, ("10001" + forged).encode("utf-16-be"))
        self.assertEqual(sim.wait_mo_resp(tag), 0)
        # A source with ESC, a newline and bytes that are not UTF-8 (whatever ermgw answers).
        sim.send("raw %s %s" % (sim.next_tag(),
                                deliver_sm(4242, b"1390\xff\xfe\x1b\n0102", b"hi").hex()))
        sim.out.wait(r"^RESP deliver_sm_resp 0x[0-9a-f]+ 4242$")
        ermtest.wait_until(lambda: b"1390\\xff\\xfe\\x1b\\x0a0102" in self.read_log(path),
                           "the hostile source logged, escaped")

        data = self.read_log(path)
        self.assertTrue(data.endswith(b"\n"))
        for line in data[:-1].split(b"\n"):
            self.assertRegex(line, RECORD)
            self.assertIsNone(re.search(rb"[\x00-\x1f\x7f]", line), line)
            line.decode("utf-8")  # raises on bytes that are not UTF-8
        self.assertNotIn(b"\nforged", data)
        self.assertIn(b"\\x0a2026-01-01T00:00:00.000Z ERROR smpp: forged\\x1b[2J", data)

    def test_info_has_a_summary_not_each_message(self):
        """At info (the default) a customer's number and text stay out of the log; a summary
        line counts what happened (at the latest when ermgw stops)."""
        log_dir = tempfile.mkdtemp(prefix="ermtest-log-")
        path = os.path.join(log_dir, "ermgw.log")
        sim = ermtest.Sim()
        self.addCleanup(sim.close)
        gw = ermtest.Daemon(self.pg, sim.port, extra_config="[log]\nfile = %s\n" % path)
        sim.wait_bound()
        ermtest.wait_until(lambda: b"database up" in self.read_log(path), "database up")
        mark = sim.out.mark()
        self.assertEqual(sim.wait_mo_resp(sim.mo_text("13900000201", "10086", self.code)), 0)
        sim.wait_message("13900000201", start=mark)
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT count(*) FROM outbox WHERE dest = '13900000201' AND state = 'sent'") == "1",
            "the reply recorded sent")
        self.stop_clean(gw)
        data = self.read_log(path).decode("utf-8")
        self.assertNotIn("13900000201", data)
        self.assertNotIn(" DEBUG ", data)
        self.assertRegex(data, r"INFO  ermgw: since the last summary: MOs 1 committed, 0 "
                               r"redelivered, 0 retry-later, 0 refused, 0 parts kept, 0 receipts; "
                               r"replies 1 sent, 0 queued again, 0 failed\n")


if __name__ == "__main__":
    ermtest.main()
