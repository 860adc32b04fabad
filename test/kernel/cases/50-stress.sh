#!/bin/bash
# timeout: 240
# 50-stress: 8 threads, 12 s, every operation at once on 2 fake devices;
# then the books must balance to the byte (see tools/stress_mix.c).
. "$GDL_REPO/test/kernel/lib.sh"

# Small devices, so that -ENOSPC is exercised next to -EDQUOT.
gdl_load fake_gpus=2 fake_gpu_mem=$((16 << 20)) || exit 1

run_tap_tool stress_mix -t 8 -s 12 -a 4

# Cross-check the module's own /proc view once more after the tool's files
# are closed: nothing may be left.
check_eq "/proc allocations empty after the run" "" "$(grep -v '^#' "$GDL_PROC/allocations")"
check_eq "stats used_bytes 0 after the run" 0 "$(gdl_stat used_bytes)"

gdl_unload
gdl_done
