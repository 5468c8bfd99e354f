#!/usr/bin/env bash
# Writes whose lengths lie: sizes around every bound of 0008, virtio_net_hdr
# fields that lie.
# (make kernel-check T=tap_mb; the cases and their counters:
# tap_mb_lies_lib.sh).
# Gated before the shared testbed is set up.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
needs_patches "0008" "TAP writes around the bounds of native multi-buffer XDP (0008)"
source "$(dirname "$0")/tap_mb_lies_lib.sh"

# --- size: writes around every bound -------------------------------------
# Up to 3456 B one page (native, no frags), 3457..73088 native over frags
# (tun_build_xdp_frags once each; the guard len > TUN_XDP_FRAGS_MAX_LEN in
# tun_can_build_xdp_frags() is what keeps 73089 from an 18th frag, past
# sinfo->frags[]: without it 73089 would count mbuf 1, generic 0). Native
# drops count rx_dropped, generic ones not. Above 73152 B generic XDP
# cannot copy the skb into page_pool pages (skb_pp_cow_data: 3520 + 17
# pages) and linearises it instead (netif_skb_check_for_xdp()): the
# program still sees it, whole.
if [ -z "$HOST" ]; then
	attach $TAP --action drop --frags
	for n in 14 64 3455 3456 3457 73088; do
		case_ "frags drop, $n B write: native$([ "$(mb $n)" = 1 ] && echo ", multi-buffer"), counted once with its length" \
			"w:$n" "prog_drop_p=1 prog_drop_b=$n rx_dropped=1 mbuf=$(mb $n)"
	done
	# Between the bounds (pages and frags just below, at and above a page,
	# 64 KiB): one case, every write's own line judged.
	cmds= w= b=0 k=0
	for n in 4095 4096 4097 7551 7552 7553 9000 65535 65536 65537 73087; do
		cmds+=" w:$n" b=$((b + n)) k=$((k + 1))
		w+="w $n ok=1 fail=0 errno=0"$'\n'
	done
	WANT=${w%$'\n'} \
	case_ "frags drop, $k writes of 4095..73087 B: native, multi-buffer, $b bytes counted" \
		"$cmds" "prog_drop_p=$k prog_drop_b=$b rx_dropped=$k mbuf=$k"
	for n in 73089 73152; do
		case_ "frags drop, $n B write (past 3456 + 17 pages): generic XDP, the program counts it" \
			"w:$n" "prog_drop_p=1 prog_drop_b=$n generic=1"
	done
	WANT="w 73153 ok=1 fail=0 errno=0
w 100000 ok=1 fail=0 errno=0" \
	case_ "frags drop, 73153 and 100000 B writes (past generic XDP's 3520 + 17 pages): generic XDP, linearised, counted" \
		"w:73153 w:100000" "prog_drop_p=2 prog_drop_b=173153 generic=2"
else
	skip "native multi-buffer XDP on TAP writes (3457..73088 B)" \
		"rx_sg on the host kernel's TAP (the series' 0008)"
fi
# The TAP's MTU is the guest's receive size, not a bound on what it
# writes: at MTU 1500, writes of 1514, 1515 and 9000 B are native drops
# all the same (9000 multi-buffer with a frags-aware program).
attach $TAP --action drop $FR
ip -n "$NS" link set $TAP mtu 1500
n9=9000
[ -n "$HOST" ] && n9=3456
WANT="w 1514 ok=1 fail=0 errno=0
w 1515 ok=1 fail=0 errno=0
w $n9 ok=1 fail=0 errno=0" \
case_ "TAP MTU 1500: writes of 1514, 1515 and $n9 B are native drops" "w:1514 w:1515 w:$n9" \
	"prog_drop_p=3 prog_drop_b=$((3029 + n9)) rx_dropped=3 mbuf=$(mb $n9)"
ip -n "$NS" link set $TAP mtu 65521
# A program without frags support: 3456 B is still one page and native,
# 3457 takes generic XDP (the head bound, tun_can_build_skb()).
attach $TAP --action drop
WANT="w 0 ok=0 fail=1 errno=EINVAL
w 1 ok=0 fail=1 errno=EINVAL
w 13 ok=0 fail=1 errno=EINVAL" \
case_ "writes of 0, 1 and 13 B (less than an Ethernet header): EINVAL, counted nowhere" "w:0 w:1 w:13" ""
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
# gso_type check, as tun_build_skb() for one page): a gso_size of 0 or
# 65535 (GSO_BY_FRAGS) or an unknown gso_type is a frame error before any
# XDP, a gso_size larger than the frame is not GSO and runs generic XDP.
# Without the gso_type check in 0008 the 3457 and 9000 B ones would be
# native drops (rx_dropped 1, generic 0) and the bad ones dropped instead
# of refused (a mutant run without it failed exactly those 5: README).
# The host kernel (6.18) checks hdr_len against what is left after the
# first 10 bytes of the 12-byte header (tun_vnet_hdr_get()), so it takes
# hdr_len up to the frame + 2: those cases run on 6.12 only.
attach $TAP --action drop $FR
sizes="64 3457 9000"
[ -n "$HOST" ] && sizes=64
for n in $sizes; do
	mb=$(mb $n)
	# Refused, each with its own line: hdr_len past the frame (the frame
	# + 1 and 65535), below an Ethernet header, and csum_start +
	# csum_offset + 2 one past the frame.
	cmds="w:$n:hdrlen=65535 w:$n:hdrlen=13" w="w $n ok=0 fail=1 errno=EINVAL
w $n ok=0 fail=1 errno=EINVAL"
	if [ -z "$HOST" ]; then
		cmds+=" w:$n:hdrlen=$((n + 1)) w:$n:flags=1:cstart=$((n - 10)):coff=9"
		w+="
w $n ok=0 fail=1 errno=EINVAL
w $n ok=0 fail=1 errno=EINVAL"
	fi
	WANT=$w \
	case_ "$n B, hdr_len 65535, 13$([ -z "$HOST" ] && echo ", $((n + 1)), csum_start $((n - 10)) + csum_offset 9 + 2"): EINVAL, counted nowhere" \
		"$cmds" ""
	# Taken, each a native drop of the whole frame: hdr_len the whole
	# frame, the checksum field's end at the frame's, num_buffers 65535
	# (the receiver's field).
	WANT="w $n ok=1 fail=0 errno=0
w $n ok=1 fail=0 errno=0
w $n ok=1 fail=0 errno=0" \
	case_ "$n B, hdr_len $n, csum_start $((n - 10)) + csum_offset 8 + 2, num_buffers 65535: native drops" \
		"w:$n:hdrlen=$n w:$n:flags=1:cstart=$((n - 10)):coff=8 w:$n:nbuf=65535" \
		"prog_drop_p=3 prog_drop_b=$((3 * n)) rx_dropped=3 mbuf=$((3 * mb))"
	# A frame error: EINVAL, the skb freed in tun_get_user().
	WANT="w $n ok=0 fail=1 errno=EINVAL
w $n ok=0 fail=1 errno=EINVAL
w $n ok=0 fail=1 errno=EINVAL" \
	case_ "$n B, GSO TCPv4 with gso_size 0, gso_size 65535 (GSO_BY_FRAGS), gso_type 5 (none such): frame errors, no XDP" \
		"w:$n:l4=tcp:gso=1:gsosize=0 w:$n:l4=tcp:gso=1:gsosize=65535 w:$n:l4=tcp:gso=5:gsosize=1000" \
		"tun_free=3"
	case_ "GSO TCPv4, gso_size 65534 > $n B: not GSO, generic XDP drops it" \
		"w:$n:l4=tcp:gso=1:gsosize=65534" "prog_drop_p=1 prog_drop_b=$n generic=1"
done
case_ "GSO TCPv4, gso_size 1448 on 9000 B (a real GSO frame): generic XDP" \
	"w:9000:l4=tcp:gso=1:gsosize=1448" "prog_drop_p=1 prog_drop_b=9000 generic=1"

exit 0
