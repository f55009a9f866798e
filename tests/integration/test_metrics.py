"""GET /metrics and GET /healthz ([admin] listen, issue 14), and what they count (issue 15's
refused sources): the real ermgw bound to the simulator over a real PostgreSQL, scraped over
HTTP. The text must pass `promtool check metrics` (Prometheus' own checker) and its values
must equal the traffic the test made: N orders, one unknown code, one sender that is not a
mobile number, receipts, a refused submit. /healthz says 200 only when bound with the
database up, and 503 with the reason in JSON otherwise. Per-MO refusal warnings are
rate-limited while every refusal is still counted."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

ESME_RX_P_APPN = 0x65
ESME_RSUBMITFAIL = 0x45
get = ermtest.http_get
parse = ermtest.metrics_parse
value = ermtest.metric


ADMIN_PORT = ermtest.free_port()


class Metrics(ermtest.BoundCase):
    """One ermgw with [admin] listen, bound to the simulator, its database migrated with one
    claimed code."""

    EXTRA_CONFIG = "[admin]\nlisten = 127.0.0.1:%d\n" % ADMIN_PORT
    port = ADMIN_PORT

    @classmethod
    def prepare(cls, pg):
        cls.promtool = shutil.which("promtool")
        if cls.promtool is None:
            raise AssertionError("promtool not found: run scripts/deps.sh (Debian prometheus)")
        cls.code, _ = ermtest.setup_pool(pg)

    def scrape(self):
        status, ctype, body = get(self.port, "/metrics")
        self.assertEqual(status, 200, body)
        self.assertEqual(ctype, "text/plain; version=0.0.4; charset=utf-8")
        return body

    def samples(self):
        return parse(self.scrape())

    def promtool_check(self, text):
        r = subprocess.run([self.promtool, "check", "metrics"], input=text, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (0, ""), "promtool check metrics:\n" + text)

    def wait_value(self, want, name, **labels):
        ermtest.wait_until(lambda: value(self.samples(), name, **labels) == want,
                           "%s%r == %s" % (name, labels, want))

    def health(self):
        status, ctype, body = get(self.port, "/healthz")
        self.assertEqual(ctype, "application/json")
        return status, json.loads(body)

    # The tests run in name order; test_1 counts from a fresh start.
    def test_1_values_equal_the_traffic(self):
        before = self.samples()
        self.assertEqual(value(before, "ermgw_mo_total", outcome="committed"), 0)
        n = 5
        for i in range(n):
            status, texts = ermtest.sms(self.sim, "1390000100%d" % i, self.code)
            self.assertEqual(status, 0)
        status, _ = ermtest.sms(self.sim, "13900001010", "99999")  # no such code: help
        self.assertEqual(status, 0)
        tag = self.sim.mo_text("CMCC", "10086", self.code)  # not a mobile number
        self.assertEqual(self.sim.wait_mo_resp(tag), ESME_RX_P_APPN)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders"), str(n))

        # Every reply recorded sent (after its submit_sm_resp) before the values are read.
        self.wait_value(n + 1, "ermgw_replies_total", result="sent")
        text = self.scrape()
        self.promtool_check(text)
        s = parse(text)
        self.assertEqual(value(s, "ermgw_mo_total", outcome="committed"), n + 1)
        self.assertEqual(value(s, "ermgw_mo_total", outcome="refused"), 1)
        self.assertEqual(value(s, "ermgw_mo_total", outcome="retry_later"), 0)
        self.assertEqual(value(s, "ermgw_mo_total", outcome="redelivered"), 0)
        self.assertEqual(value(s, "ermgw_mo_refused_total", channel="sms", reason="not_mobile"), 1)
        self.assertEqual(value(s, "ermgw_mo_refused_total", channel="sms", reason="not_text"), 0)
        self.assertEqual(value(s, "ermgw_orders_total", channel="sms"), n)
        self.assertEqual(value(s, "ermgw_orders_total", channel="phone"), 0)
        self.assertEqual(value(s, "ermgw_mo_replies_total", reply="order_ok"), n)
        self.assertEqual(value(s, "ermgw_mo_replies_total", reply="code_unknown"), 1)
        # One latency per MO accepted after its commit; none for the refused one.
        self.assertEqual(value(s, "ermgw_mo_ack_latency_seconds_count"), n + 1)
        self.assertEqual(value(s, "ermgw_mo_ack_latency_seconds_bucket", le="+Inf"), n + 1)
        self.assertGreater(value(s, "ermgw_mo_ack_latency_seconds_sum"), 0)
        # Every order (the unknown code's too) went through the group commit.
        self.assertEqual(value(s, "ermgw_order_batch_size_sum"), n + 1)
        self.assertEqual(value(s, "ermgw_order_batch_duration_seconds_count"),
                         value(s, "ermgw_order_batch_size_count"))
        self.assertEqual(value(s, "ermgw_replies_submitted_total"), n + 1)
        self.assertEqual(value(s, "ermgw_submit_results_total", status="ESME_ROK"), n + 1)
        self.assertEqual(value(s, "ermgw_mo_in_flight"), 0)
        self.assertEqual(value(s, "ermgw_bearer_link_up", bearer="smpp", link="0"), 1)
        self.assertEqual(value(s, "ermgw_bearer_binds_total", bearer="smpp"), 1)
        self.assertEqual(value(s, "ermgw_bearer_reconnects_total", bearer="smpp"), 0)
        self.assertEqual(value(s, "ermgw_bearer_window_size", bearer="smpp", link="0"), 10)
        self.assertEqual(value(s, "ermgw_bearer_window_in_use", bearer="smpp", link="0"), 0)
        self.assertEqual(value(s, "ermgw_db_connections"), 3)
        for conn in ("mo", "mo2", "outbox"):
            self.assertEqual(value(s, "ermgw_db_connection_up", connection=conn), 1)

        # Receipts by state, and a submit the SMSC refuses for good.
        for tag, msgid, stat in (("r1", "1", "DELIVRD"), ("r2", "2", "UNDELIV")):
            self.sim.send("receipt %s 13900001000 10086 %s %s" % (tag, msgid, stat))
            self.assertEqual(self.sim.wait_mo_resp(tag), 0)
        self.sim.send("submit_status 0x%02x" % ESME_RSUBMITFAIL)
        try:
            status, _ = ermtest.sms(self.sim, "13900001011", self.code, expect=0)
            self.assertEqual(status, 0)
            self.wait_value(1, "ermgw_replies_total", result="failed")
        finally:
            self.sim.send("submit_status 0x00")
        s = self.samples()
        self.assertEqual(value(s, "ermgw_receipts_total", state="DELIVRD"), 1)
        self.assertEqual(value(s, "ermgw_receipts_total", state="UNDELIV"), 1)
        self.assertEqual(value(s, "ermgw_receipts_total", state="other"), 0)
        self.assertEqual(value(s, "ermgw_submit_results_total", status="ESME_RSUBMITFAIL"), 1)
        self.assertEqual(value(s, "ermgw_orders_total", channel="sms"), n + 1)

    def test_2_refusal_warnings_rate_limited_but_counted(self):
        before = value(self.samples(), "ermgw_mo_refused_total", channel="sms",
                       reason="not_mobile")
        mark = self.gw.log.mark()
        sources = ["JUNK%d" % i for i in range(20)]
        tags = [self.sim.mo_text(src, "10086", self.code) for src in sources]
        for tag in tags:
            self.assertEqual(self.sim.wait_mo_resp(tag), ESME_RX_P_APPN)
        self.assertEqual(value(self.samples(), "ermgw_mo_refused_total", channel="sms",
                               reason="not_mobile"), before + 20)
        warned = self.gw.log.count(r"WARN .*the source is not a mobile number", start=mark)
        # Three (ERM_LOG_LIMIT_BURST) per 10 s window; the burst may straddle two windows.
        self.assertGreaterEqual(warned, 1)
        self.assertLessEqual(warned, 6)

    def test_3_health_and_errors(self):
        ermtest.wait_until(lambda: self.health()[0] == 200, "/healthz 200")
        self.assertEqual(self.health(),
                         (200, {"status": "ok", "bearer": "bound", "database": "up",
                                "stopping": False}))
        status, ctype, body = get(self.port, "/nope")
        self.assertEqual((status, ctype), (404, "application/json"))
        self.assertIn("error", json.loads(body))
        status, ctype, body = get(self.port, "/metrics", method="POST")
        self.assertEqual((status, ctype), (405, "application/json"))
        self.assertIn("error", json.loads(body))

    def test_4_health_when_the_database_is_down(self):
        mark = self.gw.log.mark()
        self.pg.stop()
        try:
            self.gw.log.wait(r"database down", start=mark)
            ermtest.wait_until(lambda: self.health()[0] == 503, "/healthz 503")
            self.assertEqual(self.health(),
                             (503, {"status": "unavailable", "bearer": "bound",
                                    "database": "down", "stopping": False}))
            s = self.samples()
            self.assertEqual(value(s, "ermgw_db_connection_up", connection="outbox"), 0)
            self.promtool_check(self.scrape())
        finally:
            mark = self.gw.log.mark()
            self.pg.start()
        self.gw.log.wait(r"database up", start=mark, timeout=30)
        ermtest.wait_until(lambda: self.health()[0] == 200, "/healthz 200 again", timeout=30)

    def test_5_unbound_and_the_oldest_queued_row(self):
        # The SMSC goes away: unbound, 503, reconnect attempts counted; a reply queued
        # meanwhile waits, and the gauge tells its age.
        mark = self.gw.log.mark()
        self.sim.close()
        try:
            ermtest.wait_until(lambda: self.health()[0] == 503, "/healthz 503 when unbound")
            self.assertEqual(self.health(),
                             (503, {"status": "unavailable", "bearer": "unbound",
                                    "database": "up", "stopping": False}))
            self.pg.psql("INSERT INTO outbox (dest, source, kind, text, created_at)"
                         " VALUES ('13900002000', '10086', 'test', 'hello',"
                         " now() - interval '100 seconds')")
            self.wait_value(1, "ermgw_outbox_rows", state="queued")
            s = self.samples()
            self.assertGreaterEqual(value(s, "ermgw_outbox_oldest_queued_age_seconds"), 100)
            self.assertLess(value(s, "ermgw_outbox_oldest_queued_age_seconds"), 200)
            self.assertEqual(value(s, "ermgw_bearer_link_up", bearer="smpp", link="0"), 0)
            self.gw.log.wait(r"retry in", start=mark)
            ermtest.wait_until(lambda: value(self.samples(), "ermgw_bearer_reconnects_total",
                                             bearer="smpp") >= 1, "a reconnect attempt")
            self.promtool_check(self.scrape())
        finally:
            pass  # the simulator stays gone: this is the class's last test


class AdminPortTaken(unittest.TestCase):
    def test_start_fails_with_one_line(self):
        """[admin] listen on a port another process holds: ermgw says so in one line naming
        the key and exits 1 (a runtime failure, like a database that cannot be reached),
        with nothing leaked on the way out."""
        with ermtest.PgCluster() as pg, socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            ermtest.ermctl(pg, "migrate", check=True)  # else ermgw stops for the old schema
            gw = ermtest.Daemon(pg, 9, extra_config="[admin]\nlisten = 127.0.0.1:%d\n" % port)
            try:
                gw.proc.wait(timeout=ermtest.DEFAULT_TIMEOUT)
            finally:
                rc = gw.stop()
            self.assertEqual(rc, 1, "\n".join(gw.log.lines))
            self.assertEqual(gw.log.count(r"ERROR .*\[admin\] listen: cannot listen on "
                                          r"127\.0\.0\.1:%d: Address already in use" % port), 1,
                             "\n".join(gw.log.lines))
            self.assertEqual(gw.log.count(r" (WARN|ERROR) "), 1, "\n".join(gw.log.lines))
            self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0,
                             "\n".join(gw.log.lines))


class HealthWhileStopping(unittest.TestCase):
    def test_stopping_is_503(self):
        """After SIGTERM, while an MO's transaction still runs (held by a lock), /healthz
        says 503 with "stopping": a load balancer takes the host out before it is gone."""
        with ermtest.PgCluster() as pg:
            code, _ = ermtest.setup_pool(pg)
            port = ermtest.free_port()
            with ermtest.Sim() as sim, ermtest.Daemon(
                    pg, sim.port, extra_config="[admin]\nlisten = 127.0.0.1:%d\n" % port) as gw, \
                    ermtest.PgSession(pg) as locker:
                sim.wait_bound()
                gw.log.wait(r"database up")
                # "database up" is logged once the MO connections are; the outbox's may follow.
                ermtest.wait_until(lambda: get(port, "/healthz")[0] == 200, "/healthz 200")
                locker.run("BEGIN")
                locker.run("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
                tag = sim.mo_hex("13700000041", "10086", 0, code.encode(), seq=4141)
                ermtest.wait_until(lambda: ermtest.lock_waiters(pg) == 1, "the MO's wait")
                mark = gw.log.mark()
                gw.proc.send_signal(signal.SIGTERM)
                gw.log.wait(r"SIGTERM: stopping", start=mark)
                status, _, body = get(port, "/healthz")
                self.assertEqual((status, json.loads(body)),
                                 (503, {"status": "unavailable", "bearer": "bound",
                                        "database": "up", "stopping": True}))
                locker.run("ROLLBACK")
                self.assertEqual(sim.wait_mo_resp(tag), 0)  # committed, then acknowledged
                self.assertEqual(gw.proc.wait(timeout=ermtest.DEFAULT_TIMEOUT), 0)
            self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0)


class StatementTimeout(unittest.TestCase):
    def test_a_statement_stuck_behind_a_lock_ends(self):
        """[database] statement_timeout_s: an order whose statement waits for a lock held
        elsewhere fails after the timeout, and its MO gets the temporary status (the SMSC
        delivers it again); without the timeout it would wait as long as the lock is held."""
        with ermtest.PgCluster() as pg:
            code, _ = ermtest.setup_pool(pg)
            with ermtest.Sim() as sim, ermtest.Daemon(
                    pg, sim.port,
                    extra_config="[database]\nstatement_timeout_s = 1\n") as gw, \
                    ermtest.PgSession(pg) as locker:
                sim.wait_bound()
                gw.log.wait(r"database up")
                locker.run("BEGIN")
                locker.run("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
                mark = gw.log.mark()
                tag = sim.mo_hex("13700000031", "10086", 0, code.encode(), seq=3131)
                self.assertEqual(sim.wait_mo_resp(tag, timeout=10), 0x64)
                gw.log.wait(r"SQL state 57014: canceling statement due to statement timeout",
                            start=mark)
                self.assertEqual(pg.scalar("SELECT count(*) FROM outbox"), "0")
                locker.run("ROLLBACK")
                # The SMSC's redelivery is stored once.
                mark = sim.out.mark()
                tag = sim.mo_hex("13700000031", "10086", 0, code.encode(), seq=3131)
                self.assertEqual(sim.wait_mo_resp(tag), 0)
                sim.wait_message("13700000031", start=mark)
                self.assertEqual(pg.scalar(
                    "SELECT count(*) FROM orders WHERE customer = '13700000031'"), "1")
            self.assertEqual(gw.proc.returncode, 0, "\n".join(gw.log.lines[-30:]))


if __name__ == "__main__":
    ermtest.main()
