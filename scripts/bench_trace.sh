#!/usr/bin/env bash
# Overhead of vnetkit trace on the TAP path: pps of `vnetkit gen` writing
# 64-byte frames into a testbed TAP with XDP_DROP attached, without tracing
# and with `vnetkit trace` attached (every stage this kernel can trace; with
# and without software counters), in the same run. Rounds alternate the
# order; min and median per mode; overhead = ratio of medians and the
# per-packet ns it adds (1e9/pps_traced - 1e9/pps_base). "no tun_get_user"
# leaves out the one stage that needs the syscall tracepoints on kernels
# without fentry/kprobes, to show what that hook costs by itself.
# Environment: ROUNDS (default 5), FRAMES (default 300000).
set -u
cd "$(dirname "$0")/.."
V=${VNETKIT:-$PWD/build/vnetkit}
ROUNDS=${ROUNDS:-5}
FRAMES=${FRAMES:-300000}
NS=vkbtr$$
tmp=$(mktemp -d)
cleanup() { $V testbed down --name $NS >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

$V testbed up --name $NS >/dev/null || { echo "vnetkit: bench_trace: testbed up failed" >&2; exit 1; }
inns() { ip netns exec $NS "$@"; }
inns $V xdp attach --dev vktap0 --action drop >/dev/null || exit 1

gen="$V gen --tap vktap0 --count $FRAMES --json"
pps_of() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pps'])" "$1"; }

run_mode() {	# mode round -> appends pps to $tmp/<mode>
	local out=$tmp/$1.$2.json
	case $1 in
	base)	inns $gen >$out ;;
	trace)	inns $V trace --dev vktap0 --counters none --json -- \
			sh -c "$gen >$out" >$tmp/report.json ;;
	trace_sw) inns $V trace --dev vktap0 --counters sw --json -- \
			sh -c "$gen >$out" >$tmp/report_sw.json ;;
	trace_tp) inns $V trace --dev vktap0 --counters none --json \
			--stages tun_net_xmit,veth,virtio_net,xdp,net -- \
			sh -c "$gen >$out" >/dev/null ;;
	esac || { echo "vnetkit: bench_trace: $1 round $2 failed" >&2; exit 1; }
	pps_of $out >>$tmp/$1
}

modes="base trace trace_sw trace_tp"
for r in $(seq "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then order=$modes; else order=$(echo $modes | tr ' ' '\n' | tac); fi
	for m in $order; do run_mode $m $r; done
done

# Time inside our BPF programs, from the kernel's own accounting: switch
# kernel.bpf_stats_enabled on for one traced run (said, and restored).
old_stats=$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo)
if [ -n "$old_stats" ]; then
	echo "bench_trace: setting kernel.bpf_stats_enabled=1 for one run (was $old_stats)"
	sysctl -q kernel.bpf_stats_enabled=1
	inns $V trace --dev vktap0 --counters none --json -- \
		sh -c "$gen >$tmp/stats_gen.json; bpftool prog show --json >$tmp/progs.json" \
		>/dev/null
	sysctl -q kernel.bpf_stats_enabled="$old_stats"
fi

stages=$(python3 -c "
import json
d = json.load(open('$tmp/report.json'))
print(','.join(s['name'] for s in d['stages'] if s['status'] == 'ok'))")

python3 - "$tmp" "$ROUNDS" "$FRAMES" "$stages" <<'EOF'
import json, statistics, sys
tmp, rounds, frames, stages = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def load(m):
    return [float(x) for x in open(f"{tmp}/{m}").read().split()]
base = load("base")
print(f"TAP write path, 64 B frames, XDP_DROP, {frames} frames x {rounds} rounds")
print(f"traced stages: {stages}")
print(f"{'mode':<26} {'min pps':>12} {'median pps':>12} {'ratio':>7} {'ns/pkt added':>13}")
bmed = statistics.median(base)
for m, label in (("base", "no trace"), ("trace", "trace, counters none"),
                 ("trace_sw", "trace, counters sw"),
                 ("trace_tp", "trace, no tun_get_user")):
    v = load(m)
    med = statistics.median(v)
    added = 1e9 / med - 1e9 / bmed
    print(f"{label:<26} {min(v):>12.0f} {med:>12.0f} {med / bmed:>7.3f} "
          f"{'-' if m == 'base' else f'{added:.0f}':>13}")
try:
    progs = json.load(open(f"{tmp}/progs.json"))
    ours = [p for p in progs if p.get("name", "").startswith(("tp_", "fentry_", "fexit_", "kprobe_", "kretprobe_", "xdp_prog_"))]
    total = sum(p.get("run_time_ns", 0) for p in ours)
    print(f"time in vnetkit trace BPF programs (bpf_stats, one run): "
          f"{total / frames:.0f} ns/packet over {len(ours)} programs")
    for p in sorted(ours, key=lambda p: -p.get("run_time_ns", 0))[:4]:
        if p.get("run_cnt"):
            print(f"  {p['name']:<24} {p['run_cnt']:>9} runs {p['run_time_ns'] / p['run_cnt']:>7.0f} ns/run")
except (OSError, ValueError):
    print("time in BPF programs: unavailable (no bpf_stats run)")
loss = 1 - statistics.median(load("trace")) / bmed
print(f"throughput loss with trace attached: {loss * 100:.1f}% "
      f"(target <= 15%: {'met' if loss <= 0.15 else 'NOT met'})")
EOF
