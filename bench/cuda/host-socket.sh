#!/usr/bin/env bash
# bench/cuda/host-socket.sh - what the CUDA interposer adds on the host, over
# the agent's socket (no module): one cuMemAlloc_v2 + cuMemFree_v2 pair and
# one non-memory driver call (looked up through cuGetProcAddress), against
# the stand-in driver, with and without LD_PRELOAD=libgdl_cuda.so; the agent
# is the real one, embedded backend. Next to it, the floor: one bare round
# trip of the same size between two C processes (bench/cuda/socket_floor.c),
# since any out-of-process ledger pays at least one per allocation; the
# pair's cost is also given in those round trips (round_trips), which is
# steadier than microseconds on a shared machine. The pair is timed twice: as
# shipped (a reply polled for before the interposer sleeps) and with
# GDL_CUDA_SPIN_US=0 (a blocking recv at once). Prints BENCH {json} lines (suite "cuda")
# that scripts/bench.sh puts in its table. A benchmark: nothing is asserted
# about the numbers, only that every run completed.
#
#   bench/cuda/host-socket.sh [PAIRS]   (default 20000; best of 5 runs each)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${GDL_BUILD:-$ROOT/build}/cuda
pairs=${1:-20000}
T=$(mktemp -d /tmp/gdl-cuda-bench.XXXXXX)
agent=
trap '[[ -n $agent ]] && kill "$agent" 2>/dev/null; rm -rf "$T"' EXIT
[[ -x $B/cuda_bench && -f $B/libgdl_cuda.so ]] || { echo "host-socket.sh: build first (make -s all)" >&2; exit 1; }

printf 'agents:\n  - id: 4242\n    quota: 1TiB\n    devices: [0]\n    match:\n      - uid: %s\n' "$(id -u)" >"$T/policy.yaml"
node "$ROOT/bin/gdl.mjs" agent --backend embedded --socket "$T/agent.sock" --policy "$T/policy.yaml" \
	--port 0 --metrics-port -1 --log-level warn >"$T/agent.log" 2>&1 &
agent=$!
for _ in $(seq 150); do [[ -S $T/agent.sock ]] && break; sleep 0.2; done
[[ -S $T/agent.sock ]] || { echo "host-socket.sh: the agent did not start: $(tail -n 3 "$T/agent.log")" >&2; exit 1; }

. "$ROOT/bench/cuda/best-of.sh"
best() { best_of "$pairs" "$@" || { echo "host-socket.sh: $* printed no $1" >&2; exit 1; }; }
plain=("$B/cuda_bench")
under=(env LD_PRELOAD="$B/libgdl_cuda.so" GDL_SOCKET="$T/agent.sock" GDL_DEVICE="$T/no-module" "$B/cuda_bench")
${CC:-cc} -O2 -o "$T/socket_floor" "$ROOT/bench/cuda/socket_floor.c"
rt=$(best rt_ns "$T/socket_floor")
pair0=$(best pair_ns "${plain[@]}")
pair1=$(best pair_ns "${under[@]}")
pair2=$(GDL_CUDA_SPIN_US=0 best pair_ns "${under[@]}")
call0=$(best call_ns "${plain[@]}")
call1=$(best call_ns "${under[@]}")
ppid=$(best getppid_ns "${plain[@]}")
awk -v p0="$pair0" -v p1="$pair1" -v p2="$pair2" -v c0="$call0" -v c1="$call1" -v g="$ppid" -v rt="$rt" 'BEGIN {
	added = p1 - p0
	printf "BENCH {\"suite\":\"cuda\",\"name\":\"socket_alloc_free_pair\",\"added_us\":%.2f,\"round_trips\":%.2f,\"bare_round_trip_us\":%.2f,\"ratio_to_getppid\":%.1f,\"driver_only_ns\":%.0f,\"getppid_ns\":%.0f,\"target_us\":25}\n", added / 1000, added / rt, rt / 1000, added / g, p0, g
	printf "BENCH {\"suite\":\"cuda\",\"name\":\"socket_alloc_free_pair_no_poll\",\"added_us\":%.2f,\"round_trips\":%.2f,\"ratio_to_getppid\":%.1f}\n", (p2 - p0) / 1000, (p2 - p0) / rt, (p2 - p0) / g
	printf "BENCH {\"suite\":\"cuda\",\"name\":\"non_memory_call\",\"added_ns\":%.1f,\"driver_only_ns\":%.1f}\n", c1 - c0, c0
}'
