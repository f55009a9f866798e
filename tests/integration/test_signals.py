"""Signals of the real ermgw (issue 14): SIGHUP reopens the log file and, when it cannot,
says so truthfully in the file it goes on writing to (it once claimed "using stderr" while
logging stayed on the old file); SIGPIPE is ignored (libuv leaves that to the program, and a
peer closing while ermgw writes must give EPIPE, not kill the process)."""
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return ""


class Signals(ermtest.PoolCase):
    def start(self, log_path):
        sim = ermtest.Sim()
        self.addCleanup(sim.close)
        gw = ermtest.Daemon(self.pg, sim.port, extra_config="[log]\nfile = %s\n" % log_path)
        self.addCleanup(self.stop_clean, gw)
        sim.wait_bound()
        ermtest.wait_until(lambda: "database up" in read(log_path), "database up in the log")
        return gw

    def test_sighup_reopen_failure_told_where_logging_goes(self):
        d = tempfile.mkdtemp(prefix="ermtest-hup-")
        path = os.path.join(d, "ermgw.log")
        gw = self.start(path)
        os.rename(path, path + ".1")  # as logrotate does
        os.mkdir(path)                 # the new file cannot be opened
        gw.proc.send_signal(signal.SIGHUP)
        ermtest.wait_until(lambda: "SIGHUP: cannot reopen" in read(path + ".1"),
                           "the failure logged to the old file")
        old = read(path + ".1")
        self.assertIn("Is a directory", old)
        self.assertIn("logging goes on to the file opened before", old)
        self.assertNotIn("using stderr", old)
        os.rmdir(path)
        gw.proc.send_signal(signal.SIGHUP)
        ermtest.wait_until(lambda: "SIGHUP: log reopened" in read(path), "the new file opened")

    def test_sigpipe_ignored(self):
        d = tempfile.mkdtemp(prefix="ermtest-pipe-")
        gw = self.start(os.path.join(d, "ermgw.log"))
        with open("/proc/%d/status" % gw.proc.pid) as f:
            ign = [int(line.split()[1], 16) for line in f if line.startswith("SigIgn:")][0]
        self.assertTrue(ign & (1 << (signal.SIGPIPE - 1)), "SIGPIPE not ignored: %x" % ign)


if __name__ == "__main__":
    ermtest.main()
