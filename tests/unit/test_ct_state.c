/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection tracking without EAL: flow keys (both directions meet, echo requests stay
 * apart), the TCP state machine through handshake, close and reset, timeouts per state with
 * an injected clock (including 32-bit wrap-around), and the quoted packet of ICMP and ICMPv6
 * errors read from real frames (pw_parse_pkt()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/ct_state.h"
#include "dataplane/parse.h"

static struct pw_pkt_meta
meta4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
	struct pw_pkt_meta m;

	memset(&m, 0, sizeof(m));
	m.l3 = PW_L3_IPV4;
	m.src.b[0] = (uint8_t)(src >> 24);
	m.src.b[1] = (uint8_t)(src >> 16);
	m.src.b[2] = (uint8_t)(src >> 8);
	m.src.b[3] = (uint8_t)src;
	m.dst.b[0] = (uint8_t)(dst >> 24);
	m.dst.b[1] = (uint8_t)(dst >> 16);
	m.dst.b[2] = (uint8_t)(dst >> 8);
	m.dst.b[3] = (uint8_t)dst;
	m.proto = proto;
	m.sport = sport;
	m.dport = dport;
	m.l3_len = 60;
	return m;
}

static struct pw_pkt_meta
reverse(struct pw_pkt_meta m)
{
	union pw_addr a = m.src;
	uint16_t p = m.sport;

	m.src = m.dst;
	m.dst = a;
	m.sport = m.dport;
	m.dport = p;
	return m;
}

#define A 0x0a000001u /* 10.0.0.1 */
#define B 0x0a000002u /* 10.0.0.2 */

static void
test_key_both_directions(void **state)
{
	struct pw_pkt_meta m = meta4(B, A, PW_CT_PROTO_TCP, 40000, 80), r = reverse(m);
	struct pw_ct_key k1, k2;
	bool ab1, ab2;

	(void)state;
	assert_int_equal(pw_ct_key_build(&m, &k1, &ab1), PW_CT_KIND_FLOW);
	assert_int_equal(pw_ct_key_build(&r, &k2, &ab2), PW_CT_KIND_FLOW);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_true(ab1 != ab2);
	/* The lower address is end a: B -> A runs b to a. */
	assert_false(ab1);
	assert_int_equal(k1.pa, 80);
	assert_int_equal(k1.pb, 40000);
	/* Another port, protocol or family is another flow. */
	m.sport = 40001;
	assert_int_equal(pw_ct_key_build(&m, &k2, &ab2), PW_CT_KIND_FLOW);
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
	m = meta4(B, A, PW_CT_PROTO_UDP, 40000, 80);
	assert_int_equal(pw_ct_key_build(&m, &k2, &ab2), PW_CT_KIND_FLOW);
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
	m = meta4(B, A, PW_CT_PROTO_TCP, 40000, 80);
	m.l3 = PW_L3_IPV6;
	assert_int_equal(pw_ct_key_build(&m, &k2, &ab2), PW_CT_KIND_FLOW);
	assert_int_equal(k2.kflags, PW_CT_KEY_V6);
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
	/* Same address both ends: ordered by port. */
	m = meta4(A, A, PW_CT_PROTO_UDP, 9, 5);
	r = reverse(m);
	assert_int_equal(pw_ct_key_build(&m, &k1, &ab1), PW_CT_KIND_FLOW);
	assert_int_equal(pw_ct_key_build(&r, &k2, &ab2), PW_CT_KIND_FLOW);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_true(ab1 != ab2);
	/* A protocol without ports keys on addresses; a later fragment is untracked. */
	m = meta4(A, B, 47, 0, 0);
	assert_int_equal(pw_ct_key_build(&m, &k1, &ab1), PW_CT_KIND_FLOW);
	assert_int_equal(k1.pa + k1.pb, 0);
	m = meta4(A, B, PW_CT_PROTO_UDP, 0, 0);
	m.flags = PW_PKT_F_FRAG_LATER;
	assert_int_equal(pw_ct_key_build(&m, &k1, &ab1), PW_CT_KIND_UNTRACKED);
}

static void
test_key_icmp(void **state)
{
	struct pw_pkt_meta req = meta4(B, A, PW_CT_PROTO_ICMP, 7, 0), rep = reverse(req);
	struct pw_pkt_meta other = meta4(A, B, PW_CT_PROTO_ICMP, 7, 0);
	struct pw_ct_key k1, k2, k3;
	bool ab1, ab2, ab3;

	(void)state;
	req.icmp_type = 8;
	rep.icmp_type = 0;
	rep.sport = 7;
	rep.dport = 0;
	other.icmp_type = 8;
	assert_int_equal(pw_ct_key_build(&req, &k1, &ab1), PW_CT_KIND_ECHO_REQUEST);
	assert_int_equal(pw_ct_key_build(&rep, &k2, &ab2), PW_CT_KIND_ECHO_REPLY);
	assert_memory_equal(&k1, &k2, sizeof(k1));
	assert_true(ab1);
	assert_false(ab2);
	/* The requester stays end a, even though its address is the higher one. */
	assert_int_equal(k1.a.b[3], 2);
	/* The responder pinging back with the same identifier is its own flow. */
	assert_int_equal(pw_ct_key_build(&other, &k3, &ab3), PW_CT_KIND_ECHO_REQUEST);
	assert_memory_not_equal(&k1, &k3, sizeof(k1));
	/* ICMPv6 echo; errors; everything else is untracked. */
	req.l3 = PW_L3_IPV6;
	req.proto = PW_CT_PROTO_ICMPV6;
	req.icmp_type = 128;
	assert_int_equal(pw_ct_key_build(&req, &k1, &ab1), PW_CT_KIND_ECHO_REQUEST);
	req.icmp_type = 1;
	assert_int_equal(pw_ct_key_build(&req, &k1, &ab1), PW_CT_KIND_ICMP_ERROR);
	req.icmp_type = 135; /* neighbour solicitation */
	assert_int_equal(pw_ct_key_build(&req, &k1, &ab1), PW_CT_KIND_UNTRACKED);
	rep.icmp_type = 3;
	assert_int_equal(pw_ct_key_build(&rep, &k1, &ab1), PW_CT_KIND_ICMP_ERROR);
	rep.icmp_type = 13; /* timestamp */
	assert_int_equal(pw_ct_key_build(&rep, &k1, &ab1), PW_CT_KIND_UNTRACKED);
	/* ICMPv6's number inside IPv4 is just another protocol. */
	rep.proto = PW_CT_PROTO_ICMPV6;
	assert_int_equal(pw_ct_key_build(&rep, &k1, &ab1), PW_CT_KIND_FLOW);
}

static void
test_orig_meta(void **state)
{
	struct pw_pkt_meta m = meta4(B, A, PW_CT_PROTO_TCP, 40000, 80), o;
	struct pw_ct_key k;
	bool ab;

	(void)state;
	assert_int_equal(pw_ct_key_build(&m, &k, &ab), PW_CT_KIND_FLOW);
	pw_ct_orig_meta(&k, ab, &o);
	assert_int_equal(o.l3, PW_L3_IPV4);
	assert_memory_equal(&o.src, &m.src, sizeof(o.src));
	assert_memory_equal(&o.dst, &m.dst, sizeof(o.dst));
	assert_int_equal(o.sport, 40000);
	assert_int_equal(o.dport, 80);
	assert_int_equal(o.proto, PW_CT_PROTO_TCP);
	/* From the reply's key too: the original direction, not the reply's. */
	m = reverse(m);
	assert_int_equal(pw_ct_key_build(&m, &k, &ab), PW_CT_KIND_FLOW);
	pw_ct_orig_meta(&k, !ab, &o);
	assert_int_equal(o.dport, 80);
	assert_int_equal(o.src.b[3], 2);
}

/* Walks the state machine: (reply?, flags) -> expected state. */
struct step {
	bool reply;
	uint8_t flags;
	enum pw_ct_state want;
};

static void
walk(enum pw_ct_state st, const struct step *steps, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		st = pw_ct_tcp_next(st, steps[i].reply, steps[i].flags);
		if (st != steps[i].want)
			fail_msg("step %zu: %s, expected %s", i, pw_ct_state_name(st),
				pw_ct_state_name(steps[i].want));
	}
}

#define S PW_TCP_SYN
#define SA (PW_TCP_SYN | PW_TCP_ACK)
#define AK PW_TCP_ACK
#define FA (PW_TCP_FIN | PW_TCP_ACK)
#define R PW_TCP_RST

static void
test_tcp_states(void **state)
{
	static const struct step open_close[] = {
		{ false, S, PW_CT_ST_TCP_SYN_SENT },	 /* retransmitted SYN */
		{ true, SA, PW_CT_ST_TCP_SYN_RECV },	 /* SYN-ACK */
		{ true, SA, PW_CT_ST_TCP_SYN_RECV },	 /* retransmitted SYN-ACK */
		{ false, AK, PW_CT_ST_TCP_ESTABLISHED }, /* handshake done */
		{ true, AK, PW_CT_ST_TCP_ESTABLISHED },	 /* data */
		{ false, FA, PW_CT_ST_TCP_FIN_WAIT },	 /* originator closes */
		{ true, AK, PW_CT_ST_TCP_FIN_WAIT },	 /* its FIN acked, half closed */
		{ true, FA, PW_CT_ST_TCP_LAST_ACK },	 /* responder closes */
		{ false, AK, PW_CT_ST_TCP_TIME_WAIT },	 /* last ACK */
		{ false, AK, PW_CT_ST_TCP_TIME_WAIT },	 /* stays */
	};
	static const struct step passive_close[] = {
		{ true, SA, PW_CT_ST_TCP_SYN_RECV },
		{ false, AK, PW_CT_ST_TCP_ESTABLISHED },
		{ true, FA, PW_CT_ST_TCP_CLOSE_WAIT },
		{ false, AK, PW_CT_ST_TCP_CLOSE_WAIT },
		{ false, FA, PW_CT_ST_TCP_LAST_ACK },
		{ true, AK, PW_CT_ST_TCP_TIME_WAIT },
	};
	static const struct step reset[] = {
		{ true, SA, PW_CT_ST_TCP_SYN_RECV },
		{ false, AK, PW_CT_ST_TCP_ESTABLISHED },
		{ true, R | AK, PW_CT_ST_TCP_CLOSED },
		{ false, AK, PW_CT_ST_TCP_CLOSED },
	};
	static const struct step refused[] = {
		{ true, R | AK, PW_CT_ST_TCP_CLOSED },
	};
	static const struct step simultaneous[] = {
		{ true, S, PW_CT_ST_TCP_SYN_RECV },
		{ false, SA, PW_CT_ST_TCP_SYN_RECV }, /* the originator's SYN-ACK: not yet */
		{ false, AK, PW_CT_ST_TCP_ESTABLISHED },
	};

	(void)state;
	assert_int_equal(pw_ct_tcp_initial(S), PW_CT_ST_TCP_SYN_SENT);
	assert_int_equal(pw_ct_tcp_initial(SA), PW_CT_ST_TCP_SYN_RECV);
	assert_int_equal(pw_ct_tcp_initial(AK), PW_CT_ST_TCP_ESTABLISHED);
	assert_int_equal(pw_ct_tcp_initial(FA), PW_CT_ST_TCP_FIN_WAIT);
	assert_true(pw_ct_tcp_is_syn(S));
	assert_false(pw_ct_tcp_is_syn(SA));
	assert_false(pw_ct_tcp_may_create(R));
	assert_false(pw_ct_tcp_may_create(R | AK));
	assert_true(pw_ct_tcp_may_create(AK));
	walk(PW_CT_ST_TCP_SYN_SENT, open_close, sizeof(open_close) / sizeof(open_close[0]));
	walk(PW_CT_ST_TCP_SYN_SENT, passive_close,
		sizeof(passive_close) / sizeof(passive_close[0]));
	walk(PW_CT_ST_TCP_SYN_SENT, reset, sizeof(reset) / sizeof(reset[0]));
	walk(PW_CT_ST_TCP_SYN_SENT, refused, sizeof(refused) / sizeof(refused[0]));
	walk(PW_CT_ST_TCP_SYN_SENT, simultaneous, sizeof(simultaneous) / sizeof(simultaneous[0]));
	assert_true(pw_ct_state_closed(PW_CT_ST_TCP_TIME_WAIT));
	assert_true(pw_ct_state_closed(PW_CT_ST_TCP_CLOSED));
	assert_false(pw_ct_state_closed(PW_CT_ST_TCP_FIN_WAIT));
	assert_string_equal(pw_ct_state_name(PW_CT_ST_TCP_ESTABLISHED), "established");
	assert_string_equal(pw_ct_state_name(PW_CT_ST_MAX), "unknown");
}

static void
test_timeouts(void **state)
{
	struct pw_ct_timeouts t;
	unsigned int c;

	(void)state;
	for (c = 0; c < PW_CT_TO_MAX; c++)
		t.ms[c] = 1000 * (c + 1);
	assert_int_equal(
		pw_ct_timeout_class(PW_CT_PROTO_TCP, PW_CT_ST_TCP_SYN_SENT), PW_CT_TO_TCP_SYN);
	assert_int_equal(
		pw_ct_timeout_class(PW_CT_PROTO_TCP, PW_CT_ST_TCP_SYN_RECV), PW_CT_TO_TCP_SYN);
	assert_int_equal(pw_ct_timeout_class(PW_CT_PROTO_TCP, PW_CT_ST_TCP_ESTABLISHED),
		PW_CT_TO_TCP_ESTABLISHED);
	assert_int_equal(
		pw_ct_timeout_class(PW_CT_PROTO_TCP, PW_CT_ST_TCP_CLOSE_WAIT), PW_CT_TO_TCP_FIN);
	assert_int_equal(
		pw_ct_timeout_class(PW_CT_PROTO_TCP, PW_CT_ST_TCP_LAST_ACK), PW_CT_TO_TCP_FIN);
	assert_int_equal(
		pw_ct_timeout_class(PW_CT_PROTO_TCP, PW_CT_ST_TCP_TIME_WAIT), PW_CT_TO_TCP_CLOSED);
	assert_int_equal(pw_ct_timeout_class(PW_CT_PROTO_UDP, PW_CT_ST_ACTIVE), PW_CT_TO_UDP);
	assert_int_equal(pw_ct_timeout_class(PW_CT_PROTO_SCTP, PW_CT_ST_ACTIVE), PW_CT_TO_SCTP);
	assert_int_equal(pw_ct_timeout_class(PW_CT_PROTO_ICMP, PW_CT_ST_ACTIVE), PW_CT_TO_ICMP);
	assert_int_equal(pw_ct_timeout_class(PW_CT_PROTO_ICMPV6, PW_CT_ST_ACTIVE), PW_CT_TO_ICMP);
	assert_int_equal(pw_ct_timeout_class(47, PW_CT_ST_ACTIVE), PW_CT_TO_OTHER);

	/* The clock is an argument: last seen at 5000, UDP times out after 5000 ms idle. */
	assert_false(pw_ct_expired(&t, PW_CT_PROTO_UDP, PW_CT_ST_ACTIVE, 5000, 10000));
	assert_true(pw_ct_expired(&t, PW_CT_PROTO_UDP, PW_CT_ST_ACTIVE, 5000, 10001));
	/* The same flow closing: its class, hence its timeout, follows the state. */
	assert_false(pw_ct_expired(&t, PW_CT_PROTO_TCP, PW_CT_ST_TCP_ESTABLISHED, 0, 2000));
	assert_true(pw_ct_expired(&t, PW_CT_PROTO_TCP, PW_CT_ST_TCP_SYN_SENT, 0, 1001));
	assert_true(pw_ct_expired(&t, PW_CT_PROTO_TCP, PW_CT_ST_TCP_CLOSED, 0, 4001));
	assert_false(pw_ct_expired(&t, PW_CT_PROTO_TCP, PW_CT_ST_TCP_FIN_WAIT, 0, 3000));
	/* 32-bit millisecond clocks wrap after 49.7 days: still right across the wrap. */
	assert_false(pw_ct_expired(&t, PW_CT_PROTO_UDP, PW_CT_ST_ACTIVE, 0xfffff000u, 500));
	assert_true(pw_ct_expired(&t, PW_CT_PROTO_UDP, PW_CT_ST_ACTIVE, 0xfffff000u, 5000));
	pw_ct_timeouts_default(&t);
	assert_int_equal(t.ms[PW_CT_TO_TCP_ESTABLISHED], 86400000u);
	assert_int_equal(t.ms[PW_CT_TO_ICMP], 30000);
	assert_string_equal(pw_ct_timeout_name(PW_CT_TO_TCP_FIN), "tcp_fin");
	assert_string_equal(pw_ct_timeout_name(PW_CT_TO_OTHER), "other");
}

/* ---- ICMP errors, on real frames ---- */

static size_t
put_ipv4(uint8_t *p, uint8_t proto, uint32_t src, uint32_t dst, uint16_t totlen)
{
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(totlen >> 8);
	p[3] = (uint8_t)totlen;
	p[8] = 64;
	p[9] = proto;
	p[12] = (uint8_t)(src >> 24);
	p[13] = (uint8_t)(src >> 16);
	p[14] = (uint8_t)(src >> 8);
	p[15] = (uint8_t)src;
	p[16] = (uint8_t)(dst >> 24);
	p[17] = (uint8_t)(dst >> 16);
	p[18] = (uint8_t)(dst >> 8);
	p[19] = (uint8_t)dst;
	return 20;
}

static size_t
put_eth(uint8_t *p, uint16_t type)
{
	memset(p, 0, 12);
	p[0] = 2;
	p[6] = 2;
	p[12] = (uint8_t)(type >> 8);
	p[13] = (uint8_t)type;
	return 14;
}

/* An ICMP port unreachable from @from to @to quoting a UDP packet to -> from, 40000 -> 53;
 * @quote_len bytes of the quoted transport header are kept. */
static uint16_t
icmp4_unreach(uint8_t *f, uint32_t from, uint32_t to, uint32_t qsrc, size_t quote_len)
{
	size_t off = put_eth(f, 0x0800);
	size_t ip = off;

	off += put_ipv4(f + off, PW_CT_PROTO_ICMP, from, to, (uint16_t)(20 + 8 + 20 + quote_len));
	memset(f + off, 0, 8);
	f[off] = 3;
	f[off + 1] = 3;
	off += 8;
	off += put_ipv4(f + off, PW_CT_PROTO_UDP, qsrc, from, 48);
	memset(f + off, 0, quote_len);
	if (quote_len >= 4) {
		f[off] = 40000 >> 8;
		f[off + 1] = 40000 & 0xff;
		f[off + 2] = 0;
		f[off + 3] = 53;
	}
	off += quote_len;
	(void)ip;
	return (uint16_t)off;
}

static void
test_icmp_error_inner_v4(void **state)
{
	uint8_t f[256];
	struct pw_pkt_meta m, q;
	struct pw_ct_key k, fk;
	bool ab, fab;
	uint16_t len;

	(void)state;
	/* The flow: A:40000 -> B:53 UDP. B answers with port unreachable. */
	q = meta4(A, B, PW_CT_PROTO_UDP, 40000, 53);
	assert_int_equal(pw_ct_key_build(&q, &fk, &fab), PW_CT_KIND_FLOW);
	len = icmp4_unreach(f, B, A, A, 8);
	assert_int_equal(pw_parse_pkt(f, len, &m), PW_PARSE_OK);
	assert_int_equal(pw_ct_key_build(&m, &k, &ab), PW_CT_KIND_ICMP_ERROR);
	assert_true(pw_ct_icmp_inner(f, &m, &k, &ab));
	assert_memory_equal(&k, &fk, sizeof(k));
	assert_true(ab == fab);
	/* Not sent back to the quoted packet's source: unrelated. */
	len = icmp4_unreach(f, B, 0x0a000009, A, 8);
	assert_int_equal(pw_parse_pkt(f, len, &m), PW_PARSE_OK);
	assert_false(pw_ct_icmp_inner(f, &m, &k, &ab));
	/* Quote too short for the ports, or no frame at all. */
	len = icmp4_unreach(f, B, A, A, 2);
	assert_int_equal(pw_parse_pkt(f, len, &m), PW_PARSE_OK);
	assert_false(pw_ct_icmp_inner(f, &m, &k, &ab));
	assert_false(pw_ct_icmp_inner(NULL, &m, &k, &ab));
	/* Truncated quoted IP header. */
	len = icmp4_unreach(f, B, A, A, 8);
	f[14 + 2] = 0;
	f[14 + 3] = 20 + 8 + 12;
	assert_int_equal(pw_parse_pkt(f, (uint16_t)(14 + 40), &m), PW_PARSE_OK);
	assert_false(pw_ct_icmp_inner(f, &m, &k, &ab));
	/* A quoted later fragment has no ports. */
	len = icmp4_unreach(f, B, A, A, 8);
	f[14 + 28 + 7] = 10;
	assert_int_equal(pw_parse_pkt(f, len, &m), PW_PARSE_OK);
	assert_false(pw_ct_icmp_inner(f, &m, &k, &ab));
}

static void
test_icmp_error_inner_echo_and_v6(void **state)
{
	uint8_t f[256];
	struct pw_pkt_meta m, q;
	struct pw_ct_key k, fk;
	bool ab, fab;
	size_t off, l4;

	(void)state;
	/* Time exceeded quoting A's echo request to B (id 7): related to the echo flow. */
	q = meta4(A, B, PW_CT_PROTO_ICMP, 7, 0);
	q.icmp_type = 8;
	assert_int_equal(pw_ct_key_build(&q, &fk, &fab), PW_CT_KIND_ECHO_REQUEST);
	off = put_eth(f, 0x0800);
	off += put_ipv4(f + off, PW_CT_PROTO_ICMP, 0x0a0000feu, A, 20 + 8 + 20 + 8);
	memset(f + off, 0, 8);
	f[off] = 11;
	off += 8;
	off += put_ipv4(f + off, PW_CT_PROTO_ICMP, A, B, 84);
	memset(f + off, 0, 8);
	f[off] = 8;
	f[off + 5] = 7;
	off += 8;
	assert_int_equal(pw_parse_pkt(f, (uint16_t)off, &m), PW_PARSE_OK);
	assert_true(pw_ct_icmp_inner(f, &m, &k, &ab));
	assert_memory_equal(&k, &fk, sizeof(k));
	/* An error quoting an error is never related. */
	f[off - 8] = 3;
	assert_false(pw_ct_icmp_inner(f, &m, &k, &ab));

	/* ICMPv6 packet too big from fd00::2 to fd00::1 quoting fd00::1:40000 -> fd00::2:80. */
	off = put_eth(f, 0x86dd);
	memset(f + off, 0, 40);
	f[off] = 0x60;
	f[off + 5] = 8 + 40 + 8;
	f[off + 6] = PW_CT_PROTO_ICMPV6;
	f[off + 7] = 64;
	f[off + 8] = 0xfd;
	f[off + 23] = 2;
	f[off + 24] = 0xfd;
	f[off + 39] = 1;
	off += 40;
	memset(f + off, 0, 8);
	f[off] = 2;
	off += 8;
	memset(f + off, 0, 40);
	f[off] = 0x60;
	f[off + 6] = PW_CT_PROTO_TCP;
	f[off + 8] = 0xfd;
	f[off + 23] = 1;
	f[off + 24] = 0xfd;
	f[off + 39] = 2;
	off += 40;
	l4 = off;
	memset(f + off, 0, 8);
	f[l4] = 40000 >> 8;
	f[l4 + 1] = 40000 & 0xff;
	f[l4 + 3] = 80;
	off += 8;
	assert_int_equal(pw_parse_pkt(f, (uint16_t)off, &m), PW_PARSE_OK);
	assert_int_equal(pw_ct_key_build(&m, &k, &ab), PW_CT_KIND_ICMP_ERROR);
	assert_true(pw_ct_icmp_inner(f, &m, &k, &ab));
	memset(&q, 0, sizeof(q));
	q.l3 = PW_L3_IPV6;
	q.proto = PW_CT_PROTO_TCP;
	q.src.b[0] = q.dst.b[0] = 0xfd;
	q.src.b[15] = 1;
	q.dst.b[15] = 2;
	q.sport = 40000;
	q.dport = 80;
	assert_int_equal(pw_ct_key_build(&q, &fk, &fab), PW_CT_KIND_FLOW);
	assert_memory_equal(&k, &fk, sizeof(k));
	assert_true(ab == fab);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_both_directions),
		cmocka_unit_test(test_key_icmp),
		cmocka_unit_test(test_orig_meta),
		cmocka_unit_test(test_tcp_states),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_icmp_error_inner_v4),
		cmocka_unit_test(test_icmp_error_inner_echo_and_v6),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
