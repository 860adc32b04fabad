#!/usr/bin/env bash
# test/cuda/real-libcuda.sh - the interposer against NVIDIA's real driver
# library (Debian non-free libcuda1 535.x, CUDA 12.2) and CUDA runtime
# (libcudart11.0, 11.8), no GPU needed.  Fetches them once into .cache/nvidia
# (test/cuda/fetch-nvidia.sh; a failed download fails this step loudly).
#
# NVIDIA's library runs ONLY as an unprivileged uid (65534): as root, cuInit
# creates /dev/nvidia* nodes and tries to load NVIDIA's kernel module.
#
# Checks:
#  1. every memory function the real library exports is in cuda/gdl_cuda_ops.h
#     (hooked, or listed as deliberately not), every listed name is exported,
#     and docs/cuda.md names each one;
#  2. dlsym and cuGetProcAddress (versions 2000..12020, flags 0/1/2) of every
#     exported name through the interposer: the hook exactly where the
#     driver's own answer is a hooked function, the driver's own entry,
#     unchanged, everywhere else;
#  3. the CUDA runtime's start-up lookups through the interposer: hooks for
#     the hooked functions, real entries for all others;
#  4. error codes pass unchanged (cuInit 100, then 3; cudaMalloc 100).
# Ends with "N passed, N failed".
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${GDL_BUILD:-$ROOT/build}/cuda
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1: $(head -c 600 <<<"$2" | tr '\n' ' ')"; }
check_eq() { if [[ "$2" == "$3" ]]; then ok "$1"; else not_ok "$1" "want [$2] got [$3]"; fi; }
finish() { echo "$pass passed, $fail failed"; [[ $fail -eq 0 ]]; exit $?; }

rootfs=$("$ROOT/test/cuda/fetch-nvidia.sh") || { not_ok "fetch NVIDIA's libcuda1 and libcudart11.0" "see above"; finish; }
LIB=$rootfs/usr/lib/x86_64-linux-gnu
CUDA_LIB=$LIB/nvidia/current/libcuda.so.1
[[ -x $B/cuda_realcheck && -f $B/libgdl_cuda.so ]] || { not_ok "built" "run make -s all first"; finish; }

T=$(mktemp -d /tmp/gdl-cuda-real.XXXXXX)
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
# as_nobody CMD...: never NVIDIA's library as root.
as_nobody() {
	if [[ $(id -u) -eq 0 ]]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups -- env -u GDL_FD "$@"
	else
		env -u GDL_FD "$@"
	fi
}
real_env=(LD_LIBRARY_PATH="$LIB/nvidia/current:$LIB" GDL_SOCKET="$T/no-agent" GDL_DEVICE="$T/no-module")
pre_env=("${real_env[@]}" LD_PRELOAD="$B/libgdl_cuda.so")

# --- 1. the list against the library ---
nm -D --defined-only "$CUDA_LIB" | awk '{ print $3 }' | sort -u >"$T/exports"
grep -E '^cu(Mem|Array|Mipmapped|Ipc|GraphAddMem(Alloc|Free)|GraphAddNode|GraphMem(Alloc|Free)|DeviceGraphMem|Device(Get|Set|GetDefault)MemPool|DeviceTotalMem|Multicast|ImportExternalMemory|DestroyExternalMemory|ExternalMemory)' "$T/exports" |
	grep -vE '^cuMem(cpy|set)|^cuIpc.*Event' >"$T/memory"
sed -n 's/^GDL_CUDA_OP(\([A-Za-z0-9_]*\), \([A-Z]*\),.*/\1 \2/p' "$ROOT/cuda/gdl_cuda_ops.h" | sort >"$T/ops"
cut -d' ' -f1 "$T/ops" >"$T/op_names"
awk '$2 != "PASS" { print $1 }' "$T/ops" >"$T/hooked"
missing=$(comm -23 "$T/memory" "$T/op_names")
check_eq "every one of the $(wc -l <"$T/memory") memory functions libcuda $(basename "$(readlink -f "$CUDA_LIB")" | sed 's/libcuda.so.//') exports is listed (hooked or why not)" "" "$missing"
check_eq "every listed function is exported by the real library" "" "$(comm -13 "$T/exports" "$T/op_names")"
undocumented=$(while read -r n; do grep -qw -- "$n" "$ROOT/docs/cuda.md" || echo "$n"; done <"$T/op_names")
check_eq "docs/cuda.md names every listed function" "" "$undocumented"
check_eq "the interposer exports a hook for exactly the hooked functions (plus dlsym)" \
	"$(sort "$T/hooked")" "$(nm -D --defined-only "$B/libgdl_cuda.so" | awk '$3 != "dlsym" { print $3 }' | sort)"

# --- 2. every lookup, with and without the interposer ---
{ cat "$T/exports"; sed -E 's/(_v[0-9]+)?(_pt[sd]z|_ptds)?$//' "$T/exports"; } | sort -u >"$T/names"
as_nobody "${real_env[@]}" "$B/cuda_realcheck" lookups <"$T/names" >"$T/base" 2>"$T/base.err" ||
	not_ok "lookups without the interposer" "$(cat "$T/base.err")"
as_nobody "${pre_env[@]}" "$B/cuda_realcheck" lookups <"$T/names" >"$T/pre" 2>"$T/pre.err" ||
	not_ok "lookups through the interposer" "$(cat "$T/pre.err")"
# Per line: the driver's answer (base) and ours (pre).  A hooked symbol must
# come from libgdl_cuda.so under the same name; anything else must be the
# identical line (same library, symbol and offset).
bad=$(paste -d'\t' "$T/base" "$T/pre" | awk -F'\t' -v hooked="$T/hooked" '
	BEGIN { while ((getline n < hooked) > 0) h[n] = 1 }
	{
		nb = split($1, b, " "); np = split($2, p, " ")
		sym = b[nb - 1]; lib = b[nb - 2]
		if (lib == "libcuda.so.1" && (sym in h)) {
			total_hook++
			if (p[np - 2] != "libgdl_cuda.so" || p[np - 1] != sym) print "not hooked: " $1 " | " $2
		} else {
			total_real++
			if ($1 != $2) print "changed: " $1 " | " $2
		}
	}
	END { printf "%d %d\n", total_hook, total_real > "/dev/stderr" }' 2>"$T/counts" | head -5)
read -r n_hook n_real <"$T/counts"
check_eq "dlsym + cuGetProcAddress of all $(wc -l <"$T/names") names x 4 versions x 3 flags: $n_hook answers hooked, $n_real untouched" "" "$bad"
if [[ ${n_hook:-0} -gt 100 && ${n_real:-0} -gt 1000 ]]; then
	ok "the comparison saw both kinds ($n_hook hooked, $n_real real)"
else
	not_ok "comparison too small" "$n_hook $n_real"
fi
check_eq "cuGetProcAddress(\"cuGetProcAddress\") returns the hooked one" "libgdl_cuda.so cuGetProcAddress_v2" \
	"$(grep '^gpa cuGetProcAddress 12020 0 ' "$T/pre" | awk '{ print $(NF-2), $(NF-1) }')"
check_eq "flag 2 (per-thread default stream) gives the hooked _ptsz variant" "libgdl_cuda.so cuMemAllocAsync_ptsz" \
	"$(grep '^gpa cuMemAllocAsync 12020 2 ' "$T/pre" | awk '{ print $(NF-2), $(NF-1) }')"
check_eq "version 2000 gives the hooked v1 entry" "libgdl_cuda.so cuMemAlloc" \
	"$(grep '^gpa cuMemAlloc 2000 0 ' "$T/pre" | awk '{ print $(NF-2), $(NF-1) }')"

# --- 3. the CUDA runtime's own start-up ---
if gcc -O2 -o "$T/cudart_probe" "$ROOT/test/cuda/cudart_probe.c" "$LIB/libcudart.so.11.0" 2>"$T/cc.err"; then
	as_nobody "${real_env[@]}" "$T/cudart_probe" >"$T/rt.base" 2>&1
	as_nobody "${pre_env[@]}" GDL_CUDA_TRACE=1 "$T/cudart_probe" >"$T/rt.pre" 2>"$T/rt.trace"
	lookups=$(grep -c ' lookup ' "$T/rt.trace")
	if [[ $lookups -ge 300 ]]; then
		ok "cudart 11.8 made $lookups lookups through the interposer"
	else
		not_ok "cudart lookups through the interposer" "only $lookups: $(head -3 "$T/rt.trace")"
	fi
	wrong=$(awk -v hooked="$T/hooked" 'BEGIN { while ((getline n < hooked) > 0) h[n] = 1 }
		/ lookup / { want = ($NF in h) ? "hook" : "real"; if ($(NF-1) != want) print }' "$T/rt.trace" | head -5)
	check_eq "every runtime lookup: hook for hooked functions ($(grep -c -- '-> hook' "$T/rt.trace")), the driver's entry for the rest" "" "$wrong"
	check_eq "runtime results unchanged by the interposer (no GPU: 100)" "$(cat "$T/rt.base")" "$(cat "$T/rt.pre")"
	check_eq "cudaMalloc without a GPU is cudaErrorNoDevice (100)" "cudaMalloc 100" "$(grep cudaMalloc "$T/rt.pre")"
else
	not_ok "build a program against libcudart.so.11.0" "$(cat "$T/cc.err")"
fi

# --- 4. error codes pass unchanged ---
as_nobody "${real_env[@]}" "$B/cuda_realcheck" errors >"$T/e.base" 2>&1
as_nobody "${pre_env[@]}" GDL_CUDA_NO_BACKEND=allow "$B/cuda_realcheck" errors >"$T/e.pre" 2>/dev/null
check_eq "cuInit without a GPU is CUDA_ERROR_NO_DEVICE (100), then NOT_INITIALIZED (3)" \
	"cuInit 100 cuMemAlloc_v2 3 cuMemGetInfo_v2 3 cuMemCreate 3" "$(tr '\n' ' ' <"$T/e.base" | sed 's/ $//')"
check_eq "through the interposer: the same codes" "$(cat "$T/e.base")" "$(cat "$T/e.pre")"
finish
