#!/usr/bin/env bash
# Scale-out with prefix, glob and regex mappings, group templates and a login
# requirement (docs/spec.md §14, §16): the simulator's dataset with a third
# of its mappings rewritten as patterns that match the same values, a
# template on a fifth of them and a requirement that denies a tenth of the
# logins; the reload marker narrows them. Two workers' results, together,
# are `claimmap eval --reload-at` line for line, and their final state is
# eval's. Workers and eval both run with --explain (docs/spec.md §17): the
# explain objects, reload lines' included, match too.
# Usage: tests/scaleout_patterns_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
tmp=$(mktemp -d)
source "$(dirname "$0")/shell_checks.sh"
source "$(dirname "$0")/scaleout_lib.sh"
trap cleanup EXIT
require_nats_server

partitions=4
start_nats
make_dataset 2000 12000
# Rewrite both configs: exact values become prefixes, globs and regexes that
# match the same candidates; some regexes name their group by template
# (GROUP{1} with an empty capture names GROUP itself); every OIDC provider
# requires a subject that does not end in 7.
python3 - "$tmp/ds/config.json" "$tmp/new.json" <<'PY'
import json, re, sys
for path in sys.argv[1:]:
    c = json.load(open(path))
    for i, m in enumerate(c["mappings"]):
        v = m["value"]
        kind = i % 3
        if kind == 0 or len(v) < 2:
            continue
        if kind == 1:
            m["match"], m["value"] = "glob", re.sub(r"([*?\\])", r"\\\1", v[:-1]) + "?"
        else:
            m["match"], m["value"] = "regex", re.escape(v) + "()"
            if i % 5 == 0:
                m["group"] = m["group"] + "{1}"
    subjects = {p["id"]: p.get("subject_claim", "sub") for p in c["providers"]}
    for p in c["providers"]:
        if p["type"] == "oidc":
            p["require"] = [{"claim": subjects[p["id"]], "value": "(?s).*[^7]", "match": "regex"}]
    json.dump(c, open(path, "w"), indent=1)
PY
"$bin" validate "$tmp/ds/config.json" >"$tmp/validate.txt" 2>&1
check "the validator accepts the rewritten config" 0 $?
"$bin" validate "$tmp/new.json" >/dev/null 2>&1
check "the validator accepts the rewritten reload config" 0 $?
check "the config has glob and regex mappings and templates on entra" yes \
  "$(grep -Eq '^provider entra: mappings [1-9][0-9]* exact, 0 prefix, [1-9][0-9]* glob, [1-9][0-9]* regex \([1-9][0-9]* templates\); 1 login requirements' "$tmp/validate.txt" && echo yes || cat "$tmp/validate.txt")"
eval_options="--explain"
worker_options="--explain"
eval_reference 6001
contains "eval denies some logins" '"status": "denied"' "$tmp/eval.ndjson"
contains "eval explains the matches" '"explain": {"groups_added": {"' "$tmp/eval.ndjson"
contains "and the reload's removals" '{"reason": "mapping_changed"}' "$tmp/eval.ndjson"
contains "and grants groups to others" '"groups_added": ["' "$tmp/eval.ndjson"

"$bin" publish --nats "$url" --partitions "$partitions" --seed-state "$tmp/ds/state.ndjson" 2>"$tmp/seed.err"
check "publish --seed-state: exit" 0 $?
start_worker w1
start_worker w2
head -n 6000 "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub1.err"
check "publish lines 1..6000: exit" 0 $?
"$bin" publish --nats "$url" --partitions "$partitions" --config "$tmp/new.json" 2>"$tmp/pub-reload.err"
check "publish --config NEW: exit" 0 $?
tail -n +6001 "$tmp/ds/events.ndjson" | "$bin" publish --nats "$url" --partitions "$partitions" 2>"$tmp/pub2.err"
check "publish the rest: exit" 0 $?
wait_for_results "$expected"
compare_with_eval "$tmp/eval.ndjson"
stop_worker w1
stop_worker w2
compare_state "$tmp/eval-final.ndjson"
no_crash_reports
finish
