// SPDX-License-Identifier: GPL-2.0
/* Build and recognise vnetkit gen frames (layout in gen_frame.h). */
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "gen_frame.h"

static uint16_t ip_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons(~sum & 0xffff);
}

/* Byte i of the fill: a prime period, so a page (4096 B) of a multi-buffer
 * frame that arrives shifted, repeated or swapped shows; a period of 256
 * would hide it. */
static uint8_t fill(size_t i)
{
	return (uint8_t)(i % 251);
}

void vk_gen_build(uint8_t *buf, size_t len, const struct vk_gen_flow *f)
{
	uint8_t full[VK_GEN_MIN_MARKED];
	struct ethhdr *eth = (void *)full;
	struct iphdr *ip = (void *)(full + sizeof(*eth));
	struct udphdr *udp = (void *)(ip + 1);
	uint32_t magic = htonl(VK_GEN_MAGIC), run = htonl(f->run_id);
	/* Header lengths describe the full frame even when it is cut short:
	 * a truncated frame then looks like what a broken sender emits. */
	size_t ip_len = len > sizeof(*eth) ? len - sizeof(*eth) : 0;

	memset(full, 0, sizeof(full));
	memcpy(eth->h_dest, f->dst_mac, ETH_ALEN);
	memcpy(eth->h_source, f->src_mac, ETH_ALEN);
	eth->h_proto = htons(ETH_P_IP);
	ip->version = 4;
	ip->ihl = 5;
	ip->tot_len = htons(ip_len);
	ip->frag_off = htons(0x4000);	/* DF */
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->saddr = f->src_ip;
	ip->daddr = f->dst_ip;
	ip->check = ip_csum(ip, sizeof(*ip));
	udp->source = htons(f->sport);
	udp->dest = htons(f->dport);
	udp->len = htons(ip_len > sizeof(*ip) ? ip_len - sizeof(*ip) : 0);
	memcpy(full + VK_GEN_MARK_OFF, &magic, 4);
	memcpy(full + VK_GEN_MARK_OFF + 4, &run, 4);

	memcpy(buf, full, len < sizeof(full) ? len : sizeof(full));
	for (size_t i = sizeof(full); i < len; i++)
		buf[i] = fill(i);
}

bool vk_gen_intact(const uint8_t *buf, size_t len)
{
	const struct iphdr *ip = (const void *)(buf + sizeof(struct ethhdr));

	if (len < VK_GEN_MIN_MARKED ||
	    ntohs(ip->tot_len) + sizeof(struct ethhdr) != len)
		return false;
	for (size_t i = VK_GEN_MIN_MARKED; i < len; i++)
		if (buf[i] != fill(i))
			return false;
	return true;
}

bool vk_gen_parse(const uint8_t *buf, size_t len, struct vk_gen_mark *m)
{
	const struct ethhdr *eth = (const void *)buf;
	const struct iphdr *ip = (const void *)(buf + sizeof(*eth));
	uint32_t magic, run;
	uint64_t seq;
	size_t off;

	if (len < VK_GEN_MIN_MARKED || eth->h_proto != htons(ETH_P_IP) ||
	    ip->version != 4 || ip->protocol != IPPROTO_UDP || ip->ihl < 5)
		return false;
	off = sizeof(*eth) + ip->ihl * 4 + sizeof(struct udphdr);
	if (off + VK_GEN_MARK_LEN > len)
		return false;
	memcpy(&magic, buf + off, 4);
	if (ntohl(magic) != VK_GEN_MAGIC)
		return false;
	memcpy(&run, buf + off + 4, 4);
	memcpy(&seq, buf + off + 8, 8);
	m->run_id = ntohl(run);
	m->seq = be64toh(seq);
	m->sport = ntohs(((const struct udphdr *)(buf + off - sizeof(struct udphdr)))->source);
	m->dst_mac = eth->h_dest;
	m->src_mac = eth->h_source;
	return true;
}
