#!/usr/bin/env bash
# `claimmap serve` hardened (docs/spec.md §13 "Hardened serving"): named
# credentials with scopes from a tokens file of SHA-256 digests — 401 for an
# unknown token, 403 for a missing scope (a SCIM write and a config dry run
# included), and nothing done on either; the audit log's lines (and no
# token, no body, no query parameter a route does not read in them); 429
# with Retry-After and nothing done, in SCIM's error form on /scim/v2; the
# refusals in /metrics; SIGHUP rotation of the tokens (a bad new file keeps
# the old set; a connection kept alive across it serves on, with the old
# token refused there; a limited credential renamed away is warned of, and
# limited again when it comes back) and of the audit log (logrotate's
# rename, and the package's logrotate snippet run for real when logrotate
# is installed); an audit log that cannot be written answers 503 (SCIM's error
# form too) and changes nothing; the tokens file checked before the state
# is loaded; `simulate --target` with a scoped credential. A real server on
# a loopback port, always stopped.
# Usage: tests/server_hardening_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
data=tests/data/live
tmp=$(mktemp -d)
pid=""
probe_pid=""
stop_all() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
  [[ -n "$probe_pid" ]] && kill -KILL "$probe_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap stop_all EXIT
source "$(dirname "$0")/shell_checks.sh"
if ! command -v curl >/dev/null; then echo "curl is missing: run scripts/install-deps.sh"; exit 1; fi

digest() { printf '%s' "$1" | sha256sum | cut -c1-64; }
t_events="ev-$$-$RANDOM"; t_read="rd-$$-$RANDOM"; t_admin="ad-$$-$RANDOM"; t_burst="bu-$$-$RANDOM"; t_new="nw-$$-$RANDOM"
t_scim_burst="sb-$$-$RANDOM"
cat >"$tmp/tokens" <<EOF
# name          scopes                SHA-256 of the token
auth-pipeline   events                $(digest "$t_events")
reader          read,metrics          $(digest "$t_read")   # dashboards
ops             admin,read,events,scim,metrics $(digest "$t_admin")

burst           events                $(digest "$t_burst")
scim-burst      scim                  $(digest "$t_scim_burst")
EOF

# --- refusals at start ------------------------------------------------------
printf 'good events %s\nbad-line events\n' "$(digest x)" >"$tmp/bad-tokens"
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/bad-tokens" >/dev/null 2>"$tmp/bad.err"
check "a bad tokens file: exit 2" 2 $?
contains "naming its line" "bad-tokens line 2: expected 3 fields" "$tmp/bad.err"
printf 'plain events my-secret-token\n' >"$tmp/plain-tokens"
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/plain-tokens" >/dev/null 2>"$tmp/plain.err"
check "a token instead of its digest: exit 2" 2 $?
contains "says to give the digest" "SHA-256 as 64 hex digits" "$tmp/plain.err"
printf 'x events %s\n' "$(digest x)" >"$tmp/scope-tokens"
echo tok >"$tmp/token"
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/tokens" --token-file "$tmp/token" >/dev/null 2>&1
check "--token-file and --tokens-file together: exit 2" 2 $?
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/tokens" --rate-limit nobody=3/s >/dev/null 2>&1
check "a rate limit for no credential: exit 2" 2 $?
# The tokens file is checked before the state is loaded (a large state takes
# minutes): with a state that cannot be loaded as well, the tokens file's
# error is the one reported. First, that the state alone is refused.
echo "not a state" >"$tmp/broken.snapshot"
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/tokens" --state "$tmp/broken.snapshot" \
  >/dev/null 2>"$tmp/broken-state.err"
check "a state that cannot be loaded: exit 2" 2 $?
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/bad-tokens" --state "$tmp/broken.snapshot" \
  >/dev/null 2>"$tmp/order.err"
check "a bad tokens file and a bad state: exit 2" 2 $?
contains "  the tokens file's error is reported" "bad-tokens line 2: expected 3 fields" "$tmp/order.err"
check "  and nothing of the state (it was never read)" 0 "$(grep -c 'broken.snapshot' "$tmp/order.err")"
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/tokens" --rate-limit nobody=3/s \
  --state "$tmp/broken.snapshot" >/dev/null 2>"$tmp/order-limit.err"
check "a rate limit for no credential and a bad state: exit 2" 2 $?
contains "  the rate limit's error is reported" "--rate-limit names no credential: nobody" "$tmp/order-limit.err"
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/tokens" --tls-cert "$tmp/nothing.pem" \
  --tls-key "$tmp/nothing.key" --state "$tmp/broken.snapshot" >/dev/null 2>"$tmp/order-tls.err"
check "a missing TLS certificate and a bad state: exit 1" 1 $?
contains "  the certificate's error is reported" "$tmp/nothing.pem" "$tmp/order-tls.err"
check "  and nothing of the state" 0 "$(grep -c 'broken.snapshot' "$tmp/order-tls.err")"

# --- the server ---------------------------------------------------------------
# start_server LOG ARGS…: serve on a free port, wait until it listens; sets $pid, $port and $base.
start_server() {
  local log=$1
  shift
  "$bin" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
  pid=$!
  port=""
  for _ in $(seq 1 300); do
    port=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$')
    [[ -n "$port" ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ -n "$port" ]] || { echo "server did not start:"; cat "$log"; exit 1; }
  base="http://127.0.0.1:$port"
}
start_server "$tmp/serve.log" --config $data/old.json --tokens-file "$tmp/tokens" --audit-log "$tmp/audit.ndjson" \
  --rate-limit burst=0.05/s --rate-limit scim-burst=0.05/s --scim-provider entra
as() { local token=$1; shift; curl -s -H "Authorization: Bearer $token" "$@"; }
code() { local token=$1; shift; curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$@"; }
assign() { printf '{"type": "assign", "provider": "entra", "subject": "%s", "group": "staff"}' "$1"; }
reader_token=$t_read  # rotated below
user_status() { code "$reader_token" "$base/v1/users/entra/$1"; }
# hup: sends a SIGHUP and waits until the server has logged it (sighup_done N:
# until it has logged its Nth).
hups=0
hup() {
  kill -HUP "$pid"
  hups=$((hups + 1))
  sighup_done "$hups"
}
sighup_done() {
  for _ in $(seq 1 100); do
    (($(grep -c 'SIGHUP: .*credentials' "$tmp/serve.log") >= $1)) && return 0
    sleep 0.1
  done
  echo "the server did not log SIGHUP $1"; cat "$tmp/serve.log"; exit 1
}

# 401: an unknown token does nothing.
check "unknown token: 401" 401 "$(code wrong-token -X POST -d "$(assign zz-unknown)" "$base/v1/events")"
check "  and nothing was done" 404 "$(user_status zz-unknown)"
# 403: a valid token without the route's scope does nothing.
check "events credential on PUT /v1/config: 403" 403 \
  "$(code "$t_events" -X PUT --data-binary @$data/new-a.json "$base/v1/config")"
check "  the config is unchanged" '{"config_version":1}' "$(as "$t_read" "$base/v1/config")"
check "read credential posting events: 403" 403 "$(code "$t_read" -X POST -d "$(assign zz-reader)" "$base/v1/events")"
check "  and nothing was done" 404 "$(user_status zz-reader)"
check "events credential reading who-has: 403" 403 "$(code "$t_events" "$base/v1/who-has?role=Wiki.Reader")"
check "events credential on SCIM: 403" 403 "$(code "$t_events" "$base/scim/v2/Users")"
contains_text() { [[ "$2" == *"$3"* ]] && echo "ok   $1" || { echo "FAIL $1: no \"$3\" in: $2"; failures=$((failures + 1)); }; }
contains_text "  a 403 names the missing scope" "$(as "$t_events" "$base/v1/who-has?role=Wiki.Reader")" 'lacks the scope \"read\"'
check "metrics credential scrapes: 200" 200 "$(code "$t_read" "$base/metrics")"
check "events credential scrapes: 403" 403 "$(code "$t_events" "$base/metrics")"
# Each scope allows its routes.
check "events credential posts events: 200" 200 \
  "$(code "$t_events" -X POST -d '{"type": "assign", "provider": "entra", "subject": "zz-body-subject", "group": "staff"}' "$base/v1/events")"
check "read credential reads who-has: 200" 200 "$(code "$t_read" "$base/v1/who-has?role=Wiki.Reader")"
check "admin credential applies a config: 200" 200 "$(code "$t_admin" -X PUT --data-binary @$data/old.json "$base/v1/config")"

# 429: over its limit, nothing is done, and Retry-After says when to come back.
check "burst: the first request passes" 200 "$(code "$t_burst" -X POST -d "$(assign zz-burst-1)" "$base/v1/events")"
curl -s -D "$tmp/429.headers" -o "$tmp/429.body" -H "Authorization: Bearer $t_burst" -X POST -d "$(assign zz-burst-2)" \
  "$base/v1/events"
contains "burst: the next one at once gets 429" "HTTP/1.1 429" "$tmp/429.headers"
contains "  with Retry-After" "Retry-After: " "$tmp/429.headers"
retry=$(grep -i '^Retry-After:' "$tmp/429.headers" | tr -dc '0-9')
check "  of at least 1 and at most 20 s (0.05/s)" 1 "$(( retry >= 1 && retry <= 20 ))"
check "  and nothing was done" 404 "$(user_status zz-burst-2)"
check "the other credentials are not limited" 200 "$(code "$t_events" -X POST -d "$(assign zz-other)" "$base/v1/events")"
contains_text "/metrics counts the refusal by credential" "$(as "$t_read" "$base/metrics")" \
  'claimmap_http_rate_limited_total{credential="burst"} 1'

# --- the audit log -------------------------------------------------------------
log="$tmp/audit.ndjson"
check "no token in the audit log" 0 "$(cat "$log" | grep -c -e "$t_events" -e "$t_read" -e "$t_admin" -e "$t_burst" -e "$t_scim_burst" -e "Bearer")"
check "no body in the audit log" 0 "$(grep -c 'zz-body-subject' "$log")"
check "one line per audited request (not /metrics, not GET /v1/config)" 15 "$(wc -l <"$log" | tr -d ' ')"
check "every line is JSON with its fields" 15 "$(python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    j = json.loads(line)
    assert set(["time", "credential", "client", "method", "path", "status"]) <= set(j), j
    assert j["time"].endswith("Z") and "T" in j["time"], j
    n += 1
print(n)' "$log")"
contains "a 401 has no credential" '"credential":"","client":' "$log"
contains "an applied batch counts what it did" '"credential":"auth-pipeline","client":"127.0.0.1:' "$log"
contains "  events and deltas" '"path":"/v1/events","status":200,"events":1,"errors":0,"groups_added":1' "$log"
contains "a config change: versions before and after" '"config_version_before":1,"config_version_after":2' "$log"
contains "who-has: what was asked" '"path":"/v1/who-has","query":{"role":"Wiki.Reader"},"status":200' "$log"
contains "a 429 is recorded" '"credential":"burst","client":"127.0.0.1:' "$log"

# A SCIM write is recorded with what its pushes did.
scim_type=(-H 'Content-Type: application/scim+json')
scim_user() { printf '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"%s","active":true}' "$1"; }
check "ops creates a SCIM user: 201" 201 "$(code "$t_admin" "${scim_type[@]}" -X POST -d "$(scim_user zz-scim)" \
  "$base/scim/v2/Users")"
contains "the SCIM write's line counts its push" '"credential":"ops","client":"127.0.0.1:' "$log"
check "  with its event" 1 "$(grep -c '"method":"POST","path":"/scim/v2/Users","status":201,"events":1' "$log")"

# --- the audit log keeps only the query parameters a route reads --------------------
# A token put in the URL (as some clients do), and a parameter no route reads.
secret="SECRET-$$-$RANDOM"
check "who-has with access_token= and an unknown parameter: 200" 200 \
  "$(code "$t_read" "$base/v1/who-has?role=Wiki.Reader&access_token=$secret&zz_unknown=zz-param-value")"
check "  the secret is not in the audit log" 0 "$(grep -c "$secret" "$log")"
check "  nor the unknown parameter" 0 "$(grep -c -e zz_unknown -e zz-param-value "$log")"
check "  the parameter the route read is" 1 \
  "$(tail -n 1 "$log" | grep -c '"credential":"reader",.*"path":"/v1/who-has","query":{"role":"Wiki.Reader"},"status":200}')"
check "a 401 with the token only in the URL" 401 "$(curl -s -o /dev/null -w '%{http_code}' "$base/v1/who-has?access_token=$secret")"
check "  recorded, without the secret" 1 "$(tail -n 1 "$log" | grep -c '"credential":"",.*"path":"/v1/who-has","status":401}')"
check "SCIM list with access_token=: 200" 200 \
  "$(code "$t_admin" "$base/scim/v2/Users?access_token=$secret&filter=userName%20eq%20%22zz-scim%22")"
check "  the filter is recorded, not the secret" 1 \
  "$(tail -n 1 "$log" | grep -c '"query":{"filter":"userName eq \\"zz-scim\\""},"status":200}')"
check "  the secret is still nowhere in the log" 0 "$(grep -c "$secret" "$log")"

# --- a 403 on a SCIM write or a config dry run does nothing --------------------------
scim_total() {  # the number of SCIM users named $1, as ops sees them
  as "$t_admin" "$base/scim/v2/Users?filter=userName%20eq%20%22$1%22" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["totalResults"])'
}
check "events credential creating a SCIM user: 403" 403 \
  "$(code "$t_events" "${scim_type[@]}" -X POST -d "$(scim_user zz-scim-403)" "$base/scim/v2/Users")"
check "  no such SCIM user afterwards" 0 "$(scim_total zz-scim-403)"
check "  nor in the engine" 404 "$(user_status zz-scim-403)"
check "events credential deleting a SCIM user: 403" 403 "$(code "$t_events" -X DELETE "$base/scim/v2/Users/zz-scim")"
check "  the user is still there" 1 "$(scim_total zz-scim)"
config_before=$(as "$t_read" "$base/v1/config")
curl -s -D "$tmp/dry403.headers" -o "$tmp/dry403.body" -H "Authorization: Bearer $t_read" -X PUT \
  --data-binary @$data/new-a.json "$base/v1/config?dry_run=1"
contains "read credential on a config dry run: 403" "HTTP/1.1 403" "$tmp/dry403.headers"
contains "  naming the scope" 'lacks the scope \"admin\"' "$tmp/dry403.body"
check "  no analysis was made (no lockout count)" 0 "$(grep -ci '^X-Claimmap-Lockouts' "$tmp/dry403.headers")"
check "  the config is unchanged" "$config_before" "$(as "$t_read" "$base/v1/config")"
check "  its audit line: the dry run, refused" 1 \
  "$(tail -n 1 "$log" | grep -c '"credential":"reader",.*"method":"PUT","path":"/v1/config","query":{"dry_run":"1"},"status":403}')"
curl -s -D "$tmp/dry200.headers" -o /dev/null -H "Authorization: Bearer $t_admin" -X PUT \
  --data-binary @$data/new-a.json "$base/v1/config?dry_run=1"
contains "the same dry run by ops: 200" "HTTP/1.1 200" "$tmp/dry200.headers"
check "  with its lockout count" 1 "$(grep -ci '^X-Claimmap-Lockouts' "$tmp/dry200.headers")"
check "  and the config still unchanged" "$config_before" "$(as "$t_read" "$base/v1/config")"

# --- 429 on /scim/v2: a SCIM error body --------------------------------------------------
# RFC 7644 §3.12 lists neither 429 nor 503, so scimmy (tests/scim_scimmy_test.sh)
# refuses to validate them: checked here, field by field.
scim_error() {  # the schemas, the type and value of status, and whether there is a detail
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["schemas"][0], type(j["status"]).__name__, j["status"], bool(j.get("detail")))' "$1"
}
check "scim-burst: the first SCIM request passes" 200 "$(code "$t_scim_burst" "$base/scim/v2/Users")"
curl -s -D "$tmp/scim429.headers" -o "$tmp/scim429.body" -H "Authorization: Bearer $t_scim_burst" "${scim_type[@]}" \
  -X POST -d "$(scim_user zz-scim-429)" "$base/scim/v2/Users"
contains "scim-burst: the next one at once gets 429" "HTTP/1.1 429" "$tmp/scim429.headers"
contains "  with Retry-After" "Retry-After: " "$tmp/scim429.headers"
contains "  as application/scim+json" "Content-Type: application/scim+json" "$tmp/scim429.headers"
check "  a SCIM Error: its schema, status a string, a detail" "urn:ietf:params:scim:api:messages:2.0:Error str 429 True" \
  "$(scim_error "$tmp/scim429.body")"
check "  and nothing was done" 0 "$(scim_total zz-scim-429)"

# --- SIGHUP: tokens rotated -------------------------------------------------------
# One connection kept alive across the rotation: ops's token stays, reader's goes.
python3 tests/http_probe.py rotate "$port" "$t_admin" "$t_read" "$tmp/go" >"$tmp/rotate.out" 2>&1 &
probe_pid=$!
for _ in $(seq 1 100); do grep -q '^before' "$tmp/rotate.out" && break; sleep 0.1; done
check "a kept-alive connection before the rotation: both tokens served" "before 200 200" "$(head -1 "$tmp/rotate.out")"
# reader replaced by reader2; the limited credential burst renamed burst2.
sed -i -e "s/^reader .*/reader2 read $(digest "$t_new")/" -e 's/^burst /burst2 /' "$tmp/tokens"
hup
touch "$tmp/go"
wait "$probe_pid"
probe_pid=""
check "  on that same connection after it: the kept token 200, the removed one 401, and it serves on" \
  "after 200 401 200" "$(sed -n 2p "$tmp/rotate.out")"
check "after rotation the old token: 401" 401 "$(code "$t_read" "$base/v1/who-has?role=Wiki.Reader")"
check "after rotation the new token: 200" 200 "$(code "$t_new" "$base/v1/who-has?role=Wiki.Reader")"
reader_token=$t_new
contains "a limited credential renamed away: a warning naming the limit" \
  "claimmap serve: SIGHUP: warning: --rate-limit burst limits nobody now: $tmp/tokens has no credential of that name" \
  "$tmp/serve.log"
statuses=""
for i in 1 2 3; do statuses+="$(code "$t_burst" -X POST -d "$(assign zz-renamed-$i)" "$base/v1/events") "; done
check "  served on, not limited under its new name" "200 200 200 " "$statuses"
echo "broken line" >>"$tmp/tokens"
hup
contains "a bad file at SIGHUP is refused, naming its line" "credentials kept as they were: $tmp/tokens line 8" "$tmp/serve.log"
check "  and the set in force stays" 200 "$(code "$t_new" "$base/v1/who-has?role=Wiki.Reader")"
# The limited credential's name back: its limit applies to it again.
sed -i -e '/^broken line$/d' -e 's/^burst2 /burst /' "$tmp/tokens"
hup
contains "a limited credential back under its name: said" \
  "claimmap serve: SIGHUP: --rate-limit burst applies again: $tmp/tokens names it once more" "$tmp/serve.log"
code "$t_burst" -X POST -d "$(assign zz-back-1)" "$base/v1/events" >/dev/null
check "  and limited again (a second request at once: 429)" 429 \
  "$(code "$t_burst" -X POST -d "$(assign zz-back-2)" "$base/v1/events")"

# --- SIGHUP: the audit log reopened (logrotate) ------------------------------------
mv "$log" "$log.1"
hup
check "after the rename the next line goes to a new file" 200 "$(code "$t_new" "$base/v1/who-has?role=Wiki.Reader")"
check "  one line there" 1 "$(wc -l <"$log" | tr -d ' ')"
# The package's logrotate snippet itself (server/systemd/claimmap.logrotate),
# pointed at this log and at this server instead of the unit.
if command -v logrotate >/dev/null; then
  sed -e "s|/var/log/claimmap/\*\.ndjson|$log|" -e "s|systemctl reload claimmap.service|kill -HUP $pid|" \
    server/systemd/claimmap.logrotate >"$tmp/logrotate.conf"
  hups=$((hups + 1))
  logrotate -f -s "$tmp/logrotate.state" "$tmp/logrotate.conf" >"$tmp/logrotate.log" 2>&1
  check "logrotate -f with the package's snippet: exit 0" 0 $?
  sighup_done "$hups"
  rotated=$(ls "$log"-* 2>/dev/null | head -1)
  check "  the log renamed with a date, not compressed yet (delaycompress)" 1 "$(grep -c . "$rotated")"
  check "  the server reopened it: the next line goes to a new file" 200 \
    "$(code "$t_new" "$base/v1/who-has?role=Wiki.Reader")"
  check "  one line there" 1 "$(wc -l <"$log" | tr -d ' ')"
  rm -f "$rotated"
else
  echo "skip: the package's logrotate snippet (logrotate is not installed)"
fi

# --- an audit log that cannot be written: 503, nothing done --------------------------
mv "$log" "$log.2"
mkdir "$log"
hup
check "audit log unwritable: events get 503" 503 "$(code "$t_events" -X POST -d "$(assign zz-unaudited)" "$base/v1/events")"
contains "the server says why" "refusing POST /v1/events" "$tmp/serve.log"
curl -s -D "$tmp/scim503.headers" -o "$tmp/scim503.body" -H "Authorization: Bearer $t_admin" "${scim_type[@]}" \
  -X POST -d "$(scim_user zz-scim-503)" "$base/scim/v2/Users"
contains "audit log unwritable: a SCIM write gets 503" "HTTP/1.1 503" "$tmp/scim503.headers"
contains "  as application/scim+json" "Content-Type: application/scim+json" "$tmp/scim503.headers"
check "  a SCIM Error: its schema, status a string, a detail" "urn:ietf:params:scim:api:messages:2.0:Error str 503 True" \
  "$(scim_error "$tmp/scim503.body")"
rmdir "$log"
hup
check "  and nothing was done (events)" 404 "$(user_status zz-unaudited)"
check "  and nothing was done (SCIM)" 0 "$(scim_total zz-scim-503)"
check "no token anywhere in the audit logs" 0 \
  "$(cat "$log.1" "$log" | grep -c -e "$t_events" -e "$t_read" -e "$t_admin" -e "$t_burst" -e "$t_scim_burst" -e "$t_new" -e Bearer)"

kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exit 0" 0 $?
pid=""

# --- simulate --target against a server with --tokens-file ----------------------------
# docs/simulator.md: the credential needs events and metrics; a 403 stops
# the run, saying what the server answered, with exit 1.
"$bin" simulate --seed 11 --users 300 --logins 900 --write-dataset "$tmp/ds" 2>/dev/null
t_storm="st-$$-$RANDOM"; t_pipeline="pi-$$-$RANDOM"
printf 'storm events,metrics %s\npipeline-only events %s\n' "$(digest "$t_storm")" "$(digest "$t_pipeline")" \
  >"$tmp/sim-tokens"
echo "$t_storm" >"$tmp/storm-token"
echo "$t_pipeline" >"$tmp/pipeline-token"
start_server "$tmp/sim-serve.log" --config "$tmp/ds/config.json" --state "$tmp/ds/state.ndjson" --overwrite-state \
  --tokens-file "$tmp/sim-tokens"
sim_args=(--seed 11 --users 300 --logins 900 --threads 2 --json)
"$bin" simulate "${sim_args[@]}" >"$tmp/sim.local" 2>/dev/null
"$bin" simulate "${sim_args[@]}" --target "$base" --token-file "$tmp/storm-token" --batch 50 \
  >"$tmp/sim.remote" 2>"$tmp/sim.err"
check "simulate --target, an events,metrics credential: exit 0" 0 $?
counts() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["run"]; print(json.dumps({k: r[k] for k in ("events","status","deltas","errors_by_code") if k in r}, sort_keys=True))' "$1"; }
check "  the same results as in process" "$(counts "$tmp/sim.local")" "$(counts "$tmp/sim.remote")"
"$bin" simulate "${sim_args[@]}" --target "$base" --token-file "$tmp/pipeline-token" --batch 50 \
  >"$tmp/sim-403.out" 2>"$tmp/sim-403.err"
check "simulate --target, an events-only credential: exit 1" 1 $?
contains "  the server's 403 said" "http://127.0.0.1:$port answered 403" "$tmp/sim-403.err"
contains "  naming the scope it lacks" 'credential \"pipeline-only\" lacks the scope \"metrics\"' "$tmp/sim-403.err"
check "  no report" "" "$(cat "$tmp/sim-403.out")"
kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exit 0" 0 $?
pid=""

finish
