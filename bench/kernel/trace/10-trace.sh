#!/bin/bash
# timeout: 2400
# The guest half of scripts/kernel-trace.sh: the benchmark's rows once each
# between markers (bench_ioctl -T), while gdb single-steps the guest.  The
# guest's symbols go to the host first (Debian's System.map is a stub, the
# vmlinux has no symbol table); the tracer reads its addresses there and
# says when it is attached.
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=2 || exit 1
cat /proc/kallsyms >"$GDL_RESULTS/kallsyms.part" && mv "$GDL_RESULTS/kallsyms.part" "$GDL_RESULTS/kallsyms"
check "symbols saved" test -s "$GDL_RESULTS/kallsyms"
for _ in $(seq 3000); do
	[[ -e $GDL_RESULTS/tracer-attached ]] && break
	sleep 0.2
done
check "the tracer attached" test -e "$GDL_RESULTS/tracer-attached"
run_tap_tool bench_ioctl -T
gdl_unload
gdl_done
