#!/bin/bash
# 15-tracepoints: every gpu_dma_lock tracepoint exists, carries the decision
# record's fields, and fires (only) when enabled.
# timeout: 180
#
# Nothing here reads trace_pipe or leaves a reader behind: each event is read
# back from the non-consuming "trace" file after the command that fired it
# has returned (the record is committed by then).  What can block is the
# kernel side of tracefs writes (the ring buffer's first resize, a reset's
# RCU grace period, patching the tracepoint's static key) and rmmod, which on
# a guest starved by a loaded host once held this case until its time limit.
# So every step runs under one watchdog process: a step that has not
# finished after STEP_S seconds gets its processes' kernel stacks printed, a
# "not ok" naming it, and ends the case at once.
. "$GDL_REPO/test/kernel/lib.sh"

T=/sys/kernel/tracing
E=$T/events/gpu_dma_lock
EVENTS="gdl_alloc gdl_alloc_fail gdl_quota_violation gdl_free gdl_check gdl_deny gdl_grant gdl_revoke"
STEP_S=$((60 * ${GDL_TIMEOUT_SCALE:-1}))

# _watchdog: reads "begin WHAT" / "end" lines (fd 9 of the case); a "begin"
# not followed by "end" within STEP_S seconds is a hung step.  One process
# for the whole case: a step costs two pipe writes, no fork.
_watchdog() {
	local line what= pid rc me=$BASHPID
	while :; do
		read -r -t "$STEP_S" line
		rc=$?
		if ((rc == 0)); then
			case $line in
			"begin "*) what=${line#begin } ;;
			*) what= ;;
			esac
		elif ((rc > 128)); then
			[[ -n $what ]] && break
		else
			return	# the case closed fd 9
		fi
	done
	{
		echo "# stuck: '$what' still running after ${STEP_S}s"
		for pid in $(_descendants $$ "$me"); do
			[[ -d /proc/$pid ]] || continue
			echo "# pid $pid ($(cat "/proc/$pid/comm")) waits in $(cat "/proc/$pid/wchan"):"
			sed 's/^/#   /' "/proc/$pid/stack"
		done
		echo "not ok - step finishes within ${STEP_S}s: '$what' hung (kernel stacks above)"
	} >&3 2>&1
	# The case ends here: what follows would only wait on the same kernel.
	for pid in $(_descendants $$ "$me"); do
		[[ $pid == "$$" ]] || kill -KILL "$pid" 2>/dev/null
	done
	kill -TERM $$
}
_descendants() { # PID SKIP: PID and every process below it, SKIP's subtree left out
	local kid
	[[ $1 == "$2" ]] && return
	echo "$1"
	for kid in $(cat /proc/"$1"/task/*/children 2>/dev/null); do _descendants "$kid" "$2"; done
}
# The watchdog's report goes to the case's log even from inside $(...).
exec 3>&1
fifo=$(mktemp -u "${TMPDIR:-/tmp}/gdl-tp-watchdog.XXXXXX")
mkfifo "$fifo" || { not_ok "watchdog FIFO" "mkfifo $fifo failed"; gdl_done; exit 1; }
_watchdog <"$fifo" &
exec 9>"$fifo"
rm -f "$fifo"

# bounded WHAT CMD...: CMD (a command or a function) under the watchdog; its
# exit status.  Not nested.
bounded() {
	local rc
	echo "begin $1" >&9
	shift
	"$@"
	rc=$?
	echo end >&9
	return "$rc"
}
# put VALUE FILE: one bounded tracefs write.
put() { bounded "writing '$1' to ${2#"$T"/}" _put "$1" "$2"; }
_put() { echo "$1" >"$2"; }

gdl_load fake_gpus=2 fake_gpu_mem=1073741824 || exit 1

for e in $EVENTS; do
	check "event $e exists" test -d "$E/$e"
done
fmt=$(cat "$E/gdl_alloc/format" 2>&1)
for field in kind device agent_id alloc_id addr length mode result used quota pid; do
	[[ $fmt == *" $field;"* ]] && ok "gdl_alloc format has field $field" ||
		not_ok "gdl_alloc format has field $field" "not in format"
done

# guest-init.sh turns comm recording off, so that toggling an event patches
# only the module's sites, not the scheduler's (see there why).
check_eq "comm recording off: events patch only their own sites" "0 0" \
	"$(cat "$T/options/record-cmd") $(cat "$T/options/record-tgid")"
put 0 "$T/tracing_on"
put "" "$T/trace"
put 1 "$T/tracing_on"

# fire EVENT CMD...: with only EVENT enabled, CMD must put an EVENT line in
# the trace; prints that line for further checks.
fire() {
	local ev=$1 line
	shift
	put "" "$T/trace"
	put 1 "$E/$ev/enable"
	bounded "$ev: $*" "$@" >/dev/null 2>&1
	put 0 "$E/$ev/enable"
	line=$(bounded "reading the trace" grep -m1 " $ev: " "$T/trace")
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

# trace_check_every=10: 1 in 10 allowed checks reaches gdl_check, the rest
# are counted in checks_untraced; denials all reach gdl_deny.  Pinned to one
# CPU, where the cycle is exact (it is per CPU).
every=/sys/module/$GDL_MODULE/parameters/trace_check_every
taskset -c 0 true 2>/dev/null && pin=(taskset -c 0) || pin=()
untraced0=$(gdl_stat checks_untraced)
put "" "$T/trace"
put 10 "$every"
put 1 "$E/gdl_check/enable"
put 1 "$E/gdl_deny/enable"
bounded "100 checks and 5 denials" "${pin[@]}" "$GDL_TOOLS/bpf_ops" checks 100 5 >/dev/null
put 0 "$E/gdl_deny/enable"
put 0 "$E/gdl_check/enable"
put 1 "$every"
traced=$(bounded "reading the trace" grep -c ' gdl_check: ' "$T/trace")
untraced=$(($(gdl_stat checks_untraced) - untraced0))
check_eq "sampled: traced + untraced = every allowed check" 100 $((traced + untraced))
if ((${#pin[@]})); then
	check_eq "sampled: 1 in 10 traced" 10 "$traced"
fi
check_eq "sampled: every denial traced" 5 "$(bounded "reading the trace" grep -c ' gdl_deny: ' "$T/trace")"

# gdl_batch (kmod/gdl_batch.c): while on, every decision is gathered in its
# CPU's batch, which goes out when full (GDL_BATCH_EVENTS), when its timer
# runs out (trace_batch_wait_ms), and when the event's last user leaves.
# Pinned to one CPU: one batch.
check "event gdl_batch exists" test -d "$E/gdl_batch"
full=$(awk '/define GDL_BATCH_EVENTS/ { print $3; exit }' "$GDL_REPO/kmod/include/uapi/gdl_events.h")
wait_ms=/sys/module/$GDL_MODULE/parameters/trace_batch_wait_ms
batches() { bounded "reading the trace" grep -o 'gdl_batch: .*' "$T/trace" | cut -d' ' -f2- | paste -sd,; }
put 60000 "$wait_ms"
put "" "$T/trace"
put 1 "$E/gdl_batch/enable"
# bpf_ops checks N: a grant, then N checks (N + 1 decisions).
bounded "a grant, 2 checks" "${pin[@]}" "$GDL_TOOLS/bpf_ops" checks 2 >/dev/null
sleep 0.2
check_eq "gdl_batch: a batch that does not fill waits (trace_batch_wait_ms=60000)" "" "$(batches)"
bounded "a grant, $((full - 1)) checks" "${pin[@]}" "$GDL_TOOLS/bpf_ops" checks $((full - 1)) >/dev/null
check_eq "gdl_batch: a full batch goes out at once" "decisions=$full dropped=0" "$(batches)"
put 0 "$E/gdl_batch/enable"
check_eq "gdl_batch: the rest goes out when the event is turned off" \
	"decisions=$full dropped=0,decisions=3 dropped=0" "$(batches)"
put 10 "$wait_ms"
put "" "$T/trace"
put 1 "$E/gdl_batch/enable"
bounded "a grant, 4 checks" "${pin[@]}" "$GDL_TOOLS/bpf_ops" checks 4 >/dev/null
sleep 0.2
check_eq "gdl_batch: a batch that does not fill goes out on its timer (10 ms)" "decisions=5 dropped=0" "$(batches)"
# A CPU going offline hands its batch over (a hotplug callback on that
# CPU): with a long wait, the only way out for a part-full batch there.
cpu1=/sys/devices/system/cpu/cpu1/online
if [[ -w $cpu1 ]] && taskset -c 1 true 2>/dev/null; then
	put 0 "$E/gdl_batch/enable"
	put 60000 "$wait_ms"
	put "" "$T/trace"
	put 1 "$E/gdl_batch/enable"
	bounded "a grant, 2 checks on CPU 1" taskset -c 1 "$GDL_TOOLS/bpf_ops" checks 2 >/dev/null
	check_eq "gdl_batch: CPU 1's part-full batch waits" "" "$(batches)"
	put 0 "$cpu1"
	check_eq "gdl_batch: CPU 1 going offline hands its batch over" "decisions=3 dropped=0" "$(batches)"
	put 1 "$cpu1"
	check_eq "CPU 1 is back online" 1 "$(cat "$cpu1")"
	put 10 "$wait_ms"
else
	skip "gdl_batch: a CPU going offline hands its batch over" "no second CPU that can go offline"
fi
put 0 "$E/gdl_batch/enable"
check_eq "gdl_batch: the decisions' own events stayed off" 0 \
	"$(bounded "reading the trace" grep -c ' gdl_check: ' "$T/trace")"

# Disabled events leave nothing behind.
put "" "$T/trace"
bounded "allocate with events off" gdl_control allocate 1 4096 0
bounded "check with events off" gdl_tool ioctl_check 1 0 0x10000 16 1 >/dev/null
check_eq "disabled events write nothing" 0 \
	"$(bounded "reading the trace" grep -cE ' gdl_[a-z_]+: ' "$T/trace")"

check "unload" bounded "unload (removes the events)" gdl_unload
check_fail "events are gone after unload" test -d "$E"
gdl_done
