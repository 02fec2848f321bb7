#!/usr/bin/env bash
# `claimmap state convert` and `claimmap state inspect` as a user runs them
# (docs/spec.md §9, §10): both directions byte for byte, what inspect says of
# good, damaged, NDJSON and empty files and its exit codes, a damaged input
# that must not create OUT, and `eval --save-state` to a snapshot read back.
# Usage: tests/state_tools_cli_test.sh path/to/claimmap   (run from the repository root)
set -u
bin="$1"
data=tests/data/state
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"

absent() {  # absent NAME FILE: FILE must not exist
  if [[ -e "$2" ]]; then echo "FAIL $1: $2 exists"; failures=$((failures + 1)); else echo "ok   $1"; fi
}
lacks() {  # lacks NAME NEEDLE FILE
  if grep -qF -- "$2" "$3"; then echo "FAIL $1: [$2] in $3:"; cat "$3"; failures=$((failures + 1)); else echo "ok   $1"; fi
}

# convert: NDJSON -> snapshot -> NDJSON gives back the same bytes.
"$bin" state convert "$data/state.ndjson" "$tmp/s.snap" 2>"$tmp/err"
check "convert to snapshot exit" 0 $?
contains "convert says how many users" "5 users" "$tmp/err"
check "snapshot magic" "CLMSNAP" "$(head -c 7 "$tmp/s.snap")"
"$bin" state convert "$tmp/s.snap" "$tmp/back.ndjson" 2>/dev/null
check "convert to ndjson exit" 0 $?
check "round trip identical" "" "$(cmp "$data/state.ndjson" "$tmp/back.ndjson" 2>&1)"
"$bin" state convert "$tmp/s.snap" "$tmp/again.snap" 2>/dev/null
check "snapshot to snapshot identical" "" "$(cmp "$tmp/s.snap" "$tmp/again.snap" 2>&1)"
ls "$tmp" >"$tmp/listing"
lacks "no temp file left by convert" ".tmp." "$tmp/listing"

# An unsorted NDJSON state comes out sorted.
tac "$data/state.ndjson" >"$tmp/unsorted.ndjson"
"$bin" state convert "$tmp/unsorted.ndjson" "$tmp/sorted.ndjson" 2>/dev/null
check "unsorted convert exit" 0 $?
check "unsorted comes out sorted" "" "$(cmp "$data/state.ndjson" "$tmp/sorted.ndjson" 2>&1)"

# inspect: a good snapshot.
"$bin" state inspect "$tmp/s.snap" >"$tmp/out" 2>&1
check "inspect good exit" 0 $?
contains "inspect form" "form             binary snapshot" "$tmp/out"
contains "inspect format version" "format version   2" "$tmp/out"
contains "inspect fingerprint unknown" "config           unknown (converted from NDJSON)" "$tmp/out"
contains "inspect users" "users            5" "$tmp/out"
contains "inspect size" "size             $(wc -c <"$tmp/s.snap") bytes" "$tmp/out"
contains "inspect section meta" "section meta: bytes 56+20, checksum ok" "$tmp/out"
contains "inspect section names" "section names: bytes" "$tmp/out"
contains "inspect section users" "section users 1: bytes" "$tmp/out"
contains "inspect checksums ok" "checksums ok" "$tmp/out"
lacks "inspect good not damaged" "DAMAGED" "$tmp/out"

# inspect: truncated, and one flipped byte.
size=$(wc -c <"$tmp/s.snap")
head -c $((size - 5)) "$tmp/s.snap" >"$tmp/trunc.snap"
"$bin" state inspect "$tmp/trunc.snap" >"$tmp/out" 2>&1
check "inspect truncated exit" 2 $?
contains "inspect truncated damaged" "DAMAGED: snapshot is truncated: section users 1" "$tmp/out"
lacks "inspect truncated not ok" "checksums ok" "$tmp/out"
cp "$tmp/s.snap" "$tmp/flip.snap"
printf '\xff' | dd of="$tmp/flip.snap" bs=1 seek=$((size - 3)) conv=notrunc status=none
"$bin" state inspect "$tmp/flip.snap" >"$tmp/out" 2>&1
check "inspect flipped exit" 2 $?
contains "inspect flipped section" "section users 1: bytes" "$tmp/out"
contains "inspect flipped mismatch" "CHECKSUM MISMATCH" "$tmp/out"
contains "inspect flipped damaged" "DAMAGED: snapshot section users 1 is damaged (checksum mismatch)" "$tmp/out"

# inspect: an NDJSON file, a bad NDJSON file.
"$bin" state inspect "$data/state.ndjson" >"$tmp/out" 2>&1
check "inspect ndjson exit" 0 $?
contains "inspect ndjson form" "form             ndjson" "$tmp/out"
contains "inspect ndjson users" "users            5" "$tmp/out"
contains "inspect ndjson reads" "every line reads" "$tmp/out"
lacks "inspect ndjson has no format version" "format version" "$tmp/out"
{ head -n 2 "$data/state.ndjson"; echo '{"provider": "entra"}'; } >"$tmp/bad.ndjson"
"$bin" state inspect "$tmp/bad.ndjson" >"$tmp/out" 2>&1
check "inspect bad ndjson exit" 2 $?
contains "inspect bad ndjson line" 'DAMAGED: state line 3: missing "subject"' "$tmp/out"

# inspect: empty files. Only a name ending in .ndjson may be empty.
: >"$tmp/empty.snap"
"$bin" state inspect "$tmp/empty.snap" >"$tmp/out" 2>&1
check "inspect empty snap exit" 2 $?
contains "inspect empty snap damaged" "DAMAGED: empty file" "$tmp/out"
: >"$tmp/empty.ndjson"
"$bin" state inspect "$tmp/empty.ndjson" >"$tmp/out" 2>&1
check "inspect empty ndjson exit" 0 $?
contains "inspect empty ndjson users" "users            0" "$tmp/out"
"$bin" state inspect "$tmp/missing.snap" >"$tmp/out" 2>&1
check "inspect missing file exit" 1 $?

# convert: a damaged input exits 2 and creates no OUT (nor a temp file).
for bad in trunc.snap flip.snap empty.snap bad.ndjson; do
  "$bin" state convert "$tmp/$bad" "$tmp/out-$bad.ndjson" >/dev/null 2>"$tmp/err"
  check "convert damaged $bad exit" 2 $?
  absent "convert damaged $bad no output" "$tmp/out-$bad.ndjson"
  contains "convert damaged $bad names the input" "$tmp/$bad" "$tmp/err"
  "$bin" state convert "$tmp/$bad" "$tmp/out-$bad.snap" >/dev/null 2>&1
  check "convert damaged $bad to snapshot exit" 2 $?
  absent "convert damaged $bad no snapshot" "$tmp/out-$bad.snap"
done
ls "$tmp" >"$tmp/listing"
lacks "no temp file left by refused converts" ".tmp." "$tmp/listing"
# A refused convert leaves an existing OUT as it was.
cp "$tmp/back.ndjson" "$tmp/keep.ndjson"
"$bin" state convert "$tmp/trunc.snap" "$tmp/keep.ndjson" >/dev/null 2>&1
check "convert damaged over existing exit" 2 $?
check "existing OUT untouched" "" "$(cmp "$tmp/back.ndjson" "$tmp/keep.ndjson" 2>&1)"
# A repeated user refuses the convert, naming both lines.
{ cat "$data/state.ndjson"; head -n 2 "$data/state.ndjson" | tail -n 1; } >"$tmp/repeated.ndjson"
"$bin" state convert "$tmp/repeated.ndjson" "$tmp/repeated.snap" >/dev/null 2>"$tmp/err"
check "convert repeated exit" 2 $?
contains "convert repeated names both lines" "state line 6: user repeated (first at state line 2)" "$tmp/err"
absent "convert repeated no output" "$tmp/repeated.snap"
# Missing input: an I/O failure, exit 1; bad usage: exit 2.
"$bin" state convert "$tmp/missing.snap" "$tmp/x.ndjson" >/dev/null 2>&1
check "convert missing input exit" 1 $?
absent "convert missing input no output" "$tmp/x.ndjson"
"$bin" state convert "$tmp/s.snap" >/dev/null 2>&1
check "convert without OUT exit" 2 $?
"$bin" state >/dev/null 2>&1
check "state without subcommand exit" 2 $?

# eval --save-state to a snapshot, then --state from it: the same results as
# through the NDJSON form.
cfg="$data/config.json"
"$bin" eval --config "$cfg" --state "$data/state.ndjson" --save-state "$tmp/run1.snap" "$data/events.ndjson" \
  >"$tmp/run1.out" 2>/dev/null
check "eval save snapshot exit" 0 $?
"$bin" eval --config "$cfg" --state "$data/state.ndjson" --save-state "$tmp/run1.ndjson" "$data/events.ndjson" \
  >"$tmp/run1b.out" 2>/dev/null
check "eval save ndjson exit" 0 $?
check "eval outputs identical" "" "$(cmp "$tmp/run1.out" "$tmp/run1b.out" 2>&1)"
check "saved snapshot magic" "CLMSNAP" "$(head -c 7 "$tmp/run1.snap")"
"$bin" state inspect "$tmp/run1.snap" >"$tmp/out" 2>&1
check "inspect saved snapshot exit" 0 $?
contains "inspect saved users" "users            7" "$tmp/out"
lacks "saved snapshot knows its config" "unknown (converted from NDJSON)" "$tmp/out"
"$bin" state convert "$tmp/run1.snap" "$tmp/run1-converted.ndjson" 2>/dev/null
check "saved snapshot converts to the saved NDJSON" "" "$(cmp "$tmp/run1.ndjson" "$tmp/run1-converted.ndjson" 2>&1)"
"$bin" eval --config "$cfg" --state "$tmp/run1.snap" "$data/replay.ndjson" >"$tmp/run2.out" 2>"$tmp/run2.err"
check "eval from snapshot exit" 0 $?
"$bin" eval --config "$cfg" --state "$tmp/run1.ndjson" "$data/replay.ndjson" >"$tmp/run2b.out" 2>"$tmp/run2b.err"
check "eval from ndjson exit" 0 $?
check "same results from either form" "" "$(cmp "$tmp/run2.out" "$tmp/run2b.out" 2>&1)"
check "same load report" "$(grep '^state: ' "$tmp/run2b.err")" "$(grep '^state: ' "$tmp/run2.err")"
contains "load report" "state: 7 users loaded" "$tmp/run2.err"
# What the saved state carried: the stale guard, the suspension lifted, the pushed user.
contains "stale guard carried" '"seq": 1, "cause": "login", "provider": "entra", "subject": "u1", "status": "stale"' "$tmp/run2.out"
contains "pushed user carried" '"seq": 5, "cause": "delete", "provider": "kc", "subject": "k2", "status": "ok", "new_user": false, "groups_added": [], "groups_removed": [], "roles_granted": [], "roles_revoked": ["Ops.Pager"]' "$tmp/run2.out"
contains "escaped subject carried" '"seq": 3, "cause": "suspend", "provider": "entra", "subject": "u3 \"quoted\"\t\u0000", "status": "ok", "new_user": false' "$tmp/run2.out"
# A damaged snapshot stops eval before any event.
"$bin" eval --config "$cfg" --state "$tmp/trunc.snap" "$data/replay.ndjson" >"$tmp/out" 2>"$tmp/err"
check "eval damaged state exit" 2 $?
check "eval damaged state no output" 0 "$(wc -c <"$tmp/out")"
contains "eval damaged state says why" "truncated" "$tmp/err"
"$bin" eval --config "$cfg" --state "$tmp/empty.snap" "$data/replay.ndjson" >"$tmp/out" 2>"$tmp/err"
check "eval empty snapshot exit" 2 $?
contains "eval empty snapshot says why" "empty file" "$tmp/err"

if ((failures > 0)); then echo "$failures failures"; exit 1; fi
echo "all passed"
