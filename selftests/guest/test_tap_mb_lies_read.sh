#!/usr/bin/env bash
# XDP_TX and veth -> TAP redirect (0007) frames of the bound sizes read back
# whole or into short buffers; the TAP's MTU against the whole frame.
# (make kernel-check T=tap_mb; the cases and their counters:
# tap_mb_lies_lib.sh).
# Gated before the shared testbed is set up.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
needs_patches "0007 0008" "frames of the bound sizes back from XDP_TX (0008) and veth -> TAP redirect (0007)"
source "$(dirname "$0")/tap_mb_lies_lib.sh"

# --- tx: XDP_TX frames of the bound sizes come back whole ------------------
# rx_bytes counts the whole frame (0008: xdp_get_buff_len(), not the head;
# a mutant run counting the head failed every case above 3456 B: README).
# Reads into buffers shorter than the frame get its start and the length
# read (0007's frag walk stops where the buffer does: an equivalent mutant
# is to drop its "ret == size" condition, copy_page_to_iter() into a full
# iter copies nothing); a buffer shorter than the vnet header gets EINVAL
# and the frame is gone.
attach $TAP --action tx $FR
in_ns "$TF" -t $TAP drain:0 >/dev/null
sizes="64 3456 3457 4097 7552 7553 9000 65535 73088" short=9000
[ -n "$HOST" ] && sizes="64 3456" short=3456
# One case per size (the rx_bytes of each), the short reads in one (each
# read's own line judged).
for n in $sizes; do
	WANT="w $n ok=1 fail=0 errno=0
r $((n + 112)) $n ret=$((n + 12)) match=1 swapped=1" \
	case_ "tx, $n B: back out of the TAP fd whole, MACs swapped, rx_bytes +$n" \
		"w:$n r:$((n + 112)):$n" "prog_tx_p=1 prog_tx_b=$n rx_packets=1 rx_bytes=$n mbuf=$(mb $n)"
done
cmds= w= k=0 bufs=
for b in 11 12 100 3467 3468 3469 4108 7564 7565 9011; do
	[ $b -lt $((short + 12)) ] || continue
	if [ $b -lt 12 ]; then
		r="r $b $short ret=-EINVAL match=0 swapped=0"
	else
		r="r $b $short ret=$b match=1 swapped=$([ $b -ge 24 ] && echo 1 || echo 0)"
	fi
	cmds+=" w:$short r:$b:$short" k=$((k + 1)) bufs+=" $b"
	w+="w $short ok=1 fail=0 errno=0"$'\n'"$r"$'\n'
done
WANT=${w%$'\n'} \
case_ "tx, $k frames of $short B read into$bufs B: each its first bytes (EINVAL below the vnet header), nothing past the buffer" \
	"$cmds" "prog_tx_p=$k prog_tx_b=$((k * short)) rx_packets=$k rx_bytes=$((k * short)) mbuf=$((k * $(mb $short)))"

# --- redir: veth -> TAP (0007) -------------------------------------------
# vktl1 sends, vktl2's program redirects to the TAP; with frags its frames
# are multi-buffer xdp_frames built by veth (a 3520 B head and page frags
# of its own). Every size arrives whole; reads into short buffers get the
# start. The devmap checks the whole frame (xdp_get_frame_len()) against
# the TAP's MTU + 18: one byte more is an xdp_redirect_err (EMSGSIZE), not
# a truncated frame.
in_ns "$V" xdp detach --dev $TAP >/dev/null
attach vktl2 --action redirect --to $TAP $FR
in_ns "$TF" -t $TAP drain:0 >/dev/null
sizes="60 1500 3456 3457 3520 3521 4097 7617 9000 65535" short=9000
[ -n "$HOST" ] && sizes="60 1514" short=1514
cmds= w=
for n in $sizes; do
	cmds+=" s:$n r:$((n + 112)):$n"
	w+="s $n ok=1 fail=0 errno=0"$'\n'"r $((n + 112)) $n ret=$((n + 12)) match=1 swapped=0"$'\n'
done
WANT=${w%$'\n'} \
case_ "redirect veth -> TAP, ${sizes// /, } B: each through the TAP fd whole" "$cmds" ""
cmds= w=
for b in 11 12 100 1000 3468 3532 3533 4108 7629 9011; do
	[ $b -lt $((short + 12)) ] || continue
	if [ $b -lt 12 ]; then
		r="r $b $short ret=-EINVAL match=0 swapped=0"
	else
		r="r $b $short ret=$b match=1 swapped=0"
	fi
	cmds+=" s:$short r:$b:$short"
	w+="s $short ok=1 fail=0 errno=0"$'\n'"$r"$'\n'
done
WANT=${w%$'\n'} \
case_ "redirect veth -> TAP, $short B frames read into short buffers: each its first bytes (EINVAL below the vnet header)" \
	"$cmds" ""
m=4000
[ -n "$HOST" ] && m=1000
ip -n "$NS" link set $TAP mtu $m
WANT="s $((m + 18)) ok=1 fail=0 errno=0
r $((m + 130)) $((m + 18)) ret=$((m + 30)) match=1 swapped=0" \
case_ "redirect into a TAP of MTU $m, $((m + 18)) B (MTU + 18): delivered" \
	"s:$((m + 18)) r:$((m + 130)):$((m + 18))" ""
for n in $((m + 19)) $short; do
	WANT="s $n ok=1 fail=0 errno=0
r $((n + 112)) $n ret=-ETIMEDOUT match=0 swapped=0" \
	case_ "redirect into a TAP of MTU $m, $n B: refused by the devmap$([ -z "$HOST" ] && echo " (xdp_redirect_err)"), nothing through the fd" \
		"s:$n r:$((n + 112)):$n" "redirect_err=1"
done
in_ns "$V" xdp detach --dev vktl2 >/dev/null
exit 0
