#!/usr/bin/env bash
# ensure-deps.sh - install the Debian packages the test bench needs
#
# Does nothing (and needs no network) when they are all installed already;
# otherwise one quiet apt-get update + install.  Root, or sudo, required then.
set -euo pipefail

packages=(
	qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static cpio kmod zstd xz-utils
	clang llvm libbpf-dev bpftool dwarves libelf-dev zlib1g-dev libzstd-dev liburcu-dev
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null || true)
	[[ "$status" == ii* ]] || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo)
echo "ensure-deps: installing ${missing[*]} (apt-get, about a minute)..." >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "ensure-deps: done" >&2
