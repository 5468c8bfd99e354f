#!/usr/bin/env bash
# make demo: the main job on the built-in testbed. Creates a namespace with a
# TAP and a veth pair, runs drop, tx and redirect in turn with generated
# traffic, prints a short report per action, and always tears down.
set -euo pipefail
cd "$(dirname "$0")/.."
V=${VNETKIT:-$PWD/build/vnetkit}
ns=vkdemo
N=${N:-200000}
in_ns() { ip netns exec $ns "$@"; }

[ "$(id -u)" -eq 0 ] || { echo "vnetkit: demo: needs root (CAP_NET_ADMIN, CAP_BPF) (run: sudo make demo)" >&2; exit 1; }
if ip netns list | grep -qw $ns; then
	echo "vnetkit: demo: namespace $ns exists (left by an interrupted demo? vnetkit testbed down --name $ns)" >&2
	exit 1
fi
cleanup() {
	for d in vktap0 vkveth1; do in_ns $V xdp detach --dev $d >/dev/null 2>&1 || true; done
	$V testbed down --name $ns >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== testbed"
$V testbed up --name $ns
echo

echo "== drop: TAP native XDP, $N frames written into vktap0"
in_ns $V xdp attach --dev vktap0 --action drop --mode native
in_ns $V gen --tap vktap0 --count "$N"
in_ns $V xdp stats --dev vktap0
in_ns $V xdp detach --dev vktap0
echo

echo "== tx: frames bounce back out of the TAP fd with MACs swapped"
in_ns $V xdp attach --dev vktap0 --action tx --mode native
in_ns $V gen --tap vktap0 --count "$N" --recv
in_ns $V xdp stats --dev vktap0
in_ns $V xdp detach --dev vktap0
echo

echo "== redirect: vktap0 -> vkveth0 -> vkveth1 (pass on the peer, AF_PACKET sink)"
in_ns $V xdp attach --dev vkveth1 --action pass --mode native
in_ns $V xdp attach --dev vktap0 --action redirect --to vkveth0 --mode native
ready=$(mktemp -u)
in_ns $V gen --sink --dev vkveth1 --count "$N" --timeout 3 --ready "$ready" &
sink=$!
for _ in $(seq 50); do [ -e "$ready" ] && break; sleep 0.1; done
in_ns $V gen --tap vktap0 --count "$N"
wait $sink
rm -f "$ready"
in_ns $V xdp stats --dev vktap0
in_ns $V xdp detach --dev vktap0
in_ns $V xdp detach --dev vkveth1
echo

echo "== teardown"
trap - EXIT
cleanup
$V testbed status --name $ns >/dev/null 2>&1 && { echo "vnetkit: demo: testbed still up" >&2; exit 1; }
echo "testbed $ns removed; nothing left attached"
