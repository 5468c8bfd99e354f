#!/usr/bin/env bash
# XDP frames into a VM through vhost-net (make kernel-check T=tap_mb): vnetkit
# vhost rx --via-xdp sends its frames into a veth whose multi-buffer
# redirect program hands them to the TAP, so vhost_net receives xdp_frames
# (vhost_net_buf_peek_len, tun_put_user_xdp). 4000 and 9000 B frames are
# multi-buffer: they need the tun patches (NDO_XMIT_SG, frags copied out,
# full peek length) and arrive over several mergeable buffers or in one
# large buffer. vnetkit verifies every frame byte for byte.
source "$(dirname "$0")/vhost_lib.sh"
needs_patches "0006 0007" "multi-buffer XDP frames into vhost-net through a TAP (0006 peek length, 0007 NDO_XMIT_SG)"
F=${TAP_MB_VHOST_FRAMES:-2000}
for size in 1500 4000 9000; do
	run_ok "vhost rx via XDP_REDIRECT, $size B frames over 2 KiB mergeable buffers" \
		rx --via-xdp --frames $F --size $size --rx-buf 2048
	used=$(jv .rx.used "$LAST")
	# The veth's own traffic (IPv6 link-up: router solicitation, MLD) is
	# redirected too and reaches the ring as foreign frames of one 2 KiB
	# buffer each: ours need exactly ceil((size + 12) / 2048) each.
	foreign=$(jv .foreign "$LAST")
	want=$(((size + 12 + 2047) / 2048 * F + ${foreign:-0}))
	check "vhost rx via XDP_REDIRECT, $size B: $used buffers used for $F frames + $foreign foreign (want $want)" \
		test "${used:-0}" = $want
	run_ok "vhost rx via XDP_REDIRECT, $size B frames in one buffer each (no MRG_RXBUF)" \
		rx --via-xdp --frames $F --size $size --no-mrg-rxbuf
done
exit 0
