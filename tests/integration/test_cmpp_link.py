"""What only CMPP has, end to end: the real ermgw with [cmpp], the ISMG simulator and
PostgreSQL. Status reports update the outbox row by Msg_Id; long MOs with TP_udhi in the
three formats (ASCII, UCS-2, GB) are joined; ACTIVE_TEST and TERMINATE from the ISMG are
answered (the link comes back after a TERMINATE or a drop, and a SUBMIT lost with the link
is sent again); Result 8 slows the sender down and the row is sent later; on stop ermgw
sends CMPP_TERMINATE. Then the login: a wrong secret (Status 3) is an error logged once and
retried with backoff; an ISMG whose AuthenticatorISMG does not match is dropped. And a
database outage: Result 8, nothing stored, the redelivery stored once. Both versions."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

LONG_TEXT = "您好，" + "感谢您使用本业务，这是一条很长的测试消息。" * 9  # 3 UCS-2 parts


class CmppLink:
    """The tests; the concrete classes below put BoundCase under them with CMPP set."""

    @classmethod
    def prepare(cls, pg):
        cls.code, _ = ermtest.setup_pool(pg)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.gw and cls.sim:
                # on stop ermgw terminates the link politely (the simulator answers and logs)
                mark = cls.sim.out.mark()
                cls.gw.stop()
                cls.sim.out.wait(r"^TERMINATE$", start=mark)
        finally:
            super().tearDownClass()  # ermgw's exit 0 and no sanitizer report; the rest closed

    def row(self, dest):
        rows = self.pg.psql("SELECT state, coalesce(delivery, '-'), coalesce(message_ids, '-')"
                            " FROM outbox WHERE dest = :'p1' ORDER BY id", dest)
        return rows

    def wait_sent(self, dest, n=1):
        ermtest.wait_until(lambda: [r[0] for r in self.row(dest)] == ["sent"] * n,
                           "%d outbox rows to %s sent" % (n, dest))

    def submits_to(self, dest, n, start):
        ids = []
        for _ in range(n):
            i, m = self.sim.out.wait(r"^SUBMIT (\S+) 10086 %s " % re.escape(dest), start=start)
            ids.append(m.group(1))
            start = i + 1
        return ids

    def help_reply(self, customer):
        """The customer's MO gets the help reply; returns its Msg_Id once the row is sent."""
        mark = self.sim.out.mark()
        self.assertEqual(self.sim.wait_mo_resp(self.sim.mo_text(customer, "10086", "hi")), 0)
        (mid,) = self.submits_to(customer, 1, mark)
        self.wait_sent(customer)
        return mid

    def orders_of(self, customer):
        return int(self.pg.scalar("SELECT count(*) FROM orders WHERE customer = :'p1'",
                                  customer))

    # -- status reports ----------------------------------------------------------------------

    def test_status_report_updates_row(self):
        mid = self.help_reply("13600000001")
        self.assertEqual(self.row("13600000001"), [("sent", "-", mid)])
        self.assertEqual(self.sim.wait_mo_resp(self.sim.report("13600000001", mid)), 0)
        ermtest.wait_until(lambda: self.row("13600000001")[0][1] == "DELIVRD",
                           "the row's delivery DELIVRD")

    def test_long_reply_three_parts_and_reports(self):
        mark = self.sim.out.mark()
        self.pg.psql("INSERT INTO outbox (dest, source, kind, text) "
                     "VALUES ('13600000002', '10086', 'test', :'p1')", LONG_TEXT)
        _, m = self.sim.out.wait(r"^MESSAGE 10086 13600000002 3 (.*)$", start=mark)
        self.assertEqual(ermtest.sim_unescape(m.group(1)), LONG_TEXT)
        ids = self.submits_to("13600000002", 3, mark)
        self.assertEqual(self.sim.out.count(r"^SUBMIT \S+ 10086 13600000002 0x01 0x08 0x01 3/",
                                            start=mark), 3)
        self.wait_sent("13600000002")
        for mid, stat in zip(ids, ("DELIVRD", "DELIVRD", "UNDELIV")):
            self.assertEqual(self.sim.wait_mo_resp(self.sim.report("13600000002", mid, stat)),
                             0)
        ermtest.wait_until(lambda: self.row("13600000002")[0][1] == "UNDELIV",
                           "the row's delivery UNDELIV")

    # -- MOs -----------------------------------------------------------------------------------

    def long_mo(self, customer, fmt, parts, ref):
        """Sends PARTS (bytes each) as one long MO with a 6-byte UDH; returns the statuses."""
        tags = [self.sim.mo_hex(customer, "10086", fmt,
                                bytes([5, 0, 3, ref, len(parts), i + 1]) + p, udhi=True)
                for i, p in enumerate(parts)]
        return [self.sim.wait_mo_resp(t) for t in tags]

    def test_long_mo_three_formats(self):
        for customer, fmt, enc, ref in (("13600000011", 0, "ascii", 1),
                                        ("13600000012", 8, "utf-16-be", 2),
                                        ("13600000013", 15, "gb18030", 3)):
            mark = self.sim.out.mark()
            text = " " * 70 + "１０" if fmt != 0 else " " * 70 + "10"
            text += "００１" if fmt != 0 else "001"
            data = text.encode(enc)
            half = len(data) // 2 - (len(data) // 2) % 2
            self.assertEqual(self.long_mo(customer, fmt, [data[:half], data[half:]], ref),
                             [0, 0])
            _, _, reply = self.sim.wait_message(customer, start=mark)
            self.assertIn("流量包", ermtest.sim_unescape(reply))
            self.assertEqual(self.orders_of(customer), 1)

    def test_redelivered_deliver_counted_once(self):
        mark = self.sim.out.mark()
        for _ in range(2):
            tag = self.sim.mo_hex("13600000021", "10086", 0, self.code.encode(), seq=9001)
            self.assertEqual(self.sim.wait_mo_resp(tag), 0)
        self.sim.wait_message("13600000021", start=mark)
        self.gw.log.wait(r"from 13600000021: \S+ handled before")
        self.assertEqual(self.orders_of("13600000021"), 1)

    # -- the link --------------------------------------------------------------------------

    def test_active_test_from_ismg(self):
        mark = self.sim.out.mark()
        self.sim.send("active_test")
        self.sim.out.wait(r"^RESP CMPP_ACTIVE_TEST_RESP \d+$", start=mark)
        self.assertEqual(self.sim.out.count(r"^ERROR", start=mark), 0)

    def test_throttle_result_8_then_sent(self):
        mark = self.sim.out.mark()
        self.sim.send("submit_result 8")
        tag = self.sim.mo_text("13600000031", "10086", "hi")
        self.assertEqual(self.sim.wait_mo_resp(tag), 0)
        self.sim.out.wait(r"^SUBMIT - 10086 13600000031 ", start=mark)
        self.gw.log.wait(r"Result 8 \(flow control\)")
        self.sim.send("submit_result 0")
        self.sim.wait_message("13600000031", start=mark, timeout=30)
        self.wait_sent("13600000031")

    def test_terminate_and_drop_then_back(self):
        for how, customer in (("terminate", "13600000041"), ("drop", "13600000042")):
            mark = self.sim.out.mark()
            self.sim.send("ignore_submit on")
            tag = self.sim.mo_text(customer, "10086", "hi")
            self.assertEqual(self.sim.wait_mo_resp(tag), 0)
            self.sim.out.wait(r"^SUBMIT \S+ 10086 %s " % customer, start=mark)
            self.sim.send("ignore_submit off")
            self.sim.send(how)
            if how == "terminate":
                self.sim.out.wait(r"^RESP CMPP_TERMINATE_RESP \d+$", start=mark)
            self.sim.out.wait(r"^DISCONNECT$", start=mark)
            self.sim.wait_bound(start=mark, timeout=30)
            # the SUBMIT whose answer the link took with it is sent again
            i, _ = self.sim.out.wait(r"^LOGIN ", start=mark)
            self.sim.out.wait(r"^SUBMIT [0-9a-f]+ 10086 %s " % customer, start=i)
            self.wait_sent(customer)


class Cmpp30Link(CmppLink, ermtest.BoundCase):
    CMPP = "3.0"


class Cmpp20Link(CmppLink, ermtest.BoundCase):
    CMPP = "2.0"


class Login(unittest.TestCase):
    """Login failures, each with its own simulator and daemon."""

    @classmethod
    def setUpClass(cls):
        cls.pg = ermtest.PgCluster().__enter__()
        try:
            cls.code, _ = ermtest.setup_pool(cls.pg)
        except BaseException:
            cls.pg.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pg.__exit__(None, None, None)

    def stop_clean(self, gw):
        rc = gw.stop()
        self.assertEqual(rc, 0, "\n".join(gw.log.lines[-30:]))
        self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0)

    def test_wrong_secret_logged_once_and_retried(self):
        with ermtest.IsmgSim("3.0") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0", cmpp_secret="wrong")
            try:
                i, _ = sim.out.wait(r"^LOGIN 901234 0x30 3$")
                sim.out.wait(r"^LOGIN 901234 0x30 3$", start=i + 1, timeout=30)
                lines = gw.log.count(r"ERROR.*login to .* refused: Status 3 \(authentication")
                self.assertEqual(lines, 1, "\n".join(gw.log.lines))
            finally:
                self.stop_clean(gw)

    def test_version_too_high(self):
        with ermtest.IsmgSim("2.0") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0")
            try:
                sim.out.wait(r"^LOGIN 901234 0x30 4$")
                gw.log.wait(r"refused: Status 4 \(version too high\)")
            finally:
                self.stop_clean(gw)

    def test_logged_in_after_refusals(self):
        # the secret put right at the ISMG: the refusals were counted, the login says so
        with ermtest.IsmgSim("3.0", secret="other") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0")
            try:
                gw.log.wait(r"refused: Status 3 \(.*\), 2 in a row")
                sim.send("secret %s" % ermtest.IsmgSim.SECRET)
                gw.log.wait(r"logged in to .* after \d+ refused", timeout=30)
            finally:
                self.stop_clean(gw)

    def test_ismg_authenticator_checked(self):
        with ermtest.IsmgSim("3.0") as sim:
            sim.send("bad_auth on")
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0")
            try:
                sim.out.wait(r"^LOGIN 901234 0x30 0$")
                gw.log.wait(r"AuthenticatorISMG does not match our secret; link dropped")
                sim.out.wait(r"^DISCONNECT$")
                self.assertEqual(gw.log.count(r"logged in to"), 0)
                sim.send("bad_auth off")
                sim.wait_bound(timeout=30)
                gw.log.wait(r"logged in to")
            finally:
                self.stop_clean(gw)

    def test_metrics(self):
        # GET /metrics tells the CMPP link: refused logins are reconnects and no bind; once
        # the secret is right (the simulator restarted with it), the link is up, one bind
        port = ermtest.free_port()
        admin = "[admin]\nlisten = 127.0.0.1:%d\n" % port
        with ermtest.IsmgSim("3.0", secret="other") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0", extra_config=admin)
            try:
                i, _ = sim.out.wait(r"^LOGIN 901234 0x30 3$")
                sim.out.wait(r"^LOGIN 901234 0x30 3$", start=i + 1, timeout=30)
                ermtest.wait_until(lambda: ermtest.metric(
                    ermtest.scrape(port), "ermgw_bearer_reconnects_total", bearer="cmpp") >= 2,
                    "two reconnects counted")
                m = ermtest.scrape(port)
                self.assertEqual(ermtest.metric(m, "ermgw_bearer_binds_total", bearer="cmpp"), 0)
                self.assertEqual(ermtest.metric(m, "ermgw_bearer_link_up", bearer="cmpp",
                                                link="0"), 0)
            finally:
                self.stop_clean(gw)
        with ermtest.IsmgSim("3.0") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0", extra_config=admin)
            try:
                sim.wait_bound()
                ermtest.wait_until(lambda: ermtest.metric(
                    ermtest.scrape(port), "ermgw_bearer_link_up", bearer="cmpp", link="0") == 1,
                    "the CMPP link up in /metrics")
                m = ermtest.scrape(port)
                self.assertEqual(ermtest.metric(m, "ermgw_bearer_binds_total", bearer="cmpp"), 1)
                self.assertEqual(ermtest.metric(m, "ermgw_bearer_window_size", bearer="cmpp",
                                                link="0"), 16)
            finally:
                self.stop_clean(gw)

    def test_stop_while_waiting_to_reconnect(self):
        # refused logins leave ermgw waiting out its backoff; SIGTERM then stops it at once
        # (exit 0 within 5 s) without one more login
        with ermtest.IsmgSim("3.0", secret="other") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0")
            try:
                i, _ = sim.out.wait(r"^LOGIN 901234 0x30 3$")
                sim.out.wait(r"^LOGIN 901234 0x30 3$", start=i + 1, timeout=30)
                gw.log.wait(r"refused: Status 3 .*; retry in")
                mark = sim.out.mark()
                self.assertEqual(gw.stop(timeout=5), 0, "\n".join(gw.log.lines[-20:]))
                self.assertEqual(sim.out.count(r"^LOGIN ", start=mark), 0)
            finally:
                self.stop_clean(gw)

    def test_incomplete_pdu_drops_link(self):
        # a header that promises 127 bytes, and nothing after it: the stream cannot be
        # trusted past it, so the link goes after response_timeout_s and comes back
        with ermtest.IsmgSim("3.0") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0",
                                extra_config="[cmpp]\nresponse_timeout_s = 2\n")
            try:
                i, _ = sim.wait_bound()
                sim.send("raw 0000007f0000000500000063")
                gw.log.wait(r"incomplete PDU from .*: 12 bytes after 2 s")
                j, _ = sim.out.wait(r"^DISCONNECT$", start=i)
                sim.wait_bound(start=j, timeout=30)
            finally:
                self.stop_clean(gw)

    def test_database_outage_result_8_then_stored_once(self):
        with ermtest.IsmgSim("3.0") as sim:
            gw = ermtest.Daemon(self.pg, sim.port, cmpp_version="3.0")
            try:
                sim.wait_bound()
                gw.log.wait(r"database up")
                self.pg.stop()
                gw.log.wait(r"database down")
                tag = sim.mo_hex("13700000001", "10086", 0, self.code.encode(), seq=4242)
                self.assertEqual(sim.wait_mo_resp(tag), 8)
                self.pg.start()
                mark = gw.log.mark()
                gw.log.wait(r"database up", start=mark, timeout=30)
                self.assertEqual(self.pg.scalar(
                    "SELECT count(*) FROM orders WHERE customer = '13700000001'"), "0")
                mark = sim.out.mark()
                tag = sim.mo_hex("13700000001", "10086", 0, self.code.encode(), seq=4242)
                self.assertEqual(sim.wait_mo_resp(tag), 0)
                sim.wait_message("13700000001", start=mark)
                self.assertEqual(self.pg.scalar(
                    "SELECT count(*) FROM orders WHERE customer = '13700000001'"), "1")
            finally:
                self.stop_clean(gw)


if __name__ == "__main__":
    ermtest.main()
