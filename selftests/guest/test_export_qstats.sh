#!/usr/bin/env bash
# vnetkit export in the QEMU guest (make kernel-check T=export): the
# per-queue virtio-net figures it reads through the netdev genetlink qstats
# API, against frames sent across QEMU's hub (eth1 -> eth0, the NICs
# scripts/qemu.sh attaches) and against the kernel's own link statistics.
# The hub carries nothing else (IPv6 off on both, no DHCP, raw frames), so
# the per-queue deltas are exact.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
N=${QSTATS_TEST_FRAMES:-3000}
RX=eth0 TXDEV=eth1
D=$(mktemp -d)
at_exit "rm -rf $D"

for c in default all; do
	old=$(cat /proc/sys/net/ipv6/conf/$c/disable_ipv6 2>/dev/null) || continue
	at_exit "echo $old >/proc/sys/net/ipv6/conf/$c/disable_ipv6"
	echo 1 >/proc/sys/net/ipv6/conf/$c/disable_ipv6
done
for d in $RX $TXDEV; do
	if [ ! -e /sys/class/net/$d ]; then
		fail "export qstats: no $d (qemu.sh attaches two virtio-net-pci NICs)"
		exit 0
	fi
	echo 1 >/proc/sys/net/ipv6/conf/$d/disable_ipv6 2>/dev/null
	ip link set $d up
done
RXMAC=$(cat /sys/class/net/$RX/address) TXMAC=$(cat /sys/class/net/$TXDEV/address)

# snap FILE: one collection of export (the --once textfile), kept as FILE.
snap() { $V export --once --dev $RX --dev $TXDEV >"$1" 2>$D/err; }
# m FILE NAME{LABELS}: one sample's value ("" if none).
m() { awk -v k="$2" 'index($0, k " ") == 1 { print $2 }' "$1"; }
q() { echo "vnetkit_queue_$1_total{netns=\"\",device=\"$2\",queue=\"0\",direction=\"$3\"}"; }

snap $D/a
if ! grep -q '^vnetkit_source_available{source="qstats",reason=""} 1' $D/a; then
	skip "export qstats: virtio-net per-queue figures" \
		"unavailable ($(grep 'source="qstats"' $D/a))"
	exit 0
fi
for f in packets bytes; do
	check "export qstats: # HELP and # TYPE counter for vnetkit_queue_${f}_total" \
		eval "grep -q '^# HELP vnetkit_queue_${f}_total ' $D/a && grep -q '^# TYPE vnetkit_queue_${f}_total counter' $D/a"
done
rxp0=$(cat /sys/class/net/$RX/statistics/rx_packets) rxb0=$(cat /sys/class/net/$RX/statistics/rx_bytes)
g=$($V gen --dev $TXDEV --count $N --src-mac "$TXMAC" --dst-mac "$RXMAC" --json 2>$D/gen.err)
check "export qstats: gen sent $N frames on $TXDEV" \
	test "$(jv .frames "$g")" = $N
# Frames cross QEMU asynchronously: wait until the link counter has them.
for _ in $(seq 50); do
	[ $(($(cat /sys/class/net/$RX/statistics/rx_packets) - rxp0)) -ge $N ] && break
	sleep 0.1
done
sleep 0.3
rxp=$(($(cat /sys/class/net/$RX/statistics/rx_packets) - rxp0))
rxb=$(($(cat /sys/class/net/$RX/statistics/rx_bytes) - rxb0))
snap $D/b

d() { echo $(($(m $D/b "$1") - $(m $D/a "$1"))); }
check "export qstats: $RX queue 0 rx packets grew by the $N frames sent ($(d "$(q packets $RX rx)"))" \
	test "$(d "$(q packets $RX rx)")" = $N
check "export qstats: $TXDEV queue 0 tx packets grew by $N ($(d "$(q packets $TXDEV tx)"))" \
	test "$(d "$(q packets $TXDEV tx)")" = $N
check "export qstats: $RX rx packets and bytes equal the kernel's link statistics ($rxp, $rxb)" \
	eval '[ "$(d "$(q packets $RX rx)")" = "$rxp" ] && [ "$(d "$(q bytes $RX rx)")" = "$rxb" ]'
check "export qstats: $TXDEV tx bytes grew by what gen sent" \
	test "$(d "$(q bytes $TXDEV tx)")" = "$(jv .bytes "$g")"
diag "export qstats: $N frames eth1 -> eth0: rx $rxp packets, $rxb bytes on queue 0"
exit 0
