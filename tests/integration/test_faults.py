"""No loss under faults: the real ermgw under a bounded load of orders (a few hundred MOs from
distinct customers) while the SMSC closes the TCP connection mid-window, refuses binds for a
while, PostgreSQL is restarted, or ermgw itself is killed with SIGKILL and started again.

The test plays the SMSC's part: an MO not acknowledged with status 0 (a temporary status,
or no answer because the link went away) is delivered again. Afterwards, for every
customer: exactly one order in the database, every outbox row sent, the confirmation
received by the simulator, and no more submits of a row than it had tries."""
import collections
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

ROUND_TIMEOUT = 15


class Faults(ermtest.PoolCase):
    def setUp(self):
        self.sim = ermtest.Sim()
        self.addCleanup(self.sim.close)
        self.daemons = []
        self.start_daemon()
        self.sim.wait_bound()
        self.tags = {}  # tag -> customer, every MO delivered
        self.acked = collections.Counter()  # customer -> MOs acknowledged with 0

    def start_daemon(self):
        gw = ermtest.Daemon(self.pg, self.sim.port,
                            extra_config="[smsc]\nresponse_timeout_s = 3\nreconnect_max_s = 2\n")
        self.daemons.append(gw)
        self.addCleanup(self.stop_clean, gw, killed_ok=True)
        return gw

    @property
    def gw(self):
        return self.daemons[-1]

    def customers(self, prefix, n):
        return ["%s%05d" % (prefix, i) for i in range(n)]

    def deliver(self, customers):
        """Sends one MO per customer (an order of the code); returns their tags."""
        tags = []
        for c in customers:
            tag = self.sim.mo_text(c, "10086", self.code)
            self.tags[tag] = c
            tags.append(tag)
        return tags

    def collect(self, start=0):
        """Reads every MO_RESP so far: {tag: status}; counts the 0s per customer."""
        out = {}
        with self.sim.out.cond:
            lines = list(self.sim.out.lines[start:])
        for line in lines:
            m = re.match(r"^MO_RESP (\S+) 0x([0-9a-f]+)$", line)
            if m and m.group(1) in self.tags:
                out[m.group(1)] = int(m.group(2), 16)
        return out

    def wait_answers(self, n, start):
        """Waits until N MO_RESPs have come after line START."""
        ermtest.wait_until(lambda: len(self.collect(start)) >= n, "%d MO answers" % n)

    def deliver_until_acked(self, customers):
        """Plays the SMSC: delivers every customer's MO until one is acknowledged with 0,
        round after round (a round ends when each MO is answered or its link went away)."""
        todo = [c for c in customers if self.acked_now(c) == 0]
        deadline = time.monotonic() + 60
        while todo:
            self.assertLess(time.monotonic(), deadline, "%d MOs never acknowledged" % len(todo))
            mark = self.sim.out.mark()
            self.sim.wait_bound(start=self.last_disconnect())
            tags = self.deliver(todo)

            def round_over():
                answered = self.collect(mark)
                return (all(t in answered for t in tags) or
                        self.sim.out.count(r"^DISCONNECT$", start=mark) > 0)
            ermtest.wait_until(round_over, "a round of %d MOs" % len(tags),
                               timeout=ROUND_TIMEOUT)
            todo = [c for c in todo if self.acked_now(c) == 0]

    def acked_now(self, customer):
        return sum(1 for t, st in self.collect().items() if st == 0 and self.tags[t] == customer)

    def last_disconnect(self):
        with self.sim.out.cond:
            idx = [i for i, line in enumerate(self.sim.out.lines) if line == "DISCONNECT"]
        return idx[-1] if idx else 0

    def fence(self):
        """Waits until the simulator has run every command sent before this one."""
        mark = self.sim.out.mark()
        self.sim.send("fence")
        self.sim.out.wait(r"^ERROR unknown command fence", start=mark)

    def assert_no_loss(self, customers):
        """Exactly one order per customer; every reply row sent, received, submitted at most
        once per try."""
        prefix = customers[0][:6]
        rows = self.pg.psql("SELECT count(*), count(DISTINCT customer) FROM orders "
                            "WHERE customer LIKE :'p1' || '%'", prefix)
        self.assertEqual(rows, [(str(len(customers)), str(len(customers)))])

        def settled():
            return self.pg.scalar("SELECT count(*) FROM outbox WHERE dest LIKE :'p1' || '%' "
                                  "AND state IN ('queued', 'sending')", prefix) == "0"
        ermtest.wait_until(settled, "every outbox row submitted", timeout=60)
        states = dict(self.pg.psql("SELECT state, count(*) FROM outbox WHERE dest LIKE "
                                   ":'p1' || '%' GROUP BY state", prefix))
        self.assertEqual(list(states), ["sent"], states)
        tries = dict(self.pg.psql("SELECT dest, sum(tries) FROM outbox WHERE dest LIKE "
                                  ":'p1' || '%' GROUP BY dest", prefix))
        self.assertEqual(sorted(tries), sorted(customers))
        submits, messages = collections.Counter(), set()
        with self.sim.out.cond:
            lines = list(self.sim.out.lines)
        for line in lines:
            m = re.match(r"^SUBMIT \S+ 10086 (\d+) ", line)
            if m:
                submits[m.group(1)] += 1
            m = re.match(r"^MESSAGE 10086 (\d+) ", line)
            if m:
                messages.add(m.group(1))
        self.assertEqual(sorted(c for c in customers if c not in messages), [])
        over = {c: (submits[c], tries[c]) for c in customers if submits[c] > int(tries[c])}
        self.assertEqual(over, {}, "submits beyond the tries (submits, tries)")

    def test_smsc_drops_link_mid_window(self):
        customers = self.customers("139301", 300)
        mark = self.sim.out.mark()
        self.deliver(customers[:150])
        self.sim.out.wait(r"^SUBMIT ", start=mark)  # replies being submitted: more MOs, drop
        self.deliver(customers[150:])
        self.sim.send("drop")
        self.sim.out.wait(r"^DISCONNECT$", start=mark)
        self.fence()
        self.assertLess(len(self.collect(mark)), len(customers), "the drop came too late")
        self.deliver_until_acked(customers)
        self.assert_no_loss(customers)

    def test_smsc_refuses_binds_for_a_while(self):
        customers = self.customers("139302", 150)
        mark = self.sim.out.mark()
        self.deliver(customers)
        self.wait_answers(40, mark)
        self.sim.send("bind_status 0x0e")
        self.sim.send("drop")
        i = mark
        for _ in range(2):
            i, _ = self.sim.out.wait(r"^BIND \S+ \S+ \S+ 0x0e$", start=i + 1)
        self.sim.send("bind_status 0")
        self.gw.log.wait(r"bind refused by \S+: ESME_RINVPASWD")
        self.deliver_until_acked(customers)
        self.assert_no_loss(customers)

    def test_postgres_restarted_under_load(self):
        customers = self.customers("139303", 300)
        mark = self.sim.out.mark()
        self.deliver(customers[:150])
        self.sim.out.wait(r"^SUBMIT ", start=mark)  # while replies are being submitted
        self.pg.stop()
        self.gw.log.wait(r"database down")
        self.deliver(customers[150:])  # during the outage: temporary status, nothing stored
        self.fence()
        logmark = self.gw.log.mark()
        self.pg.start()
        self.gw.log.wait(r"database up", start=logmark, timeout=30)
        statuses = self.collect(mark)
        self.assertIn(0x64, statuses.values(), "no MO was refused during the outage")
        self.deliver_until_acked(customers)
        self.assert_no_loss(customers)

    def test_sigkill_under_load_then_restart(self):
        customers = self.customers("139304", 200)
        # hold the submits so that rows are surely 'sending' when the daemon dies (turned on
        # first: the sender may submit every reply before a later switch would be seen)
        self.sim.send("ignore submit_sm on")
        self.fence()
        mark = self.sim.out.mark()
        self.deliver(customers)
        self.wait_answers(60, mark)
        self.sim.out.wait(r"^IGNORED submit_sm \d+$", start=mark)
        self.gw.proc.kill()
        self.sim.out.wait(r"^DISCONNECT$", start=mark)
        self.fence()
        sending = int(self.pg.scalar("SELECT count(*) FROM outbox WHERE state = 'sending'"))
        self.assertGreater(sending, 0)
        self.sim.send("ignore submit_sm off")
        gw = self.start_daemon()
        gw.log.wait(r"outbox: %d rows left sending put back to queued" % sending)
        self.deliver_until_acked(customers)
        self.assert_no_loss(customers)


if __name__ == "__main__":
    ermtest.main()
