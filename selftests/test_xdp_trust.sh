#!/usr/bin/env bash
# vnetkit xdp and what is not its own: a foreign program, foreign pins of
# the same names, SIGKILL of `run` (bpf_link), capabilities instead of a
# user id, --netns versus `ip netns exec` for pins, and stats that follow
# the program (replaced, detached, device gone).
. "$(dirname "$0")/lib.sh"
ns=vkxt$$
V=$VNETKIT
TMP=$(mktemp -d); at_exit "rm -rf $TMP"
vk_netns $ns || { fail "create namespace"; exit 0; }
ip -n $ns link add vkt0 type veth peer name vkt1
ip -n $ns link set vkt0 up; ip -n $ns link set vkt1 up
in_net() { nsenter --net=/run/netns/$ns "$@"; }
# for background jobs: $! must be vnetkit itself (nsenter execs it)
NSENTER="nsenter --net=/run/netns/$ns"
xdp_id() { ip -n $ns -j link show dev "$1" | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // empty'; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
mountpoint -q /sys/fs/bpf || { mount -t bpf bpf /sys/fs/bpf && diag "mounted bpffs on /sys/fs/bpf"; }
pins=/sys/fs/bpf/vkxt$$; mkdir -p $pins; at_exit "rm -rf $pins"

# A foreign XDP program: not one of vnetkit's objects, its own map.
cat >$TMP/foreign.bpf.c <<'C'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1);
	 __type(key, __u32); __type(value, __u64); } other SEC(".maps");
SEC("xdp") int other_prog(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
C
clang-19 -O2 -g -target bpf -I/usr/include/$(gcc -dumpmachine) -c $TMP/foreign.bpf.c -o $TMP/foreign.bpf.o ||
	{ fail "compile the foreign XDP program"; exit 0; }

# --- 1. a foreign program: detach and --replace need an explicit choice ----
bpftool prog load $TMP/foreign.bpf.o $pins/foreign_prog type xdp
in_net bpftool net attach xdpgeneric pinned $pins/foreign_prog dev vkt0
fid=$(xdp_id vkt0)
check "a foreign program is attached (id $fid)" test -n "$fid"
expect_fail 1 "was not loaded by vnetkit: left attached" \
	"xdp detach of a foreign program refused without --id/--force" in_net $V xdp detach --dev vkt0
check "the foreign program survives detach" test "$(xdp_id vkt0)" = "$fid"
expect_fail 1 "replaces only vnetkit's programs" \
	"xdp attach --replace over a foreign program refused" \
	in_net $V xdp attach --dev vkt0 --action drop --mode generic --replace
check "the foreign program survives --replace" test "$(xdp_id vkt0)" = "$fid"
expect_fail 1 "is not the program attached" "xdp detach --id of another program refused" \
	in_net $V xdp detach --dev vkt0 --id $((fid + 100000))
check "the foreign program survives a wrong --id" test "$(xdp_id vkt0)" = "$fid"
expect_fail 2 "only with --replace" "attach --force without --replace is a usage error" \
	in_net $V xdp attach --dev vkt0 --action drop --force
out=$(in_net $V xdp detach --dev vkt0 --id $fid 2>&1); rc=$?
check "xdp detach --id N detaches the foreign program N on purpose" \
	bash -c "[ $rc -eq 0 ] && [ -z \"$(xdp_id vkt0)\" ]"
in_net bpftool net attach xdpgeneric pinned $pins/foreign_prog dev vkt0
out=$(in_net $V xdp attach --dev vkt0 --action drop --mode generic --replace --force 2>&1); rc=$?
check "attach --replace --force replaces a foreign program on purpose" \
	bash -c "[ $rc -eq 0 ] && grep -q vk_xdp_drop <<<'$out'"
in_net $V xdp detach --dev vkt0 >/dev/null
rm -f $pins/foreign_prog

# --- 2. pins: only what attach --pin recorded, in a directory of its own ----
# a) foreign prog and map pinned under our names: detach --pin touches nothing
d=$pins/a; mkdir $d
bpftool prog load $TMP/foreign.bpf.o $d/prog type xdp
bpftool map create $d/vk_stats type array key 4 value 8 entries 1 name vk_stats
in_net $V xdp attach --dev vkt0 --action drop >/dev/null
id=$(xdp_id vkt0)
expect_fail 1 "was not pinned by vnetkit xdp attach" \
	"detach --pin of a foreign pin directory refused" in_net $V xdp detach --dev vkt0 --pin $d
check "foreign pins survive, and on failure our program stays attached" \
	bash -c "[ -e $d/prog ] && [ -e $d/vk_stats ] && [ '$(xdp_id vkt0)' = '$id' ]"
in_net $V xdp detach --dev vkt0 >/dev/null
# b) attach --pin into that directory: refused, and the rollback keeps them
expect_fail 1 "$d/prog already exists" "attach --pin over foreign pins refused" \
	in_net $V xdp attach --dev vkt0 --action drop --pin $d
check "foreign pins survive the refused attach --pin, nothing attached" \
	bash -c "[ -e $d/prog ] && [ -e $d/vk_stats ] && [ -z '$(xdp_id vkt0)' ]"
rm -f $d/vk_stats
expect_fail 1 "$d/prog already exists" "attach --pin next to a foreign prog pin refused" \
	in_net $V xdp attach --dev vkt0 --action drop --pin $d
check "no vk_stats pin left behind by the refused attach" test ! -e $d/vk_stats
# c) our pins, plus a file someone else put in the directory
p=$pins/b
in_net $V xdp attach --dev vkt0 --action drop --pin $p >/dev/null
id=$(xdp_id vkt0)
bpftool map create $p/extra type array key 4 value 8 entries 1 name extra
expect_fail 1 "holds extra, which vnetkit did not pin" \
	"detach --pin of a directory holding a foreign pin refused" \
	in_net $V xdp detach --dev vkt0 --pin $p
check "everything stays: our pins, the foreign one, the attachment" \
	bash -c "[ -e $p/prog ] && [ -e $p/vk_stats ] && [ -e $p/extra ] && [ '$(xdp_id vkt0)' = '$id' ]"
rm -f $p/extra
# d) our map pin replaced by a foreign map of the same name
rm -f $p/vk_stats
bpftool map create $p/vk_stats type percpu_array key 4 value 16 entries 56 name vk_stats
expect_fail 1 "is not what vnetkit pinned there" \
	"detach --pin with a swapped map pin refused" in_net $V xdp detach --dev vkt0 --pin $p
check "the swapped-in map and the attachment survive" \
	bash -c "[ -e $p/vk_stats ] && [ '$(xdp_id vkt0)' = '$id' ]"
rm -f $p/vk_stats
out=$(in_net $V xdp detach --dev vkt0 --pin $p 2>&1); rc=$?
check "detach --pin of our own pins removes them and the directory" \
	bash -c "[ $rc -eq 0 ] && [ ! -e $p ] && [ -z '$(xdp_id vkt0)' ]"

# --- 3. attach is netlink, run is a bpf_link: SIGKILL leaves nothing --------
out=$(in_net $V xdp attach --dev vkt0 --action pass)
check "attach says it uses netlink (stays after exit)" grep -q "through netlink" <<<"$out"
check "status --json: attach netlink, vnetkit true" \
	test "$(in_net $V xdp status --dev vkt0 --json | jq -c '[.interfaces[0].attach, .interfaces[0].vnetkit]')" = '["netlink",true]' 
in_net $V xdp detach --dev vkt0 >/dev/null
$NSENTER $V xdp run --dev vkt0 --action drop --interval 0.2 >$TMP/run.out 2>&1 &
runner=$!
for _ in $(seq 50); do grep -q "bpf_link" $TMP/run.out && break; sleep 0.1; done
check "run says it attaches through a bpf_link" grep -q "attached through a bpf_link" $TMP/run.out
expect_fail 1 "held by bpf_link id" "detach while run holds its bpf_link: refused, names the link" \
	in_net $V xdp detach --dev vkt0
check "status --json says the program is held by a bpf_link" \
	test "$(in_net $V xdp status --dev vkt0 --json | jq -r '.interfaces[0].attach')" = bpf_link
kill -KILL $runner; wait $runner 2>/dev/null
sleep 0.3
check "SIGKILL of xdp run leaves no program attached" test -z "$(xdp_id vkt0)"
js=$(in_net $V xdp run --dev vkt0 --action drop --duration 0.3 --json)
check "run --json: \"attach\": \"bpf_link\", end duration, not interrupted" \
	test "$(json '(d["attach"], d["end"], d["interrupted"])' <<<"$js")" = "('bpf_link', 'duration', False)"
$NSENTER $V xdp run --dev vkt0 --action drop --duration 5 --json >$TMP/int.json 2>/dev/null &
runner=$!
sleep 0.5; kill -INT $runner; wait $runner; rc=$?
check "run interrupted before its --duration: exit 1, \"interrupted\": true" \
	test "$rc $(json 'd["interrupted"]' <$TMP/int.json)" = "1 True"

# --- 4. capabilities, not the user id ---------------------------------------
in_net $V xdp attach --dev vkt0 --action drop >/dev/null
id=$(xdp_id vkt0)
nocaps="setpriv --inh-caps=-all --ambient-caps=-all --bounding-set=-all"
out=$(in_net $nocaps $V xdp status 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"missing CAP_NET_ADMIN, CAP_SYS_ADMIN"* ]] &&
   [[ "$out" != *"no XDP programs attached"* ]]; then
	ok "root without capabilities: status fails naming the capabilities, no empty list"
else
	fail "root without capabilities: status (exit $rc: $out)"
fi
expect_fail 1 "missing CAP_NET_ADMIN, CAP_PERFMON, CAP_BPF" \
	"root without capabilities: attach names CAP_BPF, CAP_NET_ADMIN, CAP_PERFMON" \
	in_net $nocaps $V xdp attach --dev vkt1 --action drop
in_net $V xdp detach --dev vkt0 >/dev/null
if id nobody >/dev/null 2>&1; then
	user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	c=+bpf,+net_admin,+perfmon
	out=$(in_net $user --inh-caps=$c --ambient-caps=$c $V xdp attach --dev vkt0 --action drop 2>&1); rc=$?
	check "non-root with CAP_BPF+CAP_NET_ADMIN+CAP_PERFMON: attach works" \
		bash -c "[ $rc -eq 0 ] && [ -n '$(xdp_id vkt0)' ]"
	in_net $V xdp detach --dev vkt0 >/dev/null
	js=$(in_net $user --inh-caps=$c --ambient-caps=$c $V xdp run --dev vkt0 --action pass --duration 0.3 --json); rc=$?
	check "non-root with those capabilities: run works and detaches" \
		bash -c "[ $rc -eq 0 ] && [ -z '$(xdp_id vkt0)' ]"
	out=$(in_net $user --inh-caps=$c --ambient-caps=$c $V xdp bench --repeat 1000 --rounds 1 2>&1); rc=$?
	check "non-root with those capabilities: bench works" test $rc -eq 0
	expect_fail 1 "missing CAP_SYS_ADMIN" \
		"non-root without CAP_SYS_ADMIN: status names it (reading programs by id)" \
		in_net $user --inh-caps=$c --ambient-caps=$c $V xdp status
	c=$c,+sys_admin
	in_net $V xdp attach --dev vkt0 --action drop >/dev/null
	out=$(in_net $user --inh-caps=$c --ambient-caps=$c $V xdp status 2>&1); rc=$?
	check "non-root with CAP_SYS_ADMIN too: status lists the program" \
		bash -c "[ $rc -eq 0 ] && grep -q vk_xdp_drop <<<'$out'"
	in_net $V xdp detach --dev vkt0 >/dev/null
else
	skip "non-root with capabilities" "no 'nobody' user on this system"
fi

# --- 5. --netns, and pins that would not outlive ip netns exec ---------------
p=$pins/c
expect_fail 1 "use --netns" "ip netns exec ... attach --pin refused with a hint to --netns" \
	ip netns exec $ns $V xdp attach --dev vkt0 --action drop --pin $p
check "the refused attach --pin attached and pinned nothing" \
	bash -c "[ -z '$(xdp_id vkt0)' ] && [ ! -e $p ]"
out=$($V xdp attach --netns $ns --dev vkt0 --action drop --pin $p 2>&1); rc=$?
check "xdp attach --netns NS --pin DIR from the host: attached in NS" \
	bash -c "[ $rc -eq 0 ] && [ -n '$(xdp_id vkt0)' ]"
check "the pin is visible from the host" test -e $p/prog -a -e $p/vk_stats
check "xdp status --netns NS shows it" bash -c "$V xdp status --netns $ns | grep -q vkt0"
out=$($V xdp detach --netns $ns --dev vkt0 --pin $p 2>&1); rc=$?
check "xdp detach --netns NS --pin DIR removes both" \
	bash -c "[ $rc -eq 0 ] && [ ! -e $p ] && [ -z '$(xdp_id vkt0)' ]"
expect_fail 1 "no network namespace 'vknone$$'" "--netns of a missing namespace: exit 1" \
	$V xdp status --netns vknone$$

# --- 6. stats follows the program ---------------------------------------------
in_net $V xdp attach --dev vkt0 --action drop >/dev/null
old=$(xdp_id vkt0)
$NSENTER $V xdp stats --dev vkt0 --interval 0.2 --duration 1.6 --json >$TMP/st.json 2>$TMP/st.err &
st=$!
sleep 0.6
in_net $V xdp attach --dev vkt0 --action pass --replace >/dev/null
new=$(xdp_id vkt0)
wait $st; rc=$?
got="$rc $(json '(d["prog_id"], d["replaced_from"], d["program"])' <$TMP/st.json)"
if [ "$got" = "0 ($new, [$old], 'vk_xdp_pass')" ]; then
	ok "stats across a replacement: follows the new program (id $old -> $new), exit 0"
else
	fail "stats across a replacement (id $old -> $new): got $got; $(cat $TMP/st.err)"
fi
$NSENTER $V xdp stats --dev vkt0 --interval 0.2 --duration 5 >$TMP/st.out 2>$TMP/st.err &
st=$!
sleep 0.5
in_net $V xdp detach --dev vkt0 >/dev/null
wait $st; rc=$?
check "stats when the program is detached: says so, exit 1" \
	bash -c "[ $rc -eq 1 ] && grep -q 'was detached from vkt0' $TMP/st.err"
in_net $V xdp attach --dev vkt0 --action drop >/dev/null
$NSENTER $V xdp stats --dev vkt0 --interval 0.2 --duration 5 --json >$TMP/st.json 2>$TMP/st.err &
st=$!
sleep 0.5
ip -n $ns link del vkt0
wait $st; rc=$?
check "stats when the device vanishes: says so, exit 1, end \"device gone\"" \
	bash -c "[ $rc -eq 1 ] && grep -q 'device vkt0 (ifindex [0-9]*) vanished' $TMP/st.err &&
		 [ '$(json 'd["end"]' <$TMP/st.json)' = 'device gone' ]"
ip -n $ns link add vkt0 type veth peer name vkt1; ip -n $ns link set vkt0 up; ip -n $ns link set vkt1 up
$NSENTER $V xdp run --dev vkt0 --action drop --interval 0.2 >$TMP/run.out 2>$TMP/run.err &
runner=$!
sleep 0.5
ip -n $ns link del vkt0
t0=$(date +%s%N)
for _ in $(seq 30); do kill -0 $runner 2>/dev/null || break; sleep 0.1; done
kill -0 $runner 2>/dev/null && { kill -KILL $runner; diag "run still running 3 s after its device went"; }
wait $runner; rc=$?
if [ $rc -eq 1 ] && grep -q 'vanished' $TMP/run.err; then
	ok "run when its device vanishes: says so and exits 1"
else
	fail "run when its device vanishes: exit $rc: $(cat $TMP/run.err)"
fi
