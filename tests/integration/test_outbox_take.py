"""The sender's take (daemon/outbox_sender.c, storage/outbox.c): each take starts a little below
the last id it took, not at the start of the queue, so that it does not walk the queue
index's entries of every row taken since the last VACUUM; rows below that (a transaction
that committed its row after thousands of later rows went out, or a row queued again) are
still sent, by the poll timer's take from the start. Rows a take left sending and nobody
holds (its result lost with the connection) go back to the queue after SENDER_STALE_S;
rows the sender holds stay, however old. The real ermgw, the simulator and PostgreSQL."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import ermtest  # noqa: E402

BULK = 5000  # more than sender_take_back (4096, core/tunables.c) rows above the late one
SWEEP_S = 30  # the sender sweeps every sender_sweep_ticks (10) polls of 1 s (core/tunables.c)
# Rows as a lost take leaves them: sending, their update older than SENDER_STALE_S (300 s).
STALE_SQL = ("INSERT INTO outbox (dest, source, kind, text, state, tries, updated_at)"
             " SELECT :'p1', '10086', 'test', 'stale ' || g, 'sending', 1,"
             " now() - interval '1 hour' FROM generate_series(1, %d) AS g")


class TakeFromNearTheLast(bound.BoundCase):
    # Submits held by the simulator must outlast a sweep (up to SWEEP_S) without timing
    # out (a timed-out submit is sent again: a second SUBMIT, another matter).
    CONFIG = "[smsc]\nresponse_timeout_s = 120\n"

    def test_row_committed_after_thousands_above_it_is_sent(self):
        late, bulk = "13650000001", "13650000002"
        with ermtest.PgSession(self.pg) as s:
            # The late row's id is drawn now; its transaction commits after the bulk went.
            s.run("BEGIN")
            s.run("INSERT INTO outbox (dest, source, kind, text)"
                  " VALUES ('%s', '10086', 'test', 'late')" % late)
            self.pg.psql("INSERT INTO outbox (dest, source, kind, text)"
                         " SELECT :'p1', '10086', 'test', 'bulk ' || g"
                         " FROM generate_series(1, %d) AS g" % BULK, bulk)
            ermtest.wait_until(lambda: self.states(bulk) == {"sent": str(BULK)},
                               "the bulk rows sent", timeout=120)
            s.run("COMMIT")
        # The takes after the bulk start above the late row; the poll timer's take from the
        # start finds it (once a second).
        ermtest.wait_until(lambda: self.states(late) == {"sent": "1"}, "the late row sent")
        self.assertEqual(self.states(bulk), {"sent": str(BULK)})

    def submits(self, dest, start):
        with self.b.sim.out.cond:
            return len([line for line in self.b.sim.out.lines[start:]
                        if re.match(r"^SUBMIT \S+ 10086 %s " % dest, line)])

    def test_rows_a_lost_take_left_sending_are_sent(self):
        stale = "13650000003"
        mark = self.b.gw.log.mark()
        self.pg.psql(STALE_SQL % 3, stale)
        self.b.gw.log.wait(r"outbox: 3 rows sending for over 300 s and held by no sender",
                           start=mark, timeout=SWEEP_S)
        ermtest.wait_until(lambda: self.states(stale) == {"sent": "3"}, "the stale rows sent")

    def test_rows_the_sender_holds_stay_sending(self):
        held, canary = "13650000004", "13650000005"
        sim = self.b.sim
        sim.send("hold_submit_resp on")
        try:
            mark = sim.out.mark()
            self.assertEqual(sim.wait_mo_resp(sim.mo_text(held, "10086", "hello")), 0)
            sim.out.wait(r"^SUBMIT \S+ 10086 %s " % held, start=mark)
            self.assertEqual(self.states(held), {"sending": "1"})
            # The held row looks as old as a stale one; a stale canary shows a sweep ran.
            gw_mark = self.b.gw.log.mark()
            self.pg.psql("UPDATE outbox SET updated_at = now() - interval '1 hour'"
                         " WHERE dest = :'p1';" + (STALE_SQL % 1).replace("p1", "p2") + ";",
                         held, canary)
            self.b.gw.log.wait(r"outbox: 1 rows sending for over 300 s", start=gw_mark,
                               timeout=SWEEP_S)
            self.assertEqual(self.states(held), {"sending": "1"})
        finally:
            sim.send("hold_submit_resp off")
            sim.send("release_submit_resp")
        ermtest.wait_until(lambda: self.states(held) == {"sent": "1"}, "the held row sent")
        ermtest.wait_until(lambda: self.states(canary) == {"sent": "1"}, "the canary sent")
        self.assertEqual(self.submits(held, mark), 1)


class TakeWhoseResultWasLost(bound.BoundCase):
    """A take that committed while its connection died (a primary's crash after its commit
    reached the standby, in test_failover) leaves its rows sending under this gateway's name
    and held by no one. No take is in flight once the connection is gone, so they are not a
    take's in progress: the sender puts them back at its next poll, not after
    sender_stale (300 s). Made here for certain: the take's COMMIT waits for a synchronous
    standby that does not exist (committed locally already), and its backend is
    terminated."""

    def sync_rep_waiter(self):
        return self.pg.scalar("SELECT pid FROM pg_stat_activity WHERE wait_event = 'SyncRep'")

    def test_rows_of_a_take_lost_with_its_connection_are_sent_soon(self):
        dest = "13650000009"
        self.pg.psql("ALTER SYSTEM SET synchronous_standby_names = 'nobody'")
        self.pg.psql("SELECT pg_reload_conf()")
        try:
            with ermtest.PgSession(self.pg) as s:
                s.run("SET synchronous_commit = local")
                s.run("INSERT INTO outbox (dest, source, kind, text)"
                      " VALUES ('%s', '10086', 'test', 'lost take')" % dest)
            ermtest.wait_until(lambda: self.sync_rep_waiter(), "the take's COMMIT waiting")
            mark = self.b.gw.log.mark()
            self.pg.psql("SELECT pg_terminate_backend(%s)" % self.sync_rep_waiter())
            self.b.gw.log.wait(r"taking outbox rows failed", start=mark)
        finally:
            self.pg.psql("ALTER SYSTEM RESET synchronous_standby_names")
            self.pg.psql("SELECT pg_reload_conf()")
        # Committed, held by no one (before the fix it stayed so for 300 s):
        self.b.gw.log.wait(r"outbox: 1 rows of a take whose result was lost put back",
                           start=mark)
        ermtest.wait_until(lambda: self.states(dest) == {"sent": "1"}, "the row sent",
                           timeout=20)
        self.assertEqual(self.b.sim.out.count(r"^SUBMIT \S+ 10086 %s " % dest), 1)


class RepliesBeforePushes(bound.BoundCase):
    """A hand-out queues its promo pushes all at once (100,000 rows for a department); a
    customer's confirmation, a holder's note or an employee's login code queued after them
    must not wait for them all: at an SMSC's 200 submits a second, 3,000 pushes are 15 s, at
    a carrier's bulk rate of 100 a second 100,000 are hours. Replies are taken first,
    pushes with what room a take has left, and every push still goes out."""
    PUSHES = 3000
    RATE = 200
    CONFIG = "[smsc]\nmax_submit_rate = %d\n" % RATE

    def queued_pushes(self):
        return int(self.pg.scalar("SELECT count(*) FROM outbox WHERE kind = 'promo'"
                                  " AND state <> 'sent'"))

    def test_confirmation_overtakes_a_hand_outs_pushes(self):
        self.pg.psql("INSERT INTO outbox (dest, source, kind, text)"
                     " SELECT '1366' || lpad(g::text, 7, '0'), '10086', 'promo', 'push ' || g"
                     " FROM generate_series(1, %d) AS g" % self.PUSHES)
        self.b.sim.out.wait(r"^SUBMIT \S+ 10086 1366", timeout=10)  # the pushes are going
        customer = "13660900001"
        status, texts = ermtest.sms(self.b.sim, customer, self.b.code, timeout=5)
        self.assertEqual(status, 0)
        self.assertTrue(texts[0].startswith("您已成功订购"), texts)
        left = self.queued_pushes()
        self.assertGreater(left, self.PUSHES // 2, "the confirmation came after most pushes")
        ermtest.wait_until(lambda: self.queued_pushes() == 0, "every push sent",
                           timeout=2.0 * self.PUSHES / self.RATE + 20)


if __name__ == "__main__":
    ermtest.main()
