# Shared shell helpers for the project's scripts: progress lines a person can follow.
# shellcheck shell=bash

gdl_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

# "==> what" in bold when stdout is a terminal, plain otherwise (CI logs).
step_msg() {
	if [ -t 1 ]; then printf '\033[1m==> %s\033[0m\n' "$*"; else printf '==> %s\n' "$*"; fi
}
info() { printf '    %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
