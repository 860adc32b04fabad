#!/usr/bin/env bash
# 82-agent-identity.sh - the agent's identity rules on a real cgroup2 tree:
# part 1 (embedded backend, no module needed): the watcher binds a template
# cgroup created after start; an unprivileged process in it, talking to the
# interposer socket, is that cgroup's agent (SO_PEERCRED + /proc/pid/cgroup),
# is held to the template's quota, gets its quota back on kill -9; removing
# the cgroup unbinds it and removes the template agent.
# part 2 (kernel backend, needs the module's identity ioctls): the watcher
# binds a cgroup created after start in the module and unbinds it on rmdir.
# timeout: 600
. "$GDL_REPO/test/kernel/lib.sh"

cd "$GDL_REPO" || exit 1
ip link set lo up 2>/dev/null || comment "could not bring lo up"
if [[ -f "$GDL_BUILD/agent/gdl.mjs" ]]; then cli="$GDL_BUILD/agent/gdl.mjs"; else cli="$GDL_REPO/bin/gdl.mjs"; fi
client="$GDL_REPO/test/wire/client.mjs"
t=$(mktemp -d)
chmod 755 "$t"
export GDL_WAIT_S=240

cg=$t/cg
mkdir -p "$cg"
if ! mount -t cgroup2 none "$cg" 2>/dev/null; then
	skip "agent identity" "no cgroup2 in this guest"
	gdl_done; exit 0
fi
mkdir -p "$cg/gdltest"
cat >"$t/policy.yaml" <<'P'
agents:
  - id: 1001
    quota: 1GiB
    devices: [0]
    match:
      - cgroup: /gdltest/static-*
templates:
  - name: jobs
    match: { cgroup: "/gdltest/job-*" }
    quota: 64MiB
    devices: [0]
P
MiB=$((1 << 20))
TBASE=9223372036854775808 # 2^63: template agent ids are 2^63 + cgroup id

start_agent() { # PORT ARGS...
	local port=$1
	shift
	node "$cli" agent --port "$port" --policy "$t/policy.yaml" --cgroup-root "$cg" --log-level info "$@" >"$t/agent.log" 2>&1 &
	agent=$!
	url=http://127.0.0.1:$port
	gdl_wait_for sh -c "curl -fsS $url/readyz >/dev/null 2>&1 || ! kill -0 $agent 2>/dev/null"
	curl -fsS "$url/readyz" >/dev/null 2>&1
}
stop_agent() {
	kill -TERM "$agent" 2>/dev/null
	wait "$agent" 2>/dev/null
}
bound_agent() { curl -fsS "$url/v1/bindings" | jq -r --arg p "$1" '.cgroups[] | select(.path == $p) | .agent'; }

# ---- part 1: embedded backend and the interposer socket
sock=$t/agent.sock
if start_agent 19482 --backend embedded --socket "$sock"; then
	ok "embedded agent ready with socket and watcher"
	mkdir "$cg/gdltest/job-a"
	ino=$(stat -c %i "$cg/gdltest/job-a")
	want=$(echo "$TBASE + $ino" | bc)
	export GDL_WAIT_S=30
	if gdl_wait_for sh -c "[ \"\$(curl -fsS $url/v1/bindings | jq -r '.cgroups[] | select(.path == \"/gdltest/job-a\") | .agent')\" = $want ]"; then
		ok "watcher bound /gdltest/job-a (created after start) to agent 2^63+$ino"
	else
		not_ok "watcher bound /gdltest/job-a" "$(curl -fsS "$url/v1/bindings") $(tail -n 3 "$t/agent.log")"
	fi
	# A uid 65534 process inside the cgroup, identified by the kernel.
	in_job() { sh -c "echo \$\$ > $cg/gdltest/job-a/cgroup.procs && exec setpriv --reuid=65534 --regid=65534 --clear-groups node $client $sock $*"; }
	info=$(in_job info)
	check_eq "socket peer in job-a is its template agent" "$want" "$(jq -r .agent <<<"$info")"
	over=$(in_job alloc $((65 * MiB)))
	check_eq "65 MiB over the 64 MiB template quota: -EDQUOT" -122 "$(jq -r .result <<<"$over")"
	sh -c "echo \$\$ > $cg/gdltest/job-a/cgroup.procs && exec setpriv --reuid=65534 --regid=65534 --clear-groups node $client $sock alloc $((64 * MiB)) 0 hold" >"$t/hold.out" &
	holder=$!
	gdl_wait_for grep -q result "$t/hold.out"
	check_eq "64 MiB fits exactly" 0 "$(jq -r .result "$t/hold.out")"
	check_eq "the agent holds 64 MiB" $((64 * MiB)) "$(curl -fsS "$url/v1/agents/$want" | jq -r .used)"
	kill -9 "$holder"
	wait "$holder" 2>/dev/null
	if gdl_wait_for sh -c "[ \"\$(curl -fsS $url/v1/agents/$want | jq -r .used)\" = 0 ]"; then ok "kill -9 gives the quota back"; else not_ok "kill -9 gives the quota back" "$(curl -fsS "$url/v1/agents/$want")"; fi
	outsider=$(setpriv --reuid=65534 --regid=65534 --clear-groups node "$client" "$sock" alloc 4096)
	check_eq "a peer outside every rule is refused (-EPERM)" -1 "$(jq -r .result <<<"$outsider")"
	rmdir "$cg/gdltest/job-a"
	if gdl_wait_for sh -c "[ -z \"\$(curl -fsS $url/v1/bindings | jq -r '.cgroups[] | select(.path == \"/gdltest/job-a\") | .agent')\" ]"; then ok "rmdir unbinds"; else not_ok "rmdir unbinds" "$(curl -fsS "$url/v1/bindings")"; fi
	code=$(curl -s -o /dev/null -w '%{http_code}' "$url/v1/agents/$want")
	check_eq "the idle template agent is removed" 404 "$code"
	stop_agent
	check "socket file removed on shutdown" test ! -e "$sock"
else
	not_ok "embedded agent ready" "$(tail -n 5 "$t/agent.log")"
	stop_agent
fi

# ---- part 2: kernel backend (the module's cgroup bindings)
export GDL_WAIT_S=240
gdl_load fake_gpus=2 || { gdl_done; exit 1; }
if [[ ! -e $GDL_PROC/bindings ]]; then
	skip "kernel watcher binds and unbinds" "this module has no identity bindings ($GDL_PROC/bindings)"
elif start_agent 19483 --backend kernel --no-kernel-events; then
	ok "kernel agent ready"
	export GDL_WAIT_S=30
	mkdir "$cg/gdltest/static-x"
	if gdl_wait_for grep -q '/gdltest/static-x' "$GDL_PROC/bindings"; then ok "module binding made for a cgroup created after start"; else not_ok "module binding made" "$(cat "$GDL_PROC/bindings") $(tail -n 3 "$t/agent.log")"; fi
	check_eq "bound to agent 1001" 1001 "$(bound_agent /gdltest/static-x)"
	mkdir "$cg/gdltest/job-k"
	kino=$(stat -c %i "$cg/gdltest/job-k")
	kwant=$(echo "$TBASE + $kino" | bc)
	if gdl_wait_for grep -q "^$kwant " "$GDL_PROC/quotas"; then ok "template agent created in the module"; else not_ok "template agent created" "$(cat "$GDL_PROC/quotas")"; fi
	rmdir "$cg/gdltest/static-x" "$cg/gdltest/job-k"
	if gdl_wait_for sh -c "! grep -q '/gdltest/' $GDL_PROC/bindings"; then ok "rmdir unbinds in the module"; else not_ok "rmdir unbinds in the module" "$(cat "$GDL_PROC/bindings")"; fi
	check "template agent removed from the module" sh -c "! grep -q '^$kwant ' $GDL_PROC/quotas"
	stop_agent
else
	not_ok "kernel agent ready" "$(tail -n 5 "$t/agent.log")"
	stop_agent
fi
gdl_unload
rmdir "$cg/gdltest" 2>/dev/null
umount "$cg" 2>/dev/null
rm -rf "$t"
gdl_done
