"""Reports and the month replay (issue 4): `ermctl report` in its three formats, and a month
of traffic replayed (most orders inserted with explicit timestamps in the database's current
month and credited in time order by erm_credit_order(), the rest live through ermgw: orders,
QX cancellations, CX queries), after which the ledger, every CX reply and the report agree
to the fen.
"""
import csv
import io
import json
import os
import random
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

EMPLOYEES = [("E01", "张三", "13800000101", "市场部"), ("E02", "欧阳娜娜", "13800000102", "市场部"),
             ("E03", "Li Lei", "13800000103", "政企部"), ("E04", "王五", "13800000104", "政企部")]


def ctl(pg, *args):
    return ermtest.ermctl(pg, *args, check=True).stdout


class MonthReplay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = ermtest.PgCluster().__enter__()
        try:
            cls.setup_month()
        except BaseException:
            cls.pg.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pg.__exit__(None, None, None)

    @classmethod
    def setup_month(cls):
        pg = cls.pg
        ctl(pg, "migrate")
        for code, fen, tier in (("10", "5.00", "51:8.00"), ("20", "3.33", "20:4.44")):
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
        ctl(pg, "assign", "--product", "10", "--team", "亲友团")
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


if __name__ == "__main__":
    unittest.main(verbosity=2)
