/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/ct_state.h"

#include <stddef.h>
#include <string.h>

/* Both ICMP error formats put the quoted packet 8 bytes into the message. */
#define ICMP_ERR_HLEN 8
#define IPV4_MIN_HLEN 20
#define IPV6_HLEN 40
#define IPV4_OFF_MASK 0x1fff

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

bool
pw_ct_icmp_inner(
	const uint8_t *frame, const struct pw_pkt_meta *m, struct pw_ct_key *k, bool *ret_ab)
{
	uint32_t off = (uint32_t)m->l4_off + ICMP_ERR_HLEN;
	uint32_t end = (uint32_t)m->l3_off + m->l3_len;
	bool v6 = m->l3 == PW_L3_IPV6;
	struct pw_pkt_meta im;
	const uint8_t *h, *l4;
	uint32_t avail, l4avail, hlen;
	enum pw_ct_kind kind;

	if (frame == NULL || m->l4_off == 0 || off >= end)
		return false;
	h = frame + off;
	avail = end - off;
	memset(&im, 0, sizeof(im));
	im.l3 = m->l3;
	if (!v6) {
		if (avail < IPV4_MIN_HLEN || (h[0] >> 4) != 4)
			return false;
		hlen = (uint32_t)(h[0] & 0x0f) * 4;
		/* A quoted later fragment has no transport header to find the flow by. */
		if (hlen < IPV4_MIN_HLEN || hlen > avail || (rd16(h + 6) & IPV4_OFF_MASK) != 0)
			return false;
		im.proto = h[9];
		memcpy(&im.src.v4, h + 12, 4);
		memcpy(&im.dst.v4, h + 16, 4);
	} else {
		/* Extension headers in the quote are not walked: such errors stay unrelated. */
		if (avail < IPV6_HLEN || (h[0] >> 4) != 6)
			return false;
		hlen = IPV6_HLEN;
		im.proto = h[6];
		memcpy(im.src.b, h + 8, 16);
		memcpy(im.dst.b, h + 24, 16);
	}
	l4 = h + hlen;
	l4avail = avail - hlen;
	if (pw_ct_has_ports(im.proto)) {
		if (l4avail < 4)
			return false;
		im.sport = rd16(l4);
		im.dport = rd16(l4 + 2);
	} else if (pw_ct_is_icmp(v6, im.proto)) {
		/* Errors about errors are never related (RFC 1122 3.2.2, RFC 4443 2.4). */
		if (l4avail < 8 || pw_ct_is_icmp_error(v6, l4[0]))
			return false;
		im.icmp_type = l4[0];
		im.sport = rd16(l4 + 4);
	}
	kind = pw_ct_key_build(&im, k, ret_ab);
	if (kind != PW_CT_KIND_FLOW && kind != PW_CT_KIND_ECHO_REQUEST &&
		kind != PW_CT_KIND_ECHO_REPLY)
		return false;
	return memcmp(m->dst.b, im.src.b, sizeof(im.src.b)) == 0;
}

void
pw_ct_orig_meta(const struct pw_ct_key *k, bool orig_ab, struct pw_pkt_meta *ret)
{
	bool v6 = (k->kflags & PW_CT_KEY_V6) != 0;

	memset(ret, 0, sizeof(*ret));
	ret->l3 = v6 ? PW_L3_IPV6 : PW_L3_IPV4;
	ret->proto = k->proto;
	ret->src = orig_ab ? k->a : k->b;
	ret->dst = orig_ab ? k->b : k->a;
	ret->sport = orig_ab ? k->pa : k->pb;
	ret->dport = orig_ab ? k->pb : k->pa;
	if ((k->kflags & PW_CT_KEY_ECHO) != 0)
		ret->icmp_type = v6 ? PW_CT_ICMPV6_ECHO_REQUEST : PW_CT_ICMP_ECHO_REQUEST;
}

enum pw_ct_state
pw_ct_tcp_next(enum pw_ct_state st, bool reply, uint8_t tcp_flags)
{
	bool syn = (tcp_flags & PW_TCP_SYN) != 0;
	bool ack = (tcp_flags & PW_TCP_ACK) != 0;
	bool fin = (tcp_flags & PW_TCP_FIN) != 0;

	if ((tcp_flags & PW_TCP_RST) != 0)
		return PW_CT_ST_TCP_CLOSED;
	switch (st) {
	case PW_CT_ST_TCP_SYN_SENT:
		/* A SYN-ACK, or a SYN (simultaneous open), from the responder. */
		if (reply && syn)
			return PW_CT_ST_TCP_SYN_RECV;
		return st;
	case PW_CT_ST_TCP_SYN_RECV:
		if (fin)
			return reply ? PW_CT_ST_TCP_CLOSE_WAIT : PW_CT_ST_TCP_FIN_WAIT;
		/* The originator's ACK of the SYN-ACK completes the handshake. */
		if (!reply && ack && !syn)
			return PW_CT_ST_TCP_ESTABLISHED;
		return st;
	case PW_CT_ST_TCP_ESTABLISHED:
		if (fin)
			return reply ? PW_CT_ST_TCP_CLOSE_WAIT : PW_CT_ST_TCP_FIN_WAIT;
		return st;
	case PW_CT_ST_TCP_FIN_WAIT:
		return fin && reply ? PW_CT_ST_TCP_LAST_ACK : st;
	case PW_CT_ST_TCP_CLOSE_WAIT:
		return fin && !reply ? PW_CT_ST_TCP_LAST_ACK : st;
	case PW_CT_ST_TCP_LAST_ACK:
		/* Both FINs seen: the next bare ACK acknowledges the last one. */
		return ack && !fin && !syn ? PW_CT_ST_TCP_TIME_WAIT : st;
	case PW_CT_ST_TCP_TIME_WAIT:
	case PW_CT_ST_TCP_CLOSED:
		return st;
	default:
		/* A TCP flow never holds a non-TCP state; restart from what this packet says. */
		return pw_ct_tcp_initial(tcp_flags);
	}
}

static const char *const state_names[PW_CT_ST_MAX] = {
#define PW_CT_ST_NAME_(name, str) [PW_CT_ST_##name] = str,
	PW_CT_STATES(PW_CT_ST_NAME_)
#undef PW_CT_ST_NAME_
};

const char *
pw_ct_state_name(uint8_t st)
{
	return st < PW_CT_ST_MAX ? state_names[st] : "unknown";
}

const char *
pw_ct_timeout_name(enum pw_ct_timeout_class c)
{
	static const char *const names[PW_CT_TO_MAX] = {
		[PW_CT_TO_TCP_SYN] = "tcp_syn",
		[PW_CT_TO_TCP_ESTABLISHED] = "tcp_established",
		[PW_CT_TO_TCP_FIN] = "tcp_fin",
		[PW_CT_TO_TCP_CLOSED] = "tcp_closed",
		[PW_CT_TO_UDP] = "udp",
		[PW_CT_TO_SCTP] = "sctp",
		[PW_CT_TO_ICMP] = "icmp",
		[PW_CT_TO_OTHER] = "other",
	};

	return (unsigned int)c < PW_CT_TO_MAX ? names[c] : "unknown";
}

void
pw_ct_timeouts_default(struct pw_ct_timeouts *t)
{
	t->ms[PW_CT_TO_TCP_SYN] = 30 * 1000;
	t->ms[PW_CT_TO_TCP_ESTABLISHED] = 86400u * 1000;
	t->ms[PW_CT_TO_TCP_FIN] = 30 * 1000;
	t->ms[PW_CT_TO_TCP_CLOSED] = 10 * 1000;
	t->ms[PW_CT_TO_UDP] = 60 * 1000;
	t->ms[PW_CT_TO_SCTP] = 60 * 1000;
	t->ms[PW_CT_TO_ICMP] = 30 * 1000;
	t->ms[PW_CT_TO_OTHER] = 60 * 1000;
}
