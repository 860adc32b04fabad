#!/bin/bash
# timeout: 600
# 30-cuda: what the CUDA interposer adds to one cuMemAlloc_v2 + cuMemFree_v2
# pair through the module (the stand-in driver; a workload run unprivileged
# on a descriptor a launcher bound to its agent, as in the guest tests), and
# to a non-memory driver call.  On the instruction clock the costs are guest
# instructions; scripts/bench.sh shows the pair as a ratio to this run's
# no-op ioctl (bench case 10).
. "$GDL_REPO/test/kernel/lib.sh"

B=$GDL_BUILD/cuda
L=$B/gdl_cuda_launch
gdl_load fake_gpus=1 fake_gpu_mem=$((1 << 30)) || exit 1
check "agent 42 with room" "$L" set 42 $((1 << 30))
pairs=2000
# The smallest of 5 runs: on the instruction clock, one no interrupt hit.
. "$GDL_REPO/bench/cuda/best-of.sh"
best() { best_of "$pairs" "$@"; }
plain=("$L" run 42 65534 "$B/cuda_bench")
under=("$L" run 42 65534 env LD_PRELOAD="$B/libgdl_cuda.so" "$B/cuda_bench")
if pair0=$(best pair_ns "${plain[@]}") && pair1=$(best pair_ns "${under[@]}") &&
	call0=$(best call_ns "${plain[@]}") && call1=$(best call_ns "${under[@]}"); then
	ok "cuda_bench ran with and without the interposer"
	unit=ns
	[[ ${GDL_CLOCK:-} == icount ]] && unit=instr
	awk -v p0="$pair0" -v p1="$pair1" -v c0="$call0" -v c1="$call1" -v u="$unit" 'BEGIN {
		printf "BENCH {\"suite\":\"cuda\",\"name\":\"module_alloc_free_pair\",\"unit\":\"%s\",\"added\":%.0f,\"driver_only\":%.0f,\"target_ratio\":3}\n", u, p1 - p0, p0
		printf "BENCH {\"suite\":\"cuda\",\"name\":\"module_non_memory_call\",\"unit\":\"%s\",\"added\":%.1f,\"driver_only\":%.1f}\n", u, c1 - c0, c0
	}'
else
	not_ok "cuda_bench ran with and without the interposer" "a run printed nothing"
fi
check_eq "nothing left charged" "used=0" "$("$L" query 42 | cut -d' ' -f1)"
gdl_unload
gdl_done
