#!/usr/bin/env bash
# Every --json document of every command, from real runs, validated against
# its schema in schemas/ (python3-jsonschema): the reports, and the error
# documents a failed --json run prints. Plus the two documents that used to
# be invalid JSON: a device named q"x (no escaping), and testbed status
# skipping its first device ("[,{").
source "$(dirname "$0")/lib.sh"

V=$VNETKIT
top=$(cd "$(dirname "$0")/.." && pwd)
NS=vkcl$$
Q="q\"x$$"		# a device name with a double quote in it
T=$(mktemp -d)
at_exit "rm -rf $T"
at_exit "$V testbed down --name $NS"
in_ns() { ip netns exec $NS "$@"; }

docs=()
# doc NAME EXPECTED-EXIT CMD...: run CMD, keep its stdout as document NAME;
# the exit code must be the expected one and stdout exactly one line.
doc() {
	local name=$1 want=$2 rc
	shift 2
	"$@" >$T/$name.json 2>$T/$name.err; rc=$?
	if [ $rc -ne "$want" ]; then
		fail "schemas: $name: exit $rc, want $want ($(head -c 300 $T/$name.err))"
	elif [ "$(wc -l <$T/$name.json)" -lt 1 ]; then
		fail "schemas: $name: no document on stdout"
	else
		docs+=("$T/$name.json")
	fi
}

if ! $V testbed up --name $NS >/dev/null; then
	fail "schemas: testbed up (cannot run the commands)"
	exit 0
fi
ip -n $NS link add "$Q" type veth peer name vkclp$$
at_exit "ip -n $NS link del vkclp$$"	# before testbed down: not its device
ip -n $NS link set "$Q" up
ip -n $NS link set vkclp$$ up

doc testbed-status 0 $V testbed status --name $NS --json
doc testbed-status-down 1 $V testbed status --name vkclno$$ --json
doc xdp-status-empty 0 in_ns $V xdp status --json
in_ns $V xdp attach --dev "$Q" --action drop >/dev/null
doc xdp-status 0 in_ns $V xdp status --json
doc xdp-status-dev 0 in_ns $V xdp status --dev "$Q" --json
in_ns $V gen --dev vkclp$$ --count 200 >/dev/null &
doc xdp-stats 0 in_ns $V xdp stats --dev "$Q" --interval 0.2 --duration 0.6 --json
wait
doc xdp-stats-noprog 1 in_ns $V xdp stats --dev vkveth0 --json
in_ns $V xdp detach --dev "$Q" >/dev/null
doc xdp-bench 0 $V xdp bench --repeat 100 --rounds 3 --json
doc gen 0 in_ns $V gen --tap vktap0 --count 100 --json
doc gen-missing 1 in_ns $V gen --tap vkclnone --count 1 --json
in_ns $V gen --sink --dev vkveth1 --count 50 --ready $T/ready --json >$T/sink.json 2>$T/sink.err &
sink=$!
for _ in $(seq 50); do [ -e $T/ready ] && break; sleep 0.1; done
in_ns $V gen --dev vkveth0 --count 50 >/dev/null
if wait $sink; then docs+=("$T/sink.json"); else fail "schemas: gen --sink: $(cat $T/sink.err)"; fi
doc gen-sink-short 1 in_ns $V gen --sink --dev vkveth1 --count 5 --timeout 0.2 --json
doc ring-model 0 $V ring model --batch 1,4 --json
doc ring-bench 0 $V ring bench --ops 20000 --rounds 1 --algo ptr_ring,kernel --json
doc trace 0 in_ns $V trace --dev vktap0 --stages tun,xdp --json -- $V gen --tap vktap0 --count 20
doc trace-cmd-failed 3 in_ns $V trace --stages tun --json -- sh -c 'exit 3'
doc vhost 1 $V vhost tx --frames 10 --json	# no vhost-net on the host: the error document
doc usage-error 2 $V ring bench --ops 0x10 --json
doc usage-unknown 2 $V testbed status --bogus --json

# The two documents that were invalid JSON, each checked on its own too.
if python3 "$top/selftests/json_check.py" $T/xdp-status.json >$T/q.out 2>&1 &&
   jq -e --arg q "$Q" '.interfaces[] | select(.dev == $q)' $T/xdp-status.json >/dev/null; then
	ok "schemas: xdp status --json escapes a device named $Q"
else
	fail "schemas: xdp status --json with $Q: $(cat $T/q.out $T/xdp-status.json)"
fi
if gcc -shared -fPIC -O2 -o $T/ifgone.so "$top/selftests/ifgone.c" -ldl; then
	doc testbed-status-skip 0 env LD_PRELOAD=$T/ifgone.so VK_IFGONE=vktap0 \
		$V testbed status --name $NS --json
	if python3 "$top/selftests/json_check.py" $T/testbed-status-skip.json >$T/s.out 2>&1 &&
	   jq -e '[.devices[].name] | (index("vktap0") == null) and length == 4' \
		$T/testbed-status-skip.json >/dev/null; then
		ok "schemas: testbed status --json skipping its first device is valid (no '[,{')"
	else
		fail "schemas: testbed status skipping vktap0: $(cat $T/s.out $T/testbed-status-skip.json)"
	fi
else
	fail "schemas: cannot build the LD_PRELOAD shim"
fi

# Every document: valid against its schema; failures carry their error.
out=$(python3 "$top/selftests/json_check.py" "${docs[@]}" 2>&1); rc=$?
n=$(grep -c '^valid ' <<<"$out")
if [ $rc -eq 0 ]; then
	ok "schemas: $n documents from ${#docs[@]} runs valid against schemas/ ($(grep '^valid' <<<"$out" | awk '{print $2}' | sort -u | wc -l) schemas)"
else
	fail "schemas: $(tail -1 <<<"$out")"
fi
for f in "${docs[@]}"; do
	name=$(basename $f .json)
	case $name in
	*-down|*-noprog|*-missing|*-short|*-failed|vhost|usage-*)
		if jq -e '.error.what and .error.why' $f >/dev/null; then
			ok "schemas: $name: the failed run's document carries the error"
		else
			fail "schemas: $name: no error in $(cat $f)"
		fi ;;
	esac
done
# Every schema file is used by a document here, but for vhost's own report
# (no vhost-net on the host: the guest's vhost tests run it).
for s in "$top"/schemas/vnetkit-*.json; do
	id=$(jq -r '."$id"' $s)
	if grep -q "^valid $id " <<<"$out" || [ "$id" = vnetkit-vhost/1 ]; then
		continue
	fi
	fail "schemas: $(basename $s) validated no document"
done
