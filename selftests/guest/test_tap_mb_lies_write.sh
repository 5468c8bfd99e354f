#!/usr/bin/env bash
# Writes whose lengths lie: sizes around every bound of 0008, virtio_net_hdr
# fields that lie.
# (make kernel-check T=tap_mb; the cases and their counters:
# tap_mb_lies_lib.sh).
source "$(dirname "$0")/tap_mb_lies_lib.sh"

# --- size: writes around every bound -------------------------------------
# Up to 3456 B one page (native, no frags), 3457..73088 native over frags
# (tun_build_xdp_frags once each; the guard len > TUN_XDP_FRAGS_MAX_LEN in
# tun_can_build_xdp_frags() is what keeps 73089 from an 18th frag, past
# sinfo->frags[]: without it 73089 would count mbuf 1, generic 0). Native
# drops count rx_dropped, generic ones not. Above 73152 B generic XDP
# cannot copy the skb into page_pool pages (skb_pp_cow_data: 3520 + 17
# pages) and drops it before the program runs.
if [ -z "$HOST" ]; then
	attach $TAP --action drop --frags
	for n in 14 64 3455 3456 3457 4095 4096 4097 7551 7552 7553 9000 \
		65535 65536 65537 73087 73088; do
		case_ "frags drop, $n B write: native$([ "$(mb $n)" = 1 ] && echo ", multi-buffer"), counted once with its length" \
			"w:$n" "prog_drop_p=1 prog_drop_b=$n rx_dropped=1 mbuf=$(mb $n)"
	done
	for n in 73089 73152; do
		case_ "frags drop, $n B write (past 3456 + 17 pages): generic XDP, the program counts it" \
			"w:$n" "prog_drop_p=1 prog_drop_b=$n generic=1"
	done
	for n in 73153 100000; do
		case_ "frags drop, $n B write (past generic XDP's 3520 + 17 pages): dropped before the program" \
			"w:$n" "generic=1"
	done
else
	skip "native multi-buffer XDP on TAP writes (3457..73088 B)" \
		"rx_sg on the host kernel's TAP (the series' 0008)"
fi
# A program without frags support: 3456 B is still one page and native,
# 3457 takes generic XDP (the head bound, tun_can_build_skb()).
attach $TAP --action drop
for n in 0 1 13; do
	WANT="w $n ok=0 fail=1 errno=EINVAL" \
	case_ "write of $n B (less than an Ethernet header): EINVAL, counted nowhere" "w:$n" ""
done
case_ "single-buffer drop, 14 B: native" "w:14" "prog_drop_p=1 prog_drop_b=14 rx_dropped=1"
case_ "single-buffer drop, 3456 B: native" "w:3456" "prog_drop_p=1 prog_drop_b=3456 rx_dropped=1"
case_ "single-buffer drop, 3457 B: generic" "w:3457" "prog_drop_p=1 prog_drop_b=3457 generic=1"
case_ "single-buffer drop, 73088 B: generic" "w:73088" "prog_drop_p=1 prog_drop_b=73088 generic=1"

# --- vnet: virtio_net_hdr fields that lie --------------------------------
# tun_get_user() refuses hdr_len beyond the frame (and csum_start +
# csum_offset + 2 beyond it, which raises hdr_len) with EINVAL before any
# path or counter; a hdr_len or checksum field that fits is not read on the
# native path. num_buffers is the receiver's field: a writer's value is
# ignored. GSO frames never take native XDP (tun_can_build_xdp_frags()'s
# gso_type check, as tun_build_skb() for one page): a gso_size of 0 or an
# unknown gso_type is a frame error (rx_frame_errors) before any XDP, a
# gso_size larger than the frame is not GSO and runs generic XDP. Without
# the gso_type check in 0008 the 9000 B ones would be native drops
# (rx_dropped 1, generic 0) and the bad ones dropped instead of refused.
# The host kernel (6.18) checks hdr_len against what is left after the
# first 10 bytes of the 12-byte header (tun_vnet_hdr_get()), so it takes
# hdr_len up to the frame + 2; it refuses a gso_size larger than the frame
# too, and its sysfs rx_frame_errors stayed 0 for every refused GSO frame
# (measured): those cases run on 6.12 only.
attach $TAP --action drop $FR
sizes="64 3457 9000"
[ -n "$HOST" ] && sizes=64
for n in $sizes; do
	mb=$(mb $n)
	if [ -z "$HOST" ]; then
		WANT="w $n ok=0 fail=1 errno=EINVAL" \
		case_ "hdr_len $((n + 1)) on $n B: EINVAL, counted nowhere" "w:$n:hdrlen=$((n + 1))" ""
		WANT="w $n ok=0 fail=1 errno=EINVAL" \
		case_ "NEEDS_CSUM, csum_start $((n - 10)) + csum_offset 9 + 2 > $n B: EINVAL" \
			"w:$n:flags=1:cstart=$((n - 10)):coff=9" ""
	fi
	WANT="w $n ok=0 fail=1 errno=EINVAL" \
	case_ "hdr_len 65535 on $n B: EINVAL, counted nowhere" "w:$n:hdrlen=65535" ""
	WANT="w $n ok=0 fail=1 errno=EINVAL" \
	case_ "hdr_len 13 (< Ethernet header) on $n B: EINVAL" "w:$n:hdrlen=13" ""
	case_ "hdr_len $n on $n B (all of it): native drop" "w:$n:hdrlen=$n" \
		"prog_drop_p=1 prog_drop_b=$n rx_dropped=1 mbuf=$mb"
	case_ "NEEDS_CSUM, csum_start $((n - 10)) + csum_offset 8 + 2 = $n B: native drop" \
		"w:$n:flags=1:cstart=$((n - 10)):coff=8" "prog_drop_p=1 prog_drop_b=$n rx_dropped=1 mbuf=$mb"
	case_ "num_buffers 65535 on $n B: ignored, native drop of $n B" "w:$n:nbuf=65535" \
		"prog_drop_p=1 prog_drop_b=$n rx_dropped=1 mbuf=$mb"
	[ -z "$HOST" ] || continue
	case_ "GSO TCPv4, gso_size 0 on $n B: frame error, no XDP" \
		"w:$n:l4=tcp:gso=1:gsosize=0" "rx_frame_errors=1"
	case_ "gso_type 5 (none such) on $n B: frame error, no XDP" \
		"w:$n:l4=tcp:gso=5:gsosize=1000" "rx_frame_errors=1"
	case_ "GSO TCPv4, gso_size 65535 > $n B: not GSO, generic XDP drops it" \
		"w:$n:l4=tcp:gso=1:gsosize=65535" "prog_drop_p=1 prog_drop_b=$n generic=1"
done
case_ "GSO TCPv4, gso_size 1448 on 9000 B (a real GSO frame): generic XDP" \
	"w:9000:l4=tcp:gso=1:gsosize=1448" "prog_drop_p=1 prog_drop_b=9000 generic=1"

exit 0
