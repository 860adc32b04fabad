# shellcheck shell=bash
# best-of.sh - sourced by the interposer's benchmarks (bench/cuda/host-socket.sh
# on the host, bench/kernel/cases/30-cuda.sh in the guest).
#
# best_of PAIRS FIELD CMD...: run "CMD PAIRS" 5 times and print the smallest
# FIELD=N value it printed (the least disturbed run); return 1 when a run
# printed no FIELD.
best_of() {
	local pairs=$1 field=$2 v min=
	shift 2
	for _ in 1 2 3 4 5; do
		v=$("$@" "$pairs" 2>/dev/null | sed -n "s/.*$field=\([0-9.]*\).*/\1/p")
		[[ -n $v ]] || return 1
		if [[ -z $min ]] || awk -v a="$v" -v b="$min" 'BEGIN { exit !(a < b) }'; then min=$v; fi
	done
	echo "$min"
}
