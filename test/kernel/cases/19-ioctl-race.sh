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
check_objects_back "$objects"
check_eq "contexts lists no file" 1 "$(wc -l <"$GDL_PROC/contexts")"
check "unload" gdl_unload
check_no_leak
gdl_done
