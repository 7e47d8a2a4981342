/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The dataplane's internal state, shared by its own files only (control uses pw_dp.h).
 */
#ifndef PW_DP_INTERNAL_H
#define PW_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "classify.h"
#include "ct_decide.h"
#include "podwall/pw_pkt.h"
#include "podwall/pw_stats.h"
#include "pw_dp.h"

struct pw_fdb;
struct rte_mempool;
struct rte_rcu_qsbr;

/** Counters one worker writes; control sums them over workers. */
struct pw_worker_stats {
	struct pw_dp_lcore_counters lc;
	struct pw_port_counters port[PW_MAX_PORTS]; /**< by port index */
} __rte_cache_aligned;

/** Frames waiting to be sent on one port by one worker. */
struct pw_txbuf {
	uint16_t nb;
	struct rte_mbuf *pkts[PW_MAX_BURST];
};

struct pw_worker_rxq {
	uint16_t port_idx;
	uint16_t queue;
};

struct pw_worker {
	struct pw_dp *dp;
	unsigned int id; /**< dense 0..nb_workers-1: QSBR thread id and tx queue on every port */
	unsigned int lcore;
	uint16_t nb_rxq;
	uint16_t nb_flood_ports; /**< ports a flood may reach, the ingress port included */
	struct pw_worker_rxq rxq[PW_MAX_PORTS * PW_MAX_RXQ_PER_PORT];
	struct pw_worker_stats *stats;
	/* Scratch for one burst, here rather than on the stack: 512 metas are 40 kB. */
	struct pw_pkt_meta meta[PW_MAX_BURST];
	uint16_t reason[PW_MAX_BURST]; /**< 0 = forward, else enum pw_drop_reason */
	struct pw_txbuf tx[PW_MAX_PORTS];
	struct pw_cls_scratch cls;	     /**< policy classification scratch (classify.h) */
	struct pw_ct *ct;		     /**< this worker's flow table; NULL: conntrack off */
	const uint8_t *frames[PW_MAX_BURST]; /**< the burst's frames (ICMP errors' quotes) */
	struct pw_ct_scratch ct_scratch;
} __rte_cache_aligned;

struct pw_snap_pending {
	struct pw_snap_pending *next;
	struct pw_snapshot *snap;
	uint64_t token; /**< rte_rcu_qsbr_start() at retirement */
};

struct pw_dp_port {
	uint16_t port_id;
	char name[PW_PORT_NAME_LEN];
	char *device;
	char *role;
	char driver[32];
	uint16_t nb_rxq;
	uint16_t nb_txq;
	bool started;
	struct pw_dp_nic_counters nic_base; /**< reset baseline */
};

struct pw_dp {
	struct pw_dp_params params;
	struct rte_mempool *pool;
	struct pw_dp_port ports[PW_MAX_PORTS];
	unsigned int nb_ports;
	struct pw_worker *workers[PW_MAX_WORKERS];
	unsigned int nb_workers;
	const struct pw_ct *ct_tables[PW_MAX_WORKERS]; /**< workers[i]->ct, for pw_ct_peek() */
	struct pw_fdb *fdb;			       /**< bridge mode only */
	struct rte_rcu_qsbr *qsv;
	uint64_t ms_div; /**< TSC cycles per millisecond */

	struct pw_snapshot *live; /**< atomic: workers load it with acquire */
	struct pw_snap_pending *pending_head, *pending_tail;
	pw_dp_retire_cb retire_cb;
	void *retire_arg;
	unsigned int nb_pending;

	bool stop; /**< atomic: set by control, read by workers */
	bool launched;

	/* Reset baselines (control only). */
	struct pw_port_counters base_port[PW_MAX_PORTS];
	struct pw_port_counters base_worker[PW_MAX_WORKERS];
	struct pw_dp_lcore_counters base_lc[PW_MAX_WORKERS];
	struct pw_dp_ct_counters base_ct[PW_MAX_WORKERS];
};

/* port.c */
int pw_port_configure(struct pw_dp *dp, unsigned int idx, char *err, size_t err_len);

/* worker.c */
int pw_worker_main(void *arg);

/* flows.c */
void pw_dp_ct_stats_reset(struct pw_dp *dp);

/* snapshot.c */
void pw_snapshot_free(struct pw_snapshot *snap);
void pw_snapshots_free_all(struct pw_dp *dp);

#endif /* PW_DP_INTERNAL_H */
