#!/usr/bin/env bash
# vhost tracepoints (patches/0004-vhost-add-tracepoints.patch) in the QEMU guest
# (make kernel-check). vnetkit vhost drives /dev/vhost-net and counts what it
# sees on its rings; the events the kernel records must match those counts
# exactly: used-ring batches sum to the frames (copy and zerocopy TX), one
# vhost_signal decision per batch, every queued work item is queued before
# it runs, busy polls end with a reason, a malformed chain is reported by
# vhost_vq_err. Every event names its device: the id vhost gave it, the
# owner's tgid (vnetkit's pid here) and, for events of every vhost device,
# its type. On a kernel without the patch every check is skipped as
# unavailable.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
T=/sys/kernel/tracing
N=${VHOST_TRACE_FRAMES:-5000}

if [ ! -e /dev/vhost-net ]; then
	skip "vhost tracepoints" "unavailable (no /dev/vhost-net in this kernel)"
	exit 0
fi
if [ ! -d $T/events/vhost ]; then
	skip "vhost tracepoints" "unavailable (no vhost tracepoints in this kernel)"
	exit 0
fi


tracing_off() {
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	echo local >$T/trace_clock
}
at_exit tracing_off

# traced ARGS...: run vnetkit vhost ARGS --json with every vhost event on
# (one clock for all CPUs, so events of different CPUs are in order);
# OUT is its report, PID its process id, EV the recorded events (one per
# line), OVR the number of events the ring buffer lost.
traced() {
	echo 0 >$T/tracing_on
	echo global >$T/trace_clock
	echo 8192 >$T/buffer_size_kb
	echo >$T/trace
	echo 1 >$T/events/vhost/enable
	echo 1 >$T/tracing_on
	$V vhost "$@" --json >/tmp/vhost_trace.out 2>/tmp/vhost_trace.err &
	PID=$!
	wait $PID
	RC=$?
	OUT=$(cat /tmp/vhost_trace.out)
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	EV=$(grep -v '^#' $T/trace)
	OVR=$(cat $T/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
}

# evsum EVENT VQ FIELD: the sum of FIELD over EVENT records of queue VQ.
evsum() {
	echo "$EV" | awk -v e="$1:" -v q="vq=$2" -v f="$3=" '
		{ hit = 0; v = 0
		  for (i = 1; i <= NF; i++) {
			if ($i == e) hit = 1
			if ($i == q) hit = hit ? 2 : 0
			if (index($i, f) == 1) v = substr($i, length(f) + 1)
		  }
		  if (hit == 2) s += v }
		END { print s + 0 }'
}
# evcount EVENT [WORD]: records of EVENT (containing WORD, e.g. vq=1).
evcount() {
	echo "$EV" | awk -v e="$1:" -v w="${2:-}" '
		{ hit = 0; has = (w == "")
		  for (i = 1; i <= NF; i++) { if ($i == e) hit = 1; if ($i == w) has = 1 }
		  if (hit && has) n++ }
		END { print n + 0 }'
}

run_traced() {	# run_traced DESC ARGS...: the run itself must succeed
	local d=$1
	shift
	traced "$@"
	if [ $RC -ne 0 ] || [ "$(jv .result "$OUT")" != ok ]; then
		fail "$d: vnetkit vhost $* failed (exit $RC: $(head -c 300 /tmp/vhost_trace.err))"
		return 1
	fi
	if [ "$OVR" != 0 ]; then
		fail "$d: the trace buffer overran ($OVR events lost); counts cannot be exact"
		return 1
	fi
	return 0
}

# evfield FIELD: the distinct values of FIELD over all events, one line.
evfield() {
	echo "$EV" | grep -o " $1=[^ ]*" | sort -u | sed "s/ $1=//" | tr '\n' ' ' | sed 's/ $//'
}

# 1. TX: the used-ring batches of vq 1 sum to the frames sent and to what
#    vnetkit reaped; each batch is followed by exactly one signal decision.
if run_traced "tx" tx --frames "$N" --batch 32; then
	sum=$(evsum vhost_net_used_batch 1 count)
	nb=$(evcount vhost_net_used_batch vq=1)
	used=$(jv .tx.used "$OUT")
	check "tx: vhost_net_used_batch counts on vq 1 sum to the $N frames ($sum in $nb batches)" \
		[ "$sum" = "$N" ]
	check "tx: batch sum equals the used entries vnetkit reaped ($used)" [ "$sum" = "$used" ]
	sig=$(evcount vhost_signal vq=1)
	sent=$(evcount vhost_signal signalled=1)
	check "tx: one vhost_signal decision per used batch ($sig for $nb)" [ "$sig" = "$nb" ]
	irq=$(jv .tx.interrupts "$OUT")
	check "tx: signals sent ($sent) cover the interrupts vnetkit took ($irq), suppressed $((sig - sent))" \
		eval '[ "$sent" -ge "$irq" ] && [ "$sent" -gt 0 ]'
	q=$(evcount vhost_work_queue) r=$(evcount vhost_work_run)
	check "tx: every queued work item ran ($q queued, $r run)" eval '[ "$q" = "$r" ] && [ "$q" -gt 0 ]'
	kicks=$(jv .tx.kicks "$OUT")
	check "tx: no vhost_vq_err on a clean run" [ "$(evcount vhost_vq_err)" = 0 ]
	diag "tx: $N frames, $nb batches (mean $((sum / (nb ? nb : 1)))), $sent of $sig signals sent, $q work items, $kicks kicks"
	# identity: one device, owned by this vnetkit process, of type net
	devs=$(evfield dev) tgids=$(evfield tgid) types=$(evfield type)
	nev=$(echo "$EV" | grep -c 'vhost_')
	nid=$(echo "$EV" | grep 'vhost_' | grep -c " dev=[0-9]* tgid=$PID ")
	check "identity: all $nev events name one device (dev=$devs) owned by vnetkit (tgid=$tgids, pid $PID)" \
		eval '[ "$nev" -gt 0 ] && [ "$nid" = "$nev" ] && [ -n "$devs" ] && [ "${devs// /}" = "$devs" ]'
	check "identity: the events of every vhost device say type=net ($types)" [ "$types" = net ]
	# queue before run: per work function, queue and run alternate in time
	# and start with a queue (the queue event fires before llist_add)
	order=$(echo "$EV" | awk '/vhost_work_(queue|run):/ {
			for (i = 1; i <= NF; i++) if (index($i, "fn=") == 1) fn = $i
			q = /vhost_work_queue:/
			if (q == (fn in st ? st[fn] : 0)) bad++
			st[fn] = q; n++ }
		END { print n + 0, bad + 0 }')
	read -r nw wbad <<<"$order"
	check "ordering: each work item's vhost_work_queue precedes its vhost_work_run ($wbad out of order in $nw events)" \
		eval '[ "$nw" -gt 0 ] && [ "$wbad" = 0 ]'
	TX_DEV=$devs
fi

# 1b. Two devices at once: each vnetkit process sees its own device id and
#     tgid, and the per-device batch sums are each process's frames
#     (small runs: the guest gives each test script 300 s).
echo 0 >$T/tracing_on
echo >$T/trace
echo 1 >$T/events/vhost/vhost_net_used_batch/enable
echo 1 >$T/tracing_on
$V vhost tx --frames 1500 --batch 16 >/dev/null 2>&1 &
p1=$!
$V vhost tx --frames 1000 --batch 16 >/dev/null 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
echo 0 >$T/tracing_on
echo 0 >$T/events/vhost/enable
EV=$(grep -v '^#' $T/trace)
per=$(echo "$EV" | awk '/vhost_net_used_batch:/ && / vq=1 / {
		for (i = 1; i <= NF; i++) {
			if (index($i, "dev=") == 1) d = substr($i, 5)
			if (index($i, "tgid=") == 1) t = substr($i, 6)
			if (index($i, "count=") == 1) c = substr($i, 7) }
		s[d " " t] += c }
	END { for (k in s) print k, s[k] }' | sort)
s1=$(echo "$per" | awk -v p="$p1" '$2 == p { print $3 }')
s2=$(echo "$per" | awk -v p="$p2" '$2 == p { print $3 }')
nd=$(echo "$per" | awk '{ print $1 }' | sort -u | wc -l)
check "two devices: two ids, each owner's batches sum to its frames ($(echo $per | tr '\n' ';'))" \
	eval '[ "$r1" = 0 ] && [ "$r2" = 0 ] && [ "$nd" = 2 ] && [ "$s1" = 1500 ] && [ "$s2" = 1000 ]'

# 1c. Zerocopy TX (vhost_net.experimental_zcopytx=1, frames of at least 256
#     bytes): buffers sent by copy after all (vhost_add_used_and_signal(...,
#     0) in handle_tx_zerocopy) and zerocopy completions both count, so the
#     batches still sum to the frames.
ZC=/sys/module/vhost_net/parameters/experimental_zcopytx
if [ "$(cat $ZC 2>/dev/null)" != 1 ]; then
	skip "zerocopy TX batch sums" "unavailable (vhost_net.experimental_zcopytx is $(cat $ZC 2>/dev/null || echo missing): boot with vhost_net.experimental_zcopytx=1)"
elif run_traced "zerocopy tx" tx --frames 2000 --size 1000 --batch 32; then
	sum=$(evsum vhost_net_used_batch 1 count)
	nb=$(evcount vhost_net_used_batch vq=1)
	ones=$(echo "$EV" | grep 'vhost_net_used_batch:' | grep -c ' vq=1 count=1$')
	used=$(jv .tx.used "$OUT")
	check "zerocopy tx: vhost_net_used_batch counts on vq 1 sum to the 2000 frames ($sum in $nb batches, $ones of one)" \
		eval '[ "$sum" = 2000 ] && [ "$sum" = "$used" ]'
fi

# 2. RX: the same on vq 0; with event index the guest suppresses most signals.
if run_traced "rx" rx --frames "$N" --batch 32; then
	sum=$(evsum vhost_net_used_batch 0 count)
	nb=$(evcount vhost_net_used_batch vq=0)
	used=$(jv .rx.used "$OUT")
	verified=$(jv .verified "$OUT")
	check "rx: vhost_net_used_batch counts on vq 0 sum to the used entries vnetkit reaped ($sum = $used)" \
		[ "$sum" = "$used" ]
	check "rx: and cover the $verified verified frames" eval '[ "$sum" -ge "$verified" ] && [ "$verified" = "$N" ]'
	sig=$(evcount vhost_signal vq=0)
	check "rx: one vhost_signal decision per used batch ($sig for $nb)" [ "$sig" = "$nb" ]
	diag "rx: $nb batches, mean $((sum / (nb ? nb : 1))) entries"
fi

# 3. Busy polling: every start has an end with a known reason; the window
#    is what is left of the user's busyloop timeout (adaptive polling off):
#    all of it for the first poll of an idle period, less for one that
#    continues a poll other work interrupted (patches/0004a). The timeout,
#    5 ms, covers a TCG round trip (0.15 to a few ms), so polls catch the
#    reflected frames: the TX poll the reply (other_work: RX data), the RX
#    poll a frame (work_found) or the next TX descriptor (other_work).
if run_traced "busy poll" pingpong --frames 1000 --busyloop-timeout 5000; then
	st=$(evcount vhost_net_busy_poll_start) en=$(evcount vhost_net_busy_poll_end)
	check "busy poll: $st polls started, each one ended ($en)" eval '[ "$st" = "$en" ] && [ "$st" -gt 0 ]'
	bad=$(echo "$EV" | grep 'vhost_net_busy_poll_end:' |
		grep -cvE 'reason=(timeout|need_resched|signal_pending|other_work|work_found)$')
	check "busy poll: every exit has a reason" [ "$bad" = 0 ]
	hits=$(($(evcount vhost_net_busy_poll_end reason=work_found) + $(evcount vhost_net_busy_poll_end reason=other_work)))
	check "busy poll: polls find the reflected frames ($hits of $en ended on work)" [ "$hits" -gt 0 ]
	read -r wfull wbad <<<"$(echo "$EV" | grep 'vhost_net_busy_poll_start:' | awk '
		{ # + 0: compare as numbers (substr() gives a string, and "999" > "5000")
		  for (i = 1; i <= NF; i++) { if ($i ~ /^window=/) w = substr($i, 8) + 0
					      if ($i ~ /^timeout=/) t = substr($i, 9) + 0 }
		  if (w == 5000 && t == 5000) full++; else if (w > 5000 || t != 5000) bad++ }
		END { print full + 0, bad + 0 }')"
	check "busy poll: windows are at most the 5 ms timeout without adaptive polling ($wfull get all of it, $wbad more)" \
		eval '[ "$wfull" -gt 0 ] && [ "$wbad" = 0 ]'
	diag "busy poll reasons: $(echo "$EV" | grep -o 'reason=[a-z_]*' | sort | uniq -c | tr -s ' \n' ' ')"
	diag "busy poll mean spin: $(echo "$EV" | grep -o 'spin_ns=[0-9]*' |
		awk -F= '{ s += $2; n++ } END { printf "%.0f ns over %d polls", n ? s / n : 0, n }')"
fi
traced pingpong --frames 200
check "busy poll: no busy poll without a busyloop timeout" \
	eval '[ "$RC" = 0 ] && [ "$(evcount vhost_net_busy_poll_start)" = 0 ]'

# 4. A malformed descriptor chain stops the queue and is reported.
traced tx --frames 200 --inject bad-addr --inject-after 100
e=$(echo "$EV" | grep 'vhost_vq_err:' | head -1)
check "vq error: vhost_vq_err names the device and reports the bad descriptor on vq 1 (${e#*vhost_vq_err: })" \
	grep -qE "vhost_vq_err: dev=[0-9]+ tgid=$PID type=net vq=1 " <<<"$e"
# 5. vnetkit trace reports the same per queue (loader/trace_vhost.c).
l=$($V trace --list 2>&1 | grep -E '^events +vhost_net +raw_tp  per-device')
# Every event of 0004 and 0005's vhost_net_busy_poll_adapt (a prefix of
# the series without 0005: the other six).
want=7
has_patch 0005 || want=6
check "trace --list: the vhost per-device report is available ($l; want $want of 7)" \
	grep -q "raw_tp  per-device report ($want of 7 events)" <<<"$l"
rep=$($V trace --stages vhost_net --counters none --json -- \
	sh -c "$V vhost tx --frames $N --batch 32 >/dev/null" 2>/tmp/vhost_trace.err)
vq1=$(jq -c '[.vhost | select(.status == "ok") | .queues[] | select(.type == "net" and .vq == 1)] | last' <<<"$rep" 2>/dev/null)
ent=$(jv .entries "$vq1")
nb=$(jv .batches "$vq1")
sg=$(jv .signalled "$vq1")
su=$(jv .suppressed "$vq1")
check "trace: vq 1 used entries are the $N frames sent ($ent in $nb batches)" [ "$ent" = "$N" ]
check "trace: one signal decision per batch on vq 1 ($sg sent + $su suppressed)" \
	eval '[ -n "$sg" ] && [ $((sg + su)) = "$nb" ]'
txt=$($V trace --stages vhost_net --counters none -- \
	sh -c "$V vhost pingpong --frames 300 --busyloop-timeout 50 >/dev/null" 2>&1)
check "trace: one table per device, named by id, type and owner" \
	grep -qE '^vhost device [0-9]+ \(net, owner tgid [0-9]+\)$' <<<"$txt"
check "trace: busy-poll hit rate and spin time reported" \
	grep -qE '^[01] (rx|tx) +[0-9]+ +[0-9.]+ +[0-9.]+ us +[0-9.]+ ms +[0-9.]+ +50$' <<<"$txt"
check "trace: the vhost report fits 80 columns" \
	bash -c "! sed -n '/^vhost device/,/^used-ring/p' <<<\"\$1\" | awk 'length(\$0) > 80' | grep -q ." _ "$txt"
diag "$(echo "$txt" | awk '/^vhost device/ { on = 1 } on && /^[a-z_]+ \((fentry|kprobe|tp|raw_tp|syscall)/ { exit } on')"
# 6. vnetkit trace --events vhost_ (the tracepoints alone, no function
#    probes): two vhost devices at once, each its own table named by its
#    id, type and owner, with that device's counts only. One device sends
#    TX frames without busy polling, the other does round trips with it.
two_devices() {	# two_devices OUTFILE TRACE-ARGS...: pids in /tmp/vt_p1, /tmp/vt_p2
	local out=$1
	shift
	$V trace --events vhost_ --counters none "$@" -- sh -c "
		$V vhost tx --frames 1200 --batch 16 >/tmp/vt_o1 2>&1 & echo \$! >/tmp/vt_p1
		$V vhost pingpong --frames 300 --busyloop-timeout 50 --json >/tmp/vt_o2 2>/dev/null & echo \$! >/tmp/vt_p2
		wait" >"$out" 2>/tmp/vhost_trace.err
}
two_devices /tmp/vt_json --json
rc=$?
p1=$(cat /tmp/vt_p1 2>/dev/null) p2=$(cat /tmp/vt_p2 2>/dev/null)
rep=$(cat /tmp/vt_json)
# Per owner: "dev type vq1-entries vq0-entries polls", from the queues.
dev_of() { jq -r --argjson p "$1" '[.vhost.queues[] | select(.tgid == $p)] |
	"\(map(.dev) | unique | join(",")) \(map(.type) | unique | join(",")) \(map(select(.vq == 1) | .entries) | add // 0) \(map(select(.vq == 0) | .entries) | add // 0) \(map(.busy_poll.polls) | add // 0)"' <<<"$rep" 2>/dev/null; }
read -r d1 t1 tx1 rx1 bp1 <<<"$(dev_of "${p1:-0}")"
read -r d2 t2 tx2 rx2 bp2 <<<"$(dev_of "${p2:-0}")"
nd=$(jq '[.vhost.queues[].dev] | unique | length' <<<"$rep" 2>/dev/null)
check "trace --events vhost_ --json: two devices, each named by its own id and owner (tgid $p1: dev $d1, tgid $p2: dev $d2; $nd ids)" \
	eval '[ "$rc" = 0 ] && [ "$nd" = 2 ] && [[ "$d1" =~ ^[0-9]+$ ]] && [[ "$d2" =~ ^[0-9]+$ ]] && [ "$d1" != "$d2" ]'
check "trace --events vhost_ --json: both of type net ($t1, $t2)" eval '[ "$t1" = net ] && [ "$t2" = net ]'
check "trace --events vhost_ --json: the TX device's counts are its own (vq 1: $tx1 of 1200 entries, vq 0: $rx1, busy polls $bp1)" \
	eval '[ "$tx1" = 1200 ] && [ "$rx1" = 0 ] && [ "$bp1" = 0 ]'
# RX also takes what else reached its TAP (IPv6 neighbour discovery): the
# driver counts those it reaps as foreign, but one that lands after its last
# reap is used by vhost and never seen by the driver. So RX is 300 plus the
# foreign frames plus at most a few late ones; the TX device's 1200 frames
# leaking into this device's counts would be far more.
f2=$(jv .foreign "$(cat /tmp/vt_o2)")
own_rx() { [ "$1" -ge $((300 + ${f2:-0})) ] && [ "$1" -le $((300 + ${f2:-0} + 4)) ]; }
check "trace --events vhost_ --json: the round-trip device's counts are its own (vq 1: $tx2, vq 0: $rx2 of 300 + $f2 foreign entries + at most 4 late, busy polls $bp2)" \
	eval '[ "$tx2" = 300 ] && own_rx "$rx2" && [ "$bp2" -gt 0 ]'
two_devices /tmp/vt_txt
p1=$(cat /tmp/vt_p1 2>/dev/null) p2=$(cat /tmp/vt_p2 2>/dev/null)
txt=$(cat /tmp/vt_txt)
h1=$(grep -cE "^vhost device [0-9]+ \(net, owner tgid $p1\)$" <<<"$txt")
h2=$(grep -cE "^vhost device [0-9]+ \(net, owner tgid $p2\)$" <<<"$txt")
check "trace --events vhost_: one table per device, headed by its id, type and owner ($h1 for tgid $p1, $h2 for tgid $p2)" \
	eval '[ "$h1" = 1 ] && [ "$h2" = 1 ] && [ "$(grep -c "^vhost device " <<<"$txt")" = 2 ]'
# The TX device's table: vq 1 with its 1200 entries, and no busy-poll
# table; the round-trip device's: both rings, with busy polling.
tbl() { awk -v p="$1" '/^vhost device / { on = index($0, "owner tgid " p ")") > 0; next } on' <<<"$txt"; }
check "trace --events vhost_: the TX device's table counts its 1200 entries on vq 1, no busy poll" \
	eval 'tbl "$p1" | grep -qE "^1 tx +[0-9]+ +1200 " && ! tbl "$p1" | grep -q "^BUSY POLL"'
f2=$(jv .foreign "$(cat /tmp/vt_o2)")
rx2=$(tbl "$p2" | awk '$1 == 0 && $2 == "rx" { print $4; exit }')
check "trace --events vhost_: the round-trip device's table counts 300 entries per ring (RX ${rx2:-none}: + $f2 foreign, at most 4 late), with busy polls" \
	eval 'own_rx "${rx2:-0}" && tbl "$p2" | grep -qE "^1 tx +[0-9]+ +300 " && tbl "$p2" | grep -q "^BUSY POLL"'
diag "$(echo "$txt" | awk '/^vhost device/ { on = 1 } on && /^[a-z_]+ \((fentry|kprobe|tp|raw_tp|syscall)/ { exit } on')"
exit 0
