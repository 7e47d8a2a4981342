/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The policy classification of a burst (fast path, inline): addresses → identities with one
 * bulk hash lookup per 32 packets and family, per-packet ACL keys (pw_acl_layout.h), then per
 * family ONE rte_acl_classify() of the egress table over the packets whose source enforces
 * egress and ONE of the ingress table over those whose destination enforces ingress. The
 * worker (decide.h) and explain (explain.c) run this same code; they differ only in what they
 * do with the results.
 *
 * Keys are built only for packets that some direction enforces: a packet between pods that
 * no policy isolates costs two hash lookups and no classification, and a packet with one
 * enforced direction (one local end) one table walk.
 *
 * Ports: the key's destination port is the parser's for TCP, UDP and SCTP, and 0 for every
 * other protocol (ICMP included) and for non-first fragments (PW_PKT_F_FRAG_LATER: no L4
 * header). A port 0 key matches only rules whose port range includes 0, that is rules that
 * allow every port (no ports, or a protocol without a port), as for the reference evaluator's
 * flows "without a port". A policy naming ports therefore drops non-first fragments unless
 * another rule allows the whole protocol: reassemble upstream if that matters.
 */
#ifndef PW_CLASSIFY_H
#define PW_CLASSIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_acl.h>
#include <rte_hash.h>

#include "podwall/pw_acl_layout.h"
#include "podwall/pw_pkt.h"
#include "podwall/pw_snapshot.h"
#include "pw_dp.h"

/** Packets one call handles at most. */
#define PW_CLS_MAX PW_MAX_BURST

/** Packets per bulk hash lookup (two keys each). */
#define PW_CLS_LOOKUP_CHUNK (RTE_HASH_LOOKUP_BULK_MAX / 2)

/** Per-burst scratch: lives in struct pw_worker (and in explain's heap), never on a stack. */
struct pw_cls_scratch {
	struct pw_acl4_key k4[PW_CLS_MAX];
	struct pw_acl6_key k6[PW_CLS_MAX];
	const uint8_t *data[PW_CLS_MAX];    /**< keys of the egress classification */
	const uint8_t *data_in[PW_CLS_MAX]; /**< keys of the ingress classification */
	uint32_t res[PW_CLS_MAX];
	uint16_t idx4[PW_CLS_MAX]; /**< packet index of each IPv4 candidate, then of each key */
	uint16_t idx6[PW_CLS_MAX];
	uint16_t idx_eg[PW_CLS_MAX]; /**< packet index of each data[] key */
	uint16_t idx_in[PW_CLS_MAX]; /**< packet index of each data_in[] key */
	uint8_t dirs[PW_CLS_MAX];    /**< per key: bit d set when direction d is enforced */
	const void *hkeys[RTE_HASH_LOOKUP_BULK_MAX];
	void *hdata[RTE_HASH_LOOKUP_BULK_MAX];
	/* Per packet, valid for packets with reason 0 that are IP: */
	uint32_t sid[PW_CLS_MAX]; /**< source identity, 0 = not a pod */
	uint32_t did[PW_CLS_MAX]; /**< destination identity */
	uint32_t reg[PW_CLS_MAX]; /**< egress result: rule index, 0 = none (or not classified) */
	uint32_t rin[PW_CLS_MAX]; /**< ingress result */
};

static inline bool
pw_cls_port_proto(uint8_t proto)
{
	return proto == 6 || proto == 17 || proto == 132; /* TCP, UDP, SCTP */
}

static inline uint16_t
pw_cls_dport(const struct pw_pkt_meta *m)
{
	if ((m->flags & PW_PKT_F_FRAG_LATER) != 0 || !pw_cls_port_proto(m->proto))
		return 0;
	return m->dport;
}

/* Source and destination identities of the packets idx[0..n-1] of one family. */
static inline void
pw_cls_lookup(const struct rte_hash *h, const struct pw_pkt_meta *meta, const uint16_t *idx,
	uint16_t n, struct pw_cls_scratch *sc)
{
	uint16_t off, j;

	for (off = 0; off < n; off += PW_CLS_LOOKUP_CHUNK) {
		uint16_t m = (uint16_t)RTE_MIN(n - off, PW_CLS_LOOKUP_CHUNK);
		uint64_t hit = 0;

		for (j = 0; j < m; j++) {
			sc->hkeys[2 * j] = meta[idx[off + j]].src.b;
			sc->hkeys[2 * j + 1] = meta[idx[off + j]].dst.b;
		}
		if (h != NULL &&
			rte_hash_lookup_bulk_data(h, sc->hkeys, 2u * m, &hit, sc->hdata) < 0)
			hit = 0;
		for (j = 0; j < m; j++) {
			uint16_t i = idx[off + j];

			sc->sid[i] =
				(hit >> (2 * j)) & 1 ? (uint32_t)(uintptr_t)sc->hdata[2 * j] : 0;
			sc->did[i] = (hit >> (2 * j + 1)) & 1 ?
				(uint32_t)(uintptr_t)sc->hdata[2 * j + 1] :
				0;
		}
	}
}

/* Keep in idx[] only the packets some direction enforces, with their directions in
 * sc->dirs[] (same position); return how many. */
static inline uint16_t
pw_cls_enforced(const struct pw_snapshot *s, uint16_t *idx, uint16_t n, struct pw_cls_scratch *sc)
{
	uint16_t j, k = 0;

	for (j = 0; j < n; j++) {
		uint16_t i = idx[j];
		uint8_t d =
			(uint8_t)(((s->ident_flags[sc->sid[i]] & PW_IDENT_F_ENFORCE_EGRESS) != 0 ?
						  1u << PW_ACL_CAT_EGRESS :
						  0u) |
				((s->ident_flags[sc->did[i]] & PW_IDENT_F_ENFORCE_INGRESS) != 0 ?
						1u << PW_ACL_CAT_INGRESS :
						0u));

		sc->reg[i] = 0;
		sc->rin[i] = 0;
		sc->dirs[k] = d;
		idx[k] = i;
		k += d != 0;
	}
	return k;
}

/* Queue key @key of packet @i for the directions it enforces (@d, bits of sc->dirs). */
static inline void
pw_cls_queue(struct pw_cls_scratch *sc, const void *key, uint16_t i, uint8_t d, uint16_t *n_eg,
	uint16_t *n_in)
{
	if ((d & (1u << PW_ACL_CAT_EGRESS)) != 0) {
		sc->data[*n_eg] = (const uint8_t *)key;
		sc->idx_eg[(*n_eg)++] = i;
	}
	if ((d & (1u << PW_ACL_CAT_INGRESS)) != 0) {
		sc->data_in[*n_in] = (const uint8_t *)key;
		sc->idx_in[(*n_in)++] = i;
	}
}

/* Classify @n keys @data of packets @idx against table @acl; results into @out per packet. */
static inline void
pw_cls_acl(const struct rte_acl_ctx *acl, const uint8_t **data, const uint16_t *idx, uint16_t n,
	uint32_t *out, struct pw_cls_scratch *sc)
{
	uint16_t j;

	if (n == 0 || acl == NULL)
		return; /* no rule in this table: every result stays 0 */
	if (rte_acl_classify(acl, data, sc->res, n, PW_ACL_TABLE_CATEGORIES) != 0)
		return; /* cannot happen with valid arguments; 0 = no rule = deny if enforced */
	for (j = 0; j < n; j++)
		out[idx[j]] = sc->res[j];
}

/* The identity words of a key (both layouts: pw_acl_layout.h). */
#define PW_CLS_SET_IDS(k, sid, did)                                            \
	do {                                                                   \
		(k)->eg_src = (k)->in_src = rte_cpu_to_be_16((uint16_t)(sid)); \
		(k)->eg_dst = (k)->in_dst = rte_cpu_to_be_16((uint16_t)(did)); \
		(k)->src_id = rte_cpu_to_be_32(sid);                           \
		(k)->dst_id = rte_cpu_to_be_32(did);                           \
	} while (0)

/**
 * Classify the IP packets of a burst whose reason is 0 against a compiled snapshot: fills
 * sc->sid, did, reg and rin for each of them. @p nb <= PW_CLS_MAX. Worker lcores (and
 * explain); no allocation, no locks.
 */
static inline void
pw_cls_run(const struct pw_snapshot *s, const struct pw_pkt_meta *meta, const uint16_t *reason,
	uint16_t nb, struct pw_cls_scratch *sc)
{
	uint16_t i, j, n4 = 0, n6 = 0, n_eg, n_in;

	for (i = 0; i < nb; i++) {
		if (reason[i] != 0)
			continue;
		if (meta[i].l3 == PW_L3_IPV4)
			sc->idx4[n4++] = i;
		else if (meta[i].l3 == PW_L3_IPV6)
			sc->idx6[n6++] = i;
	}
	pw_cls_lookup(s->ip4, meta, sc->idx4, n4, sc);
	pw_cls_lookup(s->ip6, meta, sc->idx6, n6, sc);

	n4 = pw_cls_enforced(s, sc->idx4, n4, sc);
	for (j = 0, n_eg = 0, n_in = 0; j < n4; j++) {
		uint16_t p = sc->idx4[j];
		const struct pw_pkt_meta *m = &meta[p];
		struct pw_acl4_key *k = &sc->k4[j];

		k->proto = m->proto;
		memset(k->pad, 0, sizeof(k->pad));
		PW_CLS_SET_IDS(k, sc->sid[p], sc->did[p]);
		k->src_ip = m->src.v4;
		k->dst_ip = m->dst.v4;
		k->sport = 0;
		k->dport = rte_cpu_to_be_16(pw_cls_dport(m));
		pw_cls_queue(sc, k, p, sc->dirs[j], &n_eg, &n_in);
	}
	pw_cls_acl(s->acl4, sc->data, sc->idx_eg, n_eg, sc->reg, sc);
	pw_cls_acl(s->acl4_in, sc->data_in, sc->idx_in, n_in, sc->rin, sc);

	n6 = pw_cls_enforced(s, sc->idx6, n6, sc);
	for (j = 0, n_eg = 0, n_in = 0; j < n6; j++) {
		uint16_t p = sc->idx6[j];
		const struct pw_pkt_meta *m = &meta[p];
		struct pw_acl6_key *k = &sc->k6[j];

		k->proto = m->proto;
		memset(k->pad, 0, sizeof(k->pad));
		PW_CLS_SET_IDS(k, sc->sid[p], sc->did[p]);
		memcpy(k->src_ip, m->src.b, 16);
		memcpy(k->dst_ip, m->dst.b, 16);
		k->sport = 0;
		k->dport = rte_cpu_to_be_16(pw_cls_dport(m));
		pw_cls_queue(sc, k, p, sc->dirs[j], &n_eg, &n_in);
	}
	pw_cls_acl(s->acl6, sc->data, sc->idx_eg, n_eg, sc->reg, sc);
	pw_cls_acl(s->acl6_in, sc->data_in, sc->idx_in, n_in, sc->rin, sc);
}

#endif /* PW_CLASSIFY_H */
