"""Submits that do not go right the first time (issue 14), with the real ermgw, the simulator
and PostgreSQL:
- a submit_sm_resp that comes after its timeout, while the row is still held, counts: the
  row is sent with that message id and the message is not submitted a second time;
- a part of a long reply refused with a throttling status is submitted again alone, with the
  same concatenation reference: the parts the SMSC accepted are not sent twice;
- an SMSC that refuses every submit for good gets a handful of warning lines, not one a row
  (100,000 pushes would be 100,000 lines; the counts are in the metrics). Temporary refusals
  need no limit of their own: the session slows down to one submit a second at first."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import ermtest  # noqa: E402

ESME_RTHROTTLED = 0x58
ESME_RSUBMITFAIL = 0x45
ROWS = 40


class SubmitRetry(bound.BoundCase):
    CONFIG = "[smsc]\nresponse_timeout_s = 1\n"

    def queue(self, dest, text):
        self.pg.psql("INSERT INTO outbox (dest, source, kind, text)"
                     " VALUES (:'p1', '10086', 'test', :'p2')", dest, text)

    def row(self, dest):
        return self.pg.psql("SELECT state, tries, coalesce(message_ids, '') FROM outbox"
                            " WHERE dest = :'p1'", dest)[0]

    def submits(self, dest, start):
        """(message id or '-', short_message hex) of each SUBMIT to DEST since START."""
        with self.sim.out.cond:
            lines = list(self.sim.out.lines[start:])
        rx = re.compile(r"^SUBMIT (\S+) 10086 %s \S+ \S+ \S+ ([0-9a-f]+) " % dest)
        return [(m.group(1), m.group(2)) for m in map(rx.match, lines) if m]

    def test_late_response_is_not_a_second_send(self):
        dest = "13660000001"
        sim, mark, smark = self.sim, self.gw.log.mark(), self.sim.out.mark()
        sim.send("hold_submit_resp on")
        try:
            self.queue(dest, "late")
            _, m = sim.out.wait(r"^SUBMIT (\d+) 10086 %s " % dest, start=smark)
            self.gw.log.wait(r"submit_sm seq \d+ to \S+: no response in 1 s; given up",
                             start=mark)
            sim.send("release_submit_resp")
        finally:
            sim.send("hold_submit_resp off")
        self.gw.log.wait(r"submit_sm_resp seq \d+ came after its timeout", start=mark)
        self.gw.log.wait(r"outbox row \d+ part 1: accepted after its timeout; not sent again",
                         start=mark)
        ermtest.wait_until(lambda: self.row(dest)[0] == "sent", "the row sent")
        self.assertEqual(self.row(dest), ("sent", "1", m.group(1)))
        self.assertEqual(len(self.submits(dest, smark)), 1)

    def test_throttled_part_alone_is_submitted_again(self):
        dest = "13660000002"
        text = " ".join("word%03d" % i for i in range(45))  # 359 GSM characters: 3 parts
        smark = self.sim.out.mark()
        self.sim.send("submit_status_nth 2 0x%02x" % ESME_RTHROTTLED)
        self.queue(dest, text)
        ermtest.wait_until(lambda: self.row(dest)[0] == "sent", "the row sent", timeout=30)
        got = self.submits(dest, smark)
        # UDH 05 00 03 <ref> <total> <seq>: which part each SUBMIT was, and of which message
        udh = [(mid, int(h[6:8], 16), int(h[8:10], 16), int(h[10:12], 16)) for mid, h in got]
        self.assertTrue(all(h.startswith("050003") for _, h in got), got)
        self.assertEqual(len(set(ref for _, ref, _, _ in udh)), 1, udh)
        self.assertEqual(set(total for _, _, total, _ in udh), {3}, udh)
        self.assertEqual([seq for mid, _, _, seq in udh if mid == "-"], [2], udh)
        accepted = [seq for mid, _, _, seq in udh if mid != "-"]
        self.assertEqual(sorted(accepted), [1, 2, 3], udh)
        ids = [mid for mid, _, _, seq in sorted(udh, key=lambda u: u[3]) if mid != "-"]
        self.assertEqual(self.row(dest), ("sent", "1", " ".join(ids)))
        _, _, whole = self.sim.wait_message(dest, start=smark)
        self.assertEqual(ermtest.sim_unescape(whole), text)


class RefusingSmsc(bound.BoundCase):
    def states_like(self, prefix):
        return dict(self.pg.psql("SELECT state, count(*) FROM outbox WHERE dest LIKE :'p1'"
                                 " GROUP BY state", prefix + "%"))

    def queue_rows(self, prefix):
        self.pg.psql("INSERT INTO outbox (dest, source, kind, text)"
                     " SELECT :'p1' || lpad(g::text, 4, '0'), '10086', 'test', 'row ' || g"
                     " FROM generate_series(1, %d) AS g" % ROWS, prefix)

    def test_refusals_warned_a_few_times_not_per_row(self):
        mark = self.gw.log.mark()
        self.sim.send("submit_status 0x%08x" % ESME_RSUBMITFAIL)
        try:
            self.queue_rows("1366100")
            ermtest.wait_until(lambda: self.states_like("1366100") == {"failed": str(ROWS)},
                               "every row refused for good")
        finally:
            self.sim.send("submit_status 0x00000000")
        failed = self.gw.log.count(r"outbox row \d+ refused by the SMSC", start=mark)
        self.assertGreaterEqual(failed, 1)
        self.assertLessEqual(failed, 3, "one line a row failed")

if __name__ == "__main__":
    ermtest.main()
