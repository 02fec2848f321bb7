#!/usr/bin/env bash
# A worker's shutdown paths (docs/scaleout.md "Leases, membership, balance"),
# the ones that crashed under load before: SIGTERM in the middle of a stream
# (runners stop between batches, checkpoint exactly, release), and SIGTERM
# after its NATS server died under it (runners fail, nothing can be
# checkpointed or released; the worker still stops in an orderly way, never
# by a signal). Then the server comes back on the same store, a new worker
# resumes from the checkpoints, and nothing was lost or doubled: the results
# are `claimmap eval --reload-at` line for line and the final state is
# eval's. `make asan` and `make tsan` run this test with sanitized binaries.
# Usage: tests/scaleout_shutdown_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
tmp=$(mktemp -d)
source "$(dirname "$0")/shell_checks.sh"
source "$(dirname "$0")/scaleout_lib.sh"
trap cleanup EXIT
require_nats_server

partitions=3
lease_ttl=2
start_nats
make_dataset 2000 20000
eval_reference 10001

"$bin" publish --nats "$url" --partitions "$partitions" --seed-state "$tmp/ds/state.ndjson" 2>"$tmp/seed.err"
check "publish --seed-state: exit" 0 $?
# Small fetches: many batches, so that a stop lands between two of them.
# s1 is given only the stream's first half (and the reload marker) and is
# stopped before the second is published: however fast it runs against the
# publisher (a sanitized `publish` is slow; once s1 kept pace with it and
# had applied all 21,973 events before its stop, leaving s2 nothing to do
# and nothing to replay), it never reaches the end of the stream.
start_worker s1 --fetch-batch 16
{
  head -n 10000 "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" &&
    "$bin" publish --nats "$url" --partitions "$partitions" --config "$tmp/new.json"
} 2>"$tmp/pub.err"
check "publish the first half and a reload marker: exit" 0 $?

# 1. SIGTERM in the middle of the stream.
s1_started() { (( $(events_of s1) >= 2000 )); }
wait_until 120 s1_started
stop_worker s1
echo "s1 stopped after $(events_of s1) results"
contains "s1 checkpointed and released every partition" "stopped: every partition checkpointed and released" "$tmp/s1.log"
tail -n +10001 "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>>"$tmp/pub.err"
check "publish the second half: exit" 0 $?

# 2. The NATS server dies under a worker, then the worker gets SIGTERM.
# s2 never checkpoints by itself (its server dies under it before it could
# say so): what it applied must come back by replay, however fast or slow it
# ran — with the usual 1-second checkpoints, a slow run (TSan on a busy
# machine) could checkpoint its last event just before the kill, leaving
# nothing to replay and this test's replay unproven.
checkpoint_every=100000000 checkpoint_interval=86400 start_worker s2 --fetch-batch 16
s2_started() { (( $(events_of s2) >= 1000 )); }
wait_until 120 s2_started
kill -9 "$nats_pid"
wait "$nats_pid" 2>/dev/null
echo "nats-server killed after $(events_of s2) results of s2"
s2_noticed() { grep -q "partition [0-9]*: nats:\|lease not renewed" "$tmp/s2.log"; }
wait_until 60 s2_noticed
kill -TERM "${worker_pid[s2]}"
s2_gone() { ! kill -0 "${worker_pid[s2]}" 2>/dev/null; }
wait_until 120 s2_gone
check "s2 stops within the deadline with its server gone" yes "$(s2_gone && echo yes || echo no)"
wait "${worker_pid[s2]}"
check "s2 stops in order on SIGTERM with its server gone (exit 0, no signal)" 0 $?
contains "s2 says what it could not checkpoint" "not checkpointed" "$tmp/s2.log"

# 3. The server comes back on the same store; a new worker resumes.
nats-server -c "$tmp/nats.conf" >"$tmp/nats2.log" 2>&1 &
nats_pid=$!
pids+=("$nats_pid")
wait_until 60 grep -q "Server is ready" "$tmp/nats2.log" || { echo "nats-server did not restart"; cat "$tmp/nats2.log"; }
# Before any worker resumes, the group's state is exact already: the export
# replays each partition's events after its checkpoint (docs/scaleout.md).
"$bin" worker --nats "$url" --export-state "$tmp/state-before-s3.ndjson" 2>"$tmp/export0.err"
check "export-state with the checkpoints behind the stream: exit" 0 $?
check "the export replayed the events its checkpoints miss" yes \
  "$(grep -qE '\([1-9][0-9]* events replayed' "$tmp/export0.err" && echo yes || { cat "$tmp/export0.err"; echo no; })"
check "that export is eval's final state" same "$(cmp -s "$tmp/eval-final.ndjson" "$tmp/state-before-s3.ndjson" && echo same || echo differ)"
start_worker s3
wait_caught_up s3 3
wait_for_results "$expected"
compare_with_eval "$tmp/eval.ndjson"
stop_worker s3
compare_state "$tmp/eval-final.ndjson"
grep -h "gap\|error\|lost\|nats:" "$tmp"/s*.log 2>/dev/null | sort | uniq -c | head -10
no_crash_reports
finish
