#!/usr/bin/env bash
# kernel.sh - which Debian kernel the guest runs, and its uncompressed vmlinux
#
#   kernel.sh version   print the test kernel's version (e.g. 6.1.0-56-amd64)
#   kernel.sh vmlinux   extract vmlinux once (cached in build/vm/) and print its path
#   kernel.sh vmlinuz   print the path of the compressed image
#
# The version is never hard-coded: Debian moves linux-image-amd64 forward.  We
# take the version linux-image-amd64 depends on when its headers are there,
# else the highest /boot/vmlinuz-*-amd64 that has /lib/modules/<ver>/build.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
vm_dir="${GDL_BUILD:-$repo/build}/vm"

die() { echo "kernel.sh: $*" >&2; exit 1; }

usable() { [[ -f "/boot/vmlinuz-$1" && -d "/lib/modules/$1/build" ]]; }

kernel_version() {
	local dep ver
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

# The bzImage carries the kernel as one xz stream; the ELF inside it keeps
# .BTF and symbols, and qemu boots it directly through its PVH note.
extract_vmlinux() {
	local ver=$1 out="$vm_dir/vmlinux-$1" link="$vm_dir/vmlinux" src="/boot/vmlinuz-$1"
	local offset tmp
	mkdir -p "$vm_dir"
	# Several engineers may run this at once: one extracts, the others wait.
	exec 9>"$vm_dir/.vmlinux.lock"
	flock 9
	if [[ ! -s "$out" || "$src" -nt "$out" ]]; then
		offset=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$src" | head -n1 | cut -d: -f1)
		[[ -n "$offset" ]] || die "$src: no xz stream found (not an xz-compressed bzImage?)"
		tmp=$(mktemp "$out.XXXXXX")
		# --single-stream: stop at the end of the kernel, ignore what follows
		# (tail then dies of SIGPIPE, which is expected: only xz's status counts).
		if ! { tail -c "+$((offset + 1))" "$src" || true; } | xz -dc --single-stream >"$tmp"; then
			rm -f "$tmp"
			die "$src: xz decompression failed at offset $offset"
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
vmlinuz) echo "/boot/vmlinuz-$(kernel_version)" ;;
vmlinux) extract_vmlinux "$(kernel_version)" ;;
*) echo "usage: $0 version|vmlinux|vmlinuz" >&2; exit 2 ;;
esac
