#!/usr/bin/env bash
# 71-bpf-accounting.sh - nothing is lost silently: an overflowed ring counts
# exactly what it dropped; sampling and filters count what they skip.
# timeout: 450
. "$GDL_REPO/test/kernel/lib.sh"
. "$GDL_REPO/test/kernel/bpf-lib.sh"

gdl_load fake_gpus=2 fake_gpu_mem=$((1 << 30)) || { gdl_done; exit 1; }
t=$(mktemp -d)
hold=3600000 # --poll-ms: nobody consumes until the command is done

# A one-page ring (4096 bytes: 34 records of 120) and 2000 checks.
bpf_probe --ring-size 4096 --poll-ms $hold --json "$t/o.json" -- \
	"$GDL_TOOLS/bpf_ops" checks 2000 >"$t/o.out" 2>"$t/o.err" ||
	not_ok "overflow run" "$(tail -n 3 "$t/o.err")"
produced=$(awk '/^produced/ { print $2 }' "$t/o.out")
comment "produced $produced; report: $(jq -c '{received,lost,seen}' "$t/o.json" 2>&1)"
check_json "tiny ring overflowed: lost > 0 and reported" "$t/o.json" '.lost > 0 and .received > 0 and .received <= 34'
check_json "produced ($produced) = received + lost, exactly" "$t/o.json" ".received + .lost == $produced and .seen == $produced"
check_json "a ring that small gets the per-decision records, not batches" "$t/o.json" '.object == "gdl_module.bpf.o"'

# The same with the module's batches (a ring must hold four full ones:
# kernel-source.ts BATCH_RING_MIN): a batch that does not fit is lost whole,
# and counted decision by decision.
bpf_probe --ring-size 65536 --poll-ms $hold --json "$t/b.json" -- \
	"$GDL_TOOLS/bpf_ops" checks 2000 >"$t/b.out" 2>"$t/b.err" ||
	not_ok "batches overflow run" "$(tail -n 3 "$t/b.err")"
produced=$(awk '/^produced/ { print $2 }' "$t/b.out")
comment "batches: produced $produced; report: $(jq -c '{object,received,lost,seen}' "$t/b.json" 2>&1)"
check_json "batches: the ring overflowed, lost > 0, and some arrived" "$t/b.json" '.object == "gdl_batch.bpf.o" and .lost > 0 and .received > 0'
check_json "batches: produced ($produced) = received + lost, exactly" "$t/b.json" ".received + .lost == $produced and .seen == $produced"

# Sampling: 1 in 10 allowed checks kept; the 50 denials and the grant all kept.
# The module samples (trace_check_every), so the 900 skipped checks never
# reach BPF: it counts them, and the probe adds them to seen and sampledOut.
# Pinned to one CPU: the sampling cycle is per CPU.
taskset -c 0 true 2>/dev/null && pin=(taskset -c 0) || pin=()
every=/sys/module/$GDL_MODULE/parameters/trace_check_every
untraced0=$(gdl_stat checks_untraced)
bpf_probe --sample-every 10 --json "$t/s.json" -- \
	"${pin[@]}" "$GDL_TOOLS/bpf_ops" checks 1000 50 >"$t/s.out" 2>"$t/s.err" ||
	not_ok "sampling run" "$(tail -n 3 "$t/s.err")"
comment "sampling: $(jq -c '{received,sampledOut,byType}' "$t/s.json" 2>&1)"
check_eq "the module skipped the 900 (checks_untraced)" 900 $(($(gdl_stat checks_untraced) - untraced0))
check_eq "the probe put trace_check_every back to 1" 1 "$(cat "$every")"

# An operator's trace_check_every=3: a probe that does not sample still
# accounts for the module's skips, and a sampling probe puts back the 3.
echo 3 >"$every"
bpf_probe --json "$t/d.json" -- "${pin[@]}" "$GDL_TOOLS/bpf_ops" checks 30 >/dev/null 2>"$t/d.err" ||
	not_ok "run under the operator's sampling" "$(tail -n 3 "$t/d.err")"
comment "operator's 1 in 3: $(jq -c '{received,sampledOut,seen,byType}' "$t/d.json" 2>&1)"
check_json "operator's 1 in 3: kept + skipped = the 30 checks, about 1 in 3 kept" "$t/d.json" \
	'.byType.check + .sampledOut == 30 and .byType.check >= 8 and .byType.check <= 12 and .seen == .received + .sampledOut'
bpf_probe --sample-every 10 --json "$t/e.json" -- "$GDL_TOOLS/bpf_ops" checks 10 >/dev/null 2>"$t/e.err" ||
	not_ok "sampling run over the operator's value" "$(tail -n 3 "$t/e.err")"
check_eq "the probe put back the operator's 3" 3 "$(cat "$every")"
echo 1 >"$every"
check_json "sample_every=10: 100 of 1000 allowed checks, 900 counted sampled out" "$t/s.json" '.byType.check == 100 and .sampledOut == 900'
check_json "sample_every=10: every denial and the grant kept" "$t/s.json" '.byType.deny == 50 and .byType.grant == 1'
check_json "sampled: seen = received + sampled_out" "$t/s.json" '.seen == .received + .sampledOut and .lost == 0'

# Agent filter: two agents' sequences, only one agent's events.
a=$((0x77)) b=$((0x88))
bpf_probe --filter-agent $a --json "$t/f.json" --lines "$t/f.got" -- \
	sh -c "'$GDL_TOOLS/bpf_ops' seq 2 $a && '$GDL_TOOLS/bpf_ops' seq 3 $b >/dev/null" \
	>"$t/f.want" 2>"$t/f.err" || not_ok "filter run" "$(tail -n 3 "$t/f.err")"
check_same "filter_agent: exactly that agent's 16 events" "$t/f.want" "$t/f.got"
check_json "filter_agent: the other agent's 24 counted filtered" "$t/f.json" '.filtered == 24 and .seen == 40'

# cgroup filter: the callers' own cgroup passes everything, another none.
cg=$(jq -r '.cgroupIds[0] // empty' "$t/s.json")
check_json "events carry the caller's cgroup id (one cgroup here)" "$t/s.json" '(.cgroupIds | length) == 1 and (.cgroupIds[0] | tonumber) > 0'
bpf_probe --filter-cgroup "${cg:-1}" --json "$t/c1.json" -- "$GDL_TOOLS/bpf_ops" seq 1 $a >/dev/null 2>"$t/c.err"
check_json "filter_cgroup=$cg (ours): all 8 kept" "$t/c1.json" '.received == 8 and .filtered == 0'
bpf_probe --filter-cgroup 987654321 --json "$t/c2.json" -- "$GDL_TOOLS/bpf_ops" seq 1 $a >/dev/null 2>"$t/c.err"
check_json "filter_cgroup=987654321 (not ours): all 8 counted filtered" "$t/c2.json" '.received == 0 and .filtered == 8 and .seen == 8'

rm -rf "$t"
gdl_unload
gdl_done
