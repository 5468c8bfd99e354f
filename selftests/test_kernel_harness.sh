#!/usr/bin/env bash
# Self-tests of the kernel workflow harness (scripts/kernel.sh, qemu.sh).
# Cheap parts always run: the serial-log parser on saved logs (a real boot
# log of the test kernel, and copies edited to carry a failing KUnit case, an
# oops, a KASAN and a lockdep report, a hang, a failing guest script), and
# the config check on a fragment whose option olddefconfig drops.
# The boots of a panicking, a failing and a hanging guest need the test
# kernel: make kernel-check runs them after the guest suite (qemu.sh
# harness; also make kernel-harness).
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
Q=$top/scripts/qemu.sh
L=$top/selftests/fixtures/kernel/logs

# parse_expect CONSOLE RESULTS RC "substring" description
parse_expect() {
	local out rc
	out=$("$Q" parse "$L/$1" "$L/$2" 2>&1); rc=$?
	if [ $rc -eq "$3" ] && grep -qE -- "$4" <<<"$out"; then
		ok "parser: $5"
	else
		fail "parser: $5 (exit $rc, want $3; no '$4')"
		sed 's/^/#   /' <<<"$out" | tail -12
	fi
}

parse_expect boot_ok.console ok.results 0 "ok 2 - kunit: list-kunit-test: list_test_list_init" \
	"a clean boot passes; each KUnit case becomes a TAP line"
out=$("$Q" parse "$L/boot_ok.console" "$L/ok.results")
check "parser: the summary line counts the guest and KUnit results" \
	grep -qE '^[0-9]+ passed, 0 failed, 1 skipped$' <<<"$out"
check "parser: terminal escape codes before a marker do not hide it" \
	bash -c '! grep -q "never reported" <<<"$1" && grep -q "^ok [0-9]* - guest/test_demo: frames counted$" <<<"$1"' _ "$out"
parse_expect kunit_fail.console ok.results 1 "not ok" \
	"a failing KUnit case fails the run"
parse_expect kunit_fail.console ok.results 1 "kunit: list-kunit-test: list_test_list_add" \
	"the failing KUnit case is named"
parse_expect kunit_fail.console ok.results 1 "kunit: suite list-kunit-test failed" \
	"the failing KUnit suite is named"
parse_expect kunit_crash.console ok.results 1 "suite list-kunit-test started but never finished" \
	"a suite that never finishes (crash inside KUnit) fails the run"
parse_expect oops.console ok.results 1 "guest kernel: BUG: kernel NULL pointer dereference" \
	"an oops fails the run and is quoted"
parse_expect kasan.console ok.results 1 "guest kernel: BUG: KASAN: slab-out-of-bounds" \
	"a KASAN report fails the run"
parse_expect lockdep.console ok.results 1 "WARNING: possible circular locking dependency detected" \
	"a lockdep splat fails the run"
parse_expect boot_ok.console hang.results 1 "guest/test_slow: no end marker" \
	"a guest script that never ends (hang, crash) fails the run"
parse_expect boot_ok.console fail.results 1 "^not ok [0-9]+ - guest/test_demo: frames counted$" \
	"a failing guest check fails the run and keeps its name"
parse_expect boot_ok.console exit.results 1 "guest/test_demo: script exited 3 after its tests" \
	"a guest script exiting non-zero fails the run"
parse_expect boot_ok.console silent.results 1 "guest/test_quiet: printed no ok/not ok" \
	"a guest script that reports nothing fails the run"
parse_expect boot_ok.console metric.results 0 "^# metric demo.pps 30555.6 pps higher" \
	"a bench script's metric lines are results (passed through for kernel-bench)"
parse_expect boot_ok.console empty.results 1 "/init never reported" \
	"a guest that never reaches /init fails the run"

# Config check: an option olddefconfig drops is an error that names it.
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
expect_fail 1 "dropped by olddefconfig, first: CONFIG_LIST_KUNIT_TEST=y" \
	"kernel.sh: a fragment option that does not survive olddefconfig is named" \
	"$top/scripts/kernel.sh" config "$top/selftests/fixtures/kernel/config/dropped.config" "$tmp"

# Run directories: the three newest of a name are kept, older ones removed,
# but never one whose boot still runs (parallel kernel-cost boots of one
# workload lost their logs to each other's pruning).
n=prune$$
mkdir -p "$top/build/qemu"
at_exit "rm -rf $top/build/qemu/$n.??????"
for i in 1 2 3 4 5; do
	mkdir "$top/build/qemu/$n.00000$i"
	: >"$top/build/qemu/$n.00000$i/.running"
	touch -d "-$((10 - i)) min" "$top/build/qemu/$n.00000$i"
done
flock "$top/build/qemu/$n.000001/.running" sleep 30 &
lk=$!
at_exit "kill $lk 2>/dev/null"
for _ in $(seq 50); do
	flock -n "$top/build/qemu/$n.000001/.running" true || break
	sleep 0.1
done
"$Q" _prune $n
kill $lk 2>/dev/null
left=$(cd "$top/build/qemu" && ls -d $n.?????? | tr '\n' ' ')
check "qemu.sh: pruning keeps the 3 newest runs and a running one, removes the rest (left: $left)" \
	test "$left" = "$n.000001 $n.000003 $n.000004 $n.000005 "

# needs_patches (selftests/lib.sh): a guest script needing a later patch
# skips on a prefix (make kernel-bisect BOOT=1) or BASE=1, naming the
# patch; with the patch, or on a kernel whose patches are unknown, it runs.
gate() {
	VNETKIT_SERIES=$1 bash -c "source '$top/selftests/lib.sh'; needs_patches '$2' 'the feature'; echo ran"
}
out=$(gate 0001,0002,0004,0004a "0004 0004a")
check "needs_patches: a kernel with every listed patch runs the script" test "$out" = ran
out=$(gate 0001,0002,0004 "0004a 0008")
# (The skip line quoted in a description without its "#", which a TAP
# reader would take for this check's own directive.)
check "needs_patches: a prefix without 0004a and 0008 skips, naming both (${out//#/})" \
	test "$out" = "ok - the feature # SKIP unavailable (this kernel lacks patch(es) 0004a 0008 of the series; it carries 0001 0002 0004)"
out=$(gate none "0001")
check "needs_patches: a base kernel (none) skips" grep -q "SKIP unavailable (this kernel lacks patch(es) 0001" <<<"$out"
out=$(gate 0002.1 "0002")
check "needs_patches: 0002.1 is not 0002 (${out//#/})" grep -q "lacks patch(es) 0002 of" <<<"$out"
out=$(gate "" "0008")
check "needs_patches: without a list (a kernel of unknown make) the script runs" test "$out" = ran
# What the build records for the guest (scripts/kernel.sh applied_list).
out=$(printf '0001-a.patch\n0002.1-b-c.patch\n0004a-d.patch\n' | bash -c "source <(sed -n '/^applied_list()/,/^}/p' '$top/scripts/kernel.sh'); applied_list")
check "kernel.sh: the applied list is the patch numbers ($out)" test "$out" = 0001,0002.1,0004a
out=$(bash -c "source <(sed -n '/^applied_list()/,/^}/p' '$top/scripts/kernel.sh'); applied_list" </dev/null)
check "kernel.sh: no patches is 'none' ($out)" test "$out" = none

exit 0
