#!/usr/bin/env bash
# The command layer, driven by its own tables (vnetkit __gen options): every
# option of every command and subcommand gets the bad values its type calls
# for, and must be refused with exit 2 and one line
#   vnetkit <command> [<sub>]: --<option>: <why> (<hint>)
# before anything runs; likewise a missing value, a repeat, an option of
# another subcommand and every declared conflict. Then the help paths (exit
# 0, the five sections) and the generated man pages and completion.
source "$(dirname "$0")/lib.sh"

V=$VNETKIT
T=$(mktemp -d)
at_exit "rm -rf $T"
# Any command wrongly accepted runs in an empty network namespace.
run() { unshare -n "$V" "$@"; }

if ! $V __gen options >$T/options || [ ! -s $T/options ]; then
	fail "cli: vnetkit __gen options lists no option"
	exit 0
fi
mapfile -t rows <$T/options
subs_of() { awk -F'\t' -v c="$1" '$1 == c && !seen[$2]++ { print $2 }' $T/options; }

# good TYPE MIN VALUES: a value the type accepts.
good() {
	case $1 in
	int|size) echo "$2" ;;
	duration) echo "$2" ;;
	enum) echo "${3%%,*}" ;;
	list) if [ "$3" = - ]; then echo "$2"; else echo "${3%%,*}"; fi ;;
	ifname) echo lo ;;
	name) echo "vkcl$$" ;;
	path) echo "$T/file" ;;
	*) echo x ;;
	esac
}
# required CMD SUB [SKIP]: the required options of CMD SUB with good values.
required() {
	awk -F'\t' -v c="$1" -v s="$2" -v skip="$3" \
		'$1 == c && $2 == s && $8 == 1 && $3 != skip { print $3 "\t" $4 "\t" $5 "\t" $7 }' \
		$T/options | while IFS=$'\t' read -r o t mn vals; do
		printf '%s\n%s\n' "$o" "$(good "$t" "$mn" "$vals")"
	done
}
# bad TYPE MIN MAX VALUES: the values the type must refuse, one a line.
bad() {
	local t=$1 mn=$2 mx=$3 vals=$4
	case $t in
	int|size)
		printf '%s\n' 0x10 010 1e3 -1 +5 " 5" "" 5abc inf nan 1.5
		[ "$mn" != 0 ] && echo "$(bc <<<"$mn - 1")"
		echo "$(bc <<<"$mx + 1")" ;;
	duration)
		printf '%s\n' 1e3 .5 1. -1 +1 "" 0x10 inf nan 5s
		echo "$(bc <<<"$mx * 10")"
		[ "$mn" != 0 ] && echo "$(bc -l <<<"$mn / 10" | sed 's/^\./0./; s/0*$//')" ;;
	enum) printf '%s\n' "" bogus "${vals%%,*}x" ;;
	list)
		printf '%s\n' "" ","
		if [ "$vals" = - ]; then
			printf '%s\n' "$mn,,$mn" 0x10 "$mn,abc" "$(bc <<<"$mx + 1")"
		else
			printf '%s\n' bogus "${vals%%,*},bogus"
		fi ;;
	ifname) printf '%s\n' "" abcdefghijklmnop "a/b" "a b" "a:b" ;;
	name) printf '%s\n' "" "a/b" "a b" ;;
	path|str) printf '%s\n' "" ;;
	esac
}
# expect2 DESC CMD SUB OPTION-REGEX ARGS...: exit 2 and the one-line format.
nbad=0
expect2() {
	local desc=$1 cmd=$2 sub=$3 opt=$4 out rc prefix
	shift 4
	out=$(run "$@" 2>&1 >/dev/null); rc=$?
	prefix="vnetkit $cmd"
	[ "$sub" != - ] && prefix+=" $sub"
	if [ $rc -ne 2 ] || [ "$(wc -l <<<"$out")" -ne 1 ] ||
	   ! grep -Eq "^$prefix: ($opt): [^ ].*" <<<"$out"; then
		echo "$desc: exit $rc: $out"
		return 1
	fi
	nbad=$((nbad + 1))
}

nopts=0
for row in "${rows[@]}"; do
	IFS=$'\t' read -r cmd sub opt type mn mx vals req confl <<<"$row"
	s=(); [ "$sub" != - ] && s=("$sub")
	mapfile -t reqargs < <(required "$cmd" "$sub" "$opt")
	errs=$T/errs; : >$errs
	while IFS= read -r b; do
		expect2 "$opt '$b'" "$cmd" "$sub" "$opt" $cmd "${s[@]}" "${reqargs[@]}" "$opt" "$b" >>$errs
	done < <(bad "$type" "$mn" "$mx" "$vals")
	if [ "$type" = flag ]; then
		expect2 "$opt=1" "$cmd" "$sub" "$opt" $cmd "${s[@]}" "${reqargs[@]}" "$opt=1" >>$errs
		expect2 "$opt twice" "$cmd" "$sub" "$opt" $cmd "${s[@]}" "${reqargs[@]}" "$opt" "$opt" >>$errs
	else
		g=$(good "$type" "$mn" "$vals")
		expect2 "$opt without a value" "$cmd" "$sub" "$opt" $cmd "${s[@]}" "${reqargs[@]}" "$opt" >>$errs
		[ "$opt" = --netns ] || [ "$opt" = --dev ] && [ "$cmd" = export ] ||
			expect2 "$opt twice" "$cmd" "$sub" "$opt" $cmd "${s[@]}" "${reqargs[@]}" "$opt" "$g" "$opt" "$g" >>$errs
	fi
	if [ "$confl" != - ]; then
		IFS=, read -ra cs <<<"$confl"
		for c in "${cs[@]}"; do
			crow=$(awk -F'\t' -v c="$cmd" -v s="$sub" -v o="$c" '$1 == c && $2 == s && $3 == o' $T/options)
			IFS=$'\t' read -r _ _ _ ct cmn _ cvals _ _ <<<"$crow"
			cg=(); [ "$ct" != flag ] && cg=("$(good "$ct" "$cmn" "$cvals")")
			og=(); [ "$type" != flag ] && og=("$(good "$type" "$mn" "$vals")")
			expect2 "$opt with $c" "$cmd" "$sub" "$opt|$c" $cmd "${s[@]}" "${reqargs[@]}" \
				"$opt" "${og[@]}" "$c" "${cg[@]}" >>$errs
		done
	fi
	if [ -s $errs ]; then
		fail "cli: $cmd ${s[*]} $opt ($type): $(head -3 $errs | tr '\n' ';')"
	else
		ok "cli: $cmd ${s[*]} $opt ($type): bad values, missing value, repeat, conflicts: exit 2, one line '$cmd${s[*]:+ ${s[*]}}: $opt: ...'"
	fi
	nopts=$((nopts + 1))
done
diag "$nopts option rows, $nbad refused invocations"

# An option in the wrong subcommand, for every subcommand it does not fit.
for cmd in $(cut -f1 $T/options | sort -u); do
	mapfile -t ss < <(subs_of "$cmd")
	[ "${ss[0]}" = - ] && continue
	errs=$T/errs; : >$errs
	for opt in $(awk -F'\t' -v c="$cmd" '$1 == c { print $3 }' $T/options | sort -u); do
		for s in "${ss[@]}"; do
			grep -qP "^$cmd\t$s\t$opt\t" $T/options && continue
			expect2 "$s $opt" "$cmd" "$s" "$opt" $cmd $s $opt x >>$errs ||
				true
			grep -q "does not apply to $cmd $s" <(run $cmd $s $opt x 2>&1) ||
				echo "$s $opt: not 'does not apply'" >>$errs
		done
	done
	if [ -s $errs ]; then
		fail "cli: $cmd: options of other subcommands: $(head -3 $errs | tr '\n' ';')"
	else
		ok "cli: $cmd: every option refused in the subcommands it does not apply to"
	fi
done

# Unknown options, subcommands and arguments; help everywhere.
for cmd in $(cut -f1 $T/options | sort -u); do
	s=$(subs_of "$cmd" | head -1); [ "$s" = - ] && s=
	expect_fail 2 "vnetkit $cmd${s:+ $s}: unknown option '--bogus'" "cli: $cmd ${s} --bogus: exit 2, our message" \
		run $cmd $s --bogus
	help=$($V help $cmd); rc=$?
	secs=$(grep -cE '^(NAME|SYNOPSIS|DESCRIPTION|OPTIONS|EXAMPLES|EXIT STATUS)$' <<<"$help")
	check "cli: vnetkit help $cmd: exit 0, NAME SYNOPSIS DESCRIPTION OPTIONS EXAMPLES EXIT STATUS ($secs of 6)" \
		test $rc -eq 0 -a "$secs" -eq 6
	wide=$(awk 'length > 80' <<<"$help" | head -2)
	check "cli: vnetkit help $cmd fits 80 columns${wide:+ ($wide)}" test -z "$wide"
	check "cli: vnetkit $cmd --help is vnetkit help $cmd" \
		test "$($V $cmd --help)" = "$help"
	missing=$(awk -F'\t' -v c="$cmd" '$1 == c { print $3 }' $T/options | sort -u |
		while read -r o; do grep -q -- "$o" <<<"$help" || echo "$o"; done)
	check "cli: vnetkit help $cmd names every option of its table${missing:+ (missing: $missing)}" \
		test -z "$missing"
done
expect_fail 2 "unexpected argument 'help2'" "cli: trace help2: not a command to run (exit 2)" run trace help2
check "cli: vnetkit trace help: the help page, exit 0" bash -c "$V trace help | grep -q '^SYNOPSIS'"
expect_fail 2 "vnetkit: unknown command 'nosuch'" "cli: unknown command: exit 2" $V nosuch
expect_fail 2 "vnetkit help: unknown command 'nosuch'" "cli: help of an unknown command: exit 2" $V help nosuch
check "cli: vnetkit help: exit 0" $V help
expect_fail 2 "vnetkit ring: missing subcommand" "cli: a command without its subcommand: exit 2" $V ring

# Man pages and completion, generated from the same tables.
if $V __gen man $T/man >/dev/null; then
	n=$(ls $T/man | wc -l)
	ncmd=$($V help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { n++ } END { print n }')
	check "cli: __gen man wrote vnetkit(8) and one page per command ($n for $ncmd commands)" \
		test "$n" -eq $((ncmd + 1))
	warn=$(for p in $T/man/*.8; do groff -man -Tutf8 -ww -z $p 2>&1; done)
	check "cli: every man page formats without a groff warning${warn:+: $warn}" test -z "$warn"
	check "cli: vnetkit-xdp(8) documents --frags" \
		bash -c "MANWIDTH=80 man -l $T/man/vnetkit-xdp.8 2>/dev/null | grep -q -- '--frags'"
else
	fail "cli: vnetkit __gen man failed"
fi
$V __gen completion >$T/compl
out=$(bash -c "source $T/compl; COMP_WORDS=(vnetkit ring bench --al); COMP_CWORD=3; _vnetkit; echo \${COMPREPLY[*]}")
check "cli: completion of 'vnetkit ring bench --al' is --algo ($out)" test "$out" = --algo
out=$(bash -c "source $T/compl; COMP_WORDS=(vnetkit xdp attach --mode ''); COMP_CWORD=4; _vnetkit; echo \${COMPREPLY[*]}")
check "cli: completion of xdp attach --mode lists the table's values ($out)" \
	test "$out" = "auto native generic drv skb"
out=$(bash -c "source $T/compl; COMP_WORDS=(vnetkit vh); COMP_CWORD=1; _vnetkit; echo \${COMPREPLY[*]}")
check "cli: completion of a command name ($out)" test "$out" = vhost
