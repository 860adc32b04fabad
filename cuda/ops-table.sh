#!/usr/bin/env bash
# cuda/ops-table.sh - the table of docs/cuda.md ("Every memory function"),
# printed from cuda/gdl_cuda_ops.h, the one list.  docs/cuda.md holds its
# output between the ops-table markers; test/cuda/host-socket.sh checks that
# they agree.  Regenerate: cuda/ops-table.sh --update
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
table() {
	echo "| Function | Treatment | What happens |"
	echo "|---|---|---|"
	# shellcheck disable=SC2016 # backquotes are markdown, not expansions
	sed -n 's/^GDL_CUDA_OP(\([A-Za-z0-9_]*\), \([A-Z]*\), "\(.*\)")$/| `\1` | \2 | \3 |/p' \
		"$ROOT/cuda/gdl_cuda_ops.h" |
		sed 's/| CHARGE |/| charged |/; s/| RELEASE |/| releases |/; s/| TRACK |/| tracked |/;
		     s/| INFO |/| shows the quota |/; s/| ENTRY |/| way in |/; s/| PASS |/| not hooked |/'
}
if [[ ${1:-} == --update ]]; then
	doc=$ROOT/docs/cuda.md
	{
		sed '/<!-- ops-table -->/q' "$doc"
		table
		sed -n '/<!-- \/ops-table -->/,$p' "$doc"
	} >"$doc.tmp"
	mv "$doc.tmp" "$doc"
else
	table
fi
