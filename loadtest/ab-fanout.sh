#!/usr/bin/env bash
# Side by side: two roundtable-server binaries (say, main and a change) take
# turns under the same fanout load (10 tables x 100 members), ROUNDS times
# each, and the script prints each run's figures and the ratios of the medians
# (server CPU per delivery, deliveries/s, p50, p99). A shared, noisy machine moves
# both alike when they alternate, so the ratio means more than either figure.
# SCENARIO=hop: the hop load instead (10 tables x 110 members, one publisher per
# table at RATE 10 msgs/s, the others hop every HOP_INTERVAL 1 s: about 1,000
# hops/s), with server cores, hops/s, hop p50 and p99, delivery p50 and p99, and
# server CPU per hop.
# Usage: loadtest/ab-fanout.sh OLD_SERVER NEW_SERVER [LOADGEN]
# Env: SCENARIO (fanout), ROUNDS (3), PUBLISHERS per table (fanout 2, hop 1), RATE per
#      publisher (fanout 100, hop 10 msgs/s), MEMBERS per table (fanout 100, hop 110),
#      HOP_INTERVAL (1 s), SECONDS_EACH (5), SERVER_THREADS (2), OLD_ARGS and NEW_ARGS (extra server
#      flags of each side, e.g. the same binary twice with NEW_ARGS="--redis-wait-replicas 1").
#      Both run --ephemeral; with REDIS_REPLICAS=N (0 or more) each side is two nodes
#      over a Redis master with N replicas instead (flushed before every run).
#      NEW_TLS=1: the new side serves wss:// (--tls-cert/--tls-key, a throwaway CA and
#      certificate for 127.0.0.1 from scripts/test-cert.sh) and the generator
#      verifies it (--tls-ca); the old side stays ws://. The TLS row of the comparison is
#      the same binary twice: NEW_TLS=1 loadtest/ab-fanout.sh SERVER SERVER. OLD_TLS=1 likewise
#      for the old side: both set, two binaries compare over wss://.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
old="${1:?usage: ab-fanout.sh OLD_SERVER NEW_SERVER [LOADGEN]}"
new="${2:?usage: ab-fanout.sh OLD_SERVER NEW_SERVER [LOADGEN]}"
loadgen="${3:-$root/build/release/loadtest/roundtable-loadgen}"
rounds="${ROUNDS:-3}"
scenario="${SCENARIO:-fanout}"
case "$scenario" in
  fanout) publishers="${PUBLISHERS:-2}" rate="${RATE:-100}" members="${MEMBERS:-100}" load=() ;;
  hop)
    publishers="${PUBLISHERS:-1}" rate="${RATE:-10}" members="${MEMBERS:-110}"
    load=(--hop-interval "${HOP_INTERVAL:-1}")
    ;;
  *) echo "SCENARIO: fanout or hop" >&2; exit 2 ;;
esac
seconds="${SECONDS_EACH:-5}"
threads="${SERVER_THREADS:-2}"
work="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)"
read -r -a old_args <<<"${OLD_ARGS:-}"
read -r -a new_args <<<"${NEW_ARGS:-}"
old_client=()
new_client=()
[ -n "${NEW_TLS:-}${OLD_TLS:-}" ] && "$root/scripts/test-cert.sh" "$work"
if [ -n "${NEW_TLS:-}" ]; then
  new_args+=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  new_client=(--tls-ca "$work/ca.pem")
fi
if [ -n "${OLD_TLS:-}" ]; then
  old_args+=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  old_client=(--tls-ca "$work/ca.pem")
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A Redis master and its replicas, without persistence; waits until every replica is in sync.
redis_port=""
if [ -n "${REDIS_REPLICAS:-}" ]; then
  redis_port="$(free_port)"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no --dir "$work" \
    --repl-diskless-sync-delay 0 >"$work/redis.log" 2>&1 &
  for i in $(seq "$REDIS_REPLICAS"); do
    mkdir "$work/replica$i" # each replica writes the RDB it syncs from
    redis-server --bind 127.0.0.1 --port "$(free_port)" --save "" --appendonly no \
      --dir "$work/replica$i" --replicaof 127.0.0.1 "$redis_port" >>"$work/redis.log" 2>&1 &
  done
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$redis_port" info replication 2>/dev/null | grep -c 'state=online')" = \
      "$REDIS_REPLICAS" ] && break
    sleep 0.1
  done
fi

{
  printf '{"id":"bench","title":"Bench","tables":['
  for i in $(seq 1 10); do
    [ "$i" -gt 1 ] && printf ','
    printf '{"id":"t%d","topic":"Table %d"}' "$i" "$i"
  done
  printf ']}\n'
} >"$work/event.json"

# start_node LOG BINARY ARGS...: one server; adds its pid and port to pids and ports.
start_node() {
  local log="$1" bin="$2" port="" scheme=http tls=()
  if [[ " $* " == *" --tls-cert "* ]]; then scheme=https tls=(--cacert "$work/ca.pem"); fi
  shift 2
  "$bin" --bind 127.0.0.1 --port 0 --threads "$threads" --event "$work/event.json" \
    --rate-limit 0 --max-connections-per-ip 100000 --log-level warn "$@" >"$log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    port="$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$log" | head -1)"
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "$log: the server did not start:" >&2; cat "$log" >&2; exit 1; }
  for _ in $(seq 100); do # ready: over Redis, its rooms are loaded
    [ "$(curl -s "${tls[@]}" -o /dev/null -w '%{http_code}' "$scheme://127.0.0.1:$port/readyz")" \
      = 200 ] && break
    sleep 0.1
  done
  ports+=("$port")
}

# run LABEL BINARY N ARGS...: one run; appends "label cpu_us_per_delivery
# deliveries_per_s p50_ms p99_ms problems ack_p50_ms ack_p99_ms" (fanout) or
# "label server_cores hops_per_s hop_p50_ms hop_p99_ms problems delivery_p50_ms
# delivery_p99_ms cpu_us_per_hop" (hop).
run() {
  local label="$1" bin="$2" n="$3" log="$work/$1-$3" node client
  shift 3
  if [ "$label" = new ]; then client=("${new_client[@]}"); else client=("${old_client[@]}"); fi
  pids=()
  ports=()
  if [ -n "$redis_port" ]; then
    redis-cli -p "$redis_port" flushall >/dev/null
    start_node "$log.server1" "$bin" --redis "redis://127.0.0.1:$redis_port" "$@"
    start_node "$log.server2" "$bin" --redis "redis://127.0.0.1:$redis_port" "$@"
  else
    start_node "$log.server" "$bin" --ephemeral "$@"
  fi
  "$loadgen" "$scenario" --protocol roundtable --port "$(IFS=,; echo "${ports[*]}")" \
    --server-pid "$(IFS=,; echo "${pids[*]}")" --threads 2 \
    --tables 10 --members "$members" --publishers "$publishers" --rate "$rate" "${load[@]}" \
    --duration "$seconds" "${client[@]}" --json "$log.json" >"$log.log" 2>&1 || true
  for node in "${pids[@]}"; do kill "$node"; done
  for node in "${pids[@]}"; do wait "$node" 2>/dev/null || true; done
  node -e '
    const r = require(process.argv[1]);
    const problems = r.losses + r.duplicates + r.out_of_order;
    const row = process.argv[3] === "hop"
      ? [(r.server_cpu_s / r.seconds).toFixed(2), Math.round(r.hops / r.seconds),
         r.hop.p50_ms.toFixed(2), r.hop.p99_ms.toFixed(2), problems,
         r.delivery.p50_ms.toFixed(2), r.delivery.p99_ms.toFixed(2),
         Math.round(r.server_cpu_s * 1e6 / Math.max(1, r.hops))]
      : [(r.server_cpu_s * 1e6 / Math.max(1, r.delivered)).toFixed(3),
         Math.round(r.deliveries_per_s), r.delivery.p50_ms.toFixed(2),
         r.delivery.p99_ms.toFixed(2), problems, r.ack.p50_ms.toFixed(2), r.ack.p99_ms.toFixed(2)];
    console.log([process.argv[2], ...row].join(" "));
  ' "$log.json" "$label" "$scenario" | tee -a "$work/rows"
}

scheme() { if [ -n "$1" ]; then echo wss://; else echo ws://; fi; }
echo "$scenario, server --threads $threads; old: $(scheme "${OLD_TLS:-}"), new: $(scheme "${NEW_TLS:-}")"
if [ "$scenario" = hop ]; then
  echo "label server_cores hops_per_s hop_p50_ms hop_p99_ms problems delivery_p50_ms delivery_p99_ms cpu_us_per_hop"
else
  echo "label cpu_us_per_delivery deliveries_per_s p50_ms p99_ms problems ack_p50_ms ack_p99_ms"
fi
for n in $(seq 1 "$rounds"); do
  run old "$old" "$n" "${old_args[@]}"
  run new "$new" "$n" "${new_args[@]}"
done
node -e '
  const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")
    .map((l) => l.split(" "));
  const med = (label, i) => {
    const v = rows.filter((r) => r[0] === label).map((r) => Number(r[i])).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)];
  };
  const names = process.argv[2] === "hop"
    ? ["server cores", "hops/s", "hop p50", "hop p99", "problems", "delivery p50", "delivery p99",
       "server CPU per hop (µs)"]
    : ["CPU per delivery", "deliveries/s", "p50", "p99", "problems", "ack p50", "ack p99"];
  names.forEach((name, k) => {
    const o = med("old", k + 1), n = med("new", k + 1);
    if (name === "problems") return console.log(`problems (losses, duplicates, disorder): old ${o}, new ${n}`);
    console.log(`${name}: old ${o}, new ${n}, new/old ${(n / o).toFixed(2)}`);
  });
' "$work/rows" "$scenario"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
