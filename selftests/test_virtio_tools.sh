#!/usr/bin/env bash
# patches/0010 (tools/virtio: handle every option the tests declare), on the
# host: option parsing comes before vhost_net_test and virtio_test open
# anything, so no /dev/vhost-net is needed. Both tools are built from the
# pristine tree (scripts/kernel.sh virtio-tools), once as shipped and once
# with 0010 applied; the options 6.12 declares without handling must abort
# the first and parse in the second. The runs themselves are the guest's
# (selftests/guest/test_vhost_net_test.sh, virtio_test.sh).
source "$(dirname "$0")/lib.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
K=$top/scripts/kernel.sh
P=$top/patches/0010-tools-virtio-handle-every-option-the-tests-declare.patch
mkdir -p "$top/build"
T=$(mktemp -d "$top/build/test_virtio_tools.XXXXXX")
at_exit "rm -rf $T"

if ! out=$("$K" virtio-tools "$T/shipped" vhost_net_test virtio_test 2>&1); then
	fail "virtio-tools: vhost_net_test and virtio_test build from the pristine tree ($(tail -3 <<<"$out" | tr '\n' ' '))"
	exit 1
fi
if ! out=$("$K" virtio-tools "$T/fixed" --patch "$P" vhost_net_test virtio_test 2>&1); then
	fail "virtio-tools: they build with $(basename "$P") ($(tail -3 <<<"$out" | tr '\n' ' '))"
	exit 1
fi
ok "virtio-tools: vhost_net_test and virtio_test build static from the pristine tree, as shipped and with 0010"

# A positive option, then --help: exit 0 with the usage once it is parsed.
for tool in vhost_net_test virtio_test; do
	for o in --event-idx --indirect --virtio-1 --no-delayed-interrupt; do
		expect_fail 134 "main: Assertion \`0' failed." \
			"$tool $o as shipped: aborts in option parsing (the bug 0010 fixes)" \
			"$T/shipped/src/tools/virtio/$tool" "$o" --help
		expect_fail 0 "Usage: $tool" "$tool $o with 0010: parsed, then --help" \
			"$T/fixed/src/tools/virtio/$tool" "$o" --help
	done
done
expect_fail 134 "main: Assertion \`0' failed." \
	"vhost_net_test --batch=8 as shipped: aborts in option parsing (declared, not implemented in 6.12)" \
	"$T/shipped/src/tools/virtio/vhost_net_test" --batch=8
expect_fail 2 "unrecognized option '--batch=8'" \
	"vhost_net_test --batch=8 with 0010: an unknown option, usage, exit 2" \
	"$T/fixed/src/tools/virtio/vhost_net_test" --batch=8
# virtio_test implements --batch: 0010 leaves it.
expect_fail 0 "Usage: virtio_test" "virtio_test --batch=8 with 0010: still parsed" \
	"$T/fixed/src/tools/virtio/virtio_test" --batch=8 --help
exit $_vk_rc
