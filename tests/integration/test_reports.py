"""Reports and the month replay (issue 4): `ermctl report` in its three formats, and a month
of traffic replayed (most orders inserted with explicit timestamps in the database's current
month and credited in time order by erm_credit_order(), the rest live through ermgw: orders,
QX cancellations, CX queries), after which the ledger, every CX reply and the report agree
to the fen. And the reports' summary (commission_daily, schema/006_report_summary.sql):
filled from the ledger when the migration is applied to a database with history, kept by
the ledger's trigger through orders, cancellations and team splits after it, equal to the
ledger's own aggregates throughout, and every report equal to the ledger grouped in Python.
"""
import collections
import csv
import glob
import io
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

EMPLOYEES = [("E01", "张三", "13800000101", "市场部"), ("E02", "欧阳娜娜", "13800000102", "市场部"),
             ("E03", "Li Lei", "13800000103", "政企部"), ("E04", "王五", "13800000104", "政企部")]


def ctl(pg, *args):
    return ermtest.ermctl(pg, *args, check=True).stdout


class OwnCluster(unittest.TestCase):
    """Tests that share one throwaway cluster (cls.pg), filled by the class's setup_data()."""

    @classmethod
    def setUpClass(cls):
        cls.pg = ermtest.PgCluster().__enter__()
        try:
            cls.setup_data()
        except BaseException:
            cls.pg.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pg.__exit__(None, None, None)


def assign_team(pg, product, team, old_schema):
    """Hands TEAM a code of PRODUCT: with ermctl assign, or on a database migrated only up to
    005 as that schema's hand-out did (today's ermctl assign needs schema/017)."""
    if not old_schema:
        ctl(pg, "assign", "--product", product, "--team", team)
    else:
        pg.psql("SELECT erm_claim_code(:'p1', NULL, (SELECT id FROM teams WHERE name = :'p2'),"
                " false)", product, team)


def add_people(pg, tiers, old_schema=False):
    """Products 10 and 20 (TIERS: the two --tier values), active; EMPLOYEES, each with a
    code of both; team 亲友团 (E01 and 张妈妈) with a code of product 10."""
    for code, fen, tier in (("10", "5.00", tiers[0]), ("20", "3.33", tiers[1])):
        ctl(pg, "product", "add", "--code", code, "--name", "产品" + code, "--quota", "100",
            "--commission", fen, "--intro", "x", "--tier", tier)
        ctl(pg, "product", "activate", code)
    for eid, name, msisdn, dept in EMPLOYEES:
        ctl(pg, "employee", "add", "--id", eid, "--name", name, "--msisdn", msisdn,
            "--dept", dept)
        for code in ("10", "20"):
            ctl(pg, "claim", "--product", code, "--employee", eid)
    ctl(pg, "team", "create", "亲友团", "--leader", "E01")
    ctl(pg, "team", "add", "亲友团", "--msisdn", "13900000001", "--name", "张妈妈")
    assign_team(pg, "10", "亲友团", old_schema)


class MonthReplay(OwnCluster):
    @classmethod
    def setup_data(cls):
        pg = cls.pg
        ctl(pg, "migrate")
        add_people(pg, ("51:8.00", "20:4.44"))
        # The month so far: 1500 orders at random instants between the month's start and
        # now, on random codes, credited in the order they happened.
        codes = [r[0] for r in pg.psql("SELECT code FROM claims ORDER BY code")]
        rnd = random.Random(4)
        rows = "\n".join("%s\t%s\t%.6f" % ("1370%07d" % i, rnd.choice(codes), rnd.random())
                         for i in range(1500))
        pg.psql("CREATE TABLE replay (customer text, code text, f float8);"
                "COPY replay FROM STDIN;\n" + rows + "\n\\.\n"
                "INSERT INTO orders (customer, code, employee_id, team_id, product_code,"
                " channel, created_at)"
                " SELECT r.customer, c.code, c.employee_id, c.team_id, c.product_code, 'sms',"
                "  erm_period_start(erm_current_period())"
                "  + (now() - erm_period_start(erm_current_period())) * r.f"
                " FROM replay r JOIN claims c ON c.code = r.code;"
                "SELECT count(erm_credit_order(id)) FROM orders ORDER BY 1;")
        pg.psql("SELECT erm_credit_order(id) FROM orders o WHERE NOT EXISTS"
                " (SELECT 1 FROM commission_ledger l WHERE l.order_id = o.id)"
                " ORDER BY created_at, id")
        cls.codes = codes

    def report(self, *args):
        period = self.pg.scalar("SELECT erm_current_period()")
        today = self.pg.scalar("SELECT erm_day_of(now())")
        out = ctl(self.pg, "report", "--from", period + "-01", "--to", today, "--format",
                  "json", *args)
        return json.loads(out)

    def test_live_traffic_then_everything_agrees(self):
        pg = self.pg
        with ermtest.Sim() as sim, ermtest.Daemon(pg, sim.port) as gw:
            sim.wait_bound()
            gw.log.wait(r"database up")
            for i in range(30):
                status, _ = ermtest.sms(sim, "1360000%04d" % i, self.codes[i % len(self.codes)])
                self.assertEqual(status, 0)
            for i in range(0, 30, 7):
                status, texts = ermtest.sms(sim, "1360000%04d" % i,
                                            "QX" + self.codes[i % len(self.codes)])
                self.assertEqual((status, texts), (0, [texts[0]]))
                self.assertIn("您已取消", texts[0])
            replies = {}
            for eid, _, msisdn, _ in EMPLOYEES:
                status, texts = ermtest.sms(sim, msisdn, "CX")
                self.assertEqual(status, 0)
                replies[eid] = texts[0]
            self.assertEqual(gw.stop(), 0)
        # The ledger against the orders: every order one credit, every cancelled one a
        # reversal of exactly it; the sum is the commission of the orders not cancelled.
        self.assertEqual(pg.psql(
            "SELECT count(*) FILTER (WHERE o.cancelled_at IS NULL),"
            " (SELECT sum(amount_fen) FROM commission_ledger),"
            " sum(c.amount_fen) FILTER (WHERE o.cancelled_at IS NULL)"
            " FROM orders o JOIN commission_ledger c ON c.order_id = o.id AND c.kind = 'credit'"
            )[0][1:], pg.psql("SELECT sum(amount_fen), sum(amount_fen) FROM commission_ledger"
                              " WHERE order_id NOT IN (SELECT id FROM orders"
                              " WHERE cancelled_at IS NOT NULL)")[0])
        # The report against the ledger, per employee and product.
        rows = self.report("--by", "employee,product")
        ranking = {m.group(1): m.group(2) for m in re.finditer(
            r"^\s*(\d+)\s+(\S+)", ctl(pg, "ranking", pg.scalar("SELECT erm_current_period()")),
            re.M)}
        ranks = {}
        for line in ctl(pg, "ranking", pg.scalar("SELECT erm_current_period()")).splitlines():
            m = re.match(r"^\s*(\d+)\s+(\S+)\s", line)
            if m:
                ranks[m.group(2)] = m.group(1)
        self.assertTrue(ranking)
        holders = int(pg.scalar("SELECT count(*) FROM erm_ranking(erm_current_period())"))
        for eid, _, _, _ in EMPLOYEES:
            mine = [r for r in rows if r["employee"] == eid]
            self.assertEqual(len(mine), 2)
            total_orders = total_cancelled = total_fen = 0
            for r in mine:
                code = pg.scalar("SELECT code FROM claims WHERE employee_id = :'p1'"
                                 " AND product_code = :'p2'", eid, r["product"])
                line = "产品%s(%s)：订单%d笔，取消%d笔，酬金%s元" % (
                    r["product"], code, r["orders"], r["cancelled"], r["commission"])
                self.assertIn(line, replies[eid])
                total_orders += r["orders"]
                total_cancelled += r["cancelled"]
                total_fen += int(r["commission"].replace(".", ""))
            self.assertEqual(total_fen, int(pg.scalar(
                "SELECT sum(amount_fen) FROM commission_ledger WHERE employee_id = :'p1'", eid)))
            self.assertIn("合计：订单%d笔，取消%d笔，酬金%d.%02d元，排名第%s/%d名。" % (
                total_orders, total_cancelled, total_fen // 100, total_fen % 100, ranks[eid],
                holders), replies[eid])
        # The team line of its leader's reply equals the report by team.
        team = [r for r in self.report("--by", "team") if r["team"] == "亲友团"][0]
        self.assertIn("团队亲友团：订单%d笔，取消%d笔，酬金%s元，排名第%s/" % (
            team["orders"], team["cancelled"], team["commission"], ranks["team:1"]),
            replies["E01"])
        # Every view sums to the ledger.
        ledger = int(pg.scalar("SELECT sum(amount_fen) FROM commission_ledger"))
        for by in ("employee", "team", "dept", "product", "day", "dept,product,day"):
            got = sum(int(r["commission"].replace(".", "").replace("-", "-"))
                      for r in self.report("--by", by))
            self.assertEqual(got, ledger, by)

    def test_formats(self):
        pg = self.pg
        out = subprocess.run([ermtest.binary("ermctl"), "report", "--by", "employee",
                              "--format", "csv"], env=pg.env, stdout=subprocess.PIPE,
                             check=True).stdout  # bytes: the CRLF as written
        self.assertTrue(out.startswith(b"\xef\xbb\xbf\"employee\",\"name\",\"orders\""))
        rows = list(csv.reader(io.StringIO(out[3:].decode("utf-8"), newline="")))
        self.assertEqual(rows[0], ["employee", "name", "orders", "cancelled", "commission"])
        self.assertIn("欧阳娜娜", [r[1] for r in rows])
        self.assertTrue(out.endswith(b"\r\n"))
        # The table lines up by display width: each column starts at the same column on
        # every line, Chinese names counted two wide.
        table = ctl(pg, "report", "--by", "employee,dept")
        lines = table.splitlines()

        def col(line, n):  # display column where the N-th field starts
            w, fields, i = 0, 0, 0
            prev_space = True
            for ch in line:
                if ch != " " and prev_space:
                    if fields == n:
                        return w
                    fields += 1
                prev_space = ch == " "
                w += 2 if ord(ch) > 0x2e80 else 1
            return -1

        for n in (1, 2):  # name, dept ("Li Lei" has a space: its line shifts after it)
            starts = {col(ln, n) for ln in lines if "Li Lei" not in ln}
            self.assertEqual(len(starts), 1, (n, table))
        ends = {len(ln) + sum(1 for ch in ln if ord(ch) > 0x2e80) for ln in lines}
        self.assertEqual(len(ends), 1, table)  # the right-aligned figures end together
        # Filters and bad input.
        rows = self.report("--by", "product", "--product", "20")
        self.assertEqual([r["product"] for r in rows], ["20"])
        rows = self.report("--by", "employee", "--dept", "政企部")
        self.assertEqual(sorted(r["employee"] for r in rows), ["E03", "E04"])
        for args, field in ((("--by", "region"), "--by"), (("--by", "day,day"), "--by"),
                            (("--by", "day", "--from", "2026-1-1"), "--from"),
                            (("--by", "day", "--to", "2026-02-30"), "--from/--to"),
                            (("--by", "day", "--format", "xml"), "--format")):
            r = ermtest.ermctl(pg, "report", *args)
            self.assertEqual((r.returncode, r.stdout), (2, ""), r.stderr)
            self.assertTrue(r.stderr.startswith("ermctl: " + field), r.stderr)


SCHEMA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schema")

# The summary against the ledger: rows in one and not in the other, both ways (empty when
# they agree to the count and the fen).
SUMMARY_VS_LEDGER = """
WITH l AS (SELECT employee_id, team_id, product_code, order_day,
                  count(*) FILTER (WHERE kind = 'credit') AS orders,
                  count(*) FILTER (WHERE kind = 'reversal') AS cancelled,
                  sum(amount_fen)::bigint AS amount_fen
             FROM commission_ledger GROUP BY 1, 2, 3, 4),
     s AS (SELECT employee_id, team_id, product_code, order_day, orders, cancelled, amount_fen
             FROM commission_daily)
(SELECT 'ledger', * FROM l EXCEPT SELECT 'ledger', * FROM s)
UNION ALL
(SELECT 'summary', * FROM s EXCEPT SELECT 'summary', * FROM l)
"""


class SummaryAgainstLedger(OwnCluster):
    """A database with two months of history (employee and team codes, tiers, cancellations)
    built before 006 is applied; then 006; then more orders, cancellations by manager and
    customer, and a team whose split changes."""

    @classmethod
    def setup_data(cls):
        pg = cls.pg
        old = tempfile.mkdtemp(prefix="ermtest-schema-")
        try:  # every migration before 006: the database as it was before the summary
            for f in sorted(glob.glob(os.path.join(SCHEMA_DIR, "[0-9][0-9][0-9]_*.sql"))):
                if os.path.basename(f) < "006":
                    shutil.copy(f, old)
            ctl(pg, "migrate", "--schema", old)
        finally:
            shutil.rmtree(old)
        # today's ermctl on that schema: its check that the schema is current is turned off
        pg.env["ERMCTL_SCHEMA_CHECK"] = "off"
        cls.before = pg.scalar("SELECT to_regclass('commission_daily') IS NULL")
        add_people(pg, ("3:8.00", "2:4.44"), old_schema=True)
        ctl(pg, "team", "create", "同学会", "--leader", "E03", "--split", "leader")
        assign_team(pg, "20", "同学会", old_schema=True)
        # 400 orders over the last 60 days on random codes, credited in time order; every
        # seventh cancelled by the manager.
        cls.codes = [r[0] for r in pg.psql("SELECT code FROM claims ORDER BY code")]
        rnd = random.Random(6)
        rows = "\n".join("%s\t%s\t%.6f" % ("1371%07d" % i, rnd.choice(cls.codes), rnd.random())
                         for i in range(400))
        pg.psql("CREATE TABLE replay (customer text, code text, f float8);"
                "COPY replay FROM STDIN;\n" + rows + "\n\\.\n"
                "INSERT INTO orders (customer, code, employee_id, team_id, product_code,"
                " channel, created_at)"
                " SELECT r.customer, c.code, c.employee_id, c.team_id, c.product_code, 'sms',"
                "  now() - interval '60 days' * r.f"
                " FROM replay r JOIN claims c ON c.code = r.code;"
                "SELECT count(erm_credit_order(id)) FROM"
                " (SELECT id FROM orders ORDER BY created_at, id) o;"
                "SELECT count(erm_cancel_order(id, 'history', 'manager')) FROM orders"
                " WHERE id % 7 = 0;")
        del pg.env["ERMCTL_SCHEMA_CHECK"]
        ctl(pg, "migrate")

    def assert_summary_is_ledger(self):
        self.assertEqual(self.pg.psql(SUMMARY_VS_LEDGER), [])
        self.assertGreater(int(self.pg.scalar("SELECT count(*) FROM commission_daily")), 0)

    def expected(self, by, day_from=None, day_to=None, product=None, dept=None):
        """The report of BY computed here from the ledger's rows: the ledger grouped by the
        output's columns, ordered by them (the cluster's collation is C.UTF-8: code points,
        as Python compares), the null group (None: no employee, no team) its own row, last."""
        rows = self.pg.psql(
            "SELECT l.employee_id, e.name, e.dept, t.name, l.product_code, p.name,"
            " l.order_day, l.kind, l.amount_fen FROM commission_ledger l"
            " LEFT JOIN employees e ON e.id = l.employee_id"
            " LEFT JOIN teams t ON t.id = l.team_id JOIN products p ON p.code = l.product_code")
        groups = collections.OrderedDict()
        for emp, name, edept, team, code, pname, day, kind, fen in rows:
            if ((day_from and day < day_from) or (day_to and day > day_to)
                    or (product and code != product) or (dept and (not emp or edept != dept))):
                continue
            emp, team = emp or None, team or None  # psql prints NULL as ""
            cols = {"employee": (emp, name if emp else None), "team": (team,),
                    "dept": (edept if emp else None,), "product": (code, pname), "day": (day,)}
            key = tuple(itertools.chain.from_iterable(cols[d] for d in by.split(",")))
            g = groups.setdefault(key, [0, 0, 0])
            g[0 if kind == "credit" else 1] += 1
            g[2] += int(fen)
        return [list(k) + [g[0], g[1], "%s%d.%02d" % ("-" if g[2] < 0 else "", abs(g[2]) // 100,
                                                       abs(g[2]) % 100)]
                for k, g in sorted(groups.items(),
                                   key=lambda kg: [(v is None, v or "") for v in kg[0]])]

    def test_summary_follows_ledger(self):
        pg = self.pg
        self.assertEqual(self.before, "t")
        self.assert_summary_is_ledger()  # the migration's backfill of the history
        # Orders now, as the daemon places them (employee and team codes), one transaction
        # each; a new member changes the first team's equal split; more team orders.
        for i, code in enumerate(self.codes * 2):
            pg.psql("SELECT outcome FROM erm_place_order(:'p1', :'p2', 'sms')",
                    "1372%07d" % i, code)
        self.assert_summary_is_ledger()
        ctl(pg, "team", "add", "亲友团", "--msisdn", "13900000002", "--name", "张爸爸")
        team_code = pg.scalar("SELECT c.code FROM claims c JOIN teams t ON t.id = c.team_id"
                              " WHERE t.name = '亲友团'")
        for i in range(5):
            pg.psql("SELECT outcome FROM erm_place_order(:'p1', :'p2', 'sms')",
                    "1373%07d" % i, team_code)
        # Cancellations: by the manager (an employee's order and a team's, an old one) and
        # by the customer (QX), one of a team order placed after the split changed.
        for oid in pg.psql("SELECT min(id) FROM orders WHERE cancelled_at IS NULL"
                           " GROUP BY team_id IS NULL ORDER BY 1"):
            ctl(pg, "order", "cancel", oid[0], "--reason", "test")
        self.assertEqual(pg.scalar("SELECT outcome FROM erm_cancel_by_customer(:'p1', :'p2')",
                                   "13730000003", team_code), "ok")
        self.assert_summary_is_ledger()
        # The team entries after the split changed still split to the fen (the ledger is
        # the summary's source: nothing of the splits is summarised).
        self.assertEqual(pg.psql(
            "SELECT l.id FROM commission_ledger l JOIN commission_splits s ON s.ledger_id = l.id"
            " GROUP BY l.id, l.amount_fen HAVING sum(s.amount_fen) <> l.amount_fen"), [])
        # ... and the split did change: credits of 亲友团 were shared two ways, then three.
        self.assertEqual(pg.psql(
            "SELECT DISTINCT n FROM (SELECT count(*) AS n FROM commission_ledger l"
            " JOIN teams t ON t.id = l.team_id JOIN commission_splits s ON s.ledger_id = l.id"
            " WHERE t.name = '亲友团' AND l.kind = 'credit' GROUP BY l.id) x ORDER BY 1"),
            [("2",), ("3",)])

    def test_reports_equal_ledger_grouped(self):
        pg = self.pg
        days = [r[0] for r in pg.psql("SELECT DISTINCT order_day FROM commission_ledger"
                                      " ORDER BY 1")]
        mid = days[len(days) // 2]
        filters = [{}, {"day_from": mid}, {"day_to": mid}, {"day_from": days[1], "day_to": mid},
                   {"product": "20"}, {"dept": "市场部"}, {"dept": "政企部", "product": "10"}]
        opts = {"day_from": "--from", "day_to": "--to", "product": "--product", "dept": "--dept"}
        for by in ("employee", "team", "dept", "product", "day", "employee,product",
                   "team,dept", "dept,product", "day,team,employee",
                   "product,day,dept,team,employee"):
            for f in filters:
                args = list(itertools.chain.from_iterable((opts[k], v) for k, v in f.items()))
                out = ctl(pg, "report", "--by", by, "--format", "json", *args)
                got = [list(r.values()) for r in json.loads(out)]
                self.assertEqual(got, self.expected(by, **f), (by, f))

    def test_rebuild_repairs_the_summary(self):
        pg = self.pg
        pg.psql("BEGIN; UPDATE commission_daily SET amount_fen = amount_fen + 1;"
                " SELECT erm_commission_daily_rebuild(); COMMIT;")
        self.assert_summary_is_ledger()


if __name__ == "__main__":
    unittest.main(verbosity=2)
