#!/usr/bin/env bash
# Alternates throughput cells of two or more barque binaries and prints each
# binary's median creates/s and server CPU per write. On a shared machine
# single cells swing by ±30 %: compare medians of alternating runs only.
#
#   scripts/cpbench-ab.sh N BIN_A BIN_B [BIN...]
#
# Environment: CLIENTS (64), DURATION (10s), CLIENT (go|http, go),
# ROUTING (pinned|leader|own, pinned), ARGS (extra `barque server` flags),
# CPBENCH (bin/cpbench).
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: $0 N BIN [BIN...]" >&2
	exit 1
fi
runs=$1
shift
cpbench=${CPBENCH:-bin/cpbench}
clients=${CLIENTS:-64}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in $(seq "$runs"); do
	for bin in "$@"; do
		line=$("$cpbench" -only barque -workloads throughput -barque-client "${CLIENT:-go}" \
			-routing "${ROUTING:-pinned}" -clients "$clients" -duration "${DURATION:-10s}" \
			-barque "$bin" ${ARGS:+-barque-args "$ARGS"} 2>&1 |
			awk -v c="$clients" '$1 == c && $3 ~ /^barque/ {print $4, $7}')
		echo "$bin ${line:-failed}" | tee -a "$out"
	done
done
median() { sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]; else print "-"}'; }
echo "--- medians over $runs runs: creates/s, server CPU µs per write"
for bin in "$@"; do
	ops=$(awk -v b="$bin" '$1 == b && $2 != "failed" {print $2}' "$out" | median)
	cpu=$(awk -v b="$bin" '$1 == b && $2 != "failed" {print $3}' "$out" | median)
	echo "$bin $ops $cpu"
done
