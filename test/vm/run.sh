#!/usr/bin/env bash
# run.sh - build everything, boot the Debian test kernel under qemu, run the
# guest test cases (or the kernel benchmarks) in it, and judge the results.
#
#   test/vm/run.sh                  every test/kernel/cases/*.sh
#   test/vm/run.sh --only REGEX     cases whose file name matches REGEX
#   test/vm/run.sh --skip REGEX     all but the cases whose file name matches
#   test/vm/run.sh --bench          bench/kernel/cases/*.sh instead, on the
#                                   instruction clock (-icount shift=0 -smp 1)
#   test/vm/run.sh --kernel backports   Debian's newer kernel (6.12) instead of 6.1
#   options: --keep (keep the run directory), --timeout S (whole run, default
#            2400), --case-timeout S (default per case, 300), --no-build,
#            --accel tcg|kvm|auto (default tcg: KVM cannot boot a guest here),
#            --cases DIR (run DIR/*.sh instead: test/vm/selftest.sh uses it),
#            --kernel stable|backports|deep (default $GDL_KERNEL or stable;
#            deep: the debug kernel of scripts/deep-kernel.sh)
#
# Test boots switch on the stock kernel's own checkers (slub_debug=FZPU
# init_on_free=1 preempt=full) and verify they took effect.  Fails on any
# "not ok", any case that exits nonzero or times out, a kernel log with a
# warning, oops, slab or list-corruption report (test/vm/judge.sh), or taint
# beyond O (out-of-tree) and E (unsigned).  A guest whose kernel dies of qemu's
# own code-patching race (test/vm/emulator-fault.sh) boots once more, and the
# verdict says so.  Ends with the line "N passed, N failed".  See
# docs/testing.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${GDL_BUILD:-$repo/build}

only=
skip=
mode='test'
case_dir=
keep=0
run_timeout=${GDL_VM_TIMEOUT:-2400}
case_timeout=${GDL_CASE_TIMEOUT:-300}
do_build=1
accel=${GDL_ACCEL:-tcg}
kernel_line=${GDL_KERNEL:-stable}

usage() { sed -n '2,17s/^# \{0,1\}//p' "$0"; exit "${1:-0}"; }
die() { echo "run.sh: $*" >&2; exit 1; }
info() { echo "==> $*"; }

while [[ $# -gt 0 ]]; do
	case "$1" in
	--only) only=${2:?--only needs a REGEX}; shift 2 ;;
	--skip) skip=${2:?--skip needs a REGEX}; shift 2 ;;
	--bench) mode=bench; shift ;;
	--keep) keep=1; shift ;;
	--timeout) run_timeout=${2:?--timeout needs seconds}; shift 2 ;;
	--case-timeout) case_timeout=${2:?--case-timeout needs seconds}; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--accel) accel=${2:?--accel needs tcg, kvm or auto}; shift 2 ;;
	--cases) case_dir=$(cd "${2:?--cases needs a directory}" && pwd); shift 2 ;;
	--kernel) kernel_line=${2:?--kernel needs stable or backports}; shift 2 ;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown option $1" >&2; usage 2 ;;
	esac
done
[[ "$run_timeout" =~ ^[0-9]+$ && "$case_timeout" =~ ^[0-9]+$ ]] || die "timeouts are whole seconds"
[[ $accel =~ ^(tcg|kvm|auto)$ ]] || die "--accel must be tcg, kvm or auto"
[[ $kernel_line =~ ^(stable|backports|deep)$ ]] || die "--kernel must be stable, backports or deep"
export GDL_KERNEL=$kernel_line

# --- Select the cases ---------------------------------------------------------
# Paths relative to the repo (the guest sees it at the same place), or absolute.
if [[ -z "$case_dir" ]]; then
	if [[ $mode == bench ]]; then case_dir=bench/kernel/cases; else case_dir=test/kernel/cases; fi
fi
[[ "$case_dir" == /* ]] && case_root= || case_root=$repo/
cases=()
for f in "$case_root$case_dir"/*.sh; do
	[[ -f "$f" ]] || continue
	name=$(basename "$f")
	if [[ -n "$only" ]] && ! grep -Eq -- "$only" <<<"$name"; then continue; fi
	if [[ -n "$skip" ]] && grep -Eq -- "$skip" <<<"$name"; then
		info "skipping $name (--skip '$skip')"
		continue
	fi
	cases+=("$case_dir/$name")
done
[[ ${#cases[@]} -gt 0 ]] || die "no case in $case_dir matches '${only:-*}'${skip:+ and not '$skip'}"

# --- Build ----------------------------------------------------------------------
"$here/ensure-deps.sh"
if [[ $kernel_line == backports ]]; then
	# Resolved at run time; falls back to the cached tree without network.
	"$here/fetch-kernel.sh" >/dev/null || die "could not fetch the backports kernel"
fi
kver=$("$here/kernel.sh" version)
kdir=$("$here/kernel.sh" kdir)
moddir=$("$here/kernel.sh" moddir)
# One build tree per kernel: the stable kernel keeps build/, any other gets
# build/k/<version> (module, BPF objects against its BTF, tools, agent).
if [[ $kernel_line != stable && -z "${GDL_BUILD:-}" ]]; then
	build=$repo/build/k/$kver
fi
export GDL_BUILD=$build
# Before make: the module's BTF and the BPF programs' vmlinux.h are
# generated from this vmlinux (make defaults to the host's kernel).
vmlinux=$("$here/kernel.sh" vmlinux)
boot_image=$("$here/kernel.sh" boot)
if [[ $do_build -eq 1 ]]; then
	info "building (make all, kernel $kver)"
	mkdir -p "$build"
	# Engineers share one tree: one make at a time.
	if ! flock "$build/.make.lock" make -C "$repo" --no-print-directory all \
		KVER="$kver" KDIR="$kdir" VMLINUX="$vmlinux" BUILD="$build"; then
		die "build failed (make all); fix it or use --no-build"
	fi
	# The guest cases' OTLP receiver, bundled like the agent (a test
	# fixture: the product's bundle leaves it out).
	if ! flock "$build/.make.lock" node "$repo/agent/bundle.mjs" otlp-sink="$repo/test/fixtures/otlp-sink.ts"; then
		die "build failed (OTLP sink bundle)"
	fi
	if [[ $mode == bench ]] && ! flock "$build/.make.lock" make -C "$repo/bench/kernel" \
		--no-print-directory KVER="$kver" KDIR="$kdir" BUILD="$build" ROOT="$repo"; then
		die "build failed (bench/kernel)"
	fi
fi
initramfs=$("$here/initramfs.sh" "$kver" "$build/vm" "$moddir")

# --- A private directory per run: several engineers run at once ------------------
run_dir=$(mktemp -d "${TMPDIR:-/tmp}/gdl-vm.XXXXXX")
results=$run_dir/results
console=$run_dir/console.log
mkdir -p "$results"
qemu_pid=
tail_pid=
# shellcheck disable=SC2317 # reached through the traps below
cleanup() {
	local rc=$?
	set +e # best effort from here: a failed kill or wait must not skip the rest
	[[ -n "$qemu_pid" ]] && kill "$qemu_pid" 2>/dev/null && wait "$qemu_pid" 2>/dev/null
	[[ -n "$tail_pid" ]] && kill "$tail_pid" 2>/dev/null && wait "$tail_pid" 2>/dev/null
	if [[ $keep -eq 1 || $rc -ne 0 ]]; then
		echo "run.sh: run directory kept: $run_dir (console.log, results/)" >&2
	else
		rm -rf "$run_dir"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Paths the guest must see that its own /tmp and /run would hide.
host_paths=()
for p in "$repo" "$build" "$case_root$case_dir"; do
	case "$p" in
	/tmp/* | /run/*) host_paths+=("$p") ;;
	esac
	[[ "$p" != *[[:space:]]* ]] || die "paths with spaces are not supported: '$p'"
done

printf '%s\n' "${cases[@]}" >"$results/cases.list"
cat >"$results/run.conf" <<CONF
GDL_REPO='$repo'
GDL_BUILD='$build'
GDL_MODE='$mode'
GDL_CASE_TIMEOUT='$case_timeout'
GDL_HOST_PATHS='${host_paths[*]}'
GDL_KERNEL='$kernel_line'
GDL_KVER='$kver'
GDL_FUZZ_CALLS='${GDL_FUZZ_CALLS:-}'
GDL_TIMEOUT_SCALE='${GDL_TIMEOUT_SCALE:-1}'
CONF

# --- Boot ------------------------------------------------------------------------
# PVH boot of the uncompressed vmlinux: no firmware, no decompression.
# Test boots:
#   slub_debug=FZPU init_on_free=1 preempt=full: the stock kernel's own bug
#   hunters (slab sanity checks, red zones, poisoning, owner tracking; freed
#   memory wiped; preemption anywhere, so races open up); guest-run.sh checks
#   each took effect and judge.sh fails the run on any report.
#   mitigations=off: page-table isolation makes every syscall flush the
#   emulated TLB, which TCG pays dearly for.
# Benchmark boots: the guest's default mitigations (what nodes run), no debug
#   options, one vCPU on qemu's instruction clock (-icount shift=0: the guest
#   clock advances 1 ns per instruction, so a timed loop counts instructions,
#   identically on every run; -smp 2 with icount crawls).
# Both: tsc=reliable: TCG's vCPUs read one virtual TSC, but the kernel's sync
# check marks it unstable and falls back to the emulated HPET, where every
# clock read (clock_gettime, bpf_ktime_get_ns, each tracepoint's timestamp) is
# an MMIO exit costing about half a microsecond.
# GDL_BOOT_ARGS adds to the kernel command line; GDL_QEMU_ARGS to qemu's
# (words split on spaces: scripts/kernel-trace.sh adds a gdb stub).
debug_boot_args='slub_debug=FZPU init_on_free=1 preempt=full'
# KASAN's shadow memory and kmemleak's records need more room.
mem=2G
[[ $kernel_line == deep ]] && mem=3G
# qemu_args ACCEL RESULTS_DIR CONSOLE_LOG: sets qemu_argv, the command line.
qemu_args() {
	local cpus=(-smp 2) append="console=ttyS0 panic=-1 quiet log_buf_len=8M tsc=reliable"
	if [[ $mode == bench ]]; then
		cpus=(-smp 1)
		# The instruction clock is TCG's (a KVM guest runs on real time).
		[[ $1 == tcg ]] && cpus+=(-icount shift=0)
	else
		append+=" mitigations=off $debug_boot_args"
	fi
	append+=${GDL_BOOT_ARGS:+ $GDL_BOOT_ARGS}
	qemu_argv=(
		-accel "$1" -m "$mem" "${cpus[@]}" -nodefaults -nographic -no-reboot
		-monitor none -serial "file:$3"
		-kernel "$boot_image" -initrd "$initramfs"
		-append "$append"
		-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$2,mount_tag=results,security_model=none"
	)
	# shellcheck disable=SC2206 # words on purpose
	[[ -n ${GDL_QEMU_ARGS:-} ]] && qemu_argv+=($GDL_QEMU_ARGS)
	return 0
}

# --accel auto: KVM only if a guest really boots with it, within 30 s.  (On
# this project's hosts it does not: nested KVM hangs or dies.)
if [[ $accel == auto ]]; then
	accel=tcg
	if [[ -w /dev/kvm ]]; then
		info "probing KVM (30 s at most)"
		probe=$run_dir/kvm-probe
		mkdir -p "$probe"
		: >"$probe/cases.list"
		cp "$results/run.conf" "$probe/run.conf"
		qemu_args kvm "$probe" "$run_dir/kvm-probe.log"
		timeout -k 5 30 qemu-system-x86_64 "${qemu_argv[@]}" </dev/null >/dev/null 2>&1 || true
		[[ -f "$probe/done" ]] && accel=kvm
	fi
	info "accelerator: $accel"
fi
# The cases need to know whether guest nanoseconds are instructions.
[[ $mode == bench && $accel == tcg ]] && clock=icount || clock=real
echo "GDL_CLOCK='$clock'" >>"$results/run.conf"

# boot LIMIT: one run of the guest, killed after LIMIT seconds; sets qemu_rc.
boot() {
	qemu_args "$accel" "$results" "$console"
	info "booting $kver under qemu ($accel, ${#cases[@]} case(s), limit ${1}s)"
	local started=$SECONDS
	timeout -k 10 "$1" qemu-system-x86_64 "${qemu_argv[@]}" </dev/null &
	qemu_pid=$!
	# Show the guest's progress lines as they come (tail exits with qemu).
	touch "$console"
	tail -n +1 -F --pid="$qemu_pid" "$console" 2>/dev/null |
		sed -un 's/\r$//; s/^@@gdl //p' &
	tail_pid=$!
	qemu_rc=0
	wait "$qemu_pid" || qemu_rc=$?
	qemu_pid=
	wait "$tail_pid" 2>/dev/null || true
	tail_pid=
	local elapsed=$((SECONDS - started))
	case $qemu_rc in
	0) info "guest exited after ${elapsed}s" ;;
	124 | 137) info "the guest did not finish within ${1}s: qemu killed (raise --timeout?)" ;;
	*) info "qemu failed (status $qemu_rc) after ${elapsed}s: see $console" ;;
	esac
}
first_boot=$SECONDS
boot "$run_timeout"
# One more boot, from a clean results directory, only when the guest kernel
# died of qemu's own code-patching race (test/vm/emulator-fault.sh says why
# that is not this project's code), within what is left of the run's limit.
# The judge records it in the verdict.
left=$((run_timeout - (SECONDS - first_boot)))
if [[ ! -f "$results/done" ]] && ((left >= 60)) && fault=$("$here/emulator-fault.sh" "$console"); then
	info "the guest kernel died of the emulator, not of a case: $fault"
	info "booting once more; the first console is kept as console.boot1.log in the results"
	find "$results" -mindepth 1 ! -name cases.list ! -name run.conf -exec rm -rf {} +
	# In the results, not the run directory: a run that then passes
	# removes the run directory, but its results are kept as last-run.
	mv "$console" "$results/console.boot1.log"
	echo "$fault" >"$results/emulator-fault.txt"
	boot "$left"
fi

# --- Judge -----------------------------------------------------------------------
if [[ $mode == bench ]]; then
	# The run directory goes away; the numbers stay (latest run only).  A
	# run with no records (scripts/kernel-trace.sh's) leaves the last ones.
	mkdir -p "$build/bench"
	records=$(cat "$results"/*.log 2>/dev/null | sed -n 's/^BENCH //p' || true)
	if [[ -n $records ]]; then
		printf '%s\n' "$records" >"$build/bench/kernel.jsonl"
		info "benchmark records: $build/bench/kernel.jsonl ($(wc -l <"$build/bench/kernel.jsonl") lines)"
	fi
fi
# Last: its final line is the verdict, "N passed, N failed".
verdict=0
GDL_KVER=$kver "$here/judge.sh" "$results" "$console" "$qemu_rc" | tee "$results/verdict.txt" || verdict=$?
# A copy of the latest run's results (for CI artifacts), whatever the verdict.
last=$build/vm/last-run
cp "$console" "$results/console.log"
rm -rf "$last.tmp.$$" && cp -r "$results" "$last.tmp.$$" && rm -rf "$last" && mv "$last.tmp.$$" "$last" ||
	echo "run.sh: could not save $last" >&2
exit "$verdict"
