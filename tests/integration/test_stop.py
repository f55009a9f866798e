"""How ermgw stops (issue 14's stop defects): once SIGTERM is seen the bearer is told to
drain, so a link lost during the graceful wait is not connected or bound again; at the stop
bound (10 s) with an MO transaction still blocked, nothing is used after it is freed, the
blocked transaction is cancelled rather than waited for, and the log says the MO was not
acknowledged. An MO transaction held open by a table lock keeps the daemon in its graceful
wait for as long as the test needs; every wait has a deadline, on a log line, the process's
exit or a database state."""
import os
import signal
import sys
import time

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

    def blocked_stop(self, sim, gw, lock, customer):
        """Sends CUSTOMER's order, waits until its transaction waits on LOCK's table lock,
        sends SIGTERM; returns (the MO's tag, the time of the signal)."""
        lock.run("BEGIN; LOCK TABLE orders IN EXCLUSIVE MODE")
        tag = sim.mo_text(customer, "10086", self.code)
        ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) == 1,
                           "the MO's transaction to wait on the lock")
        t0 = time.monotonic()
        gw.proc.send_signal(signal.SIGTERM)
        gw.log.wait(r"SIGTERM: stopping")
        return tag, t0

    def test_deadline_with_blocked_transaction_frees_nothing_in_use(self):
        # The outbox connection closes (and is freed) while the MO one still waits for its
        # transaction: the sender's poll and the intake's timers must not read it after.
        sim, gw = self.start()
        with ermtest.PgSession(self.pg) as lock:
            self.blocked_stop(sim, gw, lock, "13920000002")
            gw.log.wait(r"still running after 10000 ms", timeout=20)
            i, m = gw.log.wait(r"(Sanitizer|runtime error|ermgw: stopped$)", timeout=20)
            self.assertNotRegex(m.group(1), r"Sanitizer|runtime error",
                                "\n".join(gw.log.lines[i - 5:i + 20]))
            self.assertEqual(gw.proc.wait(timeout=20), 0)
            lock.run("COMMIT")
        self.assertEqual(gw.stop(), 0)
        self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0, "\n".join(gw.log.lines))

    def test_deadline_bounds_the_stop_and_the_log_tells_the_truth(self):
        sim, gw = self.start()
        with ermtest.PgSession(self.pg) as lock:
            tag, t0 = self.blocked_stop(sim, gw, lock, "13920000003")
            # the lock still held: the blocked transaction is cancelled at the bound, the
            # process exits 0 within it (and the unbind's answer), not when the lock goes
            try:
                rc = gw.proc.wait(timeout=25)
            except Exception:
                raise AssertionError("ermgw still running %.0f s after SIGTERM:\n%s" % (
                    time.monotonic() - t0, "\n".join(gw.log.lines[-20:])))
            took = time.monotonic() - t0
            self.assertEqual(rc, 0, "\n".join(gw.log.lines[-30:]))
            self.assertLess(took, 13, "stopped %.1f s after SIGTERM" % took)
            # the server let the transaction go (cancelled, rolled back): it waits no more
            ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) == 0,
                               "the cancelled transaction to leave the lock queue")
            lock.run("COMMIT")
        self.assertEqual(gw.stop(), 0)
        self.assertEqual(int(self.pg.scalar(
            "SELECT count(*) FROM orders WHERE customer LIKE '%13920000003'")), 0)
        # not acknowledged, and the log says so rather than "committed, acknowledged"
        self.assertEqual(sim.out.count(r"^MO_RESP %s 0x0+$" % tag), 0)
        self.assertEqual(gw.log.count(r"from 13920000003: .*committed"), 0,
                         "\n".join(gw.log.lines))
        gw.log.wait(r"from 13920000003: .*not acknowledged", timeout=1)
        self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0, "\n".join(gw.log.lines))


if __name__ == "__main__":
    ermtest.main()
