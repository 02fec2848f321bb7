#!/usr/bin/env bash
# The Debian package's maintainer scripts (server/systemd/postinst, postrm),
# run as dpkg runs them but against stubs of the commands they call
# (adduser, usermod, deluser, delgroup, getent, systemctl, mkdir, chown,
# chmod) that record each call and keep a passwd file of their own — so
# nothing of this machine's users or /etc is touched. postinst makes the
# user only when there is none, and marks it; postrm's purge removes the
# user only when that mark is there; systemd reloads its units when it runs.
# (scripts/package_install_test.sh installs and purges the real package in
# a Debian root.)
# Usage: tests/package_scripts_test.sh [path/to/claimmap]   (from the repository root; the binary is not used)
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"
scripts=$PWD/server/systemd
mark="ClaimMap server (made by the claimmap package)"

# --- the stubs ------------------------------------------------------------------
mkdir "$tmp/bin"
stub() {  # stub NAME BODY: a command that logs its arguments, then runs BODY
  printf '#!/bin/sh\necho "%s $*" >>"$STUB_LOG"\n%s\n' "$1" "$2" >"$tmp/bin/$1"
  chmod +x "$tmp/bin/$1"
}
# getent passwd NAME: the line of the stubs' passwd file, exit 2 when none (as getent).
stub getent 'grep "^$2:" "$STUB_PASSWD" || exit 2'
stub adduser 'name=$(eval echo \${$#}); echo "$name:x:999:999::/var/lib/claimmap:/usr/sbin/nologin" >>"$STUB_PASSWD"'
stub usermod 'awk -F: -v OFS=: -v c="$2" -v n="$3" "\$1 == n { \$5 = c } { print }" "$STUB_PASSWD" >"$STUB_PASSWD.new" && mv "$STUB_PASSWD.new" "$STUB_PASSWD"'
stub deluser 'name=$(eval echo \${$#}); grep -v "^$name:" "$STUB_PASSWD" >"$STUB_PASSWD.new"; mv "$STUB_PASSWD.new" "$STUB_PASSWD"'
stub delgroup ':'
stub systemctl ':'
stub mkdir ':'
stub chown ':'
stub chmod ':'
export STUB_LOG="$tmp/calls" STUB_PASSWD="$tmp/passwd"
# run SCRIPT ARGS…: as dpkg does (sh, from /), the stubs first in PATH; the calls in $tmp/calls.
run() {
  : >"$STUB_LOG"
  (cd / && PATH="$tmp/bin:/usr/bin:/bin" sh "$scripts/$1" "${@:2}")
}
calls() { grep -c "$@" "$STUB_LOG"; }
# daemon-reload is called only where systemd runs (/run/systemd/system).
reloads=0
[[ -d /run/systemd/system ]] && reloads=1

# --- postinst -----------------------------------------------------------------------
: >"$STUB_PASSWD"
run postinst configure
check "postinst configure: exit 0" 0 $?
check "  no claimmap user: adduser --system makes one" 1 \
  "$(calls '^adduser --system --group --home /var/lib/claimmap --no-create-home --quiet claimmap$')"
check "  and marks it as the package's" 1 "$(calls "^usermod --comment $mark claimmap$")"
check "  its comment is the mark" "$mark" "$(cut -d: -f5 "$STUB_PASSWD")"
check "  /etc/claimmap root:claimmap 0750" 3 "$(calls -e '^mkdir -p /etc/claimmap$' -e '^chown root:claimmap /etc/claimmap$' \
  -e '^chmod 0750 /etc/claimmap$')"
check "  systemctl daemon-reload where systemd runs" "$reloads" "$(calls '^systemctl daemon-reload$')"
run postinst configure
check "postinst again (an upgrade): the user is not made twice" 0 "$(calls -e '^adduser' -e '^usermod')"

echo "claimmap:x:500:500:made by hand:/home/claimmap:/bin/sh" >"$STUB_PASSWD"
run postinst configure
check "postinst with a claimmap user made by an administrator: none made" 0 "$(calls -e '^adduser' -e '^usermod')"
check "  and that user left as it was" "made by hand" "$(cut -d: -f5 "$STUB_PASSWD")"

# --- postrm ---------------------------------------------------------------------------
run postrm remove
check "postrm remove: exit 0" 0 $?
check "  systemctl daemon-reload where systemd runs" "$reloads" "$(calls '^systemctl daemon-reload$')"
check "  no user removed" 0 "$(calls -e '^deluser' -e '^delgroup')"
run postrm purge
check "postrm purge of an administrator's claimmap user: exit 0" 0 $?
check "  the user is kept" 0 "$(calls -e '^deluser' -e '^delgroup')"
check "  still there" 1 "$(grep -c '^claimmap:' "$STUB_PASSWD")"

: >"$STUB_PASSWD"
run postinst configure
run postrm purge
check "postrm purge of the user postinst made: exit 0" 0 $?
check "  deluser --system" 1 "$(calls '^deluser --system --quiet claimmap$')"
check "  delgroup --system, if empty" 1 "$(calls '^delgroup --system --only-if-empty --quiet claimmap$')"
check "  the user is gone" 0 "$(grep -c '^claimmap:' "$STUB_PASSWD")"
check "  systemctl daemon-reload where systemd runs" "$reloads" "$(calls '^systemctl daemon-reload$')"
run postrm purge
check "postrm purge with no user at all: exit 0" 0 $?
check "  nothing removed" 0 "$(calls -e '^deluser' -e '^delgroup')"
run postrm upgrade 0.5.0
check "postrm upgrade: exit 0, nothing called" "0 0" "$? $(wc -l <"$STUB_LOG" | tr -d ' ')"

finish
