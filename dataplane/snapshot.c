/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Snapshot publication: one atomic exchange, then the old snapshot waits on a FIFO until
 * every worker has reported a quiescent state since. The control loop polls with
 * rte_rcu_qsbr_check(..., wait=false) and never blocks (no rte_rcu_qsbr_synchronize()).
 */
#include "podwall/pw_explain.h"

#include <errno.h>
#include <stdlib.h>

#include <rte_acl.h>
#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include "dp_internal.h"
#include "podwall/pw_acl_layout.h"

struct pw_acl_table *
pw_acl_table_get(struct pw_acl_table *t)
{
	if (t != NULL)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void
pw_acl_table_put(struct pw_acl_table *t)
{
	if (t == NULL || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	rte_acl_free(t->ctx);
	free(t->rules);
	free(t);
}

/* A context with an owner is the owner's; one without (a snapshot built by hand) is ours. */
static void
free_table(struct pw_acl_table *owner, struct rte_acl_ctx *ctx)
{
	if (owner != NULL)
		pw_acl_table_put(owner);
	else
		rte_acl_free(ctx);
}

/* Everything a snapshot owns: tables (DPDK heap), then its malloc'd arrays. */
void
pw_snapshot_free(struct pw_snapshot *snap)
{
	if (snap == NULL)
		return;
	free_table(snap->tables[PW_SNAP_TABLE(0, PW_ACL_CAT_EGRESS)], snap->acl4);
	free_table(snap->tables[PW_SNAP_TABLE(0, PW_ACL_CAT_INGRESS)], snap->acl4_in);
	free_table(snap->tables[PW_SNAP_TABLE(1, PW_ACL_CAT_EGRESS)], snap->acl6);
	free_table(snap->tables[PW_SNAP_TABLE(1, PW_ACL_CAT_INGRESS)], snap->acl6_in);
	rte_hash_free(snap->ip4);
	rte_hash_free(snap->ip6);
	free(snap->ident_flags);
	free(snap->rules);
	free(snap->strings);
	free(snap->hits);
	free(snap);
}

int
pw_dp_publish(struct pw_dp *dp, struct pw_snapshot *snap)
{
	struct pw_snap_pending *node;
	struct pw_snapshot *old;

	/* Allocate first so that a failure leaves the live snapshot in force. */
	node = malloc(sizeof(*node));
	if (node == NULL) {
		pw_snapshot_free(snap);
		return -ENOMEM;
	}
	old = __atomic_exchange_n(&dp->live, snap, __ATOMIC_ACQ_REL);
	if (old == NULL) {
		free(node);
		return 0;
	}
	node->snap = old;
	node->token = rte_rcu_qsbr_start(dp->qsv);
	node->next = NULL;
	if (dp->pending_tail != NULL)
		dp->pending_tail->next = node;
	else
		dp->pending_head = node;
	dp->pending_tail = node;
	dp->nb_pending++;
	return 0;
}

unsigned int
pw_dp_reclaim(struct pw_dp *dp)
{
	unsigned int n = 0;

	/* Tokens grow along the FIFO, so the first one not yet safe ends the scan. */
	while (dp->pending_head != NULL &&
		rte_rcu_qsbr_check(dp->qsv, dp->pending_head->token, false) == 1) {
		struct pw_snap_pending *node = dp->pending_head;

		dp->pending_head = node->next;
		if (dp->pending_head == NULL)
			dp->pending_tail = NULL;
		if (dp->retire_cb != NULL)
			dp->retire_cb(dp->retire_arg, node->snap);
		pw_snapshot_free(node->snap);
		free(node);
		dp->nb_pending--;
		n++;
	}
	return n;
}

void
pw_dp_set_retire_cb(struct pw_dp *dp, pw_dp_retire_cb cb, void *arg)
{
	dp->retire_cb = cb;
	dp->retire_arg = arg;
}

unsigned int
pw_dp_nb_pending(const struct pw_dp *dp)
{
	return dp->nb_pending;
}

const struct pw_snapshot *
pw_dp_live(const struct pw_dp *dp)
{
	return __atomic_load_n(&dp->live, __ATOMIC_ACQUIRE);
}

/* Only once the workers have stopped. */
void
pw_snapshots_free_all(struct pw_dp *dp)
{
	while (dp->pending_head != NULL) {
		struct pw_snap_pending *node = dp->pending_head;

		dp->pending_head = node->next;
		pw_snapshot_free(node->snap);
		free(node);
	}
	dp->pending_tail = NULL;
	dp->nb_pending = 0;
	pw_snapshot_free(__atomic_exchange_n(&dp->live, NULL, __ATOMIC_ACQ_REL));
}
