#!/usr/bin/env bash
# Native XDP on the guest's virtio_net interface, with traffic arriving from
# QEMU's side. scripts/qemu.sh gives the guest two virtio-net-pci NICs on one
# QEMU hub: a frame sent on eth1 leaves through QEMU's virtio-net device
# model and is delivered into eth0's RX virtqueue, and back. Checks:
#   drop      eth0's drop counter == frames sent on eth1
#   tx        XDP_TX bounces every frame back through QEMU to eth1
#   redirect  eth0 -> a veth (pass on its peer): every frame reaches the peer
# Counts are exact: the hub carries nothing else (IPv6 is turned off on the
# interfaces first, so no ND/MLD; no DHCP; raw frames need no ARP).
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
N=${XDP_TEST_FRAMES:-2000}
RX=eth0 TXDEV=eth1
T=/tmp/xdpv.$$
mkdir -p $T
at_exit "rm -rf $T"

# wait_slot DEV SLOT COUNT: poll the counters (frames cross QEMU
# asynchronously) until COUNT or 5 s; prints the last value.
wait_slot() {
	local v i
	for i in $(seq 50); do
		v=$(jv ".total.$2.packets" "$($V xdp stats --dev "$1" --json 2>/dev/null)")
		[ "${v:-0}" -ge "$3" ] && break
		sleep 0.1
	done
	sleep 0.3	# late extra frames would show up now
	jv ".total.$2.packets" "$($V xdp stats --dev "$1" --json 2>/dev/null)"
}
# send: N frames on eth1; checks every one was handed to the driver.
send() {
	local g
	g=$($V gen --dev $TXDEV --count $N --run-id "$1" --src-mac "$TXMAC" \
		--dst-mac "$RXMAC" --json 2>$T/gen.err)
	if [ "$(jv .frames "$g")" = $N ] && [ "$(jv .errors "$g")" = 0 ]; then
		return 0
	fi
	diag "gen: $g $(cat $T/gen.err)"
	return 1
}
# sink DEV RUNID: count our frames arriving on DEV in the background.
sink_start() {
	rm -f $T/ready
	$V gen --sink --dev "$1" --count ${3:-$N} --run-id "$2" --timeout 5 --ready $T/ready \
		--json >$T/sink.out 2>&1 &
	SINK=$!
	for _ in $(seq 50); do [ -e $T/ready ] && break; sleep 0.1; done
}

for c in default all; do
	old=$(cat /proc/sys/net/ipv6/conf/$c/disable_ipv6 2>/dev/null) || continue
	at_exit "echo $old >/proc/sys/net/ipv6/conf/$c/disable_ipv6"
	echo 1 >/proc/sys/net/ipv6/conf/$c/disable_ipv6
done
for d in $RX $TXDEV; do
	if [ ! -e /sys/class/net/$d ]; then
		fail "virtio: no $d (qemu.sh attaches two virtio-net-pci NICs)"
		exit 0
	fi
	echo 1 >/proc/sys/net/ipv6/conf/$d/disable_ipv6 2>/dev/null
	ip link set $d up
done
# QEMU's virtio-net model filters unicast by MAC (the guest driver turns
# promiscuous mode off), so frames carry the real addresses: eth1 -> eth0,
# and XDP_TX's swapped copy eth0 -> eth1.
RXMAC=$(cat /sys/class/net/$RX/address) TXMAC=$(cat /sys/class/net/$TXDEV/address)
check "eth0 is driven by virtio_net" \
	test "$(basename "$(readlink /sys/class/net/$RX/device/driver)")" = virtio_net
at_exit "$V xdp detach --dev $RX"

# 1. drop
out=$($V xdp attach --dev $RX --action drop --mode native 2>&1)
check "attach drop on virtio_net eth0 in native mode" grep -q "native mode" <<<"$out"
st=$($V xdp status --dev $RX --json)
check "status: eth0 runs the program in native (driver) mode" \
	test "$(jv '.interfaces[0].mode' "$st")" = native
check "send $N frames on eth1 into the QEMU hub" send 11
got=$(wait_slot $RX drop $N)
check "virtio_net native drop: drop counter == $N frames from QEMU (got ${got:-none})" \
	test "${got:-0}" = $N
$V xdp detach --dev $RX >/dev/null

# 2. tx: bounced frames come back to eth1 through QEMU. XDP_TX fills eth0's
# 256-entry TX virtqueue faster than QEMU drains it under TCG and drops the
# excess (as it should); bursts of 200, each awaited on eth1, keep every
# frame in flight within the ring so the count is exact.
rxp() { cat /sys/class/net/$TXDEV/statistics/rx_packets; }
$V xdp attach --dev $RX --action tx --mode native >/dev/null
NB=200 base=$(rxp) sent=0 want=0
sink_start $TXDEV 22 $NB
for b in $(seq $((N / NB))); do
	g=$($V gen --dev $TXDEV --count $NB --run-id $((22 + b - 1)) --src-mac "$TXMAC" \
		--dst-mac "$RXMAC" --json 2>&1)
	sent=$((sent + $(jv .frames "$g"))) want=$((want + NB))
	for _ in $(seq 50); do [ $(($(rxp) - base)) -ge $want ] && break; sleep 0.1; done
done
wait $SINK
s=$(cat $T/sink.out)
got=$(wait_slot $RX tx $N)
back=$(($(rxp) - base))
check "send $N frames for XDP_TX in bursts of $NB (sent $sent)" test $sent = $N
check "virtio_net XDP_TX: tx counter == $N (got ${got:-none})" test "${got:-0}" = $N
check "virtio_net XDP_TX: eth1 received all $N bounced frames through QEMU (got $back)" \
	test $back = $N
check "virtio_net XDP_TX: the first burst's $NB frames arrive whole, addressed to eth1 (unique $(jv .unique "$s"))" \
	test "$(jv .unique "$s")" = $NB
$V xdp detach --dev $RX >/dev/null

# 3. redirect eth0 -> veth; `pass` on the peer so the veth accepts frames.
ip link add vkvr0 type veth peer name vkvr1 && at_exit "ip link del vkvr0"
ip link set vkvr0 up && ip link set vkvr1 up
$V xdp attach --dev vkvr1 --action pass >/dev/null
at_exit "$V xdp detach --dev vkvr1"
out=$($V xdp attach --dev $RX --action redirect --to vkvr0 --mode native 2>&1)
check "attach redirect eth0 -> vkvr0 in native mode" grep -q "native mode" <<<"$out"
sink_start vkvr1 33
check "send $N frames for redirect" send 33
wait $SINK
s=$(cat $T/sink.out)
got=$(wait_slot $RX redirect $N)
check "virtio_net redirect: redirect counter == $N (got ${got:-none})" test "${got:-0}" = $N
check "virtio_net redirect: all $N frames reach the veth peer (unique $(jv .unique "$s"))" \
	test "$(jv .unique "$s")" = $N
exit 0
