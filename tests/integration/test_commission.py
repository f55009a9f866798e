"""Real-time commission (issue 4), end to end: the real ermgw bound to the SMSC simulator
and a real PostgreSQL cluster.

Each counted order credits its holder in the order's own transaction (tiers from the N-th
order of a month); the holder gets a note with the masked customer number, the credit and
the period total, unless they texted TD; a team's credit is split by its rule without
losing a fen; CX answers with this period's figures and rank; QX cancels within the
product's window with a reversal entry (never an edit) and a note; `ermctl order cancel`
does the same without a window; `ermctl period close` ranks and restricts the bottom share
(ties spared), idempotently, and the restriction refuses self-claims and hand-outs of new
products. The SQL's arithmetic equals core/commission.c's for the same inputs.
"""
import os
import re
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402


def ctl(pg, *args):
    return ermtest.ermctl(pg, *args, check=True).stdout


def add_employee(pg, eid, msisdn, name, dept="市场部"):
    ctl(pg, "employee", "add", "--id", eid, "--name", name, "--msisdn", msisdn, "--dept", dept)


def add_product(pg, code, commission="5.00", *extra):
    ctl(pg, "product", "add", "--code", code, "--name", "产品" + code, "--quota", "100",
        "--commission", commission, "--intro", "介绍", *extra)
    ctl(pg, "product", "activate", code)


class Commission(ermtest.BoundCase):
    @classmethod
    def prepare(cls, pg):
        ctl(pg, "migrate")
        for i in range(1, 10):
            add_employee(pg, "E%03d" % i, "1380000000%d" % i, "员工%d" % i)

    def claim(self, product, employee):
        out = ctl(self.pg, "claim", "--product", product, "--employee", employee)
        return re.search(r"sms code (\d+)", out).group(1)

    def order(self, customer, code, holder_number=None):
        """Orders CODE from CUSTOMER; returns the holder's note (or None) when HOLDER_NUMBER
        is given, waiting for it."""
        mark = self.sim.out.mark()
        status, texts = ermtest.sms(self.sim, customer, code)
        self.assertEqual(status, 0)
        if holder_number is None:
            return None
        return self.wait_note(holder_number, mark)

    def wait_note(self, number, mark):
        """The first commission note to NUMBER after MARK (promo pushes are skipped)."""
        while True:
            i, _, text = self.sim.wait_message(number, start=mark)
            text = ermtest.sim_unescape(text)
            if "亲友" in text:
                return text
            mark = i + 1

    def ledger(self, order_customer):
        return self.pg.psql("SELECT l.kind, l.amount_fen FROM commission_ledger l"
                            " JOIN orders o ON o.id = l.order_id WHERE o.customer = :'p1'"
                            " ORDER BY l.id", order_customer)

    # -- credit, tiers, notes ----------------------------------------------------------------

    def test_credit_and_note_in_the_order_transaction(self):
        add_product(self.pg, "30", "5.00")
        code = self.claim("30", "E001")
        note = self.order("13912340001", code, "13800000001")
        self.assertEqual(note, "您的亲友139****0001订购了产品30，酬金+5.00元，本期累计5.00元。")
        self.assertEqual(self.ledger("13912340001"), [("credit", "500")])
        note = self.order("13912340002", code, "13800000001")
        self.assertIn("本期累计10.00元", note)
        # A repeat order credits nothing.
        self.order("13912340002", code)
        self.assertEqual(self.ledger("13912340002"), [("credit", "500")])
        # Every credit is in the same transaction as its order: no order without one.
        self.assertEqual(self.pg.scalar(
            "SELECT count(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM commission_ledger l"
            " WHERE l.order_id = o.id AND l.kind = 'credit')"), "0")

    def test_tiers(self):
        add_product(self.pg, "31", "5.00", "--tier", "3:8.00,5:10.50")
        code = self.claim("31", "E002")
        for i in range(1, 7):
            self.order("1391235%04d" % i, code)
        got = [int(r[0]) for r in self.pg.psql(
            "SELECT amount_fen FROM commission_ledger WHERE product_code = '31' ORDER BY nth")]
        self.assertEqual(got, [500, 500, 800, 800, 1050, 1050])

    def test_opted_out_holder_gets_no_note(self):
        add_product(self.pg, "32")
        code = self.claim("32", "E003")
        status, _ = ermtest.sms(self.sim, "13800000003", "TD")
        self.assertEqual(status, 0)
        self.order("13912360001", code)
        # The credit is there; the note is not queued.
        self.assertEqual(self.ledger("13912360001"), [("credit", "500")])
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM outbox WHERE dest = '13800000003'"
                                        " AND kind = 'commission_note'"), "0")

    def test_team_split_never_loses_a_fen(self):
        add_product(self.pg, "33", "10.01")
        ctl(self.pg, "team", "create", "三人团", "--leader", "E004")
        ctl(self.pg, "team", "add", "三人团", "--employee", "E005")
        ctl(self.pg, "team", "add", "三人团", "--msisdn", "13900000033", "--name", "亲戚")
        ctl(self.pg, "team", "create", "队长团", "--leader", "E006", "--split", "leader")
        ctl(self.pg, "team", "add", "队长团", "--employee", "E007")
        ctl(self.pg, "assign", "--product", "33", "--team", "三人团")
        ctl(self.pg, "assign", "--product", "33", "--team", "队长团")
        codes = dict(self.pg.psql("SELECT t.name, c.code FROM claims c JOIN teams t"
                                  " ON t.id = c.team_id WHERE c.product_code = '33'"))
        note = self.order("13912370001", codes["三人团"], "13900000033")
        self.assertIn("团队三人团的亲友139****0001订购了产品33，团队酬金+10.01元", note)
        self.order("13912370002", codes["队长团"])
        shares = self.pg.psql(
            "SELECT t.name, coalesce(s.member_employee, s.member_msisdn), s.amount_fen"
            " FROM commission_splits s JOIN commission_ledger l ON l.id = s.ledger_id"
            " JOIN teams t ON t.id = l.team_id WHERE l.product_code = '33' ORDER BY 1, 2")
        self.assertEqual(shares, [("三人团", "13900000033", "333"), ("三人团", "E004", "335"),
                                  ("三人团", "E005", "333"), ("队长团", "E006", "1001"),
                                  ("队长团", "E007", "0")])

    def test_sql_agrees_with_core(self):
        """erm_split() and erm_tier_fen() against core/commission.c on the same inputs."""
        calc = os.path.join(ermtest.BUILD_DIR, "tests", "check_commission")
        pg = self.pg
        add_product(pg, "34", "5.00", "--tier", "4:7.77,9:0.01")
        ctl(pg, "team", "create", "五人团", "--leader", "E008")
        for m in range(1, 5):
            ctl(pg, "team", "add", "五人团", "--msisdn", "1390000100%d" % m, "--name", "亲友")
        team = pg.scalar("SELECT id FROM teams WHERE name = '五人团'")
        lines, want = [], []
        for amount in (0, 1, 4, 5, 6, 499, 500, 1001, 99999):
            for rule in ("equal", "leader"):
                pg.psql("UPDATE teams SET split = :'p1' WHERE id = :'p2'", rule, team)
                rows = pg.psql("SELECT amount_fen FROM erm_split(:'p1'::integer, :'p2'::bigint)",
                               team, amount)
                want.append(" ".join(r[0] for r in rows))  # leader first, as core's index 0
                lines.append("split %d 5 0 %s" % (amount, rule))
        for nth in range(1, 12):
            want.append(pg.scalar("SELECT erm_tier_fen('34', :'p1'::integer)", nth))
            lines.append("tier 500 %d 4:7.77 9:0.01" % nth)
        r = subprocess.run([calc, "--calc"], input="\n".join(lines) + "\n", text=True,
                           stdout=subprocess.PIPE, check=True)
        self.assertEqual(r.stdout.splitlines(), want)

    # -- CX and QX ---------------------------------------------------------------------------

    def test_cx_query(self):
        add_product(self.pg, "35", "2.50")
        code = self.claim("35", "E009")
        for i in range(1, 4):
            self.order("1391238%04d" % i, code)
        status, texts = ermtest.sms(self.sim, "13800000009", "查询")
        self.assertEqual(status, 0)
        period = self.pg.scalar("SELECT erm_current_period()")
        self.assertIn("本期(%s)业绩：" % period, texts[0])
        self.assertIn("产品35(%s)：订单3笔，取消0笔，酬金7.50元" % code, texts[0])
        self.assertRegex(texts[0], r"合计：订单\d+笔，取消\d+笔，酬金[0-9.]+元，排名第\d+/\d+名。")
        # A number that is no employee's is told so.
        status, texts = ermtest.sms(self.sim, "13712345678", "CX")
        self.assertEqual((status, texts), (0, ["您的号码不是登记的员工号码，无法查询业绩，请联系营销经理。"]))

    def test_qx_cancel_within_window(self):
        add_product(self.pg, "36", "5.00")
        code = self.claim("36", "E001")
        self.order("13912390001", code)
        self.order("13912390002", code)
        mark = self.sim.out.mark()
        status, texts = ermtest.sms(self.sim, "13912390001", "QX" + code)
        self.assertEqual((status, texts), (0, ["您已取消产品36，感谢您的支持。"]))
        note = self.wait_note("13800000001", mark)
        self.assertRegex(note,
                         r"^您的亲友139\*\*\*\*0001已取消产品36，酬金-5\.00元，本期累计[0-9.]+元。$")
        self.assertEqual(self.ledger("13912390001"), [("credit", "500"), ("reversal", "-500")])
        # Again: nothing more.
        status, texts = ermtest.sms(self.sim, "13912390001", "取消" + code)
        self.assertEqual((status, texts), (0, ["您已取消过产品36，无需重复取消。"]))
        self.assertEqual(len(self.ledger("13912390001")), 2)
        # Outside the window: refused, nothing written. The order is moved back in time (the
        # test's stand-in for eight days passing).
        self.pg.psql("UPDATE orders SET created_at = now() - interval '8 days'"
                     " WHERE customer = '13912390002'")
        status, texts = ermtest.sms(self.sim, "13912390002", "QX" + code)
        self.assertEqual((status, texts[0][:12]), (0, "产品36已超过7天的取消期限"[:12]))
        self.assertEqual(self.ledger("13912390002"), [("credit", "500")])
        # No order with that code; an unknown code.
        status, texts = ermtest.sms(self.sim, "13912390003", "QX" + code)
        self.assertEqual(texts, ["您没有通过代码%s订购的产品，无需取消。" % code])
        status, texts = ermtest.sms(self.sim, "13912390003", "QX99999")
        self.assertEqual(texts, ["您发送的代码99999无效，请核对后重新发送。"])

    def test_ermctl_order_cancel(self):
        add_product(self.pg, "37", "4.00")
        code = self.claim("37", "E002")
        self.order("13912400001", code)
        oid = self.pg.scalar("SELECT id FROM orders WHERE customer = '13912400001'")
        r = ermtest.ermctl(self.pg, "order", "cancel", oid, "--reason", "客户投诉")
        self.assertEqual((r.returncode, r.stdout),
                         (0, "order %s cancelled; commission -4.00 reversed\n" % oid))
        self.assertEqual(self.ledger("13912400001"), [("credit", "400"), ("reversal", "-400")])
        self.assertEqual(self.pg.psql("SELECT cancel_reason, cancelled_by FROM orders"
                                      " WHERE id = :'p1'", oid), [("客户投诉", "manager")])
        for args, msg in (((oid, "--reason", "x"), "was cancelled before"),
                          (("999999", "--reason", "x"), "ID: no order 999999"),
                          (("abc", "--reason", "x"), "ID: \"abc\" is not an order id"),
                          ((oid, "--reason", ""), "--reason:")):
            r = ermtest.ermctl(self.pg, "order", "cancel", *args)
            self.assertEqual((r.returncode, r.stdout), (2, ""), r.stderr)
            self.assertIn(msg, r.stderr)
        self.assertEqual(len(self.ledger("13912400001")), 2)
        # History is never edited: the ledger refuses updates and deletes.
        with self.assertRaises(RuntimeError):
            self.pg.psql("UPDATE commission_ledger SET amount_fen = 0")
        with self.assertRaises(RuntimeError):
            self.pg.psql("DELETE FROM commission_ledger")


class Ranking(ermtest.ErmctlCase):
    """Period close on a database of its own per test; orders of last month are inserted
    with explicit timestamps (the database's clock decides which month is last)."""

    def setUp(self):
        super().setUp()
        self.ok("migrate")
        ctl(self.pg, "product", "add", "--code", "10", "--name", "流量包", "--quota", "100",
            "--commission", "5.00", "--intro", "x")
        ctl(self.pg, "product", "activate", "10")
        ctl(self.pg, "product", "add", "--code", "20", "--name", "宽带", "--quota", "100",
            "--commission", "5.00", "--intro", "x")
        ctl(self.pg, "product", "activate", "20")
        self.last = self.pg.scalar(
            "SELECT erm_period_of(erm_period_start(erm_current_period()) - interval '1 day')")

    def holders(self, counts):
        """Employees E01.. holding product 10 since before last month, with COUNTS orders in
        last month."""
        for i, n in enumerate(counts, 1):
            eid = "E%02d" % i
            add_employee(self.pg, eid, "138000001%02d" % i, "员工%d" % i)
            ctl(self.pg, "claim", "--product", "10", "--employee", eid)
            self.pg.psql("UPDATE claims SET claimed_at = erm_period_start(:'p1') - interval"
                         " '1 day' WHERE employee_id = :'p2'", self.last, eid)
            self.pg.psql("INSERT INTO orders (customer, code, employee_id, product_code,"
                         " channel, created_at)"
                         " SELECT '1390' || lpad((:'p3'::integer * 1000 + g)::text, 7, '0'),"
                         " c.code, :'p2', '10', 'sms', erm_period_start(:'p1') + g * interval"
                         " '1 minute' FROM claims c, generate_series(1, :'p4'::integer) g"
                         " WHERE c.employee_id = :'p2'", self.last, eid, i, n)
        self.pg.psql("SELECT erm_credit_order(id) FROM orders ORDER BY created_at, id")

    def restricted(self):
        return [r[0] for r in self.pg.psql("SELECT employee_id FROM period_ranking WHERE"
                                           " restricted ORDER BY 1")]

    def test_bottom_share_and_ties_spared(self):
        # 10 holders, bottom 20%: 2 restricted. E09 and E10 have 1 order; E08 2.
        self.holders([9, 8, 7, 6, 5, 4, 3, 2, 1, 1])
        out = self.ok("period", "close", self.last, "--bottom", "20")
        self.assertEqual(out, "period %s closed: 10 holders ranked, 2 restricted (bottom 20%%)\n"
                         % self.last)
        self.assertEqual(self.restricted(), ["E09", "E10"])
        # Closing again changes nothing, whatever --bottom says.
        before = self.pg.psql("SELECT * FROM period_ranking ORDER BY rank, employee_id")
        out = self.ok("period", "close", self.last, "--bottom", "50")
        self.assertIn("was closed before: 10 holders ranked, 2 restricted (bottom 20%)", out)
        self.assertEqual(self.pg.psql("SELECT * FROM period_ranking ORDER BY rank, employee_id"),
                         before)
        out = self.ok("ranking", self.last)
        self.assertRegex(out, r"\n\s+9\s+E09\s+员工9\s+1  restricted\n")
        self.assertRegex(out, r"\n\s+1\s+E01\s+员工1\s+9\n")

    def test_tie_at_the_boundary_is_spared(self):
        # 10 holders, bottom 10% = 1, but two share the lowest count: nobody is restricted.
        self.holders([5, 5, 5, 5, 5, 5, 5, 5, 2, 2])
        self.assertIn("0 restricted", self.ok("period", "close", self.last))
        self.assertEqual(self.restricted(), [])

    def test_restriction_refuses_new_claims_and_handouts(self):
        self.holders([3, 3, 3, 3, 3, 3, 3, 3, 3, 0])
        self.assertIn("1 restricted", self.ok("period", "close", self.last))
        # The held code still works (claim again = the same code); a new product is refused.
        self.assertIn("sms code 10010", self.ok("claim", "--product", "10", "--employee", "E10"))
        r = self.ctl("assign", "--product", "20", "--employee", "E10")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--employee: E10 is barred from new codes by last period's ranking",
                      r.stderr)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM claims WHERE product_code = '20'"),
                         "0")
        self.assertEqual(self.pg.scalar("SELECT erm_claim_restricted('20', 'E10')"), "t")
        self.assertEqual(self.pg.scalar("SELECT erm_claim_restricted('20', 'E09')"), "f")
        self.assertEqual(self.pg.scalar(
            "SELECT outcome FROM erm_claim_by_msisdn('13800000110', '20')"), "restricted")
        # a department's hand-out lists the barred holder as refused and goes on
        out = self.ok("assign", "--product", "20", "--dept", "市场部")
        self.assertIn("E10 员工10: refused, barred by last period's ranking", out)
        self.assertIn("E09 员工9: assigned 20", out)
        self.assertIn("refused (barred by last period's ranking)", out)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM claims WHERE product_code = '20'"
                                        " AND employee_id = 'E10'"), "0")

    def test_open_period_refused(self):
        cur = self.pg.scalar("SELECT erm_current_period()")
        self.assertIn("has not ended yet", self.refused(2, "period", "close", cur))
        self.assertIn("is not a month", self.refused(2, "period", "close", "2026-13"))
        self.assertIn("--bottom", self.refused(2, "period", "close", "2020-01", "--bottom", "101"))
        self.assertIn("period close YYYY-MM", self.ok("period", "close", "--help"))
        self.assertIn("tie at the boundary", self.ok("period", "close", "--help"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
