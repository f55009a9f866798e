"""Several binds on one account (issue 14): `[smsc] binds = N` opens N transceiver sessions
to the SMSC; MOs are taken from any (each answered on the bind it came on), replies are
spread over the binds that are bound, each bind with its own window. `bind = pair` makes
each bind a receiver and a transmitter: MOs on the one, replies on the other. The real
ermgw, the simulator taking several clients at once (--binds N) and PostgreSQL."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402


class TwoBinds(ermtest.PoolCase):
    def start(self, config):
        """A simulator taking two clients and ermgw with CONFIG, both of its sessions bound."""
        sim = ermtest.Sim(extra=("--binds", "2"))
        self.addCleanup(sim.close)
        gw = ermtest.Daemon(self.pg, sim.port, extra_config=config)
        self.addCleanup(self.stop_clean, gw)
        i, _ = sim.wait_bound()
        sim.wait_bound(start=i + 1)
        gw.log.wait(r"database up")
        return sim, gw

    def submits(self, sim, start):
        with sim.out.cond:
            return [line for line in sim.out.lines[start:] if re.match(r"^SUBMIT \S+ ", line)]

    def test_mos_from_both_replies_over_both(self):
        sim, gw = self.start("[smsc]\nbinds = 2\nwindow = 1\n")
        # The simulator hands injected MOs to its clients in turn: both binds take MOs, and
        # each is answered on its own (an answer on the other would not match the MO).
        customers = ["1393%07d" % n for n in range(40)]
        tags = [sim.mo_hex(c, "10086", 0, self.code.encode()) for c in customers]
        for t in tags:
            self.assertEqual(sim.wait_mo_resp(t), 0)
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT count(*) FROM outbox WHERE dest LIKE '1393%' AND state = 'sent'") == "40",
            "the 40 replies sent")
        # Replies spread over both binds: with a window of 1 per bind and the responses held,
        # two submits are out at once, never more.
        sim.send("hold_submit_resp on")
        mark = sim.out.mark()
        self.pg.psql("INSERT INTO outbox (dest, source, kind, text) SELECT '1394' ||"
                     " lpad(g::text, 7, '0'), '10086', 'test', 'spread ' || g"
                     " FROM generate_series(1, 4) AS g")
        ermtest.wait_until(lambda: len(self.submits(sim, mark)) == 2, "a submit on each bind")
        # Whatever either bind wrote before its enquire_link_resp is in (one stream each).
        sim.send("enquire_link")
        i, _ = sim.out.wait(r"^RESP enquire_link_resp 0x00 ", start=mark)
        sim.out.wait(r"^RESP enquire_link_resp 0x00 ", start=i + 1)
        self.assertEqual(len(self.submits(sim, mark)), 2)
        sim.send("hold_submit_resp off")
        sim.send("release_submit_resp")
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT count(*) FROM outbox WHERE dest LIKE '1394%' AND state = 'sent'") == "4",
            "the 4 rows sent")
        self.assertEqual(len(self.submits(sim, mark)), 4)


    def test_pair_receiver_and_transmitter(self):
        sim, gw = self.start("[smsc]\nbind = pair\n")
        gw.log.wait(r"bound to \S+ as ermgw \(.*\), receiver$")
        gw.log.wait(r"bound to \S+ as ermgw \(.*\), transmitter$")
        # The simulator sends MOs on the receiver only, and refuses a submit there (0x04,
        # which would fail the row): every reply went on the transmitter.
        customers = ["1395%07d" % n for n in range(20)]
        mark = sim.out.mark()
        tags = [sim.mo_hex(c, "10086", 0, self.code.encode()) for c in customers]
        for t in tags:
            self.assertEqual(sim.wait_mo_resp(t), 0)
        ermtest.wait_until(lambda: self.pg.scalar(
            "SELECT count(*) FROM outbox WHERE dest LIKE '1395%' AND state = 'sent'") == "20",
            "the 20 replies sent")
        self.assertEqual(len(self.submits(sim, mark)), 20)
        self.assertEqual(sim.out.count(r"^ERROR submit_sm .* on a receiver bind", start=mark), 0)


if __name__ == "__main__":
    ermtest.main()
