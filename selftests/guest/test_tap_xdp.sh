#!/usr/bin/env bash
# Native XDP on a TAP inside the guest, on the test kernel (the one the tun
# patches change): frames written into the TAP fd with vnetkit gen meet the
# program in tun_get_user's native XDP path.
#   drop      drop counter == frames written, and gen took the native path
#   tx        XDP_TX frames come back out of the TAP fd, MACs swapped
#   redirect  TAP -> veth (pass on the peer): every frame reaches the peer
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
N=${XDP_TEST_FRAMES:-2000}
NS=vktapg
T=/tmp/tapx.$$
mkdir -p $T
at_exit "rm -rf $T"

in_ns() { ip netns exec $NS "$@"; }

at_exit "$V testbed down --name $NS"
if ! out=$($V testbed up --name $NS 2>&1); then
	fail "testbed up in the guest: $out"
	exit 0
fi

# 1. drop
out=$(in_ns $V xdp attach --dev vktap0 --action drop --mode native 2>&1)
check "attach drop on the TAP in native mode" grep -q "native mode" <<<"$out"
g=$(in_ns $V gen --tap vktap0 --count $N --json)
check "gen wrote $N frames through the native XDP path (non-blocking fd)" \
	test "$(jv .frames "$g") $(jv .native_xdp_path "$g")" = "$N true"
s=$(in_ns $V xdp stats --dev vktap0 --json)
check "TAP native drop: drop counter == $N (got $(jv .total.drop.packets "$s"))" test "$(jv .total.drop.packets "$s")" = $N
in_ns $V xdp detach --dev vktap0 >/dev/null

# 2. tx
in_ns $V xdp attach --dev vktap0 --action tx --mode native >/dev/null
g=$(in_ns $V gen --tap vktap0 --count $N --recv --json)
check "TAP XDP_TX: all $N frames read back, MACs swapped (returned $(jv .returned "$g"), swapped $(jv .mac_swapped "$g"))" \
	test "$(jv .returned "$g") $(jv .mac_swapped "$g")" = "$N $N"
s=$(in_ns $V xdp stats --dev vktap0 --json)
check "TAP XDP_TX: tx counter == $N" test "$(jv .total.tx.packets "$s")" = $N
in_ns $V xdp detach --dev vktap0 >/dev/null

# 3. redirect TAP -> veth
in_ns $V xdp attach --dev vkveth1 --action pass >/dev/null
out=$(in_ns $V xdp attach --dev vktap0 --action redirect --to vkveth0 --mode native 2>&1)
check "attach redirect vktap0 -> vkveth0 in native mode" grep -q "native mode" <<<"$out"
in_ns $V gen --sink --dev vkveth1 --count $N --run-id 44 --timeout 5 --ready $T/ready \
	--json >$T/sink.out 2>&1 &
sink=$!
for _ in $(seq 50); do [ -e $T/ready ] && break; sleep 0.1; done
in_ns $V gen --tap vktap0 --count $N --run-id 44 >/dev/null
wait $sink
s=$(cat $T/sink.out)
check "TAP redirect: all $N frames reach the veth peer (unique $(jv .unique "$s"))" \
	test "$(jv .unique "$s")" = $N
s=$(in_ns $V xdp stats --dev vktap0 --json)
check "TAP redirect: redirect counter == $N" test "$(jv .total.redirect.packets "$s")" = $N
exit 0
