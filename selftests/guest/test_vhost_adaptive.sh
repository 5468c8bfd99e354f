#!/usr/bin/env bash
# Adaptive vhost_net busy polling (patches/0005-vhost_net-adaptive-busy-polling.patch)
# in the QEMU guest (make kernel-check). vnetkit vhost --busyloop-adaptive
# turns it on per ring with VHOST_SET_VRING_BUSYLOOP_ADAPTIVE (and reads it
# back); the vhost_net_busy_poll_{start,end,adapt} events show the rule at
# work. As KVM's halt polling: the window starts at 0; after a poll that
# timed out, work arriving sooner than the busyloop timeout (the ceiling)
# after the poll started grows it (to 4, then x2, capped at the ceiling),
# work arriving later shrinks it (/2, to 0 below 4); a poll that finds work
# or stops for another reason leaves it alone. Every transition in the trace
# must follow that rule, and under a steady gap below the ceiling the RX
# window must grow until its polls stop timing out (an inverted rule keeps
# it at 0, and every RX poll times out).
# The ioctl's misuse (selftests/vhost_busyloop_ioctl.c) is checked first; on
# a kernel without the ioctl, vnetkit must say so (exit 1) and leave no
# device behind, and the rest is skipped as unavailable.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
T=/sys/kernel/tracing

if [ ! -e /dev/vhost-net ]; then
	skip "adaptive busy polling" "unavailable (no /dev/vhost-net in this kernel)"
	exit 0
fi
# The ioctl itself: refused before VHOST_SET_OWNER (EPERM), bad ring
# indexes (ENOBUFS) and values other than 0 and 1 (EINVAL); GET reads back
# what SET stored, per ring and per device; VHOST_RESET_OWNER clears it.
P=$(command -v vhost_busyloop_ioctl)
if [ -z "$P" ]; then
	fail "vhost_busyloop_ioctl is in the guest (GUEST_BINS, selftests/vhost_ioctl.mk)"
	exit 0
fi
out=$("$P" 2>&1)
rc=$?
if [ $rc = 77 ]; then
	diag "$out"
	links=$(ip -o link | awk -F': ' '{ print $2 }' | sort)
	out=$($V vhost pingpong --frames 10 --busyloop-timeout 50 --busyloop-adaptive 2>&1)
	rc=$?
	check "a kernel without VHOST_SET_VRING_BUSYLOOP_ADAPTIVE: vnetkit fails (exit $rc, want 1)" [ $rc = 1 ]
	check "... and says why, in vnetkit's style ($(head -c 300 <<<"$out"))" grep -q \
		'^vnetkit vhost pingpong: --busyloop-adaptive: this kernel has no VHOST_SET_VRING_BUSYLOOP_ADAPTIVE (.*) (boot a kernel with' <<<"$out"
	check "... and leaves no device behind" [ "$links" = "$(ip -o link | awk -F': ' '{ print $2 }' | sort)" ]
	skip "adaptive busy polling" "unavailable (kernel without VHOST_SET_VRING_BUSYLOOP_ADAPTIVE)"
	exit 0
fi
echo "$out" | grep -E '^(ok|not ok) - ' | sed 's/^\(not \)\{0,1\}ok - /&ioctl: /'
n=$(echo "$out" | grep -cE '^(ok|not ok) - ')
check "vhost_busyloop_ioctl: $n checks, exit $rc (0: all passed)" eval '[ "$n" -ge 25 ] && [ "$rc" = 0 ]'

if [ ! -d $T/events/vhost/vhost_net_busy_poll_adapt ]; then
	skip "adaptive busy polling" "unavailable (no vhost_net_busy_poll_adapt event in this kernel)"
	exit 0
fi

restore() {
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	echo local >$T/trace_clock
}
at_exit restore

# The API: usage errors and the read-back (vnetkit fails unless GET says 1).
out=$($V vhost pingpong --frames 10 --busyloop-adaptive 2>&1)
check "--busyloop-adaptive without a timeout is a usage error (exit 2)" \
	eval "[ $? = 2 ] && grep -q 'needs --busyloop-timeout' <<<\"\$out\""

# traced ARGS...: vnetkit vhost ARGS --json with the busy-poll events on;
# EV holds, in time order (one clock for all CPUs: the worker may migrate),
#   "<vq> start <window>", "<vq> end <window> <reason>",
#   "<vq> adapt <gap> <old> <window>"
traced() {
	echo 0 >$T/tracing_on
	echo global >$T/trace_clock
	echo 8192 >$T/buffer_size_kb
	echo >$T/trace
	echo 1 >$T/events/vhost/vhost_net_busy_poll_start/enable
	echo 1 >$T/events/vhost/vhost_net_busy_poll_end/enable
	echo 1 >$T/events/vhost/vhost_net_busy_poll_adapt/enable
	echo 1 >$T/tracing_on
	OUT=$($V vhost "$@" --json 2>/tmp/vhost_adaptive.err)
	RC=$?
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	EV=$(grep -v '^#' $T/trace | awk '
		function f(n,  i) { for (i = 1; i <= NF; i++) if (index($i, n "=") == 1)
			return substr($i, length(n) + 2) }
		/vhost_net_busy_poll_start:/ { print f("vq"), "start", f("window") }
		/vhost_net_busy_poll_end:/ { print f("vq"), "end", f("window"), f("reason") }
		/vhost_net_busy_poll_adapt:/ { print f("vq"), "adapt", f("gap"), f("old"), f("window") }')
	OVR=$(cat $T/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
	if [ $RC -ne 0 ] || [ "$(jv .result "$OUT")" != ok ]; then
		fail "vnetkit vhost $* failed (exit $RC: $(head -c 300 /tmp/vhost_adaptive.err))"
		return 1
	fi
	[ "$OVR" = 0 ] || { fail "trace buffer overran ($OVR events lost)"; return 1; }
	return 0
}

# rule CEIL: replays EV per queue and prints
#   "<polls> <violations> <grows> <shrinks> <max window> <adapts>"
# Violations: a start whose window is more than the queue's current window
# (0 at first) capped at CEIL (less is what is left of an idle period's
# window when other work interrupted its first poll); an adapt that does not follow the rule from its
# gap and old window, or whose old window is not the current one; an adapt
# that does not follow a poll that timed out (one adapt per timeout at most).
rule() {
	echo "$EV" | awk -v ceil="$1" '
		$2 == "start" {
			n++
			w = ($1 in cur) ? cur[$1] : 0
			e = w < ceil ? w : ceil
			if ($3 > e) bad++
			if ($3 > max) max = $3
			if ($3 > ceil) bad++
			miss[$1] = 0
		}
		$2 == "end" { miss[$1] = ($4 == "timeout") }
		$2 == "adapt" {
			na++
			gap = $3; old = $4; w = $5
			if (!miss[$1]) bad++
			miss[$1] = 0
			if ((($1 in cur) ? cur[$1] : 0) != old) bad++
			if (gap < ceil) {
				e = 2 * old; if (e < 4) e = 4; if (e > ceil) e = ceil
			} else if (gap > ceil) {
				e = int(old / 2); if (e < 4) e = 0
			} else e = old
			if (w != e) bad++
			if (w > old) up++
			if (w < old) down++
			cur[$1] = w
		}
		END { printf "%d %d %d %d %d %d\n", n, bad + 0, up + 0, down + 0, max + 0, na + 0 }'
}

reasons() { echo "$EV" | awk -v q="${1:-}" '$2 == "end" && (q == "" || $1 == q) { print $4 }' |
	sort | uniq -c | tr -s ' \n' ' '; }

# 1. Off: the timeout bounds each idle period (patch 0004a): the first
#    poll gets all 50 units, a poll that continues an interrupted one only
#    what is left, never more; nothing adapts.
if traced pingpong --frames 1000 --busyloop-timeout 50; then
	n=$(echo "$EV" | grep -c ' start ')
	full=$(echo "$EV" | grep -c ' start 50$')
	over=$(echo "$EV" | awk '$2 == "start" && $3 > 50' | wc -l)
	ad=$(echo "$EV" | grep -c ' adapt ')
	check "off: $full of $n polls get the full 50 us, $over more, $ad adaptations" \
		eval '[ "$full" -gt 0 ] && [ "$over" = 0 ] && [ "$ad" = 0 ]'
	# A poll right after one of the same ring that timed out, with no work
	# in between, must not spin again: its window is 0.
	again=$(echo "$EV" | awk '$2 == "end" { to[$1] = ($4 == "timeout") }
		$2 == "start" && to[$1] && $3 == 50 { k++ } END { print k + 0 }')
	diag "off: exits: $(reasons); full windows right after a timeout of the same ring: $again"
fi

# 2. On, a steady gap below the ceiling: one frame every 200 us (paced by
#    spinning on the clock: no high-resolution timers here) with a 5 ms
#    ceiling (a TCG round trip takes 0.15 to a few ms). The RX poll times
#    out until its window covers the gap to the next frame; the rule must
#    grow it there. An inverted rule (grow on hits, shrink on misses; or
#    grow on long gaps) leaves it at 0.
if traced pingpong --frames 400 --interval 200 --pace spin --busyloop-timeout 5000 --busyloop-adaptive; then
	read -r n bad up down max na <<<"$(rule 5000)"
	check "on, 200 us gap: every window follows the rule ($bad violations in $n polls, $na adaptations)" \
		eval '[ "$n" -gt 0 ] && [ "$na" -gt 0 ] && [ "$bad" = 0 ]'
	# The RX poll waits for the next frame (it ends when the driver's next
	# TX arrives, other_work, or its RX comes back). With 0 violations of
	# the rule, growth from 0 is what an inverted rule cannot produce.
	rxmax=$(echo "$EV" | awk '$1 == 0 && $2 == "start" && $3 > m { m = $3 } END { print m + 0 }')
	read -r late lateto <<<"$(echo "$EV" | awk '$1 == 0 && $2 == "end" { r[++n] = $4 }
		END { for (i = int(n / 2) + 1; i <= n; i++) { k++; if (r[i] == "timeout") t++ }
		      print k + 0, t + 0 }')"
	check "on, 200 us gap: the RX window grows from 0 (to $rxmax units)" [ "$rxmax" -ge 8 ]
	# Not a check: under TCG on a loaded host the RX gap is often longer
	# than the 5 ms ceiling (then shrinking is the rule's answer).
	diag "on, 200 us gap: $lateto of the last $late RX polls time out"
	med=$(echo "$EV" | awk '$1 == 0 && $2 == "adapt" { print $3 }' | sort -n |
		awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : 0 }')
	diag "on, 200 us gap: $up grows, $down shrinks, RX max window $rxmax, median RX miss gap $med; rx exits: $(reasons 0); tx exits: $(reasons 1)"
fi

# 3. On, a ceiling below the gaps: one frame every 2 ms with a 20 us
#    ceiling. Work always comes later than the ceiling: the windows stay
#    at (or shrink back to) 0.
if traced pingpong --frames 100 --interval 2000 --pace spin --busyloop-timeout 20 --busyloop-adaptive; then
	read -r n bad up down max na <<<"$(rule 20)"
	check "on, 2 ms gap, 20 us ceiling: every window follows the rule ($bad violations in $n polls)" \
		eval '[ "$n" -gt 0 ] && [ "$bad" = 0 ]'
	zero=$(echo "$EV" | awk '$1 == 0 && $2 == "start" && $3 == 0' | wc -l)
	rx=$(echo "$EV" | awk '$1 == 0 && $2 == "start"' | wc -l)
	check "on, 2 ms gap, 20 us ceiling: most RX polls use no window ($zero of $rx)" \
		eval '[ "$rx" -gt 0 ] && [ $((zero * 10)) -ge $((rx * 9)) ]'
	diag "on, sparse: $up grows, $down shrinks, max $max; exits: $(reasons)"
fi

# 4. The TX poll also watches the socket for the replies to what it sent
#    (the RX data of a request/response flow): after a TX poll timed out,
#    a reply within the ceiling grows the TX window, as a TX descriptor
#    would. Pingpong with a 5 ms ceiling: the TX window grows from 0.
if traced pingpong --frames 400 --busyloop-timeout 5000 --busyloop-adaptive; then
	read -r n bad up down max na <<<"$(rule 5000)"
	txmax=$(echo "$EV" | awk '$1 == 1 && $2 == "start" && $3 > m { m = $3 } END { print m + 0 }')
	check "pingpong, 5 ms ceiling: every window follows the rule ($bad violations in $n polls)" \
		eval '[ "$n" -gt 0 ] && [ "$bad" = 0 ]'
	check "pingpong, 5 ms ceiling: the TX window grows from 0 on replies (to $txmax units)" \
		[ "$txmax" -ge 8 ]
	diag "pingpong: rx exits: $(reasons 0); tx exits: $(reasons 1)"
fi

# 5. TX traffic must not count as RX work: a TX stream with both rings
#    adaptive. A poll on behalf of RX (vq 0) that stops because TX
#    descriptors arrived ends with other_work, never work_found, and the
#    RX window never grows (no RX traffic at all).
if traced tx --frames 20000 --busyloop-timeout 50 --busyloop-adaptive; then
	read -r n bad up down max na <<<"$(rule 50)"
	rxhit=$(echo "$EV" | awk '$1 == 0 && $2 == "end" && $4 == "work_found"' | wc -l)
	rxup=$(echo "$EV" | awk '$1 == 0 && $2 == "adapt" && $5 > $4' | wc -l)
	check "tx stream: the rule holds ($bad violations in $n polls), windows <= 50 (max $max)" \
		eval '[ "$bad" = 0 ] && [ "$max" -le 50 ]'
	check "tx stream: no RX poll counts TX work as its own ($rxhit work_found, $rxup grows on vq 0)" \
		eval '[ "$rxhit" = 0 ] && [ "$rxup" = 0 ]'
	diag "tx stream: rx exits: $(reasons 0); tx exits: $(reasons 1)"
fi
exit 0
