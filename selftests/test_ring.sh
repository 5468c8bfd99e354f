#!/usr/bin/env bash
# vnetkit ring: correctness suite of every ring algorithm, exact figures of
# the cache model, benchmark output and schema, plots, bad arguments.
# No network, no root needed.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RING_TEST=${RING_TEST:-$ROOT/build/selftests/ring_test}
tmp=$(mktemp -d)
at_exit "rm -rf $tmp"

# json FILE PYTHON-EXPR: evaluate EXPR with the parsed document as d; the
# check passes when it prints True.
json() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}
jcheck() {
	local desc=$1 file=$2 expr=$3 out
	out=$(json "$file" "$expr")
	if [ "$out" = True ]; then ok "$desc"; else fail "$desc (got: $out)"; fi
}

# 1. Correctness suite (C, same objects as the binary), incl. >= 1e6 items.
if [ -x "$RING_TEST" ]; then
	"$RING_TEST" 1000000 || true
else
	fail "ring_test binary missing ($RING_TEST; make check builds it)"
fi

# 2. Cache model: deterministic, the talk's virtqueue figures exactly.
m=$tmp/model.json
if "$VNETKIT" ring model --algo virtqueue,ptr_ring,zero-batch,consume-batch,list \
	--batch 1,4,16 --json >"$m"; then
	vq() { echo "[r['model'] for r in d['results'] if r['algo']=='virtqueue' and r['batch']==$1][0]"; }
	jcheck "model: virtqueue device side 5.0 misses/packet unbatched (talk: 5)" "$m" \
		"$(vq 1)['consumer']['misses_per_packet'] == 5.0"
	jcheck "model: virtqueue device side 1.25 misses/packet at batch 4 (talk: 1.25)" "$m" \
		"$(vq 4)['consumer']['misses_per_packet'] == 1.25"
	jcheck "model: unbatched device misses are avail_idx, avail, desc, used, used_idx" "$m" \
		"$(vq 1)['consumer']['by_structure'] == {'index': 2.0, 'slot': 0.0, 'desc': 1.0, 'avail': 1.0, 'used': 1.0, 'lock': 0.0, 'node': 0.0}"
	jcheck "model: driver side of the virtqueue mirrors the device (5.0 / 1.25)" "$m" \
		"$(vq 1)['producer']['misses_per_packet'] == 5.0 and $(vq 4)['producer']['misses_per_packet'] == 1.25"
	tot() { echo "[r['model']['misses_per_packet'] for r in d['results'] if r['algo']=='$1' and r['batch']==$2][0]"; }
	jcheck "model: ptr_ring zeroing per entry costs 4 misses/packet (slot line bounces)" "$m" \
		"$(tot ptr_ring None) == 4.0"
	jcheck "model: batch zeroing (16) cuts ptr_ring's slot misses to 2.25" "$m" \
		"$(tot zero-batch 16) == 2.25 and $(tot zero-batch 1) == $(tot ptr_ring None)"
	jcheck "model: batch dequeue cuts them further (batch 16: 0.5, two lines per 16 entries)" "$m" \
		"$(tot consume-batch 16) == 0.5 and $(tot consume-batch 16) < $(tot consume-batch 4) < $(tot zero-batch 16)"
	jcheck "model: ptr_ring family never misses on its indices (each side's own line)" "$m" \
		"all(r['model']['by_structure']['index'] == 0 and r['model']['by_structure']['lock'] == 0 for r in d['results'] if r['algo'] in ('ptr_ring', 'zero-batch', 'consume-batch'))"
	jcheck "model: locked list bounces the lock and node lines every packet" "$m" \
		"$(tot list None) >= 4.0 and [r for r in d['results'] if r['algo']=='list'][0]['model']['by_structure']['lock'] > 0"
else
	fail "ring model --json exited non-zero"
fi
mf=$tmp/full.json
if "$VNETKIT" ring model --fill full --algo ptr_ring,zero-batch --batch 16 --json >"$mf"; then
	jcheck "model, slow consumer (full ring): ptr_ring bounces the slot line per pointer (4.0)" "$mf" \
		"d['fill'] == 'full' and [r for r in d['results'] if r['algo']=='ptr_ring'][0]['model']['misses_per_packet'] == 4.0"
	jcheck "model, slow consumer: batch zeroing (16) cuts that to 0.5 (talk slides 15-17)" "$mf" \
		"[r for r in d['results'] if r['algo']=='zero-batch'][0]['model']['misses_per_packet'] == 0.5"
else
	fail "ring model --fill full exited non-zero"
fi
out=$("$VNETKIT" ring model --batch 1,4,16)
wide=$(printf '%s\n' "$out" | awk 'length > 80' | wc -l)
if [ "$wide" -eq 0 ] && [[ "$out" == *"virtqueue          4  2.500  1.250  1.250"* ]]; then
	ok "model: text table fits 80 columns, virtqueue batch 4 row"
else
	fail "model text table ($wide wide lines): $out"
fi
m2=$tmp/model2.json
"$VNETKIT" ring model --algo virtqueue --batch 1,4 --json >"$m2"
if cmp -s <(json "$m" "[r for r in d['results'] if r['algo']=='virtqueue' and r['batch'] in (1,4)]") \
	  <(json "$m2" "d['results']"); then
	ok "model: repeatable (same figures in a second run)"
else
	fail "model: a second run gave other figures"
fi
ms=$tmp/spec.json
"$VNETKIT" ring model --algo virtqueue --batch 1,4 --vq-layout spec --json >"$ms"
jcheck "model: virtio 1.0 layout (idx shares a line) within 5% of 5.0 and 1.25" "$ms" \
	"abs(d['results'][0]['model']['consumer']['misses_per_packet'] - 5.0) <= 0.25 and abs(d['results'][1]['model']['consumer']['misses_per_packet'] - 1.25) <= 0.0625 and d['vq_layout'] == 'spec'"

# 3. Benchmark: every algorithm side by side, checked items, ratios.
b=$tmp/bench.json
if "$VNETKIT" ring bench --ops 50000 --rounds 1 --json >"$b"; then
	jcheck "bench: all six algorithms of ours measured, none with errors" "$b" \
		"sorted(r['algo'] for r in d['results'] if r['algo'] != 'kernel') == sorted(['list','ptr_ring','zero-batch','consume-batch','produce-batch','virtqueue']) and all(r['errors'] == 0 and r['mops_median'] > 0 for r in d['results'])"
	if [ "$(json "$b" "d['kernel_header'] is not None")" = True ]; then
		jcheck "bench: kernel ptr_ring.h anchor in the same run, ratios against it" "$b" \
			"[r for r in d['results'] if r['algo']=='kernel'][0]['vs_kernel'] == 1.0 and all(r['vs_kernel'] > 0 for r in d['results']) and d['kernel_header'].endswith('include/linux/ptr_ring.h')"
	else
		skip "bench: kernel ptr_ring.h anchor" "$(json "$b" "d['unavailable'][0]['reason']")"
	fi
	jcheck "bench: pinned to CPUs 0 and 1 (or reported unpinned)" "$b" \
		"d['cpus'] in ([0, 1], None)"
	jcheck "bench: schema (ns/op min <= median, one value per round, model attached)" "$b" \
		"all(r['ns_per_op_min'] <= r['ns_per_op_median'] and len(r['rounds_ns_per_op']) == d['rounds'] for r in d['results']) and all('model' in r for r in d['results'] if r['algo'] != 'kernel')"
else
	fail "ring bench --json exited non-zero"
fi
if [ "$(id -u)" = 0 ]; then
	r=$tmp/rt.json
	if "$VNETKIT" ring bench --rt --algo ptr_ring,produce-batch --ops 5000 --rounds 1 \
		--json >"$r" 2>"$tmp/rt.err" && grep -q "SCHED_FIFO" "$tmp/rt.err"; then
		jcheck "bench --rt: SCHED_FIFO threads, announced, items checked" "$r" \
			"d['rt'] is True and all(x['errors'] == 0 for x in d['results'])"
	else
		fail "bench --rt failed: $(cat "$tmp/rt.err")"
	fi
else
	skip "bench --rt" "not root (SCHED_FIFO needs CAP_SYS_NICE)"
fi
out=$("$VNETKIT" ring bench --algo ptr_ring,produce-batch --batch 1,4 --ops 20000 --rounds 2)
rc=$?
wide=$(printf '%s\n' "$out" | awk 'length > 80' | wc -l)
if [ $rc -eq 0 ] && [ "$wide" -eq 0 ] && [[ "$out" == *"produce-batch      4"* ]] &&
   [[ "$out" == *"ns/op min"* ]]; then
	ok "bench: text table, one row per batch, fits 80 columns"
else
	fail "bench text table (rc $rc, $wide wide lines): $out"
fi

# 4. Plots.
if command -v gnuplot >/dev/null; then
	"$VNETKIT" ring model --plot "$tmp/m.svg" 2>/dev/null >/dev/null
	if grep -q "<svg" "$tmp/m.svg" 2>/dev/null && grep -q "consume-batch" "$tmp/m.svg"; then
		ok "model --plot FILE.svg: misses/packet against batch size"
	else
		fail "model --plot did not write an SVG with the algorithms"
	fi
	"$VNETKIT" ring bench --ops 5000 --rounds 1 --plot "$tmp/b.png" >/dev/null 2>&1
	if [ "$(head -c 4 "$tmp/b.png" 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG" ]; then
		ok "bench --plot FILE.png: ops/s and misses/packet against batch size"
	else
		fail "bench --plot did not write a PNG"
	fi
else
	skip "ring --plot" "gnuplot not installed (scripts/setup.sh installs gnuplot-nox)"
fi

# 5. Bad arguments: exit 2, a clear reason, nothing run.
expect_fail 2 "batch 0" "batch 0 is rejected" "$VNETKIT" ring bench --batch 0
expect_fail 2 "larger than the ring size" "batch above the ring size is rejected" \
	"$VNETKIT" ring model --batch 512 --ring-size 256
expect_fail 2 "not a power of two" "virtqueue ring size must be a power of two" \
	"$VNETKIT" ring bench --algo virtqueue --ring-size 100
expect_fail 2 "more than half the ring" "zero-batch batch above half the ring is rejected (no silent fallback)" \
	"$VNETKIT" ring model --algo zero-batch --batch 200 --ring-size 256
expect_fail 2 "unknown algorithm 'ptr-ring'" "unknown algorithm is named" \
	"$VNETKIT" ring bench --algo ptr-ring
expect_fail 2 "invalid value" "non-numeric --ops is rejected" "$VNETKIT" ring bench --ops lots
expect_fail 2 "FILE.svg or FILE.png" "plot file without .svg/.png is rejected" \
	"$VNETKIT" ring model --plot "$tmp/out.pdf"
expect_fail 2 "cannot write in" "plot into a missing directory is refused before running" \
	"$VNETKIT" ring bench --plot "$tmp/missing/dir/b.svg"
expect_fail 2 "access macro" "model of the kernel header is refused with the reason" \
	"$VNETKIT" ring model --algo kernel
expect_fail 2 "unknown subcommand" "unknown subcommand" "$VNETKIT" ring frobnicate
expect_fail 2 "only for ring model" "--fill is refused for the benchmark" \
	"$VNETKIT" ring bench --fill full
expect_fail 2 "only for ring bench" "--rt is refused for the model" \
	"$VNETKIT" ring model --rt
[ ! -e "$tmp/out.pdf" ] && ok "rejected --plot wrote nothing" || fail "rejected --plot left a file"
exit 0

# SIGINT stops a benchmark within a second, with a partial report marked
# interrupted and exit 1 (the run did not complete).
tmpj=$(mktemp); at_exit "rm -f $tmpj"
"$VNETKIT" ring bench --algo ptr_ring --ops 2000000 --rounds 20 --json >$tmpj 2>/dev/null &
pid=$!
sleep 3
t0=$(date +%s%N)
kill -INT $pid
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.02; done
ms=$((($(date +%s%N) - t0) / 1000000))
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid
	fail "ring bench: still running 1 s after SIGINT"
fi
wait $pid; rc=$?
check "ring bench: SIGINT stops it within 1 s (${ms} ms), exit 1" test $rc -eq 1 -a $ms -lt 1000
check "ring bench: the partial report parses and says interrupted, rounds < requested" \
	python3 -c "import json; d=json.load(open('$tmpj')); assert d['interrupted'] is True and d['rounds'] < d['rounds_requested'] == 20, d"
