#!/usr/bin/env bash
# Soak: moderate load with hops against one roundtable-server for a bounded
# time (default 600 s), sampling the server's RSS every 5 s. Fails when the
# generator saw any loss, duplicate or disorder, or when RSS grew: the median
# of the last quarter of the samples may exceed the median of the second
# quarter (after warm-up) by at most SOAK_GROWTH_KIB (default 8192).
#   scripts/soak.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
growth_limit="${SOAK_GROWTH_KIB:-8192}"
scripts/setup.sh
scripts/build.sh release >/dev/null
server=build/release/server/roundtable-server
loadgen=build/release/loadtest/roundtable-loadgen
work="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cat >"$work/event.json" <<'JSON'
{"id":"soak","title":"Soak","tables":[{"id":"t1","topic":"T1"},{"id":"t2","topic":"T2"},{"id":"t3","topic":"T3"},{"id":"t4","topic":"T4"},{"id":"t5","topic":"T5"}]}
JSON
"$server" --bind 127.0.0.1 --port 0 --ephemeral --threads 2 --event "$work/event.json" \
  --rate-limit 0 --max-connections-per-ip 100000 >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do grep -q "listening on" "$work/server.log" && break; sleep 0.1; done
port=$(grep -oP 'listening on [^:]+:\K[0-9]+' "$work/server.log")

rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
: >"$work/rss"
( while kill -0 "$pid" 2>/dev/null; do rss >>"$work/rss"; sleep 5; done ) &
sampler=$!

# 5 tables x 40 members, 2 publishers per table at 10 msg/s, hops every 2 s.
set +e
"$loadgen" hop --port "$port" --tables 5 --members 40 --publishers 2 --rate 10 \
  --hop-interval 2 --duration "$seconds" --strict --json "$work/result.json" >"$work/loadgen.out" 2>&1
status=$?
set -e
tail -n 20 "$work/loadgen.out"
kill "$sampler" 2>/dev/null || true

mapfile -t samples <"$work/rss"
n=${#samples[@]}
if [ "$n" -lt 8 ]; then
  echo "soak: only $n RSS samples; run longer"
  exit "$status"
fi
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
early=$(median "${samples[@]:$((n / 4)):$((n / 4))}")
late=$(median "${samples[@]:$((3 * n / 4))}")
echo "soak: RSS after warm-up ${early} KiB, at the end ${late} KiB (limit +${growth_limit} KiB), ${n} samples"
if [ $((late - early)) -gt "$growth_limit" ]; then
  echo "soak: FAIL: RSS grew by $((late - early)) KiB"
  exit 1
fi
exit "$status"
