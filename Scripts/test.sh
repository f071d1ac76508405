#!/usr/bin/env bash
# The whole test suite: Swift unit and integration tests, then the interop tests that drive the real `tablecast`
# binary with python-socketio (pinned in Tests/Interop/requirements.txt, installed into .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: SQLite's and hiredis's headers for the CSQLite and CHiredis module maps, pkg-config to find them, a
# TypeScript compiler (`tsc`) that the interop tests compile the generated .d.ts with, and the Redis server the Redis
# tests start (on a free loopback port of their own; the package's own service is not used).
missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
pkg-config --exists hiredis 2>/dev/null || missing+=(libhiredis-dev)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
# nginx for Scripts/cluster.sh's test (started on a free port by the script; the package's own service is not used).
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v tsc >/dev/null 2>&1 || missing+=(node-typescript)
# Debian's Chromium and its chromedriver for the dashboard's browser tests (Selenium drives them by path; nothing is
# downloaded at test time).
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

# Python interop clients (python-socketio, redis-py, msgpack), the JSON Schema validator and Selenium, pinned.
if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
.venv/bin/pip install -q --disable-pip-version-check -r Tests/Interop/requirements.txt

swift build
swift test
# The browser tests' screenshots stay in artifacts/screenshots/ for people to look at.
rm -rf artifacts/screenshots
.venv/bin/python -m pytest Tests/Interop -q -p no:cacheprovider
echo "screenshots of the dashboard and the reports: $(pwd)/artifacts/screenshots/"

# Every fuzz target briefly (FuzzTesting/README.md): its seeds, its past failures, then a few seconds of new inputs.
Scripts/fuzz.sh --all 4
