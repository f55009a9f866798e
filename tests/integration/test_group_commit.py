"""Group commit (issue 6): order MOs that arrive while a transaction is in flight are placed
together in the next one. To make a batch for sure, a test session holds an EXCLUSIVE lock
on orders: the first MO's transaction waits on it, the burst sent meanwhile gathers behind
it (each MO is in once ermgw has logged it), and nothing may be acknowledged before the
lock is let go and the transactions commit. A batch is one transaction: its orders share
one created_at (now(), the transaction's start). Each test uses its own customer numbers."""
import contextlib
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import ermtest  # noqa: E402

BURST = 40


@contextlib.contextmanager
def gathered(b, customers, seqs=None):
    """Sends one MO ordering B's code from each of CUSTOMERS (the first alone in a
    transaction that waits on a lock held here, the rest gathered behind it) and yields
    their tags once ermgw has taken them all in, the lock still held."""
    seqs = seqs or [None] * len(customers)
    with ermtest.PgSession(b.pg) as lock:
        lock.run("BEGIN; LOCK TABLE orders IN EXCLUSIVE MODE")
        mark = b.gw.log.mark()
        tags = [b.sim.mo_hex(customers[0], "10086", 0, b.code.encode(), seq=seqs[0])]
        ermtest.wait_until(lambda: ermtest.lock_waiters(b.pg) == 1,
                           "the first transaction to wait on the lock")
        for c, s in zip(customers[1:], seqs[1:]):
            tags.append(b.sim.mo_hex(c, "10086", 0, b.code.encode(), seq=s))
        for c in customers:
            b.gw.log.wait(r"from %s to 10086: " % c, start=mark)
        yield lock, tags


class BoundClass(unittest.TestCase):
    """One bound ermgw for the class, with CONNECTIONS MO connections (and [database] spill
    SPILL, the default when None); SQL runs once."""
    CONNECTIONS = 1
    SPILL = None
    SQL = ""

    @classmethod
    def setUpClass(cls):
        spill = "spill = %d\n" % cls.SPILL if cls.SPILL is not None else ""
        cls.b = bound.Bound(config="[log]\nlevel = debug\n[database]\nconnections = %d\n%s"
                            % (cls.CONNECTIONS, spill))
        cls.pg, cls.sim, cls.gw, cls.code = cls.b.pg, cls.b.sim, cls.b.gw, cls.b.code
        if cls.SQL:
            cls.pg.psql(cls.SQL)

    @classmethod
    def tearDownClass(cls):
        cls.b.close()

    def count(self, sql, *params):
        return int(self.pg.scalar(sql, *params))


class GroupCommit(BoundClass):
    # One MO connection: which MOs share a batch is then exact (the pool of MO connections
    # has its own tests below). A fault to aim at one MO of a batch: the order of 13966600000 (or its reply, for
    # 13977700000) breaks a rule of the database, as a bad row would.
    SQL = """
        CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '23514'; END $$;
        CREATE TRIGGER test_bad_order BEFORE INSERT ON orders FOR EACH ROW
            WHEN (NEW.customer = '13966600000') EXECUTE FUNCTION test_refuse();
        CREATE TRIGGER test_bad_reply BEFORE INSERT ON outbox FOR EACH ROW
            WHEN (NEW.dest = '13977700000') EXECUTE FUNCTION test_refuse();
    """

    def gathered_burst(self, customers, seqs=None):
        """The MOs of gathered(), none acknowledged before the lock goes; returns the tags."""
        resp_mark = self.sim.out.mark()
        with gathered(self.b, customers, seqs) as (lock, tags):
            self.assertEqual(self.sim.out.count(r"^MO_RESP ", start=resp_mark), 0,
                             "acknowledged before COMMIT")
            lock.run("COMMIT")
        return tags

    def replies_sent(self, customers, mark):
        for c in customers:
            self.sim.wait_message(c, start=mark)

    def test_burst_acknowledged_after_commit_exactly_once(self):
        customers = ["1360000%04d" % i for i in range(BURST)]
        mark = self.sim.out.mark()
        tags = self.gathered_burst(customers)
        self.assertEqual([self.sim.wait_mo_resp(t) for t in tags], [0] * BURST)
        self.replies_sent(customers, mark)
        inlist = "(%s)" % ",".join("'%s'" % c for c in customers)
        self.assertEqual(self.count("SELECT count(*) FROM orders WHERE customer IN " + inlist),
                         BURST)
        self.assertEqual(self.count("SELECT count(*) FROM outbox WHERE dest IN " + inlist),
                         BURST)
        # The first alone, the other BURST - 1 in one transaction.
        self.assertEqual(self.count("SELECT count(DISTINCT created_at) FROM orders"
                                    " WHERE customer IN " + inlist), 2)
        self.gw.log.wait(r"order batch of %d committed, %d placed" % (BURST - 1, BURST - 1))
        # Their replies, submitted in a burst, are each recorded sent once (rows sent close
        # together share a transaction, storage/receipts.c).
        ermtest.wait_until(lambda: self.count(
            "SELECT count(*) FROM outbox WHERE state = 'sent' AND dest IN " + inlist) == BURST,
            "every reply recorded sent")
        self.assertEqual(self.count("SELECT count(*) FROM outbox_parts p JOIN outbox o"
                                    " ON o.id = p.outbox_id WHERE o.dest IN " + inlist), BURST)

    def test_redelivery_inside_a_batch_counts_once(self):
        # The SMSC's copy of an MO (same sequence number) lands in the same batch as the
        # original: acknowledged, but no second order or reply.
        customers = ["13610000001", "13610000002", "13610000002", "13610000003"]
        mark = self.sim.out.mark()
        tags = self.gathered_burst(customers, seqs=[7001, 7002, 7002, 7003])
        self.assertEqual([self.sim.wait_mo_resp(t) for t in tags], [0, 0, 0, 0])
        self.replies_sent(sorted(set(customers)), mark)
        for c in sorted(set(customers)):
            self.assertEqual(self.count("SELECT count(*) FROM orders WHERE customer = :'p1'", c),
                             1)
            self.assertEqual(self.count("SELECT count(*) FROM outbox WHERE dest = :'p1'", c), 1)
        self.gw.log.wait(r"order batch of 3 committed, 2 placed")

    def test_bad_order_does_not_fail_its_batch_mates(self):
        good = ["1362000%04d" % i for i in range(5)]
        customers = good[:1] + good[1:3] + ["13966600000"] + good[3:]
        mark = self.sim.out.mark()
        tags = self.gathered_burst(customers)
        statuses = [self.sim.wait_mo_resp(t) for t in tags]
        # The bad one is not stored: answered with the temporary status for redelivery.
        self.assertEqual(statuses, [0, 0, 0, 0x64, 0, 0])
        self.replies_sent(good, mark)
        for c in good:
            self.assertEqual(self.count("SELECT count(*) FROM orders WHERE customer = :'p1'", c),
                             1)
        self.assertEqual(self.count("SELECT count(*) FROM orders WHERE customer = '13966600000'"),
                         0)
        self.assertEqual(self.count("SELECT count(*) FROM outbox WHERE dest = '13966600000'"), 0)
        # Its batch-mates committed together, in the batch's one transaction.
        inlist = "(%s)" % ",".join("'%s'" % c for c in good[1:])
        self.assertEqual(self.count("SELECT count(DISTINCT created_at) FROM orders"
                                    " WHERE customer IN " + inlist), 1)

    def test_batch_that_fails_whole_is_placed_one_by_one(self):
        # A reply that cannot be inserted fails the batch's outbox insert, hence the batch:
        # its orders are placed again one per transaction, and only the bad one fails.
        good = ["1363000%04d" % i for i in range(4)]
        customers = good[:2] + ["13977700000"] + good[2:]
        mark = self.sim.out.mark()
        tags = self.gathered_burst(customers)
        statuses = [self.sim.wait_mo_resp(t) for t in tags]
        self.assertEqual(statuses, [0, 0, 0x64, 0, 0])
        self.replies_sent(good, mark)
        for c in good:
            self.assertEqual(self.count("SELECT count(*) FROM orders WHERE customer = :'p1'", c),
                             1)
        self.assertEqual(self.count("SELECT count(*) FROM orders WHERE customer = '13977700000'"),
                         0)
        self.gw.log.wait(r"order batch of 4 failed; placing its orders one by one")

    def test_idle_single_mo_is_not_held_back(self):
        # Nothing else in flight: the MO's batch of one starts at once. No timer is involved,
        # so the answer comes within the round trips of one transaction.
        mark = self.gw.log.mark()
        status, texts = ermtest.sms(self.sim, "13640000001", self.code)
        self.assertEqual(status, 0)
        self.assertEqual(len(texts), 1)
        self.gw.log.wait(r"order batch of 1 committed, 1 placed", start=mark)


class GroupCommitPool(BoundClass):
    """Two MO connections, the next one taken as soon as one has an MO in progress (spill
    1): batches of different customers on each, side by side; one customer's MOs on the
    same one while one is in progress, in the order they came."""
    CONNECTIONS = 2
    SPILL = 1
    # A gate for the orders of 13670...: they wait while a test session holds the advisory
    # lock 4242; nothing else does.
    SQL = """
        CREATE FUNCTION test_gate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_advisory_xact_lock_shared(4242); RETURN NEW; END $$;
        CREATE TRIGGER test_gate BEFORE INSERT ON orders FOR EACH ROW
            WHEN (NEW.customer LIKE '13670%') EXECUTE FUNCTION test_gate();
    """

    def test_batches_on_both_connections(self):
        # Under the lock, each connection's first MO waits on it and the rest gather behind
        # it: four transactions in all (a first and a batch on each connection).
        customers = ["1366000%04d" % i for i in range(BURST)]
        mark = self.sim.out.mark()
        with gathered(self.b, customers) as (lock, tags):
            ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) == 2,
                               "a transaction on each connection waiting on the lock")
            self.assertEqual(self.sim.out.count(r"^MO_RESP ", start=mark), 0)
            lock.run("COMMIT")
        self.assertEqual([self.sim.wait_mo_resp(t) for t in tags], [0] * BURST)
        for c in customers:
            self.sim.wait_message(c, start=mark)
        inlist = "(%s)" % ",".join("'%s'" % c for c in customers)
        self.assertEqual(self.count("SELECT count(*) FROM orders WHERE customer IN " + inlist),
                         BURST)
        self.assertEqual(self.count("SELECT count(DISTINCT created_at) FROM orders"
                                    " WHERE customer IN " + inlist), 4)

    def test_a_customers_commands_keep_their_order(self):
        # Each customer orders and at once cancels (QX). The orders wait at the gate; each
        # cancel must wait behind its order. On another connection (with spill 1 the other
        # is the less busy one for a customer with nothing in progress) it would run at once
        # and find nothing to cancel.
        customers = ["1367000%04d" % i for i in range(12)]
        mark = self.sim.out.mark()
        log = self.gw.log.mark()
        with ermtest.PgSession(self.pg) as gate:
            gate.run("SELECT pg_advisory_lock(4242)")
            tags = []
            for c in customers:
                tags.append(self.sim.mo_text(c, "10086", self.code))
                tags.append(self.sim.mo_text(c, "10086", "QX" + self.code))
            for c in customers:
                self.gw.log.wait(r"from %s to 10086: \"QX" % c, start=log)
            ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) == 2,
                               "an order on each connection waiting at the gate")
            gate.run("SELECT pg_advisory_unlock(4242)")
        self.assertEqual([self.sim.wait_mo_resp(t) for t in tags], [0] * len(tags))
        for c in customers:
            i, _, first = self.sim.wait_message(c, start=mark)
            _, _, second = self.sim.wait_message(c, start=i + 1)
            self.assertEqual((first[:5], second[:3]), ("您已成功订", "您已取"), c)
        inlist = "(%s)" % ",".join("'%s'" % c for c in customers)
        self.assertEqual(self.count("SELECT count(*) FROM orders WHERE cancelled_at IS NOT NULL"
                                    " AND customer IN " + inlist), len(customers))


class GroupCommitSpill(BoundClass):
    """Two MO connections with the default spill (64, issue 16): a burst of fewer MOs than
    that fills one connection's batch instead of being halved across both (a small window
    makes batches half as big, each paying the call's fixed cost)."""
    CONNECTIONS = 2

    def test_burst_below_spill_is_one_batch_on_one_connection(self):
        customers = ["1368000%04d" % i for i in range(BURST)]
        mark = self.sim.out.mark()
        with gathered(self.b, customers) as (lock, tags):
            self.assertEqual(ermtest.lock_waiters(self.pg), 1,
                             "the burst was spread over both connections")
            self.assertEqual(self.sim.out.count(r"^MO_RESP ", start=mark), 0)
            lock.run("COMMIT")
        self.assertEqual([self.sim.wait_mo_resp(t) for t in tags], [0] * BURST)
        inlist = "(%s)" % ",".join("'%s'" % c for c in customers)
        # The first alone, the other BURST - 1 in one transaction.
        self.assertEqual(self.count("SELECT count(DISTINCT created_at) FROM orders"
                                    " WHERE customer IN " + inlist), 2)
        self.gw.log.wait(r"order batch of %d committed, %d placed" % (BURST - 1, BURST - 1))


class GroupCommitOutage(unittest.TestCase):
    def test_database_stopped_mid_batch(self):
        # The database stops while one batch waits on the lock and another is gathered: all
        # are answered with the temporary status, nothing of them is stored; the SMSC's
        # redeliveries are then stored exactly once.
        customers = ["1365000%04d" % i for i in range(10)]
        seqs = [8000 + i for i in range(10)]
        b = bound.Bound()
        try:
            self.outage(b, customers, seqs)
        finally:
            b.close()

    def outage(self, b, customers, seqs):
        pg, sim = b.pg, b.sim
        mark = b.gw.log.mark()
        with gathered(b, customers, seqs) as (_, tags):
            pg.stop()
            self.assertEqual([sim.wait_mo_resp(t) for t in tags], [0x64] * len(tags))
        pg.start()
        b.gw.log.wait(r"database up", start=mark, timeout=30)
        self.assertEqual(pg.scalar("SELECT count(*) FROM orders"), "0")
        self.assertEqual(pg.scalar("SELECT count(*) FROM outbox"), "0")
        self.assertEqual(pg.scalar("SELECT count(*) FROM mo_log"), "0")

        mark = sim.out.mark()
        tags = [sim.mo_hex(c, "10086", 0, b.code.encode(), seq=s)
                for c, s in zip(customers, seqs)]
        self.assertEqual([sim.wait_mo_resp(t) for t in tags], [0] * len(tags))
        for c in customers:
            sim.wait_message(c, start=mark)
        self.assertEqual(pg.scalar("SELECT count(DISTINCT customer) FROM orders"),
                         str(len(customers)))
        self.assertEqual(pg.scalar("SELECT count(*) FROM orders"), str(len(customers)))
        self.assertEqual(pg.scalar("SELECT count(*) FROM outbox WHERE dest LIKE '13650%'"),
                         str(len(customers)))


if __name__ == "__main__":
    ermtest.main()
