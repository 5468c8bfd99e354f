#!/usr/bin/env bash
# vhost batching (patches 0009-): the avail entries vhost reads ahead must
# never outlive the ring state they were read from. Each run restarts a
# queue every few dozen or hundred frames with buffers in flight, as a
# guest reset or a migration does (detach the backend,
# VHOST_GET_VRING_BASE, re-post the buffers vhost had not taken under other
# heads, VHOST_SET_VRING_BASE, attach again): a device still serving
# entries read before the restart uses buffers out of avail order and, on
# TX, sends a frame early or twice. Every payload is verified byte for
# byte, and the order and the counts are exact.
source "$(dirname "$0")/vhost_lib.sh"
source "$(dirname "$0")/vhost_batch_lib.sh"
t0=$(date +%s)
F=${VHOST_BATCH_FRAMES:-20000}
for ring in 64 256 1024; do
	for eidx in "" --no-event-idx; do
		run_exact_rebase "ring $ring${eidx:+ no-event-idx}" tx --frames $F \
			--ring-size $ring --rebase-every 300 $eidx
	done
done
# Batches that do not divide the ring, restarts at odd counts: the bases
# vhost stops at fall at every offset of its read-ahead window.
run_exact_rebase "ring 128, batch 100, restart every 77" tx --frames $F \
	--ring-size 128 --batch 100 --rebase-every 77
run_exact_rebase "ring 16, batch 7, restart every 13" tx --frames 10000 \
	--ring-size 16 --batch 7 --rebase-every 13
# RX: vhost stops whenever the TAP has nothing more, usually with avail
# entries read ahead for the next frame - the case a stale read-ahead
# shows in. Mergeable buffers also make it give heads back.
for ring in 64 256; do
	for eidx in "" --no-event-idx; do
		run_exact_rebase "rx ring $ring${eidx:+ no-event-idx}" rx \
			--frames 10000 --ring-size $ring --rebase-every 97 $eidx
	done
done
run_exact_rebase "rx ring 16, 1500 B frames over 512 B buffers" rx \
	--frames 5000 --ring-size 16 --size 1500 --rx-buf 512 --rebase-every 31
diag "test_vhost_batch took $(($(date +%s) - t0)) s"
exit 0
