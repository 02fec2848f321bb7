#!/usr/bin/env bash
# Events/s over HTTP (`claimmap serve` driven by `simulate --target`) at 1, 2
# and 8 client connections, and over HTTPS (`--tls-cert`, a P-256 certificate
# made here; TLS 1.3) at 1 and 8, one event a request and 1,000 a request,
# next to in-process `claimmap eval` of the same events, all in one run; then
# HTTPS/HTTP at each (ROUNDS=N repeats each pair, below). Not a test:
# figures for benchmarks/README.md. Each run starts a fresh server from the
# dataset's state, so every run applies the same storm to the same users.
# Usage: [ROUNDS=N] benchmarks/server_bench.sh [path/to/claimmap] [users] [events]
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
# A CA and the server's certificate for 127.0.0.1 (ECDSA P-256, as a modern
# deployment would have).
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${ec[@]}" -keyout "$tmp/ca.key" -out "$tmp/ca.pem" -days 2 -subj "/CN=bench CA" 2>/dev/null
openssl req "${ec[@]}" -keyout "$tmp/server.key" -out "$tmp/server.csr" -subj "/CN=bench server" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$tmp/server.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -set_serial 1 -days 2 \
  -extfile "$tmp/server.ext" -out "$tmp/server.pem" 2>/dev/null

start_server() {  # start_server [--tls-cert … --tls-key …]
  # Each server starts from the dataset's state: a copy, as it rewrites its own at the stop.
  cp "$tmp/ds/state.ndjson" "$tmp/served.ndjson"
  "$bin" serve --config "$tmp/ds/config.json" --state "$tmp/served.ndjson" --overwrite-state --listen 127.0.0.1:0 \
    --token-file "$tmp/token" --threads "${SERVER_THREADS:-2}" "$@" 2>"$tmp/server.log" &
  server_pid=$!
  for _ in $(seq 1 300); do
    port=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$tmp/server.log" | grep -o '[0-9]*$' || true)
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
# HTTP and HTTPS runs alternate, ROUNDS times each (default 1), so that a
# neighbour's load falls on both alike; the ratios are of the medians.
rounds=${ROUNDS:-1}
declare -A rates_of  # "scheme conns batch" → events/s of each round
run_one() {  # run_one SCHEME CONNS BATCH
  local scheme=$1 conns=$2 batch=$3 tls=() client=()
  if [[ $scheme == https ]]; then
    tls=(--tls-cert "$tmp/server.pem" --tls-key "$tmp/server.key")
    client=(--target-ca "$tmp/ca.pem")
  fi
  start_server "${tls[@]}"
  "$bin" simulate "${gen[@]}" --threads "$conns" --batch "$batch" --json --target "$scheme://127.0.0.1:$port" \
    "${client[@]}" --token-file "$tmp/token" >"$tmp/run.json" 2>/dev/null
  stop_server
  local line
  line=$(figures "$tmp/run.json")
  rates_of["$scheme $conns $batch"]+="$(echo $line | cut -d' ' -f1) "
  printf '%-34s %s\n' "$scheme: $conns conn, $batch event(s)/request" "$line"
}
for batch in 1 1000; do
  for conns in 1 2 8; do
    for _ in $(seq 1 "$rounds"); do
      run_one http "$conns" "$batch"
      [[ $conns == 2 ]] || run_one https "$conns" "$batch"
    done
  done
done
median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' $1; }
for batch in 1 1000; do
  for conns in 1 8; do
    http=$(median "${rates_of["http $conns $batch"]}")
    https=$(median "${rates_of["https $conns $batch"]}")
    printf '%-34s %10.0f %10.0f  %6.3f\n' "median http, https, https/http: $conns conn, $batch/request" "$http" "$https" \
      "$(python3 -c 'import sys; print(float(sys.argv[1]) / float(sys.argv[2]))' "$https" "$http")"
  done
done
