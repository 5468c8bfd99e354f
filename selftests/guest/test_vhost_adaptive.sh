#!/usr/bin/env bash
# Adaptive vhost_net busy polling (patches/0005-vhost_net-adaptive-busy-polling.patch)
# in the QEMU guest (make kernel-check), seen through the vhost_net_busy_poll_*
# tracepoints: with vhost_net.busyloop_adaptive=1 each virtqueue's window
# starts at 1 (busy_clock units, ~1 us), doubles after a poll that found
# work, halves after one that timed out, and never exceeds the busyloop
# timeout vnetkit set; every transition in the trace must follow that rule.
# With the parameter at 0 every poll spins for the full timeout, as the
# unpatched kernel does. Skipped as unavailable on a kernel without it.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
T=/sys/kernel/tracing
P=/sys/module/vhost_net/parameters/busyloop_adaptive

if [ ! -e /dev/vhost-net ]; then
	skip "adaptive busy polling" "unavailable (no /dev/vhost-net in this kernel)"
	exit 0
fi
if [ ! -e $P ]; then
	skip "adaptive busy polling" "unavailable (no vhost_net.busyloop_adaptive in this kernel)"
	exit 0
fi
if [ ! -d $T/events/vhost ]; then
	skip "adaptive busy polling" "unavailable (no vhost tracepoints in this kernel)"
	exit 0
fi

restore() {
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	echo local >$T/trace_clock
	echo 0 >$P
}
at_exit restore

# traced ARGS...: vnetkit vhost ARGS --json with the busy-poll events on;
# EV holds "vq start|end window [reason]" lines in time order (one clock
# for all CPUs: the worker may migrate).
traced() {
	echo 0 >$T/tracing_on
	echo global >$T/trace_clock
	echo 8192 >$T/buffer_size_kb
	echo >$T/trace
	echo 1 >$T/events/vhost/vhost_net_busy_poll_start/enable
	echo 1 >$T/events/vhost/vhost_net_busy_poll_end/enable
	echo 1 >$T/tracing_on
	OUT=$($V vhost "$@" --json 2>/tmp/vhost_adaptive.err)
	RC=$?
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	EV=$(grep -v '^#' $T/trace | awk '
		/vhost_net_busy_poll_start:/ { for (i = 1; i <= NF; i++) {
			if ($i ~ /^vq=/) q = substr($i, 4)
			if ($i ~ /^window=/) w = substr($i, 8) }
			print q, "start", w }
		/vhost_net_busy_poll_end:/ { for (i = 1; i <= NF; i++) {
			if ($i ~ /^vq=/) q = substr($i, 4)
			if ($i ~ /^window=/) w = substr($i, 8)
			if ($i ~ /^reason=/) r = substr($i, 8) }
			print q, "end", w, r }')
	OVR=$(cat $T/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
	if [ $RC -ne 0 ] || ! echo "$OUT" | grep -q '"result":"ok"'; then
		fail "vnetkit vhost $* failed (exit $RC: $(head -c 300 /tmp/vhost_adaptive.err))"
		return 1
	fi
	[ "$OVR" = 0 ] || { fail "trace buffer overran ($OVR events lost)"; return 1; }
	return 0
}

# rule CEIL: replays EV per queue and prints
#   "<polls> <violations> <grows> <shrinks> <first windows> <max window> <last window>"
# A violation is a start whose window is not what the previous end implies:
# work_found -> min(2w, CEIL), timeout -> max(w/2, 1), other reasons -> w;
# the first poll of a queue must use window 1.
rule() {
	echo "$EV" | awk -v ceil="$1" '
		$2 == "start" {
			n++
			if (!($1 in last)) { if ($3 != 1) bad++; first = first $3 "," }
			else {
				w = last[$1]; r = why[$1]
				if (r == "work_found") e = (2 * w < ceil) ? 2 * w : ceil
				else if (r == "timeout") e = (w / 2 >= 1) ? int(w / 2) : 1
				else e = w
				if ($3 != e) bad++
				if ($3 > w) up++
				if ($3 < w) down++
			}
			if ($3 > max) max = $3
			if ($3 > ceil) bad++
			cur = $3
		}
		$2 == "end" { last[$1] = $3; why[$1] = $4 }
		END { printf "%d %d %d %d %s %d %d\n", n, bad + 0, up + 0, down + 0,
		      first == "" ? "-" : first, max, cur }'
}

reasons() { echo "$EV" | awk '$2 == "end" { print $4 }' | sort | uniq -c | tr -s ' \n' ' '; }

# 1. Off: the window is the full timeout on every poll (base behaviour).
echo 0 >$P
if traced pingpong --frames 1000 --busyloop-timeout 50; then
	n=$(echo "$EV" | grep -c ' start ')
	full=$(echo "$EV" | grep -c ' start 50$')
	check "off: all $n polls spin up to the full 50 us timeout" eval '[ "$n" -gt 0 ] && [ "$n" = "$full" ]'
	diag "off: exits: $(reasons)"
fi

# 2. On, saturated: a TX stream (the driver keeps adding frames while vhost
#    polls for them); the window grows from 1 and is capped at the
#    timeout; every step follows the rule. Under TCG a pingpong poll
#    rarely catches the reflected frame (0.1-0.8% of polls), which is why
#    the load here is a stream; hits are still chance events: up to three runs.
echo 1 >$P
for attempt in 1 2 3; do
	traced tx --frames 60000 --busyloop-timeout 50 || { n=; break; }
	read -r n bad up down first max last <<<"$(rule 50)"
	[ "$up" -gt 0 ] && break
	diag "on saturated: run $attempt had no poll that found work; again"
done
if [ -n "${n:-}" ]; then
	check "on: $n polls, every window follows grow-on-hit/shrink-on-timeout ($bad violations)" \
		eval '[ "$n" -gt 0 ] && [ "$bad" = 0 ]'
	check "on: first windows are 1 ($first)" [ "${first//1,/}" = "" ]
	check "on: the window grows under load ($up grows, max $max)" eval '[ "$up" -gt 0 ] && [ "$max" -gt 1 ]'
	check "on: never above the 50 us ceiling (max $max)" [ "$max" -le 50 ]
	check "on: and shrinks again after polls that time out ($down shrinks)" [ "$down" -gt 0 ]
	diag "on saturated: $up grows, $down shrinks, max $max, exits: $(reasons)"
fi

# 3. On, ceiling lower than the window would grow to: capped at 8.
if traced pingpong --frames 1000 --busyloop-timeout 8; then
	read -r n bad up down first max last <<<"$(rule 8)"
	check "on, 8 us timeout: the rule holds ($bad violations in $n polls), max window $max <= 8" \
		eval '[ "$bad" = 0 ] && [ "$max" -le 8 ] && [ "$n" -gt 0 ]'
fi

# 4. On, sparse: one frame every 20 ms (a TCG round trip takes a few ms, so
#    1 ms would be back to back); polls time out and the window stays at or
#    shrinks back to the floor.
if traced pingpong --frames 60 --interval 20000 --busyloop-timeout 50; then
	read -r n bad up down first max last <<<"$(rule 50)"
	to=$(echo "$EV" | awk '$2 == "end" && $4 == "timeout"' | wc -l)
	check "on, 1 frame/20 ms: the rule holds ($bad violations in $n polls)" eval '[ "$bad" = 0 ] && [ "$n" -gt 0 ]'
	check "on, 1 frame/20 ms: the window shrinks when idle ($down shrinks after $to timeouts)" \
		eval '[ "$down" -gt 0 ] || [ "$max" -le 1 ]'
	small=$(echo "$EV" | awk '$2 == "start" && $3 <= 2' | wc -l)
	check "on, 1 frame/20 ms: most polls use a window of at most 2 ($small of $n)" [ $((small * 2)) -gt "$n" ]
	diag "on sparse: $up grows, $down shrinks, max $max, exits: $(reasons)"
fi
exit 0
