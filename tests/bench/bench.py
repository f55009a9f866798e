"""bench.py: ermgw's benchmark driver (issue 6): durable orders per second, side by side with
what PostgreSQL alone does for the same transactions. Python 3 stdlib; the parts are started
with the integration harness (tests/integration/ermtest.py).

One run of this script:
  1. starts a throwaway PostgreSQL 15 cluster with its default durability (fsync on,
     synchronous_commit on), migrates it with ermctl, and loads a realistic pool straight
     with SQL: 100 active products (quota 1500, so 4-digit sequences), 100,000 employees,
     100,000 claimed codes (one per employee, 1,000 per product);
  2. a warm-up run left out of the figures;
  3. full load, RUNS times: a fresh ermgw bound to tests/bench/load_smsc, which sends COUNT
     MO orders (each from a new customer number, a code drawn at random) with WINDOW
     outstanding deliver_sm; then waits until the outbox is empty (every reply submitted
     and marked sent); records ermgw's CPU time and peak RSS, and the cluster's commits and
     WAL syncs per order. After each, the ceiling: pgbench, 16 clients, the statements
     ermgw sends for a batch of orders (BEGIN; erm_place_orders() over the batch's arrays,
     which takes each MO's dedupe step and places its order; the replies' multi-row INSERT
     INTO outbox; COMMIT), once with one order per transaction, once with 100, and once
     with 100 followed by the replies' bookkeeping ermgw's outbox connection adds (the take
     of queued rows and their record as sent), and once in ermgw's own shape: one client
     per MO connection, each transaction the size of ermgw's batches at this window;
  4. fixed offered load, RUNS times: the same at OFFERED MOs per second for FIXED_S seconds;
  5. prints the report (medians over the runs) and ermgw's rate as a share of the ceiling.
With --windows (a sweep, issue 16) steps 3-4 are instead RUNS full-load runs at each window,
each window followed by its ceiling in ermgw's shape at that window: one pgbench client per
MO connection in use (a second takes MOs only beyond [database] spill), transactions of the mean batch ermgw formed (read from its /metrics).

Options come from the command line (see --help) or the ERM_BENCH_* environment variables
scripts/bench.sh passes on. Every wait has a deadline; everything started is stopped.
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
os.environ.setdefault("ERM_SOURCE_DIR", SOURCE_DIR)
os.environ.setdefault("ERM_BUILD_DIR", os.path.join(SOURCE_DIR, "build-release"))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
import ermtest  # noqa: E402

BENCH_PRODUCTS = 100
BENCH_QUOTA = 1500  # 4 digits: codes are product code (3 digits) + 4-digit sequence
BENCH_EMPLOYEES = 100000
BENCH_CLAIMS = 100000
BENCH_CLAIMS_PER_PRODUCT = BENCH_CLAIMS // BENCH_PRODUCTS
BENCH_SERVICE = "10086"
SENDER_TAKE_BACK = 4096  # core/tunables.c's sender_take_back
BENCH_MO_SPILL = 64  # [database] spill's default (core/config.c)
BENCH_MO_CONNECTIONS = 2  # [database] connections' default (core/config.c); plus the outbox's
CLK_TCK = os.sysconf("SC_CLK_TCK")

# The pool, one INSERT ... SELECT per table. Product codes 100..199 all have 3 digits, so no
# code is a prefix of another's with a different width (the code plan's clash rule). The
# claims' codes follow the plan: product code + sequence zero-padded to the digits of the
# quota (1500 -> 4). Employee numbers (15xxxxxxxxx) never collide with the load's customers
# (13xxxxxxxxx). The closing CHECKPOINT writes the load's dirty pages now, so that the first
# run does not pay for them.
POOL_SQL = """
INSERT INTO products (code, name, intro, fee_text, commission_fen, quota, width, service,
                      status)
SELECT (100 + p)::text, '畅享流量包' || p, '每月10GB国内流量，' || p || '号套餐',
       '10元/月', 500, {quota}, length('{quota}'), '{service}', 'active'
FROM generate_series(0, {products} - 1) AS p;

INSERT INTO employees (id, name, msisdn, dept)
SELECT 'E' || lpad(e::text, 6, '0'), '员工' || e, (15000000000 + e)::text,
       '市场部' || (e % 20)
FROM generate_series(1, {employees}) AS e;

INSERT INTO claims (code, product_code, seq, employee_id)
SELECT (100 + k / {per})::text || lpad((k % {per} + 1)::text, length('{quota}'), '0'),
       (100 + k / {per})::text, k % {per} + 1, 'E' || lpad((k + 1)::text, 6, '0')
FROM generate_series(0, {claims} - 1) AS k;

VACUUM ANALYZE;
CHECKPOINT;
"""

# The order transaction ermgw sends for a batch (storage/order_batch.c), as pgbench runs it:
# BEGIN; erm_place_orders() over the batch's arrays (each MO's dedupe step, which logs its
# key in mo_log, and its order); the replies' multi-row INSERT INTO outbox; COMMIT. The same
# prepared statements' text as order_batch.c's, with the arrays made in SQL. A customer is
# unique per client (client_id in the high digits, a random low part: a repeat is a 'dup',
# rare and harmless); a code is a random claimed code, computed the way POOL_SQL made them;
# the MO key is 64 random-looking hex digits as core/mokey.c makes them (there: SHA-256,
# client side); the link is the client's, the dedupe window the daemon's default (600 s);
# the reply text is what core/reply.c renders for an order of a pool product.
#
# One order per transaction: the batch's one element from pgbench variables. N per
# transaction: the arrays drawn by one SELECT before the transaction (\gset), so the
# transaction itself is exactly ermgw's four statements.
PGBENCH_ONE = """\\set k random(0, {claims} - 1)
\\set code (100 + :k / {per}) * 10000 + :k % {per} + 1
\\set cust 14000000000 + :client_id * 10000000 + random(0, 9999999)
BEGIN;
SELECT item, status, outcome, product_name FROM erm_place_orders(ARRAY[md5(:cust::text || :code::text) || md5(:code::text || :cust::text)], ARRAY['pgbench:' || :client_id::text], ARRAY[:k]::bigint[], ARRAY[600], ARRAY[:cust::text], ARRAY[:code::text], 'sms');
INSERT INTO outbox (dest, source, kind, text) SELECT * FROM unnest(ARRAY[:cust::text], ARRAY['{service}'], ARRAY['order_ok'], ARRAY['{reply}']);
COMMIT;
"""
PGBENCH_MANY = """SELECT array_agg(md5(cust || code) || md5(code || cust) ORDER BY i) AS keys, array_agg(k ORDER BY i) AS seqs, array_agg(cust ORDER BY i) AS custs, array_agg(code ORDER BY i) AS codes FROM (SELECT i, k, ((100 + k / {per}) * 10000 + k % {per} + 1)::text AS code, (14000000000 + :client_id * 10000000 + floor(random() * 10000000)::bigint)::text AS cust FROM (SELECT i, floor(random() * {claims})::integer AS k FROM generate_series(1, {n}) AS i) AS d) AS t \\gset
BEGIN;
SELECT item, status, outcome, product_name FROM erm_place_orders(:keys::text[], array_fill('pgbench:' || :client_id::text, ARRAY[{n}]), :seqs::bigint[], array_fill(600, ARRAY[{n}]), :custs::text[], :codes::text[], 'sms');
INSERT INTO outbox (dest, source, kind, text) SELECT * FROM unnest(:custs::text[], array_fill('{service}'::text, ARRAY[{n}]), array_fill('order_ok'::text, ARRAY[{n}]), array_fill('{reply}'::text, ARRAY[{n}]));
COMMIT;
"""
# The replies' bookkeeping ermgw's outbox connection adds per order, appended for the third
# ceiling: the sender's take of queued rows (outbox.c's statement, FOR UPDATE SKIP LOCKED,
# its rows aggregated for the next statement) and, as if the SMSC had answered each with one
# message id, their record as sent (erm_outbox_sent, receipts.c's statement; the id in the
# forms the daemon keeps with the default [smsc] message_ids = same: its TEXT only). Twice
# the batch's rows at a time: its replies and its holders' notes. Each client's take starts
# where the sender's does (daemon/outbox_sender.c): sender_take_back ids below the last id it took,
# from the start (0, as ermgw's poll timer does) after a take that found fewer rows.
PGBENCH_BOOKKEEPING = """WITH picked AS (SELECT id FROM outbox WHERE state = 'queued' AND kind <> 'promo' AND id > :after ORDER BY id LIMIT {take} FOR UPDATE SKIP LOCKED), taken AS (UPDATE outbox o SET state = 'sending', tries = o.tries + 1, updated_at = now() FROM picked WHERE o.id = picked.id RETURNING o.id, o.dest, o.source, o.text) SELECT coalesce(array_agg(id ORDER BY id), '{{}}') AS ids, CASE WHEN count(*) < {take} THEN 0 ELSE greatest(max(id) - {take_back}, 0) END AS after FROM taken \\gset
SELECT count(*) FROM erm_outbox_sent(:ids::bigint[], (SELECT coalesce(array_agg(to_hex(i) ORDER BY i), '{{}}') FROM unnest(:ids::bigint[]) AS i), :ids::bigint[], array_fill(1, ARRAY[cardinality(:ids::bigint[])]), (SELECT coalesce(array_agg(to_hex(i) ORDER BY i), '{{}}') FROM unnest(:ids::bigint[]) AS i), (SELECT coalesce(array_agg(to_hex(i) ORDER BY i), '{{}}') FROM unnest(:ids::bigint[]) AS i), array_fill(NULL::text, ARRAY[cardinality(:ids::bigint[])]), array_fill(NULL::text, ARRAY[cardinality(:ids::bigint[])]));
"""
PGBENCH_REPLY = "您已成功订购畅享流量包42，感谢您的支持！"


def bench_log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def bench_args():
    env = os.environ.get
    ap = argparse.ArgumentParser(description="ermgw's benchmark (issue 6); see BENCHMARKS.md")
    ap.add_argument("--count", type=int, default=int(env("ERM_BENCH_COUNT", "50000")),
                    help="MOs per full-load run (ERM_BENCH_COUNT, default 50000)")
    ap.add_argument("--window", type=int, default=int(env("ERM_BENCH_WINDOW", "100")),
                    help="outstanding deliver_sm (ERM_BENCH_WINDOW, default 100)")
    ap.add_argument("--bearer", choices=("smpp", "cmpp"), default=env("ERM_BENCH_BEARER", "smpp"),
                    help="the MOs over SMPP or over CMPP (ERM_BENCH_BEARER, default smpp)")
    ap.add_argument("--cmpp-version", choices=("3.0", "2.0"), default="3.0",
                    help="with --bearer cmpp: the CMPP version (default 3.0)")
    ap.add_argument("--windows", default=env("ERM_BENCH_WINDOWS", ""),
                    help="a window sweep, e.g. 1,10,100: RUNS full-load runs at each, then "
                         "its ceiling (pgbench, ermgw's MO connections as clients, its mean "
                         "batch at that window as the transaction); no fixed-load runs "
                         "(ERM_BENCH_WINDOWS)")
    ap.add_argument("--runs", type=int, default=int(env("ERM_BENCH_RUNS", "3")),
                    help="runs of each load, medians reported (ERM_BENCH_RUNS, default 3)")
    ap.add_argument("--offered", type=float, default=float(env("ERM_BENCH_OFFERED", "2000")),
                    help="MO/s of the fixed offered load (ERM_BENCH_OFFERED, default 2000)")
    ap.add_argument("--fixed-seconds", type=float,
                    default=float(env("ERM_BENCH_FIXED_SECONDS", "10")),
                    help="length of a fixed-load run (ERM_BENCH_FIXED_SECONDS, default 10)")
    ap.add_argument("--pgbench-seconds", type=int,
                    default=int(env("ERM_BENCH_PGBENCH_SECONDS", "10")),
                    help="length of each pgbench run, two after each full-load run "
                         "(ERM_BENCH_PGBENCH_SECONDS, default 10)")
    ap.add_argument("--warmup", type=int, default=int(env("ERM_BENCH_WARMUP", "2000")),
                    help="MOs of a first full-load run left out of the figures "
                         "(ERM_BENCH_WARMUP, default 2000; 0: none)")
    ap.add_argument("--clients", type=int, default=int(env("ERM_BENCH_CLIENTS", "16")),
                    help="pgbench clients (ERM_BENCH_CLIENTS, default 16)")
    ap.add_argument("--log-level", default=env("ERM_BENCH_LOG_LEVEL", "info"),
                    help="ermgw's [log] level, logging to a file (ERM_BENCH_LOG_LEVEL, "
                         "default info: the shipped default)")
    ap.add_argument("--config", default=env("ERM_BENCH_CONFIG", ""),
                    help="INI lines appended to ermgw's configuration, \\n between lines, e.g."
                         " '[database]\\nbatch_max = 1' (ERM_BENCH_CONFIG)")
    ap.add_argument("--profile", default=env("ERM_BENCH_PROFILE", ""),
                    help="also profile ermgw with perf during one extra full-load run and "
                         "write `perf report` there (ERM_BENCH_PROFILE, a file name)")
    ap.add_argument("--pg-settings", default=env("ERM_BENCH_PG_SETTINGS", ""),
                    help="PostgreSQL settings for the throwaway cluster, space-separated"
                         " name=value pairs (ERM_BENCH_PG_SETTINGS, e.g. 'shared_buffers=2GB"
                         " max_wal_size=8GB'); fsync, synchronous_commit, full_page_writes and"
                         " wal_sync_method are refused: durability stays as shipped. Default:"
                         " none, PostgreSQL's defaults")
    ap.add_argument("--no-notes", action="store_true",
                    default=env("ERM_BENCH_NO_NOTES", "") not in ("", "0"),
                    help="turn the holders' notes off, as an operator can (empty note_order"
                         " and note_order_team templates in erm_texts): one reply per order"
                         " instead of two, for ermgw and the ceiling alike (ERM_BENCH_NO_NOTES)")
    ap.add_argument("--statements", default=env("ERM_BENCH_STATEMENTS", ""),
                    help="also restart PostgreSQL with pg_stat_statements (track = all) for one"
                         " extra full-load run and write where the database's time went, by"
                         " statement, there (ERM_BENCH_STATEMENTS, a file name)")
    ap.add_argument("--json", default=env("ERM_BENCH_JSON", ""),
                    help="also write every figure as JSON to this file (ERM_BENCH_JSON)")
    ap.add_argument("--skip-pgbench", action="store_true",
                    help="leave the ceiling out (a quick look at ermgw alone)")
    a = ap.parse_args()
    a.pg_settings = bench_pg_settings(ap, a.pg_settings)
    if (a.count < 1 or a.window < 1 or a.runs < 1 or a.offered <= 0 or a.fixed_seconds <= 0
            or a.warmup < 0 or a.pgbench_seconds < 1):
        ap.error("count, window, runs, offered and fixed-seconds must be positive")
    return a


# Durability is the benchmark's premise: these stay as PostgreSQL ships them.
PG_DURABILITY = ("fsync", "synchronous_commit", "full_page_writes", "wal_sync_method")


def bench_pg_settings(ap, text):
    """[(name, value)] of --pg-settings TEXT; an error for a malformed pair or a durability
    setting."""
    pairs = []
    for item in text.split():
        name, eq, value = item.partition("=")
        if not eq or not re.match(r"^[a-z_.]+$", name) or value == "":
            ap.error("--pg-settings: %r is not name=value" % item)
        if name in PG_DURABILITY:
            ap.error("--pg-settings: %s stays as PostgreSQL ships it (durability)" % name)
        pairs.append((name, value))
    return pairs


def bench_proc_cpu(pid):
    """ermgw's user + system CPU seconds so far (from /proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def bench_pids_cpu(pids):
    """The CPU seconds so far of the processes PIDS (those gone count 0)."""
    total = 0.0
    for p in pids:
        try:
            total += bench_proc_cpu(p)
        except OSError:
            pass
    return total


def bench_proc_hwm_kb(pid):
    """ermgw's peak resident set (VmHWM, kB)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def bench_sys_cpu():
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]  # idle + iowait
    return sum(v) - idle, sum(v)


def bench_kv(line):
    """The key=value pairs of a load_smsc DONE/SUMMARY line, numbers as floats."""
    out = {}
    for tok in line.split()[1:]:
        k, _, v = tok.partition("=")
        try:
            out[k] = float(v)
        except ValueError:
            out[k] = v
    return out


class BenchLoad:
    """One load_smsc process (tests/bench/load_smsc.c); its stdout lines kept for waits."""

    def __init__(self, codes, count, window, rate, base, max_seconds, cmpp=None):
        args = [ermtest.binary("load_smsc"), "--codes", codes, "--count", str(count),
                "--window", str(window), "--rate", str(rate), "--base", str(base),
                "--dest", BENCH_SERVICE, "--seed", str(base + 1),
                "--max-seconds", str(int(max_seconds))]
        if cmpp:  # a load ISMG: the daemon logs in over CMPP with ermtest's sp_id and secret
            args += ["--cmpp", cmpp, "--secret", ermtest.IsmgSim.SECRET]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        self.out = ermtest._LineReader(self.proc.stdout)
        self.err = ermtest._LineReader(self.proc.stderr)
        _, m = self.out.wait(r"^LISTEN (\d+)$")
        self.port = int(m.group(1))

    def wait_line(self, word, timeout):
        _, m = self.out.wait(r"^%s .*" % word, timeout=timeout)
        return bench_kv(m.group(0))

    def close(self, timeout=20):
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        for s in (self.proc.stdout, self.proc.stderr):
            try:
                s.close()
            except Exception:
                pass


class Bench:
    def __init__(self, args, pg, workdir):
        self.a = args
        self.pg = pg
        self.dir = workdir
        self.codes = os.path.join(workdir, "codes.txt")
        self.next_base = 0

    # ---- set-up ---------------------------------------------------------------------------

    def load_pool(self):
        t0 = time.monotonic()
        ermtest.ermctl(self.pg, "migrate", check=True)
        self.pg.psql("ALTER DATABASE %s SET timezone = 'Asia/Shanghai';" % self.pg.dbname)
        self.pg.psql(POOL_SQL.format(quota=BENCH_QUOTA, service=BENCH_SERVICE,
                                     products=BENCH_PRODUCTS, employees=BENCH_EMPLOYEES,
                                     claims=BENCH_CLAIMS, per=BENCH_CLAIMS_PER_PRODUCT))
        if self.a.no_notes:
            # An empty template turns the note off (schema/004's erm_queue_note, 007).
            self.pg.psql("UPDATE erm_texts SET text = ''"
                         " WHERE key IN ('note_order', 'note_order_team')")
        rows = self.pg.psql("SELECT code FROM claims ORDER BY code")
        with open(self.codes, "w") as f:
            for (code,) in rows:
                f.write(code + "\n")
        counts = self.pg.psql("SELECT (SELECT count(*) FROM products WHERE status = 'active'),"
                              " (SELECT count(*) FROM employees), (SELECT count(*) FROM claims)")
        bench_log("pool: %s active products, %s employees, %s claims (%.1f s)" % (
            counts[0][0], counts[0][1], counts[0][2], time.monotonic() - t0))
        if rows[0][0] != "1000001" or len(rows) != BENCH_CLAIMS:
            raise RuntimeError("pool codes are not as the code plan says: %r" % rows[:2])

    def daemon_config(self):
        log = os.path.join(self.dir, "ermgw.log")
        extra = self.a.config.replace("\\n", "\n")
        admin = ""
        if not re.search(r"(?m)^\s*\[admin\]", extra):
            # /metrics read at the end of each run: the group commit's batch sizes
            self.admin_port = ermtest.free_port()
            admin = "[admin]\nlisten = 127.0.0.1:%d\n" % self.admin_port
        else:
            self.admin_port = None
        return "[log]\nfile = %s\nlevel = %s\n%s%s\n" % (log, self.a.log_level, admin, extra)

    def batch_mean(self):
        """(orders per group-commit transaction, ms from its BEGIN to its COMMIT), the means
        so far in this ermgw (its /metrics), or zeros."""
        if self.admin_port is None:
            return 0.0, 0.0
        try:
            m = ermtest.scrape(self.admin_port)
            n = ermtest.metric(m, "ermgw_order_batch_size_count")
            if n == 0:
                return 0.0, 0.0
            return (ermtest.metric(m, "ermgw_order_batch_size_sum") / n,
                    ermtest.metric(m, "ermgw_order_batch_duration_seconds_sum") * 1000.0 / n)
        except (AssertionError, OSError) as e:
            bench_log("batch sizes not read: %s" % e)
            return 0.0, 0.0

    # ---- one ermgw run ----------------------------------------------------------------------

    def outbox_pending(self, first_id):
        # One count per queue and state, so that each reads its partial index
        # (outbox_queued_reply, outbox_queued_push, outbox_sending) instead of the table:
        # 33 ms a poll, measured, during the drain.
        return int(self.pg.scalar(
            "SELECT (SELECT count(*) FROM outbox WHERE state = 'queued' AND kind <> 'promo'"
            " AND id > :'p1')"
            " + (SELECT count(*) FROM outbox WHERE state = 'queued' AND kind = 'promo'"
            " AND id > :'p1')"
            " + (SELECT count(*) FROM outbox WHERE state = 'sending' AND id > :'p1')", first_id))

    def log_tail(self, n=15):
        try:
            with open(os.path.join(self.dir, "ermgw.log"), errors="replace") as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return "(no log)"

    def pg_counters(self):
        """(commits, WAL syncs, WAL bytes) of the cluster so far. A backend's counts arrive
        when it ends (or goes idle a while), so read them after its client has gone."""
        time.sleep(0.5)  # let the exiting backends flush their statistics
        row = self.pg.psql("SELECT (SELECT sum(xact_commit) FROM pg_stat_database),"
                           " wal_sync, wal_bytes FROM pg_stat_wal")[0]
        return tuple(float(x) for x in row)

    def gw_connections(self):
        """How many database connections ermgw opens: its MO connections (the config's
        [database] connections, else the default) and the outbox's."""
        m = re.search(r"(?m)^\s*connections\s*=\s*(\d+)", self.a.config.replace("\\n", "\n"))
        return (int(m.group(1)) if m else BENCH_MO_CONNECTIONS) + 1

    def conns_used(self, window):
        """The MO connections ermgw's order path uses at WINDOW: a new one only when those
        before have [database] spill MOs in progress (daemon/order_path.c)."""
        m = re.search(r"(?m)^\s*spill\s*=\s*(\d+)", self.a.config.replace("\\n", "\n"))
        spill = int(m.group(1)) if m else BENCH_MO_SPILL
        return max(1, min(self.gw_connections() - 1, -(-window // spill)))

    def gw_backends(self, gw):
        """The pids of ermgw's PostgreSQL backends: its MO and outbox connections (waits up
        to 10 s for both; after that, whatever is there)."""
        deadline = time.monotonic() + 10
        rows = []
        while gw.proc.poll() is None and time.monotonic() < deadline:
            rows = self.pg.psql("SELECT pid FROM pg_stat_activity WHERE backend_type ="
                                " 'client backend' AND pid <> pg_backend_pid()")
            if len(rows) >= self.gw_connections():
                break
            time.sleep(0.05)
        return [int(r[0]) for r in rows]

    def wait_done(self, load, gw, label, timeout):
        """Waits for load_smsc's DONE line while ermgw lives; returns its figures."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                return load.wait_line("DONE", timeout=2)
            except AssertionError:
                pass
            if gw.proc.poll() is not None:
                raise AssertionError("%s: ermgw exited %s during the load; its log:\n%s" % (
                    label, gw.proc.returncode, self.log_tail()))
            if load.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("%s: the load did not finish (load_smsc: %s); ermgw's "
                                     "log:\n%s" % (label, " | ".join(load.err.lines[-3:]),
                                                    self.log_tail()))

    def settle(self):
        """VACUUM ANALYZE and a CHECKPOINT before each measured phase, as pgbench does
        before its own runs: the dead rows and dirty pages one phase leaves (pgbench's rows
        set aside as sent, an ermgw run's drained outbox) are cleaned up here, not by an
        autovacuum and a checkpoint in the middle of the next phase, which would charge one
        phase's upkeep to another (measured before this: ermgw's second and third runs
        5-20 % slower than its first, after pgbench's 300,000 rows set aside)."""
        self.pg.psql("VACUUM (ANALYZE)")
        self.pg.psql("CHECKPOINT")

    def run_once(self, label, count, rate, profile=None):
        """One ermgw + load_smsc run of COUNT MOs (RATE 0: full load). Returns its figures."""
        self.settle()
        base = self.next_base
        self.next_base += count
        first_id = self.pg.scalar("SELECT coalesce(max(id), 0) FROM outbox")
        pg0 = self.pg_counters()
        # Deadlines: generous for a slow gateway (100 MO/s), bounded all the same.
        load_s = max(120.0, count / 100.0) if rate == 0 else count / rate + 120.0
        cmpp = self.a.cmpp_version if self.a.bearer == "cmpp" else None
        load = BenchLoad(self.codes, count, self.a.window, rate, base, load_s + 180, cmpp)
        gw = None
        perf = None
        try:
            gw = ermtest.Daemon(self.pg, load.port, service=BENCH_SERVICE, cmpp_version=cmpp,
                                extra_config=self.daemon_config())
            pid = gw.proc.pid
            backends = self.gw_backends(gw)
            be0, t0 = bench_pids_cpu(backends), time.monotonic()
            sys0 = bench_sys_cpu()
            if profile:
                perf = subprocess.Popen(["perf", "record", "-F", "999", "-g", "-o", profile,
                                         "-p", str(pid)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            self.wait_done(load, gw, label, load_s + 30)
            if perf is not None:
                perf.send_signal(signal.SIGINT)
                perf.wait(timeout=60)
                perf = None
            sys1 = bench_sys_cpu()
            batch_mean, batch_ms = self.batch_mean()
            cpu_at_done = bench_proc_cpu(pid)
            t_done = time.monotonic()
            be_done = bench_pids_cpu(backends)
            deadline = t_done + max(120.0, count / 50.0)
            while self.outbox_pending(first_id) > 0:
                if time.monotonic() > deadline:
                    raise AssertionError("%s: outbox not empty %.0f s after the load" % (
                        label, deadline - t_done))
                time.sleep(0.2)
            cpu = bench_proc_cpu(pid)
            hwm = bench_proc_hwm_kb(pid)
            be_end = bench_pids_cpu(backends)
            rc = gw.stop()
            gw = None
            if rc != 0:
                raise AssertionError("%s: ermgw exited %d" % (label, rc))
            summary = load.wait_line("SUMMARY", timeout=30)
            pg1 = self.pg_counters()
        finally:
            if perf is not None:
                perf.kill()
                perf.wait()
            if gw is not None:
                gw.stop()
            load.close()
        lo, hi = bench_customer_range(base, count)
        db = self.pg.psql(
            "SELECT (SELECT count(*) FROM orders WHERE customer BETWEEN :'p1' AND :'p2'),"
            " count(*), count(*) FILTER (WHERE state = 'sent'),"
            " count(*) FILTER (WHERE state = 'failed'),"
            " extract(epoch FROM max(sent_at) - min(created_at))"
            " FROM outbox WHERE id > :'p3'", lo, hi, first_id)[0]
        busy = (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1])
        r = {
            "label": label,
            "sent": int(summary["sent"]),
            "acked_ok": int(summary["acked_ok"]),
            "acked_err": int(summary["acked_err"]),
            "statuses": summary.get("statuses", "-"),
            "seconds": summary["seconds"],
            "rate": summary["rate"],
            "p50_ms": summary["p50_ms"],
            "p99_ms": summary["p99_ms"],
            "p999_ms": summary["p999_ms"],
            "late": int(summary.get("late", 0)),
            "submits": int(summary["submits"]),
            "last_submit_s": summary["last_submit_s"],
            "submit_rate": summary["submits"] / summary["last_submit_s"]
            if summary["last_submit_s"] > 0 else 0.0,
            "submits_per_order": summary["submits"] / max(1, int(db[0])),
            "orders_in_db": int(db[0]),
            "outbox_rows": int(db[1]),
            "outbox_sent": int(db[2]),
            "outbox_failed": int(db[3]),
            "outbox_empty_s": float(db[4] or 0),
            "cpu_s": cpu,
            "batch_mean": batch_mean,
            "batch_ms": batch_ms,
            "cpu_s_at_done": cpu_at_done,
            "cpu_s_per_1000": cpu / max(1, int(db[0])) * 1000.0,
            "rss_peak_mb": hwm / 1024.0,
            "machine_busy": busy,
            # ermgw's own PostgreSQL backend(s): how busy during the load (1.0 = one CPU all
            # the time: the gateway waits on one backend's CPU), and their CPU per order
            "pg_backend_busy": (be_done - be0) / max(1e-3, t_done - t0),
            "pg_backends": len(backends),
            "pg_backend_cpu_s_per_1000": (be_end - be0) / max(1, int(db[0])) * 1000.0,
            # this script's own psql calls commit too: a handful against thousands of orders
            "commits_per_order": (pg1[0] - pg0[0]) / max(1, int(db[0])),
            "wal_syncs_per_order": (pg1[1] - pg0[1]) / max(1, int(db[0])),
            "wal_bytes_per_order": (pg1[2] - pg0[2]) / max(1, int(db[0])),
        }
        bench_log("%s: %d acked ok (%d err) in %.2f s = %.0f/s, p50 %.2f p99 %.2f p99.9 %.2f ms,"
                  " %d orders in db, %d submits, outbox empty after %.2f s, cpu %.2f s,"
                  " rss %.1f MB, machine %.0f%% busy, its backend %.0f%% busy, %.2f commits and"
                  " %.2f WAL syncs per order, %.1f orders a batch, %.2f ms each" % (
                      label, r["acked_ok"], r["acked_err"], r["seconds"], r["rate"],
                      r["p50_ms"], r["p99_ms"], r["p999_ms"], r["orders_in_db"], r["submits"],
                      r["outbox_empty_s"], r["cpu_s"], r["rss_peak_mb"], 100 * busy,
                      100 * r["pg_backend_busy"], r["commits_per_order"],
                      r["wal_syncs_per_order"], r["batch_mean"], r["batch_ms"]))
        if r["orders_in_db"] != r["acked_ok"]:
            raise AssertionError("%s: %d MOs acknowledged but %d orders stored" % (
                label, r["acked_ok"], r["orders_in_db"]))
        return r

    # ---- the ceiling --------------------------------------------------------------------

    def shape(self):
        """(clients, orders per transaction) of ermgw's own order batches at full load: one
        client per MO connection, each with one batch in flight and one gathering, so about
        window / (2 x connections) MOs a batch (27 measured at window 100, 2 connections)."""
        conns = self.gw_connections() - 1
        return conns, max(1, round(self.a.window / (2 * conns)))

    def pgbench(self, per_txn, bookkeeping=False, clients=None):
        """The ceiling: PER_TXN orders per transaction, CLIENTS (default --clients) at
        once; with BOOKKEEPING their replies are also taken and recorded sent, as ermgw's
        outbox connection does."""
        clients = clients or self.a.clients
        self.settle()
        script = os.path.join(self.dir, "order_x%d%s.sql" % (per_txn, "b" if bookkeeping else ""))
        text = PGBENCH_ONE if per_txn == 1 else PGBENCH_MANY
        if bookkeeping:
            text += PGBENCH_BOOKKEEPING
        with open(script, "w") as f:
            f.write(text.format(claims=BENCH_CLAIMS, per=BENCH_CLAIMS_PER_PRODUCT, n=per_txn,
                                service=BENCH_SERVICE, reply=PGBENCH_REPLY, take=2 * per_txn,
                                take_back=SENDER_TAKE_BACK))
        os.chmod(self.dir, 0o755)
        os.chmod(script, 0o644)
        pgbench = os.path.join(self.pg.bindir, "pgbench")
        if not os.path.exists(pgbench):
            pgbench = shutil.which("pgbench") or pgbench
        first_id = self.pg.scalar("SELECT coalesce(max(id), 0) FROM outbox")
        pg0 = self.pg_counters()
        sys0 = bench_sys_cpu()
        cmd = [pgbench, "-n", "-M", "prepared", "-c", str(clients), "-j", str(min(2, clients)),
               "-T", str(self.a.pgbench_seconds), "-D", "after=0", "-f", script]
        r = subprocess.run(cmd, env=self.pg.env, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=self.a.pgbench_seconds + 120)
        sys1 = bench_sys_cpu()
        pg1 = self.pg_counters()
        # pgbench's replies (and erm_place_orders' notes) must not be the next ermgw run's
        # work: they are set aside as sent.
        self.pg.psql("UPDATE outbox SET state = 'sent', sent_at = now(), error = 'pgbench'"
                     " WHERE id > :'p1' AND state = 'queued'", first_id)
        if r.returncode != 0:
            raise RuntimeError("pgbench failed:\n%s" % r.stdout[-3000:])
        tps = lat = None
        for line in r.stdout.splitlines():
            if line.startswith("tps = "):
                tps = float(line.split()[2])
            elif line.startswith("latency average = "):
                lat = float(line.split()[3])
        if tps is None:
            raise RuntimeError("pgbench printed no tps:\n%s" % r.stdout[-3000:])
        res = {"per_txn": per_txn, "bookkeeping": bookkeeping, "clients": clients,
               "tps": tps,
               "orders_per_s": tps * per_txn, "latency_ms": lat,
               "machine_busy": (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1])}
        orders = max(1.0, tps * per_txn * self.a.pgbench_seconds)  # about: pgbench's -T
        res["commits_per_order"] = (pg1[0] - pg0[0]) / orders
        res["wal_syncs_per_order"] = (pg1[1] - pg0[1]) / orders
        bench_log("pgbench %d per transaction%s, %d clients: %.0f tps = %.0f orders/s, machine "
                  "%.0f%% busy" % (per_txn, " with the replies' bookkeeping" if bookkeeping
                                   else "", clients, tps, tps * per_txn,
                                   100 * res["machine_busy"]))
        return res


def bench_customer_range(base, count):
    """The first and last customer number of a load_smsc run (its numbering)."""
    return str(13000000000 + base), str(13000000000 + base + count - 1)


def bench_pg_median(runs):
    """The median of pgbench runs of one kind (by orders per second), with every run's rate."""
    by_rate = sorted(runs, key=lambda r: r["orders_per_s"])
    med = dict(by_rate[len(by_rate) // 2])
    med["orders_per_s"] = statistics.median(r["orders_per_s"] for r in runs)
    med["all"] = [r["orders_per_s"] for r in runs]
    return med


def bench_median(runs, key):
    return statistics.median(r[key] for r in runs)


MEDIAN_KEYS = ("rate", "seconds", "p50_ms", "p99_ms", "p999_ms", "submit_rate", "last_submit_s",
               "outbox_empty_s", "cpu_s_per_1000", "rss_peak_mb", "machine_busy", "late",
               "commits_per_order", "wal_syncs_per_order", "wal_bytes_per_order",
               "submits_per_order", "pg_backend_busy", "pg_backend_cpu_s_per_1000")


def bench_summary(runs):
    return {k: bench_median(runs, k) for k in MEDIAN_KEYS}


def bench_report(a, full, fixed, ceiling, selftest, loadavg):
    fm, xm = bench_summary(full), bench_summary(fixed)
    lines = []
    add = lines.append
    add("ermgw benchmark (%s, %d CPUs, PostgreSQL %s, fsync on, synchronous_commit on)" % (
        platform.node(), os.cpu_count(), ceiling.get("server_version", "?")))
    add("load average before the start: %.2f %.2f %.2f (other work skews the figures)" % loadavg)
    add("PostgreSQL settings: %s" % (", ".join("%s = %s" % p for p in a.pg_settings)
                                     or "as shipped"))
    if a.no_notes:
        add("holders' notes: off (empty templates): one reply per order")
    add("pool: %d active products (quota %d), %d employees, %d claimed codes" % (
        BENCH_PRODUCTS, BENCH_QUOTA, BENCH_EMPLOYEES, BENCH_CLAIMS))
    if selftest:
        add("load_smsc self-test (trivial ESME, window %d): %.0f deliver_sm/s" % (
            a.window, selftest["rate"]))
    add("")
    add("full load: %d MOs, window %d, median of %d runs (log level %s%s)" % (
        a.count, a.window, len(full), a.log_level,
        "; config: " + a.config.replace("\\n", " ") if a.config else ""))
    add("  orders committed and acknowledged  %8.0f /s   (runs: %s)" % (
        fm["rate"], ", ".join("%.0f" % r["rate"] for r in full)))
    add("  latency deliver_sm -> resp         p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms" % (
        fm["p50_ms"], fm["p99_ms"], fm["p999_ms"]))
    add("  confirmations submitted            %8.0f /s   (%.1f submit_sm per order; the last %.1f s"
        " after the first MO)" % (fm["submit_rate"], fm["submits_per_order"], fm["last_submit_s"]))
    add("  outbox empty                       %8.1f s after the first MO (load took %.1f s)" % (
        fm["outbox_empty_s"], fm["seconds"]))
    add("  ermgw CPU per 1,000 orders         %8.3f s" % fm["cpu_s_per_1000"])
    add("  ermgw peak RSS (VmHWM)             %8.1f MB" % fm["rss_peak_mb"])
    add("  machine busy during the load       %8.0f %% of %d CPUs" % (
        100 * fm["machine_busy"], os.cpu_count()))
    add("  ermgw's PostgreSQL backends (%d)    %8.0f %% of a CPU busy during the load; %.3f CPU s"
        " per 1,000 orders" % (full[0].get("pg_backends", 0), 100 * fm["pg_backend_busy"],
                               fm["pg_backend_cpu_s_per_1000"]))
    add("  per order (load and outbox drain)  %8.2f commits, %.2f WAL syncs, %.0f WAL bytes" % (
        fm["commits_per_order"], fm["wal_syncs_per_order"], fm["wal_bytes_per_order"]))
    add("")
    add("fixed offered load: %.0f MO/s for %.0f s, window %d, median of %d runs" % (
        a.offered, a.fixed_seconds, a.window, len(fixed)))
    add("  acknowledged                       %8.0f /s   (MOs sent >10 ms late: %.0f)" % (
        xm["rate"], xm["late"]))
    add("  latency deliver_sm -> resp         p50 %.2f ms  p99 %.2f ms  p99.9 %.2f ms" % (
        xm["p50_ms"], xm["p99_ms"], xm["p999_ms"]))
    add("  confirmations submitted            %8.0f /s;  outbox empty %.1f s after the first MO"
        % (xm["submit_rate"], xm["outbox_empty_s"]))
    add("  ermgw CPU per 1,000 orders         %8.3f s;  peak RSS %.1f MB" % (
        xm["cpu_s_per_1000"], xm["rss_peak_mb"]))
    if ceiling.get("runs"):
        add("")
        add("ceiling: pgbench, %d clients, -M prepared, the same SQL as ermgw's batches "
            "(erm_place_orders + the replies' outbox insert; the third also takes the replies "
            "and records them sent, as ermgw's outbox connection does; the last runs as many "
            "clients as ermgw has MO connections, each transaction the size of ermgw's "
            "batches at this window: window / (2 x connections))" % a.clients)
        for c in ceiling["runs"]:
            label = "%3d order(s) per transaction%s" % (
                c["per_txn"], " + replies' bookkeeping" if c.get("bookkeeping") else "")
            if c["clients"] != a.clients:
                # ermgw's own shape: as many clients as MO connections, its batch size.
                label += ", %d clients (ermgw's shape)" % c["clients"]
            add("  %-35s %8.0f orders/s  (runs: %s)" % (
                label, c["orders_per_s"], ", ".join("%.0f" % x for x in c["all"])))
            add("      median run: %.0f tps, latency %.2f ms, machine %.0f %% busy" % (
                c["tps"], c["latency_ms"] or 0, 100 * c["machine_busy"]))
            add("      %.2f commits and %.3f WAL syncs per order" % (
                c["commits_per_order"], c["wal_syncs_per_order"]))
            add("      ermgw's full-load rate is %.1f %% of this" % (
                100.0 * fm["rate"] / c["orders_per_s"]))
    return "\n".join(lines)


def bench_selftest(window):
    """load_smsc against its own trivial ESME: the load side's own ceiling."""
    r = subprocess.run([ermtest.binary("load_smsc"), "--self-test", "--count", "2000000",
                        "--window", str(window), "--max-seconds", "120"], text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    for line in r.stdout.splitlines():
        if line.startswith("SUMMARY "):
            kv = bench_kv(line)
            bench_log("load_smsc self-test: %.0f deliver_sm/s (window %d)" % (kv["rate"], window))
            return kv
    raise RuntimeError("load_smsc --self-test failed: %s %s" % (r.stdout, r.stderr))


def bench_sweep(b, a):
    """The window sweep: RUNS full-load runs at each window of a.windows, each window's
    followed by its ceiling in the same shape: pgbench with one client per MO connection of
    ermgw and transactions of the mean batch ermgw formed at that window (its /metrics).
    Returns the report's lines."""
    rows = []
    for w in [int(x) for x in a.windows.split(",")]:
        a.window = w
        runs = [b.run_once("window %d, full %d/%d" % (w, i + 1, a.runs), a.count, 0)
                for i in range(a.runs)]
        m = bench_summary(runs)
        batch = statistics.median(r["batch_mean"] for r in runs)
        batch_ms = statistics.median(r["batch_ms"] for r in runs)
        pg = None
        if not a.skip_pgbench:
            pg = b.pgbench(max(1, round(batch)), clients=b.conns_used(w))
        rows.append((w, m, runs, batch, batch_ms, b.conns_used(w), pg))
    lines = ["window sweep over %s%s: %d MOs a run, median of %d runs each; ceiling: pgbench, "
             "the same order statements, one client per MO connection ermgw uses at that "
             "window, transactions of ermgw's mean batch there, run right after it" % (
                 a.bearer.upper(), " %s" % a.cmpp_version if a.bearer == "cmpp" else "",
                 a.count, a.runs),
             "| window | orders acknowledged /s | p50 ms | p99 ms | runs (/s) | orders a batch "
             "| ms a batch (BEGIN to COMMIT) | connections | ceiling /s | share |",
             "| ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"]
    for w, m, runs, batch, batch_ms, conns, pg in rows:
        ceil = "%.0f" % pg["orders_per_s"] if pg else "-"
        share = "%.0f %%" % (100 * m["rate"] / pg["orders_per_s"]) if pg else "-"
        lines.append("| %d | %.0f | %.1f | %.1f | %s | %.1f | %.2f | %d | %s | %s |" % (
            w, m["rate"], m["p50_ms"], m["p99_ms"], ", ".join("%.0f" % r["rate"] for r in runs),
            batch, batch_ms, conns, ceil, share))
    return lines


def main():
    a = bench_args()
    t0 = time.monotonic()
    workdir = tempfile.mkdtemp(prefix="ermbench-")
    results = {"args": vars(a), "loadavg_at_start": os.getloadavg()}
    if os.getloadavg()[0] > 0.5:
        bench_log("warning: load average %.2f before the start: other work on this machine "
                  "skews the figures" % os.getloadavg()[0])
    try:
        selftest = bench_selftest(a.window)
        results["selftest"] = selftest
        with ermtest.PgCluster() as pg:
            if a.pg_settings:
                for name, value in a.pg_settings:
                    pg.psql("ALTER SYSTEM SET %s = :'p1'" % name, value)
                pg.stop()
                pg.start()
                bench_log("PostgreSQL settings: %s" % ", ".join(
                    "%s = %s" % (n, pg.scalar("SHOW %s" % n)) for n, _ in a.pg_settings))
            b = Bench(a, pg, workdir)
            b.load_pool()
            ceiling = {"server_version": pg.scalar("SHOW server_version"),
                       "fsync": pg.scalar("SHOW fsync"),
                       "synchronous_commit": pg.scalar("SHOW synchronous_commit")}
            bench_log("PostgreSQL %s, fsync %s, synchronous_commit %s" % (
                ceiling["server_version"], ceiling["fsync"], ceiling["synchronous_commit"]))
            if a.warmup > 0:
                # Caches, the first checkpoint after the pool, the planner's first plans:
                # paid here, outside the medians.
                results["warmup"] = b.run_once("warm-up", a.warmup, 0)
            # Each full-load run is followed by the ceiling's two pgbench runs, so that both
            # see the same machine (a shared one changes from minute to minute).
            if a.windows:
                report = "\n".join(bench_sweep(b, a))
                print(report, flush=True)
                if a.json:
                    with open(a.json, "w") as f:
                        json.dump(dict(results, report=report), f, indent=2,
                                  ensure_ascii=False)
                return 0
            full, pg1, pg100, pg100b, pgshape = [], [], [], [], []
            shape_clients, shape_n = b.shape()
            for i in range(a.runs):
                full.append(b.run_once("full %d/%d" % (i + 1, a.runs), a.count, 0))
                if not a.skip_pgbench:
                    pg1.append(b.pgbench(1))
                    pg100.append(b.pgbench(100))
                    pg100b.append(b.pgbench(100, bookkeeping=True))
                    pgshape.append(b.pgbench(shape_n, clients=shape_clients))
            nfixed = max(1, int(a.offered * a.fixed_seconds))
            fixed = [b.run_once("fixed %d/%d" % (i + 1, a.runs), nfixed, a.offered)
                     for i in range(a.runs)]
            if a.profile:
                bench_profile(b, a)
            if a.statements:
                bench_statements(b, a)
            ceiling["runs"] = [bench_pg_median(r) for r in (pg1, pg100, pg100b, pgshape) if r]
            ceiling["all_runs"] = pg1 + pg100 + pg100b + pgshape
            results.update(full=full, fixed=fixed, ceiling=ceiling)
        report = bench_report(a, full, fixed, ceiling, selftest, results["loadavg_at_start"])
        print(report, flush=True)
        results["report"] = report
        results["elapsed_s"] = time.monotonic() - t0
        bench_log("done in %.0f s" % results["elapsed_s"])
        if a.json:
            with open(a.json, "w") as f:
                json.dump(results, f, indent=2, ensure_ascii=False)
        return 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def bench_profile(b, a):
    """One more full-load run with `perf record -g` attached to ermgw; the flat and the
    caller-inclusive reports go to A.profile (text)."""
    if shutil.which("perf") is None:
        bench_log("profile: perf not installed; skipped")
        return
    data = os.path.join(b.dir, "perf.data")
    b.run_once("profile", a.count, 0, profile=data)
    # By library; by function (self time); by system call and other callers (time below
    # them: a release build has no frame pointers, so user-space call chains are cut short
    # but the kernel's are whole); the biggest self-time entries with their call chains.
    reports = (["--no-children", "--sort", "dso", "-g", "none", "--percent-limit", "0.1"],
               ["--no-children", "--sort", "dso,symbol", "-g", "none", "--percent-limit", "0.2"],
               ["--children", "--sort", "symbol", "-g", "none", "--percent-limit", "1"],
               ["--no-children", "--sort", "dso,symbol", "-g", "caller", "--percent-limit", "2"])
    with open(a.profile, "w") as f:
        for extra in reports:
            r = subprocess.run(["perf", "report", "-i", data, "--stdio"] + extra, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=300)
            f.write(r.stdout)
    bench_log("profile written to %s" % a.profile)


# Where the database's time went in a run, statement by statement (nested ones too: the
# statements inside erm_place_orders_set and erm_outbox_sent, and the foreign-key checks).
# The time is the statements' own wall time in the backends, waits for locks included.
STATEMENTS_SQL = """
SELECT calls, round(total_exec_time::numeric, 0) AS total_ms,
       round((total_exec_time * 1000 / :'p1')::numeric, 1) AS us_per_order,
       round((total_exec_time * 1000 / calls)::numeric, 1) AS us_per_call, rows,
       toplevel, left(regexp_replace(query, '\\s+', ' ', 'g'), 160) AS query
  FROM pg_stat_statements
 WHERE query !~* '^(VACUUM|CHECKPOINT)'  -- the bench's own settle() before the run
 ORDER BY total_exec_time DESC LIMIT 25
"""


def bench_statements(b, a):
    """One more full-load run with pg_stat_statements loaded (track = all); its top
    statements by time go to A.statements (text), per order of the run."""
    pg = b.pg
    pg.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    pg.stop()
    pg.start()
    try:
        pg.psql("ALTER SYSTEM SET pg_stat_statements.track = 'all'")
        pg.psql("SELECT pg_reload_conf()")
        pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    except RuntimeError as e:
        bench_log("statements: pg_stat_statements not available (%s); skipped" % e)
        return
    pg.psql("SELECT pg_stat_statements_reset()")
    r = b.run_once("statements", a.count, 0)
    rows = pg.psql(STATEMENTS_SQL, str(a.count))
    with open(a.statements, "w") as f:
        f.write("# %d MOs at window %d: %.0f orders/s; the database's time by statement\n"
                % (a.count, a.window, r["rate"]))
        f.write("# calls | total ms | us per order | us per call | rows | top level | query\n")
        for row in rows:
            f.write(" | ".join(row) + "\n")
    bench_log("statements written to %s" % a.statements)


if __name__ == "__main__":
    sys.exit(main())
