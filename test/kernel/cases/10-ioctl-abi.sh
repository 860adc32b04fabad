#!/bin/bash
# 10-ioctl-abi: every GDL_IOC_* command as root, answers and error paths
# (test/kernel/tools/ioctl_abi.c), then the module unloads clean.
# timeout: 240
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=2 fake_gpu_mem=1073741824 default_quota=0 max_agents=6 || exit 1
check "/dev/gpu_dma_lock is mode 0666" test "$(stat -c %a "$GDL_DEV")" = 666
check "module BTF is loaded (/sys/kernel/btf/gpu_dma_lock)" test -r /sys/kernel/btf/gpu_dma_lock
objects=$(gdl_stat kernel_objects)
dmesg_has "gpu_dma_lock: loaded: 2 devices (0 PCI GPUs, 2 simulated)" &&
	ok "load line in dmesg names the devices" ||
	not_ok "load line in dmesg names the devices" "$(dmesg | grep gpu_dma_lock | tail -n 2)"

gdl_tool ioctl_abi
rc=$?
[[ $rc -eq 0 ]] || not_ok "ioctl_abi exit status" "exit $rc"

check_objects_back "$objects"
check "unload" gdl_unload
dmesg_has "gpu_dma_lock: unloaded" && ok "unload line in dmesg" ||
	not_ok "unload line in dmesg" "missing"
check_no_leak
gdl_done
