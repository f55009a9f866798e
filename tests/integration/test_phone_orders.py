"""Orders by phone end to end (issue 12): the real ermgw with [sip] set, bound to the SMSC
simulator, on a real PostgreSQL cluster; SIPp plays the carrier's switch and dials phone codes
(service number + SMS code) from callers of its -key caller. Each call must take ermgw's one
order path: the same rules, storage and dedupe as an SMS order, channel 'phone', the order
committed before the answer, the prompt of the outcome played (ermgw's debug line names it;
one test compares the RTP captured on loopback with the prompt byte for byte, another has
baresip, a real phone, dial and record what it hears), and the SMS confirmation and the
holder's note sent through the outbox to the simulator."""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import warnings
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402
from test_sip_trunk import PROMPTS, Capture, Sipp, free_port, rtp_check, write_wav  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402

HOLDER = "13800000001"  # the code's holder (setup_pool's employee)


def make_prompts(root):
    """Short test prompts in ROOT (and product 10's own 'ordered'); returns {name: PCM}."""
    os.mkdir(os.path.join(root, "10"))
    pcm = {}
    for i, p in enumerate(PROMPTS):
        pcm[p] = write_wav(os.path.join(root, p + ".wav"), 0.6 + 0.01 * i, 300 + 50 * i)
    pcm["10/ordered"] = write_wav(os.path.join(root, "10", "ordered.wav"), 0.7, 900)
    return pcm


def sip_config(port, rtp, prompts):
    """[sip] with 150 RTP ports (RTP + 300 and up are left for baresip's own)."""
    return ("[sip]\nlisten = 127.0.0.1:%d\npeers = 127.0.0.1\nrtp_ports = %d-%d\n"
            "prompts = %s\n" % (port, rtp, rtp + 299, prompts))


BARESIP_CONFIG = """poll_method epoll
sip_listen 127.0.0.1:{port}
audio_player aubridge,ermtest
audio_source aubridge,ermtest
audio_alert aubridge,ermtest
ausrc_srate 8000
auplay_srate 8000
jitter_buffer_delay 0-0
rtp_ports {rtp}-{rtp_end}
module_path /usr/lib/baresip/modules
module g711.so
module aubridge.so
module sndfile.so
module_app account.so
module_app menu.so
snd_path {dump}
"""


class PhoneCase(ermtest.BoundCase):
    """One ermgw with the phone on, shared by the tests; each uses its own callers."""

    @classmethod
    def prepare(cls, pg):
        if shutil.which("sipp") is None:
            raise unittest.SkipTest("sipp not installed (scripts/deps.sh installs sip-tester)")
        cls.dir = tempfile.mkdtemp(prefix="ermtest-phone-")
        cls.prompts = os.path.join(cls.dir, "prompts")
        os.mkdir(cls.prompts)
        cls.pcm = make_prompts(cls.prompts)
        cls.code, cls.phone = ermtest.setup_pool(pg, notes=True)
        cls.sip_port = free_port()
        cls.rtp = 30000 + 400 * (cls.sip_port % 50)
        cls.EXTRA_CONFIG = sip_config(cls.sip_port, cls.rtp, cls.prompts)

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(getattr(cls, "dir", ""), ignore_errors=True)

    def call(self, caller, called, scenario="phone_call", **kw):
        """Dials CALLED from CALLER with SCENARIO (which must pass); returns (sipp, log mark)."""
        mark = self.gw.log.mark()
        s = Sipp(self.dir, scenario, self.sip_port, called, extra=("-key", "caller", caller),
                 **kw)
        return s, mark

    def prompt(self, mark):
        """The prompt ermgw played for the call dialled after MARK."""
        _, m = self.gw.log.wait(r"call \d+: prompt (\S+)$", start=mark)
        return m.group(1)

    def orders_of(self, customer):
        return self.pg.psql("SELECT code, product_code, channel FROM orders "
                            "WHERE customer = :'p1'", customer)

    def outbox_kinds(self, dest):
        return [r[0] for r in self.pg.psql("SELECT kind FROM outbox WHERE dest = :'p1' "
                                           "ORDER BY id", dest)]


class PhoneOrders(PhoneCase):
    def test_ordered_prompt_rtp_and_two_sms(self):
        caller = "13900000101"
        sim_mark = self.sim.out.mark()
        cap = Capture(os.path.join(self.dir, "ordered.pcap"),
                      [self.sip_port] + list(range(self.rtp, self.rtp + 300, 2)))
        try:
            s, mark = self.call(caller, self.phone)
        finally:
            time.sleep(0.2)
            cap.stop()
        self.assertEqual(self.prompt(mark), "10/ordered", "the product's own prompt")
        self.assertIn("a=sendrecv", s.messages())
        self.assertIn("BYE sip:", s.messages())
        # the RTP the caller got is the prompt, byte for byte (PCMA: the offer's first)
        media = [d for (_, sp, _, d) in cap.udp() if self.rtp <= sp < self.rtp + 300]
        pcm = self.pcm["10/ordered"]
        expected = audioop.lin2alaw(pcm, 2) + b"\xd5" * ((-len(pcm) // 2) % 160)
        rtp_check(self, media, 8, expected)
        # committed before the answer, by phone
        self.assertEqual(self.orders_of(caller), [("10001", "10", "phone")])
        # the confirmation to the caller and the note to the holder, through the outbox
        _, source, text = self.sim.wait_message(caller, start=sim_mark)
        self.assertEqual(source, "10086")
        self.assertIn("流量包", ermtest.sim_unescape(text))
        _, _, note = self.sim.wait_message(HOLDER, start=sim_mark)
        self.assertIn("流量包", ermtest.sim_unescape(note))
        self.assertEqual(self.outbox_kinds(caller), ["order_ok"])

    def test_second_call_already_ordered(self):
        caller = "13900000102"
        _, mark = self.call(caller, self.phone)
        self.assertEqual(self.prompt(mark), "10/ordered")
        # the same caller again: a new call (its own Call-ID), not a redelivery
        _, mark = self.call(caller, self.phone)
        self.assertEqual(self.prompt(mark), "already")
        self.assertEqual(len(self.orders_of(caller)), 1)
        ermtest.wait_until(lambda: self.outbox_kinds(caller) == ["order_ok", "order_dup"],
                           "both replies queued")

    def test_unknown_code(self):
        caller = "13900000103"
        _, mark = self.call(caller, "1008699999")
        self.assertEqual(self.prompt(mark), "unknown")
        self.assertEqual(self.orders_of(caller), [])

    def test_product_not_active(self):
        ermtest.ermctl(self.pg, "product", "add", "--code", "20", "--name", "视频会员",
                       "--quota", "9", "--commission", "3.00", "--intro", "x", check=True)
        r = ermtest.ermctl(self.pg, "claim", "--product", "20", "--employee", "E001",
                           check=True)
        phone = re.search(r"phone code (\d+)", r.stdout).group(1)
        caller = "13900000104"
        _, mark = self.call(caller, phone)
        self.assertEqual(self.prompt(mark), "closed")
        self.assertEqual(self.orders_of(caller), [])

    def test_leavers_code(self):
        ermtest.ermctl(self.pg, "employee", "add", "--id", "E003", "--name", "王五", "--msisdn",
                       "13800000003", "--dept", "市场部", check=True)
        r = ermtest.ermctl(self.pg, "claim", "--product", "10", "--employee", "E003",
                           check=True)
        phone = re.search(r"phone code (\d+)", r.stdout).group(1)
        ermtest.ermctl(self.pg, "employee", "deactivate", "E003", check=True)
        caller = "13900000107"
        _, mark = self.call(caller, phone)
        self.assertEqual(self.prompt(mark), "leaver")
        self.assertEqual(self.orders_of(caller), [])

    def test_service_number_alone_hears_help(self):
        caller = "13900000108"
        _, mark = self.call(caller, "10086")
        self.assertEqual(self.prompt(mark), "help")
        self.assertEqual(self.orders_of(caller), [])
        ermtest.wait_until(lambda: self.outbox_kinds(caller) == ["help"], "the help SMS")

    def test_non_mobile_caller_hears_help(self):
        for caller in ("10010", "anonymous"):
            _, mark = self.call(caller, self.phone)
            self.assertEqual(self.prompt(mark), "help")
            self.assertEqual(self.orders_of(caller), [])
            self.assertEqual(self.outbox_kinds(caller), [])

    def test_cancel_before_answer_order_stands(self):
        """The order is held up by a lock on its claim; the caller cancels (487); once the
        lock goes the order commits, and stands: README says so."""
        caller = "13900000105"
        with ermtest.PgSession(self.pg) as lock:
            lock.run("BEGIN")
            lock.run("SELECT 1 FROM claims WHERE code = '%s' FOR UPDATE" % self.code)
            mark = self.gw.log.mark()
            s = Sipp(self.dir, "phone_cancel", self.sip_port, self.phone,
                     extra=("-key", "caller", caller), background=True)
            ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) > 0, "the order waits")
            s.wait()
            self.gw.log.wait(r"call \d+ ended: cancelled", start=mark)
            lock.run("COMMIT")
        ermtest.wait_until(lambda: self.orders_of(caller) == [("10001", "10", "phone")],
                           "the order committed after the CANCEL")
        self.sim.wait_message(caller)
        self.assertEqual(self.gw.log.count(r"call \d+: prompt", start=mark), 0)

    def test_sms_after_phone_order_is_already_ordered(self):
        caller = "13900000106"
        _, mark = self.call(caller, self.phone)
        self.assertEqual(self.prompt(mark), "10/ordered")
        status, _ = ermtest.sms(self.sim, caller, self.code, expect=0)
        self.assertEqual(status, 0)
        ermtest.wait_until(lambda: self.outbox_kinds(caller) == ["order_ok", "order_dup"],
                           "the SMS answered as already ordered")
        self.assertEqual(self.orders_of(caller), [("10001", "10", "phone")])

    def interleave(self, first, steps):
        """With the orders table locked, FIRST's SMS order waits on the lock; then each of
        STEPS, ("sms" or "call", number), is sent in turn, each taken in by ermgw before the
        next; then the lock goes and every call ends. Returns the log mark from before."""
        with ermtest.PgSession(self.pg) as lock:
            lock.run("BEGIN; LOCK TABLE orders IN EXCLUSIVE MODE")
            mark = self.gw.log.mark()
            self.sim.mo_text(first, "10086", self.code)
            ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) == 1,
                               "the first transaction to wait on the lock")
            calls = []
            for kind, number in steps:
                if kind == "sms":
                    self.sim.mo_text(number, "10086", self.code)
                    self.gw.log.wait(r"from %s to 10086: " % number, start=mark)
                else:
                    calls.append(Sipp(self.dir, "phone_call", self.sip_port, self.phone,
                                      extra=("-key", "caller", number), background=True))
                    self.gw.log.wait(r"call from %s to " % number, start=mark)
            lock.run("COMMIT")
            for c in calls:
                c.wait()
        return mark

    def test_calls_and_sms_interleaved_batch_by_channel(self):
        """Calls and SMS orders arriving interleaved while a transaction is in flight
        gather in one batch per channel, not in a batch per change of channel (each batch
        pays the placing's fixed cost: at 300 calls/s beside SMS load the batches fell to
        one or two orders and the answer took over a second). An SMS order waits on a lock
        held here; three SMS and three calls interleaved come in behind it; once the lock
        goes, three transactions commit: the first, one of three SMS, one of three calls."""
        sms = ["13900000131", "13900000132", "13900000133"]
        callers = ["13900000141", "13900000142", "13900000143"]
        mark = self.interleave("13900000130", [x for pair in zip(
            [("sms", n) for n in sms], [("call", n) for n in callers]) for x in pair])
        for c in ["13900000130"] + sms:
            self.sim.wait_message(c)  # its confirmation: sent once its batch committed
        for c in sms + callers:
            self.assertEqual(self.orders_of(c), [("10001", "10", "phone" if c in callers
                                                  else "sms")])
        rx = re.compile(r"order batch of (\d+) committed")
        sizes = [int(m.group(1)) for m in map(rx.search, self.gw.log.lines[mark:]) if m]
        self.assertEqual(sorted(sizes), [1, 3, 3])

    def test_a_customers_sms_then_call_keep_their_order(self):
        """A customer texts the code, then calls it, while the calls' open batch was queued
        before the SMS batch: the call must not join that earlier batch and overtake the
        SMS. The SMS order is the one placed; the call hears "already ordered"."""
        first, other, customer = "13900000150", "13900000151", "13900000152"
        mark = self.interleave(first, [("call", other), ("sms", customer), ("call", customer)])
        self.assertEqual(self.orders_of(customer), [("10001", "10", "sms")])
        ermtest.wait_until(lambda: self.outbox_kinds(customer) == ["order_ok", "order_dup"],
                           "the SMS answered as ordered, the call as already ordered")
        self.assertEqual(self.gw.log.count(r"call \d+: prompt already$", start=mark), 1)

    def test_load_distinct_callers(self):
        """The load run: SIPp at a fixed rate for a fixed count, every call from a distinct
        caller: every call answered and played, as many orders by phone, as many
        confirmations queued."""
        calls, rate = 120, 20
        inf = os.path.join(self.dir, "callers.csv")
        with open(inf, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(calls):
                f.write("1391%07d;%s;\n" % (i, self.phone))
        mark = self.gw.log.mark()
        Sipp(self.dir, "phone_load", self.sip_port, self.phone, calls=calls, timeout=60,
             extra=("-inf", inf, "-r", str(rate), "-l", "100"))
        self.assertEqual(self.gw.log.count(r"call \d+: prompt 10/ordered$", start=mark), calls)
        ermtest.wait_until(lambda: self.gw.log.count(r"call \d+ ended: played$", start=mark)
                           == calls, "every call played to its end")
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders WHERE channel = 'phone'"
                                        " AND customer LIKE '1391%'"), str(calls))
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM outbox WHERE kind = 'order_ok'"
                                        " AND dest LIKE '1391%'"), str(calls))

    def test_baresip_hears_the_ordered_prompt(self):
        """baresip, a real phone nobody here wrote, dials the code with no registrar and
        records what it hears (its sndfile module); the recording must be the prompt."""
        if shutil.which("baresip") is None:
            self.skipTest("baresip not installed (scripts/deps.sh installs it)")
        caller = "13900000401"
        conf = os.path.join(self.dir, "baresip")
        dump = os.path.join(self.dir, "dump")
        os.makedirs(conf)
        os.makedirs(dump)
        rtp = self.rtp + 300
        with open(os.path.join(conf, "config"), "w") as f:
            f.write(BARESIP_CONFIG.format(port=free_port(), rtp=rtp, rtp_end=rtp + 20,
                                          dump=dump))
        with open(os.path.join(conf, "accounts"), "w") as f:
            f.write("<sip:%s@127.0.0.1>;regint=0;audio_codecs=PCMA\n" % caller)
        sim_mark = self.sim.out.mark()
        mark = self.gw.log.mark()
        r = subprocess.run(["baresip", "-f", conf, "-e",
                            "/dial sip:%s@127.0.0.1:%d" % (self.phone, self.sip_port),
                            "-t", "6"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60)
        self.assertEqual(self.prompt(mark), "10/ordered", r.stdout)
        self.gw.log.wait(r"call \d+ ended: played", start=mark)
        dec = [f for f in os.listdir(dump) if f.endswith("-dec.wav")]
        self.assertEqual(len(dec), 1, r.stdout)
        with wave.open(os.path.join(dump, dec[0])) as w:
            self.assertEqual((w.getframerate(), w.getnchannels(), w.getsampwidth()), (8000, 1, 2))
            heard = w.readframes(w.getnframes())
        # what it decoded is the prompt through G.711 A-law, sample for sample (no jitter
        # buffer: every frame is played as it comes, none held back at the BYE)
        pcm = self.pcm["10/ordered"]
        pad = audioop.alaw2lin(b"\xd5", 2) * ((-len(pcm) // 2) % 160)
        expected = audioop.alaw2lin(audioop.lin2alaw(pcm, 2), 2) + pad
        self.assertEqual(len(heard), len(expected), r.stdout)
        self.assertEqual(heard, expected, "baresip heard the prompt")
        # the order and the two SMS
        self.assertEqual(self.orders_of(caller), [("10001", "10", "phone")])
        _, _, text = self.sim.wait_message(caller, start=sim_mark)
        self.assertIn("流量包", ermtest.sim_unescape(text))
        _, _, note = self.sim.wait_message(HOLDER, start=sim_mark)
        self.assertIn("流量包", ermtest.sim_unescape(note))


class PhoneMetrics(PhoneCase):
    """The phone in GET /metrics (issue 14): its orders by channel, its refused callers, and
    the trunk as a link of bearer "sip" (bearer_stats)."""

    @classmethod
    def prepare(cls, pg):
        super().prepare(pg)
        cls.admin = free_port()
        cls.EXTRA_CONFIG += "[admin]\nlisten = 127.0.0.1:%d\n" % cls.admin

    def test_calls_counted(self):
        s = ermtest.scrape(self.admin)
        self.assertEqual(ermtest.metric(s, "ermgw_bearer_link_up", bearer="sip", link="0"), 1)
        self.assertEqual(ermtest.metric(s, "ermgw_bearer_binds_total", bearer="sip"), 1)
        self.assertEqual(ermtest.metric(s, "ermgw_bearer_window_size", bearer="sip", link="0"),
                         100)  # [sip] max_calls
        _, mark = self.call("13900000301", self.phone)
        self.assertEqual(self.prompt(mark), "10/ordered")
        _, mark = self.call("anonymous", self.phone)
        self.assertEqual(self.prompt(mark), "help")
        s = ermtest.scrape(self.admin)
        self.assertEqual(ermtest.metric(s, "ermgw_orders_total", channel="phone"), 1)
        self.assertEqual(ermtest.metric(s, "ermgw_orders_total", channel="sms"), 0)
        self.assertEqual(ermtest.metric(s, "ermgw_mo_refused_total", channel="phone",
                                        reason="not_mobile"), 1)
        self.assertEqual(ermtest.metric(s, "ermgw_mo_refused_total", channel="sms",
                                        reason="not_mobile"), 0)
        ermtest.wait_until(lambda: ermtest.metric(ermtest.scrape(self.admin),
                                                  "ermgw_bearer_window_in_use", bearer="sip",
                                                  link="0") == 0, "no call in progress")


class PhoneStop(PhoneCase):
    def test_sigterm_lets_the_call_in_progress_finish(self):
        """SIGTERM while a prompt plays: new calls get 503, the call in progress hears its
        prompt to the end and gets its BYE, then ermgw exits 0."""
        caller = "13900000301"
        mark = self.gw.log.mark()
        s = Sipp(self.dir, "phone_call", self.sip_port, self.phone,
                 extra=("-key", "caller", caller), background=True)
        self.gw.log.wait(r"call \d+: prompt", start=mark)
        self.gw.proc.send_signal(signal.SIGTERM)
        self.gw.log.wait(r"stopping", start=mark)
        busy = Sipp(self.dir, "phone_busy", self.sip_port, self.phone,
                    extra=("-key", "caller", "13900000302"))
        self.assertRegex(busy.messages(), r"Retry-After: \d+")
        s.wait()  # the BYE came after the whole prompt
        self.gw.log.wait(r"call \d+ ended: played", start=mark)
        self.assertEqual(self.gw.proc.wait(timeout=ermtest.DEFAULT_TIMEOUT), 0)
        self.assertEqual(self.orders_of(caller), [("10001", "10", "phone")])

class PhoneDatabaseDown(PhoneCase):
    def test_database_down_503_nothing_written(self):
        caller = "13900000201"
        self.pg.stop()
        try:
            self.gw.log.wait(r"database down")
            s, mark = self.call(caller, self.phone, scenario="phone_busy")
            self.assertRegex(s.messages(), r"Retry-After: \d+")
        finally:
            self.pg.start()
        self.gw.log.wait(r"database up", start=mark)
        self.assertEqual(self.orders_of(caller), [])
        self.assertEqual(self.outbox_kinds(caller), [])
        self.assertEqual(int(self.pg.scalar("SELECT count(*) FROM mo_log")), 0)

    def test_missing_prompt_stops_start_up(self):
        empty = os.path.join(self.dir, "no-prompts")
        os.mkdir(empty)
        gw = ermtest.Daemon(self.pg, self.sim.port,
                            extra_config=sip_config(free_port(), self.rtp, empty))
        try:
            self.assertEqual(gw.proc.wait(timeout=ermtest.DEFAULT_TIMEOUT), 1)
            gw.log.wait(r"\[sip\] prompts: .*ordered\.wav")
        finally:
            gw.stop()
        self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0, "\n".join(gw.log.lines))


if __name__ == "__main__":
    ermtest.main()
