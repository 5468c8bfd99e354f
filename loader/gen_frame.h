/* SPDX-License-Identifier: GPL-2.0 */
/* The frames `vnetkit gen` writes: Ethernet / IPv4 / UDP, then a marker so
 * receivers (gen --sink, gen --recv, tests) recognise them:
 *
 *   offset 42: be32 magic "VKG1", be32 run id, be64 sequence number
 *
 * then a fill pattern up to the frame size (byte i = i mod 251). Frames shorter than 58 bytes
 * cannot carry the whole marker; below 42 bytes even the headers are cut
 * (on purpose: malformed-frame tests). */
#ifndef VNETKIT_GEN_FRAME_H
#define VNETKIT_GEN_FRAME_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VK_GEN_MAGIC		0x564b4731u	/* "VKG1" */
#define VK_GEN_HDR_LEN		42		/* Ethernet + IPv4 + UDP */
#define VK_GEN_MARK_OFF		VK_GEN_HDR_LEN
#define VK_GEN_MARK_LEN		16
#define VK_GEN_MIN_MARKED	(VK_GEN_HDR_LEN + VK_GEN_MARK_LEN)
#define VK_GEN_MIN_SIZE		0	/* below 14: malformed-frame tests */
#define VK_GEN_MAX_SIZE		65535	/* IPv4 total length + 14 */

struct vk_gen_flow {
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src_ip, dst_ip;	/* network byte order */
	uint16_t sport, dport;		/* host byte order */
	uint32_t run_id;
};

/* Build a frame of len bytes (VK_GEN_MIN_SIZE..VK_GEN_MAX_SIZE) into buf;
 * the sequence number starts at 0. */
void vk_gen_build(uint8_t *buf, size_t len, const struct vk_gen_flow *flow);

/* Patch the sequence number in place (no checksum covers it: UDP checksum
 * is 0, which IPv4 allows). No-op when the frame is too short for it. */
static inline void vk_gen_set_seq(uint8_t *buf, size_t len, uint64_t seq)
{
	if (len >= VK_GEN_MIN_MARKED) {
		uint64_t be = htobe64(seq);

		__builtin_memcpy(buf + VK_GEN_MARK_OFF + 8, &be, 8);
	}
}

/* Patch the UDP source port (the checksum is 0, nothing else covers it). */
static inline void vk_gen_set_sport(uint8_t *buf, size_t len, uint16_t port)
{
	if (len >= VK_GEN_HDR_LEN - 6) {
		buf[VK_GEN_HDR_LEN - 8] = port >> 8;
		buf[VK_GEN_HDR_LEN - 7] = port & 0xff;
	}
}

struct vk_gen_mark {
	uint32_t run_id;
	uint64_t seq;
	uint16_t sport;		/* host byte order */
	const uint8_t *dst_mac, *src_mac;
};

/* Recognise one of our frames (IPv4, no options required, UDP); false for
 * anything else. */
bool vk_gen_parse(const uint8_t *buf, size_t len, struct vk_gen_mark *m);

/* One of our frames arrived whole and unchanged past the MAC addresses:
 * its length matches the IPv4 total length it was sent with and the fill
 * pattern is intact to the last byte. Only for frames vk_gen_parse()
 * accepted. */
bool vk_gen_intact(const uint8_t *buf, size_t len);

#endif
