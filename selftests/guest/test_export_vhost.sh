#!/usr/bin/env bash
# vnetkit export in the QEMU guest (make kernel-check): the vhost per-virtqueue
# metrics, counted by export's own tracepoint programs, against two
# independent counts of the same run: what vnetkit vhost (the user-space
# virtio driver) counted on its rings, and the kernel's own trace events
# recorded through ftrace at the same time. The device is found through
# export's vnetkit_vhost_device_info, by the pid of the vnetkit vhost that
# owned it.
# The static guest binary has no HTTP server: export writes its textfile.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
N=${VHOST_EXPORT_FRAMES:-5000}
T=/sys/kernel/tracing
D=$(mktemp -d)
F=$D/vnetkit.prom
at_exit "rm -rf $D"

# m NAME{LABELS}: the value of one sample of the current textfile ("" if none).
m() { awk -v k="$1" 'index($0, k " ") == 1 { print $2 }' "$F"; }
# fresh: wait until export has rewritten the textfile after now.
fresh() {
	local t0
	t0=$(stat -c %Y.%i "$F" 2>/dev/null)
	for _ in $(seq 100); do
		sleep 0.1
		[ "$(stat -c %Y.%i "$F" 2>/dev/null)" != "$t0" ] && return 0
	done
	return 1
}
# ev EVENT FILTER...: the recorded EVENT lines of device DEV containing
# every FILTER word.
ev() {
	local e=$1
	shift
	awk -v e="$e:" -v d="dev=$DEV" -v f="$*" '
		{ ok = 0; for (i = 1; i <= NF; i++) { if ($i == e) ok++; if ($i == d) ok++ }
		  if (ok < 2) next
		  n = split(f, w, " "); for (j = 1; j <= n; j++) if (index($0, w[j]) == 0) next
		  print }' $D/ev
}

tracing_off() {
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
}

# traced "EVENT..." ARGS...: vnetkit vhost ARGS --json, with those vhost
# events recorded; OUT its report, PID its pid, $D/ev the events, OVR the
# events lost, DEV the id of its device as export names it (after export's
# next textfile).
traced() {
	local e
	echo 0 >$T/tracing_on
	echo 8192 >$T/buffer_size_kb
	echo >$T/trace
	for e in $1; do echo 1 >$T/events/vhost/$e/enable; done
	shift
	echo 1 >$T/tracing_on
	$V vhost "$@" --json >$D/vhost.out 2>$D/vhost.err &
	PID=$!
	wait $PID
	OUT=$(cat $D/vhost.out)
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	grep -v '^#' $T/trace >$D/ev
	OVR=$(cat $T/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
	fresh
	DEV=$(sed -n "s/^vnetkit_vhost_device_info{vhost_dev=\"\([0-9]*\)\",type=\"net\",owner_pid=\"$PID\",.*} 1$/\1/p" "$F")
}

$V export --no-listen --textfile $D --interval 0.2 2>$D/err &
EXP=$!
at_exit "kill $EXP"
for _ in $(seq 100); do [ -s "$F" ] && break; sleep 0.1; done
if [ ! -s "$F" ]; then
	fail "export: no textfile written ($(cat $D/err))"
	exit 0
fi
avail=$(m 'vnetkit_source_available{source="vhost_tracepoints",reason=""}')
if [ ! -e /dev/vhost-net ] || [ ! -d $T/events/vhost ]; then
	check "export: vhost tracepoints reported unavailable on a kernel without them" \
		grep -q '^vnetkit_source_available{source="vhost_tracepoints",reason="[^"]\+"} 0' "$F"
	skip "export: vhost metrics" "unavailable (no /dev/vhost-net or no vhost tracepoints)"
else
	at_exit tracing_off
	check "export: vhost tracepoints available and attached" test "$avail" = 1

	# TX: used-ring entries on vq 1 are the frames vnetkit vhost sent and
	# reaped; one signal decision per used-ring update.
	traced "vhost_net_used_batch vhost_signal vhost_work_queue" tx --frames $N --batch 32
	check "export: the device vnetkit vhost (pid $PID) owned is named by vnetkit_vhost_device_info (vhost_dev $DEV)" \
		test -n "$DEV"
	check "export: no trace event lost (the exact comparisons below need them all)" test "$OVR" = 0
	l="vhost_dev=\"$DEV\",vq=\"1\""
	sum=$(m "vnetkit_vhost_used_batch_size_sum{$l}")
	cnt=$(m "vnetkit_vhost_used_batch_size_count{$l}")
	inf=$(m "vnetkit_vhost_used_batch_size_bucket{$l,le=\"+Inf\"}")
	used=$(jv .tx.used "$OUT")
	check "export: vq 1 used entries == $N frames sent == $used reaped by the driver (got $sum)" \
		eval '[ "$sum" = "$N" ] && [ "$used" = "$N" ]'
	check "export: the batch-size histogram's +Inf bucket is its count ($inf = $cnt)" \
		eval '[ -n "$cnt" ] && [ "$inf" = "$cnt" ] && [ "$cnt" -gt 0 ]'
	# Every bucket against the recorded vhost_net_used_batch counts.
	want=$(ev vhost_net_used_batch vq=1 | sed -n 's/.* count=\([0-9]*\).*/\1/p' | awk '
		{ b = 0; v = $1; while (v > 1 && b < 15) { v = int(v / 2); b++ } h[b]++ }
		END { c = 0; p = 2; for (i = 0; i < 15; i++) { c += h[i]; printf "%d:%d ", p - 1, c; p *= 2 } }')
	got=$(awk -v l="$l" 'index($0, "vnetkit_vhost_used_batch_size_bucket{" l ",le=\"") == 1 && !/Inf/ {
		sub(/.*le="/, ""); sub(/"} /, ":"); printf "%s ", $0 }' "$F")
	check "export: every histogram bucket equals the traced used-ring updates" \
		eval '[ -n "$want" ] && [ "$got" = "$want" ]'
	[ "$got" = "$want" ] || diag "want $want / got $got"
	sent=$(m "vnetkit_vhost_signals_total{$l,decision=\"sent\"}")
	supp=$(m "vnetkit_vhost_signals_total{$l,decision=\"suppressed\"}")
	tsent=$(ev vhost_signal vq=1 signalled=1 | wc -l)
	tsupp=$(ev vhost_signal vq=1 signalled=0 | wc -l)
	irq=$(jv .tx.interrupts "$OUT")
	check "export: signal decisions == traced ($sent sent, $supp suppressed; traced $tsent, $tsupp)" \
		eval '[ "$sent" = "$tsent" ] && [ "$supp" = "$tsupp" ]'
	check "export: one signal decision per used-ring update ($sent + $supp = $cnt)" \
		eval '[ -n "$sent" ] && [ $((sent + supp)) = "$cnt" ]'
	check "export: signals sent ($sent) cover the interrupts the driver took ($irq)" \
		eval '[ -n "$irq" ] && [ "$sent" -ge "$irq" ]'

	# Kicks: the TX handler queued by a guest notification (from the
	# driver's thread) or by the worker re-queueing it (from vhost-PID).
	kicks=$(m "vnetkit_vhost_kicks_total{$l}")
	req=$(m "vnetkit_vhost_requeues_total{$l}")
	tq=$(ev vhost_work_queue fn=handle_tx_kick)
	tkicks=$(printf '%s' "$tq" | grep -vc '^ *vhost-')
	treq=$(printf '%s' "$tq" | grep -c '^ *vhost-')
	dkicks=$(jv .tx.kicks "$OUT")
	check "export: kicks and re-queues of vq 1 == traced queueings of handle_tx_kick ($kicks + $req; traced $tkicks + $treq)" \
		eval '[ -n "$kicks" ] && [ "$kicks" = "$tkicks" ] && [ "$req" = "$treq" ]'
	check "export: kicks that woke the handler ($kicks) are within the driver's kicks ($dkicks)" \
		eval '[ "$kicks" -gt 0 ] && [ "$kicks" -le "$dkicks" ]'
	diag "export: tx $N frames in $cnt used-ring updates, $sent signals sent, $supp suppressed, $kicks of $dkicks kicks woke the handler, $req re-queues"

	# Busy polling: loops, their exits by reason, hits, spin time.
	traced vhost_net_busy_poll_end pingpong --frames 1000 --busyloop-timeout 50
	check "export: the pingpong device (pid $PID) is named (vhost_dev $DEV)" test -n "$DEV"
	check "export: no trace event lost" test "$OVR" = 0
	polls=$(awk -v d="vhost_dev=\"$DEV\"," 'index($0, "vnetkit_vhost_busy_polls_total{" d) == 1 { s += $2 } END { print s + 0 }' "$F")
	tpolls=$(ev vhost_net_busy_poll_end | wc -l)
	check "export: busy-poll loops == traced ends ($polls; traced $tpolls)" \
		eval '[ "$polls" -gt 0 ] && [ "$polls" = "$tpolls" ]'
	# Per reason, export's and the trace's counts in one pass each.
	ex=$(awk -v d="vhost_dev=\"$DEV\"," 'index($0, "vnetkit_vhost_busy_poll_exits_total{" d) == 1 {
		r = $0; sub(/.*reason="/, "", r); sub(/".*/, "", r); n[r] += $2 }
		END { for (r in n) print r, n[r] }' "$F" | sort)
	tr=$(ev vhost_net_busy_poll_end | sed -n 's/.* reason=\([a-z_]*\).*/\1/p' | sort | uniq -c |
		awk '{ print $2, $1 }')
	bad=""
	reasons=""
	for r in timeout need_resched signal_pending other_work work_found; do
		e=$(echo "$ex" | awk -v r=$r '$1 == r { print $2 }')
		t=$(echo "$tr" | awk -v r=$r '$1 == r { print $2 }')
		[ "${e:-0}" = "${t:-0}" ] || bad+=" $r:$e/$t"
		reasons+=" $r=${e:-0}"
	done
	check "export: exits per reason == traced ones (mismatches:${bad:- none})" test -z "$bad"
	spin=$(awk -v d="vhost_dev=\"$DEV\"," 'index($0, "vnetkit_vhost_busy_poll_spin_seconds_total{" d) == 1 { s += $2 } END { printf "%.9f", s }' "$F")
	tspin=$(ev vhost_net_busy_poll_end | sed -n 's/.* spin_ns=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { printf "%.9f", s / 1e9 }')
	# export prints 9 significant digits.
	check "export: spin time == the traced spin_ns summed, to 9 digits ($spin s; traced $tspin s)" \
		awk -v a="$spin" -v b="$tspin" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d <= b * 1e-8 + 1e-9) }'
	diag "export: pingpong busy polls $polls, exits$reasons, spin $spin s"
fi

kill $EXP; wait $EXP; rc=$?
check "export: SIGTERM exits 0 and removes the textfile" eval '[ $rc = 0 ] && [ ! -e "$F" ]'
exit 0
