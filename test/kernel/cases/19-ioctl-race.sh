#!/bin/bash
# 19-ioctl-race: binding, file release, /proc listings and operator
# commands racing each other; afterwards the books are empty
# (test/kernel/tools/ioctl_race.c).
# timeout: 180
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=2 fake_gpu_mem=1073741824 || exit 1
objects=$(gdl_stat kernel_objects)
gdl_tool ioctl_race 4
rc=$?
[[ $rc -eq 0 ]] || not_ok "ioctl_race exit status" "exit $rc"
gdl_wait_for test "$(gdl_stat kernel_objects)" = "$objects"
check_eq "kernel_objects back to its value at load" "$objects" "$(gdl_stat kernel_objects)"
check_eq "contexts lists no file" 1 "$(wc -l <"$GDL_PROC/contexts")"
check "unload" gdl_unload
if dmesg | grep -q "gpu_dma_lock: leak"; then
	not_ok "no leaked kernel objects" "$(dmesg | grep 'gpu_dma_lock: leak')"
else
	ok "no leaked kernel objects"
fi
gdl_done
