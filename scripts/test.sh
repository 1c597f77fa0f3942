#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite: C++ unit and integration tests
# (real roundtable-server and redis-server processes on free ports), then the
# JS SDK and browser tests when present. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release
ctest --test-dir build/release --output-on-failure --timeout 1200
if [ -f web-client/package.json ]; then
  (cd web-client && npm test)
fi
