#!/usr/bin/env bash
# Runs roundtable-server with its own TLS (--tls-cert/--tls-key) on a free port,
# with a CA and a certificate made here by the openssl CLI, and checks it as a
# browser and an SDK reach it (tests/proxy/check.mjs, the same check as behind
# nginx and Caddy), then plain ws/http refused and a SIGHUP reload while a
# connection stays up (tests/tls/reload.mjs), then that a silent client is cut off
# at --handshake-timeout before and after the TLS handshake. Usage: scripts/tls-test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "tls-test: $*" >&2; exit 1; }

scripts/test-cert.sh "$work"

# start_server NAME ARGS...: the server with TLS and ARGS, its output in
# $work/NAME.out and .err; sets pid and port.
start_server() {
  local name="$1"
  shift
  "$build/server/roundtable-server" --port 0 --ephemeral --tls-cert "$work/cert.pem" \
    --tls-key "$work/key.pem" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  pid=$!
  port=
  for _ in $(seq 100); do
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/$name.out")
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || fail "roundtable-server did not start: $(cat "$work/$name.err")"
}

start_server server
grep -q "^open https://" "$work/server.out" || fail "the server does not say https: $(cat "$work/server.out")"

timeout 60 node tests/proxy/check.mjs "https://roundtable.test:$port" "$work/ca.pem"
timeout 60 node tests/tls/reload.mjs "$port" "$work/ca.pem" "$work" "$pid"
grep -q '"msg":"tls reloaded"' "$work/server.err" || fail "no reload in the log: $(cat "$work/server.err")"

# The HTTP phase's deadline under TLS (--handshake-timeout): a client that opens
# the connection and says nothing, before the TLS handshake or after it, is cut off.
kill "$pid" && wait "$pid" 2>/dev/null || true
start_server deadline --handshake-timeout 1
timeout 30 python3 - "$port" "$work/ca.pem" <<'PY' || fail "a silent client was not cut off"
import socket, ssl, sys
port, ca = int(sys.argv[1]), sys.argv[2]
def cut_off(sock):
    # The server closes within its 1 s deadline; 10 s would mean it never does.
    sock.settimeout(10)
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True
    except socket.timeout:
        return False
raw = socket.create_connection(("127.0.0.1", port))
before = cut_off(raw)
ctx = ssl.create_default_context(cafile=ca)
tls = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10),
                      server_hostname="127.0.0.1")
after = cut_off(tls)
print(f"tls deadline: silent before the handshake cut off: {before}; after it: {after}")
sys.exit(0 if before and after else 1)
PY
echo "tls-test: the server's own TLS passes"
