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
#                      tap-xdp-drop
#   VK_COST_FRAMES     frames in the run (the window excludes the warm-up)
#   VK_COST_BUSYLOOP   vhost: --busyloop-timeout US
#   VK_COST_PUBLISH    vhost-tx: --publish-every N
#   VK_COST_BATCH      vhost-tx: --batch N
# CPU placement, so that the plugin's per-vCPU rows are the two sides: the
# driver (or sender) on CPU 0, the vhost worker (or the receiving NAPI
# thread and sink) on CPU 1.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
W=${VK_COST_W:-}
F=${VK_COST_FRAMES:-20000}
NS=vkcost$$
T=$(mktemp -d)
at_exit "rm -rf $T"

# jnum FIELD JSON: the first number named FIELD (busybox: no jq here).
jnum() { grep -o "\"$1\":[0-9]*" <<<"$2" | head -1 | cut -d: -f2; }
# report JSON: the window line from the workload's cost_window object.
report() {
	local js=$1 cw frames warm opened
	cw=$(sed -n 's/.*"cost_window":{\([^}]*\)}.*/\1/p' <<<"$js")
	frames=$(jnum in_window "{$cw}") warm=$(jnum warmup "{$cw}")
	opened=$(sed -n 's/.*"opened":\([a-z]*\).*/\1/p' <<<"$cw")
	echo "vk-cost json $js"
	if [ "$opened" = true ] && [ "${frames:-0}" -gt 0 ]; then
		echo "vk-cost workload=$W frames=$frames warmup=$warm"
		ok "cost $W: window opened after $warm warm-up frames, $frames frames inside"
	else
		fail "cost $W: the window never opened or saw no frame ($cw)"
	fi
}

vhost() {	# vhost MODE ARGS...
	local js
	[ -e /dev/vhost-net ] || { fail "cost $W: no /dev/vhost-net in this kernel"; return; }
	js=$($V vhost "$@" --frames "$F" --pin 0,1 \
		${VK_COST_BUSYLOOP:+--busyloop-timeout $VK_COST_BUSYLOOP} --json 2>$T/err)
	if [ "$(sed -n 's/.*"result":"\([a-z_]*\)".*/\1/p' <<<"$js")" != ok ]; then
		fail "cost $W: vnetkit vhost $1 failed: $(head -c 300 $T/err) $(head -c 300 <<<"$js")"
		return
	fi
	report "$js"
}

# A TAP (and for tun-redirect a veth pair) in a namespace of our own.
netns_up() {
	ip netns add $NS || return 1
	at_exit "ip netns del $NS"
	ip -n $NS link set lo up
	ip -n $NS tuntap add dev vkct0 mode tap || return 1
	ip -n $NS link set vkct0 txqueuelen $((F + 1024)) arp off up
}

# tap-xdp-drop: gen writes into the TAP (tun_get_user, native XDP on the
# raw buffer), the program drops every frame; all on CPU 0.
tap_xdp_drop() {
	local js
	netns_up || { fail "cost $W: set-up failed"; return; }
	ip netns exec $NS $V xdp attach --dev vkct0 --action drop --mode native >/dev/null ||
		{ fail "cost $W: XDP attach failed"; return; }
	js=$(ip netns exec $NS taskset -c 0 $V gen --tap vkct0 --count "$F" --json 2>$T/err)
	[ "$(jnum frames "$js")" = "$F" ] ||
		{ fail "cost $W: gen wrote $(jnum frames "$js")/$F: $(head -c 300 $T/err)"; return; }
	report "$js"
}

# tun-redirect: gen (CPU 0) -> AF_PACKET -> veth -> XDP_REDIRECT (threaded
# NAPI of the peer, CPU 1) -> tun_xdp_xmit -> TAP -> gen --sink (CPU 1).
tun_redirect() {
	local js sink i pid got
	netns_up || { fail "cost $W: set-up failed"; return; }
	ip -n $NS link add vkc0 type veth peer name vkc1 &&
		ip -n $NS link set vkc0 up && ip -n $NS link set vkc1 up ||
		{ fail "cost $W: veth set-up failed"; return; }
	ip netns exec $NS $V xdp attach --dev vkc1 --action redirect --to vkct0 \
		--mode native >/dev/null || { fail "cost $W: XDP attach failed"; return; }
	ip netns exec $NS sh -c 'echo 1 >/sys/class/net/vkc1/threaded'
	for pid in $(pgrep '^napi/vkc1'); do taskset -p -c 1 "$pid" >/dev/null; done
	ip netns exec $NS taskset -c 1 $V gen --sink --tap vkct0 --count "$F" --timeout 5 \
		--ready $T/ready --json >$T/sink.json 2>$T/sink.err &
	sink=$!
	for ((i = 0; i < 100; i++)); do [ -e $T/ready ] && break; sleep 0.1; done
	js=$(ip netns exec $NS taskset -c 0 $V gen --dev vkc0 --count "$F" --json 2>$T/err)
	wait $sink
	# The path is measured per frame sent; a frame tun_xdp_xmit() drops
	# (TAP ring full) was still sent, so losses are reported, not fatal.
	got=$(jnum unique "$(cat $T/sink.json)")
	if [ "${got:-0}" -eq 0 ]; then
		fail "cost $W: no frame reached the TAP reader: $(head -c 300 $T/sink.err)"
		return
	fi
	diag "cost $W: the TAP reader got $got of $F frames"
	report "$js"
}

case "$W" in
vhost-tx) vhost tx ${VK_COST_PUBLISH:+--publish-every $VK_COST_PUBLISH} \
	${VK_COST_BATCH:+--batch $VK_COST_BATCH} ;;
vhost-rx) vhost rx ;;
vhost-pingpong) vhost pingpong ;;
tap-xdp-drop) tap_xdp_drop ;;
tun-redirect) tun_redirect ;;
*) fail "cost: unknown workload '$W' (vhost-tx, vhost-rx, vhost-pingpong, tun-redirect, tap-xdp-drop)" ;;
esac
exit 0
