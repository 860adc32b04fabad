#!/bin/bash
# 13-proc: every /proc/swarm/gpu file, the control vocabulary, the
# prototype's scripts, and strict refusal of malformed input (nothing
# changes on error).
# timeout: 480
. "$GDL_REPO/test/kernel/lib.sh"

P=$GDL_PROC
gdl_load fake_gpus=2 fake_gpu_mem=1073741824 || exit 1

# --- Files and modes ---------------------------------------------------------
for f in stats:444 devices:444 quotas:400 agents:400 allocations:400 \
	contexts:400 dma_permissions:600 control:200; do
	check_eq "$f has mode ${f#*:}" "${f#*:}" "$(stat -c %a "$P/${f%%:*}" 2>&1)"
done

# --- stats and devices -------------------------------------------------------
for name in allocs alloc_failures frees bytes_allocated bytes_freed checks \
	checks_denied quota_violations grants revokes agents live_allocations \
	used_bytes capacity_bytes devices max_agents default_quota max_agent_allocs \
	kernel_objects; do
	v=$(gdl_stat "$name")
	[[ $v =~ ^[0-9]+$ ]] && ok "stats has $name ($v)" || not_ok "stats has $name" "got '$v'"
done
check_eq "stats lines are 'name value'" 0 "$(grep -cvE '^[a-z_]+ [0-9]+$' "$P/stats")"
check_eq "stats capacity_bytes" 2147483648 "$(gdl_stat capacity_bytes)"
check_eq "devices listing" "# index name kind capacity used pci_domain pci_bdf pci_id
0 fake0 fake 1073741824 0 0x0 0x0 0x0
1 fake1 fake 1073741824 0 0x0 0x0 0x0" "$(cat "$P/devices")"

# --- The prototype's script --------------------------------------------------
check "control: reset_stats" gdl_control reset_stats
check_eq "reset_stats zeroed allocs" 0 "$(gdl_stat allocs)"
check "control: set_quota 1 1048576" gdl_control set_quota 1 1048576
check_eq "quotas lists agent 1 with every device" \
	"# agent quota used device_mask allocations grants
1 1048576 0 0x3 0 0" "$(cat "$P/quotas")"
check "control: allocate 1 4096 0" gdl_control allocate 1 4096 0
check "control: bare allocate" gdl_control allocate
check_eq "allocations lists two persistent allocations of agent 1" 2 \
	"$(grep -cE '^[0-9]+ 1 0 4096 0x1 0$' "$P/allocations")"
check_eq "allocations header" "# alloc_id agent device size flags owner_pid" \
	"$(head -n 1 "$P/allocations")"
check_eq "quotas shows the usage" "1 1048576 8192 0x3 2 0" "$(sed -n 2p "$P/quotas")"
check_eq "stats counts the allocations" 2 "$(gdl_stat allocs)"
check_fail "control: invalid_command fails" gdl_control invalid_command
check "dma_permissions: 1:0x10000:rw" sh -c "echo 1:0x10000:rw > $P/dma_permissions"
check "dma_permissions then lists 0x10000" grep -q 0x10000 "$P/dma_permissions"
check_eq "dma_permissions line" "1 0 0x10000 0x10fff 4096 rw" "$(sed -n 2p "$P/dma_permissions")"
check_eq "dma_permissions header" "# agent device start end length mode" \
	"$(head -n 1 "$P/dma_permissions")"
check_fail "dma_permissions: invalid:format fails" sh -c "echo invalid:format > $P/dma_permissions"
check "dma_permissions: unknown agent 7 is created like a first allocation" \
	sh -c "echo 7:0x2000:r > $P/dma_permissions"
check_eq "agent 7 has the page" "7 0 0x2000 0x2fff 4096 r" "$(grep '^7 ' "$P/dma_permissions")"

# --- The rest of the vocabulary ----------------------------------------------
check "control: set_agent 2 4096 0x2" gdl_control set_agent 2 4096 0x2
check_eq "agent 2 line" "2 4096 0 0x2 0 0" "$(grep '^2 ' "$P/quotas")"
check "control: set_quota without MASK keeps the mask" gdl_control set_quota 2 8192
check_eq "agent 2 kept mask 0x2" "2 8192 0 0x2 0 0" "$(grep '^2 ' "$P/quotas")"
check "control: grant 2 1 0x1000 0x2000 r" gdl_control grant 2 1 0x1000 0x2000 r
check_eq "grant listed" "2 1 0x1000 0x2fff 8192 r" "$(grep '^2 ' "$P/dma_permissions")"
check "control: revoke 2 1 0x1000 4096 r" gdl_control revoke 2 1 0x1000 4096 r
check_eq "revoke cut the range" "2 1 0x2000 0x2fff 4096 r" "$(grep '^2 ' "$P/dma_permissions")"
check "control: allocate 2 4096 1" gdl_control allocate 2 4096 1
id=$(awk '$2 == 2 { print $1 }' "$P/allocations")
check "control: free $id" gdl_control free "$id"
check_eq "freed allocation is gone" "" "$(awk '$2 == 2' "$P/allocations")"
check "control: remove_agent 2" gdl_control remove_agent 2
check_eq "agent 2 is gone" "" "$(grep '^2 ' "$P/quotas")"
err=$( (gdl_control remove_agent 1) 2>&1)
[[ $err == *"busy"* ]] && ok "remove_agent of an agent with allocations: EBUSY" ||
	not_ok "remove_agent of an agent with allocations: EBUSY" "got '$err'"
err=$( (gdl_control allocate 1 2097152 0) 2>&1)
[[ $err == *"quota"* ]] && ok "allocate beyond the quota: EDQUOT" ||
	not_ok "allocate beyond the quota: EDQUOT" "got '$err'"
err=$( (gdl_control free 999999) 2>&1)
[[ $err == *"No such file"* ]] && ok "free of an unknown id: ENOENT" ||
	not_ok "free of an unknown id: ENOENT" "got '$err'"
check "tabs and repeated blanks separate tokens" \
	sh -c "printf 'set_quota\t1   1048576\n' > $P/control"

# --- Malformed input: -EINVAL and nothing changes ----------------------------
snapshot() { cat "$P/quotas" "$P/allocations" "$P/dma_permissions" "$P/stats"; }

# refused FILE WHAT BYTES: writing BYTES (printf format) to FILE in one
# write(2) must fail with EINVAL and change nothing.  (bash's printf writes
# line by line; dd with fullblock gathers everything into one write.)
refused() {
	local file=$1 what=$2 bytes=$3 before after err
	before=$(snapshot)
	# shellcheck disable=SC2059
	err=$(printf "$bytes" | dd of="$P/$file" bs=4096 iflag=fullblock count=1 status=none 2>&1)
	after=$(snapshot)
	if [[ $err != *"Invalid argument"* ]]; then
		not_ok "$file refuses $what" "expected EINVAL, got '${err:-success}'"
	elif [[ "$before" != "$after" ]]; then
		not_ok "$file refuses $what" "state changed"
	else
		ok "$file refuses $what"
	fi
}
long=$(printf 'set_quota 1 %0300d' 5)
for bad in "bogus" "set_quota" "set_quota 1" "set_quota 1 2 3 4" "set_quota x 5" \
	"set_quota 1 -5" "set_quota 1 +5" "set_quota 1 5k" "set_quota 1 0x" "set_quota 1 0xg" \
	"set_quota 1 0x0x10" "set_quota 1 18446744073709551616" "set_quota 1 0x10000000000000000" \
	"set_agent 1 2" "set_agent 1 2 3 4" "remove_agent" "remove_agent 1 2" "remove_agent 0" \
	"allocate 1 4096" "allocate 1 4096 0 9" "allocate 1 4096 4294967296" "free" "free abc" \
	"free 1 2" "allocate 1 0 0" "allocate 0 4096 0" "grant 0 0 0 4096 rw" "revoke 0 0 0 4096 rw" "grant 1 0 0 4096" "grant 1 0 0 4096 x" "grant 1 0 0 4096 rwx" "grant 1 0 0 4096 RW" \
	"revoke 1 0 0 4096 rw extra" "reset_stats now" "RESET_STATS" "$long" \
	"set_quota 1 5\\nset_quota 1 6" "reset_stats\\n\\n" "\\n" "reset_stats\\0" "reset_stats\\033"; do
	refused control "'${bad:0:40}'" "$bad\\n"
done
refused control "a line without a newline that is bad" "bogus"
for bad in "1:0x10000" "1:0x10000:rw:x" "1:0x10000:x" "0:0x10000:rw" "1::rw" "x:1:rw" \
	"1:99999999999999999999:rw" ":0x10000:rw" "1:0x10000:rw " "1 :0x10000:rw"; do
	refused dma_permissions "'$bad'" "$bad\\n"
done

# --- Read-only files refuse writes -------------------------------------------
for f in stats devices quotas agents allocations contexts; do
	before=$(snapshot)
	if (echo reset_stats >"$P/$f") 2>/dev/null; then
		not_ok "$f refuses writes" "write succeeded"
	elif [[ "$before" != "$(snapshot)" ]]; then
		not_ok "$f refuses writes" "state changed"
	else
		ok "$f refuses writes"
	fi
done
check_fail "control cannot be read" cat "$P/control"

# --- contexts -----------------------------------------------------------------
check_eq "contexts header" "# pid comm bound_agent allocations bytes" "$(head -n 1 "$P/contexts")"
exec 3<>"$GDL_DEV"
check_eq "contexts lists this shell's open file" "$$ bash 0 0 0" "$(grep "^$$ " "$P/contexts")"
exec 3>&-
check_eq "contexts forgets a closed file" "" "$(grep "^$$ " "$P/contexts")"

# --- Exported function and unload ---------------------------------------------
check "gpu_dma_lock_check is exported" grep -qw __ksymtab_gpu_dma_lock_check /proc/kallsyms
# A listing left open across unload: the module goes anyway, the file dies.
exec 4<"$P/allocations"
read -r header <&4
check_eq "a listing opened before unload reads" "# alloc_id agent device size flags owner_pid" "$header"
check "unload with persistent allocations, grants and an open listing" gdl_unload
check_fail "the open listing fails after unload" cat <&4
exec 4<&-
check "unload released them" sh -c "dmesg | grep -q 'gpu_dma_lock: unloaded: released 2 persistent allocations'"
check_fail "/proc/swarm is gone after unload" test -e /proc/swarm
check_no_leak
gdl_done
