#!/usr/bin/env python3
"""web_bench.py: ermweb's employee pages under load (issue 13's performance item), with wrk.

    ERM_BUILD_DIR=build-rel python3 tests/bench/web_bench.py [--orders 1000000]
        [--sessions 1000] [--threads 4] [--seconds 20] [--connections 64]

A throwaway PostgreSQL cluster gets tests/gen_orders.py's data set (ORDERS orders of 2,000
employees over 3 months), SESSIONS employee sessions are made straight in web_sessions (a
login code per session would only measure the code limits), ermweb starts with THREADS
workers, and wrk requests each employee endpoint for SECONDS with CONNECTIONS connections,
each request with the cookie of the next session. Prints requests/s and latency
percentiles per endpoint. ermgw's order load at the same time is not part of this run.
"""
import argparse
import hashlib
import os
import secrets
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import ermtest  # noqa: E402
import webtest  # noqa: E402

LUA = r"""
local tokens = {}
for line in io.lines("%s") do tokens[#tokens + 1] = line end
local n = 0
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=1000000)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ermbench-web-")
    with ermtest.PgCluster() as pg:
        ermtest.ermctl(pg, "migrate", check=True)
        subprocess.run([sys.executable, os.path.join(HERE, "..", "gen_orders.py"), "--orders",
                        str(a.orders)], env=pg.env, check=True, stdout=subprocess.DEVNULL)
        pg.psql("VACUUM ANALYZE")
        tok = sessions(pg, a.sessions, work)
        web = webtest.Web(pg, threads=a.threads, echo=False)
        try:
            for path in ("/api/v1/my/codes", "/api/v1/my/orders", "/api/v1/my/rank"):
                lua = os.path.join(work, "req.lua")
                with open(lua, "w") as f:
                    f.write(LUA % (tok, path))
                r = subprocess.run(["wrk", "-t2", "-c%d" % a.connections, "-d%ds" % a.seconds,
                                    "-s", lua, "http://127.0.0.1:%d" % web.port],
                                   text=True, stdout=subprocess.PIPE, check=True)
                line = [x for x in r.stdout.splitlines() if x.startswith("RESULT")][0]
                print("%-20s %s" % (path, line[7:]), flush=True)
        finally:
            web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
