#!/bin/bash
# 14-proc-scale: 100 000 allocations and 10 000 grants list completely, in
# order, through small reads and a seek back (test/kernel/tools/proc_list.c).
# timeout: 280
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=1 fake_gpu_mem=$((1 << 40)) max_agent_allocs=0 || exit 1
gdl_tool proc_list 100000
rc=$?
[[ $rc -eq 0 ]] || not_ok "proc_list exit status" "exit $rc"
check_eq "nothing left allocated" 0 "$(gdl_stat live_allocations)"
check "unload" gdl_unload
gdl_done
