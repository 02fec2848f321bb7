#!/usr/bin/env bash
# Builds the fuzzers' seed corpora and dictionary in OUT (default
# build-fuzz/seeds): event lines and configs from datasets/ (when present), the
# tests' data and configs, and a few hand-written lines of every event shape.
# Generated, never committed: libFuzzer grows its own corpus next to it.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-build-fuzz/seeds}
rm -rf "$out"
mkdir -p "$out/event" "$out/config"

n=0
seed_event() { n=$((n + 1)); printf '%s\n' "$1" >"$out/event/hand-$n"; }

# Configs: the datasets', the tests', and the two written in the sources.
for f in datasets/*/config.json tests/data/*.json; do
  [[ -f $f && $(stat -c %s "$f") -lt 1000000 ]] && cp "$f" "$out/config/$(echo "$f" | tr / _)"
done
sed -n '/kBaseConfig = R"(/,/^})";/p' tests/test_util.h | sed '1s/.*R"(//; $s/)";$//' >"$out/config/base.json"
sed -n '/kConfig = R"(/,/^})";/p' tests/fuzz/event_fuzzer.cc | sed '1s/.*R"(//; $s/)";$//' >"$out/config/event_fuzzer.json"

# Events: the first lines of each dataset and test stream, a few lines a file.
for f in datasets/*/events.ndjson tests/data/*.ndjson; do
  [[ -f $f ]] || continue
  head -n 400 "$f" | split -l 4 - "$out/event/$(echo "$f" | tr / _)-"
done

# Hand-written lines for the fuzzer's own config (tests/fuzz/event_fuzzer.cc).
seed_event '{"iss": "https://e", "oid": "u1", "groups": ["a", "b", "c"], "n": 1, "f": true, "r": "x;y", "iat": 5}'
seed_event '{"type": "login", "provider": "entra", "claims": {"iss": "https://e", "oid": "u1", "groups": "a"}}'
seed_event '{"provider": "kc", "claims": {"sub": "k", "ra": {"roles": ["a"]}, "l": ["b"], "h/r": "c"}}'
seed_event '{"provider": "adfs", "claims": {"sub": "s", "m": "a;b, b"}}'
seed_event '{"iss": "https://e", "oid": "u1", "_claim_names": {"groups": "src1"}, "iat": 4}'
seed_event '{"type": "assign", "provider": "entra", "subject": "u1", "group": "g2"}'
seed_event '{"type": "grant", "provider": "kc", "subject": "k", "role": "R3"}'
seed_event '{"type": "suspend", "provider": "entra", "subject": "u1"}'
seed_event '{"type": "resume", "provider": "entra", "subject": "u1"}'
seed_event '{"type": "delete", "provider": "adfs", "subject": "s"}'
seed_event '{"type": "unassign", "provider": "entra", "subject": "u1", "group": "g2"}'
seed_event '{"type": "revoke", "provider": "kc", "subject": "k", "role": "R3"}'
# Signed tokens of the "signed" provider (Ed25519, seed 32 × 0x07): valid,
# expired at the fuzzer's clock, and without kid, found by iss.
seed_event '{"type": "login", "provider": "signed", "token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL3MiLCJzdWIiOiJ0MSIsImF1ZCI6ImEiLCJleHAiOjIwMDAwMDAwMDAsImdyb3VwcyI6WyJhIl19.XzQl-PD9IVgC1lqN2GCdtdN829veyIP7AJG5vca_f4Hy2LUb8KMfJ4h6v2-sZWccoqozWnoDcrB9UZY94LoiDg"}'
seed_event '{"token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImsifQ.eyJpc3MiOiJodHRwczovL3MiLCJzdWIiOiJ0MiIsImF1ZCI6WyJhIiwiYiJdLCJleHAiOjEwMDAsIm5iZiI6NSwiZ3JvdXBzIjpbImEiLCJiIl0sImlhdCI6M30.Tr1ftuILxOwwUOruwMGWi4uCUXOyRf3ZbRPJBFC782xNkmuIJjxHCS01yhKA3kCyMgITdmu6OJ4EjFo_wqQDCw"}'
seed_event '{"token": "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJodHRwczovL3MiLCJzdWIiOiJ0MyIsImV4cCI6MjAwMDAwMDAwMCwiX2NsYWltX25hbWVzIjp7Imdyb3VwcyI6InMifX0.Ljjao-AYLep8IPiroXmFzgaXWZOALinEBb8wG7-5BsNqKPIspltPwcUe4SuXzwv3QMOLmJg_xky3BbwRZRbyDg"}'
seed_event '{"provider": "signed", "claims": {"iss": "https://s", "sub": "u"}}'
printf '%s\r\n\r\n%s\n{"a": 1, "a": 2}\n[1]\n' \
  '{"iss": "https://e", "oid": "u2", "groups": ["a"], "iat": 9}' \
  '{"iss": "https://e", "oid": "u2", "groups": [], "iat": 8}' >"$out/event/hand-stream"

# Dictionary: the words of events and configs.
{
  for w in '{' '}' '[' ']' ':' ',' '\n' '\r\n' '\\u0000' '\\ud800' '\\u00e9' 'null' 'true' 'false' '-0' '1e2' \
    '"iss"' '"oid"' '"sub"' '"iat"' '"groups"' '"claims"' '"type"' '"provider"' '"subject"' '"group"' '"role"' \
    '"_claim_names"' '"login"' '"assign"' '"unassign"' '"grant"' '"revoke"' '"suspend"' '"resume"' '"delete"' \
    '"entra"' '"kc"' '"adfs"' '"https://e"' '"https://k"' '"g1"' '"g2"' '"R3"' '"ra"' '"roles"' '"x;y"' \
    '"version"' '"stages"' '"providers"' '"roles"' '"mappings"' '"id"' '"issuer"' '"scope"' '"organization"' \
    '"token"' '"eyJhbGciOiJFZERTQSIsImtpZCI6ImsifQ"' '"alg"' '"kid"' '"crit"' '"b64"' '"jwk"' '"exp"' '"nbf"' '"aud"' \
    '"signed"' '"https://s"' '"subject_claim"' '"app"' '"stage"' '"claim"' '"value"' '"delimiter"' '"oidc"' '"saml"' '"/realm_access/roles"' \
    '"match"' '"exact"' '"prefix"' '"glob"' '"regex"' '"require"' '"{value}"' '"{1}"' '"{9}"' '"*"' '"?"' '"(a)"' '"\\"'; do
    printf '"%s"\n' "$(printf '%s' "$w" | sed 's/\\/\\\\/g; s/"/\\"/g')"
  done
  printf '"\\x0A"\n"\\x00"\n"\\xC0\\xAF"\n'  # a raw newline, NUL, an overlong '/'
} >"$out/fuzz.dict"
echo "seeds: $(ls "$out/event" | wc -l) event inputs, $(ls "$out/config" | wc -l) configs in $out" >&2
