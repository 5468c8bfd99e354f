#!/usr/bin/env bash
# make bench: run every scripts/bench_*.sh in turn (or those matching $1).
# Each prints its own report; figures are ratios against a baseline measured
# in the same run, with min/median over repeated rounds.
set -u
cd "$(dirname "$0")/.."
export VNETKIT=${VNETKIT:-$PWD/build/vnetkit}
rc=0
for b in scripts/bench_*.sh; do
	[ -n "${1:-}" ] && [[ "$b" != *"$1"* ]] && continue
	echo "== $(basename "$b" .sh)"
	bash "$b" || { echo "vnetkit: bench: $b failed" >&2; rc=1; }
	echo
done
exit $rc
