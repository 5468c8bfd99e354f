#!/usr/bin/env bash
# make kernel-mutants [KCSAN=1] [M="name ..."]: mutation test of the ptr_ring
# KUnit suite. Each mutant is a known-bad variant of
# __ptr_ring_produce_batched() (include/linux/ptr_ring.h after the series);
# the suite must fail on every one (--judge: the verdicts again from the
# console logs of the last run, nothing built or booted). Per mutant: edit a scratch tree
# (build/mutants/linux-patched, build/mutants-kcsan/ with KCSAN=1), rebuild (only what includes ptr_ring.h),
# boot it under QEMU with only the ptr_ring suite enabled, and read the
# KTAP and any KCSAN report from the console. The unmutated helper runs
# first as the control and must pass: a suite that fails without a mutant
# kills nothing.
#
# With KCSAN=1 the kernel is the KCSAN variant of scripts/kernel.sh
# (strict, weak memory modelling, only the suite instrumented): x86 keeps
# stores in order, so a missing smp_wmb() is visible only as a KCSAN
# report, never as a wrong payload.
#
# Env: MUTANTS_DIR (the variant's directory; selftests judge fixture logs
# there), MUTANT_TIMEOUT (seconds per boot, default 900), KCSAN_SKIP_WATCH
# (kcsan.skip_watch for KCSAN boots, default 50: at 500 a barrier placed
# after the slot stores drew no report in a boot, at 50 it drew seven).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
QEMU=${QEMU:-qemu-system-x86_64}
kcsan=0
judge_only=0
want=()

die() { echo "vnetkit: mutants: $*" >&2; exit 1; }
usage() { echo "vnetkit: mutants: $1 (usage: scripts/mutants.sh [--kcsan] [--judge] [MUTANT...]; mutants: ${names[*]})" >&2; exit 2; }

# Each mutant: a name, a description, and a perl substitution applied to
# the body of __ptr_ring_produce_batched() only. A substitution that does
# not match is an error: the helper changed, update the mutant.
names=(no-wmb wmb-late index-count lap-off-by-one last-unchecked first-only fill-wrap)
declare -A desc subst
desc[no-wmb]='smp_wmb() before the slot stores deleted'
subst[no-wmb]='s/\n\tsmp_wmb\(\);\n/\n/'
desc[wmb-late]='smp_wmb() after the slot stores instead of before'
subst[wmb-late]='s/\n\tsmp_wmb\(\);\n(.*?)\n\tr->producer = slot;\n/\n$1\n\tsmp_wmb();\n\tr->producer = slot;\n/s'
desc[index-count]='free slots from the indices: READ_ONCE(r->consumer_tail) - slot'
subst[index-count]='s/\tfor \(i = 0; i < n; i\+\+\) \{\n\t\tif \(READ_ONCE\(r->queue\[slot\]\)\)\n\t\t\tbreak;\n/\tif (READ_ONCE(r->queue[slot]))\n\t\treturn 0;\n\tn = min(n, (READ_ONCE(r->consumer_tail) - slot + r->size - 1) % r->size + 1);\n\tfor (i = 0; i < n; i++) {\n/'
desc[lap-off-by-one]='a batch may take r->size + 1 slots (no test after a full lap)'
subst[lap-off-by-one]='s/\t\tif \(READ_ONCE\(r->queue\[slot\]\)\)\n\t\t\tbreak;/\t\tif (i < r->size && READ_ONCE(r->queue[slot]))\n\t\t\tbreak;/'
desc[last-unchecked]='the last slot of the batch is not tested'
subst[last-unchecked]='s/\t\tif \(READ_ONCE\(r->queue\[slot\]\)\)\n\t\t\tbreak;/\t\tif (i < n - 1 && READ_ONCE(r->queue[slot]))\n\t\t\tbreak;/'
desc[first-only]='only the first slot of the batch is tested'
subst[first-only]='s/\t\tif \(READ_ONCE\(r->queue\[slot\]\)\)\n\t\t\tbreak;/\t\tif (!i && READ_ONCE(r->queue[slot]))\n\t\t\tbreak;/'
desc[fill-wrap]='the producer index wraps one slot early: ++slot >= r->size - 1'
subst[fill-wrap]='s/if \(unlikely\(\+\+slot >= r->size\)\)/if (unlikely(++slot >= r->size - 1))/'

# Barrier mutants: no execution on x86 can show them (the CPU keeps stores
# in order, and the producer's lock is a compiler barrier), so only the
# KCSAN kernel judges them; the plain run shows their result unjudged.
barrier_only=" no-wmb wmb-late "

# must_kill NAME: whether NAME surviving fails this run.
must_kill() { [ $kcsan = 1 ] || [[ "$barrier_only" != *" $1 "* ]]; }

while [ $# -gt 0 ]; do
	case "$1" in
	--kcsan) kcsan=1 ;;
	--judge) judge_only=1 ;;
	-*) usage "unknown option '$1'" ;;
	*) [ -n "${desc[$1]+x}" ] || usage "unknown mutant '$1'"; want+=("$1") ;;
	esac
	shift
done
[ ${#want[@]} -gt 0 ] || want=("${names[@]}")
command -v "$QEMU" >/dev/null || die "$QEMU missing (scripts/setup.sh kernel installs qemu-system-x86)"
[ -x /bin/busybox ] || die "/bin/busybox missing (apt-get install busybox-static)"

# Each variant has its own scratch tree, so the plain and the KCSAN
# tables can be made at the same time.
dir=${MUTANTS_DIR:-$build/mutants$([ $kcsan = 1 ] && echo -kcsan)}
tree=$dir/linux-patched
out=$dir/kbuild$([ $kcsan = 1 ] && echo -kcsan)
hdr=$tree/include/linux/ptr_ring.h
sfx=$([ $kcsan = 1 ] && echo .kcsan)
mkdir -p "$dir"
exec 8>"$dir/.lock"
[ $judge_only = 1 ] || flock -n 8 || die "another make kernel-mutants is running (lock $dir/.lock)"

# mutate NAME: write the mutant of the pristine (patched) header.
mutate() {
	local name=$1
	NAME=$name SUBST=${subst[$name]} perl -0777 -e '
		my $s = do { local $/; <STDIN> };
		$s =~ /(static inline int __ptr_ring_produce_batched\(.*?\n\}\n)/s
			or die "no __ptr_ring_produce_batched() in ptr_ring.h\n";
		my ($body, $new) = ($1, $1);
		my $ok = eval "\$new =~ $ENV{SUBST}";
		die "mutant $ENV{NAME}: substitution does not match the helper\n"
			unless $ok && $new ne $body;
		$s =~ s/\Q$body\E/$new/;
		print $s;' <"$hdr.orig" >"$hdr.new" || return 1
	mv "$hdr.new" "$hdr"
}

# A minimal initramfs: the suites run before /init, which reboots
# (-no-reboot makes QEMU exit).
initrd=$dir/init.cpio.gz
mkinitrd() {
	local root=$dir/root
	rm -rf "$root"
	mkdir -p "$root/bin"
	install -m 0755 /bin/busybox "$root/bin/busybox"
	printf '#!/bin/busybox sh\n/bin/busybox reboot -f\n' >"$root/init"
	chmod 0755 "$root/init"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$initrd"
	rm -rf "$root"
}

# kcsan_sigs LOG: one line per KCSAN report, "case: functions (accesses)",
# addresses and tasks left out so that reports of the same race compare
# equal across boots.
#
# The functions are canonical: ptr_ring's own lockless slot accesses (the
# producer's slot test and store against the consumer's zeroing and
# __ptr_ring_empty()) race by design, plain against marked, in every
# boot, and KCSAN names them after whichever inlined helper or, when an
# interrupt hit its watchpoint delay, scheduler function was on top: all
# of these are "ring". A mutant is then killed by KCSAN only by a race
# outside the ring's known ones (the payload: written by
# ptr_ring_test_produce_next(), read by ptr_ring_test_check_payload()),
# never by a new spelling of a race the control has too. The accesses
# are shown, not compared: their order is whichever side hit the
# watchpoint.
kcsan_sigs() {
	sed -E 's/^\[ *[0-9.]+\] //' "$1" | awk '
		function canon(f) {
			sub(/\.(isra|constprop|part)\.[0-9]+$/, "", f)
			if (f ~ /^ptr_ring_test_(produce_next|check_payload)$/) return f
			return "ring"
		}
		/^    # Subtest: / { c = $0; sub(/.*# Subtest: /, "", c) }
		/BUG: KCSAN: / {
			if (h != "") print sig()
			h = $0; sub(/.*BUG: KCSAN: /, "", h); a = ""
			# "A / B", or "A+0x../0x.." when both stacks have A on top.
			if (match(h, /^data-race in [^ ]+ \/ [^ ]+$/)) {
				split(substr(h, 14), fn, " / ")
				x = canon(fn[1]); y = canon(fn[2])
				h = "data-race in " (x < y ? x " / " y : y " / " x)
			} else if (match(h, /^data-race in [^ ]+\+0x[0-9a-f]+\/0x[0-9a-f]+$/)) {
				x = substr(h, 14); sub(/\+0x.*/, "", x); x = canon(x)
				h = "data-race in " x " / " x
			}
			next
		}
		h != "" && / to 0x[0-9a-f]+ of [0-9]+ bytes/ {
			x = $0; sub(/ to 0x[0-9a-f]+/, "", x); sub(/ by (task|interrupt).*/, "", x)
			sub(/^ */, "", x); a = a (a == "" ? "" : ", ") x
		}
		/^==================/ && h != "" && a != "" { print sig(); h = "" }
		function sig() { return (c == "" ? "-" : c) ": " h " (" a ")" }
		END { if (h != "") print sig() }'
}

# run NAME: build and boot the current tree; sets RES, BY, BSECS, RSECS.
run() {
	local name=$1 log=$dir/$1$sfx.console t0 t1 cmd rc
	BSECS=$("$top/scripts/kernel.sh" build-tree "$tree" "$out" $([ $kcsan = 1 ] && echo --kcsan) | tail -1) || {
		RES=error BY="build failed (see ${out#$top/}/build.log)" BSECS=- RSECS=-; return; }
	cmd="console=ttyS0 panic=-1 rdinit=/init no_timer_check kunit.filter_glob=ptr_ring"
	[ $kcsan = 1 ] && cmd+=" kcsan.skip_watch=${KCSAN_SKIP_WATCH:-50}"
	t0=$(date +%s.%N)
	timeout -k 5 "${MUTANT_TIMEOUT:-900}" "$QEMU" -accel tcg -m 512M -smp 2 -nographic \
		-no-reboot -monitor none -serial stdio -kernel "$out/arch/x86/boot/bzImage" \
		-initrd "$initrd" -append "$cmd" </dev/null 2>&1 |
		sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' >"$log"
	rc=${PIPESTATUS[0]}
	t1=$(date +%s.%N)
	RSECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')
	echo "$rc $BSECS $RSECS" >"$log.run"
	judge "$name"
}

# judge NAME: the verdict on NAME from its console log (and the
# control's); sets RES and BY.
judge() {
	local name=$1 log=$dir/$1$sfx.console failed kc rc
	read -r rc _ 2>/dev/null <"$log.run" || rc=
	# Failed cases: "not ok" one level into the suite, minus skips.
	failed=$(sed -E 's/^\[ *[0-9.]+\] //' "$log" | grep -E '^    not ok [0-9]+ ' |
		grep -v '# SKIP' | sed -E 's/^ +not ok [0-9]+ (ptr_ring_test_)?//' | paste -sd, -)
	kcsan_sigs "$log" >"$log.kcsan"
	# A KCSAN report kills a mutant only if the control did not report
	# the same race (the same canonical functions, see kcsan_sigs).
	kc=$(sed 's/ (.*//' "$log.kcsan" | grep -vxF -f <(sed 's/ (.*//' "$dir/control$sfx.console.kcsan") | sort | uniq -c |
		sort -rn | awk '{ n = $1; $1 = ""; print n "x" $0 }' | head -3 | paste -sd';' -)
	# The control may show only ptr_ring's own known races ("ring /
	# ring"); any other report is a race of the series as posted.
	[ "$name" = control ] && kc=$(grep -v ': data-race in ring / ring ' "$log.kcsan" | sort | uniq -c |
		awk '{ n = $1; $1 = ""; print n "x" $0 }' | head -3 | paste -sd';' -)
	BY=
	[ -n "$failed" ] && BY="cases: $failed"
	[ -n "$kc" ] && BY="${BY:+$BY; }KCSAN:$kc"
	if grep -qE 'Kernel panic|Oops:|BUG: (unable|kernel)|general protection' "$log"; then
		RES=killed BY="${BY:+$BY; }crash: $(grep -m1 -oE '(Kernel panic|Oops:|BUG: (unable|kernel)|general protection).*' "$log" | cut -c1-60)"
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		RES=killed BY="${BY:+$BY; }hang: no power-off in ${MUTANT_TIMEOUT:-900} s"
	elif ! grep -qE '^(\[ *[0-9.]+\] )?(not )?ok [0-9]+ ptr_ring' "$log"; then
		RES=error BY="the ptr_ring suite did not run (see ${log#$top/})"
	elif [ -n "$BY" ]; then
		RES=killed
	else
		RES=survived BY="all cases passed, no KCSAN report$([ -s "$log.kcsan" ] && echo " beyond $([ "$name" = control ] && echo "$(wc -l <"$log.kcsan") of ptr_ring's own slot accesses (ring / ring)" || echo "the control's")")"
	fi
}

print_table() {
	local r n res b t by
	echo
	echo "ptr_ring KUnit suite against mutants of __ptr_ring_produce_batched() ($([ $kcsan = 1 ] && echo 'KCSAN strict + weak memory' || echo 'plain kernel'), QEMU TCG, 2 vCPUs)"
	printf '%-15s %-8s %6s %6s  %s\n' mutant result build boot 'failed by'
	for r in "${rows[@]}"; do
		IFS='|' read -r n res b t by <<<"$r"
		printf '%-15s %-8s %5ss %5ss  %s\n' "$n" "$res" "$b" "$t" "$by"
	done
}

if [ $judge_only = 1 ]; then
	rows=() bad=0
	for name in control "${want[@]}"; do
		log=$dir/$name$sfx.console
		[ -s "$log" ] || { rows+=("$name|not run|-|-|no console log ${log#$top/}"); bad=1; continue; }
		judge "$name"
		read -r _ b t 2>/dev/null <"$log.run" || b=- t=-
		if [ "$name" = control ]; then [ "$RES" = survived ] || bad=1
		elif [ "$RES" != killed ]; then
			if must_kill "$name"; then bad=1; else RES=unjudged BY="$BY (x86 orders stores: KCSAN=1 judges it)"; fi
		fi
		rows+=("$name|$RES|$b|$t|$BY")
	done
	print_table
	[ $bad -eq 0 ] || { echo "vnetkit: mutants: not every mutant was killed (or the control failed)" >&2; exit 1; }
	exit 0
fi

t_all0=$(date +%s)
echo "mutants: scratch tree ${tree#$top/} (the series of patches/), $([ $kcsan = 1 ] && echo 'KCSAN build' || echo 'plain build'), output ${out#$top/}"
"$top/scripts/kernel.sh" scratch "$tree" >/dev/null || die "could not apply the series to $tree"
cp "$hdr" "$hdr.orig"
mkinitrd
rows=() bad=0
for name in control "${want[@]}"; do
	if [ "$name" = control ]; then
		cp "$hdr.orig" "$hdr.new" && mv "$hdr.new" "$hdr"
	else
		mutate "$name" || die "could not apply mutant $name"
	fi
	echo "mutants: $name: ${desc[$name]:-the series as posted}: building and booting"
	run "$name"
	echo "mutants: $name: $RES ($BY), build ${BSECS} s, boot ${RSECS} s"
	if [ "$name" = control ] && [ -s "$dir/control$sfx.console.kcsan" ]; then
		echo "mutants: KCSAN reports in the control (a race of the series or of ptr_ring itself; mutants are judged on reports beyond these):"
		sort "$dir/control$sfx.console.kcsan" | uniq -c | sed 's/^/  /'
	fi
	if [ "$name" = control ]; then
		rows+=("$name|$RES|$BSECS|$RSECS|$BY")
		[ "$RES" = survived ] || { echo "mutants: the control failed ($BY): mutants would prove nothing" >&2; bad=1; break; }
	else
		if [ "$RES" != killed ]; then
			if must_kill "$name"; then bad=1; else RES=unjudged BY="$BY (x86 orders stores: KCSAN=1 judges it)"; fi
		fi
		rows+=("$name|$RES|$BSECS|$RSECS|$BY")
	fi
done
cp "$hdr.orig" "$hdr.new" && mv "$hdr.new" "$hdr"

print_table
echo "total $(($(date +%s) - t_all0)) s; console logs in ${dir#$top/}/*.console"
[ $bad -eq 0 ] || { echo "vnetkit: mutants: not every mutant was killed (or the control failed)" >&2; exit 1; }
