"""ermweb in a real headless Chromium (tests/web/browser.js, puppeteer-core driving Debian's
chromium): a manager's campaign (HR file with a bad line then a good one, activation,
hand-out to a department, report, audit) and an employee's phone (login by the code read
from the outbox, codes with their QR, self-claim), at 360 and 1280 px, with the XSS name
rendered as text; a first login with a one-time password (the change comes first); a
department's manager (its ranking, opt-outs, an HR row of another department refused).
Screenshots go to BUILD_DIR/artifacts/web; any console error fails.

scripts/deps.sh installs chromium and puppeteer-core (tests/web/node_modules); without them
this test fails rather than skips, so CI cannot pass it by accident.
"""
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402
import webtest  # noqa: E402

WEB_DIR = os.path.join(ermtest.SOURCE_DIR, "tests", "web")


class Browser(unittest.TestCase):
    def setUp(self):
        for what, path in (("chromium", shutil.which("chromium") or "/usr/bin/chromium"),
                           ("puppeteer-core", os.path.join(WEB_DIR, "node_modules",
                                                           "puppeteer-core")),
                           ("node", shutil.which("node") or "/usr/bin/node")):
            if not os.path.exists(path):
                self.fail("%s missing (%s): run scripts/deps.sh" % (what, path))
        self.pg = ermtest.PgCluster().__enter__()
        self.addCleanup(self.pg.__exit__, None, None, None)
        self.dir = tempfile.mkdtemp(prefix="ermtest-browser-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def prepare(self):
        pg = self.pg
        ermtest.ermctl(pg, "migrate", check=True)
        webtest.add_user(pg, "boss")
        for code, quota, status in (("10", "100", "active"), ("20", "50", "draft"),
                                    ("30", "50", "active")):
            ermtest.ermctl(pg, "product", "add", "--code", code, "--name", "产品" + code,
                           "--quota", quota, "--commission", "5.00", "--intro",
                           "每月30GB国内流量", "--fee", "29元/月", check=True)
            if status == "active":
                ermtest.ermctl(pg, "product", "activate", code, check=True)
        webtest.add_user(pg, "wang", dept="市场部")
        r = subprocess.run([ermtest.binary("ermctl"), "user", "add", "--login", "newbie",
                            "--role", "manager", "--generate"], env=pg.env, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.otp = r.stdout.splitlines()[1].rsplit(": ", 1)[1]
        for eid, name, msisdn, dept in (("E001", "张三", "13800000001", "市场部"),
                                        ("E002", webtest.XSS, "13800000002", "市场部"),
                                        ("E003", "王五", "13800000003", "网络部")):
            ermtest.ermctl(pg, "employee", "add", "--id", eid, "--name", name, "--msisdn",
                           msisdn, "--dept", dept, check=True)
        ermtest.ermctl(pg, "claim", "--product", "10", "--employee", "E001", check=True)
        # 网络部's holder: in the whole ranking, not in 市场部's manager's
        ermtest.ermctl(pg, "claim", "--product", "10", "--employee", "E003", check=True)
        code = self.pg.scalar("SELECT code FROM claims WHERE employee_id = 'E001'")
        pg.psql("SELECT erm_place_order('13912340001', :'p1', 'sms')", code)

    def files(self):
        bad = os.path.join(self.dir, "bad.csv")
        good = os.path.join(self.dir, "good.csv")
        ermtest.write_csv(bad, "id,name,msisdn,dept\nE101,甲,13900000101,市场部\n"
                               "E102,乙,1390000,市场部\n")
        ermtest.write_csv(good, "id,name,msisdn,dept\nE101,甲,13900000101,市场部\n"
                                "E102,乙,13900000102,市场部\n")
        cmd = os.path.join(self.dir, "code.sh")
        with open(cmd, "w") as f:
            f.write("#!/bin/sh\n"
                    "echo \"SELECT substring(text from '[0-9]{6}') FROM outbox WHERE dest = :'m'"
                    " AND kind = 'login_code' ORDER BY id DESC LIMIT 1\" |"
                    " psql -X -q -A -t -v m=\"$1\"\n")
        os.chmod(cmd, os.stat(cmd).st_mode | stat.S_IEXEC)
        dept = os.path.join(self.dir, "dept.csv")
        ermtest.write_csv(dept, "id,name,msisdn,dept\nE201,丙,13900000201,市场部\n"
                                "E202,丁,13900000202,网络部\n")
        return bad, good, cmd, dept

    def test_manager_and_employee(self):
        self.prepare()
        bad, good, cmd, dept = self.files()
        web = webtest.Web(self.pg, trust_proxy=False)
        art = os.path.join(os.path.abspath(ermtest.BUILD_DIR), "artifacts", "web")
        env = dict(self.pg.env, ERM_WEB_URL="http://127.0.0.1:%d" % web.port, ERM_ARTIFACTS=art,
                   ERM_BAD_CSV=bad, ERM_GOOD_CSV=good, ERM_CODE_CMD=cmd,
                   ERM_PASSWORD=webtest.PASSWORD, ERM_OTP=self.otp, ERM_DEPT_CSV=dept)
        try:
            r = subprocess.run(["node", os.path.join(WEB_DIR, "browser.js")], env=env,
                               cwd=WEB_DIR, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=240)
        finally:
            rc = web.stop()
        print(r.stdout)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertEqual(rc, 0)
        for name in ("manager-import-bad-1280", "manager-report-360", "employee-codes-360",
                     "employee-claimed-1280", "first-login-password-360",
                     "dept-manager-ranking-360", "dept-manager-import-1280"):
            self.assertTrue(os.path.exists(os.path.join(art, name + ".png")), name)
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM claims c JOIN employees e"
                                        " ON e.id = c.employee_id WHERE e.id = 'E001'"), "3")
        self.assertEqual(self.pg.scalar("SELECT must_change FROM web_users WHERE login = 'newbie'"),
                         "f")
        self.assertEqual(self.pg.scalar("SELECT count(*) FROM employees WHERE id LIKE 'E20%'"), "0")


if __name__ == "__main__":
    ermtest.main()
