#!/bin/bash
# timeout: 60
# 00-boot: the guest is the kernel we built against, with the filesystems
# every later case relies on.
. "$GDL_REPO/test/kernel/lib.sh"

want=${GDL_KVER:-$("$GDL_REPO/test/vm/kernel.sh" version)}
check_eq "guest runs the Debian test kernel $want" "$want" "$(uname -r)"

for fs in tracefs:/sys/kernel/tracing debugfs:/sys/kernel/debug bpf:/sys/fs/bpf \
	tmpfs:/tmp devtmpfs:/dev proc:/proc sysfs:/sys; do
	type=${fs%%:*} dir=${fs#*:}
	check_eq "$dir is $type" "$type" "$(findmnt -n -o FSTYPE --mountpoint "$dir" 2>&1)"
done

check "tracefs lists events" test -r /sys/kernel/tracing/available_events
check "results dir is writable" touch "$GDL_RESULTS/.00-boot-probe"
rm -f "$GDL_RESULTS/.00-boot-probe"
check_fail "host root is read-only" touch "$GDL_REPO/.gdl-ro-probe"
check "module loading works (kernel has modules)" test -e /proc/modules
if [[ -d /sys/kernel/btf ]]; then ok "kernel exposes BTF"; else not_ok "kernel exposes BTF" "no /sys/kernel/btf"; fi

gdl_done
