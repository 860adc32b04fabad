#!/bin/bash
# 17-export: another module calls gpu_dma_lock_check() (in process context
# and with interrupts off) and gets the same answers as the ioctl; while it
# is loaded, gpu_dma_lock cannot be unloaded.
# timeout: 120
. "$GDL_REPO/test/kernel/lib.sh"

TEST_KO=$GDL_BUILD/kmod/gpu_dma_lock_test.ko
PARAMS=/sys/module/gpu_dma_lock_test/parameters

# client WHAT EXPECTED PARAMS...: load the client, compare both answers.
client() {
	local what=$1 want=$2 out
	shift 2
	if ! out=$(insmod "$TEST_KO" "$@" 2>&1); then
		not_ok "$what" "insmod: $out"
		return 1
	fi
	check_eq "$what (process context)" "$want" "$(cat $PARAMS/result)"
	check_eq "$what (interrupts off)" "$want" "$(cat $PARAMS/result_atomic)"
	rmmod gpu_dma_lock_test
}

gdl_load fake_gpus=2 || exit 1
gdl_control set_agent 1 1048576 0x3
gdl_control grant 1 0 0x10000 0x1000 r
checks=$(gdl_stat checks)

client "allowed read" 1 agent=1 device=0 addr=0x10000 length=16 mode=1
client "denied write" 0 agent=1 device=0 addr=0x10000 length=16 mode=2
client "denied outside the grant" 0 agent=1 device=0 addr=0x10ff0 length=32 mode=1
client "denied on another device" 0 agent=1 device=1 addr=0x10000 length=16 mode=1
client "unknown agent denied" 0 agent=2 device=0 addr=0x10000 length=16 mode=1
client "agent 0 is -EINVAL" -22 agent=0 device=0 addr=0x10000 length=16 mode=1
client "length 0 is -EINVAL" -22 agent=1 device=0 addr=0x10000 length=0 mode=1
client "bad mode is -EINVAL" -22 agent=1 device=0 addr=0x10000 length=16 mode=4
check_eq "the exported checks are counted" $((checks + 10)) "$(gdl_stat checks)"

insmod "$TEST_KO" agent=1 device=0 addr=0x10000 length=16 mode=1
check_fail "gpu_dma_lock cannot unload while a client is loaded" rmmod gpu_dma_lock
check "gpu_dma_lock is still there" test -c "$GDL_DEV"
rmmod gpu_dma_lock_test
check "unload" gdl_unload
gdl_done
