/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall-bench's cluster scenario: pods in namespaces, NetworkPolicies, and flows whose
 * verdict is known by construction (see bench/README.md, "Packet generator and harness").
 *
 * Pod i lives in namespace ns-(i % K) with label app=app-((i / K) % A), runs on node-1, and
 * has the address 10.64.0.0 + i + 1. Policy p selects group g = p % (K * A) (namespace
 * g % K, app g / K) and allows ingress from app-((g / K + 1 + p / (K * A)) % A) of the same
 * namespace on UDP 8080. A group is isolated when some policy selects it; nothing isolates
 * egress. sc_allowed() is that rule written out; the manifests sc_write() makes say the same.
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
	uint16_t sport;
	uint16_t dport;
	uint8_t allowed;
};

/** Clamp the parameters so every (namespace, app) group has a pod. @return 0 or -1. */
int sc_normalize(struct sc_params *p);

/** The IPv4 address of pod @p i, host order. */
uint32_t sc_pod_ip(unsigned int i);

/** Whether UDP from pod @p s to pod @p d on @p dport is allowed by the scenario's policies. */
bool sc_allowed(const struct sc_params *p, unsigned int s, unsigned int d, uint16_t dport);

/** Fill @p flows[0..n-1]; allowed share as asked (0% or 100% when no group is isolated). */
void sc_flows(const struct sc_params *p, struct sc_flow *flows, unsigned int n);

/** Write the scenario's manifests into directory @p dir (created). @return 0 or -1. */
int sc_write(const struct sc_params *p, const char *dir);

#endif /* PW_BENCH_SCENARIO_H */
