# shellcheck shell=bash
# Frames whose lengths lie, on the TAP paths of patches 0007 and 0008: what
# test_tap_mb_lies_{write,stack,read}.sh share (make kernel-check T=tap_mb;
# they are in the default guest suite, so DEBUG=1 runs them under KASAN: a
# read past a buffer would splat there and fail the run). Three scripts, so
# each stays well within the guest's per-script limit under TCG:
#   size   writes of every length around the bounds 0008 uses: the head
#          (TUN_XDP_HEAD_LEN, 3456 B on x86-64), a page, a page of frag, the
#          last frag, 64 KiB, the most native XDP takes (3456 + 17 pages =
#          73088 B) and the most generic XDP's copy takes (73152 B)
#   vnet   a virtio_net_hdr whose hdr_len, csum_start + csum_offset,
#          gso_type/gso_size or num_buffers lie, on one-page and
#          multi-buffer frames
#   stack  frames an xdp.frags pass program hands to the stack whose IPv4
#          total length, IPv6 payload length, UDP length or TCP data offset
#          claim more (or less) than the frame has
#   tx     XDP_TX frames of the bound sizes back out of the TAP fd whole,
#          and read into short buffers
#   redir  veth -> TAP redirect (0007) of the bound sizes, short reads, and
#          the TAP's MTU applied to the whole multi-buffer frame
# Each case names the counters it moves; every other counter of the list in
# snap() must not move, so a frame counted twice, or in the wrong place,
# fails as surely as one counted nowhere. Which check each case guards is
# said where the case is.
#
# The host's own TAP (selftests/test_tap_lies.sh, TAP_LIES_HOST=1): the same
# cases where the host kernel can run them: no kprobes there (the generic
# and multi-buffer counts are not judged, rx_dropped still tells a native
# drop from a generic one), no trace events (shared with every other test:
# the redirect errors and tcp_v4_rcv discards are not judged), and, without
# rx_sg on its TAP, single-buffer programs only.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh" 2>/dev/null ||
	source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HOST=${TAP_LIES_HOST:-}
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
TF=${TAP_FRAMES:-$(command -v tap_frames)}
NS=vktl$$
TAP=vktl0
KP=vktl_$$
TRACE=/sys/kernel/tracing
TI=$TRACE/instances/$KP
T=$(mktemp -d)
at_exit "rm -rf $T"

if [ ! -x "$TF" ]; then
	fail "tap_mb_lies: tap_frames is not there (GUEST_BINS, selftests/tap_frames.mk)"
	exit 0
fi
in_ns() { ip netns exec "$NS" "$@"; }

# --- counters -----------------------------------------------------------
# In a trace instance of our own: do_xdp_generic() calls (generic XDP) and
# tun_build_xdp_frags() calls (the multi-buffer native path) through kprobe
# events, skbs freed in tcp_v4_rcv and in tun_get_user() (tun's frame
# errors: it counts them in tun->rx_frame_errors, but a TAP's statistics
# do not show that counter - tap_netdev_ops has no ndo_get_stats64, so
# rx_frame_errors stays 0 in sysfs and netlink; seen on 6.12 and 6.18),
# redirect errors. tun_build_xdp_frags()
# is static: its symbol may carry a suffix (.constprop.0) or, inlined, be
# missing, and then its count is not judged.
MB_SYM=
if [ -z "$HOST" ]; then
	MB_SYM=$(grep -oE ' tun_build_xdp_frags(\.[a-z0-9.]+)?$' /proc/kallsyms | head -1 | tr -d ' ')
	mkdir "$TI" || { fail "tap_mb_lies: trace instance $TI (tracefs)"; exit 0; }
	at_exit "rmdir $TI"
	kp_on() {
		echo "p:${KP}_$1 $2" >>"$TRACE/kprobe_events" || return 1
		at_exit "echo '-:${KP}_$1' >>$TRACE/kprobe_events"
		at_exit "echo 0 >$TI/events/kprobes/${KP}_$1/enable"
		echo 1 >"$TI/events/kprobes/${KP}_$1/enable"
	}
	if ! kp_on gen do_xdp_generic; then
		fail "tap_mb_lies: cannot add a kprobe event on do_xdp_generic (CONFIG_KPROBE_EVENTS)"
		exit 0
	fi
	[ -n "$MB_SYM" ] && kp_on mb "$MB_SYM"
	for e in skb/kfree_skb xdp/xdp_redirect_err xdp/xdp_redirect_map_err; do
		at_exit "echo 0 >$TI/events/$e/enable"
		echo 1 >"$TI/events/$e/enable"
	done
	echo 16384 >"$TI/buffer_size_kb" 2>/dev/null
	echo 1 >"$TI/tracing_on"
fi

# snap: every counter a case may move, "name value" a line, in four
# processes (a TCG guest under load spends most of a case starting them).
snap() {
	in_ns "$V" xdp stats --dev $TAP --json 2>/dev/null |
		jq -r '(.total // {}) | to_entries[] | "prog_\(.key)_p \(.value.packets)", "prog_\(.key)_b \(.value.bytes)"'
	# sysfs counters, then /proc/net/snmp and netstat (a line of names,
	# then one of values), then snmp6.
	in_ns awk 'FILENAME ~ /statistics/ { sub(/.*\//, "", FILENAME); print FILENAME, $1; next }
		FILENAME ~ /snmp6/ { if ($1 == "Ip6InTruncatedPkts") print "ip6_trunc", $2
			if ($1 == "Udp6InErrors") print "udp6_inerr", $2; next }
		{ if (h[$1] == "") { h[$1] = $0; next }
			split(h[$1], n); for (i = 2; i <= NF; i++) v[n[1] n[i]] = $i; h[$1] = "" }
		END { print "ip_hdrerr", v["Ip:InHdrErrors"]; print "ip_trunc", v["IpExt:InTruncatedPkts"]
			print "udp_inerr", v["Udp:InErrors"]; print "tcp_inerr", v["Tcp:InErrs"] }' \
		/sys/class/net/$TAP/statistics/{rx_dropped,rx_frame_errors,rx_packets,rx_bytes} \
		/proc/net/snmp /proc/net/netstat /proc/net/snmp6
	[ -n "$HOST" ] || awk -v kp="$KP" -v mb="$MB_SYM" '
		$0 ~ kp "_gen:" { g++ } $0 ~ kp "_mb:" { m++ }
		/xdp_redirect(_map)?_err:/ { r++ } /kfree_skb:.*location=tcp_v4_rcv/ { t++ }
		/kfree_skb:.*location=tun_get_user/ { u++ }
		END { print "generic", g + 0; if (mb != "") print "mbuf", m + 0
			print "redirect_err", r + 0; print "tcp_discard", t + 0
			print "tun_free", u + 0 }' "$TI/trace"
}

# case DESC 'CMD...' 'name=delta ...': run tap_frames CMD on the TAP (and
# the veth), then every counter must have moved by its delta, and every
# counter not named by 0. The tap_frames lines must be those of $WANT (a
# regular expression per line, in order) when it is set. Named counters
# snap() does not have here (HOST, no kprobe) are not judged.
case_() {
	local desc=$1 cmds=$2 bad out i
	local -a got want
	# The counters after one case are those before the next (attach()
	# starts over: a new program counts from 0).
	[ -s "$T/b" ] && mv "$T/b" "$T/a" || snap >"$T/a"
	# shellcheck disable=SC2086
	out=$(in_ns "$TF" -t $TAP -d vktl1 $cmds 2>&1)
	snap >"$T/b"
	bad=$(awk -v want=" $3 " 'NR == FNR { a[$1] = $2; next }
		($1 in a) { v = 0; if (index(want, " " $1 "=")) { v = substr(want, index(want, " " $1 "=") + length($1) + 2); sub(/ .*/, "", v) }
			if ($2 - a[$1] != v) printf " %s:%d/%d", $1, $2 - a[$1], v }' "$T/a" "$T/b")
	if [ -n "${WANT:-}" ]; then
		mapfile -t got <<<"$out"
		mapfile -t want <<<"$WANT"
		for i in "${!want[@]}"; do
			[[ "${got[i]:-}" =~ ^${want[i]}$ ]] || bad+=" line$((i + 1)):'${got[i]:-}'"
		done
		[ ${#got[@]} = ${#want[@]} ] || bad+=" lines:${#got[@]}/${#want[@]}"
	fi
	check "$desc${bad:+ (moved/expected:$bad)}" test -z "$bad"
	[ -z "$bad" ] || diag "tap_frames: $(tr '\n' ';' <<<"$out")"
}

# --- the testbed: our namespace, a TAP with a vnet header, a veth pair ----
vk_netns "$NS" || { fail "tap_mb_lies: netns $NS"; exit 0; }
# The host's TAP runs single-buffer programs only: the veth's MTU must fit
# one (its max_mtu without frags).
MTU=65535 FR=--frags
[ -n "$HOST" ] && MTU=1500 FR=
in_ns sysctl -qw net.ipv6.conf.all.disable_ipv6=0 2>/dev/null
ip -n "$NS" tuntap add dev $TAP mode tap vnet_hdr
ip -n "$NS" link add vktl1 type veth peer name vktl2
for d in vktl1 vktl2; do
	ip -n "$NS" link set $d mtu $MTU arp off addrgenmode none up
done
# tun's largest MTU: 65535 less the Ethernet header.
ip -n "$NS" link set $TAP mtu 65521 txqueuelen 4096 arp off addrgenmode none up
ip -n "$NS" addr add 192.0.2.2/24 dev $TAP
ip -n "$NS" addr add 2001:db8::2/64 dev $TAP nodad
if [ -z "$HOST" ] && [ -z "$MB_SYM" ]; then
	skip "multi-buffer path counted through a kprobe on tun_build_xdp_frags" \
		"kprobe target tun_build_xdp_frags (inlined in this build: the rest still runs)"
fi
attach() {
	rm -f "$T/b"
	in_ns "$V" xdp detach --dev "$1" >/dev/null 2>&1
	in_ns "$V" xdp attach --dev "$1" --mode native "${@:2}" >/dev/null 2>"$T/attach.err" ||
		fail "tap_mb_lies: xdp attach $*: $(cat "$T/attach.err")"
}
# mb N: 1 when a write of N bytes is multi-buffer (frags-aware program).
mb() { [ "$1" -gt 3456 ] && [ -n "$FR" ] && echo 1 || echo 0; }

