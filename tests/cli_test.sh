#!/usr/bin/env bash
# The command line as a user runs it (docs/spec.md §10): outputs, files and exit codes.
# Usage: tests/cli_test.sh path/to/claimmap   (run from the repository root)
set -u
bin="$1"
data=tests/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"

# validate: a good config gives a summary and exit 0; its inactive mapping is reported.
"$bin" validate "$data/cli_config.json" >"$tmp/out" 2>&1
check "validate good exit" 0 $?
contains "validate summary" "providers: 1" "$tmp/out"
contains "validate inactive" "mapping \"m2\" is inactive" "$tmp/out"

# validate: every error with its path, exit 2.
cat >"$tmp/bad.json" <<'JSON'
{"version": 2, "stages": ["prod"], "providers": [{"id": "p", "type": "oidc", "scope": ["prod"]}],
 "roles": [], "groups": [{"id": "g", "stage": "prod", "roles": ["nope"]}],
 "mappings": [{"id": "m", "provider": "p", "claim": "groups", "value": "", "group": "g"}], "extra": 1}
JSON
"$bin" validate "$tmp/bad.json" >"$tmp/out" 2>&1
check "validate bad exit" 2 $?
contains "error version" "version: must be 1" "$tmp/out"
contains "error value" "mappings[0].value: empty" "$tmp/out"
contains "error unknown member" "extra: unknown member" "$tmp/out"
contains "error role ref" 'groups[0].roles[0]: unknown role "nope"' "$tmp/out"

# eval: output file, summary on stderr, exit 0 despite a bad line.
"$bin" eval --config "$data/cli_config.json" -o "$tmp/deltas.ndjson" "$data/cli_events.ndjson" 2>"$tmp/err"
check "eval exit" 0 $?
check "eval lines" 4 "$(wc -l <"$tmp/deltas.ndjson")"
contains "eval malformed line" '{"seq": 2, "status": "error", "error": {"code": "malformed_json"' "$tmp/deltas.ndjson"
contains "eval revocation" '"seq": 4, "cause": "login", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["marketing"], "roles_granted": [], "roles_revoked": ["Crm.Editor", "Crm.Viewer"]' "$tmp/deltas.ndjson"
contains "eval summary" "events: 4" "$tmp/err"
contains "eval summary errors" "malformed_json=1" "$tmp/err"

# eval from stdin, --changes-only, same bytes whatever the thread count.
"$bin" eval --config "$data/cli_config.json" --changes-only - <"$data/cli_events.ndjson" >"$tmp/changes" 2>/dev/null
check "changes-only lines" 3 "$(wc -l <"$tmp/changes")"
"$bin" eval --config "$data/cli_config.json" --threads 3 "$data/cli_events.ndjson" >"$tmp/t3" 2>/dev/null
check "threads identical" "" "$(cmp "$tmp/deltas.ndjson" "$tmp/t3")"
# -o - is standard output, like INPUT -: no file named "-" appears.
# Run from an empty folder, with every path made absolute first.
abs_bin=$(realpath "$bin") abs_data=$(realpath "$data")
(cd "$tmp" && "$abs_bin" eval --config "$abs_data/cli_config.json" -o - "$abs_data/cli_events.ndjson" >dash 2>/dev/null)
check "-o - writes to stdout" "" "$(cmp "$tmp/deltas.ndjson" "$tmp/dash")"
check "-o - makes no file named -" "no" "$(test -e "$tmp/-" && echo yes || echo no)"

# state: save after a run, load before the next; the stale guard survives.
"$bin" eval --config "$data/cli_config.json" --save-state "$tmp/state.ndjson" "$data/cli_events.ndjson" >/dev/null 2>&1
check "save-state exit" 0 $?
contains "saved state" '"subject": "u1", "mapped": {}, "manual": [], "direct_roles": [], "last_iat": 12' "$tmp/state.ndjson"
echo '{"iss": "https://login.example/t/v2.0", "oid": "u1", "iat": 11, "groups": ["g-mkt"]}' >"$tmp/replay"
"$bin" eval --config "$data/cli_config.json" --state "$tmp/state.ndjson" "$tmp/replay" >"$tmp/out" 2>/dev/null
contains "stale after reload" '"status": "stale"' "$tmp/out"

# A bad state file refuses the run, naming its line; nothing is written.
printf '{"provider": "entra", "subject": "a"}\n{oops\n' >"$tmp/badstate.ndjson"
"$bin" eval --config "$data/cli_config.json" --state "$tmp/badstate.ndjson" "$data/cli_events.ndjson" >"$tmp/out" 2>"$tmp/err"
check "bad state exit" 2 $?
contains "bad state line" "state line 2" "$tmp/err"
check "bad state no output" 0 "$(wc -c <"$tmp/out")"

# I/O failures exit 1; bad usage exits 2.
"$bin" eval --config "$data/cli_config.json" "$tmp/missing.ndjson" >/dev/null 2>&1
check "missing input exit" 1 $?
"$bin" eval >/dev/null 2>&1
check "missing --config exit" 2 $?
"$bin" frobnicate >/dev/null 2>"$tmp/err"
check "unknown command exit" 2 $?
contains "an unknown command is named, with the list" 'unknown command "frobnicate"; the commands are: validate, eval, diff' "$tmp/err"

# audit and explain (docs/spec.md §17): findings on stdout, a summary on
# stderr, the page self-contained; explain of a user.
printf '%s\n' '{"provider": "entra", "claims": {"oid": "u1", "tid": "contoso-1", "dept": "sales", "groups": ["g-read-x", "APP_crm_users"]}}' \
  '{"type": "grant", "provider": "entra", "subject": "u1", "role": "Hr.Admin"}' >"$tmp/pattern-events.ndjson"
"$bin" eval --config "$data/pattern_config.json" --save-state "$tmp/pattern-state.ndjson" "$tmp/pattern-events.ndjson" >/dev/null 2>&1
check "eval of the pattern config: exit" 0 $?
"$bin" audit --config "$data/pattern_config.json" --state "$tmp/pattern-state.ndjson" --report "$tmp/audit.html" \
  >"$tmp/audit.ndjson" 2>"$tmp/audit.err"
check "audit: exit 0" 0 $?
contains "audit: a single holder" '{"finding": "app_single_holder", "app": "Hr", "provider": "entra", "subject": "u1"}' "$tmp/audit.ndjson"
contains "audit: a direct role" '{"finding": "direct_role", "role": "Hr.Admin", "holders": 1}' "$tmp/audit.ndjson"
contains "audit: the summary on stderr" "audit: 1 users (0 suspended)" "$tmp/audit.err"
contains "audit page: inline SVG" "<svg" "$tmp/audit.html"
check "audit page: no script, nothing fetched" 0 "$(grep -c -i '<script\|src=\|href=' "$tmp/audit.html")"
"$bin" explain --config "$data/pattern_config.json" --state "$tmp/pattern-state.ndjson" --provider entra --subject u1 >"$tmp/explain.json" 2>&1
check "explain: exit 0" 0 $?
check "explain: the user's groups and roles with their sources" \
  '{"provider": "entra", "subject": "u1", "groups": {"app-crm": {"mapped": ["m-app"]}, "readers": {"mapped": ["m-read"]}, "team-sales": {"mapped": ["m-team"]}}, "roles": {"Crm.Editor": {"groups": ["team-sales"]}, "Crm.Viewer": {"groups": ["app-crm", "readers"]}, "Hr.Admin": {"direct": true}}}' \
  "$(cat "$tmp/explain.json")"
"$bin" explain --config "$data/pattern_config.json" --state "$tmp/pattern-state.ndjson" --provider entro --subject u1 \
  >/dev/null 2>"$tmp/explain.err"
check "explain of an unknown provider: exit 2" 2 $?
contains "explain names the unknown provider" 'explain: no provider "entro" in' "$tmp/explain.err"
"$bin" audit --config "$data/pattern_config.json" --state "$tmp/pattern-state.ndjson" --report "$tmp/audit.html" >/dev/null 2>&1
check "audit page without a replay: mapping_unused says only what is known" 0 \
  "$(grep -c 'matched no replayed login' "$tmp/audit.html")"
check "audit page without a replay: its unused mappings listed" yes \
  "$(grep -q 'justifies no membership' "$tmp/audit.html" && echo yes)"

# eval --explain (docs/spec.md §17): why each group came (mappings, the
# claim values that matched, a template's too) or went, and each role's sources.
cp "$tmp/pattern-events.ndjson" "$tmp/explain-events.ndjson"
echo '{"provider": "entra", "claims": {"oid": "u1", "tid": "contoso-1", "dept": "sales", "groups": ["APP_crm_users"]}}' >>"$tmp/explain-events.ndjson"
"$bin" eval --explain --config "$data/pattern_config.json" "$tmp/explain-events.ndjson" >"$tmp/explain.out" 2>/dev/null
check "eval --explain: exit 0" 0 $?
contains "eval --explain: a login's groups with mappings and values" \
  '"explain": {"groups_added": {"app-crm": {"mappings": ["m-app"], "values": ["APP_crm_users"]}, "readers": {"mappings": ["m-read"], "values": ["g-read-x"]}, "team-sales": {"mappings": ["m-team"], "values": ["sales"]}}, "roles_granted": {"Crm.Editor": {"groups": ["team-sales"]}, "Crm.Viewer": {"groups": ["app-crm", "readers"]}}}}' \
  "$tmp/explain.out"
check "eval --explain: a direct grant, then a group no mapping matches any more" \
  '{"seq": 2, "cause": "grant", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": [], "roles_granted": ["Hr.Admin"], "roles_revoked": [], "explain": {"roles_granted": {"Hr.Admin": {"direct": true}}}}
{"seq": 3, "cause": "login", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["readers"], "roles_granted": [], "roles_revoked": [], "explain": {"groups_removed": {"readers": {"reason": "no_match"}}}}' \
  "$(tail -2 "$tmp/explain.out")"
"$bin" eval --config "$data/pattern_config.json" "$tmp/explain-events.ndjson" >"$tmp/plain.out" 2>/dev/null
check "eval without --explain: no explain" 0 "$(grep -c explain "$tmp/plain.out")"

# Batch commands restart once with glibc's malloc on transparent huge pages
# (cli/huge_page_malloc.cc): under their own name, a tunable the caller set
# kept; the switch turns it off, and `serve` never restarts. Seen in the
# running process (its environment: the restart sets
# CLAIMMAP_MALLOC_HUGEPAGES=1) while it waits on a FIFO for its input. A
# sanitized build (its own allocator) and a machine without THP do not
# restart.
thp=/sys/kernel/mm/transparent_hugepage/enabled
if [[ ! -r $thp ]] || grep -q '\[never\]' "$thp" || ldd "$bin" 2>/dev/null | grep -qE 'lib(a|t)san'; then
  echo "skip: huge-page restart (no THP here, or a sanitized build)"
else
  mkfifo "$tmp/fifo"
  # Waits up to $2 seconds for process $1 to have restarted.
  restarted() {
    for ((i = 0; i < $2 * 10; i++)); do
      tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | grep -qx "CLAIMMAP_MALLOC_HUGEPAGES=1" && return 0
      sleep 0.1
    done
    return 1
  }
  release() { : >"$tmp/fifo"; wait "$1"; }  # an empty input: eval ends
  GLIBC_TUNABLES=glibc.malloc.arena_max=4 "$bin" eval --config "$data/cli_config.json" -o /dev/null "$tmp/fifo" 2>/dev/null &
  pid=$!
  restarted $pid 30
  check "restart: eval restarts" 0 $?
  check "restart: under its own name" "$(basename "$bin")" "$(cat /proc/$pid/comm)"
  release $pid
  check "restart: eval then runs as ever" 0 $?
  CLAIMMAP_MALLOC_HUGEPAGES=0 "$bin" eval --config "$data/cli_config.json" -o /dev/null "$tmp/fifo" 2>/dev/null &
  pid=$!
  restarted $pid 2
  check "restart: CLAIMMAP_MALLOC_HUGEPAGES=0 turns it off" 1 $?
  release $pid
  echo "secret-token-for-the-test" >"$tmp/token"
  "$bin" serve --config "$data/cli_config.json" --token-file "$tmp/token" --listen 127.0.0.1:0 >/dev/null 2>&1 &
  pid=$!
  restarted $pid 2
  check "restart: never for serve" 1 $?
  kill -0 $pid 2>/dev/null
  check "restart: serve was running all along" 0 $?
  kill $pid 2>/dev/null; wait $pid 2>/dev/null
fi

if ((failures > 0)); then echo "$failures failures"; exit 1; fi
echo "all passed"
