#!/bin/bash
# timeout: 600
# 60-scale: 100 000 allocations and 10 000 grants: listed exactly, checked
# at the boundaries, released completely (see tools/scale_fill.c).
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=2 || exit 1
run_tap_tool scale_fill -n 100000 -g 10000
check_eq "quotas shows nothing used afterwards" "" \
	"$(awk '!/^#/ && $3 != 0' "$GDL_PROC/quotas" | head -n 3)"
gdl_unload
gdl_done
