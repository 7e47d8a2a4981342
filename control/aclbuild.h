/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The ACL builder: a compiled policy (control/model/compile.h) → a complete new policy
 * snapshot with its rte_acl tables (IPv4, IPv6), address → identity maps (rte_hash),
 * identity flags, rule metadata and per-worker hit counters. Runs on the control thread, off
 * the fast path; the result is published with pw_dp_publish() (DESIGN decision 3).
 *
 * Every DPDK object is named with the generation that built it ("pw4eg_g7", "pw6in_g7",
 * "pwh6_7"): rte_acl_create() on an existing name returns the live context, so two snapshots
 * must never share a generation. A table shared with an earlier snapshot (params.prev) keeps
 * that snapshot's name; struct pw_acl_table counts the snapshots holding it.
 */
#ifndef PW_ACLBUILD_H
#define PW_ACLBUILD_H

#include <stddef.h>
#include <stdint.h>

#include "podwall/pw_snapshot.h"

struct pw_compiled;
struct pw_ctl;
struct pw_model;

struct pw_aclbuild_params {
	uint64_t generation;	 /**< of the new snapshot; unique among live snapshots */
	unsigned int nb_workers; /**< rows of hit counters (pw_dp_nb_workers()) */
	int socket_id;		 /**< for the tables; SOCKET_ID_ANY (-1) when unsure */
	/**
	 * The live snapshot (pw_dp_live()), or NULL. A table whose rules are the same as its
	 * table's is shared with it (a reference is taken), not built again. It must stay
	 * alive until this call returns: true on the control thread, which alone frees
	 * snapshots.
	 */
	const struct pw_snapshot *prev;
	/** 0: 16-bit identity fields when the identities fit, else 32; PW_ACL_IDS_32: always
	 * 32 (tests of the wide layout). */
	unsigned int ids;
};

/**
 * Build a snapshot from @p cp. Control thread, after rte_eal_init(); not thread-safe with
 * itself. A failure leaves nothing behind (the caller keeps the last good snapshot).
 *
 * @param ret  on success a new snapshot (malloc'd; give it to pw_dp_publish() or free it
 *             with pw_snapshot_free())
 * @param err  on failure, one line saying why
 * @return 0; -EEXIST (a table of this generation exists); -ENOMEM; -ENOSPC (address map
 *         full); -EINVAL or another -errno from rte_acl.
 */
int pw_aclbuild(const struct pw_compiled *cp, const struct pw_aclbuild_params *params,
	struct pw_snapshot **ret, char *err, size_t err_len);

/**
 * pw_compile() then pw_aclbuild(): the snapshot of @p model on node @p node (NULL: every pod
 * is local). info.build_ns covers both. Same contract as pw_aclbuild().
 */
int pw_snapshot_build(const struct pw_model *model, const char *node,
	const struct pw_aclbuild_params *params, struct pw_snapshot **ret, char *err,
	size_t err_len);

/**
 * Build the snapshot of @p model with the next generation and publish it, like
 * pw_ctl_publish_allow_all() does for the source "none". On failure the live snapshot stays
 * in force and @p err says why (the caller logs it). Control thread.
 * @return 0 or -errno (see pw_aclbuild()).
 */
int pw_ctl_publish_model(struct pw_ctl *ctl, const struct pw_model *model, const char *node,
	char *err, size_t err_len);

#endif /* PW_ACLBUILD_H */
