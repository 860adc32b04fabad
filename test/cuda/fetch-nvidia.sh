#!/usr/bin/env bash
# test/cuda/fetch-nvidia.sh - NVIDIA's real driver library (libcuda1 535.x)
# and CUDA runtime (libcudart11.0) from Debian's non-free component, unpacked
# (never installed) into a cache: .cache/nvidia/ (or $GDL_NVIDIA_CACHE).
#
# The archive is the one the machine's apt source already names: a private
# sources file reuses its URIs line, so no host name is written here.  Cached:
# a second run does nothing.  Fails loudly (exit 1, with the reason) when the
# download fails: CI has the archive, so a missing library is an error.
#
#   test/cuda/fetch-nvidia.sh      prints the unpacked root on success
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${GDL_NVIDIA_CACHE:-$ROOT/.cache/nvidia}
ROOTFS=$CACHE/root
# libcuda lives in nvidia/current/ (Debian's alternatives), cudart beside it:
# both folders go on LD_LIBRARY_PATH (see nvidia_libpath below).
LIBDIR=$ROOTFS/usr/lib/x86_64-linux-gnu
CUDADIR=$LIBDIR/nvidia/current
PKGS=(libcuda1 libcudart11.0)

if [ -e "$CUDADIR/libcuda.so.1" ] && [ -e "$LIBDIR/libcudart.so.11.0" ]; then
	echo "$ROOTFS"
	exit 0
fi

die() { echo "fetch-nvidia: $*" >&2; exit 1; }
src=/etc/apt/sources.list.d/debian.sources
uris=$(awk '/^URIs:/ { print $2; exit }' "$src" 2>/dev/null) ||
	die "cannot read the URIs line of $src"
[ -n "$uris" ] || die "no URIs line in $src"

apt_dir=$CACHE/apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/parts" "$CACHE/debs"
cat >"$apt_dir/sources.list" <<SRC
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uris bookworm non-free
SRC
opts=(-o "Dir::Etc::sourcelist=$apt_dir/sources.list" -o "Dir::Etc::sourceparts=$apt_dir/parts"
	-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o "APT::Sandbox::User=root")
apt-get "${opts[@]}" -q update >"$apt_dir/update.log" 2>&1 ||
	die "apt-get update of the non-free component failed (see $apt_dir/update.log): $(tail -n 2 "$apt_dir/update.log")"
(cd "$CACHE/debs" && apt-get "${opts[@]}" -q download "${PKGS[@]}") >"$apt_dir/download.log" 2>&1 ||
	die "apt-get download ${PKGS[*]} failed (see $apt_dir/download.log): $(tail -n 2 "$apt_dir/download.log")"
rm -rf "$ROOTFS.tmp"
mkdir -p "$ROOTFS.tmp"
for deb in "$CACHE"/debs/*.deb; do dpkg-deb -x "$deb" "$ROOTFS.tmp"; done
[ -e "$ROOTFS.tmp/usr/lib/x86_64-linux-gnu/nvidia/current/libcuda.so.1" ] || die "libcuda.so.1 not in the downloaded packages"
rm -rf "$ROOTFS"
mv "$ROOTFS.tmp" "$ROOTFS"
echo "$ROOTFS"
