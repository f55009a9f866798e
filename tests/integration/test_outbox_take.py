"""The sender's take (daemon/sender.c, storage/outbox.c): each take starts a little below
the last id it took, not at the start of the queue, so that it does not walk the queue
index's entries of every row taken since the last VACUUM; rows below that (a transaction
that committed its row after thousands of later rows went out, or a row queued again) are
still sent, by the poll timer's take from the start. The real ermgw, the simulator and
PostgreSQL."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bound  # noqa: E402
import ermtest  # noqa: E402

BULK = 5000  # more than daemon/sender.c's SENDER_TAKE_BACK (4096) rows above the late one


class TakeFromNearTheLast(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = bound.Bound()
        cls.pg = cls.b.pg

    @classmethod
    def tearDownClass(cls):
        cls.b.close()

    def states(self, dest):
        return dict(self.pg.psql("SELECT state, count(*) FROM outbox WHERE dest = :'p1'"
                                 " GROUP BY state", dest))

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


if __name__ == "__main__":
    ermtest.main()
