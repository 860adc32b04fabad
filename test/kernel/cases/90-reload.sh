#!/bin/bash
# timeout: 400
# 90-reload: 24 unload/reload cycles with state left behind on purpose.
#
# Unload must always be safe (docs/design.md): persistent allocations and
# grants are freed by the unload itself, an open file pins the module
# (delete_module fails until it is closed: with EWOULDBLOCK, which 6.1
# returns for a module in use, the errno rmmod(8) reports as "in use";
# EBUSY would mean something else, e.g. a module still loading), and nothing
# of the module
# survives it: no /proc/swarm/gpu, no device node, no slab cache, no
# complaint in the kernel log.
. "$GDL_REPO/test/kernel/lib.sh"

cycles=24
agent=77
mib=1048576
log_start=$(dmesg | wc -l)

rmmod_result() { "$GDL_TOOLS/reload_rmmod" "$GDL_MODULE"; }

# expect_pinned CYCLE WHAT: the module is in use and refuses to go.
expect_pinned() {
	local refs busy
	refs=$(cat "/sys/module/$GDL_MODULE/refcnt")
	busy=$(rmmod_result)
	# EAGAIN and EWOULDBLOCK are one errno on Linux; glibc names it EAGAIN.
	if [[ "$busy" != EAGAIN || "$refs" -lt 1 ]]; then
		not_ok "cycle $1: unload $2 is refused" "delete_module: '$busy', refcnt $refs"
		failures=$((failures + 1))
	fi
}

# gone WHAT: after an unload, nothing of the module may be visible.
module_gone() {
	[[ ! -e $GDL_PROC && ! -e $GDL_DEV && ! -d /sys/module/$GDL_MODULE ]] &&
		! grep -q "^$GDL_MODULE " /proc/modules
}

failures=0
for ((i = 1; i <= cycles; i++)); do
	# Alternate the parameters so that both debug paths load and unload.
	if ! gdl_load fake_gpus=2 debug=$((i % 2)) default_quota=$(((i % 3) * mib)); then
		failures=$((failures + 1))
		break
	fi
	{
		gdl_control set_agent "$agent" $((64 * mib)) 0x3 &&
			gdl_control allocate "$agent" $((i * mib)) 0 &&
			gdl_control allocate "$agent" $mib 1 &&
			gdl_control grant "$agent" 0 $((i * 4096)) 8192 rw &&
			gdl_control grant "$agent" 1 0 4096 r
	} 2>/dev/null || { not_ok "cycle $i: set up state through control" "a control write failed"; failures=$((failures + 1)); }

	case $((i % 3)) in
	0)	# An open file pins the module.
		exec {fd}<>"$GDL_DEV"
		expect_pinned "$i" "with an open file"
		exec {fd}>&-
		;;
	1)	# A process holding live allocations pins it too, until it dies.
		"$GDL_TOOLS/kill_holder" "$agent" 4096 8 0 >holder.out 2>&1 &
		holder=$!
		gdl_wait_ready holder.out "$holder" || not_ok "cycle $i: kill_holder ready" "$(tail -n 2 holder.out)"
		expect_pinned "$i" "under a process holding allocations"
		kill -KILL "$holder"
		wait "$holder" 2>/dev/null
		;;
	esac

	removed=$(rmmod_result)
	if [[ "$removed" != removed ]]; then
		not_ok "cycle $i: unload with persistent allocations and grants" "$removed"
		failures=$((failures + 1))
		rmmod "$GDL_MODULE" 2>/dev/null
	elif ! gdl_wait_for module_gone; then
		not_ok "cycle $i: nothing left after unload" "still there: $(for p in "$GDL_PROC" "$GDL_DEV"; do [[ -e $p ]] && echo -n "$p "; done)"
		failures=$((failures + 1))
	fi
done
check_eq "$cycles load/unload cycles with live state" 0 "$failures"

check "after the cycles: /proc/swarm/gpu is gone" test ! -e "$GDL_PROC"
check "after the cycles: $GDL_DEV is gone" test ! -e "$GDL_DEV"
check_eq "no slab cache of the module survives" "" "$(grep -iE '^(gdl|gpu_dma)' /proc/slabinfo 2>/dev/null | cut -d' ' -f1)"
check_eq "kernel log clean during the cycles" "" \
	"$(dmesg | tail -n "+$((log_start + 1))" | grep -iE 'WARNING:|BUG:|leak|still has objects|Call Trace' | head -n 3)"
# One last load proves the module still loads after all that.
gdl_load fake_gpus=1 && check "a final load answers GET_STATS-backed /proc stats" test -r "$GDL_PROC/stats"
gdl_unload
gdl_done
