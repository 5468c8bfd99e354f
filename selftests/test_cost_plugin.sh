#!/usr/bin/env bash
# vk_cost TCG plugin (scripts/cost/vk_cost.c): exact counts of
# instructions, accesses and simulated misses for workloads whose counts are
# derived by hand, under qemu-x86_64 (selftests/cost/cost_prog.c: cache
# geometry, LRU, windows, functions, regions, two threads) and
# qemu-system-x86_64 (selftests/cost/sys_pingpong.S: coherence on physical
# lines between two vCPUs); the API header's version and fetch errors; bad
# arguments.
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.." || exit 1

plugin=$PWD/build/cost/vk_cost.so
prog=$PWD/build/cost/cost_prog
if ! command -v qemu-x86_64 >/dev/null; then
	fail "qemu-x86_64 missing (scripts/setup.sh installs qemu-user)"
	exit 0
fi
for f in "$plugin" "$prog"; do
	[ -e "$f" ] || { fail "$f not built (make check builds it)"; exit 0; }
done

tmp=$(mktemp -d /tmp/vk-cost-test.XXXXXX)
at_exit "rm -rf $tmp"
syms=$tmp/prog.sym
nm -n --defined-only "$prog" >"$syms"
addr() { printf '0x%x' $((0x$(awk -v s="$1" '$3 == s { print $1 }' "$syms") + ${2:-0})); }
buf=$(addr vk_buf)

# cost ARGS -- PROG_ARGS: run the program under the plugin, report in $tmp/r
cost() {
	local pargs=out=$tmp/r,sym=$syms
	while [ "$1" != -- ]; do pargs+=,$1; shift; done
	shift
	rm -f "$tmp/r"
	qemu-x86_64 -plugin "$plugin,$pargs" "$prog" "$@" >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out"; return 1; }
}

# row KIND VCPU NAME: the eight count columns, or "none" when absent
row() {
	local r
	r=$(awk -F'\t' -v k="$1" -v c="$2" -v n="$3" \
		'$1 == k && $2 == c && $3 == n { $1 = $2 = $3 = ""; print }' "$tmp/r" | xargs)
	echo "${r:-none}"
}

# expect "what" KIND VCPU NAME "insns loads stores l1d_miss llc_miss cold capconf coh"
expect() {
	local got
	got=$(row "$2" "$3" "$4")
	if [ "$got" = "$5" ]; then
		ok "$1: $2 $3 $4 = $5"
	else
		fail "$1: $2 $3 $4 = $got, want $5"
		diag "$(cat "$tmp/r")"
	fi
}

# One pass over N distinct lines: every load a cold miss in L1D and LLC.
# vk_sweep_ld runs 4 * N + 4 instructions per pass between its markers.
cost -- sweep ld 0 64 100 1
expect "100 distinct lines, cold" total 0 - "404 100 0 100 100 100 0 0"
expect "100 distinct lines, function row" func 0 vk_sweep_ld "404 100 0 100 100 100 0 0"
check "one window reported" grep -q '^# vk_cost/1 vcpus=1 windows=1 l1d=32768:8:64 llc=2097152:16:64$' "$tmp/r"
expect "nothing outside the markers" func 0 main none
expect "nothing outside the markers (libc)" func 0 "[user]" none

# Stores: write-allocate, same misses as loads.
cost -- sweep st 0 64 100 2
expect "stores, two passes over 100 lines" total 0 - "808 0 200 100 100 100 0 0"

# 256 lines = 16 KiB fit the 32 KiB L1D: passes 2 and 3 hit.
cost -- sweep ld 0 64 256 3
expect "working set < L1D: no misses after the first pass" total 0 - "3084 768 0 256 256 256 0 0"

# 1024 lines = 64 KiB: 16 lines per 8-way set, LRU misses on every pass;
# the 2 MiB LLC holds them all after the first pass.
cost -- sweep ld 0 64 1024 3
expect "L1D < working set < LLC: capacity misses, no LLC misses after pass 1" total 0 - \
	"12300 3072 0 3072 1024 1024 2048 0"

# 65536 lines = 4 MiB, twice the LLC: every access misses both levels.
cost -- sweep ld 0 64 65536 2
expect "working set > LLC: LLC misses on every pass" total 0 - \
	"524296 131072 0 131072 131072 65536 65536 0"

# Stride 4096 = 64 sets * 64 B: all lines in one L1D set (LLC: different sets).
cost -- sweep ld 0 4096 9 4
expect "9 lines in one 8-way set: conflict misses" total 0 - "160 36 0 36 9 9 27 0"
cost -- sweep ld 0 4096 8 4
expect "8 lines in one 8-way set: no conflict" total 0 - "144 32 0 8 8 8 0 0"

# Geometry from arguments: 1 KiB 2-way L1D has 8 sets (stride 512 = one set).
cost l1d=1024:2:64 llc=4096:4:64 -- sweep ld 0 512 3 2
expect "l1d=1024:2:64: 3 lines in a 2-way set" total 0 - "32 6 0 6 3 3 3 0"
check "geometry in the header" grep -q ' l1d=1024:2:64 llc=4096:4:64$' "$tmp/r"
cost l1d=1024:2:64 llc=4096:4:64 -- sweep ld 0 512 2 2
expect "l1d=1024:2:64: 2 lines in a 2-way set" total 0 - "24 4 0 2 2 2 0 0"

# LRU, not FIFO: 8 lines fill one set, line 0 is touched again, line 8
# then evicts the least recently used (line 1, not line 0). vk_touch: 5
# instructions and 2 loads per line (its offsets array: 2 more cold lines).
cost -- touch 4096 0 1 2 3 4 5 6 7 0 8 0 1
expect "LRU: re-used line kept, least recently used evicted" total 0 - "60 24 0 12 11 11 1 0"

# An 8-byte load at offset 60 of a line touches two lines.
cost -- sweep ld 60 128 100 1
expect "line-straddling loads count both lines" total 0 - "404 100 0 200 200 200 0 0"

# Two windows: counts add up; the cache keeps its state between windows.
cost -- twice 64 50
expect "two windows sum, second pass hits" total 0 - "408 100 0 50 50 50 0 0"
check "two windows reported" grep -q '^# vk_cost/1 vcpus=1 windows=2 ' "$tmp/r"

# Attribution: vk_loop_a/b(k) run 2 * k + 1 instructions and one load (ret).
cost -- funcs 1000 500
expect "function row of vk_loop_a" func 0 vk_loop_a "2001 1 0 0 0 0 0 0"
expect "function row of vk_loop_b" func 0 vk_loop_b "1001 1 0 0 0 0 0 0"
main_insns=$(row func 0 main | cut -d' ' -f1)
expect "total = loop rows + main's calls" total 0 - \
	"$((3002 + main_insns)) 2 2 1 1 1 0 0"

# A text symbol ends at the next symbol of any type: a data symbol 3 bytes
# into vk_loop_a leaves it only its first instruction (dec, k times); the
# rest, outside every symbol, goes to [user].
loop_a=$(addr vk_loop_a)
printf '%016x T vk_loop_a\n%016x d vk_mid\n' $((loop_a)) $((loop_a + 3)) >"$tmp/part.sym"
qemu-x86_64 -plugin "$plugin,out=$tmp/r,sym=$tmp/part.sym" "$prog" funcs 1000 500
expect "symbol bounded by the next symbol" func 0 vk_loop_a "1000 0 0 0 0 0 0 0"
all=$(row total 0 - | cut -d' ' -f1)
check "instructions outside every symbol go to [user] ($all - 1000)" \
	[ "$(row func 0 "[user]" | cut -d' ' -f1)" = $((all - 1000)) ]

# Regions: 10 of 100 swept lines (one pass) and a region beside the sweep.
cost "region=head:$buf:0x280" "region=beside:$(addr vk_buf $((100 * 64))):0x40" \
	-- sweep ld 0 64 100 2
expect "region on 10 swept lines" region 0 head "0 20 0 10 10 10 0 0"
expect "region outside the sweep" region 0 beside none
cost "region=half:$(addr vk_buf 64):0x20" -- sweep ld 60 128 4 1
expect "straddling loads: region gets the access and its line's miss" region 0 half "0 1 0 1 1 1 0 0"

# window=always: everything from start to exit, markers included.
cost window=always -- sweep ld 0 64 10 1
expect "window=always: markers and ret counted in the function" func 0 vk_sweep_ld "47 11 0 10 10 10 0 0"
total_insns=$(row total 0 - | cut -d' ' -f1)
check "window=always: start-up and exit counted (total $total_insns > 47)" [ "$total_insns" -gt 1000 ]
check "window=always: libc start-up (_start) counted" [ "$(row func 0 _start)" != none ]

# Coherence: two threads alternate increments (load + store) of one line
# through a turn flag. Each thread's first load of it is cold, every later
# one finds the line invalidated by the other thread's store; the private
# lines never miss again. Thread 0 goes first: only its first miss is an
# LLC miss.
# (The turn line itself is raced: see README on user mode.)
iters=1000
cost "region=shared:$(addr vk_shared):0x40" "region=priv0:$(addr vk_priv):0x40" \
	"region=priv1:$(addr vk_priv 64):0x40" "region=turn:$(addr vk_turn):0x40" -- pingpong $iters
for t in 0 1; do
	v=$(awk -F'\t' -v n=priv$t '$1 == "region" && $3 == n { print $2 }' "$tmp/r")
	if [ -z "$v" ]; then
		fail "pingpong: no row for thread $t's private line"
		continue
	fi
	expect "pingpong thread $t: shared line, one coherence miss per iteration" region "$v" shared \
		"0 $iters $iters $iters $((1 - t)) 1 0 $((iters - 1))"
	expect "pingpong thread $t: private line, no coherence misses" region "$v" "priv$t" \
		"0 0 $iters 1 1 1 0 0"
done
check "pingpong: three vCPUs (main + two threads)" grep -q '^# vk_cost/1 vcpus=3 windows=1 ' "$tmp/r"
diag "turn line rows: $(grep -P '^region\t\d+\tturn' "$tmp/r" | tr '\t' ' ' | paste -sd';')"

# System mode: a multiboot guest (selftests/cost/sys_pingpong.S), boot CPU
# and one AP in the same handshake, under the contract's deterministic
# settings. The AP reaches the lines through another virtual address, so
# only a directory on physical lines sees coherence misses (and LLC hits)
# there. `pause` hands the single TCG thread to the other vCPU.
sys_elf=$PWD/build/cost/sys_pingpong.elf
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "system-mode plugin test" "qemu-system-x86_64 (scripts/setup.sh kernel)"
else
	nm -n "$sys_elf" >"$tmp/sys.sym"
	# sysrun "QEMU CPU OPTIONS" PLUGIN_ARGS
	sysrun() {
		rm -f "$tmp/r"
		# shellcheck disable=SC2086
		timeout 120 qemu-system-x86_64 $1 -smp 2 \
			-m 64 -display none -nodefaults -serial none \
			-device isa-debug-exit,iobase=0xf4,iosize=1 -kernel "$sys_elf" \
			-plugin "$plugin,out=$tmp/r,sym=$tmp/sys.sym,$2" >"$tmp/out" 2>&1
	}
	r=region
	sysrun "-accel tcg,thread=single -icount shift=0,sleep=off" \
		"$r=shared:0x400000:0x40,$r=shared_alias:0x40000000:0x40,$r=req:0x400040:0x40,$r=req_alias:0x40000040:0x40,$r=priv0:0x400080:0x40,$r=priv1_alias:0x400000c0:0x40,$r=pub:0x400100:0x40,$r=pub_alias:0x40000100:0x40,$r=ack:0x400140:0x40,$r=ack_alias:0x40000140:0x40,$r=split:0x407ffffe:0x4,$r=zero:0x0:0x40"
	rc=$?
	check "system mode: the guest ran to its exit port (exit 33, got $rc)" [ $rc -eq 33 ]
	check "system mode: two vCPUs, one window" grep -q '^# vk_cost/1 vcpus=2 windows=1 ' "$tmp/r"
	# 1000 rounds; the boot CPU (vCPU 0) goes first and touches every
	# shared line before the AP, so only its first access misses the LLC
	expect "system mode: boot CPU, shared line" region 0 shared "0 1000 1000 1000 1 1 0 999"
	expect "system mode: AP, same physical line through its alias" region 1 shared_alias \
		"0 1000 1000 1000 0 1 0 999"
	expect "system mode: boot CPU, private line" region 0 priv0 "0 0 1000 1 1 1 0 0"
	expect "system mode: AP, private line" region 1 priv1_alias "0 0 1000 1 1 1 0 0"
	expect "system mode: producer stores hit once the line is present" region 0 pub \
		"0 0 1000 1 1 1 0 0"
	expect "system mode: consumer loads miss after every store" region 1 pub_alias \
		"0 1000 0 1000 0 1 0 999"
	expect "system mode: boot CPU stores req, never misses again" region 0 req "0 0 1000 1 1 1 0 0"
	expect "system mode: AP stores ack, never misses again" region 1 ack_alias "0 0 1000 1 0 1 0 0"
	# a load straddling two virtual pages whose frames are not adjacent:
	# its second line is physical line 0, which the boot CPU then stores to
	expect "system mode: page-crossing load, second line by its own frame" region 1 split \
		"0 2 0 3 2 2 0 1"
	expect "system mode: boot CPU's store to physical line 0 hits the LLC" region 0 zero \
		"0 0 1 1 0 1 0 0"
	# the spinning side: any number of loads, one miss per store it waits for
	for x in "1 req_alias 0" "0 ack 1"; do
		read -r v name llc <<<"$x"
		got=$(row region "$v" "$name" | cut -d' ' -f3-)
		check "system mode: vCPU $v spins on $name: stores, misses, LLC, cold, capconf, coh = $got" \
			[ "$got" = "0 1000 $llc 1 0 999" ]
	done
	# 9002 + 4 per failed flag check (one load each, besides the 1000
	# successful checks, 1000 incl, the AP's 1000 loads of pub and the ret)
	for f in "0 bsp_pingpong 2001 4000" "1 ap_pingpong 3001 3000"; do
		read -r v name fixed_loads want_stores <<<"$f"
		read -r insns loads stores _ <<<"$(row func "$v" "$name")"
		check "system mode: $name: insns = 9002 + 4 * failed checks ($insns, $loads loads, $stores stores)" \
			[ "$insns $stores" = "$((9002 + 4 * (loads - fixed_loads))) $want_stores" ]
	done
	sysrun "-accel tcg,thread=multi" ""
	if grep -q 'vnetkit cost: vCPUs run in parallel host threads: .*thread=single' "$tmp/out" &&
		[ ! -e "$tmp/r" ]; then
		ok "system mode: parallel vCPU threads (MTTCG) refused, no report left"
	else
		fail "system mode: MTTCG not refused: $(cat "$tmp/out")"
	fi
fi

# The API header: from the qemu source of exactly the installed version;
# a failed download says so and leaves nothing behind.
src_ver=$(dpkg-query -W -f='${source:Version}' qemu-user)
check "qemu-plugin.h is from qemu $src_ver" \
	grep -q "^/\* from Debian qemu $src_ver source, QEMU_PLUGIN_VERSION 1 \*/\$" \
	build/cost/include/qemu/qemu-plugin.h
out=$(http_proxy=http://127.0.0.1:9 scripts/cost/qemu-plugin-header.sh "$tmp/h/qemu-plugin.h" \
	"$tmp/hwork" 2>&1)
rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"vnetkit cost: qemu-plugin.h: apt-get update of a private deb-src list: failed"* ]] &&
	[ ! -e "$tmp/h" ] && [ ! -e "$tmp/hwork" ]; then
	ok "header fetch without network: clear error, nothing left"
else
	fail "header fetch without network: exit $rc, $(ls "$tmp"), output: $out"
fi

# Bad arguments: QEMU refuses to load the plugin, with our message.
bad() {
	local want=$1 d=$2 out rc
	shift 2
	out=$(qemu-x86_64 -plugin "$plugin,$1" "$prog" funcs 1 1 2>&1); rc=$?
	if [ $rc -ne 0 ] && [[ "$out" == *"$want"* ]] && [[ "$out" == *"Could not load plugin"* ]]; then
		ok "bad argument refused: $d"
	else
		fail "bad argument $d: exit $rc, output: $out"
	fi
}
bad "vnetkit cost: foo=1: unknown argument (known: out=" "unknown key" "out=$tmp/x,foo=1"
bad "vnetkit cost: region=buf: expected NAME:0xSTART:0xLEN" "region without range" "out=$tmp/x,region=buf"
bad "vnetkit cost: region=buf:0xzz:0x40: START is not a hexadecimal address" "region bad start" \
	"out=$tmp/x,region=buf:0xzz:0x40"
bad "vnetkit cost: region=buf:0x1000:0: LEN is not" "region zero length" "out=$tmp/x,region=buf:0x1000:0"
bad "vnetkit cost: out=: missing (the report path is required" "missing out=" "sym=$syms"
bad "vnetkit cost: sym=$tmp/nope: No such file or directory" "missing symbol file" "out=$tmp/x,sym=$tmp/nope"
bad "vnetkit cost: l1d=3:1:64: sizes must be powers of two" "bad cache geometry" "out=$tmp/x,l1d=3:1:64"
bad "vnetkit cost: window=sometimes: unknown window mode" "bad window mode" "out=$tmp/x,window=sometimes"
exit 0
