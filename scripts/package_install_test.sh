#!/usr/bin/env bash
# The Debian packages (docs/install.md) installed as a user would, in a clean
# Debian 12 root made with debootstrap: `apt-get install ./claimmap_*.deb`
# installs the command with no -dev package and little disk; the command
# runs (validate, eval of the example, its man page); the unit, the
# logrotate snippet (a conffile) and the service user are there, and a purge
# removes that user only if the package made it; `libclaimmap-dev`
# then builds examples/ with CMake (find_package) and with pkg-config, and
# both answer examples/expected.txt; claimmap-dbgsym holds the debug info of
# that very binary (its build id). Prints the sizes apt reports.
#
# Not part of `make test`: it needs root (chroot), Debian's mirror and a few
# minutes. Run it after `make package`:
#   sudo scripts/package_install_test.sh [BUILD_DIR] [ROOT_CACHE]
# ROOT_CACHE (default BUILD_DIR/debian12-root) keeps the pristine root made by
# debootstrap, so later runs only copy it; each run works in a fresh copy.
set -u
build=${1:-build}
cache=${2:-$build/debian12-root}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
source "$(dirname "$0")/../tests/shell_checks.sh"

if [[ $(id -u) -ne 0 ]]; then echo "needs root (chroot, debootstrap)"; exit 1; fi
for tool in debootstrap chroot; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install debootstrap"; exit 1; }
done
runtime=$(ls "$build"/claimmap_*_amd64.deb 2>/dev/null | head -1)
dev=$(ls "$build"/libclaimmap-dev_*_amd64.deb 2>/dev/null | head -1)
dbgsym=$(ls "$build"/claimmap-dbgsym_*_amd64.ddeb 2>/dev/null | head -1)
if [[ -z "$runtime" || -z "$dev" || -z "$dbgsym" ]]; then echo "no packages in $build: run make package"; exit 1; fi

if [[ ! -x "$cache/usr/bin/apt-get" ]]; then
  echo "debootstrap: a minimal Debian 12 (bookworm) root in $cache"
  rm -rf "$cache"
  debootstrap --variant=minbase bookworm "$cache" "$mirror" >"$build/debootstrap.log" 2>&1 ||
    { echo "debootstrap failed:"; tail -20 "$build/debootstrap.log"; exit 1; }
fi
root=$(mktemp -d "${TMPDIR:-/tmp}/claimmap-root.XXXXXX")
trap 'rm -rf "$root"' EXIT
cp -a "$cache/." "$root/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/pkg" "$root/src"
cp "$runtime" "$dev" "$dbgsym" "$root/pkg/"
cp -r examples "$root/src/examples"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
  LC_ALL=C.UTF-8 HOME=/root bash -c "$1"; }
in_root "apt-get update -q" >"$root/update.log" 2>&1
check "apt-get update in the root" 0 $?

# `apt-get install ./claimmap_*.deb` as the README says, Recommends and all.
in_root "apt-get install -y /pkg/$(basename "$runtime")" >"$root/runtime.log" 2>&1
check "apt-get install ./$(basename "$runtime")" 0 $?
check "no -dev package came with it" "" "$(in_root "dpkg-query -W -f='\${Package}\n'" | grep -- '-dev$')"
plain=$(grep -o 'After this operation, .* of additional disk space' "$root/runtime.log")
check "the command runs" "claimmap $(dpkg-deb -f "$runtime" Version)" "$(in_root 'claimmap --version')"
check "its man page is installed" yes "$(in_root 'test -s /usr/share/man/man1/claimmap.1.gz && echo yes')"
check "the unit is installed" yes "$(in_root 'test -s /lib/systemd/system/claimmap.service && echo yes')"
check "the service user was made" yes "$(in_root 'getent passwd claimmap >/dev/null && echo yes')"
check "  marked as the package's (postrm's purge removes only such a user)" \
  "ClaimMap server (made by the claimmap package)" "$(in_root 'getent passwd claimmap | cut -d: -f5')"
check "the audit log's logrotate snippet is installed" yes "$(in_root 'test -s /etc/logrotate.d/claimmap && echo yes')"
check "  as a conffile" 1 "$(in_root "dpkg-query -W -f='\${Conffiles}\n' claimmap" | grep -c '^ */etc/logrotate.d/claimmap ')"
in_root "cd /src/examples && claimmap validate config.json" >"$root/validate.log" 2>&1
check "claimmap validate of the example config" 0 $?
# The same installation without Recommends (libhwloc15, pulled in by TBB,
# recommends hwloc's plugins: libxml2, ICU, X11 and OpenCL loaders).
in_root "apt-get purge -y claimmap && apt-get autoremove --purge -y" >"$root/purge.log" 2>&1
check "apt-get purge removed the user the package made" no \
  "$(in_root 'getent passwd claimmap >/dev/null && echo yes || echo no')"
in_root "apt-get install -y --no-install-recommends /pkg/$(basename "$runtime")" >"$root/runtime-nr.log" 2>&1
check "apt-get install --no-install-recommends" 0 $?
lean=$(grep -o 'After this operation, .* of additional disk space' "$root/runtime-nr.log")
lean_mb=$(grep -oE '[0-9.]+ MB' <<<"$lean" | grep -oE '[0-9.]+')
check "  under 20 MB" yes "$(awk -v m="${lean_mb:-999}" 'BEGIN { print (m < 20 ? "yes" : "no") }')"

# Building against the library: libclaimmap-dev brings the -dev packages it
# links with; the compiler and CMake are the builder's own choice.
in_root "apt-get install -y --no-install-recommends g++ cmake make /pkg/$(basename "$dev")" >"$root/dev.log" 2>&1
check "apt-get install ./$(basename "$dev") (with g++, cmake)" 0 $?
in_root "cd /src/examples && cmake -S . -B /tmp/ex -DCMAKE_BUILD_TYPE=Release && cmake --build /tmp/ex -j 2" \
  >"$root/cmake.log" 2>&1
check "examples/ builds with find_package(ClaimMap)" 0 $?
check "  and answers as expected" "" \
  "$(in_root 'cd /src/examples && /tmp/ex/auth_pipeline config.json <tokens.ndjson' | diff examples/expected.txt -)"
in_root 'cd /src/examples && g++ -O2 auth_pipeline.cc -o /tmp/pc_pipeline $(pkg-config --cflags --libs claimmap)' \
  >"$root/pc.log" 2>&1
check "examples/ builds with pkg-config --cflags --libs claimmap" 0 $?
check "  and answers as expected" "" \
  "$(in_root 'cd /src/examples && /tmp/pc_pipeline config.json <tokens.ndjson' | diff examples/expected.txt -)"

# The debug symbols: the .debug file named by the installed binary's build id.
in_root "dpkg -i /pkg/$(basename "$dbgsym")" >"$root/dbgsym.log" 2>&1
check "dpkg -i ./$(basename "$dbgsym")" 0 $?
id=$(readelf -n "$root/usr/bin/claimmap" | sed -n 's/.*Build ID: //p')
check "  has the installed binary's debug info (build id $id)" yes \
  "$(test -s "$root/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug" && echo yes)"

# A claimmap user made by an administrator before the package is kept by a purge.
in_root "apt-get purge -y claimmap && adduser --system --group --no-create-home --quiet claimmap &&
  apt-get install -y --no-install-recommends /pkg/$(basename "$runtime") && apt-get purge -y claimmap" \
  >"$root/admin-user.log" 2>&1
check "install and purge beside an administrator's claimmap user" 0 $?
check "  that user is kept" yes "$(in_root 'getent passwd claimmap >/dev/null && echo yes')"

echo "sizes:"
echo "  $(basename "$runtime"): $(du -k "$runtime" | cut -f1) KiB, Installed-Size $(dpkg-deb -f "$runtime" Installed-Size) KiB"
echo "  $(basename "$dev"): $(du -k "$dev" | cut -f1) KiB, Installed-Size $(dpkg-deb -f "$dev" Installed-Size) KiB"
echo "  $(basename "$dbgsym"): $(du -k "$dbgsym" | cut -f1) KiB, Installed-Size $(dpkg-deb -f "$dbgsym" Installed-Size) KiB"
echo "  apt-get install ./$(basename "$runtime"): ${plain:-?}"
echo "  … --no-install-recommends: ${lean:-?}"
finish
