/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The packet parser: a pure function over bytes, so that unit tests and the fuzzer need no EAL.
 */
#ifndef PW_PARSE_H
#define PW_PARSE_H

#include <stdint.h>

#include "podwall/pw_pkt.h"

/**
 * Parse one Ethernet frame: Ethernet, up to two VLAN tags (0x8100/0x88a8), ARP, IPv4 (with
 * options), IPv6 (hop-by-hop, routing, fragment, destination-options, AH and mobility headers
 * skipped to the transport header), TCP, UDP, SCTP, ICMP and ICMPv6.
 *
 * Fragments: a first fragment (offset 0, more-fragments set) is parsed through L4 and flagged
 * PW_PKT_F_FRAG_FIRST; a later fragment has no L4 header and is flagged PW_PKT_F_FRAG_LATER.
 *
 * Any thread; no allocation; reads at most @p len bytes of @p data.
 *
 * @param data  first byte of the frame
 * @param len   bytes available at @p data
 * @param ret   filled on every return (zeroed first); on an error, fields up to the point of
 *              failure are set
 * @return PW_PARSE_OK, or the reason the frame could not be fully read
 */
enum pw_parse_result pw_parse_pkt(const uint8_t *data, uint16_t len, struct pw_pkt_meta *ret);

/** Short lower-case name of a parse result ("trunc_eth"); "unknown" when out of range. */
const char *pw_parse_result_name(enum pw_parse_result r);

/** One-line description of a parse result. */
const char *pw_parse_result_desc(enum pw_parse_result r);

#endif /* PW_PARSE_H */
