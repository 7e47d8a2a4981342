/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The DPDK-free half of connection tracking: flow keys, the TCP state machine, idle timeouts
 * and the reading of the packet an ICMP error quotes. Pure functions over their arguments (no
 * clock: callers pass the time), so unit tests and fuzzers need no EAL and can warp time.
 *
 * Keys. Both directions of a flow have one key: the two (address, port) ends are stored in
 * ascending order, and the packet's direction relative to the key is returned beside it.
 * ICMP and ICMPv6 echo are the exception: the key keeps the requester in @c a and the
 * responder in @c b with the echo identifier as @c pa, so a request from b to a with the same
 * identifier is a different flow, and only an echo reply travels "b to a" on it.
 *
 * Untracked packets are decided statelessly by the policy, every packet, and make no entry:
 * non-first fragments (no ports to find their flow by; reassemble upstream if their replies
 * matter), ICMP messages that are neither echo nor errors (neighbour discovery, router
 * advertisements, timestamps), and echo replies that match no request.
 */
#ifndef PW_CT_STATE_H
#define PW_CT_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "podwall/pw_pkt.h"

#define PW_CT_PROTO_ICMP 1
#define PW_CT_PROTO_TCP 6
#define PW_CT_PROTO_UDP 17
#define PW_CT_PROTO_ICMPV6 58
#define PW_CT_PROTO_SCTP 132

/* ICMP and ICMPv6 types that connection tracking reads. */
#define PW_CT_ICMP_ECHO_REPLY 0
#define PW_CT_ICMP_UNREACH 3
#define PW_CT_ICMP_SOURCE_QUENCH 4
#define PW_CT_ICMP_REDIRECT 5
#define PW_CT_ICMP_ECHO_REQUEST 8
#define PW_CT_ICMP_TIME_EXCEEDED 11
#define PW_CT_ICMP_PARAM_PROBLEM 12
#define PW_CT_ICMPV6_UNREACH 1
#define PW_CT_ICMPV6_PKT_TOO_BIG 2
#define PW_CT_ICMPV6_TIME_EXCEEDED 3
#define PW_CT_ICMPV6_PARAM_PROBLEM 4
#define PW_CT_ICMPV6_ECHO_REQUEST 128
#define PW_CT_ICMPV6_ECHO_REPLY 129

/** pw_ct_key.kflags */
#define PW_CT_KEY_V6 0x01   /**< IPv6 addresses (else IPv4 in the first 4 bytes) */
#define PW_CT_KEY_ECHO 0x02 /**< ICMP(v6) echo: a is the requester, pa the identifier */

/** A flow's key: 40 bytes, padding zero, compared as five 64-bit words. */
struct pw_ct_key {
	union pw_addr a;
	union pw_addr b;
	uint16_t pa; /**< port at a, host order (echo: the identifier) */
	uint16_t pb; /**< port at b (echo: 0) */
	uint8_t proto;
	uint8_t kflags; /**< PW_CT_KEY_* */
	uint8_t pad[2];
};

/** What a packet is to connection tracking. */
enum pw_ct_kind {
	PW_CT_KIND_UNTRACKED = 0, /**< decided statelessly, no entry */
	PW_CT_KIND_FLOW,	  /**< TCP, UDP, SCTP, any other IP protocol: a key */
	PW_CT_KIND_ECHO_REQUEST,  /**< a key, from a to b */
	PW_CT_KIND_ECHO_REPLY,	  /**< a key, from b to a; never creates an entry */
	PW_CT_KIND_ICMP_ERROR,	  /**< related to the flow it quotes (pw_ct_icmp_inner()) */
};

/**
 * Flow states. TCP follows the handshake and the close (simplified from Linux's
 * nf_conntrack_proto_tcp.c: no sequence-number windows); every other protocol is
 * PW_CT_ST_ACTIVE. CLOSE_WAIT means the responder sent the first FIN.
 */
#define PW_CT_STATES(_)                   \
	_(ACTIVE, "active")               \
	_(TCP_SYN_SENT, "syn_sent")       \
	_(TCP_SYN_RECV, "syn_recv")       \
	_(TCP_ESTABLISHED, "established") \
	_(TCP_FIN_WAIT, "fin_wait")       \
	_(TCP_CLOSE_WAIT, "close_wait")   \
	_(TCP_LAST_ACK, "last_ack")       \
	_(TCP_TIME_WAIT, "time_wait")     \
	_(TCP_CLOSED, "closed")

enum pw_ct_state {
#define PW_CT_ST_ENUM_(name, str) PW_CT_ST_##name,
	PW_CT_STATES(PW_CT_ST_ENUM_)
#undef PW_CT_ST_ENUM_
	PW_CT_ST_MAX
};

/** Timeout classes, in the order of the configuration's conntrack.timeouts. */
enum pw_ct_timeout_class {
	PW_CT_TO_TCP_SYN = 0,
	PW_CT_TO_TCP_ESTABLISHED,
	PW_CT_TO_TCP_FIN,
	PW_CT_TO_TCP_CLOSED,
	PW_CT_TO_UDP,
	PW_CT_TO_SCTP,
	PW_CT_TO_ICMP,
	PW_CT_TO_OTHER,
	PW_CT_TO_MAX
};

/** Idle timeouts in milliseconds, by class; each below 2^31 (time stamps wrap at 2^32). */
struct pw_ct_timeouts {
	uint32_t ms[PW_CT_TO_MAX];
};

/** TCP flag bits as in the header's 14th byte. */
#define PW_TCP_FIN 0x01
#define PW_TCP_SYN 0x02
#define PW_TCP_RST 0x04
#define PW_TCP_ACK 0x10

static inline bool
pw_ct_has_ports(uint8_t proto)
{
	return proto == PW_CT_PROTO_TCP || proto == PW_CT_PROTO_UDP || proto == PW_CT_PROTO_SCTP;
}

static inline bool
pw_ct_is_icmp(bool v6, uint8_t proto)
{
	return v6 ? proto == PW_CT_PROTO_ICMPV6 : proto == PW_CT_PROTO_ICMP;
}

static inline bool
pw_ct_is_icmp_error(bool v6, uint8_t type)
{
	if (v6)
		return type == PW_CT_ICMPV6_UNREACH || type == PW_CT_ICMPV6_PKT_TOO_BIG ||
			type == PW_CT_ICMPV6_TIME_EXCEEDED || type == PW_CT_ICMPV6_PARAM_PROBLEM;
	return type == PW_CT_ICMP_UNREACH || type == PW_CT_ICMP_SOURCE_QUENCH ||
		type == PW_CT_ICMP_REDIRECT || type == PW_CT_ICMP_TIME_EXCEEDED ||
		type == PW_CT_ICMP_PARAM_PROBLEM;
}

/* The key's ends in ascending (address, port) order, so both directions meet. Any total
 * order does: the addresses compare as two native 64-bit words, not byte by byte. */
static inline void
pw_ct_set_ends(struct pw_ct_key *k, const union pw_addr *src, uint16_t sport,
	const union pw_addr *dst, uint16_t dport, bool *ret_ab)
{
	bool ab;

	if (src->q[0] != dst->q[0])
		ab = src->q[0] < dst->q[0];
	else if (src->q[1] != dst->q[1])
		ab = src->q[1] < dst->q[1];
	else
		ab = sport <= dport;

	if (ab) {
		k->a = *src;
		k->b = *dst;
		k->pa = sport;
		k->pb = dport;
	} else {
		k->a = *dst;
		k->b = *src;
		k->pa = dport;
		k->pb = sport;
	}
	*ret_ab = ab;
}

/**
 * The key of an IP packet the parser read fully (@p m->l3 IPv4 or IPv6). Inline: once per
 * packet on the fast path.
 * @param ret_ab  true when the packet travels from key.a to key.b
 * @return its kind; for PW_CT_KIND_UNTRACKED and PW_CT_KIND_ICMP_ERROR @p k is not set
 */
static inline enum pw_ct_kind
pw_ct_key_build(const struct pw_pkt_meta *m, struct pw_ct_key *k, bool *ret_ab)
{
	bool v6 = m->l3 == PW_L3_IPV6;

	if ((m->flags & PW_PKT_F_FRAG_LATER) != 0)
		return PW_CT_KIND_UNTRACKED;
	k->proto = m->proto;
	k->kflags = v6 ? PW_CT_KEY_V6 : 0;
	k->pad[0] = 0;
	k->pad[1] = 0;
	if (pw_ct_is_icmp(v6, m->proto)) {
		uint8_t t = m->icmp_type;

		if (t == (v6 ? PW_CT_ICMPV6_ECHO_REQUEST : PW_CT_ICMP_ECHO_REQUEST) ||
			t == (v6 ? PW_CT_ICMPV6_ECHO_REPLY : PW_CT_ICMP_ECHO_REPLY)) {
			bool request =
				t == (v6 ? PW_CT_ICMPV6_ECHO_REQUEST : PW_CT_ICMP_ECHO_REQUEST);

			k->kflags |= PW_CT_KEY_ECHO;
			k->a = request ? m->src : m->dst;
			k->b = request ? m->dst : m->src;
			k->pa = m->sport;
			k->pb = 0;
			*ret_ab = request;
			return request ? PW_CT_KIND_ECHO_REQUEST : PW_CT_KIND_ECHO_REPLY;
		}
		return pw_ct_is_icmp_error(v6, t) ? PW_CT_KIND_ICMP_ERROR : PW_CT_KIND_UNTRACKED;
	}
	if (pw_ct_has_ports(m->proto))
		pw_ct_set_ends(k, &m->src, m->sport, &m->dst, m->dport, ret_ab);
	else
		pw_ct_set_ends(k, &m->src, 0, &m->dst, 0, ret_ab);
	return PW_CT_KIND_FLOW;
}

/**
 * The key of the packet that an ICMP or ICMPv6 error quotes (its IP header and first 8
 * bytes of transport header), and whether that packet travelled from key.a to key.b.
 * Only errors sent back to the quoted packet's source are related: the error's destination
 * must be the quoted source.
 * @param frame  the frame that @p m was parsed from (the error lies within l3_off + l3_len)
 * @return true if @p k is set
 */
bool pw_ct_icmp_inner(
	const uint8_t *frame, const struct pw_pkt_meta *m, struct pw_ct_key *k, bool *ret_ab);

/**
 * The meta of a packet travelling from the flow's originator (@p orig_ab: from key.a to
 * key.b) as the classifier needs it: family, addresses, protocol and ports.
 */
void pw_ct_orig_meta(const struct pw_ct_key *k, bool orig_ab, struct pw_pkt_meta *ret);

/** Whether a packet with these TCP flags may open a flow (no RST). */
static inline bool
pw_ct_tcp_may_create(uint8_t tcp_flags)
{
	return (tcp_flags & PW_TCP_RST) == 0;
}

/** A pure SYN: opens a connection (a new one, on a closed entry). */
static inline bool
pw_ct_tcp_is_syn(uint8_t tcp_flags)
{
	return (tcp_flags & (PW_TCP_SYN | PW_TCP_ACK | PW_TCP_RST)) == PW_TCP_SYN;
}

/**
 * State of a new TCP flow whose first packet has @p tcp_flags: SYN_SENT for a SYN, SYN_RECV
 * for a SYN-ACK, FIN_WAIT for a FIN, ESTABLISHED for anything else (a connection picked up
 * mid-stream, after a restart). Callers do not create flows on a RST.
 */
static inline enum pw_ct_state
pw_ct_tcp_initial(uint8_t tcp_flags)
{
	if ((tcp_flags & (PW_TCP_SYN | PW_TCP_ACK)) == PW_TCP_SYN)
		return PW_CT_ST_TCP_SYN_SENT;
	if ((tcp_flags & (PW_TCP_SYN | PW_TCP_ACK)) == (PW_TCP_SYN | PW_TCP_ACK))
		return PW_CT_ST_TCP_SYN_RECV;
	if ((tcp_flags & PW_TCP_FIN) != 0)
		return PW_CT_ST_TCP_FIN_WAIT;
	return PW_CT_ST_TCP_ESTABLISHED;
}

/**
 * The next TCP state after a packet with @p tcp_flags, from the originator (@p reply false)
 * or the responder. RST closes from any state.
 */
enum pw_ct_state pw_ct_tcp_next(enum pw_ct_state st, bool reply, uint8_t tcp_flags);

/** Whether a flow in state @p st may be replaced by a new connection (TIME_WAIT, CLOSED). */
static inline bool
pw_ct_state_closed(uint8_t st)
{
	return st == PW_CT_ST_TCP_TIME_WAIT || st == PW_CT_ST_TCP_CLOSED;
}

/** The timeout class of a flow of protocol @p proto in state @p st. Branch-light: once per
 * new flow on the fast path. */
static inline enum pw_ct_timeout_class
pw_ct_timeout_class(uint8_t proto, uint8_t st)
{
	/* TCP by state; a state out of range (never a TCP flow's) as established. */
	static const uint8_t tcp[PW_CT_ST_MAX] = {
		[PW_CT_ST_ACTIVE] = PW_CT_TO_TCP_ESTABLISHED,
		[PW_CT_ST_TCP_SYN_SENT] = PW_CT_TO_TCP_SYN,
		[PW_CT_ST_TCP_SYN_RECV] = PW_CT_TO_TCP_SYN,
		[PW_CT_ST_TCP_ESTABLISHED] = PW_CT_TO_TCP_ESTABLISHED,
		[PW_CT_ST_TCP_FIN_WAIT] = PW_CT_TO_TCP_FIN,
		[PW_CT_ST_TCP_CLOSE_WAIT] = PW_CT_TO_TCP_FIN,
		[PW_CT_ST_TCP_LAST_ACK] = PW_CT_TO_TCP_FIN,
		[PW_CT_ST_TCP_TIME_WAIT] = PW_CT_TO_TCP_CLOSED,
		[PW_CT_ST_TCP_CLOSED] = PW_CT_TO_TCP_CLOSED,
	};

	if (proto == PW_CT_PROTO_TCP)
		return st < PW_CT_ST_MAX ? (enum pw_ct_timeout_class)tcp[st] :
					   PW_CT_TO_TCP_ESTABLISHED;
	if (proto == PW_CT_PROTO_UDP)
		return PW_CT_TO_UDP;
	if (proto == PW_CT_PROTO_SCTP)
		return PW_CT_TO_SCTP;
	if (proto == PW_CT_PROTO_ICMP || proto == PW_CT_PROTO_ICMPV6)
		return PW_CT_TO_ICMP;
	return PW_CT_TO_OTHER;
}

/** Whether a flow last seen at @p last_ms has timed out at @p now_ms (wrap-safe). */
static inline bool
pw_ct_expired(const struct pw_ct_timeouts *t, uint8_t proto, uint8_t st, uint32_t last_ms,
	uint32_t now_ms)
{
	return (uint32_t)(now_ms - last_ms) > t->ms[pw_ct_timeout_class(proto, st)];
}

/** Lower-case name of a state ("established"); "unknown" when out of range. */
const char *pw_ct_state_name(uint8_t st);

/** Configuration name of a timeout class ("tcp_syn"). */
const char *pw_ct_timeout_name(enum pw_ct_timeout_class c);

/** Linux-like defaults (config/README.md): 30 s SYN, 1 day established, ... */
void pw_ct_timeouts_default(struct pw_ct_timeouts *t);

#endif /* PW_CT_STATE_H */
