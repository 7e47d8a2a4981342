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
 */
#ifndef PW_BENCH_SCENARIO_H
#define PW_BENCH_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#define SC_ALLOWED_PORT 8080
#define SC_DENIED_PORT 9090

struct sc_params {
	unsigned int nb_pods;
	unsigned int nb_ns;
	unsigned int nb_apps;
	unsigned int nb_policies;
	unsigned int allowed_pct; /**< share of flows that policy allows, 0..100 */
	uint64_t seed;
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
};

/** Clamp the parameters so every (namespace, app) group has a pod. @return 0 or -1. */
int sc_normalize(struct sc_params *p);

/** The IPv4 address of pod @p i, host order. */
uint32_t sc_pod_ip(unsigned int i);

/** The IPv6 address of pod @p i (fd00:10:64:: + i + 1), network order, into @p out. */
void sc_pod_ip6(unsigned int i, uint8_t out[16]);

/** Whether UDP or TCP from pod @p s to pod @p d on @p dport is allowed by the policies. */
bool sc_allowed(const struct sc_params *p, unsigned int s, unsigned int d, uint16_t dport);

/** Fill @p flows[0..n-1]; allowed share as asked (0% or 100% when no group is isolated). */
void sc_flows(const struct sc_params *p, struct sc_flow *flows, unsigned int n);

/** Write the scenario's manifests into directory @p dir (created). @return 0 or -1. */
int sc_write(const struct sc_params *p, const char *dir);

#endif /* PW_BENCH_SCENARIO_H */
