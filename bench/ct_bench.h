/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-ct-bench's parts (bench/README.md, "Connection tracking"): the cluster and its
 * flows (ct_bench.c), and the whole worker path (ct_path.c).
 */
#ifndef PW_CT_BENCH_H
#define PW_CT_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "podwall/pw_snapshot.h"

#define CTB_BURST 32
#define CTB_NB_PODS 256
#define CTB_IP_LEN_64B 46 /* a 64-byte frame: 14 Ethernet + 46 IP + 4 FCS */

#define CTB_TCP_SYN 0x02
#define CTB_TCP_ACK 0x10

/* One packet of a stream: flow number (bits 0-29), reply (bit 31). */
#define CTB_REPLY (1u << 31)

/*
 * Flow k: client pod k % 256 (10.1.x.y) to server pod (k / 256) % 256 (10.2.x.y) on TCP 80,
 * source port 1024 + k / 65536: 1M flows are 1M distinct 5-tuples. A reply goes back.
 */
struct ctb_tuple {
	uint8_t src[4], dst[4];
	uint16_t sport, dport;
};

static inline void
ctb_tuple(uint32_t k, bool reply, struct ctb_tuple *t)
{
	uint32_t c = k % CTB_NB_PODS, s = (k / CTB_NB_PODS) % CTB_NB_PODS;
	uint16_t port = (uint16_t)(1024 + k / (CTB_NB_PODS * CTB_NB_PODS));
	uint8_t *cl = reply ? t->dst : t->src, *sv = reply ? t->src : t->dst;

	cl[0] = 10;
	cl[1] = 1;
	cl[2] = (uint8_t)(c / 200);
	cl[3] = (uint8_t)(c % 200 + 1);
	sv[0] = 10;
	sv[1] = 2;
	sv[2] = (uint8_t)(s / 200);
	sv[3] = (uint8_t)(s % 200 + 1);
	t->sport = reply ? 80 : port;
	t->dport = reply ? port : 80;
}

/* A snapshot of the cluster (ct_bench.c): without tables (allow all), or compiled with the
 * pods and, with @p policies, the two policies; each with a generation of its own. */
struct pw_snapshot *ctb_snapshot(bool pods, bool policies);

/* Free a snapshot from ctb_snapshot(). */
void ctb_snapshot_free(struct pw_snapshot *s);

/* ---- the whole worker path (ct_path.c) ---- */

enum ctb_path_run {
	CTB_PATH_NOPOLICY,    /* conntrack off, allow-all snapshot */
	CTB_PATH_PODS,	      /* conntrack off, pods, no policy */
	CTB_PATH_POLICY,      /* conntrack off, the policies: the ACL per packet */
	CTB_PATH_ESTABLISHED, /* conntrack on, full table of F established flows */
	CTB_PATH_FIRST,	      /* conntrack on, table of 2F holding F: the SYNs of F new flows */
	CTB_PATH_MAX
};

struct ctb_path;

/* Rings, generator pool: once, after rte_eal_init() (lcores: main + one worker). */
struct ctb_path *ctb_path_create(void);
void ctb_path_free(struct ctb_path *p);

/*
 * One timed run through the worker's own loop (pw_dp_worker_poll()): a dataplane made for
 * it, filled (untimed) as the run needs, then @p passes passes over @p est (@p flows
 * packets) or, for CTB_PATH_FIRST, one pass over the SYNs of flows F..2F-1.
 * @param ret_cycles  TSC cycles per packet: rx refill, the worker loop, tx completion
 * @param ret_busy    the worker's own busy cycles per packet (pw_dp_lcore_counters)
 * Exits on any dropped or lost packet.
 */
void ctb_path_run(struct ctb_path *p, enum ctb_path_run run, uint32_t flows, unsigned int passes,
	const uint32_t *est, double *ret_cycles, double *ret_busy);

#endif /* PW_CT_BENCH_H */
