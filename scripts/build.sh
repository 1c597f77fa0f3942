#!/usr/bin/env bash
# Configures and builds one CMake preset (default: release). Two parallel jobs:
# each Beast translation unit needs about 0.9 GB and 30 s.
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
if [ ! -f "build/$preset/build.ninja" ]; then
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" -j "${ROUNDTABLE_JOBS:-2}"
