#!/usr/bin/env bash
# vnetkit export against the real thing: Debian's prometheus (loopback, its own
# data directory, 1 s scrapes) scrapes the exporter while vnetkit gen drives a
# known number of frames into a TAP whose vnetkit XDP drop program the
# exporter reads; counters must match exactly through Prometheus' query API.
# Also: promtool check metrics, OpenMetrics negotiation, textfile atomicity,
# devices and namespaces vanishing mid-run, restart without double counting,
# SIGTERM releasing only what export attached, and bad input.
source "$(dirname "$0")/lib.sh"

V=$VNETKIT
NS=vkexp$$
NS2=vkexq$$
N=20000
TMP=$(mktemp -d)
at_exit "rm -rf $TMP"

for t in prometheus promtool curl python3; do
	command -v $t >/dev/null || { fail "export: $t missing (make setup installs it)"; exit 0; }
done
at_exit "$V testbed down --name $NS"
if ! $V testbed up --name $NS >/dev/null; then
	fail "export: testbed up failed; nothing else can run"
	exit 0
fi
vk_netns $NS2 || { fail "export: cannot create namespace $NS2"; exit 0; }
in_ns() { ip netns exec $NS "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
# q EXPR: the value of an instant query ("" when empty), through the HTTP API.
q() {
	curl -sf --get --data-urlencode "query=$1" "http://127.0.0.1:$PP/api/v1/query" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "")'
}
# wait_q EXPR WANT [TRIES]: poll until the query returns WANT; prints the last value.
wait_q() {
	local v
	for _ in $(seq "${3:-60}"); do
		v=$(q "$1")
		[ "$v" = "$2" ] && break
		sleep 0.5
	done
	echo "$v"
}

in_ns $V xdp attach --dev vktap0 --action drop >/dev/null || { fail "export: attach drop"; exit 0; }
EP=$(free_port)
NSOPTS="--netns $NS --netns $NS2"
# prog_runs ID: the kernel's BPF run count of program ID (0 until counted).
prog_runs() {
	bpftool -j prog show id "$1" | jq -r '.run_cnt // 0'
}
start_exporter() {
	$V export --listen 127.0.0.1:$EP $NSOPTS --textfile $TMP/tf "$@" \
		2>>$TMP/exporter.err &
	EXP=$!
	at_exit "kill $EXP"
	wait_http http://127.0.0.1:$EP/metrics
}
mkdir $TMP/tf
check "export: serves /metrics on 127.0.0.1:$EP" start_exporter --interval 0.2

# --- Prometheus scrapes it every second ----------------------------------------
PP=$(free_port)
XD=${VNETKIT_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}/scripts/export
cat >$TMP/prometheus.yml <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $XD/vnetkit-rules.yml
scrape_configs:
  - job_name: vnetkit
    static_configs:
      - targets: ['127.0.0.1:$EP']
EOF
prometheus --config.file=$TMP/prometheus.yml --storage.tsdb.path=$TMP/data \
	--web.listen-address=127.0.0.1:$PP >$TMP/prometheus.log 2>&1 &
PROM=$!
at_exit "kill $PROM; wait $PROM"
if ! wait_http http://127.0.0.1:$PP/-/ready; then
	fail "export: prometheus did not start ($(tail -3 $TMP/prometheus.log))"
	exit 0
fi
drop="vnetkit_xdp_packets_total{netns=\"$NS\",device=\"vktap0\",queue=\"0\",verdict=\"drop\"}"
v=$(wait_q "$drop" 0)
check "export: prometheus scraped the drop counter of the idle TAP queue: 0 (got '$v')" test "$v" = 0
check "export: prometheus negotiated OpenMetrics and the scrape is up" \
	test "$(q "up{job=\"vnetkit\"}")" = 1

g=$(in_ns $V gen --tap vktap0 --count $N --json)
sent=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["frames"])' <<<"$g")
check "export: gen wrote $N frames" test "$sent" = $N
v=$(wait_q "$drop" $N)
check "export: Prometheus shows drop packets == $N frames sent (got $v)" test "$v" = $N
v=$(q "vnetkit_xdp_bytes_total{netns=\"$NS\",device=\"vktap0\",queue=\"0\",verdict=\"drop\"}")
check "export: drop bytes == $N * 64 (got $v)" test "$v" = $((N * 64))
v=$(q "sum(vnetkit_xdp_packets_total{netns=\"$NS\",device=\"vktap0\",verdict!=\"drop\"})")
check "export: no other verdict counted (got $v)" test "$v" = 0
sleep 2
inc=$(q "sum(increase($drop[1m]))")
check "export: increase over 1m is plausible: $N <= $inc <= 2*$N (extrapolated)" \
	python3 -c "import sys; sys.exit(not ($N <= float('$inc') <= 2 * $N))"
# Federation as scripts/export/prometheus-federate.yml sets it up: a central
# Prometheus pulls the recording rules and identities from this one, not
# the raw counters.
CP=$(free_port)
sed -e "s|scrape_interval: 1m|scrape_interval: 1s|" -e "/- prometheus\.site-b/d" \
	-e "s|prometheus\.site-a\.example\.invalid:9090|127.0.0.1:$PP|" \
	$XD/prometheus-federate.yml >$TMP/central.yml
prometheus --config.file=$TMP/central.yml --storage.tsdb.path=$TMP/cdata \
	--web.listen-address=127.0.0.1:$CP >$TMP/central.log 2>&1 &
CPROM=$!
at_exit "kill $CPROM; wait $CPROM"
cq() { PP=$CP q "$@"; }
v=""
if wait_http http://127.0.0.1:$CP/-/ready; then
	for _ in $(seq 60); do
		v=$(cq "vnetkit:xdp_drops:rate1m{netns=\"$NS\",device=\"vktap0\",queue=\"0\",instance=\"127.0.0.1:$EP\"}")
		[ -n "$v" ] && break
		sleep 0.5
	done
fi
check "export: a central Prometheus federating per prometheus-federate.yml has the drop rate of vktap0 queue 0 from instance 127.0.0.1:$EP ($v/s)" \
	python3 -c "import sys; sys.exit(not float('$v' or 0) > 0)"
check "export: ... and the sources' availability, but not the raw per-queue counters" \
	eval '[ -n "$(cq "vnetkit_source_available{source=\"xdp_stats\"}")" ] && [ -z "$(cq "$drop")" ]'
kill $CPROM; wait $CPROM 2>/dev/null
for s in rx_packets rx_dropped; do
	d=${s#rx_}
	want=$(in_ns cat /sys/class/net/vktap0/statistics/$s)
	v=$(q "vnetkit_link_${d}_total{netns=\"$NS\",device=\"vktap0\",direction=\"rx\"}")
	check "export: link $s of vktap0 in $NS matches the kernel's ($want, got $v)" test "$v" = "$want"
done
check "export: the TAP is labelled kind=tun, mode=tap" \
	test "$(q "vnetkit_tun_info{netns=\"$NS\",device=\"vktap0\",mode=\"tap\"} * on(netns,device) vnetkit_link_info{kind=\"tun\"}")" = 1
check "export: the drop program is named in vnetkit_xdp_program_info" \
	test "$(q "vnetkit_xdp_program_info{netns=\"$NS\",device=\"vktap0\",name=\"vk_xdp_drop\"}")" = 1
v=$(q "rate(vnetkit_exporter_collect_cpu_seconds_total[30s]) / rate(vnetkit_exporter_scrapes_total[30s])")
check "export: per-scrape CPU cost is measured and positive ($v s)" \
	python3 -c "import sys; sys.exit(not (0 < float('$v' or 0) < 1))"
if bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -q "btf_trace_vhost_signal'"; then
	want=1
else
	want=0
fi
check "export: vhost_tracepoints availability is $want on this kernel, with its reason" \
	test "$(q "vnetkit_source_available{source=\"vhost_tracepoints\"}")" = $want

# --- the exposition itself -------------------------------------------------------
curl -s http://127.0.0.1:$EP/metrics >$TMP/text.prom
out=$(promtool check metrics <$TMP/text.prom 2>&1)
check "export: promtool check metrics accepts the text exposition ($out)" test -z "$out"
check "export: every family has # HELP and # TYPE" python3 - $TMP/text.prom <<'EOF'
import sys
helps, types, samples = set(), set(), set()
for l in open(sys.argv[1]):
    p = l.split()
    if l.startswith("# HELP"): helps.add(p[2])
    elif l.startswith("# TYPE"): types.add(p[2])
    elif p: samples.add(l.split("{")[0].split()[0])
fam = lambda s: next((f for f in types if s == f or s.startswith(f + "_")), None)
sys.exit(not (helps == types and all(fam(s) for s in samples)))
EOF
hdr=$(curl -s -D - -o $TMP/om.txt -H 'Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' \
	http://127.0.0.1:$EP/metrics)
check "export: Accept: application/openmetrics-text gets OpenMetrics 1.0.0" \
	grep -qi "^Content-Type: application/openmetrics-text; version=1.0.0" <<<"$hdr"
check "export: the OpenMetrics body ends with # EOF and names counters without _total" \
	bash -c "tail -1 $TMP/om.txt | grep -qx '# EOF' && grep -qx '# TYPE vnetkit_xdp_packets counter' $TMP/om.txt"
hdr=$(curl -s -D - -o $TMP/plain.txt http://127.0.0.1:$EP/metrics)
check "export: no Accept gets text 0.0.4 without # EOF" \
	bash -c "grep -qi '^Content-Type: text/plain; version=0.0.4' <<<'$hdr' && ! grep -q '^# EOF' $TMP/plain.txt"
check "export: other paths are 404" \
	test "$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$EP/nope)" = 404

# --- textfile: replaced by rename, never seen half-written -----------------------
check "export: textfile atomic: 300 reads during 0.2 s rewrites, all complete, inode changes" \
	python3 - $TMP/tf/vnetkit.prom <<'EOF'
import os, sys, time
path, inodes, ref = sys.argv[1], set(), None
for _ in range(300):
    with open(path) as f:
        inodes.add(os.fstat(f.fileno()).st_ino)
        t = f.read()
    n = t.count("# TYPE")
    if not t.endswith("\n") or "vnetkit_netns_up" not in t or (ref and n != ref):
        sys.exit(1)
    ref = n
    time.sleep(0.005)
sys.exit(len(inodes) < 2)
EOF

# --- devices and namespaces vanish mid-run -------------------------------------------
in_ns ip link add vkgone0 type veth peer name vkgone1
in_ns ip link set vkgone0 up; in_ns ip link set vkgone1 up
in_ns $V xdp attach --dev vkgone1 --action pass --mode generic >/dev/null
ip -n $NS2 link add vkns2a type veth peer name vkns2b
v=$(wait_q "count(vnetkit_xdp_program_info{netns=\"$NS\",device=\"vkgone1\"}) + count(vnetkit_link_info{netns=\"$NS2\",device=\"vkns2a\"})" 2)
check "export: a new device with an XDP program and a device in a second namespace appear ($v)" test "$v" = 2
in_ns ip link del vkgone0
ip netns del $NS2
v=$(wait_q "vnetkit_netns_up{netns=\"$NS2\"}" 0)
check "export: the deleted namespace reports netns_up 0 (got $v)" test "$v" = 0
v=$(wait_q "count(vnetkit_link_info{netns=\"$NS\",device=~\"vkgone.\"}) or vector(0)" 0)
check "export: the deleted veth pair's series are gone (got $v)" test "$v" = 0
check "export: still serving after devices and a namespace vanished" kill -0 $EXP

# --- restart: counters come from the kernel, not from the exporter -------------------
kill $EXP; wait $EXP 2>/dev/null
check "export: SIGTERM removes the textfile (it would go stale) and leaves no temporary file" \
	test -z "$(ls -A $TMP/tf)"
NSOPTS="--netns $NS"
check "export: restarts on the same port" start_exporter
sleep 2.5
v=$(q "$drop")
r=$(q "resets(${drop}[1m])")
check "export: after a restart the counter is still $N, no reset seen (got $v, resets $r)" \
	test "$v $r" = "$N 0"

# --- SIGHUP re-detects the sources, keeps serving and counting ----------------------
s0=$(curl -s http://127.0.0.1:$EP/metrics | awk '/^vnetkit_exporter_scrapes_total/ { print $2 }')
kill -HUP $EXP
for _ in $(seq 50); do grep -q 're-detected (SIGHUP)' $TMP/exporter.err && break; sleep 0.1; done
check "export: SIGHUP re-detects the sources (says so) and the process stays" \
	eval 'grep -q "sources re-detected (SIGHUP)" $TMP/exporter.err && kill -0 $EXP'
s1=$(curl -s http://127.0.0.1:$EP/metrics | awk '/^vnetkit_exporter_scrapes_total/ { print $2 }')
check "export: after SIGHUP it serves, its own scrape count goes on ($s0 -> $s1)" \
	eval '[ -n "$s1" ] && [ "$s1" -gt "$s0" ]'
sleep 1.5
v=$(q "$drop")
r=$(q "resets(${drop}[1m])")
check "export: after SIGHUP the counter is still $N, no reset (got $v, resets $r)" test "$v $r" = "$N 0"

# --- SIGTERM releases what export attached, nothing else --------------------------------
bs0=$(sysctl -n kernel.bpf_stats_enabled)
if [ "$bs0" = 0 ]; then
	kill $EXP; wait $EXP 2>/dev/null
	start_exporter --enable-bpf-stats --bpf-stats-duty 100
	check "export: --enable-bpf-stats says what it changed" \
		grep -q "enabled BPF run-time statistics (BPF_ENABLE_STATS" $TMP/exporter.err
	check "export: --enable-bpf-stats leaves the sysctl itself alone" \
		test "$(sysctl -n kernel.bpf_stats_enabled)" = 0
	in_ns $V gen --tap vktap0 --count 1000 >/dev/null
	curl -s http://127.0.0.1:$EP/metrics >$TMP/bs.prom
	check "export: bpf_stats source available while export holds them" \
		grep -q '^vnetkit_source_available{source="bpf_stats",reason=""} 1' $TMP/bs.prom
	v=$(awk '/^vnetkit_bpf_run_total\{.*name="vk_xdp_drop"/ {print $2}' $TMP/bs.prom)
	check "export: BPF run count of the drop program == 1000 frames sent while enabled (got $v)" \
		test "$v" = 1000
	kill $EXP; wait $EXP; rc=$?
	check "export: SIGTERM exits 0" test $rc = 0
	in_ns $V gen --tap vktap0 --count 500 >/dev/null
	pid=$(in_ns $V xdp status --dev vktap0 --json | jq -r '.interfaces[0].prog_id')
	v=$(prog_runs $pid)
	check "export: statistics off again after exit: run count stays 1000 after 500 more frames (got $v)" \
		test "$v" = 1000

	# Sampled (the default duty is 2 %): held on half of each 1 s period.
	# Probe 20 frames at a time: the run count must grow in some probes and
	# stand still in others, and the held time must be a share of the run.
	start_exporter --enable-bpf-stats --bpf-stats-duty 50 --bpf-stats-period 1
	check "export: --bpf-stats-duty says how it samples" \
		grep -q "for 0.5 s of every 1 s (--bpf-stats-duty 50)" $TMP/exporter.err
	t0=$(date +%s.%N) grew=0 still=0 last=$(prog_runs $pid)
	for i in $(seq 40); do
		in_ns $V gen --tap vktap0 --count 20 >/dev/null
		n=$(prog_runs $pid)
		if [ "$n" -gt "$last" ]; then grew=$((grew + 1)); else still=$((still + 1)); fi
		last=$n
		sleep 0.1
	done
	curl -s http://127.0.0.1:$EP/metrics >$TMP/duty.prom
	el=$(echo "$(date +%s.%N) - $t0" | bc)
	held=$(awk '/^vnetkit_bpf_stats_held_seconds_total / { print $2 }' $TMP/duty.prom)
	check "export: sampled statistics: the run count grew in $grew probes and stood still in $still of 40" \
		test $grew -gt 0 -a $still -gt 0
	check "export: held $held s of the last $el s, about half (a share between 0.2 and 0.8)" \
		python3 -c "import sys; h, e = float('${held:-0}'), float('$el'); sys.exit(not 0.2 * e < h < 0.8 * e + 0.5)"
	check "export: vnetkit_bpf_stats_duty_ratio 0.5" grep -qx "vnetkit_bpf_stats_duty_ratio 0.5" $TMP/duty.prom
	check "export: the BPF statistics source stays available between samples" \
		grep -q '^vnetkit_source_available{source="bpf_stats",reason=""} 1' $TMP/duty.prom
	kill $EXP; wait $EXP
	last=$(prog_runs $pid)
	in_ns $V gen --tap vktap0 --count 100 >/dev/null
	check "export: statistics off after a sampling exporter exits (run count stays $last)" \
		test "$(prog_runs $pid)" = "$last"
else
	skip "export: --enable-bpf-stats restore" "kernel.bpf_stats_enabled already 1 on this machine"
	kill $EXP; wait $EXP
fi
check "export: the XDP program export only read is still attached" \
	bash -c "ip -n $NS link show dev vktap0 | grep -q ' xdp'"
check "export: no vnetkit export process left" bash -c "! kill -0 $EXP 2>/dev/null"

# --- deployment files: rules, scrape config, the unit and its capabilities ---------
D=$XD
out=$(promtool check rules $D/vnetkit-rules.yml 2>&1)
check "export: promtool check rules accepts scripts/export/vnetkit-rules.yml" grep -q SUCCESS <<<"$out"
out=$(cd $D && promtool test rules vnetkit-rules.test.yml 2>&1)
check "export: promtool test rules: each alert fires on its case and not its neighbour" grep -q SUCCESS <<<"$out"
sed "s|/etc/prometheus/vnetkit-rules.yml|$D/vnetkit-rules.yml|" $D/prometheus.yml >$TMP/p.yml
out=$(promtool check config $TMP/p.yml 2>&1)
check "export: promtool check config accepts the example scrape config" grep -q SUCCESS <<<"$out"
out=$(promtool check config $D/prometheus-federate.yml 2>&1)
check "export: promtool check config accepts the example federation config" grep -q SUCCESS <<<"$out"
sed "s|/usr/local/sbin/vnetkit|$V|" $D/vnetkit-export.service >$TMP/vnetkit-export.service
out=$(systemd-analyze verify $TMP/vnetkit-export.service 2>&1)
check "export: systemd-analyze verify accepts the unit ($out)" test -z "$out"
caps=$(sed -n 's/^AmbientCapabilities=//p' $D/vnetkit-export.service | tr 'A-Z ' 'a-z,')
asuser() { capsh --caps="$1+eip cap_setpcap,cap_setuid,cap_setgid+ep" --keep=1 --user=nobody --addamb="$1" -- -c "$2"; }
dropped() { awk '/^vnetkit_xdp_packets_total\{.*device="vktap0",queue="0",verdict="drop"/ {print $2}'; }
want=$($V export --once --netns $NS 2>/dev/null | dropped)
v=$(asuser "$caps" "$V export --once --netns $NS" 2>/dev/null | dropped)
check "export: as nobody with only the unit's capabilities ($caps) it reads the drop counter ($v, root: $want)" \
	test -n "$v" -a "$v" = "$want" -a "$want" -ge $N
v=$(asuser "${caps/cap_sys_admin,/}" "$V export --once --netns $NS" 2>/dev/null | awk '/^vnetkit_netns_up/ {print $2}')
check "export: without CAP_SYS_ADMIN it reports the namespace unreadable (netns_up $v)" test "$v" = 0

# --- qstats where the kernel provides them (read only) ---------------------------------
qdev=$(for d in /sys/class/net/*; do
	[ "$(basename "$(readlink -f $d/device/driver 2>/dev/null)")" = virtio_net ] && basename $d && break
done)
if [ -n "$qdev" ]; then
	before=$(cat /sys/class/net/$qdev/statistics/rx_packets)
	v=$($V export --once --dev $qdev 2>/dev/null |
		awk -v d=$qdev '$1 ~ "^vnetkit_queue_packets_total\\{netns=\"\",device=\""d"\".*direction=\"rx\"" {s += $2} END {print s+0}')
	after=$(cat /sys/class/net/$qdev/statistics/rx_packets)
	check "export: qstats rx packets of $qdev (virtio_net) between the kernel's before/after ($before <= $v <= $after)" \
		test "$before" -le "$v" -a "$v" -le "$after"
else
	skip "export: netdev qstats values" "no virtio_net device on this machine (qstats reported by its driver)"
fi

# --- bad input: clear errors, exit 1/2, nothing left behind -----------------------------
expect_fail 1 "--dev nosuch$$: no such device" "export: unknown device -> exit 1" \
	$V export --once --dev nosuch$$
expect_fail 1 "--netns nosuch$$: no such network namespace" "export: unknown namespace -> exit 1" \
	$V export --once --netns nosuch$$
BP=$(free_port)
python3 -c 'import socket,sys,time; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(); time.sleep(30)' $BP &
busy=$!
at_exit "kill $busy"
for _ in $(seq 50); do ss -ltn | grep -q "127.0.0.1:$BP " && break; sleep 0.1; done
expect_fail 1 "Address already in use" "export: port in use -> exit 1" \
	timeout 10 $V export --listen 127.0.0.1:$BP
kill $busy
for a in 127.0.0.1 127.0.0.1:0 127.0.0.1:99999 localhost:9578 ::1:9578 "[::1]" 300.1.1.1:9578; do
	expect_fail 2 "--listen '$a': not ADDR:PORT" "export: bad listen address '$a' -> exit 2" \
		$V export --listen "$a"
done
expect_fail 1 "not an address of this host" "export: an address not on this host -> exit 1" \
	$V export --listen 192.0.2.1:9578
expect_fail 1 "No such file or directory" "export: missing textfile dir -> exit 1" \
	$V export --no-listen --textfile $TMP/none
mkdir $TMP/ro
expect_fail 1 "Read-only file system" "export: unwritable textfile dir -> exit 1" \
	unshare -m bash -c "mount -t tmpfs -o ro none $TMP/ro && exec $V export --no-listen --textfile $TMP/ro"
expect_fail 2 "--no-listen: leaves nothing" "export: --no-listen without --textfile -> exit 2" \
	$V export --no-listen
expect_fail 2 "unknown option '--bogus'" "export: unknown option -> exit 2" \
	$V export --bogus
expect_fail 2 "--interval" "export: bad interval -> exit 2" $V export --interval 0
expect_fail 2 "--bpf-stats-duty: samples the BPF statistics, which are not enabled (add --enable-bpf-stats)" \
	"export: --bpf-stats-duty without --enable-bpf-stats -> exit 2" $V export --bpf-stats-duty 50
expect_fail 2 "--bpf-stats-period: samples the BPF statistics" \
	"export: --bpf-stats-period without --enable-bpf-stats -> exit 2" $V export --bpf-stats-period 2
expect_fail 2 "--bpf-stats-duty: 0 is out of range [1, 100]" "export: --bpf-stats-duty 0 -> exit 2" \
	$V export --enable-bpf-stats --bpf-stats-duty 0
check "export: failed starts left no textfile behind" test -z "$(ls -A $TMP/ro)"
exit 0
