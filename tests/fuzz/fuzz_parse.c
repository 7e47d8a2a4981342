/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for pw_parse_pkt(). Besides the sanitizers' checks, it aborts when the meta
 * breaks a promise that the rest of the dataplane relies on: offsets inside the frame, ports
 * only where a transport header was read, lengths that agree with each other.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dataplane/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
check_ok(const struct pw_pkt_meta *m, uint16_t len)
{
	int is_ip = m->l3 == PW_L3_IPV4 || m->l3 == PW_L3_IPV6;

	check(m->l3_off >= 14 && m->l3_off <= len);
	check(m->l3_off == 14 + 4 * m->nb_vlans);
	check(m->l4_off <= len);
	check(m->l3 <= PW_L3_IPV6);
	if (!is_ip) {
		/* Only IP carries a transport header; ARP carries addresses only. */
		check(m->l4_off == 0 && m->l3_len == 0 && m->proto == 0 && m->flags == 0);
		check(m->sport == 0 && m->dport == 0 && m->ttl == 0);
		if (m->l3 == PW_L3_OTHER)
			check(m->src.q[0] == 0 && m->src.q[1] == 0);
		return;
	}
	check(m->l3_len >= (m->l3 == PW_L3_IPV4 ? 20 : 41));
	check((uint32_t)m->l3_off + m->l3_len <= len);
	if (m->l3 == PW_L3_IPV4)
		check(m->src.q[1] == 0 && m->dst.q[1] == 0 && (m->src.q[0] >> 32) == 0);
	check(!((m->flags & PW_PKT_F_FRAG_FIRST) && (m->flags & PW_PKT_F_FRAG_LATER)));
	if (m->l3 == PW_L3_IPV4)
		check(!(m->flags & PW_PKT_F_IPV6_EXT));
	else
		check(!(m->flags & PW_PKT_F_IPV4_OPTS));
	if (m->flags & PW_PKT_F_FRAG_LATER) {
		check(m->sport == 0 && m->dport == 0 && m->l4_off == 0);
		check(m->tcp_flags == 0 && m->icmp_type == 0 && m->icmp_code == 0);
		return;
	}
	if (m->l4_off == 0) {
		/* IPv6 No Next Header is the one unfragmented IP packet without L4. */
		check(m->l3 == PW_L3_IPV6 && m->proto == 59);
		check(m->sport == 0 && m->dport == 0);
		return;
	}
	/* The transport header lies inside the datagram, never in Ethernet padding. */
	check(m->l4_off >= m->l3_off + (m->l3 == PW_L3_IPV4 ? 20 : 40));
	check(m->l4_off <= m->l3_off + m->l3_len);
	if (m->flags & PW_PKT_F_L4_UNKNOWN)
		check(m->sport == 0 && m->dport == 0 && m->icmp_type == 0);
	if (m->proto != 6)
		check(m->tcp_flags == 0);
	if (m->proto == 1 || m->proto == 58)
		check(m->dport == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_pkt_meta m;
	enum pw_parse_result r;
	uint16_t len = size > UINT16_MAX ? UINT16_MAX : (uint16_t)size;

	r = pw_parse_pkt(data, len, &m);
	check((unsigned int)r < PW_PARSE_MAX);
	check(pw_parse_result_name(r) != NULL && pw_parse_result_desc(r) != NULL);
	check(m.nb_vlans <= 2);
	check(m.l3_off <= len && m.l4_off <= len);
	if (m.flags & PW_PKT_F_FRAG_LATER)
		check(m.sport == 0 && m.dport == 0);
	if (r == PW_PARSE_OK)
		check_ok(&m, len);
	return 0;
}
