#!/usr/bin/env bash
# Installs what Roundtable needs to build, run and test on Debian 12, as root.
# Idempotent and quiet when everything is already there: apt-get runs only when
# a package is missing, npm only when a package.json changed since its install.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build ccache pkg-config curl dpkg-dev
  libboost1.81-dev libboost-url1.81-dev libboost-program-options1.81-dev libhiredis-dev libsimdjson-dev catch2 libssl-dev libsqlite3-dev
  redis-server redis-tools
  clang-14 libclang-rt-14-dev
  nodejs npm chromium chromium-driver gnuplot-nox
  nginx caddy openssl
)

missing=()
for p in "${packages[@]}"; do
  [ -z "$p" ] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node 20 may come from outside apt (nodesource or a tarball): only install the
# apt one when there is no node at all.
if command -v node >/dev/null 2>&1; then
  filtered=()
  for p in "${missing[@]}"; do
    case "$p" in nodejs|npm) ;; *) filtered+=("$p") ;; esac
  done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# JS dependencies (web client tests, load-test peers), each folder with a lock.
for dir in web-client loadtest/peers; do
  [ -f "$dir/package.json" ] || continue
  stamp="$dir/node_modules/.roundtable-stamp"
  sum=$(cat "$dir/package.json" "$dir/package-lock.json" 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    echo "setup: npm install in $dir"
    (cd "$dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    echo "$sum" > "$stamp"
  fi
done
