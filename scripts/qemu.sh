#!/usr/bin/env bash
# Boot the vnetkit test kernel under QEMU (TCG) and run the guest suite.
#
#   scripts/qemu.sh check [--base] [--debug|--kcsan|--virtio-test] [--filter WORD]   (make kernel-check)
#   scripts/qemu.sh bench                                      (make kernel-bench)
#   scripts/qemu.sh harness                 self-tests of this harness (real boots)
#   scripts/qemu.sh parse CONSOLE RESULTS   turn two saved serial logs into TAP
#   scripts/qemu.sh cost NAME               one boot in cost mode (scripts/cost.sh)
#
# The guest gets two virtio-net-pci NICs joined by a QEMU hub (eth0, eth1):
# frames one sends reach the other through QEMU's device model, so XDP on
# eth0 sees traffic "from QEMU's side" with no host network at all. Serial
# port 0 is the kernel console (panics, splats, KUnit KTAP); serial port 1
# carries the test output (see selftests/guest/init).
#
# Environment: GUEST_BINS (extra programs for the initramfs, with their
# shared libraries), QEMU_TIMEOUT (seconds, default 2400: the whole guest suite took 1180 s at
# load 7-8 with 545 checks; a hang detector, not a time budget; x4 for --debug),
# EXTRA_CMDLINE (appended to the kernel command line), QEMU_IMAGE (boot this
# bzImage instead of the one make kernel built), QEMU_RUN_NAME (the run
# directory's name under build/qemu/, default check), QEMU_ACCEL (default
# "-accel tcg"), QEMU_ARGS (more QEMU arguments, e.g. -icount and -plugin),
# QEMU_SMP (vCPUs, default 2; QEMU_SMP=1 checks what a single CPU does, e.g.
# KUnit skips), KBENCH_KERNELS (kernel-bench: "base patched" by default),
# KBENCH_FILTER (kernel-bench: only bench_*.sh whose name contains it),
# QEMU_CPU (default "-cpu qemu64,+rdrand -seed 1", below).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
QEMU=${QEMU:-qemu-system-x86_64}

die() { echo "vnetkit: qemu: $*" >&2; exit 1; }

# Programs every guest gets besides busybox: bash for the test scripts
# (selftests/lib.sh needs it), iproute2 for netns/veth/tuntap and jq for
# vnetkit's --json documents (lib.sh's jv).
BASE_BINS="/bin/bash /usr/bin/ip /usr/bin/jq"

# copy_bin ROOT FILE [DEST]: a program and the shared libraries it needs.
copy_bin() {
	local root=$1 f=$2 dest=${3:-/usr/local/bin/$(basename "$2")} lib
	[ -x "$f" ] || die "guest binary $f missing (build it first)"
	install -D -m 0755 "$f" "$root$dest"
	ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
		[ -e "$root$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$root$lib"
	done
}

# make_initramfs OUT: busybox, vnetkit, BPF objects, guest tests, GUEST_BINS.
make_initramfs() {
	local out=$1 root b
	root=$(dirname "$out")/root
	rm -rf "$root"
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,proc,sys,dev,tmp,run,root}
	mkdir -p "$root/usr/lib/vnetkit/bpf" "$root/usr/lib/vnetkit/selftests/guest"
	install -m 0755 /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	mkdir -p "$root/var"
	ln -s ../run "$root/var/run"
	install -m 0755 "$top/selftests/guest/init" "$root/init"
	[ -x "$build/vnetkit-static" ] || die "$build/vnetkit-static missing (make build/vnetkit-static)"
	install -m 0755 "$build/vnetkit-static" "$root/usr/local/bin/vnetkit"
	for b in $BASE_BINS ${GUEST_BINS:-}; do
		copy_bin "$root" "$b"
	done
	cp "$build"/bpf/*.bpf.o "$root/usr/lib/vnetkit/bpf/" 2>/dev/null || true
	install -m 0644 "$top/selftests/lib.sh" "$root/usr/lib/vnetkit/selftests/lib.sh"
	cp "$top"/selftests/guest/*.sh "$root/usr/lib/vnetkit/selftests/guest/" 2>/dev/null || true
	# The virtio-test kernel's tools (scripts/kernel.sh virtio_tools).
	if [ -n "${VIRTIO_TEST_DIR:-}" ]; then
		copy_bin "$root" "$VIRTIO_TEST_DIR/virtio_test"
		install -D -m 0644 "$VIRTIO_TEST_DIR/vhost_test.ko" \
			"$root/usr/lib/vnetkit/modules/vhost_test.ko"
	fi
	echo "root:x:0:0:root:/root:/bin/sh" >"$root/etc/passwd"
	echo "root:x:0:" >"$root/etc/group"
	(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
}

# strip_log FILE: the serial log without terminal escapes and CRs.
strip_log() {
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Z0-9]//g' \
		-e 's/\x1b[cDEHM78=>]//g' -e 's/\r//g' "$1"
}

# --- TAP output -------------------------------------------------------------
n=0 npass=0 nfail=0 nskip=0
tap_ok() { n=$((n + 1)); npass=$((npass + 1)); echo "ok $n - $*"; }
tap_fail() { n=$((n + 1)); nfail=$((nfail + 1)); echo "not ok $n - $*"; }
tap_skip() { n=$((n + 1)); nskip=$((nskip + 1)); echo "ok $n - $*"; }
tap_line() {	# tap_line PREFIX "ok - what" | "not ok - what" | "ok - what # SKIP x"
	local p=$1 l=$2
	case "$l" in
	"not ok"*) tap_fail "$p${l#not ok - }" ;;
	*"# SKIP"*) tap_skip "$p${l#ok - }" ;;
	*) tap_ok "$p${l#ok - }" ;;
	esac
}
tap_summary() {
	echo "1..$n"
	if [ $nskip -gt 0 ]; then
		echo "$npass passed, $nfail failed, $nskip skipped"
	else
		echo "$npass passed, $nfail failed"
	fi
}

# parse_kernel CONSOLE: splats and KUnit KTAP from the kernel console.
parse_kernel() {
	local log=$1 line splats suite= depth cases=0 suites=0 name res
	# Splats: one failure per distinct first line (a panic repeats itself).
	splats=$(grep -E 'Kernel panic - not syncing|Oops:|BUG:|WARNING:|general protection fault|KASAN:|UBSAN:|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked for more than|soft lockup|hard LOCKUP|rcu: INFO: .*detected stall|sleeping function called from invalid context' "$log" |
		sed -E 's/^\[ *[0-9.]+\] //' | awk '!seen[$0]++' | head -5)
	if [ -n "$splats" ]; then
		while IFS= read -r line; do
			tap_fail "guest kernel: $line"
		done <<<"$splats"
	else
		tap_ok "guest kernel: no panic, oops, BUG, WARNING, KASAN or lockdep report"
	fi
	# KUnit: "# Subtest: SUITE" opens a suite; its cases are the "ok N name"
	# lines one level deeper (4 spaces); the suite result is at the top.
	while IFS= read -r line; do
		line=$(sed -E 's/^\[ *[0-9.]+\] //' <<<"$line")
		if [[ "$line" =~ ^(\ *)#\ Subtest:\ (.+)$ ]]; then
			depth=${#BASH_REMATCH[1]}
			[ "$depth" -eq 4 ] && { suite=${BASH_REMATCH[2]}; }
			continue
		fi
		[[ "$line" =~ ^(\ *)(ok|not\ ok)\ [0-9]+\ ([^#]*[^#\ ])(\ *#\ *(SKIP|skip).*)?$ ]] || continue
		depth=${#BASH_REMATCH[1]} res=${BASH_REMATCH[2]} name=${BASH_REMATCH[3]}
		if [ "$depth" -eq 4 ] && [ -n "$suite" ]; then
			cases=$((cases + 1))
			if [ -n "${BASH_REMATCH[4]}" ]; then
				tap_skip "kunit: $suite: $name # SKIP ${BASH_REMATCH[4]#*SKIP}"
			elif [ "$res" = ok ]; then
				tap_ok "kunit: $suite: $name"
			else
				tap_fail "kunit: $suite: $name"
			fi
		elif [ "$depth" -eq 0 ] && [ -n "$suite" ]; then
			suites=$((suites + 1))
			if [ "$res" = ok ]; then
				tap_ok "kunit: suite $name"
			else
				tap_fail "kunit: suite $name failed"
			fi
			suite=
		fi
	done < <(grep -E '^(\[ *[0-9.]+\] )? *(# Subtest:|ok [0-9]|not ok [0-9])' "$log")
	[ -n "$suite" ] && tap_fail "kunit: suite $suite started but never finished (crash or hang inside it)"
	KUNIT_SUITES=$suites KUNIT_CASES=$cases
}

# parse_results RESULTS: guest test output framed by the init markers.
parse_results() {
	local log=$1 line cur= saw=0 started=0 ended=0
	METRICS=
	while IFS= read -r line; do
		case "$line" in
		VNETKIT-GUEST-START*) started=1; GUEST_START=$(cut -d' ' -f2 <<<"$line") ;;
		VNETKIT-GUEST-END*) ended=1; GUEST_END=$(cut -d' ' -f2 <<<"$line") ;;
		VNETKIT-TEST-BEGIN*) cur=${line#VNETKIT-TEST-BEGIN }; saw=0 ;;
		VNETKIT-TEST-END*)
			set -- $line
			if [ "$3" = 137 ]; then
				tap_fail "guest/$2: killed after the per-test time limit"
			elif [ "$3" != 0 ]; then
				tap_fail "guest/$2: script exited $3 after its tests"
			elif [ $saw -eq 0 ]; then
				tap_fail "guest/$2: printed no ok/not ok (or metric) line"
			fi
			cur= ;;
		"ok "*|"not ok "*)
			saw=1; tap_line "guest/${cur:-?}: " "$line" ;;
		"metric "*)
			saw=1
			METRICS+="${cur:-?} ${line#metric }"$'\n'; echo "# $line" ;;
		*) [ -n "$line" ] && echo "#   $line" ;;
		esac
	done < <(strip_log "$log")
	[ $started -eq 1 ] || tap_fail "guest: /init never reported (no VNETKIT-GUEST-START on ttyS1: boot failed, see the console log)"
	[ -n "$cur" ] && tap_fail "guest/$cur: no end marker (the guest crashed or hung inside it)"
	[ $started -eq 1 ] && [ $ended -eq 0 ] && tap_fail "guest: the run did not reach its end (no VNETKIT-GUEST-END)"
	return 0
}

# The guest CPU: QEMU's default qemu64 with RDRAND, which TCG emulates from
# a generator that -seed makes deterministic. The kernel trusts it
# (random.trust_cpu defaults to on), so its random pool is ready at boot
# (0.03 s) and seeded alike in every boot. Without it the guest's first read
# of randomness (getrandom(), or /dev/urandom: jansson seeds its hash table
# from it, vnetkit gen its run id) runs the kernel's jitter entropy loop,
# try_to_generate_entropy(): the reader spins in schedule() until 256 timer
# ticks on the other CPU have credited a bit each, over 1 s of guest time.
# Under -icount sleep=off that is 1e9 emulated instructions (minutes of wall
# time under the cost plugin); when it overlapped the TSC's clocksource
# switch (1.55 s), the other vCPU waited in stop_machine() with interrupts
# off for 21 s of guest time (an RCU stall report from multi_cpu_stop()),
# the reader's vCPU still in the entropy loop.
QEMU_CPU=${QEMU_CPU--cpu qemu64,+rdrand -seed 1}

# boot IMAGE INITRD OUTDIR TIMEOUT CMDLINE: run QEMU, leave console.log and
# results.log in OUTDIR; sets QEMU_RC, TIMED_OUT, WALL.
boot() {
	local img=$1 initrd=$2 dir=$3 limit=$4 cmdline=$5 t0 t1
	rm -f "$dir/console.log" "$dir/results.log"
	: >"$dir/results.log"
	t0=$(date +%s.%N)
	# shellcheck disable=SC2086 # QEMU_ACCEL, QEMU_CPU and QEMU_ARGS are word lists
	timeout -k 5 "$limit" "$QEMU" ${QEMU_ACCEL:--accel tcg} $QEMU_CPU ${QEMU_ARGS:-} \
		-m 1G -smp "${QEMU_SMP:-2}" -nographic -no-reboot \
		-monitor none -serial stdio -serial "file:$dir/results.log" \
		-kernel "$img" -initrd "$initrd" \
		-append "console=ttyS0 panic=-1 rdinit=/init $cmdline" \
		-netdev hubport,id=vk0,hubid=0 -device virtio-net-pci,netdev=vk0,mac=52:54:00:00:00:01 \
		-netdev hubport,id=vk1,hubid=0 -device virtio-net-pci,netdev=vk1,mac=52:54:00:00:00:02 \
		</dev/null >"$dir/console.raw" 2>"$dir/qemu.err"
	QEMU_RC=$?
	t1=$(date +%s.%N)
	TIMED_OUT=0
	[ $QEMU_RC -eq 124 ] || [ $QEMU_RC -eq 137 ] && TIMED_OUT=1
	WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
	strip_log "$dir/console.raw" >"$dir/console.log"
}

image_for() {	# image_for BASE DEBUG (DEBUG: 0, 1, kcsan or vtest)
	local a=()
	[ "$1" = 1 ] && a+=(--base)
	[ "$2" = 1 ] && a+=(--debug)
	[ "$2" = kcsan ] && a+=(--kcsan)
	[ "$2" = vtest ] && a+=(--virtio-test)
	"$top/scripts/kernel.sh" image "${a[@]}"
}

# prune_runs NAME: keep the three newest run directories of NAME, and every
# one whose boot still runs (its .running lock is held): sessions that boot
# guests of one name at once (kernel-cost runs in parallel) keep their logs.
prune_runs() {
	local d
	ls -dt "$build/qemu/$1".?????? 2>/dev/null | tail -n +4 | while read -r d; do
		flock -n "$d/.running" true 2>/dev/null && rm -rf "$d"
	done
	return 0
}

# run_guest NAME BASE DEBUG MODE FILTER SELFTEST TIMEOUT: boot once, print TAP.
run_guest() {
	local name=$1 base=$2 debug=$3 mode=$4 filter=$5 st=$6 limit=$7 img dir cmd
	img=${QEMU_IMAGE:-$(image_for "$base" "$debug")}
	[ -r "$img" ] || die "$img missing (run make kernel$([ "$base" = 1 ] && echo ' BASE=1')$([ "$debug" = 1 ] && echo ' DEBUG=1')$([ "$debug" = kcsan ] && echo ' KCSAN=1')$([ "$debug" = vtest ] && echo ' VIRTIO_TEST=1') first)"
	# The virtio-test kernel brings its tools, built next to its image.
	local VIRTIO_TEST_DIR=
	if [ "$debug" = vtest ]; then
		VIRTIO_TEST_DIR=${img%/arch/x86/boot/bzImage}/virtio-test
		[ -x "$VIRTIO_TEST_DIR/virtio_test" ] && [ -r "$VIRTIO_TEST_DIR/vhost_test.ko" ] ||
			die "$VIRTIO_TEST_DIR/virtio_test or vhost_test.ko missing (run make kernel VIRTIO_TEST=1 first)"
	fi
	# One directory per run: several sessions may boot guests at once.
	mkdir -p "$build/qemu"
	dir=$(mktemp -d "$build/qemu/$name.XXXXXX")
	# Held until this script exits: prune_runs never removes a running boot.
	exec {RUN_LOCK}>"$dir/.running"
	flock "$RUN_LOCK"
	[ -L "$build/qemu/$name" ] || rm -rf "$build/qemu/$name"
	ln -sfn "$(basename "$dir")" "$build/qemu/$name"
	prune_runs "$name"
	make_initramfs "$dir/initramfs.cpio.gz"
	rm -rf "$dir/root"
	# no_timer_check: under TCG on a loaded host the IO-APIC timer check
	# sometimes fails and panics the boot ("IO-APIC + timer doesn't
	# work"), as on other virtual machines. Debug kernels (KASAN under
	# emulation) are slow enough to trip the 20 s soft-lockup detector
	# during probing; a 120 s threshold still catches real lockups. The
	# same goes for RCU's 21 s stall warning: the whole DEBUG=1 suite
	# (543 checks passed, no splat) failed on one stall at boot, PID 1
	# interpreting ACPI's AML for a PCI link IRQ under lockdep for over
	# 26 s of guest time at load 5 on the non-preemptible kernel, which
	# starved the RCU kthread of its CPU: 120 s for the debug kernel.
	# vhost_net.experimental_zcopytx=1: the zerocopy TX path is part of
	# what the guest tests check (test_vhost_trace); the parameter is
	# read-only once booted.
	cmd="vnetkit.mode=$mode no_timer_check vhost_net.experimental_zcopytx=1"
	[ "$debug" = 1 ] && cmd+=" watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"
	# Each guest script's own limit (the guest's init: 300 s) grows with
	# the run's: KASAN under TCG moves vhost frames about 4x slower, and
	# test_vhost's 100000 frames then outlast 300 s without anything wrong.
	[ "$debug" = 1 ] && cmd+=" vnetkit.timeout=1200"
	[ "$debug" = kcsan ] && cmd+=" vnetkit.timeout=600"
	# virtio_test.sh runs upstream's virtio_test 1M buffers at a time.
	[ "$debug" = vtest ] && cmd+=" vnetkit.timeout=${VIRTIO_TEST_TIMEOUT:-2400}"
	# No PCI in it, so no ACPI tables and no power-off: the guest reboots,
	# which ends QEMU (-no-reboot).
	[ "$debug" = vtest ] && cmd+=" vnetkit.end=reboot"
	# KCSAN instruments only the ptr_ring suite (scripts/kernel.sh): watch
	# more of its accesses than the default one in 4000.
	[ "$debug" = kcsan ] && cmd+=" kcsan.skip_watch=${KCSAN_SKIP_WATCH:-500}"
	# The patches the image carries (scripts/kernel.sh writes them next to
	# it): a guest test needing a later patch skips on a prefix or base.
	local applied
	applied=$(cat "${img%.bzImage}.applied" 2>/dev/null ||
		cat "${img%/arch/x86/boot/bzImage}/.vnetkit-applied" 2>/dev/null || true)
	[ -n "$applied" ] && cmd+=" vnetkit.series=$applied"
	[ -n "$filter" ] && cmd+=" vnetkit.filter=$filter"
	[ -n "$st" ] && cmd+=" vnetkit.selftest=$st"
	cmd+=${EXTRA_CMDLINE:+ $EXTRA_CMDLINE}
	echo "# booting ${img#$top/} ($mode$([ -n "$filter" ] && echo ", filter $filter")$([ -n "$st" ] && echo ", self-test $st"), limit ${limit} s)"
	boot "$img" "$dir/initramfs.cpio.gz" "$dir" "$limit" "$cmd"
	[ -s "$dir/qemu.err" ] && sed 's/^/# qemu: /' "$dir/qemu.err"
	parse_kernel "$dir/console.log"
	parse_results "$dir/results.log"
	if [ "$TIMED_OUT" = 1 ]; then
		tap_fail "guest: no power-off within ${limit} s (hang); last console lines:"
		tail -5 "$dir/console.log" | sed 's/^/#   /'
	fi
	echo "# logs: ${dir#$top/}/console.log, ${dir#$top/}/results.log"
	if [ -n "${GUEST_START:-}" ] && [ -n "${GUEST_END:-}" ]; then
		echo "# boot-to-results: ${WALL} s wall (QEMU start to power-off); guest reached /init at ${GUEST_START} s, results done at ${GUEST_END} s guest uptime"
	else
		echo "# boot-to-results: ${WALL} s wall (QEMU start to exit; the run did not complete)"
	fi
	local bs
	bs=$(cat "$(dirname "$(dirname "$(dirname "$(dirname "$img")")")")/.vnetkit-build-secs" 2>/dev/null) &&
		echo "# kernel build time (last make kernel): ${bs} s"
}

cmd_check() {
	local base=0 debug=0 filter= limit=${QEMU_TIMEOUT:-2400} name=${QEMU_RUN_NAME:-check} mode=check
	while [ $# -gt 0 ]; do
		case "$1" in
		--base) base=1; name+=-base ;;
		--debug) debug=1; name+=-debug; limit=$((limit * 4)) ;;
		--kcsan) debug=kcsan; name+=-kcsan; limit=$((limit * 2)) ;;
		# Two scripts of up to 2400 s each (16 runs of virtio_test).
		--virtio-test) debug=vtest; name+=-virtio-test; mode=virtio; limit=$((limit * 4)) ;;
		--filter) filter=${2:-}; shift ;;
		*) echo "vnetkit: qemu: unknown option '$1' (--base, --debug, --kcsan, --virtio-test, --filter WORD)" >&2; exit 2 ;;
		esac
		shift
	done
	# The KCSAN kernel is the KUnit kernel (scripts/kernel.sh): no network
	# stack, so the guest tests other than KUnit cannot run on it.
	if [ "$debug" = kcsan ]; then
		case "${filter:-kunit}" in
		*kunit*) filter=kunit ;;
		*) echo "vnetkit: qemu: --kcsan runs the KUnit suites only, not '$filter' (use T=kunit or no T)" >&2; exit 2 ;;
		esac
	fi
	echo "TAP version 13"
	run_guest "$name" "$base" "$debug" "$mode" "$filter" "" "$limit"
	tap_summary
	[ $nfail -eq 0 ]
}

# Each self-test boots a guest that must fail, and checks the harness says so.
cmd_harness() {
	local st want out rc
	echo "TAP version 13"
	for st in panic fail hang; do
		case "$st" in
		panic) want='guest kernel: Kernel panic - not syncing' ;;
		fail) want='guest/selftest_fail: deliberately failing guest test' ;;
		hang) want='no power-off within' ;;
		esac
		# KUnit off (kunit.enable=0): these boots test the harness, and
		# the suites would only make them slower.
		out=$(QEMU_TIMEOUT=$([ $st = hang ] && echo 60 || echo 180) \
			EXTRA_CMDLINE=kunit.enable=0 "$0" _selftest "$st" 2>&1); rc=$?
		if [ $rc -ne 0 ] && grep -qF "$want" <<<"$out"; then
			tap_ok "harness: a guest that does '$st' fails the run ('$want')"
		else
			tap_fail "harness: a guest that does '$st' was not reported (exit $rc, no '$want')"
			sed 's/^/#   /' <<<"$out" | tail -15
		fi
	done
	tap_summary
	[ $nfail -eq 0 ]
}

cmd_selftest() {
	local limit=${QEMU_TIMEOUT:-120}
	echo "TAP version 13"
	run_guest "selftest-$1" 0 0 check "" "$1" "$limit"
	tap_summary
	[ $nfail -eq 0 ]
}

# kernel-bench: boot the base and the patched kernel in turn, KBENCH_ROUNDS
# times each (default 2, alternating base, patched, base, ...), so both see
# the same machine load. Bench scripts print
#   metric NAME VALUE UNIT [higher|lower] [extra...]
# Per kernel, a metric is the best round by its direction (max for higher,
# min for lower; the median without one); the table gives patched / base.
cmd_bench() {
	local limit=${QEMU_TIMEOUT:-1800} rounds=${KBENCH_ROUNDS:-2} r v t m value u dir rest
	declare -A vals unit better
	local -a names=()
	echo "TAP version 13"
	for ((r = 1; r <= rounds; r++)); do
		for v in ${KBENCH_KERNELS:-base patched}; do
			echo "# ==== $v kernel, round $r/$rounds"
			run_guest "bench-$v" "$([ $v = base ] && echo 1 || echo 0)" 0 bench \
				"${KBENCH_FILTER:-}" "" "$limit"
			while read -r t m value u dir rest; do
				[ -n "$m" ] || continue
				[ -n "${unit[$t/$m]+x}" ] || names+=("$t/$m")
				vals[$v:$t/$m]+="$value " unit[$t/$m]=$u
				case "$dir" in higher|lower) better[$t/$m]=$dir ;; esac
			done <<<"$METRICS"
		done
	done
	pick() {	# pick DIR VALUES...: the best (or median) of the rounds
		local d=$1
		shift
		[ $# -gt 0 ] || { echo -; return; }
		printf '%s\n' "$@" | sort -g | awk -v d="$d" '{ v[NR] = $1 }
			END { if (d == "lower") print v[1]; else if (d == "higher") print v[NR];
			      else print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
	}
	echo "# ==== patched / base: $rounds alternating boot(s) each; best round by direction"
	echo "# (TCG: absolute figures are emulation, per-frame counts and ratios matter)"
	# 80 columns: a long metric name gets a line of its own.
	printf '# %-28s %11s %11s %-6s %6s %s\n' metric base patched unit ratio better
	local a b label
	for m in "${names[@]}"; do
		a=$(pick "${better[$m]:-}" ${vals[base:$m]:-})
		b=$(pick "${better[$m]:-}" ${vals[patched:$m]:-})
		label=$m
		if [ ${#m} -gt 28 ]; then
			echo "# $m"
			label=
		fi
		printf '# %-28s %11s %11s %-6s %6s %s\n' "$label" "$a" "$b" "${unit[$m]}" \
			"$(awk -v a="$a" -v b="$b" 'BEGIN { if (a != "-" && b != "-" && a + 0 > 0) printf "%.3f", b / a; else print "-" }')" \
			"${better[$m]:-}"
	done
	[ ${#names[@]} -gt 0 ] || echo "# no metric lines (selftests/guest/bench_*.sh print 'metric NAME VALUE UNIT')"
	tap_summary
	[ $nfail -eq 0 ]
}

# cost NAME: one boot of QEMU_IMAGE running selftests/guest/cost_*.sh.
cmd_cost() {
	echo "TAP version 13"
	run_guest "cost-${1:?usage: qemu.sh cost NAME}" 0 0 cost "" "" "${QEMU_TIMEOUT:-1800}"
	tap_summary
	[ $nfail -eq 0 ]
}

cmd_parse() {
	[ $# -eq 2 ] || { echo "usage: qemu.sh parse CONSOLE RESULTS" >&2; exit 2; }
	local tmp
	tmp=$(mktemp)
	strip_log "$1" >"$tmp"
	echo "TAP version 13"
	parse_kernel "$tmp"
	parse_results "$2"
	rm -f "$tmp"
	tap_summary
	[ $nfail -eq 0 ]
}

cmd=${1:-check}
[ $# -gt 0 ] && shift
case "$cmd" in
check) cmd_check "$@" ;;
bench) cmd_bench ;;
harness) cmd_harness ;;
_selftest) cmd_selftest "$@" ;;
_prune) prune_runs "${1:?usage: qemu.sh _prune NAME}" ;;
parse) cmd_parse "$@" ;;
cost) cmd_cost "$@" ;;
*) echo "vnetkit: qemu: unknown command '$cmd' (check, bench, harness, parse, cost)" >&2; exit 2 ;;
esac
