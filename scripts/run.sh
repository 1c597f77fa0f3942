#!/usr/bin/env bash
# Sets up, builds and starts roundtable-server with the embedded default: the
# memory engine and the demo event, on 127.0.0.1:8080. Extra arguments go to the
# server (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null
exec build/release/server/roundtable-server --bind 127.0.0.1 --port 8080 "$@"
