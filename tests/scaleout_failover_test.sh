#!/usr/bin/env bash
# Scale-out failover (docs/spec.md §14, docs/scaleout.md): a private
# nats-server with JetStream; a simulated storm (logins, pushes, bad lines)
# published in two parts with a reload marker between them, on top of an
# initial state seeded into the partitions' first checkpoints; two workers;
# one killed with SIGKILL in the middle of the stream. The survivor takes its
# partitions over once their leases expire, from their last checkpoints, and
# in the end the union of all results is `claimmap eval --reload-at` line for
# line, and the partitions' states together are eval's final state.
# Usage: tests/scaleout_failover_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
tmp=$(mktemp -d)
source "$(dirname "$0")/shell_checks.sh"
source "$(dirname "$0")/scaleout_lib.sh"
trap cleanup EXIT
require_nats_server

partitions=6
start_nats
make_dataset 4000 40000
eval_reference 15001

"$bin" publish --nats "$url" --partitions "$partitions" --seed-state "$tmp/ds/state.ndjson" 2>"$tmp/seed.err"
check "publish --seed-state: exit" 0 $?
contains "publish --seed-state: users seeded" "4000 users seeded" "$tmp/seed.err"

start_worker w1
start_worker w2 --metrics-listen 127.0.0.1:0

# Part 1 and the reload marker (line numbers continue across runs).
head -n $((reload_line - 1)) "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub1.err"
check "publish part 1: exit" 0 $?
contains "publish part 1: lines 1..15000" "lines 1..15000" "$tmp/pub1.err"
"$bin" publish --nats "$url" --partitions "$partitions" --config "$tmp/new.json" 2>"$tmp/pub-reload.err"
check "publish --config NEW: exit" 0 $?
contains "publish --config NEW: a marker on every partition" "$partitions reload markers" "$tmp/pub-reload.err"
"$bin" publish --nats "$url" --partitions "$partitions" --config tests/data/live/bad.json 2>"$tmp/pub-bad-config.err"
check "publish --config with an invalid config: exit 2, nothing published" 2 $?
contains "publish --config with an invalid config: every error listed" "config has 3 errors" "$tmp/pub-bad-config.err"
# Part 2 is published while w1 dies.
tail -n +$reload_line "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub2.err" &
publish_pid=$!
pids+=("$publish_pid")
# A partition count other than the group's is refused.
echo '{}' | "$bin" publish --nats "$url" --partitions 5 2>"$tmp/pub-bad.err"
check "publish with another partition count: exit 2" 2 $?

# Both workers share the partitions (3 each) before one dies.
sharing() {
  grep -q "owns partitions \[[0-9]* [0-9]* [0-9]*\] of 6 (2 live" "$tmp/w1.log" &&
    grep -q "owns partitions \[[0-9]* [0-9]* [0-9]*\] of 6 (2 live" "$tmp/w2.log"
}
wait_until 60 sharing
contains "w1 owns 3 of 6 partitions" "of 6 (2 live workers)" "$tmp/w1.log"
contains "w2 owns 3 of 6 partitions" "of 6 (2 live workers)" "$tmp/w2.log"

# SIGKILL w1 in the middle of its share (about 22,000 results): publishing
# is faster than applying, so its partitions still have a backlog.
w1_halfway() { [[ $(events_of w1) -ge 5000 ]]; }
wait_until 120 w1_halfway
kill -9 "${worker_pid[w1]}"
wait "${worker_pid[w1]}" 2>/dev/null
killed_after=$(events_of w1)
echo "w1 killed after $killed_after results (metrics, up to 0.2 s old)"
check "w1 died in the middle of its share" yes "$([[ $killed_after -lt 20000 ]] && echo yes || echo no)"
wait "$publish_pid"
check "publish part 2: exit" 0 $?
contains "publish part 2: numbering continues at the reload line" "lines $reload_line..40000" "$tmp/pub2.err"

wait_caught_up w2 6
contains "w2 took every partition over" "owns partitions [0 1 2 3 4 5] of 6 (1 live workers)" "$tmp/w2.log"
grep "serving from" "$tmp/w2.log" | tail -3
wait_for_results "$expected"
compare_with_eval "$tmp/eval.ndjson"
contains "w2's metrics: owned partitions" 'claimmap_worker_owned_partitions{worker="w2"} 6' "$tmp/w2.prom"
contains "w2's metrics: consumer lag" 'claimmap_worker_consumer_lag{worker="w2",partition="0"}' "$tmp/w2.prom"
contains "w2's metrics: last checkpoint" 'claimmap_worker_checkpoint_age_seconds{worker="w2",partition="0"}' "$tmp/w2.prom"
# The same over HTTP, with the server's families (docs/spec.md §13 metrics).
metrics_port=$(grep -o 'metrics on http://127.0.0.1:[0-9]*' "$tmp/w2.log" | grep -o '[0-9]*$')
# The endpoint's text is renewed at every heartbeat: until it shows all six.
endpoint_shows_all() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" >"$tmp/w2.http.prom" &&
    grep -qF 'claimmap_worker_owned_partitions{worker="w2"} 6' "$tmp/w2.http.prom"
}
wait_until 60 endpoint_shows_all
contains "w2's /metrics: the server's event families" 'claimmap_events_total{cause="reload"}' "$tmp/w2.http.prom"
contains "w2's /metrics: errors by code" 'claimmap_event_errors_total{code="malformed_json"}' "$tmp/w2.http.prom"
contains "w2's /metrics: engine gauges" '# TYPE claimmap_users gauge' "$tmp/w2.http.prom"
contains "w2's /metrics: owned partitions" 'claimmap_worker_owned_partitions{worker="w2"} 6' "$tmp/w2.http.prom"

stop_worker w2
contains "w2 released everything on SIGTERM" "stopped: every partition checkpointed and released" "$tmp/w2.log"
compare_state "$tmp/eval-final.ndjson"
# For the log of a failure: what the workers had to recover from.
grep -h "gap\|error\|lost\|nats:" "$tmp"/*.log 2>/dev/null | grep -v "^\[" | sort | uniq -c | head -10
no_crash_reports
finish
