/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The policy compiler: cluster model + this node's name → identities, an IP → identity map and
 * a flat list of ACL rules over (protocol, source/destination identity, source/destination
 * prefix, destination port range). Pure C: no DPDK; control/aclbuild.c turns the result into
 * rte_acl tables and a policy snapshot. See compile.c for the design.
 */
#ifndef PW_COMPILE_H
#define PW_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/model/model.h"

/** Directions; the values are the ACL categories (PW_ACL_CAT_* in pw_acl_layout.h). */
enum pw_cp_dir {
	PW_CP_EGRESS = 0,
	PW_CP_INGRESS = 1,
};

/** Identity 0: an address that is no endpoint pod ("world"). */
#define PW_CP_WORLD 0u

/** The most ACL rules one compile may produce (then -E2BIG). */
#define PW_CP_MAX_RULES (1u << 21)

/** A set of endpoint pods that every selector and named port treats alike. */
struct pw_cp_identity {
	uint32_t id;	      /**< 1..nb_idents; the array index + 1 */
	bool local;	      /**< its pods run on this node */
	bool enforce_ingress; /**< local and some policy selecting it isolates ingress */
	bool enforce_egress;  /**< local and some policy selecting it isolates egress */
	unsigned int nb_pods;
	unsigned int first_pod; /**< model pod index (pw_model_pod_at) of its first pod */
};

/** One endpoint address. */
struct pw_cp_ip {
	struct pw_ip ip;
	uint32_t id;
};

/** A rule of a policy: what the ACL rules compiled from it report (explain, counters). */
struct pw_cp_meta {
	unsigned int policy; /**< index in the model's policy order at compile time */
	char *ns;
	char *name;
	enum pw_cp_dir dir;
	unsigned int rule; /**< index in spec.ingress or spec.egress */
};

/** An inclusive range of identity ids. */
struct pw_cp_range {
	uint32_t lo;
	uint32_t hi;
};

/** One ACL rule. It matches when every field matches. */
struct pw_cp_rule {
	uint32_t meta;	    /**< index into pw_compiled.metas */
	enum pw_cp_dir dir; /**< ACL category */
	uint8_t family;	    /**< 4 or 6: only that table; 0: both */
	uint8_t proto;	    /**< IPPROTO_*, 0 = any */
	uint16_t port_lo;   /**< destination port range, inclusive */
	uint16_t port_hi;
	struct pw_cp_range src_id; /**< 0..UINT32_MAX = any */
	struct pw_cp_range dst_id;
	struct pw_cidr src_net; /**< prefix 0 = any */
	struct pw_cidr dst_net;
};

/** The compiler's output. Owns everything it points to; pw_compiled_free() frees it. */
struct pw_compiled {
	struct pw_cp_identity *idents; /**< idents[i].id == i + 1 */
	uint32_t nb_idents;
	struct pw_cp_ip *ips; /**< sorted by (family, address) */
	unsigned int nb_ips;
	struct pw_cp_meta *metas; /**< model order: policy, then egress, then ingress rules */
	unsigned int nb_metas;
	struct pw_cp_rule *rules;
	unsigned int nb_rules;
	unsigned int nb_rules4;	     /**< rules in the IPv4 table (family 0 or 4) */
	unsigned int nb_rules6;	     /**< rules in the IPv6 table (family 0 or 6) */
	unsigned int nb_endpoints;   /**< endpoint pods */
	unsigned int nb_terms;	     /**< selector terms in a signature */
	unsigned int nb_named_ports; /**< distinct (name, protocol) pairs referenced */
	uint64_t compile_ns;	     /**< wall time of pw_compile() */
};

/**
 * Compile @p model for the node named @p node (NULL: every pod is local, as in
 * pw_ref_evaluate()). Deterministic: the same model gives the same output. Control thread;
 * reads the model only.
 *
 * @param ret  on success, the compiled policy (free with pw_compiled_free())
 * @param err  on failure, one line saying why
 * @return 0, -ENOMEM, or -E2BIG (more than PW_CP_MAX_RULES rules)
 */
int pw_compile(const struct pw_model *model, const char *node, struct pw_compiled **ret, char *err,
	size_t err_len);

/** NULL is a no-op. */
void pw_compiled_free(struct pw_compiled *cp);

/** The identity of @p ip, or PW_CP_WORLD. */
uint32_t pw_compiled_identity(const struct pw_compiled *cp, const struct pw_ip *ip);

#endif /* PW_COMPILE_H */
