"""Acknowledge after commit: with PostgreSQL stopped, an MO is answered with the temporary
status (0x64) and nothing is stored; with it back, the SMSC's redelivery of the same MO is
stored exactly once and confirmed once."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402


class DatabaseOutage(unittest.TestCase):
    def test_outage_then_redelivery(self):
        with ermtest.PgCluster() as pg:
            code, _ = ermtest.setup_pool(pg)
            with ermtest.Sim() as sim, ermtest.Daemon(pg, sim.port) as gw:
                sim.wait_bound()
                gw.log.wait(r"database up")
                pg.stop()
                gw.log.wait(r"database down")
                tag = sim.mo_hex("13700000001", "10086", 0, code.encode(), seq=4242)
                self.assertEqual(sim.wait_mo_resp(tag), 0x64)

                pg.start()
                mark = gw.log.mark()
                gw.log.wait(r"database up", start=mark, timeout=30)
                self.assertEqual(pg.scalar("SELECT count(*) FROM orders"), "0")
                self.assertEqual(pg.scalar("SELECT count(*) FROM outbox"), "0")

                # The SMSC delivers the same MO again (same sequence number).
                mark = sim.out.mark()
                tag = sim.mo_hex("13700000001", "10086", 0, code.encode(), seq=4242)
                self.assertEqual(sim.wait_mo_resp(tag), 0)
                sim.wait_message("13700000001", start=mark)
                self.assertEqual(pg.scalar(
                    "SELECT count(*) FROM orders WHERE customer = '13700000001'"), "1")
                self.assertEqual(pg.scalar("SELECT count(*) FROM outbox"), "1")
            self.assertEqual(gw.proc.returncode, 0, "\n".join(gw.log.lines[-30:]))


class ShortOfConnections(unittest.TestCase):
    def test_binds_and_stores_with_connections_refused(self):
        # The server lets ermgw's role have 2 connections; ermgw wants 4 (3 for MOs, 1 for
        # the outbox). Two are refused, again and again, so the MO connections are never
        # all up; ermgw binds all the same and an MO is stored on an MO connection that is
        # up (at least one of the two admitted is one).
        with ermtest.PgCluster() as pg:
            code, _ = ermtest.setup_pool(pg)
            pg.psql("CREATE ROLE gw LOGIN CONNECTION LIMIT 2;"
                    " GRANT ALL ON ALL TABLES IN SCHEMA public TO gw;"
                    " GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO gw;")
            with ermtest.Sim() as sim, ermtest.Daemon(
                    pg, sim.port, db_user="gw",
                    extra_config="[database]\nconnections = 3\n") as gw:
                sim.wait_bound()
                gw.log.wait(r"database down \(connection \"[a-z0-9]+\"\): .*too many "
                            r"connections for role")
                tag = sim.mo_hex("13700000002", "10086", 0, code.encode(), seq=77)
                self.assertEqual(sim.wait_mo_resp(tag), 0)
                self.assertEqual(pg.scalar(
                    "SELECT count(*) FROM orders WHERE customer = '13700000002'"), "1")
            self.assertEqual(gw.proc.returncode, 0, "\n".join(gw.log.lines[-30:]))


if __name__ == "__main__":
    ermtest.main()
