"""How ermgw stops (issue 14's stop defects): once SIGTERM is seen the bearer is told to
drain, so a link lost during the graceful wait is not connected or bound again. An MO
transaction held open by a table lock keeps the daemon in that wait for as long as the test
needs; every wait has a deadline, on a log line or a database state."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402


class Stop(ermtest.PoolCase):
    def start(self):
        sim = ermtest.Sim()
        self.addCleanup(sim.close)
        gw = ermtest.Daemon(self.pg, sim.port)
        self.addCleanup(lambda: gw.proc.poll() is None and gw.stop(signal.SIGKILL))
        sim.wait_bound()
        gw.log.wait(r"database up")
        return sim, gw

    def test_link_lost_while_draining_is_not_bound_again(self):
        sim, gw = self.start()
        with ermtest.PgSession(self.pg) as lock:
            lock.run("BEGIN; LOCK TABLE orders IN EXCLUSIVE MODE")
            tag = sim.mo_text("13920000001", "10086", self.code)
            ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) == 1,
                               "the MO's transaction to wait on the lock")
            gw.proc.send_signal(signal.SIGTERM)
            gw.log.wait(r"SIGTERM: stopping")
            mark, logmark = sim.out.mark(), gw.log.mark()
            sim.send("drop")
            sim.out.wait(r"^DISCONNECT$", start=mark)
            # the session says what it does with the lost link: stopping, it gives it up
            _, m = gw.log.wait(r"closed the connection; (.*)$", start=logmark)
            self.assertNotRegex(m.group(1), r"retry in", m.group(0))
            lock.run("COMMIT")
        self.assertEqual(gw.proc.wait(timeout=20), 0, "\n".join(gw.log.lines[-30:]))
        rc = gw.stop()
        self.assertEqual(rc, 0)
        # never connected or bound again after the drop, and the MO not acknowledged (the
        # SMSC delivers it again to the next process)
        self.assertEqual(sim.out.count(r"^CONNECT$", start=mark), 0, "\n".join(sim.out.lines))
        self.assertEqual(sim.out.count(r"^BIND ", start=mark), 0)
        self.assertEqual(sim.out.count(r"^MO_RESP %s " % tag), 0)
        self.assertEqual(gw.log.count(r"bound to", start=logmark), 0)
        self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0, "\n".join(gw.log.lines))


if __name__ == "__main__":
    ermtest.main()
