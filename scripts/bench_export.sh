#!/usr/bin/env bash
# vnetkit export overhead, as ratios against a baseline measured in the same
# run, rounds interleaved (off, on, on + BPF statistics, off, ...):
#  1. TAP write path with vnetkit's XDP drop program (vnetkit gen, 64-byte
#     frames): pps and the writer's CPU ns per frame with no exporter, with
#     `vnetkit export` running and scraped 10 times a second (ten times
#     Prometheus' usual rate: every source it has on this kernel), and with
#     --enable-bpf-stats as well (every BPF program pays a clock read pair).
#     Target: under 2% pps loss with the exporter on. The writer runs on
#     CPU 0, the exporter and its scraper on CPU 1 (as a unit would keep it
#     off the vhost / vCPU cores), so the ratio is the data path's, not the
#     share of one CPU two processes get; the exporter's CPU is part 2.
#  2. Cost per scrape: the exporter's CPU time (/proc/PID/stat, HTTP and
#     rendering included) and its own collect-CPU counter, per scrape.
set -uo pipefail
cd "$(dirname "$0")/.."
V=${VNETKIT:-$PWD/build/vnetkit}
ROUNDS=${ROUNDS:-7}
N=${N:-300000}
ns=vkbexp$$
GEN_CPU=0
EXP_CPU=$(($(nproc) > 1 ? 1 : 0))
in_ns() { ip netns exec $ns "$@"; }
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

exp_pid= scr_pid=
stop_exporter() {
	[ -n "$scr_pid" ] && kill "$scr_pid" 2>/dev/null && wait "$scr_pid" 2>/dev/null
	[ -n "$exp_pid" ] && kill "$exp_pid" 2>/dev/null && wait "$exp_pid" 2>/dev/null
	exp_pid= scr_pid=
}
cleanup() {
	stop_exporter
	$V testbed down --name $ns >/dev/null 2>&1
}
trap cleanup EXIT
$V testbed up --name $ns >/dev/null || exit 1
in_ns $V xdp attach --dev vktap0 --action drop >/dev/null || exit 1
EP=$(port)

# start_exporter [options]: the exporter, serving.
start_exporter() {
	# Subshells inherit the EXIT trap: exec, so a kill never runs cleanup there.
	(trap - EXIT; exec taskset -c $EXP_CPU $V export --listen 127.0.0.1:$EP "$@" 2>>"${EXPORT_LOG:-/dev/null}") &
	exp_pid=$!
	for _ in $(seq 100); do curl -sf -o /dev/null http://127.0.0.1:$EP/metrics && break; sleep 0.1; done
}
# start_scraper: one process scraping at 10 Hz, no fork per scrape: what is
# measured is the exporter.
start_scraper() {
	(trap - EXIT; exec taskset -c $EXP_CPU python3 -c '
import sys, time, urllib.request
while True:
    urllib.request.urlopen(sys.argv[1]).read()
    time.sleep(0.1)' http://127.0.0.1:$EP/metrics) &
	scr_pid=$!
}
gen() {
	in_ns taskset -c $GEN_CPU $V gen --tap vktap0 --count "$N" --json |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["pps"], d["cpu_ns_per_frame"])'
}
declare -A PPS NS
for ((r = 0; r < ROUNDS; r++)); do
	read -r p c < <(gen); PPS[off]+="$p "; NS[off]+="$c "
	start_exporter; start_scraper
	read -r p c < <(gen); PPS[on]+="$p "; NS[on]+="$c "
	stop_exporter
	start_exporter --enable-bpf-stats; start_scraper
	read -r p c < <(gen); PPS[stats]+="$p "; NS[stats]+="$c "
	stop_exporter
done
echo "-- TAP write path, XDP drop, $N frames x $ROUNDS rounds (median; ratio to off)"
python3 - "${PPS[off]}" "${NS[off]}" "${PPS[on]}" "${NS[on]}" "${PPS[stats]}" "${NS[stats]}" <<'EOF'
import sys, statistics as st
a = [list(map(float, x.split())) for x in sys.argv[1:]]
names = ["exporter off", "exporter on, 10 Hz scrapes", "on + --enable-bpf-stats"]
p0, n0 = st.median(a[0]), st.median(a[1])
# spread: (max - min) / median of the rounds, the noise floor of the ratios
print("%-28s %10s %7s %7s %12s %7s %7s" % ("", "pps", "ratio", "spread",
      "cpu ns/frame", "ratio", "spread"))
sp = lambda v: (max(v) - min(v)) / st.median(v)
for i, name in enumerate(names):
    p, n = st.median(a[2 * i]), st.median(a[2 * i + 1])
    print("%-28s %10.0f %7.3f %6.0f%% %12.1f %7.3f %6.0f%%" % (name, p, p / p0,
          100 * sp(a[2 * i]), n, n / n0, 100 * sp(a[2 * i + 1])))
loss = 1 - st.median(a[2]) / p0
print("pps loss with the exporter on: %.1f%% (target < 2%%)" % (100 * loss))
EOF

echo
echo "-- cost per scrape (testbed namespace and the host's own devices)"
start_exporter
S=200
t0=$(awk '{print $14 + $15}' /proc/$exp_pid/stat)
for ((i = 0; i < S; i++)); do curl -s -o /dev/null http://127.0.0.1:$EP/metrics; done
t1=$(awk '{print $14 + $15}' /proc/$exp_pid/stat)
body=$(mktemp)
curl -s http://127.0.0.1:$EP/metrics >"$body"
hz=$(getconf CLK_TCK)
python3 - "$t0" "$t1" "$hz" "$S" "$body" <<'EOF'
import sys
t0, t1, hz, s = map(float, sys.argv[1:5])
body = open(sys.argv[5]).read()
col = cnt = 0
for l in body.splitlines():
    if l.startswith("vnetkit_exporter_collect_cpu_seconds_total "): col = float(l.split()[1])
    if l.startswith("vnetkit_exporter_scrapes_total "): cnt = float(l.split()[1])
series = sum(1 for l in body.splitlines() if l and not l.startswith("#"))
print("scrapes: %d, series per scrape: %d, exposition: %d bytes" % (s, series, len(body)))
print("process CPU per scrape (HTTP + collect + render): %.2f ms" % ((t1 - t0) / hz / s * 1000))
print("collect CPU per scrape (exporter's own counter):  %.2f ms" % (col / cnt * 1000))
EOF
rm -f "$body"
stop_exporter

