"""Hostile input through ermctl (issue 15, items 5, 8 and 9 and ermctl's error lines):
- CSV reports never hand a spreadsheet a formula: an employee, team and department named
  =cmd|..., +SUM(...), @SUM(...), =HYPERLINK(...) show up with a leading ' while the
  figures, a negative commission included, stay numbers; employee ids may not start so.
- Reports keep the null group (orders of no employee, no team) apart from an employee,
  department or team really named "-": "-" in the table and CSV, null in JSON, and the real
  "-" shown as '-.
- `order cancel --reason` with bytes that are not UTF-8 is refused before connecting (it
  once reached PostgreSQL); names with U+202E (right-to-left override) or a C1 control are
  refused.
- ermctl's error lines escape what came from outside (ESC, CR, a newline): one line per
  bad row of an import, nothing raw on the operator's terminal.
"""
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

FORMULA_NAME = "=cmd|' /C calc'!A0"
PLUS_NAME = "+SUM(A1:A9)"
LINK_NAME = '=HYPERLINK("http://evil.example/","点我")'
AT_DEPT = "@SUM(1+1)"
MINUS_TEAM = "-2+3 团队"
FIGURES = ("orders", "cancelled", "commission")


def ctl(pg, *args):
    return ermtest.ermctl(pg, *args, check=True).stdout


def ctl_bytes(pg, *args):
    """ermctl with ARGS (str; "\\udcXX" stands for the raw byte XX); (status, stdout,
    stderr) as bytes."""
    r = subprocess.run([ermtest.binary("ermctl")] + list(args), env=pg.env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout, r.stderr


class HostileInput(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = ermtest.PgCluster().__enter__()
        cls.tmp = tempfile.mkdtemp(prefix="ermtest-hostile-")
        try:
            cls.setup_data()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)
        cls.pg.__exit__(None, None, None)

    @classmethod
    def setup_data(cls):
        """Product 10; employees named like formulas (E01, E02, E03 without orders but a
        negative day), E04 of the real department "-", a legacy employee whose id and name
        are "-" (written before ids were checked for it), a team named like a formula and
        one named "-", each with a code and orders; one order cancelled."""
        pg = cls.pg
        ctl(pg, "migrate")
        ctl(pg, "product", "add", "--code", "10", "--name", "流量包", "--quota", "100",
            "--commission", "5.00", "--intro", "x")
        ctl(pg, "product", "activate", "10")
        for eid, name, msisdn, dept in (("E01", FORMULA_NAME, "13800000101", AT_DEPT),
                                        ("E02", PLUS_NAME, "13800000102", "市场部"),
                                        ("E03", LINK_NAME, "13800000103", "市场部"),
                                        ("E04", "赵六", "13800000104", "-")):
            ctl(pg, "employee", "add", "--id", eid, "--name", name, "--msisdn", msisdn,
                "--dept", dept)
        pg.psql("INSERT INTO employees (id, name, msisdn, dept)"
                " VALUES ('-', '-', '13800000105', '市场部')")
        for eid in ("E01", "E02", "E04", "-"):
            ctl(pg, "claim", "--product", "10", "--employee", eid)
        ctl(pg, "team", "create", MINUS_TEAM, "--leader", "E01")
        ctl(pg, "team", "create", "-", "--leader", "E02")
        for team in (MINUS_TEAM, "-"):
            ctl(pg, "assign", "--product", "10", "--team", team)
        # Orders: 2 on each employee code, 3 on each team code.
        codes = pg.psql("SELECT code, coalesce(employee_id, 'team') FROM claims ORDER BY code")
        n = 0
        for code, holder in codes:
            for _ in range(3 if holder == "team" else 2):
                n += 1
                pg.psql("SELECT outcome FROM erm_place_order(:'p1', :'p2', 'sms')",
                        "1390000%04d" % n, code)
        oid = pg.scalar("SELECT min(o.id) FROM orders o JOIN claims c ON c.code = o.code"
                        " WHERE c.employee_id = 'E01'")
        ctl(pg, "order", "cancel", oid, "--reason", "客户投诉")
        # E03: a day whose net commission is negative (a reversal on a day without its
        # credit, as a correction of the summary could give): -5.00 is a figure, kept.
        pg.psql("INSERT INTO commission_daily (employee_id, team_id, product_code, order_day,"
                " orders, cancelled, amount_fen) VALUES ('E03', NULL, '10', current_date,"
                " 0, 1, -500)")

    def csv_rows(self, by):
        status, out, err = ctl_bytes(self.pg, "report", "--by", by, "--format", "csv")
        self.assertEqual(status, 0, err)
        self.assertTrue(out.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(out[3:].decode("utf-8"), newline="")))
        header = rows[0]
        body = [dict(zip(header, r)) for r in rows[1:]]
        # No cell a person reads starts a formula, but the null group's "-"; figures are
        # numbers (a negative one too).
        for r in body:
            for col, v in r.items():
                if col in FIGURES:
                    self.assertRegex(v, r"^-?\d+(\.\d\d)?$", (col, r))
                else:
                    self.assertTrue(v == "-" or v[:1] not in "=+-@\t\r", (col, r))
        return body

    def json_rows(self, by):
        return json.loads(ctl(self.pg, "report", "--by", by, "--format", "json"))

    # -- item 5: formula injection ----------------------------------------------------

    def test_csv_neutralises_formulas(self):
        emp = {r["employee"]: r for r in self.csv_rows("employee")}
        self.assertEqual(emp["E01"]["name"], "'" + FORMULA_NAME)
        self.assertEqual(emp["E02"]["name"], "'" + PLUS_NAME)
        self.assertEqual(emp["E03"]["name"], "'" + LINK_NAME)
        self.assertEqual((emp["E01"]["orders"], emp["E01"]["cancelled"],
                          emp["E01"]["commission"]), ("2", "1", "5.00"))
        self.assertEqual(emp["E03"]["commission"], "-5.00")
        teams = {r["team"]: r for r in self.csv_rows("team")}
        self.assertEqual(teams["'" + MINUS_TEAM]["orders"], "3")
        depts = {r["dept"]: r for r in self.csv_rows("dept,employee")
                 if r["employee"] == "E01"}
        self.assertEqual(list(depts), ["'" + AT_DEPT])
        # JSON is for programs: the values as they are.
        by_id = {r["employee"]: r for r in self.json_rows("employee")}
        self.assertEqual(by_id["E01"]["name"], FORMULA_NAME)
        self.assertEqual(by_id["E03"]["commission"], "-5.00")

    def test_formula_ids_refused(self):
        for eid in ("=1+1", "+E9", "-E9", "@E9"):
            r = ermtest.ermctl(self.pg, "employee", "add", "--id", eid, "--name", "x",
                               "--msisdn", "13800000199")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("may not start with =, +, - or @", r.stderr)
        path = os.path.join(self.tmp, "formula.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write("id,name,msisdn,dept\nE09,ok,13800000198,x\n=HYPERLINK(1),x,13800000197,x\n")
        r = ermtest.ermctl(self.pg, "employee", "import", path)
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("%s:3: id: \"=HYPERLINK(1)\" is not an employee id" % path, r.stderr)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM employees WHERE id = 'E09'"), "0")

    # -- item 8: the null group apart from a real "-" ---------------------------------

    def test_real_dash_is_not_the_null_group(self):
        pg = self.pg
        team_orders = pg.scalar("SELECT count(*) FROM orders WHERE team_id IS NOT NULL")
        self.assertEqual(team_orders, "6")
        rows = self.json_rows("employee")
        self.assertEqual([(r["employee"], r["name"], r["orders"]) for r in rows
                          if r["employee"] in ("-", None)], [("-", "-", 2), (None, None, 6)])
        self.assertEqual(rows[-1]["employee"], None)  # the null group sorts last
        teams = [(r["team"], r["orders"]) for r in self.json_rows("team")]
        self.assertIn(("-", 3), teams)
        self.assertEqual(teams[-1], (None, 8))  # the employees' 2 + 2 + 2 + 2 orders
        depts = {r["dept"]: r["orders"] for r in self.json_rows("dept")}
        self.assertEqual((depts["-"], depts[None]), (2, 6))
        # CSV and table: the null group "-", the real "-" as '-.
        emp = [(r["employee"], r["name"], r["orders"]) for r in self.csv_rows("employee")]
        self.assertIn(("'-", "'-", "2"), emp)
        self.assertEqual(emp[-1], ("-", "-", "6"))
        depts = {r["dept"]: r["orders"] for r in self.csv_rows("dept")}
        self.assertEqual((depts["'-"], depts["-"]), ("2", "6"))
        teams = {r["team"]: r["orders"] for r in self.csv_rows("team")}
        self.assertEqual((teams["'-"], teams["-"]), ("3", "8"))
        table = ctl(pg, "report", "--by", "team").splitlines()
        self.assertEqual([ln.split()[:2] for ln in table[1:] if ln.split()[0] in ("-", "'-")],
                         [["'-", "3"], ["-", "8"]])

    # -- item 9: texts that are not UTF-8, or disguise what they show ------------------

    def test_cancel_reason_not_utf8_refused_before_connecting(self):
        for db in ([], ["--db", "host=/nonexistent-ermtest dbname=x"]):
            status, out, err = ctl_bytes(self.pg, *db, "order", "cancel", "1", "--reason",
                                         "\udcff\udcfe bad")
            self.assertEqual((status, out), (2, b""), err)
            self.assertEqual(err, b"ermctl: --reason: not valid UTF-8 text on one line\n")
        status, _, err = ctl_bytes(self.pg, "order", "cancel", "1", "--reason",
                                   "退款\u202e")
        self.assertEqual(status, 2, err)
        self.assertIn(b"--reason: holds U+202E", err)

    def test_bidi_and_c1_names_refused(self):
        pg = self.pg
        before = pg.psql("SELECT * FROM employees ORDER BY id")
        for name, cp in (("张三\u202egpj.exe", "202E"), ("李四\u2067", "2067"),
                         ("王五\u0085", "0085"), ("x\u200f", "200F")):
            r = ermtest.ermctl(pg, "employee", "add", "--id", "E50", "--name", name,
                               "--msisdn", "13800000150")
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stderr, "ermctl: --name: holds U+%s, a control or bidirectional"
                             " formatting character that disguises the text\n" % cp)
        r = ermtest.ermctl(pg, "team", "create", "亲友\u202d团", "--leader", "E01")
        self.assertEqual(r.returncode, 2, r.stderr)
        self.assertIn("holds U+202D", r.stderr)
        self.assertEqual(pg.psql("SELECT * FROM employees ORDER BY id"), before)

    # -- ermctl's error lines ---------------------------------------------------------

    def test_error_lines_escaped(self):
        path = os.path.join(self.tmp, "esc.csv")
        with open(path, "wb") as f:
            f.write(b"id,name,msisdn,dept\n"
                    b"E\x1b[2J\r01,x,13800000160,x\n"           # ESC and CR in the id
                    b"E61,x,138\x1b]0;pwned\x07,x\n"             # a terminal title sequence
                    b"E62,x,13800000162,\xff\n"                 # not UTF-8
                    b"E63,x,13800000163,x\n")
        status, out, err = ctl_bytes(self.pg, "employee", "import", path)
        self.assertEqual((status, out), (2, b""), err)
        lines = err.split(b"\n")
        self.assertEqual(lines[-1], b"")
        lines = lines[:-1]
        self.assertEqual(len(lines), 4, err)  # one a bad row, then the verdict
        for ln in lines:
            self.assertTrue(ln.startswith(b"ermctl: "), ln)
            self.assertFalse(any(b < 0x20 or b == 0x7f for b in ln), ln)
        self.assertIn(b':2: id: "E\\x1b[2J\\x0d01" is not an employee id', lines[0])
        self.assertIn(b':3: msisdn: "138\\x1b]0;pwned\\x07" is not', lines[1])
        self.assertIn(b":4: dept: not valid UTF-8 text", lines[2])
        self.assertTrue(lines[3].endswith(b": 3 bad lines; nothing imported"), lines[3])
        # A newline in an argument stays on the one error line.
        status, _, err = ctl_bytes(self.pg, "employee", "add", "--id", "E\n64", "--name", "x",
                                   "--msisdn", "13800000164")
        self.assertEqual(status, 2)
        self.assertEqual(err.count(b"\n"), 1, err)
        self.assertIn(b'--id: "E\\x0a64" is not an employee id', err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
