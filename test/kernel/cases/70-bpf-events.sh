#!/usr/bin/env bash
# 70-bpf-events.sh - every module decision reaches Node through the BPF ring,
# in order, with every field right, nothing lost, nothing extra.
# timeout: 450
. "$GDL_REPO/test/kernel/lib.sh"
. "$GDL_REPO/test/kernel/bpf-lib.sh"

gdl_load fake_gpus=2 fake_gpu_mem=$((1 << 30)) || { gdl_done; exit 1; }
t=$(mktemp -d)
agent=$((0x1000000000000007)) # 64-bit id: no precision may be lost on the way
rounds=5
n=$((8 * rounds))

if bpf_probe --json "$t/r.json" --lines "$t/got" -- \
	"$GDL_TOOLS/bpf_ops" seq $rounds $agent >"$t/want" 2>"$t/err"; then
	ok "load, attach the module's batches' program, $n module operations, detach"
else
	not_ok "bpf-probe run" "$(tail -n 3 "$t/err")"
fi
comment "report: $(jq -c '{received,lost,seen,byType,cpus,finalDrained,runMs}' "$t/r.json" 2>&1)"
check_eq "the tool expected $n events" $n "$(wc -l <"$t/want")"
check_eq "received exactly $n events" $n "$(jval "$t/r.json" .received)"
check_same "every event, every field (kind agent device alloc addr length mode result used quota pid tid comm), in order" "$t/want" "$t/got"
check_json "each of the 8 kinds seen $rounds times" "$t/r.json" "[.byType[]] == [$rounds,$rounds,$rounds,$rounds,$rounds,$rounds,$rounds,$rounds] and (.byType | length) == 8"
check_json "none lost, unknown, short, sampled out or filtered" "$t/r.json" '.lost == 0 and .unknown == 0 and .short == 0 and .sampledOut == 0 and .filtered == 0'
check_json "kernel's seen count = received" "$t/r.json" ".seen == $n"
check_json "ring order is time order on each cpu" "$t/r.json" '.perCpuOrdered'
check_json "the agent's choice: the module's batches, copied by its kfunc (tp_btf)" "$t/r.json" '.object == "gdl_batch.bpf.o"'

# The other decisions' objects (kernel-source.ts moduleObjects()) give the
# same lines: one program per decision kind (what a filter or a program list
# gets), and the batches copied by bpf_probe_read_kernel() (raw_tp, what a
# module without BTF, so without the kfunc, gets).
for obj in gdl_module.bpf.o gdl_batch_raw.bpf.o; do
	if bpf_probe --object $obj --json "$t/o.json" --lines "$t/goto" -- \
		"$GDL_TOOLS/bpf_ops" seq 1 $agent >"$t/wanto" 2>"$t/erro"; then
		check_same "$obj: every event, every field, in order" "$t/wanto" "$t/goto"
		check_json "$obj: loaded, seen = received, none lost" "$t/o.json" ".object == \"$obj\" and .seen == .received and .received == 8 and .lost == 0"
	else
		not_ok "bpf-probe --object $obj run" "$(tail -n 3 "$t/erro")"
	fi
done

# The raw_tp object, which a module built without BTF gets: the same
# arguments read the same way, so the same lines.
if bpf_probe --raw-tp --json "$t/rr.json" --lines "$t/gotr" -- \
	"$GDL_TOOLS/bpf_ops" seq 1 $agent >"$t/wantr" 2>"$t/errr"; then
	check_same "raw_tp programs: every event, every field, in order" "$t/wantr" "$t/gotr"
	# Not in the lines: the one argument the module reads itself.
	check_json "raw_tp programs: events carry the caller's cgroup id" "$t/rr.json" \
		'(.cgroupIds | length) == 1 and (.cgroupIds[0] | tonumber) > 0'
else
	not_ok "bpf-probe --raw-tp run" "$(tail -n 3 "$t/errr")"
fi

# The batches carry every decision: asked for with a filter, refused, not
# silently unfiltered.
if bpf_probe --object gdl_batch.bpf.o --filter-agent 5 --json "$t/bf.json" -- true 2>"$t/bf.err"; then
	not_ok "gdl_batch.bpf.o with a filter is refused" "it ran"
else
	check "gdl_batch.bpf.o with a filter is refused, and says why" grep -q "takes every decision" "$t/bf.err"
fi

# One program only: the others must not even load.
bpf_probe --programs gdl_deny --json "$t/r2.json" --lines "$t/got2" -- \
	"$GDL_TOOLS/bpf_ops" seq 2 $agent >"$t/want2" 2>"$t/err2"
grep ' deny ' "$t/want2" >"$t/want2.deny"
check_same "--programs gdl_deny: only the denials" "$t/want2.deny" "$t/got2"

# Live delivery: the ring watcher (epoll on the ring fd) hands events over
# while the producer still runs, not only when the pipeline stops.
bpf_probe --json "$t/r4.json" -- sh -c "'$GDL_TOOLS/bpf_ops' seq 1 $agent >/dev/null; sleep 2" 2>"$t/err4"
check_json "events delivered live, before the command exits" "$t/r4.json" '.receivedLive == 8 and .received == 8'

# Two producers on two CPUs at once: every event of both, each CPU's in order.
if taskset -c 1 true 2>/dev/null; then
	b=$((0x2000000000000009))
	bpf_probe --json "$t/r3.json" --lines "$t/got3" -- sh -c "
		taskset -c 0 '$GDL_TOOLS/bpf_ops' seq 4 $agent >'$t/w0' &
		taskset -c 1 '$GDL_TOOLS/bpf_ops' seq 4 $b >'$t/w1'
		wait" >/dev/null 2>"$t/err3"
	sort "$t/w0" "$t/w1" >"$t/want3"
	sort "$t/got3" >"$t/got3.sorted"
	check_same "two CPUs producing at once: all 64 events, every field" "$t/want3" "$t/got3.sorted"
	check_json "two CPUs: events from cpus 0 and 1, each CPU's in time order" "$t/r3.json" '.cpus == [0,1] and .perCpuOrdered and .lost == 0'
else
	skip "two CPUs producing at once" "one CPU"
fi

rm -rf "$t"
gdl_unload
gdl_done
