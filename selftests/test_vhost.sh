#!/usr/bin/env bash
# vnetkit vhost on the host: everything that runs without /dev/vhost-net
# (argument errors, the missing-device message, a device that is not
# vhost-net). The traffic tests run in the QEMU guest:
# selftests/guest/test_vhost.sh through `make kernel-check`.
source "$(dirname "$0")/lib.sh"

V=$VNETKIT

expect_fail 2 "vnetkit vhost: missing subcommand" "vhost: no mode prints usage" $V vhost
expect_fail 2 "unknown subcommand 'fast'" "vhost: unknown mode" $V vhost fast
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
expect_fail 2 "(only to: tx)" "vhost: --xdp-drop needs tx" $V vhost rx --xdp-drop
expect_fail 2 "(only to: tx)" "vhost: --inject needs tx" $V vhost pingpong --inject loop
expect_fail 2 "(only to: pingpong)" "vhost: --spin needs pingpong" $V vhost tx --spin
expect_fail 2 "(only to: rx)" "vhost: --via-xdp needs rx" $V vhost tx --via-xdp
expect_fail 2 "(only to: pingpong)" "vhost: --interval needs pingpong" \
	$V vhost rx --interval 100
expect_fail 2 "not one of the choices (bad-addr, loop)" "vhost: unknown --inject chain" \
	$V vhost tx --inject nonsense
expect_fail 2 "below --frames" "vhost: --inject-after beyond the run" \
	$V vhost tx --frames 10 --inject bad-addr --inject-after 10
expect_fail 2 "enable mergeable buffers" "vhost: RX buffer too small without MRG_RXBUF" \
	$V vhost rx --no-mrg-rxbuf --size 1500 --rx-buf 512
expect_fail 2 "half of the RX ring" "vhost: mergeable frame larger than the ring" \
	$V vhost rx --ring-size 4 --size 9000 --rx-buf 128

expect_fail 2 "leaves no frame for the cost window" "vhost: --warmup >= --frames refused" \
	$V vhost tx --frames 10 --warmup 10
expect_fail 2 "expected DRIVER_CPU,WORKER_CPU" "vhost: --pin needs two CPUs" \
	$V vhost tx --pin 0
expect_fail 2 "(only to: tx)" "vhost: --publish-every needs tx" \
	$V vhost rx --publish-every 1
expect_fail 2 "larger than --batch" "vhost: --publish-every above the batch refused" \
	$V vhost tx --batch 4 --publish-every 8
expect_fail 2 "(only to: tx)" "vhost: --lockstep needs tx" \
	$V vhost pingpong --lockstep
expect_fail 2 "cannot be used with --lockstep" "vhost: --lockstep with --inject refused" \
	$V vhost tx --lockstep --inject loop
expect_fail 2 "(only to: tx, rx)" "vhost: --rebase-every not with pingpong" \
	$V vhost pingpong --rebase-every 100
expect_fail 2 "cannot be used with --rebase-every" "vhost: --rebase-every with --inject refused" \
	$V vhost tx --rebase-every 100 --inject loop
expect_fail 2 "out of range" "vhost: --rebase-every 0 refused" \
	$V vhost tx --rebase-every 0
expect_fail 2 "needs --busyloop-timeout" "vhost: --busyloop-change-every needs a timeout" \
	$V vhost tx --busyloop-change-every 100
expect_fail 2 "out of range" "vhost: --busyloop-change-every 0 refused" \
	$V vhost rx --busyloop-timeout 50 --busyloop-change-every 0
expect_fail 2 "(only to: pingpong)" "vhost: --rtt-log needs pingpong" \
	$V vhost tx --rtt-log /tmp/x
expect_fail 1 "vnetkit vhost pingpong: --rtt-log: cannot create /nonexistent-$$/rtt" "vhost: an --rtt-log that cannot be created is an error before any device" \
	$V vhost pingpong --rtt-log /nonexistent-$$/rtt
expect_fail 2 "add --lockstep" "vhost: --burst-every needs --lockstep" \
	$V vhost tx --burst-every 100
expect_fail 2 "a single frame" "vhost: --burst-every with --batch 1 refused" \
	$V vhost tx --lockstep --burst-every 100 --batch 1
expect_fail 2 "does not fit in every" "vhost: --burst-every below --batch refused" \
	$V vhost tx --lockstep --burst-every 4 --batch 8
expect_fail 2 "cannot be used with --burst-every" "vhost: --burst-every with --publish-every refused" \
	$V vhost tx --lockstep --burst-every 100 --publish-every 1
expect_fail 2 "(only to: tx)" "vhost: --burst-every needs tx" \
	$V vhost rx --burst-every 100

# regions: the fixed ring addresses the cost plugin is given, computed here
# independently from the virtio split-ring layout (desc 16 B, avail
# 2 * (3 + n) B, used at the next 4 KiB, 6 + 8 * n B; rings page-rounded).
up() { echo $(((($1) + $2 - 1) / $2 * $2)); }
layout() {	# layout N RXBUF TXBUF: the expected regions (64-bit shell math)
	local n=$1 rxb=$2 txb=$3 base=$((0x7e0000000000)) uo ring r i q
	uo=$(up $((16 * n + 2 * (3 + n))) 4096)
	ring=$(up $((uo + 6 + 8 * n)) 4096)
	for i in 0 1; do
		q=$([ $i = 0 ] && echo rx || echo tx)
		r=$((base + i * ring))
		printf 'region=%s.desc:0x%x:0x%x\n' $q $r $((16 * n))
		printf 'region=%s.avail:0x%x:0x%x\n' $q $((r + 16 * n)) $((2 * (3 + n)))
		printf 'region=%s.used:0x%x:0x%x\n' $q $((r + uo)) $((6 + 8 * n))
	done
	printf 'region=rx.buf:0x%x:0x%x\n' $((base + 2 * ring)) $((rxb * n))
	printf 'region=tx.buf:0x%x:0x%x\n' $((base + 2 * ring + $(up $((rxb * n)) 4096))) $((txb * n))
}
for args in "256 128 76" "1024 1536 1526"; do
	set -- $args
	size=$(($3 - 12))
	got=$($V vhost regions --ring-size $1 --size $size 2>&1 | sort)
	want=$(layout "$@" | sort)
	if [ "$got" = "$want" ]; then
		ok "vhost regions: ring $1, frame $size B: desc/avail/used/buf at the fixed split-ring addresses"
	else
		fail "vhost regions: ring $1, frame $size B: got [$got] want [$want]"
	fi
done

# The cost window markers (include/vk_cost_mark.h: nopl 0x564b4301/02)
# are compiled into the binary that the guest runs.
if command -v objdump >/dev/null; then
	marks=$(objdump -d "$(command -v $V)" | grep -cE 'nopl +0x564b430[12]\(%rax\)')
	check "vhost/gen: cost window markers in the binary ($marks)" [ "${marks:-0}" -ge 4 ]
else
	skip "vhost/gen: cost window markers in the binary" "objdump (binutils) missing"
fi

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
