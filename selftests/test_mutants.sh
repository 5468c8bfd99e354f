#!/usr/bin/env bash
# scripts/mutants.sh --judge on fixture console logs (excerpts of a real
# KCSAN run): ptr_ring's own slot races, under whatever names KCSAN gives
# them, neither fail the control nor kill a mutant; the payload race does.
. "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
d=$(mktemp -d)
at_exit "rm -rf $d"
cp "$top"/selftests/fixtures/mutants/*.console "$d/"
out=$(MUTANTS_DIR=$d "$top/scripts/mutants.sh" --kcsan --judge no-wmb wmb-late 2>&1); rc=$?
row() { awk -v n="$1" '$1 == n' <<<"$out"; }
check "control: its two ring races (two spellings) do not fail it" \
	grep -q "survived.*beyond 2 of ptr_ring's own slot accesses" <<<"$(row control)"
check "no-wmb: killed by the payload race alone" \
	grep -qx '.*killed.*KCSAN:1x ptr_ring: data-race in ptr_ring_test_check_payload / ptr_ring_test_produce_next' <<<"$(row no-wmb)"
check "wmb-late: a ring race under a new name (timer interrupt on top) does not kill it" \
	grep -q "survived" <<<"$(row wmb-late)"
check "a surviving mutant makes the run fail (exit 1)" test "$rc" = 1
# The control with a report outside the ring's own races fails.
cp "$d/no-wmb.kcsan.console" "$d/control.kcsan.console"
out=$(MUTANTS_DIR=$d "$top/scripts/mutants.sh" --kcsan --judge no-wmb 2>&1)
check "control: a payload race fails it" \
	grep -q "killed.*ptr_ring_test_check_payload" <<<"$(row control)"
out=$(MUTANTS_DIR=$d "$top/scripts/mutants.sh" --kcsan --judge fill-wrap 2>&1)
check "a mutant without a console log is reported as not run" grep -q "not run" <<<"$(row fill-wrap)"

# The plain kernel cannot show a barrier mutant (x86 keeps stores in
# order): it is listed unjudged there and does not fail the run, while any
# other surviving mutant still does.
p=$(mktemp -d)
at_exit "rm -rf $p"
for n in control no-wmb index-count; do
	printf '    ok 1 ptr_ring_test_produce_consume\nok 1 ptr_ring\n' >"$p/$n.console"
	echo "0 1.0 1" >"$p/$n.console.run"
done
out=$(MUTANTS_DIR=$p "$top/scripts/mutants.sh" --judge no-wmb 2>&1); rc=$?
check "plain: a surviving barrier mutant is unjudged, the run passes" \
	test "$rc" = 0 -a -n "$(awk '$1 == "no-wmb" && $2 == "unjudged"' <<<"$out")"
out=$(MUTANTS_DIR=$p "$top/scripts/mutants.sh" --judge no-wmb index-count 2>&1); rc=$?
check "plain: a surviving index-count mutant still fails the run" \
	test "$rc" = 1 -a -n "$(awk '$1 == "index-count" && $2 == "survived"' <<<"$out")"
