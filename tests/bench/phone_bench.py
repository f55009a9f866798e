"""phone_bench.py: the phone mode of ermgw's benchmark (issue 12): `scripts/bench.sh --phone`.

One run:
  1. starts a throwaway PostgreSQL 15 cluster (default durability) and loads the benchmark's
     realistic pool (bench.py: 100 products, 100,000 employees and claimed codes);
  2. writes prompts of PROMPT_SECONDS each (a tone, 8 kHz 16-bit WAV) for ermgw's [sip];
  3. starts the load SMSC (tests/bench/load_smsc.c) offering SMS_RATE MO orders a second for
     the whole run (0: none: the SMSC binds and stays idle), then ermgw bound to it with [sip]
     on loopback;
  4. SIPp (Debian sip-tester) plays the carrier's switch: RATE call attempts a second for
     SECONDS, each from a distinct caller, to phone codes drawn from the pool, with the
     scenario tests/sip/phone_load.xml (INVITE, 200 with SDP, ACK, the prompt, our BYE);
  5. waits for every call to end, stops ermgw and reads: failed calls (SIPp's own count),
     INVITE->200 p50/p99 (SIPp's response-time trace), calls in progress at the peak
     (SIPp's statistics), orders by phone stored, SMS orders acknowledged a second
     meanwhile, the group commit's transactions (count, mean orders, mean ms: ermgw's
     /metrics), ermgw's CPU per call, how busy the whole machine was, and the RTP send
     lateness over every frame of the run (how long after its 20 ms schedule each frame
     left: ermgw's media clock logs its histogram's p50/p99/max at stop).

Every wait has a deadline; everything started is stopped. Python 3 stdlib.
"""
import argparse
import csv
import glob
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
import bench  # noqa: E402  (also sets ERM_SOURCE_DIR / ERM_BUILD_DIR defaults)
import ermtest  # noqa: E402
from test_sip_trunk import PROMPTS, free_port, write_wav  # noqa: E402

SCENARIO = os.path.join(SOURCE_DIR, "tests", "sip", "phone_load.xml")
RTP_LINE = re.compile(r"rtp: (\d+) streams, (\d+) frames sent, (\d+) lost to a full socket; "
                      r"frames left after their time by p50 ([\d.]+) ms, p99 ([\d.]+) ms, "
                      r"max ([\d.]+) ms")


def phone_args():
    env = os.environ.get
    ap = argparse.ArgumentParser(description="ermgw's phone benchmark (SIPp against ermgw)")
    ap.add_argument("--rate", type=float, default=float(env("ERM_BENCH_CALL_RATE", "300")),
                    help="call attempts per second [300]")
    ap.add_argument("--seconds", type=float, default=float(env("ERM_BENCH_CALL_SECONDS", "20")),
                    help="length of the call load [20]")
    ap.add_argument("--prompt-seconds", type=float,
                    default=float(env("ERM_BENCH_PROMPT_SECONDS", "4")),
                    help="length of every prompt [4]")
    ap.add_argument("--sms-rate", type=float, default=float(env("ERM_BENCH_SMS_RATE", "1000")),
                    help="MO orders per second offered by SMS during the calls [1000]")
    ap.add_argument("--json", default=env("ERM_BENCH_JSON", ""), help="figures as JSON here")
    return ap.parse_args()


def pct(values, q):
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


class PhoneBench:
    def __init__(self, a, pg, workdir):
        self.a = a
        self.pg = pg
        self.dir = workdir
        self.calls = int(a.rate * a.seconds)

    def setup(self):
        ba = argparse.Namespace(no_notes=False, config="", log_level="info")
        b = bench.Bench(ba, self.pg, self.dir)
        b.load_pool()
        with open(b.codes) as f:
            self.codes = [line.strip() for line in f if line.strip()]
        self.prompts = os.path.join(self.dir, "prompts")
        os.makedirs(self.prompts)
        for i, p in enumerate(PROMPTS):
            write_wav(os.path.join(self.prompts, p + ".wav"), self.a.prompt_seconds, 300 + 50 * i)
        # SIPp's injection file: a distinct caller per call, and the phone code it dials.
        self.inf = os.path.join(self.dir, "calls.csv")
        rnd = random.Random(12)
        with open(self.inf, "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(self.calls):
                f.write("1371%07d;%s%s;\n" % (i, bench.BENCH_SERVICE, rnd.choice(self.codes)))

    def config(self, sip_port):
        # Ports for every call in progress at the peak, twice over (RTP even, RTCP odd), and
        # calls enough that none is refused for want of a slot.
        peak = int(self.a.rate * (self.a.prompt_seconds + 3)) + 200
        lo = 30000
        self.admin_port = ermtest.free_port()  # /metrics at the end: the batches formed
        return ("[log]\nlevel = info\n[admin]\nlisten = 127.0.0.1:%d\n[sip]\nlisten = 127.0.0.1:%d\npeers = 127.0.0.1\n"
                "rtp_ports = %d-%d\nprompts = %s\nmax_calls = %d\n" % (
                    self.admin_port, sip_port, lo, lo + 2 * peak + 1, self.prompts, peak))

    def sipp(self, sip_port):
        stats = os.path.join(self.dir, "sipp_stats.csv")
        cmd = ["sipp", "-sf", SCENARIO, "-inf", self.inf, "-s", "unused",
               "-m", str(self.calls), "-r", str(self.a.rate), "-l", str(self.calls),
               "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
               "-t", "u1", "127.0.0.1:%d" % sip_port, "-nostdin",
               "-timeout", "%ds" % int(self.a.seconds + 120), "-timeout_error",
               "-trace_stat", "-stf", stats, "-fd", "1",
               "-trace_rtt", "-rtt_freq", "1", "-trace_err", "-error_file",
               os.path.join(self.dir, "sipp.err"), "-max_socket", "65000"]
        return subprocess.Popen(cmd, cwd=self.dir, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def sipp_figures(self):
        rtts = []
        for path in glob.glob(os.path.join(self.dir, "*_rtt.csv")):
            with open(path) as f:
                for row in csv.DictReader(f, delimiter=";"):
                    v = row.get("response_time_ms")
                    if v:
                        rtts.append(float(v))
        peak, failed, ok = 0, None, None
        with open(os.path.join(self.dir, "sipp_stats.csv")) as f:
            rows = list(csv.DictReader(f, delimiter=";"))
        for row in rows:
            peak = max(peak, int(row.get("CurrentCall", "0") or 0))
        if rows:
            failed = int(rows[-1]["FailedCall(C)"])
            ok = int(rows[-1]["SuccessfulCall(C)"])
        return rtts, peak, failed, ok

    def run(self):
        sip_port = free_port()
        sms_count = int(self.a.sms_rate * (self.a.seconds + 10))
        load = bench.BenchLoad(self.a_codes_file(), max(sms_count, 1), 100,
                               self.a.sms_rate if sms_count > 0 else 1, 0,
                               self.a.seconds + 600)
        gw = None
        try:
            gw = ermtest.Daemon(self.pg, load.port, service=bench.BENCH_SERVICE,
                                extra_config=self.config(sip_port))
            gw.log.wait(r"sip: listening on ")
            pid = gw.proc.pid
            cpu0, t0 = bench.bench_proc_cpu(pid), time.monotonic()
            sys0 = bench.bench_sys_cpu()
            sms0 = self.sms_orders()
            sipp = self.sipp(sip_port)
            try:
                _, err = sipp.communicate(timeout=self.a.seconds + 180)
            except subprocess.TimeoutExpired:
                sipp.kill()
                sipp.communicate()
                raise AssertionError("sipp did not end")
            elapsed = time.monotonic() - t0
            cpu = bench.bench_proc_cpu(pid) - cpu0
            sys1 = bench.bench_sys_cpu()
            sms_during = self.sms_orders() - sms0
            batches = self.batches()
            rc = gw.stop()
            if rc != 0:
                raise AssertionError("ermgw exited %d" % rc)
            log = "\n".join(gw.log.lines)
            gw = None
        finally:
            if gw is not None:
                gw.stop()
            load.close(timeout=1)
        m = RTP_LINE.search(log)
        if m is None:
            raise AssertionError("no rtp line in ermgw's log")
        rtts, peak, failed, ok = self.sipp_figures()
        orders = int(self.pg.scalar("SELECT count(*) FROM orders WHERE channel = 'phone'"))
        sms_orders = self.sms_orders()
        return {
            "calls": self.calls, "rate": self.a.rate, "prompt_s": self.a.prompt_seconds,
            "sipp_rc": sipp.returncode, "successful": ok, "failed": failed,
            "invite_200_p50_ms": pct(rtts, 0.50), "invite_200_p99_ms": pct(rtts, 0.99),
            "peak_calls": peak, "orders_by_phone": orders, "orders_by_sms": sms_orders,
            "sms_rate": self.a.sms_rate, "elapsed_s": elapsed,
            "cpu_ms_per_call": 1000.0 * cpu / max(1, self.calls),
            "sms_per_s": sms_during / elapsed if elapsed > 0 else 0.0,
            "machine_busy": (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1]),
            "batches": batches[0], "batch_mean": batches[1], "batch_ms": batches[2],
            "streams": int(m.group(1)), "frames": int(m.group(2)), "unsent": int(m.group(3)),
            "late_p50_ms": float(m.group(4)), "late_p99_ms": float(m.group(5)),
            "late_max_ms": float(m.group(6)), "sipp_err": err[-2000:],
        }

    def sms_orders(self):
        return int(self.pg.scalar("SELECT count(*) FROM orders WHERE channel = 'sms'"))

    def batches(self):
        """(group-commit transactions, mean orders in one, mean ms from BEGIN to COMMIT),
        calls' and SMS' together, from ermgw's /metrics."""
        m = ermtest.scrape(self.admin_port)
        n = ermtest.metric(m, "ermgw_order_batch_size_count")
        if n == 0:
            return 0, 0.0, 0.0
        return (int(n), ermtest.metric(m, "ermgw_order_batch_size_sum") / n,
                ermtest.metric(m, "ermgw_order_batch_duration_seconds_sum") * 1000.0 / n)

    def a_codes_file(self):
        return os.path.join(self.dir, "codes.txt")


def report(r):
    return "\n".join([
        "phone: %d call attempts at %.0f/s, %.0f s prompts, %s SMS orders/s offered alongside"
        % (r["calls"], r["rate"], r["prompt_s"], "%.0f" % r["sms_rate"]),
        "  calls: %s successful, %s failed (SIPp exit %d); orders by phone stored: %d; "
        "by SMS: %d" % (r["successful"], r["failed"], r["sipp_rc"], r["orders_by_phone"],
                        r["orders_by_sms"]),
        "  INVITE->200: p50 %.1f ms, p99 %.1f ms; calls in progress at the peak: %d"
        % (r["invite_200_p50_ms"], r["invite_200_p99_ms"], r["peak_calls"]),
        "  RTP: %d streams, %d frames, %d lost to a full socket; send lateness p50 %.2f ms, "
        "p99 %.2f ms, max %.2f ms" % (r["streams"], r["frames"], r["unsent"], r["late_p50_ms"],
                                       r["late_p99_ms"], r["late_max_ms"]),
        "  SMS orders acknowledged meanwhile: %.0f/s (the load SMSC's window is 100)"
        % r["sms_per_s"],
        "  group commit: %d transactions, %.1f orders and %.2f ms each on average"
        % (r["batches"], r["batch_mean"], r["batch_ms"]),
        "  ermgw CPU: %.2f ms per call (SMS load included); the machine %.0f %% busy"
        % (r["cpu_ms_per_call"], 100.0 * r["machine_busy"]),
    ])


def main():
    a = phone_args()
    if shutil.which("sipp") is None:
        print("phone bench: sipp not installed (scripts/deps.sh installs sip-tester)")
        return 2
    workdir = tempfile.mkdtemp(prefix="ermbench-phone-")
    la = os.getloadavg()[0]
    if la > 0.5:
        bench.bench_log("warning: load average %.2f before the start: other work on this "
                        "machine skews the figures" % la)
    try:
        with ermtest.PgCluster() as pg:
            pb = PhoneBench(a, pg, workdir)
            pb.setup()
            r = pb.run()
        r["loadavg_at_start"] = la
        print(report(r), flush=True)
        if a.json:
            import json
            with open(a.json, "w") as f:
                json.dump(r, f, indent=2)
        return 0 if r["failed"] == 0 and r["sipp_rc"] == 0 else 1
    finally:
        if not os.environ.get("ERM_BENCH_KEEP"):
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print("phone bench: kept %s" % workdir)


if __name__ == "__main__":
    sys.exit(main())
