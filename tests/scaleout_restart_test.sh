#!/usr/bin/env bash
# Scale-out restart from checkpoints only (docs/spec.md §14,
# docs/scaleout.md): the whole group stops — one worker cleanly (SIGTERM:
# exact checkpoints, leases released at once), the other with SIGKILL (its
# partitions resume from their last checkpoint once the leases expire) —
# while events and a reload marker keep being published; a new group of two
# other workers starts from the checkpoints alone. The union of all results
# is `claimmap eval --reload-at` line for line, and the partitions' states
# together are eval's final state. A rolling restart releases at once: the
# partitions of the worker stopped with SIGTERM are served again before the
# lease TTL.
# Usage: tests/scaleout_restart_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
tmp=$(mktemp -d)
source "$(dirname "$0")/shell_checks.sh"
source "$(dirname "$0")/scaleout_lib.sh"
trap cleanup EXIT
require_nats_server

partitions=4
# Long enough that a busy machine does not let leases lapse; the rolling
# restart below must still hand over well within it.
lease_ttl=5
start_nats
make_dataset 3000 30000
eval_reference 20001

"$bin" publish --nats "$url" --partitions "$partitions" --seed-state "$tmp/ds/state.ndjson" 2>"$tmp/seed.err"
check "publish --seed-state: exit" 0 $?
"$bin" publish --nats "$url" --partitions "$partitions" --seed-state "$tmp/ds/state.ndjson" 2>"$tmp/seed2.err"
check "publish --seed-state a second time: refused (exit 2)" 2 $?
contains "publish --seed-state a second time: says why" "already has a checkpoint" "$tmp/seed2.err"

start_worker a1
start_worker a2
head -n 10000 "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub1.err"
check "publish lines 1..10000: exit" 0 $?
wait_caught_up a1 2
wait_caught_up a2 2
# Caught up for sure: every line published so far has its result (a lag of
# 0 in the metrics can be a fetch that timed out on a busy machine).
applied_10000() { (( $(events_of a1) + $(events_of a2) >= 10000 )); }
wait_until 180 applied_10000

# A rolling restart: a1 stops cleanly; a2 serves its partitions again at
# once (released leases, exact checkpoints: nothing to replay).
stopped_at=$(date +%s%N)
stop_worker a1
serving_all() { [[ $(grep -c "serving from" "$tmp/a2.log") -ge 4 ]]; }
wait_until 60 serving_all
served_at=$(date +%s%N)
contains "a2 serves every partition after a1's clean stop" "owns partitions [0 1 2 3] of 4" "$tmp/a2.log"
handover_ms=$(( (served_at - stopped_at) / 1000000 ))
echo "handover after SIGTERM: $handover_ms ms (lease TTL $((lease_ttl * 1000)) ms)"
check "a clean stop hands over before the lease TTL" yes "$([[ $handover_ms -lt $((lease_ttl * 1000)) ]] && echo yes || echo no)"
grep "serving from" "$tmp/a2.log" | tail -2 >"$tmp/handover.txt"
cat "$tmp/handover.txt"
check "the handed-over partitions replay nothing" 2 "$(grep -c ', 0 to replay, 0 results already stored' "$tmp/handover.txt")"

# More lines while a2 runs, then a2 dies without a word.
sed -n '10001,15000p' "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub2.err"
check "publish lines 10001..15000: exit" 0 $?
sleep 0.3
kill -9 "${worker_pid[a2]}"
wait "${worker_pid[a2]}" 2>/dev/null
echo "a2 killed after $(events_of a2) results"

# No worker at all: the rest of part 1, the reload marker, part 2.
sed -n "15001,$((reload_line - 1))p" "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub3.err"
check "publish lines 15001..20000 with no worker: exit" 0 $?
contains "numbering continues" "lines 15001..20000" "$tmp/pub3.err"
"$bin" publish --nats "$url" --partitions "$partitions" --config "$tmp/new.json" 2>"$tmp/pub-reload.err"
check "publish --config NEW with no worker: exit" 0 $?
tail -n +$reload_line "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub4.err"
check "publish the rest: exit" 0 $?
contains "the rest is numbered from the reload line" "lines $reload_line..30000" "$tmp/pub4.err"

# A new group, from the checkpoints alone.
start_worker b1
start_worker b2
wait_caught_up b1 2
wait_caught_up b2 2
wait_for_results "$expected"
compare_with_eval "$tmp/eval.ndjson"
stop_worker b1
stop_worker b2
compare_state "$tmp/eval-final.ndjson"
# For the log of a failure: what the workers had to recover from.
grep -h "gap\|error\|lost\|nats:" "$tmp"/*.log 2>/dev/null | grep -v "^\[" | sort | uniq -c | head -10
no_crash_reports
finish
