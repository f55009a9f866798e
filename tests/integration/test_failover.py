"""PostgreSQL failover (issue 14): ermgw's [database] conninfo names a primary and its
streaming standby in libpq's multi-host form with target_session_attrs=read-write. The test
makes both (initdb, pg_basebackup -R, each on its own Unix socket), with the standby
synchronous (synchronous_standby_names = '*', synchronous_commit = on: a COMMIT returns once
the standby has flushed it). Orders flow; the primary dies (immediate stop, as a crash); MOs
meanwhile get the temporary status; the standby is promoted; ermgw finds the new primary by
itself. Every MO acknowledged before, during or after is on the new primary once, and every
one answered with the temporary status is stored when the SMSC delivers it again."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

BURST = 2000  # MOs in flight when the primary dies
TEMPORARY = 0x64  # [service] db_unavailable_status's default


class Standby(ermtest.PgCluster):
    """A streaming standby of PRIMARY, made with pg_basebackup -R (which writes
    primary_conninfo and standby.signal), on a socket directory of its own."""

    def __init__(self, primary):
        super().__init__(dbname=primary.dbname)
        self.primary = primary

    def __enter__(self):
        try:
            self._run(os.path.join(self.bindir, "pg_basebackup"), "-D", self.data, "-R",
                      "-X", "stream", "-h", self.primary.sock, "-p", str(self.primary.port),
                      "-U", "postgres", "--no-sync", "-c", "fast")
            self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def promote(self):
        r = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-w", "promote",
                      check=False)
        if r.returncode != 0:
            raise RuntimeError("pg_ctl promote failed: %s\n%s" % (r.stdout, self.log()))


class Failover(unittest.TestCase):
    def test_primary_dies_standby_promoted(self):
        with ermtest.PgCluster() as primary:
            code, _ = ermtest.setup_pool(primary)
            with Standby(primary) as standby:
                self.run_failover(primary, standby, code)

    def run_failover(self, primary, standby, code):
        # Synchronous: an acknowledged MO's COMMIT is flushed on the standby too.
        primary.psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        primary.psql("ALTER SYSTEM SET synchronous_commit = 'on'")
        primary.psql("SELECT pg_reload_conf()")
        ermtest.wait_until(lambda: primary.scalar(
            "SELECT sync_state FROM pg_stat_replication") == "sync", "the standby in sync")
        conninfo = ("host=%s,%s port=%d,%d dbname=%s user=postgres "
                    "target_session_attrs=read-write connect_timeout=5"
                    % (primary.sock, standby.sock, primary.port, standby.port, primary.dbname))
        customers = ["1371%07d" % i for i in range(BURST)]
        with ermtest.Sim() as sim, ermtest.Daemon(primary, sim.port, conninfo=conninfo) as gw:
            sim.wait_bound()
            gw.log.wait(r"database up")
            # Orders flow; the primary dies in the middle of them.
            tags = [sim.mo_hex(c, "10086", 0, code.encode()) for c in customers]
            ermtest.wait_until(lambda: sim.out.count(r"^MO_RESP ") >= BURST // 20,
                               "MOs acknowledged before the crash")
            mark = gw.log.mark()
            primary.stop(mode="immediate")
            status = {t: sim.wait_mo_resp(t, timeout=60) for t in tags}
            acked = [c for c, t in zip(customers, tags) if status[t] == 0]
            temporary = [c for c, t in zip(customers, tags) if status[t] == TEMPORARY]
            self.assertEqual(len(acked) + len(temporary), BURST, set(status.values()))
            self.assertGreater(len(acked), 0)
            gw.log.wait(r"database down", start=mark)
            # During the gap (the standby is read-only, so not taken): the temporary status.
            gap = sim.mo_hex("13719999999", "10086", 0, code.encode())
            self.assertEqual(sim.wait_mo_resp(gap), TEMPORARY)
            temporary.append("13719999999")

            mark = gw.log.mark()
            standby.promote()
            gw.log.wait(r"database up", start=mark, timeout=60)
            # The SMSC delivers again what got the temporary status; all are stored now.
            again = [sim.mo_hex(c, "10086", 0, code.encode()) for c in temporary]
            for t in again:
                self.assertEqual(sim.wait_mo_resp(t, timeout=60), 0)
            # Nothing acknowledged is lost, nothing is stored twice, every reply goes out.
            stored = set(r[0] for r in standby.psql("SELECT customer FROM orders"))
            self.assertEqual(stored, set(acked) | set(temporary))
            self.assertEqual(int(standby.scalar("SELECT count(*) FROM orders")),
                             len(acked) + len(temporary))
            ermtest.wait_until(lambda: standby.scalar(
                "SELECT count(*) FROM outbox WHERE state <> 'sent'") == "0",
                "every reply sent", timeout=60)
            # One confirmation an order. A batch whose COMMIT reached the standby while its
            # result died with the primary was answered with the temporary status though
            # stored: delivered again, its MOs are "already ordered" (order_dup), each once;
            # no other reply.
            kinds = dict(standby.psql("SELECT kind, count(*) FROM outbox GROUP BY kind"))
            self.assertEqual(int(kinds.pop("order_ok", 0)), len(acked) + len(temporary))
            dups = [r[0] for r in standby.psql("SELECT dest FROM outbox WHERE kind = 'order_dup'")]
            self.assertLessEqual(set(dups), set(temporary))
            self.assertEqual(len(dups), len(set(dups)))
            self.assertEqual({k: int(v) for k, v in kinds.items()},
                             {"order_dup": len(dups)} if dups else {})
            print("failover: %d acknowledged before the crash, %d temporary and delivered "
                  "again (%d of them stored before the crash)"
                  % (len(acked), len(temporary), len(dups)), file=sys.stderr)
        self.assertEqual(gw.proc.returncode, 0, "\n".join(gw.log.lines[-30:]))


if __name__ == "__main__":
    ermtest.main()
