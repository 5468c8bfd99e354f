#!/usr/bin/env bash
# vnetkit trace in the QEMU guest (make kernel-check), where the test kernel
# allows fentry/fexit and kprobes: tun_get_user counts exactly the frames
# vnetkit gen writes, with fentry and with kprobes; the XDP program's own
# verdicts (fentry/fexit on it) match the action; latencies are ordered;
# tun_xdp_xmit sees XDP_TX; the vhost_net stages fire under vnetkit vhost;
# -- CMD propagates its exit status. No python3 here: the JSON is read with
# sed (the host suite parses it with a real JSON parser).
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
N=${TRACE_TEST_FRAMES:-2000}
NS=vktrg
T=/tmp/trace.$$
mkdir -p $T
at_exit "rm -rf $T"
at_exit "$V testbed down --name $NS"

# stage NAME FILE: the object of stage NAME in a --json report (jq -c).
stage() { jq -c --arg n "$1" '.stages[] | select(.name == $n)' "$2" 2>/dev/null; }
# field KEY STAGE, lat KEY STAGE, verdict KEY STAGE: a field of the stage,
# of its latency_ns, of its verdicts.
field() { jv ".$1" "$2"; }
lat() { jv ".latency_ns.$1" "$2"; }
verdict() { jv ".verdicts.$1" "$2"; }

$V trace --list >$T/list 2>&1
diag "$(cat $T/list)"
if ! grep -q '^tun_get_user .* fentry ' $T/list; then
	fail "trace: tun_get_user not on fentry in the guest: $(grep '^tun_get_user' $T/list)"
	exit 0
fi
ok "trace --list: tun_get_user on fentry/fexit"
check "trace --list: tun_sendmsg on fentry/fexit" grep -q '^tun_sendmsg .* fentry ' $T/list
check "trace --list: virtio_net stages listed" \
	sh -c "grep -q '^virtnet_poll ' $T/list && grep -q '^start_xmit ' $T/list"
check "trace --list: vhost_net stages listed" \
	sh -c "grep -q '^handle_tx ' $T/list && grep -q '^vhost_get_vq_desc ' $T/list"
$V trace --list --methods kprobe >$T/klist 2>&1
check "trace --list --methods kprobe: tun_get_user on kprobe" \
	grep -q '^tun_get_user .* kprobe ' $T/klist

if ! $V testbed up --name $NS >$T/tb 2>&1; then
	fail "trace: testbed up: $(cat $T/tb)"
	exit 0
fi
inns() { ip netns exec $NS "$@"; }

# traced ACTION FILE [trace options]: ACTION on vktap0, N frames, JSON report.
traced() {
	local act=$1 out=$2
	shift 2
	inns $V xdp attach --dev vktap0 --action $act --replace >/dev/null 2>$T/attach ||
		{ fail "trace: xdp attach $act: $(cat $T/attach)"; return 1; }
	inns $V trace --dev vktap0 --json "$@" -- \
		sh -c "$V gen --tap vktap0 --count $N >$T/gen 2>&1" >$out 2>$T/err
	local rc=$?
	inns $V xdp detach --dev vktap0 >/dev/null 2>&1
	[ $rc -eq 0 ] || { fail "trace: $act run exit $rc: $(cat $T/err)"; return 1; }
}

for m in fentry kprobe; do
	if traced drop $T/$m.json --methods $m,tp --stages tun_get_user,xdp_prog --counters sw; then
		l=$(stage tun_get_user $T/$m.json)
		check "trace ($m): tun_get_user attached with $m" test "$(field method "$l")" = $m
		check "trace ($m): exactly $N packets at tun_get_user" \
			test "$(field packets "$l")" = $N
		p50=$(lat p50 "$l") p99=$(lat p99 "$l") max=$(lat max "$l")
		if [ "${p50:-0}" -gt 0 ] && [ "$p50" -le "$p99" ] && [ "$p99" -le "$max" ]; then
			ok "trace ($m): tun_get_user latency 0 < p50 <= p99 <= max"
		else
			fail "trace ($m): latency p50=$p50 p99=$p99 max=$max"
		fi
		check "trace ($m): cpu-clock counter read per packet" \
			test "$(jv '.counters.values["cpu-clock-ns"] > 0' "$l")" = true
	fi
done

# The XDP program's own verdicts, from fentry/fexit on it.
for act in drop pass tx; do
	case $act in drop) v=drop ;; pass) v=pass ;; tx) v=tx ;; esac
	traced $act $T/$act.json --stages tun,xdp_prog,netif_receive_skb --counters none || continue
	x=$(stage xdp_prog $T/$act.json)
	check "trace: xdp_prog on fentry/fexit ($act)" test "$(field method "$x")" = fentry
	check "trace: XDP verdict $v counted $N times ($act)" test "$(verdict $v "$x")" = $N
	check "trace: tun_get_user $N packets ($act)" \
		test "$(field packets "$(stage tun_get_user $T/$act.json)")" = $N
	case $act in
	pass) check "trace: $N at netif_receive_skb (pass)" \
		test "$(field packets "$(stage netif_receive_skb $T/$act.json)")" = $N ;;
	tx) check "trace: tun_xdp_xmit sent $N frames back (tx)" \
		test "$(field packets "$(stage tun_xdp_xmit $T/$act.json)")" = $N ;;
	esac
done

# Text report in 80 columns.
inns $V xdp attach --dev vktap0 --action drop --replace >/dev/null 2>&1
inns $V trace --dev vktap0 --stages tun -- sh -c "$V gen --tap vktap0 --count $N >/dev/null 2>&1" \
	>$T/text 2>&1
inns $V xdp detach --dev vktap0 >/dev/null 2>&1
diag "$(cat $T/text)"
check "trace: text report fits 80 columns" sh -c "! awk 'length(\$0) > 80' $T/text | grep -q ."
check "trace: hardware counters reported (available or unavailable with reason)" \
	grep -qE '^hardware counters: (unavailable \(.+\)|cache-misses)' $T/text

# vhost_net stages while vnetkit vhost drives /dev/vhost-net.
if [ -e /dev/vhost-net ]; then
	$V trace --stages vhost_net,tun_sendmsg --json -- $V vhost tx --frames $N >$T/vhost.json 2>$T/err
	rc=$?
	check "trace: vnetkit vhost tx traced, exit 0" test $rc -eq 0
	h=$(stage handle_tx $T/vhost.json)
	if [ "$(field status "$h")" = ok ]; then
		c=$(field calls "$h")
		check "trace: handle_tx called ($c calls)" test "${c:-0}" -gt 0
	else
		diag "handle_tx: $(field reason "$h")"
	fi
	d=$(stage vhost_get_vq_desc $T/vhost.json)
	check "trace: vhost_get_vq_desc ran at least once per frame" \
		test "$(field calls "$d")" -ge $N
	s=$(stage tun_sendmsg $T/vhost.json)
	check "trace: tun_sendmsg called under vhost tx" test "$(field calls "$s")" -gt 0
	check "trace: tun_sendmsg carried exactly $N frames in TUN_MSG_PTR batches" \
		test "$(field packets "$s")" = $N
	check "trace: tun_sendmsg timed from handle_tx entry (stage to stage)" \
		test "$(field path_from "$s")" = handle_tx
	u=$(stage vhost_add_used $T/vhost.json)
	check "trace: vhost_add_used_n put exactly $N used entries in batches" \
		test "$(field packets "$u")" = $N
	diag "$(jq -c '.stages[] | select(.name | test("^(handle_tx|tun_sendmsg|vhost_get_vq_desc|vhost_add_used|vhost_signal)$")) | del(.. | .log2_hist?)' $T/vhost.json 2>/dev/null)"
else
	skip "trace: vhost_net stages" "no /dev/vhost-net in this guest kernel"
fi

$V trace --stages net -- sh -c 'exit 9' >/dev/null 2>&1
check "trace: -- CMD exit status propagated in the guest" test $? -eq 9
exit 0
