#!/usr/bin/env bash
# Multi-buffer XDP end to end on the host kernel: veth with a 9000-byte MTU
# (veth handles frags), `vnetkit xdp attach --frags`, jumbo frames counted,
# bounced and redirected whole; what attach and gen say about a device
# that lacks multi-buffer support (this kernel's TAP, unless patched).
. "$(dirname "$0")/lib.sh"
V=$VNETKIT
NS=vkmbe$$
N=200
T=$(mktemp -d)
at_exit "rm -rf $T"
in_ns() { ip netns exec $NS "$@"; }
jnum() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" <<<"$2" | head -1; }
slot() { sed -n 's/.*"total":{\(.*\)},"rxq".*/\1/p' <<<"$3" |
	sed -n "s/.*\"$1\":{\"packets\":\([0-9]*\),\"bytes\":\([0-9]*\)}.*/\\$2/p"; }

# The TAP and the first veth pair come from vnetkit testbed (gen writes
# only into a TAP a testbed recorded; IPv6 is off inside the namespace).
at_exit "$V testbed down --name $NS >/dev/null"
if ! out=$($V testbed up --name $NS --tap vkmt0 --veth vkm0 --peer vkm1 2>&1); then
	fail "testbed up: $out"
	exit 1
fi
ip -n $NS link add vkm2 mtu 9000 type veth peer name vkm3 mtu 9000
at_exit "ip -n $NS link del vkm2"
for d in vkm0 vkm1 vkm2 vkm3 vkmt0; do
	ip -n $NS link set $d mtu 9000 up
done

# sink_gen DEV RUN: N 9000 B frames of run RUN sent into vkm0, caught by an
# AF_PACKET sink on DEV; S is its report.
sink_gen() {
	vk_sink_start $T/sink 5 in_ns $V gen --sink --dev "$1" --count $N --run-id "$2" --timeout 3
	in_ns $V gen --dev vkm0 --size 9000 --count $N --run-id "$2" --rate 20000 >/dev/null
	wait $VK_SINK
	S=$(cat $T/sink)
}

# A single-buffer program cannot run natively under a 9000-byte MTU.
expect_fail 1 "use --frags" "attach: single-buffer program on a 9000 B MTU veth refused in native mode, --frags suggested" \
	in_ns $V xdp attach --dev vkm1 --action drop --mode native
out=$(in_ns $V xdp attach --dev vkm1 --action drop --mode native --frags 2>&1)
check "attach --frags: vk_mb_drop native on the 9000 B MTU veth ($out)" \
	grep -q "vk_mb_drop .* native mode, multi-buffer (xdp.frags)" <<<"$out"
in_ns $V gen --dev vkm0 --size 9000 --count $N --rate 20000 >/dev/null
s=$(in_ns $V xdp stats --dev vkm1 --json)
check "frags drop on veth: $N 9000 B frames, $((N * 9000)) bytes counted (got $(slot drop 1 "$s") / $(slot drop 2 "$s"))" \
	test "$(slot drop 1 "$s") $(slot drop 2 "$s")" = "$N $((N * 9000))"
out=$(in_ns $V xdp detach --dev vkm1 2>&1)
check "detach: the frags variant is vnetkit's own and comes off ($out)" \
	test -z "$(in_ns $V xdp status --dev vkm1 --json | grep -o '"prog_id":[1-9]')"

# XDP_TX of multi-buffer frames: back out of vkm1 to vkm0, whole (vkm0
# needs an XDP program to receive XDP frames).
in_ns $V xdp attach --dev vkm0 --action pass --mode native --frags >/dev/null
in_ns $V xdp attach --dev vkm1 --action tx --mode native --frags >/dev/null
sink_gen vkm0 901
check "frags tx on veth: $N 9000 B frames bounced back whole (unique $(jnum unique "$S"), corrupt $(jnum corrupt "$S"), bytes $(jnum bytes "$S"))" \
	test "$(jnum unique "$S") $(jnum corrupt "$S") $(jnum bytes "$S")" = "$N 0 $((N * 9000))"
in_ns $V xdp detach --dev vkm1 >/dev/null
in_ns $V xdp detach --dev vkm0 >/dev/null

# XDP_REDIRECT of multi-buffer frames veth -> veth (veth has ndo_xmit_sg).
in_ns $V xdp attach --dev vkm3 --action pass --mode native --frags >/dev/null
out=$(in_ns $V xdp attach --dev vkm1 --action redirect --to vkm2 --mode native --frags 2>&1)
check "attach --frags redirect to a veth: no ndo_xmit_sg warning" \
	test -z "$(grep ndo_xmit_sg <<<"$out")"
sink_gen vkm3 902
check "frags redirect veth -> veth: $N 9000 B frames arrive whole (unique $(jnum unique "$S"), corrupt $(jnum corrupt "$S"), bytes $(jnum bytes "$S"))" \
	test "$(jnum unique "$S") $(jnum corrupt "$S") $(jnum bytes "$S")" = "$N 0 $((N * 9000))"
in_ns $V xdp detach --dev vkm1 >/dev/null
in_ns $V xdp detach --dev vkm3 >/dev/null

# A TAP: what it advertises decides what attach and gen say.
feat=$(in_ns $V xdp status --dev vkmt0 | sed -n 's/^xdp features: //p')
out=$(in_ns $V xdp attach --dev vkm1 --action redirect --to vkmt0 --mode native --frags 2>&1)
if [[ ",$feat," == *,ndo_xmit_sg,* ]]; then
	check "redirect --frags to a TAP with ndo_xmit_sg ($feat): no warning" \
		test -z "$(grep ndo_xmit_sg <<<"$out")"
else
	check "redirect --frags to a TAP without ndo_xmit_sg ($feat): warned that multi-buffer frames are dropped" \
		grep -q "vkmt0 does not advertise ndo_xmit_sg" <<<"$out"
fi
in_ns $V xdp detach --dev vkm1 >/dev/null
out=$(in_ns $V xdp attach --dev vkmt0 --action drop --mode native --frags 2>&1)
g=$(in_ns $V gen --tap vkmt0 --size 9000 --count 5 --json)
if [[ ",$feat," == *,rx_sg,* ]]; then
	check "gen: 9000 B into a TAP with rx_sg and a frags program: native path named" \
		grep -q '"native_xdp_path":true' <<<"$g"
else
	check "attach --frags on a TAP without rx_sg ($feat): says larger frames miss the native path" \
		grep -q "vkmt0 does not advertise rx_sg" <<<"$out"
	check "gen: 9000 B into that TAP: generic path, with the reason" \
		grep -q '"path":"skb first (generic XDP path)".*"native_xdp_path":false' <<<"$g"
fi
s=$(in_ns $V xdp stats --dev vkmt0 --json)
check "frags drop on the TAP: 5 frames, 45000 bytes counted whatever the path" \
	test "$(slot drop 1 "$s") $(slot drop 2 "$s")" = "5 45000"
in_ns $V xdp detach --dev vkmt0 >/dev/null

# gen --size up to 65535 into a TAP (no MTU applies to writes).
g=$(in_ns $V gen --tap vkmt0 --size 65535 --count 4 --json)
check "gen --size 65535 into a TAP: 4 frames, 262140 bytes written" \
	test "$(jnum frames "$g") $(jnum bytes "$g") $(jnum errors "$g")" = "4 262140 0"
exit 0
