# Shared by virtio_test*.sh (sourced; not itself a virtio_*.sh, which the
# guest runs): load vhost_test.ko (unloaded at exit) and vt, one run of
# upstream's tools/virtio/virtio_test.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

VT=$(command -v virtio_test)
MOD=/usr/lib/vnetkit/modules/vhost_test.ko
# Per run: a stale avail entry stalls the driver, which then never ends.
RUN_LIMIT=${VIRTIO_TEST_RUN_LIMIT:-600}
t0=$(date +%s)

if [ -z "$VT" ] || [ ! -r "$MOD" ]; then
	fail "virtio_test: virtio_test and vhost_test.ko in the guest (make kernel VIRTIO_TEST=1 builds them)"
	exit 1
fi
if ! insmod "$MOD" 2>/tmp/insmod.err; then
	fail "virtio_test: insmod vhost_test.ko ($(head -c 200 /tmp/insmod.err))"
	exit 1
fi
at_exit "rmmod vhost_test 2>/dev/null"
check "virtio_test: vhost_test.ko loaded, /dev/vhost-test present" [ -c /dev/vhost-test ]

# vt_unload NAME: the device's release path (vhost_test_release: stop,
# flush, cleanup) ran after every run; unloading checks nothing still
# holds the module.
vt_unload() {
	if rmmod vhost_test 2>/tmp/rmmod.err; then
		ok "$1: vhost_test unloads after the runs"
	else
		fail "$1: rmmod vhost_test ($(head -c 200 /tmp/rmmod.err))"
	fi
	diag "$1.sh took $(($(date +%s) - t0)) s"
}

# vt DESC OPTS...: one run of virtio_test with OPTS; it must exit 0 within
# RUN_LIMIT s having started and completed all 0x100000 buffers.
vt() {
	local d=$1 out rc s e
	shift
	s=$(date +%s)
	out=$(timeout -s KILL "$RUN_LIMIT" "$VT" "$@" 2>&1); rc=$?
	e=$(($(date +%s) - s))
	if [ $rc -eq 0 ] && grep -q 'started=0x100000 completed=0x100000$' <<<"$out"; then
		ok "virtio_test${*:+ $*}: 0x100000 buffers used ($d)"
		diag "virtio_test${*:+ $*}: $(tail -1 <<<"$out"), ${e} s"
	elif [ $rc -eq 137 ]; then
		fail "virtio_test${*:+ $*}: stalled, killed after ${RUN_LIMIT} s ($d; $(tail -2 <<<"$out" | tr '\n' ' '))"
	else
		fail "virtio_test${*:+ $*}: exit $rc ($d; $(tail -3 <<<"$out" | tr '\n' ' '))"
	fi
}
