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
 * rte_acl reads field 0 as one byte and every later input_index as one 4-byte word, so the
 * 2-byte destination port shares its word with the source port (never matched: always the
 * full range), like l3fwd_acl.c packs both ports.
 *
 * Categories: PW_ACL_CAT_EGRESS answers "does a rule of a policy selecting the source allow
 * this egress", PW_ACL_CAT_INGRESS the same for the destination (DESIGN decision 2). A result
 * is the matching rule's userdata (its index in pw_snapshot.rules), 0 when none matched.
 */
#ifndef PW_ACL_LAYOUT_H
#define PW_ACL_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_acl.h>

/** ACL categories: one classification answers both directions. */
enum pw_acl_cat {
	PW_ACL_CAT_EGRESS = 0,	/**< egress, enforced at the source pod */
	PW_ACL_CAT_INGRESS = 1, /**< ingress, enforced at the destination pod */
	PW_ACL_NB_DIRS = 2,
};

/** Categories built and classified: 2 rounded up as rte_acl_classify() requires. */
#define PW_ACL_NB_CATEGORIES RTE_ALIGN(PW_ACL_NB_DIRS, RTE_ACL_RESULTS_MULTIPLIER)

/** Fields of the IPv4 table, in rule order. */
enum pw_acl4_field {
	PW_ACL4_PROTO = 0,
	PW_ACL4_SRC_ID,
	PW_ACL4_DST_ID,
	PW_ACL4_SRC_IP,
	PW_ACL4_DST_IP,
	PW_ACL4_SPORT,
	PW_ACL4_DPORT,
	PW_ACL4_NB_FIELDS,
};

/** Fields of the IPv6 table: each address is four 32-bit words (most significant first). */
enum pw_acl6_field {
	PW_ACL6_PROTO = 0,
	PW_ACL6_SRC_ID,
	PW_ACL6_DST_ID,
	PW_ACL6_SRC_IP0,
	PW_ACL6_SRC_IP1,
	PW_ACL6_SRC_IP2,
	PW_ACL6_SRC_IP3,
	PW_ACL6_DST_IP0,
	PW_ACL6_DST_IP1,
	PW_ACL6_DST_IP2,
	PW_ACL6_DST_IP3,
	PW_ACL6_SPORT,
	PW_ACL6_DPORT,
	PW_ACL6_NB_FIELDS,
};

RTE_ACL_RULE_DEF(pw_acl4_rule, PW_ACL4_NB_FIELDS);
RTE_ACL_RULE_DEF(pw_acl6_rule, PW_ACL6_NB_FIELDS);

/** Per-packet key of the IPv4 table; every field in network byte order. */
struct pw_acl4_key {
	uint8_t proto;	 /**< IPPROTO_*; input 0 (one byte) */
	uint8_t pad[3];	 /**< zero */
	uint32_t src_id; /**< source identity, 0 = not a pod */
	uint32_t dst_id; /**< destination identity */
	uint32_t src_ip;
	uint32_t dst_ip;
	uint16_t sport; /**< always 0: only fills the port word */
	uint16_t dport; /**< 0 for ICMP, other protocols and non-first fragments */
} __rte_packed;

/** Per-packet key of the IPv6 table; every field in network byte order. */
struct pw_acl6_key {
	uint8_t proto;
	uint8_t pad[3];
	uint32_t src_id;
	uint32_t dst_id;
	uint32_t src_ip[4];
	uint32_t dst_ip[4];
	uint16_t sport;
	uint16_t dport;
} __rte_packed;

#define PW_ACL_FIELD_(t, sz, fi, ii, st, m)                                          \
	{                                                                            \
		.type = (t), .size = (sz), .field_index = (fi), .input_index = (ii), \
		.offset = offsetof(struct st, m)                                     \
	}

/** The field definitions of the IPv4 table (rte_acl_config.defs). */
#define PW_ACL4_DEFS                                                                               \
	{                                                                                          \
		PW_ACL_FIELD_(                                                                     \
			RTE_ACL_FIELD_TYPE_BITMASK, 1, PW_ACL4_PROTO, 0, pw_acl4_key, proto),      \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 4, PW_ACL4_SRC_ID, 1, pw_acl4_key, \
				src_id),                                                           \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 4, PW_ACL4_DST_ID, 2, pw_acl4_key, \
				dst_id),                                                           \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL4_SRC_IP, 3, pw_acl4_key,  \
				src_ip),                                                           \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL4_DST_IP, 4, pw_acl4_key,  \
				dst_ip),                                                           \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACL4_SPORT, 5, pw_acl4_key,  \
				sport),                                                            \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACL4_DPORT, 5, pw_acl4_key,  \
				dport),                                                            \
	}

/** The field definitions of the IPv6 table. */
#define PW_ACL6_DEFS                                                                               \
	{                                                                                          \
		PW_ACL_FIELD_(                                                                     \
			RTE_ACL_FIELD_TYPE_BITMASK, 1, PW_ACL6_PROTO, 0, pw_acl6_key, proto),      \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 4, PW_ACL6_SRC_ID, 1, pw_acl6_key, \
				src_id),                                                           \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 4, PW_ACL6_DST_ID, 2, pw_acl6_key, \
				dst_id),                                                           \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_SRC_IP0, 3, pw_acl6_key, \
				src_ip[0]),                                                        \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_SRC_IP1, 4, pw_acl6_key, \
				src_ip[1]),                                                        \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_SRC_IP2, 5, pw_acl6_key, \
				src_ip[2]),                                                        \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_SRC_IP3, 6, pw_acl6_key, \
				src_ip[3]),                                                        \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_DST_IP0, 7, pw_acl6_key, \
				dst_ip[0]),                                                        \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_DST_IP1, 8, pw_acl6_key, \
				dst_ip[1]),                                                        \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_DST_IP2, 9, pw_acl6_key, \
				dst_ip[2]),                                                        \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, PW_ACL6_DST_IP3, 10,             \
				pw_acl6_key, dst_ip[3]),                                           \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACL6_SPORT, 11, pw_acl6_key, \
				sport),                                                            \
			PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 2, PW_ACL6_DPORT, 11, pw_acl6_key, \
				dport),                                                            \
	}

#endif /* PW_ACL_LAYOUT_H */
