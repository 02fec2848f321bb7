#!/usr/bin/env bash
# `claimmap serve` as its clients use it (docs/spec.md §13): a real server on a
# loopback port, driven with curl and with raw HTTP (tests/http_probe.py).
# Batches give the same lines as `claimmap eval`; 401 without or with a wrong
# token, changing nothing; PUT /v1/config invalid (every error, nothing
# changed), dry run (as `claimmap diff`, nothing changed) and applied (its
# reload lines); who-has and users as the CLI's; 413; keep-alive and
# pipelining; a stalled client while others are served; the connection cap;
# metrics; SCIM over the wire; periodic snapshots; SIGTERM → restart → state
# intact; `simulate --target` counts what an in-process run counts.
# Usage: tests/server_cli_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
data=tests/data/live
tmp=$(mktemp -d)
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap stop_all EXIT
source "$(dirname "$0")/shell_checks.sh"
probe() { python3 tests/http_probe.py "$@"; }

if ! command -v curl >/dev/null; then echo "curl is missing: run scripts/install-deps.sh"; exit 1; fi

echo "t0ken-$$-$RANDOM" >"$tmp/token"
token=$(cat "$tmp/token")
auth=(-H "Authorization: Bearer $token")

# start_server NAME ARGS…: starts it on a free port, waits until it listens;
# sets $port and $pid.
start_server() {
  local name=$1
  shift
  "$bin" serve --listen 127.0.0.1:0 --token-file "$tmp/token" "$@" 2>"$tmp/$name.log" &
  pid=$!
  pids+=("$pid")
  port=""
  for _ in $(seq 1 100); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$tmp/$name.log" | grep -o '[0-9]*$')
    [[ -n "$port" ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server $name did not start:"; cat "$tmp/$name.log"; exit 1
}
# stop_server: SIGTERM, and the exit code it ended with.
stop_server() {
  kill -TERM "$pid"
  wait "$pid"
  stopped_with=$?
}
get() { curl -s "${auth[@]}" "http://127.0.0.1:$port$1"; }
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

# A .ndjson state the server did not write is refused (it would be rewritten
# at the stop), unless --overwrite-state (server/state_owner.h).
cp $data/state.ndjson "$tmp/state.ndjson"
timeout 60 "$bin" serve --listen 127.0.0.1:0 --token-file "$tmp/token" --config $data/old.json \
  --state "$tmp/state.ndjson" 2>"$tmp/not-owned.err"
check "a .ndjson state the server did not write: exit 2" 2 $?
contains "… saying why and what to do" "did not write (no $tmp/state.ndjson.owner)" "$tmp/not-owned.err"
contains "… naming the flag" "--overwrite-state" "$tmp/not-owned.err"
check "… and the file untouched" "$(cat $data/state.ndjson)" "$(cat "$tmp/state.ndjson")"
start_server main --config $data/old.json --state "$tmp/state.ndjson" --overwrite-state --scim-provider entra --read-timeout 1
base="http://127.0.0.1:$port"

# --- health and authentication --------------------------------------------
check "healthz needs no token" "200" "$(status_of "$base/healthz")"
check "no token: 401" "401" "$(status_of -X POST --data-binary @$data/events.ndjson "$base/v1/events")"
check "wrong token: 401" "401" "$(status_of -H "Authorization: Bearer wrong" -X POST --data-binary @$data/events.ndjson "$base/v1/events")"
check "token of the right length but wrong: 401" "401" \
  "$(status_of -H "Authorization: Bearer ${token%?}X" -X POST --data-binary @$data/events.ndjson "$base/v1/events")"
check "metrics need the token" "401" "$(status_of "$base/metrics")"
check "a refused request changed nothing" '{"error":{"code":"unknown_user","message":"no such user"}}' \
  "$(get /v1/users/okta/k9)"

# --- events: the same lines as eval ---------------------------------------
"$bin" eval --config $data/old.json --state $data/state.ndjson $data/events.ndjson >"$tmp/eval.out" 2>/dev/null
curl -s "${auth[@]}" -X POST -H 'Content-Type: application/x-ndjson' --data-binary @$data/events.ndjson \
  -D "$tmp/events.headers" "$base/v1/events" >"$tmp/events.out"
check "POST /v1/events = claimmap eval" "$(cat "$tmp/eval.out")" "$(cat "$tmp/events.out")"
contains "NDJSON content type" "Content-Type: application/x-ndjson" "$tmp/events.headers"
"$bin" eval --config $data/old.json --state $data/state.ndjson --save-state "$tmp/after.ndjson" $data/events.ndjson \
  >/dev/null 2>&1
check "GET /v1/users = the user's state line" "$(grep '"subject": "k1"' "$tmp/after.ndjson")" "$(get /v1/users/okta/k1)"
check "GET /v1/users unknown: 404" "404" "$(status_of "${auth[@]}" "$base/v1/users/okta/nobody")"
"$bin" explain --config $data/old.json --state "$tmp/after.ndjson" --provider okta --subject k1 >"$tmp/explain.cli" 2>/dev/null
check "claimmap explain: exit 0" 0 $?
check "GET /v1/users?explain=1 = claimmap explain" "$(cat "$tmp/explain.cli")" "$(get '/v1/users/okta/k1?explain=1')"
check "GET /v1/users?explain=1 unknown: 404" "404" "$(status_of "${auth[@]}" "$base/v1/users/okta/nobody?explain=1")"
"$bin" explain --config $data/old.json --state "$tmp/after.ndjson" --provider okta --subject nobody >/dev/null 2>"$tmp/explain.err"
check "claimmap explain of an unknown user: exit 2" 2 $?
contains "and says who was asked for" 'no user with subject "nobody" for provider "okta"' "$tmp/explain.err"
"$bin" who-has --config $data/old.json --state "$tmp/after.ndjson" --role Ops.Pager >"$tmp/who.cli" 2>/dev/null
check "GET /v1/who-has = claimmap who-has" "$(cat "$tmp/who.cli")" "$(get '/v1/who-has?role=Ops.Pager')"
"$bin" who-has --config $data/old.json --state "$tmp/after.ndjson" --app Crm >"$tmp/who-app.cli" 2>/dev/null
check "GET /v1/who-has?app= = claimmap who-has --app" "$(cat "$tmp/who-app.cli")" "$(get '/v1/who-has?app=Crm')"
check "who-has of an unknown role: 404" "404" "$(status_of "${auth[@]}" "$base/v1/who-has?role=No.Such")"
check "who-has without a name: 400" "400" "$(status_of "${auth[@]}" "$base/v1/who-has")"

# Bad lines get their own result line; the others go on.
printf '{"type": "assign", "provider": "entra", "subject": "x1", "group": "staff"}\nnot json\n\n{"type": "assign", "provider": "entra", "subject": "x1", "group": "nope"}\r\n' \
  >"$tmp/mixed.ndjson"
"$bin" eval --config $data/old.json --state "$tmp/after.ndjson" "$tmp/mixed.ndjson" >"$tmp/mixed.eval" 2>/dev/null
curl -s "${auth[@]}" -X POST --data-binary @"$tmp/mixed.ndjson" "$base/v1/events" >"$tmp/mixed.out"
check "bad lines, a blank line and CRLF as eval" "$(cat "$tmp/mixed.eval")" "$(cat "$tmp/mixed.out")"

# ?explain=1 (docs/spec.md §17): the lines eval --explain gives. An unassign
# and the assign back leave the state as it was for the checks below.
cat $data/events.ndjson "$tmp/mixed.ndjson" >"$tmp/so-far.ndjson"
"$bin" eval --config $data/old.json --state $data/state.ndjson --save-state "$tmp/so-far-state.ndjson" "$tmp/so-far.ndjson" \
  >/dev/null 2>&1
printf '{"type": "unassign", "provider": "entra", "subject": "x1", "group": "staff"}\n{"type": "assign", "provider": "entra", "subject": "x1", "group": "staff"}\n' \
  >"$tmp/explain.ndjson"
"$bin" eval --explain --config $data/old.json --state "$tmp/so-far-state.ndjson" "$tmp/explain.ndjson" >"$tmp/explain.eval" 2>/dev/null
curl -s "${auth[@]}" -X POST --data-binary @"$tmp/explain.ndjson" "$base/v1/events?explain=1" >"$tmp/explain.out"
check "POST /v1/events?explain=1 = eval --explain" "$(cat "$tmp/explain.eval")" "$(cat "$tmp/explain.out")"
contains "the unassign says why" '"explain": {"groups_removed": {"staff": {"reason": "unassigned"}}' "$tmp/explain.out"

# --- config: invalid, dry run, applied -------------------------------------
before_state=$(get /v1/users/entra/u1)
curl -s "${auth[@]}" -X PUT --data-binary @$data/bad.json -w '\n%{http_code}\n' "$base/v1/config" >"$tmp/bad.out"
check "invalid config: 400" "400" "$(tail -1 "$tmp/bad.out")"
"$bin" validate $data/bad.json >/dev/null 2>"$tmp/bad.cli"
check "every error answered (as many as validate lists)" "$(grep -c '^error: ' "$tmp/bad.cli" | tr -d ' ')" \
  "$(head -1 "$tmp/bad.out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["errors"]))')"
contains "errors carry their path" '"path":"roles[1]' "$tmp/bad.out"
check "invalid config: version unchanged" '{"config_version":1}' "$(get /v1/config)"

"$bin" eval --config $data/old.json --state $data/state.ndjson --save-state "$tmp/now.ndjson" \
  $data/events.ndjson "$tmp/mixed.ndjson" >/dev/null 2>&1 </dev/null
cat $data/events.ndjson "$tmp/mixed.ndjson" >"$tmp/all.ndjson"
"$bin" eval --config $data/old.json --state $data/state.ndjson --save-state "$tmp/now.ndjson" "$tmp/all.ndjson" >/dev/null 2>&1
"$bin" diff --config $data/old.json --new-config $data/new-lock.json --state "$tmp/now.ndjson" >"$tmp/diff.cli" 2>/dev/null
curl -s "${auth[@]}" -X PUT --data-binary @$data/new-lock.json -D "$tmp/dry.headers" "$base/v1/config?dry_run=1" >"$tmp/dry.out"
check "dry run = claimmap diff" "$(cat "$tmp/diff.cli")" "$(cat "$tmp/dry.out")"
contains "dry run shows the lockout" '"lockout"' "$tmp/dry.out"
check "dry run: version unchanged" '{"config_version":1}' "$(get /v1/config)"
check "dry run: state unchanged" "$before_state" "$(get /v1/users/entra/u1)"
"$bin" diff --explain --config $data/old.json --new-config $data/new-lock.json --state "$tmp/now.ndjson" >"$tmp/diff-explain.cli" 2>/dev/null
curl -s "${auth[@]}" -X PUT --data-binary @$data/new-lock.json "$base/v1/config?dry_run=1&explain=1" >"$tmp/dry-explain.out"
check "dry run with explain=1 = claimmap diff --explain" "$(cat "$tmp/diff-explain.cli")" "$(cat "$tmp/dry-explain.out")"
contains "reload lines say why" '"reason": "' "$tmp/dry-explain.out"

curl -s "${auth[@]}" -X PUT --data-binary @$data/new-a.json "$base/v1/config" >"$tmp/apply.out"
"$bin" diff --config $data/old.json --new-config $data/new-a.json --state "$tmp/now.ndjson" 2>/dev/null \
  | grep '"cause": "reload"' >"$tmp/apply.cli"
check "applied: the reload lines diff predicted" "$(cat "$tmp/apply.cli")" "$(cat "$tmp/apply.out")"
check "applied: version 2" '{"config_version":2}' "$(get /v1/config)"
check "applied: okta deleted, its later events unknown_provider" "unknown_provider" \
  "$(curl -s "${auth[@]}" -X POST -d '{"type": "assign", "provider": "okta", "subject": "k1", "group": "sales"}' "$base/v1/events" \
     | python3 -c 'import json,sys; print(json.load(sys.stdin)["error"]["code"])')"

# --- limits and the wire ----------------------------------------------------
check "413 over 64 MiB, from the header" "oversize 413" "$(probe oversize "$port" "$token")"
check "keep-alive: two requests on one connection" "keepalive 200 1, 200 1" "$(probe keepalive "$port" "$token")"
check "pipelined requests answered in order" "pipelined 200 200" "$(probe pipelined "$port" "$token")"
probe stall "$port" "$token" 20 >"$tmp/stall.out"
contains "others served while a client stalls" "served_while_stalled 20" "$tmp/stall.out"
contains "the stalled client is closed by the read timeout" "stalled_closed yes after_under_20s" "$tmp/stall.out"
check "not HTTP: 400" "garbage 400" "$(probe garbage "$port")"
check "unknown route: 404" "404" "$(status_of "${auth[@]}" "$base/v1/nothing")"
check "wrong method: 405" "405" "$(status_of "${auth[@]}" -X DELETE "$base/v1/events")"

# --- SCIM over the wire (tests/scim_routes_test.cc has every case) ----------
scim=(-H 'Content-Type: application/scim+json')
check "SCIM POST /Users: 201" "201" "$(status_of "${auth[@]}" "${scim[@]}" -X POST \
  -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"s-1","active":true,"displayName":"S One"}' \
  "$base/scim/v2/Users")"
check "SCIM POST again: 409" "409" "$(status_of "${auth[@]}" "${scim[@]}" -X POST -d '{"userName":"s-1"}' "$base/scim/v2/Users")"
check "SCIM PATCH Groups add member" "1" "$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "${scim[@]}" -X PATCH \
  -d '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"value":"s-1"}]}]}' \
  "$base/scim/v2/Groups/staff" | grep -cE '^20[04]$')"
check "SCIM membership is a manual membership" '["staff"]' \
  "$(get /v1/users/entra/s-1 | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["manual"]))')"
curl -s "${auth[@]}" "${scim[@]}" -X PATCH \
  -d '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}' \
  "$base/scim/v2/Users/s-1" >/dev/null
check "SCIM PATCH active False (Entra's form) suspends" "true" \
  "$(get /v1/users/entra/s-1 | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["suspended"]).lower())')"
check "SCIM meta.location: absolute, https behind a TLS proxy" "https://127.0.0.1:$port/scim/v2/Users/s-1" \
  "$(curl -s "${auth[@]}" -H 'X-Forwarded-Proto: https' "$base/scim/v2/Users/s-1" \
     | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["location"])')"
check "SCIM discovery" "true" "$(get /scim/v2/ServiceProviderConfig | python3 -c 'import json,sys; print(str(json.load(sys.stdin)["patch"]["supported"]).lower())')"
check "SCIM unsupported filter: 400 invalidFilter" "invalidFilter" \
  "$(curl -s "${auth[@]}" --get --data-urlencode 'filter=userName sw "s"' "$base/scim/v2/Users" \
     | python3 -c 'import json,sys; print(json.load(sys.stdin)["scimType"])')"
check "SCIM DELETE: 204" "204" "$(status_of "${auth[@]}" -X DELETE "$base/scim/v2/Users/s-1")"
check "SCIM deleted user: 404" "404" "$(status_of "${auth[@]}" "$base/scim/v2/Users/s-1")"

# --- metrics -----------------------------------------------------------------
get /metrics >"$tmp/metrics"
contains "metrics: logins by cause" 'claimmap_events_total{cause="login"}' "$tmp/metrics"
contains "metrics: errors by code" 'claimmap_event_errors_total{code="malformed_json"} 1' "$tmp/metrics"
contains "metrics: latency histogram" 'claimmap_login_latency_seconds_bucket{le="+Inf"}' "$tmp/metrics"
contains "metrics: config version" 'claimmap_config_version 2' "$tmp/metrics"
contains "metrics: users" 'claimmap_users ' "$tmp/metrics"

# --- SIGTERM → restart → state intact ----------------------------------------
before_k1=$(get /v1/users/entra/u1)
before_users=$(grep '^claimmap_users ' "$tmp/metrics")
stop_server
check "SIGTERM: exit 0" "0" "$stopped_with"
contains "SIGTERM: state saved" "state saved to" "$tmp/main.log"
contains "SIGTERM: the state is recorded as the server's own" "claimmap-serve-state 1 size=" "$tmp/state.ndjson.owner"
# Its own .ndjson state: no flag needed (start_server fails the test if refused).
start_server restart --config $data/new-a.json --state "$tmp/state.ndjson" --scim-provider entra
check "restart: user intact" "$before_k1" "$(get /v1/users/entra/u1)"
check "restart: users intact" "$before_users" "$(get /metrics | grep '^claimmap_users ')"
stop_server
# Changed behind the server's back (a dataset copied over it): refused again.
cp $data/state.ndjson "$tmp/state.ndjson"
timeout 60 "$bin" serve --listen 127.0.0.1:0 --token-file "$tmp/token" --config $data/old.json \
  --state "$tmp/state.ndjson" 2>"$tmp/changed.err"
check "a .ndjson state changed since the server wrote it: exit 2" 2 $?
contains "… saying so" "has changed since this server last wrote it" "$tmp/changed.err"

# --- periodic snapshots while requests continue -----------------------------
start_server periodic --config $data/old.json --state "$tmp/periodic.bin" --snapshot-every 0.3
curl -s "${auth[@]}" -X POST --data-binary @$data/events.ndjson "http://127.0.0.1:$port/v1/events" >/dev/null
sleep 1
"$bin" state inspect "$tmp/periodic.bin" >"$tmp/inspect.out" 2>&1
contains "periodic snapshot written and whole" "binary snapshot" "$tmp/inspect.out"
"$bin" eval --config $data/old.json --save-state "$tmp/periodic.ndjson" $data/events.ndjson >/dev/null 2>&1
check "periodic snapshot has the users" "users $(wc -l <"$tmp/periodic.ndjson" | tr -d ' ')" \
  "$(grep -E '^ +users ' "$tmp/inspect.out" | tr -s ' ' | sed 's/^ //')"
stop_server
check "a missing state file starts empty, stops with it written" "0" "$stopped_with"

# --- connection cap ------------------------------------------------------------
start_server cap --config $data/old.json --max-connections 3
probe cap "$port" 3 >"$tmp/cap.out"
contains "over the connection cap: 503" "over_cap 503" "$tmp/cap.out"
contains "below the cap again: served" "after_cap 200" "$tmp/cap.out"
stop_server

# --- simulate --target counts what an in-process run counts --------------------
"$bin" simulate --seed 11 --users 2000 --logins 6000 --write-dataset "$tmp/ds" 2>/dev/null
start_server sim --config "$tmp/ds/config.json" --state "$tmp/ds/state.ndjson" --overwrite-state
sim_args=(--seed 11 --users 2000 --logins 6000 --threads 2 --json)
"$bin" simulate "${sim_args[@]}" >"$tmp/sim.local" 2>/dev/null
"$bin" simulate "${sim_args[@]}" --target "http://127.0.0.1:$port" --token-file "$tmp/token" --batch 50 >"$tmp/sim.remote" 2>"$tmp/sim.err"
counts() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["run"]; print(json.dumps({k: r[k] for k in ("events","status","deltas","errors_by_code") if k in r}, sort_keys=True))' "$1"; }
check "simulate --target: the same results as in process" "$(counts "$tmp/sim.local")" "$(counts "$tmp/sim.remote")"
check "simulate --target with a wrong token fails clearly" "1" \
  "$(echo wrong >"$tmp/bad-token"; "$bin" simulate "${sim_args[@]}" --target "http://127.0.0.1:$port" --token-file "$tmp/bad-token" 2>&1 >/dev/null | grep -c 401)"
stop_server

finish
