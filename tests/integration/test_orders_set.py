"""Set-based order batches (issue 6, schema/007_orders_set.sql): erm_place_orders() places a
whole batch with one statement per step, exactly as if its MOs were placed one after the
other in item order. Batches are called straight with SQL (arrays as psql variables): the
dedupe step inside a batch, duplicate orders, tiers crossing inside a batch, team splits,
the notes' running period totals, opt-outs, the empty template, every outcome, a bad MO that
fails alone, the claim lock between concurrent batches, and the same ledger, summary and
notes as the orders placed one by one (both with 004's erm_credit_order/erm_queue_note path
and with the new erm_place_order)."""
import hashlib
import os
import re
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

LINK = "gw:1"


def ctl(pg, *args):
    return ermtest.ermctl(pg, *args, check=True).stdout


def mo_key(label):
    """A well-formed MO key (64 hex digits, core/mokey.h's form) for LABEL."""
    return hashlib.sha256(label.encode()).hexdigest()


def array_literal(values):
    """A PostgreSQL array literal, every element quoted (as storage/order_batch.c does)."""
    return "{%s}" % ",".join('"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
                             for v in values)


# The order of 004 (erm_place_order_uncredited + erm_credit_order + erm_queue_note), as the
# reference the set-based function must equal.
ORDER_004 = """
CREATE FUNCTION test_place_order_004(p_customer text, p_code text, OUT outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    oid bigint;
    c record;
BEGIN
    SELECT b.outcome, b.order_id INTO outcome, oid
      FROM erm_place_order_uncredited(p_customer, p_code, 'sms') b;
    IF outcome = 'ok' THEN
        SELECT * INTO c FROM erm_credit_order(oid);
        PERFORM erm_queue_note(oid, 'order', c.commission_fen, c.period_total_fen);
    END IF;
END $$;
"""

# What a batch leaves behind, without ids and times (which differ between two runs): one
# line per row, tagged with its table, in an order that does not depend on ids.
SNAPSHOT = """
SELECT 'order', o.customer, o.code, o.employee_id, o.team_id::text, o.product_code, o.channel
  FROM orders o WHERE o.customer LIKE '13799%' ORDER BY o.customer, o.product_code;
SELECT 'ledger', o.customer, l.kind, l.employee_id, l.team_id::text, l.product_code, l.period,
       l.order_day::text, l.nth::text, l.amount_fen::text
  FROM commission_ledger l JOIN orders o ON o.id = l.order_id
 WHERE o.customer LIKE '13799%' ORDER BY o.customer, l.product_code, l.kind;
SELECT 'split', o.customer, s.member_employee, s.member_msisdn, s.is_leader::text,
       s.amount_fen::text
  FROM commission_splits s JOIN commission_ledger l ON l.id = s.ledger_id
  JOIN orders o ON o.id = l.order_id
 WHERE o.customer LIKE '13799%'
 ORDER BY o.customer, s.member_employee, s.member_msisdn;
SELECT 'daily', d.employee_id, d.team_id::text, d.product_code, d.order_day::text,
       d.orders::text, d.cancelled::text, d.amount_fen::text
  FROM commission_daily d ORDER BY 2, 3, 4, 5;
SELECT 'note', x.dest, x.source, x.kind, x.text
  FROM outbox x WHERE x.id > (SELECT coalesce(max(id), 0) FROM test_mark)
 ORDER BY x.id;
"""


class OrdersSet(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = pg = ermtest.PgCluster().__enter__()
        try:
            ctl(pg, "migrate")
            for i in range(1, 10):
                ctl(pg, "employee", "add", "--id", "E%03d" % i, "--name", "员工%d" % i,
                    "--msisdn", "1380000000%d" % i, "--dept", "市场部")
            cls.add_product("30", "5.00", "--tier", "3:8.00,5:10.50")
            for p in ("31", "32", "33", "34", "36"):
                cls.add_product(p, "5.00")
            cls.add_product("35", "10.01")
            cls.add_product("37", "5.00", activate=False)
            ctl(pg, "team", "create", "三人团", "--leader", "E004")
            ctl(pg, "team", "add", "三人团", "--employee", "E005")
            ctl(pg, "team", "add", "三人团", "--msisdn", "13900000033", "--name", "亲戚")
            ctl(pg, "assign", "--product", "35", "--team", "三人团")
            ctl(pg, "assign", "--product", "30", "--team", "三人团")
            cls.codes = {}
            for product, emp in (("30", "E001"), ("30", "E002"), ("31", "E001"), ("31", "E002"),
                                 ("31", "E003"), ("31", "E006"), ("31", "E007"), ("31", "E008"),
                                 ("32", "E001"), ("33", "E001"), ("34", "E001"), ("36", "E009"),
                                 ("37", "E001")):
                out = ctl(pg, "claim", "--product", product, "--employee", emp)
                cls.codes[(product, emp)] = re.search(r"sms code (\d+)", out).group(1)
            for (product, team) in pg.psql("SELECT c.product_code, t.name FROM claims c"
                                           " JOIN teams t ON t.id = c.team_id"):
                cls.codes[(product, team)] = pg.scalar(
                    "SELECT c.code FROM claims c JOIN teams t ON t.id = c.team_id"
                    " WHERE c.product_code = :'p1' AND t.name = :'p2'", product, team)
            # Campaign dates and a leaver, set after the claims (which they would refuse).
            pg.psql("UPDATE products SET starts_on = current_date + 10 WHERE code = '32';"
                    "UPDATE products SET ends_on = current_date - 1, starts_on = current_date"
                    " - 30 WHERE code = '33';")
            ctl(pg, "employee", "deactivate", "E006")
            pg.psql("CREATE TABLE test_mark (id bigint);" + ORDER_004)
        except BaseException:
            pg.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pg.__exit__(None, None, None)

    @classmethod
    def add_product(cls, code, commission, *extra, activate=True):
        ctl(cls.pg, "product", "add", "--code", code, "--name", "产品" + code, "--quota", "100",
            "--commission", commission, "--intro", "介绍", *extra)
        if activate:
            ctl(cls.pg, "product", "activate", code)

    def code(self, product, holder):
        return self.codes[(product, holder)]

    @staticmethod
    def batch_sql(items):
        """The call of erm_places_orders() for ITEMS ((key, link, seq, customer, code) each)
        and its psql parameters."""
        cols = list(zip(*items))
        params = [array_literal(c) for c in (cols[0], cols[1], [str(s) for s in cols[2]],
                                             ["600"] * len(items), cols[3], cols[4])]
        sql = ("SELECT item, status, coalesce(outcome, ''), coalesce(product_name, '')"
               " FROM erm_place_orders(:'p1'::text[], :'p2'::text[], :'p3'::bigint[],"
               " :'p4'::integer[], :'p5'::text[], :'p6'::text[], 'sms') ORDER BY item;")
        return sql, params

    def place(self, items):
        """Places ITEMS as one batch; returns [(status, outcome)] in item order."""
        sql, params = self.batch_sql(items)
        rows = self.pg.psql(sql, *params)
        self.assertEqual([int(r[0]) for r in rows], list(range(1, len(items) + 1)))
        return [(r[1], r[2]) for r in rows]

    @staticmethod
    def orders(customers, code, label, link=LINK):
        """Items ordering CODE from each of CUSTOMERS, fresh keys."""
        return [(mo_key("%s/%d" % (label, i)), link, 1000 + i, c, code)
                for i, c in enumerate(customers)]

    def ledger(self, customers):
        """[(customer, nth, amount_fen)] of the credits of CUSTOMERS' orders, in their order."""
        return [(r[0], int(r[1]), int(r[2])) for r in self.pg.psql(
            "SELECT o.customer, l.nth, l.amount_fen FROM commission_ledger l"
            " JOIN orders o ON o.id = l.order_id WHERE l.kind = 'credit'"
            " AND o.customer = ANY (:'p1'::text[]) ORDER BY o.id", array_literal(customers))]

    def notes(self, dest, after_id):
        return [r[0] for r in self.pg.psql(
            "SELECT text FROM outbox WHERE dest = :'p1' AND kind = 'commission_note'"
            " AND id > :'p2' ORDER BY id", dest, after_id)]

    def max_outbox(self):
        return self.pg.scalar("SELECT coalesce(max(id), 0) FROM outbox")

    # -- outcomes and duplicates -----------------------------------------------------------

    def test_every_outcome(self):
        codes = ["99999", self.code("37", "E001"), self.code("31", "E006"),
                 self.code("32", "E001"), self.code("33", "E001"), self.code("34", "E001"),
                 self.code("34", "E001")]
        customers = ["13710000001"] * 6 + ["13710000002"]
        got = self.place([(mo_key("outcomes/%d" % i), LINK, 100 + i, c, code)
                          for i, (c, code) in enumerate(zip(customers, codes))])
        self.assertEqual(got, [("fresh", "unknown"), ("fresh", "inactive"),
                               ("fresh", "invalid"), ("fresh", "not_started"),
                               ("fresh", "ended"), ("fresh", "ok"), ("fresh", "ok")])
        sql, params = self.batch_sql([(mo_key("names/0"), LINK, 200, "13710000003", "99999"),
                                      (mo_key("names/1"), LINK, 201, "13710000003",
                                       self.code("37", "E001"))])
        self.assertEqual([r[3] for r in self.pg.psql(sql, *params)], ["", "产品37"])
        # Only the two 'ok' orders are stored, each credited once.
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders WHERE customer LIKE"
                                        " '1371000000%'"), "2")
        self.assertEqual(len(self.ledger(["13710000001", "13710000002"])), 2)

    def test_same_customer_same_product_twice_in_a_batch(self):
        # Through the same code and through another holder's code of the same product: the
        # first in item order counts, to its holder; the others are 'dup'. Another product of
        # the same customer is an order of its own.
        c31a, c31b, c36 = self.code("31", "E002"), self.code("31", "E003"), self.code("36", "E009")
        items = [(mo_key("dupc/%d" % i), LINK, 2000 + i, cust, code) for i, (cust, code) in
                 enumerate([("13720000001", c31b), ("13720000002", c31a), ("13720000001", c31a),
                            ("13720000001", c31b), ("13720000001", c36)])]
        self.assertEqual([o for _, o in self.place(items)], ["ok", "ok", "dup", "dup", "ok"])
        self.assertEqual(self.pg.psql(
            "SELECT customer, employee_id, product_code FROM orders WHERE customer LIKE"
            " '137200000%' ORDER BY id"),
            [("13720000001", "E003", "31"), ("13720000002", "E002", "31"),
             ("13720000001", "E009", "36")])
        # Ordered before, in an earlier batch: 'dup' too.
        self.assertEqual(self.place([(mo_key("dupc/again"), LINK, 2100, "13720000002", c31b)]),
                         [("fresh", "dup")])

    def test_order_ids_follow_item_order(self):
        # Rows are inserted sorted by customer (lock order), ids are drawn in item order.
        code = self.code("31", "E002")
        customers = ["13730000009", "13730000001", "13730000005", "13730000003"]
        self.assertEqual([o for _, o in self.place(self.orders(customers, code, "ids"))],
                         ["ok"] * 4)
        self.assertEqual([r[0] for r in self.pg.psql(
            "SELECT customer FROM orders WHERE customer LIKE '137300000%' ORDER BY id")],
            customers)

    # -- dedupe ----------------------------------------------------------------------------

    def test_duplicate_keys_inside_a_batch(self):
        code = self.code("31", "E002")
        k1, k2, k3, k4 = (mo_key("dupk/%d" % i) for i in range(4))
        # K4 was handled before, on this link with sequence 77.
        self.assertEqual(self.place([(k4, LINK, 77, "13740000004", code)]), [("fresh", "ok")])
        items = [
            (k1, LINK, 1, "13740000001", code),
            (k1, LINK, 2, "13740000001", code),    # same link, new sequence: a new message
            (k2, LINK, 3, "13740000002", code),
            (k2, "gw:2", 4, "13740000002", code),  # another link: the SMSC's redelivery
            (k3, LINK, 5, "13740000003", code),
            (k3, LINK, 5, "13740000003", code),    # same link and sequence: redelivery
            (k4, LINK, 77, "13740000004", code),   # logged before, same link and sequence
            (k4, LINK, 78, "13740000005", code),   # logged before, new sequence: new message
        ]
        self.assertEqual(self.place(items), [
            ("fresh", "ok"), ("fresh", "dup"), ("fresh", "ok"), ("redelivered", ""),
            ("fresh", "ok"), ("redelivered", ""), ("redelivered", ""), ("fresh", "ok")])
        # mo_log remembers the last message of each key.
        self.assertEqual(self.pg.psql(
            "SELECT link, seq FROM mo_log WHERE key = ANY (:'p1'::text[]) ORDER BY seq",
            array_literal([k1, k2, k3, k4])),
            [("gw:1", "2"), ("gw:1", "3"), ("gw:1", "5"), ("gw:1", "78")])
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders WHERE customer LIKE"
                                        " '137400000%'"), "5")

    # -- the credit ------------------------------------------------------------------------

    def test_tiers_cross_inside_a_batch(self):
        # Tiers 3:8.00, 5:10.50. E001's orders interleaved with E002's: each holder counts
        # its own, in item order, on top of what it had before the batch.
        c1, c2 = self.code("30", "E001"), self.code("30", "E002")
        self.assertEqual(self.place(self.orders(["13750000000"], c1, "tier0")),
                         [("fresh", "ok")])
        customers = ["1375000%04d" % i for i in range(1, 10)]
        codes = [c1, c1, c2, c1, c1, c2, c1, c2, c1]
        items = [(mo_key("tier/%d" % i), LINK, 3000 + i, cust, code)
                 for i, (cust, code) in enumerate(zip(customers, codes))]
        self.assertEqual([o for _, o in self.place(items)], ["ok"] * 9)
        of_e001 = ["13750000000"] + [c for c, code in zip(customers, codes) if code == c1]
        of_e002 = [c for c, code in zip(customers, codes) if code == c2]
        self.assertEqual([(n, a) for _, n, a in self.ledger(of_e001)],
                         [(1, 500), (2, 500), (3, 800), (4, 800), (5, 1050), (6, 1050),
                          (7, 1050)])
        self.assertEqual([(n, a) for _, n, a in self.ledger(of_e002)],
                         [(1, 500), (2, 500), (3, 800)])
        # The summary saw every credit of the batch.
        self.assertEqual(self.pg.psql(
            "SELECT employee_id, orders, amount_fen FROM commission_daily"
            " WHERE product_code = '30' AND employee_id IS NOT NULL ORDER BY 1"),
            [("E001", "7", "5750"), ("E002", "3", "1800")])

    def test_counts_are_the_periods_own(self):
        # schema/011: N and the note's total come from the daily summary over the period's
        # days. A credit of last month (written as an old order would have left it) counts
        # in neither: this month's first order is N = 1 (tier 2:7.00 not reached), the
        # second N = 2, and the notes' totals leave last month's 5.00 out.
        self.add_product("38", "5.00", "--tier", "2:7.00")
        out = ctl(self.pg, "claim", "--product", "38", "--employee", "E009")
        code = re.search(r"sms code (\d+)", out).group(1)
        self.pg.psql(
            "WITH o AS (INSERT INTO orders (customer, code, employee_id, product_code, channel,"
            " created_at) VALUES ('13785000000', :'p1', 'E009', '38', 'sms',"
            " now() - interval '1 month') RETURNING id, created_at)"
            " INSERT INTO commission_ledger (order_id, kind, employee_id, product_code, period,"
            " order_day, nth, amount_fen)"
            " SELECT o.id, 'credit', 'E009', '38', erm_period_of(o.created_at),"
            " erm_day_of(o.created_at), 1, 500 FROM o", code)
        self.assertEqual(self.pg.scalar(
            "SELECT sum(orders) FROM commission_daily WHERE employee_id = 'E009'"
            " AND product_code = '38'"), "1")
        # E009's credits of this month so far (other tests' orders of its other code).
        before = int(self.pg.scalar(
            "SELECT coalesce(sum(amount_fen), 0) FROM commission_ledger"
            " WHERE employee_id = 'E009' AND period = erm_current_period()"))
        mark = self.max_outbox()
        customers = ["13785000001", "13785000002"]
        self.assertEqual([o for _, o in self.place(self.orders(customers, code, "period"))],
                         ["ok", "ok"])
        self.assertEqual([(n, a) for _, n, a in self.ledger(customers)], [(1, 500), (2, 700)])
        self.assertEqual(self.notes("13800000009", mark), [
            "您的亲友137****0001订购了产品38，酬金+5.00元，本期累计%d.%02d元。"
            % divmod(before + 500, 100),
            "您的亲友137****0002订购了产品38，酬金+7.00元，本期累计%d.%02d元。"
            % divmod(before + 1200, 100)])
        self.assertEqual(self.pg.scalar("SELECT erm_holder_total('E009', NULL,"
                                        " erm_current_period())"),
                         self.pg.scalar("SELECT sum(amount_fen) FROM commission_ledger"
                                        " WHERE employee_id = 'E009'"
                                        " AND period = erm_current_period()"))

    def test_team_splits(self):
        # 10.01 split equally among three (leader E004, E005, a relative): the leader gets
        # the remainder fen. Two orders in one batch, each split.
        code = self.code("35", "三人团")
        customers = ["13760000001", "13760000002"]
        self.assertEqual([o for _, o in self.place(self.orders(customers, code, "team"))],
                         ["ok", "ok"])
        rows = self.pg.psql(
            "SELECT o.customer, coalesce(s.member_employee, s.member_msisdn), s.is_leader,"
            " s.amount_fen FROM commission_splits s JOIN commission_ledger l ON l.id ="
            " s.ledger_id JOIN orders o ON o.id = l.order_id WHERE o.customer LIKE"
            " '137600000%' ORDER BY 1, 3 DESC, 2")
        for c in customers:
            self.assertEqual([r[1:] for r in rows if r[0] == c],
                             [("E004", "t", "335"), ("13900000033", "f", "333"),
                              ("E005", "f", "333")])
        # The same shares as erm_split() gives.
        self.assertEqual(self.pg.psql("SELECT coalesce(member_employee, member_msisdn),"
                                      " is_leader, amount_fen FROM erm_split((SELECT id FROM"
                                      " teams WHERE name = '三人团'), 1001) ORDER BY 2 DESC, 1"),
                         [("E004", "t", "335"), ("13900000033", "f", "333"),
                          ("E005", "f", "333")])

    # -- notes -----------------------------------------------------------------------------

    def test_note_period_total_runs_through_the_batch(self):
        code = self.code("31", "E007")
        mark = self.max_outbox()
        self.assertEqual([o for _, o in self.place(
            self.orders(["13770000001", "13770000002"], code, "note"))], ["ok", "ok"])
        self.assertEqual(self.notes("13800000007", mark), [
            "您的亲友137****0001订购了产品31，酬金+5.00元，本期累计5.00元。",
            "您的亲友137****0002订购了产品31，酬金+5.00元，本期累计10.00元。"])
        # A team's note goes to each member's number, with the team's name and total.
        before = int(self.pg.scalar("SELECT erm_holder_total(NULL, id, erm_current_period())"
                                    " FROM teams WHERE name = '三人团'"))
        mark = self.max_outbox()
        self.place(self.orders(["13770000003"], self.code("30", "三人团"), "note-team"))
        for number in ("13800000004", "13800000005", "13900000033"):
            self.assertEqual(self.notes(number, mark), [
                "团队三人团的亲友137****0003订购了产品30，团队酬金+5.00元，本期累计%d.%02d元。"
                % divmod(before + 500, 100)])

    def test_opted_out_holder_gets_no_note(self):
        self.pg.psql("INSERT INTO optouts (msisdn) VALUES ('13800000008') ON CONFLICT DO NOTHING")
        mark = self.max_outbox()
        self.assertEqual([o for _, o in self.place(
            self.orders(["13780000001"], self.code("31", "E008"), "optout"))], ["ok"])
        self.assertEqual(self.ledger(["13780000001"]), [("13780000001", 1, 500)])
        self.assertEqual(self.notes("13800000008", mark), [])

    def test_empty_template_turns_notes_off(self):
        code = self.code("31", "E003")
        mark = self.max_outbox()
        try:
            self.pg.psql("UPDATE erm_texts SET text = '' WHERE key = 'note_order'")
            self.assertEqual([o for _, o in self.place(
                self.orders(["13790000001"], code, "off"))], ["ok"])
        finally:
            self.pg.psql("UPDATE erm_texts SET text = '您的亲友{m}订购了{p}，酬金+{a}元，"
                         "本期累计{t}元。' WHERE key = 'note_order'")
        self.assertEqual(self.ledger(["13790000001"]), [("13790000001", 1, 500)])
        self.assertEqual(self.notes("13800000003", mark), [])

    # -- failures and concurrency ----------------------------------------------------------

    def test_bad_mo_does_not_fail_its_batch_mates(self):
        # An empty customer breaks the orders CHECK, a malformed key the mo_log CHECK: the
        # set statement raises, each MO is placed again on its own and only those two fail,
        # with nothing of theirs kept (their mo_log rows neither).
        code = self.code("31", "E002")
        good = self.orders(["13711000001", "13711000002", "13711000003"], code, "bad")
        bad_customer = (mo_key("bad/customer"), LINK, 4001, "", code)
        bad_key = ("not-a-key", LINK, 4002, "13711000009", code)
        # Placed again one by one in item order: a repeat order and a redelivery among them
        # are still a 'dup' and a 'redelivered'.
        repeat = (mo_key("bad/repeat"), LINK, 4003, good[0][3], code)
        got = self.place([good[0], bad_customer, good[1], bad_key, good[2], repeat, good[1]])
        self.assertEqual(got, [("fresh", "ok"), ("error", "23514"), ("fresh", "ok"),
                               ("error", "23514"), ("fresh", "ok"), ("fresh", "dup"),
                               ("redelivered", "")])
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM orders WHERE customer LIKE"
                                        " '137110000%'"), "3")
        self.assertEqual(len(self.ledger(["13711000001", "13711000002", "13711000003"])), 3)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM mo_log WHERE key = :'p1'",
                                        mo_key("bad/customer")), "0")

    def test_concurrent_batches_serialise_credits_of_a_code(self):
        # A batch holds its claims' locks until it commits; a second batch with a code of
        # the first (and codes in the other order) waits, then counts on top of it.
        ca, cb = self.code("31", "E002"), self.code("36", "E009")
        first = [(mo_key("conc1/0"), LINK, 5000, "13712000001", ca),
                 (mo_key("conc1/1"), LINK, 5001, "13712000002", cb)]
        second = [(mo_key("conc2/0"), LINK, 5002, "13712000003", cb),
                  (mo_key("conc2/1"), LINK, 5003, "13712000004", ca)]
        sql1, p1 = self.batch_sql(first)
        sql2, p2 = self.batch_sql(second)
        result = {}
        with ermtest.PgSession(self.pg) as s1, ermtest.PgSession(self.pg) as s2:
            # psql variables, quoted by psql (:'p1'), as pg.psql binds them.
            s1.run("".join("\\set p%d '%s'\n" % v for v in enumerate(p1, 1)) + "SELECT 1")
            s2.run("".join("\\set p%d '%s'\n" % v for v in enumerate(p2, 1)) + "SELECT 1")
            s1.run("BEGIN; " + sql1)
            t = threading.Thread(target=lambda: result.update(out=s2.run(sql2)))
            t.start()
            ermtest.wait_until(lambda: ermtest.lock_waiters(self.pg) == 1,
                               "the second batch to wait on the first's claim locks")
            s1.run("COMMIT")
            t.join(timeout=ermtest.DEFAULT_TIMEOUT)
            self.assertFalse(t.is_alive())
        self.assertEqual([line.split("|")[2] for line in result["out"]], ["ok", "ok"])
        got = dict((c, n) for c, n, _ in self.ledger(
            ["13712000001", "13712000002", "13712000003", "13712000004"]))
        self.assertEqual(got["13712000004"], got["13712000001"] + 1)
        self.assertEqual(got["13712000003"], got["13712000002"] + 1)

    # -- one implementation ------------------------------------------------------------------

    def test_batch_equals_orders_one_by_one(self):
        # One batch mixing everything, and the same orders one by one, from the same state
        # (each run rolled back): the 004 path (erm_credit_order, erm_queue_note) and the new
        # erm_place_order both leave exactly the batch's orders, ledger, splits, summary and
        # notes. Holders with credits before, tiers, a team, an opted-out holder, duplicates.
        t30, t35 = self.code("30", "三人团"), self.code("35", "三人团")
        c30, c31, c31b = self.code("30", "E001"), self.code("31", "E001"), self.code("31", "E008")
        self.pg.psql("INSERT INTO optouts (msisdn) VALUES ('13800000008') ON CONFLICT DO NOTHING")
        orders = [("13799000101", c30), ("13799000102", t35), ("13799000101", c31),
                  ("13799000103", c30), ("13799000104", t30), ("13799000101", c30),
                  ("13799000105", c31b), ("13799000106", "99999"), ("13799000107", t35),
                  ("13799000108", c30), ("13799000103", c31), ("13799000109", t30),
                  ("13799000110", c30)]
        items = [(mo_key("same/%d" % i), LINK, 6000 + i, cust, code)
                 for i, (cust, code) in enumerate(orders)]
        batch_sql, params = self.batch_sql(items)
        # psql variables (quoted by psql where used): the batch's arrays, each order's
        # customer and code.
        setvars = "".join("\\set p%d '%s'\n" % v for v in enumerate(params, 1))
        setvars += "".join("\\set c%d %s\n\\set o%d %s\n" % (i, c, i, o)
                           for i, (c, o) in enumerate(orders))

        def run(placing):
            self.pg.psql("TRUNCATE test_mark; INSERT INTO test_mark SELECT max(id) FROM outbox")
            rows = self.pg.psql(setvars + "BEGIN;\n" + placing + SNAPSHOT + "ROLLBACK;")
            return [r for r in rows if r[0] in ("order", "ledger", "split", "daily", "note")]

        one_004 = "".join("SELECT 'x' FROM test_place_order_004(:'c%d', :'o%d');\n" % (i, i)
                          for i in range(len(orders)))
        one_new = "".join("SELECT 'x' FROM erm_place_order(:'c%d', :'o%d', 'sms');\n" % (i, i)
                          for i in range(len(orders)))
        batch = run(batch_sql + "\n")
        self.assertEqual(len([r for r in batch if r[0] == "order"]), 11)
        self.assertGreater(len([r for r in batch if r[0] == "split"]), 0)
        self.assertGreater(len([r for r in batch if r[0] == "note"]), 10)
        self.assertEqual(run(one_004), batch)
        self.assertEqual(run(one_new), batch)


if __name__ == "__main__":
    ermtest.main()
