/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decision step with connection tracking (pw_ct_decide_burst()) on real frames and real
 * compiled snapshots (the ACL builder, as the daemon publishes them), with an injected clock:
 * replies of allowed connections pass where the policy alone would drop them, unsolicited
 * packets do not, ICMP errors quoting a flow come back (also to another worker than the
 * flow's), echo replies match their request;
 * revalidation revokes an established connection at its next packet (a reply included) and a
 * re-grant lets it through again; a full table drops new flows as ct_full; timed-out and
 * closed flows are replaced; rule hit counters count each packet once.
 *
 * Pods (node n1): a 10.0.0.1/fd00::1 (isolated for ingress: nothing may connect to it),
 * b 10.0.0.2/fd00::2 (ingress from a on TCP 80 and UDP 53), c 10.0.0.3 (ingress from a, any
 * protocol). Without conntrack, every reply to a is denied.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_common.h>
#include <rte_memory.h>

#include "control/aclbuild.h"
#include "control/model/decode.h"
#include "dataplane/ct_decide.h"
#include "dataplane/decide.h"
#include "dataplane/parse.h"
#include "podwall/pw_explain.h"
#include "tests/lib/model_load.h"
#include "tests/lib/eal_setup.h"

#define NODE "n1"
#define POD(name, ips)                                                                             \
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'" name "','namespace':'t',"           \
	"'labels':{'app':'" name "'}},'spec':{'nodeName':'" NODE "'},'status':{'phase':'Running'," \
	"'podIPs':[" ips "]}}"
#define POLICY(name, spec)                                                                      \
	"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'" name \
	"','namespace':'t'},'spec':" spec "}"

static const char *const pods[] = {
	POD("a", "{'ip':'10.0.0.1'},{'ip':'fd00::1'}"),
	POD("b", "{'ip':'10.0.0.2'},{'ip':'fd00::2'}"),
	POD("c", "{'ip':'10.0.0.3'}"),
	POLICY("a", "{'podSelector':{'matchLabels':{'app':'a'}},'policyTypes':['Ingress']}"),
	POLICY("c",
		"{'podSelector':{'matchLabels':{'app':'c'}},'ingress':[{'from':[{'podSelector':"
		"{'matchLabels':{'app':'a'}}}]}]}"),
	NULL,
};
static const char b_open[] = POLICY("b",
	"{'podSelector':{'matchLabels':{'app':'b'}},'ingress':[{'from':[{'podSelector':"
	"{'matchLabels':{'app':'a'}}}],'ports':[{'port':80},{'port':53,'protocol':"
	"'UDP'}]}]}");
static const char b_closed[] =
	POLICY("b", "{'podSelector':{'matchLabels':{'app':'b'}},'policyTypes':['Ingress']}");

static struct pw_cls_scratch *sc;
static struct pw_ct_scratch *cs;
static uint64_t next_gen = 700000;

/* The snapshot with b open to a (@open) or closed, with the next generation. */
static struct pw_snapshot *
snap(bool open)
{
	struct pw_aclbuild_params bp = {
		.generation = next_gen++, .nb_workers = 1, .socket_id = SOCKET_ID_ANY
	};
	struct pw_snapshot *s = NULL;
	struct pw_model *m;
	char err[256];
	unsigned int i;

	assert_int_equal(pw_model_create(&m), 0);
	for (i = 0; pods[i] != NULL; i++)
		pwt_load(m, pods[i]);
	pwt_load(m, open ? b_open : b_closed);
	if (pw_snapshot_build(m, NODE, &bp, &s, err, sizeof(err)) != 0)
		fail_msg("build: %s", err);
	pw_model_free(m);
	return s;
}

/* ---- frames ---- */

struct frame {
	uint8_t b[256];
	uint16_t len;
};

static size_t
put_ip(uint8_t *p, bool v6, uint8_t proto, uint8_t src, uint8_t dst, size_t l4len)
{
	if (!v6) {
		memset(p, 0, 20);
		p[0] = 0x45;
		p[2] = (uint8_t)((20 + l4len) >> 8);
		p[3] = (uint8_t)(20 + l4len);
		p[8] = 64;
		p[9] = proto;
		p[12] = p[16] = 10;
		p[15] = src;
		p[19] = dst;
		return 20;
	}
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(l4len >> 8);
	p[5] = (uint8_t)l4len;
	p[6] = proto;
	p[7] = 64;
	p[8] = p[24] = 0xfd;
	p[23] = src;
	p[39] = dst;
	return 40;
}

/* TCP, UDP (8 bytes of payload) or ICMP echo (@flags is the type) from pod @src to @dst. */
static struct frame
pkt(bool v6, uint8_t proto, uint8_t src, uint16_t sport, uint8_t dst, uint16_t dport, uint8_t flags)
{
	struct frame f;
	size_t off = 14, l4len = proto == 6 ? 20 : proto == 17 ? 16 : 8;
	uint8_t *l4;

	memset(&f, 0, sizeof(f));
	f.b[0] = 2;
	f.b[6] = 2;
	f.b[12] = v6 ? 0x86 : 0x08;
	f.b[13] = v6 ? 0xdd : 0x00;
	off += put_ip(f.b + off, v6, proto, src, dst, l4len);
	l4 = f.b + off;
	if (proto == 6 || proto == 17) {
		l4[0] = (uint8_t)(sport >> 8);
		l4[1] = (uint8_t)sport;
		l4[2] = (uint8_t)(dport >> 8);
		l4[3] = (uint8_t)dport;
		if (proto == 6) {
			l4[12] = 5 << 4;
			l4[13] = flags;
		} else {
			l4[5] = 16;
		}
	} else {
		l4[0] = flags;
		l4[4] = (uint8_t)(sport >> 8);
		l4[5] = (uint8_t)sport;
	}
	f.len = (uint16_t)(off + l4len);
	return f;
}

#define TCP(s, sp, d, dp, fl) pkt(false, 6, s, sp, d, dp, fl)
#define TCP6(s, sp, d, dp, fl) pkt(true, 6, s, sp, d, dp, fl)
#define UDP(s, sp, d, dp) pkt(false, 17, s, sp, d, dp, 0)
#define ECHO(s, d, id, type) pkt(false, 1, s, id, d, 0, type)

/* ICMP port unreachable from @from to @to, quoting UDP @qsrc:@qsport -> @from:@qdport. */
static struct frame
unreach(uint8_t from, uint8_t to, uint8_t qsrc, uint16_t qsport, uint16_t qdport)
{
	struct frame q = UDP(qsrc, qsport, from, qdport), f;
	size_t off;

	memset(&f, 0, sizeof(f));
	memcpy(f.b, q.b, 14);
	off = 14 + put_ip(f.b + 14, false, 1, from, to, 8 + 28);
	f.b[off] = 3;
	f.b[off + 1] = 3;
	memcpy(f.b + off + 8, q.b + 14, 28);
	f.len = (uint16_t)(off + 8 + 28);
	return f;
}

#define S 0x02
#define SA 0x12
#define A 0x10
#define PA 0x18
#define RA 0x14

/* Decide frames[0..n-1] as one burst at @now; reasons in ret. */
static void
burst(struct pw_ct *ct, const struct pw_snapshot *s, const struct frame *fr, uint16_t n,
	uint32_t now, uint16_t *ret)
{
	struct pw_pkt_meta meta[16];
	const uint8_t *frames[16];
	uint16_t i;

	assert_true(n <= 16);
	for (i = 0; i < n; i++) {
		ret[i] = (uint16_t)pw_parse_pkt(fr[i].b, fr[i].len, &meta[i]);
		assert_int_equal(ret[i], 0);
		frames[i] = fr[i].b;
	}
	pw_ct_decide_burst(ct, s, false, meta, frames, ret, n, cs, sc, 0, now);
}

static uint16_t
one(struct pw_ct *ct, const struct pw_snapshot *s, struct frame f, uint32_t now)
{
	uint16_t r;

	burst(ct, s, &f, 1, now, &r);
	return r;
}

/* What the policy alone says (conntrack off). */
static uint16_t
stateless(const struct pw_snapshot *s, struct frame f)
{
	struct pw_pkt_meta m;
	uint16_t r = (uint16_t)pw_parse_pkt(f.b, f.len, &m);

	pw_decide_burst(s, false, &m, &r, 1, sc, 0);
	return r;
}

static struct pw_ct *
make_ct_seeded(void **mem, uint32_t max_flows, uint64_t seed)
{
	struct pw_ct_params p = { .max_flows = max_flows, .seed = seed };
	size_t sz = pw_ct_mem_size(max_flows);

	pw_ct_timeouts_default(&p.timeouts);
	p.timeouts.ms[PW_CT_TO_UDP] = 5000;
	*mem = aligned_alloc(128, (sz + 127) & ~(size_t)127);
	assert_non_null(*mem);
	memset(*mem, 0, sz);
	return pw_ct_init(*mem, &p);
}

static struct pw_ct *
make_ct(void **mem, uint32_t max_flows)
{
	return make_ct_seeded(mem, max_flows, 99);
}

static void
test_replies_and_unsolicited(void **state)
{
	struct pw_snapshot *s = snap(true);
	void *mem;
	struct pw_ct *ct = make_ct(&mem, 1024);
	const struct frame hs[3] = { TCP(1, 40000, 2, 80, S), TCP(2, 80, 1, 40000, SA),
		TCP(1, 40000, 2, 80, A) };
	uint16_t r[3];

	(void)state;
	/* Without conntrack the SYN-ACK to a is denied: a is isolated for ingress. */
	assert_int_equal(stateless(s, hs[0]), 0);
	assert_int_equal(stateless(s, hs[1]), PW_DROP_POLICY_DENY);
	/* 1. With it, the handshake passes, packet by packet. */
	assert_int_equal(one(ct, s, hs[0], 10), 0);
	assert_int_equal(one(ct, s, hs[1], 11), 0);
	assert_int_equal(one(ct, s, hs[2], 12), 0);
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40000, PA), 13), 0);
	/* The first flow of a fresh table takes handle 1. */
	assert_int_equal(ct->nb_used, 1);
	assert_int_equal(pw_ct_entry(ct, 1)->state, PW_CT_ST_TCP_ESTABLISHED);
	assert_int_equal(pw_ct_entry(ct, 1)->packets[0], 2);
	assert_int_equal(pw_ct_entry(ct, 1)->packets[1], 2);
	assert_true((pw_ct_entry(ct, 1)->flags & PW_CT_F_REPLIED) != 0);
	/* 2. Unsolicited: b opening a connection to a (another tuple), b's RST out of the blue,
	 * and a reply-looking packet of a connection that never was. */
	assert_int_equal(one(ct, s, TCP(2, 40000, 1, 80, S), 14), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s, TCP(2, 81, 1, 40000, SA), 15), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40001, RA), 16), PW_DROP_POLICY_DENY);
	/* a -> b on a port b does not open: denied, no entry. */
	assert_int_equal(one(ct, s, TCP(1, 40002, 2, 81, S), 17), PW_DROP_POLICY_DENY);
	assert_int_equal(ct->nb_used, 1);
	/* 3. A whole handshake in one burst (a replayed capture): one flow, all pass. */
	{
		const struct frame hs2[3] = { TCP(1, 40003, 2, 80, S), TCP(2, 80, 1, 40003, SA),
			TCP(1, 40003, 2, 80, A) };

		burst(ct, s, hs2, 3, 20, r);
		assert_int_equal(r[0], 0);
		assert_int_equal(r[1], 0);
		assert_int_equal(r[2], 0);
		assert_int_equal(ct->nb_used, 2);
	}
	/* IPv6 alike. */
	assert_int_equal(one(ct, s, TCP6(1, 40000, 2, 80, S), 21), 0);
	assert_int_equal(one(ct, s, TCP6(2, 80, 1, 40000, SA), 22), 0);
	assert_int_equal(one(ct, s, TCP6(2, 80, 1, 40009, SA), 23), PW_DROP_POLICY_DENY);
	/* UDP request and response. */
	assert_int_equal(one(ct, s, UDP(1, 5353, 2, 53), 24), 0);
	assert_int_equal(one(ct, s, UDP(2, 53, 1, 5353), 25), 0);
	assert_int_equal(one(ct, s, UDP(2, 53, 1, 5354), 26), PW_DROP_POLICY_DENY);
	assert_int_equal(ct->ctr.created, 4);
	pw_snapshot_free(s);
	free(mem);
}

/* Denied first packets in a burst with allowed ones create nothing. */
static void
test_mixed_burst(void **state)
{
	struct pw_snapshot *s = snap(true);
	void *mem;
	struct pw_ct *ct = make_ct(&mem, 1024);
	const struct frame fr[5] = { TCP(1, 40000, 2, 80, S), TCP(2, 80, 1, 40000, SA),
		TCP(2, 40001, 1, 80, S), TCP(2, 80, 1, 40002, SA), TCP(1, 40003, 2, 81, S) };
	uint16_t r[5];

	(void)state;
	burst(ct, s, fr, 5, 1, r);
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 0);
	assert_int_equal(r[2], PW_DROP_POLICY_DENY);
	assert_int_equal(r[3], PW_DROP_POLICY_DENY);
	assert_int_equal(r[4], PW_DROP_POLICY_DENY);
	assert_int_equal(ct->nb_used, 1);
	assert_int_equal(ct->ctr.created, 1);
	pw_snapshot_free(s);
	free(mem);
}

static void
test_icmp(void **state)
{
	struct pw_snapshot *s = snap(true);
	void *mem;
	struct pw_ct *ct = make_ct(&mem, 1024);

	(void)state;
	/* Echo: c answers a's ping; c's own ping to a (same identifier) is not a reply. */
	assert_int_equal(one(ct, s, ECHO(1, 3, 7, 8), 1), 0);
	assert_int_equal(stateless(s, ECHO(3, 1, 7, 0)), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s, ECHO(3, 1, 7, 0), 2), 0);
	assert_int_equal(one(ct, s, ECHO(3, 1, 8, 0), 3), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s, ECHO(3, 1, 7, 8), 4), PW_DROP_POLICY_DENY);
	/* b does not accept ICMP from a (TCP 80 and UDP 53 only). */
	assert_int_equal(one(ct, s, ECHO(1, 2, 9, 8), 5), PW_DROP_POLICY_DENY);
	/* An ICMP error quoting a tracked flow comes back; one quoting an unknown flow, or
	 * a flow the policy denied, does not. */
	assert_int_equal(one(ct, s, UDP(1, 5000, 2, 53), 6), 0);
	assert_int_equal(stateless(s, unreach(2, 1, 1, 5000, 53)), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s, unreach(2, 1, 1, 5000, 53), 7), 0);
	assert_int_equal(one(ct, s, unreach(2, 1, 1, 5001, 53), 8), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s, UDP(1, 5002, 2, 54), 9), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s, unreach(2, 1, 1, 5002, 54), 10), PW_DROP_POLICY_DENY);
	/* Errors never create entries. */
	assert_int_equal(ct->nb_used, 2);
	pw_snapshot_free(s);
	free(mem);
}

/* An ICMP error comes from a third address: RSS may hand it to another worker than the
 * flow it quotes. That worker finds the flow in its peer's table, read only. */
static void
test_icmp_error_on_other_worker(void **state)
{
	struct pw_snapshot *s = snap(true), *s2;
	void *mem0, *mem1;
	struct pw_ct *w0 = make_ct_seeded(&mem0, 1024, 1), *w1 = make_ct_seeded(&mem1, 1024, 2);
	const struct pw_ct *tables[2] = { w0, w1 };

	(void)state;
	assert_int_equal(one(w0, s, UDP(1, 5000, 2, 53), 1), 0);
	/* Without peers, worker 1 knows no such flow: the error is classified, and denied. */
	assert_int_equal(one(w1, s, unreach(2, 1, 1, 5000, 53), 2), PW_DROP_POLICY_DENY);
	pw_ct_set_peers(w0, tables, 2);
	pw_ct_set_peers(w1, tables, 2);
	assert_int_equal(one(w1, s, unreach(2, 1, 1, 5000, 53), 3), 0);
	/* Only the flow it quotes. */
	assert_int_equal(one(w1, s, unreach(2, 1, 1, 5001, 53), 4), PW_DROP_POLICY_DENY);
	assert_int_equal(w1->nb_used, 0);
	assert_int_equal(w0->nb_used, 1);
	/* A flow its owner has not revalidated since a policy change is not related yet. */
	s2 = snap(true);
	assert_int_equal(one(w1, s2, unreach(2, 1, 1, 5000, 53), 5), PW_DROP_POLICY_DENY);
	assert_int_equal(one(w0, s2, UDP(1, 5000, 2, 53), 6), 0);
	assert_int_equal(one(w1, s2, unreach(2, 1, 1, 5000, 53), 7), 0);
	/* Nor one timed out in its owner's table (UDP: 5 s here). */
	assert_int_equal(one(w1, s2, unreach(2, 1, 1, 5000, 53), 6 + 5001), PW_DROP_POLICY_DENY);
	pw_snapshot_free(s);
	pw_snapshot_free(s2);
	free(mem0);
	free(mem1);
}

static void
test_revoke_and_regrant(void **state)
{
	struct pw_snapshot *s1 = snap(true), *s2 = snap(false), *s3 = snap(true);
	void *mem;
	struct pw_ct *ct = make_ct(&mem, 1024);
	struct pw_ct_entry *e;

	(void)state;
	assert_int_equal(one(ct, s1, TCP(1, 40000, 2, 80, S), 1), 0);
	assert_int_equal(one(ct, s1, TCP(2, 80, 1, 40000, SA), 2), 0);
	assert_int_equal(one(ct, s1, TCP(1, 40000, 2, 80, A), 3), 0);
	e = pw_ct_entry(ct, 1);
	assert_int_equal(e->gen, s1->generation);
	/* Revoked: the next packet, a reply, re-checks a -> b:80 and is dropped; so is every
	 * later packet both ways; new connections are denied as first packets. */
	assert_int_equal(one(ct, s2, TCP(2, 80, 1, 40000, PA), 4), PW_DROP_POLICY_DENY);
	assert_int_equal(ct->ctr.revalidated, 1);
	assert_int_equal(ct->ctr.revoked, 1);
	assert_true((e->flags & PW_CT_F_DENIED) != 0);
	assert_int_equal(e->gen, s2->generation);
	assert_int_equal(one(ct, s2, TCP(1, 40000, 2, 80, PA), 5), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s2, TCP(2, 80, 1, 40000, PA), 6), PW_DROP_POLICY_DENY);
	assert_int_equal(one(ct, s2, TCP(1, 40001, 2, 80, S), 7), PW_DROP_POLICY_DENY);
	assert_int_equal(ct->ctr.revalidated, 1);
	/* Re-granted: the same connection flows again, from either side, and new ones open. */
	assert_int_equal(one(ct, s3, TCP(1, 40000, 2, 80, PA), 8), 0);
	assert_int_equal(ct->ctr.revalidated, 2);
	assert_int_equal(ct->ctr.revoked, 1);
	assert_true((e->flags & PW_CT_F_DENIED) == 0);
	assert_int_equal(one(ct, s3, TCP(2, 80, 1, 40000, PA), 9), 0);
	assert_int_equal(one(ct, s3, TCP(1, 40001, 2, 80, S), 10), 0);
	assert_int_equal(e->state, PW_CT_ST_TCP_ESTABLISHED);
	/* A burst of one stream after a change revalidates once. */
	{
		struct pw_snapshot *s4 = snap(true);
		const struct frame fr[4] = { TCP(2, 80, 1, 40000, PA), TCP(1, 40000, 2, 80, PA),
			TCP(2, 80, 1, 40000, PA), TCP(1, 40000, 2, 80, A) };
		uint16_t r[4];

		burst(ct, s4, fr, 4, 11, r);
		assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
		/* Once for this flow, not once per packet; the other flow waits for its own. */
		assert_int_equal(ct->ctr.revalidated, 3);
		pw_snapshot_free(s4);
	}
	pw_snapshot_free(s1);
	pw_snapshot_free(s2);
	pw_snapshot_free(s3);
	free(mem);
}

static void
test_full_expiry_and_reuse(void **state)
{
	struct pw_snapshot *s = snap(true);
	void *mem;
	struct pw_ct *ct = make_ct(&mem, 16);
	uint16_t i;

	(void)state;
	/* An established connection, then a flood of new UDP flows past capacity. */
	assert_int_equal(one(ct, s, TCP(1, 40000, 2, 80, S), 1), 0);
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40000, SA), 1), 0);
	for (i = 0; i < 15; i++)
		assert_int_equal(one(ct, s, UDP(1, (uint16_t)(6000 + i), 2, 53), 2), 0);
	assert_int_equal(one(ct, s, UDP(1, 7000, 2, 53), 3), PW_DROP_CT_FULL);
	assert_int_equal(ct->ctr.table_full, 1);
	/* The established connection is unaffected. */
	assert_int_equal(one(ct, s, TCP(1, 40000, 2, 80, A), 4), 0);
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40000, PA), 4), 0);
	/* After the UDP timeout (5 s here), the flood's entries make room again. */
	assert_int_equal(one(ct, s, UDP(1, 7000, 2, 53), 5003), 0);
	assert_int_equal(ct->ctr.expired, 1);
	/* A reply to an expired flow is a first packet: denied (nothing lets b reach a). */
	assert_int_equal(one(ct, s, UDP(2, 53, 1, 6001), 5004), PW_DROP_POLICY_DENY);
	/* RST closes; a new SYN on the same tuple opens a new connection. */
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40000, RA), 5005), 0);
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40000, A), 5006), 0);
	assert_int_equal(one(ct, s, TCP(1, 40000, 2, 80, S), 5007), 0);
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40000, SA), 5008), 0);
	pw_snapshot_free(s);
	free(mem);
}

static void
test_hits_count_packets(void **state)
{
	struct pw_snapshot *s = snap(true);
	void *mem;
	struct pw_ct *ct = make_ct(&mem, 1024);
	const struct frame fr[4] = { TCP(1, 40000, 2, 80, S), TCP(2, 80, 1, 40000, SA),
		TCP(1, 40000, 2, 80, A), TCP(1, 40000, 2, 80, PA) };
	uint64_t before = pw_snapshot_rule_hits(s, 0);
	uint16_t r[4];
	uint32_t k, allowed = 0;

	(void)state;
	burst(ct, s, fr, 4, 1, r);
	assert_int_equal(one(ct, s, TCP(2, 80, 1, 40000, A), 2), 0);
	/* b's ingress rule counted each of the five packets once (replies included), and no
	 * denial was counted for the replies the entry allowed. */
	for (k = 1; k <= s->nb_rules; k++)
		allowed += (uint32_t)pw_snapshot_rule_hits(s, k);
	assert_int_equal(allowed, 5);
	assert_int_equal(pw_snapshot_rule_hits(s, 0), before);
	pw_snapshot_free(s);
	free(mem);
}

static int
group_setup(void **state)
{
	(void)state;
	if (pwt_eal_init("test_ct_decide", "256", NULL) != 0)
		return -1;
	sc = calloc(1, sizeof(*sc));
	cs = calloc(1, sizeof(*cs));
	return sc == NULL || cs == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(sc);
	free(cs);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies_and_unsolicited),
		cmocka_unit_test(test_mixed_burst),
		cmocka_unit_test(test_icmp),
		cmocka_unit_test(test_icmp_error_on_other_worker),
		cmocka_unit_test(test_revoke_and_regrant),
		cmocka_unit_test(test_full_expiry_and_reuse),
		cmocka_unit_test(test_hits_count_packets),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
