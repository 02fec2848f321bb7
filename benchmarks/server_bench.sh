#!/usr/bin/env bash
# Events/s over HTTP (`claimmap serve` driven by `simulate --target`) at 1, 2
# and 8 client connections, one event a request and 1,000 a request, next to
# in-process `claimmap eval` of the same events, all in one run. Not a test:
# figures for benchmarks/README.md. Each HTTP run starts a fresh server from
# the dataset's state, so every run applies the same storm to the same users.
# Usage: benchmarks/server_bench.sh [path/to/claimmap] [users] [events]
set -eu
bin=${1:-build-native/claimmap}
users=${2:-100000}
events=${3:-200000}
tmp=$(mktemp -d)
server_pid=""
trap '[[ -n "$server_pid" ]] && kill -KILL $server_pid 2>/dev/null; rm -rf "$tmp"' EXIT
echo "bench-$$" >"$tmp/token"
gen=(--seed 42 --users "$users" --logins "$events")
"$bin" simulate "${gen[@]}" --write-dataset "$tmp/ds" 2>/dev/null

start_server() {
  "$bin" serve --config "$tmp/ds/config.json" --state "$tmp/ds/state.ndjson" --listen 127.0.0.1:0 \
    --token-file "$tmp/token" --threads "${SERVER_THREADS:-2}" 2>"$tmp/server.log" &
  server_pid=$!
  for _ in $(seq 1 300); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$tmp/server.log" | grep -o '[0-9]*$' || true)
    [[ -n "$port" ]] && return 0
    sleep 0.1
  done
  echo "server did not start"; cat "$tmp/server.log"; exit 1
}
stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""; }

figures() {  # the simulate --json report → "events/s p50 p99"
  python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["run"]
l = r["login_latency_ns"]
print("%10.0f  %9.1f  %9.1f" % (r["throughput"], l["p50"] / 1e3, l["p99"] / 1e3))' "$1"
}

echo "dataset: $users users, $events events; server threads ${SERVER_THREADS:-2}; machine: $(nproc) cores"
printf '%-34s %10s  %9s  %9s\n' "run" "events/s" "p50 µs" "p99 µs"
for threads in 1 2; do
  "$bin" eval --config "$tmp/ds/config.json" --state "$tmp/ds/state.ndjson" --threads "$threads" \
    "$tmp/ds/events.ndjson" >/dev/null 2>"$tmp/eval.err"
  rate=$(grep -oE '[0-9,]+ events/s' "$tmp/eval.err" | head -1 | tr -d ', events/')
  printf '%-34s %10s\n' "in process: eval --threads $threads" "$rate"
done
for batch in 1 1000; do
  for conns in 1 2 8; do
    start_server
    "$bin" simulate "${gen[@]}" --threads "$conns" --batch "$batch" --json --target "http://127.0.0.1:$port" \
      --token-file "$tmp/token" >"$tmp/run.json" 2>/dev/null
    stop_server
    printf '%-34s %s\n' "http: $conns conn, $batch event(s)/request" "$(figures "$tmp/run.json")"
  done
done
