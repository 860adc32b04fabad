#!/bin/bash
# timeout: 300
# 20-identity: cgroups and uids become agents (issue 8, kernel side).
#
# Resolution order file > own cgroup > nearest bound ancestor > uid, rights
# of a cgroup-resolved caller, children inheriting, moves taking effect at
# the next request, isolation between two bound cgroups, unbinding, removed
# cgroups, agent removal, malformed control lines and the ioctls' ABI are in
# test/kernel/tools/ident_cgroup.c, with unprivileged (uid 65534) workers
# moved between cgroups; that no change ever leaves a stale answer in a
# file's resolution cache is in test/kernel/tools/ident_cache.c.  Here: the
# decision records' cgroup id (tracefs), that a removed cgroup is not pinned
# by its binding, and reloads with bindings in place.
. "$GDL_REPO/test/kernel/lib.sh"

CG=/sys/fs/cgroup
T=/sys/kernel/tracing
E=$T/events/gpu_dma_lock
log_start=$(dmesg | wc -l)

mounted_here=0
if ! grep -q " $CG cgroup2 " /proc/mounts; then
	mount -t cgroup2 none "$CG" || { not_ok "mount cgroup2" "mount failed"; gdl_done; exit 1; }
	mounted_here=1
fi
cleanup() {
	local d
	# Deepest first; processes left in them go back to the root.
	for d in $(find "$CG/gdl-id" -depth -type d 2>/dev/null); do
		while read -r p; do echo "$p" >"$CG/cgroup.procs" 2>/dev/null; done <"$d/cgroup.procs"
		rmdir "$d" 2>/dev/null
	done
	((mounted_here)) && umount "$CG" 2>/dev/null
}
trap cleanup EXIT
mkdir -p "$CG/gdl-id/a/a1/deep" "$CG/gdl-id/b" || { not_ok "create test cgroups" "mkdir failed"; gdl_done; exit 1; }

gdl_load fake_gpus=1 || exit 1
check "bindings is root-only (0400)" test "$(stat -c %a "$GDL_PROC/bindings")" = 400
run_tap_tool ident_cgroup "$CG"
# A file's cached resolution against moves, rebinds, unbinds, agent removal,
# uid changes and sharing (test/kernel/tools/ident_cache.c).
run_tap_tool ident_cache "$CG"
check_eq "nothing left allocated" 0 "$(gdl_stat live_allocations)"

# Decision records carry the caller's cgroup id, at the decision.
a1_id=$(stat -c %i "$CG/gdl-id/a/a1")
gdl_control set_agent 102 1048576 0x1
gdl_control grant 102 0 0x10000 0x1000 rw
echo 0 >"$T/tracing_on"; echo >"$T/trace"; echo 1 >"$T/tracing_on"
echo 1 >"$E/gdl_alloc/enable"
echo 1 >"$E/gdl_check/enable"
# A root shell moved into a1 allocates (control) and checks (ioctl) there.
sh -c "echo \$\$ >$CG/gdl-id/a/a1/cgroup.procs && echo allocate 102 4096 0 >$GDL_PROC/control && $GDL_TOOLS/ioctl_check 102 0 0x10000 16 1" >/dev/null 2>&1
gdl_control allocate 102 4096 0
echo 0 >"$E/gdl_alloc/enable"
echo 0 >"$E/gdl_check/enable"
check_eq "gdl_alloc from cgroup a1 carries a1's id" 1 "$(grep -c " gdl_alloc: .*agent=102 .*cgroup=$a1_id\$" "$T/trace")"
check_eq "gdl_check from cgroup a1 carries a1's id" 1 "$(grep -c " gdl_check: .*agent=102 .*cgroup=$a1_id\$" "$T/trace")"
check_eq "gdl_alloc from the root cgroup carries id 1" 1 "$(grep -c " gdl_alloc: .*agent=102 .*cgroup=1\$" "$T/trace")"
fmt=$(cat "$E/gdl_alloc/format")
[[ $fmt == *" cgroup_id;"* ]] && ok "tracepoint format has cgroup_id" || not_ok "tracepoint format has cgroup_id" "not in format"

# A bound cgroup that is removed is not pinned: it is freed like any other.
mkdir "$CG/gdl-id/pinned"
gdl_control bind_cgroup /gdl-id/pinned 102
rmdir "$CG/gdl-id/pinned"
dying() { awk '$1 == "nr_dying_descendants" { print $2 }' "$CG/gdl-id/cgroup.stat"; }
no_dying() { [[ $(dying) == 0 ]]; }
gdl_wait_for no_dying
check_eq "a removed bound cgroup is released (no dying descendant left)" 0 "$(dying)"
check_eq "and its binding is gone from the listing" 0 "$(grep -c pinned "$GDL_PROC/bindings")"
check "unload" gdl_unload

# Reloads with bindings in place: unload frees them, no leak, clean log.
failures=0
for ((i = 1; i <= 24; i++)); do
	gdl_load fake_gpus=1 || { failures=$((failures + 1)); break; }
	{
		gdl_control bind_cgroup /gdl-id/a $((200 + i)) &&
			gdl_control bind_cgroup /gdl-id/a/a1 $((300 + i)) &&
			gdl_control bind_uid $((1000 + i)) 7 &&
			gdl_control bind_uid 65534 8
	} 2>/dev/null || { not_ok "cycle $i: bind" "a control write failed"; failures=$((failures + 1)); }
	[[ $(grep -c . "$GDL_PROC/bindings") == 5 ]] || { not_ok "cycle $i: four bindings listed" "$(cat "$GDL_PROC/bindings")"; failures=$((failures + 1)); }
	gdl_unload || { failures=$((failures + 1)); break; }
done
check_eq "24 load/unload cycles with bindings in place" 0 "$failures"
check_eq "no leak reported and kernel log clean" "" \
	"$(dmesg | tail -n "+$((log_start + 1))" | grep -iE 'leak|WARNING:|BUG:|Call Trace|still has objects' | head -n 3)"
gdl_done
