#!/usr/bin/env bash
# Builds the libFuzzer targets (the `fuzz` preset: clang++-14 with ASan and
# UBSan) and runs each for a bounded time on a copy of its seed corpus, so the
# corpora in the repository are never modified: fuzz_parse (the protocol
# parser), fuzz_ws_frames (the WebSocket frame reader) and fuzz_http (Beast's
# HTTP request parser and the static-file mapping). The time budget is shared:
# each target gets a third.
# Usage: scripts/fuzz.sh [seconds]   (default 30, for both together)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
third=$(( seconds / 3 > 0 ? seconds / 3 : 1 ))

# The parser library must carry coverage instrumentation too, not only the fuzz
# target, or libFuzzer sees none of the parser's branches.
cmake --preset fuzz \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer" \
  >/dev/null
cmake --build --preset fuzz --target fuzz_parse fuzz_ws_frames fuzz_http -- -j1

# run_target NAME CORPUS_GLOB DICT MAX_LEN: one bounded run; inputs that fail
# are kept in build/fuzz/crashes/.
run_target() {
  local name="$1" corpus="$2" dict="$3" max_len="$4"
  local work
  work="$(mktemp -d)"
  # shellcheck disable=SC2086
  cp $corpus "$work/"
  mkdir -p "$work/artifacts"
  set +e
  "build/fuzz/tests/$name" "$work" \
    -dict="$dict" \
    -max_total_time="$third" \
    -max_len="$max_len" \
    -timeout=10 \
    -rss_limit_mb=2048 \
    -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/"
  local status=$?
  set -e
  if [ "$status" -ne 0 ]; then
    mkdir -p build/fuzz/crashes
    cp "$work"/artifacts/* build/fuzz/crashes/ 2>/dev/null || true
    echo "$name failed (exit $status); inputs kept in build/fuzz/crashes/" >&2
    # A CI log is all that is left of a clean clone: print the inputs too.
    for input in "$work"/artifacts/*; do
      [ -f "$input" ] || continue
      echo "input $(basename "$input"), base64:" >&2
      head -c 4096 "$input" | base64 >&2
    done
  fi
  rm -rf "$work"
  return "$status"
}

status=0
run_target fuzz_parse 'tests/fuzz/corpus/*.json' tests/fuzz/parse_fuzz.dict 70000 || status=$?
run_target fuzz_ws_frames 'tests/fuzz/ws_corpus/*.bin' tests/fuzz/ws_frames.dict 140000 || status=$?
run_target fuzz_http 'tests/fuzz/http_corpus/*.txt' tests/fuzz/http_fuzz.dict 20000 || status=$?
exit "$status"
