/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The rte_acl field layout of the policy tables: one source for the control side that builds
 * the rules and the worker that builds the per-packet keys.
 *
 * The ACL input is not the packet but a small key built per packet from the parser's meta and
 * the identity lookups (DESIGN decision 1): protocol, source and destination identity, source
 * and destination address (for ipBlock peers) and the destination port. Every field of the
 * key is in network byte order, identities included; rule values are in host byte order
 * (rte_acl.h).
 *
 * One table per family and direction (PW_ACL_CAT_EGRESS, PW_ACL_CAT_INGRESS). An egress rule
 * constrains the source identity (the pod its policy selects: the "owner"), the destination
 * identity or address (the "peer") and the port; an ingress rule the same with the sides
 * swapped. In one table for both directions, rte_acl's trie is the product of the two: every
 * ingress ipBlock prefix gets merged under every egress ipBlock prefix wherever their
 * identity ranges and ports overlap. On the propagation benchmark's cluster (10k pods, 1k
 * policies, 553 IPv4 rules) the single IPv4 table took 52,687 trie nodes and about 120 ms to
 * build; its two direction tables take 1,967 + 2,167 nodes and a few ms. The worker then
 * classifies a packet only in the directions that some side enforces: one table walk for
 * traffic with one local end, two for traffic between two isolated local pods.
 *
 * Each table reads the owner first, then the peer, then the port, then the peer's address:
 * the trie branches on the pod the rules protect, and only that pod's rules lie below.
 * Identities fit in 16 bits up to 65535 identities: then owner and peer share one 4-byte input
 * word (PW_ACL_IDS_16), read as [source][destination] by the egress table and
 * [destination][source] by the ingress table, so the key carries both words. Beyond that, the
 * tables read the 32-bit words (PW_ACL_IDS_32). The key carries every word; a table's field
 * definitions choose what it reads.
 *
 * rte_acl reads field 0 as one byte and every later input_index as one 4-byte word, so the
 * 2-byte destination port shares its word with the source port (never matched: always the
 * full range), like l3fwd_acl.c packs both ports.
 *
 * A result is the matching rule's userdata (its index in pw_snapshot.rules), 0 when none
 * matched. Each table has one category.
 */
#ifndef PW_ACL_LAYOUT_H
#define PW_ACL_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_acl.h>

/** Directions: the table a rule goes to (and pw_rule_meta.dir). */
enum pw_acl_cat {
	PW_ACL_CAT_EGRESS = 0,	/**< egress, enforced at the source pod */
	PW_ACL_CAT_INGRESS = 1, /**< ingress, enforced at the destination pod */
	PW_ACL_NB_DIRS = 2,
};

/** Categories of a table classifying both directions at once (bench/naive_acl.c). */
#define PW_ACL_NB_CATEGORIES RTE_ALIGN(PW_ACL_NB_DIRS, RTE_ACL_RESULTS_MULTIPLIER)

/** Categories of a podwall table: one per table (its direction). */
#define PW_ACL_TABLE_CATEGORIES 1

/** Width of the identity fields a table reads. */
enum pw_acl_ids {
	PW_ACL_IDS_16 = 16, /**< identities <= PW_ACL_IDS_16_MAX: owner and peer in one word */
	PW_ACL_IDS_32 = 32, /**< one word each */
};

/** The largest identity PW_ACL_IDS_16 tables can hold. */
#define PW_ACL_IDS_16_MAX UINT16_MAX

/** Rule fields, in trie order; the same indexes in both families. */
enum pw_acl_field {
	PW_ACLF_PROTO = 0, /**< BITMASK, 1 byte: IPPROTO_*, or any */
	PW_ACLF_OWNER,	   /**< RANGE: source identity (egress), destination (ingress) */
	PW_ACLF_PEER,	   /**< RANGE: the other side's identity */
	PW_ACLF_SPORT,	   /**< RANGE, 2 bytes: always the full range */
	PW_ACLF_DPORT,	   /**< RANGE, 2 bytes: destination port */
	PW_ACLF_NET0,	   /**< MASK, 4 bytes each: the peer's address, most significant first */
	PW_ACLF_NET1,
	PW_ACLF_NET2,
	PW_ACLF_NET3,
};

#define PW_ACL4_NB_FIELDS (PW_ACLF_NET0 + 1)
#define PW_ACL6_NB_FIELDS (PW_ACLF_NET3 + 1)

RTE_ACL_RULE_DEF(pw_acl4_rule, PW_ACL4_NB_FIELDS);
RTE_ACL_RULE_DEF(pw_acl6_rule, PW_ACL6_NB_FIELDS);

/** Per-packet key of the IPv4 tables (32 bytes); every field in network byte order. */
struct pw_acl4_key {
	uint8_t proto;	 /**< IPPROTO_*; input 0 (one byte) */
	uint8_t pad[3];	 /**< zero */
	uint16_t eg_src; /**< PW_ACL_IDS_16 egress word: source identity, */
	uint16_t eg_dst; /**< then destination identity */
	uint16_t in_dst; /**< PW_ACL_IDS_16 ingress word: destination identity, */
	uint16_t in_src; /**< then source identity */
	uint32_t src_id; /**< PW_ACL_IDS_32: source identity, 0 = not a pod */
	uint32_t dst_id; /**< PW_ACL_IDS_32: destination identity */
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t sport; /**< always 0: only fills the port word */
	uint16_t dport; /**< 0 for ICMP, other protocols and non-first fragments */
} __rte_packed;

/** Per-packet key of the IPv6 tables (56 bytes); every field in network byte order. */
struct pw_acl6_key {
	uint8_t proto;
	uint8_t pad[3];
	uint16_t eg_src;
	uint16_t eg_dst;
	uint16_t in_dst;
	uint16_t in_src;
	uint32_t src_id;
	uint32_t dst_id;
	uint32_t src_ip[4];
	uint32_t dst_ip[4];
	uint16_t sport;
	uint16_t dport;
} __rte_packed;

/** One rte_acl_field_def of a key struct @p st's member @p m (bench/naive_acl.c uses it). */
#define PW_ACL_FIELD_(t, sz, fi, ii, st, m)                                          \
	{                                                                            \
		.type = (t), .size = (sz), .field_index = (fi), .input_index = (ii), \
		.offset = offsetof(struct st, m)                                     \
	}

static inline struct rte_acl_field_def
pw_acl_def_(uint8_t type, uint8_t size, uint8_t field, uint8_t input, size_t offset)
{
	struct rte_acl_field_def d = {
		.type = type,
		.size = size,
		.field_index = field,
		.input_index = input,
		.offset = (uint32_t)offset,
	};

	return d;
}

/**
 * The field definitions (rte_acl_config.defs) of the table of @p family (4 or 6), direction
 * @p dir and identity width @p ids. @p defs has room for PW_ACL6_NB_FIELDS.
 * @return the number of fields (PW_ACL4_NB_FIELDS or PW_ACL6_NB_FIELDS).
 */
static inline unsigned int
pw_acl_defs(
	uint8_t family, enum pw_acl_cat dir, enum pw_acl_ids ids, struct rte_acl_field_def *defs)
{
	bool eg = dir == PW_ACL_CAT_EGRESS, v4 = family == 4;
	size_t o_eg = offsetof(struct pw_acl4_key, eg_src),
	       o_in = offsetof(struct pw_acl4_key, in_dst);
	size_t o_src = offsetof(struct pw_acl4_key, src_id),
	       o_dst = offsetof(struct pw_acl4_key, dst_id);
	size_t o_ports =
		v4 ? offsetof(struct pw_acl4_key, sport) : offsetof(struct pw_acl6_key, sport);
	size_t o_net = v4 ?
		(eg ? offsetof(struct pw_acl4_key, dst_ip) : offsetof(struct pw_acl4_key, src_ip)) :
		(eg ? offsetof(struct pw_acl6_key, dst_ip) : offsetof(struct pw_acl6_key, src_ip));
	unsigned int w, nb_words = v4 ? 1 : 4;
	uint8_t in = 1;

	/* The identity words sit at the same offsets in both keys. */
	RTE_BUILD_BUG_ON(
		offsetof(struct pw_acl4_key, src_id) != offsetof(struct pw_acl6_key, src_id));
	RTE_BUILD_BUG_ON(
		offsetof(struct pw_acl4_key, in_dst) != offsetof(struct pw_acl6_key, in_dst));
	defs[PW_ACLF_PROTO] = pw_acl_def_(RTE_ACL_FIELD_TYPE_BITMASK, 1, PW_ACLF_PROTO, 0, 0);
	if (ids == PW_ACL_IDS_16) {
		size_t o = eg ? o_eg : o_in;

		defs[PW_ACLF_OWNER] =
			pw_acl_def_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACLF_OWNER, in, o);
		defs[PW_ACLF_PEER] =
			pw_acl_def_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACLF_PEER, in++, o + 2);
	} else {
		defs[PW_ACLF_OWNER] = pw_acl_def_(
			RTE_ACL_FIELD_TYPE_RANGE, 4, PW_ACLF_OWNER, in++, eg ? o_src : o_dst);
		defs[PW_ACLF_PEER] = pw_acl_def_(
			RTE_ACL_FIELD_TYPE_RANGE, 4, PW_ACLF_PEER, in++, eg ? o_dst : o_src);
	}
	defs[PW_ACLF_SPORT] = pw_acl_def_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACLF_SPORT, in, o_ports);
	defs[PW_ACLF_DPORT] =
		pw_acl_def_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACLF_DPORT, in++, o_ports + 2);
	for (w = 0; w < nb_words; w++)
		defs[PW_ACLF_NET0 + w] = pw_acl_def_(RTE_ACL_FIELD_TYPE_MASK, 4,
			(uint8_t)(PW_ACLF_NET0 + w), in++, o_net + 4 * w);
	return PW_ACLF_NET0 + nb_words;
}

#endif /* PW_ACL_LAYOUT_H */
