#!/usr/bin/env bash
# fetch-kernel.sh - Debian's newer kernel line (bookworm-backports) for the test
# bench, unpacked into a private directory; prints that directory.
#
#   fetch-kernel.sh [--offline]
#
# Nothing is installed system-wide and the system's apt sources are untouched:
# a private sources file reuses the URIs line of the machine's own
# /etc/apt/sources.list.d/debian.sources (so no archive host is named here),
# with private lists and cache directories.  The version is resolved at run
# time from what backports' linux-image-amd64 depends on; the image, its
# headers, the common headers and kbuild are downloaded with `apt-get
# download` and unpacked with `dpkg-deb -x` into
#   $GDL_KERNEL_CACHE/<version>/root     (default build/kernels)
# then made usable from there: the headers' Makefile points at the private
# common headers, and depmod writes modules.dep.  A finished tree is marked
# with .complete and reused; "current" names the newest one.  Without network
# (or with --offline) the cached tree is used.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${GDL_KERNEL_CACHE:-$repo/build/kernels}
suite=${GDL_KERNEL_SUITE:-bookworm-backports}
system_sources=/etc/apt/sources.list.d/debian.sources
offline=0
[[ "${1:-}" == --offline ]] && offline=1

die() { echo "fetch-kernel.sh: $*" >&2; exit 1; }
note() { echo "fetch-kernel.sh: $*" >&2; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

cached() {
	local cur
	cur=$(cat "$cache/current" 2>/dev/null || true)
	[[ -n "$cur" && -f "$cache/$cur/.complete" ]] || return 1
	echo "$cache/$cur"
}

if [[ $offline -eq 1 ]]; then
	cached || die "no cached kernel in $cache (run without --offline once)"
	exit 0
fi

apt_dir=$cache/apt
mkdir -p "$apt_dir"/{lists/partial,parts,cache/archives/partial}
uris=$(sed -n 's/^URIs:[[:space:]]*//p' "$system_sources" 2>/dev/null | head -n1)
[[ -n "$uris" ]] || die "no URIs line in $system_sources"
cat >"$apt_dir/private.sources" <<EOF
Types: deb
URIs: $uris
Suites: $suite
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
apt_opts=(
	-o "Dir::Etc::sourcelist=$apt_dir/private.sources"
	-o "Dir::Etc::sourceparts=$apt_dir/parts"
	-o "Dir::State::Lists=$apt_dir/lists"
	-o "Dir::Cache=$apt_dir/cache"
	-o "Dir::State::status=/dev/null"
	-o "APT::Sandbox::User=root"
)
if ! apt-get "${apt_opts[@]}" -qq update >/dev/null 2>"$apt_dir/update.err"; then
	note "apt-get update failed ($(tail -n1 "$apt_dir/update.err")); using the cached kernel"
	cached || die "no cached kernel in $cache and no archive reachable"
	exit 0
fi

# "linux-image-6.12.95+deb12-amd64 (= 6.12.95-1~bpo12+1)" -> 6.12.95+deb12-amd64
meta=$(apt-cache "${apt_opts[@]}" show linux-image-amd64 2>/dev/null |
	awk '/^Version:/ {v=$2} /^Depends:/ && v ~ /bpo/ {print; exit}')
kver=$(sed -n 's/^Depends: linux-image-\([^ ,]*-amd64\).*/\1/p' <<<"$meta")
[[ -n "$kver" ]] || die "could not resolve linux-image-amd64 in $suite"
base=${kver%-amd64}
dir=$cache/$kver
if [[ -f "$dir/.complete" ]]; then
	echo "$kver" >"$cache/current"
	echo "$dir"
	exit 0
fi

note "fetching Linux $kver from $suite (about 120 MB, unpacked 210 MB)"
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/root"
(cd "$dir/debs" && apt-get "${apt_opts[@]}" -qq download \
	"linux-image-$kver" "linux-headers-$kver" "linux-headers-$base-common" "linux-kbuild-$base" \
	>/dev/null) || die "apt-get download failed"
for deb in "$dir"/debs/*.deb; do dpkg-deb -x "$deb" "$dir/root"; done

root=$dir/root
hdr=$root/usr/src/linux-headers-$kver
[[ -f "$root/boot/vmlinuz-$kver" && -f "$hdr/Makefile" ]] || die "unexpected package layout under $root"
# The headers' Makefile includes the common headers by absolute path.
sed -i "s|^include /usr/src/|include $root/usr/src/|" "$hdr/Makefile"
# The image package's postinst would run depmod; the initramfs needs modules.dep.
depmod -b "$root" "$kver"
rm -rf "$dir/debs"
touch "$dir/.complete"
echo "$kver" >"$cache/current"
echo "$dir"
