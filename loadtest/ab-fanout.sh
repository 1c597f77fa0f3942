#!/usr/bin/env bash
# Side by side: two roundtable-server binaries (say, main and a change) take
# turns under the same fanout load (10 tables x 100 members), ROUNDS times
# each, and the script prints each run's figures and the ratios of the medians
# (server CPU per delivery, deliveries/s, p99). A shared, noisy machine moves
# both alike when they alternate, so the ratio means more than either figure.
# Usage: loadtest/ab-fanout.sh OLD_SERVER NEW_SERVER [LOADGEN]
# Env: ROUNDS (3), PUBLISHERS per table (2), RATE per publisher (100 msgs/s),
#      SECONDS_EACH (5), SERVER_THREADS (2). Both run --ephemeral.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
old="${1:?usage: ab-fanout.sh OLD_SERVER NEW_SERVER [LOADGEN]}"
new="${2:?usage: ab-fanout.sh OLD_SERVER NEW_SERVER [LOADGEN]}"
loadgen="${3:-$root/build/release/loadtest/roundtable-loadgen}"
rounds="${ROUNDS:-3}"
publishers="${PUBLISHERS:-2}"
rate="${RATE:-100}"
seconds="${SECONDS_EACH:-5}"
threads="${SERVER_THREADS:-2}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)"

{
  printf '{"id":"bench","title":"Bench","tables":['
  for i in $(seq 1 10); do
    [ "$i" -gt 1 ] && printf ','
    printf '{"id":"t%d","topic":"Table %d"}' "$i" "$i"
  done
  printf ']}\n'
} >"$work/event.json"

# run LABEL BINARY N: one fanout run; appends "label cpu_us_per_delivery deliveries_per_s p99_ms".
run() {
  local label="$1" bin="$2" n="$3" log="$work/$1-$3"
  "$bin" --bind 127.0.0.1 --port 0 --ephemeral --threads "$threads" --event "$work/event.json" \
    --rate-limit 0 --max-connections-per-ip 100000 --log-level warn >"$log.server" 2>&1 &
  local pid=$! port=""
  for _ in $(seq 100); do
    port="$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$log.server" | head -1)"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "$label did not start:" >&2; cat "$log.server" >&2; exit 1; }
  "$loadgen" fanout --protocol roundtable --port "$port" --server-pid "$pid" --threads 2 \
    --tables 10 --members 100 --publishers "$publishers" --rate "$rate" \
    --duration "$seconds" --json "$log.json" >"$log.log" 2>&1 || true
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  node -e '
    const r = require(process.argv[1]);
    const per = r.server_cpu_s * 1e6 / Math.max(1, r.delivered);
    console.log([process.argv[2], per.toFixed(3), Math.round(r.deliveries_per_s),
                 r.delivery.p99_ms.toFixed(2), r.losses + r.duplicates + r.out_of_order].join(" "));
  ' "$log.json" "$label" | tee -a "$work/rows"
}

echo "label cpu_us_per_delivery deliveries_per_s p99_ms problems"
for n in $(seq 1 "$rounds"); do
  run old "$old" "$n"
  run new "$new" "$n"
done
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
    .map((l) => l.split(" "));
  const med = (label, i) => {
    const v = rows.filter((r) => r[0] === label).map((r) => Number(r[i])).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  const names = ["CPU per delivery", "deliveries/s", "p99"];
  names.forEach((name, k) => {
    const o = med("old", k + 1), n = med("new", k + 1);
    console.log(`${name}: old ${o}, new ${n}, new/old ${(n / o).toFixed(2)}`);
  });
' "$work/rows"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
