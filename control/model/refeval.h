/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The reference evaluator: NetworkPolicy semantics written as plainly as possible, straight
 * from the model, one flow at a time. It is the oracle the compiled ACL path is tested
 * against, and it is too slow for anything else.
 */
#ifndef PW_REFEVAL_H
#define PW_REFEVAL_H

#include <stdbool.h>
#include <stdint.h>

#include "control/model/model.h"

/** A flow as policy sees it: addresses, protocol, destination port (0 when none). */
struct pw_flow {
	struct pw_ip src;
	struct pw_ip dst;
	uint8_t proto;
	uint16_t dport;
};

enum pw_dir_reason {
	PW_DIR_NOT_ENFORCED = 0, /**< not a pod of this node (or not a pod at all) */
	PW_DIR_NOT_ISOLATED,	 /**< a local pod no policy isolates in this direction */
	PW_DIR_ALLOWED,		 /**< a rule of a policy selecting the pod matched */
	PW_DIR_NO_RULE,		 /**< isolated, no rule matched: denied */
};

/** The verdict of one direction (egress at the source, ingress at the destination). */
struct pw_dir_verdict {
	bool allowed;
	enum pw_dir_reason reason;
	const struct pw_policy *policy; /**< PW_DIR_ALLOWED: the first policy (model order) */
	unsigned int rule;		/**< PW_DIR_ALLOWED: index of its first matching rule */
};

struct pw_verdict_pair {
	struct pw_dir_verdict egress;  /**< at the source pod */
	struct pw_dir_verdict ingress; /**< at the destination pod */
	bool allowed;		       /**< both */
};

/**
 * Decide @p flow as Kubernetes defines it, enforcing each direction only for pods whose
 * spec.nodeName is @p node (NULL: every pod is local).
 */
void pw_ref_evaluate(const struct pw_model *model, const char *node, const struct pw_flow *flow,
	struct pw_verdict_pair *ret);

/** "not enforced", "not isolated", "allowed by rule", "isolated, no rule matched". */
const char *pw_dir_reason_name(enum pw_dir_reason r);

#endif /* PW_REFEVAL_H */
