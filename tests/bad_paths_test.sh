#!/usr/bin/env bash
# Bad paths are values, never aborts (docs/spec.md §10): every command given
# a missing file, a directory, a FIFO, a device, a socket or an unreadable
# file where it reads one exits 1 with a message naming the path and what is
# wrong, never 134/139 or "terminate called", and never waits on a FIFO; every
# output is checked before any work starts. A FIFO or a pipe stays good event
# input (`eval <(gen)`).
# Usage: tests/bad_paths_test.sh path/to/claimmap   (run from the repository root)
set -u
bin="$1"
data=tests/data
tmp=$(mktemp -d)
sock_pid=
trap '[[ -n "$sock_pid" ]] && kill "$sock_pid" 2>/dev/null; chmod -R u+rwx "$tmp"; rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"

lacks() {  # lacks NAME NEEDLE FILE
  if grep -qF -- "$2" "$3"; then echo "FAIL $1: [$2] in $3:"; cat "$3"; failures=$((failures + 1)); else echo "ok   $1"; fi
}
absent() {  # absent NAME FILE: FILE must not exist
  if [[ -e "$2" ]]; then echo "FAIL $1: $2 exists"; failures=$((failures + 1)); else echo "ok   $1"; fi
}
# refused NAME EXIT NEEDLE CMD...: CMD exits EXIT within 20 s (124 would be a
# hang) with NEEDLE in its output, and does not abort.
refused() {
  local name=$1 want=$2 needle=$3
  shift 3
  timeout 20 "$@" >"$tmp/out" 2>&1 </dev/null
  check "$name: exit" "$want" "$?"
  contains "$name: says why" "$needle" "$tmp/out"
  lacks "$name: no abort" "terminate called" "$tmp/out"
}

config="$data/cli_config.json"
events="$data/cli_events.ndjson"
mkdir "$tmp/dir"
mkfifo "$tmp/fifo"  # no writer, ever: reading it would block
echo x >"$tmp/file"
"$bin" eval --config "$config" --save-state "$tmp/state.ndjson" "$events" >/dev/null 2>&1
check "setup: a state" 0 $?
echo "t0ken" >"$tmp/token"

# One of each kind of bad input, with what the message must say.
kinds=(missing dir fifo device notdir)
declare -A path=([missing]="$tmp/missing.json" [dir]="$tmp/dir" [fifo]="$tmp/fifo" [device]=/dev/null
                 [notdir]="$tmp/file/x")
declare -A says=([missing]="cannot open $tmp/missing.json: No such file or directory"
                 [dir]="cannot read $tmp/dir: is a directory"
                 [fifo]="cannot read $tmp/fifo: is a FIFO or pipe, not a regular file"
                 [device]="cannot read /dev/null: is a character device, not a regular file"
                 [notdir]="cannot open $tmp/file/x: Not a directory")
# A listening Unix socket, when python3 is there to make one.
if command -v python3 >/dev/null; then
  python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); time.sleep(600)' "$tmp/sock" &
  sock_pid=$!
  for _ in $(seq 50); do [[ -S "$tmp/sock" ]] && break; sleep 0.1; done
  kinds+=(socket)
  path[socket]="$tmp/sock"
  says[socket]="cannot read $tmp/sock: is a socket, not a regular file"
else
  echo "skip socket kind: no python3 to make one"
fi
# Unreadable: root reads a mode-000 file anyway, so only as another user.
if [[ $(id -u) != 0 ]]; then
  cp "$config" "$tmp/locked"
  chmod 000 "$tmp/locked"
  kinds+=(locked)
  path[locked]="$tmp/locked"
  says[locked]="cannot open $tmp/locked: Permission denied"
else
  echo "skip unreadable kind: running as root, which a mode-000 file does not stop"
fi

# Every file read whole (configs, states, tokens, a replay), each kind: exit 1.
for k in "${kinds[@]}"; do
  p=${path[$k]}
  s=${says[$k]}
  refused "validate $k" 1 "$s" "$bin" validate "$p"
  refused "eval --config $k" 1 "$s" "$bin" eval --config "$p" "$events"
  refused "eval --state $k" 1 "$s" "$bin" eval --config "$config" --state "$p" "$events"
  refused "eval --reload-at $k" 1 "$s" "$bin" eval --config "$config" --reload-at "2=$p" "$events"
  refused "diff --config $k" 1 "$s" "$bin" diff --config "$p" --new-config "$config" --state "$tmp/state.ndjson"
  refused "diff --new-config $k" 1 "$s" "$bin" diff --config "$config" --new-config "$p" --state "$tmp/state.ndjson"
  refused "diff --state $k" 1 "$s" "$bin" diff --config "$config" --new-config "$config" --state "$p"
  refused "diff --replay $k" 1 "$s" "$bin" diff --config "$config" --new-config "$config" --state "$tmp/state.ndjson" --replay "$p"
  refused "who-has --config $k" 1 "$s" "$bin" who-has --config "$p" --state "$tmp/state.ndjson" --role Crm.Viewer
  refused "who-has --state $k" 1 "$s" "$bin" who-has --config "$config" --state "$p" --role Crm.Viewer
  refused "state inspect $k" 1 "$s" "$bin" state inspect "$p"
  refused "state convert IN $k" 1 "$s" "$bin" state convert "$p" "$tmp/converted.ndjson"
  absent "state convert IN $k: no OUT" "$tmp/converted.ndjson"
  refused "serve --token-file $k" 1 "$s" "$bin" serve --config "$config" --token-file "$p" --listen 127.0.0.1:0
  refused "serve --config $k" 1 "$s" "$bin" serve --config "$p" --token-file "$tmp/token" --listen 127.0.0.1:0
  refused "simulate --token-file $k" 1 "$s" "$bin" simulate --users 50 --logins 50 --no-progress \
    --target http://127.0.0.1:1 --token-file "$p"
  # Checked before connecting, so no NATS server is needed (port 1 has none).
  refused "publish --config $k" 1 "$s" "$bin" publish --nats nats://127.0.0.1:1 --partitions 2 --config "$p"
  refused "publish --routing-config $k" 1 "$s" "$bin" publish --nats nats://127.0.0.1:1 --partitions 2 \
    --routing-config "$p" "$events"
  refused "publish --seed-state $k" 1 "$s" "$bin" publish --nats nats://127.0.0.1:1 --partitions 2 --seed-state "$p"
  refused "worker --config $k" 1 "$s" "$bin" worker --nats nats://127.0.0.1:1 --partitions 2 --config "$p"
done

# An empty token is bad usage (2), not an I/O failure.
: >"$tmp/empty-token"
refused "serve: empty token" 2 "has an empty first line" "$bin" serve --config "$config" --token-file "$tmp/empty-token"

# Event input: a directory, a socket, a missing file are refused (exit 1)...
refused "eval INPUT missing" 1 "cannot open $tmp/missing.ndjson: No such file or directory" \
  "$bin" eval --config "$config" "$tmp/missing.ndjson"
refused "eval INPUT dir" 1 "cannot read $tmp/dir: is a directory" "$bin" eval --config "$config" "$tmp/dir"
refused "eval stdin dir" 1 "cannot read standard input: is a directory" \
  sh -c "exec \"\$0\" eval --config \"\$1\" - <\"\$2\"" "$bin" "$config" "$tmp/dir"
refused "publish INPUT dir" 1 "cannot read $tmp/dir: is a directory" \
  "$bin" publish --nats nats://127.0.0.1:1 --partitions 2 "$tmp/dir"
if [[ -n "$sock_pid" ]]; then
  refused "eval INPUT socket" 1 "cannot read $tmp/sock: is a socket" "$bin" eval --config "$config" "$tmp/sock"
fi
# ...while a pipe, a FIFO with a writer and /dev/null are event input.
"$bin" eval --config "$config" <(cat "$events") >"$tmp/piped" 2>/dev/null
check "eval <(gen): exit" 0 $?
check "eval <(gen): every line" 4 "$(wc -l <"$tmp/piped")"
mkfifo "$tmp/fed"
cat "$events" >"$tmp/fed" &
writer_pid=$!
timeout 20 "$bin" eval --config "$config" "$tmp/fed" >"$tmp/fifo-out" 2>/dev/null
check "eval FIFO with a writer: exit" 0 $?
kill "$writer_pid" 2>/dev/null  # had eval not opened the FIFO, the writer would wait for ever
check "eval FIFO with a writer: every line" 4 "$(wc -l <"$tmp/fifo-out")"
"$bin" eval --config "$config" /dev/null >"$tmp/none" 2>&1
check "eval /dev/null: exit" 0 $?
contains "eval /dev/null: no events" "events: 0" "$tmp/none"

# Outputs, written in place (-o, exports) or replaced by a rename (states,
# the report, metrics): refused with the path and the reason, exit 1.
declare -A bad_out=([dir]="$tmp/dir" [nodir]="$tmp/nowhere/out" [notdir]="$tmp/file/out")
declare -A out_says=([dir]="cannot write $tmp/dir: is a directory"
                     [nodir]="cannot write $tmp/nowhere/out: directory $tmp/nowhere does not exist"
                     [notdir]="cannot write $tmp/file/out: Not a directory")
for k in dir nodir notdir; do
  o=${bad_out[$k]}
  s=${out_says[$k]}
  refused "eval -o $k" 1 "$s" "$bin" eval --config "$config" -o "$o" "$events"
  refused "eval --save-state $k" 1 "$s" "$bin" eval --config "$config" --save-state "$o" "$events"
  refused "state convert OUT $k" 1 "$s" "$bin" state convert "$tmp/state.ndjson" "$o"
  refused "simulate --report $k" 1 "$s" "$bin" simulate --users 50 --logins 50 --no-progress --report "$o"
  refused "serve --state $k" 1 "$s" "$bin" serve --config "$config" --token-file "$tmp/token" --state "$o" \
    --listen 127.0.0.1:0
  refused "worker --export-state $k" 1 "$s" "$bin" worker --nats nats://127.0.0.1:1 --export-state "$o"
  refused "worker --export-deltas $k" 1 "$s" "$bin" worker --nats nats://127.0.0.1:1 --export-deltas "$o"
  refused "worker --metrics-file $k" 1 "$s" "$bin" worker --nats nats://127.0.0.1:1 --partitions 2 \
    --config "$config" --metrics-file "$o"
done
absent "nothing created under a missing directory" "$tmp/nowhere"
# A replaced output must be a regular file: renaming over a FIFO or /dev/null
# would replace it. Written in place, /dev/null is fine.
for special in "$tmp/fifo" /dev/null; do
  refused "eval --save-state $special" 1 "cannot write $special: is a" \
    "$bin" eval --config "$config" --save-state "$special" "$events"
  refused "state convert OUT $special" 1 "must be a regular file" "$bin" state convert "$tmp/state.ndjson" "$special"
  refused "serve --state $special" 1 "must be a regular file" \
    "$bin" serve --config "$config" --token-file "$tmp/token" --state "$special" --listen 127.0.0.1:0
done
check "/dev/null is still a device" "yes" "$([[ -c /dev/null ]] && echo yes)"
"$bin" eval --config "$config" -o /dev/null "$events" 2>/dev/null
check "eval -o /dev/null: exit" 0 $?
# --write-dataset DIR: DIR a file, under a file, or one of its files a directory.
refused "simulate --write-dataset file" 1 "cannot write into $tmp/file: is a regular file" \
  "$bin" simulate --users 50 --logins 50 --write-dataset "$tmp/file"
refused "simulate --write-dataset under a file" 1 "$tmp/file" \
  "$bin" simulate --users 50 --logins 50 --write-dataset "$tmp/file/ds"
mkdir -p "$tmp/ds/events.ndjson"
refused "simulate --write-dataset, a file is a dir" 1 "cannot write $tmp/ds/events.ndjson: is a directory" \
  "$bin" simulate --users 50 --logins 50 --write-dataset "$tmp/ds"
absent "simulate --write-dataset: nothing written first" "$tmp/ds/config.json"
if [[ $(id -u) != 0 ]]; then
  mkdir "$tmp/ro" && chmod 555 "$tmp/ro"
  refused "eval --save-state read-only dir" 1 "cannot write $tmp/ro/s.ndjson: directory $tmp/ro: Permission denied" \
    "$bin" eval --config "$config" --save-state "$tmp/ro/s.ndjson" "$events"
  refused "eval -o read-only dir" 1 "Permission denied" "$bin" eval --config "$config" -o "$tmp/ro/out" "$events"
else
  echo "skip read-only directory outputs: running as root"
fi

# --save-state that cannot be written fails at once, before any input is read:
# the input is a FIFO nobody writes, which would block a run for ever.
refused "save-state fails before the run" 1 "cannot write $tmp/nowhere/s.ndjson: directory $tmp/nowhere does not exist" \
  "$bin" eval --config "$config" --save-state "$tmp/nowhere/s.ndjson" "$tmp/fifo"
timeout 20 "$bin" eval --config "$config" --save-state /etc/passwd/x "$tmp/fifo" >"$tmp/stdout" 2>"$tmp/err"
check "save-state under a file: exit at once" 1 $?
check "save-state under a file: no output" 0 "$(wc -c <"$tmp/stdout")"
contains "save-state under a file: says why" "cannot write /etc/passwd/x: Not a directory" "$tmp/err"
# -o is checked before --state is loaded, and --state before the input is opened.
refused "eval -o before --state" 1 "cannot write $tmp/dir: is a directory" \
  "$bin" eval --config "$config" --state "$tmp/fifo" -o "$tmp/dir" "$tmp/fifo"
refused "state convert OUT before IN" 1 "cannot write $tmp/dir: is a directory" \
  "$bin" state convert "$tmp/fifo" "$tmp/dir"

finish
