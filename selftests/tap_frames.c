// SPDX-License-Identifier: GPL-2.0
/* tap_frames: frames whose lengths lie, for the TAP multi-buffer XDP tests
 * in the guest (selftests/guest/test_tap_mb_lies.sh).
 *
 *   tap_frames [-t TAP] [-d IF] CMD...
 *
 * -t TAP attaches to an existing TAP (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
 * 12-byte virtio_net_hdr_mrg_rxbuf, non-blocking: tun's native XDP path);
 * -d IF opens an AF_PACKET socket on IF. Each CMD is one word,
 * KIND:NUMBER[:key=value...]:
 *
 *   w:LEN      write LEN bytes of frame (after the vnet header) into TAP
 *   s:LEN      send LEN bytes of frame through IF
 *   r:BUF:LEN  read one frame from TAP into a buffer of BUF bytes (vnet
 *              header included), and compare what came with the frame LEN
 *              and the same keys would be (MACs as sent or swapped)
 *   drain:0    read and discard until nothing comes for 0.3 s
 *
 * Keys of the frame: l3=4|6|none (default 4), l4=udp|tcp (udp), iplen=N
 * (IPv4 total length or IPv6 payload length instead of the true one),
 * l4len=N (UDP length instead of the true one), doff=N (TCP data offset in
 * words), host=1 (destination MAC: TAP's own, so the stack takes it),
 * count=N (the command N times). Keys of the vnet header (w): flags=N,
 * gso=N (gso_type), hdrlen=N, gsosize=N, cstart=N, coff=N, nbuf=N
 * (num_buffers). Numbers are decimal.
 *
 * Every command prints one line, "KIND LEN ok=N fail=N errno=NAME" for
 * w and s (errno of the last failure), "r BUF LEN ret=N match=1|0
 * swapped=0|1" for r, "drain 0 frames=N" for drain; exit 1 on a bad
 * command line or a setup failure, 0 otherwise (the shell judges).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_FRAME (128 * 1024)
#define VNET_HDR_SZ ((int)sizeof(struct virtio_net_hdr_mrg_rxbuf))
/* Bytes past the read buffer that the kernel must leave alone. */
#define CANARY 64

struct spec {
	long l3, l4, iplen, l4len, doff, host, count;
	long flags, gso, hdrlen, gsosize, cstart, coff, nbuf;
};

static int tap_fd = -1, pkt_fd = -1, pkt_ifindex;
static unsigned char tap_mac[6];
static const unsigned char other_mac[6] = { 2, 0, 0, 0, 0, 2 };
static const unsigned char src_mac[6] = { 2, 0, 0, 0, 0, 1 };

static void die(const char *what)
{
	fprintf(stderr, "tap_frames: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void usage(const char *why)
{
	fprintf(stderr, "tap_frames: %s (see the comment at the top of selftests/tap_frames.c)\n", why);
	exit(1);
}

static long num(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		usage("a number is expected");
	return v;
}

static uint32_t sum16(const void *p, size_t n, uint32_t s)
{
	const unsigned char *b = p;

	for (; n > 1; n -= 2, b += 2)
		s += (b[0] << 8) | b[1];
	if (n)
		s += b[0] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

static void put16(unsigned char *p, unsigned int v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* The frame LEN and SP stand for, into F (at least MAX_FRAME bytes). The
 * headers are written as far as LEN reaches; the payload is a pattern of
 * the offset and LEN. Checksums are right whenever the lengths tell the
 * truth, so a drop is the lie's doing.
 */
static void build(unsigned char *f, long len, const struct spec *sp)
{
	unsigned char h[14 + 40 + 20];
	long nh = sp->l3 == 6 ? 40 : 20, th = sp->l4 == 't' ? 20 : 8;
	long l3len = len - 14, l4len = len - 14 - nh, i, hl;

	memset(h, 0, sizeof(h));
	memcpy(h, sp->host ? tap_mac : other_mac, 6);
	memcpy(h + 6, src_mac, 6);
	if (sp->l3 == 4) {
		unsigned char *ip = h + 14;

		put16(h + 12, ETHERTYPE_IP);
		ip[0] = 0x45;
		put16(ip + 2, sp->iplen >= 0 ? sp->iplen : l3len);
		ip[8] = 64;
		ip[9] = sp->l4 == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		inet_pton(AF_INET, "192.0.2.1", ip + 12);
		inet_pton(AF_INET, "192.0.2.2", ip + 16);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
	} else if (sp->l3 == 6) {
		unsigned char *ip = h + 14;

		put16(h + 12, ETHERTYPE_IPV6);
		ip[0] = 0x60;
		put16(ip + 4, sp->iplen >= 0 ? sp->iplen : l3len - 40);
		ip[6] = sp->l4 == 't' ? IPPROTO_TCP : IPPROTO_UDP;
		ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8::1", ip + 8);
		inet_pton(AF_INET6, "2001:db8::2", ip + 24);
	} else {
		put16(h + 12, 0x88b5);	/* IEEE local experimental */
	}
	hl = sp->l3 == 4 || sp->l3 == 6 ? 14 + nh + th : 14;
	if (hl > 14) {
		unsigned char *l4 = h + 14 + nh;

		put16(l4, 9);
		put16(l4 + 2, 9);
		if (sp->l4 == 't') {
			l4[12] = (sp->doff >= 0 ? sp->doff : 5) << 4;
			l4[13] = 0x10;	/* ACK */
			put16(l4 + 14, 65535);
		} else {
			put16(l4 + 4, sp->l4len >= 0 ? sp->l4len : l4len);
		}
	}
	for (i = 0; i < len; i++)
		f[i] = i < hl && i < (long)sizeof(h) ? h[i] : (unsigned char)(i * 7 + len);
	/* The transport checksum over the pseudo header and the segment, when
	 * every length is true and the whole segment is there.
	 */
	if (hl > 14 && len >= hl && sp->iplen < 0 && sp->l4len < 0 &&
	    (sp->l4 != 't' || sp->doff < 0)) {
		unsigned char *ip = f + 14, *l4 = f + 14 + nh;
		uint32_t s;

		if (sp->l3 == 4)
			s = sum16(ip + 12, 8, 0);
		else
			s = sum16(ip + 8, 32, 0);
		s += ip[sp->l3 == 4 ? 9 : 6] + (uint32_t)l4len;
		s = sum16(l4, l4len, s);
		put16(l4 + (sp->l4 == 't' ? 16 : 6), fold(s) ?: 0xffff);
	}
}

static void vnet_hdr(struct virtio_net_hdr_mrg_rxbuf *v, const struct spec *sp)
{
	memset(v, 0, sizeof(*v));
	v->hdr.flags = sp->flags;
	v->hdr.gso_type = sp->gso;
	v->hdr.hdr_len = sp->hdrlen;
	v->hdr.gso_size = sp->gsosize;
	v->hdr.csum_start = sp->cstart;
	v->hdr.csum_offset = sp->coff;
	v->num_buffers = sp->nbuf;
}

static int wait_in(int ms)
{
	struct pollfd p = { .fd = tap_fd, .events = POLLIN };

	return poll(&p, 1, ms) > 0;
}

static void cmd_write(char kind, long len, const struct spec *sp, unsigned char *f)
{
	struct virtio_net_hdr_mrg_rxbuf v;
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_ifindex = pkt_ifindex,
		.sll_halen = 6,
	};
	long ok = 0, bad = 0, i;
	int last = 0;

	if (kind == 'w' && tap_fd < 0)
		usage("w needs -t TAP");
	if (kind == 's' && pkt_fd < 0)
		usage("s needs -d IF");
	build(f, len, sp);
	vnet_hdr(&v, sp);
	for (i = 0; i < sp->count; i++) {
		struct iovec iov[2] = {
			{ .iov_base = &v, .iov_len = VNET_HDR_SZ },
			{ .iov_base = f, .iov_len = len },
		};
		ssize_t r;

		if (kind == 'w') {
			r = writev(tap_fd, iov, 2);
		} else {
			memcpy(ll.sll_addr, f, 6);
			r = sendto(pkt_fd, f, len, 0, (struct sockaddr *)&ll, sizeof(ll));
		}
		if (r == (kind == 'w' ? len + VNET_HDR_SZ : len)) {
			ok++;
		} else {
			bad++;
			last = r < 0 ? errno : EMSGSIZE;
		}
	}
	printf("%c %ld ok=%ld fail=%ld errno=%s\n", kind, len, ok, bad,
	       last ? strerrorname_np(last) : "0");
}

static void cmd_read(long buf, long len, const struct spec *sp, unsigned char *f)
{
	unsigned char *b = malloc(buf + CANARY);
	long i, n, cmp;
	int match = 1, swapped = 0;
	ssize_t r;

	if (tap_fd < 0)
		usage("r needs -t TAP");
	if (!b)
		die("malloc");
	build(f, len, sp);
	for (n = 0; n < sp->count; n++) {
		memset(b, 0xa5, buf + CANARY);
		errno = ETIMEDOUT;
		r = wait_in(3000) ? read(tap_fd, b, buf) : -1;
		if (r < 0) {
			printf("r %ld %ld ret=-%s match=0 swapped=0\n", buf, len, strerrorname_np(errno));
			continue;
		}
		for (i = buf; i < buf + CANARY; i++)
			if (b[i] != 0xa5)
				match = 0;
		/* What came must be the start of the frame, MACs as sent or
		 * swapped (XDP_TX), the vnet header first.
		 */
		cmp = r - VNET_HDR_SZ;
		if (cmp >= 12 && !memcmp(b + VNET_HDR_SZ, f + 6, 6) &&
		    !memcmp(b + VNET_HDR_SZ + 6, f, 6))
			swapped = 1;
		for (i = swapped ? 12 : 0; i < cmp && i < len; i++)
			if (b[VNET_HDR_SZ + i] != f[i])
				match = 0;
		printf("r %ld %ld ret=%zd match=%d swapped=%d\n", buf, len, r, match, swapped);
	}
	free(b);
}

static void cmd_drain(unsigned char *f)
{
	long n = 0;

	while (wait_in(300) && read(tap_fd, f, MAX_FRAME) >= 0)
		n++;
	printf("drain 0 frames=%ld\n", n);
}

static void open_tap(const char *name)
{
	struct ifreq ifr = { 0 };
	int sz = VNET_HDR_SZ, s;

	tap_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (tap_fd < 0)
		die("/dev/net/tun");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(tap_fd, TUNSETIFF, &ifr) < 0)
		die("TUNSETIFF");
	if (ioctl(tap_fd, TUNSETVNETHDRSZ, &sz) < 0)
		die("TUNSETVNETHDRSZ");
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
		die("SIOCGIFHWADDR");
	memcpy(tap_mac, ifr.ifr_hwaddr.sa_data, 6);
	close(s);
}

static void open_packet(const char *name)
{
	struct ifreq ifr = { 0 };
	int sndbuf = 4 << 20;

	pkt_fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (pkt_fd < 0)
		die("AF_PACKET socket");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(pkt_fd, SIOCGIFINDEX, &ifr) < 0)
		die(name);
	pkt_ifindex = ifr.ifr_ifindex;
	/* 64 KiB frames: the default send buffer holds fewer than one. */
	setsockopt(pkt_fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
}

static void parse_key(struct spec *sp, const char *kv)
{
	static const struct { const char *k; size_t off; } keys[] = {
#define K(n) { #n, offsetof(struct spec, n) }
		K(iplen), K(l4len), K(doff), K(host), K(count), K(flags),
		K(gso), K(hdrlen), K(gsosize), K(cstart), K(coff), K(nbuf),
#undef K
	};
	const char *eq = strchr(kv, '=');
	size_t i;

	if (!eq)
		usage("key=value expected");
	if (!strncmp(kv, "l3=", 3)) {
		sp->l3 = !strcmp(eq + 1, "none") ? 0 : num(eq + 1);
		if (sp->l3 && sp->l3 != 4 && sp->l3 != 6)
			usage("l3=4|6|none");
		return;
	}
	if (!strncmp(kv, "l4=", 3)) {
		if (strcmp(eq + 1, "udp") && strcmp(eq + 1, "tcp"))
			usage("l4=udp|tcp");
		sp->l4 = eq[1] == 't' ? 't' : 'u';
		return;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].k) == (size_t)(eq - kv) &&
		    !strncmp(kv, keys[i].k, eq - kv)) {
			*(long *)((char *)sp + keys[i].off) = num(eq + 1);
			return;
		}
	}
	usage("unknown key");
}

int main(int argc, char **argv)
{
	unsigned char *f = malloc(MAX_FRAME);
	int opt, i;

	if (!f)
		die("malloc");
	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "t:d:")) != -1) {
		if (opt == 't')
			open_tap(optarg);
		else if (opt == 'd')
			open_packet(optarg);
		else
			usage("options: -t TAP, -d IF");
	}
	for (i = optind; i < argc; i++) {
		struct spec sp = {
			.l3 = 4, .l4 = 'u', .iplen = -1, .l4len = -1, .doff = -1,
			.count = 1, .nbuf = 1,
		};
		char *w = strdup(argv[i]), *kind, *tok, *save;
		long a, b = 0;

		kind = strtok_r(w, ":", &save);
		tok = strtok_r(NULL, ":", &save);
		if (!kind || !tok)
			usage("KIND:NUMBER expected");
		a = num(tok);
		if (!strcmp(kind, "r")) {
			tok = strtok_r(NULL, ":", &save);
			if (!tok)
				usage("r:BUF:LEN expected");
			b = num(tok);
		}
		while ((tok = strtok_r(NULL, ":", &save)))
			parse_key(&sp, tok);
		if (a > MAX_FRAME || b > MAX_FRAME)
			usage("at most 131072 bytes");
		if (!strcmp(kind, "w") || !strcmp(kind, "s"))
			cmd_write(kind[0], a, &sp, f);
		else if (!strcmp(kind, "r"))
			cmd_read(a, b, &sp, f);
		else if (!strcmp(kind, "drain"))
			cmd_drain(f);
		else
			usage("KIND is w, s, r or drain");
		free(w);
	}
	return 0;
}
