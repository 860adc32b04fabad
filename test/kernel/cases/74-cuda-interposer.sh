#!/usr/bin/env bash
# 74-cuda-interposer.sh - CUDA programs under the module's quota: the stand-in
# driver (build/cuda/libcuda_standin.so) under LD_PRELOAD=libgdl_cuda.so, run
# as uid 65534 with a descriptor a root launcher opened and bound to the agent
# (test/cuda/gdl_cuda_launch.c run).  Through every allocation path the quota
# is hit at exactly the right byte with CUDA_ERROR_OUT_OF_MEMORY, cuMemGetInfo
# shows the quota, processes share one quota, kill -9 gives it back at once,
# and the module's accounting equals the driver's live memory after a random
# mixed workload.  The same assertions run on the host over the agent's
# socket format in test/cuda/host-socket.sh.
#
# Identity is one command, as_agent: a cgroup variant replaces it with
# "bind the cgroup (GDL_IOC_BIND_CGROUP), move a shell into it, setpriv".
# timeout: 300
. "$GDL_REPO/test/kernel/lib.sh"

B=$GDL_BUILD/cuda
L=$B/gdl_cuda_launch
AGENT=42
Q=$((16 << 20))
t=$(mktemp -d)
chmod 755 "$t"

gdl_load fake_gpus=2 fake_gpu_mem=$((1 << 30)) || { gdl_done; exit 1; }
check "agent $AGENT gets a 16 MiB quota" "$L" set "$AGENT" "$Q"

# "${as_agent[@]}" CMD...: CMD as uid 65534 under the interposer, charged to
# AGENT.  A command (launcher execs env execs CMD), not a function: $! of a
# background run is then the workload itself.
as_agent=("$L" run "$AGENT" 65534 env LD_PRELOAD="$B/libgdl_cuda.so" GDL_SOCKET="$t/none")
used() { "$L" query "$AGENT" | sed -n 's/^used=\([0-9]*\).*/\1/p'; }
held() { gdl_wait_for grep -q '^HOLD' "$1"; }

for m in linked dlsym procaddr ptsz async pool pool_ptsz pitch managed vmm array array3d mipmap graph graphnode; do
	check_eq "$m: quota to the byte, one unit more OUT_OF_MEMORY, a free makes room, cuMemGetInfo shows the quota" \
		"$m fill=0,0,0,0 over=2 refill=0 total=$Q free=0 live=$Q" "$("${as_agent[@]}" "$B/cuda_paths" "$m" "$Q" 2>&1 | head -1)"
done
check_eq "pinned host memory is not charged" "host fill=0,0,0,0 over=0 refill=0 total=$Q free=$Q live=0" \
	"$("${as_agent[@]}" "$B/cuda_paths" host "$Q" 2>&1 | head -1)"
check_eq "nothing left charged after the paths" 0 "$(used)"

# Several processes, one quota; kill -9 gives a holder's share back at once.
"${as_agent[@]}" "$B/cuda_paths" linked $((Q / 2)) hold >"$t/a" 2>&1 &
a=$!
held "$t/a" || not_ok "holder starts" "$(cat "$t/a")"
check_eq "the holder runs as uid 65534" 65534 "$(awk '/^Uid:/ { print $2 }' "/proc/$a/status")"
check_eq "the module charged the holder's half" $((Q / 2)) "$(used)"
check_eq "a second process gets exactly what the first left" \
	"linked fill=0,0,0,0 over=2 refill=0 total=$Q free=0" \
	"$("${as_agent[@]}" "$B/cuda_paths" linked $((Q / 2)) 2>&1 | head -1 | cut -d' ' -f1-6)"
kill -9 "$a"
wait "$a" 2>/dev/null
check_eq "kill -9: the holder's charge is gone" 0 "$(used)"
check_eq "after kill -9 the whole quota is usable again" \
	"linked fill=0,0,0,0 over=2 refill=0 total=$Q free=0" \
	"$("${as_agent[@]}" "$B/cuda_paths" linked "$Q" 2>&1 | head -1 | cut -d' ' -f1-6)"

# The module's accounting equals the driver's live allocations.
for seed in 7 8; do
	"${as_agent[@]}" "$B/cuda_paths" random "$seed" 300 "$Q" >"$t/r" 2>&1 &
	r=$!
	held "$t/r" || not_ok "random $seed runs" "$(cat "$t/r")"
	check_eq "random mix, seed $seed ($(sed -n 's/.*count=//p' "$t/r") live): module's used = driver's live bytes" \
		"$(sed -n 's/^random live=\([0-9]*\).*/\1/p' "$t/r")" "$(used)"
	kill -9 "$r"
	wait "$r" 2>/dev/null
	check_eq "random mix, seed $seed: all of it back after kill -9" 0 "$(used)"
done

check_eq "no allocation left in the module" 0 "$(gdl_stat live_allocations)"
rm -rf "$t"
check "unload" gdl_unload
gdl_done
