#!/usr/bin/env bash
# Sets up, builds and runs the whole test suite, each part against real
# processes (roundtable-server, redis-server, Chromium) on free ports:
#   1. C++ unit and integration tests (CTest, release build), then the Debian
#      package built from it, installed, started as its unit does, purged
#      and the server behind the README's nginx and Caddy configs, and with its
#      own TLS
#   2. the JS SDK and browser tests (web-client, Node's test runner, Playwright)
#   3. a smoke run of every load scenario (fails on any loss, duplicate, disorder)
#   4. a short bounded fuzz run of the protocol parser (libFuzzer)
#   5. unit and integration tests under ASan+UBSan, and under TSan (--threads 2);
#      a report from any process they start (the servers) fails the part
# Every part runs even when an earlier one failed; the exit code is non-zero
# if any failed, and the end of each failed part's output is printed again
# last (a CI log often keeps only its tail). ROUNDTABLE_QUICK=1 runs parts 1-3
# only.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit 1

passed=0
failed=0
failures=()
failed_logs=()
logs="$(mktemp -d)"
part() {
  local name="$1"
  shift
  echo "=== $name"
  local start=$SECONDS
  local log="$logs/$((passed + failed)).log"
  "$@" 2>&1 | tee "$log"
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    passed=$((passed + 1))
    echo "=== $name: ok ($((SECONDS - start)) s)"
  else
    failed=$((failed + 1))
    failures+=("$name")
    failed_logs+=("$log")
    echo "=== $name: FAILED ($((SECONDS - start)) s)"
  fi
}

build_and_ctest() {
  # The integration tests are four CTest shards that mostly wait: run them
  # side by side.
  scripts/build.sh "$1" && ctest --preset "$1" --timeout 1200 -j "${ROUNDTABLE_CTEST_JOBS:-4}"
}

# Under a sanitizer, the servers (and other processes) the integration tests
# start report to their own stderr, which no test reads, and many continue:
# every sanitized process writes its reports to a file here instead, and any
# file fails the part (its start is printed).
sanitized_ctest() {
  local preset="$1" reports
  reports="$(mktemp -d)"
  local at="log_path=$reports/report"
  scripts/build.sh "$preset" &&
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}$at" UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}$at" \
      TSAN_OPTIONS="${TSAN_OPTIONS:+$TSAN_OPTIONS:}$at" \
      ctest --preset "$preset" --timeout 1200 -j "${ROUNDTABLE_CTEST_JOBS:-4}"
  local rc=$?
  if compgen -G "$reports/report*" >/dev/null; then
    echo "sanitizer reports from the processes under test ($preset):"
    for f in "$reports"/report*; do
      echo "--- $f"
      head -40 "$f"
    done
    rc=1
  fi
  return "$rc"
}

part "release build and CTest" build_and_ctest release
part "Debian package (install, start, purge)" scripts/package-test.sh build/release
part "behind nginx and Caddy (TLS, wss, Origin)" scripts/proxy-test.sh build/release
part "the server's own TLS (wss, plain refused, SIGHUP reload)" scripts/tls-test.sh build/release
part "web client (SDK and browser)" bash -c 'cd web-client && npm test'
part "load scenarios smoke" loadtest/smoke.sh build/release
if [ "${ROUNDTABLE_QUICK:-}" != 1 ]; then
  part "fuzz the protocol, WebSocket frame and HTTP parsers (20 s)" scripts/fuzz.sh 20
  part "ASan+UBSan" sanitized_ctest asan-ubsan
  part "TSan" sanitized_ctest tsan
fi

echo
for i in "${!failures[@]}"; do
  echo "=== the end of the output of: ${failures[$i]}"
  tail -n 60 "${failed_logs[$i]}"
done
[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "parts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
