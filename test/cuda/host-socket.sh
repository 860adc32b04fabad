#!/usr/bin/env bash
# test/cuda/host-socket.sh - the CUDA interposer on the host, no module:
# the stand-in driver under LD_PRELOAD=libgdl_cuda.so, charging over the
# agent's socket: the agent itself (embedded backend, `--socket`); a
# developer may swap in test/cuda/gdl_sock_standin.c, a minimal server of the
# same wire format, with GDL_CUDA_TEST_SERVER=standin.
# Same assertions as the guest case (test/kernel/cases/74-cuda-interposer.sh):
# the quota is hit at exactly the right byte through every path, refusals
# are CUDA_ERROR_OUT_OF_MEMORY (2), cuMemGetInfo shows the quota, processes
# share one quota, kill -9 gives it back at once, the ledger equals the
# driver's live memory after a random mix; plus the no-backend policy and
# fork safety.  Ends with "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${GDL_BUILD:-$ROOT/build}/cuda
T=$(mktemp -d /tmp/gdl-cuda-host.XXXXXX)
S=$T/agent.sock
Q=$((16 << 20))
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1: $(tr '\n' ' ' <<<"$2")"; }
check_eq() { if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1" "want [$2] got [$3]"; fi; }

srv=
cleanup() {
	[[ -n $srv ]] && kill "$srv" 2>/dev/null
	jobs -p | xargs -r kill -9 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

[[ -x $B/cuda_paths && -f $B/libgdl_cuda.so ]] || { echo "build first: make -s all"; echo "0 passed, 1 failed"; exit 1; }
# A command, not a function: "$!" of a background run is then the workload.
unset GDL_CUDA_SPIN_US
under=(env LD_PRELOAD="$B/libgdl_cuda.so" GDL_SOCKET="$S" GDL_DEVICE="$T/no-module")
# wait_for FILE PATTERN: until a line matches (a workload reached its hold)
wait_for() { for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }

"$B/gdl_cuda_unit" | sed -n 's/^\(not \)\{0,1\}ok - /&interposer unit: /p' | tee "$T/unit"
pass=$((pass + $(grep -c '^ok' "$T/unit"))); fail=$((fail + $(grep -c '^not ok' "$T/unit")))

# The agent itself, always, unless a developer asks for the stand-in server
# (GDL_CUDA_TEST_SERVER=standin) to tell an interposer bug from an agent one.
server=${GDL_CUDA_TEST_SERVER:-agent}
if [[ $server == agent ]]; then
	printf 'agents:\n  - id: 4242\n    quota: %s\n    devices: [0]\n    match:\n      - uid: %s\n' "$Q" "$(id -u)" >"$T/policy.yaml"
	node "$ROOT/bin/gdl.mjs" agent --backend embedded --socket "$S" --policy "$T/policy.yaml" \
		--port 0 >"$T/srv" 2>&1 &
	srv=$!
	for _ in $(seq 150); do [[ -S $S ]] && break; sleep 0.2; done
else
	"$B/gdl_sock_standin" "$S" "$Q" >"$T/srv" &
	srv=$!
	wait_for "$T/srv" READY
fi
if [[ -S $S ]]; then ok "socket server: $server"; else not_ok "socket server ($server) starts" "$(tail -n 5 "$T/srv")"; fi

# 1. The quota at exactly the right byte, through every path.
for m in linked dlsym procaddr ptsz async pool pool_ptsz pitch managed vmm array array3d mipmap graph graphnode; do
	check_eq "$m: quota filled to the byte, one unit more is OUT_OF_MEMORY, a free makes room again, cuMemGetInfo shows the quota" \
		"$m fill=0,0,0,0 over=2 refill=0 total=$Q free=0 live=$Q" "$("${under[@]}" "$B/cuda_paths" "$m" "$Q" | head -1)"
done
check_eq "pinned host memory is not charged (reported only)" \
	"host fill=0,0,0,0 over=0 refill=0 total=$Q free=$Q live=0" "$("${under[@]}" "$B/cuda_paths" host "$Q" | head -1)"
check_eq "without the interposer the driver alone lets the program past the quota" \
	"linked fill=0,0,0,0 over=0" "$("$B/cuda_paths" linked "$Q" | head -1 | cut -d' ' -f1-3)"
check_eq "everything charged was given back" "info total=$Q free=$Q" "$("${under[@]}" "$B/cuda_paths" info)"

# A reply is polled for before the interposer sleeps on it (GDL_CUDA_SPIN_US,
# default 50): the same answers without polling, and a bad value is named.
check_eq "GDL_CUDA_SPIN_US=0 (a blocking recv from the first try): the same quota to the byte" \
	"linked fill=0,0,0,0 over=2 refill=0 total=$Q free=0 live=$Q" "$(GDL_CUDA_SPIN_US=0 "${under[@]}" "$B/cuda_paths" linked "$Q" | head -1)"
check_eq "GDL_CUDA_SPIN_US=1 (polls that mostly time out, then block): the same quota to the byte" \
	"linked fill=0,0,0,0 over=2 refill=0 total=$Q free=0 live=$Q" "$(GDL_CUDA_SPIN_US=1 "${under[@]}" "$B/cuda_paths" linked "$Q" | head -1)"
out=$(GDL_CUDA_SPIN_US=lots "${under[@]}" "$B/cuda_paths" linked "$Q" 2>"$T/err" | head -1)
check_eq "GDL_CUDA_SPIN_US=lots: the default used, the same quota to the byte" \
	"linked fill=0,0,0,0 over=2 refill=0 total=$Q free=0 live=$Q" "$out"
if grep -q 'GDL_CUDA_SPIN_US=lots: not 0..10000' "$T/err"; then ok "GDL_CUDA_SPIN_US=lots: says so on stderr"; else not_ok "bad GDL_CUDA_SPIN_US warning" "$(cat "$T/err")"; fi
polls() { "$@" "${under[@]}" env GDL_CUDA_TRACE=1 "$B/cuda_paths" info 2>&1 | sed -n 's/.*socket: polls a reply for up to \([0-9]*\) us.*/\1/p'; }
if [[ $(nproc) -ge 2 ]]; then
	check_eq "two CPUs or more: a reply is polled for up to 50 us by default" "50" "$(polls)"
fi
check_eq "GDL_CUDA_SPIN_US=0: never polled" "0" "$(polls env GDL_CUDA_SPIN_US=0)"
one_cpu=$(taskset -pc $$ | sed 's/.*: *//; s/[,-].*//')
check_eq "pinned to one CPU: never polled (it would only delay the agent)" "0" "$(polls taskset -c "$one_cpu")"

# 2. One quota, several processes; kill -9 gives it back at once.
"${under[@]}" "$B/cuda_paths" linked $((Q / 2)) hold >"$T/a" 2>&1 &
a=$!
wait_for "$T/a" HOLD || not_ok "holder starts" "$(cat "$T/a")"
check_eq "a second process gets exactly what the first left" \
	"linked fill=0,0,0,0 over=2 refill=0 total=$Q free=0" "$("${under[@]}" "$B/cuda_paths" linked $((Q / 2)) | head -1 | cut -d' ' -f1-6)"
kill -9 "$a"
wait "$a" 2>/dev/null
check_eq "after kill -9 of the holder, its half is back at once" \
	"linked fill=0,0,0,0 over=2 refill=0 total=$Q free=0" "$("${under[@]}" "$B/cuda_paths" linked "$Q" | head -1 | cut -d' ' -f1-6)"

# 3. The ledger equals the driver's live memory after a random mix.
for seed in 1 2 3; do
	"${under[@]}" "$B/cuda_paths" random "$seed" 400 "$Q" >"$T/r" 2>&1 &
	r=$!
	wait_for "$T/r" HOLD || not_ok "random $seed runs" "$(cat "$T/r")"
	live=$(sed -n 's/^random live=\([0-9]*\).*/\1/p' "$T/r")
	info=$("${under[@]}" "$B/cuda_paths" info)
	free=$(sed -n 's/.*free=\([0-9]*\).*/\1/p' <<<"$info")
	check_eq "random mix (seed $seed, $(sed -n 's/.*count=//p' "$T/r") live allocations): charged = driver's live bytes" \
		"$live" "$((Q - free))"
	kill -9 "$r"
	wait "$r" 2>/dev/null
done

# 4. Fork: the child has its own connection, so its charges leave with it.
check_eq "fork: child shares the quota on its own connection, its charges go when it exits" \
	"fork child=0,2 parent=0" "$("${under[@]}" "$B/cuda_paths" fork "$Q")"

# Threads: 8 threads allocating and freeing at once through every kind of map entry.
check_eq "8 threads x 2000 allocate/free rounds: no failure, nothing left in the driver" \
	"threads errors=0 live=0" "$("${under[@]}" "$B/cuda_paths" threads "$Q")"
check_eq "... and nothing left charged" "info total=$Q free=$Q" "$("${under[@]}" "$B/cuda_paths" info)"

# Races a real driver allows: a handle value or a VA reused by another
# thread right after a release (the stand-in reuses and waits when asked).
check_eq "a handle released (or its last mapping unmapped) while another thread gets its value, a VA unmapped while another thread maps there: charged = the driver's live bytes" \
	"races release=$((4 << 20)),$((4 << 20)) unmap=$((6 << 20)),$((6 << 20)) unmapreuse=$((4 << 20)),$((4 << 20))" \
	"$(GDL_STANDIN_REUSE=1 GDL_STANDIN_FREE_DELAY_US=100000 "${under[@]}" "$B/cuda_paths" races)"
check_eq "... and nothing left charged" "info total=$Q free=$Q" "$("${under[@]}" "$B/cuda_paths" info)"
# A pitch past the interposer's 512-byte estimate is charged in full, or refused and undone.
check_eq "a driver pitch above the estimate (1024): charged pitch x height" \
	"pitch r=0 pitch=1024 charged=1024000 live=1024000" \
	"$(GDL_STANDIN_PITCH_ALIGN=1024 "${under[@]}" "$B/cuda_paths" pitch 100 1000)"
check_eq "... and past the quota that way: OUT_OF_MEMORY, the allocation undone" \
	"pitch r=2 pitch=0 charged=0 live=0" \
	"$(GDL_STANDIN_PITCH_ALIGN=1024 "${under[@]}" "$B/cuda_paths" pitch 100 $((Q / 1024 + 1)))"

# Devices matched by PCI address, as on a real node (the stand-in server's
# "pci" devices are at the stand-in driver's bus ids): a call before cuInit,
# when the driver can name no device, gets the driver's own error, and the
# device is still found once it can.
"$B/gdl_sock_standin" "$T/pci.sock" "$Q" 2 $((1 << 30)) pci >"$T/pci-srv" &
pci_srv=$!
wait_for "$T/pci-srv" READY || not_ok "pci stand-in server starts" "$(cat "$T/pci-srv")"
check_eq "cuMemCreate before cuInit: the driver's NOT_INITIALIZED (3), and after cuInit the device is found and charged" \
	"precuinit create=3 alloc=0 charged=$((1 << 20))" \
	"$(env LD_PRELOAD="$B/libgdl_cuda.so" GDL_SOCKET="$T/pci.sock" GDL_DEVICE="$T/no-module" "$B/cuda_paths" precuinit)"
kill "$pci_srv" 2>/dev/null
wait "$pci_srv" 2>/dev/null

# 5. No backend: deny by default, allow on request (with a warning).
out=$(LD_PRELOAD=$B/libgdl_cuda.so GDL_SOCKET=$T/none GDL_DEVICE=$T/none "$B/cuda_paths" linked "$Q" 2>"$T/err" | head -1)
check_eq "no backend, default deny: every allocation is OUT_OF_MEMORY" "linked fill=2,2,2,2 over=2 refill=2" "$(cut -d' ' -f1-4 <<<"$out")"
if grep -q 'refusing GPU allocations' "$T/err"; then ok "no backend: says so on stderr"; else not_ok "no backend warning" "$(cat "$T/err")"; fi
out=$(LD_PRELOAD=$B/libgdl_cuda.so GDL_SOCKET=$T/none GDL_DEVICE=$T/none GDL_CUDA_NO_BACKEND=allow "$B/cuda_paths" linked "$Q" 2>"$T/err" | head -1)
check_eq "no backend, allow: passes through uncharged" "linked fill=0,0,0,0 over=0 refill=0" "$(cut -d' ' -f1-4 <<<"$out")"
if grep -q 'NOT governed' "$T/err"; then ok "allow: warns loudly"; else not_ok "allow warning" "$(cat "$T/err")"; fi

# 6. The driver's own errors pass unchanged (no context: INVALID_CONTEXT 201).
check_eq "GDL_CUDA_DRIVER pointing at the interposer itself is refused, not recursed into" "303" \
	"$(LD_PRELOAD=$B/libgdl_cuda.so GDL_CUDA_DRIVER=$B/libgdl_cuda.so GDL_SOCKET=$S "$B/cuda_paths" linked "$Q" 2>/dev/null | sed -n 's/^linked fill=\([0-9]*\),.*/\1/p')"

# 7. The one list and its table in docs/cuda.md agree.
check_eq "docs/cuda.md's table is cuda/gdl_cuda_ops.h's (cuda/ops-table.sh --update)" \
	"$("$ROOT/cuda/ops-table.sh")" "$(sed -n '/<!-- ops-table -->/,/<!-- \/ops-table -->/p' "$ROOT/docs/cuda.md" | sed '1d;$d')"

echo "$pass passed, $fail failed"
[[ $fail -eq 0 ]]
