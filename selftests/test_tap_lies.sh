#!/usr/bin/env bash
# Frames whose lengths lie, on the host kernel's own TAP: the cases of
# selftests/guest/test_tap_mb_lies_*.sh this kernel can run (single-buffer
# programs; no kprobes or shared trace events: see tap_mb_lies_lib.sh).
# The multi-buffer cases run in the guest (make kernel-check T=tap_mb).
top=$(cd "$(dirname "$0")/.." && pwd)
for s in write stack read; do
	TAP_LIES_HOST=1 TAP_FRAMES=$top/build/selftests/tap_frames VNETKIT=$top/build/vnetkit \
		bash "$top/selftests/guest/test_tap_mb_lies_$s.sh"
done
