# Shared helpers for selftests/test_*.sh (sourced, bash).
# Every test script: source this, call ok/fail/skip per check, and create
# namespaces through vk_netns so they are removed on any exit.
VNETKIT=${VNETKIT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/vnetkit}
_vk_cleanups=()
_vk_rc=0

ok()   { echo "ok - $*"; }
fail() { echo "not ok - $*"; _vk_rc=1; }
skip() { echo "ok - $1 # SKIP $2"; }
diag() { echo "# $*"; }
# has_patch N: the kernel carries patch N of the series, or its patches are
# unknown (no vnetkit.series= list).
has_patch() {
	[ -z "${VNETKIT_SERIES:-}" ] && return 0
	case ",$VNETKIT_SERIES," in *",$1,"*) return 0 ;; esac
	return 1
}
# needs_patches "N N..." WHAT: end the script with a skip of WHAT unless the
# kernel carries every listed patch of the series. The guest learns which
# it carries from the build (vnetkit.series=, scripts/kernel.sh): a prefix
# of make kernel-bisect or a BASE=1 kernel. A kernel of unknown make
# (no list) runs the script: a missing feature fails there, never hides.
needs_patches() {
	local p miss=
	for p in $1; do has_patch "$p" || miss+=" $p"; done
	[ -z "$miss" ] && return 0
	skip "$2" "unavailable (this kernel lacks patch(es)${miss} of the series; it carries ${VNETKIT_SERIES//,/ })"
	exit 0
}
# check "description" command...   -> ok/fail on the command's exit status
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }

at_exit() { _vk_cleanups+=("$*"); }
_vk_run_cleanups() {
	local i
	for ((i = ${#_vk_cleanups[@]} - 1; i >= 0; i--)); do
		eval "${_vk_cleanups[i]}" >/dev/null 2>&1 || true
	done
}
trap _vk_run_cleanups EXIT
trap 'exit 130' INT TERM

# vk_netns NAME: create a namespace removed at exit (unique per run).
vk_netns() {
	ip netns add "$1" || return 1
	at_exit "ip netns del $1"
	ip -n "$1" link set lo up
}

# vk_interrupt PID [SECONDS]: SIGINT PID until it exits, resent every second
# (a background job of a non-interactive shell starts with SIGINT ignored,
# so a signal that arrives before the program installs its handler is lost
# and a run without an end condition would never stop), at most SECONDS
# (default 30), then SIGKILL. Returns PID's exit status.
vk_interrupt() {
	local pid=$1 tries=${2:-30} i
	while [ "$tries" -gt 0 ] && kill -INT "$pid" 2>/dev/null; do
		tries=$((tries - 1))
		for i in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break 2
			sleep 0.1
		done
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	wait "$pid"
}

# jv PATH JSON: a value of a vnetkit --json document, through jq: PATH as
# in .frames, .tx.used or .total.drop.packets; strings come bare; nothing
# when the value is absent or null, or the document is not JSON.
jv() { jq -r "$1 | values" <<<"$2" 2>/dev/null; }

# vk_sink_start OUT SECONDS CMD...: start CMD, a `vnetkit gen --sink ...`
# (--ready and --json are added), in the background: its document in OUT,
# its stderr in OUT.err, its pid in VK_SINK. Returns once it is ready to
# receive (frames sent earlier would be lost), 1 if it exited or was not
# ready within SECONDS (a TCG guest on a loaded host can take many).
vk_sink_start() {
	local out=$1 secs=$2 i
	shift 2
	rm -f "$out.ready"
	"$@" --ready "$out.ready" --json >"$out" 2>"$out.err" &
	VK_SINK=$!
	for ((i = 0; i < secs * 10; i++)); do
		[ -e "$out.ready" ] && return 0
		kill -0 $VK_SINK 2>/dev/null || break
		sleep 0.1
	done
	diag "sink not ready after $((i / 10)) s: $* ($(cat "$out.err" 2>/dev/null))"
	return 1
}

# expect_fail CODE "substring" command...: command must exit CODE and its
# stderr must contain substring.
expect_fail() {
	local code=$1 pat=$2 d=$3 out rc
	shift 3
	out=$("$@" 2>&1 >/dev/null); rc=$?
	if [ "$rc" -eq "$code" ] && [[ "$out" == *"$pat"* ]]; then
		ok "$d"
	else
		fail "$d (exit $rc, want $code; stderr: $out)"
	fi
}
