#!/usr/bin/env bash
# 85-containers.sh - "every container gets 64 MiB of GPU memory", proven with a
# real container engine (docs/containers.md).  podman starts unmodified
# containers (an unprivileged user inside, the interposer and the stand-in
# driver brought in read-only, LD_PRELOAD set on the run command); the agent's
# policy has one template rule that makes each /libpod_parent/libpod-* cgroup
# its own agent.  Twice: with the module (the agent binds each container's
# cgroup in the module as it appears) and without it (the agent's socket
# backend, the socket brought into the containers).  Each container reaches
# exactly 64 MiB through the runtime's cuGetProcAddress path, then gets
# CUDA_ERROR_OUT_OF_MEMORY, and cuMemGetInfo says 64 MiB; one container's use
# never touches another's; podman kill gives the quota back at once; podman rm
# unbinds the cgroup and removes the template agent; a container no rule
# matches is a stranger and is refused.
# timeout: 1200
. "$GDL_REPO/test/kernel/lib.sh"

cd "$GDL_REPO" || exit 1
ip link set lo up 2>/dev/null || comment "could not bring lo up"
mountpoint -q /sys/fs/cgroup || mount -t cgroup2 none /sys/fs/cgroup || { not_ok "mount cgroup2" "mount failed"; gdl_done; exit 1; }

cli=$GDL_BUILD/agent/gdl.mjs
sink_cmd=(node "$GDL_BUILD/agent/otlp-sink.mjs")
B=$GDL_BUILD/cuda
Q=$((64 << 20))
export GDL_WAIT_S=240             # node and podman under TCG
t=$(mktemp -d)
chmod 755 "$t"
port=19485
api=http://127.0.0.1:$port

# A rootfs of mount points: the host's /usr (Debian's merged /usr: bin, lib,
# lib64 are links into it) comes in read-only, so the image needs nothing.
rootfs=$t/rootfs
mkdir -p "$rootfs"/{usr,proc,sys,dev,tmp,etc,gdl,run/gpu-dma-lock}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$rootfs/$d"; done
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >"$rootfs/etc/passwd"
echo 'nogroup:x:65534:' >"$rootfs/etc/group"

P=(podman --root "$t/cstore" --runroot "$t/crun" --storage-driver vfs --cgroup-manager cgroupfs
	--events-backend none --network-config-dir "$t/cnet")

cat >"$t/policy.yaml" <<YAML
agents: []
templates:
  - name: podman
    match: { cgroup: "/libpod_parent/libpod-*" }
    quota: 64MiB
    devices: [0]
strangers: refuse
YAML

# The workload: wait until the agent has bound this container (cuMemGetInfo
# then shows the quota: the watcher binds within moments of the cgroup
# appearing, see docs/containers.md), then fill it through cuGetProcAddress
# and hold the memory.
workload="for i in \$(seq 400); do /gdl/cuda_paths info | grep -q 'total=$Q ' && break; sleep 0.25; done; exec /gdl/cuda_paths procaddr $Q hold"
expect="procaddr fill=0,0,0,0 over=2 refill=0 total=$Q free=0 live=$Q"

# run_container NAME [podman run options...]: start one, print its full id.
run_container() {
	local name=$1
	shift
	"${P[@]}" run -d --name "$name" --network none --user 65534 "$@" \
		-v /usr:/usr:ro -v "$B:/gdl:ro" \
		-e LD_PRELOAD=/gdl/libgdl_cuda.so -e GDL_CUDA_DRIVER=/gdl/libcuda.so.1 \
		--rootfs "$rootfs" /bin/sh -c "$workload" 2>"$t/$name.err"
}
logs() { "${P[@]}" logs "$1" 2>&1; }
held() { logs "$1" | grep '^HOLD' >/dev/null; } # not -q: see dmesg_has
# The agent a container was bound to, as the agent lists it (2^63 + cgroup id).
agent_of() { curl -fsS "$api/v1/bindings" | jq -r --arg p "/libpod_parent/libpod-$1" '.cgroups[] | select(.path == $p) | .agent'; }
cgroup_ino() { stat -c %i "/sys/fs/cgroup/libpod_parent/libpod-$1" 2>/dev/null; }
agent_line() { curl -fsS "$api/v1/agents/$1" 2>/dev/null; }
agent_used() { agent_line "$1" | jq -r .used; }
agent_gone() { [[ "$(curl -s -o /dev/null -w '%{http_code}' "$api/v1/agents/$1")" == 404 ]]; }
bound() { curl -fsS "$api/v1/bindings" | jq -e --arg p "/libpod_parent/libpod-$1" 'any(.cgroups[]; .path == $p)' >/dev/null; }
unbound() { ! bound "$1"; }

start_agent() { # MODE (kernel|embedded) [extra agent options...]
	local mode=$1
	shift
	: >"$t/sink"
	"${sink_cmd[@]}" "$t/spans-$mode.jsonl" "$t/sink" 2>"$t/sink.err" &
	sink=$!
	gdl_wait_ready "$t/sink" $sink || { not_ok "OTLP sink ($mode)" "$(tail -n 3 "$t/sink.err")"; return 1; }
	node "$cli" agent --backend "$mode" --port $port --metrics-port -1 --policy "$t/policy.yaml" \
		--otlp-endpoint "$(head -n 1 "$t/sink")" --sample-ratio 1 --log-level info "$@" >"$t/agent-$mode.log" 2>&1 &
	agent=$!
	ready() { curl -fsS "$api/readyz" >/dev/null 2>&1 || ! kill -0 $agent 2>/dev/null; }
	gdl_wait_for ready
	if curl -fsS "$api/readyz" 2>/dev/null | grep "\"backend\":\"$mode\"" >/dev/null; then
		ok "$mode: agent ready with the template policy"
	else
		not_ok "$mode: agent ready" "$(tail -n 5 "$t/agent-$mode.log")"
		return 1
	fi
}

stop_agent() {
	kill -TERM $agent 2>/dev/null
	wait $agent 2>/dev/null
	kill $sink 2>/dev/null
	wait $sink 2>/dev/null
}

# scenario MODE DEVICE_OPTS...: steps 2-6 of docs/containers.md.
scenario() {
	local mode=$1
	shift
	local names=() ids=() agents=() n id
	for n in a b c; do
		if id=$(run_container "$mode-$n" "$@"); then
			names+=("$mode-$n")
			ids+=("$id")
		else
			not_ok "$mode: podman run $n" "$(tail -n 3 "$t/$mode-$n.err")"
		fi
	done
	[[ ${#ids[@]} -eq 3 ]] || return 1
	ok "$mode: three containers started"
	for i in 0 1 2; do
		id=${ids[$i]}
		check "$mode: container ${names[$i]} is bound to its own agent" gdl_wait_for bound "$id"
		agents+=("$(agent_of "$id")")
		check_eq "$mode: ${names[$i]}'s agent id is 2^63 + its cgroup id" \
			"$(printf '%d' "$(cgroup_ino "$id")")" "$(python3 -c "print(${agents[$i]:-0} - 2**63)")"
		if gdl_wait_for held "${names[$i]}"; then
			check_eq "$mode: ${names[$i]} reaches exactly 64 MiB, then OUT_OF_MEMORY; cuMemGetInfo says 64 MiB" \
				"$expect" "$(logs "${names[$i]}" | grep '^procaddr' | head -1)"
		else
			not_ok "$mode: ${names[$i]} holds its memory" "$(logs "${names[$i]}" | tail -n 3)"
		fi
	done
	for i in 0 1 2; do
		check_eq "$mode: agent of ${names[$i]} holds exactly its own 64 MiB" "$Q" "$(agent_used "${agents[$i]}")"
	done
	check_eq "$mode: three distinct agents" 3 "$(printf '%s\n' "${agents[@]}" | sort -u | wc -l)"

	# /metrics: usage per container, through the bound-cgroup series.
	local metrics
	metrics=$(curl -fsS "$api/metrics")
	check "$mode: /metrics names container b's cgroup beside its agent" \
		grep -q "gdl_agent_cgroup_info{agent=\"${agents[1]}\",cgroup=\"/libpod_parent/libpod-${ids[1]}\"} 1" <<<"$metrics"
	check "$mode: /metrics shows container b's usage" grep -q "gdl_agent_used_bytes{agent=\"${agents[1]}\"} $Q" <<<"$metrics"

	# podman kill: the quota comes back at once; the others are untouched.
	"${P[@]}" kill "${names[0]}" >/dev/null 2>&1
	zero() { [[ "$(agent_used "${agents[0]}")" == 0 ]]; }
	check "$mode: podman kill gives ${names[0]}'s quota back" gdl_wait_for zero
	check_eq "$mode: ${names[1]} keeps its 64 MiB" "$Q" "$(agent_used "${agents[1]}")"

	# podman rm: the cgroup goes, the agent unbinds it and removes the template agent.
	"${P[@]}" rm -f "${names[0]}" >/dev/null 2>&1
	check "$mode: podman rm unbinds ${names[0]}'s cgroup" gdl_wait_for unbound "${ids[0]}"
	check "$mode: podman rm removes ${names[0]}'s template agent" gdl_wait_for agent_gone "${agents[0]}"

	# A container no rule matches is a stranger: refused (strangers: refuse).
	local sid
	if sid=$("${P[@]}" run -d --name "$mode-stranger" --cgroup-parent /strangers --network none --user 65534 "$@" \
		-v /usr:/usr:ro -v "$B:/gdl:ro" -e LD_PRELOAD=/gdl/libgdl_cuda.so -e GDL_CUDA_DRIVER=/gdl/libcuda.so.1 \
		--rootfs "$rootfs" /gdl/cuda_paths procaddr "$Q" 2>"$t/stranger.err"); then
		done_running() { [[ "$("${P[@]}" inspect -f '{{.State.Status}}' "$sid" 2>/dev/null)" == exited ]]; }
		gdl_wait_for done_running
		check "$mode: a stranger's first allocation is refused (OUT_OF_MEMORY)" grep -q '^procaddr fill=2,' <<<"$(logs "$mode-stranger")"
		"${P[@]}" rm -f "$sid" >/dev/null 2>&1
	else
		not_ok "$mode: podman run stranger" "$(tail -n 3 "$t/stranger.err")"
	fi

	# Each refusal is a span naming the container's cgroup.
	if [[ $mode == kernel && -z "${bpf_off:-}" ]] || [[ $mode == embedded ]]; then
		GDL_WAIT_S=30 gdl_wait_for grep -q '"gdl.quota_violation"' "$t/spans-$mode.jsonl"
		check "$mode: the refusal of ${names[2]} is a span naming its container" jq -s -e \
			--arg p "/libpod_parent/libpod-${ids[2]}" --arg a "${agents[2]}" \
			'any(.[]; .name == "gdl.quota_violation" and .attributes["gdl.agent.id"] == $a and .attributes["gdl.cgroup.path"] == $p)' \
			"$t/spans-$mode.jsonl"
	fi

	# The rest go; nothing is left behind.
	for i in 1 2; do "${P[@]}" rm -f "${names[$i]}" >/dev/null 2>&1; done
	for i in 1 2; do check "$mode: ${names[$i]}'s template agent removed after rm" gdl_wait_for agent_gone "${agents[$i]}"; done
	check_eq "$mode: no binding left" '0' "$(curl -fsS "$api/v1/bindings" | jq '.cgroups | length')"
	check_eq "$mode: no agent left" '0' "$(curl -fsS "$api/v1/agents" | jq '.items | length')"
}

# 1. With the module: containers reach it through --device.
if gdl_load fake_gpus=2 fake_gpu_mem=$((1 << 30)); then
	if start_agent kernel; then
		scenario kernel --device /dev/gpu_dma_lock
		for f in quotas allocations bindings; do
			check_eq "kernel: /proc/swarm/gpu/$f lists nothing" "" "$(grep -v '^#' "$GDL_PROC/$f" 2>/dev/null)"
		done
		stop_agent
	fi
	gdl_unload
fi

# 2. Without the module: the agent's socket backend, the socket brought in.
mkdir -p /run/gpu-dma-lock
if start_agent embedded --socket /run/gpu-dma-lock/agent.sock; then
	scenario embedded -v /run/gpu-dma-lock:/run/gpu-dma-lock
	stop_agent
fi
rm -rf "$t"
gdl_done
