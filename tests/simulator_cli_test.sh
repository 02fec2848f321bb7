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

# --sign: only the four algorithms; HMAC and none are bad usage, and so is a
# run with no provider whose logins can be signed.
for alg in HS256 none rs256 RS512; do
  "$bin" simulate $small --sign "$alg" --write-dataset "$tmp/bad-sign" >/dev/null 2>"$tmp/sign.err"
  check "--sign $alg refused" 2 $?
done
contains "--sign names the choices" "RS256, PS256, ES256, EdDSA" "$tmp/sign.err"
"$bin" simulate $small --sign EdDSA --providers saml --write-dataset "$tmp/bad-sign" >/dev/null 2>&1
check "--sign with only SAML" 2 $?
"$bin" simulate $small --sign EdDSA --now 0 --write-dataset "$tmp/bad-sign" >/dev/null 2>&1
check "--now 0 refused" 2 $?

# A signed dataset: the same seed gives the same bytes (keys and signatures
# included), the config publishes keys, the summary says how to replay it.
"$bin" simulate $small --seed 5 --sign ES256 --write-dataset "$tmp/s1" 2>"$tmp/s1.summary"
check "signed write-dataset exit" 0 $?
"$bin" simulate $small --seed 5 --sign ES256 --threads 1 --write-dataset "$tmp/s2" 2>/dev/null
for f in config.json state.ndjson events.ndjson; do
  check "signed same seed $f" same "$(cmp -s "$tmp/s1/$f" "$tmp/s2/$f" && echo same || echo differs)"
done
check "signed state as unsigned" same "$(cmp -s "$tmp/a/state.ndjson" "$tmp/s1/state.ndjson" && echo same || echo differs)"
contains "signed config has keys" '"algorithms": ["ES256"], "jwks": {"keys": [{"kty":"EC"' "$tmp/s1/config.json"
contains "signed events carry tokens" '{"token": "eyJ' "$tmp/s1/events.ndjson"
contains "summary: signed" "logins: signed ES256 (entra, okta, keycloak, auth0; unsigned: adfs), valid at now 1735714919" "$tmp/s1.summary"
contains "summary: replay command" "replay: claimmap eval --now 1735714919 --config $tmp/s1/config.json" "$tmp/s1.summary"

# The engine replays it (docs/spec.md §15): no error but the planned bad lines.
"$bin" validate "$tmp/s1/config.json" >"$tmp/s1.validate" 2>&1
check "signed dataset validates" 0 $?
{
  "$bin" eval --now 1735714919 --config "$tmp/s1/config.json" --state "$tmp/s1/state.ndjson" "$tmp/s1/events.ndjson" \
    >"$tmp/s1.out" 2>"$tmp/s1.eval"
  check "signed eval exit" 0 $?
  for code in invalid_token unknown_key invalid_signature wrong_issuer token_expired token_not_yet_valid \
    unsigned_token missing_subject; do
    contains "signed eval $code" "\"code\": \"$code\"" "$tmp/s1.out"
  done
  check "signed eval: no wrong_audience" 0 "$(grep -c '"code": "wrong_audience"' "$tmp/s1.out")"
  # audit --replay checks the signed tokens at --now, as eval does; at
  # today's clock they have expired, and the summary says so.
  "$bin" audit --config "$tmp/s1/config.json" --state "$tmp/s1/state.ndjson" --replay "$tmp/s1/events.ndjson" \
    >/dev/null 2>"$tmp/s1.audit-clock"
  check "signed audit at the clock: exit 0" 0 $?
  contains "signed audit at the clock: refusals said" "lines refused, matching nothing (an expired signed token needs --now)" \
    "$tmp/s1.audit-clock"
  "$bin" audit --now 1735714919 --config "$tmp/s1/config.json" --state "$tmp/s1/state.ndjson" \
    --replay "$tmp/s1/events.ndjson" >/dev/null 2>"$tmp/s1.audit-now"
  check "signed audit --now: exit 0" 0 $?
  at_clock=$(grep -o '[0-9]* replay logins matched' "$tmp/s1.audit-clock" | grep -o '^[0-9]*' || echo 0)
  at_now=$(grep -o '[0-9]* replay logins matched' "$tmp/s1.audit-now" | grep -o '^[0-9]*' || echo 0)
  check "signed audit --now matches the signed logins too" more "$( ((at_now > at_clock + 1000)) && echo more || echo "$at_now vs $at_clock")"
  refused_now=$(grep -o '[0-9]* lines refused' "$tmp/s1.audit-now" | grep -o '^[0-9]*' || echo 0)
  refused_clock=$(grep -o '[0-9]* lines refused' "$tmp/s1.audit-clock" | grep -o '^[0-9]*')
  check "signed audit --now: only the planned bad lines refused" fewer "$( ((refused_now < refused_clock / 4)) && echo fewer || echo "$refused_now vs $refused_clock")"
  "$bin" simulate $small --seed 5 --sign ES256 --threads 2 --json >"$tmp/s1.json" 2>/dev/null
  check "signed simulate exit" 0 $?
  contains "signed report says ES256" '"signing": "ES256", "now": 1735714919' "$tmp/s1.json"
  want=$(grep -o 'revoked: [0-9]*' "$tmp/s1.eval" | grep -o '[0-9]*')
  contains "signed: same revocations as eval" "\"roles_revoked\": $want," "$tmp/s1.json"
}
"$bin" simulate $small --threads 2 --json >"$tmp/u.json" 2>/dev/null
contains "unsigned report says so" '"signing": "unsigned", "now": null' "$tmp/u.json"

if [[ $failures -gt 0 ]]; then echo "$failures failure(s)"; exit 1; fi
echo "all passed"
