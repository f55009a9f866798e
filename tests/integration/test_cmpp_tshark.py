"""An independent check of our CMPP bytes: a CMPP 3.0 session between the real ermgw and the
ISMG simulator (login, MOs in ASCII and UCS-2, the replies' SUBMITs, one of them long, their
responses, a status report, ACTIVE_TEST both ways, TERMINATE on stop) is captured on
loopback with tcpdump and read back by tshark's own CMPP dissector (Wireshark decodes the
3.0 layouts). No frame may be flagged malformed or carry an expert error, and the fields
tshark decodes must be what was sent: the SP id, the version, every SUBMIT's destination,
Src_Id, Msg_Fmt, TP_udhi, Registered_Delivery and content, every DELIVER's source and
destination, the report's Msg_Id and status. Skipped when tshark or tcpdump is missing."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

FIELDS = ["frame.number", "cmpp.Command_Id", "cmpp.connect.Source_Addr", "cmpp.Version",
          "cmpp.Dest_terminal_Id", "cmpp.submit.Src_Id", "cmpp.Msg_Fmt", "cmpp.TP_udhi",
          "cmpp.submit.Registered_Delivery", "cmpp.Msg_Length", "cmpp.Msg_Content",
          "cmpp.deliver.Src_terminal_Id", "cmpp.deliver.Dest_Id", "cmpp.deliver.Report.Status",
          "cmpp.Msg_Id", "cmpp.submit.Pk_total", "cmpp.submit.Pk_number"]
LONG_TEXT = "您好，" + "感谢您使用本业务，这是一条很长的测试消息。" * 9  # 3 UCS-2 parts


@unittest.skipUnless(shutil.which("tshark") and shutil.which("tcpdump"),
                     "tshark or tcpdump not installed (scripts/deps.sh installs them)")
class TsharkCheck(unittest.TestCase):
    def capture(self, path, port):
        proc = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-n", "-w",
                                 path, "tcp port %d" % port],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        err = ermtest._LineReader(proc.stderr)
        err.wait(r"listening on lo")
        return proc, err

    def tshark(self, path, port, *args):
        r = subprocess.run(["tshark", "-n", "-r", path, "-d", "tcp.port==%d,cmpp" % port] +
                           list(args), capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def session(self, pg, sim, code):
        """The traffic to check; returns what was sent: [(dest, text)] of the replies and the
        report's Msg_Id."""
        gw = ermtest.Daemon(pg, sim.port, cmpp_version="3.0")
        try:
            sim.wait_bound()
            gw.log.wait(r"database up")
            mark = sim.out.mark()
            self.assertEqual(sim.wait_mo_resp(sim.mo_text("13900000001", "10086", code)), 0)
            self.assertEqual(sim.wait_mo_resp(sim.mo_text("13900000002", "10086", "帮助")), 0)
            pg.psql("INSERT INTO outbox (dest, source, kind, text) "
                    "VALUES ('13900000003', '10086', 'test', :'p1')", LONG_TEXT)
            replies = []
            for dest in ("13900000001", "13900000002", "13900000003"):
                _, _, text = sim.wait_message(dest, start=mark)
                replies.append((dest, ermtest.sim_unescape(text)))
            _, m = sim.out.wait(r"^SUBMIT (\S+) 10086 13900000001 ", start=mark)
            self.assertEqual(sim.wait_mo_resp(sim.report("13900000001", m.group(1))), 0)
            sim.send("active_test")
            sim.out.wait(r"^RESP CMPP_ACTIVE_TEST_RESP", start=mark)
            rc = gw.stop()
            self.assertEqual(rc, 0, "\n".join(gw.log.lines[-30:]))
            sim.out.wait(r"^TERMINATE$", start=mark)
            return replies, m.group(1)
        finally:
            if gw.proc.poll() is None:
                gw.stop()

    def test_tshark_agrees(self):
        tmp = tempfile.mkdtemp(prefix="ermtest-cmpp-pcap-")
        path = os.path.join(tmp, "cmpp.pcap")
        try:
            with ermtest.PgCluster() as pg, ermtest.IsmgSim("3.0") as sim:
                code, _ = ermtest.setup_pool(pg)
                proc, err = self.capture(path, sim.port)
                try:
                    replies, report_id = self.session(pg, sim, code)
                finally:
                    proc.send_signal(signal.SIGINT)
                    proc.wait(timeout=10)
                    err.thread.join(timeout=5)
                    proc.stderr.close()
            self.check(path, sim.port, replies, report_id)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def frames(self, path, port):
        """Every CMPP PDU tshark decodes, as a dict of its fields (the last value of each;
        a TCP segment may carry several PDUs: one dict each), the content's raw bytes in
        "content" (None when it has none)."""
        out = json.loads(self.tshark(path, port, "-Y", "cmpp", "-T", "json", "-x",
                                      "--no-duplicate-keys"))  # several PDUs a segment
        pdus = []
        for pkt in out:
            layers = pkt["_source"]["layers"]
            cmpps = layers.get("cmpp")
            for c in [cmpps] if isinstance(cmpps, dict) else cmpps:
                flat = {}
                self.flatten(c, flat)  # with -x each field has its FIELD_raw beside it
                raw = flat.get("cmpp.Msg_Content_raw")
                flat["content"] = bytes.fromhex(raw[0]) if raw else None
                pdus.append(flat)
        return pdus

    def flatten(self, tree, into):
        for k, v in tree.items():
            if isinstance(v, dict):
                self.flatten(v, into)
            else:
                into[k] = v

    def check(self, path, port, replies, report_id):
        bad = self.tshark(path, port, "-Y", "_ws.malformed || _ws.expert.severity == error")
        self.assertEqual(bad.strip(), "", "frames tshark flags malformed or in error")
        pdus = self.frames(path, port)
        by_cmd = {}
        for p in pdus:
            by_cmd.setdefault(int(p["cmpp.Command_Id"], 16), []).append(p)
        (login,) = by_cmd[0x00000001]
        self.assertEqual(login["cmpp.connect.Source_Addr"], ermtest.IsmgSim.SP_ID)
        self.assertEqual(login["cmpp.Version"], "03.00")
        self.assertEqual(int(by_cmd[0x80000001][0]["cmpp.connect_resp.Status"]), 0)

        # every SUBMIT: fields as sent, contents (UDH stripped, parts joined) the replies
        texts = {}
        for sub in by_cmd[0x00000004]:
            self.assertEqual(sub["cmpp.submit.Src_Id"], "10086")
            self.assertEqual(sub["cmpp.Msg_Fmt"], "8")
            self.assertEqual(sub["cmpp.submit.Registered_Delivery"], "1")
            content = sub["content"]
            self.assertEqual(len(content), int(sub["cmpp.Msg_Length"]))
            total = int(sub["cmpp.submit.Pk_total"])
            if sub["cmpp.TP_udhi"] == "1":
                self.assertEqual(content[:3], bytes([5, 0, 3]))
                self.assertEqual((content[4], content[5]),
                                 (total, int(sub["cmpp.submit.Pk_number"])))
                content = content[6:]
            else:
                self.assertEqual(total, 1)
            texts.setdefault(sub["cmpp.Dest_terminal_Id"], []).append(content)
        got = {d: b"".join(parts).decode("utf-16-be") for d, parts in texts.items()}
        self.assertEqual(got, dict(replies))

        # the DELIVERs: the two MOs and the report, as the simulator sent them
        mos = [(d["cmpp.deliver.Src_terminal_Id"], d["cmpp.deliver.Dest_Id"])
               for d in by_cmd[0x00000005] if d.get("cmpp.deliver.Registered_Delivery") == "0"]
        self.assertEqual(sorted(mos), [("13900000001", "10086"), ("13900000002", "10086")])
        (rep,) = [d for d in by_cmd[0x00000005]
                  if d.get("cmpp.deliver.Registered_Delivery") == "1"]
        self.assertEqual(rep["cmpp.deliver.Report.Status"], "DELIVRD")
        self.assertEqual(len(by_cmd[0x80000005]), 3)  # each DELIVER answered once
        for cmd in (0x00000008, 0x80000008, 0x00000002, 0x80000002):
            self.assertIn(cmd, by_cmd, "no 0x%08x decoded" % cmd)
        # the report names the SUBMIT's Msg_Id (the hex the outbox keeps)
        ids = [int(v, 16) for p in by_cmd[0x80000004] for v in [p["cmpp.Msg_Id"]]]
        self.assertIn(int(report_id, 16), ids)


if __name__ == "__main__":
    ermtest.main()
