#!/usr/bin/env bash
# test.sh: the one command that runs every test of ermgw on a Debian 12 machine: installs
# what is missing, builds the test build (warnings fatal, ASan + UBSan) and runs ctest
# (check unit tests; integration tests with the real daemon, the bundled SMSC simulator,
# Net::SMPP, and throwaway PostgreSQL clusters). A whole run (no arguments) first fuzzes the
# PDU intake, the MO parser, the codecs, the CSV line and the report renderer for about a
# minute (tests/fuzz/run.sh, clang; ERM_FUZZ_SECONDS=0 skips it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build=${ERM_TEST_BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DERM_SANITIZE=ON -DERM_WERROR=ON >/dev/null
cmake --build "$build" -j"$(nproc)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if [ $# -eq 0 ] && [ "${ERM_FUZZ_SECONDS:-6}" != 0 ]; then
    bash tests/fuzz/run.sh
fi
ctest --test-dir "$build" --output-on-failure -j2 "$@"
