#!/usr/bin/env bash
# Multi-buffer (xdp.frags) XDP programs under BPF_PROG_TEST_RUN
# (selftests/xdp_mb_unit.c), in a private namespace.
. "$(dirname "$0")/lib.sh"
bin=${VNETKIT_ROOT:-.}/build/selftests/xdp_mb_unit
ns=vkmbu$$
vk_netns $ns || { fail "create namespace $ns"; exit 0; }
ip netns exec $ns "$bin"
