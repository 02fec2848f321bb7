#!/usr/bin/env bash
# `claimmap serve --tls-cert --tls-key [--client-ca]` (docs/spec.md §13
# "Hardened serving", docs/server.md "TLS"): certificates made here with the
# openssl tool (a CA, two server certificates for IP 127.0.0.1, a client
# certificate the CA signed and a self-signed one). HTTPS serves what HTTP
# serves; plain HTTP, TLS 1.1 and an old TLS 1.2 cipher are refused; bad
# files refuse the start, naming the file; the handshake, keep-alive,
# pipelining, the connection cap and a clean stop (close_notify) over TLS;
# mutual TLS accepts the CA's client and refuses no certificate and a
# self-signed one; SIGHUP rotation keeps an open connection on the old
# certificate and gives new ones the new one, and a bad new pair is logged
# and the old one served; `simulate --target https://` verifies the server.
# Usage: tests/server_tls_test.sh path/to/claimmap   (from the repository root)
set -u
bin="$1"
data=tests/data/live
tmp=$(mktemp -d)
pids=()
stop_all() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  wait 2>/dev/null  # reaped quietly (no "Killed" lines)
  rm -rf "$tmp"
}
trap stop_all EXIT
source "$(dirname "$0")/shell_checks.sh"
probe() { python3 tests/tls_probe.py "$@"; }

for tool in curl openssl python3; do
  command -v $tool >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh"; exit 1; }
done

echo "t0ken-$$-$RANDOM" >"$tmp/token"
token=$(cat "$tmp/token")
auth=(-H "Authorization: Bearer $token")

# --- certificates --------------------------------------------------------------
c="$tmp/certs"
mkdir -p "$c"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
# sign NAME SERIAL SUBJECT EXT: NAME.pem and NAME.key, signed by the CA.
sign() {
  openssl req "${ec[@]}" -keyout "$c/$1.key" -out "$c/$1.csr" -subj "$3" 2>/dev/null &&
    printf '%b' "$4" >"$c/$1.ext" &&
    openssl x509 -req -in "$c/$1.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" -set_serial "$2" -days 2 \
      -extfile "$c/$1.ext" -out "$c/$1.pem" 2>/dev/null
}
openssl req -x509 "${ec[@]}" -keyout "$c/ca.key" -out "$c/ca.pem" -days 2 -subj "/CN=claimmap test CA" 2>/dev/null &&
  sign server1 0x1001 "/CN=claimmap test server 1" 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' &&
  sign server2 0x1002 "/CN=claimmap test server 2" 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' &&
  sign client 0x2001 "/CN=claimmap test connector" 'extendedKeyUsage=clientAuth\n' &&
  openssl req -x509 "${ec[@]}" -keyout "$c/selfsigned.key" -out "$c/selfsigned.pem" -days 2 \
    -subj "/CN=claimmap test connector" 2>/dev/null
check "test certificates made" 0 $?
# The files the server is given, replaced in place by the rotation below.
cp "$c/server1.pem" "$tmp/cert.pem"
cp "$c/server1.key" "$tmp/key.pem"

# start_server NAME ARGS…: starts it on a free port, waits until it listens;
# sets $port and $pid.
start_server() {
  local name=$1
  shift
  "$bin" serve --listen 127.0.0.1:0 --token-file "$tmp/token" "$@" 2>"$tmp/$name.log" &
  pid=$!
  pids+=("$pid")
  port=""
  for _ in $(seq 1 300); do
    port=$(grep -o 'listening on https\?://127.0.0.1:[0-9]*' "$tmp/$name.log" | grep -o '[0-9]*$')
    [[ -n "$port" ]] && return 0
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "server $name did not start:"; cat "$tmp/$name.log"; exit 1
}
stop_server() {
  kill -TERM "$pid"
  wait "$pid"
  stopped_with=$?
}
# wait_for_line FILE TEXT COUNT: until FILE has COUNT lines with TEXT (60 s at most).
wait_for_line() {
  for _ in $(seq 1 600); do
    (($(grep -cF -- "$2" "$1") >= $3)) && return 0
    sleep 0.1
  done
  return 1
}
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# served_cert [ARGS…]: the serial and subject of the certificate a new connection gets.
served_cert() {
  echo | openssl s_client -connect "127.0.0.1:$port" -CAfile "$c/ca.pem" "$@" 2>/dev/null |
    openssl x509 -noout -serial -subject 2>/dev/null | tr '\n' ' ' | sed 's/ $//'
}
s_client() { echo | openssl s_client -connect "127.0.0.1:$port" -CAfile "$c/ca.pem" "$@" 2>&1; }

# --- bad files refuse the start, naming the file --------------------------------
refused() {  # refused NAME ARGS…: the exit code (124: it started and did not stop); stderr in $tmp/NAME.err
  local name=$1
  shift
  timeout 60 "$bin" serve --config $data/old.json --listen 127.0.0.1:0 --token-file "$tmp/token" "$@" 2>"$tmp/$name.err"
}
echo "not a certificate" >"$tmp/garbage.pem"
refused no-key --tls-cert "$tmp/cert.pem"
check "--tls-cert without --tls-key: exit 2" 2 $?
refused ca-alone --client-ca "$c/ca.pem"
check "--client-ca without --tls-cert: exit 2" 2 $?
refused missing --tls-cert "$tmp/nothing.pem" --tls-key "$tmp/key.pem"
check "a missing certificate file: exit 1" 1 $?
contains "… naming it" "$tmp/nothing.pem" "$tmp/missing.err"
refused garbage-cert --tls-cert "$tmp/garbage.pem" --tls-key "$tmp/key.pem"
check "a file that is no certificate: exit 2" 2 $?
contains "… naming it" "no usable PEM certificate in $tmp/garbage.pem" "$tmp/garbage-cert.err"
refused garbage-key --tls-cert "$tmp/cert.pem" --tls-key "$tmp/garbage.pem"
check "a file that is no key: exit 2" 2 $?
contains "… naming it" "no usable PEM private key (unencrypted) in $tmp/garbage.pem" "$tmp/garbage-key.err"
refused mismatch --tls-cert "$tmp/cert.pem" --tls-key "$c/server2.key"
check "a key that is not the certificate's: exit 2" 2 $?
contains "… naming both" "the key in $c/server2.key is not the one of the certificate in $tmp/cert.pem" "$tmp/mismatch.err"
refused garbage-ca --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" --client-ca "$tmp/garbage.pem"
check "a client CA file without a certificate: exit 2" 2 $?
contains "… naming it" "$tmp/garbage.pem" "$tmp/garbage-ca.err"
check "nothing was listening after a refused start" "" "$(grep -h 'listening on' "$tmp"/*.err)"

# --- HTTPS -----------------------------------------------------------------------
start_server main --config $data/old.json --state "$tmp/state.ndjson" --scim-provider entra \
  --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" --read-timeout 2
base="https://127.0.0.1:$port"
https=(--cacert "$c/ca.pem")
contains "it says https" "listening on https://127.0.0.1:$port" "$tmp/main.log"
check "HTTPS: healthz" "ok" "$(curl -s "${https[@]}" "$base/healthz")"
check "HTTPS: the token is still needed" "401" "$(status_of "${https[@]}" "$base/v1/config")"
"$bin" eval --config $data/old.json $data/events.ndjson >"$tmp/eval.out" 2>/dev/null
curl -s "${https[@]}" "${auth[@]}" -X POST --data-binary @$data/events.ndjson "$base/v1/events" >"$tmp/events.out"
check "HTTPS: POST /v1/events = claimmap eval" "$(cat "$tmp/eval.out")" "$(cat "$tmp/events.out")"
check "HTTPS: the server's certificate is verified (no CA given: refused by curl)" "000" "$(status_of "$base/healthz")"
check "SCIM meta.location says https (the request came over TLS)" "https://127.0.0.1:$port/scim/v2/Users/t-1" \
  "$(curl -s "${https[@]}" "${auth[@]}" -H 'Content-Type: application/scim+json' -X POST \
     -d '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"t-1","active":true}' \
     "$base/scim/v2/Users" | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"]["location"])')"

# --- what is refused ----------------------------------------------------------------
check "plain HTTP to the TLS port: curl gets no answer" "000" "$(status_of "http://127.0.0.1:$port/healthz")"
check "plain HTTP to the TLS port: no HTTP answer, closed" "plain_http no_http_answer closed" "$(probe plain "$port")"
s_client -tls1_2 >"$tmp/tls12.out"
contains "TLS 1.2 accepted, with an ECDHE AEAD cipher" "New, TLSv1.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256" "$tmp/tls12.out"
s_client -tls1_3 >"$tmp/tls13.out"
contains "TLS 1.3 accepted, AES-128-GCM first (the server's preference)" "New, TLSv1.3, Cipher is TLS_AES_128_GCM_SHA256" \
  "$tmp/tls13.out"
# The client's own config and security level would refuse TLS 1.1 before the
# server could: both lifted, so that the refusal is the server's alert.
echo | OPENSSL_CONF=/dev/null openssl s_client -connect "127.0.0.1:$port" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' \
  >"$tmp/tls11.out" 2>&1
contains "TLS 1.1 refused by the server (protocol_version alert)" "alert protocol version" "$tmp/tls11.out"
s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-SHA >"$tmp/cbc.out"
contains "TLS 1.2 with a CBC-SHA1 cipher refused (handshake_failure alert)" "alert handshake failure" "$tmp/cbc.out"

# --- the connection as HTTP uses it ----------------------------------------------------
check "keep-alive and pipelining over TLS" "pipelined 200 200" "$(probe pipelined "$port" "$c/ca.pem" "$token")"
check "a client that never starts its handshake is closed (read timeout)" "handshake_stall closed under_60s" \
  "$(probe stall "$port")"
check "served after all that" "ok" "$(curl -s "${https[@]}" "$base/healthz")"

# --- SIGHUP: rotation ------------------------------------------------------------------
check "served: certificate 1" "serial=1001 subject=CN = claimmap test server 1" "$(served_cert)"
probe hold "$port" "$c/ca.pem" "$token" "$tmp/go" >"$tmp/hold.out" 2>&1 &
hold_pid=$!
pids+=("$hold_pid")
wait_for_line "$tmp/hold.out" "before" 1
check "a kept-alive connection, opened before the rotation" "before 200 serial=1001" "$(head -1 "$tmp/hold.out")"
# A new pair, each file replaced whole (as a deployment tool writes them).
cp "$c/server2.pem" "$tmp/cert.new" && mv "$tmp/cert.new" "$tmp/cert.pem"
cp "$c/server2.key" "$tmp/key.new" && mv "$tmp/key.new" "$tmp/key.pem"
kill -HUP "$pid"
wait_for_line "$tmp/main.log" "SIGHUP: TLS certificate and key re-read" 1
check "SIGHUP: logged" 0 $?
check "SIGHUP: new connections get certificate 2" "serial=1002 subject=CN = claimmap test server 2" "$(served_cert)"
check "SIGHUP: new connections are served" "ok" "$(curl -s "${https[@]}" "$base/healthz")"
touch "$tmp/go"
wait "$hold_pid"
check "SIGHUP: the connection opened before was not dropped, and kept certificate 1" "after 200 serial=1001" \
  "$(sed -n 2p "$tmp/hold.out")"

# A bad new pair: logged, naming the file; the pair served stays.
echo "garbage" >"$tmp/key.pem"
kill -HUP "$pid"
wait_for_line "$tmp/main.log" "TLS certificate and key kept as they were" 1
check "SIGHUP with a garbage key: logged" 0 $?
contains "… naming the key file" "kept as they were: no usable PEM private key (unencrypted) in $tmp/key.pem" "$tmp/main.log"
check "… and certificate 2 still served" "serial=1002 subject=CN = claimmap test server 2" "$(served_cert)"
check "… and served" "ok" "$(curl -s "${https[@]}" "$base/healthz")"
cp "$c/server1.key" "$tmp/key.pem"  # certificate 2 with key 1
kill -HUP "$pid"
wait_for_line "$tmp/main.log" "TLS certificate and key kept as they were" 2
contains "SIGHUP with a key that is not the certificate's: logged" \
  "the key in $tmp/key.pem is not the one of the certificate in $tmp/cert.pem" "$tmp/main.log"
check "… and certificate 2 still served" "serial=1002 subject=CN = claimmap test server 2" "$(served_cert)"
cp "$c/server2.key" "$tmp/key.pem"  # a good pair again, for the restart below

# --- a clean stop over TLS ------------------------------------------------------------------
probe stop "$port" "$c/ca.pem" "$token" >"$tmp/stop.out" 2>&1 &
stop_pid=$!
pids+=("$stop_pid")
wait_for_line "$tmp/stop.out" "ready" 1
stop_server
check "SIGTERM with an idle TLS connection: exit 0" 0 "$stopped_with"
wait "$stop_pid"
check "… which was closed with a TLS close_notify" "stop close_notify" "$(sed -n 2p "$tmp/stop.out")"
contains "… and the state saved" "state saved to" "$tmp/main.log"

# --- mutual TLS ------------------------------------------------------------------------------
start_server mtls --config $data/old.json --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" --client-ca "$c/ca.pem"
base="https://127.0.0.1:$port"
contains "it says so" "listening on https://127.0.0.1:$port (client certificates required)" "$tmp/mtls.log"
check "mutual TLS: the CA's client certificate is accepted" "ok" \
  "$(curl -s "${https[@]}" --cert "$c/client.pem" --key "$c/client.key" "$base/healthz")"
check "mutual TLS: … and its requests served" '{"config_version":1}' \
  "$(curl -s "${https[@]}" --cert "$c/client.pem" --key "$c/client.key" "${auth[@]}" "$base/v1/config")"
check "mutual TLS: no client certificate: refused" "000" "$(status_of "${https[@]}" "$base/healthz")"
check "mutual TLS: a self-signed client certificate: refused" "000" \
  "$(status_of "${https[@]}" --cert "$c/selfsigned.pem" --key "$c/selfsigned.key" "$base/healthz")"
s_client -tls1_2 >"$tmp/mtls-none.out"
contains "mutual TLS: the CA is named to clients" "Acceptable client certificate CA names" "$tmp/mtls-none.out"
contains "mutual TLS: no certificate is refused at the handshake (TLS 1.2)" "alert handshake failure" "$tmp/mtls-none.out"
# TLS 1.2: the server's verdict comes within the handshake (with TLS 1.3 it
# comes after the client's side is done, and s_client may leave first).
s_client -tls1_2 -cert "$c/selfsigned.pem" -key "$c/selfsigned.key" >"$tmp/mtls-self.out"
contains "mutual TLS: a self-signed certificate is refused at the handshake (TLS 1.2)" "alert unknown ca" "$tmp/mtls-self.out"
stop_server

# --- the connection cap over TLS -------------------------------------------------------------
start_server cap --config $data/old.json --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem" --max-connections 3
probe cap "$port" "$c/ca.pem" 3 >"$tmp/cap.out"
contains "over the cap: closed before the handshake" "over_cap refused" "$tmp/cap.out"
contains "below the cap again: served" "after_cap 200" "$tmp/cap.out"
stop_server

# --- simulate --target https:// -----------------------------------------------------------------
"$bin" simulate --seed 11 --users 2000 --logins 6000 --write-dataset "$tmp/ds" 2>/dev/null
start_server sim --config "$tmp/ds/config.json" --state "$tmp/ds/state.ndjson" --overwrite-state \
  --tls-cert "$tmp/cert.pem" --tls-key "$tmp/key.pem"
sim_args=(--seed 11 --users 2000 --logins 6000 --threads 2 --json)
"$bin" simulate "${sim_args[@]}" >"$tmp/sim.local" 2>/dev/null
"$bin" simulate "${sim_args[@]}" --target "https://127.0.0.1:$port" --target-ca "$c/ca.pem" --token-file "$tmp/token" \
  --batch 50 >"$tmp/sim.remote" 2>"$tmp/sim.err"
check "simulate --target https: exit 0" 0 $?
counts() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["run"]; print(json.dumps({k: r[k] for k in ("events","status","deltas","errors_by_code") if k in r}, sort_keys=True))' "$1"; }
check "simulate --target https: the same results as in process" "$(counts "$tmp/sim.local")" "$(counts "$tmp/sim.remote")"
"$bin" simulate "${sim_args[@]}" --target "https://127.0.0.1:$port" --token-file "$tmp/token" >/dev/null 2>"$tmp/sim-noca.err"
check "simulate --target https without the CA: exit 1" 1 $?
contains "… the server's certificate is not trusted" "certificate verify failed" "$tmp/sim-noca.err"
"$bin" simulate "${sim_args[@]}" --target "http://127.0.0.1:$port" --target-ca "$c/ca.pem" --token-file "$tmp/token" \
  >/dev/null 2>"$tmp/sim-http-ca.err"
check "simulate --target-ca with an http target: exit 2" 2 $?
stop_server

# --- the worker's metrics endpoint over HTTPS (needs a nats-server) ----------------------------
if command -v nats-server >/dev/null; then
  nats_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  printf 'listen: 127.0.0.1:%s\nmax_payload: 8MB\njetstream { store_dir: "%s" }\n' "$nats_port" "$tmp/js" >"$tmp/nats.conf"
  nats-server -c "$tmp/nats.conf" >"$tmp/nats.log" 2>&1 &
  pids+=("$!")
  wait_for_line "$tmp/nats.log" "Server is ready" 1
  worker=("$bin" worker --nats "nats://127.0.0.1:$nats_port" --config "$tmp/ds/config.json" --partitions 1
          --metrics-listen 127.0.0.1:0)
  echo "metrics-$$-$RANDOM" >"$tmp/metrics-token"
  "${worker[@]}" --metrics-tls-cert "$tmp/cert.pem" --metrics-tls-key "$tmp/key.pem" \
    --metrics-token-file "$tmp/metrics-token" >"$tmp/worker.log" 2>&1 &
  worker_pid=$!
  pids+=("$worker_pid")
  wait_for_line "$tmp/worker.log" "metrics on https://127.0.0.1:" 1
  metrics_port=$(grep -o 'metrics on https://127.0.0.1:[0-9]*' "$tmp/worker.log" | grep -o '[0-9]*$')
  check "worker --metrics-tls-cert: /metrics over HTTPS, with its token" "1" \
    "$(curl -s "${https[@]}" -H "Authorization: Bearer $(cat "$tmp/metrics-token")" "https://127.0.0.1:$metrics_port/metrics" \
       | grep -c '^# TYPE claimmap_users gauge')"
  check "… without the token: 401" "401" "$(status_of "${https[@]}" "https://127.0.0.1:$metrics_port/metrics")"
  check "… a wrong one: 401" "401" "$(status_of "${https[@]}" -H "Authorization: Bearer wrong" "https://127.0.0.1:$metrics_port/metrics")"
  check "… /healthz needs none" "200" "$(status_of "${https[@]}" "https://127.0.0.1:$metrics_port/healthz")"
  check "… and not over plain HTTP" "000" "$(status_of "http://127.0.0.1:$metrics_port/metrics")"
  kill -TERM "$worker_pid"
  wait "$worker_pid"
  check "… the worker stops cleanly" 0 $?
  timeout 120 "${worker[@]}" --metrics-tls-cert "$tmp/cert.pem" --metrics-tls-key "$tmp/garbage.pem" >"$tmp/worker-bad.log" 2>&1
  check "worker with a bad metrics key: exit 2" 2 $?
  contains "… naming it" "no usable PEM private key (unencrypted) in $tmp/garbage.pem" "$tmp/worker-bad.log"
else
  echo "skip: the worker's metrics over HTTPS (nats-server is not installed)"
fi

finish
