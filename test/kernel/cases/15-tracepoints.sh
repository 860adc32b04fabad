#!/bin/bash
# 15-tracepoints: every gpu_dma_lock tracepoint exists, carries the decision
# record's fields, and fires (only) when enabled.
# timeout: 180
. "$GDL_REPO/test/kernel/lib.sh"

T=/sys/kernel/tracing
E=$T/events/gpu_dma_lock
EVENTS="gdl_alloc gdl_alloc_fail gdl_quota_violation gdl_free gdl_check gdl_deny gdl_grant gdl_revoke"

gdl_load fake_gpus=2 fake_gpu_mem=1073741824 || exit 1

for e in $EVENTS; do
	check "event $e exists" test -d "$E/$e"
done
fmt=$(cat "$E/gdl_alloc/format" 2>&1)
for field in kind device agent_id alloc_id addr length mode result used quota pid; do
	[[ $fmt == *" $field;"* ]] && ok "gdl_alloc format has field $field" ||
		not_ok "gdl_alloc format has field $field" "not in format"
done

echo 0 >"$T/tracing_on"
echo >"$T/trace"
echo 1 >"$T/tracing_on"

# fire EVENT CMD...: with only EVENT enabled, CMD must put an EVENT line in
# the trace; prints that line for further checks.
fire() {
	local ev=$1 line
	shift
	echo >"$T/trace"
	echo 1 >"$E/$ev/enable"
	"$@" >/dev/null 2>&1
	echo 0 >"$E/$ev/enable"
	line=$(grep -m1 " $ev: " "$T/trace")
	if [[ -n $line ]]; then
		ok "$ev fires"
	else
		not_ok "$ev fires" "no line in the trace after: $*"
	fi
	printf '%s\n' "$line" >"/tmp/tp-$ev"
}
has() { # has EVENT WHAT PATTERN
	if grep -q -- "$3" "/tmp/tp-$1"; then ok "$1 $2"; else not_ok "$1 $2" "$(cat "/tmp/tp-$1")"; fi
}

gdl_control set_agent 1 65536 0x1
fire gdl_alloc gdl_control allocate 1 4096 0
has gdl_alloc "reports the allocation" "alloc agent=1 device=0 alloc=[1-9][0-9]* .*length=4096 .*result=0 used=4096 quota=65536 pid=[0-9]"
fire gdl_quota_violation gdl_control allocate 1 1048576 0
has gdl_quota_violation "reports -EDQUOT" "quota_violation agent=1 .*length=1048576 .*result=-122"
fire gdl_alloc_fail gdl_control allocate 1 4096 1
has gdl_alloc_fail "reports -EPERM for a device outside the mask" "alloc_fail agent=1 device=1 .*result=-1 "
fire gdl_grant gdl_control grant 1 0 0x10000 0x1000 rw
has gdl_grant "reports the range" "grant agent=1 device=0 .*addr=0x10000 length=4096 mode=rw result=0"
fire gdl_check gdl_tool ioctl_check 1 0 0x10000 16 1
has gdl_check "reports an allowed check" "check agent=1 device=0 .*addr=0x10000 length=16 mode=r "
fire gdl_deny gdl_tool ioctl_check 1 0 0x20000 16 2
has gdl_deny "reports a denied check" "deny agent=1 device=0 .*addr=0x20000 length=16 mode=w "
fire gdl_revoke gdl_control revoke 1 0 0x10000 0x1000 w
has gdl_revoke "reports the range" "revoke agent=1 device=0 .*addr=0x10000 length=4096 mode=w "
id=$(awk '$2 == 1 { print $1; exit }' "$GDL_PROC/allocations")
fire gdl_free gdl_control free "$id"
has gdl_free "reports the allocation" "free agent=1 device=0 alloc=$id .*length=4096 .*used=0 "

# Disabled events leave nothing behind.
echo >"$T/trace"
gdl_control allocate 1 4096 0
gdl_tool ioctl_check 1 0 0x10000 16 1 >/dev/null
check_eq "disabled events write nothing" 0 "$(grep -cE ' gdl_[a-z_]+: ' "$T/trace")"

check "unload" gdl_unload
check_fail "events are gone after unload" test -d "$E"
gdl_done
