#!/usr/bin/env bash
# vnetkit testbed up|down|status: exactly the namespace, TAP and veth pair it
# announces, nothing left after down or after a failed up, IPv6 switched off
# in its own namespace only. Unique namespace names let it run beside a
# developer's testbed.
source "$(dirname "$0")/lib.sh"

V=$VNETKIT
NS=vktb$$
NS2=vktbf$$
at_exit "$V testbed down --name $NS"
at_exit "$V testbed down --name $NS2"

ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
links() { ip -n "$1" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }

# --- bad input: usage errors, nothing created -------------------------------
expect_fail 2 "usage: vnetkit testbed" "testbed: no subcommand prints usage" $V testbed
expect_fail 2 "unknown subcommand 'sideways'" "testbed: unknown subcommand" \
	$V testbed sideways
expect_fail 2 "unknown option '--bogus'" "testbed: unknown option" \
	$V testbed up --name $NS --bogus
expect_fail 2 "needs a value" "testbed: option without value" $V testbed up --name
expect_fail 2 "invalid interface name 'vktap0123456789x'" \
	"testbed: TAP name longer than IFNAMSIZ refused" \
	$V testbed up --name $NS --tap vktap0123456789x
expect_fail 2 "invalid namespace name" "testbed: namespace name with '/' refused" \
	$V testbed up --name "a/b"
check "testbed: refused input created no namespace" bash -c "! ip netns list | grep -qw $NS"
out=$(setpriv --reuid 65534 --regid 65534 --clear-groups $V testbed up --name $NS 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"missing CAP_NET_ADMIN, CAP_SYS_ADMIN"* ]] && ! ns_exists $NS; then
	ok "testbed: non-root without capabilities refused with exit 1 naming them, nothing created"
else
	fail "testbed: non-root (exit $rc: $out)"
fi

# --- up ---------------------------------------------------------------------
host_v6=$(cat /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null)
out=$($V testbed up --name $NS 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"created TAP vktap0"* ]] &&
   [[ "$out" == *"created veth pair vkveth0 <-> vkveth1"* ]] &&
   [[ "$out" == *"disable_ipv6=1 in $NS only"* ]]; then
	ok "testbed: up reports what it created"
else
	fail "testbed: up (exit $rc: $out)"
fi
check "testbed: namespace $NS exists" ns_exists $NS
got=$(links $NS)
if [ "$got" = "lo vktap0 vkveth0 vkveth1 " ]; then
	ok "testbed: namespace holds exactly lo, vktap0, vkveth0, vkveth1"
else
	fail "testbed: devices in namespace: '$got'"
fi
check "testbed: vktap0 is a persistent TAP" \
	bash -c "ip -n $NS -d link show vktap0 | grep -q 'tun type tap pi off vnet_hdr off persist on'"
check "testbed: vkveth0 and vkveth1 are peers" \
	bash -c "ip -n $NS -o link show vkveth0 | grep -q 'vkveth0@vkveth1' &&
		 ip -n $NS -o link show vkveth1 | grep -q 'vkveth1@vkveth0'"
down=$(ip -n $NS -o link show | grep -v ',UP' | awk -F': ' '{print $2}')
if [ -z "$down" ]; then
	ok "testbed: every device is up"
else
	fail "testbed: devices not up: $down"
fi
v6=$(ip netns exec $NS cat /proc/sys/net/ipv6/conf/all/disable_ipv6 \
	/proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null | tr '\n' ' ')
if [ "$v6" = "1 1 " ] &&
   [ "$(cat /proc/sys/net/ipv6/conf/default/disable_ipv6 2>/dev/null)" = "$host_v6" ]; then
	ok "testbed: IPv6 disabled in the namespace, host setting untouched"
else
	fail "testbed: disable_ipv6 in namespace '$v6', host '$host_v6'"
fi

# --- up twice: refused, first testbed intact ---------------------------------
expect_fail 1 "testbed already up" "testbed: second up refused" $V testbed up --name $NS
got=$(links $NS)
check "testbed: first testbed intact after the refused up" \
	test "$got" = "lo vktap0 vkveth0 vkveth1 "

# --- status -----------------------------------------------------------------
out=$($V testbed status --name $NS); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"vktap0"*"tap"*"up"* ]] && [[ "$out" == *vkveth1* ]] &&
   [ "$(echo "$out" | awk 'length > 80' | wc -l)" -eq 0 ]; then
	ok "testbed: status lists the devices in 80 columns"
else
	fail "testbed: status (exit $rc: $out)"
fi
js=$($V testbed status --name $NS --json)
if echo "$js" | jq -e '.up == true and ([.devices[].name] | sort) ==
	["vktap0","vkveth0","vkveth1"] and (.devices[] | select(.name=="vktap0") |
	.kind == "tap")' >/dev/null; then
	ok "testbed: status --json names the three devices"
else
	fail "testbed: status --json: $js"
fi

# --- a failure midway rolls everything back ---------------------------------
# The veth takes the TAP's name: the TAP is created, the veth fails.
out=$($V testbed up --name $NS2 --tap vkdup$$ --veth vkdup$$ --peer vkdupp$$ 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"cannot create veth pair"* ]] &&
   [[ "$out" == *"rolled back"* ]] && ! ns_exists $NS2 && [ ! -e /run/netns/$NS2 ]; then
	ok "testbed: failing up midway leaves no namespace"
else
	fail "testbed: midway failure (exit $rc: $out)"
fi
check "testbed: failing up left no device on the host" \
	bash -c "! ip -o link show | grep -q vkdup$$"

# --- custom names -------------------------------------------------------------
if $V testbed up --name $NS2 --tap vkt$$ --veth vkv$$ >/dev/null &&
   [ "$(links $NS2)" = "lo vkt$$ vkv$$ vkv$(($$ + 1)) " ] &&
   $V testbed down --name $NS2 >/dev/null && ! ns_exists $NS2; then
	ok "testbed: --tap/--veth names (peer numbered +1), then down"
else
	fail "testbed: custom names (devices: $(links $NS2 2>/dev/null))"
fi

# --- down ---------------------------------------------------------------------
out=$($V testbed down --name $NS 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"removed TAP vktap0"* ]] &&
   [[ "$out" == *"removed veth"* ]] && [[ "$out" == *"removed namespace $NS"* ]] &&
   ! ns_exists $NS && [ ! -e /run/netns/$NS ]; then
	ok "testbed: down removes TAP, veths and namespace"
else
	fail "testbed: down (exit $rc: $out)"
fi
expect_fail 1 "testbed '$NS' is not up" "testbed: down when not up is a clear error" \
	$V testbed down --name $NS
expect_fail 1 "testbed '$NS' is not up" "testbed: status when not up is a clear error" \
	$V testbed status --name $NS

# --- ownership: a namespace vnetkit did not create is never touched ----------
F=vktbo$$
at_exit "ip netns del $F"
ip netns add $F && ip -n $F link add vkfo0 type veth peer name vkfo1
expect_fail 1 "namespace '$F' was not created by vnetkit testbed" \
	"testbed: down of a foreign namespace of the same name refused, exit 1" \
	$V testbed down --name $F
check "testbed: the foreign namespace and its devices survive down" \
	bash -c "ip netns list | grep -qw $F && ip -n $F link show vkfo0 >/dev/null"
expect_fail 1 "ip netns del $F" "testbed: the refusal says how to remove it by hand" \
	$V testbed down --name $F
expect_fail 1 "was not created by vnetkit testbed" \
	"testbed: status does not report a foreign namespace as a testbed" \
	$V testbed status --name $F
js=$($V testbed status --name $F --json 2>/dev/null)
check "testbed: status --json of a foreign namespace says up: false" \
	bash -c "jq -e '.up == false' <<<'$js' >/dev/null"
expect_fail 1 "exists and is not a vnetkit testbed" \
	"testbed: up over a foreign namespace of the same name refused" $V testbed up --name $F
check "testbed: the foreign namespace is still intact" \
	bash -c "ip -n $F link show vkfo0 >/dev/null && ! ip -n $F link show vktap0 2>/dev/null"
ip netns del $F

# Our testbed deleted and re-created by someone else under the same name.
$V testbed up --name $F >/dev/null
ip netns del $F && ip netns add $F && ip -n $F link add vkfo0 type veth peer name vkfo1
expect_fail 1 "is not the one vnetkit testbed created (inode" \
	"testbed: down of a namespace re-created under our name (inode changed) refused" \
	$V testbed down --name $F
check "testbed: the re-created namespace survives" \
	bash -c "ip -n $F link show vkfo0 >/dev/null"
expect_fail 1 "is not the one vnetkit testbed created" \
	"testbed: status refuses it too" $V testbed status --name $F
ip netns del $F; rm -f /run/vnetkit/testbed/$F

# A device someone else put into our testbed: down keeps the namespace.
$V testbed up --name $F >/dev/null
ip -n $F link add vkfx$$ type veth peer name vkfy$$
out=$($V testbed down --name $F 2>&1); rc=$?
if [ $rc -eq 1 ] && [[ "$out" == *"holds devices vnetkit did not create: vkf"* ]] &&
   ip -n $F link show vkfx$$ >/dev/null 2>&1 && ! ip -n $F link show vktap0 >/dev/null 2>&1; then
	ok "testbed: down removes only its own devices and keeps a namespace holding foreign ones"
else
	fail "testbed: down with a foreign device (exit $rc: $out)"
fi
out=$($V testbed status --name $F 2>&1)
check "testbed: status marks the foreign device" grep -q "vkfx$$.*not created by vnetkit" <<<"$out"
ip -n $F link del vkfx$$
check "testbed: down completes once the foreign device is gone" bash -c "$V testbed down --name $F >/dev/null"
check "testbed: down removed its record" test ! -e /run/vnetkit/testbed/$F
