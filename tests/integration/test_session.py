"""The SMPP session of the real ermgw against the bundled simulator: keepalive both ways,
unknown commands, unbind from the SMSC, lost links and refused binds (reconnect with
backoff, one log line per attempt), throttling and permanent submit errors, the submit rate
cap, the window and its response timeout, the command line and configuration, SIGTERM and
SIGHUP. One PostgreSQL cluster for the class; each test has its own simulator, daemon and
customer numbers, and checks that the daemon exits 0 (no sanitizer report)."""
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

QUERY_SM = 0x00000003
DATA_SM = 0x00000103
SUBMIT_SM_RESP = 0x80000004


def pdu(command_id, seq, body=b"", status=0):
    """One PDU as bytes: the 16-byte header (command_length first) and BODY."""
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


class Session(ermtest.PoolCase):
    def start(self, config="", enquire_link_s=30, **sim_kw):
        """A simulator and a daemon bound to it; both stopped at the end of the test, the
        daemon with SIGTERM and an exit status of 0 asserted."""
        sim = ermtest.Sim(**sim_kw)
        self.addCleanup(sim.close)
        gw = ermtest.Daemon(self.pg, sim.port, enquire_link_s=enquire_link_s,
                            extra_config=config)
        self.addCleanup(self.stop_clean, gw)
        sim.wait_bound()
        return sim, gw

    def order(self, sim, customer):
        """CUSTOMER orders by SMS: the MO is acknowledged 0 and the confirmation arrives."""
        mark = sim.out.mark()
        tag = sim.mo_text(customer, "10086", self.code)
        self.assertEqual(sim.wait_mo_resp(tag), 0)
        sim.wait_message(customer, start=mark)

    def outbox(self, customer):
        return self.pg.psql("SELECT state, tries, coalesce(error, '') FROM outbox "
                            "WHERE dest = :'p1' ORDER BY id", customer)

    def test_smsc_enquire_link_answered(self):
        sim, _ = self.start()
        sim.send("enquire_link")
        sim.out.wait(r"^RESP enquire_link_resp 0x00 \d+$")
        sim.send("raw e1 " + pdu(0x00000015, 0).hex())  # sequence 0 is answered as 0
        sim.out.wait(r"^RESP enquire_link_resp 0x00 0$")

    def test_gateway_sends_enquire_link_when_idle(self):
        sim, _ = self.start(enquire_link_s=1)
        mark = sim.out.mark()
        i, _ = sim.out.wait(r"^ENQUIRE_LINK$", start=mark, timeout=5)
        sim.out.wait(r"^ENQUIRE_LINK$", start=i + 1, timeout=5)  # and again: it keeps going

    def test_enquire_link_unanswered_reconnects(self):
        sim, gw = self.start(config="[smsc]\nresponse_timeout_s = 1\n", enquire_link_s=1)
        mark = sim.out.mark()
        sim.send("ignore enquire_link on")
        sim.out.wait(r"^IGNORED enquire_link \d+$", start=mark, timeout=5)
        gw.log.wait(r"no answer to enquire_link in 1 s; link dead; retry in", timeout=5)
        i, _ = sim.out.wait(r"^DISCONNECT$", start=mark)
        sim.send("ignore enquire_link off")
        sim.wait_bound(start=i)
        self.order(sim, "13910000001")

    def test_unknown_commands_get_generic_nack(self):
        sim, gw = self.start()
        # query_sm (header only), data_sm with a body, an id nobody defined: each is answered
        # generic_nack ESME_RINVCMDID with its own sequence number, and the stream goes on.
        data_sm_body = b"\x00" + b"\x00\x00" + b"13910000002\x00" + b"\x00\x00" + \
            b"10086\x00" + b"\x00\x00\x00"
        for seq, raw in ((71, pdu(QUERY_SM, 71)), (72, pdu(DATA_SM, 72, data_sm_body)),
                         (73, pdu(0x00000999, 73, b"junk"))):
            sim.send("raw u%d %s" % (seq, raw.hex()))
            sim.out.wait(r"^NACK 0x03 %d$" % seq)
            gw.log.wait(r"seq %d; answered generic_nack ESME_RINVCMDID" % seq)
        self.order(sim, "13910000002")

    def test_smsc_unbind_answered_then_rebinds(self):
        sim, gw = self.start()
        mark = sim.out.mark()
        sim.send("unbind")
        sim.out.wait(r"^RESP unbind_resp 0x00 \d+$", start=mark)
        i, _ = sim.out.wait(r"^DISCONNECT$", start=mark)
        gw.log.wait(r"SMSC unbound; retry in")
        sim.wait_bound(start=i)
        self.order(sim, "13910000003")

    def test_dropped_link_reconnects(self):
        sim, gw = self.start()
        for _ in range(2):
            mark, logmark = sim.out.mark(), gw.log.mark()
            sim.send("drop")
            _, m = gw.log.wait(r"closed the connection; retry in (\d+\.\d) s", start=logmark)
            # a bind that worked resets the backoff: the first step, 0.5 s +-20%
            self.assertTrue(0.4 <= float(m.group(1)) <= 0.6, m.group(0))
            sim.out.wait(r"^CONNECT$", start=mark)
            sim.wait_bound(start=mark)
        self.order(sim, "13910000004")

    def test_bind_refused_then_accepted(self):
        sim, gw = self.start(config="[smsc]\nreconnect_max_s = 2\n")
        mark, logmark = sim.out.mark(), gw.log.mark()
        sim.send("bind_status 0x0e")
        sim.send("drop")
        i = mark
        for _ in range(3):
            i, _ = sim.out.wait(r"^BIND ermgw secret - 0x0e$", start=i + 1, timeout=10)
        sim.send("bind_status 0")
        sim.wait_bound(start=i)
        gw.log.wait(r"bound to", start=logmark)
        refusals = sim.out.count(r"^BIND ermgw secret - 0x0e$", start=mark)
        lines = [line for line in gw.log.lines[logmark:] if "bind refused" in line]
        # one line per attempt, naming the SMSC's status, with the delay growing to the cap
        self.assertEqual(len(lines), refusals, "\n".join(lines))
        for line in lines:
            self.assertIn("ESME_RINVPASWD (0x0000000e)", line)
        delays = [float(re.search(r"retry in (\d+\.\d) s", x).group(1)) for x in lines]
        self.assertTrue(all(b > a or b >= 1.6 for a, b in zip(delays, delays[1:])), delays)
        self.assertTrue(max(delays) <= 2.4, delays)
        self.order(sim, "13910000005")

    def test_throttled_submit_is_retried_later(self):
        sim, gw = self.start()
        for status, name, customer in ((0x58, "ESME_RTHROTTLED", "13910000006"),
                                       (0x14, "ESME_RMSGQFUL", "13910000007")):
            with self.subTest(status=name):
                mark = sim.out.mark()
                sim.send("submit_status 0x%02x" % status)
                tag = sim.mo_text(customer, "10086", self.code)
                self.assertEqual(sim.wait_mo_resp(tag), 0)
                refused = r"^SUBMIT - 10086 %s " % customer
                i, _ = sim.out.wait(refused, start=mark)
                first = time.monotonic()
                gw.log.wait(r"submit_sm answered %s .*slowing down: no submit for 1.0 s" % name)
                # retried, but only after the pause: no hot loop against a throttling SMSC
                sim.out.wait(refused, start=i + 1, timeout=10)
                self.assertGreater(time.monotonic() - first, 0.8)
                sim.send("submit_status 0")
                sim.wait_message(customer, start=mark, timeout=15)
                ermtest.wait_until(lambda: self.outbox(customer)[0][0] == "sent", "row sent")
                state, tries, _ = self.outbox(customer)[0]
                self.assertGreaterEqual(int(tries), 2)
                self.assertEqual(sim.out.count(r"^MESSAGE 10086 %s " % customer, start=mark), 1)

    def test_permanent_submit_error_fails_the_row(self):
        sim, gw = self.start()
        mark = sim.out.mark()
        sim.send("submit_status 0x45")  # ESME_RSUBMITFAIL
        tag = sim.mo_text("13910000008", "10086", self.code)
        self.assertEqual(sim.wait_mo_resp(tag), 0)
        sim.out.wait(r"^SUBMIT - 10086 13910000008 ", start=mark)
        ermtest.wait_until(lambda: self.outbox("13910000008")[0][0] == "failed", "row failed")
        self.assertEqual(self.outbox("13910000008"),
                         [("failed", "1", "SMPP status 0x00000045")])
        gw.log.wait(r"outbox row \d+ refused by the SMSC: ESME_RSUBMITFAIL; marked failed")
        sim.send("submit_status 0")
        self.order(sim, "13910000009")  # and the next goes
        self.assertEqual(sim.out.count(r"^SUBMIT \S+ 10086 13910000008 ", start=mark), 1)

    def test_submit_rate_cap(self):
        sim, gw = self.start(config="[smsc]\nmax_submit_rate = 5\n")
        customers = ["139100001%02d" % i for i in range(12)]
        mark = sim.out.mark()
        for c in customers:
            sim.mo_text(c, "10086", self.code)
        sim.out.wait(r"^SUBMIT \d+ ", start=mark)
        first = time.monotonic()
        for c in customers:
            sim.wait_message(c, start=mark, timeout=15)
        took = time.monotonic() - first
        # 12 at 5/s (a burst of 1): the 12th goes 2.2 s after the first
        self.assertGreater(took, 1.8)
        self.assertLess(took, 6.0)
        self.assertEqual(sim.out.count(r"^SUBMIT \d+ ", start=mark), 12)

    def test_window_and_response_timeout(self):
        sim, gw = self.start(config="[smsc]\nwindow = 2\nresponse_timeout_s = 2\n")
        customers = ["139100002%02d" % i for i in range(4)]
        mark = sim.out.mark()
        sim.send("ignore submit_sm on")
        for c in customers:
            self.assertEqual(sim.wait_mo_resp(sim.mo_text(c, "10086", self.code)), 0)
        i, _ = sim.out.wait(r"^IGNORED submit_sm \d+$", start=mark)
        i, _ = sim.out.wait(r"^IGNORED submit_sm \d+$", start=i + 1)
        second = time.monotonic()
        # the window is full: the third submit waits until a response times out (2 s)
        sim.out.wait(r"^IGNORED submit_sm \d+$", start=i + 1, timeout=10)
        self.assertGreater(time.monotonic() - second, 1.5)
        gw.log.wait(r"submit_sm seq \d+ to \S+: no response in 2 s; given up")
        sim.send("ignore submit_sm off")
        for c in customers:
            sim.wait_message(c, start=mark, timeout=20)
        ermtest.wait_until(
            lambda: all(self.outbox(c)[0][0] == "sent" for c in customers), "rows sent")
        self.assertTrue(any(int(self.outbox(c)[0][1]) >= 2 for c in customers))

    def test_idle_daemon_polls_the_outbox_gently(self):
        sim, gw = self.start()
        self.order(sim, "13910000302")
        ermtest.wait_until(lambda: self.outbox("13910000302")[0][0] == "sent", "row sent")

        def commits():
            return int(self.pg.scalar("SELECT xact_commit FROM pg_stat_database "
                                      "WHERE datname = current_database()"))
        # a measurement, not a wait: a few polls a second and the server's own work (an
        # empty queue taken again at once, over and over, is thousands)
        before = commits()
        time.sleep(3)
        self.assertLess(commits() - before, 300)

    def test_sigterm_waits_for_outstanding_submit_then_unbinds(self):
        sim, gw = self.start()
        mark = sim.out.mark()
        sim.send("ignore submit_sm on")
        self.assertEqual(sim.wait_mo_resp(sim.mo_text("13910000300", "10086", self.code)), 0)
        _, m = sim.out.wait(r"^IGNORED submit_sm (\d+)$", start=mark)
        gw.proc.send_signal(signal.SIGTERM)
        gw.log.wait(r"SIGTERM: stopping")
        self.assertEqual(sim.out.count(r"^UNBIND$", start=mark), 0)
        # the response comes: the row is sent, then the daemon unbinds and exits 0
        sim.send("raw r1 " + pdu(SUBMIT_SM_RESP, int(m.group(1)), b"777\x00").hex())
        sim.out.wait(r"^UNBIND$", start=mark)
        self.assertEqual(gw.proc.wait(timeout=20), 0)
        self.assertEqual(self.outbox("13910000300")[0][0], "sent")

    def test_sigterm_unbinds_and_exits_0(self):
        sim, gw = self.start()
        mark = sim.out.mark()
        gw.proc.send_signal(signal.SIGTERM)
        sim.out.wait(r"^UNBIND$", start=mark)
        self.assertEqual(gw.proc.wait(timeout=20), 0)
        gw.log.wait(r"unbound from 127\.0\.0\.1:%d" % sim.port)

    def test_sighup_reopens_log(self):
        logdir = tempfile.mkdtemp(prefix="ermtest-log-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", logdir]))
        path = os.path.join(logdir, "ermgw.log")
        sim, gw = self.start(config="[log]\nfile = %s\nlevel = debug\n" % path)

        def contains(p, text):
            try:
                with open(p) as f:
                    return text in f.read()
            except OSError:
                return False
        ermtest.wait_until(lambda: contains(path, "bound to"), "the bind logged to the file")
        os.rename(path, path + ".1")  # what logrotate does
        gw.proc.send_signal(signal.SIGHUP)
        ermtest.wait_until(lambda: contains(path, "SIGHUP: log reopened"), "a new log file")
        self.order(sim, "13910000301")
        ermtest.wait_until(lambda: contains(path, "from 13910000301"), "the MO in the new file")
        self.assertFalse(contains(path + ".1", "from 13910000301"))


class CommandLine(unittest.TestCase):
    def run_gw(self, *args):
        return subprocess.run([ermtest.binary("ermgw")] + list(args), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)

    def test_help_and_version(self):
        for opt, want in (("--help", r"^usage: ermgw --config FILE"),
                          ("--version", r"^ermgw \d+\.\d+\.\d+\n$")):
            r = self.run_gw(opt)
            self.assertEqual((r.returncode, r.stderr), (0, ""))
            self.assertRegex(r.stdout, want)

    def test_bad_config_one_line_exit_2(self):
        good = ermtest.CONFIG_TEMPLATE.format(port=2775, system_id="ermgw", password="secret",
                                              enquire_link_s=30, service="10086", conninfo="")
        cases = [
            ("[smsc]\nmax_submit_rate = lots\n", r"\[smsc\] max_submit_rate: \"lots\""),
            ("[smsc]\nwindow = 0\n", r"\[smsc\] window: \"0\" is not a number"),
            ("[smsc]\nwindwo = 3\n", r"\[smsc\] windwo: unknown key"),
            # bytes of the file are quoted escaped: no ESC reaches the operator's terminal
            ("[smsc\x1b[31m\n", r"malformed section header \"\[smsc\\x1b\[31m\""),
            ("[sm\x1bsc]\n", r"\[sm\\x1bsc\]: unknown section"),
        ]
        d = tempfile.mkdtemp(prefix="ermtest-cfg-")
        self.addCleanup(lambda: subprocess.run(["rm", "-rf", d]))
        for extra, want in cases:
            with self.subTest(extra=extra):
                path = os.path.join(d, "bad.conf")
                with open(path, "w") as f:
                    f.write(good + extra)
                line = (good + extra).count("\n")  # the bad key is on the last line
                r = self.run_gw("--config", path)
                self.assertEqual(r.returncode, 2)
                self.assertEqual(r.stdout, "")
                self.assertRegex(r.stderr, r"^ermgw: %s:%d: %s[^\n]*\n$" % (
                    re.escape(path), line, want))


if __name__ == "__main__":
    ermtest.main()
