/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall-bench's cluster scenario: pods in namespaces, NetworkPolicies, and flows whose
 * verdict is known by construction (see bench/README.md, "Packet generator and harness").
 *
 * Pod i lives in namespace ns-(i % K) with label app=app-((i / K) % A), runs on node-1, and
 * is dual-stack: 10.64.0.0 + i + 1 and fd00:10:64:: + i + 1. Policy p selects group
 * g = p % (K * A) (namespace g % K, app g / K) and allows ingress from
 * app-((g / K + 1 + p / (K * A)) % A) of the same namespace on port 8080, UDP and TCP. A group
 * is isolated when some policy selects it; nothing isolates egress. sc_allowed() is that rule
 * written out (the same for both families and both protocols); the manifests sc_write() makes
 * say the same.
 *
 * That is the simple shape (SC_SHAPES_SIMPLE), kept so that the figures recorded with it can be
 * reproduced. The rich shape (SC_SHAPES_RICH, scenario_rich.c) writes what users run:
 * labelled namespaces, pods with several labels and named container ports, policies with
 * namespaceSelectors, matchExpressions, named and numeric ports, an endPort range, egress
 * isolation with a DNS rule and ipBlock rules with except. Its expected verdicts are not known
 * by construction: sc_scenario_create() decodes the manifests it wrote through podwall's own
 * path (the manifests source, pw_k8s_decode(), the model) and sc_scenario_flows() asks
 * podwall's reference evaluator (pw_ref_evaluate(), node "node-1") for every flow.
 */
#ifndef PW_BENCH_SCENARIO_H
#define PW_BENCH_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SC_ALLOWED_PORT 8080
#define SC_DENIED_PORT 9090

/** Pods of the rich shape's kube-system namespace (k8s-app=kube-dns), after the nb_pods. */
#define SC_NB_DNS_PODS 2
/**
 * Pod indices with this bit set name an address outside the cluster (the rich shape's ipBlock
 * destinations): sc_pod_ip() and sc_pod_ip6() give it; SC_NB_EXT of them.
 */
#define SC_EXT_BIT 0x80000000u
#define SC_NB_EXT 4

enum sc_shapes {
	SC_SHAPES_SIMPLE = 0, /**< one rule shape, verdicts by construction (sc_allowed()) */
	SC_SHAPES_RICH,	      /**< scenario_rich.c; verdicts from refeval over the manifests */
};

struct sc_params {
	unsigned int nb_pods;
	unsigned int nb_ns;
	unsigned int nb_apps;
	unsigned int nb_policies;
	unsigned int allowed_pct; /**< share of flows that policy allows, 0..100 */
	uint64_t seed;
	enum sc_shapes shapes; /**< 0: SC_SHAPES_SIMPLE */
};

struct sc_flow {
	uint32_t src_ip; /**< host order */
	uint32_t dst_ip;
	uint32_t src_pod; /**< pod indices: sc_pod_ip6(), and a reply's verdict (sc_allowed()) */
	uint32_t dst_pod;
	uint16_t sport;
	uint16_t dport;
	uint8_t allowed;
	uint8_t v6;    /**< 0: IPv4; 1: IPv6 (set by the caller; sc_flows() leaves 0) */
	uint8_t proto; /**< IPPROTO_UDP or IPPROTO_TCP (sc_flows() sets UDP) */
	/**
	 * sc_scenario_flows() with SC_FLOWS_REPLIES, rich shape: bit k is the verdict of the
	 * reversed flow (dst_pod to src_pod) on a destination port of the k-th port interval
	 * (see sc_scenario_reply_allowed()).
	 */
	uint64_t rev_ports;
};

/** Clamp the parameters so every (namespace, app) group has a pod. @return 0 or -1. */
int sc_normalize(struct sc_params *p);

/** The IPv4 address of pod @p i (or of outside address i & ~SC_EXT_BIT), host order. */
uint32_t sc_pod_ip(unsigned int i);

/**
 * The IPv6 address of pod @p i (fd00:10:64:: + i + 1; or of outside address i & ~SC_EXT_BIT),
 * network order, into @p out.
 */
void sc_pod_ip6(unsigned int i, uint8_t out[16]);

/**
 * Simple shape only: whether UDP or TCP from pod @p s to pod @p d on @p dport is allowed by the
 * policies.
 */
bool sc_allowed(const struct sc_params *p, unsigned int s, unsigned int d, uint16_t dport);

/**
 * Simple shape only: fill @p flows[0..n-1]; allowed share as asked (0% or 100% when no group is
 * isolated).
 */
void sc_flows(const struct sc_params *p, struct sc_flow *flows, unsigned int n);

/**
 * Write the scenario's manifests (the shape of @p p) into directory @p dir (created).
 * @return 0 or -1.
 */
int sc_write(const struct sc_params *p, const char *dir);

/* ---- A scenario with its model: both shapes, the rich one needs it ---------------------- */

struct sc_scenario;

/** What sc_scenario_flows() did. */
struct sc_flow_stats {
	unsigned int asked_allowed; /**< flows drawn to be allowed */
	unsigned int unmet;	    /**< flows whose verdict is not the one drawn (no candidate) */
	uint64_t candidates;	    /**< candidate flows judged */
	uint64_t evaluations;	    /**< pw_ref_evaluate() calls (the rest came from the cache) */
	double seconds;		    /**< wall time of the call */
};

/**
 * Write the scenario's manifests into @p dir (NULL: a private temporary directory, removed
 * before returning) and, for the rich shape, decode them into a podwall model the way the
 * daemon's manifests source does. Any object the scenario wrote that podwall rejects (or does
 * not use), and any file error, fails the call: the scenario is wrong, not the flows.
 * @p p must have passed sc_normalize(); it is copied.
 * @return 0; -EINVAL (with @p err: what was rejected and why), -ENOMEM, -errno.
 */
int sc_scenario_create(const struct sc_params *p, const char *dir, struct sc_scenario **ret,
	char *err, size_t err_len);

/** Free; NULL is a no-op. */
void sc_scenario_free(struct sc_scenario *sc);

/** Ask sc_scenario_flows() for the reversed flows' verdicts too (--bidir --stateless). */
#define SC_FLOWS_REPLIES 1u

/**
 * Fill @p flows[0..n-1]. The caller sets each flow's v6 and proto (IPPROTO_UDP or
 * IPPROTO_TCP; 0 counts as UDP) first; they are kept, and the verdict is for them. The
 * allowed share is sc_params.allowed_pct: the simple shape as sc_flows(); the rich shape draws
 * candidate flows (mostly aimed at one policy's rule) and keeps the first one whose verdict,
 * by pw_ref_evaluate() on the decoded model, is the one drawn, at most 256 per flow; past that
 * the last candidate is kept with its true verdict and counted in @p st->unmet. Verdicts are
 * cached per (source, destination, family, protocol, port) class: pods of one namespace with
 * the same labels, container ports and node, and whose addresses no ipBlock of the model
 * covers, get the same verdicts (refeval reads nothing else of a pod).
 * @param flags  SC_FLOWS_REPLIES: also fill rev_ports (simple shape: left 0, not needed).
 * @param st     may be NULL.
 * @return 0, -ENOMEM, -E2BIG (SC_FLOWS_REPLIES and more than 64 port intervals).
 */
int sc_scenario_flows(struct sc_scenario *sc, struct sc_flow *flows, unsigned int n,
	unsigned int flags, struct sc_flow_stats *st);

/**
 * The verdict the policy (without connection tracking) gives a reply of flow @p f: from
 * f->dst_pod's address and port @p sport to f->src_pod's address, f->proto, f->v6. Rich shape:
 * from f->rev_ports (sc_scenario_flows() with SC_FLOWS_REPLIES); simple: sc_allowed().
 * Read-only: safe from every lcore.
 */
bool sc_scenario_reply_allowed(
	const struct sc_scenario *sc, const struct sc_flow *f, uint16_t sport);

/** The parameters (normalized) the scenario was made with. */
const struct sc_params *sc_scenario_params(const struct sc_scenario *sc);

struct pw_model;

/** The decoded model (rich shape; NULL for the simple one). Owned by @p sc. */
const struct pw_model *sc_scenario_model(const struct sc_scenario *sc);

/**
 * Rich shape: the node the scenario's pods run on, the one pw_ref_evaluate() is asked with.
 */
#define SC_NODE "node-1"

/** splitmix64's finaliser: a well-mixed 64-bit value from @p x (per-flow choices). */
static inline uint64_t
sc_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif /* PW_BENCH_SCENARIO_H */
