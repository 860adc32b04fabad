#!/usr/bin/env bash
# Dashboards, alert rules and deployment files, checked in order:
#   1. generator --check     dashboards/json/ matches dashboards/src/
#   2. dashboard lint        units, descriptions, datasource variables, trace
#                            links, metric names the agent really exports
#   3. promtool check rules
#   4. promtool test rules   (firing and not firing cases)
#   5. Prometheus e2e        a real prometheus scraping a real agent under
#                            traffic; every panel query and alert expr run
#   6. deploy manifests      YAML structure and references, systemd-analyze verify
#   7. dkms build            kmod/dkms.conf's MAKE[0] against the test kernel
# Prints `ok - x` / `not ok - x: why` lines and ends with "N passed, N failed";
# exits nonzero on any failure.
#
#   dashboards/test.sh                 everything
#   dashboards/test.sh e2e dkms        only the named steps (generate lint rules e2e manifests dkms)
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

passed=0
failed=0
SELECTED=("$@")
sel() { [ ${#SELECTED[@]} -eq 0 ] || [[ " ${SELECTED[*]} " == *" $1 "* ]]; }

# Runs a step whose output is TAP-ish lines; counts them. A step that exits
# nonzero without a `not ok` line still counts as one failure.
tap_step() {
	local name=$1; shift
	local out rc p f
	local t0=$SECONDS
	echo "# $name"
	out=$("$@" 2>&1)
	rc=$?
	# npm/tsx noise is not a test result.
	printf '%s\n' "$out" | grep -v '^npm warn'
	echo "# $name: $((SECONDS - t0))s"
	p=$(printf '%s\n' "$out" | grep -c '^ok - ')
	f=$(printf '%s\n' "$out" | grep -c '^not ok - ')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name: exited $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
}

# Runs a step that is one check: ok when it exits 0, else its output is the why.
one_step() {
	local name=$1; shift
	local out t0=$SECONDS
	echo "# $name"
	if out=$("$@" 2>&1); then
		echo "ok - $name"
		echo "# $name: $((SECONDS - t0))s"
		passed=$((passed + 1))
	else
		printf '%s\n' "$out" | grep -v '^npm warn' | sed 's/^/# /'
		echo "not ok - $name: $(printf '%s\n' "$out" | grep -v '^npm warn' | grep -v '^\s*$' | tail -n 1)"
		failed=$((failed + 1))
	fi
}

TSX=("$ROOT/node_modules/.bin/tsx")

sel generate && one_step "dashboards JSON up to date (generate.ts --check)" "${TSX[@]}" dashboards/src/generate.ts --check
sel lint && tap_step "dashboard lint" "${TSX[@]}" test/deploy/dashboards-lint.ts
sel rules && one_step "promtool check rules" promtool check rules dashboards/alerts/gpu-dma-lock.rules.yml
# promtool resolves rule_files relative to the test file's directory.
sel rules && one_step "promtool test rules" promtool test rules dashboards/alerts/gpu-dma-lock.test.yml
# The e2e agent runs the embedded backend: build/user/libgdlcore.so (make is a no-op when it is current).
sel e2e && one_step "embedded core library (make -C kmod/user lib)" make -s -C kmod/user lib
sel e2e && tap_step "prometheus e2e" "${TSX[@]}" test/deploy/prometheus-e2e.ts
sel manifests && tap_step "deploy manifests" "${TSX[@]}" test/deploy/manifests.ts
sel dkms && tap_step "dkms build" bash test/deploy/dkms-build.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
