# Shared by test_vhost_batch*.sh (sourced after vhost_lib.sh): run_ok plus
# the checks a read-ahead bug shows up in - frames out of order, twice, or
# used entries vhost got wrong must all be zero, not just tolerated.

# run_exact DESC ARGS...: run_ok, and nothing reordered, duplicated or bad.
run_exact() {
	local d=$1 r
	shift
	run_ok "$d: verified" "$@"
	r="reordered $(jv .reordered "$LAST") duplicate $(jv .duplicate "$LAST") bad_used $(jv .bad_used "$LAST")"
	check "$d: in order, each once ($r)" \
		[ "$r" = "reordered 0 duplicate 0 bad_used 0" ]
}

# run_exact_rebase DESC ARGS...: run_exact of a --rebase-every run, which
# must have restarted the queue with buffers vhost had not taken yet (a run
# whose restarts all found the ring drained would prove nothing), and in
# which every used entry followed avail order (vhost-net completes in
# order; a stale read-ahead does not).
run_exact_rebase() {
	local d="vhost batch: restarts, $1" count req mis
	shift
	run_exact "$d" "$@"
	count=$(jv .rebase.count "$LAST")
	req=$(jv .rebase.requeued "$LAST")
	mis=$(jv .rebase.misordered "$LAST")
	check "$d: restarts with buffers in flight ($count restarts, $req buffers re-posted)" \
		[ "${count:-0}" -gt 0 -a "${req:-0}" -gt 0 ]
	check "$d: used entries in avail order ($mis out of order)" [ "$mis" = 0 ]
}

# kp_add NAME FUNC: count the calls of FUNC with a kprobe event of ours
# (removed at exit); kp_hits NAME prints its count so far, from
# kprobe_profile. Empty name on failure: the caller says what is missing.
KP_DIR=/sys/kernel/tracing
kp_add() {
	local n=vkvb_${1}_$$
	echo "p:$n $2" >>$KP_DIR/kprobe_events 2>/dev/null || return 1
	at_exit "echo 0 >$KP_DIR/events/kprobes/$n/enable; echo -:$n >>$KP_DIR/kprobe_events"
	echo 1 >$KP_DIR/events/kprobes/$n/enable
}
kp_hits() {
	awk -v n="vkvb_${1}_$$" '$1 == n { print $2 }' $KP_DIR/kprobe_profile
}
