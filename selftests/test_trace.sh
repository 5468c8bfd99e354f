#!/usr/bin/env bash
# vnetkit trace on the host: the tracepoint stages count exactly what
# vnetkit gen writes through a testbed TAP with an XDP program attached,
# latencies are ordered, function stages this kernel cannot trace say why,
# -- CMD propagates its exit status, --json parses and lists every stage
# asked for, and refused input leaves no BPF program or link behind.
source "$(dirname "$0")/lib.sh"

V=$VNETKIT
NS=vktr$$
N=1000
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
at_exit "$V testbed down --name $NS"

# Our programs, as bpftool shows them (names cut at 15 characters).
trace_progs() {
	bpftool prog show 2>/dev/null |
		grep -cE ' name (tp_sys_enter|tp_sys_exit|tp_net_dev_|tp_napi_poll|tp_netif_rece|tp_xdp_|fentry_|fexit_|kprobe_|kretprobe_|xdp_prog_|probe_fentry|probe_kprobe) '
}

# Detached programs are freed after RCU grace periods (task storage after an
# RCU tasks trace one): wait up to 10 s for the count to settle at $1.
wait_progs() {
	local i
	for i in $(seq 100); do
		[ "$(trace_progs)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

py_json() { python3 -c "import json,sys; d=json.load(open('$1')); $2"; }

# --- refused input: clear errors, nothing attached ---------------------------
wait_progs 0 || diag "programs of an earlier run still loaded: $(trace_progs)"
progs0=$(trace_progs)
expect_fail 2 "unknown stage or group 'nosuch'" "trace: unknown stage refused" \
	$V trace --stages tun_get_user,nosuch --duration 1
expect_fail 1 "--dev vknosuch0: no such interface" "trace: missing interface refused" \
	$V trace --dev vknosuch0 --duration 1
expect_fail 2 "out of range" "trace: --duration 0 refused" $V trace --duration 0
expect_fail 2 "exclusive" "trace: --duration with --packets refused" \
	$V trace --duration 1 --packets 5
expect_fail 2 "unknown mode 'pmu'" "trace: unknown --counters mode refused" \
	$V trace --counters pmu --duration 1
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups $V trace --duration 1 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"missing CAP_PERFMON, CAP_BPF"* ]]; then
	ok "trace: non-root without capabilities refused with exit 1, naming them"
else
	fail "trace: non-root (exit $rc: $out)"
fi
if [ "$(trace_progs)" = "$progs0" ]; then
	ok "trace: refused runs left no BPF program loaded"
else
	fail "trace: programs before $progs0, after $(trace_progs)"
fi

# --- --list: one line per stage, a method or the reason ----------------------
$V trace --list >$tmp/list 2>$tmp/list.err; rc=$?
names="tun_get_user tun_net_xmit tun_sendmsg tun_recvmsg tun_xdp_xmit veth_xmit
	veth_poll virtnet_poll receive_buf start_xmit handle_tx handle_rx
	vhost_get_vq_desc vhost_add_used vhost_signal xdp_prog xdp_exception
	xdp_redirect xdp_redirect_err xdp_bulk_tx xdp_devmap_xmit net_dev_xmit
	netif_receive_skb"
bad=
for s in $names; do
	[ "$(grep -c "^$s " $tmp/list)" = 1 ] || bad="$bad $s"
done
if [ $rc -eq 0 ] && [ -z "$bad" ] && [ "$(grep -vc '^events ' $tmp/list)" = 23 ]; then
	ok "trace --list: every stage exactly once"
else
	fail "trace --list (exit $rc, missing:$bad): $(cat $tmp/list $tmp/list.err)"
fi
bad=$(grep -vE '^[a-z_]+ +[a-z_]+ +(fentry|kprobe|tp_btf|raw_tp|syscall) |^[a-z_]+ +[a-z_]+ +unavailable \(.+\)$' $tmp/list)
if [ -z "$bad" ]; then
	ok "trace --list: each stage has a method or 'unavailable (reason)'"
else
	fail "trace --list: lines without status: $bad"
fi
check "trace --list: fits 80 columns" bash -c "! awk 'length(\$0) > 80' $tmp/list | grep -q ."
# The host facts from the brief: fentry refused, no kprobes. Elsewhere the
# stage must have attached with a function method instead.
if grep -q '^tun_sendmsg .*unavailable' $tmp/list; then
	check "trace --list: tun_sendmsg says why fentry and kprobe failed" \
		grep -qE '^tun_sendmsg .*unavailable \((fentry [A-Z]+|not in BTF), (no kprobes|kprobe [A-Z]+|not in kallsyms)\)' $tmp/list
else
	check "trace --list: tun_sendmsg on a function method" \
		grep -qE '^tun_sendmsg .* (fentry|kprobe) ' $tmp/list
fi
check "trace --list: vhost tracepoints listed as events (or why not)" \
	grep -qE '^events +vhost_net +(raw_tp +vhost_|unavailable \(kernel has no vhost_\* tracepoints\))' $tmp/list
expect_fail 2 "invalid prefix" "trace: --events with a bad prefix refused" \
	$V trace --events 'a b' --duration 1
check "trace --list: xdp tracepoints on tp_btf" \
	bash -c "grep -q '^xdp_exception .* tp_btf ' $tmp/list && grep -q '^netif_receive_skb .* tp_btf ' $tmp/list"

# --- traffic through the testbed TAP ----------------------------------------
if ! $V testbed up --name $NS >$tmp/tb 2>&1; then
	fail "trace: testbed up: $(cat $tmp/tb)"
	exit 0
fi
inns() { ip netns exec $NS "$@"; }

# run_trace ACTION JSONFILE [trace options]: attach ACTION on vktap0, trace
# while gen writes N frames, detach.
run_trace() {
	local act=$1 out=$2 rc
	shift 2
	inns $V xdp attach --dev vktap0 --action $act --replace >/dev/null 2>$tmp/attach || {
		fail "trace: xdp attach $act: $(cat $tmp/attach)"; return 1; }
	inns $V trace --dev vktap0 --json "$@" -- \
		sh -c "$V gen --tap vktap0 --count $N >$tmp/gen 2>&1" >$out 2>$tmp/trace.err
	rc=$?
	inns $V xdp detach --dev vktap0 >/dev/null 2>&1
	return $rc
}

# drop: tun_get_user sees every write, nothing reaches the stack.
if run_trace drop $tmp/drop.json --stages tun,xdp,net --counters sw; then
	ok "trace: traced a drop run (exit 0)"
else
	fail "trace: drop run failed: $(cat $tmp/trace.err)"
fi
check "trace: --json parses (python3 json)" py_json $tmp/drop.json "assert isinstance(d, dict)"
check "trace: --json names every stage asked for (tun,xdp,net)" py_json $tmp/drop.json "
want = {'tun_get_user','tun_net_xmit','tun_sendmsg','tun_recvmsg','tun_xdp_xmit',
        'xdp_prog','xdp_exception','xdp_redirect','xdp_redirect_err','xdp_bulk_tx',
        'xdp_devmap_xmit','net_dev_xmit','netif_receive_skb'}
got = {s['name'] for s in d['stages']}
assert got == want, (got ^ want)
for s in d['stages']:
    assert s['status'] in ('ok', 'unavailable'), s
    assert (s['status'] == 'ok') == (s['method'] is not None), s
    if s['status'] == 'unavailable': assert s['reason'], s
assert d['schema'] == 'vnetkit-trace/1' and d['device']['name'] == 'vktap0'
assert d['command']['exit_status'] == 0"
stage() { echo "st = {s['name']: s for s in d['stages']}; $1"; }
check "trace: tun_get_user counted exactly $N writes (drop)" py_json $tmp/drop.json "$(stage "
assert st['tun_get_user']['calls'] == $N and st['tun_get_user']['packets'] == $N, st['tun_get_user']")"
check "trace: nothing reached netif_receive_skb under XDP_DROP" py_json $tmp/drop.json "$(stage "
assert st['netif_receive_skb']['packets'] == 0, st['netif_receive_skb']")"
check "trace: tun_get_user latency > 0 and p50 <= p99 <= max" py_json $tmp/drop.json "$(stage "
l = st['tun_get_user']['latency_ns']
assert l['count'] == $N and 0 < l['p50'] <= l['p99'] <= l['max'], l
assert sum(b['count'] for b in l['log2_hist']) == $N, l")"
check "trace: software counter read at entry/exit (cpu-clock > 0 per packet)" py_json $tmp/drop.json "$(stage "
assert d['counters']['mode'] == 'sw' and d['counters']['available'] == ['cpu-clock-ns'], d['counters']
c = st['tun_get_user']['counters']
assert c['per'] == 'packet' and c['samples'] > 0 and c['values']['cpu-clock-ns'] > 0, c
assert c['samples'] + c['skipped_migrated'] == $N and c['read_errors'] == 0, c")"

# pass: every frame reaches the stack, with a path latency from tun_get_user.
if run_trace pass $tmp/pass.json --stages tun_get_user,netif_receive_skb --counters none; then
	check "trace: XDP_PASS: $N at tun_get_user and $N at netif_receive_skb" py_json $tmp/pass.json "$(stage "
assert st['tun_get_user']['packets'] == $N and st['netif_receive_skb']['packets'] == $N, st")"
	check "trace: netif_receive_skb timed and placed after tun_get_user entry" py_json $tmp/pass.json "$(stage "
s = st['netif_receive_skb']
l, p = s['latency_ns'], s['path_ns']
assert l['count'] == $N and 0 < l['p50'] <= l['p99'] <= l['max'], l
assert s['path_from'] == 'tun_get_user' and p['count'] == $N and 0 < p['p50'] <= p['p99'] <= p['max'], s
assert p['max'] <= st['tun_get_user']['latency_ns']['max'], s")"
	check "trace: --counters none reports no counters" py_json $tmp/pass.json "
assert d['counters']['mode'] == 'none' and all(s.get('counters') is None for s in d['stages'])"
else
	fail "trace: pass run failed: $(cat $tmp/trace.err)"
fi

# redirect to vkveth0 with a pass program on the peer: xdp_redirect sees
# every frame with verdict redirect, devmap flushes and veth NAPI polls carry
# them in batches.
inns $V xdp attach --dev vkveth1 --action pass >/dev/null 2>&1
inns $V xdp attach --dev vktap0 --action redirect --to vkveth0 --replace >/dev/null 2>$tmp/attach
inns $V trace --dev vktap0 --json --stages tun_get_user,xdp_redirect,xdp_redirect_err \
	--events xdp_redirect -- \
	sh -c "$V gen --tap vktap0 --count $N >$tmp/gen 2>&1" >$tmp/redir.json 2>$tmp/trace.err
inns $V xdp detach --dev vktap0 >/dev/null 2>&1
check "trace: XDP_REDIRECT verdicts count exactly $N" py_json $tmp/redir.json "$(stage "
r = st['xdp_redirect']
assert r['packets'] == $N and r['verdicts']['redirect'] == $N, r
assert st['xdp_redirect_err']['packets'] == 0 and st['tun_get_user']['packets'] == $N, st")"
check "trace: --events xdp_redirect counts every xdp_redirect* tracepoint" py_json $tmp/redir.json "
e = d['events']
assert e['prefix'] == 'xdp_redirect' and e['status'] == 'ok', e
assert e['counts']['xdp_redirect'] == $N and e['counts']['xdp_redirect_err'] == 0, e"
inns $V xdp attach --dev vktap0 --action redirect --to vkveth0 --replace >/dev/null 2>&1
inns $V trace --dev vkveth1 --json --stages veth_poll,xdp_devmap_xmit -- \
	sh -c "$V gen --tap vktap0 --count $N >$tmp/gen 2>&1" >$tmp/veth.json 2>$tmp/trace.err
inns $V xdp detach --dev vktap0 >/dev/null 2>&1
inns $V xdp detach --dev vkveth1 >/dev/null 2>&1
check "trace: veth_poll batch sizes add up to $N frames on the peer" py_json $tmp/veth.json "$(stage "
v = st['veth_poll']
b = v['batch']
assert v['packets'] == $N and b['count'] == v['calls'] and 1 <= b['p50'] <= b['p99'] <= b['max'] <= 64, v")"

# --- text report -------------------------------------------------------------
inns $V xdp attach --dev vktap0 --action drop --replace >/dev/null 2>&1
inns $V trace --dev vktap0 --stages tun,net -- \
	sh -c "$V gen --tap vktap0 --count $N >/dev/null 2>&1" >$tmp/text 2>&1
inns $V xdp detach --dev vktap0 >/dev/null 2>&1
check "trace: text report has the stage table and a log2 histogram" \
	bash -c "grep -qE '^tun_get_user +syscall +$N +$N ' $tmp/text && grep -q 'nsecs : count     distribution' $tmp/text"
check "trace: text report fits 80 columns" bash -c "! awk 'length(\$0) > 80' $tmp/text | grep -q ."
if grep -q '^tun_sendmsg' $tmp/list && grep -q 'tun_sendmsg .*unavailable' $tmp/list; then
	check "trace: text report lists unavailable stages with the reason" \
		grep -qE '^  tun_sendmsg: fentry: ' $tmp/text
fi
grep -q 'hardware counters: unavailable (' $tmp/text ||
	grep -q '^hardware counters: cache-misses' $tmp/text
check "trace: hardware counters are reported as available or 'unavailable (reason)'" test $? -eq 0

# --- -- CMD exit status, and nothing left attached afterwards ---------------
$V trace --stages net -- sh -c 'exit 7' >/dev/null 2>&1; rc=$?
check "trace: -- CMD exit status 7 propagated" test $rc -eq 7
$V trace --stages net -- false >/dev/null 2>&1; rc=$?
check "trace: -- false gives exit 1" test $rc -eq 1
$V trace --stages net -- /nonexistent/cmd >/dev/null 2>&1; rc=$?
check "trace: a command that cannot run gives exit 127" test $rc -eq 127

$V trace --stages tun_get_user,net --duration 3 >/dev/null 2>&1 &
pid=$!
at_exit "kill $pid"
attached=0
for _ in $(seq 50); do
	[ "$(trace_progs)" -gt "$progs0" ] && { attached=1; break; }
	sleep 0.1
done
check "trace: programs are loaded while tracing" test $attached -eq 1
wait $pid; rc=$?
check "trace: --duration run exits 0" test $rc -eq 0
check "trace: nothing left loaded after the run" wait_progs "$progs0"

# --packets stops at the count (any stage reaching N).
inns $V trace --dev vktap0 --stages tun_get_user --packets 100 --json >$tmp/pk.json 2>&1 &
pid=$!
sleep 1
inns $V gen --tap vktap0 --count 300 >/dev/null 2>&1
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if ! kill -0 $pid 2>/dev/null; then
	wait $pid
	check "trace: --packets 100 stopped after >= 100 packets" py_json $tmp/pk.json "$(stage "
assert st['tun_get_user']['packets'] >= 100, st")"
	check "trace: --packets reports both figures: 100 requested, M >= 100 seen" \
		py_json $tmp/pk.json "assert d['packets_requested'] == 100 and \
		d['packets_seen'] >= 100 and d['end'] == 'packets', d"
else
	kill $pid
	fail "trace: --packets 100 did not stop"
fi

# --- trace -- CMD: CMD dies with vnetkit, even on SIGKILL ---------------------
$V trace --stages net -- sleep 60 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do child=$(pgrep -P $pid -x sleep) && break; sleep 0.1; done
kill -KILL $pid; wait $pid 2>/dev/null
gone=0
# dead: gone, or a zombie waiting for a reaper that is not ours
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ "$st" != Z* ]]; }
for _ in $(seq 20); do alive "$child" || { gone=1; break; }; sleep 0.05; done
check "trace -- CMD killed with SIGKILL leaves no CMD running (pid ${child:-none})" \
	test -n "$child" -a $gone -eq 1
[ $gone -eq 1 ] || kill -KILL "$child" 2>/dev/null
check "trace: SIGKILLed run left nothing loaded" wait_progs "$progs0"

# --- --json stays one JSON document whatever CMD prints ----------------------
$V trace --stages net --json -- sh -c 'echo "not json {"; echo more' >$tmp/cmd.json 2>$tmp/cmd.err; rc=$?
check "trace --json -- CMD that prints: stdout parses (python3 -m json.tool), exit 0" \
	bash -c "[ $rc -eq 0 ] && python3 -m json.tool $tmp/cmd.json >/dev/null"
check "trace --json: CMD's output went to stderr" grep -q "not json {" $tmp/cmd.err

# --- interrupted runs say so ---------------------------------------------------
$V trace --stages net --duration 20 --json >$tmp/int.json 2>/dev/null &
pid=$!
for _ in $(seq 50); do [ "$(trace_progs)" -gt "$progs0" ] && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
check "trace interrupted before its --duration: exit 1, \"interrupted\": true" \
	bash -c "[ $rc -eq 1 ] && python3 -c \"import json; d=json.load(open('$tmp/int.json')); assert d['interrupted'] is True and d['end'] == 'interrupted', d\""
$V trace --stages net >$tmp/int.txt 2>/dev/null &
pid=$!
for _ in $(seq 50); do [ "$(trace_progs)" -gt "$progs0" ] && break; sleep 0.1; done
kill -INT $pid; wait $pid; rc=$?
check "trace without an end condition: Ctrl-C ends it, exit 0, text says interrupted" \
	bash -c "[ $rc -eq 0 ] && grep -q '^ended: interrupted' $tmp/int.txt"

# --- --netns: --dev and CMD in the namespace ------------------------------------
out=$($V trace --netns $NS --dev vkveth0 --stages net --json -- ip -o link show 2>$tmp/nsout); rc=$?
check "trace --netns NS --dev IF: finds IF in NS; CMD runs in NS" \
	bash -c "[ $rc -eq 0 ] && grep -q vkveth0 $tmp/nsout && ! grep -q ' lo:.*vkveth0@' /dev/null"
expect_fail 1 "--netns: no network namespace 'vknone$$'" "trace --netns of a missing namespace" \
	$V trace --netns vknone$$ --duration 1
out=$(setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all $V trace --list 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"missing CAP_PERFMON, CAP_BPF"* ]] && [[ "$out" != *kernel* ]]; then
	ok "trace --list as root without capabilities: names them, does not blame the kernel"
else
	fail "trace --list without capabilities (exit $rc: $out)"
fi
exit 0
