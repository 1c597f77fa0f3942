#!/usr/bin/env bash
# Runs roundtable-server behind the reverse-proxy configs that the README gives
# (packaging/proxy/nginx.conf and Caddyfile), each with TLS from a certificate
# made here with the openssl CLI, on free ports, and checks what a browser and
# an SDK need through them (tests/proxy/check.mjs). Usage:
# scripts/proxy-test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
build="${1:-build/release}"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "proxy-test: $*" >&2; exit 1; }
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# A CA and a certificate for roundtable.test (a name the check resolves to
# 127.0.0.1 itself) signed by it.
scripts/test-cert.sh "$work"

"$build/server/roundtable-server" --port 0 --ephemeral >"$work/server.out" 2>"$work/server.err" &
pids+=($!)
for _ in $(seq 100); do
  upstream=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/server.out")
  [ -n "$upstream" ] && break
  sleep 0.1
done
[ -n "${upstream:-}" ] || fail "roundtable-server did not start: $(cat "$work/server.err")"

# nginx: the README's server block, inside a minimal main config.
nginx_port=$(free_port)
mkdir -p "$work/nginx"
{
  printf 'pid %s/nginx.pid;\nerror_log %s/nginx/error.log;\nevents {}\nhttp {\n' "$work" "$work"
  printf 'access_log off;\nclient_body_temp_path %s/nginx;\nproxy_temp_path %s/nginx;\n' "$work" "$work"
  sed -e "s|listen 443 ssl;|listen 127.0.0.1:$nginx_port ssl;|" \
    -e "s|/etc/ssl/roundtable/fullchain.pem|$work/cert.pem|" \
    -e "s|/etc/ssl/roundtable/privkey.pem|$work/key.pem|" \
    -e "s|http://127.0.0.1:8080|http://127.0.0.1:$upstream|" packaging/proxy/nginx.conf
  printf '}\n'
} >"$work/nginx.conf"
grep -q "listen 127.0.0.1:$nginx_port ssl" "$work/nginx.conf" || fail "nginx.conf: no listen line to replace"
nginx -c "$work/nginx.conf" -g 'daemon off;' 2>"$work/nginx.err" &
pids+=($!)
wait_port "$nginx_port" || fail "nginx did not start: $(cat "$work/nginx.err")"
timeout 60 node tests/proxy/check.mjs "https://roundtable.test:$nginx_port" "$work/ca.pem"

# Caddy: the README's Caddyfile with this site address and certificate.
caddy_port=$(free_port)
{
  printf '{\n\tadmin off\n\tauto_https disable_redirects\n}\n'
  sed -e "s|^roundtable.example.org {|https://roundtable.test:$caddy_port {\n\ttls $work/cert.pem $work/key.pem|" \
    -e "s|127.0.0.1:8080|127.0.0.1:$upstream|" packaging/proxy/Caddyfile
} >"$work/Caddyfile"
grep -q "tls $work/cert.pem" "$work/Caddyfile" || fail "Caddyfile: no site line to replace"
XDG_DATA_HOME="$work/caddy" XDG_CONFIG_HOME="$work/caddy" HOME="$work" \
  caddy run --config "$work/Caddyfile" --adapter caddyfile >"$work/caddy.out" 2>&1 &
pids+=($!)
wait_port "$caddy_port" || fail "caddy did not start: $(cat "$work/caddy.out")"
timeout 60 node tests/proxy/check.mjs "https://roundtable.test:$caddy_port" "$work/ca.pem"
echo "proxy-test: nginx and Caddy configs pass"
