#!/usr/bin/env bash
# vnetkit vhost rx in the QEMU guest (make kernel-check): real /dev/vhost-net.
# Every frame of every run is verified byte for byte by vnetkit itself; the
# checks here read its JSON report. Under TCG about a minute per half.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
N=${VHOST_TEST_FRAMES:-100000}

if [ ! -e /dev/vhost-net ]; then
	skip "vhost: guest tests" "no /dev/vhost-net in this guest kernel"
	exit 0
fi

# jget FIELD JSON: a top-level number (or string) of a vnetkit JSON report.
jget() { echo "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" | head -1; }

# run_ok DESC ARGS...: the run must exit 0 with result ok and every frame
# verified; prints a one-line diagnostic with its per-frame counts.
run_ok() {
	local d=$1 out rc frames
	shift
	out=$($V vhost "$@" --json 2>/tmp/vhost.err); rc=$?
	frames=$(echo " $* " | sed -n 's/.* --frames \([0-9]*\) .*/\1/p')
	frames=${frames:-$N}
	if [ $rc -eq 0 ] && [ "$(jget result "$out")" = ok ] &&
	   [ "$(jget verified "$out")" = "$frames" ] &&
	   [ "$(jget corrupt "$out")" = 0 ] && [ "$(jget lost "$out")" = 0 ]; then
		ok "$d"
		diag "$(echo "$out" | sed -e 's/.*"pps":\([0-9.]*\).*/pps \1/') $(echo "$out" |
			sed -n 's/.*"tx":{"kicks":\([0-9]*\).*"interrupts":\([0-9]*\).*"used_per_reap":\([0-9.]*\).*"rx":{"kicks":\([0-9]*\).*"interrupts":\([0-9]*\).*"used_per_reap":\([0-9.]*\).*/tx kicks \1 irqs \2 used\/reap \3; rx kicks \4 irqs \5 used\/reap \6/p')"
	else
		fail "$d (exit $rc: $(head -c 300 /tmp/vhost.err) $(echo "$out" | head -c 300))"
	fi
	LAST=$out
}

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
merged=$(echo "$LAST" | sed -n 's/.*"rx":{[^}]*"used":\([0-9]*\).*/\1/p')
check "vhost rx: mergeable frames took 3 buffers each ($merged for 10000)" \
	[ "${merged:-0}" -ge 30000 ]
run_ok "vhost rx: 1500 B frames in one buffer without MRG_RXBUF" rx \
	--frames 10000 --size 1500 --no-mrg-rxbuf
run_ok "vhost rx: legacy virtio (no VERSION_1, 10 B header)" rx \
	--frames 10000 --no-version-1 --no-mrg-rxbuf
diag "test_vhost_rx took $(($(date +%s) - t0)) s"
exit 0
