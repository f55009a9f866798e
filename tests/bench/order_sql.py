"""order_sql.py: PostgreSQL's own time per order (issue 6, "durable orders per second"), the
database half of the benchmark without ermgw: on the benchmark's pool (tests/bench/bench.py's
POOL_SQL: 100 products, 100,000 employees, 100,000 claims), it times

  batch   erm_place_orders() over BATCH_SIZE MOs of distinct new customers and random
          claimed codes (as bench.py's pgbench scripts draw them), one batch per transaction
          (the call the daemon's group commit makes, storage/order_batch.c);
  single  erm_place_order() for one new customer, one order per transaction
          (storage/orders.c's call);

and prints microseconds per order: the statement's time as psql's \\timing measures it over
the Unix socket (median, mean, min; COMMIT is a statement of its own and left out: this is
what the order rules cost, not the WAL flush), and the backend's CPU time over the timed
run (COMMITs included) from /proc. A first session's warm-up (orders and batches left out of
the figures) fills the tables a little, then ANALYZE, then the timed session warms its own
plans with a batch and 100 orders: plans made for the tables as empty as the pool load
leaves them would scan them whole until autovacuum's next ANALYZE.

  python3 tests/bench/order_sql.py                 # the schema as it is (every migration)
  python3 tests/bench/order_sql.py --upto 006      # only migrations 001..006 (before 007)
  python3 tests/bench/order_sql.py --sizes 1,10,30,100   # small batches: the fixed cost

--sizes times erm_place_orders() over batches of each of the given sizes instead (no single
orders), CALLS batches per size, and prints microseconds per call and per order for each,
then the fixed cost per call and the cost per order of the least-squares line through the
sizes' median call times (what a call of N orders costs: fixed + N x per order). --extra
applies a file of SQL after the migrations (a candidate migration, measured before it goes
into schema/).

Python 3 stdlib; the cluster is a throwaway one of the integration harness
(tests/integration/ermtest.py), migrated with ERM_BUILD_DIR's ermctl (--build-dir).
Not part of ctest: it takes a minute and measures, it does not check.
"""
import argparse
import hashlib
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile

CLK_TCK = os.sysconf("SC_CLK_TCK")

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))


def osql_default_build():
    """build-release when it has ermctl (bench.py's), else build."""
    for name in ("build-release", "build"):
        if os.access(os.path.join(SOURCE_DIR, name, "ermctl"), os.X_OK):
            return os.path.join(SOURCE_DIR, name)
    return os.path.join(SOURCE_DIR, "build")


def osql_args():
    ap = argparse.ArgumentParser(description="PostgreSQL's time per order (issue 6)")
    ap.add_argument("--build-dir", default=os.environ.get("ERM_BUILD_DIR")
                    or osql_default_build(),
                    help="where ermctl is (default $ERM_BUILD_DIR, else build-release or"
                         " build)")
    ap.add_argument("--upto", default="",
                    help="apply only the migrations numbered up to this one (e.g. 006)")
    ap.add_argument("--batches", type=int, default=30, help="timed batches (default 30)")
    ap.add_argument("--batch-size", type=int, default=100, help="MOs per batch (default 100)")
    ap.add_argument("--singles", type=int, default=3000,
                    help="timed single orders (default 3000)")
    ap.add_argument("--warmup", type=int, default=10,
                    help="batches, and x100 single orders, of warm-up (default 10)")
    ap.add_argument("--sizes", default="",
                    help="comma-separated batch sizes (e.g. 1,10,30,100): time batches of"
                         " each size, per call and per order, instead of the default run")
    ap.add_argument("--calls", type=int, default=300,
                    help="timed batches per size of --sizes (default 300)")
    ap.add_argument("--extra", default="",
                    help="a SQL file applied after the migrations (a candidate migration)")
    ap.add_argument("--seed", type=int, default=6)
    return ap.parse_args()


def osql_schema_dir(upto, workdir):
    """The schema directory to migrate from: the source's, or a copy of its files up to
    UPTO."""
    src = os.path.join(SOURCE_DIR, "schema")
    if not upto:
        return src
    dst = os.path.join(workdir, "schema")
    os.makedirs(dst)
    for name in sorted(os.listdir(src)):
        if re.match(r"^[0-9]{3}_.*\.sql$", name) and name[:3] <= upto:
            shutil.copy(os.path.join(src, name), dst)
    os.chmod(workdir, 0o755)
    os.chmod(dst, 0o755)
    return dst


class OrderDraw:
    """New customers (14xxxxxxxxx, never an employee's 15xxxxxxxxx) and random claimed codes,
    the way bench.py's pgbench script draws them; MO keys as 64 hex digits."""

    def __init__(self, seed):
        import bench
        self.rng = random.Random(seed)
        self.claims = bench.BENCH_CLAIMS
        self.per = bench.BENCH_CLAIMS_PER_PRODUCT
        self.next_customer = 14000000000
        self.seq = 0

    def one(self):
        k = self.rng.randrange(self.claims)
        code = str((100 + k // self.per) * 10000 + k % self.per + 1)
        cust = str(self.next_customer)
        self.next_customer += 1
        self.seq += 1
        key = hashlib.sha256(("%s/%s/%d" % (cust, code, self.seq)).encode()).hexdigest()
        return key, self.seq, cust, code


def osql_array(values):
    """A PostgreSQL array literal of VALUES (digits and hex only: nothing to escape)."""
    return "{" + ",".join(values) + "}"


def osql_batch_script(draw, nbatches, size):
    """A psql script of NBATCHES transactions of one erm_place_orders() call each; the arrays
    go in as psql variables, quoted by psql (:'v')."""
    lines = []
    for b in range(nbatches):
        items = [draw.one() for _ in range(size)]
        arrays = {
            "k": osql_array(i[0] for i in items),
            "l": osql_array("bench:1" for _ in items),
            "s": osql_array(str(i[1]) for i in items),
            "w": osql_array("600" for _ in items),
            "c": osql_array(i[2] for i in items),
            "o": osql_array(i[3] for i in items),
        }
        for name, value in arrays.items():
            lines.append("\\set %s%d '%s'" % (name, b, value))
        lines.append("BEGIN;")
        lines.append("\\echo T")
        lines.append("SELECT count(*) FILTER (WHERE outcome = 'ok') FROM erm_place_orders("
                     ":'k{b}'::text[], :'l{b}'::text[], :'s{b}'::bigint[], :'w{b}'::integer[],"
                     " :'c{b}'::text[], :'o{b}'::text[], 'sms');".format(b=b))
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


def osql_single_script(draw, n):
    """A psql script of N transactions of one erm_place_order() call each."""
    lines = []
    for i in range(n):
        _, _, cust, code = draw.one()
        lines.append("\\set c%d %s\n\\set o%d %s" % (i, cust, i, code))
        lines.append("BEGIN;")
        lines.append("\\echo T")
        lines.append("SELECT outcome FROM erm_place_order(:'c{i}', :'o{i}', 'sms');".format(i=i))
        lines.append("COMMIT;")
    return "\n".join(lines) + "\n"


class OsqlSession:
    """One psql session for the whole run (its backend's plans and caches warm up as the
    daemon's connection does); its backend's CPU time is read from /proc around each
    script (this script runs as the cluster's owner or as root)."""

    def __init__(self, pg, workdir):
        self.dir = workdir
        self.proc = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     env=pg.env)
        self.n = 0
        self.pid = int(self.run("SELECT pg_backend_pid();")[0])

    def run(self, script):
        """Runs SCRIPT (from a file: its output is read while it runs); returns its output
        lines (psql's errors end the run)."""
        self.n += 1
        done = "__done_%d" % self.n
        path = os.path.join(self.dir, "script%d.sql" % self.n)
        with open(path, "w") as f:
            f.write(script)
        self.proc.stdin.write("\\i %s\n\\echo %s\n" % (path, done))
        self.proc.stdin.flush()
        out = []
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line == done:
                return out
            out.append(line)
        raise RuntimeError("psql ended: %s" % "\n".join(out[-10:]))

    def cpu_s(self):
        """The backend's user + system CPU seconds so far."""
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def timed(self, script):
        """Runs SCRIPT with \\timing; returns the times (ms) of the statements marked by a
        preceding "\\echo T" line, their results, and the backend's CPU seconds."""
        cpu0 = self.cpu_s()
        out = self.run("\\timing on\n" + script + "\\timing off\n")
        cpu = self.cpu_s() - cpu0
        times, results = [], []
        for i, line in enumerate(out):
            if line == "T":
                # T, the statement's result, its Time line (BEGIN's comes before T)
                results.append(out[i + 1])
                m = re.match(r"^Time: ([0-9.]+) ms", out[i + 2])
                if not m:
                    raise RuntimeError("no timing after %r: %r" % (out[i + 1], out[i + 2]))
                times.append(float(m.group(1)))
        return times, results, cpu

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


def osql_report(label, timed, per):
    times_ms, results, cpu = timed
    us = [t * 1000.0 / per for t in times_ms]
    orders = len(us) * per
    print("%-6s %5d x %3d orders: %7.1f us/order median statement time, %7.1f mean, %7.1f"
          " min; backend CPU %7.1f us/order (%s ok in the last)" % (
              label, len(us), per, statistics.median(us), statistics.mean(us), min(us),
              cpu * 1e6 / orders, results[-1]), flush=True)


def osql_report_size(size, timed):
    """One line for --sizes: a call's time (median, mean, min), per order, and the backend's
    CPU per call; returns the median call time in microseconds."""
    times_ms, results, cpu = timed
    us = [t * 1000.0 for t in times_ms]
    med = statistics.median(us)
    print("size %4d, %4d calls: %8.1f us/call median, %8.1f mean, %8.1f min; %7.1f us/order"
          " median; backend CPU %8.1f us/call (%s ok in the last)" % (
              size, len(us), med, statistics.mean(us), min(us), med / size,
              cpu * 1e6 / len(us), results[-1]), flush=True)
    return med


def osql_fit(points):
    """The least-squares line through POINTS (size, median us per call): (fixed, per
    order)."""
    n = len(points)
    mx = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    if sxx == 0:
        return my, 0.0
    slope = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx
    return my - slope * mx, slope


def osql_sizes(sess, draw, sizes, calls):
    """--sizes: for each size a warm-up of 5 batches (this size's plans), then CALLS timed
    batches; then the line through the medians."""
    points = []
    for size in sizes:
        sess.run(osql_batch_script(draw, 5, size))
        points.append((size, osql_report_size(size, sess.timed(
            osql_batch_script(draw, calls, size)))))
    if len(points) > 1:
        fixed, per = osql_fit(points)
        print("fit over sizes %s: %.1f us fixed per call + %.1f us per order" % (
            ",".join(str(p[0]) for p in points), fixed, per), flush=True)


def main():
    a = osql_args()
    os.environ["ERM_BUILD_DIR"] = a.build_dir
    import bench
    import ermtest
    ermtest.BUILD_DIR = a.build_dir
    work = tempfile.mkdtemp(prefix="erm-order-sql-")
    try:
        with ermtest.PgCluster() as pg:
            schema = osql_schema_dir(a.upto, work)
            ermtest.ermctl(pg, "migrate", "--schema", schema, check=True)
            if a.extra:
                with open(a.extra) as f:
                    pg.psql(f.read())
            pg.psql("ALTER DATABASE %s SET timezone = 'Asia/Shanghai';" % pg.dbname)
            pg.psql(bench.POOL_SQL.format(quota=bench.BENCH_QUOTA, service=bench.BENCH_SERVICE,
                                          products=bench.BENCH_PRODUCTS,
                                          employees=bench.BENCH_EMPLOYEES,
                                          claims=bench.BENCH_CLAIMS,
                                          per=bench.BENCH_CLAIMS_PER_PRODUCT))
            migs = [r[0] for r in pg.psql("SELECT version FROM schema_migrations ORDER BY 1")]
            print("schema: %s%s" % (" ".join(migs), " + " + a.extra if a.extra else ""),
                  flush=True)
            draw = OrderDraw(a.seed)
            # The warm-up fills the tables a little and ANALYZE gives the planner their real
            # sizes: plans made for the empty tables right after the load (seq scans) would
            # slow every later order until autovacuum's next ANALYZE, a minute later.
            sess = OsqlSession(pg, work)
            try:
                sess.run(osql_batch_script(draw, a.warmup, a.batch_size))
                sess.run(osql_single_script(draw, a.warmup * 100))
            finally:
                sess.close()
            pg.psql("ANALYZE")
            # The timed session (plans made fresh), after a batch and 100 orders of its own.
            sess = OsqlSession(pg, work)
            try:
                if a.sizes:
                    osql_sizes(sess, draw, [int(x) for x in a.sizes.split(",")], a.calls)
                    return
                sess.run(osql_batch_script(draw, 2, a.batch_size))
                osql_report("batch", sess.timed(osql_batch_script(draw, a.batches,
                                                                  a.batch_size)),
                            a.batch_size)
                sess.run(osql_single_script(draw, 100))
                osql_report("single", sess.timed(osql_single_script(draw, a.singles)), 1)
            finally:
                sess.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
