#!/usr/bin/env bash
# `claimmap simulate` as a user runs it (docs/spec.md §11): a written dataset replays
# through `claimmap eval`, the same seed writes the same bytes, --json and
# usage errors. Usage: tests/simulator_cli_test.sh path/to/claimmap
set -u
bin="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"

small="--users 2000 --mappings 800 --logins 6000 --bad-share 0.02 --push-share 0.05 --stale-share 0.02"

# --write-dataset writes three files and exits 0.
"$bin" simulate $small --seed 5 --write-dataset "$tmp/a" 2>"$tmp/err"
check "write-dataset exit" 0 $?
for f in config.json state.ndjson events.ndjson; do
  check "write-dataset $f" yes "$([[ -s $tmp/a/$f ]] && echo yes || echo no)"
done
check "events lines" 6000 "$(wc -l <"$tmp/a/events.ndjson" | tr -d ' ')"
check "state lines" 2000 "$(wc -l <"$tmp/a/state.ndjson" | tr -d ' ')"

# The same seed gives the same bytes; another seed does not.
"$bin" simulate $small --seed 5 --write-dataset "$tmp/b" 2>/dev/null
"$bin" simulate $small --seed 6 --write-dataset "$tmp/c" 2>/dev/null
for f in config.json state.ndjson events.ndjson; do
  check "same seed $f" same "$(cmp -s "$tmp/a/$f" "$tmp/b/$f" && echo same || echo differs)"
  check "other seed $f" differs "$(cmp -s "$tmp/a/$f" "$tmp/c/$f" && echo same || echo differs)"
done

# The dataset replays through eval: one output line per event, every error
# code present, and the summary agrees with the simulator's own replay.
"$bin" validate "$tmp/a/config.json" >"$tmp/validate" 2>&1
check "validate dataset" 0 $?
"$bin" eval --config "$tmp/a/config.json" --state "$tmp/a/state.ndjson" "$tmp/a/events.ndjson" \
  >"$tmp/out.ndjson" 2>"$tmp/summary"
check "eval exit" 0 $?
check "eval lines" 6000 "$(wc -l <"$tmp/out.ndjson" | tr -d ' ')"
for code in event_too_large malformed_json duplicate_claim not_an_object invalid_event unknown_event_type \
  unknown_provider missing_subject unknown_user unknown_group unknown_role; do
  contains "eval $code" "\"code\": \"$code\"" "$tmp/out.ndjson"
done
contains "eval stale" '"status": "stale"' "$tmp/out.ndjson"
contains "state loaded" "2000 users loaded" "$tmp/summary"

# The in-process replay of the same dataset counts the same revocations.
"$bin" simulate $small --seed 5 --threads 2 --json >"$tmp/report.json" 2>/dev/null
check "simulate json exit" 0 $?
want=$(grep -o 'revoked: [0-9]*' "$tmp/summary" | grep -o '[0-9]*')
contains "same revocations as eval" "\"roles_revoked\": $want," "$tmp/report.json"
contains "json latency" '"p999"' "$tmp/report.json"

# Text report (no progress bar when stderr is not a terminal).
"$bin" simulate $small --threads 2 >"$tmp/report.txt" 2>"$tmp/report.err"
check "simulate exit" 0 $?
contains "report throughput" "throughput" "$tmp/report.txt"
check "no progress bar off a terminal" 0 "$(wc -c <"$tmp/report.err" | tr -d ' ')"

# Usage errors exit 2.
"$bin" simulate --profile surge >/dev/null 2>&1
check "bad profile" 2 $?
"$bin" simulate $small --find-capacity --p99 fast >/dev/null 2>&1
check "bad p99" 2 $?
"$bin" simulate $small --profile ramp >/dev/null 2>&1
check "ramp without rate" 2 $?
"$bin" simulate $small --providers entra,ping >/dev/null 2>&1
check "bad provider" 2 $?

if [[ $failures -gt 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
