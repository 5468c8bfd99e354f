#!/usr/bin/env bash
# KUnit in the guest: the suites built into the test kernel ran at boot and
# none failed. The host harness also parses the boot log's KTAP (one TAP line
# per case); this reads the same results back from debugfs, so a suite whose
# console output was lost still counts.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

d=/sys/kernel/debug/kunit
if [ ! -d "$d" ]; then
	fail "kunit: $d missing (CONFIG_KUNIT and CONFIG_KUNIT_DEBUGFS are in patches/kernel.config)"
	exit 0
fi
suites=0
for s in "$d"/*/; do
	s=${s%/}
	[ -r "$s/results" ] || continue
	name=$(basename "$s")
	suites=$((suites + 1))
	total=$(grep -cE '^    (not )?ok [0-9]+ ' "$s/results")
	failed=$(grep -E '^    not ok [0-9]+ ' "$s/results" | grep -v '# SKIP' | sed -E 's/^ +not ok [0-9]+ //')
	if [ -n "$failed" ]; then
		fail "kunit: $name: failed case(s): $(echo $failed)"
	elif grep -q '^not ok ' "$s/results"; then
		fail "kunit: $name: the suite failed (its cases passed: a suite_init or exit error)"
	elif [ "$total" -eq 0 ]; then
		fail "kunit: $name: no test case results in $s/results"
	else
		ok "kunit: $name: $total case(s) passed or skipped"
	fi
done
check "kunit: at least one suite ran at boot ($suites)" test "$suites" -gt 0
exit 0
