#!/usr/bin/env bash
# An applied config survives a restart (docs/server.md "An applied config
# survives a restart"; docs/spec.md §13): `PUT /v1/config` stores the config
# beside the state (S.config) before it answers 200, and a restart serves it
# at its version — after a clean stop and after SIGKILL right after the 200.
# The startup line says which config is served and where from; who-has and a
# login answer under the stored config; a dry run or an invalid config stores
# nothing; a damaged or invalid store refuses the start (exit 2, naming it);
# a store that cannot be written answers an error and applies nothing;
# removing the store goes back to --config at version 1.
# Usage: tests/server_config_store_test.sh path/to/claimmap   (from the repository root)
#
# The configs (tests/data/live/): old.json has providers entra and okta;
# new-a.json deletes okta, makes m-sales match "g-sales-v2" and lets the
# group support grant Ops.Pager (which u1 holds manually in state.ndjson).
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

if ! command -v curl >/dev/null; then echo "curl is missing: run scripts/install-deps.sh"; exit 1; fi

echo "t0ken-$$-$RANDOM" >"$tmp/token"
auth=(-H "Authorization: Bearer $(cat "$tmp/token")")

# start_server NAME ARGS…: starts it on a free port and waits until it
# listens (up to 120 s: the machine may be busy); sets $port and $pid.
start_server() {
  local name=$1
  shift
  "$bin" serve --listen 127.0.0.1:0 --token-file "$tmp/token" "$@" 2>"$tmp/$name.log" &
  pid=$!
  pids+=("$pid")
  port=""
  local deadline=$((SECONDS + 120))
  while ((SECONDS < deadline)); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$tmp/$name.log" | grep -o '[0-9]*$')
    [[ -n "$port" ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  echo "server $name did not start:"; cat "$tmp/$name.log"; exit 1
}
stop_server() {  # SIGTERM; $stopped_with is its exit code
  kill -TERM "$pid"
  wait "$pid"
  stopped_with=$?
}
kill_server() {  # SIGKILL: no snapshot, nothing flushed at exit
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null
}
# refused NAME ARGS…: serve must exit by itself (not listen); $refused_with
# is its exit code, $tmp/NAME.log its stderr. A server that starts anyway is
# stopped by timeout (exit 124), which the caller's check reports.
refused() {
  local name=$1
  shift
  timeout 120 "$bin" serve --listen 127.0.0.1:0 --token-file "$tmp/token" "$@" 2>"$tmp/$name.log"
  refused_with=$?
}
get() { curl -s "${auth[@]}" "http://127.0.0.1:$port$1"; }
post_events() { curl -s "${auth[@]}" -X POST --data-binary "$1" "http://127.0.0.1:$port/v1/events"; }
# put_config FILE [QUERY]: the answer's body in $tmp/put.body, headers in
# $tmp/put.headers; prints the status.
put_config() {
  curl -s "${auth[@]}" -X PUT --data-binary @"$1" -D "$tmp/put.headers" -o "$tmp/put.body" -w '%{http_code}' \
    "http://127.0.0.1:$port/v1/config${2:-}"
}
header() { grep -i "^$1:" "$tmp/put.headers" | sed 's/^[^:]*: *//' | tr -d '\r'; }
# field PYTHON-SUBSCRIPT: of the first JSON line on stdin; strings bare, the rest as JSON.
field() {
  python3 -c 'import json,sys; v=eval("d" + sys.argv[1], {"d": json.loads(sys.stdin.readline())}); print(v if isinstance(v, str) else json.dumps(v))' "$1"
}
okta_login='{"iss": "https://idp.example/okta", "sub": "k7", "iat": 500, "groups": ["sales"]}'
entra_login='{"iss": "https://idp.example/entra", "oid": "u9", "iat": 500, "tid": "t1", "groups": ["g-sales-v2"]}'

mkdir "$tmp/s"
state="$tmp/s/state.bin"
store="$state.config"
"$bin" state convert $data/state.ndjson "$state" >/dev/null 2>&1
check "setup: a binary snapshot to start from" 0 $?

# ---------------------------------------------------------------------------
# 1. No store yet: --config at version 1, and the line says where a change
#    would be kept.
start_server first --config $data/old.json --state "$state"
contains "first start: serves --config at version 1, names the store" \
  "claimmap serve: config $data/old.json (version 1; a config applied by PUT /v1/config is kept in $store)" \
  "$tmp/first.log"
check "first start: version 1" '{"config_version":1}' "$(get /v1/config)"

# A dry run and an invalid config store nothing.
check "dry run: 200" 200 "$(put_config $data/new-a.json '?dry_run=1')"
check "dry run: no store written" no "$([[ -e $store ]] && echo yes || echo no)"
check "invalid config: 400" 400 "$(put_config $data/bad.json)"
check "invalid config: no store written" no "$([[ -e $store ]] && echo yes || echo no)"

# Applied: 200 with its version, and stored before the answer.
check "PUT new-a: 200" 200 "$(put_config $data/new-a.json)"
check "PUT new-a: version header 2" 2 "$(header X-Claimmap-Config-Version)"
check "store: header line" "claimmap-applied-config 1 version=2" "$(head -n 1 "$store" | cut -d' ' -f1-3)"
check "store: the config's bytes verbatim after the header" "" "$(tail -n +2 "$store" | cmp - $data/new-a.json 2>&1)"
check "store: only the store and the state in the folder" "state.bin state.bin.config" "$(ls "$tmp/s" | tr '\n' ' ' | sed 's/ $//')"
stop_server
check "clean stop: exit 0" 0 "$stopped_with"

# ---------------------------------------------------------------------------
# 2. Restart on the same command line: the stored config, at version 2.
start_server second --config $data/old.json --state "$state"
contains "restart: serves version 2 from the store, --config as the base" \
  "claimmap serve: config version 2 from $store (applied by PUT /v1/config at " "$tmp/second.log"
contains "restart: … and names --config as the base" "; --config $data/old.json is the base)" "$tmp/second.log"
check "restart: the snapshot was written under the config served" 0 "$(grep -c 'another config' "$tmp/second.log")"
check "restart: no warning (the base is unchanged)" 0 "$(grep -c 'warning' "$tmp/second.log")"
check "restart: GET /v1/config version 2" '{"config_version":2}' "$(get /v1/config)"
check "restart: metrics config version 2" "claimmap_config_version 2" "$(get /metrics | grep '^claimmap_config_version ')"
# who-has under new-a.json: support grants Ops.Pager there, and u1 holds support.
get '/v1/who-has?role=Ops.Pager' >"$tmp/who.server"
"$bin" state convert "$state" "$tmp/now.ndjson" >/dev/null 2>&1
"$bin" who-has --config $data/new-a.json --state "$tmp/now.ndjson" --role Ops.Pager >"$tmp/who.cli" 2>/dev/null
check "restart: who-has = claimmap who-has under new-a.json" "$(cat "$tmp/who.cli")" "$(cat "$tmp/who.server")"
contains "restart: u1 holds Ops.Pager through support (new-a.json only)" \
  '"subject": "u1", "role": "Ops.Pager", "via": [{"group": "support", "manual": true}]' "$tmp/who.server"
# Logins evaluated under new-a.json: okta is gone, g-sales-v2 maps to sales.
check "restart: an okta login is unknown_provider" unknown_provider "$(post_events "$okta_login" | field '["error"]["code"]')"
check "restart: an entra login with g-sales-v2 gets sales" '["sales"]' \
  "$(post_events "$entra_login" | field '["groups_added"]')"

# The next change counts on from the stored version; SIGKILL right after its
# 200: the store was written before the answer.
check "second PUT (old.json back): 200" 200 "$(put_config $data/old.json)"
check "second PUT: version header 3" 3 "$(header X-Claimmap-Config-Version)"
kill_server

# ---------------------------------------------------------------------------
# 3. After SIGKILL: version 3, old.json, at once.
start_server third --config $data/old.json --state "$state"
contains "after SIGKILL: serves version 3 from the store" "claimmap serve: config version 3 from $store" "$tmp/third.log"
check "after SIGKILL: version 3" '{"config_version":3}' "$(get /v1/config)"
check "after SIGKILL: okta is back (a login is ok)" ok "$(post_events "$okta_login" | field '["status"]')"
check "after SIGKILL: a further PUT counts on: version 4" 200 "$(put_config $data/old.json)"
check "after SIGKILL: version header 4" 4 "$(header X-Claimmap-Config-Version)"
stop_server

# An edited --config does not win over the store; the startup line says so.
start_server edited --config $data/new-a.json --state "$state"
check "edited --config: still version 4 from the store" '{"config_version":4}' "$(get /v1/config)"
contains "edited --config: warned" "claimmap serve: warning: --config $data/new-a.json has changed since version 4" \
  "$tmp/edited.log"
stop_server

# ---------------------------------------------------------------------------
# 4. A damaged store refuses the start (exit 2), naming it; so does a whole
#    store whose config is invalid, with every error and its path.
cp "$store" "$tmp/store.good"
printf 'x' >>"$store"
refused damaged --config $data/old.json --state "$state"
check "damaged store: exit 2" 2 "$refused_with"
contains "damaged store: named" "the config store $store is damaged" "$tmp/damaged.log"
check "damaged store: never listened" 0 "$(grep -c 'listening on' "$tmp/damaged.log")"
python3 - "$store" $data/bad.json <<'PY'
import sys, zlib
text = open(sys.argv[2], "rb").read()
with open(sys.argv[1], "wb") as f:
    f.write(b"claimmap-applied-config 1 version=5 bytes=%d crc32=%08x\n" % (len(text), zlib.crc32(text)) + text)
PY
refused invalid --config $data/old.json --state "$state"
check "invalid stored config: exit 2" 2 "$refused_with"
contains "invalid stored config: unknown member, with its path" "error: groups[0].colour: unknown member" "$tmp/invalid.log"
contains "invalid stored config: unknown group, with its path" 'error: mappings[0].group: unknown group "no-such-group"' "$tmp/invalid.log"
contains "invalid stored config: the store named" "$store: the config stored there (version 5) is invalid" "$tmp/invalid.log"

# Removing the store goes back to --config at version 1.
rm "$store"
start_server removed --config $data/old.json --state "$state"
contains "store removed: --config at version 1" "claimmap serve: config $data/old.json (version 1;" "$tmp/removed.log"
check "store removed: version 1" '{"config_version":1}' "$(get /v1/config)"
stop_server

# ---------------------------------------------------------------------------
# 5. A store that cannot be written (its folder removed under the running
#    server): the PUT answers 503 with a JSON error, and nothing is applied.
mkdir "$tmp/gone"
start_server unwritable --config $data/old.json --state "$tmp/gone/state.bin"
rm -rf "$tmp/gone"
check "unwritable store: 503" 503 "$(put_config $data/new-a.json)"
check "unwritable store: io_error" io_error "$(field '["error"]["code"]' <"$tmp/put.body")"
contains "unwritable store: says nothing was applied" "nothing applied" "$tmp/put.body"
check "unwritable store: no version header" "" "$(header X-Claimmap-Config-Version)"
check "unwritable store: still version 1" '{"config_version":1}' "$(get /v1/config)"
check "unwritable store: okta still served" ok "$(post_events "$okta_login" | field '["status"]')"
stop_server  # its final snapshot fails too (the folder is gone): exit 1

# ---------------------------------------------------------------------------
# 6. Without --state there is no store: an applied config lasts until the stop.
start_server nostate --config $data/old.json
contains "no --state: the line says an applied config is not kept" \
  "claimmap serve: config $data/old.json (version 1; a config applied by PUT /v1/config lasts until the process stops" \
  "$tmp/nostate.log"
check "no --state: PUT still applies" 200 "$(put_config $data/new-a.json)"
stop_server
start_server nostate2 --config $data/old.json
check "no --state: a restart is back on --config at version 1" '{"config_version":1}' "$(get /v1/config)"
stop_server

# ---------------------------------------------------------------------------
# 7. --config-store F: the store where F says, with or without --state.
start_server custom --config $data/old.json --config-store "$tmp/applied.config"
check "--config-store: PUT applies" 200 "$(put_config $data/new-a.json)"
check "--config-store: the store is F" yes "$([[ -s "$tmp/applied.config" ]] && echo yes || echo no)"
stop_server
start_server custom2 --config $data/old.json --config-store "$tmp/applied.config"
contains "--config-store: the restart serves F's config" "claimmap serve: config version 2 from $tmp/applied.config" "$tmp/custom2.log"
check "--config-store: version 2 after the restart" '{"config_version":2}' "$(get /v1/config)"
stop_server

finish
