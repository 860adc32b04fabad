#!/usr/bin/env bash
# emulator-fault.sh CONSOLE - did the guest kernel die of the emulator's
# code-patching race rather than of anything under test?
#
# Prints one line naming the fault and exits 0 when the FIRST oops on the serial
# console is "Oops: int3" with its RIP in the core kernel's text (no
# "[module]" after the symbol); exits 1 otherwise (no oops, another kind of
# oops, or a breakpoint inside a module, gpu_dma_lock's included).
#
# Why that signature: the kernel rewrites its own code live (static keys,
# tracepoints being switched on and off) by planting an int3, syncing every CPU
# with an IPI, then writing the rest.  Its int3 handler recognises its own
# breakpoint only while that patch is in flight, and on real hardware no CPU can
# execute the int3 after the final sync.  Under qemu's multi-threaded TCG a
# vCPU that was halted during the patch can still run a stale translation
# holding the int3 afterwards, and the kernel then oopses in whatever core
# function held the patch site (seen on Debian's 6.12: sched_clock_cpu at boot
# and ttwu_do_activate while the tracepoint case switched events).  Nothing
# this project runs plants breakpoints in core kernel text.
set -euo pipefail

console=${1:?usage: emulator-fault.sh CONSOLE_LOG}
[[ -r "$console" ]] || exit 1

# The first oops's kind ("int3", "general protection fault", ...) and the
# first RIP after it ("ttwu_do_activate+0x8d/0x220", or "f+0x1/0x2 [module]").
# awk reads the file itself: behind a pipe, its early exit would kill the
# writer with SIGPIPE, and pipefail would turn a match into a failure.
first=$(awk '
	{ gsub(/\r/, "") }
	!seen && /Oops: / { seen = 1; kind = $0; sub(/.*Oops: /, "", kind); sub(/:.*/, "", kind); next }
	seen && /RIP: / { rip = $0; sub(/.*RIP: [0-9a-f]+:/, "", rip); print kind "|" rip; exit }
' "$console")
kind=${first%%|*}
rip=${first#*|}
[[ "$kind" == int3 ]] || exit 1
# A core kernel symbol only: a module's is followed by " [module]".
[[ "$rip" =~ ^[A-Za-z_][A-Za-z0-9_.]*\+0x[0-9a-f]+/0x[0-9a-f]+$ ]] || exit 1
echo "int3 in core kernel text at $rip (qemu TCG ran a stale copy of a live-patched site)"
