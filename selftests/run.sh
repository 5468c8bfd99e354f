#!/usr/bin/env bash
# vnetkit test runner. Runs every selftests/test_*.sh (or those whose name
# contains FILTER), renumbers their TAP lines and ends with
#   N passed, N failed[, N skipped]
# A test script prints "ok - what", "not ok - what" or
# "ok - what # SKIP <missing capability>"; "# ..." lines are diagnostics.
set -u
cd "$(dirname "$0")/.."
filter=${1:-}
export VNETKIT=${VNETKIT:-$PWD/build/vnetkit}
export VNETKIT_ROOT=$PWD

pass=0 fail=0 skip=0 n=0
echo "TAP version 13"
for t in selftests/test_*.sh; do
	name=$(basename "$t" .sh)
	[ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
	echo "# $name"
	out=$(mktemp)
	bash "$t" >"$out" 2>&1
	rc=$?
	saw=0
	while IFS= read -r line; do
		case "$line" in
		"ok "*|"not ok "*)
			saw=1
			n=$((n + 1))
			if [[ "$line" == "not ok"* ]]; then
				fail=$((fail + 1))
				echo "not ok $n ${line#not ok }"
			elif [[ "$line" == *"# SKIP"* ]]; then
				skip=$((skip + 1))
				echo "ok $n ${line#ok }"
			else
				pass=$((pass + 1))
				echo "ok $n ${line#ok }"
			fi ;;
		*) echo "#   $line" ;;
		esac
	done <"$out"
	rm -f "$out"
	if [ $rc -ne 0 ] || [ $saw -eq 0 ]; then
		n=$((n + 1)); fail=$((fail + 1))
		echo "not ok $n - $name: script exited $rc after its tests"
	fi
done
echo "1..$n"
if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ $fail -eq 0 ]
