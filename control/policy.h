/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The policy controller: feeds a policy source (a manifests directory now, the Kubernetes
 * API later) through the decoder into the model, coalesces changes into one rebuild,
 * compiles, builds a snapshot and publishes it. A bad object is rejected alone (the last good
 * version of it stays); a failed build keeps the live snapshot. Control thread only.
 */
#ifndef PW_POLICY_H
#define PW_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct pw_dp;
struct pw_evloop;
struct pw_k8s_params;
struct pw_policy_ctl;

/** Rebuild bounds: this long after the last change, at most this long after the first. */
#define PW_POLICY_QUIET_MS 10
#define PW_POLICY_MAX_DELAY_MS 50

struct pw_policy_ctl_params {
	const char *node;	   /**< pods whose spec.nodeName is this are local */
	const char *manifests_dir; /**< the manifests source (when k8s is NULL) */
	/** The Kubernetes API source (needs a loop); NULL: the manifests source. */
	const struct pw_k8s_params *k8s;
	struct pw_evloop *loop; /**< watch the source from this loop; NULL: load once */
	struct pw_dp *dp;	/**< where snapshots are published */
	unsigned int nb_workers;
	/** Called after each publish (may be NULL). */
	void (*published)(void *arg, uint64_t generation);
	void *arg;
};

/** @return 0 or -errno with @p err set. */
int pw_policy_ctl_create(const struct pw_policy_ctl_params *params, struct pw_policy_ctl **ret,
	char *err, size_t err_len);

/**
 * Read the whole source now, rebuild and publish at once. @return 0 or -errno, @p err set.
 * The Kubernetes source cannot be read on demand: there, the first build follows its first
 * full sync and this returns -EAGAIN.
 */
int pw_policy_ctl_sync_now(struct pw_policy_ctl *pc, char *err, size_t err_len);

/** Generation of the live snapshot this controller published (0: none yet). */
uint64_t pw_policy_ctl_generation(const struct pw_policy_ctl *pc);

/**
 * Status for the socket: objects, rejected objects, identities, rules, last build timings.
 * @return a new reference.
 */
json_t *pw_policy_ctl_status_json(const struct pw_policy_ctl *pc);

/**
 * Decisions per policy since start (snapshots already freed plus the live one), summed over
 * workers: for each policy the packets its rules allowed (egress, ingress), plus the
 * directions denied because an isolated pod had no matching rule. Counted per direction: a
 * rule's allow counts even when the other direction then denied the packet.
 * @return a new reference.
 */
json_t *pw_policy_ctl_hits_json(const struct pw_policy_ctl *pc);

/**
 * Explain a flow on the live snapshot: {"allowed", "egress": {...}, "ingress": {...}}.
 * @p req has "from", "to" (IP strings), "proto" ("tcp", "udp", "sctp", "icmp" or a number)
 * and "port". @return 0, or -EINVAL with @p err set (bad request), or -ENOENT (no snapshot).
 */
int pw_policy_ctl_explain(
	const struct pw_policy_ctl *pc, const json_t *req, json_t **ret, char *err, size_t err_len);

/** NULL is a no-op. Does not unpublish. */
void pw_policy_ctl_free(struct pw_policy_ctl *pc);

#endif /* PW_POLICY_H */
