#!/usr/bin/env bash
# vnetkit's netlink module (selftests/nl_unit.c) in a private namespace.
. "$(dirname "$0")/lib.sh"
bin=${VNETKIT_ROOT:-.}/build/selftests/nl_unit
ns=vknl$$
vk_netns $ns || { fail "create namespace $ns"; exit 0; }
ip netns exec $ns "$bin"
