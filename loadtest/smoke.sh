#!/usr/bin/env bash
# A few-second smoke run of every load scenario (fanout, hop, broadcast, idle) at small
# sizes against a roundtable-server this script starts itself on a free port, then the
# fanout again over wss:// (a second server with --tls-cert/--tls-key, the generator
# verifying its certificate with --tls-ca; skipped for a server without TLS options). Exits
# non-zero on any loss, duplicate, disorder, protocol error or dropped connection
# (the generator runs with --strict), or when the server does not start.
#
#   loadtest/smoke.sh [BUILD_DIR]        (default: build/release)
# Env: ROUNDTABLE_SERVER / ROUNDTABLE_LOADGEN override the binaries;
#      SMOKE_TARGET=ws runs against the Node ws peer instead (loadtest/peers, needs
#      node_modules), SMOKE_PEER_ARGS adds flags to that peer (e.g. "--fault 50").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
server_bin="${ROUNDTABLE_SERVER:-$build/server/roundtable-server}"
loadgen="${ROUNDTABLE_LOADGEN:-$build/loadtest/roundtable-loadgen}"
target="${SMOKE_TARGET:-roundtable}"

[ -x "$loadgen" ] || { echo "smoke: no load generator at $loadgen" >&2; exit 2; }
work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cat >"$work/event.json" <<'EOF'
{"id":"smoke","title":"Smoke","tables":[{"id":"t1","topic":"T1"},{"id":"t2","topic":"T2"},{"id":"t3","topic":"T3"}]}
EOF

# Starts the target (ARGS: extra server flags) and sets server_pid and port from its
# "listening on HOST:PORT" line.
start_target() {
  if [ "$target" = ws ]; then
    # shellcheck disable=SC2086
    node "$root/loadtest/peers/ws-server.js" --port 0 --event "$work/event.json" ${SMOKE_PEER_ARGS:-} \
      >"$work/server.log" 2>&1 &
  else
    [ -x "$server_bin" ] || { echo "smoke: no server at $server_bin" >&2; exit 2; }
    local help args=(--bind 127.0.0.1 --port 0 --ephemeral --threads 2 --event "$work/event.json")
    help="$("$server_bin" --help 2>&1 || true)"
    # The limits meant for the open internet would cut a load test from one address short.
    grep -q -- --rate-limit <<<"$help" && args+=(--rate-limit 0)
    grep -q -- --max-connections-per-ip <<<"$help" && args+=(--max-connections-per-ip 100000)
    grep -q -- --log-level <<<"$help" && args+=(--log-level warn)
    "$server_bin" "${args[@]}" "$@" >"$work/server.log" 2>&1 &
  fi
  server_pid=$!
  for _ in $(seq 100); do
    port="$(sed -n 's/.*listening on [0-9.]*:\([0-9]*\).*/\1/p' "$work/server.log" | head -1)"
    [ -n "$port" ] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "smoke: $target did not start:" >&2
  cat "$work/server.log" >&2
  exit 1
}

# The generator's flags for the target started last (ARGS: more of them).
use_target() {
  common=(--port "$port" --threads 2 --strict --server-pid "$server_pid" --connect-timeout 20 "$@")
}

start_target
use_target
failed=0
run() {
  local name="$1"
  shift
  echo "--- smoke: $name"
  if ! timeout 60 "$loadgen" "$name" "${common[@]}" "$@" --json "$work/$name.json" \
      >"$work/$name.out" 2>&1; then
    failed=1
    echo "smoke: $name FAILED" >&2
  fi
  sed -n '/^== /,$p' "$work/$name.out"
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "smoke: the server died during $name:" >&2
    tail -20 "$work/server.log" >&2
    exit 1
  fi
}

run fanout --tables 3 --members 20 --publishers 2 --rate 10 --duration 2
run hop --tables 3 --members 20 --publishers 2 --rate 5 --hop-interval 0.5 --duration 3
run broadcast --step 100 --max-clients 300 --senders 4 --rounds 3 --duration 20
run idle --connections 200 --duration 1

if [ "$target" = roundtable ] && grep -q -- --tls-cert <<<"$("$server_bin" --help 2>&1 || true)"; then
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
  "$root/scripts/test-cert.sh" "$work"
  start_target --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
  # A CA file that is missing or holds no certificate is a bad option (exit 2), not a run.
  for bad in "$work/none.pem" "$work/event.json"; do
    rc=0
    "$loadgen" fanout --port "$port" --tls-ca "$bad" >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] || { echo "smoke: --tls-ca $bad exited $rc, not 2" >&2; failed=1; }
  done
  use_target --tls-ca "$work/ca.pem"
  echo "--- smoke: over wss://"
  run fanout --tables 3 --members 20 --publishers 2 --rate 10 --duration 2
else
  echo "--- smoke: wss:// skipped (the target is not a roundtable-server with --tls-cert)"
fi

if [ "$failed" -ne 0 ]; then
  echo "smoke: FAILED (server log tail below)" >&2
  tail -20 "$work/server.log" >&2
  exit 1
fi
echo "smoke: all scenarios passed"
