#!/usr/bin/env bash
# Old and new `claimmap` binaries on the heavy workload, in the
# same run: generates the dataset (benchmarks/workload.h's heavy case) once,
# then alternates the binaries ROUNDS times at 1 and 2 threads, output to
# /dev/null, and prints each run's events/s (the eval's own figure, which
# leaves out loading the state) and the medians.
#   scripts/heavy_compare.sh OLD_BINARY NEW_BINARY [DIR] [ROUNDS]
set -eu
old="$1" new="$2" dir="${3:-/tmp/claimmap-heavy}" rounds="${4:-3}"
if [[ ! -s $dir/events.ndjson ]]; then
  "$new" simulate --providers okta,keycloak,saml,auth0 --users 100000 --logins 300000 \
    --groups-per-token 10 --groups-per-value 16 --roles-per-group 2 --churn 1 --drift-share 1 \
    --write-dataset "$dir" >/dev/null
fi
rate() {  # rate BINARY THREADS -> events/s
  "$1" eval --config "$dir/config.json" --state "$dir/state.ndjson" --threads "$2" -o /dev/null \
    "$dir/events.ndjson" 2>&1 | sed -n 's/^elapsed: .* s, \([0-9]*\) events\/s.*/\1/p'
}
declare -A runs
for ((r = 1; r <= rounds; r++)); do
  for t in 1 2; do
    for which in old new; do
      bin=$old; [[ $which == new ]] && bin=$new
      x=$(rate "$bin" $t)
      runs[$which$t]+="$x "
      echo "round $r: $which, $t thread(s): $x events/s"
    done
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
o1=$(echo ${runs[old1]} | median) n1=$(echo ${runs[new1]} | median)
o2=$(echo ${runs[old2]} | median) n2=$(echo ${runs[new2]} | median)
echo "medians: old 1t $o1, new 1t $n1, old 2t $o2, new 2t $n2 events/s"
awk -v o1="$o1" -v n1="$n1" -v o2="$o2" -v n2="$n2" 'BEGIN {
  printf "new/old at 1 thread: %.2fx; 2 threads/1 thread: old %.2fx, new %.2fx\n", n1 / o1, o2 / o1, n2 / n1 }'
