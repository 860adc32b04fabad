#!/usr/bin/env bash
# kernel-trace.sh: where a benchmark row's guest instructions go.
#
#   scripts/kernel-trace.sh [--top N]
#
# Boots the benchmark guest (test/vm/run.sh --bench: instruction clock,
# default mitigations; KASLR off, so the addresses the guest's /proc/kallsyms
# shows hold from boot on) with qemu's gdb stub, runs each ioctl row of the
# kernel benchmark once (bench_ioctl -T) and one CHECK with gdl_batch.bpf.o's
# programs detached and attached (bpf_overhead -T), and single-steps the
# guest through gdb from each of those ioctls' syscall entry to its return
# to user space.  Prints, per row and ioctl, the instructions executed and
# the functions they were in (exclusive counts, the N largest; default 25).
# The raw trace stays in build/bench/trace/.
#
# The counts are the instruction clock's (a `rep` instruction counts once per
# iteration), for one call and from the syscall on: a row's table figure is a
# minimum over many and includes the user side of its loop.  Takes about a
# minute and a half beyond the build.
set -euo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
cd "$ROOT"

top=25
while [ $# -gt 0 ]; do
	case "$1" in
	--top) top=${2:?--top needs a number}; shift 2 ;;
	-h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option $1 (--top N)" ;;
	esac
done
command -v gdb >/dev/null || die "gdb is not installed (apt-get install gdb)"

out=${GDL_BUILD:-$ROOT/build}/bench/trace
mkdir -p "$out"
port=$((20000 + RANDOM % 20000))
# run.sh's run directory, where the guest leaves its symbols: under our own
# TMPDIR, so it can be found while the guest runs.
rm -rf "$out/tmp" && mkdir -p "$out/tmp"

step_msg "benchmark guest with a gdb stub on 127.0.0.1:$port"
TMPDIR=$out/tmp GDL_BOOT_ARGS="nokaslr${GDL_BOOT_ARGS:+ $GDL_BOOT_ARGS}" \
GDL_QEMU_ARGS="-gdb tcp:127.0.0.1:$port" \
	test/vm/run.sh --bench --cases bench/kernel/trace --timeout 3000 >"$out/run.log" 2>&1 &
guest=$!
trap 'kill "$guest" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
	ss -ltn "sport = :$port" | grep -q LISTEN && break
	kill -0 "$guest" 2>/dev/null || { cat "$out/run.log"; die "the guest run ended before qemu listened"; }
	sleep 1
done

# Debian's System.map is a stub and the vmlinux has no symbol table: the
# guest's /proc/kallsyms is the symbol source, read before gdb attaches.
info "waiting for the guest's symbols (the module loaded)"
syms=
for _ in $(seq 1800); do
	syms=$(compgen -G "$out/tmp/gdl-vm.*/results/kallsyms" || true)
	[ -n "$syms" ] && break
	kill -0 "$guest" 2>/dev/null || { tail -n 30 "$out/run.log"; die "the guest run ended early"; }
	sleep 1
done
[ -n "$syms" ] || die "no symbols from the guest after 30 min"
cp "$syms" "$out/kallsyms"
sym() { awk -v s="$1" '$3 == s { print $1; exit }' "$out/kallsyms"; }
step_msg "tracing (progress: wc -l $out/raw.txt)"
GDL_TRACE_PORT=$port GDL_TRACE_OUT=$out/raw.txt GDL_TRACE_READY=$(dirname "$syms")/tracer-attached \
GDL_TRACE_GETPGID=0x$(sym __x64_sys_getpgid) GDL_TRACE_ENTRY=0x$(sym entry_SYSCALL_64) \
	gdb -nx -batch -x bench/kernel/trace/trace_gdb.py >"$out/gdb.log" 2>&1 ||
	{ tail -n 20 "$out/gdb.log"; die "gdb failed (see $out/gdb.log)"; }
wait "$guest" || { tail -n 30 "$out/run.log"; die "the guest run failed (see $out/run.log)"; }
trap - EXIT

last=${GDL_BUILD:-$ROOT/build}/vm/last-run
cp "$last/10-trace.log" "$out/"
# The BPF programs' symbols, saved while they were loaded.
cat "$out/kallsyms" "$last/kallsyms.bpf" >"$out/kallsyms.all" 2>/dev/null || cp "$out/kallsyms" "$out/kallsyms.all"
step_msg "instructions per ioctl, by function"
python3 bench/kernel/trace/report.py "$out/raw.txt" "$out/kallsyms.all" \
	"$out/10-trace.log" --top "$top" | tee "$out/report.txt"
