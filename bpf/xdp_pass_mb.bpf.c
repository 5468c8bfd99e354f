// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* vk_xdp_pass for multi-buffer frames (vnetkit xdp attach --frags): loaded
 * with BPF_F_XDP_HAS_FRAGS, so drivers hand it frames larger than a page
 * (and allow MTUs that need them); its byte counters cover every buffer. */
#define VK_XDP_FRAGS 1
#include "xdp_pass.bpf.c"
