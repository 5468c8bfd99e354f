#!/usr/bin/env bash
# vnetkit gen: exact frame counts into the testbed TAP (native and generic
# path), AF_PACKET veth -> sink with no loss, duplicates or reordering, frames
# bounced by XDP_TX read back with swapped MACs, and bad input refused without
# creating anything. Runs in its own testbed namespace.
source "$(dirname "$0")/lib.sh"

V=$VNETKIT
NS=vkgen$$
ROOT=${VNETKIT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
TMP=$(mktemp -d)
at_exit "rm -rf $TMP"
at_exit "$V testbed down --name $NS"
# the foreign TAPs planted below: testbed down keeps a namespace holding them
at_exit "for t in vkvh$$ vkmq$$ vkfo$$; do ip -n $NS link del \$t 2>/dev/null; done"

if ! $V testbed up --name $NS >/dev/null; then
	fail "gen: testbed up failed; nothing else can run"
	exit 1
fi
in_ns() { ip netns exec $NS "$@"; }
stat_of() { in_ns cat /sys/class/net/$1/statistics/$2; }
jfield() { echo "$1" | jq -r ".$2"; }

# --- into the TAP: counters match exactly -------------------------------------
rx0=$(stat_of vktap0 rx_packets)
js=$(in_ns $V gen --tap vktap0 --count 1000 --json); rc=$?
rx1=$(stat_of vktap0 rx_packets)
if [ $rc -eq 0 ] && [ "$(jfield "$js" frames)" = 1000 ] &&
   [ "$(jfield "$js" errors)" = 0 ] && [ "$(jfield "$js" bytes)" = 64000 ] &&
   [ $((rx1 - rx0)) -eq 1000 ]; then
	ok "gen: 1000 frames into vktap0, TAP rx_packets +1000 exactly"
else
	fail "gen: TAP count (exit $rc, rx +$((rx1 - rx0)), $js)"
fi
if [ "$(jfield "$js" path)" = "tun_build_skb (native XDP path)" ] &&
   [ "$(jfield "$js" native_xdp_path)" = true ]; then
	ok "gen: non-blocking TAP fd reports the native XDP path"
else
	fail "gen: path of a non-blocking fd: $(jfield "$js" path)"
fi
# The cost window opens after the warm-up frames and counts the rest.
js=$(in_ns $V gen --tap vktap0 --count 1000 --warmup 250 --json)
w=$(in_ns $V gen --tap vktap0 --count 1000 --json | jq -r '.cost_window.warmup, .cost_window.in_window' | xargs)
if [ "$(echo "$js" | jq -r '.cost_window | "\(.opened) \(.warmup) \(.in_window)"')" = "true 250 750" ] &&
   [ "$w" = "100 900" ]; then
	ok "gen: cost window over the frames after --warmup (250: 750 frames; default count / 10)"
else
	fail "gen: cost window: $js / default $w"
fi
expect_fail 2 "leaves no frame for the cost window" "gen: --warmup >= --count refused" \
	$V gen --tap vktap0 --count 10 --warmup 10
tx=$(stat_of vktap0 tx_packets)
check "gen: nothing came back out of the TAP (IPv6 off, unknown MACs)" test "$tx" -eq 0

rx0=$(stat_of vktap0 rx_packets)
js=$(in_ns $V gen --tap vktap0 --blocking --count 700 --json); rc=$?
rx1=$(stat_of vktap0 rx_packets)
if [ $rc -eq 0 ] && [ "$(jfield "$js" path)" = "skb first (generic XDP path)" ] &&
   [ "$(jfield "$js" native_xdp_path)" = false ] && [ $((rx1 - rx0)) -eq 700 ]; then
	ok "gen: --blocking reports the generic path, +700 exactly"
else
	fail "gen: --blocking (exit $rc, rx +$((rx1 - rx0)), $js)"
fi

rx0=$(stat_of vktap0 rx_packets)
js=$($V gen --netns $NS --tap vktap0 --count 333 --json); rc=$?
rx1=$(stat_of vktap0 rx_packets)
if [ $rc -eq 0 ] && [ "$(jfield "$js" frames)" = 333 ] && [ $((rx1 - rx0)) -eq 333 ]; then
	ok "gen: --netns NS reaches the namespace's TAP without ip netns exec"
else
	fail "gen: --netns (exit $rc, rx +$((rx1 - rx0)), $js)"
fi
expect_fail 1 "no network namespace 'vknons$$'" "gen: --netns of a missing namespace" \
	$V gen --netns vknons$$ --tap vktap0

out=$(in_ns $V gen --tap vktap0 --count 10); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"path      tun_build_skb (native XDP path)"* ]] &&
   [[ "$out" == *"frames    10 "* ]] && [[ "$out" == *"errors    0"* ]] &&
   [ "$(echo "$out" | awk 'length > 80' | wc -l)" -eq 0 ]; then
	ok "gen: human report names path, frames, errors in 80 columns"
else
	fail "gen: human report (exit $rc: $out)"
fi

# Truncated and jumbo frames: written as asked; a jumbo frame does not fit
# tun_build_skb's page and must be reported as the generic path.
rx0=$(stat_of vktap0 rx_packets)
js14=$(in_ns $V gen --tap vktap0 --size 14 --count 5 --json 2>/dev/null)
js9k=$(in_ns $V gen --tap vktap0 --size 9000 --count 5 --json)
rx1=$(stat_of vktap0 rx_packets)
if [ "$(jfield "$js14" bytes)" = 70 ] && [ "$(jfield "$js9k" bytes)" = 45000 ] &&
   [ "$(jfield "$js9k" native_xdp_path)" = false ] && [ $((rx1 - rx0)) -eq 10 ]; then
	ok "gen: 14-byte and 9000-byte frames written; jumbo reported generic"
else
	fail "gen: sizes (rx +$((rx1 - rx0)); $js14; $js9k)"
fi

js=$(in_ns $V gen --tap vktap0 --duration 0.3 --json); rc=$?
if [ $rc -eq 0 ] && [ "$(jfield "$js" frames)" -gt 0 ] &&
   awk -v s="$(jfield "$js" seconds)" 'BEGIN { exit !(s >= 0.3) }'; then
	ok "gen: --duration 0.3 writes until the time is up"
else
	fail "gen: --duration (exit $rc: $js)"
fi
js=$(in_ns $V gen --tap vktap0 --count 50 --rate 500 --json); rc=$?
if [ $rc -eq 0 ] && [ "$(jfield "$js" frames)" = 50 ] &&
   awk -v s="$(jfield "$js" seconds)" 'BEGIN { exit !(s >= 0.09) }'; then
	ok "gen: --rate 500 paces 50 frames over >= 0.1 s"
else
	fail "gen: --rate (exit $rc: $js)"
fi

# Failed writes are counted by errno: the TAP goes down under a running gen.
in_ns $V gen --tap vktap0 --duration 1.5 --rate 20000 --json >$TMP/err.json &
G=$!
sleep 0.4; ip -n $NS link set vktap0 down; sleep 0.3; ip -n $NS link set vktap0 up
wait $G; rc=$?
js=$(cat $TMP/err.json)
if [ $rc -eq 0 ] && [ "$(jfield "$js" frames)" -gt 0 ] &&
   [ "$(jfield "$js" errors)" -gt 0 ] &&
   [ "$(jfield "$js" error_kinds.EIO)" = "$(jfield "$js" errors)" ]; then
	ok "gen: writes failing while the TAP is down are counted as EIO"
else
	fail "gen: error counting (exit $rc: $js)"
fi

# --- AF_PACKET over the veth pair into a sink --------------------------------
# sink_start OUT ARGS...: start a sink in the background, wait until it listens.
sink_start() {
	local out=$1
	shift
	rm -f $TMP/ready
	in_ns $V gen --sink --ready $TMP/ready --json "$@" >$out 2>$out.err &
	SINK=$!
	for _ in $(seq 100); do
		[ -e $TMP/ready ] && return 0
		sleep 0.05
	done
	return 1
}

sink_start $TMP/sink.json --dev vkveth1 --count 5000
in_ns $V gen --dev vkveth0 --count 5000 --json >$TMP/gen.json; grc=$?
wait $SINK; src=$?
js=$(cat $TMP/sink.json)
if [ $grc -eq 0 ] && [ $src -eq 0 ] && [ "$(jfield "$js" unique)" = 5000 ] &&
   [ "$(jfield "$js" received)" = 5000 ] && [ "$(jfield "$js" duplicates)" = 0 ] &&
   [ "$(jfield "$js" out_of_order)" = 0 ] && [ "$(jfield "$js" first_seq)" = 0 ] &&
   [ "$(jfield "$js" last_seq)" = 4999 ] &&
   [ "$(jfield "$js" run_id)" = "$(jq -r .run_id $TMP/gen.json)" ]; then
	ok "gen: --dev vkveth0 -> sink on vkveth1: 5000 frames, no dups, in order"
else
	fail "gen: veth sink (gen $grc, sink $src: $js $(cat $TMP/sink.json.err))"
fi

sink_start $TMP/sink.json --dev vkveth1 --count 1000
in_ns $V gen --dev vkveth0 --count 1000 --sport 4000 --flows 7 >/dev/null
wait $SINK; src=$?
if [ $src -eq 0 ] && [ "$(jq -r .flows $TMP/sink.json)" = 7 ] &&
   [ "$(jq -r .duplicates $TMP/sink.json)" = 0 ]; then
	ok "gen: --flows 7 gives the sink 7 distinct source ports"
else
	fail "gen: --flows (exit $src: $(cat $TMP/sink.json $TMP/sink.json.err))"
fi

sink_start $TMP/sink.json --dev vkveth1 --count 100 --timeout 0.5
in_ns $V gen --dev vkveth0 --count 60 >/dev/null
wait $SINK; src=$?
if [ $src -eq 1 ] && grep -q "only 60 of 100 frames arrived" $TMP/sink.json.err &&
   [ "$(jq -r .missing $TMP/sink.json)" = 40 ]; then
	ok "gen: sink short of --count exits 1 and says how many arrived"
else
	fail "gen: short sink (exit $src: $(cat $TMP/sink.json $TMP/sink.json.err))"
fi

# Frames the kernel transmits through the TAP are read from its fd.
sink_start $TMP/sink.json --tap vktap0 --count 300
in_ns $V gen --dev vktap0 --count 300 >/dev/null
wait $SINK; src=$?
if [ $src -eq 0 ] && [ "$(jq -r .unique $TMP/sink.json)" = 300 ] &&
   [ "$(jq -r .duplicates $TMP/sink.json)" = 0 ]; then
	ok "gen: sink on the TAP fd receives what AF_PACKET sends through it"
else
	fail "gen: TAP sink (exit $src: $(cat $TMP/sink.json $TMP/sink.json.err))"
fi

# --- XDP_TX on the TAP: frames return with swapped MACs -----------------------
TXOBJ=$ROOT/build/bpf/xdp_tx.bpf.o
if [ ! -r $TXOBJ ]; then
	skip "gen: --recv with XDP_TX on the TAP" "$TXOBJ not built (run make)"
elif ! ip -n $NS link set dev vktap0 xdpdrv obj $TXOBJ sec xdp 2>$TMP/xdp.err; then
	fail "gen: attaching $TXOBJ to vktap0 failed: $(cat $TMP/xdp.err)"
else
	for mode in "" --blocking; do
		rx0=$(stat_of vktap0 rx_packets)
		js=$(in_ns $V gen --tap vktap0 $mode --count 3000 --recv --json); rc=$?
		if [ $rc -eq 0 ] && [ "$(jfield "$js" frames)" = 3000 ] &&
		   [ "$(jfield "$js" returned)" = 3000 ] &&
		   [ "$(jfield "$js" mac_swapped)" = 3000 ]; then
			ok "gen: --recv${mode:+ $mode}: 3000 bounced by XDP_TX, MACs swapped"
		else
			fail "gen: --recv${mode:+ $mode} (exit $rc: $js)"
		fi
	done
	ip -n $NS link set dev vktap0 xdpdrv off
fi

# --- bad input: right exit code, clear message, nothing created --------------
expect_fail 2 "usage: vnetkit gen" "gen: no arguments prints usage" $V gen
expect_fail 2 "out of range" "gen: --count 0 refused" \
	in_ns $V gen --tap vktap0 --count 0
expect_fail 2 "out of range" "gen: --size 13 refused" \
	in_ns $V gen --tap vktap0 --size 13
expect_fail 2 "out of range" "gen: --size 9001 refused" \
	in_ns $V gen --tap vktap0 --size 9001
expect_fail 2 "invalid MAC address '02:00:00:00:00'" "gen: bad --dst-mac refused" \
	in_ns $V gen --tap vktap0 --dst-mac 02:00:00:00:00
expect_fail 2 "invalid address '10.0.0.256'" "gen: bad --src-ip refused" \
	in_ns $V gen --tap vktap0 --src-ip 10.0.0.256
expect_fail 2 "--tap and --dev exclude each other" "gen: --tap with --dev refused" \
	in_ns $V gen --tap vktap0 --dev vkveth0
expect_fail 2 "no target" "gen: neither --tap nor --dev refused" $V gen --count 5
expect_fail 2 "--recv: only applies to --tap" "gen: --recv with --dev refused" \
	in_ns $V gen --dev vkveth0 --recv
expect_fail 2 "--blocking: only applies to --tap" "gen: --blocking with --dev refused" \
	in_ns $V gen --dev vkveth0 --blocking
expect_fail 1 "no such interface 'vknosuch0'" "gen: unknown --dev interface" \
	in_ns $V gen --dev vknosuch0
expect_fail 1 "no such interface 'vknotap$$'" "gen: missing TAP is an error" \
	in_ns $V gen --tap vknotap$$
check "gen: missing TAP was not created" \
	bash -c "! ip -n $NS link show vknotap$$ 2>/dev/null && ! ip link show vknotap$$ 2>/dev/null"
expect_fail 1 "'vkveth0' is not a TAP device" "gen: --tap on a veth refused" \
	in_ns $V gen --tap vkveth0
# A TAP vnetkit did not create (a VM's: vnet_hdr, multi-queue; or a plain
# one of the same kind) is never written into nor reconfigured.
ip -n $NS tuntap add mode tap name vkvh$$ vnet_hdr && ip -n $NS link set vkvh$$ up
expect_fail 1 "TAP 'vkvh$$' was not created by vnetkit testbed" \
	"gen: foreign TAP with vnet_hdr refused" $V gen --netns $NS --tap vkvh$$ --count 1
check "gen: refused vnet_hdr TAP keeps its vnet_hdr flag" \
	bash -c "ip -n $NS -d link show vkvh$$ | grep -q 'vnet_hdr on'"
ip -n $NS tuntap add mode tap name vkmq$$ multi_queue && ip -n $NS link set vkmq$$ up
expect_fail 1 "was not created by vnetkit testbed" "gen: foreign multi-queue TAP refused" \
	in_ns $V gen --tap vkmq$$ --count 20
check "gen: nothing was written into the foreign multi-queue TAP" \
	test "$(stat_of vkmq$$ rx_packets)" = 0
ip -n $NS tuntap add mode tap name vkfo$$ && ip -n $NS link set vkfo$$ up
expect_fail 1 "gen writes only into its own TAPs" "gen: foreign plain TAP refused" \
	in_ns $V gen --tap vkfo$$ --count 5
expect_fail 1 "was not created by vnetkit testbed" "gen --sink: foreign TAP refused too" \
	in_ns $V gen --sink --tap vkfo$$ --count 5 --timeout 0.2
check "gen: nothing was written into the foreign TAP" test "$(stat_of vkfo$$ rx_packets)" = 0
# A single-queue TAP takes one fd: a second user gets a clear EBUSY message.
sink_start $TMP/sink.json --tap vktap0 --timeout 0.5
expect_fail 1 "single-queue TAP takes one file descriptor" "gen: TAP held by another fd" \
	in_ns $V gen --tap vktap0 --count 1
wait $SINK
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups $V gen --tap vktap0 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"missing CAP_NET_ADMIN"* ]]; then
	ok "gen: non-root without CAP_NET_ADMIN refused with exit 1, naming it"
else
	fail "gen: non-root (exit $rc: $out)"
fi

# Interrupted: says so in JSON, exit 1 (the run did not complete).
$V gen --netns $NS --tap vktap0 --duration 5 --rate 1000 --json >$TMP/int.json 2>/dev/null &
G=$!
sleep 0.5; kill -INT $G; wait $G; rc=$?
check "gen: SIGINT before --duration: exit 1, \"interrupted\": true" \
	bash -c "[ $rc -eq 1 ] && [ \"\$(jq -r .interrupted $TMP/int.json)\" = true ]"

# A TAP removed under a running gen ends the run at once with exit 1.
# (the testbed's own TAP: the last test to use it)
$V gen --netns $NS --tap vktap0 --duration 5 --rate 1000 >/dev/null 2>$TMP/gone.err &
G=$!
sleep 0.4
ip -n $NS link del vktap0
t0=$(date +%s%N)
wait $G; rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
if [ $rc -eq 1 ] && grep -q "'vktap0' went away after" $TMP/gone.err && [ $ms -lt 3000 ]; then
	ok "gen: TAP removed mid-run ends gen with exit 1 and says so"
else
	fail "gen: TAP removed mid-run (exit $rc after ${ms} ms: $(cat $TMP/gone.err))"
fi
