#!/usr/bin/env bash
# vnetkit vhost in the QEMU guest, the hard cases: back-pressure, latency,
# malformed descriptor chains, teardown with traffic in flight, XDP on the
# TAP. (test_vhost.sh has the TX/RX verification matrix.)
source "$(dirname "$0")/vhost_lib.sh"
t0=$(date +%s)
# 1. Back-pressure: an 8-entry ring that is full most of the time.
run_ok "vhost tx: 8-entry ring fills up, no loss" tx --frames $N --ring-size 8 \
	--batch 8
irqs=$(jv .tx.interrupts "$LAST")
check "vhost tx: full ring waited for completions (interrupts $irqs > 0)" \
	[ "${irqs:-0}" -gt 0 ]
run_ok "vhost rx: 8-entry ring, frames queue in the TAP, no loss" rx \
	--frames $N --ring-size 8 --batch 64

# 2. Busy polling and latency.
run_ok "vhost pingpong: 2000 round trips verified" pingpong --frames 2000
p99=$(jv .latency_ns.p99 "$LAST")
check "vhost pingpong: p99 latency reported ($p99 ns)" [ "${p99:-0}" -gt 0 ]
run_ok "vhost pingpong: --busyloop-timeout 50" pingpong --frames 2000 \
	--busyloop-timeout 50
run_ok "vhost pingpong: --spin (driver polls the used ring)" pingpong \
	--frames 2000 --spin --busyloop-timeout 50
irqs=$(jv .rx.interrupts "$LAST")
check "vhost pingpong --spin: interrupts stay off ($irqs for 2000 frames)" \
	[ "${irqs:-9999}" -le 2 ]

# 3. Malformed descriptor chains: vhost stops the queue, says so through
# the error eventfd, processes nothing after it, and the guest survives.
dmesg -c >/dev/null 2>&1
for chain in bad-addr loop; do
	out=$($V vhost tx --frames 2000 --inject $chain --inject-after 1000 \
		--json 2>/tmp/vhost.err); rc=$?
	if [ $rc -eq 1 ] && grep -q "descriptor error on the TX queue" /tmp/vhost.err &&
	   [ "$(jv .result "$out")" = vhost_error ] &&
	   [ "$(jv .verified "$out")" = 1000 ] &&
	   [ "$(jv .inject.later_processed "$out")" = 0 ]; then
		ok "vhost tx: $chain chain stops the queue and is reported"
	else
		fail "vhost tx: $chain chain (exit $rc: $(cat /tmp/vhost.err) $out)"
	fi
done
run_ok "vhost tx: works again after the malformed chains" tx --frames 1000
if dmesg | grep -Eq "BUG:|Oops|WARNING:|general protection"; then
	fail "vhost: kernel log clean after malformed chains ($(dmesg | grep -E 'BUG:|Oops|WARNING:' | head -3))"
else
	ok "vhost: kernel log clean after malformed chains"
fi

# 4. Teardown with traffic in flight: no vhost worker may be left behind.
workers() { cat /proc/[0-9]*/task/*/comm 2>/dev/null | grep -c '^vhost-'; }
for sig in TERM KILL; do
	$V vhost tx --frames 100000000 --ring-size 256 >/dev/null 2>/tmp/vhost.err &
	pid=$!
	sleep 2
	kill -$sig $pid
	{ wait $pid; } 2>/dev/null; rc=$?
	left=1
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		left=$(workers)
		[ "$left" -eq 0 ] && break
		sleep 0.5
	done
	if [ "$sig" = TERM ]; then
		want="exit 1, 'interrupted'"
		good=$([ $rc -eq 1 ] && grep -q interrupted /tmp/vhost.err && echo y)
	else
		want="killed"
		good=$([ $rc -eq 137 ] && echo y)
	fi
	if [ "$good" = y ] && [ "$left" -eq 0 ]; then
		ok "vhost tx: SIG$sig mid-traffic tears down, no vhost worker left"
	else
		fail "vhost tx: SIG$sig mid-traffic (exit $rc, want $want; $left vhost workers left; $(cat /tmp/vhost.err))"
	fi
done

# 5. XDP on the TAP drops what vhost transmits: vnetkit's built-in xdp_drop
# (from the binary, no file), then an object file given with --xdp-obj.
out=$($V vhost tx --frames 20000 --xdp-drop --json 2>/tmp/vhost.err); rc=$?
if [ $rc -eq 0 ] && [ "$(jv .xdp_dropped "$out")" = 20000 ]; then
	ok "vhost tx --xdp-drop (built-in program): all 20000 frames dropped by XDP on the TAP"
else
	fail "vhost tx --xdp-drop (exit $rc: $(cat /tmp/vhost.err) $out)"
fi
obj=
for o in "${VNETKIT_BPF_DIR:-/usr/lib/vnetkit/bpf}/xdp_drop.bpf.o" \
	 "${VNETKIT_ROOT:-/nonexistent}/build/bpf/xdp_drop.bpf.o"; do
	[ -r "$o" ] && obj=$o && break
done
if [ -n "$obj" ]; then
	out=$($V vhost tx --frames 20000 --xdp-drop --xdp-obj "$obj" --json 2>/tmp/vhost.err); rc=$?
	if [ $rc -eq 0 ] && [ "$(jv .xdp_dropped "$out")" = 20000 ]; then
		ok "vhost tx --xdp-drop --xdp-obj: all 20000 frames dropped by XDP on the TAP"
	else
		fail "vhost tx --xdp-drop --xdp-obj (exit $rc: $(cat /tmp/vhost.err) $out)"
	fi
else
	skip "vhost tx --xdp-drop --xdp-obj" "xdp_drop.bpf.o not in the guest (GUEST_BINS packs build/bpf)"
fi
out=$($V vhost tx --frames 10 --xdp-drop --xdp-obj /nonexistent.o 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "^vnetkit vhost tx: --xdp-drop: cannot open /nonexistent.o" <<<"$out"; then
	ok "vhost tx --xdp-obj with a missing file: exit 1, says which file"
else
	fail "vhost tx --xdp-obj missing file (exit $rc: $out)"
fi
diag "test_vhost_faults took $(($(date +%s) - t0)) s"
exit 0
