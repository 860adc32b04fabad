#!/usr/bin/env bash
# 72-bpf-cleanup.sh - attached programs pin the module; detaching leaves no
# program and no map of ours behind, and the module then unloads.
# timeout: 300
. "$GDL_REPO/test/kernel/lib.sh"
. "$GDL_REPO/test/kernel/bpf-lib.sh"

gdl_load fake_gpus=2 || { gdl_done; exit 1; }
t=$(mktemp -d)
check_eq "no program of ours before" "" "$(bpf_ours_progs | tr '\n' ' ')"

# While attached: the programs listed, and rmmod must be refused (a tp_btf
# link holds a module reference): the agent's choice (the module's batches)
# and one program per decision kind.
bpf_probe --json "$t/b.json" -- sh -c "
	bpftool -j prog list >'$t/bprogs.json'
	rmmod gpu_dma_lock 2>'$t/brmmod.err' && echo rmmod-succeeded >'$t/brmmod'" >/dev/null 2>"$t/berr"
check_eq "while attached: the batches' tp_btf program loaded" "gdl_batch" \
	"$(jq -r '[.[] | select(.name // "" | test("^gdl_")) | select(.type == "tracing") | .name] | sort | join(" ")' "$t/bprogs.json")"
[[ -e $t/brmmod ]] && not_ok "while the batches' program is attached: rmmod refused" "rmmod succeeded" ||
	ok "while the batches' program is attached: rmmod refused"
check_eq "after detach: no program of ours" "" "$(bpf_ours_progs | tr '\n' ' ')"
bpf_probe --object gdl_module.bpf.o --json "$t/r.json" -- sh -c "
	bpftool -j prog list >'$t/progs.json'
	bpftool -j map list >'$t/maps.json'
	rmmod gpu_dma_lock 2>'$t/rmmod.err' && echo rmmod-succeeded >'$t/rmmod'" >/dev/null 2>"$t/err"
names=$(jq -r '[.[] | select(.name // "" | test("^gdl_")) | select(.type == "tracing") | .name] | sort | join(" ")' "$t/progs.json")
check_eq "while attached: the 8 tp_btf programs loaded" \
	"gdl_alloc gdl_alloc_fail gdl_check gdl_deny gdl_free gdl_grant gdl_quota_violation gdl_revoke" "$names"
check_json "while attached: events ring and counters maps exist" "$t/maps.json" \
	'[.[] | select(.name == "events" and .type == "ringbuf")] | length == 1'
if [[ -e $t/rmmod ]]; then
	not_ok "while attached: rmmod refused" "rmmod succeeded with programs attached"
else
	ok "while attached: rmmod refused ($(tr -d '\n' <"$t/rmmod.err" | cut -c1-60))"
fi

check_eq "after detach: no program of ours" "" "$(bpf_ours_progs | tr '\n' ' ')"
check_eq "after detach: no map of ours" "" "$(bpf_ours_maps | tr '\n' ' ')"
# The programs' module references go in a deferred work (gdl_unload).
GDL_WAIT_S=5 gdl_wait_for _gdl_unused || comment "refcnt still $(cat /sys/module/gpu_dma_lock/refcnt) 5 s after detach"
if gdl_loaded && rmmod gpu_dma_lock; then ok "after detach: rmmod gpu_dma_lock succeeds"; else not_ok "rmmod after detach" "failed"; fi

rm -rf "$t"
gdl_unload
gdl_done
