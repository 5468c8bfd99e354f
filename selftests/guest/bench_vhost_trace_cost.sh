#!/usr/bin/env bash
# Cost of the vhost tracepoints (patches/0004-vhost-add-tracepoints.patch) per
# frame: vnetkit vhost tx (copy TX, 64 B frames, batch 32) with the vhost
# events off and, where the kernel has them, all on (recorded by ftrace into
# its ring buffer). make kernel-bench runs it on the base and the patched
# kernel: "off" on both gives the cost of the disabled call sites.
# Only exact under -icount (QEMU_ARGS="-icount shift=0,sleep=off"): virtual
# time advances 1 ns per guest instruction, so ns per frame is the
# instructions both vCPUs execute per frame (idle time is skipped).
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
T=/sys/kernel/tracing
ROUNDS=${TRACE_COST_ROUNDS:-3}
FRAMES=${TRACE_COST_FRAMES:-20000}

if [ ! -e /dev/vhost-net ]; then
	echo "# bench_vhost_trace_cost: unavailable (no /dev/vhost-net in this kernel)"
	exit 0
fi

# run MODE: one tx run; prints ns per frame.
run() {
	local out
	if [ "$1" = on ]; then
		echo 0 >$T/tracing_on
		echo 16384 >$T/buffer_size_kb
		echo >$T/trace
		echo 1 >$T/events/vhost/enable
		echo 1 >$T/tracing_on
	fi
	out=$($V vhost tx --frames "$FRAMES" --batch 32 --json 2>&1)
	if [ "$1" = on ]; then
		echo 0 >$T/tracing_on
		echo 0 >$T/events/vhost/enable
	fi
	[ "$(jv .result "$out")" = ok ] || { echo "# bench_vhost_trace_cost: a $1 run failed: $(echo "$out" | head -c 200)" >&2; return; }
	jv .ns_per_frame "$out"
}

# median VALUES...
median() { printf '%s\n' "$@" | grep . | sort -g | awk '{ v[NR] = $1 }
	END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

modes=off
[ -d $T/events/vhost ] && modes="off on"
[ -d $T/events/vhost ] || echo "# vhost_trace_cost.on: unavailable (no vhost tracepoints in this kernel)"
declare -A S
run off >/dev/null	# warm-up
for ((r = 0; r < ROUNDS; r++)); do
	for m in $modes; do
		S[$m]+=" $(run $m)"
	done
done
for m in $modes; do
	# shellcheck disable=SC2086
	med=$(median ${S[$m]})
	[ -n "$med" ] || continue
	echo "metric vhost_trace_cost.tx64.events_$m.ns_per_frame $med ns lower"
	echo "# vhost_trace_cost events $m: rounds${S[$m]}"
done
exit 0
