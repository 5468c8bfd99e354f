#!/usr/bin/env bash
# vnetkit vhost tx in the QEMU guest (make kernel-check): real /dev/vhost-net.
# Every frame of every run is verified byte for byte by vnetkit itself; the
# checks here read its JSON report. Under TCG it takes about a minute.
source "$(dirname "$0")/vhost_lib.sh"
t0=$(date +%s)
# TX: every payload verified, ring sizes x event index x mergeable buffers
# (MRG_RXBUF and VERSION_1 decide the header length TX frames carry).
for ring in 64 256 1024; do
	for eidx in "" --no-event-idx; do
		for mrg in "" --no-mrg-rxbuf; do
			f="ring $ring${eidx:+ no-event-idx}${mrg:+ no-mrg}"
			run_ok "vhost tx: $N frames verified, $f" tx --frames $N \
				--ring-size $ring $eidx $mrg
		done
	done
done
run_ok "vhost tx: 1500 B frames" tx --frames 10000 --size 1500
run_ok "vhost tx: legacy virtio (no VERSION_1, 10 B header)" tx \
	--frames 10000 --no-version-1 --no-mrg-rxbuf
run_ok "vhost tx: one frame per kick" tx --frames 10000 --batch 1
# --lockstep (the cost runs' talk regime): one avail index update in flight,
# so vhost never returns more than one publish group in one reap, and every
# publish finds the worker asleep and is kicked.
for pub in 1 4; do
	run_ok "vhost tx: --lockstep, publish per $pub" tx --frames 2000 --batch 4 \
		--publish-every $pub --lockstep
	m=$(jv .tx.max_used_per_reap "$LAST")
	k=$(jv .tx.kicks_per_frame "$LAST")
	if [ "$(jv .lockstep "$LAST")" = true ] && [ "${m:-99}" -le "$pub" ] &&
	   awk -v k="${k:-0}" -v p=$pub 'BEGIN { exit !(k >= 0.9 / p) }'; then
		ok "vhost tx: --lockstep per $pub: at most $m used per reap, $k kicks per frame"
	else
		fail "vhost tx: --lockstep per $pub: max used per reap ${m:-?} (<= $pub), kicks per frame ${k:-?} (>= 0.9/$pub)"
	fi
done
diag "test_vhost took $(($(date +%s) - t0)) s"
exit 0
