#!/usr/bin/env bash
# vnetkit vhost tx in the QEMU guest (make kernel-check): real /dev/vhost-net.
# Every frame of every run is verified byte for byte by vnetkit itself; the
# checks here read its JSON report. Under TCG it takes about a minute.
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

t0=$(date +%s)
# TX: every payload verified, ring sizes x event index x mergeable buffers
# (MRG_RXBUF and VERSION_1 decide the header length TX frames carry).
for ring in 64 256 1024; do
	for eidx in "" --no-event-idx; do
		for mrg in "" --no-mrg-rxbuf; do
			f="ring $ring${eidx:+ no-event-idx}${mrg:+ no-mrg}"
			run_ok "vhost tx: $N frames verified, $f" tx --frames $N \
				--ring-size $ring $eidx $mrg
		done
	done
done
run_ok "vhost tx: 1500 B frames" tx --frames 10000 --size 1500
run_ok "vhost tx: legacy virtio (no VERSION_1, 10 B header)" tx \
	--frames 10000 --no-version-1 --no-mrg-rxbuf
run_ok "vhost tx: one frame per kick" tx --frames 10000 --batch 1
diag "test_vhost took $(($(date +%s) - t0)) s"
exit 0
