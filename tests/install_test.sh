#!/usr/bin/env bash
# Installing (docs/install.md): `cmake --install` into a temporary prefix,
# then the auth-pipeline example built as a project of its own with
# find_package(ClaimMap), run on its sample tokens, its answers checked; and
# the installed binary's version.
# Usage: tests/install_test.sh path/to/build/claimmap   (from the repository root)
set -u
bin="$1"
build_dir=$(dirname "$bin")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/shell_checks.sh"

cmake --install "$build_dir" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1
check "install exit" 0 $?
for f in bin/claimmap include/claimmap/engine.h include/claimmap/service.h lib/libclaimmap.a \
         lib/cmake/ClaimMap/ClaimMapConfig.cmake lib/cmake/ClaimMap/ClaimMapConfigVersion.cmake \
         lib/cmake/ClaimMap/ClaimMapTargets.cmake share/man/man1/claimmap.1.gz; do
  check "installed $f" yes "$([[ -f "$tmp/prefix/$f" ]] && echo yes || echo no)"
done
# The service unit (docs/server.md "Production checklist"): installed, hardened,
# and valid for systemd (checked against the installed binary).
unit="$tmp/prefix/lib/systemd/system/claimmap.service"
check "installed the systemd unit" yes "$([[ -f "$unit" ]] && echo yes || echo no)"
for line in "User=claimmap" "ProtectSystem=strict" "NoNewPrivileges=yes" "StateDirectory=claimmap" \
            "ExecReload=/bin/kill -HUP \$MAINPID"; do
  check "unit has $line" 1 "$(grep -cxF -- "$line" "$unit")"
done
if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/bin/claimmap|$tmp/prefix/bin/claimmap|" "$unit" >"$tmp/claimmap.service"
  systemd-analyze verify "$tmp/claimmap.service" >"$tmp/verify.log" 2>&1
  check "systemd-analyze verify: no complaint" "" "$(grep -v -e 'ConditionPathExists' "$tmp/verify.log")"
fi
# The audit log's rotation: the logrotate snippet (PREFIX/etc/logrotate.d
# here; /etc/logrotate.d in the package, where PREFIX is /usr), rotating
# what the unit writes and signalling the server to reopen it.
rotate="$tmp/prefix/etc/logrotate.d/claimmap"
check "installed the logrotate snippet" yes "$([[ -f "$rotate" ]] && echo yes || echo no)"
check "  for the unit's audit log" 1 "$(grep -c '^/var/log/claimmap/\*\.ndjson {$' "$rotate")"
for line in "systemctl reload claimmap.service >/dev/null 2>&1 || true" "delaycompress" "nocreate"; do
  check "  has $line" 1 "$(sed 's/^ *//' "$rotate" | grep -cxF -- "$line")"
done
check "  the unit writes the path it rotates" 1 "$(grep -c -- '--audit-log /var/log/claimmap/audit.ndjson' "$unit")"
if command -v logrotate >/dev/null; then
  # logrotate's own reading of it (debug mode: nothing is rotated).
  logrotate -d -s "$tmp/logrotate.state" "$rotate" >"$tmp/logrotate.log" 2>&1
  check "logrotate -d reads the snippet without an error" 0 "$(grep -ci 'error' "$tmp/logrotate.log")"
fi
# Nothing of the engine's private headers is installed.
check "no private headers" 0 "$(find "$tmp/prefix/include" -path '*/engine/*' | wc -l)"

version=$(grep -oE 'project\(claimmap VERSION [0-9.]+' CMakeLists.txt | awk '{print $3}')
check "installed --version" "claimmap $version" "$("$tmp/prefix/bin/claimmap" --version)"

# A consumer outside the tree: examples/ as its own CMake project. It is
# compiled with the flags the library was (a sanitizer build's library needs
# the sanitizer's runtime in the consumer too).
cxx_flags=$(sed -n 's/^CMAKE_CXX_FLAGS:STRING=//p' "$build_dir/CMakeCache.txt")
cp -r examples "$tmp/consumer"
cmake -S "$tmp/consumer" -B "$tmp/consumer-build" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release \
  "-DCMAKE_CXX_FLAGS=$cxx_flags" >"$tmp/configure.log" 2>&1
check "consumer configures with find_package(ClaimMap)" 0 $?
cmake --build "$tmp/consumer-build" -j 2 >"$tmp/build.log" 2>&1
status=$?
check "consumer builds" 0 $status
[[ $status -ne 0 ]] && tail -20 "$tmp/build.log"
(cd "$tmp/consumer" && "$tmp/consumer-build/auth_pipeline" config.json <tokens.ndjson >"$tmp/answers.txt")
check "consumer runs" 0 $?
check "consumer's answers" "" "$(diff examples/expected.txt "$tmp/answers.txt")"

# Without CMake: g++ and pkg-config (claimmap.pc names what the static
# library links, so no symbol of simdjson, TBB, RE2 or OpenSSL is missing).
pc_flags=$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --cflags --libs claimmap 2>"$tmp/pc.err")
check "pkg-config knows claimmap" 0 $?
check "  at the project's version" "$version" "$(PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig" pkg-config --modversion claimmap)"
# shellcheck disable=SC2086
g++ $cxx_flags -O1 examples/auth_pipeline.cc -o "$tmp/pc_pipeline" $pc_flags >"$tmp/pc-build.log" 2>&1
status=$?
check "the example builds with pkg-config --cflags --libs claimmap" 0 $status
[[ $status -ne 0 ]] && tail -20 "$tmp/pc-build.log"
(cd examples && "$tmp/pc_pipeline" config.json <tokens.ndjson >"$tmp/pc-answers.txt")
check "  and answers as the CMake build does" "" "$(diff examples/expected.txt "$tmp/pc-answers.txt")"

# A version the package does not satisfy is refused by find_package.
sed -i 's/find_package(ClaimMap 0.5 REQUIRED)/find_package(ClaimMap 99 REQUIRED)/' "$tmp/consumer/CMakeLists.txt"
cmake -S "$tmp/consumer" -B "$tmp/consumer-build2" -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/configure2.log" 2>&1
check "find_package refuses version 99" 1 $?

finish
