/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/parse.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/*
 * Wire constants. They are spelled out here rather than taken from <net/ethernet.h> or
 * <netinet/in.h> so that the parser depends on nothing but libc's string functions.
 */
#define ETH_HLEN 14
#define VLAN_HLEN 4
#define MAX_VLANS 2

#define ETYPE_IPV4 0x0800
#define ETYPE_ARP 0x0806
#define ETYPE_VLAN 0x8100
#define ETYPE_QINQ 0x88a8
#define ETYPE_QINQ_OLD 0x9100
#define ETYPE_IPV6 0x86dd

#define ARP_LEN 28
#define ARP_HTYPE_ETH 1

#define IPV4_MIN_HLEN 20
#define IPV4_OFF_MASK 0x1fff
#define IPV4_MF 0x2000
#define IPV4_MAX_DATAGRAM 65535u

#define IPV6_HLEN 40
#define IPV6_EXT_MIN_LEN 8
#define IPV6_FRAG_LEN 8
#define IPV6_FRAG_OFF_MASK 0xfff8
#define IPV6_FRAG_M 0x0001
#define IPV6_MAX_EXT 8

#define PROTO_HOPOPTS 0
#define PROTO_ICMP 1
#define PROTO_TCP 6
#define PROTO_UDP 17
#define PROTO_ROUTING 43
#define PROTO_FRAGMENT 44
#define PROTO_AH 51
#define PROTO_ICMPV6 58
#define PROTO_NONE 59
#define PROTO_DSTOPTS 60
#define PROTO_SCTP 132
#define PROTO_MOBILITY 135

#define TCP_MIN_HLEN 20
#define UDP_HLEN 8
#define SCTP_HLEN 12
#define ICMP_HLEN 8
#define ICMPV6_HLEN 4
#define ICMPV6_ECHO_HLEN 8

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMPV6_ECHO_REQUEST 128
#define ICMPV6_ECHO_REPLY 129

/*
 * Frames sit at any alignment inside an mbuf, so multi-byte fields are assembled from bytes:
 * this is alignment-safe, needs no byte swap, and compiles to a load plus bswap on x86.
 */
static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)((unsigned int)p[0] << 8 | p[1]);
}

static bool
is_vlan_tpid(uint16_t et)
{
	/* 0x9100 is the pre-802.1ad QinQ TPID some switches still send as the outer tag. */
	return et == ETYPE_VLAN || et == ETYPE_QINQ || et == ETYPE_QINQ_OLD;
}

static bool
is_ipv6_ext(uint8_t nh)
{
	switch (nh) {
	case PROTO_HOPOPTS:
	case PROTO_ROUTING:
	case PROTO_FRAGMENT:
	case PROTO_DSTOPTS:
	case PROTO_AH:
	case PROTO_MOBILITY:
		return true;
	default:
		return false;
	}
}

/*
 * Reads the transport header at 'off', bounded by 'end' (the end of the IP datagram, never
 * the end of the frame, so Ethernet padding is not mistaken for payload).
 */
static enum pw_parse_result
parse_l4(const uint8_t *data, uint32_t off, uint32_t end, bool is_v6, struct pw_pkt_meta *ret)
{
	const uint8_t *h = data + off;
	uint32_t avail = end - off;
	uint32_t hlen;
	uint16_t ulen;

	ret->l4_off = (uint16_t)off;
	switch (ret->proto) {
	case PROTO_TCP:
		if (avail < TCP_MIN_HLEN)
			return PW_PARSE_TRUNC_TCP;
		ret->sport = rd16(h);
		ret->dport = rd16(h + 2);
		ret->tcp_flags = h[13];
		hlen = (uint32_t)(h[12] >> 4) * 4;
		if (hlen < TCP_MIN_HLEN || hlen > avail)
			return PW_PARSE_BAD_TCP_DOFF;
		return PW_PARSE_OK;
	case PROTO_UDP:
		if (avail < UDP_HLEN)
			return PW_PARSE_TRUNC_UDP;
		ret->sport = rd16(h);
		ret->dport = rd16(h + 2);
		ulen = rd16(h + 4);
		/*
		 * The UDP length covers the whole datagram, of which a first fragment holds only
		 * the start: there it can only be checked against the header size. Length 0
		 * means a jumbogram (RFC 2675), which the IPv6 parser has already refused.
		 */
		if (ulen < UDP_HLEN)
			return PW_PARSE_BAD_UDP_LEN;
		if (ulen > avail && !(ret->flags & PW_PKT_F_FRAG_FIRST))
			return PW_PARSE_BAD_UDP_LEN;
		return PW_PARSE_OK;
	case PROTO_SCTP:
		if (avail < SCTP_HLEN)
			return PW_PARSE_TRUNC_SCTP;
		ret->sport = rd16(h);
		ret->dport = rd16(h + 2);
		return PW_PARSE_OK;
	default:
		break;
	}

	/*
	 * ICMP numbers are only meaningful in their own family: ICMPv6 in IPv4, or ICMP in IPv6,
	 * is some unknown protocol to the receiver, so it is one here too.
	 */
	if (ret->proto == PROTO_ICMP && !is_v6) {
		if (avail < ICMP_HLEN)
			return PW_PARSE_TRUNC_ICMP;
		ret->icmp_type = h[0];
		ret->icmp_code = h[1];
		if (h[0] == ICMP_ECHO_REQUEST || h[0] == ICMP_ECHO_REPLY)
			ret->sport = rd16(h + 4);
		return PW_PARSE_OK;
	}
	if (ret->proto == PROTO_ICMPV6 && is_v6) {
		/*
		 * RFC 4443 fixes only type, code and checksum (4 bytes); the body depends on the
		 * type. Echo is the one type whose body we read, so only echo needs 8 bytes.
		 */
		if (avail < ICMPV6_HLEN)
			return PW_PARSE_TRUNC_ICMPV6;
		ret->icmp_type = h[0];
		ret->icmp_code = h[1];
		if (h[0] == ICMPV6_ECHO_REQUEST || h[0] == ICMPV6_ECHO_REPLY) {
			if (avail < ICMPV6_ECHO_HLEN)
				return PW_PARSE_TRUNC_ICMPV6;
			ret->sport = rd16(h + 4);
		}
		return PW_PARSE_OK;
	}
	/* GRE, ESP, ...: the header is there but has no ports for a policy to match. */
	ret->flags |= PW_PKT_F_L4_UNKNOWN;
	return PW_PARSE_OK;
}

static enum pw_parse_result
parse_ipv4(const uint8_t *data, uint32_t off, uint32_t len, struct pw_pkt_meta *ret)
{
	const uint8_t *h = data + off;
	uint32_t avail = len - off;
	uint32_t hlen, totlen, frag_off;
	uint16_t frag;

	ret->l3 = PW_L3_IPV4;
	if (avail < IPV4_MIN_HLEN)
		return PW_PARSE_TRUNC_IPV4;
	if ((h[0] >> 4) != 4)
		return PW_PARSE_BAD_IPV4_VERSION;
	ret->ttl = h[8];
	ret->proto = h[9];
	memcpy(&ret->src.v4, h + 12, 4);
	memcpy(&ret->dst.v4, h + 16, 4);

	hlen = (uint32_t)(h[0] & 0x0f) * 4;
	if (hlen < IPV4_MIN_HLEN || hlen > avail)
		return PW_PARSE_BAD_IPV4_IHL;
	totlen = rd16(h + 2);
	if (totlen < hlen || totlen > avail)
		return PW_PARSE_BAD_IPV4_TOTLEN;
	ret->l3_len = (uint16_t)totlen;
	if (hlen > IPV4_MIN_HLEN)
		ret->flags |= PW_PKT_F_IPV4_OPTS;

	frag = rd16(h + 6);
	frag_off = (uint32_t)(frag & IPV4_OFF_MASK) * 8;
	/* A fragment that would reassemble past 64 KiB is the "ping of death" (CVE-1999-0128). */
	if (frag_off + (totlen - hlen) > IPV4_MAX_DATAGRAM)
		return PW_PARSE_BAD_IPV4_FRAG;
	if (frag_off != 0) {
		/* Only the first fragment carries the transport header; ports stay 0. */
		ret->flags |= PW_PKT_F_FRAG_LATER;
		return PW_PARSE_OK;
	}
	if (frag & IPV4_MF)
		ret->flags |= PW_PKT_F_FRAG_FIRST;
	return parse_l4(data, off + hlen, off + totlen, false, ret);
}

static enum pw_parse_result
parse_ipv6(const uint8_t *data, uint32_t off, uint32_t len, struct pw_pkt_meta *ret)
{
	const uint8_t *h = data + off;
	uint32_t avail = len - off;
	uint32_t paylen, end, ehlen;
	unsigned int nb_ext;
	uint16_t frag;
	uint8_t nh;

	ret->l3 = PW_L3_IPV6;
	if (avail < IPV6_HLEN)
		return PW_PARSE_TRUNC_IPV6;
	if ((h[0] >> 4) != 6)
		return PW_PARSE_BAD_IPV6_VERSION;
	ret->proto = h[6];
	ret->ttl = h[7];
	memcpy(ret->src.b, h + 8, 16);
	memcpy(ret->dst.b, h + 24, 16);

	/* Payload length 0 announces a jumbogram (RFC 2675); no podwall port carries one. */
	paylen = rd16(h + 4);
	if (paylen == 0 || paylen > avail - IPV6_HLEN)
		return PW_PARSE_BAD_IPV6_PAYLEN;
	/* Fits: 40 + paylen <= len - off <= 65535. */
	ret->l3_len = (uint16_t)(IPV6_HLEN + paylen);

	end = off + IPV6_HLEN + paylen;
	off += IPV6_HLEN;
	nh = h[6];
	/*
	 * Walk the extension chain to the transport header. The cap bounds the work an attacker
	 * can make us do per packet; real traffic carries one or two headers.
	 */
	for (nb_ext = 0; is_ipv6_ext(nh); nb_ext++) {
		const uint8_t *e = data + off;

		if (nb_ext == IPV6_MAX_EXT)
			return PW_PARSE_TOO_MANY_IPV6_EXT;
		/* Every extension header is at least 8 bytes, AH included ((0 + 2) * 4). */
		if (end - off < IPV6_EXT_MIN_LEN)
			return PW_PARSE_TRUNC_IPV6_EXT;
		ret->flags |= PW_PKT_F_IPV6_EXT;
		if (nh == PROTO_FRAGMENT) {
			frag = rd16(e + 2);
			ret->proto = e[0];
			if (frag & IPV6_FRAG_OFF_MASK) {
				/*
				 * RFC 8200 allows one fragment header, but a crafted chain can
				 * nest a later fragment inside a first one: what follows is
				 * still not a transport header, so it is a later fragment only.
				 */
				ret->flags &= (uint8_t)~PW_PKT_F_FRAG_FIRST;
				ret->flags |= PW_PKT_F_FRAG_LATER;
				return PW_PARSE_OK;
			}
			/* M clear with offset 0 is an atomic fragment (RFC 6946): a whole datagram. */
			if (frag & IPV6_FRAG_M)
				ret->flags |= PW_PKT_F_FRAG_FIRST;
			ehlen = IPV6_FRAG_LEN;
		} else if (nh == PROTO_AH) {
			ehlen = ((uint32_t)e[1] + 2) * 4;
		} else {
			ehlen = ((uint32_t)e[1] + 1) * 8;
		}
		if (ehlen > end - off)
			return PW_PARSE_TRUNC_IPV6_EXT;
		nh = e[0];
		ret->proto = nh;
		off += ehlen;
	}
	if (nh == PROTO_NONE)
		return PW_PARSE_OK;
	return parse_l4(data, off, end, true, ret);
}

static enum pw_parse_result
parse_arp(const uint8_t *data, uint32_t off, uint32_t len, struct pw_pkt_meta *ret)
{
	const uint8_t *h = data + off;

	ret->l3 = PW_L3_ARP;
	if (len - off < ARP_LEN)
		return PW_PARSE_TRUNC_ARP;
	/*
	 * Addresses are only meaningful for IPv4 over Ethernet; anything else is passed on
	 * without them and left to the forwarder.
	 */
	if (rd16(h) == ARP_HTYPE_ETH && rd16(h + 2) == ETYPE_IPV4 && h[4] == 6 && h[5] == 4) {
		memcpy(&ret->src.v4, h + 14, 4);
		memcpy(&ret->dst.v4, h + 24, 4);
	}
	return PW_PARSE_OK;
}

enum pw_parse_result
pw_parse_pkt(const uint8_t *data, uint16_t len, struct pw_pkt_meta *ret)
{
	uint32_t off = ETH_HLEN;
	uint16_t et;

	memset(ret, 0, sizeof(*ret));
	if (len < ETH_HLEN)
		return PW_PARSE_TRUNC_ETH;
	et = rd16(data + 12);
	/*
	 * Any of the three TPIDs is accepted at either depth: skipping a tag is harmless, while
	 * refusing to look inside one would let tagged IP traffic skip policy as "other".
	 */
	while (is_vlan_tpid(et)) {
		if (ret->nb_vlans == MAX_VLANS)
			return PW_PARSE_TOO_MANY_VLANS;
		if (len - off < VLAN_HLEN)
			return PW_PARSE_TRUNC_VLAN;
		ret->vlan_tci[ret->nb_vlans++] = rd16(data + off);
		et = rd16(data + off + 2);
		off += VLAN_HLEN;
	}
	ret->ether_type = et;
	ret->l3_off = (uint16_t)off;

	switch (et) {
	case ETYPE_IPV4:
		return parse_ipv4(data, off, len, ret);
	case ETYPE_IPV6:
		return parse_ipv6(data, off, len, ret);
	case ETYPE_ARP:
		return parse_arp(data, off, len, ret);
	default:
		/* LLDP, 802.3 length fields, ...: the forwarder decides. */
		ret->l3 = PW_L3_OTHER;
		return PW_PARSE_OK;
	}
}

/*
 * Lower-case names cannot be derived from the X-macro by the preprocessor, and building them
 * at run time would need a lock or a one-time init; test_parse checks this table against the
 * X-macro so that the two cannot drift.
 */
static const char *const result_names[PW_PARSE_MAX] = {
	[PW_PARSE_OK] = "ok",
	[PW_PARSE_TRUNC_ETH] = "trunc_eth",
	[PW_PARSE_TRUNC_VLAN] = "trunc_vlan",
	[PW_PARSE_TOO_MANY_VLANS] = "too_many_vlans",
	[PW_PARSE_TRUNC_ARP] = "trunc_arp",
	[PW_PARSE_TRUNC_IPV4] = "trunc_ipv4",
	[PW_PARSE_BAD_IPV4_VERSION] = "bad_ipv4_version",
	[PW_PARSE_BAD_IPV4_IHL] = "bad_ipv4_ihl",
	[PW_PARSE_BAD_IPV4_TOTLEN] = "bad_ipv4_totlen",
	[PW_PARSE_BAD_IPV4_FRAG] = "bad_ipv4_frag",
	[PW_PARSE_TRUNC_IPV6] = "trunc_ipv6",
	[PW_PARSE_BAD_IPV6_VERSION] = "bad_ipv6_version",
	[PW_PARSE_BAD_IPV6_PAYLEN] = "bad_ipv6_paylen",
	[PW_PARSE_TRUNC_IPV6_EXT] = "trunc_ipv6_ext",
	[PW_PARSE_TOO_MANY_IPV6_EXT] = "too_many_ipv6_ext",
	[PW_PARSE_TRUNC_TCP] = "trunc_tcp",
	[PW_PARSE_BAD_TCP_DOFF] = "bad_tcp_doff",
	[PW_PARSE_TRUNC_UDP] = "trunc_udp",
	[PW_PARSE_BAD_UDP_LEN] = "bad_udp_len",
	[PW_PARSE_TRUNC_SCTP] = "trunc_sctp",
	[PW_PARSE_TRUNC_ICMP] = "trunc_icmp",
	[PW_PARSE_TRUNC_ICMPV6] = "trunc_icmpv6",
};

static const char *const result_descs[PW_PARSE_MAX] = {
#define DESC_(name, desc) [PW_PARSE_##name] = desc,
	PW_PARSE_RESULTS(DESC_)
#undef DESC_
};

const char *
pw_parse_result_name(enum pw_parse_result r)
{
	/* An entry missing from result_names (a new X-macro value) reads NULL: say "unknown". */
	if ((unsigned int)r >= PW_PARSE_MAX || result_names[r] == NULL)
		return "unknown";
	return result_names[r];
}

const char *
pw_parse_result_desc(enum pw_parse_result r)
{
	if ((unsigned int)r >= PW_PARSE_MAX)
		return "unknown";
	return result_descs[r];
}
