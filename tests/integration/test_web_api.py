"""The web console's JSON API (ermweb, issue 13) against the real ermweb and a real
PostgreSQL cluster: manager login with lockout, sessions stored hashed and their cookie's
flags, CSRF refusal, the employee's SMS code through the outbox with its limits, scope (an
employee cannot read another's code, a department's manager another department's rows),
names from the HR file returned as JSON text, the HR import's dry run and line-by-line
errors, the self-claim by RL10's rule, and the audit rows of every manager action.

Each test talks from its own client address (X-Forwarded-For, trust_proxy = yes), so the
per-address limit of one test does not reach another.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402
import webtest  # noqa: E402

PASSWORD = webtest.PASSWORD
XSS = webtest.XSS
Web, Client, add_user = webtest.Web, webtest.Client, webtest.add_user


class WebApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = ermtest.PgCluster().__enter__()
        try:
            pg = cls.pg
            ermtest.ermctl(pg, "migrate", check=True)
            add_user(pg, "boss")
            add_user(pg, "wang", dept="市场部")
            add_user(pg, "locky")
            add_user(pg, "root", role="admin")
            ermtest.ermctl(pg, "product", "add", "--code", "10", "--name", "畅享流量包",
                           "--quota", "100", "--commission", "5.00", "--intro", "每月30GB",
                           "--fee", "29元/月", check=True)
            ermtest.ermctl(pg, "product", "activate", "10", check=True)
            for eid, name, msisdn, dept in (("E001", "张三", "13800000001", "市场部"),
                                            ("E002", "李四", "13800000002", "网络部"),
                                            ("E003", XSS, "13800000003", "网络部"),
                                            ("E004", "王五", "13800000004", "市场部"),
                                            ("E005", "赵六", "13800000005", "市场部"),
                                            ("E006", "钱七", "13800000006", "财务部")):
                ermtest.ermctl(pg, "employee", "add", "--id", eid, "--name", name, "--msisdn",
                               msisdn, "--dept", dept, check=True)
            for eid in ("E001", "E002", "E003"):
                ermtest.ermctl(pg, "claim", "--product", "10", "--employee", eid, check=True)
            cls.web = Web(pg)
        except BaseException:
            cls.pg.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.web.stop()
            assert rc == 0, "ermweb exited %r" % rc
        finally:
            cls.pg.__exit__(None, None, None)

    _addr = iter(range(1, 250))

    def client(self):
        return Client(self.web, "192.0.2.%d" % next(WebApi._addr))

    def employee(self, msisdn):
        """An employee's client, logged in with the code read from the outbox."""
        c = self.client()
        st, _ = c.call("POST", "/api/v1/code/send", {"msisdn": msisdn})
        self.assertEqual(st, 202)
        code = self.last_code(msisdn)
        st, body = c.call("POST", "/api/v1/code/verify", {"msisdn": msisdn, "code": code})
        self.assertEqual(st, 200, body)
        c.csrf = body["csrf"]
        return c

    def last_code(self, msisdn):
        text = self.pg.scalar("SELECT text FROM outbox WHERE dest = :'p1' AND kind = 'login_code'"
                              " ORDER BY id DESC LIMIT 1", msisdn)
        self.assertIsNotNone(text)
        return text.split("：")[1][:6]

    # -- managers ------------------------------------------------------------------------

    def test_login_session_cookie(self):
        c = self.client()
        self.assertEqual(c.login("boss", "wrong password")[0], 401)
        self.assertEqual(c.login("nobody")[0], 401)
        self.assertEqual(self.pg.psql("SELECT actor FROM web_audit WHERE address = :'p1'"
                                      " AND what = 'login.fail' ORDER BY id", c.addr),
                         [("boss",), ("nobody",)])
        st, body = c.login("boss")
        self.assertEqual(st, 200, body)
        self.assertEqual(body["role"], "manager")
        cookie = c.last_headers["set-cookie"]
        self.assertIn("HttpOnly", cookie)
        self.assertIn("SameSite=Strict", cookie)
        self.assertNotIn("Secure", cookie)  # not configured behind TLS
        # stored hashed: the token is nowhere in the database, its SHA-256 is
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_sessions WHERE token_hash = :'p1'",
                                        c.token), "0")
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_sessions WHERE token_hash = :'p1'",
                                        hashlib.sha256(c.token.encode()).hexdigest()), "1")
        self.assertTrue(self.pg.scalar("SELECT pw_hash FROM web_users WHERE login = 'boss'")
                        .startswith("$argon2id$"))
        st, me = c.call("GET", "/api/v1/me")
        self.assertEqual(st, 200, me)
        self.assertEqual(me["login"], "boss")
        self.assertEqual(c.call("POST", "/api/v1/logout", {})[0], 200)
        self.assertEqual(c.call("GET", "/api/v1/me")[0], 401)
        self.assertEqual(c.call("GET", "/api/v1/session"), (200, {"role": None}))

    def test_password_guesses_lock(self):
        """Wrong old passwords on the password form count as wrong logins: the user is
        locked out after 5, as at the login page (also with the right one then)."""
        add_user(self.pg, "guess")
        c = self.client()
        self.assertEqual(c.login("guess")[0], 200)
        for _ in range(5):
            st, body = c.call("POST", "/api/v1/password", {"old": "wrong password",
                                                           "new": PASSWORD + "?"})
            self.assertEqual(st, 401, body)
        st, body = c.call("POST", "/api/v1/password", {"old": PASSWORD, "new": PASSWORD + "?"})
        self.assertEqual((st, body["error"]), (429, "locked"), body)
        self.assertEqual(self.client().login("guess")[0], 429)

    def test_secure_cookies(self):
        """Behind TLS ([web] secure_cookies = yes) the session cookie is Secure, also the
        one that ends it."""
        web = Web(self.pg, extra="secure_cookies = yes\n")
        try:
            c = Client(web, "198.51.100.1")
            st, _ = c.login("boss")
            self.assertEqual(st, 200)
            cookie = c.last_headers["set-cookie"]
            self.assertIn("; Secure", cookie)
            self.assertIn("HttpOnly", cookie)
            self.assertEqual(c.call("POST", "/api/v1/logout", {})[0], 200)
            self.assertIn("; Secure", c.last_headers["set-cookie"])
        finally:
            self.assertEqual(web.stop(), 0)

    def test_no_session_refused(self):
        c = self.client()
        self.assertEqual(c.call("GET", "/api/v1/products")[0], 401)
        c.token = "0" * 64
        self.assertEqual(c.call("GET", "/api/v1/products")[0], 401)

    def test_csrf_refused(self):
        c = self.client()
        c.login("boss")
        spec = {"code": "20", "name": "宽带", "quota": 10, "commission": "3.00",
                "intro": "百兆宽带"}
        st, body = c.call("POST", "/api/v1/products", spec, csrf=False)
        self.assertEqual((st, body["error"]), (403, "csrf"))
        good, c.csrf = c.csrf, "f" * 64
        st, body = c.call("POST", "/api/v1/products", spec)
        self.assertEqual((st, body["error"]), (403, "csrf"))
        c.csrf = good
        st, body = c.call("POST", "/api/v1/products", spec)
        self.assertEqual(st, 201, body)
        self.assertEqual(self.pg.scalar("SELECT status FROM products WHERE code = '20'"), "draft")
        # a second browser's token is not this session's
        other = self.client()
        other.login("boss")
        c.csrf = other.csrf
        self.assertEqual(c.call("POST", "/api/v1/products/20/activate", {})[0], 403)

    def test_json_only(self):
        # a cross-site form can post text/plain without a preflight: refused
        c = self.client()
        st, body = c.call("POST", "/api/v1/login", json.dumps({"login": "boss",
                                                               "password": PASSWORD}),
                          ctype="text/plain")
        self.assertEqual((st, body["error"]), (415, "content_type"))
        self.assertIsNone(c.token)

    def test_lockout(self):
        c = self.client()
        for _ in range(5):
            self.assertEqual(c.login("locky", "not the password")[0], 401)
        st, body = c.login("locky")  # the right password, too late
        self.assertEqual((st, body["error"]), (429, "locked"))

    def test_product_actions_audited(self):
        c = self.client()
        c.login("boss")
        st, body = c.call("POST", "/api/v1/products", {"code": "30", "name": "家庭套餐",
                                                        "quota": "50", "commission": "8.00",
                                                        "intro": "全家共享"})
        self.assertEqual(st, 201, body)
        st, body = c.call("POST", "/api/v1/products", {"code": "300", "name": "冲突",
                                                        "quota": "5", "commission": "1.00",
                                                        "intro": "x"})
        self.assertEqual(st, 409, body)  # clashes with 30, refused by storage's rule
        self.assertEqual(c.call("POST", "/api/v1/products/30/activate", {})[0], 200)
        self.assertEqual(c.call("POST", "/api/v1/products/30/retire", {})[0], 200)
        self.assertEqual(c.call("POST", "/api/v1/products/99/activate", {})[0], 404)
        rows = self.pg.psql("SELECT actor, address, what, detail FROM web_audit"
                            " WHERE address = :'p1' ORDER BY id", c.addr)
        self.assertEqual([r[2] for r in rows], ["login", "product.add", "product.add",
                                                 "product.activate", "product.retire",
                                                 "product.activate"])
        self.assertTrue(all(r[0] == "boss" for r in rows))
        st, body = c.call("GET", "/api/v1/audit")
        self.assertEqual(st, 200)
        self.assertIn("product.retire", [a["what"] for a in body["audit"]])
        # a quota that is not digits only: one clear 400, nothing written
        for bad in ("12abc", " 12", "", "1e3", "10000000"):
            st, body = c.call("POST", "/api/v1/products", {"code": "40", "name": "x",
                                                            "quota": bad, "commission": "1.00",
                                                            "intro": "x"})
            self.assertEqual(st, 400, (bad, body))
            self.assertIn("quota", str(body))
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM products WHERE code = '40'"), "0")

    def test_dashboard(self):
        c = self.client()
        c.login("boss")
        st, all_ = c.call("GET", "/api/v1/dashboard")
        self.assertEqual(st, 200, all_)
        self.assertEqual(len(all_["hours"]), 24)
        self.assertEqual(sum(all_["hours"]), all_["today"])
        self.assertIn("10", [p["code"] for p in all_["products"]])
        self.assertTrue(all_["bottom"])
        w = self.client()
        w.login("wang")
        st, dept = w.call("GET", "/api/v1/dashboard")
        self.assertEqual((st, dept["dept"]), (200, "市场部"))
        self.assertEqual({e["dept"] for e in dept["top"] + dept["bottom"]}, {"市场部"})
        self.assertLessEqual(dept["period_orders"], all_["period_orders"])

    def test_admin_users(self):
        boss = self.client()
        boss.login("boss")
        self.assertEqual(boss.call("GET", "/api/v1/users")[0], 403)  # a manager is not an admin
        root = self.client()
        self.assertEqual(root.login("root")[0], 200)
        st, body = root.call("POST", "/api/v1/users", {"login": "li", "role": "manager",
                                                       "dept": "网络部", "password": "short"})
        self.assertEqual(st, 400, body)
        st, body = root.call("POST", "/api/v1/users", {"login": "li", "role": "manager",
                                                       "dept": "网络部", "password": PASSWORD})
        self.assertEqual(st, 201, body)
        st, body = root.call("POST", "/api/v1/users", {"login": "li", "role": "manager",
                                                       "password": PASSWORD})
        self.assertEqual(st, 409, body)
        st, body = root.call("GET", "/api/v1/users")
        self.assertIn({"login": "li", "role": "manager", "dept": "网络部"},
                      [{k: u[k] for k in ("login", "role", "dept")} for u in body["users"]])
        li = self.client()
        st, me = li.login("li")
        self.assertEqual((me["dept"], me["must_change"]), ("网络部", True))  # the admin's is one-time
        self.assertEqual(li.call("GET", "/api/v1/dashboard")[0], 403)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_audit WHERE actor = 'root'"
                                        " AND what = 'user.add'"), "3")

    def test_one_time_password(self):
        """A user whose password was made up for them (--generate) must set their own at the
        first login: nothing else works until then; the other sessions end with it."""
        r = subprocess.run([ermtest.binary("ermctl"), "user", "add", "--login", "otp", "--role",
                            "manager", "--generate"], env=self.pg.env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        otp = r.stdout.splitlines()[1].rsplit(": ", 1)[1]
        c, other = self.client(), self.client()
        st, me = c.login("otp", otp)
        self.assertEqual((st, me["must_change"]), (200, True), me)
        other.login("otp", otp)
        for method, path, body in (("GET", "/api/v1/dashboard", None),
                                   ("GET", "/api/v1/products", None),
                                   ("POST", "/api/v1/products/10/retire", {}),
                                   ("GET", "/api/v1/audit", None)):
            st, body = c.call(method, path, body)
            self.assertEqual((st, body["error"]), (403, "password_change"), path)
        self.assertEqual(c.call("GET", "/api/v1/me")[1]["must_change"], True)
        self.assertEqual(c.call("POST", "/api/v1/password", {"old": otp, "new": "x" * 12},
                                csrf=False)[0], 403)
        for old, new, status in ((otp, "short", 400), (otp, otp, 400),
                                 ("wrong password", PASSWORD + "!", 401)):
            st, body = c.call("POST", "/api/v1/password", {"old": old, "new": new})
            self.assertEqual(st, status, body)
        st, me = c.call("POST", "/api/v1/password", {"old": otp, "new": PASSWORD + "!"})
        self.assertEqual((st, me["must_change"]), (200, False), me)
        self.assertEqual(c.call("GET", "/api/v1/dashboard")[0], 200)
        self.assertEqual(other.call("GET", "/api/v1/me")[0], 401)  # the other session ended
        self.assertEqual(self.client().login("otp", otp)[0], 401)
        st, me = self.client().login("otp", PASSWORD + "!")
        self.assertEqual((st, me["must_change"]), (200, False))
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_audit WHERE actor = 'otp'"
                                        " AND what = 'password.change'"), "1")
        # a password given on standard input is the user's own: no change asked
        st, me = self.client().login("boss")
        self.assertEqual((st, me["must_change"]), (200, False))
        # an employee has no password to change
        e = self.employee("13800000005")
        self.assertEqual(e.call("POST", "/api/v1/password", {"old": "a" * 10, "new": "b" * 10})[0],
                         403)

    def test_teams(self):
        c = self.client()
        c.login("boss")
        st, body = c.call("POST", "/api/v1/teams", {"name": "张家亲友团", "leader": "E001"})
        self.assertEqual(st, 201, body)
        st, body = c.call("POST", "/api/v1/teams/members", {"team": "张家亲友团",
                                                            "msisdn": "13900000009",
                                                            "name": "张妈妈"})
        self.assertEqual((st, body["msisdn"]), (200, "13900000009"), body)
        st, body = c.call("POST", "/api/v1/teams", {"name": "张家亲友团", "leader": "E001"})
        self.assertEqual(st, 409, body)
        w = self.client()
        w.login("wang")
        self.assertEqual(w.call("POST", "/api/v1/teams", {"name": "x", "leader": "E001"})[0], 403)

    def test_report_csv_as_ermctl(self):
        ermtest.ermctl(self.pg, "employee", "add", "--id", "E008", "--name", "=1+2",
                       "--msisdn", "13800000008", "--dept", "市场部", check=True)
        ermtest.ermctl(self.pg, "claim", "--product", "10", "--employee", "E008", check=True)
        code = self.pg.scalar("SELECT code FROM claims WHERE employee_id = 'E008'")
        self.pg.psql("SELECT erm_place_order('13912340008', :'p1', 'sms')", code)
        c = self.client()
        c.login("boss")
        st, csv = c.call("GET", "/api/v1/report?by=employee,product&format=csv", raw=True)
        self.assertEqual(st, 200)
        self.assertTrue(c.last_headers["content-type"].startswith("text/csv"))
        self.assertIn("attachment", c.last_headers["content-disposition"])
        r = subprocess.run([ermtest.binary("ermctl"), "report", "--by", "employee,product",
                            "--format", "csv"], env=self.pg.env, stdout=subprocess.PIPE,
                           check=True)
        self.assertEqual(csv, r.stdout)  # byte for byte
        self.assertIn("\"'=1+2\"".encode(), csv)  # the formula neutralised
        st, body = c.call("GET", "/api/v1/report?by=employee,product")
        self.assertIn("=1+2", [row["name"] for row in body["rows"]])  # JSON: the text itself
        w = self.client()
        w.login("wang")
        st, csv = w.call("GET", "/api/v1/report?by=dept&dept=" + urllib.parse.quote("网络部")
                         + "&format=csv", raw=True)
        r = subprocess.run([ermtest.binary("ermctl"), "report", "--by", "dept", "--dept", "市场部",
                            "--format", "csv"], env=self.pg.env, stdout=subprocess.PIPE,
                           check=True)
        self.assertEqual((st, csv), (200, r.stdout))
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_audit WHERE what = 'report.csv'"
                                        " AND address = :'p1'", c.addr), "1")
        self.assertEqual(c.call("GET", "/api/v1/report?format=xls")[0], 400)

    def test_names_are_json_text(self):
        c = self.client()
        c.login("boss")
        st, body = c.call("GET", "/api/v1/products/10")
        self.assertEqual(st, 200)
        self.assertIn(XSS, [h["name"] for h in body["holders"]])
        self.assertTrue(c.last_headers["content-type"].startswith("application/json"))
        self.assertEqual(c.last_headers["x-content-type-options"], "nosniff")
        self.assertIn("default-src 'self'", c.last_headers["content-security-policy"])

    def test_department_scope(self):
        c = self.client()
        self.assertEqual(c.login("wang")[0], 200)
        st, body = c.call("GET", "/api/v1/products/10")
        self.assertEqual(st, 200)
        self.assertEqual({h["dept"] for h in body["holders"]}, {"市场部"})
        st, body = c.call("GET", "/api/v1/report?by=dept&dept=" + urllib.parse.quote("网络部"))
        self.assertEqual(st, 200)
        self.assertTrue(all(r["dept"] == "市场部" for r in body["rows"]), body)
        for method, path, payload in (("POST", "/api/v1/products", {"code": "40"}),
                                      ("POST", "/api/v1/products/10/retire", {}),
                                      ("POST", "/api/v1/teams", {"name": "t", "leader": "E001"}),
                                      ("POST", "/api/v1/handout", {"product": "10",
                                                                   "employee": "E002"})):
            st, body = c.call(method, path, payload)
            self.assertEqual(st, 403, "%s %s: %r" % (method, path, body))
        # a hand-out asked for another department goes to the manager's own; the preview
        # says who would get one and writes nothing
        claims = self.pg.scalar("SELECT count(*) FROM claims")
        st, body = c.call("POST", "/api/v1/handout", {"product": "10", "dept": "网络部",
                                                      "dry_run": True})
        self.assertEqual((st, body["dry_run"], body["assigned"]), (200, True, 2), body)
        self.assertEqual({(r["holder"], r["outcome"]) for r in body["rows"]},
                         {("E001", "held"), ("E004", "assigned"), ("E005", "assigned")})
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM claims"), claims)
        st, body = c.call("POST", "/api/v1/handout", {"product": "10", "dept": "网络部"})
        self.assertEqual(st, 200, body)
        self.assertEqual({r["holder"] for r in body["rows"]}, {"E001", "E004", "E005"})
        st, body = c.call("GET", "/api/v1/audit")
        self.assertTrue(all(a["dept"] == "市场部" for a in body["audit"]))

    def test_department_scope_ranking_optouts(self):
        """A department's manager gets the ranking lines and opt-outs of their department
        only; one of every department gets them all."""
        self.pg.psql("INSERT INTO optouts (msisdn) VALUES ('13800000005'), ('13999999999')"
                     " ON CONFLICT DO NOTHING")  # 赵六 of 市场部, and a number of nobody
        boss, wang = self.client(), self.client()
        boss.login("boss")
        wang.login("wang")
        st, every = boss.call("GET", "/api/v1/ranking")
        self.assertEqual(st, 200, every)
        st, mine = wang.call("GET", "/api/v1/ranking")
        self.assertEqual(st, 200, mine)
        market = [r for r in every["rows"] if r["dept"] == "市场部"]
        self.assertTrue(market and len(market) < len(every["rows"]), every)
        self.assertEqual(mine["rows"], market)  # the same places as in the whole ranking
        self.assertEqual((mine["dept"], mine["ranked"]), ("市场部", every["ranked"]))
        st, body = boss.call("GET", "/api/v1/optouts")
        self.assertTrue({"13800000005", "13999999999"} <= {o["msisdn"] for o in body["optouts"]})
        st, body = wang.call("GET", "/api/v1/optouts")
        self.assertEqual((st, [o["msisdn"] for o in body["optouts"]]), (200, ["13800000005"]))

    def test_department_scope_import(self):
        """A department's manager imports rows of their department only: a row of another,
        or of an employee now in another, is a bad line and nothing is written."""
        c = self.client()
        c.login("wang")
        mixed = "id,name,msisdn,dept\nE201,甲,13900000201,市场部\nE202,乙,13900000202,网络部\n" \
                "E002,李四,13800000002,市场部\n"
        st, body = c.call("POST", "/api/v1/people/import?dry_run=0", mixed, ctype="text/csv")
        self.assertEqual((st, body["ok"]), (200, False), body)
        self.assertEqual([(b["line"], b["reason"]) for b in body["bad"]],
                         [(3, 'dept: "网络部" is not your department (市场部)'),
                          (4, "id: an employee of another department, not of 市场部")])
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM employees WHERE id LIKE 'E20%'"), "0")
        self.assertEqual(self.pg.scalar("SELECT dept FROM employees WHERE id = 'E002'"), "网络部")
        good = "id,name,msisdn,dept\nE201,甲,13900000201,市场部\nE004,王五,13800000004,市场部\n"
        st, body = c.call("POST", "/api/v1/people/import?dry_run=0", good, ctype="text/csv")
        self.assertEqual((st, body["ok"], body["added"], body["unchanged"]), (200, True, 1, 1), body)
        self.assertEqual(self.pg.scalar("SELECT dept FROM employees WHERE id = 'E201'"), "市场部")
        st, body = c.call("GET", "/api/v1/audit")
        self.assertIn("people.import", [a["what"] for a in body["audit"]])

    def test_people_import(self):
        c = self.client()
        c.login("boss")
        bad = "id,name,msisdn,dept\nE101,甲,13900000101,市场部\nE102,乙,1390000,市场部\n" \
              "E103,丙,13900000103\n"
        st, body = c.call("POST", "/api/v1/people/import?dry_run=0", bad, ctype="text/csv")
        self.assertEqual((st, body["ok"]), (200, False), body)
        self.assertEqual([b["line"] for b in body["bad"]], [3, 4])
        self.assertIn("msisdn", [b["reason"] for b in body["bad"] if b["line"] == 3][0])
        good = "\ufeffid,name,msisdn,dept\r\nE101,甲,13900000101,市场部\r\nE102,乙,13900000102,市场部\r\n"
        st, body = c.call("POST", "/api/v1/people/import", good, ctype="text/csv")
        self.assertEqual((st, body["dry_run"], body["added"]), (200, True, 2), body)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM employees WHERE id LIKE 'E10%'"), "0")
        st, body = c.call("POST", "/api/v1/people/import?dry_run=0", good, ctype="text/csv")
        self.assertEqual((st, body["added"]), (200, 2), body)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM employees WHERE id LIKE 'E10%'"), "2")

    # -- employees -----------------------------------------------------------------------

    def test_code_login_and_limits(self):
        c = self.client()
        st, _ = c.call("POST", "/api/v1/code/send", {"msisdn": "13800000004"})
        self.assertEqual(st, 202)
        code = self.last_code("13800000004")
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_codes WHERE code_hash LIKE :'p1'",
                                        "%" + code + "%"), "0")
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        for _ in range(3):
            st, body = c.call("POST", "/api/v1/code/verify", {"msisdn": "13800000004",
                                                               "code": wrong})
            self.assertEqual((st, body["error"]), (401, "wrong_code"))
        # three tries used: the right code is dead too
        st, body = c.call("POST", "/api/v1/code/verify", {"msisdn": "13800000004", "code": code})
        self.assertEqual((st, body["error"]), (401, "no_code"))
        for _ in range(2):
            self.assertEqual(c.call("POST", "/api/v1/code/send", {"msisdn": "13800000004"})[0], 202)
        st, body = c.call("POST", "/api/v1/code/send", {"msisdn": "13800000004"})
        self.assertEqual((st, body["error"]), (429, "too_many"))  # a 4th within the hour
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM outbox WHERE dest = '13800000004'"
                                        " AND kind = 'login_code'"), "3")

    def test_failed_logins_per_address(self):
        c = self.client()
        for i in range(20):  # guesses at many numbers from one address
            st, body = c.call("POST", "/api/v1/code/verify", {"msisdn": "1360000%04d" % i,
                                                               "code": "123456"})
            self.assertEqual((st, body["error"]), (401, "no_code"))
        st, body = c.call("POST", "/api/v1/code/verify", {"msisdn": "13600009999",
                                                           "code": "123456"})
        self.assertEqual((st, body["error"]), (429, "locked"))
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_audit WHERE address = :'p1'"
                                        " AND what = 'code.fail'", c.addr), "20")
        other = self.client()  # another address is not held back
        self.assertEqual(other.call("POST", "/api/v1/code/verify",
                                    {"msisdn": "13600009999", "code": "123456"})[0], 401)

    def test_code_cap_per_address(self):
        c = self.client()
        for i in range(5):  # unknown numbers: the same answer, no SMS, counted all the same
            self.assertEqual(c.call("POST", "/api/v1/code/send",
                                    {"msisdn": "1370000%04d" % i})[0], 202)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM outbox WHERE dest LIKE '1370000%'"),
                         "0")
        st, body = c.call("POST", "/api/v1/code/send", {"msisdn": "13700009999"})
        self.assertEqual(st, 429)

    def test_employee_sees_own_only(self):
        a = self.employee("13800000001")
        st, body = a.call("GET", "/api/v1/my/codes")
        self.assertEqual(st, 200)
        codes = [c["code"] for c in body["codes"]]
        self.assertEqual(len(codes), 1)
        mine = body["codes"][0]
        self.assertEqual(mine["sms_link"], "sms:10086?body=%s" % mine["code"])
        self.assertEqual(mine["tel_link"], "tel:10086%s" % mine["code"])
        self.assertIn("发送%s到10086" % mine["code"], mine["promo"])
        st, svg = a.call("GET", "/api/v1/my/qr/%s" % mine["code"], raw=True)
        self.assertEqual(st, 200)
        self.assertTrue(svg.startswith(b"<svg"))
        b_code = self.pg.scalar("SELECT code FROM claims WHERE employee_id = 'E002'")
        self.assertEqual(a.call("GET", "/api/v1/my/qr/%s" % b_code, raw=True)[0], 404)
        # the manager's API is not the employee's
        self.assertEqual(a.call("GET", "/api/v1/products")[0], 403)
        self.assertEqual(a.call("GET", "/api/v1/products/10")[0], 403)

    def test_orders_masked(self):
        code = self.pg.scalar("SELECT code FROM claims WHERE employee_id = 'E002'")
        self.pg.psql("SELECT erm_place_order('13912340001', :'p1', 'sms')", code)
        b = self.employee("13800000002")
        st, body = b.call("GET", "/api/v1/my/orders")
        self.assertEqual(st, 200, body)
        self.assertEqual([o["customer"] for o in body["orders"]], ["139****0001"])
        self.assertEqual(body["commission"], "5.00")
        st, rank = b.call("GET", "/api/v1/my/rank")
        self.assertEqual((st, rank["rank"], rank["closed"]), (200, 1, False), rank)
        st, summary = b.call("GET", "/api/v1/my/summary")
        self.assertEqual(st, 200, summary)
        self.assertEqual({k: summary[k] for k in ("employee", "period", "orders", "commission",
                                                  "codes")},
                         {"employee": "E002", "period": body["period"], "orders": 1,
                          "commission": "5.00", "codes": 1})
        self.assertEqual((summary["rank"], summary["ranked"]), (rank["rank"], rank["ranked"]))
        st, summary = b.call("GET", "/api/v1/my/summary?period=2020-01")
        self.assertEqual((st, summary["orders"], summary["commission"], summary["rank"]),
                         (200, 0, "0.00", 0), summary)
        self.assertEqual(b.call("GET", "/api/v1/my/summary?period=x")[0], 400)
        st, body = b.call("GET", "/api/v1/my/orders?period=2020-01")
        self.assertEqual((st, body["orders"], body["commission"]), (200, [], "0.00"))
        self.assertEqual(b.call("GET", "/api/v1/my/orders?period=2020-13")[0], 400)
        st, rank = b.call("GET", "/api/v1/my/rank?period=2020-01")  # nobody ranked
        self.assertEqual((st, rank["rank"], rank["ranked"]), (200, 0, 0), rank)

    def test_self_claim(self):
        e = self.employee("13800000006")
        st, body = e.call("POST", "/api/v1/my/claim", {"product": "10"}, csrf=False)
        self.assertEqual(st, 403)
        st, body = e.call("POST", "/api/v1/my/claim", {"product": "10"})
        self.assertEqual((st, body["outcome"]), (200, "new"), body)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM outbox WHERE dest = '13800000006'"
                                        " AND kind = 'promo'"), "1")
        st, again = e.call("POST", "/api/v1/my/claim", {"product": "10"})
        self.assertEqual((st, again["outcome"], again["code"]), (200, "held", body["code"]))
        st, body = e.call("POST", "/api/v1/my/claim", {"product": "77"})
        self.assertEqual((st, body["outcome"]), (404, "no_product"))

    def test_self_claim_restricted(self):
        """RL10's bottom rule on the web: an employee restricted by last period's closed
        ranking may not claim by themselves (409 restricted, nothing written); one who is
        not, may."""
        pg = self.pg
        last = pg.scalar("SELECT erm_period_of(erm_period_start(erm_current_period())"
                         " - interval '1 day')")
        ermtest.ermctl(pg, "product", "add", "--code", "12", "--name", "宽带", "--quota", "10",
                       "--commission", "3.00", "--intro", "百兆", check=True)
        ermtest.ermctl(pg, "product", "activate", "12", check=True)
        for i, (eid, msisdn, n) in enumerate((("E009", "13800000009", 0),
                                              ("E010", "13800000010", 2))):
            ermtest.ermctl(pg, "employee", "add", "--id", eid, "--name", "员工" + eid,
                           "--msisdn", msisdn, "--dept", "财务部", check=True)
            ermtest.ermctl(pg, "claim", "--product", "10", "--employee", eid, check=True)
            pg.psql("UPDATE claims SET claimed_at = erm_period_start(:'p1') - interval '1 day'"
                    " WHERE employee_id = :'p2'", last, eid)
            pg.psql("INSERT INTO orders (customer, code, employee_id, product_code, channel,"
                    " created_at) SELECT '1391' || lpad((:'p3'::integer * 100 + g)::text, 7, '0'),"
                    " c.code, :'p2', '10', 'sms', erm_period_start(:'p1') + g * interval"
                    " '1 minute' FROM claims c, generate_series(1, :'p4'::integer) g"
                    " WHERE c.employee_id = :'p2' AND c.product_code = '10'", last, eid, i, n)
        pg.psql("SELECT erm_credit_order(o.id) FROM orders o WHERE o.employee_id IN"
                " ('E009', 'E010') ORDER BY o.created_at, o.id")
        ermtest.ermctl(pg, "period", "close", last, "--bottom", "50", check=True)
        low = self.employee("13800000009")
        st, body = low.call("POST", "/api/v1/my/claim", {"product": "12"})
        self.assertEqual((st, body["outcome"]), (409, "restricted"), body)
        self.assertEqual(pg.scalar("SELECT count(*) FROM claims WHERE product_code = '12'"), "0")
        st, rank = low.call("GET", "/api/v1/my/rank?period=" + last)
        self.assertEqual((st, rank["closed"], rank["restricted"]), (200, True, True), rank)
        st, body = self.employee("13800000010").call("POST", "/api/v1/my/claim", {"product": "12"})
        self.assertEqual((st, body["outcome"]), (200, "new"), body)

    def test_housekeeping(self):
        self.pg.psql("INSERT INTO web_sessions (token_hash, user_id, csrf, address, expires_at)"
                     " SELECT 'old', id, 'x', 'test', now() - interval '1 minute'"
                     " FROM web_users WHERE login = 'boss'")
        web = Web(self.pg)  # at start, then hourly
        try:
            web.log.wait(r"housekeeping: 1 expired sessions")
        finally:
            self.assertEqual(web.stop(), 0)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM web_sessions"
                                        " WHERE token_hash = 'old'"), "0")

    def test_static_pages(self):
        c = self.client()
        st, page = c.call("GET", "/", raw=True)
        self.assertEqual(st, 200)
        self.assertIn(b"<html", page)
        self.assertEqual(c.call("GET", "/..%2f..%2fetc%2fpasswd", raw=True)[0], 404)
        self.assertEqual(c.call("GET", "/.hidden.js", raw=True)[0], 404)


class UserAdd(ermtest.ErmctlCase):
    """`ermctl user add`: the password from standard input or made up and printed once;
    only its Argon2id hash stored; bad input exits 2 with one line."""

    def add(self, *args, stdin=""):
        return subprocess.run([ermtest.binary("ermctl"), "user", "add"] + list(args),
                              input=stdin, env=self.pg.env, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=60)

    def test_user_add(self):
        self.ok("migrate")
        r = self.add("--login", "wang", "--role", "manager", "--dept", "市场部",
                     stdin=PASSWORD + "\n")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertEqual(r.stdout, "user wang added: manager of 市场部\n")
        r = self.add("--login", "root", "--role", "admin", "--generate")
        self.assertEqual(r.returncode, 0, r.stderr)
        pw = r.stdout.splitlines()[1].split(": ")[1]
        self.assertEqual(len(pw), 16)
        hashes = [h for (h,) in self.pg.psql("SELECT pw_hash FROM web_users ORDER BY login")]
        self.assertTrue(all(h.startswith("$argon2id$") for h in hashes))
        self.assertNotIn(pw, "".join(hashes))
        for args, stdin, line in (
                (("--login", "wang", "--role", "manager"), PASSWORD + "\n",
                 'ermctl: --login: "wang" is taken'),
                (("--login", "x y", "--role", "manager"), PASSWORD + "\n",
                 "ermctl: --login: 1 to 40 characters of letters, digits, '.', '_', '-'"),
                (("--login", "li", "--role", "boss"), PASSWORD + "\n",
                 'ermctl: --role: "boss" is not admin or manager'),
                (("--login", "li", "--role", "manager"), "short\n",
                 "ermctl: password: 10 to 200 characters"),
                (("--login", "li", "--role", "admin", "--dept", "市场部"), PASSWORD + "\n",
                 "ermctl: --dept: an admin sees every department")):
            r = self.add(*args, stdin=stdin)
            self.assertEqual((r.returncode, r.stdout, r.stderr.strip()), (2, "", line), args)


class WebConfig(unittest.TestCase):
    def run_web(self, text, *args):
        d = tempfile.mkdtemp(prefix="ermtest-webconf-")
        self.addCleanup(shutil.rmtree, d, True)
        path = os.path.join(d, "ermgw.conf")
        with open(path, "w") as f:
            f.write(text)
        return subprocess.run([ermtest.binary("ermweb"), "--config", path] + list(args),
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=30), path

    def test_refuses_an_old_schema(self):
        """ermweb started on a database without its schema stops at once with what to run,
        not with the first request's SQL error."""
        with ermtest.PgCluster() as pg:
            conninfo = "host=%s port=%s dbname=%s user=postgres" % (pg.sock, pg.port,
                                                                     pg.dbname)
            r, _ = self.run_web("[web]\nlisten = 127.0.0.1:%d\n[database]\nconninfo = %s\n"
                                % (ermtest.free_port(), conninfo))
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("ermweb: the database has no ermgw schema yet: run ermctl migrate first",
                      r.stderr)

    def test_check_and_bad_values(self):
        """ermweb reads ermgw's file with ermgw's parser (core/config.c): every section is
        checked, [web] listen is required, [smsc]'s keys are not; one line naming the key."""
        conf = open(os.path.join(ermtest.SOURCE_DIR, "etc", "ermgw.conf")).read()
        r, _ = self.run_web(conf, "--check")  # the example file serves both programs
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r, _ = self.run_web("[web]\nlisten = 127.0.0.1:8080\n[database]\nconninfo = dbname=x\n",
                            "--check")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        for text, line in (
                ("[web]\nlisten = 127.0.0.1:8080\nthreads = lots\n",
                 '%s:3: [web] threads: "lots" is not a number from 1 to 64'),
                ("[web]\nlisten = 127.0.0.1:8080\nsecure = yes\n", "%s:3: [web] secure: unknown key"),
                ("[web]\nlisten = nowhere\n",
                 '%s:2: [web] listen: "nowhere" is not an address:port such as 127.0.0.1:9464'),
                ("[web]\nthreads = 2\n", "%s: [web] listen: missing (required)"),
                ("[smpp]\nhost = x\n[web]\nlisten = 127.0.0.1:8080\n", "%s:1: [smpp]: unknown section"),
                ("[web]\nlisten = 127.0.0.1:8080\n[database]\nconninfo = port=x\n",
                 "%s:4: [database] conninfo: "),
                ("[we\x1bb]\n", "%s:1: [we\\x1bb]: unknown section")):  # escaped as logs are
            r, path = self.run_web(text, "--check")
            self.assertEqual(r.returncode, 2, text)
            self.assertTrue(r.stderr.startswith("ermweb: " + line % path), (text, r.stderr))
            self.assertEqual(r.stderr.count("\n"), 1, r.stderr)
        # ermgw takes the same file with [web] in it
        r = subprocess.run([ermtest.binary("ermgw"), "--config",
                            os.path.join(ermtest.SOURCE_DIR, "etc", "ermgw.conf"), "--check"],
                           text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_help_version(self):
        r = subprocess.run([ermtest.binary("ermweb"), "--help"], text=True,
                           stdout=subprocess.PIPE)
        self.assertEqual(r.returncode, 0)
        self.assertIn("--config FILE", r.stdout)
        r = subprocess.run([ermtest.binary("ermweb"), "--version"], text=True,
                           stdout=subprocess.PIPE)
        self.assertTrue(r.stdout.startswith("ermweb "))


if __name__ == "__main__":
    ermtest.main()
