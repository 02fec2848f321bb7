#!/usr/bin/env bash
# Heavy users and heavy storms, as `claimmap eval` runs them: for
# three simulator workloads — every login a fresh draw of ~60 groups, small
# drifts of large users, and a cold start — with stale tokens, pushes, bad
# lines and two reloads (`--reload-at`: a config that changes groups' roles
# and deletes mappings, a group and a role, then the first config back), the
# output is byte-identical at 1, 2 and 8 threads, and agrees with a plain
# dictionary-and-sets reference (tests/heavy_delta_check.py).
# Usage: tests/heavy_storm_test.sh path/to/claimmap
set -u
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$here/shell_checks.sh"

common="--users 3000 --mappings 2000 --logins 12000 --providers okta,keycloak,saml,auth0 --bad-share 0.01 --push-share 0.05 --stale-share 0.03"
declare -A workloads=(
  [fresh]="--groups-per-token 10 --group-spread 0.9 --groups-per-value 8 --roles-per-group 3 --churn 1 --drift-share 1"
  [drift]="--groups-per-token 40 --groups-per-value 2 --roles-per-group 4 --churn 0.6 --drift-share 0.05"
  [cold]="--groups-per-token 20 --groups-per-value 4 --roles-per-group 6 --churn 0.5 --drift-share 0.5 --cold-start"
)

for name in fresh drift cold; do
  dir="$tmp/$name"
  "$bin" simulate $common ${workloads[$name]} --seed 16 --write-dataset "$dir" 2>/dev/null
  check "$name: dataset" 0 $?
  # The reload: roles of a tenth of the groups change, every 25th mapping,
  # one group and one role go.
  python3 - "$dir/config.json" "$dir/new.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
roles = [r["id"] for r in c["roles"]]
gone_group = c["groups"][7]["id"]
gone_role = roles[3]
c["groups"] = [g for g in c["groups"] if g["id"] != gone_group]
for i, g in enumerate(c["groups"]):
    if i % 10 == 0:
        g["roles"] = g["roles"][1:] + [roles[(i * 7) % len(roles)]]
    g["roles"] = sorted({r for r in g["roles"] if r != gone_role})
c["roles"] = [r for r in c["roles"] if r["id"] != gone_role]
c["mappings"] = [m for i, m in enumerate(c["mappings"]) if i % 25 != 3 and m["group"] != gone_group]
json.dump(c, open(sys.argv[2], "w"), indent=1)
PY
  reloads="--reload-at 4000=$dir/new.json --reload-at 9000=$dir/config.json"
  state="$dir/state.ndjson"
  [[ -s $state ]] || state=""
  for t in 1 2 8; do
    "$bin" eval --config "$dir/config.json" ${state:+--state "$state"} --threads $t $reloads \
      -o "$dir/out$t.ndjson" "$dir/events.ndjson" 2>"$dir/err$t"
    check "$name: eval --threads $t exit" 0 $?
  done
  check "$name: output lines" yes "$( (( $(wc -l <"$dir/out1.ndjson") >= 12000 )) && echo yes || echo no)"
  contains "$name: reload lines" '"cause": "reload"' "$dir/out1.ndjson"
  check "$name: 2 threads byte-identical" same "$(cmp -s "$dir/out1.ndjson" "$dir/out2.ndjson" && echo same || echo differs)"
  check "$name: 8 threads byte-identical" same "$(cmp -s "$dir/out1.ndjson" "$dir/out8.ndjson" && echo same || echo differs)"
  contains "$name: reloads ran" "config reloads: 2" "$dir/err1"
  grep -q '"roles_granted": \["' "$dir/out1.ndjson"
  check "$name: roles granted somewhere" 0 $?
  [[ -n $state ]] || : >"$dir/empty.ndjson"
  python3 "$here/heavy_delta_check.py" "$dir/config.json" "${state:-$dir/empty.ndjson}" "$dir/events.ndjson" \
    "$dir/out1.ndjson" 4000="$dir/new.json" 9000="$dir/config.json" >"$dir/check" 2>&1
  check "$name: agrees with the set-based reference" 0 $?
  cat "$dir/check"
done

finish
