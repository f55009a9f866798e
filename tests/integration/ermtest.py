"""ermtest: the harness of ermgw's integration tests and demo (Python 3, stdlib only).

It starts real parts and waits for real events, each wait with a deadline:
  PgCluster  a throwaway PostgreSQL cluster (initdb + pg_ctl in a temp dir, Unix socket only)
  Sim        the bundled SMSC simulator (build/smsc_sim), driven through its stdin/stdout
  Daemon     the real ermgw, with a config file written for the test
  ermctl()   the admin tool against a cluster

Paths come from ERM_BUILD_DIR / ERM_SOURCE_DIR (set by ctest), else ./build next to the repo.
"""
import glob
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.request

SOURCE_DIR = os.environ.get("ERM_SOURCE_DIR") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD_DIR = os.environ.get("ERM_BUILD_DIR") or os.path.join(SOURCE_DIR, "build")
DEFAULT_TIMEOUT = float(os.environ.get("ERM_TEST_TIMEOUT", "20"))


def _pg_bindir():
    for cand in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(cand, "initdb")):
            return cand
    path = shutil.which("initdb")
    if path:
        return os.path.dirname(path)
    raise RuntimeError("initdb not found: install postgresql")


class PgCluster:
    """A throwaway PostgreSQL cluster owned by this object; removed on exit.

    Listens on a Unix socket in its own directory only (no TCP), so parallel tests never
    collide. As root, the server runs as the 'postgres' user (initdb refuses root)."""

    def __init__(self, dbname="ermgw"):
        self.bindir = _pg_bindir()
        self.dir = tempfile.mkdtemp(prefix="ermtest-pg-")
        self.data = os.path.join(self.dir, "data")
        self.sock = self.dir
        self.dbname = dbname
        self.port = 5432
        self.as_user = None
        if os.geteuid() == 0:
            self.as_user = "postgres"
            shutil.chown(self.dir, user="postgres")
            os.chmod(self.dir, 0o755)
        self.env = dict(os.environ)
        self.env.update(PGHOST=self.sock, PGPORT=str(self.port), PGDATABASE=dbname,
                        PGUSER="postgres", PGCONNECT_TIMEOUT="5")
        for k in ("PGPASSWORD", "PGSERVICE", "PGSSLMODE", "PGOPTIONS"):
            self.env.pop(k, None)
        self.running = False

    def _run(self, *cmd, check=True):
        if self.as_user:
            cmd = ("runuser", "-u", self.as_user, "--") + cmd
        return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def __enter__(self):
        try:
            self._run(os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", "postgres",
                      "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
            self.start()
            subprocess.run([os.path.join(self.bindir, "createdb"), self.dbname], env=self.env,
                           check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.running:
            self.stop(mode="immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def start(self):
        opts = ("-c listen_addresses='' -c unix_socket_directories='%s' -c port=%d "
                "-c fsync=on -c max_connections=50" % (self.sock, self.port))
        r = self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-w", "-t", "60",
                      "-l", os.path.join(self.dir, "server.log"), "-o", opts, "start",
                      check=False)
        if r.returncode != 0:
            raise RuntimeError("pg_ctl start failed: %s\n%s" % (r.stdout, self.log()))
        self.running = True

    def stop(self, mode="fast"):
        self._run(os.path.join(self.bindir, "pg_ctl"), "-D", self.data, "-w", "-m", mode,
                  "stop", check=False)
        self.running = False

    def log(self):
        try:
            with open(os.path.join(self.dir, "server.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def psql(self, sql, *params):
        """Runs SQL (with psql variables :'p1', :'p2'... bound to PARAMS, quoted by psql
        itself, never by string formatting) and returns the rows as tuples of strings."""
        cmd = ["psql", "-X", "-q", "-A", "-t", "-F", "\x1f", "-v", "ON_ERROR_STOP=1"]
        for i, p in enumerate(params, 1):
            cmd += ["-v", "p%d=%s" % (i, p)]
        r = subprocess.run(cmd, input=sql, env=self.env, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError("psql failed: %s" % r.stderr.strip())
        return [tuple(line.split("\x1f")) for line in r.stdout.splitlines() if line != ""]

    def scalar(self, sql, *params):
        rows = self.psql(sql, *params)
        return rows[0][0] if rows else None


def binary(name):
    path = os.path.join(BUILD_DIR, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not built (looked in %s)" % (name, BUILD_DIR))
    return path


def ermctl(pg, *args, check=False):
    """Runs build/ermctl with the cluster's PG* environment; returns CompletedProcess."""
    r = subprocess.run([binary("ermctl")] + list(args), env=pg.env, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if check and r.returncode != 0:
        raise AssertionError("ermctl %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                           r.stderr.strip()))
    return r


class _LineReader:
    """Reads a process's output lines on a thread into a list; waits match with deadlines."""

    def __init__(self, stream, echo=None):
        self.lines = []
        self.cond = threading.Condition()
        self.closed = False
        self.echo = echo
        self.thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self.thread.start()

    def _pump(self, stream):
        for line in stream:
            line = line.rstrip("\n")
            if self.echo:
                self.echo(line)
            with self.cond:
                self.lines.append(line)
                self.cond.notify_all()
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def wait(self, pattern, start=0, timeout=DEFAULT_TIMEOUT):
        """Returns (index, match) of the first line at or after START matching PATTERN
        (a regex), waiting up to TIMEOUT seconds; raises AssertionError on timeout."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return i, m
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    break
                self.cond.wait(left)
        raise AssertionError("timed out after %.0fs waiting for /%s/; last lines:\n  %s" % (
            timeout, pattern, "\n  ".join(self.lines[-15:])))

    def count(self, pattern, start=0):
        rx = re.compile(pattern)
        with self.cond:
            return sum(1 for line in self.lines[start:] if rx.search(line))

    def mark(self):
        with self.cond:
            return len(self.lines)


class Sim:
    """The bundled SMSC simulator (tests/smsc_sim.c); see `smsc_sim --help` for its protocol."""

    def __init__(self, system_id="ermgw", password="secret", extra=(), echo=None):
        args = [binary("smsc_sim"), "--port", "0"]
        if system_id:
            args += ["--system-id", system_id]
        if password:
            args += ["--password", password]
        args += list(extra)
        self._start(args, echo)

    def _start(self, args, echo):
        """Starts the simulator ARGS and waits for the port it listens on."""
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.out = _LineReader(self.proc.stdout, echo)
        self.err = _LineReader(self.proc.stderr)
        _, m = self.out.wait(r"^LISTEN (\d+)$")
        self.port = int(m.group(1))
        self._tag = 0

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def next_tag(self):
        self._tag += 1
        return "m%d" % self._tag

    def mo_text(self, source, dest, text, tag=None):
        tag = tag or self.next_tag()
        self.send("mo_text %s %s %s %s" % (tag, source, dest, text))
        return tag

    def mo_hex(self, source, dest, dcs, data, tag=None, seq=None):
        tag = tag or self.next_tag()
        if seq is None:
            self.send("mo %s %s %s %d %s" % (tag, source, dest, dcs, data.hex()))
        else:
            self.send("mo_seq %s %d %s %s %d %s" % (tag, seq, source, dest, dcs, data.hex()))
        return tag

    def wait_mo_resp(self, tag, timeout=DEFAULT_TIMEOUT):
        """Waits for the gateway's deliver_sm_resp to TAG; returns its status as int."""
        _, m = self.out.wait(r"^MO_RESP %s 0x([0-9a-fA-F]+)$" % re.escape(tag), timeout=timeout)
        return int(m.group(1), 16)

    def wait_message(self, dest, start=0, timeout=DEFAULT_TIMEOUT):
        """Waits for a whole message (all parts) to DEST; returns (index, source, text)."""
        i, m = self.out.wait(r"^MESSAGE (\S+) %s (\d+) (.*)$" % re.escape(dest), start=start,
                             timeout=timeout)
        return i, m.group(1), m.group(3)

    def wait_bound(self, start=0, timeout=DEFAULT_TIMEOUT):
        return self.out.wait(r"^BIND \S+ \S+ \S+ 0x0+$", start=start, timeout=timeout)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.send("quit")
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired, ValueError):
                self.proc.kill()
                self.proc.wait()
        for s in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                s.close()
            except Exception:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class IsmgSim(Sim):
    """The bundled CMPP ISMG simulator (tests/ismg_sim.c), with Sim's line protocol where
    the two agree (mo_text, MO_RESP, MESSAGE); see `ismg_sim --help`."""

    SP_ID = "901234"
    SECRET = "s3cret"

    def __init__(self, version="3.0", sp_id=SP_ID, secret=SECRET, echo=None):
        self.version = version
        self._start([binary("ismg_sim"), "--port", "0", "--version", version, "--sp-id", sp_id,
                     "--secret", secret], echo)

    def mo_hex(self, source, dest, dcs, data, tag=None, seq=None, udhi=False):
        """A DELIVER with Msg_Fmt DCS and content DATA (bytes)."""
        tag = tag or self.next_tag()
        line = "mo %s %s %s %d %s" % (tag, source, dest, dcs, data.hex())
        if udhi:
            line += " udhi"
        if seq is not None:
            line += " seq=%d" % seq
        self.send(line)
        return tag

    def report(self, source, msg_id, stat="DELIVRD", tag=None):
        tag = tag or self.next_tag()
        self.send("report %s %s %s %s" % (tag, source, msg_id, stat))
        return tag

    def wait_bound(self, start=0, timeout=DEFAULT_TIMEOUT):
        return self.out.wait(r"^LOGIN \S+ 0x\S+ 0$", start=start, timeout=timeout)


CMPP_CONFIG_TEMPLATE = """; written by ermtest for one test run (CMPP)
[cmpp]
host = 127.0.0.1
port = {port}
sp_id = {sp_id}
secret = {secret}
service_id = ERM
version = {version}
[service]
number = {service}
[database]
conninfo = {conninfo}
"""


CONFIG_TEMPLATE = """; written by ermtest for one test run
[smsc]
host = {host}
port = {port}
system_id = {system_id}
password = {password}
system_type =
enquire_link_s = {enquire_link_s}
[service]
number = {service}
[database]
conninfo = {conninfo}
"""


class Daemon:
    """The real ermgw, started with a config written into a temp dir; its log lines are
    kept for waits. Stops with SIGTERM and checks it exited 0 (ASan reports fail it)."""

    def __init__(self, pg, port, service="10086", system_id="ermgw", password="secret",
                 enquire_link_s=30, extra_config="", echo=None, db_user="postgres",
                 conninfo=None, smsc_host="127.0.0.1", env=None, cmpp_version=None,
                 cmpp_secret=IsmgSim.SECRET):
        self.dir = tempfile.mkdtemp(prefix="ermtest-gw-")
        self.config = os.path.join(self.dir, "ermgw.conf")
        if conninfo is None:  # else the test's own (several hosts, say)
            conninfo = "host=%s port=%s dbname=%s user=%s" % (pg.sock, pg.port, pg.dbname,
                                                              db_user)
        with open(self.config, "w") as f:
            if cmpp_version:  # the ISMG in place of the SMSC
                f.write(CMPP_CONFIG_TEMPLATE.format(port=port, sp_id=IsmgSim.SP_ID,
                                                    secret=cmpp_secret, version=cmpp_version,
                                                    service=service, conninfo=conninfo))
            else:
                f.write(CONFIG_TEMPLATE.format(host=smsc_host, port=port, system_id=system_id,
                                               password=password,
                                               enquire_link_s=enquire_link_s, service=service,
                                               conninfo=conninfo))
            # Each message's own lines are at debug (info has a summary a minute); the tests
            # wait for them, unless a test sets its own [log] section.
            if "[log]" not in extra_config:
                f.write("[log]\nlevel = debug\n")
            f.write(extra_config)
        env = dict(os.environ, **(env or {}))
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen([binary("ermgw"), "--config", self.config],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
        self.log = _LineReader(self.proc.stdout, echo)

    def stop(self, sig=signal.SIGTERM, timeout=DEFAULT_TIMEOUT):
        """Stops the daemon; returns its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("ermgw did not stop within %.0fs" % timeout)
        self.log.thread.join(timeout=5)
        self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def setup_pool(pg, product="10", name="流量包", quota="100", employee="E001",
               msisdn="13800000001", activate=True, notes=False):
    """Migrates and puts one product with one claimed code in the pool; returns the SMS code.
    Without NOTES the holder's commission notes are turned off (empty templates), so each
    order gets exactly one message, its reply."""
    ermctl(pg, "migrate", check=True)
    if not notes:
        pg.psql("UPDATE erm_texts SET text = '' WHERE key LIKE 'note\\_%'")
    ermctl(pg, "product", "add", "--code", product, "--name", name, "--quota", quota,
           "--commission", "5.00", "--intro", "每月10GB", check=True)
    if activate:
        ermctl(pg, "product", "activate", product, check=True)
    ermctl(pg, "employee", "add", "--id", employee, "--name", "张三", "--msisdn", msisdn,
           "--dept", "市场部", check=True)
    r = ermctl(pg, "claim", "--product", product, "--employee", employee, check=True)
    m = re.search(r"sms code (\d+), phone code (\d+)", r.stdout)
    if not m:
        raise AssertionError("claim printed no codes: %r" % r.stdout)
    return m.group(1), m.group(2)


def main():
    unittest.main(verbosity=2)


def wait_until(predicate, what, timeout=DEFAULT_TIMEOUT, interval=0.05):
    """Polls PREDICATE (a state in the database, which has no event to wait on) until true
    or the deadline; raises AssertionError naming WHAT."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0fs waiting for %s" % (timeout, what))
        time.sleep(interval)


# -- pool, self-claim and promo push helpers (issue 3) ----------------------------------------

class PgSession:
    """One psql session kept open, to hold a transaction (and its locks) while other sessions
    queue behind it. run() sends SQL (the test's own literals) and waits until psql has
    executed it; an error ends psql (ON_ERROR_STOP), which the wait reports."""

    def __init__(self, pg):
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1, env=pg.env)
        self.out = _LineReader(self.proc.stdout)
        self._n = 0

    def run(self, sql, timeout=DEFAULT_TIMEOUT):
        """Runs SQL; returns its output lines."""
        self._n += 1
        mark = self.out.mark()
        self.proc.stdin.write("%s;\n\\echo __done_%d\n" % (sql.rstrip().rstrip(";"), self._n))
        self.proc.stdin.flush()
        i, _ = self.out.wait(r"^__done_%d$" % self._n, start=mark, timeout=timeout)
        with self.out.cond:
            return self.out.lines[mark:i]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.out.thread.join(timeout=5)
        self.proc.stdout.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def lock_waiters(pg):
    """How many sessions of PG's database wait for a lock right now."""
    return int(pg.scalar("SELECT count(*) FROM pg_stat_activity"
                         " WHERE wait_event_type = 'Lock' AND datname = current_database()"))


def sim_unescape(text):
    """The text of a simulator SUBMIT/MESSAGE line as sent (\\\\, \\n, \\r, \\xNN undone)."""
    return re.sub(r"\\(\\|n|r|x[0-9a-fA-F]{2})",
                  lambda m: {"\\": "\\", "n": "\n", "r": "\r"}.get(m.group(1)) or
                  chr(int(m.group(1)[1:], 16)), text)


def sms(sim, source, text, dest="10086", expect=1, timeout=DEFAULT_TIMEOUT):
    """Sends TEXT from SOURCE to DEST and waits for its deliver_sm_resp and, when that is 0,
    for EXPECT whole messages back to SOURCE (in the order they arrive). Returns (status,
    [texts as sent])."""
    mark = sim.out.mark()
    status = sim.wait_mo_resp(sim.mo_text(source, dest, text), timeout=timeout)
    texts = []
    start = mark
    while status == 0 and len(texts) < expect:
        i, _, got = sim.wait_message(source, start=start, timeout=timeout)
        texts.append(sim_unescape(got))
        start = i + 1
    return status, texts


def promo_text(name, intro, fee, code, service="10086"):
    """The promo push core/promo.c writes for the holder of CODE."""
    text = "【%s】%s" % (name, intro.rstrip())
    if fee:
        text += "\n资费：" + fee
    return text + "\n发送%s到%s或拨打%s%s即可办理" % (code, service, service, code)


def write_csv(path, text):
    """Writes an employee import file (UTF-8, exactly TEXT)."""
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    return path


class ErmctlCase(unittest.TestCase):
    """A test case for ermctl against a real database: one throwaway cluster per class, a
    fresh database per test (self.pg), and ermctl runners that check the output contract."""

    _dbs = iter(range(1, 1 << 30))

    @classmethod
    def setUpClass(cls):
        cls.cluster = PgCluster()
        cls.cluster.__enter__()

    @classmethod
    def tearDownClass(cls):
        cls.cluster.__exit__(None, None, None)

    def setUp(self):
        name = "t%d" % next(ErmctlCase._dbs)
        self.cluster.psql('CREATE DATABASE "%s"' % name)  # name is ours, not input
        import copy
        self.pg = copy.copy(self.cluster)
        self.pg.env = dict(self.cluster.env, PGDATABASE=name)

    def ctl(self, *args):
        return ermctl(self.pg, *args)

    def ok(self, *args):
        r = self.ctl(*args)
        self.assertEqual(r.returncode, 0, "ermctl %s: %s" % (" ".join(args), r.stderr))
        self.assertEqual(r.stderr, "")
        return r.stdout

    def refused(self, status, *args):
        """Runs ermctl expecting exit STATUS with one error line; returns that line."""
        r = self.ctl(*args)
        self.assertEqual(r.returncode, status,
                         "ermctl %s: rc %d, out %r, err %r" % (" ".join(args), r.returncode,
                                                              r.stdout, r.stderr))
        self.assertEqual(r.stdout, "")
        lines = r.stderr.splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertTrue(lines[0].startswith("ermctl: "), lines[0])
        return lines[0]

    def count(self, table):
        return int(self.pg.scalar("SELECT count(*) FROM %s" % table))  # table: a literal


# -- a class of tests on one pool (issue 5) -------------------------------------------------

class PoolCase(unittest.TestCase):
    """Tests that share one throwaway cluster with one active product and one claimed code
    (cls.pg, cls.code: the SMS code); each test uses its own customer numbers."""

    @classmethod
    def setUpClass(cls):
        cls.pg = PgCluster().__enter__()
        try:
            cls.code, _ = setup_pool(cls.pg)
        except BaseException:
            cls.pg.__exit__(None, None, None)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.pg.__exit__(None, None, None)

    def stop_clean(self, gw, killed_ok=False):
        """Stops GW and asserts it exited 0 (or was SIGKILLed by the test, with KILLED_OK)
        with no sanitizer report in its log."""
        rc = gw.stop()
        if not (killed_ok and rc == -signal.SIGKILL):
            self.assertEqual(rc, 0, "ermgw exited %s:\n%s" % (rc, "\n".join(gw.log.lines[-30:])))
        self.assertEqual(gw.log.count(r"Sanitizer|runtime error"), 0, "\n".join(gw.log.lines))


class BoundCase(unittest.TestCase):
    """A test class sharing one cluster, one simulator and one ermgw bound to it.

    Subclasses put their data in with prepare(pg) (called before the daemon starts) and may
    set EXTRA_CONFIG. At the end the daemon must exit 0 with no sanitizer report."""

    EXTRA_CONFIG = ""
    CMPP = None  # "3.0" or "2.0": the same tests over CMPP against tests/ismg_sim.c

    @classmethod
    def prepare(cls, pg):
        pass

    @classmethod
    def setUpClass(cls):
        cls.pg = PgCluster().__enter__()
        cls.sim = cls.gw = None
        try:
            cls.prepare(cls.pg)
            cls.sim = IsmgSim(cls.CMPP) if cls.CMPP else Sim()
            cls.gw = Daemon(cls.pg, cls.sim.port, extra_config=cls.EXTRA_CONFIG,
                            cmpp_version=cls.CMPP)
            cls.sim.wait_bound()
            cls.gw.log.wait(r"database up")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.gw.stop() if cls.gw else None
        if cls.sim:
            cls.sim.close()
        cls.pg.__exit__(None, None, None)
        if cls.gw:
            log = "\n".join(cls.gw.log.lines[-40:])
            if rc != 0:
                raise AssertionError("ermgw exited %s:\n%s" % (rc, log))
            if cls.gw.log.count(r"Sanitizer|runtime error") != 0:
                raise AssertionError("sanitizer report:\n%s" % "\n".join(cls.gw.log.lines))


# -- ermgw's admin endpoint: GET /metrics and /healthz (issue 14) ----------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_port():
    """A TCP port free on 127.0.0.1 now, for an [admin] listen."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(port, path, method="GET"):
    """(status, content type, body) of METHOD PATH on 127.0.0.1:PORT."""
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), method=method,
                                 data=b"x" if method == "POST" else None)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def metrics_parse(text):
    """The samples of a Prometheus text exposition: {(name, ((label, value), ...)): float}."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError("not a sample line: %r" % line)
        labels = tuple(sorted(_LABEL.findall(m.group(2) or "")))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def metric(samples, name, **labels):
    """The value of NAME{LABELS} in SAMPLES (metrics_parse); fails when there is none."""
    key = (name, tuple(sorted(labels.items())))
    if key not in samples:
        raise AssertionError("no sample %s%r" % (name, labels))
    return samples[key]


def scrape(port):
    """The samples of GET /metrics on 127.0.0.1:PORT (200 or fail)."""
    status, _, body = http_get(port, "/metrics")
    if status != 200:
        raise AssertionError("GET /metrics: %d %s" % (status, body))
    return metrics_parse(body)

