#!/usr/bin/env bash
# Runs one shard of a Catch2 executable's test cases, so that CTest can run the
# integration tests side by side (they mostly wait on servers, timers and
# sockets: one run uses about a tenth of a core). Shard K of N takes every Nth
# name in listing order. Before running, it checks that Catch2 selects exactly
# the names it was given, so that no case is silently skipped.
# Usage: tests/shard.sh BINARY K N   (0 <= K < N)
set -euo pipefail
bin="$1"
k="$2"
n="$3"
if ! [[ "$k" =~ ^[0-9]+$ && "$n" =~ ^[1-9][0-9]*$ ]] || [ "$k" -ge "$n" ]; then
  echo "shard.sh: want 0 <= K < N, got K=$k N=$n" >&2
  exit 2
fi
# Catch2 reads each line of -f as a test spec: commas, brackets, backslashes
# and stars in a name must be escaped.
names="$(mktemp)"
spec="$(mktemp)"
trap 'rm -f "$names" "$spec"' EXIT
# Catch2 2 exits with the number of names it listed, hence the `|| true`.
list() { "$bin" "$@" --list-test-names-only | awk 'NF' || true; }
list | awk -v k="$k" -v n="$n" '(NR - 1) % n == k' >"$names"
if [ ! -s "$names" ]; then
  echo "shard.sh: no test names in shard $k of $n" >&2
  exit 1
fi
sed 's/[][,\\*]/\\&/g' "$names" >"$spec"
if ! diff <(sort "$names") <(list -f "$spec" | sort) >&2; then
  echo "shard.sh: Catch2 does not select exactly the names of shard $k of $n (diff above)" >&2
  exit 1
fi
echo "shard $k of $n: $(wc -l <"$names") test cases"
exec "$bin" -f "$spec"
