#!/usr/bin/env bash
# vhost batching (patch 0009): the avail entries vhost read ahead must not
# answer for an avail index that comes round again one lap of the 16-bit
# index later. vhost_get_vq_desc() looks entries up by avail index, and
# the index wraps at 65536: entries read at index i would match index
# i + 65536 if they were still there. 0009 empties the array on every
# miss. Here vhost reads ahead once, a burst of --batch frames at index 0;
# then 65528 frames go one per avail index update (--lockstep), each read
# alone with __get_user(), none refilling the array; then the next burst
# lands on indices 65536.. (the same ring slots), under other heads (the
# driver's free list is LIFO). A device serving the first burst's entries
# sends those buffers (frames out of order) and uses heads out of avail
# order; every frame is verified and both counts must be zero.
source "$(dirname "$0")/vhost_lib.sh"
source "$(dirname "$0")/vhost_batch_lib.sh"
t0=$(date +%s)

# The refills, counted at vhost_get_avail_heads() (0009's out-of-line
# refill; gcc names it vhost_get_avail_heads.constprop.0): exactly one per
# burst shows the single frames never refilled, so the array still held
# the first burst when its index came round.
refills=
sym=$(awk '$3 ~ /^vhost_get_avail_heads(\.[a-z]+\.[0-9]+)*$/ { print $3; exit }' /proc/kallsyms)
if [ -n "$sym" ]; then
	if kp_add refill "$sym"; then
		refills=$(kp_hits refill)
	else
		fail "vhost batch lap: a kprobe event on $sym (needed to count refills)"
	fi
elif has_patch 0009; then
	fail "vhost batch lap: vhost_get_avail_heads (0009's refill) in /proc/kallsyms of a kernel with 0009"
fi

# lap RING BATCH [OPTS...]: two bursts of BATCH one index lap apart.
lap() {
	local ring=$1 b=$2 d n mis before
	shift 2
	d="vhost batch lap: ring $ring, bursts of $b at avail index 0 and 65536${*:+ $*}"
	[ -n "$refills" ] && before=$(kp_hits refill)
	run_exact "$d" tx --frames $((65536 + b)) --ring-size "$ring" --batch "$b" \
		--lockstep --burst-every 65536 "$@"
	n=$(jv .burst.count "$LAST")
	mis=$(jv .burst.misordered "$LAST")
	check "$d: 2 bursts ($n), used entries in avail order ($mis out of order)" \
		[ "$n" = 2 -a "$mis" = 0 ]
	if [ -n "$refills" ]; then
		n=$(($(kp_hits refill) - before))
		check "$d: vhost read ahead once per burst ($n reads ahead in the run)" \
			[ "$n" = 2 ]
	fi
}

# One case: 65544 frames one update at a time take 45 s at 1469 pps in
# the guest at load 21 (a second case, ring 16 with bursts of 16 and no
# event index, took as long and passed alike).
lap 256 8
[ -n "$refills" ] ||
	skip "vhost batch lap: reads ahead once per burst" "vhost_get_avail_heads (patch 0009) in this kernel"
diag "test_vhost_batch_lap took $(($(date +%s) - t0)) s"
exit 0
