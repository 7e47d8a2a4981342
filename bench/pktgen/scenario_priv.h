/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Inside podwall-bench's scenario: what scenario.c, scenario_rich.c and scenario_oracle.c
 * share. Not for the generator (scenario.h is).
 */
#ifndef PW_BENCH_SCENARIO_PRIV_H
#define PW_BENCH_SCENARIO_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"

/** The scenario's xorshift64* generator (state never 0). */
uint64_t sc_rand(uint64_t *s);

/** Open @p dir/@p name for writing; reports with perror(). @return 0 or -1. */
int sc_write_file(const char *dir, const char *name, FILE **ret);

/** The rich shape's manifests into @p dir (exists). @return 0 or -1. */
int sc_rich_write(const struct sc_params *p, const char *dir);

/*
 * The rich shape (SC_SHAPES_RICH): scenario.c writes it (sc_rich_write()), scenario_rich.c
 * draws candidate flows from it, scenario_oracle.c judges them with refeval.
 *
 * Namespaces ns-k: team=team-(k % 7), env=prod|staging|dev (k % 3); and kube-system.
 * Pod i < nb_pods: namespace ns-(i % K), app=app-a with a = (i / K) % A, tier=web|api|db
 * (a % 3), track=canary when (i / (K * A)) % 4 == 3 else stable; two containers, named ports:
 *   web: http 8080/TCP, quic 8443/UDP; exporter: metrics 9100/TCP
 *   api: http 8081/TCP, grpc 50051/TCP; exporter: metrics 9100/TCP
 *   db:  pg 5432/TCP; exporter: metrics 9187/TCP
 * Pods nb_pods .. nb_pods + SC_NB_DNS_PODS - 1: kube-system, k8s-app=kube-dns, dns 53/UDP,
 * dns-tcp 53/TCP, metrics 9153/TCP. Every pod runs on SC_NODE, dual-stack (sc_pod_ip*()).
 *
 * Policy p selects group g = p % (K * A) (namespace g % K, app g / K) and has shape
 * (g + p / (K * A)) % 6:
 *   0 ingress from app-((a + 1 + p / (K * A)) % A) of its namespace, UDP and TCP 8080 (the
 *     simple shape's rule);
 *   1 ingress from pods with tier In [web, api] of namespaces with team=team-((ns + 1) % 7),
 *     on the named port http (TCP: 8080 on web pods, 8081 on api pods, none on db pods);
 *   2 ingress from every pod of namespaces with env NotIn [prod], TCP 30000-30100 (endPort)
 *     and the named port quic (UDP);
 *   3 egress only: to app-((a + 1) % A) of its namespace on TCP 8080 and grpc; DNS (UDP and
 *     TCP 53 to k8s-app=kube-dns in kube-system); UDP and TCP 443 to ipBlocks 203.0.113.0/24
 *     except 203.0.113.128/25 and 2001:db8:cafe::/48 except 2001:db8:cafe:8000::/49;
 *   4 ingress and egress: ingress from tier In [web, api], track NotIn [canary] of its
 *     namespace on metrics and TCP 8080; egress DNS, and everything to 198.51.100.0/24 and
 *     2001:db8:5100::/48;
 *   5 ingress (podSelector by matchExpressions) from track=canary pods of every namespace,
 *     every port and protocol.
 */

#define SC_RICH_NB_SHAPES 6

enum {
	SC_TIER_WEB,
	SC_TIER_API,
	SC_TIER_DB
};

static inline unsigned int
sc_rich_ka(const struct sc_params *p)
{
	return p->nb_ns * p->nb_apps;
}

static inline unsigned int
sc_rich_pod_ns(const struct sc_params *p, unsigned int i)
{
	return i % p->nb_ns;
}

static inline unsigned int
sc_rich_pod_app(const struct sc_params *p, unsigned int i)
{
	return (i / p->nb_ns) % p->nb_apps;
}

static inline bool
sc_rich_pod_canary(const struct sc_params *p, unsigned int i)
{
	return (i / sc_rich_ka(p)) % 4 == 3;
}

/** The shape (0..5, above) of policy @p pol. */
static inline unsigned int
sc_rich_shape(const struct sc_params *p, unsigned int pol)
{
	unsigned int ka = sc_rich_ka(p);
	return (pol % ka + pol / ka) % SC_RICH_NB_SHAPES;
}

/** Pods the rich shape's model holds: nb_pods and the kube-system DNS pods. */
static inline unsigned int
sc_rich_nb_pods(const struct sc_params *p)
{
	return p->nb_pods + SC_NB_DNS_PODS;
}

/**
 * A candidate flow of the rich shape, drawn from @p rs: src_pod, dst_pod (a pod index, or
 * SC_EXT_BIT | k) and dport; proto is @p proto (the caller's). @p aim_allowed draws mostly
 * candidates aimed at one policy's allowing rule; otherwise mostly random pairs and ports.
 */
void sc_rich_candidate(const struct sc_params *p, uint64_t *rs, bool aim_allowed, uint8_t proto,
	struct sc_flow *f);

struct pw_model;

/** printf into @p err (nothing when @p err_len is 0). */
void sc_set_err(char *err, size_t err_len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/**
 * Decode the manifests in @p dir into a new model (*ret, the caller's to free, set even on
 * failure once created), expecting exactly @p want objects. @return 0, -ENOMEM, -EINVAL (an
 * object rejected, a file error, or another count: @p err says which), or the manifests
 * source's error
 */
int sc_load_model(
	const char *dir, unsigned int want, struct pw_model **ret, char *err, size_t err_len);

#endif /* PW_BENCH_SCENARIO_PRIV_H */
