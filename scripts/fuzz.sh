#!/usr/bin/env bash
# Runs the libFuzzer targets (test/fuzz/fuzz_*.c: the core API as random
# operation sequences against a model) natively under ASan + UBSan.
#
#   scripts/fuzz.sh              each target for 60 s (the CI bound)
#   scripts/fuzz.sh 3600         each target for an hour
#   scripts/fuzz.sh 0            each target until it finds something
#
# Starts from the committed seed corpus (test/fuzz/corpus/<target>/, read
# only) plus a working corpus in build/fuzz/<target>/ that grows between
# runs.  A crash leaves its input in build/fuzz/ and fails the script;
# reproduce with build/user/fuzz/<target> <crash file>.  Needs clang and
# libclang-rt-14-dev (scripts/bootstrap.sh --test installs them).
set -euo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
secs=${1:-60}
[[ $secs =~ ^[0-9]+$ ]] || die "usage: $0 [SECONDS per target, 0: no limit]"

make -s -C "$ROOT/kmod/user" fuzz
rc=0
for bin in "$ROOT"/build/user/fuzz/fuzz_*; do
	name=$(basename "$bin")
	seeds=$ROOT/test/fuzz/corpus/${name#fuzz_}
	work=$ROOT/build/fuzz/${name#fuzz_}
	mkdir -p "$work"
	step_msg "$name for ${secs}s"
	"$bin" -max_total_time="$secs" -max_len=512 -print_final_stats=1 \
		-artifact_prefix="$work/" "$work" "$seeds" || rc=1
done
exit $rc
