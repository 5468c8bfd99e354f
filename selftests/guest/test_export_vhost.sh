#!/usr/bin/env bash
# vnetkit export in the QEMU guest (make kernel-check): the vhost per-virtqueue
# metrics, counted by export's own tracepoint programs, against what vnetkit
# vhost (the user-space virtio driver) counted on its rings.
# The static guest binary has no HTTP server: export writes its textfile.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
N=${VHOST_EXPORT_FRAMES:-5000}
D=$(mktemp -d)
F=$D/vnetkit.prom
at_exit "rm -rf $D"

# jvq FIELD QUEUE JSON: a field of the "tx" or "rx" queue object.
jvq() { echo "$3" | sed -n "s/.*\"$2\":{\([^}]*\)}.*/\1/p" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
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

$V export --no-listen --textfile $D --interval 0.2 2>$D/err &
EXP=$!
at_exit "kill $EXP"
for _ in $(seq 100); do [ -s "$F" ] && break; sleep 0.1; done
if [ ! -s "$F" ]; then
	fail "export: no textfile written ($(cat $D/err))"
	exit 0
fi
avail=$(m 'vnetkit_source_available{source="vhost_tracepoints",reason=""}')
if [ ! -e /dev/vhost-net ] || [ ! -d /sys/kernel/tracing/events/vhost ]; then
	check "export: vhost tracepoints reported unavailable on a kernel without them" \
		grep -q '^vnetkit_source_available{source="vhost_tracepoints",reason="[^"]\+"} 0' "$F"
	skip "export: vhost metrics" "unavailable (no /dev/vhost-net or no vhost tracepoints)"
else
	check "export: vhost tracepoints available and attached" test "$avail" = 1

	# TX: used-ring entries on vq 1 are the frames vnetkit vhost sent and
	# reaped; one signal decision per used-ring update.
	out=$($V vhost tx --frames $N --batch 32 --json 2>$D/vhost.err)
	fresh
	sum=$(m 'vnetkit_vhost_used_batch_size_sum{vq="1"}')
	cnt=$(m 'vnetkit_vhost_used_batch_size_count{vq="1"}')
	inf=$(m 'vnetkit_vhost_used_batch_size_bucket{vq="1",le="+Inf"}')
	used=$(jvq used tx "$out")
	check "export: vq 1 used entries == $N frames sent == $used reaped by the driver (got $sum)" \
		eval '[ "$sum" = "$N" ] && [ "$used" = "$N" ]'
	check "export: the batch-size histogram's +Inf bucket is its count ($inf = $cnt)" \
		eval '[ -n "$cnt" ] && [ "$inf" = "$cnt" ] && [ "$cnt" -gt 0 ]'
	mono=$(awk '/^vnetkit_vhost_used_batch_size_bucket\{vq="1",/ { if ($2 < p) bad = 1; p = $2 } END { print bad + 0 }' "$F")
	check "export: histogram buckets are cumulative" test "$mono" = 0
	sent=$(m 'vnetkit_vhost_signals_total{vq="1",decision="sent"}')
	supp=$(m 'vnetkit_vhost_signals_total{vq="1",decision="suppressed"}')
	irq=$(jvq interrupts tx "$out")
	check "export: one signal decision per used-ring update ($sent sent + $supp suppressed = $cnt)" \
		eval '[ -n "$sent" ] && [ $((sent + supp)) = "$cnt" ]'
	check "export: signals sent ($sent) cover the interrupts the driver took ($irq)" \
		eval '[ -n "$irq" ] && [ "$sent" -ge "$irq" ]'

	# Busy polling: loops, their exits by reason, hits, spin time.
	[ -w /sys/module/vhost_net/parameters/busyloop_adaptive ] &&
		echo 0 >/sys/module/vhost_net/parameters/busyloop_adaptive
	$V vhost pingpong --frames 1000 --busyloop-timeout 50 --json >/dev/null 2>>$D/vhost.err
	fresh
	polls=$(awk '/^vnetkit_vhost_busy_polls_total/ { s += $2 } END { print s + 0 }' "$F")
	exits=$(awk '/^vnetkit_vhost_busy_poll_exits_total/ { s += $2 } END { print s + 0 }' "$F")
	hits=$(awk '/^vnetkit_vhost_busy_poll_exits_total.*reason="work_found"/ { s += $2 } END { print s + 0 }' "$F")
	spin=$(awk '/^vnetkit_vhost_busy_poll_spin_seconds_total/ { s += $2 } END { print s + 0 }' "$F")
	check "export: busy-poll loops counted, each with one exit reason ($polls polls, $exits exits)" \
		eval '[ "$polls" -gt 0 ] && [ "$polls" = "$exits" ]'
	check "export: busy polls find the reflected frames ($hits hits) and spin ($spin s)" \
		eval '[ "$hits" -gt 0 ] && awk "BEGIN { exit !($spin > 0) }"'
	diag "export: tx $N frames in $cnt used-ring updates, $sent signals sent, $supp suppressed; busy poll $hits/$polls hits"
fi

kill $EXP; wait $EXP; rc=$?
check "export: SIGTERM exits 0 and removes the textfile" eval '[ $rc = 0 ] && [ ! -e "$F" ]'
exit 0
