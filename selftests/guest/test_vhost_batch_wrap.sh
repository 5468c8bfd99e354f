#!/usr/bin/env bash
# vhost batching (patches 0009-): avail read-ahead across the end of the
# ring and the rewind of vhost_discard_vq_desc(). Rings smaller than the
# read-ahead window (64 entries) and batches that do not divide the ring
# make every window start at a different offset and wrap; mergeable RX with
# buffers too small for a frame makes vhost take heads it then gives back
# (vhost_discard_vq_desc()) when the ring runs out mid-frame. Every payload
# is verified, the order and the counts are exact.
source "$(dirname "$0")/vhost_lib.sh"
source "$(dirname "$0")/vhost_batch_lib.sh"
t0=$(date +%s)
F=${VHOST_BATCH_FRAMES:-10000}
for rb in "2 1" "8 3" "16 7" "64 63" "128 100" "256 255"; do
	set -- $rb
	for eidx in "" --no-event-idx; do
		run_exact "vhost batch: tx ring $1 batch $2${eidx:+ no-event-idx}" \
			tx --frames $F --ring-size $1 --batch $2 $eidx
	done
done
discards=
if kp_add discard vhost_discard_vq_desc; then
	discards=$(kp_hits discard)
else
	fail "vhost batch: a kprobe event on vhost_discard_vq_desc (needed to see the rewind run)"
fi
for ring in 8 16 64; do
	for eidx in "" --no-event-idx; do
		run_exact "vhost batch: rx ring $ring, 1500 B frames over 512 B buffers${eidx:+ no-event-idx}" \
			rx --frames 5000 --size 1500 --rx-buf 512 --ring-size $ring $eidx
	done
done
if [ -n "${discards:-}" ]; then
	d=$(($(kp_hits discard) - discards))
	check "vhost batch: rx gave heads back (vhost_discard_vq_desc ran $d times)" \
		[ "$d" -gt 0 ]
fi
run_exact "vhost batch: rx ring 16, batch 5, one buffer per frame" rx \
	--frames $F --ring-size 16 --batch 5
diag "test_vhost_batch_wrap took $(($(date +%s) - t0)) s"
exit 0
