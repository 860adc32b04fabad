#!/bin/bash
# 12-unpriv: an unprivileged process holding bound, unbound and root-opened
# files is refused everything it must be, and may act as its bound agent
# (test/kernel/tools/unpriv_identity.c).
# timeout: 120
. "$GDL_REPO/test/kernel/lib.sh"

gdl_load fake_gpus=1 || exit 1
gdl_tool unpriv_identity
rc=$?
[[ $rc -eq 0 ]] || not_ok "unpriv_identity exit status" "exit $rc"
check_eq "nothing left allocated" 0 "$(gdl_stat live_allocations)"
check "unload" gdl_unload
gdl_done
