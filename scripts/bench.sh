#!/usr/bin/env bash
# bench.sh: the one command of ermgw's benchmark (issue 6; figures in BENCHMARKS.md): installs
# what is missing, builds the release build (no sanitizers) and runs tests/bench/bench.py,
# which starts a throwaway PostgreSQL, loads a realistic pool, measures ermgw against the
# load SMSC (tests/bench/load_smsc.c) and the same transactions in pgbench, and stops all.
# pgbench ships with Debian's postgresql-15 package, which deps.sh installs.
#
# Options, from the environment (defaults in brackets):
#   ERM_BENCH_COUNT [50000]     MOs per full-load run
#   ERM_BENCH_WINDOW [100]      outstanding deliver_sm
#   ERM_BENCH_RUNS [3]          runs of each load (medians reported)
#   ERM_BENCH_OFFERED [2000]    MO/s of the fixed offered load
#   ERM_BENCH_FIXED_SECONDS [10]  length of a fixed-load run
#   ERM_BENCH_PGBENCH_SECONDS [10]  length of each pgbench run (four after each full-load run)
#   ERM_BENCH_WARMUP [2000]     MOs of a first run left out of the figures
#   ERM_BENCH_CLIENTS [16]      pgbench clients
#   ERM_BENCH_LOG_LEVEL [info]  ermgw's log level (it logs to a file in the run's temp dir)
#   ERM_BENCH_CONFIG []         INI lines appended to ermgw.conf, \n between lines
#                               (e.g. "[database]\nbatch_max = 1": one order per transaction)
#   ERM_BENCH_PROFILE []        a file: one more full-load run under `perf record -g`, report there
#   ERM_BENCH_STATEMENTS []     a file: one more full-load run with pg_stat_statements, the
#                               database's time by statement there
#   ERM_BENCH_PG_SETTINGS []    PostgreSQL settings, "name=value name=value" (not durability:
#                               fsync, synchronous_commit, full_page_writes, wal_sync_method)
#   ERM_BENCH_NO_NOTES []       1: the holders' notes off (empty templates), one reply per order
#   ERM_BENCH_JSON []           a file: every figure as JSON
#   ERM_BENCH_BEARER [smpp]     smpp, or cmpp: the MOs over CMPP from the load ISMG
#                               (load_smsc --cmpp), ermgw with [cmpp]; --cmpp-version 2.0
#   ERM_BENCH_WINDOWS []        a window sweep, e.g. 1,10,50,100: RUNS full-load runs at each
#                               window, each followed by its ceiling in ermgw's shape (its MO
#                               connections as pgbench clients, its mean batch as the
#                               transaction) and ermgw's share of it; e.g.
#                               bash scripts/bench.sh --bearer cmpp --windows 1,10,100
#   ERM_BENCH_BUILD_DIR [build-release]
#
# `bench.sh --handout [--window W --rate R]` runs the hand-out instead
# (tests/bench/handout_bench.py): `ermctl assign --dept` of 100,000 holders timed, then the
# pushes through ermgw to the load SMSC: time until the outbox is empty, submit_sm per second,
# and 2,000 order MOs/s meanwhile (--mo-rate, --mo-seconds): their latency beside the same
# load alone, and how long their confirmations waited behind the pushes.
#
# `bench.sh --phone [--rate N --seconds S --prompt-seconds P --sms-rate M]` runs the phone
# mode instead (tests/bench/phone_bench.py): SIPp calls ermgw at a fixed rate while the load
# SMSC offers SMS orders; it reports failed calls, INVITE->200, calls in progress, the RTP
# send lateness and ermgw's CPU per call (ERM_BENCH_CALL_RATE, ERM_BENCH_CALL_SECONDS,
# ERM_BENCH_PROMPT_SECONDS, ERM_BENCH_SMS_RATE as defaults).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build=${ERM_BENCH_BUILD_DIR:-build-release}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DERM_SANITIZE=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
script=tests/bench/bench.py
if [ "${1:-}" = "--phone" ]; then
    shift
    script=tests/bench/phone_bench.py
elif [ "${1:-}" = "--handout" ]; then
    shift
    script=tests/bench/handout_bench.py
fi
ERM_BUILD_DIR=$PWD/$build ERM_SOURCE_DIR=$PWD exec python3 "$script" "$@"
