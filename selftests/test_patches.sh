#!/usr/bin/env bash
# Static checks of the kernel patch series (no kernel build): every patch in
# patches/series has a subsystem-prefixed subject, a body, our Signed-off-by
# and passes checkpatch.pl --strict, and the series applies to a clean 6.12
# copy with --fuzz=0. The checker itself is tested on fixtures that must be
# rejected (selftests/fixtures/kernel/).
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
K=$top/scripts/kernel.sh
FX=$top/selftests/fixtures/kernel
# Scratch copies go to a directory of this run (same file system as the
# pristine tree, for cp -al), so a leak is ours, not a concurrent run's.
export KERNEL_SCRATCH
KERNEL_SCRATCH=$(mktemp -d "$top/build/test_patches.XXXXXX")
at_exit "rm -rf $KERNEL_SCRATCH"

n=$(sed -e 's/#.*//' "$top/patches/series" | grep -c '[^[:space:]]' || true)
out=$("$K" check-series "$top/patches" 2>&1); rc=$?
if [ $rc -eq 0 ]; then
	ok "series: all $n patch(es) pass subject/body/Signed-off-by/checkpatch --strict"
else
	fail "series: static checks"
	sed 's/^/# /' <<<"$out"
fi
if [ "$n" -eq 0 ]; then
	ok "series: empty, nothing to apply (the fixtures below exercise the apply check)"
else
	out=$("$K" apply "$top/patches" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then ok "series: applies to a clean 6.12 copy with --fuzz=0"
	else fail "series: does not apply with --fuzz=0"; sed 's/^/# /' <<<"$out"; fi
fi

# The files in patches/ themselves, as a reviewer of the quilt series runs
# checkpatch on them, with the settings of the posting (make submit; new
# files: the MAINTAINERS question, FILE_PATH_CHANGES, is ignored as there):
# --strict, 80 columns, codespell. One line per file, the first findings
# named; the fixture shows this catches what check-series (100 columns)
# lets through.
src=$("$top/scripts/kernel-src.sh")
spell=()
for d in /usr/share/codespell/dictionary.txt /usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt; do
	[ -r "$d" ] && { spell=(--codespell --codespellfile="$d"); break; }
done
direct() {	# direct FILE: checkpatch findings, none when clean
	(cd "$src" && perl scripts/checkpatch.pl --strict --max-line-length=80 "${spell[@]}" \
		--ignore FILE_PATH_CHANGES --show-types --terse "$1" 2>&1) | grep -E ': (ERROR|WARNING|CHECK):' | sed "s#^$1:#line #"
}
for f in "$top"/patches/*.patch; do
	[ -e "$f" ] || continue
	res=$(direct "$f")
	if [ -z "$res" ]; then
		ok "file $(basename "$f"): checkpatch.pl --strict, 80 columns${spell:+, codespell}: clean"
	else
		fail "file $(basename "$f"): checkpatch.pl --strict, 80 columns: $(wc -l <<<"$res") finding(s): $(head -3 <<<"$res" | paste -sd ';')"
	fi
done
res=$(direct "$FX/cols80/0001-cols80.patch")
if "$K" check-series "$FX/cols80" >/dev/null 2>&1 && [[ "$res" == *"LONG_LINE_COMMENT: line length of 92 exceeds 80 columns"* ]]; then
	ok "file check: an 87-column comment passes check-series (100) but not the 80-column file check"
else
	fail "file check: cols80 fixture not flagged as expected: $res"
fi

# Fragment syntax: only CONFIG_X=v, "# CONFIG_X is not set", comments, blanks;
# no option set twice.
bad=$(grep -vE '^(#.*|CONFIG_[A-Za-z0-9_]+=.+|)$' "$top/patches/kernel.config")
dups=$(sed -nE 's/^(CONFIG_[A-Za-z0-9_]+)=.*/\1/p; s/^# (CONFIG_[A-Za-z0-9_]+) is not set/\1/p' \
	"$top/patches/kernel.config" | sort | uniq -d)
if [ -z "$bad$dups" ]; then
	ok "kernel.config: well-formed, no option set twice"
else
	fail "kernel.config: malformed lines '${bad}' or duplicates '${dups}'"
fi

# The checker on fixtures: the good patch passes, each broken one is
# rejected with the reason named.
check "checker: a well-formed patch passes" "$K" check-series "$FX/good"
reject() {	# reject FIXTURE "expected message" description
	local out rc
	out=$("$K" check-series "$FX/$1" 2>&1); rc=$?
	if [ $rc -ne 0 ] && [[ "$out" == *"$2"* ]]; then
		ok "checker: rejects $3"
	else
		fail "checker: $3 not rejected (exit $rc: $out)"
	fi
}
reject nosob "missing 'Signed-off-by: vnetkit developers" "a patch without Signed-off-by"
reject noprefix "has no subsystem prefix" "a subject without a subsystem prefix"
reject nobody "commit message has no body" "a patch without a body"
reject style "ERROR:TRAILING_WHITESPACE" "a patch checkpatch --strict flags"

check "apply: the well-formed patch applies with --fuzz=0" "$K" apply "$FX/good"
expect_fail 1 "applies only with fuzz" "apply: a patch that needs fuzz is an error" \
	"$K" apply "$FX/fuzz"
expect_fail 1 "0001-noapply.patch (1/1) does not apply" "apply: a patch that does not apply is named" \
	"$K" apply "$FX/noapply"
# make kernel-bisect FROM/TO: a position or a patch number; a range the
# series does not have is a usage error before anything is built.
expect_fail 2 "'0042' names 0 patches of the series" "bisect: FROM naming no patch is a usage error" \
	env BISECT_FROM=0042 "$K" bisect
expect_fail 2 "'99' names 0 patches" "bisect: TO past the series is a usage error" \
	env BISECT_TO=99 "$K" bisect
expect_fail 2 "FROM 0009-vhost-fetch-avail-heads-in-batches.patch comes after TO 0004-vhost-add-tracepoints.patch" \
	"bisect: FROM after TO is a usage error" env BISECT_FROM=0009 BISECT_TO=0004 "$K" bisect
left=$(ls -A "$KERNEL_SCRATCH")
check "apply: leaves no scratch tree behind" test -z "$left"
exit 0
