/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The control thread's state, passed to everything on the slow path (no globals).
 */
#ifndef PW_CTL_H
#define PW_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct pw_config;
struct pw_dp;
struct pw_dp_params;
struct pw_policy_ctl;
struct pw_sockserv;

enum pw_sync_state {
	PW_SYNC_WAITING = 0, /**< no policy synced yet: before_sync applies */
	PW_SYNC_SYNCED,	     /**< the live snapshot reflects the source */
	PW_SYNC_STALE, /**< the source is unreachable: the last good snapshot stays in force */
};

struct pw_ctl {
	struct pw_config *cfg;
	struct pw_dp *dp;
	bool hugepages;
	char hugepages_why[256];
	struct timespec started; /**< CLOCK_MONOTONIC */
	enum pw_sync_state sync_state;
	struct timespec last_sync;    /**< CLOCK_MONOTONIC; valid when generation > 0 */
	uint64_t generation;	      /**< of the live snapshot; 0 = none */
	struct pw_policy_ctl *policy; /**< the policy controller; NULL for source "none" */
};

/**
 * Fill @p ret from @p cfg. @return 0 or -EINVAL (message in @p err: a port's device
 * string cannot be named).
 */
int pw_dp_params_from_config(
	const struct pw_config *cfg, struct pw_dp_params *ret, char *err, size_t err_len);

/** Register status, stats, stats-reset, explain, policies and flows. @return 0 or -errno. */
int pw_cmds_register(struct pw_sockserv *srv, struct pw_ctl *ctl);

/** Register `flows` (control/cmds_flows.c). @return 0 or -errno. */
int pw_cmds_flows_register(struct pw_sockserv *srv, struct pw_ctl *ctl);

struct json_t;
/**
 * The connection-tracking counters of worker @p worker, or (-1) summed over workers with
 * "enabled" and "capacity", as a new JSON object (NULL when out of memory).
 */
struct json_t *pw_cmds_ct_stats_json(const struct pw_ctl *ctl, int worker);

/** Register the /podwall/... DPDK telemetry commands. @return 0 or -errno. */
int pw_telemetry_register(struct pw_ctl *ctl);
/** Stop the telemetry commands from reading @p ctl (before freeing the dataplane). */
void pw_telemetry_unregister(void);

/**
 * Publish a snapshot that allows everything (the policy source "none"), with the next
 * generation. @return 0 or -ENOMEM.
 */
int pw_ctl_publish_allow_all(struct pw_ctl *ctl);

const char *pw_sync_state_name(enum pw_sync_state s);

/** Record that @p generation is live (the policy controller's publish callback). */
void pw_ctl_published(void *ctl, uint64_t generation);

#endif /* PW_CTL_H */
