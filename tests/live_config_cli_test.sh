#!/usr/bin/env bash
# Live config changes as a user runs them (docs/spec.md §7, §8, §9, §10):
# `claimmap diff` (reload lines, lockouts, --replay, exit 0/2/3, the state
# file left alone), `claimmap who-has`, `claimmap eval --reload-at` (placement,
# seq, thread-count independence over several 1 MiB blocks, errors before any
# output, --changes-only, --save-state) and the users of a deleted provider.
# Usage: tests/live_config_cli_test.sh path/to/claimmap   (run from the repository root)
#
# The data (tests/data/live/): old.json is the config in force: providers
# entra (oidc, subject_claim oid) and okta; groups sales, support, staff,
# payroll, pay-readers, oncall; roles of the apps Crm, Wiki, Pay and Rota
# (Ops.Pager). state.ndjson holds entra users u1..u5 (u3 suspended) and okta's
# k1 (oncall both mapped and manual). The new configs:
# - new-a.json: okta deleted, m-staff deleted, m-sales edited (new value),
#   support also grants Ops.Pager: no lockout;
# - new-pay.json: the payroll mappings replaced by m-pay-v2 / m-payread-v2 on
#   new Entra group ids: Pay is locked out until someone logs in again;
# - new-lock.json: new-pay.json, and the role Ops.Pager and group oncall deleted;
# - bad.json: three errors.
set -u
bin="$1"
data=tests/data/live
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"

# same NAME EXPECTED FILE: FILE holds exactly the lines EXPECTED.
same() { check "$1" "$2" "$(cat "$3")"; }
# count NAME N PATTERN FILE: N lines of FILE match the extended regex PATTERN.
count() { check "$1" "$2" "$(grep -cE -- "$3" "$4")"; }

# The state used by every diff, in a folder of its own: diff must write nothing.
mkdir "$tmp/st"
cp "$data/state.ndjson" "$tmp/st/state.ndjson"
state="$tmp/st/state.ndjson"
sum_before=$(cksum <"$state")

# ---------------------------------------------------------------------------
# 1. diff without lockout: reload lines with "seq": 0, sorted by provider then
#    subject; u3 is suspended (no line), u4's manual sales is untouched (no
#    line); okta's k1 keeps its manual oncall and staff. Summary on stderr, exit 0.
"$bin" diff --config "$data/old.json" --new-config "$data/new-a.json" --state "$state" >"$tmp/out" 2>"$tmp/err"
check "diff no lockout: exit" 0 $?
reload_a='{"seq": 0, "cause": "reload", "provider": "entra", "subject": "u1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["staff"], "roles_granted": ["Ops.Pager"], "roles_revoked": ["Wiki.Reader"]}
{"seq": 0, "cause": "reload", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["staff"], "roles_granted": [], "roles_revoked": ["Wiki.Reader"]}
{"seq": 0, "cause": "reload", "provider": "okta", "subject": "k1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["sales"], "roles_granted": [], "roles_revoked": ["Crm.Editor", "Crm.Viewer"]}'
same "diff no lockout: reload lines" "$reload_a" "$tmp/out"
check "diff no lockout: summary on stderr" yes "$([[ -s $tmp/err ]] && echo yes || echo no)"
contains "diff no lockout: summary names the group removed" "staff" "$tmp/err"
contains "diff no lockout: summary names the app" "Wiki" "$tmp/err"
count "diff no lockout: no lockout line on stderr" 0 '^[Ll][Oo][Cc][Kk][Oo][Uu][Tt]:' "$tmp/err"

# ---------------------------------------------------------------------------
# 2. diff with lockouts: role lines sorted by role id (Ops.Pager of app Rota
#    first), then app lines sorted by app. The suspended u3 (payroll) holds
#    nothing, so Pay.Admin had 1 holder; Pay.Viewer and app Pay had 2 (u2
#    holds both Pay roles but counts once for the app). Exit 3.
"$bin" diff --config "$data/old.json" --new-config "$data/new-lock.json" --state "$state" >"$tmp/out" 2>"$tmp/err"
check "diff lockout: exit" 3 $?
same "diff lockout: reload and lockout lines" '{"seq": 0, "cause": "reload", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["payroll"], "roles_granted": [], "roles_revoked": ["Pay.Admin", "Pay.Viewer"]}
{"seq": 0, "cause": "reload", "provider": "entra", "subject": "u5", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["pay-readers"], "roles_granted": [], "roles_revoked": ["Pay.Viewer"]}
{"seq": 0, "cause": "reload", "provider": "okta", "subject": "k1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["oncall"], "roles_granted": [], "roles_revoked": ["Ops.Pager"]}
{"lockout": "role", "role": "Ops.Pager", "app": "Rota", "holders_before": 1, "holders_after": 0}
{"lockout": "role", "role": "Pay.Admin", "app": "Pay", "holders_before": 1, "holders_after": 0}
{"lockout": "role", "role": "Pay.Viewer", "app": "Pay", "holders_before": 2, "holders_after": 0}
{"lockout": "app", "app": "Pay", "holders_before": 2, "holders_after": 0}
{"lockout": "app", "app": "Rota", "holders_before": 1, "holders_after": 0}' "$tmp/out"
# SPEC §7.7: one `lockout: …` line per lockout on stderr (matched whatever the case).
count "diff lockout: one stderr line per lockout" 5 '^[Ll][Oo][Cc][Kk][Oo][Uu][Tt]:' "$tmp/err"
count "diff lockout: stderr names role Ops.Pager" 1 '^[Ll][Oo][Cc][Kk][Oo][Uu][Tt]:.*Ops\.Pager' "$tmp/err"
count "diff lockout: stderr names Pay in 3 lockout lines" 3 '^[Ll][Oo][Cc][Kk][Oo][Uu][Tt]:.*Pay' "$tmp/err"

# Only the payroll mappings replaced: role and app lockouts of Pay (a reload
# never grants, so the new mappings m-pay-v2 and m-payread-v2 give nothing yet).
reload_pay='{"seq": 0, "cause": "reload", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["payroll"], "roles_granted": [], "roles_revoked": ["Pay.Admin", "Pay.Viewer"]}
{"seq": 0, "cause": "reload", "provider": "entra", "subject": "u5", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["pay-readers"], "roles_granted": [], "roles_revoked": ["Pay.Viewer"]}'
"$bin" diff --config "$data/old.json" --new-config "$data/new-pay.json" --state "$state" >"$tmp/out" 2>"$tmp/err"
check "diff pay lockout: exit" 3 $?
same "diff pay lockout: lines" "$reload_pay"'
{"lockout": "role", "role": "Pay.Admin", "app": "Pay", "holders_before": 1, "holders_after": 0}
{"lockout": "role", "role": "Pay.Viewer", "app": "Pay", "holders_before": 2, "holders_after": 0}
{"lockout": "app", "app": "Pay", "holders_before": 2, "holders_after": 0}' "$tmp/out"
contains "diff pay lockout: stderr mentions Pay.Admin" "Pay.Admin" "$tmp/err"

# ---------------------------------------------------------------------------
# 3. --replay: result lines after the reload lines, seq counting the replay
#    file's lines (line 2 is blank). u2 logs in with the new Entra group id:
#    payroll comes back through m-pay-v2, no lockout, exit 0. u5's old token
#    (iat 10 < 100) is stale and re-grants nothing.
"$bin" diff --config "$data/old.json" --new-config "$data/new-pay.json" --state "$state" \
  --replay "$data/replay-regrant.ndjson" >"$tmp/out" 2>"$tmp/err"
check "diff replay re-grant: exit" 0 $?
same "diff replay re-grant: lines" "$reload_pay"'
{"seq": 1, "cause": "login", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, "groups_added": ["payroll"], "groups_removed": [], "roles_granted": ["Pay.Admin", "Pay.Viewer"], "roles_revoked": []}
{"seq": 3, "cause": "login", "provider": "entra", "subject": "u5", "status": "stale", "new_user": false, "groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": []}' "$tmp/out"
count "diff replay re-grant: no lockout on stderr" 0 '^[Ll][Oo][Cc][Kk][Oo][Uu][Tt]:' "$tmp/err"

# Only u5 logs in again (pay-readers: Pay.Viewer): Pay.Admin is still locked
# out, but app Pay is still used, so no app line.
"$bin" diff --config "$data/old.json" --new-config "$data/new-pay.json" --state "$state" \
  --replay "$data/replay-viewer.ndjson" >"$tmp/out" 2>"$tmp/err"
check "diff replay role-only lockout: exit" 3 $?
same "diff replay role-only lockout: lines" "$reload_pay"'
{"seq": 1, "cause": "login", "provider": "entra", "subject": "u5", "status": "ok", "new_user": false, "groups_added": ["pay-readers"], "groups_removed": [], "roles_granted": ["Pay.Viewer"], "roles_revoked": []}
{"lockout": "role", "role": "Pay.Admin", "app": "Pay", "holders_before": 1, "holders_after": 0}' "$tmp/out"
count "diff replay role-only lockout: one stderr lockout line" 1 '^[Ll][Oo][Cc][Kk][Oo][Uu][Tt]:' "$tmp/err"

# ---------------------------------------------------------------------------
# 4. diff writes nothing: the state file is the same bytes, no file beside it.
check "diff leaves the state untouched" "$sum_before" "$(cksum <"$state")"
check "diff writes no file beside the state" "state.ndjson" "$(ls -A "$tmp/st")"

# An invalid NEW config: exit 2, every error with its path, nothing on stdout.
"$bin" diff --config "$data/old.json" --new-config "$data/bad.json" --state "$state" >"$tmp/out" 2>"$tmp/err"
check "diff bad new config: exit" 2 $?
check "diff bad new config: no stdout" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
contains "diff bad new config: unknown member" "groups[0].colour: unknown member" "$tmp/err"
contains "diff bad new config: duplicate id" 'roles[1].id: duplicate id "Crm.Viewer"' "$tmp/err"
contains "diff bad new config: unknown group" 'mappings[0].group: unknown group "no-such-group"' "$tmp/err"
# An invalid OLD config, or a state that cannot be loaded: exit 2 too.
"$bin" diff --config "$data/bad.json" --new-config "$data/new-a.json" --state "$state" >"$tmp/out" 2>"$tmp/err"
check "diff bad old config: exit" 2 $?
check "diff bad old config: no stdout" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
printf '{"provider": "entra", "subject": "u1"}\n{"provider": "entra"}\n' >"$tmp/badstate.ndjson"
"$bin" diff --config "$data/old.json" --new-config "$data/new-a.json" --state "$tmp/badstate.ndjson" >"$tmp/out" 2>"$tmp/err"
check "diff bad state: exit" 2 $?
contains "diff bad state: names the line" "state line 2" "$tmp/err"
check "diff leaves the state untouched after all runs" "$sum_before" "$(cksum <"$state")"

# ---------------------------------------------------------------------------
# 5. who-has, loaded under old.json. u3 is suspended: never listed.
"$bin" who-has --config "$data/old.json" --state "$state" --role Crm.Viewer >"$tmp/out" 2>"$tmp/err"
check "who-has role: exit" 0 $?
same "who-has role: lines" '{"provider": "entra", "subject": "u1", "role": "Crm.Viewer", "via": [{"group": "sales", "mapped": ["m-sales", "m-sales2"]}, {"group": "support", "manual": true}, {"direct": true}]}
{"provider": "entra", "subject": "u4", "role": "Crm.Viewer", "via": [{"group": "sales", "manual": true}]}
{"provider": "okta", "subject": "k1", "role": "Crm.Viewer", "via": [{"group": "sales", "mapped": ["o-sales"]}]}' "$tmp/out"
"$bin" who-has --config "$data/old.json" --state "$state" --role Ops.Pager >"$tmp/out" 2>/dev/null
same "who-has role: mapped and manual in one entry" '{"provider": "okta", "subject": "k1", "role": "Ops.Pager", "via": [{"group": "oncall", "mapped": ["o-oncall"], "manual": true}]}' "$tmp/out"

"$bin" who-has --config "$data/old.json" --state "$state" --app Crm >"$tmp/out" 2>/dev/null
check "who-has app: exit" 0 $?
same "who-has app: one line per role held, by provider, subject, role" '{"provider": "entra", "subject": "u1", "role": "Crm.Editor", "via": [{"group": "sales", "mapped": ["m-sales", "m-sales2"]}]}
{"provider": "entra", "subject": "u1", "role": "Crm.Viewer", "via": [{"group": "sales", "mapped": ["m-sales", "m-sales2"]}, {"group": "support", "manual": true}, {"direct": true}]}
{"provider": "entra", "subject": "u4", "role": "Crm.Editor", "via": [{"group": "sales", "manual": true}]}
{"provider": "entra", "subject": "u4", "role": "Crm.Viewer", "via": [{"group": "sales", "manual": true}]}
{"provider": "okta", "subject": "k1", "role": "Crm.Editor", "via": [{"group": "sales", "mapped": ["o-sales"]}]}
{"provider": "okta", "subject": "k1", "role": "Crm.Viewer", "via": [{"group": "sales", "mapped": ["o-sales"]}]}' "$tmp/out"
"$bin" who-has --config "$data/old.json" --state "$state" --app Pay >"$tmp/out" 2>/dev/null
same "who-has app: suspended user absent" '{"provider": "entra", "subject": "u2", "role": "Pay.Admin", "via": [{"group": "payroll", "mapped": ["m-pay"]}]}
{"provider": "entra", "subject": "u2", "role": "Pay.Viewer", "via": [{"group": "payroll", "mapped": ["m-pay"]}]}
{"provider": "entra", "subject": "u5", "role": "Pay.Viewer", "via": [{"group": "pay-readers", "mapped": ["m-payread"]}]}' "$tmp/out"

"$bin" who-has --config "$data/old.json" --state "$state" --group sales >"$tmp/out" 2>/dev/null
check "who-has group: exit" 0 $?
same "who-has group: lines" '{"provider": "entra", "subject": "u1", "group": "sales", "mapped": ["m-sales", "m-sales2"]}
{"provider": "entra", "subject": "u4", "group": "sales", "manual": true}
{"provider": "okta", "subject": "k1", "group": "sales", "mapped": ["o-sales"]}' "$tmp/out"
"$bin" who-has --config "$data/old.json" --state "$state" --group oncall >"$tmp/out" 2>/dev/null
same "who-has group: mapped and manual" '{"provider": "okta", "subject": "k1", "group": "oncall", "mapped": ["o-oncall"], "manual": true}' "$tmp/out"
"$bin" who-has --config "$data/old.json" --state "$state" --group payroll >"$tmp/out" 2>/dev/null
same "who-has group: suspended user absent" '{"provider": "entra", "subject": "u2", "group": "payroll", "mapped": ["m-pay"]}' "$tmp/out"
# Under new-a.json okta is gone: k1 is still listed, under the provider id as stored.
"$bin" who-has --config "$data/new-a.json" --state "$state" --group staff >"$tmp/out" 2>/dev/null
check "who-has deleted provider: exit" 0 $?
same "who-has deleted provider: user still listed" '{"provider": "okta", "subject": "k1", "group": "staff", "manual": true}' "$tmp/out"

# Unknown names, and none or two of --role/--app/--group: exit 2, nothing on stdout.
"$bin" who-has --config "$data/old.json" --state "$state" --role Nope.Role >"$tmp/out" 2>"$tmp/err"
check "who-has unknown role: exit" 2 $?
contains "who-has unknown role: message" 'no role "Nope.Role" in the config' "$tmp/err"
check "who-has unknown role: no stdout" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
"$bin" who-has --config "$data/old.json" --state "$state" --app Nope >"$tmp/out" 2>"$tmp/err"
check "who-has unknown app: exit" 2 $?
contains "who-has unknown app: message" 'no app "Nope" in the config' "$tmp/err"
"$bin" who-has --config "$data/old.json" --state "$state" --group nope >"$tmp/out" 2>"$tmp/err"
check "who-has unknown group: exit" 2 $?
contains "who-has unknown group: message" 'no group "nope" in the config' "$tmp/err"
"$bin" who-has --config "$data/old.json" --state "$state" >"$tmp/out" 2>"$tmp/err"
check "who-has none of role/app/group: exit" 2 $?
check "who-has none: message on stderr" yes "$([[ -s $tmp/err ]] && echo yes || echo no)"
"$bin" who-has --config "$data/old.json" --state "$state" --role Crm.Viewer --group sales >"$tmp/out" 2>"$tmp/err"
check "who-has two of role/app/group: exit" 2 $?
check "who-has two: no stdout" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
"$bin" who-has --config "$data/old.json" --state "$state" --app Crm --group sales >/dev/null 2>&1
check "who-has app and group: exit" 2 $?

# ---------------------------------------------------------------------------
# 6. eval --reload-at 3=new-a.json over events.ndjson (line 4 blank): the
#    reload's lines come before line 3's result, each with "seq": 3 (the same
#    lines as diff's, seq 0 → 3). After it okta is unknown (§3.2), and u2 logs
#    in under the edited m-sales.
reload_a3=$(sed 's/^{"seq": 0,/{"seq": 3,/' <<<"$reload_a")
line1='{"seq": 1, "cause": "assign", "provider": "entra", "subject": "u6", "status": "ok", "new_user": true, "groups_added": ["staff"], "groups_removed": [], "roles_granted": ["Wiki.Reader"], "roles_revoked": []}'
line2='{"seq": 2, "cause": "login", "provider": "okta", "subject": "k1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": []}'
line3='{"seq": 3, "cause": "login", "status": "error", "error": {"code": "unknown_provider", "message": "no provider has issuer \"https://idp.example/okta\""}}'
line5='{"seq": 5, "cause": "login", "provider": "entra", "subject": "u2", "status": "ok", "new_user": false, "groups_added": ["sales"], "groups_removed": ["payroll"], "roles_granted": ["Crm.Editor", "Crm.Viewer"], "roles_revoked": ["Pay.Admin", "Pay.Viewer"]}'
for t in 1 2 8; do
  "$bin" eval --config "$data/old.json" --state "$state" --threads $t --reload-at 3="$data/new-a.json" \
    --save-state "$tmp/after-$t.ndjson" "$data/events.ndjson" >"$tmp/ev-$t" 2>"$tmp/err"
  check "reload-at threads $t: exit" 0 $?
done
same "reload-at: lines before line 3 with seq 3" "$line1
$line2
$reload_a3
$line3
$line5" "$tmp/ev-1"
check "reload-at: threads 1 = 2" "" "$(cmp "$tmp/ev-1" "$tmp/ev-2" 2>&1)"
check "reload-at: threads 1 = 8" "" "$(cmp "$tmp/ev-1" "$tmp/ev-8" 2>&1)"
check "reload-at: saved state threads 1 = 8" "" "$(cmp "$tmp/after-1.ndjson" "$tmp/after-8.ndjson" 2>&1)"

# 7. --save-state after the reload: the state under new-a.json. u1 lost staff
#    (m-staff deleted) and m-sales from its provenance (edited); the suspended
#    u3 lost sales all the same; k1, whose provider was deleted, is kept with
#    its manual memberships and its iat (60, from line 2), its mapped ones gone.
same "save-state after reload: state under the new config" '{"provider": "entra", "subject": "u1", "mapped": {"sales": ["m-sales2"]}, "manual": ["support"], "direct_roles": ["Crm.Viewer"], "last_iat": 100, "suspended": false}
{"provider": "entra", "subject": "u2", "mapped": {"sales": ["m-sales"]}, "manual": [], "direct_roles": [], "last_iat": 300, "suspended": false}
{"provider": "entra", "subject": "u3", "mapped": {"payroll": ["m-pay"]}, "manual": [], "direct_roles": [], "last_iat": 100, "suspended": true}
{"provider": "entra", "subject": "u4", "mapped": {}, "manual": ["sales"], "direct_roles": [], "last_iat": null, "suspended": false}
{"provider": "entra", "subject": "u5", "mapped": {"pay-readers": ["m-payread"]}, "manual": [], "direct_roles": [], "last_iat": 100, "suspended": false}
{"provider": "entra", "subject": "u6", "mapped": {}, "manual": ["staff"], "direct_roles": [], "last_iat": null, "suspended": false}
{"provider": "okta", "subject": "k1", "mapped": {}, "manual": ["oncall", "staff"], "direct_roles": [], "last_iat": 60, "suspended": false}' "$tmp/after-1.ndjson"
# The saved state loads back under new-a.json and answers who-has the same way.
"$bin" who-has --config "$data/new-a.json" --state "$tmp/after-1.ndjson" --role Ops.Pager >"$tmp/out" 2>/dev/null
same "saved state: deleted provider's user holds through manual" '{"provider": "entra", "subject": "u1", "role": "Ops.Pager", "via": [{"group": "support", "manual": true}]}
{"provider": "okta", "subject": "k1", "role": "Ops.Pager", "via": [{"group": "oncall", "manual": true}]}' "$tmp/out"

# The provider comes back (reload to new-a.json before line 2, back to
# old.json before line 3): k1 is okta's user again as it was kept: not
# new_user, and the stale guard uses its kept iat (55).
"$bin" eval --config "$data/old.json" --reload-at 2="$data/new-a.json" --reload-at 3="$data/old.json" \
  --save-state "$tmp/return.ndjson" "$data/provider-return.ndjson" >"$tmp/out" 2>/dev/null
check "provider returns: exit" 0 $?
same "provider returns: lines" '{"seq": 1, "cause": "login", "provider": "okta", "subject": "k1", "status": "ok", "new_user": true, "groups_added": ["sales"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], "roles_revoked": []}
{"seq": 2, "cause": "reload", "provider": "okta", "subject": "k1", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": ["sales"], "roles_granted": [], "roles_revoked": ["Crm.Editor", "Crm.Viewer"]}
{"seq": 2, "cause": "login", "status": "error", "error": {"code": "unknown_provider", "message": "no provider has issuer \"https://idp.example/okta\""}}
{"seq": 3, "cause": "login", "provider": "okta", "subject": "k1", "status": "stale", "new_user": false, "groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": []}
{"seq": 4, "cause": "login", "provider": "okta", "subject": "k1", "status": "ok", "new_user": false, "groups_added": ["sales"], "groups_removed": [], "roles_granted": ["Crm.Editor", "Crm.Viewer"], "roles_revoked": []}' "$tmp/out"
same "provider returns: saved state" '{"provider": "okta", "subject": "k1", "mapped": {"sales": ["o-sales"]}, "manual": [], "direct_roles": [], "last_iat": 80, "suspended": false}' "$tmp/return.ndjson"
# Two points with the same N apply in command-line order: the last one wins.
"$bin" eval --config "$data/old.json" --reload-at 2="$data/new-a.json" --reload-at 2="$data/old.json" \
  "$data/provider-return.ndjson" >"$tmp/out" 2>/dev/null
count "same N, old.json last: line 2 is stale" 1 '^\{"seq": 2, "cause": "login", "provider": "okta", "subject": "k1", "status": "stale"' "$tmp/out"
"$bin" eval --config "$data/old.json" --reload-at 2="$data/old.json" --reload-at 2="$data/new-a.json" \
  "$data/provider-return.ndjson" >"$tmp/out" 2>/dev/null
count "same N, new-a.json last: line 2 is unknown_provider" 1 '^\{"seq": 2, "cause": "login", "status": "error", "error": \{"code": "unknown_provider"' "$tmp/out"

# --changes-only drops line 2 (no change) but keeps every reload line.
"$bin" eval --config "$data/old.json" --state "$state" --changes-only --reload-at 3="$data/new-a.json" \
  "$data/events.ndjson" >"$tmp/out" 2>/dev/null
check "changes-only: exit" 0 $?
same "changes-only: reload lines kept" "$line1
$reload_a3
$line3
$line5" "$tmp/out"

# A point past the end is applied at the end, its lines carrying its N.
"$bin" eval --config "$data/old.json" --state "$state" --reload-at 99="$data/new-a.json" \
  "$data/events.ndjson" >"$tmp/out" 2>/dev/null
check "past the end: exit" 0 $?
check "past the end: reload lines last, seq 99" "$(sed 's/^{"seq": 0,/{"seq": 99,/' <<<"$reload_a")" "$(tail -n 3 "$tmp/out")"
count "past the end: 4 event lines before" 4 '"cause": "(assign|login)"' "$tmp/out"

# Bad points stop the run before any output: exit 2 (N below 1, not N=FILE,
# an invalid FILE with every error), exit 1 for an unreadable FILE.
"$bin" eval --config "$data/old.json" --reload-at 0="$data/new-a.json" "$data/events.ndjson" >"$tmp/out" 2>"$tmp/err"
check "reload-at 0: exit" 2 $?
check "reload-at 0: no output" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
"$bin" eval --config "$data/old.json" --reload-at "$data/new-a.json" "$data/events.ndjson" >"$tmp/out" 2>"$tmp/err"
check "reload-at without N=: exit" 2 $?
check "reload-at without N=: no output" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
"$bin" eval --config "$data/old.json" --reload-at 3="$data/bad.json" "$data/events.ndjson" >"$tmp/out" 2>"$tmp/err"
check "reload-at bad file: exit" 2 $?
check "reload-at bad file: no output" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
contains "reload-at bad file: unknown member" "groups[0].colour: unknown member" "$tmp/err"
contains "reload-at bad file: duplicate id" 'roles[1].id: duplicate id "Crm.Viewer"' "$tmp/err"
contains "reload-at bad file: unknown group" 'mappings[0].group: unknown group "no-such-group"' "$tmp/err"
"$bin" eval --config "$data/old.json" --reload-at 9="$data/new-a.json" --reload-at 3="$data/bad.json" \
  --save-state "$tmp/never.ndjson" "$data/events.ndjson" >"$tmp/out" 2>"$tmp/err"
check "reload-at bad file among good: exit" 2 $?
check "reload-at bad file among good: no output" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"
check "reload-at bad file among good: no state saved" no "$([[ -e $tmp/never.ndjson ]] && echo yes || echo no)"
"$bin" eval --config "$data/old.json" --reload-at 3="$tmp/missing.json" "$data/events.ndjson" >"$tmp/out" 2>"$tmp/err"
check "reload-at unreadable file: exit" 1 $?
check "reload-at unreadable file: no output" 0 "$(wc -c <"$tmp/out" | tr -d ' ')"

# A generated input of 20,000 lines (about 4 MiB: several 1 MiB blocks) with
# two reload points given out of order: the same bytes at 1, 2 and 8 threads,
# output and saved state.
python3 - "$tmp/big.ndjson" <<'PY'
import random, sys
random.seed(7)
eg = ["g-sales", "g-sales-alt", "g-support", "g-pay", "g-payread", "g-sales-v2", "g-pay-v2", "g-payread-v2", "g-other"]
groups = ["sales", "support", "staff", "payroll", "pay-readers", "oncall"]
roles = ["Crm.Viewer", "Crm.Editor", "Wiki.Reader", "Pay.Admin", "Pay.Viewer", "Ops.Pager"]
with open(sys.argv[1], "w") as f:
    for i in range(1, 20001):
        r = random.random()
        iat = 1000 + i - (500 if random.random() < 0.03 else 0)
        pad = "x" * random.randint(40, 160)
        if i in (7001, 14001):
            r = 0.0  # the reload points' own lines are Entra logins
        elif i % 1000 == 500:
            f.write("\n"); continue
        elif i % 997 == 0:
            f.write('{"iss": "https://idp.example/entra", "oid": \n'); continue
        if r < 0.55:
            g = ", ".join('"%s"' % x for x in random.sample(eg, random.randint(0, 4)))
            f.write('{"iss": "https://idp.example/entra", "oid": "e%d", "iat": %d, "tid": "t1", "groups": [%s], "name": "%s"}\n'
                    % (random.randrange(800), iat, g, pad))
        elif r < 0.80:
            g = ", ".join('"%s"' % x for x in random.sample(["sales", "oncall", "other"], random.randint(0, 2)))
            f.write('{"iss": "https://idp.example/okta", "sub": "o%d", "iat": %d, "groups": [%s], "name": "%s"}\n'
                    % (random.randrange(300), iat, g, pad))
        else:
            p, s = random.choice([("entra", "e%d" % random.randrange(800)), ("okta", "o%d" % random.randrange(300))])
            t = random.choice(["assign", "unassign", "grant", "revoke", "suspend", "resume", "delete"])
            extra = ""
            if t in ("assign", "unassign"): extra = ', "group": "%s"' % random.choice(groups)
            if t in ("grant", "revoke"): extra = ', "role": "%s"' % random.choice(roles)
            f.write('{"type": "%s", "provider": "%s", "subject": "%s"%s, "note": "%s"}\n' % (t, p, s, extra, pad))
PY
check "generated input lines" 20000 "$(wc -l <"$tmp/big.ndjson" | tr -d ' ')"
check "generated input spans several 1 MiB blocks" yes "$( (($(wc -c <"$tmp/big.ndjson") > 3 * 1048576)) && echo yes || echo no)"
for t in 1 2 8; do
  "$bin" eval --config "$data/old.json" --state "$state" --threads $t \
    --reload-at 14001="$data/new-pay.json" --reload-at 7001="$data/new-a.json" \
    --save-state "$tmp/big-$t.ndjson" -o "$tmp/big-$t.out" "$tmp/big.ndjson" 2>/dev/null
  check "big threads $t: exit" 0 $?
done
check "big: output threads 1 = 2" "" "$(cmp "$tmp/big-1.out" "$tmp/big-2.out" 2>&1)"
check "big: output threads 1 = 8" "" "$(cmp "$tmp/big-1.out" "$tmp/big-8.out" 2>&1)"
check "big: saved state threads 1 = 8" "" "$(cmp "$tmp/big-1.ndjson" "$tmp/big-8.ndjson" 2>&1)"
# Placement: line N-1's result, then the reload lines with seq N, then line N's result.
for n in 7001 14001; do
  check "big: line before the seq-$n reload lines is line $((n - 1))" "{\"seq\": $((n - 1)), " \
    "$(grep -B1 -m1 "^{\"seq\": $n, " "$tmp/big-1.out" | head -n 1 | cut -c1-$((10 + ${#n})))"
  check "big: seq $n is reload lines, then line $n's login" "reload login" \
    "$(grep "^{\"seq\": $n, " "$tmp/big-1.out" | sed 's/.*"cause": "\([a-z]*\)".*/\1/' | uniq | tr '\n' ' ' | sed 's/ $//')"
done
check "big: seq never goes back" "" \
  "$(sed 's/^{"seq": \([0-9]*\),.*/\1/' "$tmp/big-1.out" | awk 'NR > 1 && $1 < prev { print NR ": " $1 " after " prev } { prev = $1 }' | head -n 3)"
# The reload lines are what diff says of the same change on the state reached
# just before line N (seq 0 there).
head -n 7000 "$tmp/big.ndjson" >"$tmp/part1"
"$bin" eval --config "$data/old.json" --state "$state" --save-state "$tmp/s7000.ndjson" "$tmp/part1" >/dev/null 2>&1
"$bin" diff --config "$data/old.json" --new-config "$data/new-a.json" --state "$tmp/s7000.ndjson" 2>/dev/null |
  grep '"cause": "reload"' | sed 's/^{"seq": 0,/{"seq": 7001,/' >"$tmp/diff7001"
grep '^{"seq": 7001, "cause": "reload"' "$tmp/big-1.out" >"$tmp/eval7001"
check "big: reload lines at 7001 = diff old → new-a" "" "$(cmp "$tmp/diff7001" "$tmp/eval7001" 2>&1)"
check "big: reload lines at 7001 present" yes "$([[ -s $tmp/eval7001 ]] && echo yes || echo no)"
head -n 14000 "$tmp/big.ndjson" >"$tmp/part2"
"$bin" eval --config "$data/old.json" --state "$state" --reload-at 7001="$data/new-a.json" \
  --save-state "$tmp/s14000.ndjson" "$tmp/part2" >/dev/null 2>&1
"$bin" diff --config "$data/new-a.json" --new-config "$data/new-pay.json" --state "$tmp/s14000.ndjson" 2>/dev/null |
  grep '"cause": "reload"' | sed 's/^{"seq": 0,/{"seq": 14001,/' >"$tmp/diff14001"
grep '^{"seq": 14001, "cause": "reload"' "$tmp/big-1.out" >"$tmp/eval14001"
check "big: reload lines at 14001 = diff new-a → new-pay" "" "$(cmp "$tmp/diff14001" "$tmp/eval14001" 2>&1)"
check "big: reload lines at 14001 present" yes "$([[ -s $tmp/eval14001 ]] && echo yes || echo no)"
# --changes-only keeps all of them.
"$bin" eval --config "$data/old.json" --state "$state" --threads 2 --changes-only \
  --reload-at 7001="$data/new-a.json" --reload-at 14001="$data/new-pay.json" "$tmp/big.ndjson" >"$tmp/big-co" 2>/dev/null
check "big: changes-only keeps every reload line" "$(grep -c '"cause": "reload"' "$tmp/big-1.out")" \
  "$(grep -c '"cause": "reload"' "$tmp/big-co")"

# Reload points on the lines around each 1 MiB boundary, and on a blank line
# (500): still the same bytes whatever the thread count.
points=$(awk '{ off += length($0) + 1; for (m = 1; m <= 3; m++) if (off - length($0) - 1 < m * 1048576 && m * 1048576 <= off) print NR " " NR + 1 }' "$tmp/big.ndjson")
check "block-edge points: two lines at each of 3 boundaries" 6 "$(wc -w <<<"$points" | tr -d ' ')"
args=(--reload-at "500=$data/new-pay.json")
for p in $points; do args+=(--reload-at "$p=$data/new-a.json" --reload-at "$p=$data/old.json"); done
for t in 1 3 8; do
  "$bin" eval --config "$data/old.json" --state "$state" --threads $t "${args[@]}" \
    -o "$tmp/edge-$t.out" "$tmp/big.ndjson" 2>/dev/null
  check "block-edge points threads $t: exit" 0 $?
done
check "block-edge points: threads 1 = 3" "" "$(cmp "$tmp/edge-1.out" "$tmp/edge-3.out" 2>&1)"
check "block-edge points: threads 1 = 8" "" "$(cmp "$tmp/edge-1.out" "$tmp/edge-8.out" 2>&1)"
check "block-edge points: blank line 500 gets reload lines" yes \
  "$(grep -q '^{"seq": 500, "cause": "reload"' "$tmp/edge-1.out" && echo yes || echo no)"

finish
