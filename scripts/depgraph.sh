#!/usr/bin/env bash
# The import graph of grd's own packages, from `go list`, as a Mermaid
# flowchart: the picture in docs/ARCHITECTURE.md.
#
#   scripts/depgraph.sh           print the graph
#   scripts/depgraph.sh --write   rewrite the block between the markers in docs/ARCHITECTURE.md
#   scripts/depgraph.sh --check   fail if that block is out of date (make lint runs this)
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
mod=$($GO list -m)
graph() {
	echo '```mermaid'
	echo 'flowchart TD'
	$GO list -f '{{.ImportPath}}{{range .Imports}} {{.}}{{end}}' ./... |
		awk -v mod="$mod" '
		function short(p) { sub("^" mod "/?", "", p); return p == "" ? "grd" : p }
		{ src = short($1); for (i = 2; i <= NF; i++) if (index($i, mod) == 1) print src "\t" short($i) }' |
		grep -v '^bench/peers\|^integrators/internal' | sort |
		awk -F'\t' '{ id1 = $1; id2 = $2; gsub("/", "_", id1); gsub("/", "_", id2); printf "    %s[%s] --> %s[%s]\n", id1, $1, id2, $2 }'
	echo '```'
}
doc=docs/ARCHITECTURE.md
begin='<!-- depgraph:begin (scripts/depgraph.sh --write) -->'
end='<!-- depgraph:end -->'
case "${1:-}" in
"") graph ;;
--write | --check)
	new=$(mktemp)
	trap 'rm -f "$new"' EXIT
	awk -v b="$begin" -v e="$end" -v g="$(graph)" '
		$0 == b { print; print g; skip = 1; next }
		$0 == e { skip = 0 }
		!skip' "$doc" >"$new"
	grep -qxF "$begin" "$doc" || { echo "depgraph: $doc has no line '$begin'" >&2; exit 1; }
	if [ "$1" = --write ]; then
		cp "$new" "$doc"
	elif ! cmp -s "$new" "$doc"; then
		echo "depgraph: the import graph in $doc is out of date; run scripts/depgraph.sh --write" >&2
		diff "$doc" "$new" >&2 || true
		exit 1
	fi
	;;
*) echo "usage: scripts/depgraph.sh [--write|--check]" >&2; exit 2 ;;
esac
