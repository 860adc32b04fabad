#!/bin/bash
# timeout: 2400
# The guest half of scripts/kernel-trace.sh: the benchmark's rows once each
# between markers (bench_ioctl -T, then bpf_overhead -T for a CHECK with the
# BPF programs attached), while gdb single-steps the guest.  The guest's
# symbols go to the host first (Debian's System.map is a stub, the vmlinux
# has no symbol table); the tracer reads its addresses there and says when
# it is attached.
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=2 || exit 1
# The cgroup-identity rows bind a cgroup of their own (as 10-ioctl.sh).
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || comment "no cgroup2"
cat /proc/kallsyms >"$GDL_RESULTS/kallsyms.part" && mv "$GDL_RESULTS/kallsyms.part" "$GDL_RESULTS/kallsyms"
check "symbols saved" test -s "$GDL_RESULTS/kallsyms"
for _ in $(seq 3000); do
	[[ -e $GDL_RESULTS/tracer-attached ]] && break
	sleep 0.2
done
check "the tracer attached" test -e "$GDL_RESULTS/tracer-attached"
run_tap_tool bench_ioctl -T
# A CHECK with the module batches' program (gdl_batch.bpf.o, what the agent
# streams every event with) detached and attached: the per-decision share;
# a batch goes out once per GDL_BATCH_EVENTS of them.
"$GDL_TOOLS/bpf_overhead" -T "$GDL_BUILD/bpf/gdl_batch.bpf.o" "$GDL_RESULTS/kallsyms.bpf"
check "a CHECK traced with the BPF programs attached" test -s "$GDL_RESULTS/kallsyms.bpf"
gdl_unload
gdl_done
