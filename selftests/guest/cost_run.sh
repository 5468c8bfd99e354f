#!/usr/bin/env bash
# One make kernel-cost workload in the QEMU guest (scripts/cost.sh boots the
# guest with vnetkit.mode=cost and the TCG cost plugin). The workload opens
# the plugin's measurement window itself (vnetkit vhost / gen --warmup) once
# set-up and warm-up are done, and closes it after its last frame; this
# script prints what the host needs to turn window counts into per-frame
# figures:
#   vk-cost workload=W frames=N warmup=W            frames inside the window
#   vk-cost json {...}                              the workload's own report
# Parameters (kernel command line vnetkit.cost.KEY=VALUE, see init):
#   VK_COST_W          vhost-tx | vhost-rx | vhost-pingpong | tun-redirect |
#                      tap-xdp-drop | cpu-redirect
#   VK_COST_FRAMES     frames in the run (the window excludes the warm-up)
#   VK_COST_BUSYLOOP   vhost: --busyloop-timeout US
#   VK_COST_PUBLISH    vhost-tx: --publish-every N
#   VK_COST_BATCH      vhost-tx: --batch N
#   VK_COST_LOCKSTEP   vhost-tx: 1 = --lockstep (one avail index update in
#                      flight: the worker meets every publish)
#   VK_COST_SIZE       tap-xdp-drop, tun-redirect: frame size (gen --size;
#                      above 1514 the veth pair and the TAP get an MTU to match)
#   VK_COST_FRAGS      tap-xdp-drop, tun-redirect: 1 = the xdp.frags variant
#                      of the program (vnetkit xdp attach --frags)
#   VK_COST_INTERVAL   vhost-pingpong: --interval US --pace spin
#   VK_COST_PACE       vhost-pingpong: sleep to wait for each frame's start
#                      with --pace sleep instead (the driver's vCPU idles
#                      between frames: a tick, 4 ms, at least)
#   VK_COST_ADAPTIVE   vhost: 1 for --busyloop-adaptive
#   VK_COST_TRACE      vhost: 1 to run the workload under vnetkit trace
#                      --stages vhost_net (its programs on the vhost
#                      tracepoints and functions), started before it
#   VK_COST_EVENTS     vhost: the vhost tracepoints on, and nothing else:
#                      ftrace = every event of events/vhost/ recorded into
#                      the ftrace ring buffer (echo 1 >events/vhost/enable);
#                      bpf = vnetkit trace --events vhost_ (its raw_tp
#                      programs on every vhost event, counting per device)
#   VK_COST_EXPORT     1: vnetkit export runs on CPU 1 through the whole
#                      workload with every source on (vhost tracepoints and
#                      --enable-bpf-stats held on through the window:
#                      --bpf-stats-duty 100, what a sampling exporter costs
#                      while it samples); 2: with its default sources (no
#                      BPF statistics: what it costs between samples, the
#                      static key patched back). Started, attached and collecting
#                      before the window opens; a textfile every
#   VK_COST_EXPORT_INTERVAL seconds of guest time (default 15, Prometheus'
#                      usual scrape interval: the window, well under a
#                      second, then holds the per-frame cost of what export
#                      attached, not a collection; a collection's cost is
#                      the bench's per-scrape figure)
# CPU placement, so that the plugin's per-vCPU rows are the two sides: the
# driver (or sender) on CPU 0, the vhost worker (or the receiving NAPI
# thread and sink) on CPU 1.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
W=${VK_COST_W:-}
F=${VK_COST_FRAMES:-20000}
NS=vkcost$$
SIZE=${VK_COST_SIZE:-64}
FRAGS=${VK_COST_FRAGS:+--frags}
MTU=1500
[ "$SIZE" -gt 1514 ] && MTU=$((SIZE - 14))
T=$(mktemp -d)
at_exit "rm -rf $T"

# report JSON: the window line from the workload's cost_window object.
report() {
	local js=$1 cw frames warm opened
	cw=$(jq -c '.cost_window | values' <<<"$js" 2>/dev/null)
	frames=$(jv .in_window "$cw") warm=$(jv .warmup "$cw") opened=$(jv .opened "$cw")
	echo "vk-cost json $js"
	if [ "$opened" = true ] && [ "${frames:-0}" -gt 0 ]; then
		echo "vk-cost workload=$W frames=$frames warmup=$warm"
		ok "cost $W: window opened after $warm warm-up frames, $frames frames inside"
	else
		fail "cost $W: the window never opened or saw no frame ($cw)"
	fi
}

vhost() {	# vhost MODE ARGS...
	local js tp=
	[ -e /dev/vhost-net ] || { fail "cost $W: no /dev/vhost-net in this kernel"; return; }
	if [ "${VK_COST_TRACE:-0}" = 1 ]; then
		$V trace --stages vhost_net --counters none --duration 3600 --json \
			>$T/trace.json 2>$T/trace.err &
		tp=$!
		at_exit "kill $tp"
		sleep 2
		kill -0 $tp 2>/dev/null ||
			{ fail "cost $W: vnetkit trace did not start: $(head -c 300 $T/trace.err)"; return; }
	fi
	case "${VK_COST_EVENTS:-0}" in
	0) ;;
	ftrace)
		local tr=/sys/kernel/tracing
		[ -d $tr/events/vhost ] || { fail "cost $W: no vhost tracepoints in this kernel"; return; }
		echo 16384 >$tr/buffer_size_kb
		echo >$tr/trace
		echo 1 >$tr/events/vhost/enable
		echo 1 >$tr/tracing_on
		at_exit "echo 0 >$tr/events/vhost/enable"
		;;
	bpf)
		$V trace --events vhost_ --counters none --duration 3600 --json \
			>$T/trace.json 2>$T/trace.err &
		tp=$!
		at_exit "kill $tp"
		sleep 2
		kill -0 $tp 2>/dev/null ||
			{ fail "cost $W: vnetkit trace --events vhost_ did not start: $(head -c 300 $T/trace.err)"; return; }
		;;
	*) fail "cost $W: vnetkit.cost.events=$VK_COST_EVENTS (0, ftrace or bpf)"; return ;;
	esac
	local -a a=()
	[ "${VK_COST_ADAPTIVE:-0}" = 1 ] && a+=(--busyloop-adaptive)
	js=$($V vhost "$@" --frames "$F" --pin 0,1 \
		${VK_COST_BUSYLOOP:+--busyloop-timeout $VK_COST_BUSYLOOP} "${a[@]}" --json 2>$T/err)
	if [ -n "$tp" ]; then
		kill -INT $tp
		wait $tp
		diag "cost $W: under vnetkit trace (exit $?): $(head -c 300 $T/trace.json)"
	fi
	if [ "${VK_COST_EVENTS:-0}" = ftrace ]; then
		echo 0 >/sys/kernel/tracing/events/vhost/enable
		# Every event recorded, none overwritten: the cost is per event.
		diag "cost $W: ftrace ring buffer: $(grep -vc '^#' /sys/kernel/tracing/trace) vhost events, overrun $(cat /sys/kernel/tracing/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')"
	fi
	if [ "$(jv .result "$js")" != ok ]; then
		fail "cost $W: vnetkit vhost $1 failed: $(head -c 300 $T/err) $(head -c 300 <<<"$js")"
		return
	fi
	report "$js"
}

# A TAP and a veth pair in a namespace of our own, from vnetkit testbed:
# gen writes into and reads from only a TAP a testbed created.
netns_up() {
	at_exit "$V testbed down --name $NS"
	$V testbed up --name $NS --tap vkct0 --veth vkc0 --peer vkc1 >$T/testbed.out 2>&1 ||
		{ diag "testbed up: $(cat $T/testbed.out)"; return 1; }
	ip -n $NS link set vkct0 txqueuelen $((F + 1024)) mtu $MTU arp off &&
		ip -n $NS link set vkc0 mtu $MTU && ip -n $NS link set vkc1 mtu $MTU
}

# tap-xdp-drop: gen writes into the TAP (tun_get_user, native XDP on the
# raw buffer), the program drops every frame; all on CPU 0.
tap_xdp_drop() {
	local js
	netns_up || { fail "cost $W: set-up failed"; return; }
	ip netns exec $NS $V xdp attach --dev vkct0 --action drop --mode native $FRAGS >/dev/null ||
		{ fail "cost $W: XDP attach failed"; return; }
	js=$(ip netns exec $NS taskset -c 0 $V gen --tap vkct0 --size "$SIZE" --count "$F" --json 2>$T/err)
	diag "cost $W: $SIZE B frames, path: $(jv .path "$js")"
	[ "$(jv .frames "$js")" = "$F" ] ||
		{ fail "cost $W: gen wrote $(jv .frames "$js")/$F: $(head -c 300 $T/err)"; return; }
	report "$js"
}

# napi_threaded_on CPU: vkc1's NAPI in a kthread of its own, pinned to CPU
# (busybox here has no pgrep: the kthreads by their comm).
napi_threaded_on() {
	local pid
	ip netns exec $NS sh -c 'echo 1 >/sys/class/net/vkc1/threaded'
	for pid in /proc/[0-9]*; do
		case "$(cat "$pid/comm" 2>/dev/null)" in
		napi/vkc1*) taskset -p -c "$1" "${pid#/proc/}" >/dev/null ;;
		esac
	done
}

# tun-redirect: gen (CPU 0) -> AF_PACKET -> veth -> XDP_REDIRECT (threaded
# NAPI of the peer, CPU 1) -> tun_xdp_xmit -> TAP -> gen --sink (CPU 1).
tun_redirect() {
	local js sink i got
	netns_up || { fail "cost $W: set-up failed"; return; }
	ip netns exec $NS $V xdp attach --dev vkc1 --action redirect --to vkct0 \
		--mode native $FRAGS >/dev/null || { fail "cost $W: XDP attach failed"; return; }
	napi_threaded_on 1
	ip netns exec $NS taskset -c 1 $V gen --sink --tap vkct0 --count "$F" --timeout 5 \
		--ready $T/ready --json >$T/sink.json 2>$T/sink.err &
	sink=$!
	for ((i = 0; i < 100; i++)); do [ -e $T/ready ] && break; sleep 0.1; done
	js=$(ip netns exec $NS taskset -c 0 $V gen --dev vkc0 --size "$SIZE" --count "$F" --json 2>$T/err)
	wait $sink
	# The path is measured per frame sent; a frame tun_xdp_xmit() drops
	# (TAP ring full) was still sent, so losses are reported, not fatal.
	# A multi-buffer frame is dropped at the devmap when the TAP does not
	# advertise ndo_xmit_sg: all lost is then the measured behaviour.
	got=$(jv .unique "$(cat $T/sink.json)")
	if [ "${got:-0}" -eq 0 ] &&
	   ip netns exec $NS $V xdp status --dev vkct0 2>/dev/null | grep -q 'xdp features:.*ndo_xmit_sg'; then
		fail "cost $W: no frame reached the TAP reader: $(head -c 300 $T/sink.err)"
		return
	fi
	diag "cost $W: the TAP reader got $got of $F frames"
	report "$js"
}

# export_start: vnetkit export with every source on, and its first textfile.
EXP=""
EXP_INT=${VK_COST_EXPORT_INTERVAL:-15}
export_start() {
	local stats=""
	case "${VK_COST_EXPORT:-0}" in
	0) return 0 ;;
	1) stats="--enable-bpf-stats --bpf-stats-duty 100" ;;
	2) ;;
	*) fail "cost $W: vnetkit.cost.export=$VK_COST_EXPORT (0, 1 or 2)"; return 1 ;;
	esac
	mkdir -p $T/exp
	taskset -c 1 $V export --no-listen --textfile $T/exp --interval $EXP_INT $stats \
		2>$T/exp.err &
	EXP=$!
	at_exit "kill $EXP 2>/dev/null"
	for _ in $(seq 100); do [ -s $T/exp/vnetkit.prom ] && break; sleep 0.1; done
	if [ ! -s $T/exp/vnetkit.prom ]; then
		fail "cost $W: vnetkit export wrote no textfile: $(head -c 300 $T/exp.err)"
		return 1
	fi
	[ -z "$stats" ] || grep -q '^vnetkit_source_available{source="bpf_stats",reason=""} 1' $T/exp/vnetkit.prom ||
		{ fail "cost $W: export runs without BPF statistics: $(grep source_available $T/exp/vnetkit.prom)"; return 1; }
	ok "cost $W: vnetkit export running (pid $EXP), $(grep -c '^vnetkit_source_available{.*} 1$' $T/exp/vnetkit.prom) sources available"
}

# export_stop: the exporter saw the workload (its scrape count and, for
# tap-xdp-drop, the drops of the XDP program on the TAP), then SIGTERM.
export_stop() {
	local s n
	[ -n "$EXP" ] || return 0
	s=$(awk '/^vnetkit_exporter_scrapes_total/ { print $2 }' $T/exp/vnetkit.prom)
	# Guest time: with -icount sleep=off an idle guest skips ahead.
	sleep $EXP_INT
	sleep 0.5
	n=$(awk '/^vnetkit_exporter_scrapes_total/ { print $2 }' $T/exp/vnetkit.prom)
	if [ "$W" = tap-xdp-drop ]; then
		local d
		d=$(awk -v ns="$NS" 'index($0, "vnetkit_xdp_packets_total{netns=\"" ns "\",device=\"vkct0\",queue=\"0\",verdict=\"drop\"}") == 1 { print $2 }' $T/exp/vnetkit.prom)
		[ "$d" = "$F" ] && ok "cost $W: export counted the $F drops on vkct0" ||
			fail "cost $W: export counted ${d:-no} drops on vkct0, $F sent"
	fi
	diag "export: $(grep -c . $T/exp/vnetkit.prom) lines per textfile"
	[ "${n:-0}" -gt "${s:-0}" ] && ok "cost $W: export kept collecting ($s then $n scrapes)" ||
		fail "cost $W: export stopped collecting ($s then $n scrapes)"
	kill $EXP
	wait $EXP && ok "cost $W: export stopped cleanly on SIGTERM" ||
		fail "cost $W: export exited with an error: $(tail -c 300 $T/exp.err)"
}

# clock_settle: wait until the TSC's refined calibration has replaced the
# early TSC clocksource. It does so once, 1 s of guest time after the early
# one was registered (1.55 s of uptime here), and switches through
# stop_machine() on every CPU: 1.5 ms of guest time (1.5M instructions) from
# its message to the switch, which must not land in a window (a 20000-frame
# vhost-tx window holds about 60M instructions per vCPU). Idle guest time
# costs no wall time under -icount sleep=off.
clock_settle() {
	local cs=/sys/devices/system/clocksource/clocksource0/current_clocksource i c
	for ((i = 0; i < 100; i++)); do
		c=$(cat $cs)
		if [ "$c" != tsc-early ]; then
			diag "cost $W: clocksource $c from $(cut -d' ' -f1 /proc/uptime) s of uptime on"
			return 0
		fi
		sleep 0.1
	done
	fail "cost $W: clocksource still $c after 10 s of guest time (the TSC's refined calibration never ran)"
	return 1
}

clock_settle || exit 0
export_start || exit 0
# cpu-redirect: gen (CPU 0) -> AF_PACKET -> veth -> XDP_REDIRECT into a
# CPUMAP entry for CPU 1 -> cpumap kthread on CPU 1, which builds the skbs
# and passes them up the stack (which drops them: not for this host). The
# peer's NAPI runs threaded on CPU 0 beside gen, so that one poll meets the
# frames gen queued meanwhile and bq_flush_to_queue() (the producer path,
# vCPU 0) flushes bulks of up to 8 into the cpumap's ptr_ring.
cpu_redirect() {
	local js
	netns_up || { fail "cost $W: set-up failed"; return; }
	ip netns exec $NS $V xdp attach --dev vkc1 --action cpu --cpu 1 \
		--mode native >/dev/null || { fail "cost $W: XDP attach failed"; return; }
	napi_threaded_on 0
	js=$(ip netns exec $NS taskset -c 0 $V gen --dev vkc0 --size "$SIZE" --count "$F" --json 2>$T/err)
	[ -n "$js" ] || { fail "cost $W: gen failed: $(head -c 300 $T/err)"; return; }
	diag "cost $W: gen sent $(jv .frames "$js") of $F frames; $(ip netns exec $NS $V xdp status --dev vkc1 2>/dev/null | grep -i -m2 'cpu\|redirect' | tr '\n' ' ')"
	report "$js"
}

case "$W" in
vhost-tx) vhost tx ${VK_COST_PUBLISH:+--publish-every $VK_COST_PUBLISH} \
	${VK_COST_BATCH:+--batch $VK_COST_BATCH} \
	$([ "${VK_COST_LOCKSTEP:-0}" = 1 ] && echo --lockstep) ;;
vhost-rx) vhost rx ;;
vhost-pingpong) vhost pingpong ${VK_COST_INTERVAL:+--interval $VK_COST_INTERVAL --pace ${VK_COST_PACE:-spin}} ;;
tap-xdp-drop) tap_xdp_drop ;;
tun-redirect) tun_redirect ;;
cpu-redirect) cpu_redirect ;;
*) fail "cost: unknown workload '$W' (vhost-tx, vhost-rx, vhost-pingpong, tun-redirect, tap-xdp-drop, cpu-redirect)" ;;
esac
export_stop
exit 0
