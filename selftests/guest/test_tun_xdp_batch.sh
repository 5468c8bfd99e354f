#!/usr/bin/env bash
# tun_xdp_xmit() end to end in the QEMU guest (make kernel-check): an XDP
# program on a veth redirects every frame into a TAP, a TAP reader (vnetkit
# gen --sink) checks what arrives. Frames reach tun_xdp_xmit() in devmap
# bulks (up to 16): once per NAPI poll, so with threaded NAPI on the veth
# a sender running ahead fills whole bulks. The xdp:xdp_devmap_xmit
# tracepoint reports, per tun_xdp_xmit() call, how many frames went into
# the ring (sent) and how many did not fit (drops): the checks tie those
# to what the reader saw and to the TAP's tx_dropped counter.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
NS=vkp1$$
TMP=$(mktemp -d)
at_exit "rm -rf $TMP"
TRACE=/sys/kernel/tracing
EV=$TRACE/events/xdp/xdp_devmap_xmit

in_ns() { ip netns exec "$NS" "$@"; }

if [ ! -e /dev/net/tun ]; then
	fail "tun_xdp_batch: /dev/net/tun missing in the guest (CONFIG_TUN)"
	exit 1
fi
if [ ! -d "$EV" ]; then
	fail "tun_xdp_batch: tracepoint xdp:xdp_devmap_xmit missing ($EV)"
	exit 1
fi

# The namespace, the veth pair and the TAP come from vnetkit testbed: gen
# reads only from a TAP a testbed created and recorded. The testbed turns
# IPv6 off in the namespace, so no autoconfiguration chatter goes through
# the redirect: only our frames.
at_exit "$V testbed down --name $NS"
if ! out=$($V testbed up --name "$NS" --tap vkbt0 --veth vkb0 --peer vkb1 2>&1); then
	fail "tun_xdp_batch: testbed up: $out"
	exit 1
fi

# tap_ring NAME QLEN: the TAP's ring holds QLEN frames once a reader
# attaches (tun sizes it from txqueuelen at attach time).
tap_ring() {
	ip -n "$NS" link set "$1" txqueuelen "$2" arp off up
}

# redirect_to TAP: (re)attach the redirect program on vkb1 towards TAP.
redirect_to() {
	in_ns "$V" xdp attach --dev vkb1 --action redirect --to "$1" \
		--mode native --replace >"$TMP/attach.out" 2>&1
}

# sink_start OUT ARGS...: a TAP reader in the background, listening.
sink_start() {
	local out=$1 i
	shift
	rm -f "$TMP/ready"
	# Not through in_ns: $! must be the reader itself (ip netns exec
	# execs it) so that kill -STOP stops the reader.
	ip netns exec "$NS" "$V" gen --sink --ready "$TMP/ready" --json "$@" \
		>"$out" 2>"$out.err" &
	SINK=$!
	for ((i = 0; i < 100; i++)); do
		[ -e "$TMP/ready" ] && return 0
		sleep 0.1
	done
	return 1
}

# trace_on / trace_off: collect xdp_devmap_xmit events of this test only.
trace_on() {
	echo 0 >"$TRACE/tracing_on"
	echo >"$TRACE/trace"
	echo 4096 >"$TRACE/buffer_size_kb" 2>/dev/null
	echo 1 >"$EV/enable"
	echo 1 >"$TRACE/tracing_on"
}
# trace_sum: "calls sent drops multi max_sent lost" over the events towards
# ifindex $1 (multi: calls that got more than one frame).
trace_sum() {
	echo 0 >"$TRACE/tracing_on"
	echo 0 >"$EV/enable"
	awk -v to="$1" '
		/ndo_xdp_xmit/ {
			t = s = d = -1
			for (i = 1; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == "to_ifindex") t = kv[2]
				if (kv[1] == "sent") s = kv[2]
				if (kv[1] == "drops") d = kv[2]
			}
			if (t != to) next
			calls++; sent += s; drops += d
			if (s + d > 1) multi++
			if (s > max) max = s
		}
		/LOST/ { lost++ }
		END { printf "%d %d %d %d %d %d\n", calls, sent, drops, multi, max, lost }
	' "$TRACE/trace"
	echo >"$TRACE/trace"
}
ifindex() { in_ns cat "/sys/class/net/$1/ifindex"; }
txdrop() { in_ns cat "/sys/class/net/$1/statistics/tx_dropped"; }

# --- 1. every redirected frame arrives, once, in order --------------------
N1=${TUN_XDP_BATCH_FRAMES:-20000}
tap_ring vkbt0 $((N1 + 1024)) || { fail "tun_xdp_batch: cannot size the TAP's ring"; exit 1; }
if ! redirect_to vkbt0; then
	fail "tun_xdp_batch: xdp attach redirect on the veth: $(cat "$TMP/attach.out")"
	exit 1
fi
in_ns sh -c 'echo 1 >/sys/class/net/vkb1/threaded' 2>/dev/null
diag "veth NAPI threaded: $(in_ns cat /sys/class/net/vkb1/threaded 2>/dev/null || echo unavailable)"

for mode in threaded softirq; do
	[ $mode = softirq ] && in_ns sh -c 'echo 0 >/sys/class/net/vkb1/threaded' 2>/dev/null
	to=$(ifindex vkbt0)
	d0=$(txdrop vkbt0)
	sink_start "$TMP/sink1.json" --tap vkbt0 --count "$N1" --timeout 3 ||
		{ fail "tun_xdp_batch: $mode: the TAP reader did not start"; continue; }
	trace_on
	gout=$(in_ns "$V" gen --dev vkb0 --count "$N1" --json 2>"$TMP/gen.err"); grc=$?
	wait $SINK; src=$?
	read -r calls sent drops multi max lost <<<"$(trace_sum "$to")"
	js=$(cat "$TMP/sink1.json")
	# A veth whose own ring is full refuses a frame (ENOBUFS to gen, which
	# then reuses its sequence number): count only what was written.
	written=$(jv .frames "$gout")
	d1=$(txdrop vkbt0)
	diag "$mode: gen wrote $written (exit $grc); tun_xdp_xmit calls $calls," \
		"frames $sent, dropped $drops, calls with >1 frame $multi, largest $max"
	if [ "$lost" != 0 ]; then
		fail "tun_xdp_batch: $mode: the trace buffer lost events; counts unusable"
	elif [ "${written:-0}" -gt $((N1 / 2)) ] && [ "$(jv .unique "$js")" = "$written" ] &&
	     [ "$(jv .received "$js")" = "$written" ] &&
	     [ "$(jv .duplicates "$js")" = 0 ] && [ "$(jv .out_of_order "$js")" = 0 ] &&
	     [ "$(jv .last_seq "$js")" = $((written - 1)) ] &&
	     [ "$sent" = $((written + $(jv .foreign "$js"))) ] &&
	     [ "$drops" = 0 ] && [ "$d1" = "$d0" ]; then
		ok "tun_xdp_batch: $mode NAPI: $written frames redirected veth -> TAP, each read once, in order, none dropped"
	else
		fail "tun_xdp_batch: $mode: gen wrote $written; sink exit $src ($js $(head -c 200 "$TMP/sink1.json.err")); traced sent $sent drops $drops; tx_dropped $d0 -> $d1"
	fi
	if [ $mode = threaded ]; then
		# Batches only form when NAPI runs apart from the sender.
		if [ "${multi:-0}" -gt 0 ]; then
			ok "tun_xdp_batch: threaded NAPI: $multi tun_xdp_xmit calls carried more than one frame (largest $max)"
		else
			skip "tun_xdp_batch: multi-frame bulks" "threaded NAPI never ran apart from the sender in this guest"
		fi
	fi
done

# --- 2. a full ring: the first frames arrive, the rest are counted ---------
# The reader is attached but stopped, so nothing leaves the ring while the
# sender runs; what does not fit is dropped by tun_xdp_xmit() and reported
# through its return value (devmap frees the frames) and tx_dropped.
QLEN=64
N2=1000
tap_ring vkbt0 $QLEN || { fail "tun_xdp_batch: cannot shrink the TAP's ring"; exit 1; }
for mode in softirq threaded; do
	in_ns sh -c "echo $([ $mode = threaded ] && echo 1 || echo 0) >/sys/class/net/vkb1/threaded" 2>/dev/null
	to=$(ifindex vkbt0)
	d0=$(txdrop vkbt0)
	# --count QLEN + 1: the reader must get exactly QLEN and then time out
	# (8 s: it also waits that long for a first frame while stopped).
	sink_start "$TMP/sink2.json" --tap vkbt0 --count $((QLEN + 1)) --timeout 8 ||
		{ fail "tun_xdp_batch: full ring: the TAP reader did not start"; continue; }
	kill -STOP $SINK
	trace_on
	gout=$(in_ns "$V" gen --dev vkb0 --count $N2 --json 2>"$TMP/gen.err"); grc=$?
	sleep 1
	read -r calls sent drops multi max lost <<<"$(trace_sum "$to")"
	written=$(jv .frames "$gout")
	d1=$(txdrop vkbt0)
	kill -CONT $SINK
	wait $SINK; src=$?
	js=$(cat "$TMP/sink2.json")
	diag "$mode, ring of $QLEN: tun_xdp_xmit calls $calls, frames in $sent," \
		"dropped $drops, tx_dropped +$((d1 - d0)), calls with >1 frame $multi"
	failing=$((d1 - d0))
	if [ "$lost" = 0 ] && [ "$(jv .unique "$js")" = $QLEN ] &&
	   [ "$(jv .first_seq "$js")" = 0 ] && [ "$(jv .last_seq "$js")" = $((QLEN - 1)) ] &&
	   [ "$(jv .duplicates "$js")" = 0 ] && [ "$(jv .out_of_order "$js")" = 0 ] &&
	   [ "$sent" = $QLEN ] && [ $((sent + drops)) = "$written" ]; then
		ok "tun_xdp_batch: $mode NAPI, full ring: frames 0..$((QLEN - 1)) read, the other $drops reported dropped"
	else
		fail "tun_xdp_batch: $mode, full ring: sink exit $src ($js); traced sent $sent drops $drops (lost $lost)"
	fi
	# tx_dropped counts the tun_xdp_xmit() calls that hit the full ring:
	# one per call, however many frames of the call did not fit.
	if [ "$failing" -ge 1 ] && [ "$failing" -le "$drops" ] &&
	   { [ "$multi" -gt 0 ] || [ "$failing" = "$drops" ]; }; then
		ok "tun_xdp_batch: $mode NAPI, full ring: tx_dropped +$failing (one per call that hit the full ring)"
	else
		fail "tun_xdp_batch: $mode, full ring: tx_dropped +$failing for $drops dropped frames in $calls calls ($multi multi-frame)"
	fi
done
exit $_vk_rc
