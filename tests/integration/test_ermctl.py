"""test_ermctl: the admin tool against a real throwaway PostgreSQL cluster.

Covers migrate (idempotent, --schema, a failing migration), the product pool (draft,
activate, the code clash rule), employees (number normalised, duplicates), claims (codes
and widths, asking again, quota), and the output contract: success lines on stdout, one
"ermctl: ..." line on stderr, exit 1 for runtime failures and 2 for bad input, and nothing
half-written on any failure. Each test gets a fresh database in one shared cluster.
"""
import os
import shutil
import subprocess
import tempfile

import ermtest


class ErmctlTest(ermtest.ErmctlCase):
    # -- helpers ------------------------------------------------------------------------

    def migrate(self):
        out = self.ok("migrate")
        self.assertTrue(out.startswith("applied 001_init\n"), out)
        self.assertRegex(out, r"^(applied \d{3}_\w+\n)+$")

    def product(self, code="10", quota="100", *extra):
        return self.ok("product", "add", "--code", code, "--name", "流量包", "--quota", quota,
                       "--commission", "5.00", "--intro", "每月10GB", *extra)

    def employee(self, eid="E001", msisdn="13800000001"):
        return self.ok("employee", "add", "--id", eid, "--name", "张三", "--msisdn", msisdn,
                       "--dept", "市场部")

    def claim(self, product="10", employee="E001"):
        return self.ok("claim", "--product", product, "--employee", employee)

    # -- migrate ------------------------------------------------------------------------

    def test_migrate_twice(self):
        self.migrate()
        self.assertEqual(self.ok("migrate"), "schema up to date\n")
        self.assertEqual(self.pg.psql("SELECT version FROM schema_migrations ORDER BY 1")[0],
                         ("001_init",))
        tables = {r[0] for r in self.pg.psql(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        self.assertTrue({"products", "employees", "claims", "orders", "outbox",
                         "schema_migrations"} <= tables, tables)

    def test_migrate_schema_dir(self):
        d = tempfile.mkdtemp(prefix="ermtest-schema-")
        self.addCleanup(shutil.rmtree, d, True)
        shutil.copy(os.path.join(ermtest.SOURCE_DIR, "schema", "001_init.sql"), d)
        with open(os.path.join(d, "002_teams.sql"), "w") as f:
            f.write("CREATE TABLE teams (id text PRIMARY KEY);\n")
        with open(os.path.join(d, "README"), "w") as f:
            f.write("not a migration\n")
        self.assertEqual(self.ok("migrate", "--schema", d), "applied 001_init\napplied 002_teams\n")
        self.assertEqual(self.ok("migrate", "--schema", d), "schema up to date\n")

        # A failing migration is rolled back whole and named with its line; exit 1.
        with open(os.path.join(d, "003_bad.sql"), "w") as f:
            f.write("CREATE TABLE half (id int);\n-- comment\nCREATE TABLE oops (id nosuchtype);\n")
        line = self.refused(1, "migrate", "--schema", d)
        self.assertIn("003_bad.sql: line 3:", line)
        self.assertIn("nosuchtype", line)
        self.assertEqual(self.pg.scalar("SELECT to_regclass('half') IS NULL"), "t")
        self.assertEqual(self.count("schema_migrations"), 2)

        # A migration must not commit on its own.
        os.remove(os.path.join(d, "003_bad.sql"))
        with open(os.path.join(d, "003_commit.sql"), "w") as f:
            f.write("CREATE TABLE c3 (id int); COMMIT;\n")
        line = self.refused(2, "migrate", "--schema", d)
        self.assertIn("003_commit.sql", line)

    def test_schema_must_be_current(self):
        """A command on a database whose schema is older than this ermctl (or absent) is
        refused with the migration that is missing and what to run, not a raw SQL error."""
        line = self.refused(1, "product", "list")
        self.assertIn("the database has no ermgw schema yet: run ermctl migrate first", line)
        d = tempfile.mkdtemp(prefix="ermtest-schema-")
        self.addCleanup(shutil.rmtree, d, True)
        for f in sorted(os.listdir(os.path.join(ermtest.SOURCE_DIR, "schema"))):
            if f.endswith(".sql") and f < "004":
                shutil.copy(os.path.join(ermtest.SOURCE_DIR, "schema", f), d)
        self.ok("migrate", "--schema", d)
        line = self.refused(1, "product", "list")
        self.assertRegex(line, r"the database's schema is older than this program: migration "
                               r"004_commission \(\d+ pending in all\) is not applied; run "
                               r"ermctl migrate")
        # ermgw too: it stops at start (exit 1) rather than answer every MO with an error
        d = tempfile.mkdtemp(prefix="ermtest-gw-")
        self.addCleanup(shutil.rmtree, d, True)
        conf = os.path.join(d, "ermgw.conf")
        with open(conf, "w") as f:
            f.write(ermtest.CONFIG_TEMPLATE.format(
                host="127.0.0.1", port=9, system_id="ermgw", password="secret",
                enquire_link_s=30, service="10086",
                conninfo="host=%s port=%s dbname=%s user=postgres" % (
                    self.pg.sock, self.pg.port, self.pg.env["PGDATABASE"])))
        r = subprocess.run([ermtest.binary("ermgw"), "--config", conf], text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertRegex(r.stdout, r"migration 004_commission \(\d+ pending in all\) is not "
                                   r"applied; run ermctl migrate")
        self.assertTrue(self.ok("migrate").startswith("applied 004_commission\n"))
        self.ok("product", "list")

    def test_migrate_bad_dir(self):
        empty = tempfile.mkdtemp(prefix="ermtest-schema-")
        self.addCleanup(shutil.rmtree, empty, True)
        self.assertIn("--schema", self.refused(2, "migrate", "--schema", empty))
        self.assertIn("--schema", self.refused(2, "migrate", "--schema", empty + "/nope"))
        self.assertIsNone(self.pg.scalar("SELECT to_regclass('products')::text"))

    # -- products -----------------------------------------------------------------------

    def test_product_add_activate(self):
        self.migrate()
        out = self.product("10", "100", "--fee", "10元/月", "--start", "2026-01-01",
                           "--end", "2026-12-31")
        self.assertEqual(out.count("\n"), 1)
        self.assertIn("product 10 added as a draft", out)
        self.assertIn("codes 10001 to 10100", out)
        self.assertEqual(
            self.pg.psql("SELECT name, intro, fee_text, commission_fen, quota, width, service,"
                         " status, starts_on, ends_on FROM products"),
            [("流量包", "每月10GB", "10元/月", "500", "100", "3", "10086", "draft",
              "2026-01-01", "2026-12-31")])
        self.assertEqual(self.ok("product", "activate", "10"), "product 10 activated\n")
        self.assertEqual(self.pg.scalar("SELECT status FROM products"), "active")
        self.assertEqual(self.ok("product", "activate", "10"), "product 10 is already active\n")
        self.assertIn("no such product", self.refused(2, "product", "activate", "11"))
        self.pg.psql("UPDATE products SET status = 'retired'")
        self.assertIn("retired", self.refused(2, "product", "activate", "10"))

    def test_product_cancel_window(self):
        self.migrate()
        self.product("10", "100")
        self.product("20", "100", "--cancel-days", "30")
        self.assertEqual(self.pg.psql("SELECT code, cancel_days FROM products ORDER BY code"),
                         [("10", "7"), ("20", "30")])
        for bad in ("367", "-1", "x", "1000"):
            self.assertIn("--cancel-days", self.refused(
                2, "product", "add", "--code", "30", "--name", "X", "--quota", "100",
                "--commission", "1", "--intro", "x", "--cancel-days", bad))
        self.assertEqual(self.count("products"), 2)

    def test_product_clash(self):
        self.migrate()
        self.product("10", "100")
        # 100 with 2 sequence digits: "10001" would read as 10/001 and 100/01.
        line = self.refused(2, "product", "add", "--code", "100", "--name", "X", "--quota",
                            "10", "--commission", "1", "--intro", "x")
        self.assertIn("--code", line)
        self.assertIn("product 10", line)
        self.assertIn("--code", self.refused(2, "product", "add", "--code", "1", "--name", "X",
                                             "--quota", "1000", "--commission", "1",
                                             "--intro", "x"))
        self.assertIn("already exists", self.refused(2, "product", "add", "--code", "10",
                                                     "--name", "X", "--quota", "100",
                                                     "--commission", "1", "--intro", "x"))
        self.assertEqual(self.count("products"), 1)
        # Same width under a prefix, or no prefix at all, lives together.
        self.product("100", "100")
        self.product("11", "9")
        self.assertEqual(self.count("products"), 3)

    def test_product_bad_input(self):
        self.migrate()
        base = ["product", "add", "--code", "10", "--name", "X", "--quota", "100",
                "--commission", "5.00", "--intro", "x"]

        def bad(field, **override):
            args = list(base)
            for k, v in override.items():
                opt = "--" + k
                if opt in args:
                    i = args.index(opt)
                    if v is None:
                        del args[i:i + 2]
                    else:
                        args[i + 1] = v
                else:
                    args += [opt, v]
            line = self.refused(2, *args)
            self.assertIn(field, line)
            return line

        self.assertIn('"5.001"', bad("--commission", commission="5.001"))
        bad("--commission", commission="-1")
        bad("--commission", commission="abc")
        bad("--quota", quota="0")
        bad("--quota", quota="10000000")
        bad("--quota", quota="1e3")
        bad("--code", code="01")
        bad("--code", code="1a")
        self.assertIn("fewer than 3 digits", bad("--quota", code="1", quota="9"))
        bad("--name", name=None)
        bad("--name", name="")
        bad("--start", start="2026-02-30")
        bad("--end", start="2026-03-01", end="2026-02-01")
        bad("--service", service="10o86")
        bad("--bogus", bogus="1")
        self.assertEqual(self.count("products"), 0)

    # -- employees ----------------------------------------------------------------------

    def test_employee_add(self):
        self.migrate()
        out = self.ok("employee", "add", "--id", "E001", "--name", "张三", "--msisdn",
                      "+86 138-0000-0001", "--dept", "市场部")
        self.assertEqual(out, "employee E001 added: 张三, 13800000001\n")
        self.assertEqual(self.pg.psql("SELECT id, name, msisdn, dept, active FROM employees"),
                         [("E001", "张三", "13800000001", "市场部", "t")])

        line = self.refused(2, "employee", "add", "--id", "E001", "--name", "李四",
                            "--msisdn", "13800000002")
        self.assertIn("--id", line)
        line = self.refused(2, "employee", "add", "--id", "E002", "--name", "李四",
                            "--msisdn", "8613800000001")
        self.assertIn("--msisdn", line)
        self.assertIn("E001", line)
        line = self.refused(2, "employee", "add", "--id", "E003", "--name", "王五",
                            "--msisdn", "1380000")
        self.assertEqual(line, 'ermctl: --msisdn: "1380000" is not an 11-digit mobile number')
        self.assertIn("--id", self.refused(2, "employee", "add", "--id", "E 4", "--name", "x",
                                           "--msisdn", "13800000004"))
        self.assertIn("--msisdn", self.refused(2, "employee", "add", "--id", "E005",
                                               "--name", "x"))
        self.assertEqual(self.count("employees"), 1)

    # -- claims -------------------------------------------------------------------------

    def test_claim_codes(self):
        self.migrate()
        self.product("10", "100")
        self.product("20", "9", "--service", "12345")
        self.employee("E001", "13800000001")
        self.employee("E002", "13800000002")
        line1 = "sms code 10001, phone code 1008610001 (product 10, employee E001)\n"
        self.assertEqual(self.claim("10", "E001"), line1)
        self.assertEqual(self.claim("10", "E002"),
                         "sms code 10002, phone code 1008610002 (product 10, employee E002)\n")
        # Asking again gives the same code and writes nothing.
        self.assertEqual(self.claim("10", "E001"), line1)
        self.assertEqual(self.claim("20", "E002"),
                         "sms code 201, phone code 12345201 (product 20, employee E002)\n")
        self.assertEqual(self.claim("20", "E001"),
                         "sms code 202, phone code 12345202 (product 20, employee E001)\n")
        self.assertEqual(
            self.pg.psql("SELECT code, product_code, seq, employee_id FROM claims ORDER BY code"),
            [("10001", "10", "1", "E001"), ("10002", "10", "2", "E002"),
             ("201", "20", "1", "E002"), ("202", "20", "2", "E001")])

    def test_claim_width_follows_quota(self):
        self.migrate()
        self.product("10", "9")
        self.employee()
        self.assertEqual(self.claim("10", "E001"),
                         "sms code 101, phone code 10086101 (product 10, employee E001)\n")

    def test_concurrent_claims_and_adds(self):
        self.migrate()
        self.product("10", "100")
        for i in range(1, 9):
            self.employee("E%03d" % i, "1380000000%d" % i)
        procs = [subprocess.Popen([ermtest.binary("ermctl"), "claim", "--product", "10",
                                   "--employee", "E%03d" % i], env=self.pg.env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for i in range(1, 9)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            self.assertEqual(p.returncode, 0, err)
        self.assertEqual(self.pg.psql("SELECT seq FROM claims ORDER BY seq"),
                         [(str(i),) for i in range(1, 9)])
        # Two clashing products added at once: exactly one gets in.
        procs = [subprocess.Popen([ermtest.binary("ermctl"), "product", "add", "--code", code,
                                   "--name", "X", "--quota", quota, "--commission", "1",
                                   "--intro", "x"], env=self.pg.env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for code, quota in (("2", "10"), ("20", "100"), ("2", "1000"))]
        codes = [p.wait(timeout=60) for p in procs]
        for p in procs:
            p.stdout.close()
            p.stderr.close()
        self.assertEqual(sorted(codes), [0, 2, 2])
        self.assertEqual(self.count("products"), 2)

    def test_claim_quota_and_refusals(self):
        self.migrate()
        self.product("77", "2")
        for i in range(1, 4):
            self.employee("E%03d" % i, "1380000000%d" % i)
        self.claim("77", "E001")
        self.claim("77", "E002")
        line = self.refused(2, "claim", "--product", "77", "--employee", "E003")
        self.assertIn("--product", line)
        self.assertIn("claimed", line)
        self.assertEqual(self.count("claims"), 2)
        # The holders still get theirs.
        self.assertIn("sms code 772,", self.claim("77", "E002"))

        self.assertIn("--product", self.refused(2, "claim", "--product", "8",
                                                "--employee", "E001"))
        self.assertIn("--employee", self.refused(2, "claim", "--product", "77",
                                                 "--employee", "E999"))
        self.pg.psql("UPDATE employees SET active = false WHERE id = 'E003'")
        self.product("9", "10")
        self.assertIn("--employee", self.refused(2, "claim", "--product", "9",
                                                 "--employee", "E003"))
        self.pg.psql("UPDATE products SET status = 'retired' WHERE code = '9'")
        self.assertIn("retired", self.refused(2, "claim", "--product", "9",
                                              "--employee", "E001"))
        self.assertIn("--employee", self.refused(2, "claim", "--product", "9"))
        self.assertEqual(self.count("claims"), 2)

    # -- the order function of the schema ---------------------------------------------

    def test_place_order_function(self):
        self.migrate()
        self.product("10", "100")
        self.product("20", "9")
        self.employee()
        self.claim("10")
        self.claim("20")
        self.ok("product", "activate", "10")

        def place(customer, code):
            return self.pg.psql("SELECT outcome, coalesce(product_name, '-') FROM"
                                " erm_place_order(:'p1', :'p2', 'sms')", customer, code)[0]

        self.assertEqual(place("13900000001", "10001"), ("ok", "流量包"))
        self.assertEqual(place("13900000001", "10001"), ("dup", "流量包"))
        self.assertEqual(place("13900000001", "99999"), ("unknown", "-"))
        self.assertEqual(place("13900000001", "201"), ("inactive", "流量包"))
        self.pg.psql("UPDATE products SET ends_on = current_date - 1 WHERE code = '10'")
        self.assertEqual(place("13900000002", "10001"), ("ended", "流量包"))
        self.assertEqual(self.pg.psql("SELECT customer, code, employee_id, product_code, channel"
                                      " FROM orders"),
                         [("13900000001", "10001", "E001", "10", "sms")])

    # -- the output contract ----------------------------------------------------------

    def test_unreachable_database(self):
        line = self.refused(1, "--db", "host=/nonexistent-ermtest dbname=x", "migrate")
        self.assertTrue(line.startswith("ermctl: connect: "), line)
        # Bad input is reported as such before connecting.
        line = self.refused(2, "--db", "host=/nonexistent-ermtest", "employee", "add", "--id",
                            "E1", "--name", "x", "--msisdn", "123")
        self.assertIn("--msisdn", line)
        self.assertIn("--db", self.refused(2, "--db", "host=x nonsense", "migrate"))

    def test_stopped_cluster(self):
        self.migrate()
        self.cluster.stop()
        try:
            line = self.refused(1, "product", "add", "--code", "10", "--name", "X", "--quota",
                                "100", "--commission", "1", "--intro", "x")
            self.assertTrue(line.startswith("ermctl: connect: "), line)
        finally:
            self.cluster.start()
        self.assertEqual(self.count("products"), 0)

    def test_help_and_usage(self):
        r = self.ctl("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: ermctl", r.stdout)
        r = self.ctl("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^ermctl \d+\.\d+\.\d+\n$")
        for cmd in (["migrate"], ["product", "add"], ["product", "activate"],
                    ["employee", "add"], ["claim"], ["product"]):
            r = self.ctl(*cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn("usage: ermctl", r.stdout)
        self.assertIn("unknown command", self.refused(2, "frobnicate"))
        self.refused(2)
        self.refused(2, "product")
        self.refused(2, "product", "remove", "10")
        self.refused(2, "--nope", "migrate")
        self.assertIn("--quota", self.refused(2, "product", "add", "--code", "10", "--name",
                                              "x", "--quota"))
        self.assertIn("twice", self.refused(2, "claim", "--product", "1", "--product", "2",
                                            "--employee", "E1"))


if __name__ == "__main__":
    ermtest.main()
