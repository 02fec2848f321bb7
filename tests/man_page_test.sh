#!/usr/bin/env bash
# docs/man/claimmap.1 (installed as claimmap(1) by the claimmap package):
# it renders with groff without a warning, it has a section for every
# subcommand the binary lists in --help and none the binary lacks, and every
# option it names of a subcommand is one that subcommand's --help lists.
# Usage: tests/man_page_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
page=docs/man/claimmap.1
source "$(dirname "$0")/shell_checks.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$page" 2>"$tmp/groff.err"
check "groff renders it" 0 $?
check "… without a warning" "" "$(cat "$tmp/groff.err")"

# The binary's subcommands: the lines under "Subcommands:" in --help.
"$bin" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && NF {print $1}' | sort >"$tmp/binary"
# The page's: the first word of each entry of COMMANDS (a .TP's next line).
sed -n '/^\.SH COMMANDS/,/^\.SH EXIT/p' "$page" | awk 'prev == ".TP" {print} {prev = $0}' |
  sed -E 's/^\.(B|BI|BR) +"?//; s/\\-/-/g; s/[ "].*//' | sort -u >"$tmp/page"
check "binary has subcommands" 1 "$(( $(wc -l <"$tmp/binary") > 5 ))"
check "the page names every subcommand, and only those" "$(cat "$tmp/binary")" "$(cat "$tmp/page")"

# Every --option the page gives a subcommand exists in its --help.
while read -r cmd; do
  entry=$(sed -n '/^\.SH COMMANDS/,/^\.SH EXIT/p' "$page" | awk -v c="$cmd" '
    prev == ".TP" { keep = ($0 ~ "^\\.(B|BI|BR) +\"?" c "([ \"]|$)") } keep && $0 != ".TP" {print} {prev = $0}')
  for opt in $(grep -oE '\\-\\-([a-z0-9]|\\-)+' <<<"$entry" | sed 's/\\-/-/g' | sort -u); do
    if [[ "$cmd" == state ]]; then sub=(state convert); else sub=("$cmd"); fi
    if "$bin" "${sub[@]}" --help 2>&1 | grep -qE -- "(^|[ ,])$opt([ ,=]|$)"; then
      echo "ok   $cmd $opt"
    else
      check "$cmd: the page's $opt is an option of the command" "yes" "no"
    fi
  done
done <"$tmp/binary"
finish
