#!/usr/bin/env bash
# deep-kernel.sh - the debug-kernel lane: Debian's own 6.1 source built with
# the checkers Debian's kernel lacks, and the guest suite under it.
#
#   scripts/deep-kernel.sh --cached   print the built tree and exit 0 if it is
#                                     there (exit 1 otherwise; builds nothing)
#   scripts/deep-kernel.sh --build    build it once per machine (cached): 44.5 min
#                                     wall on a busy 2-core machine (40 min user
#                                     + 14 min system CPU, measured)
#   scripts/deep-kernel.sh --run      the whole guest suite under it, the ioctl
#                                     fuzzer at 10 000 000 calls (scripts/test.sh
#                                     deep; CI runs it only when --cached says
#                                     the kernel is already built and its time
#                                     fits); $GDL_DEEP_SKIP leaves out cases
#                                     (run.sh --skip), $GDL_DEEP_TIMEOUT bounds it
#   scripts/deep-kernel.sh --expected-seconds
#                                     how long the last --run took here (2400
#                                     before the first)
#
# The kernel: linux-source-6.1 (Debian main), x86_64 defconfig plus KASAN
# (inline), lockdep (PROVE_LOCKING, which also turns on PROVE_RCU), DEBUG_ATOMIC_SLEEP,
# full preemption, kmemleak, DEBUG_LIST, SLUB_DEBUG, BTF, BPF, kprobes and
# uprobes, 9p and virtio built in, USER_NS and cgroups for the cases that
# need them.  Cached in $GDL_DEEP_CACHE (default /var/cache/gpu-dma-lock/deep),
# outside the worktree so that `make clean` and new checkouts keep it.
set -euo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
cache=${GDL_DEEP_CACHE:-/var/cache/gpu-dma-lock/deep}
tree=$cache/linux
# The last run's length, for scripts/test.sh's time budget.
last_run=$cache/last-run-seconds
mode=${1:---cached}

cached() { [[ -f "$tree/.gdl-complete" && -f "$tree/arch/x86/boot/bzImage" && -f "$tree/vmlinux" ]]; }

case "$mode" in
--cached)
	cached || exit 1
	echo "$tree"
	;;
--build)
	if cached; then
		info "debug kernel already built: $tree"
		exit 0
	fi
	if ! dpkg-query -W -f='${Status}' linux-source-6.1 2>/dev/null | grep -q 'install ok installed'; then
		[[ $(id -u) -eq 0 ]] || die "linux-source-6.1 missing; run as root or install it"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends linux-source-6.1 bc flex bison libssl-dev >/dev/null
	fi
	src=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null) || die "no /usr/src/linux-source-6.1.tar.xz"
	mkdir -p "$cache"
	rm -rf "$tree" "$cache/linux-source-6.1"
	step_msg "Unpacking $src"
	tar -C "$cache" -xf "$src"
	mv "$cache/linux-source-6.1" "$tree"
	cd "$tree"
	make -s defconfig
	scripts/config -e KASAN -e KASAN_INLINE -e PROVE_LOCKING -e DEBUG_ATOMIC_SLEEP \
		-e PREEMPT -d PREEMPT_VOLUNTARY -d PREEMPT_NONE -e DEBUG_KMEMLEAK \
		-e DEBUG_LIST -e SLUB_DEBUG -e DEBUG_INFO -e DEBUG_INFO_DWARF5 -e DEBUG_INFO_BTF \
		-e BPF_SYSCALL -e BPF_JIT -e KPROBES -e UPROBES -e UPROBE_EVENTS -e BPF_EVENTS \
		-e FTRACE -e FUNCTION_TRACER -e NET_9P -e NET_9P_VIRTIO -e 9P_FS -e VIRTIO_PCI \
		-e MODULES -e MODULE_UNLOAD -e CGROUPS -e USER_NS -e DEBUG_FS -e TMPFS \
		-e DEBUG_INFO_BTF_MODULES -e KPROBE_EVENTS -e MEMCG -e CGROUP_BPF -e CGROUP_PIDS \
		-e CGROUP_DEVICE -e SECCOMP -e NAMESPACES -e PID_NS -e NET_NS -e IPC_NS -e UTS_NS
	# What a headless qemu guest never touches, left out to shorten the build.
	scripts/config -d DRM -d SOUND -d WLAN -d WIRELESS -d CFG80211 -d USB_SUPPORT \
		-d ETHERNET -d AGP -d FB -d HAMRADIO -d NFS_FS -d INFINIBAND
	make -s olddefconfig
	step_msg "Building the debug kernel (about 45 min on two cores)"
	make -s -j"$(nproc)" bzImage vmlinux modules_prepare
	touch "$tree/.gdl-complete"
	info "debug kernel built: $tree"
	;;
--run)
	cached || die "no debug kernel in $tree: scripts/deep-kernel.sh --build (about 45 min on two cores)"
	skip=()
	[[ -n ${GDL_DEEP_SKIP:-} ]] && skip=(--skip "$GDL_DEEP_SKIP")
	started=$SECONDS
	rc=0
	# KASAN and lockdep make everything several times slower under TCG.
	GDL_FUZZ_CALLS=${GDL_FUZZ_CALLS:-10000000} GDL_TIMEOUT_SCALE=${GDL_TIMEOUT_SCALE:-8} \
		"$ROOT/test/vm/run.sh" --kernel deep --timeout "${GDL_DEEP_TIMEOUT:-10800}" "${skip[@]}" || rc=$?
	# Whatever the verdict: a run cut off by its limit records that limit.
	echo $((SECONDS - started)) >"$last_run.tmp" && mv "$last_run.tmp" "$last_run"
	exit "$rc"
	;;
--expected-seconds)
	# Before any: the lane as the suite runs it (no 85-containers) took
	# 2 370 s on a quiet 2-core machine (2026-12-06), its build included.
	if [[ -s $last_run ]]; then cat "$last_run"; else echo 2400; fi
	;;
*) die "usage: $0 --cached|--build|--run|--expected-seconds" ;;
esac
