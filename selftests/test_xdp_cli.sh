#!/usr/bin/env bash
# vnetkit xdp: bad input gives a clear message and the right exit code,
# and leaves nothing attached or pinned.
. "$(dirname "$0")/lib.sh"
ns=vkcli$$
V=$VNETKIT
vk_netns $ns || { fail "create namespace"; exit 0; }
ip -n $ns link add vkc0 type veth peer name vkc1
ip -n $ns link set vkc0 up; ip -n $ns link set vkc1 up
in_ns() { ip netns exec $ns "$@"; }
nothing_attached() { ! ip -n $ns link show | grep -q ' xdp'; }

expect_fail 2 "unknown subcommand 'fly'" "unknown subcommand: exit 2" in_ns $V xdp fly
expect_fail 2 "unknown action 'bounce'" "unknown action: exit 2 and the valid ones" \
	in_ns $V xdp attach --dev vkc0 --action bounce
expect_fail 2 "add --to IF" "redirect without --to: exit 2 with the fix" \
	in_ns $V xdp attach --dev vkc0 --action redirect
expect_fail 2 "--to is only valid with --action redirect" "--to with drop: exit 2" \
	in_ns $V xdp attach --dev vkc0 --action drop --to vkc1
expect_fail 2 "unknown mode 'turbo'" "unknown mode: exit 2" \
	in_ns $V xdp attach --dev vkc0 --action drop --mode turbo
expect_fail 2 "needs --dev" "attach without --dev: exit 2" in_ns $V xdp attach --action drop
expect_fail 2 "option --pin is not valid for 'stats'" "option of another subcommand: exit 2" \
	in_ns $V xdp stats --dev vkc0 --pin /sys/fs/bpf/x
expect_fail 2 "invalid value" "bad --interval: exit 2" in_ns $V xdp stats --dev vkc0 --interval abc
expect_fail 2 "out of range" "--duration 0: exit 2" in_ns $V xdp run --dev vkc0 --action drop --duration 0
expect_fail 1 "interface 'nosuch0' does not exist" "unknown interface: exit 1" \
	in_ns $V xdp attach --dev nosuch0 --action drop
expect_fail 1 "interface 'nosuch1' does not exist" "unknown redirect target: exit 1" \
	in_ns $V xdp attach --dev vkc0 --action redirect --to nosuch1
expect_fail 1 "has no native XDP support" "native mode on lo: exit 1, suggests generic" \
	in_ns $V xdp attach --dev lo --action drop --mode native
expect_fail 1 "is not on a BPF filesystem" "--pin outside bpffs: exit 1" \
	nsenter --net=/run/netns/$ns $V xdp attach --dev vkc0 --action drop --pin /tmp/vkpin$$
check "failed attaches left nothing attached" nothing_attached
check "failed --pin left no directory" test ! -e /tmp/vkpin$$

expect_fail 1 "has no XDP program attached" "detach with nothing attached: exit 1" \
	in_ns $V xdp detach --dev vkc0
expect_fail 1 "has no XDP program attached" "stats with nothing attached: exit 1" \
	in_ns $V xdp stats --dev vkc0

id1=$(in_ns $V xdp attach --dev vkc0 --action drop | sed -n 's/.*prog id \([0-9]*\).*/\1/p')
expect_fail 1 "already has an XDP program (id $id1 'vk_xdp_drop', native mode): detach it first" \
	"attach over an existing program: exit 1, names it and the fix" \
	in_ns $V xdp attach --dev vkc0 --action pass
check "the existing program is untouched" \
	bash -c "ip -n $ns link show dev vkc0 | grep -q 'prog/xdp id $id1'"
out=$(in_ns $V xdp attach --dev vkc0 --action pass --replace)
check "--replace swaps the program in place" grep -q "vk_xdp_pass" <<<"$out"
in_ns $V xdp detach --dev vkc0 >/dev/null
check "detach removes it" nothing_attached

if id nobody >/dev/null 2>&1; then
	expect_fail 1 "missing CAP_NET_ADMIN, CAP_PERFMON, CAP_BPF" \
		"non-root without capabilities: exit 1 naming the missing ones" \
		in_ns setpriv --reuid=nobody --regid=nogroup --clear-groups $V xdp attach --dev vkc0 --action drop
	check "non-root attempt attached nothing" nothing_attached
else
	skip "non-root attempt" "no 'nobody' user on this system"
fi
out=$($V xdp --help)
check "--help lists every subcommand" bash -c 'for s in attach detach status stats run bench; do grep -q "vnetkit xdp $s" <<<"$1" || exit 1; done' _ "$out"
