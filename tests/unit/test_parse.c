/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the packet parser over hand-built frames (Cilium's pktgen__push_* style).
 * Every test parses through parse(), which records each result seen; the last test checks
 * that every enum pw_parse_result value was produced by some frame.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/parse.h"

#define PKT_MAX 1600

/* A frame under construction, plus where its headers went so that lengths can be fixed up. */
struct pkt {
	uint8_t b[PKT_MAX];
	uint16_t len;
	uint16_t ip_off;  /* last IP header pushed */
	uint8_t ip_ver;	  /* 0 if none */
	uint16_t udp_off; /* 0 if none */
};

static bool seen[PW_PARSE_MAX];

static enum pw_parse_result
parse(const struct pkt *p, struct pw_pkt_meta *m)
{
	enum pw_parse_result r = pw_parse_pkt(p->b, p->len, m);

	assert_true((unsigned int)r < PW_PARSE_MAX);
	seen[r] = true;
	return r;
}

/* Asserts the result by name too, so that a failure says "trunc_tcp != bad_tcp_doff". */
static void
expect(const struct pkt *p, struct pw_pkt_meta *m, enum pw_parse_result want)
{
	enum pw_parse_result r = parse(p, m);

	assert_string_equal(pw_parse_result_name(r), pw_parse_result_name(want));
	assert_int_equal(r, want);
}

static void
put8(struct pkt *p, uint8_t v)
{
	assert_true(p->len < PKT_MAX);
	p->b[p->len++] = v;
}

static void
put16(struct pkt *p, uint16_t v)
{
	put8(p, (uint8_t)(v >> 8));
	put8(p, (uint8_t)v);
}

static void
put32(struct pkt *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p, (uint16_t)v);
}

static void
put_fill(struct pkt *p, unsigned int n, uint8_t v)
{
	while (n-- > 0)
		put8(p, v);
}

static void
set16(struct pkt *p, uint16_t at, uint16_t v)
{
	p->b[at] = (uint8_t)(v >> 8);
	p->b[at + 1] = (uint8_t)v;
}

static void
push_eth(struct pkt *p, uint16_t type)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02 };
	unsigned int i;

	for (i = 0; i < sizeof(macs); i++)
		put8(p, macs[i]);
	put16(p, type);
}

/* The TPID was written by the previous header; a tag is the TCI plus the next EtherType. */
static void
push_vlan(struct pkt *p, uint16_t tci, uint16_t type)
{
	put16(p, tci);
	put16(p, type);
}

static uint16_t
push_ipv4(struct pkt *p, uint8_t proto, uint32_t src, uint32_t dst, uint8_t nb_opt_words,
	uint16_t frag)
{
	uint16_t off = p->len;

	put8(p, (uint8_t)(0x40 | (5 + nb_opt_words)));
	put8(p, 0);	  /* DSCP/ECN */
	put16(p, 0);	  /* total length, set by finish() */
	put16(p, 0x1234); /* identification */
	put16(p, frag);
	put8(p, 64); /* TTL */
	put8(p, proto);
	put16(p, 0); /* checksum: the parser does not verify it */
	put32(p, src);
	put32(p, dst);
	put_fill(p, nb_opt_words * 4u, 0x01); /* NOP options */
	p->ip_off = off;
	p->ip_ver = 4;
	return off;
}

static const uint8_t v6_src[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };
static const uint8_t v6_dst[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x02 };

static uint16_t
push_ipv6(struct pkt *p, uint8_t nh)
{
	uint16_t off = p->len;
	unsigned int i;

	put32(p, 0x60012345); /* version, traffic class, flow label */
	put16(p, 0);	      /* payload length, set by finish() */
	put8(p, nh);
	put8(p, 255); /* hop limit */
	for (i = 0; i < 16; i++)
		put8(p, v6_src[i]);
	for (i = 0; i < 16; i++)
		put8(p, v6_dst[i]);
	p->ip_off = off;
	p->ip_ver = 6;
	return off;
}

/* Hop-by-hop, routing, destination options and mobility: (hdrlen + 1) * 8 bytes. */
static void
push_ext(struct pkt *p, uint8_t nh, uint8_t hdrlen)
{
	put8(p, nh);
	put8(p, hdrlen);
	put_fill(p, (hdrlen + 1u) * 8 - 2, 0);
}

/* AH counts in 4-byte words minus 2. */
static void
push_ah(struct pkt *p, uint8_t nh, uint8_t len)
{
	put8(p, nh);
	put8(p, len);
	put_fill(p, (len + 2u) * 4 - 2, 0xa5);
}

static void
push_frag6(struct pkt *p, uint8_t nh, uint16_t offset_units, bool more)
{
	put8(p, nh);
	put8(p, 0);
	put16(p, (uint16_t)(offset_units << 3 | (more ? 1 : 0)));
	put32(p, 0xdeadbeef);
}

static uint16_t
push_tcp(struct pkt *p, uint16_t sport, uint16_t dport, uint8_t flags, uint8_t doff_words)
{
	uint16_t off = p->len;

	put16(p, sport);
	put16(p, dport);
	put32(p, 1000); /* seq */
	put32(p, 0);	/* ack */
	put8(p, (uint8_t)(doff_words << 4));
	put8(p, flags);
	put16(p, 65535); /* window */
	put16(p, 0);	 /* checksum */
	put16(p, 0);	 /* urgent */
	if (doff_words > 5)
		put_fill(p, (doff_words - 5u) * 4, 0x01);
	return off;
}

static uint16_t
push_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint16_t off = p->len;

	put16(p, sport);
	put16(p, dport);
	put16(p, 0); /* length, set by finish() */
	put16(p, 0);
	p->udp_off = off;
	return off;
}

static uint16_t
push_sctp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint16_t off = p->len;

	put16(p, sport);
	put16(p, dport);
	put32(p, 0x11223344); /* verification tag */
	put32(p, 0);	      /* checksum */
	return off;
}

/* ICMP and ICMPv6 share the first 8 bytes' layout: type, code, checksum, id, seq. */
static uint16_t
push_icmp(struct pkt *p, uint8_t type, uint8_t code, uint16_t id)
{
	uint16_t off = p->len;

	put8(p, type);
	put8(p, code);
	put16(p, 0);
	put16(p, id);
	put16(p, 7);
	return off;
}

/* Sets the IP and UDP length fields to cover everything pushed so far. */
static void
finish(struct pkt *p)
{
	if (p->ip_ver == 4)
		set16(p, p->ip_off + 2, (uint16_t)(p->len - p->ip_off));
	else if (p->ip_ver == 6)
		set16(p, p->ip_off + 4, (uint16_t)(p->len - p->ip_off - 40));
	if (p->udp_off != 0)
		set16(p, p->udp_off + 4, (uint16_t)(p->len - p->udp_off));
}

/* Cuts the frame to 'len' and makes the IP header agree, so that L3 is valid and L4 short. */
static void
shrink_datagram(struct pkt *p, uint16_t len)
{
	p->len = len;
	if (p->ip_ver == 4)
		set16(p, p->ip_off + 2, (uint16_t)(len - p->ip_off));
	else
		set16(p, p->ip_off + 4, (uint16_t)(len - p->ip_off - 40));
}

static union pw_addr
addr4(uint32_t host)
{
	union pw_addr a;

	memset(&a, 0, sizeof(a));
	a.b[0] = (uint8_t)(host >> 24);
	a.b[1] = (uint8_t)(host >> 16);
	a.b[2] = (uint8_t)(host >> 8);
	a.b[3] = (uint8_t)host;
	return a;
}

static union pw_addr
addr6(const uint8_t b[16])
{
	union pw_addr a;

	memcpy(a.b, b, 16);
	return a;
}

/* Compares every field, so that a test states the whole meta it expects. */
static void
assert_meta(const struct pw_pkt_meta *got, const struct pw_pkt_meta *want)
{
	assert_memory_equal(got->src.b, want->src.b, 16);
	assert_memory_equal(got->dst.b, want->dst.b, 16);
	assert_int_equal(got->l3_off, want->l3_off);
	assert_int_equal(got->l4_off, want->l4_off);
	assert_int_equal(got->l3_len, want->l3_len);
	assert_int_equal(got->ether_type, want->ether_type);
	assert_int_equal(got->vlan_tci[0], want->vlan_tci[0]);
	assert_int_equal(got->vlan_tci[1], want->vlan_tci[1]);
	assert_int_equal(got->sport, want->sport);
	assert_int_equal(got->dport, want->dport);
	assert_int_equal(got->nb_vlans, want->nb_vlans);
	assert_int_equal(got->l3, want->l3);
	assert_int_equal(got->proto, want->proto);
	assert_int_equal(got->flags, want->flags);
	assert_int_equal(got->tcp_flags, want->tcp_flags);
	assert_int_equal(got->icmp_type, want->icmp_type);
	assert_int_equal(got->icmp_code, want->icmp_code);
	assert_int_equal(got->ttl, want->ttl);
}

#define SRC4 0x0a000001u
#define DST4 0xc0a80102u

/* Ethernet, nb_vlans tags (0x88a8 outer, 0x8100 inner), then 'type'; returns the L3 offset. */
static uint16_t
push_l2(struct pkt *p, unsigned int nb_vlans, uint16_t type)
{
	if (nb_vlans == 0) {
		push_eth(p, type);
	} else if (nb_vlans == 1) {
		push_eth(p, 0x8100);
		push_vlan(p, 0x2064, type);
	} else {
		push_eth(p, 0x88a8);
		push_vlan(p, 0x0123, 0x8100);
		push_vlan(p, 0xe456, type);
	}
	return p->len;
}

static void
set_l2_meta(struct pw_pkt_meta *m, unsigned int nb_vlans, uint16_t type)
{
	m->nb_vlans = (uint8_t)nb_vlans;
	m->ether_type = type;
	m->l3_off = (uint16_t)(14 + 4 * nb_vlans);
	if (nb_vlans == 1) {
		m->vlan_tci[0] = 0x2064;
	} else if (nb_vlans == 2) {
		m->vlan_tci[0] = 0x0123;
		m->vlan_tci[1] = 0xe456;
	}
}

static void
test_tcp_ipv4_vlans(void **state)
{
	unsigned int nb_vlans;

	(void)state;
	for (nb_vlans = 0; nb_vlans <= 2; nb_vlans++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m, want = { .l3 = PW_L3_IPV4 };
		uint16_t l3, l4;

		l3 = push_l2(&p, nb_vlans, 0x0800);
		push_ipv4(&p, 6, SRC4, DST4, 0, 0x4000 /* DF */);
		l4 = push_tcp(&p, 40000, 443, 0x02, 5);
		put_fill(&p, 10, 0xcc);
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);

		set_l2_meta(&want, nb_vlans, 0x0800);
		want.src = addr4(SRC4);
		want.dst = addr4(DST4);
		want.l4_off = l4;
		want.l3_len = (uint16_t)(p.len - l3);
		want.sport = 40000;
		want.dport = 443;
		want.proto = 6;
		want.tcp_flags = 0x02;
		want.ttl = 64;
		assert_int_equal(l4, l3 + 20);
		assert_int_equal(want.l3_len, 50);
		assert_meta(&m, &want);
	}
}

static void
test_tcp_ipv6_vlans(void **state)
{
	unsigned int nb_vlans;

	(void)state;
	for (nb_vlans = 0; nb_vlans <= 2; nb_vlans++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m, want = { .l3 = PW_L3_IPV6 };
		uint16_t l3, l4;

		l3 = push_l2(&p, nb_vlans, 0x86dd);
		push_ipv6(&p, 6);
		l4 = push_tcp(&p, 1234, 80, 0x12, 8);
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);

		set_l2_meta(&want, nb_vlans, 0x86dd);
		want.src = addr6(v6_src);
		want.dst = addr6(v6_dst);
		want.l4_off = l4;
		want.l3_len = 40 + 32;
		want.sport = 1234;
		want.dport = 80;
		want.proto = 6;
		want.tcp_flags = 0x12;
		want.ttl = 255;
		assert_int_equal(l4, l3 + 40);
		assert_meta(&m, &want);
	}
}

static void
test_old_qinq_tpid(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m;

	(void)state;
	push_eth(&p, 0x9100);
	push_vlan(&p, 0x0fff, 0x8100);
	push_vlan(&p, 0x1001, 0x0800);
	push_ipv4(&p, 17, SRC4, DST4, 0, 0);
	push_udp(&p, 53, 5353);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.nb_vlans, 2);
	assert_int_equal(m.vlan_tci[0], 0x0fff);
	assert_int_equal(m.vlan_tci[1], 0x1001);
	assert_int_equal(m.ether_type, 0x0800);
	assert_int_equal(m.l3_off, 22);
	assert_int_equal(m.l4_off, 42);
	assert_int_equal(m.sport, 53);
	assert_int_equal(m.dport, 5353);
}

static void
test_udp_sctp_both_families(void **state)
{
	static const uint8_t protos[] = { 17, 132 };
	unsigned int i, v6;

	(void)state;
	for (v6 = 0; v6 <= 1; v6++) {
		for (i = 0; i < sizeof(protos); i++) {
			struct pkt p = { .len = 0 };
			struct pw_pkt_meta m, want = { .proto = protos[i] };
			uint16_t l4;

			push_l2(&p, 1, v6 ? 0x86dd : 0x0800);
			if (v6)
				push_ipv6(&p, protos[i]);
			else
				push_ipv4(&p, protos[i], SRC4, DST4, 0, 0);
			if (protos[i] == 17)
				l4 = push_udp(&p, 5000, 53);
			else
				l4 = push_sctp(&p, 5000, 53);
			put_fill(&p, 3, 0xee);
			finish(&p);
			expect(&p, &m, PW_PARSE_OK);

			set_l2_meta(&want, 1, v6 ? 0x86dd : 0x0800);
			want.l3 = v6 ? PW_L3_IPV6 : PW_L3_IPV4;
			want.src = v6 ? addr6(v6_src) : addr4(SRC4);
			want.dst = v6 ? addr6(v6_dst) : addr4(DST4);
			want.l4_off = l4;
			want.l3_len = (uint16_t)(p.len - want.l3_off);
			want.sport = 5000;
			want.dport = 53;
			want.ttl = v6 ? 255 : 64;
			assert_meta(&m, &want);
		}
	}
}

static void
test_icmp_ipv4(void **state)
{
	static const struct {
		uint8_t type, code;
		uint16_t sport;
	} cases[] = {
		{ 8, 0, 0x4242 }, /* echo request: identifier */
		{ 0, 0, 0x4242 }, /* echo reply */
		{ 3, 4, 0 },	  /* fragmentation needed: no identifier */
		{ 11, 0, 0 },	  /* time exceeded */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m, want = { .l3 = PW_L3_IPV4, .proto = 1 };

		push_l2(&p, 0, 0x0800);
		push_ipv4(&p, 1, SRC4, DST4, 0, 0);
		push_icmp(&p, cases[i].type, cases[i].code, 0x4242);
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);

		set_l2_meta(&want, 0, 0x0800);
		want.src = addr4(SRC4);
		want.dst = addr4(DST4);
		want.l4_off = 34;
		want.l3_len = 28;
		want.sport = cases[i].sport;
		want.icmp_type = cases[i].type;
		want.icmp_code = cases[i].code;
		want.ttl = 64;
		assert_meta(&m, &want);
	}
}

static void
test_icmpv6(void **state)
{
	static const struct {
		uint8_t type, code;
		uint16_t sport;
		uint8_t body; /* bytes after type, code, checksum */
	} cases[] = {
		{ 128, 0, 0x0101, 4 },	/* echo request */
		{ 129, 0, 0x0101, 20 }, /* echo reply with data */
		{ 135, 0, 0, 20 },	/* neighbour solicitation */
		{ 1, 3, 0, 0 },		/* a bare 4-byte header is enough for non-echo types */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m, want = { .l3 = PW_L3_IPV6, .proto = 58 };

		push_l2(&p, 0, 0x86dd);
		push_ipv6(&p, 58);
		put8(&p, cases[i].type);
		put8(&p, cases[i].code);
		put16(&p, 0);
		if (cases[i].body >= 2)
			put16(&p, 0x0101);
		if (cases[i].body > 2)
			put_fill(&p, cases[i].body - 2u, 0);
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);

		set_l2_meta(&want, 0, 0x86dd);
		want.src = addr6(v6_src);
		want.dst = addr6(v6_dst);
		want.l4_off = 54;
		want.l3_len = (uint16_t)(40 + 4 + cases[i].body);
		want.sport = cases[i].sport;
		want.icmp_type = cases[i].type;
		want.icmp_code = cases[i].code;
		want.ttl = 255;
		assert_meta(&m, &want);
	}
}

/* ICMP numbers belong to one family: ICMPv6 over IPv4 and ICMP over IPv6 are just unknown. */
static void
test_unknown_l4(void **state)
{
	static const uint8_t v4_protos[] = { 47, 50, 58, 2, 255 };
	static const uint8_t v6_protos[] = { 47, 50, 1, 17 + 100 };
	struct pw_pkt_meta m;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(v4_protos); i++) {
		struct pkt p = { .len = 0 };

		push_l2(&p, 0, 0x0800);
		push_ipv4(&p, v4_protos[i], SRC4, DST4, 0, 0);
		put_fill(&p, 2, 0x55); /* too short for any header we know */
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);
		assert_int_equal(m.proto, v4_protos[i]);
		assert_int_equal(m.flags, PW_PKT_F_L4_UNKNOWN);
		assert_int_equal(m.l4_off, 34);
		assert_int_equal(m.sport, 0);
		assert_int_equal(m.dport, 0);
		assert_int_equal(m.icmp_type, 0);
	}
	for (i = 0; i < sizeof(v6_protos); i++) {
		struct pkt p = { .len = 0 };

		push_l2(&p, 0, 0x86dd);
		push_ipv6(&p, v6_protos[i]);
		put_fill(&p, 2, 0x55);
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);
		assert_int_equal(m.proto, v6_protos[i]);
		assert_int_equal(m.flags, PW_PKT_F_L4_UNKNOWN);
		assert_int_equal(m.l4_off, 54);
		assert_int_equal(m.sport, 0);
	}
}

static void
test_ipv4_options(void **state)
{
	uint8_t words;

	(void)state;
	for (words = 0; words <= 10; words++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m;
		uint16_t l4;

		push_l2(&p, 0, 0x0800);
		push_ipv4(&p, 6, SRC4, DST4, words, 0);
		l4 = push_tcp(&p, 1, 2, 0x11, 5);
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);
		assert_int_equal(l4, 34 + words * 4);
		assert_int_equal(m.l4_off, l4);
		assert_int_equal(m.l3_len, 20 + words * 4 + 20);
		assert_int_equal(m.flags, words > 0 ? PW_PKT_F_IPV4_OPTS : 0);
		assert_int_equal(m.sport, 1);
		assert_int_equal(m.dport, 2);
		assert_int_equal(m.tcp_flags, 0x11);
	}
}

/* Each extension header kind, alone, in front of UDP. */
static void
test_ipv6_each_ext(void **state)
{
	static const struct {
		uint8_t type;
		uint8_t len;   /* the header's own length field */
		uint16_t size; /* bytes it occupies */
		uint8_t frag_flag;
	} cases[] = {
		{ 0, 0, 8, 0 },	  /* hop-by-hop */
		{ 43, 2, 24, 0 }, /* routing */
		{ 60, 1, 16, 0 }, /* destination options */
		{ 135, 0, 8, 0 }, /* mobility */
		{ 51, 4, 24, 0 }, /* AH: (4 + 2) * 4 */
		{ 51, 1, 12, 0 }, /* AH over IPv6 should be 8-aligned, but we only skip it */
		{ 44, 0, 8, 0 },  /* atomic fragment: offset 0, M clear */
		{ 44, 0, 8, PW_PKT_F_FRAG_FIRST }, /* first fragment: M set */
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m, want = { .l3 = PW_L3_IPV6, .proto = 17 };
		uint16_t l4;

		push_l2(&p, 2, 0x86dd);
		push_ipv6(&p, cases[i].type);
		if (cases[i].type == 44)
			push_frag6(&p, 17, 0, cases[i].frag_flag != 0);
		else if (cases[i].type == 51)
			push_ah(&p, 17, cases[i].len);
		else
			push_ext(&p, 17, cases[i].len);
		l4 = push_udp(&p, 546, 547);
		put_fill(&p, 4, 0);
		finish(&p);
		expect(&p, &m, PW_PARSE_OK);

		set_l2_meta(&want, 2, 0x86dd);
		want.src = addr6(v6_src);
		want.dst = addr6(v6_dst);
		want.l4_off = l4;
		want.l3_len = (uint16_t)(40 + cases[i].size + 12);
		want.sport = 546;
		want.dport = 547;
		want.ttl = 255;
		want.flags = (uint8_t)(PW_PKT_F_IPV6_EXT | cases[i].frag_flag);
		assert_int_equal(l4, 22 + 40 + cases[i].size);
		assert_meta(&m, &want);
	}
}

/* Eight headers is the most we walk; the ninth is refused. */
static void
test_ipv6_ext_chain_limit(void **state)
{
	static const uint8_t chain[] = { 0, 60, 43, 44, 51, 60, 135, 60, 43 };
	unsigned int nb, i;

	(void)state;
	for (nb = 1; nb <= sizeof(chain); nb++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m;
		uint16_t l4;

		push_l2(&p, 0, 0x86dd);
		push_ipv6(&p, chain[0]);
		for (i = 0; i < nb; i++) {
			uint8_t nh = i + 1 < nb ? chain[i + 1] : 6;

			if (chain[i] == 44)
				push_frag6(&p, nh, 0, false);
			else if (chain[i] == 51)
				push_ah(&p, nh, 2);
			else
				push_ext(&p, nh, 0);
		}
		l4 = push_tcp(&p, 22, 2222, 0x10, 5);
		finish(&p);
		if (nb <= 8) {
			expect(&p, &m, PW_PARSE_OK);
			assert_int_equal(m.l4_off, l4);
			assert_int_equal(m.proto, 6);
			assert_int_equal(m.sport, 22);
			assert_int_equal(m.dport, 2222);
			assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT);
		} else {
			expect(&p, &m, PW_PARSE_TOO_MANY_IPV6_EXT);
			assert_int_equal(m.l4_off, 0);
			assert_int_equal(m.sport, 0);
			assert_int_equal(m.proto, 43);
		}
	}
}

static void
test_ipv6_no_next_header(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m;

	(void)state;
	push_l2(&p, 0, 0x86dd);
	push_ipv6(&p, 60);
	push_ext(&p, 59, 0);
	put_fill(&p, 6, 0x77); /* ignored bytes after No Next Header */
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.proto, 59);
	assert_int_equal(m.l4_off, 0);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT);
	assert_int_equal(m.l3_len, 54);

	p.len = 0;
	push_l2(&p, 0, 0x86dd);
	push_ipv6(&p, 59);
	put8(&p, 0);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.proto, 59);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.l4_off, 0);
}

static void
test_ipv4_fragments(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m, want = { .l3 = PW_L3_IPV4, .proto = 17, .ttl = 64 };

	(void)state;
	/* First fragment: UDP length covers the whole datagram, past this fragment. */
	push_l2(&p, 1, 0x0800);
	push_ipv4(&p, 17, SRC4, DST4, 0, 0x2000);
	push_udp(&p, 4789, 4789);
	put_fill(&p, 16, 0);
	finish(&p);
	set16(&p, p.udp_off + 4, 3000);
	expect(&p, &m, PW_PARSE_OK);
	set_l2_meta(&want, 1, 0x0800);
	want.src = addr4(SRC4);
	want.dst = addr4(DST4);
	want.l4_off = 38;
	want.l3_len = 44;
	want.sport = 4789;
	want.dport = 4789;
	want.flags = PW_PKT_F_FRAG_FIRST;
	assert_meta(&m, &want);

	/* Later fragment (offset 185 * 8, MF set): no L4 even though the bytes look like UDP. */
	set16(&p, p.ip_off + 6, 0x2000 | 185);
	expect(&p, &m, PW_PARSE_OK);
	want.l4_off = 0;
	want.sport = 0;
	want.dport = 0;
	want.flags = PW_PKT_F_FRAG_LATER;
	assert_meta(&m, &want);

	/* Last fragment (MF clear), with options. */
	p.len = 0;
	push_l2(&p, 0, 0x0800);
	push_ipv4(&p, 6, SRC4, DST4, 2, 370);
	put_fill(&p, 3, 0xab);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_FRAG_LATER | PW_PKT_F_IPV4_OPTS);
	assert_int_equal(m.proto, 6);
	assert_int_equal(m.l3_len, 31);
	assert_int_equal(m.l4_off, 0);
	assert_int_equal(m.sport, 0);
	assert_int_equal(m.tcp_flags, 0);

	/* The largest legal end of a fragment is byte 65535. */
	p.len = 0;
	push_l2(&p, 0, 0x0800);
	push_ipv4(&p, 17, SRC4, DST4, 0, 8191);
	put_fill(&p, 7, 0);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_FRAG_LATER);
	put8(&p, 0);
	finish(&p);
	expect(&p, &m, PW_PARSE_BAD_IPV4_FRAG);
	assert_int_equal(m.l3_len, 28);
	assert_int_equal(m.flags, 0);
	set16(&p, p.ip_off + 6, 8190);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_FRAG_LATER);
}

static void
test_ipv6_fragments(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m;

	(void)state;
	/* First fragment, behind a hop-by-hop header; UDP length past the fragment is fine. */
	push_l2(&p, 0, 0x86dd);
	push_ipv6(&p, 0);
	push_ext(&p, 44, 0);
	push_frag6(&p, 17, 0, true);
	push_udp(&p, 1111, 2222);
	put_fill(&p, 8, 0);
	finish(&p);
	set16(&p, p.udp_off + 4, 5000);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT | PW_PKT_F_FRAG_FIRST);
	assert_int_equal(m.proto, 17);
	assert_int_equal(m.l4_off, 14 + 40 + 16);
	assert_int_equal(m.sport, 1111);
	assert_int_equal(m.dport, 2222);
	assert_int_equal(m.l3_len, 40 + 16 + 16);

	/* Later fragment: stop at the fragment header, proto is what it announces. */
	set16(&p, 14 + 40 + 8 + 2, (uint16_t)(100 << 3 | 1));
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT | PW_PKT_F_FRAG_LATER);
	assert_int_equal(m.proto, 17);
	assert_int_equal(m.l4_off, 0);
	assert_int_equal(m.sport, 0);
	assert_int_equal(m.dport, 0);
	assert_int_equal(m.ttl, 255);
	assert_memory_equal(m.src.b, v6_src, 16);

	/* A later fragment nested in a first one is a later fragment: no L4 to read. */
	p.len = 0;
	push_l2(&p, 0, 0x86dd);
	push_ipv6(&p, 44);
	push_frag6(&p, 44, 0, true);
	push_frag6(&p, 6, 3, true);
	push_tcp(&p, 1, 2, 0x02, 5);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT | PW_PKT_F_FRAG_LATER);
	assert_int_equal(m.proto, 6);
	assert_int_equal(m.sport, 0);
	assert_int_equal(m.tcp_flags, 0);
	/* Two first-fragment headers: still a first fragment, L4 read. */
	set16(&p, 14 + 40 + 8 + 2, 1);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT | PW_PKT_F_FRAG_FIRST);
	assert_int_equal(m.sport, 1);
	assert_int_equal(m.l4_off, 14 + 40 + 16);

	/* Last fragment (M clear), and one carrying only 8 bytes of fragment header. */
	p.len = 0;
	push_l2(&p, 0, 0x86dd);
	push_ipv6(&p, 0);
	push_ext(&p, 44, 0);
	push_frag6(&p, 17, 0, true);
	push_udp(&p, 1111, 2222);
	put_fill(&p, 8, 0);
	finish(&p);
	set16(&p, 14 + 40 + 8 + 2, (uint16_t)(100 << 3));
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT | PW_PKT_F_FRAG_LATER);
	shrink_datagram(&p, 14 + 40 + 16);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT | PW_PKT_F_FRAG_LATER);
	assert_int_equal(m.l3_len, 56);
}

static void
push_arp(struct pkt *p, uint16_t htype, uint16_t ptype, uint8_t hlen, uint8_t plen)
{
	put16(p, htype);
	put16(p, ptype);
	put8(p, hlen);
	put8(p, plen);
	put16(p, 1); /* request */
	put_fill(p, 6, 0x02);
	put32(p, SRC4);
	put_fill(p, 6, 0);
	put32(p, DST4);
}

static void
test_arp(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m, want = { .l3 = PW_L3_ARP };
	uint16_t cut;

	(void)state;
	push_l2(&p, 1, 0x0806);
	push_arp(&p, 1, 0x0800, 6, 4);
	put_fill(&p, 64 - 46, 0); /* minimum frame padding */
	expect(&p, &m, PW_PARSE_OK);
	set_l2_meta(&want, 1, 0x0806);
	want.src = addr4(SRC4);
	want.dst = addr4(DST4);
	assert_meta(&m, &want);

	for (cut = 18; cut < 18 + 28; cut++) {
		p.len = cut;
		expect(&p, &m, PW_PARSE_TRUNC_ARP);
		assert_int_equal(m.l3, PW_L3_ARP);
		assert_int_equal(m.l3_off, 18);
		assert_int_equal(m.src.v4, 0);
	}

	/* Not IPv4 over Ethernet: still ARP, still OK, but no addresses to report. */
	p.len = 0;
	push_l2(&p, 0, 0x0806);
	push_arp(&p, 6 /* IEEE 802 */, 0x0800, 6, 4);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.l3, PW_L3_ARP);
	assert_int_equal(m.src.v4, 0);
	assert_int_equal(m.dst.v4, 0);
	p.len = 0;
	push_l2(&p, 0, 0x0806);
	push_arp(&p, 1, 0x0800, 6, 16);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.src.v4, 0);
	p.len = 0;
	push_l2(&p, 0, 0x0806);
	push_arp(&p, 1, 0x0800, 8, 4);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.src.v4, 0);
	assert_int_equal(m.dst.v4, 0);
}

static void
test_other_ethertype(void **state)
{
	static const uint16_t types[] = { 0x88cc, 0x8035, 0x0026 /* 802.3 length */, 0x8847 };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct pkt p = { .len = 0 };
		struct pw_pkt_meta m, want = { .l3 = PW_L3_OTHER };

		push_l2(&p, i % 3, types[i]);
		expect(&p, &m, PW_PARSE_OK); /* a bare header is enough */
		set_l2_meta(&want, i % 3, types[i]);
		assert_meta(&m, &want);
		put_fill(&p, 50, 0x45);
		expect(&p, &m, PW_PARSE_OK);
		assert_meta(&m, &want);
	}
}

/* Ethernet pads short frames to 60 bytes: L4 must be bounded by the datagram, not the frame. */
static void
test_ethernet_padding(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m;

	(void)state;
	push_l2(&p, 0, 0x0800);
	push_ipv4(&p, 17, SRC4, DST4, 0, 0);
	push_udp(&p, 7, 9);
	put8(&p, 0x42);
	finish(&p);
	put_fill(&p, 60 - p.len, 0xff);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(p.len, 60);
	assert_int_equal(m.l3_len, 29);
	assert_int_equal(m.sport, 7);
	assert_int_equal(m.dport, 9);

	/* The UDP length reaching into the padding is past the datagram. */
	set16(&p, p.udp_off + 4, 10);
	expect(&p, &m, PW_PARSE_BAD_UDP_LEN);
	assert_int_equal(m.sport, 7);

	/* TCP data offset reaching into the padding: same. */
	p.len = 0;
	push_l2(&p, 0, 0x0800);
	push_ipv4(&p, 6, SRC4, DST4, 0, 0);
	push_tcp(&p, 80, 81, 0x18, 6);
	finish(&p);
	put_fill(&p, 20, 0);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.l3_len, 44);
	set16(&p, p.ip_off + 2, 40);
	expect(&p, &m, PW_PARSE_BAD_TCP_DOFF);
	assert_int_equal(m.sport, 80);

	/* An ICMP header entirely in the padding is truncated. */
	p.len = 0;
	push_l2(&p, 0, 0x0800);
	push_ipv4(&p, 1, SRC4, DST4, 0, 0);
	finish(&p);
	push_icmp(&p, 8, 0, 1);
	put_fill(&p, 20, 0);
	expect(&p, &m, PW_PARSE_TRUNC_ICMP);
	assert_int_equal(m.l3_len, 20);
	assert_int_equal(m.l4_off, 34);

	/* IPv6: padding after a short payload. */
	p.len = 0;
	push_l2(&p, 0, 0x86dd);
	push_ipv6(&p, 17);
	push_udp(&p, 123, 123);
	finish(&p);
	put_fill(&p, 30, 0xff);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.l3_len, 48);
	assert_int_equal(m.sport, 123);
	set16(&p, p.udp_off + 4, 9);
	expect(&p, &m, PW_PARSE_BAD_UDP_LEN);
}

/*
 * Cuts a 2-VLAN TCP/IPv4 frame with IP and TCP options at every length. First the frame alone
 * (IP headers claim more than is there), then the datagram with it (L4 short).
 */
static void
test_truncate_tcp_ipv4(void **state)
{
	struct pkt full = { .len = 0 };
	struct pw_pkt_meta m;
	uint16_t cut;

	(void)state;
	push_l2(&full, 2, 0x0800);	       /* 22 */
	push_ipv4(&full, 6, SRC4, DST4, 1, 0); /* 24 -> 46 */
	push_tcp(&full, 443, 50000, 0x18, 8);  /* 32 -> 78 */
	put_fill(&full, 5, 0x61);
	finish(&full);
	assert_int_equal(full.len, 83);
	expect(&full, &m, PW_PARSE_OK);

	for (cut = 0; cut < full.len; cut++) {
		struct pkt p = full;
		enum pw_parse_result want;

		p.len = cut;
		if (cut < 14)
			want = PW_PARSE_TRUNC_ETH;
		else if (cut < 22)
			want = PW_PARSE_TRUNC_VLAN;
		else if (cut < 42)
			want = PW_PARSE_TRUNC_IPV4;
		else if (cut < 46)
			want = PW_PARSE_BAD_IPV4_IHL;
		else
			want = PW_PARSE_BAD_IPV4_TOTLEN;
		expect(&p, &m, want);
		assert_int_equal(m.nb_vlans, cut < 18 ? 0 : cut < 22 ? 1 : 2);
		assert_int_equal(m.l4_off, 0);
		assert_int_equal(m.sport, 0);
		if (cut >= 42) {
			/* The fixed header was read: addresses stay for the drop record. */
			assert_int_equal(m.l3, PW_L3_IPV4);
			assert_int_equal(m.proto, 6);
			assert_memory_equal(m.src.b, addr4(SRC4).b, 4);
			assert_int_equal(m.l3_len, 0);
		}
	}
	for (cut = 46; cut < full.len; cut++) {
		struct pkt p = full;

		shrink_datagram(&p, cut);
		if (cut < 66) {
			expect(&p, &m, PW_PARSE_TRUNC_TCP);
			assert_int_equal(m.sport, 0);
		} else if (cut < 78) {
			expect(&p, &m, PW_PARSE_BAD_TCP_DOFF);
			assert_int_equal(m.sport, 443);
		} else {
			expect(&p, &m, PW_PARSE_OK);
			assert_int_equal(m.sport, 443);
			assert_int_equal(m.dport, 50000);
		}
		assert_int_equal(m.l4_off, 46);
		assert_int_equal(m.l3_len, cut - 22);
	}
}

/* Same for UDP/IPv6 behind hop-by-hop (8 bytes) and destination options (16 bytes). */
static void
test_truncate_udp_ipv6_ext(void **state)
{
	struct pkt full = { .len = 0 };
	struct pw_pkt_meta m;
	uint16_t cut;

	(void)state;
	push_l2(&full, 0, 0x86dd);
	push_ipv6(&full, 0);	 /* 14 -> 54 */
	push_ext(&full, 60, 0);	 /* -> 62 */
	push_ext(&full, 17, 1);	 /* -> 78 */
	push_udp(&full, 68, 67); /* -> 86 */
	put_fill(&full, 4, 0);
	finish(&full);
	assert_int_equal(full.len, 90);
	expect(&full, &m, PW_PARSE_OK);

	for (cut = 0; cut < full.len; cut++) {
		struct pkt p = full;

		p.len = cut;
		if (cut < 14)
			expect(&p, &m, PW_PARSE_TRUNC_ETH);
		else if (cut < 54)
			expect(&p, &m, PW_PARSE_TRUNC_IPV6);
		else
			expect(&p, &m, PW_PARSE_BAD_IPV6_PAYLEN);
		assert_int_equal(m.l3_len, 0);
	}
	for (cut = 54; cut < full.len; cut++) {
		struct pkt p = full;
		enum pw_parse_result want;

		shrink_datagram(&p, cut);
		if (cut == 54)
			want = PW_PARSE_BAD_IPV6_PAYLEN; /* payload length 0: a jumbogram */
		else if (cut < 78)
			want = PW_PARSE_TRUNC_IPV6_EXT;
		else if (cut < 86)
			want = PW_PARSE_TRUNC_UDP;
		else
			want = PW_PARSE_BAD_UDP_LEN;
		expect(&p, &m, want);
		assert_int_equal(m.l3, PW_L3_IPV6);
		assert_int_equal(m.ttl, 255);
		assert_int_equal(m.l4_off, cut < 78 ? 0 : 78);
		assert_int_equal(m.proto, cut < 62 ? 0 : cut < 78 ? 60 : 17);
	}
}

/* Whether a parsed header of this kind reports a source port (or echo identifier). */
static uint16_t
has_id(uint8_t proto, uint8_t icmp_type)
{
	if (proto == 1)
		return icmp_type == 0 || icmp_type == 8;
	if (proto == 58)
		return icmp_type == 128 || icmp_type == 129;
	return 1;
}

/* Cuts the datagram inside the transport header of each protocol with a fixed minimum. */
static void
test_truncate_l4_each(void **state)
{
	static const struct {
		uint8_t proto;
		bool v6;
		uint8_t icmp_type;
		uint8_t need;
		enum pw_parse_result reason;
	} cases[] = {
		{ 6, false, 0, 20, PW_PARSE_TRUNC_TCP },
		{ 6, true, 0, 20, PW_PARSE_TRUNC_TCP },
		{ 17, false, 0, 8, PW_PARSE_TRUNC_UDP },
		{ 17, true, 0, 8, PW_PARSE_TRUNC_UDP },
		{ 132, false, 0, 12, PW_PARSE_TRUNC_SCTP },
		{ 132, true, 0, 12, PW_PARSE_TRUNC_SCTP },
		{ 1, false, 8, 8, PW_PARSE_TRUNC_ICMP },
		{ 1, false, 3, 8, PW_PARSE_TRUNC_ICMP },
		{ 58, true, 128, 8, PW_PARSE_TRUNC_ICMPV6 },
		{ 58, true, 129, 8, PW_PARSE_TRUNC_ICMPV6 },
		{ 58, true, 2, 4, PW_PARSE_TRUNC_ICMPV6 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt full = { .len = 0 };
		uint16_t l4, cut;

		push_l2(&full, 1, cases[i].v6 ? 0x86dd : 0x0800);
		if (cases[i].v6)
			push_ipv6(&full, cases[i].proto);
		else
			push_ipv4(&full, cases[i].proto, SRC4, DST4, 0, 0);
		l4 = full.len;
		if (cases[i].proto == 6)
			push_tcp(&full, 1, 2, 0, 5);
		else if (cases[i].proto == 17)
			push_udp(&full, 1, 2);
		else if (cases[i].proto == 132)
			push_sctp(&full, 1, 2);
		else
			push_icmp(&full, cases[i].icmp_type, 0, 1);
		finish(&full);

		for (cut = l4; cut <= full.len; cut++) {
			struct pkt p = full;
			struct pw_pkt_meta m;

			shrink_datagram(&p, cut);
			if (cases[i].v6 && cut == l4) {
				/* An empty IPv6 payload is a jumbogram, refused before L4. */
				expect(&p, &m, PW_PARSE_BAD_IPV6_PAYLEN);
				continue;
			}
			if (cut - l4 >= cases[i].need) {
				expect(&p, &m, PW_PARSE_OK);
				assert_int_equal(
					m.sport, has_id(cases[i].proto, cases[i].icmp_type));
				assert_int_equal(m.icmp_type, cases[i].icmp_type);
				continue;
			}
			expect(&p, &m, cases[i].reason);
			assert_int_equal(m.l4_off, l4);
			assert_int_equal(m.proto, cases[i].proto);
			/* Only ICMPv6 reads its 4-byte header before finding an echo body short. */
			if (cases[i].proto == 58 && cut - l4 >= 4)
				assert_int_equal(m.icmp_type, cases[i].icmp_type);
			else
				assert_int_equal(m.icmp_type, 0);
			assert_int_equal(m.sport, 0);
		}
	}
}

static void
test_vlan_errors(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m;

	(void)state;
	push_eth(&p, 0x88a8);
	push_vlan(&p, 1, 0x8100);
	push_vlan(&p, 2, 0x8100);
	push_vlan(&p, 3, 0x0800);
	push_ipv4(&p, 6, SRC4, DST4, 0, 0);
	push_tcp(&p, 1, 2, 0, 5);
	finish(&p);
	expect(&p, &m, PW_PARSE_TOO_MANY_VLANS);
	assert_int_equal(m.nb_vlans, 2);
	assert_int_equal(m.vlan_tci[0], 1);
	assert_int_equal(m.vlan_tci[1], 2);
	assert_int_equal(m.l3, PW_L3_OTHER);
	assert_int_equal(m.l3_off, 0);

	/* A third tag is refused before its bytes are needed, whatever its TPID. */
	p.len = 22;
	set16(&p, 20, 0x9100);
	expect(&p, &m, PW_PARSE_TOO_MANY_VLANS);
	set16(&p, 20, 0x88a8);
	expect(&p, &m, PW_PARSE_TOO_MANY_VLANS);

	p.len = 17;
	expect(&p, &m, PW_PARSE_TRUNC_VLAN);
	assert_int_equal(m.nb_vlans, 0);
	assert_int_equal(m.ether_type, 0);
}

static void
test_ipv4_header_errors(void **state)
{
	struct pkt base = { .len = 0 }, p;
	struct pw_pkt_meta m;
	uint8_t v, ihl;

	(void)state;
	push_l2(&base, 0, 0x0800);
	push_ipv4(&base, 17, SRC4, DST4, 0, 0);
	push_udp(&base, 1, 2);
	finish(&base);
	expect(&base, &m, PW_PARSE_OK);

	for (v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		p = base;
		p.b[14] = (uint8_t)(v << 4 | 5);
		expect(&p, &m, PW_PARSE_BAD_IPV4_VERSION);
		assert_int_equal(m.l3, PW_L3_IPV4);
		assert_int_equal(m.ether_type, 0x0800);
		assert_int_equal(m.ttl, 0);
	}
	/* IPv6 inside an IPv4 EtherType is a version error, not an IPv6 packet. */
	p = base;
	p.b[14] = 0x60;
	expect(&p, &m, PW_PARSE_BAD_IPV4_VERSION);

	for (ihl = 0; ihl < 5; ihl++) {
		p = base;
		p.b[14] = (uint8_t)(0x40 | ihl);
		expect(&p, &m, PW_PARSE_BAD_IPV4_IHL);
		assert_int_equal(m.ttl, 64);
		assert_int_equal(m.proto, 17);
	}
	/*
	 * With 20 bytes of Ethernet padding after the 28-byte datagram: IHL 7 fits the datagram
	 * but leaves no room for UDP, IHL 8 fits the frame but not the total length, and IHL 15
	 * (60 bytes) is past the frame.
	 */
	p = base;
	put_fill(&p, 20, 0);
	p.b[14] = 0x47;
	expect(&p, &m, PW_PARSE_TRUNC_UDP);
	assert_int_equal(m.flags, PW_PKT_F_IPV4_OPTS);
	assert_int_equal(m.l4_off, 42);
	p.b[14] = 0x48;
	expect(&p, &m, PW_PARSE_BAD_IPV4_TOTLEN);
	p.b[14] = 0x4f;
	expect(&p, &m, PW_PARSE_BAD_IPV4_IHL);
	p.len = (uint16_t)(14 + 32);
	p.b[14] = 0x48;
	expect(&p, &m, PW_PARSE_BAD_IPV4_TOTLEN);
	p.len = (uint16_t)(14 + 31);
	expect(&p, &m, PW_PARSE_BAD_IPV4_IHL);

	p = base;
	set16(&p, 16, 19);
	expect(&p, &m, PW_PARSE_BAD_IPV4_TOTLEN);
	set16(&p, 16, 0);
	expect(&p, &m, PW_PARSE_BAD_IPV4_TOTLEN);
	set16(&p, 16, 29);
	expect(&p, &m, PW_PARSE_BAD_IPV4_TOTLEN);
	set16(&p, 16, 65535);
	expect(&p, &m, PW_PARSE_BAD_IPV4_TOTLEN);
	assert_int_equal(m.l3_len, 0);
	assert_int_equal(m.l4_off, 0);
	set16(&p, 16, 20);
	expect(&p, &m, PW_PARSE_TRUNC_UDP);
}

static void
test_ipv6_header_errors(void **state)
{
	struct pkt base = { .len = 0 }, p;
	struct pw_pkt_meta m;
	uint8_t v;

	(void)state;
	push_l2(&base, 1, 0x86dd);
	push_ipv6(&base, 17);
	push_udp(&base, 1, 2);
	finish(&base);
	expect(&base, &m, PW_PARSE_OK);

	for (v = 0; v < 16; v++) {
		if (v == 6)
			continue;
		p = base;
		p.b[18] = (uint8_t)(v << 4);
		expect(&p, &m, PW_PARSE_BAD_IPV6_VERSION);
		assert_int_equal(m.l3, PW_L3_IPV6);
		assert_int_equal(m.nb_vlans, 1);
	}
	p = base;
	set16(&p, 18 + 4, 0);
	expect(&p, &m, PW_PARSE_BAD_IPV6_PAYLEN);
	assert_memory_equal(m.dst.b, v6_dst, 16);
	assert_int_equal(m.l3_len, 0);
	set16(&p, 18 + 4, 9);
	expect(&p, &m, PW_PARSE_BAD_IPV6_PAYLEN);
	set16(&p, 18 + 4, 65535);
	expect(&p, &m, PW_PARSE_BAD_IPV6_PAYLEN);
	set16(&p, 18 + 4, 7);
	expect(&p, &m, PW_PARSE_TRUNC_UDP);

	/* An extension header's length field reaching past the payload. */
	p.len = 0;
	push_l2(&p, 0, 0x86dd);
	push_ipv6(&p, 43);
	push_ext(&p, 6, 1);
	push_tcp(&p, 1, 2, 0, 5);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	p.b[55] = 4;
	expect(&p, &m, PW_PARSE_TRUNC_IPV6_EXT);
	assert_int_equal(m.flags, PW_PKT_F_IPV6_EXT);
	assert_int_equal(m.proto, 43);
	p.b[54] = 51; /* AH whose (len + 2) * 4 runs past the end */
	p.b[55] = 255;
	expect(&p, &m, PW_PARSE_TRUNC_IPV6_EXT);
}

static void
test_udp_tcp_field_errors(void **state)
{
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m;
	uint8_t doff;

	(void)state;
	push_l2(&p, 0, 0x0800);
	push_ipv4(&p, 17, SRC4, DST4, 0, 0);
	push_udp(&p, 1, 2);
	put_fill(&p, 4, 0);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	set16(&p, 34 + 4, 0); /* only IPv6 jumbograms may say 0 */
	expect(&p, &m, PW_PARSE_BAD_UDP_LEN);
	assert_int_equal(m.sport, 1);
	assert_int_equal(m.dport, 2);
	set16(&p, 34 + 4, 7);
	expect(&p, &m, PW_PARSE_BAD_UDP_LEN);
	set16(&p, 34 + 4, 13);
	expect(&p, &m, PW_PARSE_BAD_UDP_LEN);
	set16(&p, 34 + 4, 8); /* shorter than the datagram is allowed, as Linux does */
	expect(&p, &m, PW_PARSE_OK);

	p.len = 0;
	push_l2(&p, 0, 0x0800);
	push_ipv4(&p, 6, SRC4, DST4, 0, 0);
	push_tcp(&p, 1, 2, 0x01, 5);
	put_fill(&p, 20, 0);
	finish(&p);
	for (doff = 0; doff < 16; doff++) {
		p.b[34 + 12] = (uint8_t)(doff << 4);
		if (doff < 5) {
			expect(&p, &m, PW_PARSE_BAD_TCP_DOFF);
			assert_int_equal(m.tcp_flags, 0x01);
		} else if (doff <= 10) {
			expect(&p, &m, PW_PARSE_OK);
		} else {
			expect(&p, &m, PW_PARSE_BAD_TCP_DOFF);
		}
	}
}

/* The meta is zeroed even when the frame is too short for anything. */
static void
test_meta_zeroed(void **state)
{
	static const struct pw_pkt_meta zero;
	struct pkt p = { .len = 0 };
	struct pw_pkt_meta m;
	uint16_t cut;

	(void)state;
	push_l2(&p, 0, 0x0800);
	for (cut = 0; cut < 14; cut++) {
		memset(&m, 0xa5, sizeof(m));
		p.len = cut;
		expect(&p, &m, PW_PARSE_TRUNC_ETH);
		assert_memory_equal(&m, &zero, sizeof(m));
	}
	/* NULL data is fine with len 0: nothing is read. */
	memset(&m, 0xa5, sizeof(m));
	assert_int_equal(pw_parse_pkt(NULL, 0, &m), PW_PARSE_TRUNC_ETH);
	assert_memory_equal(&m, &zero, sizeof(m));

	/* A meta reused from a TCP frame keeps nothing when an ARP frame follows. */
	p.len = 0;
	push_l2(&p, 2, 0x0800);
	push_ipv4(&p, 6, SRC4, DST4, 0, 0);
	push_tcp(&p, 1, 2, 0x3f, 5);
	finish(&p);
	expect(&p, &m, PW_PARSE_OK);
	p.len = 0;
	push_l2(&p, 0, 0x0806);
	push_arp(&p, 1, 0x86dd, 6, 16);
	expect(&p, &m, PW_PARSE_OK);
	assert_int_equal(m.nb_vlans, 0);
	assert_int_equal(m.vlan_tci[0], 0);
	assert_int_equal(m.sport, 0);
	assert_int_equal(m.tcp_flags, 0);
	assert_int_equal(m.ttl, 0);
	assert_int_equal(m.proto, 0);
}

static void
test_names(void **state)
{
	static const char *const upper[PW_PARSE_MAX] = {
#define UPPER_(name, desc) #name,
		PW_PARSE_RESULTS(UPPER_)
#undef UPPER_
	};
	static const char *const descs[PW_PARSE_MAX] = {
#define DESCS_(name, desc) desc,
		PW_PARSE_RESULTS(DESCS_)
#undef DESCS_
	};
	unsigned int i, j;

	(void)state;
	assert_string_equal(pw_parse_result_name(PW_PARSE_OK), "ok");
	assert_string_equal(pw_parse_result_name(PW_PARSE_TRUNC_ETH), "trunc_eth");
	assert_string_equal(pw_parse_result_name(PW_PARSE_BAD_IPV4_IHL), "bad_ipv4_ihl");
	assert_string_equal(pw_parse_result_name(PW_PARSE_TRUNC_ICMPV6), "trunc_icmpv6");
	assert_string_equal(pw_parse_result_desc(PW_PARSE_OK), "parsed");
	assert_string_equal(
		pw_parse_result_desc(PW_PARSE_TOO_MANY_VLANS), "more than two VLAN tags");
	assert_string_equal(pw_parse_result_name(PW_PARSE_MAX), "unknown");
	assert_string_equal(pw_parse_result_desc(PW_PARSE_MAX), "unknown");
	assert_string_equal(pw_parse_result_name((enum pw_parse_result)1000), "unknown");
	assert_string_equal(pw_parse_result_desc((enum pw_parse_result)1000), "unknown");

	/* Every name is the lower-cased X-macro name, so stats and this table never drift. */
	for (i = 0; i < PW_PARSE_MAX; i++) {
		const char *name = pw_parse_result_name((enum pw_parse_result)i);
		char lower[64];

		for (j = 0; upper[i][j] != '\0' && j + 1 < sizeof(lower); j++)
			lower[j] = (char)tolower((unsigned char)upper[i][j]);
		lower[j] = '\0';
		if (i == PW_PARSE_OK)
			strcpy(lower, "ok");
		assert_string_equal(name, lower);
		assert_string_equal(pw_parse_result_desc((enum pw_parse_result)i), descs[i]);
	}
}

/* Runs last: each result value must have come out of some frame above. */
static void
test_every_result_seen(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < PW_PARSE_MAX; i++) {
		if (!seen[i])
			fail_msg("no test produced %s",
				pw_parse_result_name((enum pw_parse_result)i));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_ipv4_vlans),
		cmocka_unit_test(test_tcp_ipv6_vlans),
		cmocka_unit_test(test_old_qinq_tpid),
		cmocka_unit_test(test_udp_sctp_both_families),
		cmocka_unit_test(test_icmp_ipv4),
		cmocka_unit_test(test_icmpv6),
		cmocka_unit_test(test_unknown_l4),
		cmocka_unit_test(test_ipv4_options),
		cmocka_unit_test(test_ipv6_each_ext),
		cmocka_unit_test(test_ipv6_ext_chain_limit),
		cmocka_unit_test(test_ipv6_no_next_header),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_ipv6_fragments),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_other_ethertype),
		cmocka_unit_test(test_ethernet_padding),
		cmocka_unit_test(test_truncate_tcp_ipv4),
		cmocka_unit_test(test_truncate_udp_ipv6_ext),
		cmocka_unit_test(test_truncate_l4_each),
		cmocka_unit_test(test_vlan_errors),
		cmocka_unit_test(test_ipv4_header_errors),
		cmocka_unit_test(test_ipv6_header_errors),
		cmocka_unit_test(test_udp_tcp_field_errors),
		cmocka_unit_test(test_meta_zeroed),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_every_result_seen),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
