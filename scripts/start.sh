#!/usr/bin/env bash
# The README's main command: runs the gpu-dma-lock node agent.
# With /dev/gpu_dma_lock present (the module loaded) it governs the real
# module; otherwise it runs the same enforcement logic embedded in its own
# process. Installs what is missing first. Extra arguments go to `gdl agent`
# (see `scripts/start.sh --help`).
set -euo pipefail
. "$(dirname "$0")/lib/log.sh"
ROOT=$(gdl_root)
cd "$ROOT"

bash scripts/bootstrap.sh --run
step_msg "Building the embedded core library (build/user/libgdlcore.so)"
make -s -C kmod/user lib
exec node bin/gdl.mjs agent "$@"
