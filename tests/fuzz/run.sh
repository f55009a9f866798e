#!/usr/bin/env bash
# run.sh: builds the libFuzzer targets of tests/fuzz with clang in build-fuzz and runs each
# for a bounded time (ERM_FUZZ_SECONDS each, 6 by default: ten targets in about a minute;
# never 0, which libFuzzer reads as no limit: README says how to fuzz for hours), starting
# from the checked-in seed corpus (tests/fuzz/corpus/<target>, never written to). A crash,
# leak or timeout fails the run, and its input is copied to tests/fuzz/regressions/<target>/
# so that, once fixed, it is checked in and replayed by ctest for good (fuzz.replay_*).
# Skipped (exit 0) when clang is not installed. Called by scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${ERM_FUZZ_SECONDS:-6}
build=${ERM_FUZZ_BUILD_DIR:-build-fuzz}
targets=(pdu command text csvline report_out concat config wav sdp sip cmpp)

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found; fuzzing skipped (scripts/deps.sh installs it)"
    exit 0
fi
# Warnings are the test build's business; this build only looks for crashes.
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DERM_FUZZ=ON \
      -DERM_SANITIZE=OFF -DERM_WERROR=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/#/fuzz_}" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
    mkdir -p "$work/$t/corpus" "$work/$t/crash"
    if "$build/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
           -print_final_stats=1 -artifact_prefix="$work/$t/crash/" \
           "$work/$t/corpus" "tests/fuzz/corpus/$t" >"$work/$t/log" 2>&1; then
        runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t/log")
        echo "fuzz_$t: ok, ${runs:-?} inputs in ${secs} s"
    else
        failed=1
        echo "fuzz_$t: FAILED"
        grep -v '^#' "$work/$t/log" | tail -40
        mkdir -p "tests/fuzz/regressions/$t"
        for a in "$work/$t/crash/"*; do
            [ -f "$a" ] || continue
            dest="tests/fuzz/regressions/$t/$(basename "$a")"
            cp "$a" "$dest"
            echo "fuzz_$t: input saved as $dest: fix the bug, then check it in"
        done
    fi
done
exit "$failed"
