# Shared by the guest vhost tests (sourced): the vnetkit binary, the frame
# count, the /dev/vhost-net check, and run_ok, which runs one vnetkit vhost
# mode and checks its JSON report.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"

V=$VNETKIT
[ -x "$V" ] || V=$(command -v vnetkit)
N=${VHOST_TEST_FRAMES:-100000}

if [ ! -e /dev/vhost-net ]; then
	skip "vhost: guest tests" "no /dev/vhost-net in this guest kernel"
	exit 0
fi


# run_ok DESC ARGS...: the run must exit 0 with result ok and every frame
# verified; prints a one-line diagnostic with its per-frame counts.
run_ok() {
	local d=$1 out rc frames
	shift
	out=$($V vhost "$@" --json 2>/tmp/vhost.err); rc=$?
	frames=$(echo " $* " | sed -n 's/.* --frames \([0-9]*\) .*/\1/p')
	frames=${frames:-$N}
	if [ $rc -eq 0 ] && [ "$(jv .result "$out")" = ok ] &&
	   [ "$(jv .verified "$out")" = "$frames" ] &&
	   [ "$(jv .corrupt "$out")" = 0 ] && [ "$(jv .lost "$out")" = 0 ]; then
		ok "$d"
		diag "$(jq -r '"pps \(.pps) tx kicks \(.tx.kicks) irqs \(.tx.interrupts) used/reap \(.tx.used_per_reap); rx kicks \(.rx.kicks) irqs \(.rx.interrupts) used/reap \(.rx.used_per_reap)"' <<<"$out" 2>/dev/null)"
	else
		fail "$d (exit $rc: $(head -c 300 /tmp/vhost.err) $(echo "$out" | head -c 300))"
	fi
	LAST=$out
}

