# Shared by the shell tests (tests/*_test.sh): `check` and `contains` count
# failures in $failures; `finish` reports and sets the exit status.
failures=0

check() {  # check NAME EXPECTED ACTUAL
  if [[ "$2" != "$3" ]]; then
    echo "FAIL $1: expected [$2], got [$3]"
    failures=$((failures + 1))
  else
    echo "ok   $1"
  fi
}
contains() {  # contains NAME NEEDLE FILE
  if grep -qF -- "$2" "$3"; then echo "ok   $1"; else
    echo "FAIL $1: [$2] not in $3:"; cat "$3"; failures=$((failures + 1)); fi
}
finish() {  # the script's last line: reports and sets the exit status
  if ((failures > 0)); then echo "$failures failures"; exit 1; fi
  echo "all passed"
}
