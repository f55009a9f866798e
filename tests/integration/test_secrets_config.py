"""Secrets and bad conninfos in the configuration (issue 15, items 6 and 7), through the real
ermgw and ermctl, no database needed:
- a conninfo libpq cannot parse, or with a value libpq would refuse only when connecting
  (sslmode=bogus, target_session_attrs, connect_timeout), is bad configuration: one line
  naming file:line: [database] conninfo, exit 2, at --check and at start alike (it passed
  --check and exited 1 at start, or was retried forever as "database down");
- no message shows a password: not ermgw's, not ermctl --db's, not a config line without '=';
- `password = #Pa55` is refused, not read as an empty password; `password = "#Pa55"` works."""
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ermtest  # noqa: E402

SECRET = "S3cretPW"

HEAD = """[smsc]
host = 127.0.0.1
port = 2775
system_id = ermgw
password = %s
[service]
number = 10086
[database]
conninfo = %s
"""

BAD_CONNINFOS = (
    ("postgresql://erm:%s@[::1/erm" % SECRET, "IPv6 host address"),
    ("postgresql://erm:%s%%zz@db/erm" % SECRET, "percent-encoded"),
    ("host=/tmp password=%s sslmode=bogus" % SECRET, "invalid sslmode value \"bogus\""),
    ("postgresql://erm:%s@db/erm?sslmode=bogus" % SECRET, "invalid sslmode value"),
    ("host=/tmp password=%s target_session_attrs=writable" % SECRET,
     "invalid target_session_attrs value"),
    ("host=/tmp password=%s connect_timeout=ten" % SECRET, "invalid connect_timeout value"),
    ("host=/tmp,/var/run port=5432,x password=%s" % SECRET, "invalid port value"),
    ("host=/tmp password='%s" % SECRET, "unterminated quoted string"),
    ("host=/tmp nosuchoption=1 password=%s" % SECRET, "invalid connection option"),
)


class SecretsConfig(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="ermtest-cfg-")

    def write(self, text):
        path = os.path.join(self.dir, "ermgw.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def ermgw(self, path, *args):
        return subprocess.run([ermtest.binary("ermgw"), "--config", path] + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=30)

    def assert_bad(self, r, expect):
        self.assertEqual(r.returncode, 2, r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(expect, lines[0])
        self.assertNotIn(SECRET, r.stderr + r.stdout)
        self.assertNotIn("Pa55", r.stderr + r.stdout)

    def test_bad_conninfo_is_bad_configuration(self):
        for conninfo, why in BAD_CONNINFOS:
            with self.subTest(conninfo=conninfo):
                path = self.write(HEAD % ("secret", conninfo))
                for args in (("--check",), ()):
                    r = self.ermgw(path, *args)
                    self.assert_bad(r, "%s:9: [database] conninfo: " % path)
                    self.assertIn(why, r.stderr)

    def test_good_conninfos_pass_check(self):
        for conninfo in ("", "dbname=erm", "host=/tmp password=%s sslmode=verify-full "
                         "target_session_attrs=read-write connect_timeout=5" % SECRET,
                         "host=/tmp,/var/run port=5432,5433 keepalives=1",
                         "postgresql://erm:%s@db:5432/erm?sslmode=require" % SECRET):
            with self.subTest(conninfo=conninfo):
                r = self.ermgw(self.write(HEAD % ("secret", conninfo)), "--check")
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertNotIn(SECRET, r.stdout + r.stderr)

    def test_line_without_equals_not_echoed(self):
        path = self.write(HEAD.replace("password = %s", "password Pa55w0rd") % "")
        self.assert_bad(self.ermgw(path, "--check"), "%s:5: expected \"key = value\"" % path)

    def test_password_comment_refused_quoted_kept(self):
        path = self.write(HEAD % ("#Pa55", ""))
        self.assert_bad(self.ermgw(path, "--check"),
                        "%s:5: [smsc] password: empty: ';' or '#' starts a comment" % path)
        r = self.ermgw(self.write(HEAD % ('"#Pa55"', "")), "--check")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_ermctl_db_never_shows_the_password(self):
        env = dict(os.environ, PGCONNECT_TIMEOUT="2")
        for db in [c for c, _ in BAD_CONNINFOS] + [
                "postgresql://erm:%s@/erm?host=/nonexistent" % SECRET,
                "host=/nonexistent password=%s" % SECRET]:
            with self.subTest(db=db):
                r = subprocess.run([ermtest.binary("ermctl"), "--db", db, "product", "list"],
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   timeout=30, env=env)
                self.assertNotEqual(r.returncode, 0)
                self.assertTrue(r.stderr.startswith("ermctl: "), r.stderr)
                self.assertNotIn(SECRET, r.stderr + r.stdout)


if __name__ == "__main__":
    unittest.main()
