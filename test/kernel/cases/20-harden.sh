#!/bin/bash
# 20-harden: the adversarial review's kernel defects (issue 10), each as its
# trigger: allocation-count limit and release_agent, persistent allocations
# refused to workloads, narrowed masks end DMA, removed agents stay removed,
# root-only listings, failed commands leave no trace, fresh /proc re-reads,
# validation before privilege, grants that create agents
# (test/kernel/tools/harden.c), no capability check on a bound workload's
# routine calls (harden_capable.c), and the prototype's agents listing.
# timeout: 120
. "$GDL_REPO/test/kernel/lib.sh"

P=$GDL_PROC
gdl_load fake_gpus=2 default_quota=1048576 max_agent_allocs=4 || exit 1
check_eq "stats shows max_agent_allocs" 4 "$(gdl_stat max_agent_allocs)"
run_tap_tool harden
# Defect 7: a bound workload's routine calls never reach capable() (a kprobe
# on security_capable() counts them).
run_tap_tool harden_capable

# The prototype's listing: id quota used devices allocations grants.
check "dma_permissions creates an unknown agent" sh -c "echo 40:0x4000:rw >$P/dma_permissions"
check_eq "agents lists agent 40 (created by its grant)" "40 1048576 0 0,1 0 1" \
	"$(grep '^40 ' "$P/agents")"
check_eq "agents header" "# agent quota used devices allocations grants" \
	"$(head -1 "$P/agents")"
check "control: set_agent 41 with no device" gdl_control set_agent 41 0 0
check_eq "an agent with no device lists '-'" "41 0 0 - 0 0" "$(grep '^41 ' "$P/agents")"
check_eq "agents and quotas list the same agents" \
	"$(awk 'NR > 1 { print $1 }' "$P/quotas" | sort)" \
	"$(awk 'NR > 1 { print $1 }' "$P/agents" | sort)"
check "control: set_quota without mask keeps agent 41's empty mask" gdl_control set_quota 41 8192
check_eq "agent 41 keeps its mask" "41 8192 0 0x0 0 0" "$(grep '^41 ' "$P/quotas")"

check_eq "nothing left allocated" 0 "$(gdl_stat live_allocations)"
check "unload" gdl_unload
check_no_leak
gdl_done
