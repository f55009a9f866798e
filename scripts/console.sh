#!/usr/bin/env bash
# console.sh: the web console (ermweb) to try by hand on a Debian 12 machine: installs what
# is missing, builds, starts a throwaway PostgreSQL with a small campaign, the SMSC
# simulator, ermgw (it sends the login codes) and ermweb; prints the address and the
# logins, and stays up until Ctrl-C. ERM_CONSOLE_PORT (default 8080) sets the port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build=${ERM_DEMO_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DERM_SANITIZE=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
ERM_BUILD_DIR=$PWD/$build exec python3 tests/console.py
