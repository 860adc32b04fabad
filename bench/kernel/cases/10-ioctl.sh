#!/bin/bash
# timeout: 900
# 10-ioctl: cost of each /dev/gpu_dma_lock operation and of the exported
# in-kernel check, in instructions on qemu's instruction clock, and as ratios
# to a no-op ioctl (see tools/bench_ioctl.c).
. "$GDL_REPO/test/kernel/lib.sh"

bench_ko=$GDL_BUILD/bench/kmod/gdl_bench.ko
bench_file=/sys/kernel/debug/gdl_bench/check

gdl_load fake_gpus=2 || exit 1
# The cgroup-identity row binds a cgroup of its own.
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || comment "no cgroup2"
kargs=()
if [[ ! -f "$bench_ko" ]]; then
	not_ok "gdl_bench.ko built" "$bench_ko missing (run.sh --bench builds it)"
elif check "load gdl_bench.ko" insmod "$bench_ko"; then
	kargs=(-k "$bench_file")
fi

# On qemu's instruction clock (run.sh --bench): many short rounds, of which
# the tool keeps the one no interrupt hit (see tools/bench_ioctl.c).
if [[ ${GDL_CLOCK:-} == icount ]]; then
	run_tap_tool bench_ioctl -i -r 21 "${kargs[@]}"
else
	run_tap_tool bench_ioctl -r 7 "${kargs[@]}"
fi

if [[ ${#kargs[@]} -gt 0 ]]; then
	check "unload gdl_bench.ko" rmmod gdl_bench
fi
gdl_unload
gdl_done
