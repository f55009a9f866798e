#!/usr/bin/env bash
# deps.sh: installs the Debian 12 packages ermgw needs to build, test and demo, and only
# those that are missing (so a second run does no network work). Run as root.
set -euo pipefail

PKGS=(build-essential cmake pkg-config libuv1-dev libpq-dev libsmpp34-dev check
      postgresql python3 libnet-smpp-perl clang-format clang libclang-rt-14-dev
      libosip2-dev sip-tester espeak-ng sox tcpdump baresip)
# ermweb, the web console (issue 13): HTTP server, JSON, password hashing and tokens, QR codes.
PKGS+=(libmicrohttpd-dev libjansson-dev libsodium-dev libqrencode-dev chromium fonts-noto-cjk)
# Several gateways, addresses and failover (issue 14): nss_wrapper gives a test's SMSC name
# two addresses from a file (tests/integration/test_smsc_addresses.py).
PKGS+=(libnss-wrapper)
# ermgw's GET /metrics is checked with promtool (issue 14); Debian ships it only with the whole
# Prometheus server (about 95 MB installed), which is not started here.
PKGS+=(prometheus)
# node and npm run its browser tests (tests/web); NodeSource's nodejs carries its own npm.
command -v npm >/dev/null 2>&1 || PKGS+=(nodejs npm)
# CMPP (issue 17): nettle for the login's MD5; tshark checks our CMPP bytes with its dissector.
PKGS+=(nettle-dev tshark)
missing=()
for p in "${PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "deps: missing packages: ${missing[*]}; run as root (or install them)" >&2
        exit 1
    fi
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark's wireshark-common asks whether non-root users may capture: no, and no prompt
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Older libsmpp34 builds over-read truncated PDUs: refuse them.
min=1.14.1-3+deb12u1
have=$(dpkg-query -W -f='${Version}' libsmpp34-1 2>/dev/null || true)
if [ -z "$have" ] || ! dpkg --compare-versions "$have" ge "$min"; then
    echo "deps: libsmpp34 $have is older than $min (over-reads truncated PDUs); upgrade it" >&2
    exit 1
fi

# ermweb's browser tests: puppeteer-core from npm into tests/web/node_modules (never
# committed), at the version of tests/web/package-lock.json; nothing when it is there.
web_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/web"
if [ ! -d "$web_dir/node_modules/puppeteer-core" ]; then
    echo "deps: installing puppeteer-core into tests/web/node_modules"
    (cd "$web_dir" && npm ci --no-audit --no-fund --omit=dev >/dev/null)
fi
