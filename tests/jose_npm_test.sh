#!/usr/bin/env bash
# Signed tokens minted by a real JOSE library — npm's `jose`, pinned in
# tests/jose/package-lock.json — through `claimmap eval` (docs/spec.md §15):
# valid tokens of every algorithm verify and map; every classic attack
# (altered signature or payload, alg none, HS256 keyed with the RSA public
# key, an embedded attacker jwk, DER ECDSA, bad base64url, crit, b64, times,
# issuer, audience, unsigned logins, unknown or ambiguous keys) gets the exact
# error code §15 gives; and configs with bad keys are refused by `validate`.
# Usage: tests/jose_npm_test.sh path/to/claimmap   (run from the repository root)
# Needs Node.js (18 or later) and npm; without node it exits 77 (skipped).
# jose is installed with `npm ci` into a temporary copy of tests/jose unless
# tests/jose/node_modules already has it.
set -u
bin="$1"
source "$(dirname "$0")/shell_checks.sh"

if [[ ! -x $bin ]]; then
  echo "FAIL: no claimmap binary at '$bin' (usage: $0 path/to/claimmap)"
  exit 1
fi
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (tests/jose mints its tokens with npm's jose on Node.js)"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

jose_dir=tests/jose
if [[ ! -f $jose_dir/node_modules/jose/package.json ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "FAIL: node is installed but npm is not: cannot install tests/jose's jose"
    exit 1
  fi
  mkdir "$tmp/jose"
  cp tests/jose/package.json tests/jose/package-lock.json tests/jose/mint.mjs "$tmp/jose/"
  if ! npm ci --prefix "$tmp/jose" --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1; then
    echo "FAIL: 'npm ci' of tests/jose (jose pinned in package-lock.json) failed:"
    cat "$tmp/npm.log"
    exit 1
  fi
  jose_dir="$tmp/jose"
fi

# A fixed clock: the tokens' times are relative to it, and eval checks against it.
now=1767225600  # 2026-01-01T00:00:00Z
out="$tmp/out"
if ! node "$jose_dir/mint.mjs" "$out" "$now"; then
  echo "FAIL: tests/jose/mint.mjs failed"
  exit 1
fi

# The config holds the public JWKs (inline and in a jwks_file): it validates.
"$bin" validate "$out/config.json" >"$tmp/validate.out" 2>&1
check "validate: config with JWK Sets" 0 $?
[[ $failures -eq 0 ]] || cat "$tmp/validate.out"

# Every event: its status and error code as expected.ndjson says.
"$bin" eval --now "$now" --config "$out/config.json" -o "$tmp/results.ndjson" "$out/events.ndjson" 2>"$tmp/eval.err"
rc=$?
check "eval exit" 0 $rc
if [[ $rc -ne 0 ]]; then cat "$tmp/eval.err"; fi
python3 - "$out/expected.ndjson" "$tmp/results.ndjson" "$out/events.ndjson" <<'PY'
import json, sys
expected = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
try:
    results = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
except (OSError, ValueError) as e:
    print(f"FAIL eval output unreadable: {e}")
    sys.exit(1)
events = [l.rstrip("\n") for l in open(sys.argv[3])]
by_seq = {r.get("seq"): r for r in results}
failed = 0
for e in expected:
    r = by_seq.get(e["seq"])
    got_status = r.get("status") if r else None
    got_code = (r.get("error") or {}).get("code") if r else None
    if r is None:
        print(f"FAIL line {e['seq']} {e['name']}: no output line")
        failed += 1
    elif got_status != e["status"] or got_code != e["code"]:
        print(f"FAIL line {e['seq']} {e['name']}: expected {e['status']}/{e['code']}, "
              f"got {got_status}/{got_code} {json.dumps((r.get('error') or {}).get('message', ''))}")
        print(f"     event: {events[e['seq'] - 1][:300]}")
        failed += 1
    elif e["status"] == "ok" and r.get("groups_added") != ["staff"]:
        print(f"FAIL line {e['seq']} {e['name']}: ok but groups_added {r.get('groups_added')} (expected [\"staff\"])")
        failed += 1
    else:
        print(f"ok   line {e['seq']} {e['name']}: {got_status}" + (f"/{got_code}" if got_code else ""))
if len(results) != len(expected):
    print(f"FAIL eval wrote {len(results)} lines for {len(expected)} events")
    failed += 1
print(f"{len(expected) - failed} of {len(expected)} token lines as expected")
sys.exit(1 if failed else 0)
PY
check "eval: every token line's status and code" 0 $?

# The same output whatever the thread count (docs/spec.md §8).
"$bin" eval --now "$now" --threads 4 --config "$out/config.json" -o "$tmp/results4.ndjson" "$out/events.ndjson" 2>/dev/null
check "eval --threads 4: same bytes" "$(md5sum <"$tmp/results.ndjson" | cut -c1-32)" "$(md5sum <"$tmp/results4.ndjson" | cut -c1-32)"

# Configs with bad keys or token settings are refused, the error at its path.
while IFS=$'\t' read -r file path; do
  "$bin" validate "$out/bad-configs/$file" >"$tmp/bad.out" 2>&1
  check "validate refuses $file (exit 2)" 2 $?
  contains "validate $file names $path" "$path" "$tmp/bad.out"
done < <(python3 -c 'import json,sys; [print(f"{k}\t{v}") for k, v in json.load(open(sys.argv[1])).items()]' \
  "$out/bad-configs/expected.json")

finish
