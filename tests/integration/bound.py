"""bound: the fixture of the intake tests (test_receipts, test_concat_mo, test_redelivery):
a throwaway cluster with one claimed code, the simulator, and ermgw bound to it, plus the
few questions those tests ask the database. Python 3 stdlib, on top of ermtest."""
import unittest

import ermtest


class Bound:
    """Starts everything or nothing. SIM_EXTRA goes to smsc_sim, CONFIG is appended to
    ermgw's configuration (whole sections: "[service]\\nconcat_timeout_s = 2\\n")."""

    def __init__(self, sim_extra=(), config=""):
        self.sim_extra = list(sim_extra)
        self.config = config
        self.sim = self.gw = None
        self.pg = ermtest.PgCluster().__enter__()
        try:
            self.code, _ = ermtest.setup_pool(self.pg)
            self.sim = ermtest.Sim(extra=self.sim_extra)
            self.start_gateway()
        except BaseException:
            self.close()
            raise

    def start_gateway(self):
        """Starts ermgw and waits until it is bound with its database up."""
        mark = self.sim.out.mark()
        self.gw = ermtest.Daemon(self.pg, self.sim.port, extra_config=self.config)
        self.sim.wait_bound(start=mark)
        self.gw.log.wait(r"database up")

    def stop_gateway(self):
        """Stops ermgw (SIGTERM) and checks that it exited 0 (ASan reports fail it)."""
        gw, self.gw = self.gw, None
        rc = gw.stop()
        if rc != 0:
            raise AssertionError("ermgw exited %d:\n%s" % (rc, "\n".join(gw.log.lines[-30:])))

    def close(self):
        try:
            if self.gw is not None:
                self.stop_gateway()
        finally:
            if self.sim is not None:
                self.sim.close()
            self.pg.__exit__(None, None, None)

    def mo_ex(self, source, dcs, data, *opts):
        """Injects a deliver_sm to 10086 with the simulator's mo_ex (DATA bytes, OPTS as
        "esm=0x40", "seq=7", "sar=1:2:1", "payload", ...); returns the gateway's status."""
        tag = self.sim.next_tag()
        self.sim.send("mo_ex %s %s 10086 %d %s %s" % (tag, source, dcs, data.hex() or "-",
                                                     " ".join(opts)))
        return self.sim.wait_mo_resp(tag)

    def replies(self, dest):
        """The kinds of the outbox rows to DEST, oldest first."""
        return [r[0] for r in self.pg.psql("SELECT kind FROM outbox WHERE dest = :'p1' "
                                           "ORDER BY id", dest)]

    def orders(self, customer):
        return int(self.pg.scalar("SELECT count(*) FROM orders WHERE customer = :'p1'",
                                  customer))


class BoundCase(unittest.TestCase):
    """One Bound for the test class (CONFIG appended to ermgw's configuration), as self.b,
    with its pg, sim and code at hand; the gateway is self.gw (a test may restart it)."""
    CONFIG = ""

    @classmethod
    def setUpClass(cls):
        cls.b = Bound(config=cls.CONFIG)
        cls.pg, cls.sim, cls.code = cls.b.pg, cls.b.sim, cls.b.code

    @classmethod
    def tearDownClass(cls):
        cls.b.close()

    @property
    def gw(self):
        return self.b.gw

    def states(self, dest):
        """{state: count} of the outbox rows to DEST."""
        return dict(self.pg.psql("SELECT state, count(*) FROM outbox WHERE dest = :'p1'"
                                 " GROUP BY state", dest))
