#!/usr/bin/env bash
# Runs roundtable-server with its own TLS (--tls-cert/--tls-key) on a free port,
# with a CA and a certificate made here by the openssl CLI, and checks it as a
# browser and an SDK reach it (tests/proxy/check.mjs, the same check as behind
# nginx and Caddy), then plain ws/http refused and a SIGHUP reload while a
# connection stays up (tests/tls/reload.mjs). Usage: scripts/tls-test.sh [BUILD_DIR]
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

"$build/server/roundtable-server" --port 0 --ephemeral --tls-cert "$work/cert.pem" \
  --tls-key "$work/key.pem" >"$work/server.out" 2>"$work/server.err" &
pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/server.out")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "${port:-}" ] || fail "roundtable-server did not start: $(cat "$work/server.err")"
grep -q "^open https://" "$work/server.out" || fail "the server does not say https: $(cat "$work/server.out")"

timeout 60 node tests/proxy/check.mjs "https://roundtable.test:$port" "$work/ca.pem"
timeout 60 node tests/tls/reload.mjs "$port" "$work/ca.pem" "$work" "$pid"
grep -q '"msg":"tls reloaded"' "$work/server.err" || fail "no reload in the log: $(cat "$work/server.err")"
echo "tls-test: the server's own TLS passes"
