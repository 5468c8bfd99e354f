#!/usr/bin/env bash
# Every numeric option of every command: decimal only (no 0x, no octal
# "010", no exponent, no sign), a range that makes sense, and an option
# given twice is an error - all exit 2 before anything is touched.
. "$(dirname "$0")/lib.sh"
V=$VNETKIT

# command prefix | option | a valid value (to prove the table is right)
table=(
	"xdp stats --dev lo|--interval|1"
	"xdp stats --dev lo|--duration|1"
	"xdp bench|--repeat|10"
	"xdp bench|--rounds|1"
	"xdp bench|--size|64"
	"xdp attach --dev lo --action cpu|--cpu|0"
	"gen --tap x|--count|5"
	"gen --tap x|--size|64"
	"gen --tap x|--flows|2"
	"gen --tap x|--rate|100"
	"gen --tap x|--duration|1"
	"gen --tap x|--sport|9"
	"gen --tap x|--dport|9"
	"gen --tap x|--run-id|7"
	"gen --sink --tap x|--timeout|1"
	"trace|--duration|1"
	"trace|--packets|10"
	"ring bench|--ring-size|256"
	"ring bench|--ops|1000"
	"ring bench|--rounds|1"
	"ring bench|--cons-work|0"
	"ring bench|--batch|16"
	"vhost tx|--frames|10"
	"vhost tx|--size|64"
	"vhost tx|--ring-size|256"
	"vhost tx|--batch|8"
	"vhost tx|--busyloop-timeout|0"
	"vhost rx|--rx-buf|2048"
	"vhost tx|--window|8"
	"vhost tx|--inject-after|10"
	"vhost tx|--timeout|1"
	"vhost pingpong|--interval|10"
	"vhost tx --lockstep|--burst-every|100"
)
for row in "${table[@]}"; do
	IFS='|' read -r cmd opt good <<<"$row"
	bad=""
	for v in 0x10 010 1e3 -1 "+5" " 5" "" 5abc inf nan; do
		out=$($V $cmd $opt "$v" 2>&1 >/dev/null); rc=$?
		[ $rc -eq 2 ] && [[ "$out" == *"invalid value"* || ( -z "$v" && "$out" == *"empty list"* ) ]] || bad+=" '$v'(exit $rc)"
	done
	if [ -z "$bad" ]; then
		ok "$cmd $opt: hex, octal, exponent, sign, blank, junk all refused (exit 2)"
	else
		fail "$cmd $opt: accepted or wrong error for:$bad"
	fi
	out=$($V $cmd $opt "$good" $opt "$good" 2>&1 >/dev/null); rc=$?
	if [ $rc -eq 2 ] && [[ "$out" == *"$opt: given twice"* ]]; then
		ok "$cmd $opt given twice: exit 2"
	else
		fail "$cmd $opt given twice: exit $rc: $out"
	fi
done

# Fractions are fine for seconds, but a sampling interval has a floor.
expect_fail 2 "out of range [0.1, 3600]" "xdp --interval 0.05 (below 0.1 s) refused" \
	$V xdp stats --dev lo --interval 0.05
expect_fail 2 "invalid value" "xdp --interval 1e-9 refused" $V xdp stats --dev lo --interval 1e-9
expect_fail 2 "invalid value" "xdp --interval 0x10 refused" $V xdp stats --dev lo --interval 0x10
expect_fail 2 "invalid value" "ring --ring-size 010 refused (not 8)" $V ring bench --ring-size 010
expect_fail 2 "invalid value" "seconds: '1.' refused" $V xdp stats --dev lo --interval 1.
expect_fail 2 "invalid value" "seconds: '.5' refused" $V xdp stats --dev lo --interval .5
# Flags without a value, and other commands' options, are also once only.
for c in "xdp status --json --json" "testbed status --json --json" \
	"testbed up --name a --name b" "trace --json --json" "ring bench --json --json" \
	"gen --tap x --json --json" "vhost tx --json --json"; do
	expect_fail 2 "given twice" "$c: exit 2" $V $c
done
out=$($V ring bench --ring-size 64 --ops 1000 --rounds 1 --algo ptr_ring 2>&1); rc=$?
check "a valid decimal value still works (ring bench --ring-size 64): exit $rc" test $rc -eq 0
