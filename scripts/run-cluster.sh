#!/usr/bin/env bash
# Two roundtable-server nodes sharing one Redis, on one machine: Redis with
# append-only persistence on a free port (data in ./roundtable-data/redis), and
# the nodes on 127.0.0.1:8080 and 127.0.0.1:8081 (override with
# ROUNDTABLE_PORTS="9000 9001"). Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh release >/dev/null

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
redis_port=6380
while listening "$redis_port"; do redis_port=$((redis_port + 1)); done

mkdir -p roundtable-data/redis
redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes \
  --dir "$PWD/roundtable-data/redis" --appendonly yes \
  --pidfile "$PWD/roundtable-data/redis/redis.pid" --logfile "$PWD/roundtable-data/redis/redis.log"
# --daemonize returns before Redis listens: wait for it.
for _ in $(seq 1 100); do
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
  sleep 0.1
done
echo "redis on 127.0.0.1:$redis_port"

pids=()
stop() {
  kill "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  redis-cli -p "$redis_port" shutdown >/dev/null 2>&1 || true
}
trap stop EXIT INT TERM

n=0
for port in ${ROUNDTABLE_PORTS:-8080 8081}; do
  n=$((n + 1))
  build/release/server/roundtable-server --bind 127.0.0.1 --port "$port" \
    --redis "redis://127.0.0.1:$redis_port" --node-id "node$n" "$@" &
  pids+=($!)
done
wait -n "${pids[@]}"
