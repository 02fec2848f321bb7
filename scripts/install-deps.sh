#!/usr/bin/env bash
# Installs the Debian packages ClaimMap builds with. Idempotent and quiet when
# everything is already there, so `make` can call it every time.
set -euo pipefail

packages=(
  cmake g++ make pkg-config
  ccache                    # compiler cache: CI's three builds of a clean clone recompile only what changed
  libsimdjson-dev libboost-dev libtbb-dev
  libbenchmark-dev libgtest-dev libcli11-dev
  nlohmann-json3-dev
  clang libclang-rt-14-dev  # make fuzz: clang's libFuzzer and sanitizer runtimes
  python3                   # make bench-check
  libxxhash-dev             # snapshot section checksums (XXH3)
  dpkg-dev file             # make package: dpkg-shlibdeps reads the runtime dependencies
  curl                      # server tests and the README's walk-through
  openssl                   # the TLS tests make their certificates with the openssl tool
  nats-server libnats-dev   # scale-out: JetStream broker (tests start it) and its C client
  libssl-dev                # signed tokens: JWS signatures checked with OpenSSL 3 (engine/jose)
  libre2-dev                # prefix/glob/regex mappings: RE2::Set (engine/match)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -eq 0 ]] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
