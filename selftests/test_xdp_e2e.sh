#!/usr/bin/env bash
# End to end, in a private testbed namespace: TAP native XDP drop, TAP
# XDP_TX, redirect TAP -> veth, the silent-drop warning for veth targets,
# generic mode on veth, --mode auto, pinning, run, and the bpftool-only path.
. "$(dirname "$0")/lib.sh"
ns=vkxdp$$
N=2000
obj=${VNETKIT_ROOT:-.}/build/bpf
V=$VNETKIT
# Every XDP program seen attached in our namespace is noted (by id, in a
# file: in_ns also runs in $(...) subshells), so the end can check that each
# one is gone without looking at programs other tools or tests loaded.
ids=$(mktemp)
sink=$(mktemp)
at_exit "rm -f $ids $sink $sink.err $sink.ready"
# sink_tap DEV: N frames written into vktap0, caught by a sink on DEV; R is
# its report.
sink_tap() {
	vk_sink_start $sink 5 in_ns $V gen --sink --dev "$1" --count $N --timeout 3
	in_ns $V gen --tap vktap0 --count $N >/dev/null
	wait $VK_SINK
	R=$(cat $sink)
}
note_ids() {
	ip netns exec $ns bpftool -j net show 2>/dev/null |
		jq -r '.[].xdp[]?.id' >>"$ids" 2>/dev/null || true
}
in_ns() { local rc; ip netns exec $ns "$@"; rc=$?; note_ids; return $rc; }
# `ip netns exec` gives its command a private /sys, without bpffs: pins made
# there vanish with it. nsenter switches only the network namespace.
in_net() { local rc; nsenter --net=/run/netns/$ns "$@"; rc=$?; note_ids; return $rc; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
at_exit "$V testbed down --name $ns"
if ! $V testbed up --name $ns >/dev/null; then
	fail "testbed up"; exit 0
fi
no_xdp() { ! in_ns ip link show dev "$1" | grep -q ' xdp'; }

# 1. TAP native drop: the counter equals the frames written.
out=$(in_ns $V xdp attach --dev vktap0 --action drop --mode native)
check "attach drop to TAP in native mode" grep -q "native mode" <<<"$out"
g=$(in_ns $V gen --tap vktap0 --count $N --json)
check "gen took the native XDP path (non-blocking fd)" \
	test "$(json 'd["native_xdp_path"]' <<<"$g")" = True
s=$(in_ns $V xdp stats --dev vktap0 --json)
check "TAP native drop: drop counter == $N frames written" \
	test "$(json 'd["total"]["drop"]["packets"]' <<<"$s")" = $N
check "TAP native drop: bytes == $N * 64" \
	test "$(json 'd["total"]["drop"]["bytes"]' <<<"$s")" = $((N * 64))
st=$(in_ns $V xdp status --dev vktap0 --json)
check "status reports native mode and a load time" \
	test "$(json '(d["interfaces"][0]["mode"], d["interfaces"][0]["loaded_at"] > 0)' <<<"$st")" = "('native', True)"
in_ns $V xdp detach --dev vktap0 >/dev/null
check "detach leaves no XDP program on the TAP" no_xdp vktap0

# 2. TAP XDP_TX: frames come back out of the TAP fd with MACs swapped.
in_ns $V xdp attach --dev vktap0 --action tx >/dev/null
g=$(in_ns $V gen --tap vktap0 --count $N --recv --json)
check "TAP XDP_TX: all $N frames read back from the TAP fd" \
	test "$(json 'd["returned"]' <<<"$g")" = $N
check "TAP XDP_TX: all $N returned frames have source/destination MAC swapped" \
	test "$(json 'd["mac_swapped"]' <<<"$g")" = $N
s=$(in_ns $V xdp stats --dev vktap0 --json)
check "TAP XDP_TX: tx counter == $N" test "$(json 'd["total"]["tx"]["packets"]' <<<"$s")" = $N
in_ns $V xdp detach --dev vktap0 >/dev/null

# 3. Redirect into a veth whose peer has no XDP program and no GRO: warned.
err=$(in_ns $V xdp attach --dev vktap0 --action redirect --to vkveth0 2>&1 >/dev/null)
check "redirect to a veth with a bare peer warns and names the fix" \
	grep -q "warning: redirect target vkveth0.*peer vkveth1 has no XDP program and no GRO.*load \`pass\` on vkveth1" <<<"$err"
in_ns $V xdp detach --dev vktap0 >/dev/null
in_ns ethtool -K vkveth1 gro on >/dev/null 2>&1 || in_ns $V xdp attach --dev vkveth1 --action pass >/dev/null
err=$(in_ns $V xdp attach --dev vktap0 --action redirect --to vkveth0 2>&1 >/dev/null)
check "no warning once the peer can receive (GRO on)" test -z "$err"
in_ns $V xdp detach --dev vktap0 >/dev/null
in_ns ethtool -K vkveth1 gro off >/dev/null 2>&1

# 4. Redirect TAP -> veth with `pass` on the peer: every frame arrives.
in_ns $V xdp attach --dev vkveth1 --action pass >/dev/null
err=$(in_ns $V xdp attach --dev vktap0 --action redirect --to vkveth0 2>&1 >/dev/null)
check "redirect to a veth whose peer has XDP attaches without warning" test -z "$err"
sink_tap vkveth1
check "redirect TAP -> veth: $N frames arrive at an AF_PACKET socket on the peer" \
	test "$(json '(d["unique"], d["duplicates"])' <<<"$R")" = "($N, 0)"
s=$(in_ns $V xdp stats --dev vktap0 --json)
check "redirect counter == $N" test "$(json 'd["total"]["redirect"]["packets"]' <<<"$s")" = $N
s=$(in_ns $V xdp stats --dev vkveth1 --json)
check "pass on the peer saw the $N redirected frames" \
	test "$(json 'd["total"]["pass"]["packets"]' <<<"$s")" = $N
in_ns $V xdp detach --dev vktap0 >/dev/null
in_ns $V xdp detach --dev vkveth1 >/dev/null

# 4b. Redirect into a CPUMAP (--action cpu): the frames written into the
# TAP leave XDP for the kernel thread of the last CPU, which builds the
# skbs and delivers them on the TAP, where an AF_PACKET socket sees each.
cpu=$(($(nproc) - 1))
out=$(in_ns $V xdp attach --dev vktap0 --action cpu --cpu $cpu --mode native)
check "attach cpu to TAP names the CPU" grep -q "redirecting to CPU $cpu" <<<"$out"
mid=$(in_ns bpftool -j map show 2>/dev/null | jq -r '[.[] | select(.type == "cpumap" and .name == "vk_tx_port")] | last | .id')
check "the CPUMAP has a kernel thread on CPU $cpu (cpumap/$cpu/map:$mid)" \
	test -n "$(pgrep -x "cpumap/$cpu/map:$mid")"
sink_tap vktap0
check "cpu TAP -> CPU $cpu: $N frames arrive at an AF_PACKET socket on the TAP" \
	test "$(json '(d["unique"], d["duplicates"])' <<<"$R")" = "($N, 0)"
s=$(in_ns $V xdp stats --dev vktap0 --json)
check "cpu: redirect counter == $N, no_target 0" \
	test "$(json '(d["total"]["redirect"]["packets"], d["total"]["no_target"]["packets"])' <<<"$s")" = "($N, 0)"
in_ns $V xdp detach --dev vktap0 >/dev/null
check "detach of cpu leaves no XDP program on the TAP" no_xdp vktap0

# 5. Generic mode on veth.
out=$(in_ns $V xdp attach --dev vkveth1 --action drop --mode generic)
check "attach drop to veth in generic mode" grep -q "generic mode" <<<"$out"
check "ip link shows xdpgeneric" bash -c "ip -n $ns link show dev vkveth1 | grep -q xdpgeneric"
in_ns $V gen --dev vkveth0 --count $N >/dev/null
s=$(in_ns $V xdp stats --dev vkveth1 --json)
check "generic mode on veth: drop counter == $N" \
	test "$(json '(d["mode"], d["total"]["drop"]["packets"])' <<<"$s")" = "('generic', $N)"
in_ns $V xdp detach --dev vkveth1 >/dev/null
check "detach leaves no XDP program on the veth" no_xdp vkveth1

# 6. --mode auto says which mode it chose.
out=$(in_ns $V xdp attach --dev vkveth1 --action drop --mode auto 2>&1)
check "auto on veth chooses native and says so" grep -q "in native mode" <<<"$out"
in_ns $V xdp detach --dev vkveth1 >/dev/null
out=$(in_ns $V xdp attach --dev lo --action pass --mode auto 2>&1)
check "auto on lo (no native XDP) says it uses generic mode, and why" \
	bash -c 'grep -q "no native XDP.*using generic mode" <<<"$1" && grep -q "in generic mode" <<<"$1"' _ "$out"
in_ns $V xdp detach --dev lo >/dev/null

# 7. Pinning: --pin creates the pins, detach --pin removes them.
mountpoint -q /sys/fs/bpf || { mount -t bpf bpf /sys/fs/bpf && diag "mounted bpffs on /sys/fs/bpf"; }
pin=/sys/fs/bpf/vkxdp$$
at_exit "rm -rf $pin"
in_net $V xdp attach --dev vkveth1 --action drop --pin $pin >/dev/null
check "--pin DIR pins the program and its counters" test -e $pin/prog -a -e $pin/vk_stats
pid=$(bpftool -j prog show pinned $pin/prog | json 'd["id"]')
in_net $V xdp detach --dev vkveth1 --pin $pin >/dev/null
check "detach --pin removes the pins and the directory" test ! -e $pin
check "the detached, unpinned program is gone" bash -c "! bpftool prog show id $pid >/dev/null 2>&1"

# 8. run: attach in the foreground, exit after --duration, detach.
(exec ip netns exec $ns $V xdp run --dev vkveth1 --action drop --duration 2 --json) >"/tmp/vkrun$$" &
runner=$!
sleep 0.7
in_ns $V gen --dev vkveth0 --count $N >/dev/null
wait $runner; rc=$?
r=$(cat /tmp/vkrun$$); rm -f /tmp/vkrun$$
check "run --duration exits 0" test $rc -eq 0
check "run's final summary counts the $N frames" test "$(json 'd["total"]["drop"]["packets"]' <<<"$r")" = $N
check "run --json has per-interval samples" test "$(json 'len(d["samples"]) >= 1' <<<"$r")" = True
check "run detached on exit" no_xdp vkveth1
# exec: $! must be vnetkit itself, not a subshell that ignores SIGINT
(exec ip netns exec $ns $V xdp run --dev vkveth1 --action pass --interval 0.2) >"/tmp/vkrun$$" 2>&1 &
runner=$!
sleep 1
kill -INT $runner
for _ in $(seq 50); do kill -0 $runner 2>/dev/null || break; sleep 0.1; done
if kill -0 $runner 2>/dev/null; then
	fail "run did not exit within 5 s of SIGINT"; kill -KILL $runner
fi
wait $runner; rc=$?
check "run stops on SIGINT with exit 0 and a summary" \
	bash -c "[ $rc -eq 0 ] && grep -q 'interrupted, detaching' /tmp/vkrun$$ && grep -q 'verdict' /tmp/vkrun$$"
check "run detached after SIGINT" no_xdp vkveth1
rm -f /tmp/vkrun$$

# 9. stats with an interval prints rates, then a summary.
in_ns $V xdp attach --dev vkveth1 --action drop >/dev/null
out=$(in_ns $V xdp stats --dev vkveth1 --interval 0.3 --duration 1 --per-cpu)
check "stats --interval prints rate lines and the summary" \
	bash -c 'grep -q "pkts/s" <<<"$1" && grep -q "verdict" <<<"$1"' _ "$out"
in_ns $V xdp detach --dev vkveth1 >/dev/null

# 10. The objects work without vnetkit: bpftool load + xdpgeneric attach.
bpin=/sys/fs/bpf/vkxdp_bt$$
at_exit "rm -f $bpin"
if bpftool prog load $obj/xdp_drop.bpf.o $bpin type xdp 2>/dev/null; then
	ok "bpftool prog load xdp_drop.bpf.o"
	in_net bpftool net attach xdpgeneric pinned $bpin dev vkveth1
	check "bpftool net attach xdpgeneric" bash -c "ip -n $ns link show dev vkveth1 | grep -q xdpgeneric"
	in_ns $V gen --dev vkveth0 --count $N >/dev/null
	s=$(in_ns $V xdp stats --dev vkveth1 --json)
	check "bpftool-loaded drop counts the $N frames (read by vnetkit xdp stats)" \
		test "$(json 'd["total"]["drop"]["packets"]' <<<"$s")" = $N
	in_net bpftool net detach xdpgeneric dev vkveth1
	rm -f $bpin
	check "bpftool detach + unpin leaves nothing" no_xdp vkveth1
else
	fail "bpftool prog load xdp_drop.bpf.o"
fi
for p in pass tx redirect cpu; do
	if bpftool prog load $obj/xdp_$p.bpf.o $bpin type xdp 2>/dev/null; then
		ok "bpftool prog load xdp_$p.bpf.o"
	else
		fail "bpftool prog load xdp_$p.bpf.o"
	fi
	rm -f $bpin
done

$V testbed down --name $ns >/dev/null
sleep 0.2
left=
for id in $(sort -u "$ids"); do
	bpftool prog show id "$id" >/dev/null 2>&1 && left="$left $id"
done
check "every XDP program this test attached is gone ($(sort -u "$ids" | wc -l) seen, left:${left:- none})" \
	test -s "$ids" -a -z "$left"
