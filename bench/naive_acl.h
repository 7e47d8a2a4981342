/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The benchmark's baseline: a naive per-IP compile of NetworkPolicies (DESIGN decision 1).
 * Every rule becomes one rte_acl rule per (source address or prefix) × (destination address
 * or prefix) × port entry over the raw IPv4 5-tuple (protocol, source and destination
 * address, ports), with the same two categories as podwall (egress at the source, ingress at
 * the destination) and, per isolated local pod, a lowest-priority "deny" rule. IPv4 only.
 * Bench code: the comparison point, not production code.
 */
#ifndef PW_NAIVE_ACL_H
#define PW_NAIVE_ACL_H

#include <stdint.h>

#include "cluster_gen.h"
#include "podwall/pw_pkt.h"

struct rte_acl_ctx;
struct nv_pass;

/** Count the naive rules of the view's model without building them. @return 0 or -ENOMEM. */
int nv_count(const struct cg_view *v, uint64_t *ret_nb_rules);

/**
 * Compile the view's model naively and build the rte_acl table @p name (unique).
 * @param ret_compile_ns  the time spent writing the rules (the rest is rte_acl's)
 * @return 0 or -errno (from rte_acl, or -ENOMEM).
 */
int nv_build(const struct cg_view *v, const char *name, struct rte_acl_ctx **ret,
	uint64_t *ret_nb_rules, uint64_t *ret_compile_ns);

/** Per-burst scratch for nv_pass_run() on table @p acl. @return 0 or -ENOMEM. */
int nv_pass_create(const struct rte_acl_ctx *acl, struct nv_pass **ret);
/** NULL is a no-op. */
void nv_pass_free(struct nv_pass *p);

/**
 * Classify @p m[0..n-1] (IPv4) in bursts of 32 as podwall's worker does: a key per packet,
 * one rte_acl_classify() per burst, both categories. @p deny (optional) gets each verdict.
 * @return the packets denied.
 */
unsigned int nv_pass_run(void *pass, const struct pw_pkt_meta *m, unsigned int n, uint8_t *deny);

#endif /* PW_NAIVE_ACL_H */
