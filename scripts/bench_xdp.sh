#!/usr/bin/env bash
# XDP benchmarks, as ratios against baselines measured in the same run:
#  1. ns per packet of each program through BPF_PROG_TEST_RUN, against an
#     empty `return XDP_DROP;` program (the floor);
#  2. TAP write path pps (vnetkit gen, 64-byte frames, non-blocking fd) with
#     no XDP, the empty program, each of our actions, and xdp-tools'
#     `xdp-bench drop` on the same TAP.
# Several rounds each; min and median reported. Targets: drop <= 1.3x the
# empty program's ns/packet; TAP pps with drop >= 95% of the empty program's
# and >= xdp-bench drop's.
set -uo pipefail
cd "$(dirname "$0")/.."
V=${VNETKIT:-$PWD/build/vnetkit}
ROUNDS=${ROUNDS:-7}
N=${N:-300000}
ns=vkbench$$
in_ns() { ip netns exec $ns "$@"; }
in_net() { nsenter --net=/run/netns/$ns "$@"; }

echo "-- BPF_PROG_TEST_RUN"
$V xdp bench --repeat 1000000 --rounds "$ROUNDS" || exit 1
echo

cleanup() {
	in_net bpftool net detach xdp dev vktap0 2>/dev/null
	rm -f /sys/fs/bpf/vkbench_empty$$
	[ -n "${xb:-}" ] && kill "$xb" 2>/dev/null
	$V testbed down --name $ns >/dev/null 2>&1
}
trap cleanup EXIT
$V testbed up --name $ns >/dev/null || exit 1
mountpoint -q /sys/fs/bpf || { mount -t bpf bpf /sys/fs/bpf && echo "note: mounted bpffs on /sys/fs/bpf"; }

# Rounds of `gen`. The writer's CPU time per frame is what a frame costs on
# the TAP write path (tun_get_user and XDP run in its syscall); unlike wall
# clock pps it does not move when other jobs share the cores. Prints
# "best-pps median-pps median-cpu-ns".
measure() {
	local extra=$1 r
	for ((r = 0; r < ROUNDS; r++)); do
		in_ns $V gen --tap vktap0 --count "$N" $extra --json |
			python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["pps"], d["cpu_ns_per_frame"])'
	done | python3 -c '
import sys, statistics as st
rows = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
pps = [r[0] for r in rows]; ns = [r[1] for r in rows]
print(max(pps), st.median(pps), st.median(ns))'
}
declare -A BEST MED NS
row() {
	local name=$1 m
	m=$(measure "${2:-}") || return
	read -r BEST[$name] MED[$name] NS[$name] <<<"$m"
}

row none
bpftool prog load build/bpf/xdp_empty.bpf.o /sys/fs/bpf/vkbench_empty$$ type xdp
in_net bpftool net attach xdp pinned /sys/fs/bpf/vkbench_empty$$ dev vktap0
row empty
in_net bpftool net detach xdp dev vktap0
rm -f /sys/fs/bpf/vkbench_empty$$
for a in drop pass tx; do
	in_ns $V xdp attach --dev vktap0 --action $a --mode native >/dev/null
	if [ $a = tx ]; then row $a --recv; else row $a; fi
	in_ns $V xdp detach --dev vktap0 >/dev/null
done
in_ns $V xdp attach --dev vkveth1 --action pass --mode native >/dev/null
in_ns $V xdp attach --dev vktap0 --action redirect --to vkveth0 --mode native >/dev/null
row redirect
in_ns $V xdp detach --dev vktap0 >/dev/null
in_ns $V xdp detach --dev vkveth1 >/dev/null

xdpbench="unavailable (xdp-bench not installed)"
if command -v xdp-bench >/dev/null; then
	log=$(mktemp)
	in_ns xdp-bench drop vktap0 >"$log" 2>&1 &
	xb=$!
	sleep 2
	if kill -0 $xb 2>/dev/null && ip -n $ns link show dev vktap0 | grep -q 'prog/xdp'; then
		row xdp-bench
		xdpbench=""
	else
		why=$(grep -m1 -iE 'error|fail|couldn' "$log" | cut -c1-100)
		xdpbench="unavailable (xdp-bench drop did not attach: ${why:-see $log})"
	fi
	kill -INT $xb 2>/dev/null; wait $xb 2>/dev/null; xb=
	rm -f "$log"
fi

echo "-- TAP write path: $N x 64-byte frames per round, $ROUNDS rounds, non-blocking fd"
echo "   cpu ns = writer CPU time per frame (median); ratios are of 1/cpu-ns, i.e. pps per core"
printf '  %-10s %11s %11s %8s %9s %9s\n' config "best pps" "median pps" "cpu ns" "vs none" "vs empty"
for k in none empty drop pass tx redirect xdp-bench; do
	[ -n "${NS[$k]:-}" ] || continue
	printf '  %-10s %11.0f %11.0f %8.0f %8.2fx %8.2fx\n' "$k" "${BEST[$k]}" "${MED[$k]}" "${NS[$k]}" \
		"$(echo "${NS[none]} / ${NS[$k]}" | bc -l)" "$(echo "${NS[empty]} / ${NS[$k]}" | bc -l)"
done
[ -n "$xdpbench" ] && echo "  xdp-bench  $xdpbench"
echo "  (tx reads the bounced frames back from the same fd; redirect goes through a veth to an XDP pass)"
exit 0
