# Shared by the scale-out tests (tests/scaleout_*_test.sh, docs/scaleout.md):
# a private nats-server with JetStream on a free loopback port and a temporary
# store, workers started and stopped by name, a dataset from the simulator
# with a second config for a reload, and the comparisons with `claimmap eval`.
# Sourced after tests/shell_checks.sh; expects $bin and $tmp.

# Every wait polls its condition against a wall-clock deadline sized for a
# slow, busy machine (the stress run: `make stress-scaleout`, both cores
# busy and the test at nice 15): nothing waits a fixed time for something to
# have happened. CLAIMMAP_TEST_DEADLINE_SCALE multiplies every deadline.
deadline_scale=${CLAIMMAP_TEST_DEADLINE_SCALE:-1}

# wait_until SECONDS COMMAND...: runs COMMAND every 0.1 s until it succeeds
# (status 0) or SECONDS (times the scale) have passed (status 1).
wait_until() {
  local deadline=$(( SECONDS + $1 * deadline_scale )); shift
  until "$@"; do
    (( SECONDS >= deadline )) && return 1
    sleep 0.1
  done
  return 0
}

# Exit code 77 tells ctest the test was skipped (SKIP_RETURN_CODE).
require_nats_server() {
  if ! command -v nats-server >/dev/null 2>&1; then
    echo "SKIP: nats-server is not installed (scripts/install-deps.sh installs Debian's nats-server)"
    exit 77
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pids=()  # everything started here, killed at exit
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  # A failed run keeps its logs (workers, servers, publishers) for a look.
  if ((failures > 0)); then
    local keep
    keep=$(mktemp -d /tmp/claimmap-scaleout-logs.XXXXXX)
    cp "$tmp"/*.log "$tmp"/*.err "$tmp"/*.prom "$keep"/ 2>/dev/null
    echo "logs kept in $keep"
  fi
  rm -rf "$tmp"
}

# start_nats: a server on a free port with JetStream in $tmp/js; sets $url.
start_nats() {
  local port
  port=$(free_port)
  cat >"$tmp/nats.conf" <<EOF
listen: 127.0.0.1:$port
server_name: claimmap-test
# A reload marker carries a whole config, the simulator's is ~2 MB.
max_payload: 8MB
jetstream { store_dir: "$tmp/js" }
EOF
  nats-server -c "$tmp/nats.conf" >"$tmp/nats.log" 2>&1 &
  nats_pid=$!
  pids+=("$nats_pid")
  url="nats://127.0.0.1:$port"
  wait_until 60 grep -q "Server is ready" "$tmp/nats.log" && return 0
  echo "nats-server did not start:"; cat "$tmp/nats.log"; exit 1
}

# start_cluster: three servers in one cluster with JetStream on free ports,
# each in $tmp/js<i>; sets $url to all three, node pids in node_pid[i].
declare -A node_pid
start_cluster() {
  local i client=() route=() http=()
  for i in 1 2 3; do client[$i]=$(free_port); route[$i]=$(free_port); http[$i]=$(free_port); done
  local routes="nats-route://127.0.0.1:${route[1]},nats-route://127.0.0.1:${route[2]},nats-route://127.0.0.1:${route[3]}"
  for i in 1 2 3; do
    cat >"$tmp/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:${client[$i]}
http: 127.0.0.1:${http[$i]}
max_payload: 8MB
jetstream { store_dir: "$tmp/js$i" }
cluster { name: claimmap-test, listen: 127.0.0.1:${route[$i]}, routes: [$routes] }
CONF
    nats-server -c "$tmp/n$i.conf" >"$tmp/n$i.log" 2>&1 &
    node_pid[$i]=$!
    pids+=("$!")
  done
  url="nats://127.0.0.1:${client[1]},nats://127.0.0.1:${client[2]},nats://127.0.0.1:${client[3]}"
  # JetStream is up once every node's health check says so (a meta leader).
  for i in 1 2 3; do
    wait_until 120 curl -sf "http://127.0.0.1:${http[$i]}/healthz" -o /dev/null ||
      { echo "node n$i not healthy:"; tail -5 "$tmp/n$i.log"; exit 1; }
  done
}

# make_dataset USERS LOGINS: $tmp/ds/{config,state,events}, and $tmp/new.json:
# the config with every fourth mapping deleted and a role taken from ten
# groups (revocations at the reload).
make_dataset() {
  "$bin" simulate --seed 7 --users "$1" --logins "$2" --push-share 0.05 --bad-share 0.01 \
    --write-dataset "$tmp/ds" >/dev/null 2>&1 || { echo "simulate failed"; exit 1; }
  python3 - "$tmp/ds/config.json" "$tmp/new.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["mappings"] = [m for i, m in enumerate(c["mappings"]) if i % 4 != 0]
n = 0
for g in c["groups"]:
    if len(g["roles"]) > 1 and n < 10:
        g["roles"] = g["roles"][1:]
        n += 1
json.dump(c, open(sys.argv[2], "w"), indent=1)
EOF
}

# eval_reference RELOAD_LINE: what the group must reproduce — `claimmap eval
# --reload-at RELOAD_LINE=new.json` of the dataset, its output in
# $tmp/eval.ndjson (line count in $expected) and its final state in
# $tmp/eval-final.ndjson.
eval_reference() {
  reload_line=$1
  "$bin" eval ${eval_options:-} --config "$tmp/ds/config.json" --state "$tmp/ds/state.ndjson" --reload-at "$reload_line=$tmp/new.json" \
    --save-state "$tmp/eval-final.ndjson" "$tmp/ds/events.ndjson" >"$tmp/eval.ndjson" 2>/dev/null
  check "eval: exit" 0 $?
  expected=$(wc -l <"$tmp/eval.ndjson")
}

# start_worker NAME [OPTIONS…]: a worker of the group, log in $tmp/NAME.log,
# metrics in $tmp/NAME.prom; its pid in worker_pid[NAME]. checkpoint_every and
# checkpoint_interval (variables) change its checkpoints (1500 events, 1 s).
declare -A worker_pid
start_worker() {
  local name="$1"; shift
  "$bin" worker ${worker_options:-} --nats "$url" --config "$tmp/ds/config.json" --partitions "$partitions" --name "$name" \
    --lease-ttl "${lease_ttl:-2}" --checkpoint-every "${checkpoint_every:-1500}" \
    --checkpoint-interval "${checkpoint_interval:-1}" --metrics-file "$tmp/$name.prom" \
    --metrics-every 0.2 "$@" >"$tmp/$name.log" 2>&1 &
  worker_pid[$name]=$!
  pids+=("$!")
  # Joined: the group's streams, buckets and routing config exist.
  wait_until 120 grep -qs "joined" "$tmp/$name.log" && return 0
  echo "$name did not join:"; cat "$tmp/$name.log"
}

# stop_worker NAME: SIGTERM, and wait for a clean exit (checkpoint, release).
stop_worker() {
  kill -TERM "${worker_pid[$1]}" 2>/dev/null
  wait "${worker_pid[$1]}"
  check "$1 stops cleanly on SIGTERM" 0 $?
}

# no_crash_reports: no worker log holds a sanitizer report or an uncaught
# exception (a death by signal shows in stop_worker's exit status).
no_crash_reports() {
  local found
  found=$(grep -l "terminate called\|AddressSanitizer\|ThreadSanitizer\|LeakSanitizer\|runtime error:" \
    "$tmp"/*.log 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
  check "no sanitizer report or uncaught exception in the logs" "" "$found"
}

# applied_lines NAME: the sum of the lines its partitions applied (metrics).
applied_lines() {
  awk '/^claimmap_worker_applied_line/ { s += $2 } END { print s + 0 }' "$tmp/$1.prom" 2>/dev/null || echo 0
}

# owned_and_lag NAMES...: "OWNED LAG" summed over the workers' metrics.
owned_and_lag() {
  local files=() n
  for n in "$@"; do files+=("$tmp/$n.prom"); done
  cat "${files[@]}" 2>/dev/null | awk '/^claimmap_worker_partition_owned/ { o++ }
    /^claimmap_worker_consumer_lag/ { l += $2 } END { print o + 0, l + 0 }'
}

# wait_caught_up NAME N: until NAME owns N partitions, each with nothing
# left to deliver (metrics), at most 180 s.
wait_caught_up() {
  local who=$1 want="$2 0" seen=""  # seen by the eval in wait_until (dynamic scope)
  wait_until 180 eval 'seen=$(owned_and_lag "$who"); [[ "$seen" == "$want" ]]'
  check "$who owns $2 partitions and has caught up" "$want" "$seen"
}

# events_of NAME: the results NAME wrote so far (metrics).
events_of() { awk '/^claimmap_events_total/ { s += $2 } END { print s + 0 }' "$tmp/$1.prom" 2>/dev/null || echo 0; }

# results_stored: how many result lines are stored (exported to $tmp/deltas.ndjson).
results_stored() {
  "$bin" worker --nats "$url" --export-deltas "$tmp/deltas.ndjson" 2>"$tmp/export-deltas.err" &&
    wc -l <"$tmp/deltas.ndjson"
}

# wait_for_results N: until N result lines are stored (at most 180 s).
wait_for_results() {
  local want=$1 got=0  # seen by the eval in wait_until (dynamic scope)
  wait_until 180 eval 'got=$(results_stored || echo 0); (( got >= want ))'
  check "every result stored ($want lines)" "$want" "$got"
  [[ -s "$tmp/export-deltas.err" ]] && { echo "export-deltas said:"; cat "$tmp/export-deltas.err"; }
}

# compare_with_eval EVAL_OUTPUT: the stored results, sorted by (seq, reload
# lines first, provider, subject), are eval's output line for line, and
# every input line has exactly one result.
compare_with_eval() {
  python3 - "$1" "$tmp/deltas.ndjson" >"$tmp/compare.txt" <<'EOF'
import json, sys, collections
def key(line):
    d = json.loads(line)
    return (d["seq"], 0 if d.get("cause") == "reload" else 1, d.get("provider", ""), d.get("subject", ""))
want = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
print("eval in order:", sorted(want, key=key) == want)
per_line = collections.Counter(json.loads(l)["seq"] for l in got if json.loads(l).get("cause") != "reload")
print("lines with more than one result:", sum(1 for v in per_line.values() if v > 1))
s = sorted(got, key=key)
same = s == want
print("same:", same)
if not same:
    for i, (a, b) in enumerate(zip(want, s)):
        if a != b:
            print("first difference at line", i + 1); print(" eval:", a); print(" got: ", b); break
    print("counts:", len(want), len(got))
EOF
  contains "eval's output is already in (seq, reload, provider, subject) order" "eval in order: True" "$tmp/compare.txt"
  contains "each input line has exactly one result" "lines with more than one result: 0" "$tmp/compare.txt"
  contains "the union of the deltas is eval's output, line for line" "same: True" "$tmp/compare.txt"
}

# compare_state EVAL_STATE: the merged state of every partition's last
# checkpoint is eval's final state, byte for byte.
compare_state() {
  "$bin" worker --nats "$url" --export-state "$tmp/group-state.ndjson" 2>"$tmp/export.err"
  check "export the group's state: exit" 0 $?
  if cmp -s "$1" "$tmp/group-state.ndjson"; then
    check "the partitions' final states together are eval's final state" same same
  else
    check "the partitions' final states together are eval's final state" same differ
    diff <(head -c 20000 "$1") <(head -c 20000 "$tmp/group-state.ndjson") | head -5
  fi
}
