#!/usr/bin/env python3
"""web_bench.py: ermweb's employee pages under load (issue 13's performance item), with wrk.

    ERM_BUILD_DIR=build-rel python3 tests/bench/web_bench.py [--orders 1000000]
        [--sessions 1000] [--threads 4] [--seconds 20] [--connections 64]
        [--paths /api/v1/my/summary,...] [--mo COUNT]

A throwaway PostgreSQL cluster gets tests/gen_orders.py's data set (ORDERS orders of 2,000
employees over 3 months), SESSIONS employee sessions are made straight in web_sessions (a
login code per session would only measure the code limits), ermweb starts with THREADS
workers, and wrk requests each endpoint of PATHS for SECONDS with CONNECTIONS connections,
each request with the cookie of the next session. Prints requests/s and latency
percentiles per endpoint.

With --mo COUNT, the combined run: ermgw bound to tests/bench/load_smsc takes COUNT order
MOs at full load (codes of the data set, new customers) alone, then again while wrk
requests the first path of PATHS at about RATE requests/s (--rate 0: as many as it gets);
prints ermgw's order rate both times (what the
console's load costs the order path) and wrk's figures during the second.
"""
import argparse
import hashlib
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ermtest  # noqa: E402
import webtest  # noqa: E402
import bench  # noqa: E402  (tests/bench/bench.py: load_smsc's driver)

LUA = r"""
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local n = 0
local pause = %s
if pause > 0 then
  -- each connection waits PAUSE ms before each request: about CONNECTIONS / PAUSE
  -- requests per ms offered in all (wrk is a closed loop; the rate it got is reported)
  delay = function() return pause end
end
request = function()
  n = n %% #tokens + 1
  return wrk.format("GET", "%s", {["Cookie"] = "erm_session=" .. tokens[n]})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d requests, %%.0f/s, p50 %%.1f ms, p99 %%.1f ms, errors %%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
  io.flush()
end
"""


def sessions(pg, n, workdir):
    """N employee sessions of the data set's employees; their tokens, one a line, in a file."""
    tokens = [secrets.token_hex(32) for _ in range(n)]
    rows = "\n".join("%s\tG%05d" % (hashlib.sha256(t.encode()).hexdigest(), i % 2000 + 1)
                     for i, t in enumerate(tokens))
    path = os.path.join(workdir, "sessions.tsv")
    with open(path, "w") as f:
        f.write(rows + "\n")
    pg.psql("CREATE TABLE bench_s (h text, e text)")
    subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c",
                    "\\copy bench_s FROM '%s'" % path], env=pg.env, check=True)
    pg.psql("INSERT INTO web_sessions (token_hash, employee_id, csrf, address, expires_at)"
            " SELECT h, e, repeat('0', 64), 'bench', now() + interval '1 day' FROM bench_s")
    tok = os.path.join(workdir, "tokens.txt")
    with open(tok, "w") as f:
        f.write("\n".join(tokens) + "\n")
    return tok


def wrk(work, tok, path, port, connections, seconds, rate=0):
    """wrk on PATH, started (the caller waits for it or stops it with SIGINT); RATE > 0:
    about that many requests per second offered, else as many as it gets."""
    lua = os.path.join(work, "req.lua")
    with open(lua, "w") as f:
        f.write(LUA % (tok, int(1000.0 * connections / rate) if rate > 0 else 0, path))
    return subprocess.Popen(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "-s", lua,
                             "http://127.0.0.1:%d" % port], text=True, stdout=subprocess.PIPE)


def wrk_result(proc):
    out = proc.communicate(timeout=120)[0]
    return [x for x in out.splitlines() if x.startswith("RESULT")][0][7:]


MO_BASE = 5000000  # load_smsc's customers 13005000000..: none of the data set's


def orders_run(pg, work, count, label):
    """ermgw at full load for COUNT MOs (codes of the data set); its load_smsc SUMMARY."""
    codes = os.path.join(work, "codes.txt")
    if not os.path.exists(codes):
        with open(codes, "w") as f:
            f.write("\n".join(c for (c,) in pg.psql("SELECT code FROM claims")) + "\n")
    base = MO_BASE + orders_run.n * count
    orders_run.n += 1
    load = bench.BenchLoad(codes, count, 100, 0, base, 600)
    gw = None
    try:
        gw = ermtest.Daemon(pg, load.port, extra_config="[log]\nfile = %s\n"
                            % os.path.join(work, "ermgw.log"))
        load.wait_line("DONE", timeout=600)
        rc = gw.stop()
        gw = None
        if rc != 0:
            raise RuntimeError("%s: ermgw exited %d" % (label, rc))
        return load.wait_line("SUMMARY", timeout=60)
    finally:
        if gw is not None:
            gw.stop()
        load.close()


orders_run.n = 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1000000)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--paths", default="/api/v1/my/summary,/api/v1/my/codes,/api/v1/my/orders,"
                    "/api/v1/my/rank")
    ap.add_argument("--mo", type=int, default=0, help="the combined run's order MOs")
    ap.add_argument("--rate", type=int, default=5000,
                    help="requests/s offered to ermweb during the combined run (0: all it takes)")
    a = ap.parse_args()
    paths = a.paths.split(",")
    work = tempfile.mkdtemp(prefix="ermbench-web-")
    with ermtest.PgCluster() as pg:
        ermtest.ermctl(pg, "migrate", check=True)
        pg.psql("ALTER DATABASE %s SET timezone = 'Asia/Shanghai'" % pg.dbname)
        subprocess.run([sys.executable, os.path.join(HERE, "..", "gen_orders.py"), "--orders",
                        str(a.orders)], env=pg.env, check=True, stdout=subprocess.DEVNULL)
        pg.psql("VACUUM ANALYZE")
        tok = sessions(pg, a.sessions, work)
        web = webtest.Web(pg, threads=a.threads, echo=False)
        try:
            for path in paths:
                r = wrk(work, tok, path, web.port, a.connections, a.seconds)
                print("%-20s %s" % (path, wrk_result(r)), flush=True)
            if a.mo > 0:
                alone = orders_run(pg, work, a.mo, "ermgw alone")
                print("ermgw alone          %.0f orders/s, p99 %.1f ms" % (
                    alone["rate"], alone["p99_ms"]), flush=True)
                # the CPU the console takes meanwhile: ermweb, its database connections
                # (libpq's application name is storage/admin.c's "ermctl"), and wrk's own
                backends = [int(p) for (p,) in pg.psql(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'ermctl'")]
                r = wrk(work, tok, paths[0], web.port, a.connections, 3600, a.rate)
                cpu0 = [bench.bench_pids_cpu(x) for x in ([web.proc.pid], backends, [r.pid])]
                t0 = time.monotonic()
                try:
                    both = orders_run(pg, work, a.mo, "ermgw with the console's load")
                    cpu1 = [bench.bench_pids_cpu(x) for x in ([web.proc.pid], backends, [r.pid])]
                    wall = time.monotonic() - t0
                finally:
                    r.send_signal(signal.SIGINT)  # wrk prints its figures and ends
                print("ermgw with wrk       %.0f orders/s, p99 %.1f ms (%.0f%% of alone)" % (
                    both["rate"], both["p99_ms"], 100.0 * both["rate"] / alone["rate"]),
                    flush=True)
                print("%-20s %s (during the orders)" % (paths[0], wrk_result(r)), flush=True)
                print("CPUs meanwhile       ermweb %.2f, its database connections %.2f, wrk %.2f"
                      " (of 2)" % tuple((b - a_) / wall for a_, b in zip(cpu0, cpu1)), flush=True)
        finally:
            web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
