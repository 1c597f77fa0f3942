#!/usr/bin/env bash
# Builds the libFuzzer target for the protocol parser (the `fuzz` preset:
# clang++-14 with ASan and UBSan) and runs it for a bounded time on a copy of the
# seed corpus, so the corpus in the repository is never modified.
# Usage: scripts/fuzz.sh [seconds]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"

# The parser library must carry coverage instrumentation too, not only the fuzz
# target, or libFuzzer sees none of the parser's branches.
cmake --preset fuzz \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
  >/dev/null
cmake --build --preset fuzz --target fuzz_parse -- -j1

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp tests/fuzz/corpus/*.json "$work/"
mkdir -p "$work/artifacts"

set +e
build/fuzz/tests/fuzz_parse "$work" \
  -dict=tests/fuzz/parse_fuzz.dict \
  -max_total_time="$seconds" \
  -max_len=70000 \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -print_final_stats=1 \
  -artifact_prefix="$work/artifacts/"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  mkdir -p build/fuzz/crashes
  cp "$work"/artifacts/* build/fuzz/crashes/ 2>/dev/null || true
  echo "fuzz_parse failed (exit $status); inputs kept in build/fuzz/crashes/" >&2
fi
exit "$status"
