"""A hostile SMSC written here with a raw socket (PDUs built by hand, independent of the code
under test) against the real ermgw (issue 15):
- it floods enquire_link and never reads the answers: ermgw stops reading when its write
  queue passes smpp_wq_pause, its RSS stays bounded (it grew one-for-one with the unsent
  answers before), and the link is dropped when nothing drained for smpp_wq_stall; an order
  goes through on the next link;
- it sends 1,000 generic_nacks: a handful of warning lines, not 1,000 (rate-limited, with a
  "more like it" summary); an order goes through after.
The daemon must exit 0 with no sanitizer report."""
import os
import re
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

GENERIC_NACK = 0x80000000
BIND_TRX = 0x00000009
BIND_TRX_RESP = 0x80000009
SUBMIT_SM = 0x00000004
SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
ENQUIRE_LINK = 0x00000015


def pdu(command_id, seq, body=b"", status=0):
    return struct.pack(">IIII", 16 + len(body), command_id, status, seq) + body


def deliver_sm(seq, source, text, dest="10086"):
    sm = text.encode("ascii")
    body = (b"\x00" + b"\x01\x01" + source.encode() + b"\x00" + b"\x00\x01" + dest.encode()
            + b"\x00" + b"\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00\x00"
            + bytes([len(sm)]) + sm)
    return pdu(DELIVER_SM, seq, body)


def vm_rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


class RawSmsc:
    """A listening socket with a small receive buffer (inherited by what it accepts), and
    one accepted link at a time, spoken to PDU by PDU."""

    def __init__(self, rcvbuf=4096):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.conn = None
        self.buf = b""

    def accept_bind(self, timeout=ermtest.DEFAULT_TIMEOUT):
        """Accepts ermgw's next connection and answers its bind_transceiver with 0."""
        self.lsock.settimeout(timeout)
        self.conn, _ = self.lsock.accept()
        self.conn.settimeout(timeout)
        self.buf = b""
        cmd, _, seq, _ = self.read_pdu()
        assert cmd == BIND_TRX, hex(cmd)
        self.conn.sendall(pdu(BIND_TRX_RESP, seq, b"rawsmsc\x00"))

    def read_pdu(self):
        while True:
            if len(self.buf) >= 16:
                n, cmd, status, seq = struct.unpack(">IIII", self.buf[:16])
                if len(self.buf) >= n:
                    body, self.buf = self.buf[16:n], self.buf[n:]
                    return cmd, status, seq, body
            data = self.conn.recv(65536)
            if not data:
                raise EOFError("ermgw closed the link")
            self.buf += data

    def read_until(self, want, seq=None):
        """PDUs until one of WANT (and SEQ); enquire_links on the way are answered."""
        while True:
            cmd, status, s, body = self.read_pdu()
            if cmd == ENQUIRE_LINK:
                self.conn.sendall(pdu(0x80000015, s))
            elif cmd == want and (seq is None or s == seq):
                return status, s, body

    def drop(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def close(self):
        self.drop()
        self.lsock.close()


class HostileSmsc(ermtest.PoolCase):
    def start(self):
        smsc = RawSmsc()
        self.addCleanup(smsc.close)
        # info: a million enquire_links at debug would be a million log lines
        gw = ermtest.Daemon(self.pg, smsc.port, extra_config="[log]\nlevel = info\n")
        self.addCleanup(self.stop_clean, gw)
        smsc.accept_bind()
        gw.log.wait(r"bound to 127\.0\.0\.1:%d" % smsc.port)
        gw.log.wait(r"database up")
        return smsc, gw

    def order(self, smsc, customer, seq):
        """An order by hand: deliver_sm_resp 0, the confirmation's submit_sm, one order."""
        smsc.conn.sendall(deliver_sm(seq, customer, self.code))
        status, _, _ = smsc.read_until(DELIVER_SM_RESP, seq)
        self.assertEqual(status, 0)
        while True:
            _, s, body = smsc.read_until(SUBMIT_SM)
            smsc.conn.sendall(pdu(SUBMIT_SM_RESP, s, b"m%d\x00" % s))
            if customer.encode() + b"\x00" in body:
                break
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders WHERE customer = :'p1'",
                                        customer), "1")

    def test_flood_without_reading_is_bounded(self):
        smsc, gw = self.start()
        rss0 = vm_rss_kb(gw.proc.pid)
        # 64 MiB of enquire_links (4 million PDUs) owed 64 MiB of answers, none read
        chunk = b"".join(pdu(ENQUIRE_LINK, 1 + i) for i in range(65536))
        sent = [0]

        def flood():
            smsc.conn.settimeout(None)
            try:
                for _ in range(64):
                    smsc.conn.sendall(chunk)
                    sent[0] += len(chunk)
            except OSError:
                pass  # ermgw dropped the link

        t = threading.Thread(target=flood, daemon=True)
        t.start()
        mark = gw.log.mark()
        # until the flood is all sent or stuck (ermgw reads no more) for two seconds
        deadline, last = time.time() + 120, -1
        while t.is_alive() and sent[0] != last and time.time() < deadline:
            last = sent[0]
            time.sleep(2)
        rss = vm_rss_kb(gw.proc.pid)
        self.assertLess(rss - rss0, 24 * 1024, "RSS grew from %d kB to %d kB (%d bytes sent)"
                        % (rss0, rss, sent[0]))
        self.assertLess(sent[0], 64 * len(chunk), "ermgw read the whole flood")
        gw.log.wait(r"does not read: \d+ bytes queued for it, above smpp_wq_pause \d+; "
                    r"reading paused", start=mark)
        # nothing drains: the link is dropped after smpp_wq_stall (30 s), with one line
        gw.log.wait(r"read nothing for 30000 ms with \d+ bytes queued for it \(reading paused, "
                    r"smpp_wq_stall\); link dropped", start=mark, timeout=60)
        self.assertLess(vm_rss_kb(gw.proc.pid) - rss0, 24 * 1024)
        smsc.drop()
        t.join(timeout=10)
        # a fresh link works
        smsc.accept_bind()
        self.order(smsc, "13930000001", 7)

    def test_generic_nack_storm_rate_limited(self):
        smsc, gw = self.start()
        mark = gw.log.mark()
        smsc.conn.sendall(b"".join(pdu(GENERIC_NACK, 1000 + i, status=0x08)
                                   for i in range(1000)))
        # an order after: the storm was read through
        self.order(smsc, "13930000002", 5)
        warned = gw.log.count(r"generic_nack seq \d+", start=mark)
        self.assertGreaterEqual(warned, 1)
        self.assertLessEqual(warned, 3, "\n".join(gw.log.lines[mark:mark + 20]))
        # the rest is summed up when the next one comes after the interval
        time.sleep(10.5)  # ERM_LOG_LIMIT_MS
        smsc.conn.sendall(pdu(GENERIC_NACK, 5000, status=0x08))
        gw.log.wait(r"generic_nack seq 5000.*\(\d+ more like it in the last \d+ s\)", start=mark)


if __name__ == "__main__":
    unittest.main()
