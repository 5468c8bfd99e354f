#!/usr/bin/env bash
# vhost tracepoints (patches/0004-vhost-add-tracepoints.patch) in the QEMU guest
# (make kernel-check). vnetkit vhost drives /dev/vhost-net and counts what it
# sees on its rings; the events the kernel records must match those counts
# exactly: used-ring batches sum to the frames, one vhost_signal decision
# per batch, every queued work item runs, busy polls end with a reason, a
# malformed chain is reported by vhost_vq_err. On a kernel without the
# patch every check is skipped as unavailable.
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

# jget FIELD JSON: a top-level number or string of a vnetkit JSON report.
jget() { echo "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" | head -1; }
# jvq FIELD QUEUE JSON: a field of the "tx" or "rx" queue object.
jvq() { echo "$3" | sed -n "s/.*\"$2\":{\([^}]*\)}.*/\1/p" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

tracing_off() {
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
}
at_exit tracing_off

# traced ARGS...: run vnetkit vhost ARGS --json with every vhost event on;
# OUT is its report, EV the recorded events (one per line), OVR the
# number of events the ring buffer lost.
traced() {
	echo 0 >$T/tracing_on
	echo 8192 >$T/buffer_size_kb
	echo >$T/trace
	echo 1 >$T/events/vhost/enable
	echo 1 >$T/tracing_on
	OUT=$($V vhost "$@" --json 2>/tmp/vhost_trace.err)
	RC=$?
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
	if [ $RC -ne 0 ] || [ "$(jget result "$OUT")" != ok ]; then
		fail "$d: vnetkit vhost $* failed (exit $RC: $(head -c 300 /tmp/vhost_trace.err))"
		return 1
	fi
	if [ "$OVR" != 0 ]; then
		fail "$d: the trace buffer overran ($OVR events lost); counts cannot be exact"
		return 1
	fi
	return 0
}

# 1. TX: the used-ring batches of vq 1 sum to the frames sent and to what
#    vnetkit reaped; each batch is followed by exactly one signal decision.
if run_traced "tx" tx --frames "$N" --batch 32; then
	sum=$(evsum vhost_net_used_batch 1 count)
	nb=$(evcount vhost_net_used_batch vq=1)
	used=$(jvq used tx "$OUT")
	check "tx: vhost_net_used_batch counts on vq 1 sum to the $N frames ($sum in $nb batches)" \
		[ "$sum" = "$N" ]
	check "tx: batch sum equals the used entries vnetkit reaped ($used)" [ "$sum" = "$used" ]
	sig=$(evcount vhost_signal vq=1)
	sent=$(evcount vhost_signal signalled=1)
	check "tx: one vhost_signal decision per used batch ($sig for $nb)" [ "$sig" = "$nb" ]
	irq=$(jvq interrupts tx "$OUT")
	check "tx: signals sent ($sent) cover the interrupts vnetkit took ($irq), suppressed $((sig - sent))" \
		eval '[ "$sent" -ge "$irq" ] && [ "$sent" -gt 0 ]'
	q=$(evcount vhost_work_queue) r=$(evcount vhost_work_run)
	check "tx: every queued work item ran ($q queued, $r run)" eval '[ "$q" = "$r" ] && [ "$q" -gt 0 ]'
	kicks=$(jvq kicks tx "$OUT")
	check "tx: no vhost_vq_err on a clean run" [ "$(evcount vhost_vq_err)" = 0 ]
	diag "tx: $N frames, $nb batches (mean $((sum / (nb ? nb : 1)))), $sent of $sig signals sent, $q work items, $kicks kicks"
fi

# 2. RX: the same on vq 0; with event index the guest suppresses most signals.
if run_traced "rx" rx --frames "$N" --batch 32; then
	sum=$(evsum vhost_net_used_batch 0 count)
	nb=$(evcount vhost_net_used_batch vq=0)
	used=$(jvq used rx "$OUT")
	verified=$(jget verified "$OUT")
	check "rx: vhost_net_used_batch counts on vq 0 sum to the used entries vnetkit reaped ($sum = $used)" \
		[ "$sum" = "$used" ]
	check "rx: and cover the $verified verified frames" eval '[ "$sum" -ge "$verified" ] && [ "$verified" = "$N" ]'
	sig=$(evcount vhost_signal vq=0)
	check "rx: one vhost_signal decision per used batch ($sig for $nb)" [ "$sig" = "$nb" ]
	diag "rx: $nb batches, mean $((sum / (nb ? nb : 1))) entries"
fi

# 3. Busy polling: every start has an end with a known reason; the window
#    is the user's busyloop timeout (adaptive polling off).
if [ -w /sys/module/vhost_net/parameters/busyloop_adaptive ]; then
	echo 0 >/sys/module/vhost_net/parameters/busyloop_adaptive
fi
if run_traced "busy poll" pingpong --frames 1000 --busyloop-timeout 50; then
	st=$(evcount vhost_net_busy_poll_start) en=$(evcount vhost_net_busy_poll_end)
	check "busy poll: $st polls started, each one ended ($en)" eval '[ "$st" = "$en" ] && [ "$st" -gt 0 ]'
	bad=$(echo "$EV" | grep 'vhost_net_busy_poll_end:' |
		grep -cvE 'reason=(timeout|need_resched|signal_pending|vq_work|work_found)$')
	check "busy poll: every exit has a reason" [ "$bad" = 0 ]
	hits=$(evcount vhost_net_busy_poll_end reason=work_found)
	check "busy poll: polls find the reflected frames ($hits of $en found work)" [ "$hits" -gt 0 ]
	wbad=$(echo "$EV" | grep 'vhost_net_busy_poll_start:' | grep -cv 'window=50 timeout=50')
	check "busy poll: the window is the 50 us timeout without adaptive polling" [ "$wbad" = 0 ]
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
check "vq error: vhost_vq_err reports the bad descriptor on vq 1 (${e#*vhost_vq_err: })" \
	grep -q '^.*vhost_vq_err: vq=1 ' <<<"$e"
# 5. vnetkit trace reports the same per queue (loader/trace_vhost.c).
l=$($V trace --list 2>&1 | grep -E '^events +vhost_net +raw_tp  per-queue')
check "trace --list: the vhost per-queue report is available ($l)" \
	grep -q 'raw_tp  per-queue report (5 of 5 events)' <<<"$l"
rep=$($V trace --stages vhost_net --counters none --json -- \
	sh -c "$V vhost tx --frames $N --batch 32 >/dev/null" 2>/tmp/vhost_trace.err)
vq1=$(echo "$rep" | tr -d '\n' | sed -n 's/.*"vhost": {"status": "ok".*{"vq": 1, \([^}]*\)}.*/\1/p')
ent=$(echo "$vq1" | sed -n 's/.*"entries": \([0-9]*\).*/\1/p')
nb=$(echo "$vq1" | sed -n 's/.*"batches": \([0-9]*\).*/\1/p')
sg=$(echo "$vq1" | sed -n 's/.*"signalled": \([0-9]*\).*/\1/p')
su=$(echo "$vq1" | sed -n 's/.*"suppressed": \([0-9]*\).*/\1/p')
check "trace: vq 1 used entries are the $N frames sent ($ent in $nb batches)" [ "$ent" = "$N" ]
check "trace: one signal decision per batch on vq 1 ($sg sent + $su suppressed)" \
	eval '[ -n "$sg" ] && [ $((sg + su)) = "$nb" ]'
txt=$($V trace --stages vhost_net --counters none -- \
	sh -c "$V vhost pingpong --frames 300 --busyloop-timeout 50 >/dev/null" 2>&1)
check "trace: busy-poll hit rate and spin time reported" \
	grep -qE '^[01] (rx|tx) +[0-9]+ +[0-9.]+ +[0-9.]+ us +[0-9.]+ ms +50.0 +50$' <<<"$txt"
check "trace: the vhost report fits 80 columns" \
	bash -c "! sed -n '/^vhost queues/,/^used-ring/p' <<<\"\$1\" | awk 'length(\$0) > 80' | grep -q ." _ "$txt"
diag "$(echo "$txt" | awk '/^vhost queues/ { on = 1 } on && /^[a-z_]+ \((fentry|kprobe|tp|raw_tp|syscall)/ { exit } on')"
exit 0
