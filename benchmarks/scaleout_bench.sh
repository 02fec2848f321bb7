#!/usr/bin/env bash
# Scale-out figures (benchmarks/README.md, docs/scaleout.md): publish
# lines/s; events/s through 1, 2 and 4 workers from a backlog in JetStream
# (time from the workers' start until every result is stored); and the time
# from a worker's SIGKILL until its partitions are served again. Not part of
# `make test`: it needs a few minutes and a quiet machine.
# Usage: benchmarks/scaleout_bench.sh [path/to/claimmap] [EVENTS] [USERS]
#        (STAGES="throughput failover" by default; either one alone also works)
set -u
bin="${1:-build/claimmap}"
events="${2:-200000}"
users="${3:-50000}"
partitions=8
stages="${STAGES:-throughput failover}"
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
command -v nats-server >/dev/null || { echo "nats-server is not installed (scripts/install-deps.sh)"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="nats://127.0.0.1:$port"
start_nats() {
  rm -rf "$tmp/js"
  printf 'listen: 127.0.0.1:%s\nmax_payload: 8MB\njetstream { store_dir: "%s/js" }\n' "$port" "$tmp" >"$tmp/nats.conf"
  nats-server -c "$tmp/nats.conf" >"$tmp/nats.log" 2>&1 &
  nats_pid=$!; pids+=("$nats_pid")
  for _ in $(seq 100); do grep -q "Server is ready" "$tmp/nats.log" && return; sleep 0.1; done
  echo "nats-server did not start"; exit 1
}
stop_nats() { kill "$nats_pid"; wait "$nats_pid" 2>/dev/null; }
now() { date +%s.%N; }
results_of() { cat "$tmp"/w*.prom 2>/dev/null | awk '/^claimmap_events_total/ { s += $2 } END { print s + 0 }'; }

"$bin" simulate --seed 11 --users "$users" --logins "$events" --write-dataset "$tmp/ds" >/dev/null 2>&1
"$bin" eval --config "$tmp/ds/config.json" --state "$tmp/ds/state.ndjson" "$tmp/ds/events.ndjson" >"$tmp/eval.ndjson" 2>"$tmp/eval.err"
expected=$(wc -l <"$tmp/eval.ndjson")
echo "dataset: $events events, $users users, $partitions partitions; eval (1 thread, in process): $(grep -o '[0-9.]* events/s' "$tmp/eval.err" | head -1)"

[[ $stages == *throughput* ]] && for workers in 1 2 4; do
  start_nats
  "$bin" publish --nats "$url" --partitions "$partitions" --seed-state "$tmp/ds/state.ndjson" 2>/dev/null
  "$bin" publish --nats "$url" --partitions "$partitions" --routing-config "$tmp/ds/config.json" \
    "$tmp/ds/events.ndjson" 2>"$tmp/publish.err"
  [[ $workers == 1 ]] && echo "publish: $(grep -o '[0-9]* lines/s' "$tmp/publish.err")"
  rm -f "$tmp"/w*.prom
  t0=$(now)
  for i in $(seq "$workers"); do
    "$bin" worker --nats "$url" --config "$tmp/ds/config.json" --partitions "$partitions" --name "w$i" \
      --metrics-file "$tmp/w$i.prom" --metrics-every 0.1 >"$tmp/w$i.log" 2>&1 &
    pids+=("$!")
  done
  until [[ $(results_of) -ge $expected ]]; do sleep 0.05; done
  t1=$(now)
  python3 -c "print(f'$workers worker(s): {$expected/($t1-$t0):,.0f} events/s ({$t1-$t0:.2f} s for $expected results)')"
  for i in $(seq "$workers"); do pkill -TERM -f -- "--name w$i " 2>/dev/null; done
  for _ in $(seq 100); do pgrep -f -- "--name w[0-9] --metrics-file $tmp" >/dev/null || break; sleep 0.1; done
  stop_nats
done

# Failover: two idle workers; SIGKILL one; until the survivor serves all.
[[ $stages == *failover* ]] && for ttl in 2 5; do
  start_nats
  "$bin" publish --nats "$url" --partitions "$partitions" --seed-state "$tmp/ds/state.ndjson" 2>/dev/null
  for i in 1 2; do
    "$bin" worker --nats "$url" --config "$tmp/ds/config.json" --partitions "$partitions" --name "f$i" \
      --lease-ttl "$ttl" >"$tmp/f$i.log" 2>&1 &
    eval "f${i}_pid=$!"; pids+=("$!")
  done
  # Settled: four partitions each (after any rebalancing), for a while.
  until [[ $(grep -o "owns partitions \[[0-9 ]*\]" "$tmp/f1.log" | tail -1 | wc -w) == 6 &&
           $(grep -o "owns partitions \[[0-9 ]*\]" "$tmp/f2.log" | tail -1 | wc -w) == 6 ]]; do sleep 0.1; done
  sleep 2
  before=$(grep -c "serving from" "$tmp/f2.log")
  t0=$(now)
  kill -9 "$f1_pid"
  until [[ $(grep -c "serving from" "$tmp/f2.log") -ge $((before + 4)) ]]; do sleep 0.01; done
  t1=$(now)
  python3 -c "print(f'failover, lease TTL $ttl s: {$t1-$t0:.2f} s from SIGKILL to the dead worker\'s 4 partitions served again')"
  kill "$f2_pid"; wait "$f2_pid" 2>/dev/null
  stop_nats
done
