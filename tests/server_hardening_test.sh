#!/usr/bin/env bash
# `claimmap serve` hardened (docs/spec.md §13 "Hardened serving"): named
# credentials with scopes from a tokens file of SHA-256 digests — 401 for an
# unknown token, 403 for a missing scope, and nothing done on either; the
# audit log's lines (and no token, no body in them); 429 with Retry-After
# and nothing done; the refusals in /metrics; SIGHUP rotation of the tokens
# (a bad new file keeps the old set) and of the audit log (logrotate's
# rename); an audit log that cannot be written answers 503 and changes
# nothing. A real server on a loopback port, always stopped.
# Usage: tests/server_hardening_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
data=tests/data/live
tmp=$(mktemp -d)
pid=""
stop_all() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap stop_all EXIT
source "$(dirname "$0")/shell_checks.sh"
if ! command -v curl >/dev/null; then echo "curl is missing: run scripts/install-deps.sh"; exit 1; fi

digest() { printf '%s' "$1" | sha256sum | cut -c1-64; }
t_events="ev-$$-$RANDOM"; t_read="rd-$$-$RANDOM"; t_admin="ad-$$-$RANDOM"; t_burst="bu-$$-$RANDOM"; t_new="nw-$$-$RANDOM"
cat >"$tmp/tokens" <<EOF
# name          scopes                SHA-256 of the token
auth-pipeline   events                $(digest "$t_events")
reader          read,metrics          $(digest "$t_read")   # dashboards
ops             admin,read,events,scim,metrics $(digest "$t_admin")

burst           events                $(digest "$t_burst")
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

# --- the server ---------------------------------------------------------------
"$bin" serve --config $data/old.json --listen 127.0.0.1:0 --tokens-file "$tmp/tokens" --audit-log "$tmp/audit.ndjson" \
  --rate-limit burst=0.05/s --scim-provider entra 2>"$tmp/serve.log" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$tmp/serve.log" | grep -o '[0-9]*$')
  [[ -n "$port" ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "server did not start:"; cat "$tmp/serve.log"; exit 1; }
base="http://127.0.0.1:$port"
as() { local token=$1; shift; curl -s -H "Authorization: Bearer $token" "$@"; }
code() { local token=$1; shift; curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$@"; }
assign() { printf '{"type": "assign", "provider": "entra", "subject": "%s", "group": "staff"}' "$1"; }
reader_token=$t_read  # rotated below
user_status() { code "$reader_token" "$base/v1/users/entra/$1"; }
# sighup_done N: waits until the server has logged its Nth SIGHUP.
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
check "no token in the audit log" 0 "$(cat "$log" | grep -c -e "$t_events" -e "$t_read" -e "$t_admin" -e "$t_burst" -e "Bearer")"
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
check "ops creates a SCIM user: 201" 201 "$(code "$t_admin" "${scim_type[@]}" -X POST \
  -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"zz-scim","active":true}' "$base/scim/v2/Users")"
contains "the SCIM write's line counts its push" '"credential":"ops","client":"127.0.0.1:' "$log"
check "  with its event" 1 "$(grep -c '"method":"POST","path":"/scim/v2/Users","status":201,"events":1' "$log")"

# --- SIGHUP: tokens rotated -------------------------------------------------------
sed -i "s/^reader .*/reader2 read $(digest "$t_new")/" "$tmp/tokens"
kill -HUP "$pid"
sighup_done 1
check "after rotation the old token: 401" 401 "$(code "$t_read" "$base/v1/who-has?role=Wiki.Reader")"
check "after rotation the new token: 200" 200 "$(code "$t_new" "$base/v1/who-has?role=Wiki.Reader")"
reader_token=$t_new
echo "broken line" >>"$tmp/tokens"
kill -HUP "$pid"
sighup_done 2
contains "a bad file at SIGHUP is refused, naming its line" "credentials kept as they were: $tmp/tokens line 7" "$tmp/serve.log"
check "  and the set in force stays" 200 "$(code "$t_new" "$base/v1/who-has?role=Wiki.Reader")"

# --- SIGHUP: the audit log reopened (logrotate) ------------------------------------
mv "$log" "$log.1"
kill -HUP "$pid"
sighup_done 3
check "after the rename the next line goes to a new file" 200 "$(code "$t_new" "$base/v1/who-has?role=Wiki.Reader")"
check "  one line there" 1 "$(wc -l <"$log" | tr -d ' ')"

# --- an audit log that cannot be written: 503, nothing done --------------------------
mv "$log" "$log.2"
mkdir "$log"
kill -HUP "$pid"
sighup_done 4
check "audit log unwritable: events get 503" 503 "$(code "$t_events" -X POST -d "$(assign zz-unaudited)" "$base/v1/events")"
contains "the server says why" "refusing POST /v1/events" "$tmp/serve.log"
rmdir "$log"
kill -HUP "$pid"
sighup_done 5
check "  and nothing was done" 404 "$(user_status zz-unaudited)"

kill -TERM "$pid"
wait "$pid"
check "SIGTERM: exit 0" 0 $?
pid=""

if ((failures > 0)); then echo "$failures failures"; exit 1; fi
echo "all passed"
