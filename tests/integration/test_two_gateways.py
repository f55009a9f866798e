"""Two gateways on one database (issue 14): each ermgw has its [gateway] id, the outbox rows
it takes carry that id, and its lease says how long they are its own. Real parts: two ermgw
processes, PostgreSQL, and the simulator.

- Two gateways bound to one simulator (two binds of one account, --binds 2), one SIGKILLed
  mid-run: every MO acknowledged is stored once, every reply is sent
  (the survivor puts the dead one's rows back to the queue once its lease ran out), replies
  sent twice are only rows the dead one had in flight, and an MO the SMSC delivers again to
  the other gateway is recognised by the dedupe and not counted twice.
- A gateway frozen (SIGSTOP) past its lease, then woken: the other one sends its rows, and
  the frozen one submits none of the rows it held but had not submitted. Here each gateway
  has a simulator of its own: the frozen one's submit responses are held, the other's not.

MOS is the issue's 10,000 (5,000 per bind): about 20 s with the sanitizer build."""
import collections
import os
import re
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

MOS = 10000
LEASE_S = 3
REDELIVERED_ACKED = 20  # acknowledged MOs of the dead gateway delivered again to the other


def gateway_config(gw_id, admin_port):
    # Submits held by the simulator while a gateway is frozen must not time out (a timeout
    # drops the link, which puts the rows back by another way than the one under test).
    return ("[gateway]\nid = %s\nlease_s = %d\n[smsc]\nresponse_timeout_s = 120\n"
            "[admin]\nlisten = 127.0.0.1:%d\n" % (gw_id, LEASE_S, admin_port))


def submits(sim, start=0):
    """The destinations of the SUBMIT lines of SIM since START, in order."""
    with sim.out.cond:
        lines = list(sim.out.lines[start:])
    return [m.group(1) for m in (re.match(r"^SUBMIT \S+ \S+ (\S+) ", line) for line in lines)
            if m]


def mo_resps(sim):
    """{tag: status} of every deliver_sm_resp SIM has seen."""
    with sim.out.cond:
        lines = list(sim.out.lines)
    out = {}
    for line in lines:
        m = re.match(r"^MO_RESP (\S+) 0x([0-9a-fA-F]+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2), 16)
    return out


class Pair:
    """A cluster, two simulators and two gateways (ids gw-a and gw-b), started together."""

    def __init__(self, start_b=True, shared=False):
        self.pg = ermtest.PgCluster().__enter__()
        self.sims, self.gws = {}, {}
        try:
            self.code, _ = ermtest.setup_pool(self.pg)
            if shared:  # one SMSC, a bind for each gateway
                self.sims["a"] = self.sims["b"] = ermtest.Sim(extra=("--binds", "2"))
            else:
                for name in ("a", "b"):
                    self.sims[name] = ermtest.Sim()
            self.start("a")
            if start_b:
                self.start("b")
        except BaseException:
            self.close()
            raise

    def start(self, name):
        sim = self.sims[name]
        mark = sim.out.mark()
        port = ermtest.free_port()
        gw = ermtest.Daemon(self.pg, sim.port, extra_config=gateway_config("gw-" + name, port))
        gw.admin_port = port  # its /metrics
        self.gws[name] = gw
        sim.wait_bound(start=mark)
        gw.log.wait(r"lease held")

    def scalar(self, sql, *params):
        return int(self.pg.scalar(sql, *params))

    def unsent(self):
        return self.scalar("SELECT count(*) FROM outbox WHERE state IN ('queued', 'sending')")

    def close(self):
        try:
            for name, gw in list(self.gws.items()):
                if gw.proc.poll() is None:
                    gw.proc.send_signal(signal.SIGCONT)
                    rc = gw.stop()
                    if rc != 0:
                        raise AssertionError("gw-%s exited %d:\n%s" % (
                            name, rc, "\n".join(gw.log.lines[-30:])))
                else:
                    gw.stop()
        finally:
            for sim in set(self.sims.values()):
                sim.close()
            self.pg.__exit__(None, None, None)


class OneDiesMidRun(unittest.TestCase):
    def setUp(self):
        self.p = Pair(shared=True)

    def tearDown(self):
        self.p.close()

    def test_sigkill_one_gateway_mid_run(self):
        p = self.p
        sim = p.sims["a"]
        customers = ["139%08d" % i for i in range(MOS)]
        sent = {"a": {}, "b": {}}  # tag -> customer
        # The simulator hands MOs to its bound clients in turn, gw-a's (the first) first.
        for i, c in enumerate(customers):
            sent["a" if i % 2 == 0 else "b"][sim.mo_hex(c, "10086", 0, p.code.encode())] = c
        # gw-a dies once a third of its MOs are acknowledged (its takes are then in flight).
        ermtest.wait_until(lambda: sum(1 for t in mo_resps(sim) if t in sent["a"]) >= MOS // 6,
                           "gw-a acknowledging MOs", timeout=120)
        # gw-a's acks, taken before it dies: once it is gone, the simulator hands the MOs
        # still to come to gw-b, so an ack of a tag of sent["a"] is no longer gw-a's.
        acked_a = {t: st for t, st in mo_resps(sim).items() if st == 0 and t in sent["a"]}
        mark = sim.out.mark()
        p.gws["a"].proc.send_signal(signal.SIGKILL)
        p.gws["a"].proc.wait()
        sim.out.wait(r"^DISCONNECT$", start=mark)
        # What gw-a held when it died: the only rows that may be sent twice.
        in_flight = set(r[0] for r in p.pg.psql(
            "SELECT dest FROM outbox WHERE state = 'sending' AND owner = 'gw-a'"))
        # What died unanswered on gw-a's link, as the simulator says (not guessed from
        # sent["a"]: re-sending an MO gw-b is still working on would be a second message on
        # one link, rightly answered "already ordered").
        with sim.out.cond:
            after = list(sim.out.lines[mark:])
        lost_tags = [m.group(1) for m in (re.match(r"^MO_LOST (\S+)$", x) for x in after) if m]
        lost_a = [sent["a"][t] for t in lost_tags if t in sent["a"]]
        # The SMSC delivers again, on the other bind, what gw-a did not acknowledge, and a
        # few it did (their acks lost with the link).
        again = lost_a + [sent["a"][t] for t in list(acked_a)[-REDELIVERED_ACKED:]]
        again_tags = [sim.mo_hex(c, "10086", 0, p.code.encode()) for c in again]
        # every MO is answered: gw-b's, gw-a's acknowledged before it died or handed to gw-b
        # after, and the ones delivered again
        for tag in list(sent["b"]) + [t for t in sent["a"] if t not in lost_tags] + again_tags:
            self.assertEqual(sim.wait_mo_resp(tag, timeout=120), 0, tag)
        ermtest.wait_until(lambda: p.unsent() == 0, "every reply sent", timeout=120)

        # Every MO acknowledged is stored once: one order per customer, none twice.
        self.assertEqual(p.scalar("SELECT count(*) FROM orders"), MOS)
        self.assertEqual(p.scalar("SELECT count(DISTINCT customer) FROM orders"), MOS)
        self.assertEqual(p.scalar("SELECT count(*) FROM outbox"), MOS)
        self.assertEqual(p.scalar("SELECT count(*) FROM outbox WHERE state = 'sent'"), MOS)
        # Every reply went out; a second copy only of a row gw-a had in flight.
        got = submits(sim)
        self.assertEqual(set(got), set(customers))
        twice = set(d for d, n in collections.Counter(got).items() if n > 1)
        self.assertLessEqual(twice, in_flight)
        self.assertEqual(len(got) - MOS, len(twice))
        print("two gateways: %d MOs, gw-a killed after %d acks holding %d rows; %d delivered "
              "again to gw-b; %d replies sent twice" % (MOS, len(acked_a), len(in_flight),
                                                       len(again), len(twice)))
        # The survivor took the dead one's rows over once its lease ran out.
        if in_flight:
            p.gws["b"].log.wait(r"sending by another gateway whose lease ran out put back")


class FrozenPastItsLease(unittest.TestCase):
    HELD = 40  # rows gw-a takes (sender_take_max 32) while its submits' responses are held

    def setUp(self):
        self.p = Pair(start_b=False)

    def tearDown(self):
        self.p.close()

    def test_sigstop_past_the_lease_sends_nothing_it_no_longer_owns(self):
        p = self.p
        sa, ga = p.sims["a"], p.gws["a"]
        sa.send("hold_submit_resp on")
        mark = sa.out.mark()
        p.pg.psql("INSERT INTO outbox (dest, source, kind, text) SELECT '1365' || lpad(g::text,"
                  " 7, '0'), '10086', 'test', 'frozen ' || g FROM generate_series(1, %d) AS g"
                  % self.HELD)
        # gw-a fills its window (10) and holds the rest of its take unsubmitted.
        ermtest.wait_until(lambda: len(submits(sa, mark)) == 10, "gw-a's window full")
        held = p.scalar("SELECT count(*) FROM outbox WHERE owner = 'gw-a' AND state = 'sending'")
        self.assertGreater(held, 10)
        ga.proc.send_signal(signal.SIGSTOP)
        p.start("b")
        # gw-b takes gw-a's rows over once gw-a's lease ran out, and sends them all.
        p.gws["b"].log.wait(r"outbox: %d rows sending by another gateway whose lease ran out"
                            % held, timeout=30)
        ermtest.wait_until(lambda: p.unsent() == 0, "every row sent by gw-b", timeout=60)
        self.assertEqual(len(set(submits(p.sims["b"]))), self.HELD)
        # gw-a wakes: its lease lapsed, it says so and renews it; then the responses it was
        # waiting for arrive, which would free its window for the rows it held.
        log_mark = ga.log.mark()
        ga.proc.send_signal(signal.SIGCONT)
        ga.log.wait(r"gateway gw-a: lease lapsed", start=log_mark)
        ga.log.wait(r"gateway gw-a: lease held", start=log_mark)
        m = ermtest.scrape(ga.admin_port)  # the lapse counted, the lease held again
        self.assertEqual(ermtest.metric(m, "ermgw_lease_lapses_total"), 1)
        self.assertEqual(ermtest.metric(m, "ermgw_lease_held"), 1)
        m = ermtest.scrape(p.gws["b"].admin_port)
        self.assertEqual(ermtest.metric(m, "ermgw_lease_lapses_total"), 0)
        sa.send("release_submit_resp")
        # Every row it held ends as "no longer this gateway's": the unsubmitted ones when the
        # lapse is seen, the 10 submitted when their responses come (gw-b recorded them).
        ermtest.wait_until(lambda: ga.log.count(r"no longer this gateway's", log_mark) == held,
                           "gw-a letting go of the %d rows it held" % held)
        # A request answered after whatever gw-a wrote meanwhile (one TCP stream, in order).
        sa.send("enquire_link")
        barrier, _ = sa.out.wait(r"^RESP enquire_link_resp 0x0+ ", start=mark)
        # Nothing of what it held went out after the 10 submitted before it froze.
        self.assertEqual(len(submits(sa, mark)), 10)
        self.assertEqual(p.scalar("SELECT count(*) FROM outbox WHERE dest LIKE '1365%%'"
                                  " AND state = 'sent'"), self.HELD)

if __name__ == "__main__":
    ermtest.main()
