#!/usr/bin/env bash
# Changing busy polling while frames run (patches 0004a and 0005), in the
# QEMU guest (make kernel-check). vnetkit vhost --busyloop-change-every N
# sets both rings, with frames in flight, to the next of: adaptive with the
# timeout T, fixed T, adaptive with T/2, timeout 0 (VHOST_SET_VRING_BUSYLOOP_
# TIMEOUT, then _ADAPTIVE), reads both back, and logs when (CLOCK_MONOTONIC
# before and after the ioctls). With every vhost event recorded on the same
# clock (trace_clock mono), each phase between two changes is checked:
#  - nothing breaks: every frame verified, none lost, duplicated, reordered
#    or corrupt, the setting read back is the one set;
#  - the counters agree: one busy_poll_end per busy_poll_start, used-ring
#    batches summing to the frames, each start's timeout the phase's;
#  - the documented semantics: timeout 0 polls never; fixed polls spin at
#    most T, the first poll after the change the full T, and never adapt;
#    setting adaptive restarts its window from 0 (the first poll of each
#    ring after the change gets 0), and from there every window follows the
#    rule (see test_vhost_adaptive.sh) with the phase's ceiling.
# Events inside a change (between its two timestamps) belong to neither
# phase and are not judged.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
T=/sys/kernel/tracing

if [ ! -e /dev/vhost-net ]; then
	skip "busy-poll changes" "unavailable (no /dev/vhost-net in this kernel)"
	exit 0
fi
if [ ! -d $T/events/vhost/vhost_net_busy_poll_adapt ]; then
	skip "busy-poll changes" "unavailable (no adaptive busy polling in this kernel: vhost_net_busy_poll_adapt)"
	exit 0
fi

restore() {
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	echo local >$T/trace_clock
}
at_exit restore

out=$($V vhost tx --frames 10 --busyloop-change-every 5 2>&1)
check "--busyloop-change-every without a timeout is a usage error (exit 2)" \
	eval "[ $? = 2 ] && grep -q 'needs --busyloop-timeout' <<<\"\$out\""

# changed MODE TIMEOUT EVERY ARGS...: vnetkit vhost MODE with changes every
# EVERY frames from timeout TIMEOUT, the busy-poll and used-ring events
# recorded; then every check on what it did.
changed() {
	local mode=$1 to=$2 every=$3 d js ev ovr frames want n
	shift 3
	d="$mode, changes every $every frames from $to us"
	echo 0 >$T/tracing_on
	echo mono >$T/trace_clock
	echo 16384 >$T/buffer_size_kb
	echo >$T/trace
	for e in vhost_net_busy_poll_start vhost_net_busy_poll_end vhost_net_busy_poll_adapt \
		vhost_net_used_batch; do
		echo 1 >$T/events/vhost/$e/enable
	done
	echo 1 >$T/tracing_on
	js=$($V vhost "$mode" --busyloop-timeout "$to" --busyloop-change-every "$every" "$@" \
		--json 2>/tmp/busyloop_change.err)
	echo 0 >$T/tracing_on
	echo 0 >$T/events/vhost/enable
	ovr=$(cat $T/per_cpu/cpu*/stats | awk '/^overrun:/ { s += $2 } END { print s + 0 }')
	frames=$(jv .frames "$js")
	check "$d: every frame verified, none lost, duplicated, reordered or corrupt ($(jq -c '{result, verified, lost, duplicate, reordered, corrupt}' <<<"$js" 2>/dev/null))" \
		eval '[ "$(jv .result "$js")" = ok ] && [ "$(jv .verified "$js")" = "$frames" ]'
	n=$(jv .busyloop_changes.count "$js")
	want=$(( (frames - 1) / every ))
	check "$d: $n changes made with frames running (want $want), $(jv .busyloop_changes.readback_mismatches "$js") read back otherwise" \
		eval '[ "$n" = "$want" ] && [ "$(jv .busyloop_changes.readback_mismatches "$js")" = 0 ]'
	if [ "$ovr" != 0 ]; then
		fail "$d: the trace buffer overran ($ovr events lost): the counts cannot be checked"
		return
	fi
	# The events as "<ns> <event> <vq> key=value...", in the order the
	# trace has them (timestamps are in us: events of one us must keep
	# it), and the changes as "<t0> <t1> <timeout> <adaptive>".
	ev=$(grep -v '^#' $T/trace | awk '{
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\.[0-9]+:$/) break
		if (i > NF) next
		split(substr($i, 1, length($i) - 1), t, ".")
		e = $(i + 1); sub(/:$/, "", e); sub(/^vhost_(net_)?/, "", e)
		q = "-"; rest = ""
		for (j = i + 2; j <= NF; j++) {
			if ($j ~ /^vq=/) q = substr($j, 4)
			else rest = rest " " $j
		}
		printf "%d%06d000 %s %s%s\n", t[1], t[2], e, q, rest }')
	jq -r '.busyloop_changes.log[] | "\(.[1]) \(.[2]) \(.[3]) \(.[4])"' <<<"$js" >/tmp/busyloop_change.log
	# Used-ring batches sum to the frames on each ring that carried them.
	read -r u0 u1 <<<"$(echo "$ev" | awk '$2 == "used_batch" {
		for (i = 4; i <= NF; i++) if ($i ~ /^count=/) s[$3] += substr($i, 7) }
		END { print s[0] + 0, s[1] + 0 }')"
	# RX also delivers what else reached the TAP (IPv6 neighbour
	# discovery, counted as foreign).
	local fr
	fr=$(jv .foreign "$js")
	case $mode in
	tx) want="0 $frames" ;;
	rx) want="$((frames + fr)) 0" ;;
	*) want="$((frames + fr)) $frames" ;;
	esac
	check "$d: used-ring batches sum to the frames (rx $u0, tx $u1; want $want: $fr foreign on RX)" [ "$u0 $u1" = "$want" ]
	# phases.awk: the checks per phase; prints "name count bad" lines.
	echo "$ev" | awk -v to="$to" -v ad0="$ADAPTIVE0" -v cl=/tmp/busyloop_change.log '
		function kv(k,  i) { for (i = 4; i <= NF; i++) if (index($i, k "=") == 1)
			return substr($i, length(k) + 2) + 0; return -1 }
		# violation WHAT: counted, the first three shown with the state
		function violation(what) {
			if (++bad[what] <= 1 && shown++ < 4)
				printf "diag %s: %s (phase %d: timeout %d adaptive %d, %.0f ns after its change; ring state window %s miss %s dirty %s)\n",
					what, $0, ph, us, ad, $1 - skip_until, cur[$3], miss[$3], dirty[$3]
		}
		function next_phase() {
			ph++; skip_until = c1[ph]; us = cus[ph]; ad = cad[ph]
			first[0] = first[1] = 1; delete cur; delete miss; delete dirty
			if (us == 0) zphases++; else if (ad) aphases++; else fphases++
		}
		BEGIN {
			us = to; ad = ad0; ph = 0; first[0] = first[1] = 1
			while ((getline l < cl) > 0) { split(l, cf, " "); nc++
				c0[nc] = cf[1]; c1[nc] = cf[2]; cus[nc] = cf[3]; cad[nc] = cf[4] }
		}
		$2 == "busy_poll_start" { starts[$3]++ }
		$2 == "busy_poll_end" { ends[$3]++ }
		# The next change began: until its end, events belong to neither
		# phase.
		{ while (ph < nc && $1 >= c0[ph + 1]) next_phase() }
		# A poll that starts with the next setting (its timeout, and
		# window 0 if it is adaptive) less than 20 ms before that change
		# began by the driver'"'"'s clock belongs to the change: the worker'"'"'s
		# trace clock ran behind the driver'"'"'s CLOCK_MONOTONIC (seen once,
		# make kernel-bisect BOOT=1 at 0008 under load: the first poll
		# of an adaptive phase 8.3 ms before its change, its adaptation
		# 0.47 ms after). Counted and shown; any other poll there is
		# judged in its own phase.
		$2 == "busy_poll_start" && ph < nc && $1 >= c0[ph + 1] - 20000000 &&
		    kv("timeout") == cus[ph + 1] && kv("timeout") != us &&
		    (!cad[ph + 1] || kv("window") == 0) {
			early++
			printf "diag a poll with the next setting %.0f ns before its change, taken as inside it: %s\n", c0[ph + 1] - $1, $0
			next_phase()
		}
		# A ring that polled or adapted during the change (after its own
		# ioctl, maybe) starts the phase in an unknown state: its first
		# poll is not judged, nor its window until an adaptation says it.
		$1 <= skip_until { skipped++; if ($2 ~ /^busy_poll/) { dirty[$3] = 1; first[$3] = 0 }; next }
		$2 == "busy_poll_start" {
			q = $3; w = kv("window")
			if (kv("timeout") != us) violation("start timeout is the phase timeout")
			if (us == 0) violation("no poll while the timeout is 0")
			if (w > us) violation("no window above the timeout")
			if (ad) {
				c = (q in cur) ? cur[q] : 0
				if (!dirty[q] && w > (c < us ? c : us)) violation("adaptive: window within the rule")
				if (first[q] && ph) { n["adaptive: first poll after the change gets window 0"]++
					if (w != 0) violation("adaptive: first poll after the change gets window 0") }
			} else if (first[q] && ph) { n["fixed: first poll after the change gets the whole timeout"]++
				if (w != us) violation("fixed: first poll after the change gets the whole timeout") }
			first[q] = 0; miss[q] = 0
		}
		$2 == "busy_poll_end" { miss[$3] = (index($0, "reason=timeout") > 0) }
		$2 == "busy_poll_adapt" {
			q = $3; g = kv("gap"); o = kv("old"); w = kv("window"); na++
			if (!ad) violation("fixed: no adaptation")
			if (!dirty[q] && !miss[q]) violation("adaptive: an adaptation follows a timeout")
			if (!dirty[q] && ((q in cur) ? cur[q] : 0) != o) violation("adaptive: old window is the current one")
			if (g < us) { e = 2 * o; if (e < 4) e = 4; if (e > us) e = us }
			else if (g > us) { e = int(o / 2); if (e < 4) e = 0 } else e = o
			if (w != e) violation("adaptive: grow below the ceiling, shrink above")
			cur[q] = w; miss[q] = 0; dirty[q] = 0
		}
		END {
			for (q = 0; q <= 1; q++) if (starts[q] + 0 != ends[q] + 0) bad["one end per start"]++
			printf "phases %d adaptive %d fixed %d zero, %d polls (rx %d tx %d), %d adaptations, %d events inside changes (%d early)\n",
				aphases, fphases, zphases, starts[0] + starts[1], starts[0], starts[1], na, skipped, early
			printf "rule one end per start %d\n", bad["one end per start"] + 0
			for (k in n) printf "count %s|%d|%d\n", k, n[k], bad[k] + 0
			for (k in bad) if (!(k in n) && k != "one end per start") printf "rule %s %d\n", k, bad[k]
		}' >/tmp/busyloop_change.phases
	diag "$d: $(grep '^phases ' /tmp/busyloop_change.phases)"
	grep '^diag ' /tmp/busyloop_change.phases | while read -r _ l; do diag "$d: $l"; done
	check "$d: one busy_poll_end per busy_poll_start ($(awk '/^rule one end/ { print $NF }' /tmp/busyloop_change.phases) rings off)" \
		grep -q '^rule one end per start 0$' /tmp/busyloop_change.phases
	local r
	r=$(grep '^rule ' /tmp/busyloop_change.phases | grep -v '^rule one end')
	check "$d: every poll within its phase's timeout and rule${r:+ (violations: $(echo "$r" | tr '\n' ';'))}" [ -z "$r" ]
	grep '^count ' /tmp/busyloop_change.phases >/tmp/busyloop_change.counts
	while IFS='|' read -r k c b; do
		check "$d: ${k#count } ($b of $c otherwise)" [ "$b" = 0 ]
	done </tmp/busyloop_change.counts
	# Each kind of phase must have happened with polls in it, or the
	# run proved nothing about it.
	check "$d: the run went through adaptive, fixed and no-polling phases" \
		eval 'read -r _ a _ f _ z _ <<<"$(grep "^phases " /tmp/busyloop_change.phases)"; [ "$a" -ge 1 ] && [ "$f" -ge 1 ] && [ "$z" -ge 1 ]'
	grep -q '^count adaptive: first poll' /tmp/busyloop_change.phases ||
		fail "$d: no poll after a change to adaptive: its reset is unchecked"
}

# TX: batches in flight when the settings change; 50 us as the guests use.
# --lockstep: the next batch goes out only once vhost used the last, so
# the worker finds its ring empty after every batch and polls there; back
# to back, TX polls a few times a run (8 to 10 polls in 5000 frames), too
# few to land one in each adaptive phase, and the reset went unchecked.
ADAPTIVE0=0 changed tx 50 500 --frames 5000 --batch 32 --lockstep
# RX: injected bursts in flight.
ADAPTIVE0=0 changed rx 50 500 --frames 5000 --batch 32
# Round trips with a 5 ms timeout (a TCG round trip takes 0.15 to a few
# ms): the windows grow between changes, so a reset to 0 is visible.
ADAPTIVE0=1 changed pingpong 5000 60 --frames 540 --busyloop-adaptive
exit 0
