#!/usr/bin/env bash
# The README's test command: every test of gpu-dma-lock, from a fresh Debian 12
# machine. Installs what is missing, then runs, in order:
#   1. the core logic natively (ASan + UBSan, fault injection, coverage)
#   2. the build of every part (module, core library, BPF objects, agent bundle),
#      then the TypeScript type check and the unit tests (uvu)
#   2b. the CUDA interposer on the host (socket format) and against NVIDIA's
#      real libcuda/libcudart (downloaded once into .cache/nvidia, uid 65534)
#   3. the dashboards and alert rules (promtool, a real Prometheus)
#   4. the module, BPF programs and agent inside Debian's kernels under qemu:
#      Debian 12's 6.1 and bookworm-backports' 6.12, one step each, booted
#      with the kernels' own bug hunters on (slub_debug, init_on_free,
#      preempt=full) and the ioctl fuzzer at 1 000 000 calls
#   5. (deep only) the debug-kernel lane: KASAN, lockdep, kmemleak, 10 M fuzz
#      calls, on a kernel built once per machine (scripts/deep-kernel.sh)
# and ends with one line "N passed, N failed" summing every step's cases;
# before it, per kernel: cases, checks, fuzzed calls, kernel complaints.
#
#   scripts/test.sh              everything but deep (deep runs too when its
#                                kernel is already built and cached)
#   scripts/test.sh native unit  only the named steps (native unit cuda fuzz
#                                dashboards vm vm-6.1 vm-6.12 deep)
set -uo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
cd "$ROOT"

bash scripts/bootstrap.sh --test || die "bootstrap failed"

LOGDIR=$(mktemp -d /tmp/gdl-test.XXXXXX)
total_pass=0
total_fail=0
failed_steps=()

# Runs one step, shows its output, then adds its cases to the totals. A step's
# count is read from its own summary line ("N passed, N failed", or uvu's
# "Passed: N" / "Total: N"); a step that fails without reporting a failure
# counts as one failed case, so nothing can fail silently.
run_step() {
	local name=$1; shift
	local log="$LOGDIR/$name.log" rc pass fail total
	step_msg "[$name] $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	# Colour codes would glue digits onto the numbers: strip them first.
	local plain="$LOGDIR/$name.plain"
	sed -E 's/\x1b\[[0-9;]*m//g' "$log" >"$plain"
	local line
	line=$(grep -aE '^(\S+: )?[0-9]+ passed, [0-9]+ failed' "$plain" | tail -1 || true)
	if [ -n "$line" ]; then
		pass=$(sed -E 's/^(\S+: )?([0-9]+) passed.*/\2/' <<<"$line")
		fail=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")
	else
		total=$(grep -aE '^\s*Total:\s+[0-9]+' "$plain" | tail -1 | grep -oE '[0-9]+' | head -1 || true)
		pass=$(grep -aE '^\s*Passed:\s+[0-9]+' "$plain" | tail -1 | grep -oE '[0-9]+' | head -1 || true)
		fail=
		[ -n "$total" ] && [ -n "$pass" ] && fail=$((total - pass))
	fi
	pass=${pass:-0}
	fail=${fail:-0}
	if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; fi
	if [ "$rc" -eq 0 ] && [ "$pass" -eq 0 ] && [ "$fail" -eq 0 ]; then pass=1; fi
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	if [ "$rc" -ne 0 ] || [ "$fail" -ne 0 ]; then
		failed_steps+=("$name")
		info "[$name] FAILED (exit $rc, $fail failed)"
	else
		info "[$name] ok ($pass passed)"
	fi
}

# Every part, built for the guest's kernel (module, BPF objects), not the
# host's: the unit tests open these BPF objects, the guest runs them.
build_for_guest() {
	local vars
	vars=$(test/vm/kernel.sh make-vars) || return 1
	# shellcheck disable=SC2086 # KVER=... KDIR=... VMLINUX=..., no spaces
	make -s all $vars
}

SELECTED=("$@")
sel() { [ ${#SELECTED[@]} -eq 0 ] || [[ " ${SELECTED[*]} " == *" $1 "* ]]; }

if sel native; then
	run_step native-tests make -s -C kmod/user test
	run_step native-coverage make -s -C kmod/user coverage
fi
if sel fuzz; then
	# libFuzzer (test/fuzz): the committed corpus, then each target 60 s, one core.
	run_step fuzz scripts/fuzz.sh --ci 60
fi
if sel unit || sel vm; then
	# The unit tests load the embedded core library and the BPF objects, and
	# the guest runs the module and the bundled agent: build them all once.
	run_step build build_for_guest
fi
if sel unit; then
	run_step typecheck npx tsc -p tsconfig.json --noEmit
	run_step unit-tests env NO_COLOR=1 npx tsx node_modules/uvu/bin.js test/unit '.test.ts$'
fi
if sel cuda; then
	# The CUDA interposer: over the agent's socket format on the host, then
	# against NVIDIA's real libcuda/libcudart (fetched once into .cache/nvidia,
	# run as uid 65534 only). Needs the build of the unit/vm steps.
	sel unit || sel vm || run_step build build_for_guest
	run_step cuda-host bash test/cuda/host-socket.sh
	run_step cuda-real-libcuda bash test/cuda/real-libcuda.sh
fi
if sel dashboards && [ -f dashboards/test.sh ]; then
	run_step dashboards bash dashboards/test.sh
fi
# The runner's own test first (about a minute): does it judge failures right,
# and does an emulator fault cost one more boot and nothing else?
if sel vm; then
	run_step vm-selftest bash test/vm/selftest.sh
fi
# The guest suite once per kernel line; "vm" selects both.
if sel vm || sel vm-6.1; then
	run_step real-kernel-6.1 test/vm/run.sh --kernel stable
fi
if sel vm || sel vm-6.12; then
	run_step real-kernel-6.12 test/vm/run.sh --kernel backports
fi
# The debug-kernel lane: asked for by name (the whole suite, no time limit
# but its own), or on its own when its kernel is already cached and the time
# left in the suite's budget (GDL_TEST_BUDGET_MIN, default 85: CI stops at 90)
# holds its last run's length and a quarter more (its limit is what is left,
# less 2 min); building it takes about 45 min of two cores.
# On its own it leaves out 85-containers, the slowest case under KASAN (8 min),
# whose module paths (cgroup bindings, ALLOC/FREE over the socket and the
# module) 20-identity, 74-cuda-interposer and 82-agent-identity run there too.
# (sel is true for every step when none is named: ask for "deep" by name.)
deep_why=
if [[ " ${SELECTED[*]} " == *" deep "* ]]; then
	run_step deep-kernel bash scripts/deep-kernel.sh --run
elif [ ${#SELECTED[@]} -eq 0 ]; then
	budget=$((${GDL_TEST_BUDGET_MIN:-85} * 60))
	left=$((budget - SECONDS))
	if ! bash scripts/deep-kernel.sh --cached >/dev/null 2>&1; then
		deep_why="no debug kernel cached on this machine (build it once with scripts/deep-kernel.sh --build; docs/testing.md says how long)"
	elif need=$(bash scripts/deep-kernel.sh --expected-seconds) && ((left < need * 5 / 4 + 120)); then
		deep_why="the suite has spent $((SECONDS / 60)) of its $((budget / 60)) min (GDL_TEST_BUDGET_MIN) and the lane takes about $((need / 60)) min; scripts/test.sh deep runs it alone"
	else
		GDL_DEEP_TIMEOUT=$((left - 120)) GDL_DEEP_SKIP=85-containers \
			run_step deep-kernel bash scripts/deep-kernel.sh --run
	fi
fi

echo
# What each kernel run reported (judge.sh's "kernel VER: ..." line).
for f in "$LOGDIR"/*.plain; do
	[ -e "$f" ] || continue
	grep -aE '^kernel [^ ]+: [0-9]+ cases' "$f" | tail -1 | sed "s/^/[$(basename "$f" .plain)] /"
done
[[ -n $deep_why ]] && echo "[deep-kernel] not run: $deep_why"
if [ ${#failed_steps[@]} -ne 0 ]; then
	echo "Failed steps: ${failed_steps[*]} (logs in $LOGDIR)"
fi
echo "${total_pass} passed, ${total_fail} failed"
[ ${#failed_steps[@]} -eq 0 ]
