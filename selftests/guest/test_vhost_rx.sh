#!/usr/bin/env bash
# vnetkit vhost rx in the QEMU guest (make kernel-check): real /dev/vhost-net.
# Every frame of every run is verified byte for byte by vnetkit itself; the
# checks here read its JSON report. Under TCG about a minute per half.
source "$(dirname "$0")/vhost_lib.sh"
# test_vhost_rx_noeidx.sh runs this script with --no-event-idx: the two
# halves of the matrix each stay well inside the guest's per-script limit.
eidx=${VHOST_RX_EIDX:-}
t0=$(date +%s)
# RX: every payload verified, ring sizes x event index x mergeable buffers.
for ring in 64 256 1024; do
	for mrg in "" --no-mrg-rxbuf; do
		f="ring $ring${eidx:+ no-event-idx}${mrg:+ no-mrg}"
		run_ok "vhost rx: $N frames verified, $f" rx --frames $N \
			--ring-size $ring $eidx $mrg
	done
done
if [ -n "$eidx" ]; then
	diag "test_vhost_rx $eidx took $(($(date +%s) - t0)) s"
	exit 0
fi
# Mergeable buffers for real: 1500 B frames over 512 B buffers (3 each).
run_ok "vhost rx: 1500 B frames merged from 512 B buffers" rx --frames 10000 \
	--size 1500 --rx-buf 512
merged=$(jv .rx.used "$LAST")
check "vhost rx: mergeable frames took 3 buffers each ($merged for 10000)" \
	[ "${merged:-0}" -ge 30000 ]
run_ok "vhost rx: 1500 B frames in one buffer without MRG_RXBUF" rx \
	--frames 10000 --size 1500 --no-mrg-rxbuf
run_ok "vhost rx: legacy virtio (no VERSION_1, 10 B header)" rx \
	--frames 10000 --no-version-1 --no-mrg-rxbuf
diag "test_vhost_rx took $(($(date +%s) - t0)) s"
exit 0
