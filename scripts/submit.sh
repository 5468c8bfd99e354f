#!/usr/bin/env bash
# Prepare an upstream posting of the quilt series in patches/ and block it
# when it breaks a netdev rule. It never sends mail.
#
#   scripts/submit.sh [--tree PATH] [--target net-next|vhost] [--version N]
#                     [--patches DIR] [--cover FILE] [--config FILE]
#                     [--out DIR] [--name NAME] [--no-build] [--keep-going]
#                     [--accept CHECK,...] [--json] [--builds TC,...]
#   scripts/submit.sh --verify DIR [--tree PATH] [--accept CHECK,...] [--json]
#
# 1. pick the patches of the target from patches/series (a line's
#    "# target=vhost" comment; no comment: net-next) and import them into
#    branch vnetkit/<target>-vN on top of the tree (default: a git repository
#    made once from the pristine 6.12 tree under build/submit/tree; any other
#    Linux git tree by path, e.g. net-next);
# 2. per patch, what netdev's patch CI (NIPA tests/patch/) runs, each against
#    the tree before the patch: format, signedoff, fixes, checkpatch, builds
#    of the touched objects (gcc x86_64 W=1 C=1, gcc ARCH=i386 W=1, clang
#    LLVM=-19 W=1), kdoc, source_inline, header_inline, module_param,
#    deprecated_api, cc_maintainers, shellcheck, check_selftest; per series:
#    size (at most 15), apply, cover;
# 3. a patchwork-like table (--json: the same as JSON on stdout); any fail,
#    or a warning not named in --accept, blocks the posting; accepted
#    warnings go into the cover letter's notes;
# 4. git format-patch --cover-letter into build/submit/<target>/vN/, the
#    cover letter from patches/cover-letter-<target>.txt (or
#    cover-letter.txt), To/Cc from get_maintainer.pl, a changelog and
#    range-diff against v(N-1) when N > 1; git send-email --dry-run of the
#    whole set (the SMTP server is /bin/false: a real send fails closed).
# Exit 0: posting ready; 1: blocked (every violation listed); 2: usage.
set -uo pipefail
# Tool messages in plain ASCII English: the rules match and quote them.
# (Kbuild unexports LC_ALL, so the compiler needs LANG/LC_MESSAGES too.)
export LC_ALL=C LANG=C LC_MESSAGES=C LC_CTYPE=C

top=$(cd "$(dirname "$0")/.." && pwd)
prog="vnetkit: submit"

die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	[ $# -gt 0 ] && echo "$prog: $*" >&2
	sed -n '5,10s/^#   //p' "$0" | sed -e '1s/^/usage: /' -e '2,$s/^/       /' >&2
	exit 2
}

tree= target=net-next version=1 build=1 name= keep=0 accept= json=0 verify=
builds=build_gcc,build_32bit,build_clang
patchdir=$top/patches cover= config= out=
while [ $# -gt 0 ]; do
	case "$1" in
	--tree) tree=${2:-}; shift ;;
	--target) target=${2:-}; shift ;;
	--version|-v) version=${2:-}; shift ;;
	--patches) patchdir=${2:-}; shift ;;
	--cover) cover=${2:-}; shift ;;
	--config) config=${2:-}; shift ;;
	--out) out=${2:-}; shift ;;
	--name) name=${2:-}; shift ;;
	--no-build) build=0 ;;
	--builds) builds=${2:-}; shift ;;
	--keep-going) keep=1 ;;
	--accept) accept=${2:-}; shift ;;
	--json) json=1 ;;
	--verify) verify=${2:-}; shift ;;
	-h|--help) usage ;;
	*) usage "unknown argument '$1'" ;;
	esac
	shift || usage "option needs a value"
done

case "$target" in
net-next|vhost) ;;
*) usage "--target '$target': use net-next (tun, virtio_net, ptr_ring) or vhost (MST's tree)" ;;
esac
[[ "$version" =~ ^[1-9][0-9]?$ ]] || usage "--version '$version': a posting version 1..99"
checks_py=$top/scripts/submit_checks.py
all_checks=$(python3 "$checks_py" names) || die "scripts/submit_checks.py does not run"
for c in ${accept//,/ }; do
	[[ " $all_checks " == *" $c "* ]] ||
		usage "--accept '$c': not a check (one of: ${all_checks// /, })"
done
name=${name:-$target}
# --builds: the toolchains to build with (all three unless narrowed; the
# others show "-" in the report).
for c in ${builds//,/ }; do
	case "$c" in
	build_gcc|build_32bit|build_clang) ;;
	*) usage "--builds '$c': one of build_gcc, build_32bit, build_clang" ;;
	esac
done
# NAME keys the recorded postings (v1, v2, ...) of one series in the tree.
[[ "$name" =~ ^[a-z0-9][a-z0-9-]*$ ]] || usage "--name '$name': lower-case letters, digits and '-'"
[ -d "$patchdir" ] || usage "--patches '$patchdir': no such directory"
patchdir=$(cd "$patchdir" && pwd)
series=$patchdir/series
[ -r "$series" ] || usage "--patches '$patchdir': no series file"
if [ -z "$cover" ]; then
	cover=$patchdir/cover-letter-$target.txt
	[ -r "$cover" ] || cover=$patchdir/cover-letter.txt
fi
config=${config:-$top/patches/kernel.config}
work=$top/build/submit
out=${out:-$work/$target/v$version}
mkdir -p "$work"
# --json: the report is the only thing on stdout.
[ "$json" -eq 1 ] && exec 3>&1 1>&2

# One run at a time: the default tree's checkout and the O= directory are
# shared by every run.
exec 8>"$work/.lock"
flock -w 900 8 || die "another make submit holds $work/.lock (wait for it)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t_run=$(date +%s%N)
# Every check result, one TSV line each: index (0: the series), check,
# success|warning|fail, reason lines joined by \x1f (submit_checks.py).
results=$tmp/results.tsv
: >"$results"
nfail=0
# The report column a blocking rule belongs to.
check_of() {
	case "$1" in
	max-15-patches) echo size ;;
	applies) echo apply ;;
	cover-letter|changelog) echo cover ;;
	patch-level|mail-format|subsystem-prefix|series) echo format ;;
	signed-off-by) echo signedoff ;;
	fixes-tag) echo fixes ;;
	bisect-build|w1-new-warning|sparse-new-warning) echo build_gcc ;;
	*) echo "$1" ;;
	esac
}
# pid I: "patch I/N (file)"; I = 0 is the series.
pid() {
	if [ "$1" -eq 0 ]; then echo series; else echo "patch $1/$n (${patches[$(($1 - 1))]})"; fi
}
# record I CHECK STATUS REASON...: one result (reason lines as arguments).
record() {
	local i=$1 c=$2 st=$3
	shift 3
	local IFS=$'\x1f'
	printf '%s\t%s\t%s\t%s\n' "$i" "$c" "$st" "$(tr '\t' ' ' <<<"$*")" >>"$results"
}
# block I RULE MESSAGE: one violation; the posting is not written.
block() {
	nfail=$((nfail + 1))
	echo "BLOCKED: $(pid "$1"): $3 [rule: $2]" >&2
	record "$1" "$(check_of "$2")" fail "$3"
}
note() { echo "  $*"; }
step() { echo "== $*"; }
# tstart; ...; tend NAME: wall time per group of checks, for the summary.
declare -A secs=()
tstart() { t_start=$(date +%s%N); }
tend() { secs[$1]=$(( ${secs[$1]:-0} + ($(date +%s%N) - t_start) / 1000000 )); }
# report: the patchwork-like table (or JSON on the caller's stdout); the
# JSON is also kept in build/submit/report-<target>.json. Exit 1 when a
# check failed or a warning was not accepted; accepted warnings are
# written to $tmp/notes for the cover letter.
report() {
	local rc=0
	python3 "$checks_py" report "$results" "$tmp/patches.tsv" --json --accept "$accept" \
		--accept-file "$tmp/accept.tsv" >"$work/report-$target.json" || true
	# The table always (on stderr with --json), the JSON on stdout.
	step "report (success: ok, warning: warn, fail: FAIL, not run: -)"
	python3 "$checks_py" report "$results" "$tmp/patches.tsv" --accept "$accept" \
		--accept-file "$tmp/accept.tsv" --notes "$tmp/notes" || rc=1
	[ "$json" -eq 0 ] || python3 "$checks_py" report "$results" "$tmp/patches.tsv" \
		--accept "$accept" --accept-file "$tmp/accept.tsv" --json >&3 || true
	return $rc
}

# ---- per-patch metadata (from the files themselves, no tree needed) -------
# Subject as it will be posted, [PATCH ...] tags removed, folded lines joined.
subject_of() {
	awk '/^Subject:/ { s = substr($0, 10); f = 1; next }
	     f && /^[ \t]/ { s = s $0; next } { f = 0 }
	     /^$/ { exit } END { print s }' "$1" |
		sed -e 's/^[[:space:]]*//' -e 's/^\(\[[^]]*\][[:space:]]*\)*//'
}
# Commit message: after the mail headers, up to the '---' separator or diff.
message_of() {
	awk 'h == 0 && /^$/ { h = 1; next } h == 0 { next }
	     /^---$/ || /^diff / || /^Index: / { exit } { print }' "$1"
}

# ---- the tree ----------------------------------------------------------------
# The default tree is ours: a git repository over a hard-linked copy of the
# pristine source. Git replaces files (unlink + create) rather than writing
# them in place; unshare() still copies every file the series touches before
# anything writes it, so the pristine tree can never change.
default_tree() {
	local src dst=$work/tree
	[ -e "$dst/.git/vnetkit-ready" ] && { echo "$dst"; return; }
	src=$("$top/scripts/kernel-src.sh") || die "no pristine 6.12 tree (scripts/kernel-src.sh failed)"
	echo "submit: creating $dst from $src (once; reused next time)" >&2
	rm -rf "$dst.new"
	cp -al "$src" "$dst.new" || die "cp -al $src failed"
	rm -f "$dst.new/.vnetkit-extracted"
	(
		cd "$dst.new" && git init -q && git config user.name "vnetkit submit" &&
			git config user.email "submit@vnetkit.invalid" &&
			git config gc.auto 0 && git config core.autocrlf false &&
			git add -A -f . && git commit -q -m "Linux $(make -s kernelversion) (Debian linux-source-6.12)" &&
			git branch -m base
	) || die "git init of $dst.new failed"
	rm -rf "$dst" && mv "$dst.new" "$dst" && touch "$dst/.git/vnetkit-ready"
	echo "$dst"
}


# ---- --verify DIR: the mails of a posting, as they will be sent ------------
# After editing a posting by hand (recipients, cover letter), check that
# every address get_maintainer.pl gives for each patch is still in its
# To/Cc: the cc_maintainers check alone, on the mails in DIR.
if [ -n "$verify" ]; then
	[ -d "$verify" ] || usage "--verify '$verify': no such directory"
	if [ -z "$tree" ]; then
		vtree=$(default_tree) || exit 1
		vopts=(--no-git --no-git-fallback --no-fixes)
	else
		vtree=$(cd "$tree" && pwd) || exit 1
		vopts=(--git-min-percent 35)
	fi
	patches=() n=0
	: >"$tmp/patches.tsv"
	for f in "$verify"/*.patch; do
		[ -e "$f" ] || continue
		grep -q '^diff --git ' "$f" || continue
		patches+=("$(basename "$f")")
	done
	n=${#patches[@]}
	[ "$n" -gt 0 ] || die "--verify $verify: no patch mails (*.patch with a diff) in it"
	for i in "${!patches[@]}"; do
		f=$verify/${patches[$i]}
		printf '%s\t%s\t%s\n' $((i + 1)) "${patches[$i]}" "$(subject_of "$f")" >>"$tmp/patches.tsv"
		python3 "$checks_py" cc "$vtree" $((i + 1)) "$f" "${vopts[@]}" >>"$results"
	done
	step "verify: $n mail(s) in $verify against $vtree"
	report && exit 0
	echo "$prog: $verify: a get_maintainer.pl address is missing from To/Cc (see the report)" >&2
	exit 1
fi

# ---- series -----------------------------------------------------------------
# quilt series: one patch per line, '#' comments, optional -pN (only -p1 is
# meaningful for git am). The tree a patch is posted to is a comment on its
# line, "# target=vhost"; without one it is net-next. quilt and
# scripts/kernel.sh ignore the comment and apply the whole series.
# A patch's line may also accept warnings of named checks for that patch
# only ("# target=vhost accept=module_param"): reviewed in the series, and
# said in the cover letter's notes like ACCEPT=.
patches=() opts=() others=()
: >"$tmp/accept.tsv"
while IFS= read -r line; do
	p=${line%%#*}
	read -r p opt _ <<<"$p"
	[ -n "$p" ] || continue
	t=net-next
	if [[ "$line" =~ \#.*target=([^[:space:]]*) ]]; then
		t=${BASH_REMATCH[1]}
		case "$t" in
		net-next|vhost) ;;
		*) usage "${series#$top/}: $p: target '$t' (use target=net-next or target=vhost)" ;;
		esac
	fi
	if [ "$t" != "$target" ]; then
		others+=("$p ($t)")
		continue
	fi
	patches+=("$p")
	opts+=("${opt:-}")
	if [[ "$line" =~ \#.*accept=([^[:space:]]*) ]]; then
		for c in ${BASH_REMATCH[1]//,/ }; do
			[[ " $all_checks " == *" $c "* ]] ||
				usage "${series#$top/}: $p: accept=$c: not a check (one of: ${all_checks// /, })"
			printf '%s\t%s\n' ${#patches[@]} "$c" >>"$tmp/accept.tsv"
		done
	fi
done <"$series"
n=${#patches[@]}
step "series: $n patches for $target from ${series#$top/}, v$version"
[ ${#others[@]} -eq 0 ] || note "not in this posting: ${others[*]}"
[ "$n" -gt 0 ] || die "${series#$top/} lists no patches for $target: nothing to post"
for i in "${!patches[@]}"; do
	if [ -n "${opts[$i]}" ] && [ "${opts[$i]}" != -p1 ]; then
		block $((i + 1)) patch-level "quilt option '${opts[$i]}': a posting needs -p1 patches"
	fi
done
if [ "$n" -gt 15 ]; then
	block 0 max-15-patches "$n patches, netdev takes at most 15 per series (split it: post the first part, the rest after it is merged)"
	exit 1
fi
record 0 size success "$n patches (at most 15)"

placeholder_sob=() fixes=()
: >"$tmp/patches.tsv"
for i in "${!patches[@]}"; do
	p=${patches[$i]} f=$patchdir/${patches[$i]}
	printf '%s\t%s\t%s\n' $((i + 1)) "$p" "$([ -r "$f" ] && subject_of "$f")" >>"$tmp/patches.tsv"
	id=$((i + 1))
	[ -r "$f" ] || { block "$id" series "listed in the series but missing"; continue; }
	if ! grep -q '^From: ..*@' "$f" || ! grep -q '^Subject: ..*' "$f"; then
		block "$id" mail-format "no From:/Subject: headers: write patches with git format-patch (quilt keeps the headers)"
		continue
	fi
	subj=$(subject_of "$f")
	msg=$(message_of "$f")
	# git diff or quilt's "diff -uprN": either way a unified diff.
	grep -q '^+++ [^[:space:]]' "$f" || block "$id" mail-format "no unified diff in the patch"
	author=$(sed -n 's/^From: .*<\([^>]*\)>.*$/\1/p; s/^From: \([^ <]*@[^ >]*\)$/\1/p' "$f" | head -1)
	if ! grep -Eq '^Signed-off-by: [^<]+ <[^>]+@[^>]+>$' <<<"$msg"; then
		block "$id" signed-off-by "no 'Signed-off-by: Name <email>' in the commit message (DCO, submitting-patches.rst section 11)"
	elif ! grep -qiF "<$author>" <<<"$(grep '^Signed-off-by:' <<<"$msg")"; then
		block "$id" signed-off-by "no Signed-off-by from the author <$author> (the From: of the patch must sign off)"
	elif grep -Eq '^Signed-off-by: .*@([^>]*\.)?(invalid|example|example\.(com|org|net))>$' <<<"$msg"; then
		placeholder_sob+=("patch $((i + 1))/$n")
		record "$id" signedoff success "Signed-off-by from the author <$author> (placeholder address)"
	else
		record "$id" signedoff success "Signed-off-by from the author <$author>"
	fi
	# "subsys: summary", "net: tun: summary", "selftests/net: ...": the
	# prefix is one lower-case token without blanks, then a colon. A revert
	# keeps the reverted subject: Revert "tun: ...".
	if ! [[ "$subj" =~ ^[a-z0-9][a-z0-9_./+-]*:\ [^\ ] ]] && ! [[ "$subj" =~ ^Revert\ \"[a-z0-9][a-z0-9_./+-]*:\  ]]; then
		block "$id" subsystem-prefix "subject '$subj' lacks a subsystem prefix ('ptr_ring: ', 'tun: ', 'vhost_net: ', 'virtio_net: ')"
	fi
	record "$id" format success "mail headers, subject '$subj'"
	nfix=0
	while IFS= read -r line; do
		nfix=$((nfix + 1))
		if ! [[ "$line" =~ ^Fixes:\ [0-9a-f]{12,40}\ \(\".+\"\)$ ]]; then
			block "$id" fixes-tag "malformed '$line': use 'Fixes: <12+ hex digits> (\"subject\")'"
		else
			fixes+=("$id|$line")
		fi
	done < <(grep -Ei '^[[:space:]]*fixes[[:space:]]*:' <<<"$msg")
	[ "$nfix" -gt 0 ] || record "$id" fixes success "no Fixes: tag"
done

if [ -z "$tree" ]; then
	tree=$(default_tree) || exit 1
	wt=$tree
	# Every new cp -al of the pristine tree (make kernel makes them) changes
	# the shared inodes' ctime; without this git status re-reads 1.3 GB.
	git -C "$wt" config core.trustctime false
	base=$(git -C "$wt" rev-parse --verify -q refs/heads/base) || die "$wt has no branch 'base'"
else
	[ -d "$tree" ] || die "--tree '$tree': no such directory"
	tree=$(cd "$tree" && pwd)
	git -C "$tree" rev-parse --git-dir >/dev/null 2>&1 || die "--tree $tree is not a git repository"
	[ -r "$tree/MAINTAINERS" ] && [ -x "$tree/scripts/checkpatch.pl" ] ||
		die "--tree $tree does not look like a Linux tree (no MAINTAINERS / scripts/checkpatch.pl)"
	base=$(git -C "$tree" rev-parse --verify -q HEAD) || die "--tree $tree has no HEAD commit"
	# Never touch the user's checkout: work in a worktree of their repository
	# (created once, reused).
	wt=$work/worktree-$(basename "$tree")-$(echo "$tree" | sha1sum | cut -c1-8)
	if ! git -C "$wt" rev-parse --git-dir >/dev/null 2>&1; then
		echo "submit: creating worktree $wt of $tree (once)" >&2
		git -C "$tree" worktree add -q -f --detach "$wt" "$base" || die "git worktree add $wt failed"
	fi
fi
gitw() { git -C "$wt" "$@"; }
# The committer identity is only needed to create the commits.
gitw config user.email >/dev/null || export GIT_COMMITTER_NAME="vnetkit submit" GIT_COMMITTER_EMAIL=submit@vnetkit.invalid
branch=vnetkit/$name-v$version
note "tree $tree, base $(gitw log -1 --format='%h ("%s")' "$base")"

# A well-formed Fixes: must name a commit of the tree with that subject;
# the default tree has no history, so there it can only be noted.
for fx in "${fixes[@]}"; do
	id=${fx%%|*} line=${fx#*|}
	sha=${line#Fixes: } sha=${sha%% *}
	want=${line#*(\"} want=${want%\")}
	if ! have=$(gitw log -1 --format=%s "$sha^{commit}" -- 2>/dev/null); then
		note "$(pid "$id"): $line: commit not in $tree, not verified"
		record "$id" fixes success "$line: well-formed; commit not in $tree, not verified"
	elif [ "$have" != "$want" ]; then
		block "$id" fixes-tag "'$line' names commit $sha whose subject is '$have'"
	else
		record "$id" fixes success "$line: commit and subject match the tree"
	fi
done

unshare() {
	local f
	for f in "$@"; do
		[ -f "$wt/$f" ] && [ "$(stat -c %h "$wt/$f")" -gt 1 ] || continue
		cp -p "$wt/$f" "$wt/$f.vk-unshare" && mv -f "$wt/$f.vk-unshare" "$wt/$f"
	done
}
# Files the patch files touch (a/ and b/ sides, git or quilt headers).
patch_paths() {
	sed -n -E 's#^(---|\+\+\+) [ab]/([^[:space:]]+).*#\2#p' "$@" | sort -u
}

# An interrupted earlier run may have left a git am half done.
[ -d "$(gitw rev-parse --absolute-git-dir)/rebase-apply" ] && gitw am --abort >/dev/null 2>&1
if [ -n "$(gitw status --porcelain --untracked-files=no)" ]; then
	# Our own tree only ever holds what an interrupted run left behind.
	[ "$wt" = "$work/tree" ] || die "$wt has uncommitted changes (commit or discard them first)"
	gitw checkout -q -f --detach "$base" || die "cannot clean $wt"
fi
existing=()
for p in "${patches[@]}"; do [ -r "$patchdir/$p" ] && existing+=("$patchdir/$p"); done
mapfile -t touched_files < <(patch_paths "${existing[@]}")
gitw checkout -q --detach "$base" || die "cannot check out $base in $wt"
unshare "${touched_files[@]}"

# ---- apply -------------------------------------------------------------------
step "apply: git am (exact context, no fuzz) onto $(gitw rev-parse --short "$base")"
applied=0
if [ ${#existing[@]} -eq "$n" ]; then
	for i in "${!patches[@]}"; do
		f=$patchdir/${patches[$i]}
		if ! err=$(gitw am -q --keep-cr "$f" 2>&1); then
			block $((i + 1)) applies \
				"does not apply to $(gitw rev-parse --short "$base"): $(grep -E '^(error|fatal):' <<<"$err" | head -3 | paste -sd ';' | sed 's/;/; /g')"
			gitw am --abort >/dev/null 2>&1
			break
		fi
		applied=$((applied + 1))
	done
fi
if [ "$applied" -ne "$n" ]; then
	gitw checkout -q --detach "$base"
	report || true
	echo "$prog: posting blocked: $nfail violation(s); the series was not applied" >&2
	exit 1
fi
record 0 apply success "$n patches apply to $(gitw rev-parse --short "$base") with git am (no fuzz)"
tip=$(gitw rev-parse HEAD)
gitw branch -f "$branch" "$tip" >/dev/null
note "branch $branch = $(gitw rev-parse --short "$tip"), $n commits"
mapfile -t commits < <(gitw rev-list --reverse "$base..$tip")

# ---- checkpatch --------------------------------------------------------------
# As netdev's patchwork CI (NIPA, tests/patch/checkpatch) runs it: --strict,
# 80 columns, and its ignore list (FILE_PATH_CHANGES: new files without a
# MAINTAINERS change; GIT_COMMIT_ID: Fixes: is checked above against the
# tree; the rest are known false positives there).
cp_ignore=COMMIT_LOG_LONG_LINE,MACRO_ARG_REUSE,ALLOC_SIZEOF_STRUCT,NO_AUTHOR_SIGN_OFF,GIT_COMMIT_ID,CAMELCASE,FILE_PATH_CHANGES,BAD_REPORTED_BY_LINK
# netdev's CI also runs codespell; Debian's codespell keeps its dictionary
# where checkpatch.pl does not look.
cp_spell=()
for d in /usr/share/codespell/dictionary.txt /usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt; do
	[ -r "$d" ] && { cp_spell=(--codespell --codespellfile="$d"); break; }
done
step "checkpatch.pl --strict --max-line-length=80 (netdev CI settings${cp_spell:+, codespell})"
tstart
gitw format-patch -q -o "$tmp/cp" "$base..$tip" >/dev/null || die "git format-patch failed"
i=0
for f in "$tmp"/cp/*.patch; do
	i=$((i + 1))
	# Each finding as "TYPE: message (file:line)" or "(commit message)".
	res=$(cd "$wt" && perl scripts/checkpatch.pl --strict --max-line-length=80 --ignore="$cp_ignore" \
		"${cp_spell[@]}" --show-types --no-summary "$f" 2>/dev/null |
		awk '/^(ERROR|WARNING|CHECK):/ { if (m != "") print m " (commit message)"; m = $0; next }
		     m != "" && /^#[0-9]+: FILE: / { sub(/:$/, "", $3); print m " (" $3 ")"; m = ""; next }
		     m != "" && /^#[0-9]+:/ { print m " (commit message)"; m = "" }
		     END { if (m != "") print m }')
	if [ -n "$res" ]; then
		while IFS= read -r l; do
			block "$i" checkpatch "$l"
		done <<<"$res"
	else
		note "patch $i/$n: clean"
		record "$i" checkpatch success "clean (--strict, 80 columns)"
	fi
done
tend checkpatch

# ---- static checks: kdoc, inline, module_param, deprecated API, shellcheck,
# selftest wiring; each commit against its parent -------------------------
step "kdoc, source_inline, header_inline, module_param, deprecated_api, shellcheck, check_selftest"
tstart
prev=$base
for i in "${!commits[@]}"; do
	SUBMIT_TIMES=$tmp/times python3 "$checks_py" patch "$wt" "$prev" "${commits[$i]}" $((i + 1)) >>"$results" ||
		die "scripts/submit_checks.py failed on $(pid $((i + 1)))"
	prev=${commits[$i]}
done
# A failure here blocks like any other rule (already recorded).
while IFS=$'\t' read -r i c st r; do
	nfail=$((nfail + 1))
	echo "BLOCKED: $(pid "$i"): ${r%%$'\x1f'*} [rule: $c]" >&2
done < <(awk -F'\t' '$1 > 0 && ($2 == "kdoc" || $2 ~ /inline|module_param|deprecated|shellcheck|selftest/)' "$results" |
	awk -F'\t' '$3 == "fail"')
tend static

# ---- builds: every step on its own, touched objects only ---------------------
# Three toolchains as netdev's CI (build_allmodconfig_warn, build_32bit,
# build_clang), each in its own O= directory (kbuild binds one to its
# srctree, hence the tree's name in it for --tree): gcc x86_64 with W=1 and
# sparse (C=1), gcc ARCH=i386 with W=1 (the kernel builds freestanding:
# gcc -m32 needs no 32-bit libc, so no gcc-multilib), clang-19 with W=1.
# allmodconfig is hours on 2 cores; the config here is tinyconfig + the
# test kernel's patches/kernel.config, and the report names every touched
# object that config does not build.
read -ra toolchains <<<"${builds//,/ }"
sfx=
[ "$wt" = "$work/tree" ] || sfx=-$(basename "$wt")
tc_obj() {
	case "$1" in
	build_gcc) echo "$work/obj$sfx" ;;
	build_32bit) echo "$work/obj-i386$sfx" ;;
	build_clang) echo "$work/obj-clang$sfx" ;;
	esac
}
tc_desc() {
	case "$1" in
	build_gcc) echo "gcc x86_64 W=1 C=1" ;;
	build_32bit) echo "gcc ARCH=i386 W=1" ;;
	build_clang) echo "clang-19 LLVM=-19 W=1" ;;
	esac
}
tc=build_gcc obj=$(tc_obj build_gcc)
# make submit's V=N must not reach kbuild (its V= is verbosity). ccache
# keys on paths relative to the worktree, so worktrees share hits.
kmake() {
	local -a a
	case "$tc" in
	build_gcc) a=(ARCH=x86_64 "CC=ccache gcc" "HOSTCC=ccache gcc") ;;
	build_32bit) a=(ARCH=i386 "CC=ccache gcc" "HOSTCC=ccache gcc") ;;
	build_clang) a=(ARCH=x86_64 LLVM=-19 "CC=ccache clang-19" "HOSTCC=ccache clang-19") ;;
	esac
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL CCACHE_BASEDIR="$top" CCACHE_NOHASHDIR=1 \
		nice -n 10 make -s -C "$wt" O="$obj" "${a[@]}" "$@"
}
# Objects to build for the changed sources: foo.c -> foo.o when the config
# enables it; a header -> up to 8 enabled .c files that include it directly,
# those in the directories of the changed .c files first (bounded: this is
# a bisect check, not a full build).
objects_for() {
	local f inc
	local -a direct=() incl=()
	for f in "$@"; do
		case "$f" in
		Documentation/*|tools/*|scripts/*|usr/*|samples/*) ;;
		*.c) [ -f "$wt/$f" ] && direct+=("${f%.c}.o") ;;
		include/*.h|arch/*/include/*.h)
			inc=${f#include/}
			inc=${inc#arch/*/include/}
			mapfile -t -O ${#incl[@]} incl < <(cd "$wt" && git grep -l -F "#include <$inc>" -- '*.c' \
				':!tools' ':!scripts' ':!samples' ':!Documentation' 2>/dev/null | sed 's/\.c$/.o/') ;;
		*.h)
			mapfile -t -O ${#incl[@]} incl < <(cd "$wt" && git grep -l -F "#include \"$(basename "$f")\"" \
				-- "$(dirname "$f")/*.c" 2>/dev/null | sed 's/\.c$/.o/') ;;
		esac
	done
	[ ${#direct[@]} -gt 0 ] && enabled_objects "${direct[@]}"
	[ ${#incl[@]} -gt 0 ] || return 0
	local dirs
	dirs=$(printf '%s\n' "${direct[@]}" | xargs -r -n1 dirname | sort -u)
	enabled_objects $(printf '%s\n' "${incl[@]}" | sort -u | grep -vxF -f <(printf '%s\n' "${direct[@]}" "")) |
		awk -v dirs="$dirs" 'BEGIN { n = split(dirs, d, "\n"); for (i = 1; i <= n; i++) near[d[i]] = 1 }
			{ dir = $0; sub(/\/[^\/]*$/, "", dir); print (dir in near ? 0 : 1), $0 }' |
		sort -k1,1n -k2 | head -8 | cut -d' ' -f2
}
# enabled_objects OBJ...: those the configuration builds, judged from the
# directory's Makefile/Kbuild: obj-y/lib-y, obj-$(CONFIG_X) with X set,
# composites (foo-y := bar.o) through foo.o. Kbuild compiles any object it
# is asked for, even one whose CONFIG_ is off - and that can fail for
# reasons that are not the patch's (stubs in headers).
enabled_objects() {
	python3 - "$wt" "$obj/.config" "$@" <<'PY'
import os, re, sys
wt, cfgf, objs = sys.argv[1], sys.argv[2], sys.argv[3:]
cfg = {}
for l in open(cfgf):
    m = re.match(r"(CONFIG_\w+)=(.*)", l)
    if m:
        cfg[m.group(1)] = m.group(2)
assign = re.compile(r"^\s*([\w$().-]+?)\s*[:+?]?=\s*(.*)$")
def rules(d):
    out = []
    for name in ("Kbuild", "Makefile"):
        try:
            text = open(os.path.join(wt, d, name)).read()
        except OSError:
            continue
        for l in text.replace("\\\n", " ").split("\n"):
            m = assign.match(l.split("#")[0])
            if m:
                out.append((m.group(1), m.group(2).split()))
        break
    return out
def cond_ok(suffix):
    if suffix in ("y", "m", "objs"):
        return True
    m = re.fullmatch(r"\$\((CONFIG_\w+)\)", suffix)
    return bool(m) and cfg.get(m.group(1)) in ("y", "m")
def enabled(d, o, depth=0):
    if depth > 3:
        return False
    for lhs, rhs in rules(d):
        if o not in rhs:
            continue
        head, _, suffix = lhs.partition("-")
        if not cond_ok(suffix):
            continue
        if head in ("obj", "lib"):
            return True
        if enabled(d, head + ".o", depth + 1):
            return True
    return False
for o in objs:
    if enabled(os.path.dirname(o), os.path.basename(o)):
        print(o)
PY
}

# Warnings of a build log in the given source files, line numbers dropped
# (patches move lines): the set of "file: text [flag]". A warning that the
# compiler places in a header through a macro (pr_debug()'s format in
# kern_levels.h) belongs to the touched file named in its "In function" or
# "in expansion of macro" lines: "file: text [flag] (in header)".
warnings_in() {
	python3 "$checks_py" warnings "$@"
}

configure_obj() {
	local seed=$obj/.vnetkit-seed stamp
	stamp=$(cat "$config" 2>/dev/null | sha1sum | cut -c1-12)
	if [ ! -e "$seed" ] || [ "$(cat "$obj/.vnetkit-stamp" 2>/dev/null)" != "$stamp" ]; then
		note "configuring $obj: tinyconfig + ${config#$top/}"
		rm -rf "$obj" && mkdir -p "$obj"
		rm -f "$obj/.vnetkit-config-at"
		kmake tinyconfig >"$obj/.vnetkit-config.log" 2>&1 || { cat "$obj/.vnetkit-config.log" >&2; die "make tinyconfig failed"; }
		if [ -r "$config" ]; then
			(cd "$wt" && ARCH=x86_64 scripts/kconfig/merge_config.sh -m -O "$obj" "$obj/.config" "$config") \
				>>"$obj/.vnetkit-config.log" 2>&1 || die "merge_config.sh failed (see $obj/.vnetkit-config.log)"
		fi
		cp "$obj/.config" "$seed"
		echo "$stamp" >"$obj/.vnetkit-stamp"
	fi
	# Options the series adds exist only from their patch on: start each
	# step from the same seed and let olddefconfig resolve it, unless no
	# Kconfig file changed since the last step (olddefconfig costs seconds).
	local at head
	at=$(cat "$obj/.vnetkit-config-at" 2>/dev/null)
	head=$(gitw rev-parse HEAD)
	if [ -n "$at" ] && gitw cat-file -e "$at^{commit}" 2>/dev/null &&
		[ -z "$(gitw diff --name-only "$at" "$head" -- '*Kconfig*')" ]; then
		return 0
	fi
	cp "$seed" "$obj/.config"
	kmake olddefconfig >>"$obj/.vnetkit-config.log" 2>&1 || die "make olddefconfig failed (see $obj/.vnetkit-config.log)"
	echo "$head" >"$obj/.vnetkit-config-at"
}

# build_step LOG OBJECTS...: W=1 build of the objects; 0 when all built.
build_step() {
	local log=$1 rc=0 o
	shift
	: >"$log"
	[ $# -gt 0 ] || return 0
	# ccache may replay a compile made under a UTF-8 locale: ASCII quotes.
	local -a sparse=()
	[ "$tc" = build_gcc ] && sparse=(C=1)
	kmake -k -j2 W=1 "${sparse[@]}" "$@" 2>&1 | sed "s/\xe2\x80[\x98\x99]/'/g" >>"$log" || rc=1
	for o in "$@"; do
		[ -f "$obj/$o" ] || { echo "vnetkit: $o: not built" >>"$log"; rc=1; }
	done
	return $rc
}

# not_enabled SRCS...: the touched .c files this config does not build.
not_enabled() {
	local f
	local -a direct=()
	for f in "$@"; do
		case "$f" in
		Documentation/*|tools/*|scripts/*|usr/*|samples/*) ;;
		*.c) [ -f "$wt/$f" ] && direct+=("${f%.c}.o") ;;
		esac
	done
	[ ${#direct[@]} -gt 0 ] || return 0
	printf '%s\n' "${direct[@]}" | grep -vxF -f <(enabled_objects "${direct[@]}"; echo)
}

# build_series TC: the base, then every step, with toolchain TC; a step
# that does not build, or a warning in a touched file that the tree before
# it did not have, fails that step.
build_series() {
	tc=$1 obj=$(tc_obj "$1")
	local desc i c log s0 errs new nbuilt o w
	local -a base_objs broken_base step_srcs objs off
	desc=$(tc_desc "$tc")
	tstart
	s0=$SECONDS
	gitw checkout -q --detach "$base"
	configure_obj
	mapfile -t base_objs < <(objects_for "${srcs[@]}")
	rm -f "${base_objs[@]/#/$obj/}"
	build_step "$tmp/build-$tc-base.log" "${base_objs[@]}"
	# An object that does not build at the base is not the series' fault:
	# leave it out of every step, and say so.
	broken_base=()
	for o in "${base_objs[@]}"; do [ -f "$obj/$o" ] || broken_base+=("$o"); done
	[ ${#broken_base[@]} -eq 0 ] || note "$desc: base: ${broken_base[*]} do(es) not build at the base in this config: not checked"
	warnings_in "$tmp/build-$tc-base.log" "${srcs[@]}" >"$tmp/w-prev"
	note "$desc: base: $((${#base_objs[@]} - ${#broken_base[@]})) object(s) built, $(wc -l <"$tmp/w-prev") warning(s) in touched files ($((SECONDS - s0)) s)"
	for i in "${!commits[@]}"; do
		c=${commits[$i]}
		s0=$SECONDS
		gitw checkout -q --detach "$c"
		configure_obj
		mapfile -t step_srcs < <(gitw diff --name-only "$base" "$c" -- '*.c' '*.h')
		mapfile -t objs < <(objects_for "${step_srcs[@]}" |
			grep -vxF -f <(printf '%s\n' "${broken_base[@]}" ""))
		# The checkout gave the files this patch changes a new mtime: kbuild
		# recompiles exactly the objects they feed (ccache replays warnings).
		log=$tmp/build-$tc-$((i + 1)).log
		if ! build_step "$log" "${objs[@]}"; then
			errs=$(grep -E ': (fatal )?error: |undefined reference' "$log" | head -2 |
				sed "s#^$wt/##" | paste -sd ';' | sed 's/;/; /g')
			[ -n "$errs" ] || errs="$(grep -E '^vnetkit: .*: not built' "$log" | sed 's/^vnetkit: //' | paste -sd ' ')"
			cp "$log" "$work/build-$tc-$((i + 1)).log"
			if [ "$tc" = build_gcc ]; then
				block $((i + 1)) bisect-build "does not build on its own: $errs (log: build/submit/build-$tc-$((i + 1)).log)"
			else
				block $((i + 1)) "$tc" "does not build with $desc: $errs (log: build/submit/build-$tc-$((i + 1)).log)"
			fi
			continue
		fi
		nbuilt=0
		for o in "${objs[@]}"; do [ -f "$obj/$o" ] && nbuilt=$((nbuilt + 1)); done
		# Warnings in touched files that neither the base nor an earlier
		# step had: objects whose sources did not change are not rebuilt,
		# so the reference is every warning seen so far (a header's warning
		# repeats once per includer: compare sets of distinct texts).
		warnings_in "$log" "${step_srcs[@]}" >"$tmp/w-step"
		new=$(comm -13 "$tmp/w-prev" "$tmp/w-step")
		while IFS= read -r w; do
			[ -n "$w" ] || continue
			case "$tc:$w" in
			build_gcc:*\[-W*\]) block $((i + 1)) w1-new-warning "new W=1 warning: $w" ;;
			build_gcc:*) block $((i + 1)) sparse-new-warning "new sparse warning: $w" ;;
			*) block $((i + 1)) "$tc" "new warning ($desc): $w" ;;
			esac
		done <<<"$new"
		mapfile -t off < <(not_enabled $(gitw diff --name-only "$c^" "$c" -- '*.c'))
		if [ ${#off[@]} -gt 0 ]; then
			record $((i + 1)) "$tc" warning "not built, off in tinyconfig + ${config#$top/}: ${off[*]} (enable it there)"
		fi
		[ -n "$new" ] || record $((i + 1)) "$tc" success \
			"$nbuilt object(s) built, no new warnings (tinyconfig + ${config#$top/})"
		note "$desc: patch $((i + 1))/$n: built $nbuilt object(s)$([ -z "$new" ] && echo ", no new warnings") ($((SECONDS - s0)) s)"
		# Judge each patch on what it adds: the next one is compared to this.
		sort -u "$tmp/w-prev" "$tmp/w-step" >"$tmp/w-prev.new"
		mv "$tmp/w-prev.new" "$tmp/w-prev"
	done
	tend "$tc"
}

if [ "$nfail" -gt 0 ] && [ "$keep" -eq 0 ]; then
	step "build: not run: fix the above first (or --keep-going, make KEEP_GOING=1)"
elif [ "$build" -eq 0 ]; then
	step "build: skipped (--no-build)"
else
	mapfile -t srcs < <(gitw diff --name-only "$base" "$tip" -- '*.c' '*.h')
	for t in "${toolchains[@]}"; do
		step "build: each patch on its own, $(tc_desc "$t"), touched objects"
		build_series "$t"
	done
	gitw checkout -q --detach "$tip"
fi
# ---- the posting ---------------------------------------------------------------
# Staged even when a check failed: cc_maintainers and the cover letter are
# checked on the mails themselves, and the report covers every check.
step "posting: staged for ${out#$top/}"
# vhost goes through MST's tree, tun/ptr_ring/virtio_net through net-next:
# a mixed series is legal but the sender should know who will apply it.
nvhost=$(gitw diff --name-only "$base" "$tip" | grep -c '^drivers/vhost/\|^include/trace/events/vhost\.h$\|^include/uapi/linux/vhost')
nother=$(gitw diff --name-only "$base" "$tip" | grep -vc '^drivers/vhost/\|^include/trace/events/vhost\.h$\|^include/uapi/linux/vhost')
if [ "$target" = net-next ] && [ "$nvhost" -gt 0 ]; then
	note "note: $nvhost vhost file(s) in a net-next posting; MST applies vhost"
	note "patches: split them out (TARGET=vhost) or say in the cover who takes them"
elif [ "$target" = vhost ] && [ "$nother" -gt 0 ]; then
	note "note: $nother non-vhost file(s) in a vhost posting: those usually go through net-next"
fi
prefix="PATCH $target"
vflag=()
# The first posting carries no version tag ([PATCH net-next 0/3]), later
# ones do ([PATCH net-next v2 0/3]), as netdev and b4 expect.
[ "$version" -gt 1 ] && vflag=(-v "$version")

# Recipients: maintainers To, reviewers and lists Cc. In a tree with
# history, as netdev's CI asks get_maintainer.pl (frequent committers of a
# file no MAINTAINERS entry covers); our default tree has no history.
# (--no-fixes there: a Fixes: tag can only name the import commit, whose
# "blame" is the whole tree and takes minutes.)
if [ "$wt" = "$work/tree" ]; then
	gm_opts=(--no-git --no-git-fallback --no-fixes)
else
	gm_opts=(--git-min-percent 35)
fi
gm=$(cd "$wt" && perl scripts/get_maintainer.pl "${gm_opts[@]}" --rolestats \
	"$tmp"/cp/*.patch 2>/dev/null)
to=() cc=()
while IFS= read -r l; do
	addr=${l%% (*}
	[ -n "$addr" ] || continue
	case "$l" in
	*"(maintainer:"*|*"(supporter:"*) to+=("$addr") ;;
	*) cc+=("$addr") ;;
	esac
done <<<"$gm"
if [ ${#to[@]} -eq 0 ]; then
	# No MAINTAINERS entry (include/linux/ptr_ring.h has none in 6.12): post
	# to the target tree's list, which is where such patches are picked up.
	case "$target" in
	net-next) to=(netdev@vger.kernel.org) ;;
	vhost) to=(virtualization@lists.linux.dev) ;;
	esac
	note "get_maintainer.pl: no maintainer covers these files; To: ${to[0]} (the $target list)"
	mapfile -t cc < <(printf '%s\n' "${cc[@]}" | grep -vxF "${to[0]}")
fi
toargs=() ccargs=()
for a in "${to[@]}"; do toargs+=(--to="$a"); done
for a in "${cc[@]}"; do ccargs+=(--cc="$a"); done

rangediff=()
if [ "$version" -gt 1 ]; then
	pv=$((version - 1))
	pbase=$(gitw rev-parse -q --verify "refs/vnetkit/$name/v$pv-base") &&
		ptip=$(gitw rev-parse -q --verify "refs/vnetkit/$name/v$pv") ||
		die "no v$pv of '$name' recorded in $wt (run make submit V=$pv first: v$version needs the range-diff against it)"
	rangediff=(--range-diff="$pbase..$ptip" --creation-factor=80)
fi

# Everything is written to a scratch directory and moved to $out only once
# the whole posting (cover, recipients, dry run) is good.
stage=$tmp/posting
mkdir -p "$stage"
# The cover letter's From: and Message-ID come from the committer: make
# them the series author's, not whoever ran git am.
GIT_COMMITTER_NAME=$(gitw log -1 --format=%an "$tip") \
GIT_COMMITTER_EMAIL=$(gitw log -1 --format=%ae "$tip") \
gitw format-patch -q --cover-letter "${vflag[@]}" --subject-prefix="$prefix" \
	--thread=shallow --base="$base" "${toargs[@]}" "${ccargs[@]}" \
	"${rangediff[@]}" -o "$stage" "$base..$tip" >/dev/null || die "git format-patch failed"
coverfile=$(ls "$stage"/*0000-cover-letter.patch)

# Cover letter: first line of cover-letter.txt = subject, then the text; the
# "Changelog:" section keeps entries v1..vN (newest first) with a lore link
# to each earlier posting, whose Message-ID the recorded posting holds.
# A missing text blocks like any other check (the report still runs).
[ -r "$cover" ] || cover=/dev/null
nfail_before_cover=$nfail
links=$tmp/links
: >"$links"
for ((k = 1; k < version; k++)); do
	mid=$(gitw config --get "vnetkit.$name-v$k.message-id" || true)
	[ -n "$mid" ] && echo "v$k $mid" >>"$links"
done
cover_err=$(python3 - "$cover" "$coverfile" "$version" "$links" 2>&1 <<'EOF'

import re, sys
src, dst, ver, links = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
lines = [l.rstrip("\n") for l in open(src) if not l.startswith("#")]
while lines and not lines[0].strip():
    lines.pop(0)
if src == "/dev/null":
    sys.exit("BLOCKED: cover letter: no cover letter text: write cover-letter-<target>.txt"
             " or cover-letter.txt beside the series (summary, results, changelog)"
             " [rule: cover-letter]")
if not lines:
    sys.exit("BLOCKED: cover letter: %s is empty (first line: subject) [rule: cover-letter]" % src)
subject, body = lines[0].strip(), lines[1:]
lore = dict(l.split(None, 1) for l in open(links).read().split("\n") if l)
text, log = body, []
for i, l in enumerate(body):
    if l.strip() == "Changelog:":
        text, log = body[:i], body[i + 1:]
        break
entries, cur = {}, None
for l in log:
    m = re.match(r"^v(\d+):\s*$", l)
    if m:
        cur = int(m.group(1)); entries[cur] = []
    elif cur is not None and l.strip():
        entries[cur].append(l)
bad = [l for l in lines if re.search(r"\bTODO\b|\bXXX\b|\bFIXME\b|\*\*\*", l)]
if bad:
    sys.exit("BLOCKED: cover letter: unfinished text in %s: '%s' [rule: cover-letter]"
             % (src, bad[0].strip()))
if ver > 1 and not entries.get(ver):
    sys.exit("BLOCKED: cover letter: no 'v%d:' entry under 'Changelog:' in %s"
             " [rule: changelog]" % (ver, src))
blurb = "\n".join(text).strip("\n") + "\n@@VNETKIT-NOTES@@\n"
if ver > 1:
    blurb += "\nChangelog:\n"
    for v in range(ver, 0, -1):
        link = lore.get("v%d" % v)
        head = "v%d:" % v + (" https://lore.kernel.org/r/%s" % link if link and v < ver else "")
        blurb += head + "\n" + "".join(e + "\n" for e in entries.get(v, []))
out = open(dst).read()
if "*** SUBJECT HERE ***" not in out or "*** BLURB HERE ***" not in out:
    sys.exit("vnetkit: submit: unexpected cover letter template in %s" % dst)
out = out.replace("*** SUBJECT HERE ***", subject, 1)
out = out.replace("*** BLURB HERE ***\n", blurb, 1)
open(dst, "w").write(out)
EOF
) || {
	if [[ "$cover_err" =~ ^BLOCKED:\ cover\ letter:\ (.*)\ \[rule:\ ([a-z-]+)\]$ ]]; then
		block 0 "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
	else
		die "cover letter: $cover_err"
	fi
}
[ "$nfail" -gt "$nfail_before_cover" ] || record 0 cover success "filled from ${cover#$top/}"

# cc_maintainers: every address get_maintainer.pl gives for a patch is in
# that mail's To/Cc, checked on the mails as they will be sent.
tstart
i=0
for f in "$stage"/*.patch; do
	[ "$f" = "$coverfile" ] && continue
	i=$((i + 1))
	python3 "$checks_py" cc "$wt" "$i" "$f" "${gm_opts[@]}" >>"$results"
done
tend cc_maintainers
while IFS=$'\t' read -r i c st r; do
	nfail=$((nfail + 1))
	echo "BLOCKED: $(pid "$i"): ${r%%$'\x1f'*} [rule: $c]" >&2
done < <(awk -F'\t' '$2 == "cc_maintainers" && $3 == "fail"' "$results")

ttotal=$(( ($(date +%s%N) - t_run) / 1000000 ))
timing=
for c in checkpatch "${toolchains[@]}" kdoc source_inline header_inline module_param \
	deprecated_api shellcheck check_selftest cc_maintainers; do
	ms=${secs[$c]:-}
	[ -n "$ms" ] || ms=$(awk -v c="$c" '$1 == c { s += $2; k = 1 } END { if (k) print s + 0 }' "$tmp/times" 2>/dev/null)
	[ -n "$ms" ] && timing+=" $c $(awk -v m="$ms" 'BEGIN { printf "%.1f", m / 1000 }') s,"
done
if ! report; then
	note "check times:${timing%,} (whole run $(awk -v m="$ttotal" 'BEGIN { printf "%.0f", m / 1000 }') s)"
	echo "$prog: posting blocked: $nfail failure(s), warnings not accepted: see the report; nothing written to ${out#$top/}" >&2
	exit 1
fi
note "check times:${timing%,} (whole run $(awk -v m="$ttotal" 'BEGIN { printf "%.0f", m / 1000 }') s)"
# Accepted warnings: said in the cover letter, not hidden.
python3 - "$coverfile" "$tmp/notes" <<'EOF' || die "cannot write the notes into the cover letter"
import sys
cover, notes = sys.argv[1], sys.argv[2]
try:
    lines = [l.rstrip("\n") for l in open(notes) if l.strip()]
except OSError:
    lines = []
text = ""
if lines:
    text = "\nNotes (checks that warn, accepted for this posting):\n" + \
        "".join(f" - {l}\n" for l in lines)
out = open(cover).read().replace("@@VNETKIT-NOTES@@\n", text, 1)
open(cover, "w").write(out)
EOF

# ---- send-email, dry run -------------------------------------------------------------
step "git send-email --dry-run"
# Debian's git-email only recommends the module it cannot start without.
if ! perl -MMail::Address -e 1 2>/dev/null; then
	if [ "$(id -u)" -eq 0 ]; then
		echo "submit: installing libmailtools-perl (git send-email needs Mail::Address)" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			libmailtools-perl >/dev/null 2>&1
	fi
	perl -MMail::Address -e 1 2>/dev/null ||
		die "git send-email needs Perl's Mail::Address (apt-get install libmailtools-perl)"
fi
from=$(gitw log -1 --format='%an <%ae>' "$tip")
(cd "$wt" && git -c sendemail.smtpServer=/bin/false -c sendemail.smtpServerOption= \
	-c sendemail.confirm=never -c sendemail.annotate=false send-email --dry-run \
	--from="$from" "${toargs[@]}" --suppress-cc=self --no-format-patch \
	"$stage"/*.patch) </dev/null >"$tmp/send-email-dry-run.log" 2>&1 ||
	{ tail -20 "$tmp/send-email-dry-run.log" >&2; die "git send-email --dry-run failed"; }
sent=$(grep -c '^Dry-OK\. Log says:' "$tmp/send-email-dry-run.log")
[ "$sent" -eq $((n + 1)) ] || { cat "$tmp/send-email-dry-run.log" >&2; die "send-email --dry-run handled $sent of $((n + 1)) mails"; }

mid=$(sed -n 's/^Message-ID: <\(.*\)>$/\1/Ip' "$coverfile" | head -1)
rm -rf "$out" && mkdir -p "$out" && mv "$stage"/*.patch "$tmp/send-email-dry-run.log" "$out"/ ||
	die "cannot write $out"
# Record this posting for the next version's range-diff and lore link.
gitw update-ref "refs/vnetkit/$name/v$version" "$tip"
gitw update-ref "refs/vnetkit/$name/v$version-base" "$base"
gitw config "vnetkit.$name-v$version.message-id" "$mid"
coverfile=$out/$(basename "$coverfile")


note "$((n + 1)) mails in ${out#$top/}/ (cover + $n), send-email dry run: $sent Dry-OK"
printf '  To: %s\n' "${to[0]}"
[ ${#to[@]} -lt 2 ] || printf '      %s\n' "${to[@]:1}"
printf '  Cc: %s\n' "${cc[0]:-(none)}"
[ ${#cc[@]} -lt 2 ] || printf '      %s\n' "${cc[@]:1}"
note "subject: $(sed -n 's/^Subject: //p' "$coverfile" | head -1)"
if [ ${#placeholder_sob[@]} -gt 0 ]; then
	pl=$(printf '%s, ' "${placeholder_sob[@]}")
	echo "WARNING: ${pl%, }: Signed-off-by uses a placeholder" \
		"address; the DCO needs the sender's real name and address: fix" \
		"it in the patches, then make submit again before sending"
fi
echo "Review ${out#$top/}/*.patch, then send with:"
tolist=$(printf '%s, ' "${to[@]}")
echo "  git -C $tree send-email \\"
echo "    --to='${tolist%, }' \\"
echo "    $out/*.patch"
echo "(Cc comes from the mails' headers; or let b4 take over, see README.)"
