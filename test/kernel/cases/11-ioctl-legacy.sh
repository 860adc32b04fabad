#!/bin/bash
# 11-ioctl-legacy: the prototype's SWARM_* ioctls keep working, with the
# same rules as the new ABI (test/kernel/tools/ioctl_legacy.c).
# timeout: 120
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=2 fake_gpu_mem=1073741824 || exit 1
gdl_tool ioctl_legacy
rc=$?
[[ $rc -eq 0 ]] || not_ok "ioctl_legacy exit status" "exit $rc"
check "unload" gdl_unload
gdl_done
