#!/bin/bash
# 16-params: module parameters: bad values refuse the load and leave
# nothing behind; good ones do what docs/abi.md says.
# timeout: 180
. "$GDL_REPO/test/kernel/lib.sh"

P=$GDL_PROC

# refused_load WHAT PARAMS...: insmod must fail and leave no trace.
refused_load() {
	local what=$1 out
	shift
	gdl_unload || return
	if out=$(insmod "$GDL_KO" "$@" 2>&1); then
		not_ok "$what refuses the load" "insmod succeeded"
		rmmod "$GDL_MODULE"
		return
	fi
	if gdl_loaded || [[ -e /proc/swarm || -e $GDL_DEV ]]; then
		not_ok "$what refuses the load" "left /proc/swarm or $GDL_DEV behind"
	else
		ok "$what refuses the load ($out)"
	fi
}
refused_load "max_agents=0" max_agents=0
refused_load "fake_gpus=65" fake_gpus=65
refused_load "fake_gpu_mem=0" fake_gpus=1 fake_gpu_mem=0
refused_load "a negative number" fake_gpus=-1

gdl_load gpudirect_enable=1 fake_gpus=1 || exit 1
ok "gpudirect_enable=1 is accepted"
check "load line says gpudirect_enable is ignored" \
	sh -c "dmesg | grep 'gpu_dma_lock: loaded' | tail -n 1 | grep -q 'gpudirect_enable ignored'"
for p in debug default_quota max_agents max_agent_allocs fake_gpus fake_gpu_mem gpudirect_enable; do
	check_eq "parameter $p is read-only in sysfs" 444 \
		"$(stat -c %a /sys/module/gpu_dma_lock/parameters/$p 2>&1)"
done
check_eq "fake_gpu_mem defaults to 16 GiB" 17179869184 \
	"$(cat /sys/module/gpu_dma_lock/parameters/fake_gpu_mem)"
check_eq "max_agents defaults to 200000" 200000 "$(gdl_stat max_agents)"
# trace_check_every: the one parameter root may change at run time.
every=/sys/module/gpu_dma_lock/parameters/trace_check_every
check_eq "trace_check_every is root-writable in sysfs" 644 "$(stat -c %a "$every" 2>&1)"
check_eq "trace_check_every defaults to 1 (every allowed check traced)" 1 "$(gdl_stat trace_check_every)"
for bad in 0 1000001 -1 abc; do
	check_fail "trace_check_every=$bad is refused" sh -c "echo $bad >$every"
done
check_eq "a refused value leaves it at 1" 1 "$(cat "$every")"
check "trace_check_every=1000000 is accepted" sh -c "echo 1000000 >$every"
check_eq "stats show it" 1000000 "$(gdl_stat trace_check_every)"
# trace_batch_wait_ms: root may change it too (kmod/gdl_batch.c).
wait_ms=/sys/module/gpu_dma_lock/parameters/trace_batch_wait_ms
check_eq "trace_batch_wait_ms is root-writable, 10 by default" "644 10" "$(stat -c %a "$wait_ms" 2>&1) $(cat "$wait_ms")"
for bad in 0 60001 -1 abc; do
	check_fail "trace_batch_wait_ms=$bad is refused" sh -c "echo $bad >$wait_ms"
done
check "trace_batch_wait_ms=60000 is accepted" sh -c "echo 60000 >$wait_ms"
echo 10 >"$wait_ms"
gdl_control set_agent 1 65536 0x1
gdl_control grant 1 0 0x10000 0x1000 rw
check "an allowed check, its event off" gdl_tool ioctl_check 1 0 0x10000 16 1
check_eq "it was counted" 1 "$(gdl_stat checks)"
check_eq "but not sampled: only a check whose event is on is" 0 "$(gdl_stat checks_untraced)"
echo 1 >"$every"
err=$( (echo reset_stats >"$P/stats") 2>&1)
[[ $err == *"Input/output error"* ]] && ok "root's write to stats: EIO" ||
	not_ok "root's write to stats: EIO" "got '$err'"

gdl_load default_quota=8192 fake_gpus=2 fake_gpu_mem=1048576 debug=1 || exit 1
check "first allocation creates an unknown agent" gdl_control allocate 5 4096 1
check_eq "it gets default_quota and every device" "5 8192 4096 0x3 1 0" "$(grep '^5 ' "$P/quotas")"
check_fail "default_quota is enforced" gdl_control allocate 5 8192 0
check "debug=1 logs operator commands" sh -c "dmesg | grep -q 'gpu_dma_lock: control: allocate: -122'"
check_eq "stats default_quota" 8192 "$(gdl_stat default_quota)"
gdl_control set_agent 6 $((1 << 30)) 0x1
err=$( (gdl_control allocate 6 2097152 0) 2>&1)
[[ $err == *"No space left"* ]] && ok "fake_gpu_mem is the device capacity (ENOSPC)" ||
	not_ok "fake_gpu_mem is the device capacity (ENOSPC)" "got '$err'"
check "an allocation of the whole device fits" gdl_control allocate 6 1048576 0

check "unload" gdl_unload
gdl_done
