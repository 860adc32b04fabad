#!/bin/bash
# guest-run.sh - run the selected cases inside the test guest
#
# Started by guest-init.sh, chrooted into the host's root.  Reads the case
# list the host wrote ($GDL_RESULTS/cases.list, paths relative to the repo
# or absolute),
# runs each case with its time limit, and leaves in $GDL_RESULTS:
#   <case>.log      everything the case printed
#   <case>.dmesg    kernel messages logged while it ran
#   summary.tsv     case, status (pass|fail|timeout), exit code, seconds, limit
#   dmesg.txt       the whole kernel log at the end
#   tainted         /proc/sys/kernel/tainted at the end
#   done            written last: the run completed (the host checks it)
# Lines for a human watching go to stdout (the serial console), prefixed
# "@@gdl " so the host can pick them out of kernel messages.
set -uo pipefail

: "${GDL_REPO:?}" "${GDL_RESULTS:?}"
export GDL_BUILD=${GDL_BUILD:-$GDL_REPO/build}
default_timeout=${GDL_CASE_TIMEOUT:-300}
results=$GDL_RESULTS
modname=gpu_dma_lock

# Progress lines carry the guest's uptime, to see where the time goes.
say() { printf '@@gdl [%6.1fs] %s\n' "$(cut -d' ' -f1 /proc/uptime)" "$*"; }

# A case may declare "# timeout: N" in its first 20 lines.
case_timeout() {
	local t
	t=$(head -n 20 "$1" | sed -n 's/^#[[:space:]]*timeout:[[:space:]]*\([0-9][0-9]*\).*/\1/p' | head -n1)
	# A slower kernel (the deep lane's KASAN build) scales every limit.
	echo $(( ${t:-$default_timeout} * ${GDL_TIMEOUT_SCALE:-1} ))
}

mapfile -t cases <"$results/cases.list"
total=${#cases[@]}
printf 'case\tstatus\trc\tseconds\ttimeout\n' >"$results/summary.tsv"
say "running $total case(s) in $GDL_MODE mode, kernel $(uname -r)"

# The bug-hunting boot options (test mode): record whether each took effect,
# as TAP lines the judge counts (a silently ignored option hunts nothing).
boot_checks() {
	local cmdline v slab=/sys/kernel/slab/kmalloc-64
	cmdline=$(cat /proc/cmdline)
	t() { if eval "$2"; then echo "ok - $1"; else echo "not ok - $1: $3"; fi; }
	if [[ " $cmdline " == *" slub_debug="* ]]; then
		for v in sanity_checks red_zone poison store_user; do
			t "slub_debug: $slab/$v is 1" '[[ "$(cat $slab/$v 2>/dev/null)" == 1 ]]' \
				"reads '$(cat $slab/$v 2>&1)'"
		done
	fi
	if [[ " $cmdline " == *" init_on_free=1 "* ]]; then
		# (slub_debug's poisoning takes precedence in slab caches, the kernel
		# says; pages are still wiped.)  grep -c: -q would SIGPIPE dmesg.
		t "init_on_free=1: the kernel wipes freed memory" \
			'[[ $(dmesg | grep -c "mem auto-init: stack:.*heap free:on") -gt 0 ]]' \
			"$(dmesg | grep 'mem auto-init: stack' | head -n1)"
	fi
	if [[ " $cmdline " == *" preempt=full "* ]]; then
		# sched/preempt is there only with SCHED_DEBUG (Debian's kernel has
		# it, the deep lane's defconfig-based one not); without it, the line
		# the kernel logs when it applies preempt= says the same.
		if [[ -e /sys/kernel/debug/sched/preempt ]]; then
			t "preempt=full: the scheduler preempts anywhere" \
				'grep -q "(full)" /sys/kernel/debug/sched/preempt' \
				"sched/preempt reads '$(cat /sys/kernel/debug/sched/preempt 2>&1)'"
		else
			t "preempt=full: the scheduler preempts anywhere (no sched/preempt: its boot line)" \
				'[[ $(dmesg | grep -c "Dynamic Preempt: full") -gt 0 ]]' \
				"no 'Dynamic Preempt: full' in the kernel log"
		fi
	fi
	echo "# cmdline: $cmdline"
}
if [[ $GDL_MODE != bench ]]; then
	boot_checks >"$results/boot-checks.tap" 2>&1
	sed 's/^/@@gdl   /' "$results/boot-checks.tap"
fi

# A kernel with kmemleak (the deep lane's): forget what boot left unreferenced,
# so that the scan after the last case reports only objects the cases leaked.
kmemleak=/sys/kernel/debug/kmemleak
if [[ -w $kmemleak ]]; then
	echo scan >"$kmemleak" 2>/dev/null
	echo clear >"$kmemleak" 2>/dev/null
	say "kmemleak: boot's suspects cleared; scanning again after the last case"
fi

i=0
for rel in "${cases[@]}"; do
	i=$((i + 1))
	[[ "$rel" == /* ]] && path=$rel || path=$GDL_REPO/$rel
	name=$(basename "$rel" .sh)
	limit=$(case_timeout "$path")
	log=$results/$name.log
	klines=$(dmesg | wc -l)
	say "[$i/$total] $name (limit ${limit}s)"

	workdir=$(mktemp -d "/tmp/case-$name.XXXXXX")
	start=$(date +%s.%N)
	# timeout makes itself a process-group leader and signals the whole
	# group, so a case's helpers die with it; its pid is the group's id.
	(cd "$workdir" && exec timeout -k 10 "$limit" bash "$path") </dev/null >"$log" 2>&1 &
	case_pid=$!
	tail -n +1 -s 0.2 -f --pid="$case_pid" "$log" | sed -u 's/^/@@gdl   /' &
	tail_pid=$!
	wait "$case_pid"
	rc=$?
	wait "$tail_pid"
	# Helpers a case left running (even after a clean exit) would hold the
	# module or the CPU for the next case.
	if kill -KILL -- "-$case_pid" 2>/dev/null; then
		echo "# killed processes $name left behind" >>"$log"
		# Until they have exited (and closed their files); orphans stay
		# zombies here, so count only the living, for 10 s at most.
		for ((w = 0; w < 100; w++)); do
			ps -e -o pgid=,stat= | awk -v g="$case_pid" '$1 == g && $2 !~ /^Z/ { n++ } END { exit n > 0 }' && break
			sleep 0.1
		done
	fi
	secs=$(echo "$start $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
	dmesg | tail -n "+$((klines + 1))" >"$results/$name.dmesg"

	if [[ $rc -eq 124 || $rc -eq 137 ]]; then
		status=timeout
	elif [[ $rc -ne 0 ]] || grep -q '^not ok' "$log"; then
		status=fail
	else
		status=pass
	fi
	# A case must leave the module unloaded; clean up so the next one starts fresh.
	if [[ -d /sys/module/$modname ]]; then
		echo "not ok - $name leaves $modname unloaded: still loaded after the case" | tee -a "$log" |
			sed 's/^/@@gdl   /'
		status=fail
		rmmod "$modname" 2>&1 | sed 's/^/@@gdl   # rmmod: /'
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$status" "$rc" "$secs" "$limit" >>"$results/summary.tsv"
	say "[$i/$total] $name: $status (exit $rc, ${secs}s)"
	rm -rf "$workdir"
done

if [[ -w $kmemleak ]]; then
	# An object counts as leaked only when two scans, more than kmemleak's
	# minimum age (5 s) apart, find no reference to it.
	say "kmemleak: scanning for objects the cases leaked"
	echo scan >"$kmemleak"
	sleep 6
	echo scan >"$kmemleak"
	cat "$kmemleak" >"$results/kmemleak.txt"
	n=$(grep -c '^unreferenced object' "$results/kmemleak.txt")
	say "kmemleak: $n unreferenced object(s)"
	# Into the kernel log, where the judge looks for complaints.
	[[ $n -eq 0 ]] || echo "gdl-guest: kmemleak: $n new suspected memory leaks (kmemleak.txt)" >/dev/kmsg
fi
dmesg >"$results/dmesg.txt"
cat /proc/sys/kernel/tainted >"$results/tainted"
sync
echo "$total" >"$results/done"
sync
say "all cases done"
