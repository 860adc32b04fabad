#!/bin/bash
# timeout: 180
# 21-userns: a caller that is root inside a user namespace (mapped to uid
# 65534, or to uid 0 itself) holds no capability in the initial namespace and
# is refused everything an unprivileged caller is: configuration, binding,
# naming another agent, control writes, and what the /proc listings hide
# from uid 65534 (test/kernel/tools/userns_refused.c).  With uid 65534 bound
# to an agent (BIND_UID), root in a namespace whose outside uid is 65534 acts
# as that agent only, like plain uid 65534.
. "$GDL_REPO/test/kernel/lib.sh"

if [[ ! -e /proc/self/ns/user ]]; then
	not_ok "kernel has user namespaces" "no /proc/self/ns/user"
	gdl_done
	exit $?
fi
gdl_load fake_gpus=1 default_quota=0 || exit 1
run_tap_tool userns_refused
check_eq "nothing left allocated" 0 "$(gdl_stat live_allocations)"
check "unload" gdl_unload
gdl_done
