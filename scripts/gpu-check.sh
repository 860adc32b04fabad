#!/usr/bin/env bash
# scripts/gpu-check.sh - the CUDA interposer on a real GPU, in one run (< 8 min).
#
# Builds libgdl_cuda.so, starts the agent in embedded mode serving its socket
# with one agent of a 2 GiB quota (falls back to the socket stand-in
# build/cuda/gdl_sock_standin, same wire format, when this checkout's agent
# cannot serve a socket), and runs real programs under LD_PRELOAD:
#   - PyTorch, default caching allocator: allocation ladder until
#     torch.OutOfMemoryError at the quota; torch.cuda.mem_get_info shows it
#   - the same with PYTORCH_CUDA_ALLOC_CONF=backend:cudaMallocAsync
#   - memory back after a normal exit and after kill -9
#   - a CUDA graph that allocates (stream capture with cudaMallocAsync)
#   - two processes sharing one agent's quota
# and prints a table; exit status 0 when every row passed.
#
#   scripts/gpu-check.sh [QUOTA_BYTES]     (default 2 GiB)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
QUOTA=${1:-$((2 << 30))}
B=$ROOT/build/cuda
T=$(mktemp -d /tmp/gdl-gpu-check.XXXXXX)
SOCK=$T/agent.sock
PY=${PYTHON:-python3}
server=
rows=()
failed=0

cleanup() {
	[[ -n $server ]] && kill "$server" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
row() { # row NAME PASS|FAIL DETAIL
	rows+=("$(printf '%-44s %-5s %s' "$1" "$2" "$3")")
	[[ $2 == PASS ]] || failed=$((failed + 1))
}
row_if() { # row_if NAME DETAIL CMD...: PASS when CMD succeeds
	local name=$1 detail=$2
	shift 2
	if "$@"; then row "$name" PASS "$detail"; else row "$name" FAIL "$detail"; fi
}

echo "== build"
make -s -C cuda || exit 1
make -s -C test/cuda "$B/gdl_sock_standin" || exit 1
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader

echo "== agent (embedded, socket $SOCK, quota $QUOTA)"
cat >"$T/policy.yaml" <<POLICY
agents:
  - id: 4242
    quota: $QUOTA
    devices: [0]
    match:
      - uid: $(id -u)
POLICY
backend=none
if command -v node >/dev/null && [[ -f bin/gdl.mjs ]]; then
	node bin/gdl.mjs agent --backend embedded --socket "$SOCK" --policy "$T/policy.yaml" \
		--listen 127.0.0.1 --port 0 >"$T/agent.log" 2>&1 &
	server=$!
	for _ in $(seq 50); do [[ -S $SOCK ]] && break; sleep 0.2; done
	if [[ -S $SOCK ]]; then backend="agent (embedded)"; else kill "$server" 2>/dev/null; server=; fi
fi
if [[ $backend == none ]]; then
	total=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits 2>/dev/null | head -1)
	"$B/gdl_sock_standin" "$SOCK" "$QUOTA" 1 $(( ${total:-81920} << 20 )) >"$T/standin.log" 2>&1 &
	server=$!
	for _ in $(seq 50); do [[ -S $SOCK ]] && break; sleep 0.1; done
	backend="socket stand-in (agent log: $(tail -n 1 "$T/agent.log" 2>/dev/null))"
fi
echo "backend: $backend"
export GDL_SOCKET=$SOCK GDL_DEVICE=$T/no-module
under=(env LD_PRELOAD="$B/libgdl_cuda.so")

cat >"$T/check.py" <<'PYEOF'
import os, sys, time, torch
GiB = 1 << 30
what = sys.argv[1]
quota = int(sys.argv[2])
step = 128 << 20

def ladder():
    held, n = [], 0
    try:
        while n < 4 * quota:
            held.append(torch.empty(step, dtype=torch.uint8, device="cuda"))
            n += step
    except torch.OutOfMemoryError:
        return n, True
    return n, False

if what == "ladder":
    free, total = torch.cuda.mem_get_info()
    n, oom = ladder()
    print(f"RESULT total={total} free={free} reached={n} oom={int(oom)}")
elif what == "info":
    free, total = torch.cuda.mem_get_info()
    print(f"RESULT total={total} free={free}")
elif what == "hold":
    x = torch.empty(int(sys.argv[3]), dtype=torch.uint8, device="cuda")
    torch.cuda.synchronize()
    print("HOLD", flush=True)
    time.sleep(600)
elif what == "try":
    try:
        x = torch.empty(int(sys.argv[3]), dtype=torch.uint8, device="cuda")
        print("RESULT ok=1")
    except torch.OutOfMemoryError:
        print("RESULT ok=0")
elif what == "graph":
    s = torch.cuda.Stream()
    g = torch.cuda.CUDAGraph()
    small_ok = big_refused = 0
    with torch.cuda.stream(s):
        try:
            with torch.cuda.graph(g):
                y = torch.ones(256 << 20, dtype=torch.uint8, device="cuda")
            g.replay(); torch.cuda.synchronize(); small_ok = 1
        except torch.OutOfMemoryError:
            pass
        g2 = torch.cuda.CUDAGraph()
        try:
            with torch.cuda.graph(g2):
                z = torch.ones(quota + GiB, dtype=torch.uint8, device="cuda")
            g2.replay(); torch.cuda.synchronize()
        except (torch.OutOfMemoryError, RuntimeError):
            big_refused = 1
    print(f"RESULT small_ok={small_ok} big_refused={big_refused}")
PYEOF
run_py() { timeout 120 "${under[@]}" "$@" 2>>"$T/py.err" | sed -n 's/^RESULT //p' | tail -1; }
val() { sed -n "s/.*$1=\([0-9]*\).*/\1/p" <<<"$2"; }

echo "== PyTorch under the interposer"
for conf in "" "backend:cudaMallocAsync"; do
	label=${conf:-default caching allocator}
	out=$(PYTORCH_CUDA_ALLOC_CONF=$conf run_py "$PY" "$T/check.py" ladder "$QUOTA")
	total=$(val total "$out"); reached=$(val reached "$out"); oom=$(val oom "$out")
	row_if "mem_get_info total = quota ($label)" "$out" test "$total" = "$QUOTA"
	if [[ $oom == 1 && ${reached:-0} -le $QUOTA && ${reached:-0} -ge $((QUOTA - (512 << 20))) ]]; then
		row "ladder to OutOfMemoryError at quota ($label)" PASS "reached $reached of $QUOTA"
	else
		row "ladder to OutOfMemoryError at quota ($label)" FAIL "$out"
	fi
	out=$(run_py "$PY" "$T/check.py" info "$QUOTA")
	row_if "memory back after exit ($label)" "$out" test "$(val free "$out")" = "$QUOTA"
done

"${under[@]}" "$PY" "$T/check.py" hold "$QUOTA" $((1 << 30)) >"$T/hold" 2>>"$T/py.err" &
h=$!
for _ in $(seq 300); do grep -q HOLD "$T/hold" && break; sleep 0.2; done
out=$(run_py "$PY" "$T/check.py" try "$QUOTA" $((QUOTA - (1 << 30) + (256 << 20))))
row_if "two processes share one quota (2nd refused)" "$out" test "$(val ok "$out")" = 0
out=$(run_py "$PY" "$T/check.py" try "$QUOTA" $((QUOTA - (1 << 30) - (256 << 20))))
row_if "two processes share one quota (rest fits)" "$out" test "$(val ok "$out")" = 1
kill -9 "$h"; wait "$h" 2>/dev/null
out=$(run_py "$PY" "$T/check.py" info "$QUOTA")
row_if "memory back at once after kill -9" "$out" test "$(val free "$out")" = "$QUOTA"

out=$(PYTORCH_CUDA_ALLOC_CONF=backend:cudaMallocAsync run_py "$PY" "$T/check.py" graph "$QUOTA")
row_if "CUDA graph that allocates (in quota ok, past refused)" "$out" test "$(val small_ok "$out")$(val big_refused "$out")" = 11

echo
echo "backend: $backend    quota: $QUOTA bytes"
printf '%-44s %-5s %s\n' CHECK RESULT DETAIL
printf '%s\n' "${rows[@]}"
[[ -s $T/py.err ]] && { echo "-- stderr (last lines):"; tail -n 8 "$T/py.err"; }
echo "$(( ${#rows[@]} - failed )) passed, $failed failed"
[[ $failed -eq 0 ]]
