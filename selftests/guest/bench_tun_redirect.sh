#!/usr/bin/env bash
# XDP_REDIRECT from a veth into a TAP in the QEMU guest: the tun_xdp_xmit()
# path (make kernel-bench runs this on the base and the patched kernel and
# prints the ratios). vnetkit gen sends through AF_PACKET on one end of a
# veth pair; an XDP program on the other end redirects every frame into a
# TAP, read by vnetkit gen --sink. With threaded NAPI on the veth the
# frames reach tun_xdp_xmit() in devmap bulks of up to 16.
#
# Under TCG the CPU is emulated: absolute rates mean little, only ratios
# between kernels of the same run do. The traced round (fentry/fexit on
# tun_xdp_xmit via vnetkit trace) gives the time inside tun_xdp_xmit() per
# frame and the frames per call; probe overhead is the same on both kernels.
#
# Output: one line per metric,
#   metric <name> <median> <unit> <higher|lower> min=<v> max=<v> rounds=<n>
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
ROUNDS=${TUN_BENCH_ROUNDS:-7}
N=${TUN_BENCH_FRAMES:-20000}
NS=vkp1b$$
TMP=$(mktemp -d)

at_exit "rm -rf $TMP"
at_exit "$V testbed down --name $NS"

if [ ! -e /dev/net/tun ]; then
	echo "# bench_tun_redirect: unavailable (no /dev/net/tun in this kernel)"
	exit 0
fi
echo "# bench_tun_redirect: TCG guest: absolute figures are emulation, compare ratios"

in_ns() { ip netns exec "$NS" "$@"; }

# stats NAME UNIT DIR VALUES...: median, min, max of the rounds.
stats() {
	local name=$1 unit=$2 dir=$3
	shift 3
	printf '%s\n' "$@" | grep -v '^$' | sort -g | awk -v n="$name" -v u="$unit" -v d="$dir" '
		{ v[NR] = $1 }
		END {
			if (!NR) { print "# " n ": unavailable (no samples)"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "metric %s %.4g %s %s min=%.4g max=%.4g rounds=%d\n",
			       n, m, u, d, v[1], v[NR], NR
		}'
}

setup() {
	exec 5>&2 2>"$TMP/attach"
	trap 'exec 2>&5 5>&-' RETURN
	# The namespace, the veth pair and the TAP come from vnetkit testbed:
	# gen --sink reads only from a TAP a testbed created and recorded.
	"$V" testbed up --name "$NS" --tap vkbt0 --veth vkb0 --peer vkb1 >&2 || return 1
	# Large enough that the ring never fills: this measures the path,
	# not drops.
	ip -n "$NS" link set vkbt0 txqueuelen $((N + 1024)) arp off up || return 1
	in_ns "$V" xdp attach --dev vkb1 --action redirect --to vkbt0 \
		--mode native >&2 || return 1
}

# one_round THREADED [TRACE]: prints the reader's pps (and, with TRACE,
# the trace report to $TMP/trace.json).
one_round() {
	local i sink js
	in_ns sh -c "echo $1 >/sys/class/net/vkb1/threaded" 2>/dev/null
	rm -f "$TMP/ready"
	ip netns exec "$NS" "$V" gen --sink --tap vkbt0 --count "$N" --timeout 3 \
		--ready "$TMP/ready" --json >"$TMP/sink.json" 2>"$TMP/sink.err" &
	sink=$!
	for ((i = 0; i < 100; i++)); do
		[ -e "$TMP/ready" ] && break
		sleep 0.1
	done
	if [ -n "${2:-}" ]; then
		"$V" trace --stages tun_xdp_xmit --counters none --methods fentry,kprobe \
			--json -- ip netns exec "$NS" "$V" gen --dev vkb0 --count "$N" \
			--json >"$TMP/trace.json" 2>"$TMP/trace.err"
	else
		in_ns "$V" gen --dev vkb0 --count "$N" --json >"$TMP/gen.json" 2>&1
	fi
	wait $sink
	js=$(cat "$TMP/sink.json")
	[ "$(jv .duplicates "$js")" = 0 ] || return 1
	jv .pps "$js"
}

if ! setup; then
	echo "# bench_tun_redirect: unavailable (set-up failed: $(head -c 200 "$TMP/attach"))"
	exit 0
fi

declare -a thr sirq nsf fpc
for ((r = 0; r < ROUNDS; r++)); do
	thr+=("$(one_round 1)")
	sirq+=("$(one_round 0)")
done
stats tun_redirect_threaded_pps pps higher "${thr[@]}"
stats tun_redirect_softirq_pps pps higher "${sirq[@]}"

# Traced rounds: time inside tun_xdp_xmit() per frame, frames per call.
for ((r = 0; r < ROUNDS; r++)); do
	one_round 1 trace >/dev/null
	line=$(jq -c '.stages[]? | select(.name == "tun_xdp_xmit")' "$TMP/trace.json" 2>/dev/null)
	if [ "$(jv .status "$line")" != ok ]; then
		echo "# tun_xdp_xmit trace: unavailable ($(jv .reason "$line")$(head -c 200 "$TMP/trace.err"))"
		break
	fi
	calls=$(jv .calls "$line")
	pkts=$(jv .packets "$line")
	lat=$(jv .latency_ns.avg "$line")
	[ -n "$calls" ] && [ -n "$pkts" ] && [ -n "$lat" ] && [ "$pkts" -gt 0 ] || continue
	nsf+=("$(awk -v l="$lat" -v c="$calls" -v p="$pkts" 'BEGIN { printf "%.1f", l * c / p }')")
	fpc+=("$(awk -v c="$calls" -v p="$pkts" 'BEGIN { printf "%.2f", p / c }')")
done
stats tun_xdp_xmit_ns_per_frame ns lower "${nsf[@]}"
stats tun_xdp_xmit_frames_per_call frames higher "${fpc[@]}"
