#!/usr/bin/env bash
# Installs gpu_dma_lock.ko on a GPU node with DKMS, from this checkout's
# kmod/ and its kmod/dkms.conf, so the module is rebuilt for every kernel the
# node upgrades to; then configures it to load at boot with its parameters.
#
#   sudo deploy/dkms/install.sh [--kernel VER] [--max-agents N] [--default-quota BYTES] [--no-load]
#   sudo deploy/dkms/install.sh --uninstall
#   deploy/dkms/install.sh --dry-run ...     print the commands, change nothing
#
# Steps (each one is also in deploy/dkms/README.md to run by hand):
#   1. apt-get install dkms and the headers of the target kernel
#   2. dkms add     (copies kmod/ to /usr/src/gpu-dma-lock-<version>)
#   3. dkms build   (runs MAKE[0] of dkms.conf against the kernel's headers)
#   4. dkms install (into /lib/modules/<kernel>/updates/dkms, then depmod)
#   5. /etc/modprobe.d/gpu-dma-lock.conf (parameters) and
#      /etc/modules-load.d/gpu-dma-lock.conf (load at boot)
#   6. modprobe gpu_dma_lock, unless --no-load or another kernel was targeted
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SRC="$ROOT/kmod"
CONF="$SRC/dkms.conf"

dry=0 uninstall=0 load=1
kernel=$(uname -r)
max_agents="" default_quota=""
while [ $# -gt 0 ]; do
	case $1 in
	--dry-run) dry=1 ;;
	--uninstall) uninstall=1 ;;
	--no-load) load=0 ;;
	--kernel) kernel=$2; shift ;;
	--max-agents) max_agents=$2; shift ;;
	--default-quota) default_quota=$2; shift ;;
	-h | --help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "install.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

[ -f "$CONF" ] || { echo "install.sh: $CONF not found" >&2; exit 1; }
# Name and version come from dkms.conf itself, never repeated here.
name=$(sed -n 's/^PACKAGE_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$CONF")
version=$(sed -n 's/^PACKAGE_VERSION="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$CONF")
module=$(sed -n 's/^BUILT_MODULE_NAME\[0\]="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$CONF")
[ -n "$name" ] && [ -n "$version" ] && [ -n "$module" ] || { echo "install.sh: cannot read PACKAGE_NAME/PACKAGE_VERSION/BUILT_MODULE_NAME[0] from $CONF" >&2; exit 1; }

run() {
	echo "+ $*"
	[ "$dry" -eq 1 ] || "$@"
}
write() { # write FILE CONTENT
	echo "+ write $1: $2"
	[ "$dry" -eq 1 ] || printf '%s\n' "$2" >"$1"
}

if [ "$dry" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
	echo "install.sh: run as root (or with --dry-run)" >&2
	exit 1
fi

if [ "$uninstall" -eq 1 ]; then
	run modprobe -r "$module" || true
	run dkms remove -m "$name" -v "$version" --all
	run rm -f /etc/modules-load.d/gpu-dma-lock.conf /etc/modprobe.d/gpu-dma-lock.conf
	exit 0
fi

run apt-get install -y --no-install-recommends dkms "linux-headers-$kernel"
# A previous registration of the same version would make `dkms add` fail.
if [ "$dry" -eq 0 ] && dkms status -m "$name" -v "$version" 2>/dev/null | grep -q .; then
	run dkms remove -m "$name" -v "$version" --all
fi
run dkms add "$SRC"
run dkms build -m "$name" -v "$version" -k "$kernel"
run dkms install -m "$name" -v "$version" -k "$kernel"

opts="options $module"
[ -n "$max_agents" ] && opts+=" max_agents=$max_agents"
[ -n "$default_quota" ] && opts+=" default_quota=$default_quota"
if [ "$opts" != "options $module" ]; then
	write /etc/modprobe.d/gpu-dma-lock.conf "$opts"
fi
write /etc/modules-load.d/gpu-dma-lock.conf "$module"

if [ "$load" -eq 1 ] && [ "$kernel" = "$(uname -r)" ]; then
	run modprobe "$module"
	run test -c /dev/gpu_dma_lock
fi
if [ "$dry" -eq 1 ]; then echo "install.sh: dry run, nothing changed"; else echo "install.sh: $name $version installed for $kernel"; fi
