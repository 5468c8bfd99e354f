#!/usr/bin/env bash
# vnetkit vhost on the host: everything that runs without /dev/vhost-net
# (argument errors, the missing-device message, a device that is not
# vhost-net). The traffic tests run in the QEMU guest:
# selftests/guest/test_vhost.sh through `make kernel-check`.
source "$(dirname "$0")/lib.sh"

V=$VNETKIT

expect_fail 2 "usage: vnetkit vhost" "vhost: no mode prints usage" $V vhost
expect_fail 2 "unknown mode 'fast'" "vhost: unknown mode" $V vhost fast
expect_fail 2 "not a power of 2" "vhost: --ring-size 100 refused" \
	$V vhost tx --ring-size 100
expect_fail 2 "out of range" "vhost: --ring-size 65536 refused" \
	$V vhost tx --ring-size 65536
expect_fail 2 "out of range" "vhost: --frames 0 refused" $V vhost tx --frames 0
expect_fail 2 "invalid value" "vhost: --frames abc refused" $V vhost rx --frames abc
expect_fail 2 "out of range" "vhost: --size 59 refused" $V vhost tx --size 59
expect_fail 2 "larger than --ring-size" "vhost: --batch above ring size refused" \
	$V vhost tx --ring-size 64 --batch 65
expect_fail 2 "needs a value" "vhost: option without its value" $V vhost tx --frames
expect_fail 2 "unknown option '--bogus'" "vhost: unknown option" $V vhost tx --bogus
expect_fail 2 "'tx' only" "vhost: --xdp-drop needs tx" $V vhost rx --xdp-drop
expect_fail 2 "'tx' only" "vhost: --inject needs tx" $V vhost pingpong --inject loop
expect_fail 2 "'pingpong' only" "vhost: --spin needs pingpong" $V vhost tx --spin
expect_fail 2 "paces pingpong only" "vhost: --interval needs pingpong" \
	$V vhost rx --interval 100
expect_fail 2 "expected bad-addr or loop" "vhost: unknown --inject chain" \
	$V vhost tx --inject nonsense
expect_fail 2 "below --frames" "vhost: --inject-after beyond the run" \
	$V vhost tx --frames 10 --inject bad-addr --inject-after 10
expect_fail 2 "enable mergeable buffers" "vhost: RX buffer too small without MRG_RXBUF" \
	$V vhost rx --no-mrg-rxbuf --size 1500 --rx-buf 512
expect_fail 2 "half of the RX ring" "vhost: mergeable frame larger than the ring" \
	$V vhost rx --ring-size 4 --size 9000 --rx-buf 128

out=$($V vhost --help 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"--busyloop-timeout US"* ]] &&
   [ "$(echo "$out" | awk 'length > 80' | wc -l)" -eq 0 ]; then
	ok "vhost: --help exits 0, documents the options, fits 80 columns"
else
	fail "vhost: --help (exit $rc)"
fi

# Not a vhost-net device: refused at VHOST_SET_OWNER, nothing created.
before=$(ip -o link | wc -l)
expect_fail 1 "/dev/null is not a vhost-net device" \
	"vhost: --dev /dev/null is refused as not vhost-net" \
	$V vhost tx --frames 10 --dev /dev/null
expect_fail 1 "cannot open /nonexistent" "vhost: --dev to a missing path" \
	$V vhost tx --dev /nonexistent
after=$(ip -o link | wc -l)
check "vhost: failed starts leave no interface behind" [ "$before" -eq "$after" ]

if [ -e /dev/vhost-net ]; then
	skip "vhost: clear message without /dev/vhost-net" \
		"this kernel has /dev/vhost-net (traffic tests run in the guest suite)"
else
	for m in tx rx pingpong; do
		expect_fail 1 "no /dev/vhost-net on this kernel" \
			"vhost $m: clear 'no /dev/vhost-net on this kernel' error" \
			$V vhost $m --frames 10
	done
fi
exit 0
