#!/usr/bin/env bash
# make submit (scripts/submit.sh): every blocking rule rejects its fixture
# with a message naming the patch and the rule; a valid series produces a
# posting whose mails parse, carry the right prefixes and numbering and
# rebuild the branch exactly; v2 after v1 carries a changelog and the
# range-diff; the real patches/series passes; the pristine tree is untouched.
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
submit=$top/scripts/submit.sh
fx=$top/selftests/fixtures/submit
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"
tree=$top/build/submit/tree
# Postings are recorded in the shared tree under their --name: make this
# run's names unique (make check may run twice at once) and drop them after.
id=st$$
drop_records() {
	[ -d "$tree/.git" ] || return 0
	git -C "$tree" for-each-ref --format='%(refname)' refs/vnetkit refs/heads/vnetkit |
		grep -E "^refs/(heads/)?vnetkit/$id-" | while read -r r; do git -C "$tree" update-ref -d "$r"; done
	git -C "$tree" config --get-regexp "^vnetkit\\.$id-" | while read -r k _; do git -C "$tree" config --unset "$k"; done
}
at_exit drop_records

if ! "$top/scripts/setup.sh" submit >/dev/null 2>&1; then
	fail "scripts/setup.sh submit (git-email, b4) failed"
	exit 0
fi
pristine=$("$top/scripts/kernel-src.sh" 2>/dev/null) || { fail "scripts/kernel-src.sh: no pristine 6.12 tree"; exit 0; }

# run NAME ARGS...: submit.sh with a private output directory; stdout and
# stderr in $tmp/NAME.out, exit status in $rc.
run() {
	local n=$1 t0=$SECONDS
	shift
	"$submit" "$@" >"$tmp/$n.out" 2>&1
	rc=$?
	diag "submit $n: exit $rc, $((SECONDS - t0)) s"
}

# ---- usage ----
expect_fail 2 "--target 'linus'" "usage: an unknown target is rejected" \
	"$submit" --target linus --patches "$fx/good"
expect_fail 2 "--version '0'" "usage: version 0 is rejected" \
	"$submit" --version 0 --patches "$fx/good"
expect_fail 2 "unknown argument" "usage: an unknown option is rejected" "$submit" --frobnicate

# ---- one fixture per rule: blocked, with the patch and the rule named ----
# fixture | expected substring | rule
while IFS='|' read -r dir want rule; do
	run "$dir" --patches "$fx/$dir" --name "$id-$dir" --builds build_gcc --out "$tmp/out-$dir"
	if [ "$rc" -eq 1 ] && grep -F -- "$want" "$tmp/$dir.out" | grep -qF "[rule: $rule]" &&
		[ ! -e "$tmp/out-$dir" ]; then
		ok "rule $rule: fixture $dir blocked: $(grep -F "[rule: $rule]" "$tmp/$dir.out" | head -1 | cut -c1-110)"
	else
		fail "rule $rule: fixture $dir not blocked as expected (exit $rc, want 1 and '$want'):$(sed 's/^/ | /' "$tmp/$dir.out")"
	fi
done <<'EOF'
too-many|series: 16 patches, netdev takes at most 15|max-15-patches
mail-format|patch 1/1 (0001-tun-comment.patch): no From:/Subject:|mail-format
no-signoff|patch 1/1 (0001-tun-fix-grammar-in-the-tun_struct-comment.patch): no 'Signed-off-by|signed-off-by
no-prefix|patch 1/1 (0001-fix-grammar-in-the-tun_struct-comment.patch): subject 'Fix grammar in the tun_struct comment' lacks a subsystem prefix|subsystem-prefix
bad-fixes|patch 1/1 (0001-tun-fix-grammar-in-the-tun_struct-comment.patch): malformed 'Fixes: 1234abcd (tun: persist device settings)'|fixes-tag
no-apply|patch 1/1 (0001-tun-fix-grammar-in-the-tun_struct-comment.patch): does not apply|applies
checkpatch|patch 1/1 (0001-lib-bcd-keep-_bin2bcd-on-one-line.patch): ERROR:TRAILING_WHITESPACE|checkpatch
no-build|patch 1/2 (0001-lib-bcd-name-the-_bcd2bin-argument-after-what-it-hol.patch): does not build on its own|bisect-build
w1|patch 1/1 (0001-lib-bcd-name-the-tens-digit-in-_bin2bcd.patch): new W=1 warning: lib/bcd.c: variable 'tens' set but not used|w1-new-warning
EOF
# The bisect rule must blame the broken step only: its repair is fine.
if grep -q 'patch 2/2.*\[rule: bisect-build\]' "$tmp/no-build.out"; then
	fail "bisect-build: patch 2/2 (the repair) was blamed too"
else
	ok "bisect-build: only the breaking patch 1/2 is blamed, the repair 2/2 is not"
fi

# (The rule fixtures build with gcc x86_64 only; the three toolchains are
# tested by the build-32bit and build-clang fixtures below.)
# W=1 is judged against the base: lib/vsprintf.c has a W=1 warning in 6.12
# already; a patch that adds none must pass.
run w1-base --patches "$fx/w1-base" --name $id-w1-base --builds build_gcc --out "$tmp/out-w1-base"
if [ "$rc" -eq 0 ] && grep -q 'gcc x86_64 W=1 C=1: base: 1 object(s) built, 1 warning(s) in touched files' "$tmp/w1-base.out" &&
	grep -q 'gcc x86_64 W=1 C=1: patch 1/1: built 1 object(s), no new warnings' "$tmp/w1-base.out"; then
	ok "rule w1-new-warning: a warning the base already has (lib/vsprintf.c) does not block"
else
	fail "w1-base fixture: exit $rc:$(sed 's/^/ | /' "$tmp/w1-base.out")"
fi

# ---- a valid series: the posting ----
run good --patches "$fx/good" --name $id-good --builds build_gcc --out "$tmp/v1"
if [ "$rc" -ne 0 ]; then
	fail "valid fixture series passes (exit $rc):$(sed 's/^/ | /' "$tmp/good.out")"
else
	ok "valid fixture series passes every check"
fi
mapfile -t mails < <(ls "$tmp"/v1/*.patch 2>/dev/null)
check "v1: cover letter + 2 patches written (${#mails[@]} files)" test "${#mails[@]}" -eq 3

# mails_ok DIR PREFIX N: each mail parses with git mailinfo, subjects carry
# "[PREFIX i/N]" in order, an author, a body; patches carry a diff.
mails_ok() {
	local dir=$1 pfx=$2 total=$3 i=0 f subj
	for f in "$dir"/*.patch; do
		git mailinfo -k "$tmp/msg" "$tmp/patch" <"$f" >"$tmp/info" 2>&1 || { echo "mailinfo failed on $f"; return 1; }
		subj=$(sed -n 's/^Subject: //p' "$tmp/info")
		[[ "$subj" == "[$pfx $i/$total] "* ]] || { echo "$f: subject '$subj', want '[$pfx $i/$total] ...'"; return 1; }
		grep -q '^Author: .' "$tmp/info" && grep -q '^Email: .*@' "$tmp/info" || { echo "$f: no author"; return 1; }
		[ -s "$tmp/msg" ] || { echo "$f: empty body"; return 1; }
		if [ "$i" -gt 0 ] && ! grep -q '^diff --git ' "$tmp/patch"; then echo "$f: no diff"; return 1; fi
		i=$((i + 1))
	done
	[ "$i" -eq $((total + 1)) ] || { echo "$i mails, want $((total + 1))"; return 1; }
}
if msg=$(mails_ok "$tmp/v1" "PATCH net-next" 2); then
	ok "v1: mails parse (git mailinfo), subjects [PATCH net-next 0/2] .. [PATCH net-next 2/2]"
else
	fail "v1: mails: $msg"
fi

cover=$(ls "$tmp"/v1/0000-cover-letter.patch 2>/dev/null)
if [ -n "$cover" ] && ! grep -q '\*\*\*' "$cover" &&
	grep -q '^Subject: \[PATCH net-next 0/2\] tun: comment fixes (selftest fixture)$' "$cover" &&
	grep -q '^Results: comment-only' "$cover" && grep -q '^base-commit: [0-9a-f]\{40\}$' "$cover"; then
	ok "v1: cover letter filled from cover-letter.txt (subject, text, base-commit, no template left)"
else
	fail "v1: cover letter not filled: $(head -40 "$cover" 2>/dev/null)"
fi
# get_maintainer.pl: the TUN/TAP maintainers in To, netdev in Cc.
want_to=$(cd "$tree" && perl scripts/get_maintainer.pl --no-git --no-git-fallback --rolestats \
	-f drivers/net/tun.c | sed -n 's/^\(.*\) (maintainer:TUN.*/\1/p' | head -1)
if [ -n "$want_to" ] && grep -A3 '^To: ' "$tmp/v1/0001-"*.patch | grep -qF "${want_to#*<}" &&
	grep -A12 '^Cc: ' "$tmp/v1/0001-"*.patch | grep -q 'netdev@vger.kernel.org'; then
	ok "v1: To has the TUN/TAP maintainer ($want_to), Cc has netdev@vger.kernel.org"
else
	fail "v1: To/Cc not from get_maintainer.pl (want To $want_to)"
fi
if [ "$(grep -c '^Dry-OK\. Log says:' "$tmp/v1/send-email-dry-run.log" 2>/dev/null)" = 3 ]; then
	ok "v1: git send-email --dry-run handled all 3 mails"
else
	fail "v1: send-email dry run log missing or incomplete"
fi

# The mails rebuild the branch exactly: apply them to the base in a scratch
# index and compare the tree with the branch's.
idx=$tmp/index
base=$(git -C "$tree" rev-parse base)
if GIT_INDEX_FILE=$idx git -C "$tree" read-tree "$base" &&
	GIT_INDEX_FILE=$idx git -C "$tree" apply --cached "$tmp"/v1/000[1-9]-*.patch &&
	[ "$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)" = "$(git -C "$tree" rev-parse "vnetkit/$id-good-v1^{tree}")" ]; then
	ok "v1: the mails applied to the base give exactly the branch's tree"
else
	fail "v1: the mails do not reproduce branch vnetkit/$id-good-v1"
fi

# ---- v2 after v1: changelog, lore link, range-diff ----
v1mid=$(sed -n 's/^Message-ID: <\(.*\)>$/\1/Ip' "$cover" | head -1)
run good-v2 --patches "$fx/good-v2" --name $id-good --version 2 --builds build_gcc --out "$tmp/v2"
c2=$(ls "$tmp"/v2/v2-0000-cover-letter.patch 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$c2" ] && msg=$(mails_ok "$tmp/v2" "PATCH net-next v2" 2); then
	ok "v2: passes; mails parse, subjects [PATCH net-next v2 0/2] .. [PATCH net-next v2 2/2]"
else
	fail "v2: exit $rc ${msg:-}:$(sed 's/^/ | /' "$tmp/good-v2.out")"
fi
if [ -n "$c2" ] && grep -q '^Changelog:$' "$c2" && grep -q "^v1: https://lore.kernel.org/r/$v1mid\$" "$c2" &&
	grep -q '^  - patch 1: say why the socket settings live in tun_struct$' "$c2" &&
	grep -q '^Range-diff against v1:$' "$c2" && grep -q '^1:  [0-9a-f]* ! 1:  [0-9a-f]* tun: fix grammar' "$c2" &&
	grep -q '^2:  [0-9a-f]* = 2:  [0-9a-f]* tun: use the networking block comment' "$c2"; then
	ok "v2: cover has the changelog, the v1 lore link and the range-diff (1/2 changed, 2/2 same)"
else
	fail "v2: cover lacks changelog/lore link/range-diff:$(sed -n '/^Changelog/,$p' "$c2" 2>/dev/null | head -30 | sed 's/^/ | /')"
fi
# v3 without a "v3:" changelog entry is refused before anything is written.
run good-v3 --patches "$fx/good-v2" --name $id-good --version 3 --no-build --out "$tmp/v3"
if [ "$rc" -eq 1 ] && grep -q "no 'v3:' entry under 'Changelog:'.*\[rule: changelog\]" "$tmp/good-v3.out" && [ ! -e "$tmp/v3" ]; then
	ok "v3 without a changelog entry is blocked [rule: changelog], nothing written"
else
	fail "v3 without changelog: exit $rc:$(sed 's/^/ | /' "$tmp/good-v3.out")"
fi
# A well-formed Fixes: is checked against the tree: the right subject
# passes, another commit's subject is refused.
fixes_fixture() {
	rm -rf "$tmp/$1" && cp -r "$fx/good" "$tmp/$1" &&
		sed -i "0,/^Signed-off-by:/s//Fixes: $(git -C "$tree" rev-parse --short=12 base) (\"$2\")\nSigned-off-by:/" \
			"$tmp/$1"/0001-*.patch
}
fixes_fixture fixes-ok "$(git -C "$tree" log -1 --format=%s base)"
run fixes-ok --patches "$tmp/fixes-ok" --name $id-fixes-ok --no-build --out "$tmp/fixes-ok-out"
check "Fixes: naming a tree commit with its real subject passes" test "$rc" -eq 0
fixes_fixture fixes-bad "tun: a subject that commit does not have"
run fixes-bad --patches "$tmp/fixes-bad" --name $id-fixes-bad --no-build --out "$tmp/fixes-bad-out"
if [ "$rc" -eq 1 ] && grep -q "patch 1/2 .*names commit [0-9a-f]\{12\} whose subject is 'Linux 6.12.*\[rule: fixes-tag\]" "$tmp/fixes-bad.out"; then
	ok "Fixes: with another commit's subject is blocked [rule: fixes-tag]"
else
	fail "Fixes: subject mismatch not blocked: exit $rc:$(sed 's/^/ | /' "$tmp/fixes-bad.out")"
fi
# The author (From:) must be among the signers, not just anyone.
rm -rf "$tmp/other-author" && cp -r "$fx/good" "$tmp/other-author"
sed -i 's/^From: Vnetkit Selftest <selftest@example.org>$/From: Someone Else <else@example.org>/' "$tmp"/other-author/0002-*.patch
run other-author --patches "$tmp/other-author" --name $id-other-author --no-build --out "$tmp/oa"
if [ "$rc" -eq 1 ] && grep -q "^BLOCKED: patch 2/2 .*no Signed-off-by from the author <else@example.org>.*\[rule: signed-off-by\]" "$tmp/other-author.out" &&
	! grep -q "BLOCKED: patch 1/2" "$tmp/other-author.out"; then
	ok "rule signed-off-by: a patch whose author did not sign off is blocked (2/2 only)"
else
	fail "author without Signed-off-by: exit $rc:$(sed 's/^/ | /' "$tmp/other-author.out")"
fi
# A cover letter with template text left in it is refused.
cp -r "$fx/good" "$tmp/unfinished"
echo "Results: TODO measure" >>"$tmp/unfinished/cover-letter.txt"
run unfinished --patches "$tmp/unfinished" --name $id-unfinished --no-build --out "$tmp/unf"
if [ "$rc" -eq 1 ] && grep -q "unfinished text in .*'Results: TODO measure' \[rule: cover-letter\]" "$tmp/unfinished.out" && [ ! -e "$tmp/unf" ]; then
	ok "a cover letter with TODO left in it is blocked [rule: cover-letter]"
else
	fail "unfinished cover letter: exit $rc:$(sed 's/^/ | /' "$tmp/unfinished.out")"
fi
# The fixtures sign off as selftest@example.org: the posting is written but
# the sender is told the DCO needs a real identity.
if grep -q "^WARNING: patch 1/2, patch 2/2: Signed-off-by uses a placeholder" "$tmp/good.out"; then
	ok "placeholder Signed-off-by addresses (example.org) are flagged before sending"
else
	fail "placeholder Signed-off-by not flagged"
fi
rm -rf "$tmp/allvhost" && cp -r "$fx/good" "$tmp/allvhost" && sed -i 's/$/ # target=vhost/' "$tmp/allvhost/series"
run good-vhost --patches "$tmp/allvhost" --name $id-vhost --target vhost --no-build --out "$tmp/vhost"
if [ "$rc" -eq 0 ] && msg=$(mails_ok "$tmp/vhost" "PATCH vhost" 2); then
	ok "TARGET=vhost: subjects [PATCH vhost 0/2] .. [PATCH vhost 2/2]"
else
	fail "TARGET=vhost: exit $rc ${msg:-}:$(sed 's/^/ | /' "$tmp/good-vhost.out")"
fi

# ---- netdev CI checks: one fixture per check, the report cell it must set ----
# runj NAME ARGS...: submit.sh --json; the report in $tmp/NAME.json.
runj() {
	local n=$1 t0=$SECONDS
	shift
	"$submit" --json "$@" >"$tmp/$n.json" 2>"$tmp/$n.out"
	rc=$?
	diag "submit $n: exit $rc, $((SECONDS - t0)) s"
}
# cell NAME PATCH CHECK: status of one cell of that report ("-": not run);
# reason NAME PATCH CHECK: its reason lines.
cell() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); p = int(sys.argv[2])
r = (d["series"] if p == 0 else d["patches"][p - 1]["results"]).get(sys.argv[3])
print(r["status"] if r else "-")' "$tmp/$1.json" "$2" "$3" 2>/dev/null || echo "no-report"
}
reason() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); p = int(sys.argv[2])
r = (d["series"] if p == 0 else d["patches"][p - 1]["results"]).get(sys.argv[3])
print("\n".join(r["reason"]) if r else "")' "$tmp/$1.json" "$2" "$3" 2>/dev/null
}
# expect_cell NAME CHECK STATUS "reason substring" "what": patch 1's cell.
expect_cell() {
	local got
	got=$(cell "$1" 1 "$2")
	if [ "$got" = "$3" ] && reason "$1" 1 "$2" | grep -qF -- "$4"; then
		ok "$5: $2 $3 ($(reason "$1" 1 "$2" | grep -F -- "$4" | head -1 | cut -c1-90))"
	else
		fail "$5: $2 is '$got', want $3 with '$4':$(reason "$1" 1 "$2" | sed 's/^/ | /')$(tail -5 "$tmp/$1.out" | sed 's/^/ | /')"
	fi
}

# Builds: the same lib/bcd.c change under three toolchains; only the one
# whose warning it is may flag it.
runj w32 --patches "$fx/build-32bit" --name "$id-w32" --out "$tmp/out-w32"
expect_cell w32 build_32bit fail "format '%lu' expects argument of type 'long unsigned int'" "32-bit-only warning"
check "32-bit-only warning: gcc x86_64 and clang builds pass it, nothing written" \
	test "$(cell w32 1 build_gcc) $(cell w32 1 build_clang) $rc" = "success success 1" -a ! -e "$tmp/out-w32"
runj clang --patches "$fx/build-clang" --name "$id-clang" --out "$tmp/out-clang"
expect_cell clang build_clang fail "[-Wsometimes-uninitialized]" "clang-only warning"
check "clang-only warning: gcc x86_64 and i386 builds pass it" \
	test "$(cell clang 1 build_gcc) $(cell clang 1 build_32bit) $rc" = "success success 1"

# The checks that need no build.
runj kdoc --patches "$fx/kdoc" --name "$id-kdoc" --no-build --out "$tmp/out-kdoc"
expect_cell kdoc kdoc fail "Excess function parameter 'value' description in '_bcd2bin'" "broken kernel-doc comment"
runj sinl --patches "$fx/source-inline" --name "$id-sinl" --no-build --out "$tmp/out-sinl"
expect_cell sinl source_inline fail "lib/bcd.c: static inline unsigned int bcd_tens" "static inline in a .c file"
runj hinl --patches "$fx/header-inline" --name "$id-hinl" --no-build --out "$tmp/out-hinl"
expect_cell hinl header_inline fail "include/linux/bcd.h: static function bcd_digits() without inline" "static function in a header"
runj shck --patches "$fx/shellcheck" --name "$id-shck" --no-build --out "$tmp/out-shck"
expect_cell shck shellcheck fail "SC2071" "shell script with a shellcheck error"
check "shellcheck fixture: its script is wired into the Makefile (check_selftest success)" \
	test "$(cell shck 1 check_selftest)" = success
runj unwired --patches "$fx/selftest-unwired" --name "$id-unwired" --no-build --out "$tmp/out-unwired"
expect_cell unwired check_selftest fail "vk_fixture.sh: not in tools/testing/selftests/net/Makefile" "selftest not in its Makefile"
check "unwired selftest: the script itself is shellcheck clean" test "$(cell unwired 1 shellcheck)" = success

# A warning blocks until the author accepts it by name; then it is in the
# cover letter's notes.
runj mpar --patches "$fx/module-param" --name "$id-mpar" --no-build --out "$tmp/out-mpar"
expect_cell mpar module_param warning "1 new module parameter(s): strict" "new module_param"
if [ "$rc" -eq 1 ] && [ ! -e "$tmp/out-mpar" ] && grep -q 'warnings not accepted' "$tmp/mpar.out"; then
	ok "module_param warning blocks the posting without ACCEPT"
else
	fail "module_param warning without ACCEPT: exit $rc:$(tail -5 "$tmp/mpar.out" | sed 's/^/ | /')"
fi
expect_fail 2 "--accept 'module_params': not a check" "an ACCEPT that names no check is a usage error" \
	"$submit" --patches "$fx/module-param" --accept module_params --no-build
run mpar-ok --patches "$fx/module-param" --name "$id-mpar-ok" --no-build --accept module_param --out "$tmp/out-mpar-ok"
c=$(ls "$tmp"/out-mpar-ok/0000-cover-letter.patch 2>/dev/null)
if [ "$rc" -eq 0 ] && [ -n "$c" ] && grep -q '^Notes (checks that warn, accepted for this posting):$' "$c" &&
	grep -q '^ - patch 1/1 module_param: 1 new module parameter(s): strict' "$c" && ! grep -q '@@VNETKIT' "$c"; then
	ok "ACCEPT=module_param: posting written, the warning in the cover letter's notes"
else
	fail "ACCEPT=module_param: exit $rc:$(sed 's/^/ | /' "$tmp/mpar-ok.out")"
fi
# The same acceptance recorded for that patch in the series.
rm -rf "$tmp/mpar-series" && cp -r "$fx/module-param" "$tmp/mpar-series" &&
	sed -i '1s/$/ # accept=module_param/' "$tmp/mpar-series/series"
run mpar-series --patches "$tmp/mpar-series" --name "$id-mpar-series" --no-build --out "$tmp/out-mpar-series"
if [ "$rc" -eq 0 ] && grep -q '^ - patch 1/1 module_param: 1 new module parameter(s): strict' \
	"$tmp"/out-mpar-series/0000-cover-letter.patch 2>/dev/null; then
	ok "series line '# accept=module_param': that patch's warning accepted, in the notes"
else
	fail "series accept=module_param: exit $rc:$(tail -8 "$tmp/mpar-series.out" | sed 's/^/ | /')"
fi
if ! grep -q '^Notes (checks' "$tmp"/v1/0000-cover-letter.patch; then
	ok "a posting without accepted warnings has no notes section"
else
	fail "the valid fixture's cover letter has a notes section"
fi

# cc_maintainers on the mails: the valid posting reaches everyone; a mail
# whose To/Cc lost the TUN maintainer (fixture cc-missing) is flagged.
runj verify-good --verify "$tmp/v1"
check "--verify: the valid posting has every get_maintainer.pl address in To/Cc" \
	test "$rc $(cell verify-good 1 cc_maintainers) $(cell verify-good 2 cc_maintainers)" = "0 success success"
runj verify-cc --verify "$fx/cc-missing"
expect_cell verify-cc cc_maintainers warning "willemdebruijn.kernel@gmail.com" "maintainer missing from To/Cc"
check "--verify: the missing maintainer blocks (exit 1)" test "$rc" -eq 1
runj verify-cc-ok --verify "$fx/cc-missing" --accept cc_maintainers
check "--verify --accept cc_maintainers: accepted (exit 0)" test "$rc" -eq 0

# ---- one series, two postings: the target of each patch in patches/series ----
rm -rf "$tmp/split" && cp -r "$fx/good" "$tmp/split"
sed -i '2s/$/ # target=vhost/' "$tmp/split/series"
{ echo "tun: the vhost half (selftest fixture)"; echo; echo "The second patch alone, posted to the vhost tree."; } \
	>"$tmp/split/cover-letter-vhost.txt"
run split-nn --patches "$tmp/split" --name "$id-split-nn" --no-build --out "$tmp/split-nn"
run split-vh --patches "$tmp/split" --name "$id-split-vh" --target vhost --no-build --out "$tmp/split-vh"
if mails_ok "$tmp/split-nn" "PATCH net-next" 1 >/dev/null && mails_ok "$tmp/split-vh" "PATCH vhost" 1 >/dev/null &&
	grep -q '^Subject: \[PATCH net-next 1/1\] tun: fix grammar' "$tmp"/split-nn/0001-*.patch &&
	grep -q '^Subject: \[PATCH vhost 1/1\] tun: use the networking block comment' "$tmp"/split-vh/0001-*.patch &&
	grep -q '^Subject: \[PATCH vhost 0/1\] tun: the vhost half' "$tmp"/split-vh/0000-*.patch &&
	grep -q '^Subject: \[PATCH net-next 0/1\] tun: comment fixes' "$tmp"/split-nn/0000-*.patch; then
	ok "TARGET split: net-next posts patch 1 as 1/1, vhost posts patch 2 as 1/1 with cover-letter-vhost.txt"
else
	fail "TARGET split:$(sed 's/^/ | /' "$tmp/split-nn.out" "$tmp/split-vh.out" | grep -E 'BLOCKED|submit:|series' )"
fi
if [ "$("$top/scripts/kernel.sh" apply "$tmp/split" 2>&1 | grep -c 'apply: 2 patch(es)')" = 1 ]; then
	ok "TARGET split: quilt (scripts/kernel.sh) still applies both patches of the annotated series"
else
	fail "TARGET split: scripts/kernel.sh apply does not take the annotated series"
fi
sed -i '2s/target=vhost/target=linus/' "$tmp/split/series"
expect_fail 2 "target 'linus'" "a series line with an unknown target is a usage error" \
	"$submit" --patches "$tmp/split" --no-build

# ---- the real series, check by check, per target ----
if ! grep -qv '^[[:space:]]*\(#\|$\)' "$top/patches/series"; then
	expect_fail 1 "lists no patches" "real series: patches/series is empty, submit refuses to post nothing" \
		"$submit" --out "$tmp/real"
else
	for tg in net-next vhost; do
		grep -q "^[^#]*\.patch" "$top/patches/series" || continue
		t0=$SECONDS
		runj "real-$tg" --target "$tg" --out "$tmp/real-$tg" --name "$id-real-$tg" --keep-going
		if ! python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/real-$tg.json" 2>/dev/null; then
			if grep -q "lists no patches for $tg" "$tmp/real-$tg.out"; then
				ok "real series: no patch for $tg"
			else
				fail "real series $tg: no report:$(tail -20 "$tmp/real-$tg.out" | sed 's/^/ | /')"
			fi
			continue
		fi
		sed -n '/^== report/,/^  check times/p' "$tmp/real-$tg.out" | sed "s/^/$tg: /" | while IFS= read -r l; do diag "$l"; done
		for c in $(python3 "$top/scripts/submit_checks.py" names); do
			line=$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); c = sys.argv[2]; n = len(d["patches"])
acc = {(a["patch"], a["check"]) for a in d.get("accepted_per_patch", [])}
def passes(p):
    st = p["results"].get(c, {}).get("status")
    # A warning accepted on the line of the patch in patches/series was reviewed.
    return st == "success" or (st == "warning" and ((p["index"], c) in acc or c in d.get("accepted", [])))
bad = ["patch %d/%d %s: %s" % (p["index"], n, p["results"].get(c, {}).get("status", "not run"),
       (p["results"].get(c, {}).get("reason") or [""])[0][:100])
       for p in d["patches"] if not passes(p)]
print("; ".join(bad) if bad else "success on %d/%d" % (n, n))' "$tmp/real-$tg.json" "$c")
			if [[ "$line" == success* ]]; then
				ok "real series $tg: $c: $line"
			else
				fail "real series $tg: $c: $line"
			fi
		done
		diag "real series $tg: $((SECONDS - t0)) s, exit $rc"
	done
fi

# ---- the pristine tree never changes (the default tree hard-links it) ----
bad=
for f in drivers/net/tun.c lib/bcd.c Documentation/networking/tuntap.rst; do
	[ "$(git hash-object "$pristine/$f")" = "$(git -C "$tree" rev-parse "base:$f")" ] || bad="$bad $f"
done
check "pristine 6.12 tree unchanged after every run${bad:+ (changed:$bad)}" test -z "$bad"
exit 0
