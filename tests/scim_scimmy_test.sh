#!/usr/bin/env bash
# SCIM 2.0 of `claimmap serve` (docs/spec.md §13) as a SCIM library nobody
# here wrote reads it: tests/scimmy/check.mjs drives a real server on a
# loopback port — users created, listed page by page, read, patched with
# several operations (Entra's "False", members[value eq "S"], one bad
# operation that must change nothing), groups listed and patched, discovery,
# every kind of error — and validates every answer with npm's scimmy, pinned
# in tests/scimmy/package-lock.json.
# Usage: tests/scim_scimmy_test.sh path/to/claimmap   (run from the repository root)
# Needs Node.js (18 or later) and npm; without node or npm, or when npm
# cannot reach its registry, it exits 77 (skipped). scimmy is installed with
# `npm ci` into a temporary copy of tests/scimmy unless
# tests/scimmy/node_modules already has it.
set -u
bin="$1"

if [[ ! -x $bin ]]; then
  echo "FAIL: no claimmap binary at '$bin' (usage: $0 path/to/claimmap)"
  exit 1
fi
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "SKIP: node or npm is not installed (tests/scimmy validates with npm's scimmy on Node.js)"
  exit 77
fi
if ! command -v curl >/dev/null 2>&1; then echo "FAIL: curl is missing: run scripts/install-deps.sh"; exit 1; fi

tmp=$(mktemp -d)
pid=""
stop_all() {
  [[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap stop_all EXIT

scimmy_dir=tests/scimmy
if [[ ! -f $scimmy_dir/node_modules/scimmy/package.json ]]; then
  mkdir "$tmp/scimmy"
  cp tests/scimmy/package.json tests/scimmy/package-lock.json tests/scimmy/check.mjs "$tmp/scimmy/"
  if ! npm ci --prefix "$tmp/scimmy" --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1; then
    # No network is a machine without the registry, not a failure of ClaimMap.
    if grep -qE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network' "$tmp/npm.log"; then
      echo "SKIP: npm could not reach its registry to install scimmy:"
      cat "$tmp/npm.log"
      exit 77
    fi
    echo "FAIL: 'npm ci' of tests/scimmy (scimmy pinned in package-lock.json) failed:"
    cat "$tmp/npm.log"
    exit 1
  fi
  scimmy_dir="$tmp/scimmy"
fi

echo "t0ken-$$-$RANDOM" >"$tmp/token"
# A fresh server (no --state: no users) for the SCIM provider entra.
"$bin" serve --listen 127.0.0.1:0 --token-file "$tmp/token" --config tests/data/live/old.json \
  --scim-provider entra 2>"$tmp/serve.log" &
pid=$!
port=""
for _ in $(seq 1 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$tmp/serve.log" | grep -o '[0-9]*$')
  [[ -n $port ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $port ]]; then
  echo "FAIL: the server did not start:"
  cat "$tmp/serve.log"
  exit 1
fi

node "$scimmy_dir/check.mjs" "http://127.0.0.1:$port/scim/v2" "$(cat "$tmp/token")"
rc=$?

# The server is still serving after every request above, and stops cleanly.
if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz") != 200 ]]; then
  echo "FAIL: the server stopped answering"
  rc=1
fi
kill -TERM "$pid"
wait "$pid"
stopped=$?
pid=""
if [[ $stopped -ne 0 ]]; then
  echo "FAIL: SIGTERM: exit $stopped"
  cat "$tmp/serve.log"
  rc=1
fi
exit $rc
