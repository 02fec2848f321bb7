#!/usr/bin/env bash
# RE2::Set vs Hyperscan for claim-value patterns (benchmarks/pattern_engines/
# compare.cc, not part of the CMake build): installs libre2-dev and
# libhyperscan-dev if missing, builds the comparison outside the source tree,
# runs it and prints its table. RE2's own error log (e.g. "DFA out of memory")
# goes to a file and is summarised, not printed line by line.
#   scripts/compare-pattern-engines.sh [COMPARE_OPTIONS...]
# Options go to the program (--quick, --fresh, --sizes, --max-mem, ...: see
# the top of compare.cc). Builds in $PATTERN_ENGINES_DIR, default
# /tmp/claimmap-pattern-engines.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/benchmarks/pattern_engines/compare.cc"
out="${PATTERN_ENGINES_DIR:-/tmp/claimmap-pattern-engines}"
mkdir -p "$out"

missing=()
for p in libre2-dev libhyperscan-dev g++ pkg-config; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "compare-pattern-engines: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if command -v pkg-config >/dev/null && pkg-config --exists re2 libhs; then
  read -r -a flags <<<"$(pkg-config --cflags --libs re2 libhs)"
else
  flags=(-I/usr/include/hs -pthread -lre2 -lhs)
fi
g++ -std=c++20 -O2 -Wall -o "$out/compare" "$src" "${flags[@]}"

echo "re2 $(dpkg-query -W -f='${Version}' libre2-dev), hyperscan $(dpkg-query -W -f='${Version}' libhyperscan-dev)," \
  "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rc=0
"$out/compare" "$@" 2>"$out/stderr.log" || rc=$?
if [[ -s $out/stderr.log ]]; then
  echo
  echo "stderr ($out/stderr.log), $(wc -l <"$out/stderr.log") lines, most frequent:"
  sed -E 's/[0-9]+/#/g' "$out/stderr.log" | sort | uniq -c | sort -rn | head -5
fi
exit "$rc"
