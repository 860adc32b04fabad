#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, natively under ASan + UBSan) of the
# core API and the /proc write parsers; the targets are test/fuzz/*.c.
#
#   scripts/fuzz.sh                     every target, 60 s each
#   scripts/fuzz.sh core_ops 3600       one target (core_ops, proc_parsers,
#                                       NAME of any test/fuzz/fuzz_NAME.c;
#                                       fuzz_ prefix optional, or "all")
#   scripts/fuzz.sh all 0               every target until it finds something
#   scripts/fuzz.sh --replay            only the committed corpus, each file
#   scripts/fuzz.sh --ci [SECONDS]      the test step: replay, then each
#                                       target SECONDS (60) on one core
#
# A run starts from the committed seeds (test/fuzz/corpus/<target>/, never
# written) and a working corpus that grows between runs
# (build/fuzz/corpus/<target>/).  One libFuzzer process per target: one
# core, as the machine is shared.  A finding is written to
# build/fuzz/artifacts/<target>-crash-*; reproduce it with
# build/fuzz/fuzz_<target> FILE, minimise with -minimize_crash=1 (see
# docs/testing.md), and commit the minimised input to the corpus.  Ends with
# "N passed, N failed" (each replayed file and each run is one).
set -euo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
OUT=$ROOT/build/fuzz
# Ours, then any other test/fuzz/fuzz_NAME.c (built by test/fuzz/Makefile).
ALL=(core_ops proc_parsers)
for f in "$ROOT"/test/fuzz/fuzz_*.c; do
	[ -e "$f" ] && f=${f##*/fuzz_} && ALL+=("${f%.c}")
done

mode=run
case ${1:-} in
--replay) mode=replay; shift ;;
--ci) mode=ci; shift ;;
esac
if [ "$mode" = run ]; then
	target=${1:-all}
	secs=${2:-60}
else
	target=all
	secs=${1:-60}
fi
[[ $secs =~ ^[0-9]+$ ]] || die "usage: $0 [TARGET|all] [SECONDS] | --replay | --ci [SECONDS]"
target=${target#fuzz_}
if [ "$target" = all ]; then
	targets=("${ALL[@]}")
elif [[ " ${ALL[*]} " == *" $target "* ]]; then
	targets=("$target")
else
	die "unknown target '$target' (known: ${ALL[*]})"
fi

make -s -C "$ROOT/test/fuzz" BUILD="$ROOT/build"
mkdir -p "$OUT/artifacts"
pass=0
fail=0

# Each committed input on its own: a finding names its file.
replay() {
	local t=$1 f
	for f in "$ROOT/test/fuzz/corpus/$t"/*; do
		[ -f "$f" ] || continue
		if "$OUT/fuzz_$t" "$f" >"$OUT/replay.log" 2>&1; then
			pass=$((pass + 1))
		else
			fail=$((fail + 1))
			info "FAILED: fuzz_$t $f"
			tail -40 "$OUT/replay.log"
		fi
	done
}

fuzz() {
	local t=$1 work=$OUT/corpus/$1 log=$OUT/fuzz_$1.log
	mkdir -p "$work" "$ROOT/test/fuzz/corpus/$t"
	step_msg "fuzz_$t for ${secs}s (log: $log)"
	if "$OUT/fuzz_$t" -max_total_time="$secs" -max_len=1024 -timeout=20 \
		-print_final_stats=1 -artifact_prefix="$OUT/artifacts/$t-" \
		"$work" "$ROOT/test/fuzz/corpus/$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		grep -aE '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$log" |
			sed 's/^/    /' || true
	else
		fail=$((fail + 1))
		info "FAILED: fuzz_$t found something:"
		{ grep -aA60 -m1 -E '^==[0-9]+==|fuzz_[a-z_]+: |runtime error|deadly signal' "$log" || tail -60 "$log"; } |
			head -80 || true
		ls "$OUT/artifacts/$t-"* 2>/dev/null | sed 's/^/    input: /' || true
	fi
}

for t in "${targets[@]}"; do
	if [ "$mode" != run ]; then
		step_msg "replaying test/fuzz/corpus/$t"
		replay "$t"
	fi
	[ "$mode" = replay ] || fuzz "$t"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
