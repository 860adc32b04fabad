#!/bin/bash
# timeout: 300
# 40-kill: a process that dies holding allocations gives back its quota.
#
# The kernel closes a SIGKILLed process's files; closing the last reference
# to an open /dev/gpu_dma_lock must free every ordinary allocation made on
# it, while persistent allocations (owned by no file) stay until freed.
# Also: a descriptor shared with a child keeps the allocations alive until
# the last holder dies, and a kill that lands while threads are inside
# ioctls on the file leaves nothing behind.
. "$GDL_REPO/test/kernel/lib.sh"

agent=4242
size=1048576
live=16
persistent=3

# agent_field AGENT FIELD: one column of the agent's /proc quotas record.
agent_field() {
	awk -v a="$1" -v f="$2" '
		/^# / { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		$1 == a { print $(col[f]); found = 1 }
		END { exit !found }' "$GDL_PROC/quotas"
}

used_is() { [[ "$(agent_field "$1" used)" == "$2" ]]; }

# listed_ids AGENT: the allocation ids /proc lists for AGENT, sorted.
listed_ids() {
	awk -v a="$1" '!/^#/ && $2 == a { print $1 }' "$GDL_PROC/allocations" | sort -n
}

# start_holder OUTFILE ARGS...: start kill_holder, wait for "ready"; sets holder_pid.
start_holder() {
	local out=$1
	shift
	"$GDL_TOOLS/kill_holder" "$@" >"$out" 2>&1 &
	holder_pid=$!
	gdl_wait_ready "$out" "$holder_pid" && return 0
	not_ok "kill_holder ready" "$(tail -n 3 "$out")"
	return 1
}

gdl_load fake_gpus=2 || exit 1
gdl_control set_agent "$agent" $((64 * size)) 0x3 || not_ok "set_agent via control" "write failed"

start_holder holder.out "$agent" "$size" "$live" "$persistent" || { gdl_unload; exit 1; }
live_ids=$(awk '$1 == "live" { print $2 }' holder.out | sort -n)
pers_ids=$(awk '$1 == "persistent" { print $2 }' holder.out | sort -n)

check_eq "used bytes while the holder lives" $(((live + persistent) * size)) "$(agent_field "$agent" used)"
check_eq "/proc lists every allocation while it lives" \
	"$(sort -n <<<"$live_ids"$'\n'"$pers_ids")" "$(listed_ids "$agent")"
owner=$(awk -v id="$(head -n1 <<<"$live_ids")" '!/^#/ && $1 == id { print $6 }' "$GDL_PROC/allocations")
check_eq "a live allocation names its owner pid" "$holder_pid" "$owner"

kill -KILL "$holder_pid"
wait "$holder_pid" 2>/dev/null
# The release runs as the dying process closes its files: done once wait returns.
check_eq "SIGKILL: used bytes drop to the persistent ones" $((persistent * size)) "$(agent_field "$agent" used)"
check_eq "SIGKILL: allocation count drops to the persistent ones" "$persistent" "$(agent_field "$agent" allocations)"
check_eq "SIGKILL: only persistent allocations stay listed" "$pers_ids" "$(listed_ids "$agent")"

for id in $pers_ids; do
	gdl_control free "$id" || not_ok "free persistent $id" "control write failed"
done
check_eq "persistent freed: used is 0" 0 "$(agent_field "$agent" used)"
check_eq "persistent freed: nothing listed" "" "$(listed_ids "$agent")"

# A descriptor shared with a child: the allocations belong to the open
# file, so they outlive the parent and go with the last holder.
start_holder shared.out -f "$agent" "$size" 4 0 || { gdl_unload; exit 1; }
parent=$holder_pid
child=$(awk '$1 == "child" { print $2 }' shared.out)
kill -KILL "$parent"
wait "$parent" 2>/dev/null
check_eq "parent killed, child still holds the file: used unchanged" $((4 * size)) "$(agent_field "$agent" used)"
kill -KILL "$child"
# The child is not ours to wait for (the holder forked it): poll until its
# exit has closed the file.
gdl_wait_for used_is "$agent" 0
check_eq "last holder killed: used back to 0" 0 "$(agent_field "$agent" used)"

# SIGKILL while several threads are inside ioctls on the same file: the
# release waits for them, then frees what every thread held.
busy_agent=4343
gdl_control set_agent "$busy_agent" $((4 * size)) 0x1 || not_ok "set_agent via control" "write failed"
leaks=0
for round in 1 2 3 4 5; do
	"$GDL_TOOLS/kill_busy" "$busy_agent" 4 >busy.out 2>&1 &
	busy_pid=$!
	if ! gdl_wait_ready busy.out "$busy_pid"; then
		not_ok "kill_busy ready (round $round)" "$(tail -n 2 busy.out)"
		kill -KILL "$busy_pid" 2>/dev/null
		break
	fi
	sleep 0.$((RANDOM % 5 + 1))
	kill -KILL "$busy_pid"
	wait "$busy_pid" 2>/dev/null
	[[ "$(agent_field "$busy_agent" used)" == 0 && -z "$(listed_ids "$busy_agent")" ]] || leaks=$((leaks + 1))
done
check_eq "SIGKILL mid-ioctl, 5 rounds x 4 threads: nothing left behind" 0 "$leaks"

s_allocs=$(gdl_stat allocs) s_frees=$(gdl_stat frees) s_live=$(gdl_stat live_allocations)
check_eq "stats: allocs - frees == live_allocations" "$s_live" $((s_allocs - s_frees))
check_eq "stats: nothing live" 0 "$s_live"

gdl_unload
gdl_done
