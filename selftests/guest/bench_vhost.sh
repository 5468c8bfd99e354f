#!/usr/bin/env bash
# vhost-net benchmark in the QEMU guest (make kernel-bench runs it on the
# base and the patched kernel and compares). Under TCG the CPU is emulated:
# absolute rates and latencies mean little, only ratios between kernels of
# the same run do. The per-frame counts (kicks, interrupts, used entries per
# reap) do not depend on CPU speed and are reported next to them.
# About 2 minutes under TCG (the guest init allows a script 300 s).
#
# Output: "metric <name> <median> <unit>" per metric (scripts/qemu.sh turns
# them into base/patched ratios), each followed by a "# <name>: better
# <higher|lower>, min <v>, max <v>, <n> rounds" line.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
ROUNDS=${VHOST_BENCH_ROUNDS:-3}
N=${VHOST_BENCH_FRAMES:-100000}
PP=${VHOST_BENCH_PINGPONG:-1000}

if [ ! -e /dev/vhost-net ]; then
	echo "# bench_vhost: unavailable (no /dev/vhost-net in this kernel)"
	exit 0
fi
echo "# bench_vhost: TCG guest: absolute figures are emulation, compare ratios;"
echo "# kicks, interrupts and used/reap per frame do not depend on the CPU"

# stats NAME UNIT DIR VALUES...: median, min, max of the rounds.
stats() {
	local name=$1 unit=$2 dir=$3
	shift 3
	printf '%s\n' "$@" | sort -g | awk -v n="$name" -v u="$unit" -v d="$dir" '
		{ v[NR] = $1 }
		END {
			if (!NR) { print "# " n ": unavailable (no samples)"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "metric %s %.6g %s\n", n, m, u
			printf "# %s: better %s, min %.6g, max %.6g, %d rounds\n",
			       n, d, v[1], v[NR], NR
		}'
}

# bench NAME ARGS...: ROUNDS runs of vnetkit vhost ARGS --json.
bench() {
	local name=$1 i out
	local -a pps nsf wk tk ti tr rk ri rr p50 p99
	shift
	for ((i = 0; i < ROUNDS; i++)); do
		out=$($V vhost "$@" --json 2>&1)
		if [ "$(jv .result "$out")" != ok ]; then
			echo "# $name: round $i failed: $(echo "$out" | head -c 300)"
			continue
		fi
		pps+=("$(jv .pps "$out")")
		nsf+=("$(jv .ns_per_frame "$out")")
		wk+=("$(jv .vhost_worker.cpu_ns_per_frame "$out")")
		tk+=("$(jv .tx.kicks_per_frame "$out")")
		ti+=("$(jv .tx.interrupts_per_frame "$out")")
		tr+=("$(jv .tx.used_per_reap "$out")")
		rk+=("$(jv .rx.kicks_per_frame "$out")")
		ri+=("$(jv .rx.interrupts_per_frame "$out")")
		rr+=("$(jv .rx.used_per_reap "$out")")
		p50+=("$(jv .latency_ns.p50 "$out")")
		p99+=("$(jv .latency_ns.p99 "$out")")
	done
	stats "vhost.$name.pps" pps higher "${pps[@]}"
	stats "vhost.$name.ns_per_frame" ns lower "${nsf[@]}"
	[ -n "${wk[0]}" ] && stats "vhost.$name.worker_cpu_ns_per_frame" ns lower "${wk[@]}"
	# Only the queues the mode drives ($1 is the vnetkit vhost mode).
	if [ "$1" != rx ]; then
		stats "vhost.$name.tx_kicks_per_frame" count lower "${tk[@]}"
		stats "vhost.$name.tx_irqs_per_frame" count lower "${ti[@]}"
		stats "vhost.$name.tx_used_per_reap" count higher "${tr[@]}"
	fi
	if [ "$1" != tx ]; then
		stats "vhost.$name.rx_kicks_per_frame" count lower "${rk[@]}"
		stats "vhost.$name.rx_irqs_per_frame" count lower "${ri[@]}"
		stats "vhost.$name.rx_used_per_reap" count higher "${rr[@]}"
	fi
	if [ -n "${p50[0]}" ]; then
		stats "vhost.$name.rtt_p50" ns lower "${p50[@]}"
		stats "vhost.$name.rtt_p99" ns lower "${p99[@]}"
	fi
}

bench tx tx --frames "$N" --ring-size 256 --batch 32
bench tx_batch1 tx --frames "$((N / 4))" --ring-size 256 --batch 1
bench rx rx --frames "$((N / 2))" --ring-size 256 --batch 32
bench pingpong pingpong --frames "$PP"
bench pingpong_busy50 pingpong --frames "$PP" --busyloop-timeout 50
# Both sides polling: the driver spins on the used ring, vhost busy-polls.
bench pingpong_spin pingpong --frames "$PP" --spin
bench pingpong_spin_busy50 pingpong --frames "$PP" --spin --busyloop-timeout 50
exit 0
