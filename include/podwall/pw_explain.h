/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * What the dataplane offers control about a policy snapshot beyond publishing it: explain one
 * flow with the worker's own classification, read rule hit counters, free a snapshot that was
 * never published. Implemented in dataplane/explain.c and dataplane/snapshot.c.
 */
#ifndef PW_EXPLAIN_H
#define PW_EXPLAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "podwall/pw_pkt.h"
#include "podwall/pw_snapshot.h"

/** Why a direction is decided the way it is (same order as the reference evaluator's). */
enum pw_explain_state {
	PW_EXPLAIN_NOT_ENFORCED = 0, /**< not a pod of this node, or not a pod at all */
	PW_EXPLAIN_NOT_ISOLATED,     /**< a local pod that no policy isolates in this direction */
	PW_EXPLAIN_ALLOWED,	     /**< a rule of a policy selecting the pod matched */
	PW_EXPLAIN_NO_RULE,	     /**< isolated, no rule matched: denied */
};

/** One direction: egress at the source, ingress at the destination. */
struct pw_explain_dir {
	enum pw_explain_state state;
	bool enforced; /**< isolated local pod: the ACL decides */
	bool allowed;
	uint32_t identity;		 /**< of the pod this direction belongs to; 0 = not a pod */
	uint32_t rule;			 /**< deciding rule (index into snapshot rules), 0 = none */
	const struct pw_rule_meta *meta; /**< its metadata (borrowed from the snapshot), or NULL */
};

struct pw_explain {
	uint64_t generation;
	bool compiled; /**< false: a snapshot without tables decided by its default verdict */
	struct pw_explain_dir egress;
	struct pw_explain_dir ingress;
	bool allowed; /**< both directions */
};

/**
 * Decide one flow with the same key building and rte_acl classification as the workers.
 * @p flow is a parsed-packet meta: l3 (PW_L3_IPV4/IPV6), src, dst (network order), proto,
 * dport (host order) and flags (PW_PKT_F_FRAG_LATER) are read. Hit counters are not touched.
 * Control thread, on a snapshot it keeps alive (the live one, until it publishes the next).
 * @return 0, -EINVAL (@p flow is not IP), or -ENOMEM.
 */
int pw_snapshot_explain(
	const struct pw_snapshot *s, const struct pw_pkt_meta *flow, struct pw_explain *ret);

/** "not enforced", "not isolated", "allowed by rule", "isolated, no rule matched". */
const char *pw_explain_state_name(enum pw_explain_state st);

/**
 * Packets rule @p rule (1..nb_rules; 0: enforced directions no rule allowed) decided, summed
 * over the workers of snapshot @p s. Any thread (relaxed loads of single-writer counters).
 */
uint64_t pw_snapshot_rule_hits(const struct pw_snapshot *s, uint32_t rule);

/**
 * Free a snapshot and everything it owns (ACL contexts, address maps, arrays); NULL is a
 * no-op. Only for a snapshot no worker can see: never published, or retired and past its
 * grace period (pw_dp_reclaim() does that for published ones).
 */
void pw_snapshot_free(struct pw_snapshot *snap);

#endif /* PW_EXPLAIN_H */
