#!/usr/bin/env bash
# Runs one shard of a Catch2 executable's test cases, so that CTest can run the
# integration tests side by side (they mostly wait on servers, timers and
# sockets: one run uses about a tenth of a core). With a WEIGHTS file (lines
# "seconds<TAB>test name", names not in it weigh 1), the cases go to the
# shards heaviest first, each to the lightest shard so far, so that no shard
# takes the slow ones together (round robin put 190 s in one shard and 75 to
# 90 s in the others). Without it, shard K of N takes every Nth name in listing
# order. Before running, it checks that Catch2 selects exactly the names it
# was given, so that no case is silently skipped.
# Usage: tests/shard.sh BINARY K N [WEIGHTS]   (0 <= K < N)
set -euo pipefail
bin="$1"
k="$2"
n="$3"
weights="${4:-/dev/null}"
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
# Every shard computes the same assignment: ties go to the earlier name and
# the lower shard.
list | awk -v wf="$weights" '
  BEGIN {
    while ((getline line <wf) > 0)
      if (line !~ /^#/ && split(line, f, "\t") == 2) w[f[2]] = f[1]
  }
  { print ($0 in w ? w[$0] : 1) "\t" NR "\t" $0 }' |
  sort -t "$(printf '\t')" -k1,1nr -k2,2n |
  awk -v k="$k" -v n="$n" -F '\t' '
    { best = 0
      for (i = 1; i < n; ++i) if (load[i] < load[best]) best = i
      load[best] += $1
      if (best == k) print $3 }' >"$names"
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
