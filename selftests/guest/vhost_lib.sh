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

# jget FIELD JSON: a top-level number (or string) of a vnetkit JSON report.
jget() { echo "$2" | sed -n "s/.*\"$1\":\"\{0,1\}\([^,\"}]*\).*/\1/p" | head -1; }

# run_ok DESC ARGS...: the run must exit 0 with result ok and every frame
# verified; prints a one-line diagnostic with its per-frame counts.
run_ok() {
	local d=$1 out rc frames
	shift
	out=$($V vhost "$@" --json 2>/tmp/vhost.err); rc=$?
	frames=$(echo " $* " | sed -n 's/.* --frames \([0-9]*\) .*/\1/p')
	frames=${frames:-$N}
	if [ $rc -eq 0 ] && [ "$(jget result "$out")" = ok ] &&
	   [ "$(jget verified "$out")" = "$frames" ] &&
	   [ "$(jget corrupt "$out")" = 0 ] && [ "$(jget lost "$out")" = 0 ]; then
		ok "$d"
		diag "$(echo "$out" | sed -e 's/.*"pps":\([0-9.]*\).*/pps \1/') $(echo "$out" |
			sed -n 's/.*"tx":{"kicks":\([0-9]*\).*"interrupts":\([0-9]*\).*"used_per_reap":\([0-9.]*\).*"rx":{"kicks":\([0-9]*\).*"interrupts":\([0-9]*\).*"used_per_reap":\([0-9.]*\).*/tx kicks \1 irqs \2 used\/reap \3; rx kicks \4 irqs \5 used\/reap \6/p')"
	else
		fail "$d (exit $rc: $(head -c 300 /tmp/vhost.err) $(echo "$out" | head -c 300))"
	fi
	LAST=$out
}

