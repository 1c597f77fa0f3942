#!/usr/bin/env bash
# One command for the benchmark comparison: builds the server and the load generator
# (CMake preset release, loadtest on), installs the Node peers, then for each target
# (Roundtable with --ephemeral on SERVER_THREADS threads and on one thread, and with its
# SQLite data dir; the C++ ceiling peer; Node ws; Socket.IO; Socket.IO on two nodes over the
# Redis adapter; Roundtable's Redis engine when the server offers --redis) runs fanout (10 tables x 100
# participants, rates stepping up until the target saturates), hop, idle (memory per
# connection) and broadcast (websocket-shootout score), each against a freshly started
# target on free ports, then the TLS row (target tls: the same server's fanout over wss://
# against ws://, taking turns, loadtest/ab-fanout.sh with NEW_TLS=1). Writes loadtest/RESULTS.md and
# build/comparison/latency-vs-throughput.png (gnuplot). Only 127.0.0.1 is used.
# About 10 minutes on 2 cores.
#
# Env: ROUNDTABLE_BUILD_DIR (use an already configured build folder instead of the
#      release preset), ROUNDTABLE_SERVER, ROUNDTABLE_LOADGEN and ROUNDTABLE_CEILING
#      (binaries to use; with all three set nothing is built), FANOUT_RATES (messages/s per
#      table, default "10 50 100 200 400 800 1600 3200"), FANOUT_SECONDS (5), HOP_SECONDS (10),
#      LOADGEN_THREADS (2), SERVER_THREADS (2), IDLE_CONNECTIONS (5000), BROADCAST_MAX
#      (8000), TLS_ROUNDS (3) and TLS_RATE (5 messages/s per publisher, 2 per table) for
#      the TLS row, TARGETS (default all).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/build/comparison"
read -r -a rates <<<"${FANOUT_RATES:-10 50 100 200 400 800 1600 3200}"
fanout_seconds="${FANOUT_SECONDS:-5}"
hop_seconds="${HOP_SECONDS:-10}"
lg_threads="${LOADGEN_THREADS:-2}"
idle_connections="${IDLE_CONNECTIONS:-5000}"
broadcast_max="${BROADCAST_MAX:-8000}"
server_threads="${SERVER_THREADS:-2}"
read -r -a wanted <<<"${TARGETS:-roundtable roundtable-1 ceiling roundtable-durable roundtable-redis ws socketio socketio-redis tls}"
started_at=$(date +%s)
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"

build="${ROUNDTABLE_BUILD_DIR:-$root/build/release}"
if [ -z "${ROUNDTABLE_SERVER:-}" ] || [ -z "${ROUNDTABLE_LOADGEN:-}" ] ||
  [ -z "${ROUNDTABLE_CEILING:-}" ]; then
  if [ -z "${ROUNDTABLE_BUILD_DIR:-}" ]; then
    if [ ! -f "$build/build.ninja" ]; then
      cmake --preset release -DROUNDTABLE_BUILD_LOADTEST=ON >/dev/null
    else
      cmake -S "$root" -B "$build" -DROUNDTABLE_BUILD_LOADTEST=ON >/dev/null
    fi
  fi
  echo "== building roundtable-server, roundtable-loadgen and roundtable-ceiling in $build"
  cmake --build "$build" -j "${ROUNDTABLE_JOBS:-2}" \
    --target roundtable-server roundtable-loadgen roundtable-ceiling
fi

rm -rf "$out"
mkdir -p "$out"
# A private copy: a rebuild during the run must not change the binary under test.
cp "${ROUNDTABLE_SERVER:-$build/server/roundtable-server}" "$out/roundtable-server"
server="$out/roundtable-server"
loadgen="$out/roundtable-loadgen"
cp "${ROUNDTABLE_LOADGEN:-$build/loadtest/roundtable-loadgen}" "$loadgen"
ceiling="$out/roundtable-ceiling"
cp "${ROUNDTABLE_CEILING:-$build/loadtest/roundtable-ceiling}" "$ceiling"

if [ ! -d loadtest/peers/node_modules ]; then
  echo "== installing the Node peers (npm ci)"
  (cd loadtest/peers && npm ci --no-audit --no-fund)
fi
if ! command -v gnuplot >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    echo "== installing gnuplot-nox for the picture"
    apt-get install -y gnuplot-nox >/dev/null 2>&1 || true
  fi
fi
ulimit -n "$(ulimit -Hn)"

{
  printf '{"id":"bench","title":"Bench","tables":['
  for i in $(seq 1 10); do
    [ "$i" -gt 1 ] && printf ','
    printf '{"id":"t%d","topic":"Table %d"}' "$i" "$i"
  done
  printf ']}\n'
} >"$out/event.json"

pids=()
redis_pid=""
cleanup() {
  for p in "${pids[@]}" $redis_pid; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

# Waits for "listening on HOST:PORT" in a log; prints the port.
wait_port() {
  local log="$1" pid="$2" port
  for _ in $(seq 150); do
    port="$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$log" | head -1)"
    if [ -n "$port" ]; then
      echo "$port"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "target did not start, log $log:" >&2
  cat "$log" >&2
  return 1
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

start_redis() {
  [ -n "$redis_pid" ] && return 0
  redis_port="$(free_port)"
  redis-server --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no \
    >"$out/redis.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  echo "redis-server did not start" >&2
  return 1
}

server_help="$("$server" --help 2>&1 || true)"
rt_args=(--bind 127.0.0.1 --port 0 --ephemeral --threads "$server_threads" --event "$out/event.json")
grep -q -- --rate-limit <<<"$server_help" && rt_args+=(--rate-limit 0)
grep -q -- --max-connections-per-ip <<<"$server_help" && rt_args+=(--max-connections-per-ip 100000)
grep -q -- --log-level <<<"$server_help" && rt_args+=(--log-level warn)

# Starts target $1 (log prefix $2); sets target_ports and target_pids (comma lists).
start_target() {
  local id="$1" log="$2" p1 p2
  pids=()
  case "$id" in
    roundtable)
      "$server" "${rt_args[@]}" >"$log.server" 2>&1 &
      pids+=($!)
      ;;
    roundtable-1)
      "$server" "${rt_args[@]}" --threads 1 >"$log.server" 2>&1 &
      pids+=($!)
      ;;
    ceiling)
      "$ceiling" --port 0 --event "$out/event.json" >"$log.server" 2>&1 &
      pids+=($!)
      ;;
    roundtable-durable)
      # The embedded default: the memory engine writing to its SQLite store.
      rm -rf "$log.data"
      "$server" "${rt_args[@]}" --data-dir "$log.data" >"$log.server" 2>&1 &
      pids+=($!)
      ;;
    roundtable-redis)
      start_redis
      redis-cli -p "$redis_port" flushall >/dev/null
      "$server" "${rt_args[@]}" --redis "redis://127.0.0.1:$redis_port" >"$log.server" 2>&1 &
      pids+=($!)
      "$server" "${rt_args[@]}" --redis "redis://127.0.0.1:$redis_port" >"$log.server2" 2>&1 &
      pids+=($!)
      ;;
    ws)
      node loadtest/peers/ws-server.js --port 0 --event "$out/event.json" >"$log.server" 2>&1 &
      pids+=($!)
      ;;
    socketio)
      node loadtest/peers/socketio-server.js --port 0 --event "$out/event.json" \
        >"$log.server" 2>&1 &
      pids+=($!)
      ;;
    socketio-redis)
      start_redis
      redis-cli -p "$redis_port" flushall >/dev/null
      for n in 1 2; do
        node loadtest/peers/socketio-server.js --port 0 --event "$out/event.json" \
          --redis "redis://127.0.0.1:$redis_port" >"$log.server$n" 2>&1 &
        pids+=($!)
      done
      ;;
  esac
  case "$id" in
    roundtable-redis)
      p1="$(wait_port "$log.server" "${pids[0]}")" || return 1
      p2="$(wait_port "$log.server2" "${pids[1]}")" || return 1
      target_ports="$p1,$p2"
      ;;
    socketio-redis)
      p1="$(wait_port "$log.server1" "${pids[0]}")" || return 1
      p2="$(wait_port "$log.server2" "${pids[1]}")" || return 1
      target_ports="$p1,$p2"
      ;;
    *) target_ports="$(wait_port "$log.server" "${pids[0]}")" || return 1 ;;
  esac
  target_pids="$(IFS=,; echo "${pids[*]}")"
}

stop_target() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}

# Field $2 of JSON file $1 (a number), or -1.
json_field() {
  node -e "try{const r=JSON.parse(require('fs').readFileSync('$1','utf8'));const v='$2'.split('.').reduce((o,k)=>o[k],r);console.log(v===undefined?-1:v)}catch(e){console.log(-1)}"
}

notes=""
proto_of() { [[ $1 == socketio* ]] && echo socketio || echo roundtable; }

# Targets take turns at every step (rather than one after the other) so that anything
# else running on the machine weighs on all of them alike.
declare -A label stop_note steps_json done_stepping
active=()
targets_json="["
for id in "${wanted[@]}"; do
  case "$id" in
    roundtable) label[$id]="Roundtable (C++, $server_threads threads)" ;;
    roundtable-1) label[$id]="Roundtable (C++, 1 thread)" ;;
    ceiling) label[$id]="Ceiling peer (C++ epoll, 1 thread)" ;;
    roundtable-durable) label[$id]="Roundtable with its data dir (SQLite), vs --ephemeral above" ;;
    roundtable-redis) label[$id]="Roundtable, 2 nodes over Redis" ;;
    ws) label[$id]="Node ws (1 process)" ;;
    socketio) label[$id]="Socket.IO (1 process)" ;;
    socketio-redis) label[$id]="Socket.IO, 2 nodes over the Redis adapter" ;;
    tls) continue ;; # not stepped: its own A/B run after the others
    *) echo "unknown target $id" >&2; exit 2 ;;
  esac
  if [ "$id" = roundtable-redis ] && ! grep -q -- --redis <<<"$server_help"; then
    [ "$targets_json" != "[" ] && targets_json+=","
    targets_json+="{\"id\":\"$id\",\"label\":\"${label[$id]}\",\"skipped\":\"roundtable-server --help lists no --redis yet (the Redis engine is not ready)\"}"
    notes+="Roundtable over Redis: skipped, \`roundtable-server --help\` lists no \`--redis\` yet."$'\n'
    continue
  fi
  active+=("$id")
  stop_note[$id]=""
  steps_json[$id]=""
  done_stepping[$id]=0
done

# Runs one fanout step of target $1 at $2 messages/s per table; marks the target done
# when it saturated (under 90 % of the offered deliveries, or p99 over 1 s) or failed.
fanout_step() {
  local id="$1" rate="$2" publishers per log rc alive offered got p99
  publishers=$(((rate + 49) / 50))
  per=$(node -e "console.log($rate/$publishers)")
  log="$out/$id-fanout-$rate"
  echo "== $id fanout: $rate msgs/s per table ($publishers publishers x $per/s)"
  [ -n "${steps_json[$id]}" ] && steps_json[$id]+=","
  steps_json[$id]+="{\"rate\":$rate,\"publishers\":$publishers}"
  if ! start_target "$id" "$log"; then
    stop_note[$id]="the target did not start at $rate msgs/s per table"
    done_stepping[$id]=1
    return
  fi
  set +e
  timeout 120 "$loadgen" fanout --protocol "$(proto_of "$id")" \
    --port "$target_ports" --server-pid "$target_pids" --threads "$lg_threads" \
    --tables 10 --members 100 --publishers "$publishers" --rate "$per" \
    --duration "$fanout_seconds" --json "$log.json" >"$log.log" 2>&1
  rc=$?
  set -e
  sed -n '/^== /,$p' "$log.log"
  alive=1
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || alive=0; done
  stop_target
  if [ "$alive" = 0 ]; then
    stop_note[$id]="the target died at $rate msgs/s per table (see $log.server)"
    done_stepping[$id]=1
    return
  fi
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
    stop_note[$id]="the generator failed (exit $rc) at $rate msgs/s per table"
    done_stepping[$id]=1
    return
  fi
  offered=$((rate * 10 * 100))
  got="$(json_field "$log.json" deliveries_per_s)"
  p99="$(json_field "$log.json" delivery.p99_ms)"
  if node -e "process.exit(($got < 0.9*$offered) || ($p99 > 1000) ? 0 : 1)"; then
    stop_note[$id]="saturated at $rate msgs/s per table: $(printf '%.0f' "$got") of $offered deliveries/s offered, p99 $p99 ms"
    done_stepping[$id]=1
  fi
}

# Runs scenario $2 (hop, idle, broadcast) against target $1.
other_scenario() {
  local id="$1" scenario="$2" log="$out/$1-$2" args
  case "$scenario" in
    # 980 hoppers, each every 0.98 s: the 1,000 hops/s issue 13's target names.
    hop) args=(--tables 10 --members 100 --publishers 2 --rate 5 --hop-interval 0.98 --duration "$hop_seconds") ;;
    idle) args=(--connections "$idle_connections" --duration 2) ;;
    broadcast) args=(--step 1000 --max-clients "$broadcast_max" --senders 4 --rounds 5 --limit-ms 500 --duration 90) ;;
  esac
  echo "== $id $scenario"
  start_target "$id" "$log" || return 0
  set +e
  timeout 180 "$loadgen" "$scenario" --protocol "$(proto_of "$id")" \
    --port "$target_ports" --server-pid "$target_pids" --threads "$lg_threads" \
    "${args[@]}" --json "$log.json" >"$log.log" 2>&1
  set -e
  sed -n '/^== /,$p' "$log.log"
  stop_target
}

for rate in "${rates[@]}"; do
  for id in "${active[@]}"; do
    [ "${done_stepping[$id]}" = 1 ] || fanout_step "$id" "$rate"
  done
done
for scenario in hop idle broadcast; do
  for id in "${active[@]}"; do other_scenario "$id" "$scenario"; done
done

for id in "${active[@]}"; do
  stop_json="$(node -e 'console.log(JSON.stringify(process.argv[1]))' "${stop_note[$id]}")"
  [ "$targets_json" != "[" ] && targets_json+=","
  targets_json+="{\"id\":\"$id\",\"label\":\"${label[$id]}\",\"steps\":[${steps_json[$id]}],\"stop\":$stop_json}"
done
targets_json+="]"
echo "$targets_json" >"$out/targets.json"

if [[ " ${wanted[*]} " == *" tls "* ]]; then
  if grep -q -- --tls-cert <<<"$server_help"; then
    echo "== tls: fanout over wss:// against ws://, the same server taking turns"
    NEW_TLS=1 ROUNDS="${TLS_ROUNDS:-3}" RATE="${TLS_RATE:-5}" SECONDS_EACH="$fanout_seconds" \
      SERVER_THREADS="$server_threads" loadtest/ab-fanout.sh "$server" "$server" "$loadgen" |
      tee "$out/tls.txt"
  else
    notes+="TLS row: skipped, \`roundtable-server --help\` lists no \`--tls-cert\`."$'\n'
  fi
fi

elapsed=$(($(date +%s) - started_at))
notes+="Whole comparison took ${elapsed} s including the build; fanout steps ${fanout_seconds} s each, hop ${hop_seconds} s; generator threads ${lg_threads}."$'\n'
notes+="Load average (1/5/15 min) before the run: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg). Anything else running on the cores (builds, tests) shows up as latency here."$'\n'
notes+="Server under test: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown) (git HEAD at the run)."$'\n'
# The settings that change what is measured go into the recorded command line.
cmdline="loadtest/run-comparison.sh"
for v in FANOUT_RATES FANOUT_SECONDS HOP_SECONDS LOADGEN_THREADS SERVER_THREADS \
  IDLE_CONNECTIONS BROADCAST_MAX TLS_ROUNDS TLS_RATE TARGETS; do
  [ -n "${!v:-}" ] && cmdline="$v=\"${!v}\" $cmdline"
done
node loadtest/report.js "$out" loadtest/RESULTS.md "$cmdline" "$notes"
if [ -s "$out/tls.txt" ]; then
  {
    echo
    echo "## TLS: fanout over wss:// against ws://"
    echo
    echo "The same server binary with and without \`--tls-cert/--tls-key\` (a throwaway CA),"
    echo "taking turns; 10 tables x 100 participants, 2 publishers per table at"
    echo "${TLS_RATE:-5} messages/s each. \`new\` is wss://, \`old\` ws://; ratios are new/old of"
    echo "the medians. Server CPU per delivery in µs; p50/p99 of delivery in ms."
    echo
    echo '```'
    cat "$out/tls.txt"
    echo '```'
  } >>loadtest/RESULTS.md
fi
# The hand-written part: targets, profile, changes.
cat loadtest/PROFILE.md >>loadtest/RESULTS.md
cat loadtest/POLLS.md >>loadtest/RESULTS.md  # measured by polls-cost.mjs, not by this script
if command -v gnuplot >/dev/null; then
  gnuplot "$out/plot.gp" && echo "picture: $out/latency-vs-throughput.png"
else
  echo "gnuplot not found: no picture (apt-get install gnuplot-nox)"
fi
echo "results: loadtest/RESULTS.md"
