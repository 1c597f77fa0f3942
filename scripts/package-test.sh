#!/usr/bin/env bash
# Builds the Debian package from a release build, installs it on this machine,
# starts the installed server the way its systemd unit does (the unit's
# ExecStart line, as the `roundtable` user, with the unit's environment file)
# on a free port, checks /healthz and /readyz, --version, the data dir's and the
# settings file's owner and mode, `token --config`, stops it with SIGTERM
# (exit 0), then purges the package.
# Needs root (dpkg). Usage: scripts/package-test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/release}"
version=$(sed -n 's/^project(roundtable VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  dpkg --purge roundtable >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "package-test: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$work" >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log" >&2; fail "cpack failed"; }
deb=$(ls "$work"/roundtable_"$version"_*.deb) || fail "no .deb for version $version"
info=$(dpkg-deb --info "$deb")
grep -q "Depends:.*libhiredis" <<<"$info" || fail "the package does not depend on libhiredis"
dpkg -i "$deb" >/dev/null || fail "dpkg -i failed"

for f in /usr/bin/roundtable-server /usr/lib/systemd/system/roundtable.service \
  /usr/share/roundtable/web-client/public/index.html /usr/share/roundtable/web-client/sdk/roundtable.js \
  /etc/default/roundtable /etc/roundtable/roundtable.conf /usr/share/doc/roundtable/LICENSE; do
  [ -e "$f" ] || fail "$f is not installed"
done
getent passwd roundtable >/dev/null || fail "no roundtable user"
[ "$(stat -c '%U %a' /var/lib/roundtable)" = "roundtable 700" ] || fail "/var/lib/roundtable is not roundtable's, mode 700"
[ "$(stat -c '%a' /etc/default/roundtable)" = "600" ] || fail "/etc/default/roundtable is not mode 600"
[ "$(/usr/bin/roundtable-server --version)" = "roundtable-server $version" ] || fail "--version"
[ "$(stat -c '%U %G %a' /etc/roundtable/roundtable.conf)" = "root roundtable 640" ] ||
  fail "/etc/roundtable/roundtable.conf is not root:roundtable, mode 640"
dpkg-query -W -f='${Conffiles}' roundtable | grep -q ' /etc/roundtable/roundtable.conf ' ||
  fail "/etc/roundtable/roundtable.conf is not a conffile"
grep -q '^ExecStart=/usr/bin/roundtable-server --config /etc/roundtable/roundtable.conf ' \
  /usr/lib/systemd/system/roundtable.service || fail "the unit does not read --config"
token=$(ROUNDTABLE_SECRET=package-test-secret-0123456789 /usr/bin/roundtable-server token \
  --config /etc/roundtable/roundtable.conf --role chair --name Ada) || fail "token --config"
[ "$(tr -cd . <<<"$token")" = ".." ] || fail "token --config printed no JWT"

# The unit's ExecStart, with a free port (a later flag overrides an earlier one).
exec_start=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/roundtable.service)
set -a
# shellcheck disable=SC1091
. /etc/default/roundtable
set +a
ROUNDTABLE_OPTS="$ROUNDTABLE_OPTS --port 0"
cmd=${exec_start//\$ROUNDTABLE_OPTS/$ROUNDTABLE_OPTS}
# shellcheck disable=SC2086
setpriv --reuid roundtable --regid roundtable --clear-groups -- $cmd >"$work/out" 2>"$work/err" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/err" >&2; fail "the installed server exited at start"; }
  sleep 0.1
done
[ -n "$port" ] || fail "the installed server did not print its port"
ready=""
for _ in $(seq 100); do
  ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz" || true)
  [ "$ready" = 200 ] && break
  sleep 0.1
done
[ "$ready" = 200 ] || fail "/readyz answered $ready"
page=$(curl -sf "http://127.0.0.1:$port/") || fail "the installed web client is not served"
grep -qi "<html" <<<"$page" || fail "the installed web client's page is not HTML"
[ -e /var/lib/roundtable/roundtable.db ] || fail "no store in /var/lib/roundtable"
[ "$(stat -c %U /var/lib/roundtable/roundtable.db)" = roundtable ] || fail "the store is not the service user's"
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
[ "$code" = 0 ] || fail "SIGTERM: exit $code"
dpkg --purge roundtable >/dev/null || fail "purge failed"
[ ! -e /usr/bin/roundtable-server ] || fail "purge left the binary"
! getent passwd roundtable >/dev/null || fail "purge left the user"
echo "package-test: roundtable_${version} installed, served /readyz as the roundtable user, purged"
