#!/usr/bin/env bash
# selftest.sh - the runner's own test: does run.sh judge failures right?
#
# Boots the guest (--no-build: needs only the kernel and busybox) with
# made-up cases that pass, print "not ok", exit nonzero, overrun their
# time limit, leave a process behind, make the kernel print a Call Trace,
# and log what slub_debug and DEBUG_LIST print when they catch a bug (written
# to /dev/kmsg: no real corruption needed), and fake the emulator's int3 oops
# then crash, which must cost one more boot and nothing else; then checks
# run.sh's verdict line by line, the bug-hunting boot options' checks and the
# per-kernel summary.  About a minute.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${GDL_BUILD:-$repo/build}

failures=0
passes=0
expect() { # expect WHAT PATTERN: PATTERN (grep -E) must be in the output
	if grep -qE -- "$2" "$out"; then
		echo "ok - $1"
		passes=$((passes + 1))
	else
		echo "not ok - $1: no line matching '$2'"
		failures=$((failures + 1))
	fi
}

mkdir -p "$build/vm"
dir=$(mktemp -d "$build/vm/selftest.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cases=$dir/cases
out=$dir/out
mkdir -p "$cases"
# shellcheck disable=SC2016 # expanded in the guest, not here
lib='. "$GDL_REPO/test/kernel/lib.sh"'

printf '%s\n' '#!/bin/bash' "$lib" 'ok "one"' 'check "true works" true' 'gdl_done' >"$cases/01-pass.sh"
printf '%s\n' '#!/bin/bash' "$lib" 'ok "fine"' 'check "false works" false' 'gdl_done' >"$cases/02-notok.sh"
printf '%s\n' '#!/bin/bash' "$lib" 'ok "before the crash"' 'exit 3' >"$cases/03-exit.sh"
printf '%s\n' '#!/bin/bash' '# timeout: 3' "$lib" 'sleep 60' >"$cases/04-timeout.sh"
printf '%s\n' '#!/bin/bash' "$lib" 'sleep 1000 &' 'ok "left a sleeper"' >"$cases/05-leftover.sh"
printf '%s\n' '#!/bin/bash' "$lib" \
	'check_fail "the sleeper of 05 is gone" pgrep -f "sleep 1000"' >"$cases/06-clean.sh"
# sysrq-l: a backtrace of every CPU, i.e. "Call Trace" in the kernel log.
printf '%s\n' '#!/bin/bash' "$lib" 'echo l >/proc/sysrq-trigger' 'ok "asked for backtraces"' \
	>"$cases/07-trace.sh"
# The reports the bug-hunting boot options produce, as the kernel words them.
printf '%s\n' '#!/bin/bash' "$lib" \
	'echo "BUG kmalloc-64 (Tainted: G           O      ): Poison overwritten" >/dev/kmsg' \
	'ok "logged a slab report"' >"$cases/08-slab.sh"
printf '%s\n' '#!/bin/bash' "$lib" \
	'echo "list_add corruption. prev->next should be next (ffff8880), but was 0000. (prev=ffff8880)." >/dev/kmsg' \
	'ok "logged a list corruption"' >"$cases/09-list.sh"
# The emulator's code-patching race, as the kernel words it, then a crash: on
# the first boot only (run.sh writes emulator-fault.txt before the second).
printf '%s\n' '#!/bin/bash' "$lib" \
	'if [[ ! -f $GDL_RESULTS/emulator-fault.txt ]]; then' \
	'  echo "<0>Oops: int3: 0000 [#1] PREEMPT SMP NOPTI" >/dev/kmsg' \
	'  echo "<0>RIP: 0010:ttwu_do_activate+0x8d/0x220" >/dev/kmsg' \
	'  echo c >/proc/sysrq-trigger' \
	'fi' 'ok "second boot"' >"$cases/10-emulator.sh"

rc=0
"$here/run.sh" --no-build --cases "$cases" --timeout 300 >"$out" 2>&1 || rc=$?
# Indented: its verdict lines are the made-up run's, not this test's.
sed 's/^/  | /' "$out"
# run.sh keeps a failed run's directory for inspection; this failure was wanted.
kept=$(sed -n 's/^run.sh: run directory kept: \([^ ]*\) .*/\1/p' "$out")
[[ -n "$kept" && -d "$kept" && "$kept" == */gdl-vm.* ]] && rm -rf "$kept"
echo "# selftest checks"
if [[ $rc -ne 0 ]]; then echo "ok - run.sh exits nonzero"; passes=$((passes + 1)); else echo "not ok - run.sh exits nonzero: 0"; failures=$((failures + 1)); fi
expect "passing case PASS" '^  PASS +01-pass +2 ok +0 not ok'
expect "not ok case FAIL" '^  FAIL +02-notok +1 ok +1 not ok'
expect "crashing case FAIL" '^  FAIL +03-exit +1 ok'
expect "its exit is reported" 'not ok - 03-exit exits 0: exit 3'
expect "slow case TIMEOUT" '^  TIMEOUT +04-timeout'
expect "its timeout is reported" 'not ok - 04-timeout finished in time: killed after 3s'
expect "a leftover process does not fail its case" '^  PASS +05-leftover'
expect "leftovers are killed before the next case" '^  PASS +06-clean +1 ok'
expect "a Call Trace fails the run and names its case" 'not ok - kernel log is clean: .*during: 07-trace'
expect "a slub_debug report fails the run and names its case" 'not ok - kernel log is clean: .*during: .*08-slab'
expect "a list corruption fails the run and names its case" 'not ok - kernel log is clean: .*during: .*09-list'
expect "the guest completed" '^  ok - guest completed the run'
expect "slub_debug=FZPU took effect" '^  ok - slub_debug: .*/poison is 1'
expect "init_on_free=1 took effect" '^  ok - init_on_free=1'
expect "preempt=full took effect" '^  ok - preempt=full'
expect "an emulator fault boots the guest once more" '^==> booting once more'
if grep -q 'Oops: int3' "$build/vm/last-run/console.boot1.log" 2>/dev/null; then
	echo "ok - the first boot's console is kept in the results"
	passes=$((passes + 1))
else
	echo "not ok - the first boot's console is kept in the results: no int3 oops in $build/vm/last-run/console.boot1.log"
	failures=$((failures + 1))
fi
expect "the second boot ran every case" '^  PASS +10-emulator +1 ok'
expect "the per-kernel summary, which says so" '^kernel [^ ]+: 10 cases, [0-9]+ checks, 0 fuzzed calls, [1-9][0-9]* kernel complaints; booted twice, the first boot died of the emulator: int3 in core kernel text at ttwu_do_activate'
expect "the final count" '^18 passed, 4 failed$'
# Its own count, last: the test command reads the final "N passed, N failed".
echo "selftest: $passes passed, $failures failed"
[[ $failures -eq 0 ]]
