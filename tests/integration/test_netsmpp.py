"""Interop: the same order scenario against an SMSC that nobody here wrote, Perl's Net::SMPP
(libnet-smpp-perl) in the SMSC role (tests/netsmpp_smsc.pl). ermgw binds, the MOs are
acknowledged after commit, the replies come back as submit_sm, and ermgw unbinds on SIGTERM."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402


class NetSmppInterop(unittest.TestCase):
    def test_order_scenario(self):
        with ermtest.PgCluster() as pg:
            code, phone = ermtest.setup_pool(pg)
            script = os.path.join(ermtest.SOURCE_DIR, "tests", "netsmpp_smsc.pl")
            proc = subprocess.Popen(
                ["perl", script, "--timeout", "60",
                 "--mo", "13911110001,10086,%s" % code,
                 "--mo", "13911110001,10086,%s" % code,
                 "--mo", "13911110002,%s,订购" % phone,
                 "--mo", "13911110003,10086,１０１９９"],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)
            try:
                out = ermtest._LineReader(proc.stdout)
                _, m = out.wait(r"^LISTEN (\d+)$")
                with ermtest.Daemon(pg, int(m.group(1))) as gw:
                    out.wait(r"^BIND ermgw secret$")
                    out.wait(r"^DONE$", timeout=60)
                    self.assertEqual(out.count(r"^MO_RESP \d+ 0x00$"), 4)
                    mark = out.mark()
                self.assertEqual(gw.proc.returncode, 0, "\n".join(gw.log.lines[-30:]))
                out.wait(r"^UNBIND$", start=mark)
                self.assertEqual(proc.wait(timeout=10), 0)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
            replies = [line for line in out.lines if line.startswith("MESSAGE ")]
            self.assertEqual(len(replies), 4, out.lines)
            self.assertIn("流量包", replies[0])
            self.assertTrue(replies[2].startswith("MESSAGE 10086 13911110002 "))
            self.assertIn("10199", replies[3])
            self.assertEqual(pg.psql("SELECT customer, code FROM orders ORDER BY id"),
                             [("13911110001", code), ("13911110002", code)])


if __name__ == "__main__":
    ermtest.main()
