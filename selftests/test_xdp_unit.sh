#!/usr/bin/env bash
# XDP programs under BPF_PROG_TEST_RUN (selftests/xdp_unit.c), with a
# 4-queue veth in a private namespace for the per-RX-queue rows.
. "$(dirname "$0")/lib.sh"
bin=${VNETKIT_ROOT:-.}/build/selftests/xdp_unit
ns=vkunit$$
vk_netns $ns || { fail "create namespace $ns"; exit 0; }
ip -n $ns link add vkmq0 numrxqueues 4 type veth peer name vkmq1 numtxqueues 4
ip netns exec $ns "$bin" vkmq0
