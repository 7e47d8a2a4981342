/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The worker loop: poll every rx queue this lcore owns, parse the burst, decide it, forward
 * what is allowed and count the rest by reason. Nothing here allocates, locks, logs or makes
 * a system call.
 */
#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "ct_decide.h"
#include "dp_internal.h"
#include "fdb.h"
#include "parse.h"

#define PREFETCH_OFFSET 4

/* Single-writer counters: the owner reads its own value and stores the sum; readers on other
 * lcores use relaxed loads and see either the old or the new value, never a torn one. */
static inline void
ctr_add(uint64_t *c, uint64_t delta)
{
	__atomic_store_n(c, *c + delta, __ATOMIC_RELAXED);
}

static inline void
count_drop(struct pw_worker *w, uint16_t port_idx, uint16_t reason)
{
	ctr_add(&w->stats->port[port_idx].drops[reason], 1);
}

static void
tx_flush(struct pw_worker *w, uint16_t port_idx)
{
	struct pw_txbuf *b = &w->tx[port_idx];
	struct pw_port_counters *c = &w->stats->port[port_idx];
	uint64_t bytes = 0;
	uint16_t sent, i;

	if (b->nb == 0)
		return;
	/* Sum before sending: once rte_eth_tx_burst() returns, the sent mbufs may be freed. The
	 * refused tail is still ours, so its bytes are taken back below. */
	for (i = 0; i < b->nb; i++)
		bytes += rte_pktmbuf_pkt_len(b->pkts[i]);
	sent = rte_eth_tx_burst(w->dp->ports[port_idx].port_id, (uint16_t)w->id, b->pkts, b->nb);
	if (unlikely(sent < b->nb)) {
		for (i = sent; i < b->nb; i++) {
			bytes -= rte_pktmbuf_pkt_len(b->pkts[i]);
			rte_pktmbuf_free(b->pkts[i]);
		}
		ctr_add(&c->drops[PW_DROP_TX_FULL], b->nb - sent);
	}
	ctr_add(&c->tx_packets, sent);
	ctr_add(&c->tx_bytes, bytes);
	b->nb = 0;
}

static inline void
tx_enqueue(struct pw_worker *w, uint16_t port_idx, struct rte_mbuf *m)
{
	struct pw_txbuf *b = &w->tx[port_idx];

	b->pkts[b->nb++] = m;
	if (b->nb == w->dp->params.burst_size)
		tx_flush(w, port_idx);
}

/* Send @m to every port but @in_idx: one mbuf, one reference per copy (the PMDs only read). */
static void
flood(struct pw_worker *w, uint16_t in_idx, struct rte_mbuf *m)
{
	uint16_t nb_ports = (uint16_t)w->dp->nb_ports;
	uint16_t p;

	if (w->nb_flood_ports < 2) {
		count_drop(w, in_idx, PW_DROP_NO_DEST);
		rte_pktmbuf_free(m);
		return;
	}
	rte_mbuf_refcnt_update(m, (int16_t)(w->nb_flood_ports - 2));
	for (p = 0; p < nb_ports; p++)
		if (p != in_idx && p != w->dp->params.drop_port)
			tx_enqueue(w, p, m);
}

static inline void
forward_wire(struct pw_worker *w, uint16_t in_idx, struct rte_mbuf *m)
{
	uint16_t out = in_idx ^ 1;

	if (unlikely(out >= w->dp->nb_ports || out == w->dp->params.drop_port)) {
		count_drop(w, in_idx, PW_DROP_NO_DEST);
		rte_pktmbuf_free(m);
		return;
	}
	tx_enqueue(w, out, m);
}

static inline void
forward_bridge(struct pw_worker *w, uint16_t in_idx, struct rte_mbuf *m, uint32_t now_ms)
{
	const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	int out;

	/* Learn only unicast sources: a multicast source address is bogus. */
	if (likely(!rte_is_multicast_ether_addr(&eth->src_addr)))
		pw_fdb_learn(w->dp->fdb, eth->src_addr.addr_bytes, in_idx, now_ms);
	if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
		flood(w, in_idx, m);
		return;
	}
	out = pw_fdb_lookup(w->dp->fdb, eth->dst_addr.addr_bytes, now_ms);
	if (out < 0) {
		flood(w, in_idx, m);
	} else if (unlikely(out == in_idx)) {
		count_drop(w, in_idx, PW_DROP_SAME_PORT);
		rte_pktmbuf_free(m);
	} else {
		tx_enqueue(w, (uint16_t)out, m);
	}
}

/* Parse, decide and forward one received burst. */
static void
process_burst(struct pw_worker *w, uint16_t in_idx, struct rte_mbuf **pkts, uint16_t nb,
	const struct pw_snapshot *snap, uint32_t now_ms)
{
	struct pw_port_counters *c = &w->stats->port[in_idx];
	const bool bridge = w->dp->params.fwd_mode == PW_DP_FWD_BRIDGE;
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < nb && i < PREFETCH_OFFSET; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];

		if (i + PREFETCH_OFFSET < nb)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + PREFETCH_OFFSET], void *));
		bytes += rte_pktmbuf_pkt_len(m);
		/* The parser reads the first segment only; a header that spills into a second
		 * segment reads as truncated and is dropped, never passed unread. */
		w->frames[i] = rte_pktmbuf_mtod(m, const uint8_t *);
		w->reason[i] =
			(uint16_t)pw_parse_pkt(w->frames[i], rte_pktmbuf_data_len(m), &w->meta[i]);
	}
	ctr_add(&c->rx_packets, nb);
	ctr_add(&c->rx_bytes, bytes);

	/* Without a flow table (conntrack off) this is pw_decide_burst(). */
	pw_ct_decide_burst(w->ct, snap, w->dp->params.fail_open, w->meta, w->frames, w->reason, nb,
		&w->ct_scratch, &w->cls, w->id, now_ms);

	for (i = 0; i < nb; i++) {
		struct rte_mbuf *m = pkts[i];

		if (unlikely(w->reason[i] != 0)) {
			count_drop(w, in_idx, w->reason[i]);
			if (w->dp->params.drop_port >= 0)
				tx_enqueue(w, (uint16_t)w->dp->params.drop_port, m);
			else
				rte_pktmbuf_free(m);
		} else if (bridge) {
			forward_bridge(w, in_idx, m, now_ms);
		} else {
			forward_wire(w, in_idx, m);
		}
	}
}

/* The loop's own counters, kept in registers and stored once per iteration. */
struct loop_ctr {
	uint64_t polls, busy_polls, busy_cycles, packets;
};

/* One iteration of the worker loop: poll every rx queue once, decide and send what came,
 * advance the expiry sweep, publish the loop counters, pass a quiescent state. */
static __rte_always_inline void
worker_iter(struct pw_worker *w, struct loop_ctr *c, struct rte_mbuf **pkts)
{
	struct pw_dp *dp = w->dp;
	const struct pw_snapshot *snap = __atomic_load_n(&dp->live, __ATOMIC_ACQUIRE);
	uint32_t now_ms = (uint32_t)(rte_rdtsc() / dp->ms_div);
	struct pw_dp_lcore_counters *lc = &w->stats->lc;
	uint16_t q, p;

	for (q = 0; q < w->nb_rxq; q++) {
		const struct pw_worker_rxq *rq = &w->rxq[q];
		uint64_t t0 = rte_rdtsc();
		uint16_t nb;

		nb = rte_eth_rx_burst(
			dp->ports[rq->port_idx].port_id, rq->queue, pkts, dp->params.burst_size);
		c->polls++;
		if (nb == 0)
			continue;
		process_burst(w, rq->port_idx, pkts, nb, snap, now_ms);
		for (p = 0; p < dp->nb_ports; p++)
			tx_flush(w, p);
		c->busy_polls++;
		c->packets += nb;
		c->busy_cycles += rte_rdtsc() - t0;
	}
	/* Expiry, a few entries at a time: never a stop-the-world sweep. */
	if (w->ct != NULL)
		pw_ct_tick(w->ct, now_ms);
	/* One store per counter per loop, not per packet. */
	__atomic_store_n(&lc->polls, c->polls, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->busy_polls, c->busy_polls, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->busy_cycles, c->busy_cycles, __ATOMIC_RELAXED);
	__atomic_store_n(&lc->packets, c->packets, __ATOMIC_RELAXED);
	/* No reference to snap past this point: the end of the loop is the quiescent state
	 * (rcu_lib.rst). */
	rte_rcu_qsbr_quiescent(dp->qsv, w->id);
}

int
pw_worker_main(void *arg)
{
	struct pw_worker *w = arg;
	struct pw_dp *dp = w->dp;
	struct rte_mbuf *pkts[PW_MAX_BURST];
	struct loop_ctr c = { 0, 0, 0, 0 };
	uint16_t p;

	rte_rcu_qsbr_thread_register(dp->qsv, w->id);
	rte_rcu_qsbr_thread_online(dp->qsv, w->id);

	while (!__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE))
		worker_iter(w, &c, pkts);

	for (p = 0; p < dp->nb_ports; p++)
		tx_flush(w, p);
	rte_rcu_qsbr_thread_offline(dp->qsv, w->id);
	rte_rcu_qsbr_thread_unregister(dp->qsv, w->id);
	return 0;
}

unsigned int
pw_dp_worker_poll(struct pw_dp *dp, unsigned int worker)
{
	struct pw_worker *w = dp->workers[worker];
	const struct pw_dp_lcore_counters *lc = &w->stats->lc;
	struct rte_mbuf *pkts[PW_MAX_BURST];
	struct loop_ctr c = { lc->polls, lc->busy_polls, lc->busy_cycles, lc->packets };
	uint64_t before = c.packets;

	worker_iter(w, &c, pkts);
	return (unsigned int)(c.packets - before);
}
