/* SPDX-License-Identifier: GPL-2.0 */
/* Test frames of `vnetkit vhost`: Ethernet with the IEEE local experimental
 * EtherType, so the host stack ignores them and the packet socket on the
 * TAP sees only ours. Every byte depends on the sequence number, so a
 * frame delivered twice, late, truncated or into the wrong buffer fails
 * verification. Not gen_frame.h's IPv4/UDP frame: the host stack would
 * route or answer that one, and its fill does not depend on the sequence.
 *
 *   0  dst MAC    6  src MAC    12 EtherType 0x88b5
 *   14 sequence (be64)          22 run cookie (be32)
 *   26 payload: byte i = vk_frame_byte(seq, i)
 */
#ifndef VNETKIT_VHOST_FRAME_H
#define VNETKIT_VHOST_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define VK_ETH_P 0x88b5
#define VK_FRAME_HDR 26
#define VK_FRAME_MIN 60

static inline uint8_t vk_frame_byte(uint64_t seq, size_t i)
{
	return (uint8_t)((seq >> ((i & 7) * 8)) + i * 13 + 0x5a);
}

static inline void vk_frame_fill(uint8_t *f, size_t len, uint64_t seq,
				 uint32_t cookie, const uint8_t *mac)
{
	static const uint8_t dst[6] = { 0x02, 0x76, 0x6b, 0x00, 0x00, 0x01 };

	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	f[12] = VK_ETH_P >> 8;
	f[13] = VK_ETH_P & 0xff;
	for (int i = 0; i < 8; i++)
		f[14 + i] = seq >> (56 - 8 * i);
	for (int i = 0; i < 4; i++)
		f[22 + i] = cookie >> (24 - 8 * i);
	for (size_t i = VK_FRAME_HDR; i < len; i++)
		f[i] = vk_frame_byte(seq, i);
}

/* Sequence number of a frame of this run; false if it is not ours. */
static inline bool vk_frame_seq(const uint8_t *f, size_t len, uint32_t cookie,
				uint64_t *seq)
{
	uint32_t c = 0;
	uint64_t s = 0;

	if (len < VK_FRAME_HDR || f[12] != (VK_ETH_P >> 8) ||
	    f[13] != (VK_ETH_P & 0xff))
		return false;
	for (int i = 0; i < 8; i++)
		s = s << 8 | f[14 + i];
	for (int i = 0; i < 4; i++)
		c = c << 8 | f[22 + i];
	*seq = s;
	return c == cookie;
}

/* Check bytes [off, off + n) of frame seq held in p. */
static inline bool vk_frame_check(const uint8_t *p, size_t off, size_t n,
				  uint64_t seq)
{
	for (size_t i = 0; i < n; i++) {
		size_t o = off + i;

		if (o >= VK_FRAME_HDR && p[i] != vk_frame_byte(seq, o))
			return false;
	}
	return true;
}

#endif
