/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The policy snapshot: everything a worker needs to decide a packet, built by control off
 * the fast path (control/aclbuild.c), immutable once published, freed only after an RCU QSBR
 * grace period (dataplane/snapshot.c).
 *
 * Two kinds: a snapshot without tables (@c compiled false: the policy source "none") applies
 * @c default_verdict to all IP traffic; a compiled snapshot maps addresses to identities,
 * classifies with rte_acl and allows whatever is not enforced (DESIGN decisions 1 and 2).
 */
#ifndef PW_SNAPSHOT_H
#define PW_SNAPSHOT_H

#include <stdbool.h>
#include <stdint.h>

struct rte_acl_ctx;
struct rte_hash;
struct pw_acl_table;

enum pw_verdict {
	PW_VERDICT_ALLOW = 0,
	PW_VERDICT_DENY = 1,
};

/** pw_snapshot.ident_flags */
#define PW_IDENT_F_LOCAL (1u << 0)	     /**< the pod runs on this node */
#define PW_IDENT_F_ENFORCE_EGRESS (1u << 1)  /**< local and isolated for egress */
#define PW_IDENT_F_ENFORCE_INGRESS (1u << 2) /**< local and isolated for ingress */

/** What an ACL result (a rule's userdata) stands for: one rule of one policy. */
struct pw_rule_meta {
	const char *ns;	  /**< the policy's namespace (owned by the snapshot) */
	const char *name; /**< the policy's name */
	uint32_t policy;  /**< index of the policy in the model's order at build time */
	uint16_t rule;	  /**< index in spec.egress or spec.ingress */
	uint8_t dir;	  /**< PW_ACL_CAT_EGRESS or PW_ACL_CAT_INGRESS (pw_acl_layout.h) */
};

/** Sizes and build costs, for stats and the benchmark. */
struct pw_snapshot_info {
	uint32_t nb_identities;
	uint32_t nb_endpoints;	/**< endpoint pods */
	uint32_t nb_ips;	/**< entries of the address maps */
	uint32_t nb_rules;	/**< policy rules (pw_snapshot.rules, without entry 0) */
	uint32_t nb_acl_rules4; /**< rte_acl rules of the IPv4 tables (0: no IPv4 endpoint, none) */
	uint32_t nb_acl_rules6; /**< of the IPv6 tables */
	uint64_t compile_ns;	/**< model → rules (control/model/compile.c) */
	uint64_t acl_build_ns;	/**< rte_acl_add_rules() + rte_acl_build() of the tables built */
	uint64_t build_ns;	/**< the whole snapshot, compile included */
	uint64_t acl_mem_bytes; /**< DPDK heap taken by the ACL contexts (reused ones included) */
	uint64_t hash_mem_bytes; /**< DPDK heap taken by the two address maps */
	uint8_t acl_ids;	 /**< identity width of the tables: enum pw_acl_ids */
	uint8_t nb_acl_tables;	 /**< non-empty ACL tables (up to PW_SNAP_NB_TABLES) */
	uint8_t nb_acl_reused;	 /**< of which shared with the previous snapshot, not built */
};

/** pw_snapshot.tables[]: the table of family @p v6 (0, 1) and direction @p dir. */
#define PW_SNAP_TABLE(v6, dir) ((v6)*2 + (dir))
#define PW_SNAP_NB_TABLES 4

/**
 * An rte_acl context and the rules it was built from, shared by the snapshots whose compiled
 * rules for that family and direction are identical (a pod joining or leaving an identity
 * changes the address maps, not the rules). Control side only: workers read the raw context
 * pointers of struct pw_snapshot. Created by control/aclbuild.c with one reference; every
 * snapshot that points at it holds one, and pw_snapshot_free() drops it. The context is freed
 * with the last reference. @c refs is atomic although snapshots are built and freed on the
 * control thread only.
 */
struct pw_acl_table {
	struct rte_acl_ctx *ctx;
	uint32_t refs;
	uint8_t family;	     /**< 4 or 6 */
	uint8_t dir;	     /**< enum pw_acl_cat */
	uint8_t ids;	     /**< enum pw_acl_ids */
	uint32_t nb_rules;   /**< rules[] entries */
	uint32_t rule_size;  /**< bytes per rule (RTE_ACL_RULE_SZ of the family's fields) */
	uint64_t digest;     /**< of rules[]: finds a candidate without comparing them all */
	void *rules;	     /**< the rules as given to rte_acl_add_rules() (malloc'd) */
	uint64_t mem_bytes;  /**< DPDK heap the context takes */
	uint64_t build_ns;   /**< what building it cost */
	uint64_t generation; /**< of the snapshot that built it (its name) */
};

/** Take one more reference to @p t (NULL: no-op). @return @p t. */
struct pw_acl_table *pw_acl_table_get(struct pw_acl_table *t);

/** Drop one reference to @p t (NULL: no-op); the last frees the context and the rules. */
void pw_acl_table_put(struct pw_acl_table *t);

struct pw_snapshot {
	uint64_t generation;	 /**< strictly increasing, 1 for the first published snapshot */
	uint8_t default_verdict; /**< enum pw_verdict for IP traffic when @c compiled is false */
	uint64_t built_tsc;	 /**< rte_rdtsc() when the build finished */

	bool compiled; /**< tables below are valid; traffic no policy enforces is allowed */
	/** IPv4 egress table; NULL when it has no rule or there is no IPv4 endpoint (a NULL
	 * table matches nothing; without endpoints of a family, nothing of it is enforced). */
	struct rte_acl_ctx *acl4;
	struct rte_acl_ctx *acl6; /**< IPv6 egress table; NULL likewise */
	struct rte_hash *ip4;	  /**< IPv4 address (4 bytes, network order) → identity */
	struct rte_hash *ip6;	  /**< IPv6 address (16 bytes) → identity; NULL when empty */
	uint32_t nb_identities;
	uint8_t *ident_flags; /**< [nb_identities + 1] PW_IDENT_F_*; [0] is "world": 0 */
	uint32_t nb_rules;
	struct pw_rule_meta *rules; /**< [nb_rules + 1], indexed by ACL userdata; [0] unused */
	char *strings;		    /**< backs rules[].ns and .name */

	/**
	 * Per-worker rule hit counters: row w (hits + w * hits_stride) belongs to worker w
	 * alone (single writer, relaxed stores), rows cache-line aligned. Column r counts the
	 * packets rule r decided in either direction; column 0 counts enforced directions no
	 * rule allowed (denials). They live and die with the snapshot.
	 */
	uint64_t *hits;
	uint32_t hits_stride; /**< uint64_t per row: nb_rules + 1 rounded up to a cache line */
	uint32_t nb_workers;

	struct pw_snapshot_info info;

	struct rte_acl_ctx *acl4_in; /**< IPv4 ingress table; NULL when it has no rule */
	struct rte_acl_ctx *acl6_in; /**< IPv6 ingress table; NULL likewise */
	/**
	 * Owners of the four contexts above (PW_SNAP_TABLE order: acl4, acl4_in, acl6, acl6_in),
	 * NULL where the context is NULL. A snapshot with a context but no owner (built by hand)
	 * owns the context itself. Control side only.
	 */
	struct pw_acl_table *tables[PW_SNAP_NB_TABLES];
};

#endif /* PW_SNAPSHOT_H */
