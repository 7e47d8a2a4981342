/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The policy benchmark's cluster generator, its grouped view of a model, and its traffic mix.
 *
 * cg_generate() makes a deterministic cluster shaped like a real one: namespaces with team
 * and env labels, deployments of 2..20 replicas (app, tier, version, pod-template-hash),
 * named container ports (http, grpc, metrics, db, redis, dns), about 100 pods per node, and
 * NetworkPolicies of the usual shapes (default deny, per-deployment allow lists on named or
 * numeric ports, monitoring from another namespace, DNS egress, ipBlock with except, endPort
 * ranges, matchExpressions). Bench code only: it is not used by the daemon.
 *
 * cg_view_create() groups the endpoint pods of ANY model by (namespace, labels): pods of one
 * group are alike for every selector. The naive per-IP compiler and the traffic generator
 * work on groups so that selectors are evaluated once per group, not once per pod.
 */
#ifndef PW_CLUSTER_GEN_H
#define PW_CLUSTER_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include "control/model/model.h"
#include "podwall/pw_pkt.h"

/** The node the benchmark plays (pods on other nodes are remote). */
#define CG_LOCAL_NODE "node-1"

struct cg_params {
	unsigned int nb_pods;	    /**< endpoint pods in all */
	unsigned int nb_policies;   /**< NetworkPolicies in all */
	unsigned int pods_per_node; /**< average; nodes = nb_pods / pods_per_node (>= 2) */
	uint64_t seed;
};

/** What the generator made, for the report. */
struct cg_stats {
	unsigned int nb_namespaces;
	unsigned int nb_deployments;
	unsigned int nb_nodes;
	unsigned int nb_pods;
	unsigned int nb_local_pods; /**< on CG_LOCAL_NODE */
	unsigned int nb_policies;
	unsigned int nb_default_deny; /**< podSelector {} with no rule */
	unsigned int nb_egress;	      /**< policies isolating egress */
	unsigned int nb_ipblock;      /**< with at least one ipBlock peer */
	unsigned int nb_port_range;   /**< with at least one endPort */
	unsigned int nb_named_port;   /**< with at least one named port */
	unsigned int nb_ns_selector;  /**< with at least one namespaceSelector peer */
	unsigned int nb_match_expr;   /**< with a NotIn/Exists/multi-value In requirement */
};

/**
 * Generate a cluster into a new model. Deterministic for a given @p p. Exits the process
 * when out of memory (bench code).
 * @return 0, or the model's -EINVAL (a generator bug).
 */
int cg_generate(const struct cg_params *p, struct pw_model **ret_model, struct cg_stats *st);

/** The generator's random numbers (xorshift64*): the next of @p state (never 0). */
uint64_t cg_rand(uint64_t *state);

/** Endpoint pods with the same namespace and labels. */
struct cg_group {
	const char *ns;
	const struct pw_labels *labels;
	unsigned int ns_idx; /**< index in cg_view.nss */
	unsigned int first;  /**< index of its first pod in cg_view.pods */
	unsigned int nb;
	unsigned int nb_local;
};

struct cg_ns {
	const char *name;
	const struct pw_labels *labels; /**< what a namespace selector sees */
	unsigned int first_group;
	unsigned int nb_groups;
	unsigned int first_pol; /**< its policies in model order */
	unsigned int nb_pols;
};

/** A read-only grouped view of a model (valid while the model is unchanged). */
struct cg_view {
	const struct pw_model *model;
	const struct pw_pod **pods; /**< endpoint pods, in model order */
	unsigned int nb_pods;
	bool *local;		 /**< per pod: local (node NULL: every pod) */
	unsigned int *pod_group; /**< per pod */
	struct cg_group *groups;
	unsigned int nb_groups;
	struct cg_ns *nss; /**< sorted by name */
	unsigned int nb_ns;
	unsigned int *local_pods; /**< indexes of the local pods */
	unsigned int nb_local;
	struct pw_labels *fallback; /**< name-only labels of namespaces without an object */
	struct pw_label *fallback_label;
};

/** @return 0 or -ENOMEM. @p node NULL: every pod is local. */
int cg_view_create(const struct pw_model *model, const char *node, struct cg_view **ret);
/** NULL is a no-op. */
void cg_view_free(struct cg_view *v);

/** The namespace named @p name, or NULL. */
const struct cg_ns *cg_view_ns(const struct cg_view *v, const char *name);

/** Whether the PODS peer @p peer of policy @p pol matches the pods of group @p g. */
bool cg_peer_matches(const struct cg_view *v, const struct pw_policy *pol,
	const struct pw_peer *peer, const struct cg_group *g);

/** The IPv4 address of pod @p pod (network order), or false when it has none. */
bool cg_pod_ip4(const struct pw_pod *pod, uint32_t *ret);

/** Traffic mix shares, in packets. */
struct cg_mix {
	unsigned int by_policy; /**< a rule's peer to its selected pod on the rule's port */
	unsigned int random;	/**< pod to pod on one of the destination's ports */
	unsigned int external;	/**< a non-pod address to or from a pod */
	unsigned int dns;	/**< a pod to a kube-dns pod, UDP 53 */
};

/**
 * Fill @p metas[0..n-1] with parsed IPv4 TCP/UDP packets "matching" the policies of the
 * view's model: every packet has a local pod at one end (the node's traffic).
 * @return 0, or -ENOENT when the view has no local pod.
 */
int cg_traffic(const struct cg_view *v, uint64_t seed, struct pw_pkt_meta *metas, unsigned int n,
	struct cg_mix *mix);

#endif /* PW_CLUSTER_GEN_H */
