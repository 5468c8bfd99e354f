#!/usr/bin/env bash
# vnetkit trace --list on the test kernel: unlike the host (no fentry, no
# kprobes), every vhost_net and virtio_net stage must have an attach method
# here, and each one it attaches to by name must be a real symbol of this
# build (a static function can be inlined away).
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}

out=$($V trace --list 2>&1); rc=$?
if [ $rc -ne 0 ]; then
	fail "trace --list exits 0 (exit $rc: $(echo "$out" | head -3))"
	exit 0
fi
diag "$out"
for st in virtnet_poll receive_buf start_xmit handle_tx handle_rx \
	vhost_get_vq_desc vhost_add_used vhost_signal; do
	line=$(grep -E "^$st " <<<"$out")
	sub=$(awk '{ print $2 }' <<<"$line")
	if [ -z "$line" ]; then
		fail "trace --list: stage $st missing"
	elif grep -q unavailable <<<"$line"; then
		fail "trace --list: $sub stage $st unavailable on the test kernel: ${line#* * }"
	else
		ok "trace --list: $sub stage $st available ($(awk '{ print $3 }' <<<"$line"))"
	fi
done
# Stages on fentry/fexit or kprobes name the function ("fentry/fexit FN"):
# it must be a real, not inlined, symbol of this build.
while read -r st sub how fn _; do
	case "$how" in fentry/fexit|kprobe/kretprobe) ;; *) continue ;; esac
	check "trace --list: $st attaches to $fn ($how), a symbol of this kernel" \
		grep -qE " [tT] $fn\$" /proc/kallsyms
done <<<"$out"
exit 0
