#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a bounded time each.
# Usage: fuzz/run-go-fuzz.sh [duration]   (default 10s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-10s}"
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
	# No match is the common case; under pipefail it must not end the script.
	{ grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null || true; } | sed 's/^func //' | sort -u | while read -r f; do
		echo "== $pkg $f ($t)"
		go test -run '^$' -fuzz "^${f}\$" -fuzztime "$t" -fuzzminimizetime=2s "$pkg"
	done
done
