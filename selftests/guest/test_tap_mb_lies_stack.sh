#!/usr/bin/env bash
# Frames an XDP pass program hands to the stack whose IP, UDP or TCP
# lengths lie, on 0008's multi-buffer skb and the one-page one.
# (make kernel-check T=tap_mb; the cases and their counters:
# tap_mb_lies_lib.sh).
# Gated before the shared testbed is set up.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
needs_patches "0008" "lying lengths on the multi-buffer skb of native TAP XDP (0008)"
source "$(dirname "$0")/tap_mb_lies_lib.sh"

# --- stack: lengths inside the frame that lie (pass) ----------------------
# The program passes; the skb (0008: a head page plus page_frag frags for
# more than 3456 B) meets ip_rcv/ipv6_rcv/udp_rcv/tcp_v4_rcv, which pull
# and trim it: a total length beyond the frame is InTruncatedPkts, one
# below the IP header InHdrErrors, a frame trimmed down to a cut UDP header
# or a UDP length beyond the datagram Udp InErrors, a TCP data offset below
# 5 Tcp InErrs, one beyond the segment a discard in tcp_v4_rcv (no MIB
# counter: the kfree_skb event). tun counts every one in rx_packets and
# rx_bytes: it delivered them.
attach $TAP --action pass $FR
for n in 1500 9000 65535; do
	base="prog_pass_p=1 prog_pass_b=$n rx_packets=1 rx_bytes=$n mbuf=$(mb $n)"
	case_ "pass $n B: IPv4 total length $((n - 13)) (one more than the frame): InTruncatedPkts" \
		"w:$n:host=1:iplen=$((n - 13))" "$base ip_trunc=1"
	case_ "pass $n B: IPv4 total length 65535: InTruncatedPkts" \
		"w:$n:host=1:iplen=65535" "$base ip_trunc=1"
	case_ "pass $n B: IPv4 total length 19 (< its header): InHdrErrors" \
		"w:$n:host=1:iplen=19" "$base ip_hdrerr=1"
	case_ "pass $n B: IPv6 payload length $((n - 53)) (one more): Ip6InTruncatedPkts" \
		"w:$n:host=1:l3=6:iplen=$((n - 53))" "$base ip6_trunc=1"
	case_ "pass $n B: IPv4 total length 24, trimmed to 4 B of UDP header: Udp InErrors" \
		"w:$n:host=1:iplen=24" "$base udp_inerr=1"
	case_ "pass $n B: IPv6 payload length 4, trimmed to 4 B of UDP header: Udp6InErrors" \
		"w:$n:host=1:l3=6:iplen=4" "$base udp6_inerr=1"
	case_ "pass $n B: UDP length $((n - 33)) (one more than the datagram): Udp InErrors" \
		"w:$n:host=1:l4len=$((n - 33))" "$base udp_inerr=1"
	case_ "pass $n B: IPv4 total length 30, trimmed to 10 B of TCP header: discarded in tcp_v4_rcv" \
		"w:$n:host=1:l4=tcp:iplen=30" "$base tcp_discard=1"
	case_ "pass $n B: TCP data offset 4 words: Tcp InErrs" \
		"w:$n:host=1:l4=tcp:doff=4" "$base tcp_inerr=1 tcp_discard=1"
	case_ "pass $n B: IPv4 total length 40, TCP data offset 15 words (60 B): discarded in tcp_v4_rcv" \
		"w:$n:host=1:l4=tcp:iplen=40:doff=15" "$base tcp_discard=1"
done
# The checksum field beyond the head page: virtio_net_hdr_to_skb() pulls
# csum_start + csum_offset + 2 into the head of 0008's skb (its frags
# become linear) and the frame goes on.
if [ -z "$HOST" ]; then
	case_ "pass 9000 B, NEEDS_CSUM with the field at 8998: pulled from the frags, delivered" \
		"w:9000:host=1:flags=1:cstart=8990:coff=8" \
		"prog_pass_p=1 prog_pass_b=9000 rx_packets=1 rx_bytes=9000 mbuf=1"
fi

exit 0
