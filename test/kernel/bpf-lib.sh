# shellcheck shell=bash
# test/kernel/bpf-lib.sh - helpers for the BPF pipeline's guest cases
# (test/kernel/cases/7*-bpf-*.sh, bench/kernel/cases/2*-bpf*.sh), sourced
# after test/kernel/lib.sh.

GDL_TSX=$GDL_REPO/node_modules/.bin/tsx
GDL_BPF_PROBE=$GDL_REPO/test/kernel/bpf-probe/probe.ts

# bpf_probe [probe options] -- CMD...: attach the pipeline, run CMD, detach;
# see test/kernel/bpf-probe/probe.ts.
bpf_probe() {
	"$GDL_TSX" "$GDL_BPF_PROBE" "$@"
}

# jval FILE FILTER: one value from a JSON report.
jval() {
	jq -r "$2" "$1"
}

# check_json WHAT FILE JQ-BOOLEAN: ok when the jq expression is true.
check_json() {
	if [[ $(jq -r "$3" "$2" 2>&1) == true ]]; then
		ok "$1"
	else
		not_ok "$1" "$3 is false in $(jq -c . "$2" 2>&1 | cut -c1-400)"
	fi
}

# check_same WHAT WANT-FILE GOT-FILE: ok when identical; else the first diff lines.
check_same() {
	local d
	if d=$(diff "$2" "$3" 2>&1); then
		ok "$1"
	else
		not_ok "$1" "$(head -n 6 <<<"$d")"
	fi
}

# Our programs and maps as bpftool lists them (full names from BTF).
bpf_ours_progs() {
	bpftool -j prog list | jq -r '.[] | select(.name // "" | test("^(gdl_|cu_|cuMem)")) | .name'
}
bpf_ours_maps() {
	bpftool -j map list | jq -r '.[] | select(.name // "" | test("^(events|counters|check_tick|calls|gdl_modu|gdl_batc|gdl_cuda)")) | .name'
}
