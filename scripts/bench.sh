#!/usr/bin/env bash
# npm run bench: the numbers behind gpu-dma-lock's speed goals.
#   1. the core logic natively, ns per operation on this CPU
#   2. inside Debian's kernel under qemu: every ioctl as a ratio to a no-op
#      ioctl measured in the same run, the in-kernel exported check, and the
#      eBPF pipeline (Node vs a C consumer; cost added to a check)
# Benchmarks print, they never fail on a number.
set -euo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
cd "$ROOT"

bash scripts/bootstrap.sh --test
step_msg "Core logic, native build on this CPU"
make -s -C kmod/user bench
step_msg "Kernel module and eBPF pipeline, in the test kernel (TCG: compare ratios, not absolute times)"
test/vm/run.sh --bench
