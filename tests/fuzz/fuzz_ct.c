/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for connection tracking's reading of packets: the flow key of whatever the
 * parser accepts (pw_ct_key_build()) and the quoted packet of ICMP and ICMPv6 errors
 * (pw_ct_icmp_inner(), which reads past the parser's headers). Besides the sanitizers'
 * checks, it aborts when a promise breaks: both directions of a flow share its key, with
 * opposite directions, and the padding of every key is zero.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/ct_state.h"
#include "dataplane/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* The same packet travelling the other way. */
static struct pw_pkt_meta
reversed(const struct pw_pkt_meta *m)
{
	struct pw_pkt_meta r = *m;

	r.src = m->dst;
	r.dst = m->src;
	r.sport = m->dport;
	r.dport = m->sport;
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint16_t len = size > UINT16_MAX ? UINT16_MAX : (uint16_t)size;
	struct pw_pkt_meta m, r;
	struct pw_ct_key k, k2;
	enum pw_ct_kind kind;
	bool ab, ab2;

	if (pw_parse_pkt(data, len, &m) != PW_PARSE_OK ||
		(m.l3 != PW_L3_IPV4 && m.l3 != PW_L3_IPV6))
		return 0;
	kind = pw_ct_key_build(&m, &k, &ab);
	if (kind == PW_CT_KIND_FLOW) {
		r = reversed(&m);
		check(pw_ct_key_build(&r, &k2, &ab2) == PW_CT_KIND_FLOW);
		check(memcmp(&k, &k2, sizeof(k)) == 0);
		check(ab != ab2 ||
			(memcmp(&m.src, &m.dst, sizeof(m.src)) == 0 && m.sport == m.dport));
	}
	if (kind == PW_CT_KIND_FLOW || kind == PW_CT_KIND_ECHO_REQUEST ||
		kind == PW_CT_KIND_ECHO_REPLY)
		check(k.pad[0] == 0 && k.pad[1] == 0);
	if (kind == PW_CT_KIND_ICMP_ERROR && pw_ct_icmp_inner(data, &m, &k, &ab)) {
		check(k.pad[0] == 0 && k.pad[1] == 0);
		check(((k.kflags & PW_CT_KEY_V6) != 0) == (m.l3 == PW_L3_IPV6));
	}
	return 0;
}
