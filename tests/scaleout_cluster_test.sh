#!/usr/bin/env bash
# Scale-out on a 3-node JetStream cluster (docs/scaleout.md): streams and
# buckets with 3 replicas; two workers apply a backlog with a reload marker in
# the middle; one of the three servers is killed with SIGKILL during the run.
# Nothing is lost: the union of all results is `claimmap eval --reload-at`
# line for line, and the partitions' states together are eval's final state.
# Usage: tests/scaleout_cluster_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
tmp=$(mktemp -d)
source "$(dirname "$0")/shell_checks.sh"
source "$(dirname "$0")/scaleout_lib.sh"
trap cleanup EXIT
require_nats_server

partitions=4
start_cluster
make_dataset 3000 30000
eval_reference 12001

"$bin" publish --nats "$url" --partitions "$partitions" --replicas 3 --seed-state "$tmp/ds/state.ndjson" 2>"$tmp/seed.err"
check "publish --seed-state (3 replicas): exit" 0 $?
worker_options="--replicas 3"
lease_ttl=5  # elections after a server dies take a few seconds under load
start_worker w1
start_worker w2
head -n $((reload_line - 1)) "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub1.err"
check "publish part 1: exit" 0 $?
"$bin" publish --nats "$url" --partitions "$partitions" --config "$tmp/new.json" 2>"$tmp/pub-reload.err"
check "publish --config NEW: exit" 0 $?
tail -n +$reload_line "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub2.err"
check "publish part 2: exit" 0 $?

# One of the three servers dies while the workers apply the backlog.
applied_6000() { (( $(events_of w1) + $(events_of w2) >= 6000 )); }
wait_until 120 applied_6000
kill -9 "${node_pid[2]}"
echo "server n2 killed after $(( $(events_of w1) + $(events_of w2) )) results"

seen=""
caught_up() { seen=$(owned_and_lag w1 w2); [[ "$seen" == "4 0" ]] && (( $(events_of w1) + $(events_of w2) >= expected )); }
wait_until 180 caught_up
check "the two workers own the 4 partitions and caught up" "4 0" "$seen"
wait_for_results "$expected"
compare_with_eval "$tmp/eval.ndjson"
stop_worker w1
stop_worker w2
compare_state "$tmp/eval-final.ndjson"
grep -h "lost\|error\|nats:\|lease\|slow" "$tmp/w1.log" "$tmp/w2.log" | sort | uniq -c | sort -rn | head -12
no_crash_reports
finish
