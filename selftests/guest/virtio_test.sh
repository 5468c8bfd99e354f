#!/usr/bin/env bash
# Upstream's tools/virtio/virtio_test against the series' vhost core, in the
# virtio-test kernel (make kernel-check VIRTIO_TEST=1; scripts/kernel.sh
# builds both tools from the patched tree). virtio_test is a virtio driver
# in user space (drivers/virtio/virtio_ring.c compiled for it) and
# vhost_test.ko the device: drivers/vhost/test.c, which uses every buffer
# through vhost_get_vq_desc() and vhost_add_used_and_signal(). Each run
# pushes 0x100000 buffers through a 256-entry ring, 16 laps of the 16-bit
# avail index, and checks every used entry: virtio_ring refuses a head it
# did not make available (the driver then waits forever, killed after
# RUN_LIMIT s) and virtio_test asserts its counts. The --reset runs are in
# virtio_test_reset.sh.
source "$(dirname "$0")/vhost_test_lib.sh"

vt "defaults: event index, indirect, VERSION_1, batch 1"
vt "no event index" --no-event-idx
vt "no indirect descriptors" --no-indirect
vt "legacy ring, native endian" --no-virtio-1
vt "delayed interrupts" --delayed-interrupt
vt "batches of 32" --batch=32
vt "batches of a whole ring" --batch=256
vt "random batches" --batch=random
vt "random batches, flags off" --batch=random --no-event-idx --no-indirect \
	--no-virtio-1 --delayed-interrupt
vt_unload virtio_test
exit 0
