#!/usr/bin/env bash
# kernel.sh - which Debian kernel the guest runs, and its uncompressed vmlinux
#
#   kernel.sh version   print the test kernel's version (e.g. 6.1.0-56-amd64)
#   kernel.sh vmlinux   extract vmlinux once (cached in $GDL_BUILD/vm/) and print its path
#   kernel.sh vmlinuz   print the path of the compressed image
#   kernel.sh kdir      print the kernel's build tree (headers) for make -C
#   kernel.sh moddir    print the kernel's /lib/modules/<version> directory ("" if
#                       it has none: the deep line builds 9p and virtio in)
#   kernel.sh boot      print the image qemu boots (-kernel)
#   kernel.sh make-vars print KVER=... KDIR=... VMLINUX=... for make: the
#                       product Makefiles default to the running kernel, the
#                       test bench builds for this one (vmlinux extracted)
#
# GDL_KERNEL picks the kernel line: "stable" (the default) is Debian 12's own
# linux-image-amd64 (6.1), installed on the machine; "backports" is the newer
# line from bookworm-backports (6.12), unpacked privately by
# test/vm/fetch-kernel.sh (run it first; nothing is installed system-wide);
# "deep" is the debug kernel (KASAN, lockdep, kmemleak) that
# scripts/deep-kernel.sh --build makes from Debian's linux-source-6.1, a
# source tree whose bzImage boots without PVH.
#
# The version is never hard-coded: Debian moves linux-image-amd64 forward.  We
# take the version linux-image-amd64 depends on when its headers are there,
# else the highest /boot/vmlinuz-*-amd64 that has /lib/modules/<ver>/build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
vm_dir="${GDL_BUILD:-$repo/build}/vm"
line=${GDL_KERNEL:-stable}
# Where fetch-kernel.sh unpacks the backports kernel ("" for the stable line).
root=
# The debug kernel's built source tree (the deep line).
tree=

die() { echo "kernel.sh: $*" >&2; exit 1; }

case "$line" in
stable) ;;
deep)
	tree=$("$repo/scripts/deep-kernel.sh" --cached) || die "no debug kernel: scripts/deep-kernel.sh --build"
	;;
backports)
	root=$("$here/fetch-kernel.sh" --offline) || die "no backports kernel: run test/vm/fetch-kernel.sh"
	root=$root/root
	;;
*) die "GDL_KERNEL must be stable or backports, not '$line'" ;;
esac

usable() { [[ -f "/boot/vmlinuz-$1" && -d "/lib/modules/$1/build" ]]; }

kernel_version() {
	local dep ver
	if [[ -n "$tree" ]]; then
		cat "$tree/include/config/kernel.release"
		return
	fi
	if [[ -n "$root" ]]; then
		ver=$(basename "$(dirname "$root")")
		[[ -f "$root/boot/vmlinuz-$ver" ]] || die "$root: no boot/vmlinuz-$ver"
		echo "$ver"
		return
	fi
	# "linux-image-6.1.0-56-amd64 (= 6.1.192-2)" -> 6.1.0-56-amd64
	dep=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null || true)
	ver=$(sed -n 's/^linux-image-\([^ ,]*-amd64\).*/\1/p' <<<"$dep")
	if [[ -n "$ver" ]] && usable "$ver"; then
		echo "$ver"
		return
	fi
	for ver in $(for f in /boot/vmlinuz-*-amd64; do [[ -e "$f" ]] && echo "${f#/boot/vmlinuz-}"; done | sort -rV); do
		if usable "$ver"; then
			echo "$ver"
			return
		fi
	done
	die "no /boot/vmlinuz-*-amd64 with headers in /lib/modules/<ver>/build; run test/vm/ensure-deps.sh"
}

# The bzImage carries the kernel as one compressed stream (xz in 6.1, zstd in
# 6.12); the ELF inside it keeps .BTF and symbols, and qemu boots it directly
# through its PVH note.
extract_vmlinux() {
	local ver=$1 out="$vm_dir/vmlinux-$1" link="$vm_dir/vmlinux" src="$root/boot/vmlinuz-$1"
	local offset tmp
	mkdir -p "$vm_dir"
	# Several engineers may run this at once: one extracts, the others wait.
	exec 9>"$vm_dir/.vmlinux.lock"
	flock 9
	if [[ ! -s "$out" || "$src" -nt "$out" ]]; then
		tmp=$(mktemp "$out.XXXXXX")
		offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$src" | head -n1 | cut -d: -f1 || true)
		if [[ -n "$offset" ]]; then
			# --single-stream: stop at the end of the kernel, ignore what follows
			# (tail then dies of SIGPIPE, which is expected: only xz's status counts).
			if ! { tail -c "+$((offset + 1))" "$src" || true; } | xz -dc --single-stream >"$tmp"; then
				rm -f "$tmp"
				die "$src: xz decompression failed at offset $offset"
			fi
		else
			offset=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "$src" | head -n1 | cut -d: -f1 || true)
			[[ -n "$offset" ]] || { rm -f "$tmp"; die "$src: no xz or zstd stream found"; }
			# zstd complains about the bytes after the kernel's frame
			# ("unsupported format") after writing it whole: the ELF check
			# below is what decides.
			{ tail -c "+$((offset + 1))" "$src" || true; } | zstd -qdc >"$tmp" 2>/dev/null || true
		fi
		[[ "$(head -c4 "$tmp" | od -An -tx1 | tr -d ' ')" == 7f454c46 ]] ||
			{ rm -f "$tmp"; die "$src: decompressed data is not an ELF vmlinux"; }
		chmod 0644 "$tmp"
		mv -f "$tmp" "$out"
	fi
	ln -sfn "vmlinux-$ver" "$link"
	exec 9>&-
	echo "$link"
}

case "${1:-}" in
version) kernel_version ;;
vmlinuz)
	if [[ -n "$tree" ]]; then echo "$tree/arch/x86/boot/bzImage"; else echo "$root/boot/vmlinuz-$(kernel_version)"; fi
	;;
vmlinux)
	if [[ -n "$tree" ]]; then
		# The tree's own ELF: BTF base for the module, vmlinux.h for BPF.
		mkdir -p "$vm_dir" && ln -sfn "$tree/vmlinux" "$vm_dir/vmlinux" && echo "$vm_dir/vmlinux"
	else
		extract_vmlinux "$(kernel_version)"
	fi
	;;
boot)
	# defconfig has no PVH entry: the deep kernel boots as a bzImage.
	if [[ -n "$tree" ]]; then echo "$tree/arch/x86/boot/bzImage"; else extract_vmlinux "$(kernel_version)"; fi
	;;
kdir)
	ver=$(kernel_version)
	if [[ -n "$tree" ]]; then
		echo "$tree"
	elif [[ -n "$root" ]]; then
		echo "$root/usr/src/linux-headers-$ver"
	else
		echo "/lib/modules/$ver/build"
	fi
	;;
moddir) [[ -n "$tree" ]] || echo "$root/lib/modules/$(kernel_version)" ;;
make-vars)
	# Each on its own line first, so that a failure stops here.
	ver=$("$here/kernel.sh" version)
	kdir=$("$here/kernel.sh" kdir)
	vmlinux=$("$here/kernel.sh" vmlinux)
	echo "KVER=$ver KDIR=$kdir VMLINUX=$vmlinux"
	;;
*) echo "usage: $0 version|vmlinux|vmlinuz|boot|kdir|moddir|make-vars" >&2; exit 2 ;;
esac
