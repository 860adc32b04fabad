#!/usr/bin/env bash
# 81-agent-reload.sh - a module reload under a running agent: the agent
# notices the new device, re-applies its policy, and keeps serving.
# timeout: 500
. "$GDL_REPO/test/kernel/lib.sh"

cd "$GDL_REPO" || exit 1
# The agent's API is on 127.0.0.1: the guest boots with loopback down.
ip link set lo up 2>/dev/null || comment "could not bring lo up"
if [[ -f "$GDL_BUILD/agent/gdl.mjs" ]]; then cli="$GDL_BUILD/agent/gdl.mjs"; else cli="$GDL_REPO/bin/gdl.mjs"; fi

gdl_load fake_gpus=2 || { gdl_done; exit 1; }
t=$(mktemp -d)
export GDL_WAIT_S=240
port=19481
url=http://127.0.0.1:$port

# Without the BPF pipeline: attached programs would pin the module.
node "$cli" agent --backend kernel --port $port --policy examples/policy.yaml --no-kernel-events \
	--log-level info >"$t/agent.log" 2>&1 &
agent=$!
ready() { curl -fsS "$url/readyz" >/dev/null 2>&1 || ! kill -0 $agent 2>/dev/null; }
gdl_wait_for ready
if ! curl -fsS "$url/readyz" >/dev/null 2>&1; then
	not_ok "agent ready" "$(tail -n 5 "$t/agent.log")"
	kill $agent 2>/dev/null
	wait $agent 2>/dev/null
	gdl_unload; gdl_done; exit 1
fi
ok "agent ready without the BPF pipeline"
check "policy applied at start" grep -q '^1001 ' "$GDL_PROC/quotas"
check "the agent does not pin the module" gdl_unload
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/readyz")
check_eq "not ready while the module is gone" 503 "$code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/agents")
check_eq "reads answer 503 while the module is gone" 503 "$code"
gdl_load fake_gpus=2 || { kill $agent; gdl_done; exit 1; }
export GDL_WAIT_S=30
if gdl_wait_for grep -q '^1001 ' "$GDL_PROC/quotas"; then ok "policy re-applied after reload"; else not_ok "policy re-applied after reload" "$(tail -n 5 "$t/agent.log")"; fi
check "policy grants re-applied" grep -q '^1002 1 0x200000000 ' "$GDL_PROC/dma_permissions"
check "log says why" grep -q 'module reloaded: re-applying the policy' "$t/agent.log"
check "ready again" curl -fsS "$url/readyz"
# Without BPF the agent still observes the decisions it asks for.
curl -fsS -X POST -H 'content-type: application/json' -d '{"agent":"1001","device":0,"addr":"0x100000000","length":"8","mode":"w"}' "$url/v1/checks" >/dev/null
check_eq "its own checks reach the event stream" true "$(GDL_WAIT_S=10 gdl_wait_for sh -c "curl -fsS $url/v1/stats | jq -e '.events.received >= 1' >/dev/null" && echo true)"
check "reload counted in metrics" sh -c "curl -fsS $url/metrics | grep -q '^gdl_backend_reopens_total 1$'"
kill -TERM $agent
wait $agent
check_eq "agent exits 0 on SIGTERM" 0 $?
rm -rf "$t"
gdl_unload
gdl_done
