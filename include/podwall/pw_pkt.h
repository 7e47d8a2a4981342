/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * What the packet parser tells the rest of the dataplane about one frame.
 *
 * The parser (dataplane/parse.h) fills a struct pw_pkt_meta from raw bytes and returns a
 * enum pw_parse_result. Anything but PW_PARSE_OK means the frame could not be fully read;
 * such frames are counted by that reason and dropped, so a malformed packet is never treated
 * more favourably than a well-formed one by a later policy decision.
 */
#ifndef PW_PKT_H
#define PW_PKT_H

#include <stdint.h>

/**
 * Parse results. X-macro: _(NAME, "description"). PW_PARSE_OK must stay first (value 0).
 * The names (lower-cased) are the drop-reason names shown in stats and telemetry.
 */
#define PW_PARSE_RESULTS(_)                                                        \
	_(OK, "parsed")                                                            \
	_(TRUNC_ETH, "truncated Ethernet header")                                  \
	_(TRUNC_VLAN, "truncated VLAN tag")                                        \
	_(TOO_MANY_VLANS, "more than two VLAN tags")                               \
	_(TRUNC_ARP, "truncated ARP packet")                                       \
	_(TRUNC_IPV4, "truncated IPv4 header")                                     \
	_(BAD_IPV4_VERSION, "IPv4 version field is not 4")                         \
	_(BAD_IPV4_IHL, "IPv4 header length below 20 bytes or past the frame")     \
	_(BAD_IPV4_TOTLEN, "IPv4 total length below the header or past the frame") \
	_(BAD_IPV4_FRAG, "IPv4 fragment offset past the maximum datagram")         \
	_(TRUNC_IPV6, "truncated IPv6 header")                                     \
	_(BAD_IPV6_VERSION, "IPv6 version field is not 6")                         \
	_(BAD_IPV6_PAYLEN, "IPv6 payload length past the frame")                   \
	_(TRUNC_IPV6_EXT, "truncated IPv6 extension header")                       \
	_(TOO_MANY_IPV6_EXT, "too many IPv6 extension headers")                    \
	_(TRUNC_TCP, "truncated TCP header")                                       \
	_(BAD_TCP_DOFF, "TCP data offset below 20 bytes or past the packet")       \
	_(TRUNC_UDP, "truncated UDP header")                                       \
	_(BAD_UDP_LEN, "UDP length below 8 or past the packet")                    \
	_(TRUNC_SCTP, "truncated SCTP common header")                              \
	_(TRUNC_ICMP, "truncated ICMP header")                                     \
	_(TRUNC_ICMPV6, "truncated ICMPv6 header")

enum pw_parse_result {
#define PW_PARSE_ENUM_(name, desc) PW_PARSE_##name,
	PW_PARSE_RESULTS(PW_PARSE_ENUM_)
#undef PW_PARSE_ENUM_
	PW_PARSE_MAX
};

/** Network layer of a parsed frame. */
enum pw_l3 {
	PW_L3_OTHER = 0, /**< an EtherType podwall does not inspect (LLDP, ...) */
	PW_L3_ARP,
	PW_L3_IPV4,
	PW_L3_IPV6,
};

/** pw_pkt_meta.flags */
#define PW_PKT_F_FRAG_FIRST (1u << 0) /**< first fragment of a fragmented datagram (L4 read) */
#define PW_PKT_F_FRAG_LATER (1u << 1) /**< non-first fragment: no L4 header, ports are 0 */
#define PW_PKT_F_IPV4_OPTS (1u << 2)  /**< IPv4 header carried options */
#define PW_PKT_F_IPV6_EXT (1u << 3)   /**< IPv6 extension headers were skipped */
#define PW_PKT_F_L4_UNKNOWN (1u << 4) /**< an L4 protocol without ports (GRE, ESP, ...) */

/** An IPv4 or IPv6 address in network byte order; IPv4 uses the first 4 bytes, rest zero. */
union pw_addr {
	uint8_t b[16];
	uint32_t v4;
	uint64_t q[2];
};

/**
 * One frame, as far as the parser could read it. Offsets count from the first byte of the
 * frame. Ports and ICMP fields are in host byte order; addresses in network byte order.
 * Fields that a frame does not have are zero.
 */
struct pw_pkt_meta {
	union pw_addr src; /**< IP source */
	union pw_addr dst; /**< IP destination */
	uint16_t l3_off;   /**< offset of the IP/ARP header */
	uint16_t l4_off;   /**< offset of the transport header (0 if none) */
	uint16_t
		l3_len; /**< IP datagram length per its header (IPv4 total length, IPv6 40 + payload) */
	uint16_t ether_type;  /**< innermost EtherType, host byte order */
	uint16_t vlan_tci[2]; /**< outer first, host byte order */
	uint16_t sport;	      /**< TCP/UDP/SCTP source port; ICMP/ICMPv6 echo identifier */
	uint16_t dport;	      /**< TCP/UDP/SCTP destination port; 0 for ICMP */
	uint8_t nb_vlans;     /**< 0, 1 or 2 */
	uint8_t l3;	      /**< enum pw_l3 */
	uint8_t proto;	   /**< IPPROTO_* of the transport header (after IPv6 extension headers) */
	uint8_t flags;	   /**< PW_PKT_F_* */
	uint8_t tcp_flags; /**< TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10, ...) */
	uint8_t icmp_type; /**< ICMP or ICMPv6 type */
	uint8_t icmp_code; /**< ICMP or ICMPv6 code */
	uint8_t ttl;	   /**< IPv4 TTL or IPv6 hop limit */
};

#endif /* PW_PKT_H */
