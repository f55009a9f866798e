#!/usr/bin/env bash
# demo.sh: the demo of ermgw's main job on a Debian 12 machine: installs what is missing,
# builds, starts a throwaway PostgreSQL and the bundled SMSC simulator, starts ermgw bound
# to it, plays a claim and orders, prints every SMS that crosses the bind, then stops all.
# --bearer cmpp [--cmpp-version 2.0]: the same over CMPP against the bundled ISMG simulator.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh
build=${ERM_DEMO_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DERM_SANITIZE=OFF >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
ERM_BUILD_DIR=$PWD/$build exec python3 tests/demo.py "$@"
