#!/usr/bin/env bash
# TAP multi-buffer XDP in the QEMU guest (make kernel-check T=tap_mb), the
# tun patches 0006-0008:
#   redirect  1500/4000/9000 B frames sent into a veth (MTU 9000) meet a
#             frags-aware redirect program that sends them to a TAP: all
#             arrive through the TAP fd, whole and byte-exact. Without
#             NDO_XMIT_SG the devmap drops every multi-buffer one.
#   write     the same sizes written into a TAP with a frags-aware drop,
#             pass or tx program run native XDP: do_xdp_generic() (counted
#             with a kprobe event) never runs, native drops bump the TAP's
#             rx_dropped (generic ones do not), exact program counters,
#             passed frames reach the stack whole (AF_PACKET sink), XDP_TX
#             frames come back out of the TAP fd whole.
#   old       a program without frags support: frames larger than a page
#             take generic XDP, once each, as before.
#   bad       writes of 0..64 B: below 14 B refused by tun (EINVAL), the rest
#             counted by the program, byte counts exact (nothing read past).
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
needs_patches "0007 0008" "TAP multi-buffer XDP: veth -> TAP redirect (0007), native XDP on writes larger than a page (0008)"
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
N=${TAP_MB_FRAMES:-300}
NS=vktm$$
TAP=vktmt0
T=$(mktemp -d)
at_exit "rm -rf $T"
TRACE=/sys/kernel/tracing
KP=vktm_generic_$$

in_ns() { ip netns exec "$NS" "$@"; }
# A TCG guest on a loaded host can take seconds to start a sink: it is
# given 60 s to get ready, and its --timeout (idle time before the first
# frame too) is 30 s for the same reason: it exits as soon as its N frames
# arrived.
stat() { in_ns cat "/sys/class/net/$1/statistics/$2"; }
# trace_gen SIZE: N frames written under vnetkit trace; tcalls STAGE: calls.
trace_gen() {
	TR=$(in_ns "$V" trace --dev $TAP --stages xdp_prog,xdp_generic --counters none --json \
		-- "$V" gen --tap $TAP --size "$1" --count $N 2>"$T/trace.err")
}
tcalls() { jv ".stages[] | select(.name == \"$1\") | .calls" "$TR"; }

if [ ! -e /dev/net/tun ]; then
	fail "tap_mb: /dev/net/tun missing in the guest (CONFIG_TUN)"
	exit 0
fi

# do_xdp_generic() calls, exactly, through a kprobe event of our own.
generic_on() {
	echo "p:$KP do_xdp_generic" >>"$TRACE/kprobe_events" || return 1
	at_exit "echo 0 >$TRACE/events/kprobes/$KP/enable; echo '-:$KP' >>$TRACE/kprobe_events"
	echo 1 >"$TRACE/events/kprobes/$KP/enable"
	# skbs freed: a generic-mode XDP_DROP frees one per frame, native none.
	at_exit "echo 0 >$TRACE/events/skb/kfree_skb/enable"
	echo 1 >"$TRACE/events/skb/kfree_skb/enable"
}
generic_reset() { echo >"$TRACE/trace"; }
generic_calls() { grep -c "$KP:" "$TRACE/trace" || true; }
skb_frees() { grep -c " kfree_skb:" "$TRACE/trace" || true; }
if ! generic_on; then
	fail "tap_mb: cannot add a kprobe event on do_xdp_generic (CONFIG_KPROBE_EVENTS)"
	exit 0
fi
echo 1 >"$TRACE/tracing_on"
echo 8192 >"$TRACE/buffer_size_kb" 2>/dev/null

# The namespace, the veth pair and the TAP come from vnetkit testbed (IPv6
# off inside, so no ND/MLD frames disturb the counts): gen writes into and
# reads from a TAP only when a testbed created and recorded it.
at_exit "$V testbed down --name $NS >/dev/null"
if ! out=$($V testbed up --name "$NS" --tap $TAP --veth vktm0 --peer vktm1 2>&1); then
	fail "tap_mb: testbed up: $out"
	exit 0
fi
for d in vktm0 vktm1 $TAP; do
	ip -n "$NS" link set $d mtu 9000 arp off up
done
ip -n "$NS" link set $TAP txqueuelen 4096

# What the TAP advertises (netlink xdp_features) matches what works.
st=$(in_ns "$V" xdp status --dev $TAP 2>&1)
check "TAP advertises rx_sg and ndo_xmit_sg ($(grep -o 'xdp features: .*' <<<"$st"))" \
	grep -q "xdp features: basic,redirect,ndo_xmit,rx_sg,ndo_xmit_sg" <<<"$st"

# --- redirect veth -> TAP ---------------------------------------------------
out=$(in_ns "$V" xdp attach --dev vktm1 --action redirect --to $TAP --mode native \
	--frags 2>&1)
check "frags redirect program attached on the veth (MTU 9000) in native mode" \
	grep -q "vk_mb_redirect.*native mode, multi-buffer" <<<"$out"
check "no ndo_xmit_sg warning for the TAP target" \
	test -z "$(grep ndo_xmit_sg <<<"$out")"
run=700
for size in 1500 4000 9000; do
	run=$((run + 1))
	vk_sink_start "$T/sink" 60 in_ns "$V" gen --sink --tap $TAP --count $N --run-id $run --timeout 30
	s0=$(in_ns "$V" xdp stats --dev vktm1 --json)
	in_ns "$V" gen --dev vktm0 --size $size --count $N --run-id $run --rate 20000 \
		>/dev/null 2>"$T/gen.err"
	wait $VK_SINK
	s=$(cat "$T/sink")
	s1=$(in_ns "$V" xdp stats --dev vktm1 --json)
	check "redirect veth -> TAP, $size B: $N/$N frames through the TAP fd (unique $(jv .unique "$s"), corrupt $(jv .corrupt "$s"))" \
		test "$(jv .unique "$s") $(jv .corrupt "$s") $(jv .duplicates "$s")" = "$N 0 0"
	check "redirect veth -> TAP, $size B: $((N * size)) bytes read, byte for byte as sent" \
		test "$(jv .bytes "$s")" = $((N * size))
	p=$(($(jv .total.redirect.packets "$s1") - $(jv .total.redirect.packets "$s0")))
	b=$(($(jv .total.redirect.bytes "$s1") - $(jv .total.redirect.bytes "$s0")))
	check "redirect veth -> TAP, $size B: program counted $p redirects, $b bytes (whole frames)" \
		test "$p $b" = "$N $((N * size))"
done
in_ns "$V" xdp detach --dev vktm1 >/dev/null

# --- writes into the TAP ----------------------------------------------------
# gen_tap SIZE [ARGS]: N frames written into the TAP; $G is the report,
# $GEN the do_xdp_generic() calls it caused, $DROPPED the rx_dropped delta.
gen_tap() {
	local size=$1 d0
	shift
	d0=$(stat $TAP rx_dropped)
	generic_reset
	G=$(in_ns "$V" gen --tap $TAP --size "$size" --count $N --json "$@" 2>"$T/gen.err")
	GEN=$(generic_calls)
	FREES=$(skb_frees)
	DROPPED=$(($(stat $TAP rx_dropped) - d0))
}

# drop
in_ns "$V" xdp attach --dev $TAP --action drop --mode native --frags >/dev/null
for size in 1500 4000 9000; do
	s0=$(in_ns "$V" xdp stats --dev $TAP --json)
	gen_tap $size
	s1=$(in_ns "$V" xdp stats --dev $TAP --json)
	p=$(($(jv .total.drop.packets "$s1") - $(jv .total.drop.packets "$s0")))
	b=$(($(jv .total.drop.bytes "$s1") - $(jv .total.drop.bytes "$s0")))
	check "frags drop, $size B writes: $p/$N dropped, $b bytes counted (whole frames)" \
		test "$p $b" = "$N $((N * size))"
	check "frags drop, $size B: native path (do_xdp_generic $GEN times, rx_dropped +$DROPPED, $FREES skbs freed)" \
		test "$GEN $DROPPED $FREES" = "0 $N 0"
	check "frags drop, $size B: vnetkit gen names the native path ($(jv .frames "$G") written)" \
		test "$(jv .native_xdp_path "$G") $(jv .frames "$G")" = "true $N"
done
trace_gen 9000
check "vnetkit trace, frags drop, 9000 B: xdp_prog $(tcalls xdp_prog) runs, xdp_generic $(tcalls xdp_generic) (native)" \
	test "$(tcalls xdp_prog) $(tcalls xdp_generic)" = "$N 0"
in_ns "$V" xdp detach --dev $TAP >/dev/null

# pass: the skb built around the pages reaches the stack whole.
in_ns "$V" xdp attach --dev $TAP --action pass --mode native --frags >/dev/null
run=800
for size in 1500 4000 9000; do
	run=$((run + 1))
	vk_sink_start "$T/sink" 60 in_ns "$V" gen --sink --dev $TAP --count $N --run-id $run --timeout 30
	r0=$(stat $TAP rx_bytes)
	gen_tap $size --run-id $run
	wait $VK_SINK
	s=$(cat "$T/sink")
	check "frags pass, $size B: $N/$N frames reach the stack whole (unique $(jv .unique "$s"), corrupt $(jv .corrupt "$s"), bytes $(jv .bytes "$s"))" \
		test "$(jv .unique "$s") $(jv .corrupt "$s") $(jv .bytes "$s")" = "$N 0 $((N * size))"
	check "frags pass, $size B: native path (do_xdp_generic $GEN times), rx_bytes +$(($(stat $TAP rx_bytes) - r0))" \
		test "$GEN $(($(stat $TAP rx_bytes) - r0))" = "0 $((N * size))"
done
in_ns "$V" xdp detach --dev $TAP >/dev/null

# tx: XDP_TX frames go to the TAP's own ring and out of its fd whole.
in_ns "$V" xdp attach --dev $TAP --action tx --mode native --frags >/dev/null
for size in 1500 4000 9000; do
	gen_tap $size --recv --timeout 3
	check "frags tx, $size B: $N/$N came back out of the TAP fd, MACs swapped, intact (returned $(jv .returned "$G"), swapped $(jv .mac_swapped "$G"), corrupt $(jv .corrupt "$G"))" \
		test "$(jv .returned "$G") $(jv .mac_swapped "$G") $(jv .corrupt "$G")" = "$N $N 0"
	check "frags tx, $size B: native path (do_xdp_generic $GEN times)" test "$GEN" = 0
done
in_ns "$V" xdp detach --dev $TAP >/dev/null

# --- a program without frags support keeps the old path ----------------------
in_ns "$V" xdp attach --dev $TAP --action drop --mode native >/dev/null
for size in 1500 9000; do
	s0=$(in_ns "$V" xdp stats --dev $TAP --json)
	gen_tap $size
	s1=$(in_ns "$V" xdp stats --dev $TAP --json)
	p=$(($(jv .total.drop.packets "$s1") - $(jv .total.drop.packets "$s0")))
	if [ $size -le 3456 ]; then
		want="0 $N 0" path=native
	else
		want="$N 0 $N" path="generic (skb first)"
	fi
	check "single-buffer drop, $size B: $path path (do_xdp_generic $GEN times, rx_dropped +$DROPPED, $FREES skbs freed), $p dropped" \
		test "$GEN $DROPPED $FREES $p" = "$want $N"
done
check "vnetkit gen names the generic path for 9000 B and a single-buffer program" \
	test "$(jv .native_xdp_path "$G")" = false
trace_gen 9000
check "vnetkit trace, single-buffer drop, 9000 B: xdp_generic $(tcalls xdp_generic) of $N frames" \
	test "$(tcalls xdp_generic)" = "$N"
in_ns "$V" xdp detach --dev $TAP >/dev/null

# --- short and truncated writes -----------------------------------------------
in_ns "$V" xdp attach --dev $TAP --action drop --mode native --frags >/dev/null
s0=$(in_ns "$V" xdp stats --dev $TAP --json)
want_p=0 want_b=0 bad=
for size in $(seq 0 64); do
	g=$(in_ns "$V" gen --tap $TAP --size $size --count 3 --json 2>/dev/null)
	if [ $size -lt 14 ]; then
		# tun refuses a frame without a whole Ethernet header.
		[ "$(jv .frames "$g") $(jv .error_kinds.EINVAL "$g")" = "0 3" ] || bad+=" $size"
	else
		[ "$(jv .frames "$g")" = 3 ] || bad+=" $size"
		want_p=$((want_p + 3)) want_b=$((want_b + 3 * size))
	fi
done
s1=$(in_ns "$V" xdp stats --dev $TAP --json)
p=$(($(jv .total.drop.packets "$s1") - $(jv .total.drop.packets "$s0")))
b=$(($(jv .total.drop.bytes "$s1") - $(jv .total.drop.bytes "$s0")))
check "writes of 0..13 B refused by tun (EINVAL), 14..64 B written${bad:+; wrong for sizes$bad}" \
	test -z "$bad"
check "frags drop, 0..64 B writes: each frame counted once with its exact length ($p/$want_p frames, $b/$want_b bytes)" \
	test "$p $b" = "$want_p $want_b"
in_ns "$V" xdp detach --dev $TAP >/dev/null
exit 0
