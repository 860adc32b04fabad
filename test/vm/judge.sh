#!/usr/bin/env bash
# judge.sh - turn a guest run's results into a verdict
#
#   judge.sh RESULTS_DIR CONSOLE_LOG QEMU_STATUS
#
# Called by run.sh; can be run again by hand on a run kept with --keep.
# Counts every case's "ok"/"not ok" lines, adds synthetic results for what a
# case cannot report itself (it crashed, timed out, the guest died, the
# kernel warned or got tainted), prints a per-case table and, last, exactly
# "N passed, N failed".  Exits 1 if anything failed.
set -euo pipefail

results=${1:?usage: judge.sh RESULTS_DIR CONSOLE_LOG QEMU_STATUS}
console=${2:?}
qemu_rc=${3:?}

# Kernel log lines that mean the module (or the kernel) misbehaved: warnings,
# oopses, and what the bug-hunting boot options report (slub_debug's
# "BUG kmalloc-64 (Tainted: ...): Poison overwritten" and its kin, DEBUG_LIST's
# list corruption), plus what debug kernels print (KASAN, lockdep, kmemleak,
# might_sleep, UBSAN).
bad_kernel_log='WARNING:|BUG:|BUG [^ ]+ \(|kernel BUG at|Oops|Call Trace|general protection|kmemleak: [0-9]+ new suspected|still has objects'
bad_kernel_log+='|Poison overwritten|Redzone overwritten|Padding overwritten|Object padding|Freepointer corrupt'
bad_kernel_log+='|Object already free|list_(add|del) corruption|slab error|refcount_t:|UBSAN:|KASAN:|KFENCE:'
bad_kernel_log+='|possible recursive locking|inconsistent lock state|circular locking dependency|suspicious RCU usage'
bad_kernel_log+='|sleeping function called from invalid context|INFO: task .* blocked for more than'
# Taint bits a test module may set: O (out-of-tree, 4096), E (unsigned, 8192).
allowed_taint=$((4096 | 8192))
taint_letters=PFSRMBUDAWCIOELKXTN

passed=0
failed=0
checks=0
fuzzed=0
report=()
pass() { passed=$((passed + 1)); report+=("ok - $1"); }
fail() { failed=$((failed + 1)); report+=("not ok - $1: $2"); }

declare -A status=() rc=() secs=() limit=()
if [[ -f "$results/summary.tsv" ]]; then
	while IFS=$'\t' read -r n s r t l; do
		[[ "$n" == case ]] && continue
		status[$n]=$s rc[$n]=$r secs[$n]=$t limit[$n]=$l
	done <"$results/summary.tsv"
fi

echo
echo "Cases:"
while read -r rel; do
	name=$(basename "$rel" .sh)
	log=$results/$name.log
	n_ok=0 n_not_ok=0
	if [[ -f "$log" ]]; then
		n_ok=$(grep -cE '^ok( |$)' "$log" || true)
		n_not_ok=$(grep -cE '^not ok( |$)' "$log" || true)
	fi
	passed=$((passed + n_ok))
	failed=$((failed + n_not_ok))
	checks=$((checks + n_ok + n_not_ok))
	# The ioctl fuzzer reports how many calls it made: "# fuzzed calls: N".
	if [[ -f "$log" ]]; then
		n=$(sed -n 's/^# fuzzed calls: \([0-9][0-9]*\).*/\1/p' "$log" | awk '{ s += $1 } END { print s + 0 }')
		fuzzed=$((fuzzed + n))
	fi
	st=${status[$name]:-}
	case "$st" in
	"") fail "$name ran to the end" "the guest stopped before it finished"; st=missing ;;
	timeout) fail "$name finished in time" "killed after ${limit[$name]}s" ;;
	# A nonzero exit the case explained with "not ok" lines is not counted twice.
	fail | pass) [[ "${rc[$name]}" == 0 || $n_not_ok -gt 0 ]] || fail "$name exits 0" "exit ${rc[$name]}" ;;
	esac
	printf '  %-8s %-28s %4s ok %4s not ok %8ss\n' "${st^^}" "$name" "$n_ok" "$n_not_ok" "${secs[$name]:-?}"
	if [[ $n_not_ok -gt 0 ]]; then
		# head may close the pipe early; that must not end the verdict (set -e).
		grep -E '^not ok( |$)' "$log" | head -n 20 | sed 's/^/             /' || true
	fi
done <"$results/cases.list"

# The guest writes "done" after the last case: without it, it died or hung.
if [[ -f "$results/done" ]]; then
	pass "guest completed the run"
else
	fail "guest completed the run" "no results/done (qemu status $qemu_rc; timeout is 124); console tail below"
	echo "--- last lines of the serial console ($console) ---"
	tail -n 40 "$console" 2>/dev/null | tr -d '\r' || true
	echo "---"
fi

# The bug-hunting boot options took effect (guest-run.sh checked, test mode).
if [[ -f "$results/boot-checks.tap" ]]; then
	while IFS= read -r l; do
		case "$l" in
		"ok - "*) pass "${l#ok - }" ;;
		"not ok - "*) failed=$((failed + 1)); report+=("$l") ;;
		esac
	done <"$results/boot-checks.tap"
fi

kernel_log=$results/dmesg.txt
[[ -f "$kernel_log" ]] || kernel_log=$console
complaints=$(grep -cE "$bad_kernel_log" "$kernel_log" 2>/dev/null || true)
if matches=$(grep -E "$bad_kernel_log" "$kernel_log" 2>/dev/null); then
	# Name the cases during which the kernel complained.
	culprits=$(grep -lE "$bad_kernel_log" "$results"/*.dmesg 2>/dev/null | xargs -r -n1 basename | sed 's/\.dmesg$//' | tr '\n' ' ')
	fail "kernel log is clean" "$(head -n 3 <<<"$matches" | tr '\n' '|') during: ${culprits:-unknown}"
	echo "--- kernel log problems (from $kernel_log) ---"
	grep -E -B2 -A12 "$bad_kernel_log" "$kernel_log" | head -n 60 || true
	echo "---"
else
	pass "kernel log is clean"
fi
if [[ -s $results/kmemleak.txt ]]; then
	echo "--- kmemleak: objects no one references after the last case (first 60 lines) ---"
	head -n 60 "$results/kmemleak.txt"
	echo "---"
fi

if [[ -f "$results/tainted" ]]; then
	taint=$(cat "$results/tainted")
	if (((taint & ~allowed_taint) == 0)); then
		pass "kernel taint only O/E ($taint)"
	else
		letters=
		for ((b = 0; b < ${#taint_letters}; b++)); do
			(((taint >> b) & 1)) && letters+=${taint_letters:b:1}
		done
		fail "kernel taint only O/E" "tainted=$taint ($letters)"
	fi
else
	fail "kernel taint only O/E" "no results/tainted"
fi


echo
echo "Checks:"
printf '  %s\n' "${report[@]}"
ncases=$(grep -c . "$results/cases.list" 2>/dev/null || true)
# One line per run for the test command's summary (scripts/test.sh collects it).
kver=${GDL_KVER:-$(sed -n "s/^GDL_KVER='\(.*\)'$/\1/p" "$results/run.conf" 2>/dev/null)}
# A second boot after an emulator fault (run.sh) is said, never hidden.
rebooted=
[[ -s "$results/emulator-fault.txt" ]] && rebooted="; booted twice, the first boot died of the emulator: $(head -n 1 "$results/emulator-fault.txt")"
echo "kernel ${kver:-?}: ${ncases:-0} cases," \
	"$checks checks, $fuzzed fuzzed calls, ${complaints:-0} kernel complaints$rebooted"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
