"""The SIP trunk (gateway/sip_trunk.c) against SIPp, a SIP peer nobody here wrote, through
tests/sip_probe (the trunk alone on a loop; each call's outcome from its command line; its
events on stdout). Every SIPp scenario in tests/sip/ is played and must pass; the probe's
events say what the trunk reported up (one call per INVITE, how each ended), and it must
stop with exit status 0 (no sanitizer report). One test captures the RTP on loopback with
tcpdump and checks the payload is exactly the prompt's G.711 bytes, with sequence numbers,
timestamps, SSRC and marker as RFC 3550 wants."""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402  (Python's own G.711: an encoder independent of ours)

SCENARIOS = os.path.join(ermtest.SOURCE_DIR, "tests", "sip")
PROMPTS = ("ordered", "already", "unknown", "closed", "leaver", "help")
ORDERED, HOLD, REJECT, ERR = "1008610001", "1008610003", "1008610002", "1008610004"


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


def write_wav(path, seconds, freq):
    """An 8 kHz mono 16-bit WAV of a rising tone (no two frames alike); returns its PCM."""
    n = int(8000 * seconds)
    pcm = bytearray()
    phase = 0.0
    import math
    for i in range(n):
        phase += 2 * math.pi * (freq + i * 0.05) / 8000
        pcm += struct.pack("<h", int(12000 * math.sin(phase)))
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16))
        f.write(b"data" + struct.pack("<I", len(pcm)) + bytes(pcm))
    return bytes(pcm)


class Probe:
    """tests/sip_probe on a port of its own; stopped with SIGTERM, exit status checked."""

    def __init__(self, prompts, args=(), peers="127.0.0.1, ::1"):
        self.port = free_port()
        listen = "[::1]:%d" % self.port if peers == "::1" else "127.0.0.1:%d" % self.port
        rtp = 20000 + 200 * (self.port % 100)
        cmd = [ermtest.binary("sip_probe"), "--listen", listen,
               "--peers", peers, "--prompts", prompts, "--rtp-ports",
               "%d-%d" % (rtp, rtp + 99), "--t1-ms", "100", "--pad-ms", "300"] + list(args)
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1, env=env)
        self.out = ermtest._LineReader(self.proc.stdout)
        self.err = ermtest._LineReader(self.proc.stderr)
        self.out.wait(r"^ready ")

    def calls(self):
        return self.out.count(r"^call ")

    def wait_end(self, reason, start=0, timeout=ermtest.DEFAULT_TIMEOUT):
        _, m = self.out.wait(r"^end (\d+) (\S+)$", start=start, timeout=timeout)
        if m.group(2) != reason:
            raise AssertionError("call ended %s, not %s:\n%s" % (
                m.group(2), reason, "\n".join(self.out.lines)))
        return int(m.group(1))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=ermtest.DEFAULT_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("sip_probe did not stop")
        self.out.thread.join(timeout=5)
        self.err.thread.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


class Sipp:
    """One SIPp run of a scenario in tests/sip/ (one call unless told), UDP unless
    TRANSPORT is "t1"; keeps the message trace for the checks."""

    def __init__(self, workdir, scenario, port, service, transport="u1", calls=1,
                 background=False, timeout=30, host="127.0.0.1", extra=()):
        self.name = scenario
        self.trace = os.path.join(workdir, "%s-%d.msg" % (scenario, time.monotonic_ns()))
        self.errors = self.trace + ".err"
        cmd = ["sipp", "-sf", os.path.join(SCENARIOS, scenario + ".xml"), "-s", service,
               "-m", str(calls), "-i", host, "-p", str(free_port()),
               "-mp", str(free_port()), "-t", transport,
               ("[%s]:%d" if ":" in host else "%s:%d") % (host, port),
               "-timeout", "%ds" % timeout, "-timeout_error", "-nostdin",
               "-trace_msg", "-message_file", self.trace, "-trace_err", "-error_file",
               self.errors] + list(extra)
        self.proc = subprocess.Popen(cmd, cwd=workdir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.timeout = timeout + 15
        if not background:
            self.wait()

    def wait(self):
        try:
            _, err = self.proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("sipp %s hung" % self.name)
        if self.proc.returncode != 0:
            raise AssertionError("sipp %s failed (%d): %s\n%s" % (
                self.name, self.proc.returncode, err.strip()[-2000:], self.read(self.errors)))

    @staticmethod
    def read(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def messages(self):
        return self.read(self.trace)


class Capture:
    """tcpdump on loopback, writing a pcap of the UDP traffic to or from PORTS."""

    def __init__(self, path, ports):
        flt = "udp and (%s)" % " or ".join("port %d" % p for p in ports)
        self.path = path
        self.proc = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-w",
                                      path, flt],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.err = ermtest._LineReader(self.proc.stderr)
        self.err.wait(r"listening on lo")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)
        self.err.thread.join(timeout=5)
        self.proc.stderr.close()

    def udp(self):
        """[(time, src_port, dst_port, payload)] of the IPv4 UDP packets captured."""
        out = []
        with open(self.path, "rb") as f:
            data = f.read()
        magic = struct.unpack("<I", data[:4])[0]
        endian = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
        link = struct.unpack(endian + "I", data[20:24])[0]
        pos = 24
        while pos + 16 <= len(data):
            sec, frac, incl, _ = struct.unpack(endian + "IIII", data[pos:pos + 16])
            pkt = data[pos + 16:pos + 16 + incl]
            pos += 16 + incl
            off = 14 if link == 1 else 16 if link == 113 else 4 if link == 0 else 0
            ip = pkt[off:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 15) * 4
            sport, dport, ulen = struct.unpack(">HHH", ip[ihl:ihl + 6])
            out.append((sec + frac / 1e6, sport, dport, ip[ihl + 8:ihl + ulen]))
        return out


def rtp_check(test, packets, payload_type, expected):
    """PACKETS is the RTP a call received in order: one stream, PAYLOAD_TYPE, marker on the
    first only, sequence +1 and timestamp +160 each, constant SSRC, and the payloads
    together exactly EXPECTED."""
    test.assertEqual(len(packets), len(expected) // 160)
    ssrc = None
    body = b""
    for i, p in enumerate(packets):
        test.assertGreaterEqual(len(p), 12)
        b0, b1, seq, ts, s = struct.unpack(">BBHII", p[:12])
        test.assertEqual(b0, 0x80, "version 2, no padding, extension or CSRC")
        test.assertEqual(b1 & 0x7F, payload_type)
        test.assertEqual(bool(b1 & 0x80), i == 0, "marker on the first packet only")
        if i == 0:
            ssrc, seq0, ts0 = s, seq, ts
        else:
            test.assertEqual(s, ssrc)
            test.assertEqual(seq, (seq0 + i) & 0xFFFF)
            test.assertEqual(ts, (ts0 + 160 * i) & 0xFFFFFFFF)
        test.assertEqual(len(p), 12 + 160)
        body += p[12:]
    test.assertEqual(body, expected, "the payload is the prompt, byte for byte")


class SipTrunk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if shutil.which("sipp") is None:
            raise unittest.SkipTest("sipp not installed (scripts/deps.sh installs sip-tester)")
        cls.dir = tempfile.mkdtemp(prefix="ermtest-sip-")
        cls.prompts = os.path.join(cls.dir, "prompts")
        os.mkdir(cls.prompts)
        cls.pcm = {}
        for i, p in enumerate(PROMPTS):
            # 'help' is long enough for a BYE in its middle; the others keep tests short
            secs = 4.0 if p == "help" else 1.0 + 0.01 * i
            cls.pcm[p] = write_wav(os.path.join(cls.prompts, p + ".wav"), secs, 300 + 50 * i)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def probe(self, *args, **kw):
        kw.setdefault("peers", "127.0.0.1, ::1")
        p = Probe(self.prompts, ["--answer", ORDERED + "=ordered", "--answer", "1008610005=help",
                                 "--reject", REJECT + "=503:60", "--hold", HOLD] + list(args),
                  **kw)
        self.addCleanup(self.stopped, p)
        return p

    def stopped(self, p):
        rc = p.stop()
        self.assertEqual(rc, 0, "sip_probe exit status; stderr:\n" + "\n".join(p.err.lines[-30:]))
        self.assertIn("stopped", p.out.lines)

    def sipp(self, probe, scenario, service=ORDERED, **kw):
        return Sipp(self.dir, scenario, probe.port, service, **kw)

    def test_options(self):
        p = self.probe()
        self.sipp(p, "options")
        self.sipp(p, "options", transport="t1")
        self.assertEqual(p.calls(), 0)

    def answered(self, scenario, pt, law):
        p = self.probe()
        cap_path = os.path.join(self.dir, scenario + ".pcap")
        rtp = 20000 + 200 * (p.port % 100)
        cap = Capture(cap_path, [p.port] + list(range(rtp, rtp + 100, 2)))
        try:
            s = self.sipp(p, scenario)
        finally:
            time.sleep(0.2)  # --immediate-mode -U: each packet is written as it comes
            cap.stop()
        p.wait_end("played")
        pkts = cap.udp()
        media = [(t, d) for (t, sp, dp, d) in pkts if rtp <= sp < rtp + 100]
        byes = [t for (t, sp, dp, d) in pkts if sp == p.port and d.startswith(b"BYE ")]
        pcm = self.pcm["ordered"]
        pad = (-len(pcm) // 2) % 160
        expected = law(pcm, 2) + (b"\xd5" if pt == 8 else b"\xff") * pad
        rtp_check(self, [d for _, d in media], pt, expected)
        self.assertEqual(len(byes), 1, "one BYE")
        self.assertGreater(byes[0], media[-1][0] + 0.25, "the BYE waits for the prompt's end")
        self.assertIn("a=sendrecv", s.messages())
        return p

    def test_answered_pcma_rtp_is_the_prompt(self):
        p = self.answered("answered", 8, audioop.lin2alaw)
        p.out.wait(r"^call 1 13800138000 %s$" % ORDERED)

    def test_answered_pcmu_and_asserted_identity(self):
        p = self.answered("answered_pcmu", 0, audioop.lin2ulaw)
        p.out.wait(r"^call 1 \+8613900139000 %s$" % ORDERED)

    def test_answered_over_tcp(self):
        p = self.probe()
        self.sipp(p, "answered", transport="t1")
        p.wait_end("played")

    def test_reject_503_with_retry_after(self):
        p = self.probe()
        s = self.sipp(p, "rejected", service=REJECT)
        p.wait_end("rejected")
        self.assertIn("Retry-After: 60", s.messages())

    def test_undecided_call_gets_503(self):
        p = self.probe("--decide-ms", "300")
        self.sipp(p, "rejected", service=HOLD)
        p.wait_end("timeout")

    def test_cancel_before_answer(self):
        p = self.probe()
        self.sipp(p, "cancel", service=HOLD)
        p.wait_end("cancelled")
        # an answer that comes back after the CANCEL finds the call gone
        self.assertEqual(p.calls(), 1)

    def test_missing_ack_retransmits_then_bye(self):
        p = self.probe()
        s = self.sipp(p, "no_ack")
        p.wait_end("no_ack")
        oks = s.messages().count("SIP/2.0 200 OK\n") + s.messages().count("SIP/2.0 200 OK\r\n")
        # T1 = 100 ms doubling to T2 = 800 ms for 64*T1 = 6.4 s: about 11 copies
        self.assertGreaterEqual(oks, 6, "200 OK retransmitted until the give-up")

    def test_malformed_and_oversized(self):
        p = self.probe()
        self.sipp(p, "malformed")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            for junk in (b"\x00\xff garbage\r\n\r\n", b"INVITE\r\n\r\n",
                         b"INVITE sip:1@x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx"
                         b"\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\nContent-Length: 99999\r\n\r\nv=0",
                         b"OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9\r\nX: " +
                         b"a" * 30000 + b"\r\n\r\n"):
                u.sendto(junk, ("127.0.0.1", p.port))
        with socket.create_connection(("127.0.0.1", p.port)) as t:
            t.sendall(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 99999999\r\n\r\n")
            t.settimeout(5)
            self.assertEqual(t.recv(100), b"", "a TCP frame we cannot take closes the link")
        self.sipp(p, "options")  # still alive
        self.assertEqual(p.calls(), 0)

    def test_mutated_messages_never_crash(self):
        """400 mutations of a valid INVITE (bytes flipped, cut, repeated), sent as fast as
        UDP goes: whatever each gets (a call, 400, nothing), the trunk still answers OPTIONS
        afterwards and stops clean (no sanitizer report)."""
        import random
        p = self.probe("--decide-ms", "200")
        rnd = random.Random(12)
        base = (b"INVITE sip:%s@127.0.0.1:%d SIP/2.0\r\n"
                b"Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK-m%%d\r\n"
                b"From: <sip:13800138000@127.0.0.1>;tag=t%%d\r\nTo: <sip:%s@127.0.0.1>\r\n"
                b"Call-ID: m%%d\r\nCSeq: 1 INVITE\r\nContent-Type: application/sdp\r\n"
                b"Content-Length: 80\r\n\r\nv=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
                b"c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 8 0\r\n"
                % (HOLD.encode(), p.port, HOLD.encode()))
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            for i in range(400):
                m = bytearray(base % (i, i, i))
                for _ in range(rnd.randint(1, 8)):
                    k = rnd.randrange(len(m))
                    op = rnd.randrange(3)
                    if op == 0:
                        m[k] = rnd.randrange(256)
                    elif op == 1:
                        del m[k:k + rnd.randint(1, 20)]
                    else:
                        m[k:k] = m[k:k + rnd.randint(1, 40)]
                u.sendto(bytes(m), ("127.0.0.1", p.port))
        self.sipp(p, "options")

    def test_ipv6(self):
        p = self.probe()
        s = Sipp(self.dir, "options", p.port, ORDERED)
        self.assertIn("SIP/2.0 200 OK", s.messages())
        v6 = Probe(self.prompts, ["--answer", ORDERED + "=ordered"], peers="::1")
        self.addCleanup(self.stopped, v6)
        Sipp(self.dir, "answered", v6.port, ORDERED, host="::1")
        v6.wait_end("played")

    def test_retransmitted_invite_is_one_call(self):
        p = self.probe()
        self.sipp(p, "retransmit")
        p.wait_end("played")
        self.assertEqual(p.calls(), 1)

    def test_caller_bye_mid_prompt(self):
        p = self.probe()
        self.sipp(p, "caller_bye", service="1008610005")
        p.wait_end("caller_bye")

    def test_mid_dialog_requests_answered(self):
        p = self.probe()
        self.sipp(p, "mid_dialog", service="1008610005")
        p.wait_end("caller_bye")

    def test_peer_not_allowed_gets_403(self):
        p = self.probe(peers="192.0.2.0/24")
        self.sipp(p, "forbidden")
        self.assertEqual(p.calls(), 0)

    def test_no_common_codec_gets_488(self):
        p = self.probe()
        self.sipp(p, "no_codec")
        self.assertEqual(p.calls(), 0)

    def test_max_calls(self):
        p = self.probe("--max-calls", "1")
        held = self.sipp(p, "cancel", service=HOLD, background=True)
        p.out.wait(r"^call 1 ")
        s = self.sipp(p, "rejected", service=ORDERED)
        held.wait()
        p.wait_end("cancelled")
        self.assertEqual(p.calls(), 1, "the call over max_calls never went up")
        self.assertIn("Retry-After: 30", s.messages())
        p.err.wait(r"max_calls \(1\) reached")

    def test_drain(self):
        p = self.probe()
        p.signal(signal.SIGUSR1)
        p.out.wait(r"^draining$")
        self.sipp(p, "rejected", service=ORDERED)
        self.sipp(p, "options")
        self.assertEqual(p.calls(), 0)

    def test_strip_prefix(self):
        p = self.probe("--strip-prefix", "+86,86")
        self.sipp(p, "answered", service="+86" + ORDERED)
        p.out.wait(r"^call 1 13800138000 %s$" % ORDERED)
        p.wait_end("played")

    def test_stop_with_calls_in_progress(self):
        p = self.probe()
        held = self.sipp(p, "cancel", service=HOLD, background=True)
        p.out.wait(r"^call 1 ")
        self.assertEqual(p.stop(), 0)
        p.out.wait(r"^end 1 stopped$")
        held.proc.kill()
        held.proc.communicate()

    def test_built_prompts_load_and_missing_prompt_fails(self):
        built = os.path.join(ermtest.BUILD_DIR, "prompts")
        p = Probe(built)
        self.assertEqual(p.stop(), 0)
        broken = os.path.join(self.dir, "broken")
        shutil.copytree(self.prompts, broken)
        os.remove(os.path.join(broken, "leaver.wav"))
        r = subprocess.run([ermtest.binary("sip_probe"), "--listen", "127.0.0.1:%d" % free_port(),
                            "--peers", "127.0.0.1", "--prompts", broken], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("leaver.wav: No such file or directory", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
