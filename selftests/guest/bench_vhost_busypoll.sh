#!/usr/bin/env bash
# vhost_net busy polling: none, fixed, adaptive (make kernel-bench runs this
# on the base and the patched kernel of one run and prints patched/base).
# vnetkit vhost pingpong (one frame in flight) at three loads, paced by
# spinning on the clock (--pace spin: the test kernel has no high-resolution
# timers, a sleep lasts at least a 4 ms tick):
#   sparse     one frame every SPARSE us   (default 1000)
#   medium     one frame every MEDIUM us   (default 60: a round trip takes
#              about 35 us of virtual time, so a gap of about 25 us)
#   saturated  back to back                (--interval 0)
#   idle       one frame every IDLE us     (default 4000), paced by
#              sleeping (--pace sleep, a 4 ms tick): the driver's vCPU
#              halts between frames.
# Why idle: with -icount the guest's vCPUs share one QEMU thread and run in
# turn, so while the driver spins on vCPU 0 the worker's vCPU 1 does not
# run; its busy poll resumes when vCPU 0 sleeps, and its virtual time
# (spin_ns, worker CPU) then includes the other vCPU's turn. At the sparse
# load a 50 us poll reads as the whole 1000 us gap. Only the idle load,
# where vCPU 0 sleeps through the gap, shows what polling costs per frame.
# for three busy-poll settings:
#   none       busyloop timeout 0
#   fixed50    busyloop timeout 50 us
#   adapt50    busyloop timeout 50 us as the ceiling, --busyloop-adaptive
#              (VHOST_SET_VRING_BUSYLOOP_ADAPTIVE: patched kernel only,
#              "unavailable" on the base kernel)
# Metrics: round-trip p50 and p99 (ns), vhost worker CPU per frame (ns) and,
# where the vhost tracepoints exist, the time spent busy polling per frame
# and the share of polls that found work (vhost_net_busy_poll_end), each the
# median of ROUNDS runs. Only meaningful in virtual time: boot with
# QEMU_ARGS="-icount shift=0,sleep=off" (1 ns per guest instruction, so
# worker and spin ns are instruction counts); TCG wall time is noise.
source "$(dirname "$0")/../lib.sh" 2>/dev/null || source "$(dirname "$0")/lib.sh"
V=${VNETKIT:-vnetkit}
[ -x "$V" ] || V=$(command -v vnetkit)
ROUNDS=${BUSYPOLL_BENCH_ROUNDS:-3}
SPARSE=${BUSYPOLL_BENCH_SPARSE_US:-1000}
MEDIUM=${BUSYPOLL_BENCH_MEDIUM_US:-60}
IDLE=${BUSYPOLL_BENCH_IDLE_US:-4000}
T=/sys/kernel/tracing
E=$T/events/vhost/vhost_net_busy_poll_end
A=$T/events/vhost/vhost_net_busy_poll_adapt

if [ ! -e /dev/vhost-net ]; then
	echo "# bench_vhost_busypoll: unavailable (no /dev/vhost-net in this kernel)"
	exit 0
fi
if ! $V vhost --help | grep -q -- --interval; then
	echo "# bench_vhost_busypoll: unavailable (vnetkit vhost pingpong has no --interval)"
	exit 0
fi
# Does this kernel have VHOST_SET_VRING_BUSYLOOP_ADAPTIVE?
ADAPTIVE=1
if ! $V vhost pingpong --frames 1 --busyloop-timeout 50 --busyloop-adaptive >/dev/null 2>/tmp/bp.err; then
	ADAPTIVE=0
	echo "# vhost_busypoll adapt50: unavailable ($(head -c 200 /tmp/bp.err))"
fi
echo "# bench_vhost_busypoll: compare within one boot; only -icount virtual time is exact"
echo "# loads: sparse 1 frame / $SPARSE us, medium 1 frame / $MEDIUM us, saturated back to back, idle 1 frame / $IDLE us (sleeping)"
[ -d $E ] && echo 8192 >$T/buffer_size_kb

declare -A MED
# stats NAME UNIT DIR VALUES...: median, min, max of the rounds (MED[NAME]).
stats() {
	local name=$1 unit=$2 dir=$3 out
	shift 3
	out=$(printf '%s\n' "$@" | grep . | sort -g | awk -v n="$name" -v u="$unit" -v d="$dir" '
		{ v[NR] = $1 }
		END {
			if (!NR) { print "# " n ": unavailable (no samples)"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "metric %s %.6g %s %s\n", n, m, u, d
			printf "# %s: better %s, min %.6g, max %.6g, %d rounds\n",
			       n, d, v[1], v[NR], NR
		}')
	echo "$out"
	MED[$name]=$(echo "$out" | awk '/^metric/ { print $3 }')
	SPREAD[$name]=$(printf '%s\n' "$@" | grep . | sort -g | awk '{ v[NR] = $1 }
		END { if (NR && v[1] > 0) printf "%.4f", (v[NR] - v[1]) / v[1]; else print 0 }')
}
declare -A SPREAD

# ratio A B: A / B to 3 decimals, or "-".
ratio() { awk -v a="${MED[$1]:-}" -v b="${MED[$2]:-}" 'BEGIN { if (a != "" && b + 0 > 0) printf "%.3f", a / b; else print "-" }'; }

declare -A SAMPLES
# one LOAD SETTING FRAMES INTERVAL TIMEOUT ADAPTIVE: one run; its figures
# are appended to SAMPLES[<metric name>].
one() {
	local load=$1 set=$2 frames=$3 iv=$4 to=$5 ad=$6 out s h name=vhost_busypoll.$1.$2
	local -a a=(--frames "$frames" --busyloop-timeout "$to")
	if [ "$load" = idle ]; then
		a+=(--interval "$iv" --pace sleep)
	elif [ "$iv" != 0 ]; then
		a+=(--interval "$iv" --pace spin)
	fi
	if [ "$ad" = 1 ]; then
		[ $ADAPTIVE = 1 ] || return
		a+=(--busyloop-adaptive)
	fi
	if [ -d $E ]; then
		echo 0 >$T/tracing_on
		echo >$T/trace
		echo 1 >$E/enable
		[ -d $A ] && echo 1 >$A/enable
		echo 1 >$T/tracing_on
	fi
	out=$($V vhost pingpong "${a[@]}" --json 2>&1)
	if [ -d $E ]; then
		echo 0 >$T/tracing_on
		echo 0 >$E/enable
		[ -d $A ] && echo 0 >$A/enable
	fi
	if [ "$(jv .result "$out")" != ok ]; then
		echo "# $name: a round failed: $(echo "$out" | head -c 300)"
		return
	fi
	SAMPLES[$name.rtt_p50]+=" $(jv .latency_ns.p50 "$out")"
	SAMPLES[$name.rtt_p99]+=" $(jv .latency_ns.p99 "$out")"
	# Without the first frames / 10 (vnetkit's --warmup): the first round
	# trips of every run are the slowest in every setting (cold paths:
	# 37 to 420 us in virtual time), and with 200 frames p99 is the second
	# slowest frame.
	SAMPLES[$name.rtt_p99_after_warmup]+=" $(jv .latency_after_warmup_ns.p99 "$out")"
	SAMPLES[$name.worker_cpu_ns_per_frame]+=" $(jv .vhost_worker.cpu_ns_per_frame "$out")"
	if [ "$to" != 0 ] && [ -d $E ]; then
		read -r s h <<<"$(grep -v '^#' $T/trace | awk -v f="$frames" '
			/vhost_net_busy_poll_end:/ { n++
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^spin_ns=/) s += substr($i, 9)
					if ($i == "reason=work_found") h++ } }
			END { printf "%.0f %.4f\n", s / f, n ? h / n : 0 }')"
		SAMPLES[$name.busy_spin_ns_per_frame]+=" $s"
		SAMPLES[$name.busy_poll_hit_rate]+=" $h"
		# Why the polls ended, per ring (vq 0 RX, 1 TX): polls and
		# spin ns per frame for each reason, and the adaptive
		# decisions (vhost_net_busy_poll_adapt) per frame.
		echo "# $name: per frame, by ring and exit reason (polls, spin ns): $(grep -v '^#' $T/trace | awk -v f="$frames" '
			/vhost_net_busy_poll_end:/ { vq = r = ""; sp = 0
				for (i = 1; i <= NF; i++) {
					if ($i ~ /^vq=/) vq = substr($i, 4)
					if ($i ~ /^reason=/) r = substr($i, 8)
					if ($i ~ /^spin_ns=/) sp = substr($i, 9) }
				k = (vq == 0 ? "rx" : "tx") "." r; n[k]++; s[k] += sp }
			/vhost_net_busy_poll_adapt:/ { a++ }
			END { for (k in n) printf "%s %.2f %.0f; ", k, n[k] / f, s[k] / f
			      printf "adapt %.2f", a / f }')"
	fi
}

# Rounds interleave the settings, so a change in the host's load during the
# run hits all three alike.
for load in sparse medium saturated idle; do
	case $load in
	sparse) iv=$SPARSE frames=${BUSYPOLL_BENCH_SPARSE_FRAMES:-200} ;;
	medium) iv=$MEDIUM frames=${BUSYPOLL_BENCH_MEDIUM_FRAMES:-1000} ;;
	saturated) iv=0 frames=${BUSYPOLL_BENCH_SATURATED_FRAMES:-1000} ;;
	idle) iv=$IDLE frames=${BUSYPOLL_BENCH_IDLE_FRAMES:-200} ;;
	esac
	for ((r = 0; r < ROUNDS; r++)); do
		one $load none "$frames" "$iv" 0 ""
		one $load fixed50 "$frames" "$iv" 50 ""
		one $load adapt50 "$frames" "$iv" 50 1
	done
	for set in none fixed50 adapt50; do
		for m in rtt_p50:ns:lower rtt_p99:ns:lower rtt_p99_after_warmup:ns:lower worker_cpu_ns_per_frame:ns:lower \
			busy_spin_ns_per_frame:ns:lower busy_poll_hit_rate:ratio:higher; do
			n=vhost_busypoll.$load.$set.${m%%:*}
			[ -n "${SAMPLES[$n]:-}" ] || continue
			u=${m#*:}
			# shellcheck disable=SC2086
			stats "$n" "${u%%:*}" "${u#*:}" ${SAMPLES[$n]}
		done
	done
done
echo "# adaptive / fixed 50 us on this kernel (lower is better; < 1: adaptive wins):"
echo "#   load       rtt_p50  rtt_p99  worker_cpu  busy_spin"
for load in sparse medium saturated idle; do
	b=vhost_busypoll.$load
	printf '#   %-10s %7s  %7s  %10s  %9s\n' $load "$(ratio $b.adapt50.rtt_p50 $b.fixed50.rtt_p50)" \
		"$(ratio $b.adapt50.rtt_p99 $b.fixed50.rtt_p99)" \
		"$(ratio $b.adapt50.worker_cpu_ns_per_frame $b.fixed50.worker_cpu_ns_per_frame)" \
		"$(ratio $b.adapt50.busy_spin_ns_per_frame $b.fixed50.busy_spin_ns_per_frame)"
done
# The issue's gates, on this boot's medians (RTT p50; the repeatability
# bound is the spread (max - min) / min of the no-polling rounds):
#   where fixed beats none by more than 10%, adaptive keeps >= 80% of it;
#   at the sparse load adaptive spends <= half of fixed's worker CPU;
#   adaptive never loses to none by more than the repeatability bound.
gate() { echo "# gate $1: $2"; }
for load in sparse medium saturated idle; do
	b=vhost_busypoll.$load
	[ -n "${MED[$b.adapt50.rtt_p50]:-}" ] || continue
	read -r gain keep lose bound <<<"$(awk -v n="${MED[$b.none.rtt_p50]}" \
		-v f="${MED[$b.fixed50.rtt_p50]}" -v a="${MED[$b.adapt50.rtt_p50]}" \
		-v s="${SPREAD[$b.none.rtt_p50]}" 'BEGIN {
			g = (n - f) / n; k = (n - f) > 0 ? (n - a) / (n - f) : 0
			printf "%.4f %.4f %.4f %.4f\n", g, k, (a - n) / n, s }')"
	if awk -v g="$gain" 'BEGIN { exit !(g > 0.10) }'; then
		gate "$load keeps 80% of fixed's RTT gain" "$(awk -v k="$keep" -v g="$gain" \
			'BEGIN { printf "%s (fixed gains %.1f%%, adaptive keeps %.1f%% of it)", (k >= 0.8) ? "pass" : "FAIL", 100 * g, 100 * k }')"
	else
		gate "$load keeps 80% of fixed's RTT gain" "not applicable (fixed gains $(awk -v g="$gain" 'BEGIN { printf "%.1f", 100 * g }')%)"
	fi
	gate "$load adaptive vs none" "$(awk -v l="$lose" -v s="$bound" \
		'BEGIN { printf "%s (adaptive RTT p50 %+.2f%% of none, bound %.2f%%)", (l <= s) ? "pass" : "FAIL", 100 * l, 100 * s }')"
done
for load in sparse idle; do
	b=vhost_busypoll.$load
	[ -n "${MED[$b.adapt50.worker_cpu_ns_per_frame]:-}" ] || continue
	gate "$load worker CPU <= half of fixed" "$(awk -v a="${MED[$b.adapt50.worker_cpu_ns_per_frame]}" \
		-v f="${MED[$b.fixed50.worker_cpu_ns_per_frame]}" \
		'BEGIN { printf "%s (adaptive/fixed %.3f)", (a <= f / 2) ? "pass" : "FAIL", a / f }')"
done
exit 0
