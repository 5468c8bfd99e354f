#!/usr/bin/env bash
# Upstream's tools/virtio/virtio_test --reset against the series' vhost core
# (see virtio_test.sh). --reset stops the device mid-stream with buffers in
# flight (VHOST_TEST_SET_BACKEND -1), resets the driver's ring to avail
# index 0 with a fresh free list, VHOST_SET_VRING_BASE 0 and starts the
# device again: the case "vhost: batching fetches" broke in 2020 (the
# descriptors it had fetched ahead survived VHOST_SET_VRING_BASE), for
# which its --batch and --reset options were written. A reset comes after
# N completions (--reset: N = 1) and then each time the count has doubled:
# about 20 per run, the early ones with the ring index still below 64, so
# vhost's read-ahead from before a reset covers the indices used after it;
# the laps after the last reset still wrap the 16-bit index 8 times.
# Random batches make the driver recycle heads in another order on each
# side of a reset, so an entry served from before a reset can name a
# buffer that is not the one at that index now. Whether it does depends
# on timing: the --reset runs are repeated.
source "$(dirname "$0")/vhost_test_lib.sh"
RESET_RUNS=${VIRTIO_TEST_RESET_RUNS:-4}

for ((i = 1; i <= RESET_RUNS; i++)); do
	vt "resets with buffers in flight, run $i of $RESET_RUNS" --batch=random --reset
done
vt "resets, no event index" --batch=random --reset --no-event-idx
vt "resets, legacy ring" --batch=random --reset --no-virtio-1
vt "resets from 1000 completions on, batches of 64" --batch=64 --reset=1000
vt_unload virtio_test_reset
exit 0
