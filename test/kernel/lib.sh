# shellcheck shell=bash
# lib.sh - helpers for guest test cases (test/kernel/cases/NN-name.sh)
#
# A case runs inside the test guest, chrooted into the host's root, and
# sources this file first:
#
#   . "$GDL_REPO/test/kernel/lib.sh"
#   gdl_load fake_gpus=2
#   check "noop ioctl" "$GDL_TOOLS/some_tool" noop
#   gdl_unload
#
# Output is TAP-like: "ok - what" or "not ok - what: why"; "# ..." comments.
# The runner fails a case that prints any "not ok", exits nonzero or runs past
# its time limit (declare "# timeout: N" in the first lines to change 300 s).

set -uo pipefail

: "${GDL_REPO:?GDL_REPO is not set: run cases through test/vm/run.sh}"
GDL_BUILD=${GDL_BUILD:-$GDL_REPO/build}
GDL_RESULTS=${GDL_RESULTS:-/tmp}
GDL_MODULE=gpu_dma_lock
GDL_KO=$GDL_BUILD/kmod/$GDL_MODULE.ko
GDL_DEV=/dev/$GDL_MODULE
GDL_PROC=/proc/swarm/gpu
GDL_TOOLS=$GDL_BUILD/test/kernel
export GDL_REPO GDL_BUILD GDL_RESULTS GDL_TOOLS

# Counts what this case reported, so gdl_done can tell the runner.
GDL_OK=0
GDL_NOT_OK=0

ok() {
	GDL_OK=$((GDL_OK + 1))
	echo "ok - $1"
}

# not_ok WHAT WHY
not_ok() {
	GDL_NOT_OK=$((GDL_NOT_OK + 1))
	# One line per result: a multi-line reason would break the TAP stream.
	echo "not ok - $1: $(tr '\n' ' ' <<<"${2:-failed}" | sed 's/ *$//')"
}

# skip WHAT WHY: a TAP skip; counts as passed, says why in the log.
skip() {
	GDL_OK=$((GDL_OK + 1))
	echo "ok - $1 # SKIP ${2:-}"
}

comment() { echo "# $*"; }

# check WHAT CMD ARGS...: ok when CMD exits 0; else not ok with its output.
check() {
	local what=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [[ $rc -eq 0 ]]; then
		ok "$what"
	else
		not_ok "$what" "exit $rc: $(tail -n 3 <<<"$out")"
	fi
	return $rc
}

# check_fail WHAT CMD ARGS...: ok when CMD exits nonzero.
check_fail() {
	local what=$1 out
	shift
	if out=$("$@" 2>&1); then
		not_ok "$what" "expected failure, got success: $(tail -n 3 <<<"$out")"
		return 1
	fi
	ok "$what"
}

# check_eq WHAT EXPECTED ACTUAL
check_eq() {
	if [[ "$2" == "$3" ]]; then
		ok "$1"
	else
		not_ok "$1" "expected '$2', got '$3'"
		return 1
	fi
}

gdl_loaded() { [[ -d /sys/module/$GDL_MODULE ]]; }

# gdl_wait_for COND_CMD... : poll until it succeeds, up to GDL_WAIT_S
# seconds (default 20: the guest is emulated and slow).
gdl_wait_for() {
	local deadline=$((SECONDS + ${GDL_WAIT_S:-20}))
	while ((SECONDS <= deadline)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# gdl_wait_ready FILE PID: wait for the line "ready" in FILE, written by the
# background tool PID; fails at once if the tool exits first.
gdl_wait_ready() {
	local file=$1 pid=$2
	gdl_wait_for _gdl_ready_or_dead "$file" "$pid" && grep -qx ready "$file"
}
_gdl_ready_or_dead() { grep -qx ready "$1" || ! kill -0 "$2" 2>/dev/null; }

# gdl_load [param=value...]: (re)load the module with these parameters and
# wait for its device node.  Prints "not ok" and returns 1 on failure.
gdl_load() {
	local out
	if [[ ! -f "$GDL_KO" ]]; then
		not_ok "load $GDL_MODULE" "$GDL_KO not built (make all)"
		return 1
	fi
	gdl_loaded && { gdl_unload || return 1; }
	if ! out=$(insmod "$GDL_KO" "$@" 2>&1); then
		not_ok "load $GDL_MODULE $*" "insmod: $out"
		return 1
	fi
	if ! gdl_wait_for test -c "$GDL_DEV"; then
		not_ok "load $GDL_MODULE $*" "$GDL_DEV did not appear"
		return 1
	fi
	return 0
}

_gdl_unused() { [[ $(cat "/sys/module/$GDL_MODULE/refcnt" 2>/dev/null) == 0 ]]; }

# gdl_unload: remove the module if loaded; its device node must go with it.
# A BPF program's references on the module (its tp_btf target, its kfuncs)
# go in a deferred work after its last fd closes: a module still referenced
# right after a consumer exited gets up to 5 s for that before rmmod.
gdl_unload() {
	local out
	gdl_loaded || return 0
	GDL_WAIT_S=5 gdl_wait_for _gdl_unused ||
		comment "unload: refcnt still $(cat "/sys/module/$GDL_MODULE/refcnt" 2>/dev/null) after waiting"
	if ! out=$(rmmod "$GDL_MODULE" 2>&1); then
		not_ok "unload $GDL_MODULE" "rmmod: $out"
		return 1
	fi
	if ! gdl_wait_for test ! -e "$GDL_DEV"; then
		not_ok "unload $GDL_MODULE" "$GDL_DEV still exists after rmmod"
		return 1
	fi
	return 0
}

# gdl_control CMD...: one command to /proc/swarm/gpu/control.
gdl_control() {
	echo "$*" >"$GDL_PROC/control"
}

# gdl_stat NAME: one value from /proc/swarm/gpu/stats ("name value" lines).
gdl_stat() {
	awk -v n="$1" '$1 == n { print $2; found = 1 } END { exit !found }' "$GDL_PROC/stats"
}

# gdl_stat_is NAME VALUE: the stats line NAME reads VALUE now (a condition
# for gdl_wait_for: it re-reads the file each time).
gdl_stat_is() {
	[[ $(gdl_stat "$1") == "$2" ]]
}

# check_objects_back OBJECTS: kernel_objects returns to OBJECTS, its value at
# load.  Objects replaced under RCU are freed after a grace period, and a
# child's last close may still be under way: wait (re-reading) first.
check_objects_back() {
	gdl_wait_for gdl_stat_is kernel_objects "$1"
	check_eq "kernel_objects back to its value at load" "$1" "$(gdl_stat kernel_objects)"
}

# dmesg_has PATTERN: the kernel log holds a line matching PATTERN.  Not
# "dmesg | grep -q": grep -q stops at the first match, dmesg then dies of
# SIGPIPE, and with pipefail a line that is there would read as missing.
dmesg_has() { dmesg | grep -e "$1" >/dev/null; }

# check_no_leak: after unload, the module reported no leaked kernel object.
check_no_leak() {
	local leaks
	leaks=$(dmesg | grep 'gpu_dma_lock: leak')
	if [[ -n $leaks ]]; then
		not_ok "no leaked kernel objects" "$leaks"
	else
		ok "no leaked kernel objects"
	fi
}

# gdl_tool NAME ARGS...: run an in-guest C tool from build/test/kernel.
gdl_tool() {
	local tool=$GDL_TOOLS/$1
	shift
	if [[ ! -x "$tool" ]]; then
		echo "$tool not built (make all)" >&2
		return 127
	fi
	"$tool" "$@"
}

# gdl_done: last line of a case; exit status says whether it all passed.
gdl_done() {
	echo "# $GDL_OK ok, $GDL_NOT_OK not ok"
	[[ $GDL_NOT_OK -eq 0 ]]
}

# run_tap_tool NAME ARGS...: run an in-guest tool that prints TAP lines
# itself (exit 0 all ok, 1 some "not ok", else it could not run); its lines
# pass through and count towards this case.
run_tap_tool() {
	local name=$1 out rc line
	shift
	out=$(gdl_tool "$name" "$@" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case "$line" in
		"not ok"*) GDL_NOT_OK=$((GDL_NOT_OK + 1)) ;;
		ok*) GDL_OK=$((GDL_OK + 1)) ;;
		esac
		echo "$line"
	done <<<"$out"
	if [[ $rc -gt 1 ]]; then
		not_ok "$name runs to the end" "exit $rc"
	elif [[ $rc -eq 1 ]] && ! grep -q '^not ok' <<<"$out"; then
		not_ok "$name reports its failure" "exit 1 without a 'not ok' line"
	fi
	return "$rc"
}
