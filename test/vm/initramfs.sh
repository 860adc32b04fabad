#!/usr/bin/env bash
# initramfs.sh - pack the test guest's initramfs; print its path
#
#   initramfs.sh KVER OUTDIR [MODDIR]
#
# MODDIR: the kernel's modules (default /lib/modules/KVER; test/vm/kernel.sh
# moddir gives it for a privately unpacked kernel).
# busybox-static, test/vm/guest-init.sh as /init, and the modules that mount
# the host's root over virtio-9p (with their dependencies, in load order,
# decompressed: busybox insmod reads plain .ko only).  Cached: rebuilt only
# when one of those inputs changes.
set -euo pipefail

kver=${1:?usage: initramfs.sh KVER OUTDIR [MODDIR]}
outdir=${2:?usage: initramfs.sh KVER OUTDIR [MODDIR]}
moddir=${3-/lib/modules/$kver}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
init_src=$here/guest-init.sh
busybox=/bin/busybox
# What must end up loaded; dependencies are added from modules.dep.
wanted=(virtio_pci 9pnet_virtio 9p)

die() { echo "initramfs.sh: $*" >&2; exit 1; }

# An empty MODDIR: a kernel with virtio and 9p built in (the deep line).
if [[ -n "$moddir" ]]; then
	[[ -f "$moddir/modules.dep" ]] || die "$moddir/modules.dep missing: is linux-image-$kver installed?"
fi
# The initramfs has no libc: busybox must be static (no ELF interpreter).
if [[ ! -x "$busybox" ]] || readelf -l "$busybox" | grep -q 'Requesting program interpreter'; then
	die "$busybox is not busybox-static (apt-get install busybox-static)"
fi

# Depth-first over modules.dep: dependencies before dependents, each once.
declare -A seen=()
order=()
dep_line() { grep -E "(^|/)$1\.ko(\.[a-z]+)?:" "$moddir/modules.dep" | head -n1 || true; }
visit() {
	local name=$1 line path dep
	[[ -n "${seen[$name]:-}" ]] && return
	seen[$name]=1
	line=$(dep_line "$name")
	if [[ -z "$line" ]]; then
		# Built into this kernel (6.12 builds virtio_pci in): nothing to load.
		grep -qE "(^|/)$name\.ko\$" "$moddir/modules.builtin" 2>/dev/null && return
		die "module $name not in $moddir/modules.dep"
	fi
	path=${line%%:*}
	for dep in ${line#*:}; do
		dep=${dep##*/}
		visit "${dep%%.ko*}"
	done
	order+=("$path")
}
[[ -z "$moddir" ]] || for m in "${wanted[@]}"; do visit "$m"; done

out=$outdir/initramfs-$kver.cpio.gz
key_file=$out.key
key=$( {
	echo "$kver"
	sha256sum "$init_src" "$busybox" "$0"
	for p in "${order[@]}"; do sha256sum "$moddir/$p"; done
} | sha256sum | cut -d' ' -f1)

mkdir -p "$outdir"
exec 9>"$outdir/.initramfs.lock"
flock 9
if [[ -s "$out" && "$(cat "$key_file" 2>/dev/null)" == "$key" ]]; then
	echo "$out"
	exit 0
fi

stage=$(mktemp -d "$outdir/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
# The stage becomes the guest's "/" (the kernel applies the "." entry's mode
# to the root), and mktemp makes it 0700: any caller that is not root there
# and walks an absolute path (uid 65534 after leaving the case's chroot for a
# user namespace, test/kernel/tools/userns_refused.c) would get EACCES.
chmod 0755 "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,modules}
: >"$stage/modules/order"
cp "$busybox" "$stage/bin/busybox"
# The kernel opens /dev/console for init's stdio before devtmpfs is mounted.
mknod -m 0600 "$stage/dev/console" c 5 1
install -m 0755 "$init_src" "$stage/init"
for p in "${order[@]}"; do
	name=$(basename "$p")
	case "$name" in
	*.ko.xz) xz -dc "$moddir/$p" >"$stage/modules/${name%.xz}" ;;
	*.ko.zst) zstd -qdc "$moddir/$p" >"$stage/modules/${name%.zst}" ;;
	*.ko.gz) gzip -dc "$moddir/$p" >"$stage/modules/${name%.gz}" ;;
	*.ko) cp "$moddir/$p" "$stage/modules/$name" ;;
	*) die "unexpected module file $p" ;;
	esac
	echo "${name%.ko*}.ko" >>"$stage/modules/order"
done
(cd "$stage" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) |
	gzip -1 >"$out.tmp"
mv -f "$out.tmp" "$out"
echo "$key" >"$key_file"
echo "$out"
