#!/usr/bin/env bash
# 73-bpf-cuda.sh - uprobes on the CUDA stand-in library: every allocation
# and free seen with its pointer, size and result; leaks reported per process.
# timeout: 300
. "$GDL_REPO/test/kernel/lib.sh"
. "$GDL_REPO/test/kernel/bpf-lib.sh"

gdl_load fake_gpus=2 || { gdl_done; exit 1; }
t=$(mktemp -d)
lib=$GDL_BUILD/cuda/libcuda_standin.so
work=$GDL_BUILD/cuda/cuda_workload

if bpf_probe --cuda-lib "$lib" --json "$t/r.json" --lines "$t/got" -- "$work" 3 >"$t/out" 2>"$t/err"; then
	ok "attach 16 uprobes to the stand-in libcuda, run the workload"
else
	not_ok "bpf-probe --cuda-lib run" "$(tail -n 3 "$t/err")"
fi
grep '^cuda ' "$t/out" >"$t/want"
comment "report: $(jq -c '{received,lost,seen,filtered,byType,leaks}' "$t/r.json" 2>&1 | cut -c1-300)"
check_eq "28 calls made" 28 "$(wc -l <"$t/want")"
check_same "every call seen: op, result, pointer (read at return), size, pid, comm" "$t/want" "$t/got"
check_json "nothing lost; seen = received" "$t/r.json" '.lost == 0 and .seen == .received and .received == 28'

pid=$(sed -n 's/^DONE pid=\([0-9]*\).*/\1/p' "$t/out")
bytes=$(sed -n 's/.*leaked_bytes=\([0-9]*\).*/\1/p' "$t/out")
ptrs=$(awk '/^LEAK/ { print $2 }' "$t/out" | sort | jq -R . | jq -sc .)
check_json "leaks per process: pid $pid, 3 allocations, $bytes bytes" "$t/r.json" \
	"(.leaks | length) == 1 and .leaks[0].pid == $pid and .leaks[0].count == 3 and .leaks[0].bytes == \"$bytes\""
check_json "leaked pointers are exactly the workload's" "$t/r.json" "(.leaks[0].ptrs | sort) == $ptrs and .unknownFrees == 0"

rm -rf "$t"
gdl_unload
gdl_done
