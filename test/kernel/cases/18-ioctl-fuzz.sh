#!/bin/bash
# timeout: 1500
# 18-ioctl-fuzz: random commands, sizes, directions, argument bytes and bad
# pointers, through descriptors that are dup()ed, closed with live
# allocations and inherited by fork()ed children; the kernel stays clean and
# the books balance (test/kernel/tools/ioctl_fuzz.c).  GDL_FUZZ_CALLS calls
# (default 1 000 000; the deep lane, scripts/test.sh deep, makes 10 000 000).
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=2 fake_gpu_mem=1048576 default_quota=65536 max_agents=8 || exit 1
objects=$(gdl_stat kernel_objects)
gdl_tool ioctl_fuzz "${GDL_FUZZ_CALLS:-1000000}"
rc=$?
[[ $rc -eq 0 ]] || not_ok "ioctl_fuzz exit status" "exit $rc"
# Random command numbers now and then land on a real BIND_UID or
# BIND_CGROUP with plausible arguments; a binding may name an agent that
# does not exist (yet), so removing every agent leaves it. It is state the
# fuzzer made, not a leak: list it, then unbind it, so that the count below
# judges the module's own objects.
while read -r kind target _ agent; do
	[[ $kind == uid || $kind == cgroup ]] || continue
	echo "# the fuzzer left a binding: $kind $target -> agent $agent"
	check "unbind the fuzzer's $kind $target" gdl_control "unbind_$kind" "$target"
done < <(grep -v '^#' "$GDL_PROC/bindings")
check_objects_back "$objects"
check "unload" gdl_unload
check_no_leak
gdl_done
