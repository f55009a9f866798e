"""test_pool: ermctl's pool commands against a real throwaway PostgreSQL cluster.

Product retire / list / show (claims used of the quota, orders so far, who holds which code
and where its push is), employee import (all or nothing, every bad line with its number and
reason, idempotent re-import, changed rows update, numbers swapped), employee deactivate,
virtual teams, the hand-out (assign by department, team or employee: assigned / skipped /
refused counts, clean stop at the quota, promo pushes queued per holder respecting
opt-outs), optout list, and the schema's claim and order functions. Each test gets a fresh
database in one shared cluster.
"""
import os
import shutil
import subprocess
import tempfile

import ermtest

GOOD_CSV = ("\ufeffid,name,msisdn,dept\r\n"
            "E001,张三,13800000001,市场部\r\n"
            "E002,\"李四, 小李\",+86 138-0000-0002,市场部\r\n"
            "\r\n"
            " E003 , 王五 ,8613800000003, 市场部 \r\n"
            "E004,赵六,13800000004,技术部\r\n")

# psql prints a row per line: multi-line texts are compared with their newlines as "⏎".
ONE_LINE = "replace(text, chr(10), '⏎')"


def one_line(text):
    return text.replace("\n", "⏎")


class PoolTest(ermtest.ErmctlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = tempfile.mkdtemp(prefix="ermtest-pool-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.ok("migrate")

    # -- helpers ------------------------------------------------------------------------

    def rows(self, sql, *params):
        return self.pg.psql(sql, *params)

    def snapshot(self):
        """Every row the pool commands write, to prove a refusal wrote nothing."""
        return [self.rows("SELECT * FROM %s ORDER BY 1" % t) for t in  # literals
                ("products", "employees", "claims", "teams", "team_members", "outbox",
                 "promo_pushes", "optouts")]

    def product(self, code="10", quota="100", *extra, activate=True):
        self.ok("product", "add", "--code", code, "--name", "流量包", "--quota", quota,
                "--commission", "5.00", "--intro", "每月10GB", "--fee", "10元/月", *extra)
        if activate:
            self.ok("product", "activate", code)

    def employee(self, eid, msisdn, dept="市场部", name="张三"):
        self.ok("employee", "add", "--id", eid, "--name", name, "--msisdn", msisdn, "--dept", dept)

    def csv(self, name, text):
        return ermtest.write_csv(os.path.join(self.tmp, "%s-%s" % (self._testMethodName, name)),
                                 text)

    def place(self, customer, code):
        return self.rows("SELECT outcome, coalesce(product_name, '-') FROM"
                         " erm_place_order(:'p1', :'p2', 'sms')", customer, code)[0]

    # -- products -----------------------------------------------------------------------

    def test_product_retire(self):
        self.product("10")
        self.employee("E001", "13800000001")
        self.ok("claim", "--product", "10", "--employee", "E001")
        self.assertEqual(self.place("13900000001", "10001"), ("ok", "流量包"))
        self.assertEqual(self.ok("product", "retire", "10"), "product 10 retired\n")
        self.assertEqual(self.ok("product", "retire", "10"), "product 10 is already retired\n")
        self.assertEqual(self.rows("SELECT status FROM products"), [("retired",)])
        # No more orders or claims; the history stays.
        self.assertEqual(self.place("13900000002", "10001"), ("inactive", "流量包"))
        self.employee("E002", "13800000002")
        self.assertIn("retired", self.refused(2, "claim", "--product", "10", "--employee", "E002"))
        self.assertIn("retired", self.refused(2, "assign", "--product", "10", "--employee",
                                              "E002"))
        self.assertIn("retired", self.refused(2, "product", "activate", "10"))
        self.assertEqual(self.count("orders"), 1)
        # A draft can be withdrawn too; unknown and malformed codes are refused.
        self.product("20", "10", activate=False)
        self.ok("product", "retire", "20")
        self.assertIn("no such product", self.refused(2, "product", "retire", "30"))
        self.assertIn("not a product code", self.refused(2, "product", "retire", "0x"))
        self.refused(2, "product", "retire")

    def test_product_list_and_show(self):
        self.product("10", "100", "--start", "2020-01-01")
        self.product("200", "1000", activate=False)
        self.employee("E001", "13800000001", name="张三")
        self.employee("E002", "13800000002", name="李四")
        self.ok("assign", "--product", "10", "--employee", "E001")
        self.ok("claim", "--product", "10", "--employee", "E002")
        self.assertEqual(self.place("13900000001", "10001"), ("ok", "流量包"))
        self.assertEqual(self.place("13900000002", "10001"), ("ok", "流量包"))
        self.assertEqual(self.place("13900000003", "10002"), ("ok", "流量包"))
        self.ok("employee", "deactivate", "E002")

        lines = self.ok("product", "list").splitlines()
        self.assertEqual(lines[0].split(), ["CODE", "STATUS", "CLAIMED", "ORDERS", "COMMISSION",
                                            "NAME"])
        self.assertEqual([ln.split() for ln in lines[1:]],
                         [["10", "active", "2/100", "3", "5.00", "流量包"],
                          ["200", "draft", "0/1000", "0", "5.00", "流量包"]])

        out = self.ok("product", "show", "10")
        self.assertIn("product 10 流量包: active", out)
        self.assertIn("codes 10001 to 10100", out)
        self.assertIn("claims:   2 of 100 used, 98 left", out)
        self.assertIn("orders:   3 so far", out)
        self.assertIn("campaign: 2020-01-01 to (open)", out)
        self.assertIn("intro:    每月10GB", out)
        self.assertIn("fee:      10元/月", out)
        holders = out.split("holders:\n")[1].splitlines()
        self.assertEqual(len(holders), 2)
        self.assertRegex(holders[0], r"^  10001 +E001 张三 \(市场部\), claimed \S+ \S+, 2 orders,"
                                     r" promo push: 1 queued$")
        self.assertRegex(holders[1], r"^  10002 +E002 李四 \(市场部, deactivated\), claimed .*,"
                                     r" 1 order, promo push: none$")
        self.assertIn("holders: none yet", self.ok("product", "show", "200"))
        self.assertIn("no such product", self.refused(2, "product", "show", "11"))

    def test_product_promo_must_fit(self):
        # 16 UCS-2 parts of 67 characters: an intro of 1000 characters with a fee of 200
        # cannot go out as one promo push.
        line = self.refused(2, "product", "add", "--code", "10", "--name", "流量包", "--quota",
                            "100", "--commission", "5", "--intro", "汉" * 1000, "--fee",
                            "费" * 200)
        self.assertIn("--intro", line)
        self.assertEqual(self.count("products"), 0)
        self.ok("product", "add", "--code", "10", "--name", "流量包", "--quota", "100",
                "--commission", "5", "--intro", "汉" * 1000)

    # -- employees ----------------------------------------------------------------------

    def test_import(self):
        path = self.csv("good.csv", GOOD_CSV)
        self.assertEqual(self.ok("employee", "import", path),
                         "%s: 4 added, 0 updated, 0 unchanged\n" % path)
        self.assertEqual(self.rows("SELECT id, name, msisdn, dept FROM employees ORDER BY id"),
                         [("E001", "张三", "13800000001", "市场部"),
                          ("E002", "李四, 小李", "13800000002", "市场部"),
                          ("E003", "王五", "13800000003", "市场部"),
                          ("E004", "赵六", "13800000004", "技术部")])
        # The same file again changes nothing.
        before = self.rows("SELECT xmin, * FROM employees ORDER BY id")
        self.assertEqual(self.ok("employee", "import", path),
                         "%s: 0 added, 0 updated, 4 unchanged\n" % path)
        self.assertEqual(self.rows("SELECT xmin, * FROM employees ORDER BY id"), before)

        # A changed row updates its employee; E001 and E002 swap numbers; one is new. A
        # dry run says so and writes nothing.
        changed = self.csv("changed.csv", "id,name,msisdn,dept\n"
                                          "E001,张三,13800000002,销售部\n"
                                          "E002,李四,13800000001,市场部\n"
                                          "E005,孙七,13800000005,技术部\n")
        self.assertEqual(self.ok("employee", "import", changed, "--dry-run"),
                         "%s: would be 1 added, 2 updated, 0 unchanged (dry run: nothing "
                         "written)\n" % changed)
        self.assertEqual(self.count("employees"), 4)
        self.assertEqual(self.ok("employee", "import", changed),
                         "%s: 1 added, 2 updated, 0 unchanged\n" % changed)
        self.assertEqual(self.rows("SELECT id, name, msisdn, dept FROM employees"
                                   " WHERE id IN ('E001', 'E002', 'E005') ORDER BY id"),
                         [("E001", "张三", "13800000002", "销售部"),
                          ("E002", "李四", "13800000001", "市场部"),
                          ("E005", "孙七", "13800000005", "技术部")])
        # A deactivated employee stays deactivated when the file still lists them.
        self.ok("employee", "deactivate", "E003")
        self.ok("employee", "import", path)
        self.assertEqual(self.pg.scalar("SELECT active FROM employees WHERE id = 'E003'"), "f")

    def test_import_bad_lines(self):
        self.employee("E900", "13800000900")
        before = self.snapshot()
        path = self.csv("bad.csv", "id,name,msisdn,dept\n"
                                   "E001,张三,1380000,市场部\n"          # 2 bad number
                                   "E002,李四\n"                         # 3 field count
                                   "E003,王五,13800000003,市场部\n"      # 4 fine
                                   "E004,\"赵六,13800000004,市场部\n"    # 5 open quote
                                   "E003,重复,13800000013,市场部\n"      # 6 id again
                                   "E006,号码重,13800000003,市场部\n"    # 7 number again
                                   "E 7,空格,13800000007,市场部\n"       # 8 bad id
                                   "E008,,13800000008,市场部\n"          # 9 empty name
                                   "E009,他人,13800000900,市场部\n"      # 10 E900's number
                                   "E010,好,13800000010,市场部\n")       # 11 fine
        r = self.ctl("employee", "import", path)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        where = [ln.split(": ", 2)[1] for ln in lines[:-1]]
        self.assertEqual(where, ["%s:%d" % (path, n) for n in (2, 3, 5, 6, 7, 8, 9, 10)])
        self.assertIn("msisdn: \"1380000\" is not an 11-digit mobile number", lines[0])
        self.assertIn("2 fields, expected 4", lines[1])
        self.assertIn("quote", lines[2])
        self.assertIn("id: E003 is also on line 4", lines[3])
        self.assertIn("msisdn: 13800000003 is also on line 4", lines[4])
        self.assertIn("id: \"E 7\"", lines[5])
        self.assertIn("name: must not be empty", lines[6])
        self.assertIn("registered to employee E900", lines[7])
        self.assertEqual(lines[-1], "ermctl: %s: 8 bad lines; nothing imported" % path)
        self.assertEqual(self.snapshot(), before)

    def test_import_file_problems(self):
        self.assertIn("header", self.refused(2, "employee", "import",
                                              self.csv("h.csv", "name,id,msisdn,dept\n")))
        self.assertIn("header", self.refused(2, "employee", "import", self.csv("e.csv", "")))
        self.assertIn("no employees", self.refused(2, "employee", "import",
                                                   self.csv("o.csv", "id,name,msisdn,dept\n")))
        self.assertIn("No such file", self.refused(2, "employee", "import",
                                                   os.path.join(self.tmp, "nope.csv")))
        self.assertIn("--dry-run", self.refused(2, "employee", "import", "x.csv",
                                                "--dry-run=yes"))
        # Bad lines are reported as bad input even when the database is down.
        path = self.csv("bad.csv", "id,name,msisdn,dept\nE001,张三,1380000,市场部\n")
        r = ermtest.ermctl(self.pg, "--db", "host=/nonexistent-ermtest", "employee", "import",
                           path)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn(":2: msisdn", r.stderr)
        self.assertEqual(self.count("employees"), 0)

    def test_deactivate(self):
        self.product("10")
        self.employee("E001", "13800000001")
        self.ok("claim", "--product", "10", "--employee", "E001")
        self.assertEqual(self.place("13900000001", "10001"), ("ok", "流量包"))
        self.assertEqual(self.ok("employee", "deactivate", "E001"),
                         "employee E001 deactivated; their 1 code no longer takes orders\n")
        self.assertEqual(self.ok("employee", "deactivate", "E001"),
                         "employee E001 is already deactivated\n")
        # The code answers 'invalid'; the first order stays counted to the leaver.
        self.assertEqual(self.place("13900000002", "10001"), ("invalid", "流量包"))
        self.assertEqual(self.place("13900000001", "10001"), ("invalid", "流量包"))
        self.assertEqual(self.rows("SELECT customer, employee_id FROM orders"),
                         [("13900000001", "E001")])
        self.assertEqual(self.count("claims"), 1)
        self.assertIn("not active", self.refused(2, "assign", "--product", "10", "--employee",
                                                 "E001"))
        self.assertIn("no such employee", self.refused(2, "employee", "deactivate", "E999"))

    # -- teams and the hand-out ---------------------------------------------------------

    def test_teams(self):
        self.employee("E001", "13800000001", name="张三")
        self.employee("E002", "13800000002", name="李四")
        self.employee("E003", "13800000003", name="王五")
        self.assertEqual(self.ok("team", "create", "张家亲友团", "--leader", "E001"),
                         "team 张家亲友团 created, led by E001\n")
        self.assertIn("already exists", self.refused(2, "team", "create", "张家亲友团",
                                                     "--leader", "E002"))
        self.assertIn("--leader", self.refused(2, "team", "create", "x", "--leader", "E999"))
        self.ok("employee", "deactivate", "E003")
        self.assertIn("not active", self.refused(2, "team", "create", "y", "--leader", "E003"))
        self.assertEqual(self.ok("team", "add", "张家亲友团", "--employee", "E002"),
                         "E002 (13800000002) added to team 张家亲友团\n")
        self.assertEqual(self.ok("team", "add", "张家亲友团", "--msisdn", "+86 139 0000 0009",
                                 "--name", "张妈妈"),
                         "张妈妈 (13900000009) added to team 张家亲友团\n")
        self.assertIn("already in", self.ok("team", "add", "张家亲友团", "--msisdn",
                                            "13900000009", "--name", "张妈妈"))
        self.assertIn("already in", self.ok("team", "add", "张家亲友团", "--employee", "E002"))
        line = self.refused(2, "team", "add", "张家亲友团", "--msisdn", "13800000002", "--name",
                            "x")
        self.assertIn("--employee E002", line)
        self.assertIn("as 张妈妈", self.refused(2, "team", "add", "张家亲友团", "--msisdn",
                                               "13900000009", "--name", "别人"))
        self.assertIn("no such team", self.refused(2, "team", "add", "无", "--employee", "E002"))
        self.assertIn("not active", self.refused(2, "team", "add", "张家亲友团", "--employee",
                                                 "E003"))
        self.assertIn("--msisdn", self.refused(2, "team", "add", "张家亲友团", "--msisdn", "123",
                                               "--name", "x"))
        self.assertIn("--name", self.refused(2, "team", "add", "张家亲友团", "--msisdn",
                                             "13900000008"))
        self.refused(2, "team", "add", "张家亲友团")
        self.refused(2, "team", "add", "张家亲友团", "--employee", "E002", "--msisdn",
                     "13900000008", "--name", "x")
        self.assertEqual(self.rows("SELECT coalesce(employee_id, msisdn) FROM team_members"
                                   " ORDER BY 1"), [("13900000009",), ("E001",), ("E002",)])

    def test_assign_team_and_its_orders(self):
        self.product("10")
        self.employee("E001", "13800000001")
        self.employee("E002", "13800000002")
        self.ok("team", "create", "家人群", "--leader", "E001")
        self.ok("team", "add", "家人群", "--employee", "E002")
        self.ok("team", "add", "家人群", "--msisdn", "13900000009", "--name", "张妈妈")
        self.ok("employee", "deactivate", "E002")  # a leaver gets no more pushes
        out = self.ok("assign", "--product", "10", "--team", "家人群")
        self.assertIn("team 家人群: assigned 10001; promo push queued to 2 numbers", out)
        self.assertEqual(self.rows("SELECT code, employee_id IS NULL, team_id IS NOT NULL"
                                   " FROM claims"), [("10001", "t", "t")])
        push = one_line(ermtest.promo_text("流量包", "每月10GB", "10元/月", "10001"))
        self.assertEqual(self.rows("SELECT dest, kind, %s FROM outbox ORDER BY dest" % ONE_LINE),
                         [("13800000001", "promo", push), ("13900000009", "promo", push)])
        self.assertIn("skipped, already holds 10001",
                      self.ok("assign", "--product", "10", "--team", "家人群"))
        # Orders with the team's code count to the team.
        self.assertEqual(self.place("13700000001", "10001"), ("ok", "流量包"))
        self.assertEqual(self.rows("SELECT employee_id IS NULL, t.name FROM orders o"
                                   " JOIN teams t ON t.id = o.team_id"), [("t", "家人群")])
        self.assertRegex(self.ok("product", "show", "10"),
                         r"10001 +team 家人群 \(leader 张三\), claimed .*, 1 order,"
                         r" promo push: 2 queued")

    def test_assign_dept_stops_at_quota(self):
        self.product("10", "10")
        for i in range(1, 6):
            self.employee("E%03d" % i, "1380000000%d" % i, dept="市场部", name="员工%d" % i)
        self.employee("E100", "13800000100", dept="技术部")
        self.employee("E009", "13800000009", dept="市场部")
        self.ok("employee", "deactivate", "E009")  # leavers are not handed codes
        # Already held: skipped, not counted twice.
        self.ok("claim", "--product", "10", "--employee", "E002")
        # Eight codes of the ten taken by others: two left for the department.
        for i in range(1, 9):
            self.employee("X%03d" % i, "1370000000%d" % i, dept="外部")
            self.ok("claim", "--product", "10", "--employee", "X%03d" % i)
        self.pg.psql("INSERT INTO optouts (msisdn) VALUES ('13800000003')")
        out = self.ok("assign", "--product", "10", "--dept", "市场部").splitlines()
        self.assertEqual(out, [
            "E001 员工1: assigned 1010; promo push queued to 1 number",
            "E002 员工2: skipped, already holds 1001",
            "E003 员工3: refused, the quota is used up",
            "E004 员工4: refused, the quota is used up",
            "E005 员工5: refused, the quota is used up",
            "product 10: 1 assigned, 1 skipped (already held), 3 refused (all 10 codes claimed);"
            " 1 promo push queued, 0 not sent (opted out)"])
        self.assertEqual(self.rows("SELECT dest, %s FROM outbox WHERE kind = 'promo'" % ONE_LINE),
                         [("13800000001",
                           one_line(ermtest.promo_text("流量包", "每月10GB", "10元/月", "1010")))])
        self.assertEqual(self.count("claims"), 10)

    def test_quota_beyond_five_digits(self):
        """A carrier-wide campaign: a quota of 100,000 gives six sequence digits; one whose
        phone codes would not fit an SMPP or CMPP address (20 digits) is refused."""
        self.product("10", "100000")
        for i in range(1, 4):
            self.employee("E%03d" % i, "1380000000%d" % i, dept="市场部", name="员工%d" % i)
        out = self.ok("assign", "--product", "10", "--dept", "市场部").splitlines()
        self.assertEqual(out[:3], ["E001 员工1: assigned 10000001; promo push queued to 1 number",
                                   "E002 员工2: assigned 10000002; promo push queued to 1 number",
                                   "E003 员工3: assigned 10000003; promo push queued to 1 number"])
        self.assertIn("phone code 1008610000001",
                      self.ok("claim", "--product", "10", "--employee", "E001"))
        msg = self.refused(2, "product", "add", "--code", "12345678", "--name", "x",
                           "--quota", "9999999", "--commission", "1.00", "--intro", "x",
                           "--service", "100861")
        self.assertIn("--quota: service number 100861, product code 12345678 and quota 9999999"
                      " give phone codes of 21 digits; an SMPP or CMPP address holds 20", msg)
        self.assertIn("1 to 9999999", self.refused(2, "product", "add", "--code", "11",
                                                   "--name", "x", "--quota", "10000000",
                                                   "--commission", "1.00", "--intro", "x"))

    def test_assign_respects_optouts(self):
        self.product("10")
        self.employee("E001", "13800000001")
        self.employee("E002", "13800000002")
        self.pg.psql("INSERT INTO optouts (msisdn) VALUES ('13800000002')")
        out = self.ok("assign", "--product", "10", "--dept", "市场部")
        self.assertIn("E002 张三: assigned 10002; promo push queued to 0 numbers (some opted out)",
                      out)
        self.assertIn("2 assigned, 0 skipped (already held), 0 refused; 1 promo push queued,"
                      " 1 not sent (opted out)", out)
        self.assertEqual(self.rows("SELECT dest FROM outbox"), [("13800000001",)])
        self.assertEqual(self.rows("SELECT code, msisdn, outbox_id IS NULL FROM promo_pushes"
                                   " ORDER BY code"),
                         [("10001", "13800000001", "f"), ("10002", "13800000002", "t")])
        self.assertRegex(self.ok("product", "show", "10"),
                         r"10002 .*promo push: 1 not sent \(opted out\)")
        self.assertEqual(self.ok("optout", "list").split()[0], "13800000002")

    def test_assign_refusals_write_nothing(self):
        self.product("10", "100", activate=False)
        self.product("20", "1")
        self.product("30", "100", "--start", "2020-01-01", "--end", "2020-12-31")
        self.employee("E001", "13800000001")
        self.employee("E002", "13800000002")
        self.ok("claim", "--product", "20", "--employee", "E002")
        before = self.snapshot()
        self.assertIn("draft", self.refused(2, "assign", "--product", "10", "--dept", "市场部"))
        self.assertIn("ended", self.refused(2, "assign", "--product", "30", "--dept", "市场部"))
        self.assertIn("no product", self.refused(2, "assign", "--product", "40", "--dept",
                                                 "市场部"))
        self.assertIn("--dept", self.refused(2, "assign", "--product", "20", "--dept", "无此部门"))
        self.assertIn("--team", self.refused(2, "assign", "--product", "20", "--team", "无"))
        self.assertIn("--employee", self.refused(2, "assign", "--product", "20", "--employee",
                                                 "E999"))
        self.assertIn("exactly one", self.refused(2, "assign", "--product", "20"))
        self.assertIn("exactly one", self.refused(2, "assign", "--product", "20", "--dept",
                                                  "市场部", "--employee", "E001"))
        self.assertIn("--product", self.refused(2, "assign", "--product", "0", "--dept", "x"))
        # Nobody could get a code: refused as a whole.
        self.assertIn("nothing assigned", self.refused(2, "assign", "--product", "20",
                                                       "--employee", "E001"))
        self.assertEqual(self.snapshot(), before)
        # The dept's holder of the only code is skipped: not a failure.
        self.assertIn("1 skipped", self.ok("assign", "--product", "20", "--employee", "E002"))

    def test_concurrent_assign_and_claims(self):
        # Eight hand-outs and claims at once for five codes: five winners, never six.
        self.product("10", "5")
        for i in range(1, 9):
            self.employee("E%03d" % i, "1380000000%d" % i, dept="D%d" % i)
        procs = []
        for i in range(1, 9):
            args = (["assign", "--product", "10", "--dept", "D%d" % i] if i % 2 else
                    ["claim", "--product", "10", "--employee", "E%03d" % i])
            procs.append(subprocess.Popen([ermtest.binary("ermctl")] + args, env=self.pg.env,
                                          text=True, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE))
        results = [p.communicate(timeout=60) + (p.returncode,) for p in procs]
        self.assertEqual(sorted(r[2] for r in results), [0] * 5 + [2] * 3, results)
        self.assertEqual(self.rows("SELECT seq FROM claims ORDER BY seq"),
                         [(str(i),) for i in range(1, 6)])

    # -- the schema's functions ---------------------------------------------------------

    def test_claim_function(self):
        self.product("10", "2")
        self.product("20", "10", activate=False)
        self.employee("E001", "13800000001")
        self.employee("E002", "13800000002")
        self.employee("E003", "13800000003")

        def claim(product, emp, self_claim=True):
            return self.rows("SELECT outcome, coalesce(code, '-') FROM erm_claim_code(:'p1',"
                             " :'p2', NULL, :'p3')", product, emp,
                             "true" if self_claim else "false")[0]

        self.assertEqual(claim("10", "E001"), ("new", "101"))
        self.assertEqual(claim("10", "E001"), ("held", "101"))
        self.assertEqual(claim("10", "E002"), ("new", "102"))
        self.assertEqual(claim("10", "E003"), ("full", "-"))
        self.assertEqual(claim("99", "E003"), ("no_product", "-"))
        self.assertEqual(claim("10", "E999"), ("no_holder", "-"))
        self.assertEqual(claim("20", "E003"), ("draft", "-"))
        self.assertEqual(claim("20", "E003", False), ("new", "2001"))
        self.assertEqual(self.rows("SELECT outcome, coalesce(code, '-') FROM"
                                   " erm_claim_by_msisdn('13800000001', '10')"),
                         [("held", "101")])
        self.assertEqual(self.rows("SELECT outcome FROM erm_claim_by_msisdn('13999999999', '10')"),
                         [("unknown_number",)])

    def test_order_campaign_outcomes(self):
        self.product("10", "100", "--start", "2099-01-01")
        self.employee("E001", "13800000001")
        self.ok("claim", "--product", "10", "--employee", "E001")
        self.assertEqual(self.place("13900000001", "10001"), ("not_started", "流量包"))
        self.pg.psql("UPDATE products SET starts_on = current_date, ends_on = current_date")
        self.assertEqual(self.place("13900000001", "10001"), ("ok", "流量包"))
        self.pg.psql("UPDATE products SET starts_on = NULL, ends_on = current_date - 1")
        self.assertEqual(self.place("13900000002", "10001"), ("ended", "流量包"))
        self.assertEqual(self.count("orders"), 1)

    # -- output contract ----------------------------------------------------------------

    def test_optout_list(self):
        self.assertEqual(self.ok("optout", "list"), "no opt-outs\n")
        self.pg.psql("INSERT INTO optouts (msisdn, at) VALUES"
                     " ('13800000002', '2026-01-02 03:04:05'), ('13800000001', '2026-01-01')")
        self.assertEqual(self.ok("optout", "list"),
                         "13800000001          2026-01-01 00:00:00\n"
                         "13800000002          2026-01-02 03:04:05\n")

    def test_help(self):
        for cmd in (["product", "retire"], ["product", "list"], ["product", "show"],
                    ["employee", "import"], ["employee", "deactivate"], ["team", "create"],
                    ["team", "add"], ["assign"], ["optout", "list"], ["team"], ["optout"]):
            r = self.ctl(*cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn("usage: ermctl", r.stdout)
        main = self.ok("--help")
        for word in ("retire", "import", "deactivate", "team create", "assign", "optout list"):
            self.assertIn(word, main)
        self.assertIn("unknown subcommand", self.refused(2, "team", "remove", "x"))
        self.assertIn("unexpected argument", self.refused(2, "product", "list", "10"))


if __name__ == "__main__":
    ermtest.main()
