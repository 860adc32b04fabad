#!/usr/bin/env bash
# 80-agent-kernel.sh - the agent on the kernel backend: the policy reaches the
# module, HTTP/CLI changes show in /proc/swarm/gpu, refusals map to their
# codes, /metrics reflects the module, and (with the BPF pipeline) decisions
# become spans at an OTLP receiver running in the guest.
# timeout: 600
. "$GDL_REPO/test/kernel/lib.sh"

cd "$GDL_REPO" || exit 1
# The agent's API is on 127.0.0.1: the guest boots with loopback down.
ip link set lo up 2>/dev/null || comment "could not bring lo up"
# The bundles (node agent/bundle.mjs) start in seconds under TCG; the tsx
# path compiles hundreds of files first and takes minutes.
if [[ -f "$GDL_BUILD/agent/gdl.mjs" ]]; then
	cli=$GDL_BUILD/agent/gdl.mjs
	sink_cmd=(node "$GDL_BUILD/agent/otlp-sink.mjs")
else
	comment "no $GDL_BUILD/agent/gdl.mjs (node agent/bundle.mjs): using tsx, slow"
	cli=$GDL_REPO/bin/gdl.mjs
	sink_cmd=("$GDL_REPO/node_modules/.bin/tsx" test/fixtures/otlp-sink.ts)
fi
gdl() { node "$cli" "$@"; }

gdl_load fake_gpus=2 fake_gpu_mem=$((1 << 30)) || { gdl_done; exit 1; }
t=$(mktemp -d)
export GDL_WAIT_S=240 # node under TCG: first starts take a while
port=19480
export GDL_URL=http://127.0.0.1:$port GDL_TOKEN_FILE=$t/token
echo "guest-test-token-0123456789" >"$t/token"

: >"$t/sink"
"${sink_cmd[@]}" "$t/spans.jsonl" "$t/sink" 2>"$t/sink.err" &
sink=$!
if gdl_wait_ready "$t/sink" $sink; then ok "OTLP sink listening in the guest"; else not_ok "OTLP sink" "$(tail -n 3 "$t/sink.err")"; fi
otlp=$(head -n 1 "$t/sink")

start=$SECONDS
# node itself in the background (not through gdl()), so $! is the agent's pid.
node "$cli" agent --backend kernel --port $port --token-file "$t/token" --policy examples/policy.yaml \
	--otlp-endpoint "$otlp" --sample-ratio 1 --log-level info >"$t/agent.log" 2>&1 &
agent=$!
ready() { curl -fsS "$GDL_URL/readyz" >/dev/null 2>&1 || ! kill -0 $agent 2>/dev/null; }
gdl_wait_for ready
if curl -fsS "$GDL_URL/readyz" 2>/dev/null | grep '"backend":"kernel"' >/dev/null; then
	ok "agent ready on the kernel backend"
	comment "agent ready after $((SECONDS - start)) s"
else
	not_ok "agent ready on the kernel backend" "after $((SECONDS - start)) s: $(tail -n 5 "$t/agent.log")"
	kill $sink $agent 2>/dev/null
	wait $agent 2>/dev/null # its BPF programs hold the module until it exits
	gdl_unload; gdl_done; exit 1
fi
if grep -q 'BPF event pipeline unavailable\|event source failed' "$t/agent.log"; then
	bpf=0
	comment "running without the BPF pipeline: $(grep -o '"err":"[^"]*"' "$t/agent.log" | head -n 1)"
else
	bpf=1
fi

# The policy was applied to the module.
check "policy agent 1001 in /proc quotas" grep -q "^1001 $((12 << 30)) 0 0x3 " "$GDL_PROC/quotas"
check "policy grant of agent 1002 in dma_permissions" grep -q '^1002 1 0x200000000 ' "$GDL_PROC/dma_permissions"

# Changes over HTTP/CLI show in /proc.
check "gdl quota" gdl quota 501 1MiB --devices 0
check "quota shows in /proc/swarm/gpu/quotas" grep -q '^501 1048576 0 0x1 0 0$' "$GDL_PROC/quotas"
check "gdl alloc 512KiB" gdl alloc 501 512KiB --device 0
check "allocation shows in /proc/swarm/gpu/allocations" grep -q " 501 0 524288 0x1 " "$GDL_PROC/allocations"
out=$(gdl alloc 501 1MiB --device 0 2>&1)
rc=$?
if [[ $rc -eq 1 && $out == *QUOTA_EXCEEDED* ]]; then ok "over quota: exit 1 QUOTA_EXCEEDED"; else not_ok "over quota" "rc $rc: $out"; fi
check "gdl grant" gdl grant 501 --device 0 --addr 0x10000 --length 4KiB --mode r
check "grant shows in dma_permissions" grep -q '^501 0 0x10000 0x10fff 4096 r$' "$GDL_PROC/dma_permissions"
check "allowed check" gdl check 501 --device 0 --addr 0x10000 --length 16 --mode r
check_fail "denied check exits 1" gdl check 501 --device 0 --addr 0x10000 --length 16 --mode w
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'content-type: application/json' -d '{"quota":"1"}' "$GDL_URL/v1/agents/502")
check_eq "a change without the token is 401" 401 "$code"
api_agent=$(curl -fsS "$GDL_URL/v1/agents/501")
check_eq "GET /v1/agents/501 reads the module" '1048576 524288' "$(jq -r '.quota + " " + .used' <<<"$api_agent")"
metrics=$(curl -fsS "$GDL_URL/metrics")
check "metrics: quota of agent 501" grep -q '^gdl_agent_quota_bytes{agent="501"} 1048576$' <<<"$metrics"
check "metrics: quota violation counted" grep -q '^gdl_quota_violations_total 1$' <<<"$metrics"
check "metrics: backend kernel" grep -q 'gdl_build_info{.*backend="kernel"' <<<"$metrics"

# Graceful stop flushes the spans.
kill -TERM $agent
wait $agent
check_eq "agent exits 0 on SIGTERM" 0 $?
if [[ $bpf -eq 1 ]]; then
	GDL_WAIT_S=20 gdl_wait_for grep -q '"gdl.quota_violation"' "$t/spans.jsonl"
	# -s: one answer over all spans (jq -e judges only the last input otherwise).
	check "quota violation span with agent 501" jq -s -e 'any(.[]; .name == "gdl.quota_violation" and .attributes["gdl.agent.id"] == "501" and .attributes["gdl.errno.name"] == "EDQUOT" and .attributes["gdl.size_bytes"] == 1048576)' "$t/spans.jsonl"
	check "denial span with range and mode" jq -s -e 'any(.[]; .name == "gdl.dma_deny" and .attributes["gdl.dma.addr"] == "0x10000" and .attributes["gdl.dma.mode"] == "w" and .status.code == 2)' "$t/spans.jsonl"
	check "spans of the module's decisions carry the caller's pid" jq -s -e 'any(.[]; .name == "gdl.alloc" and .attributes["gdl.agent.id"] == "501" and .attributes["process.pid"] > 0)' "$t/spans.jsonl"
	check "resource names the service and host" jq -s -e 'all(.[]; .resource["service.name"] == "gdl-agent" and (.resource["host.name"] | length) > 0)' "$t/spans.jsonl"
else
	skip "module decisions as spans" "no BPF pipeline in this guest"
fi
kill $sink 2>/dev/null
wait $sink 2>/dev/null

# The agent's allocations are persistent; the module frees them on unload.
rm -rf "$t"
gdl_unload
gdl_done
