/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stats readers: sum the single-writer per-worker counters with relaxed loads and subtract
 * the baseline of the last reset (OVS pmd_perf_read_counters). Readers never write to
 * worker memory.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>

#include "dp_internal.h"

static void
load_counters(struct pw_port_counters *ret, const struct pw_port_counters *c)
{
	unsigned int r;

	ret->rx_packets = __atomic_load_n(&c->rx_packets, __ATOMIC_RELAXED);
	ret->rx_bytes = __atomic_load_n(&c->rx_bytes, __ATOMIC_RELAXED);
	ret->tx_packets = __atomic_load_n(&c->tx_packets, __ATOMIC_RELAXED);
	ret->tx_bytes = __atomic_load_n(&c->tx_bytes, __ATOMIC_RELAXED);
	for (r = 0; r < PW_DROP_MAX; r++)
		ret->drops[r] = __atomic_load_n(&c->drops[r], __ATOMIC_RELAXED);
}

static void
counters_sub(struct pw_port_counters *acc, const struct pw_port_counters *base)
{
	unsigned int r;

	acc->rx_packets -= base->rx_packets;
	acc->rx_bytes -= base->rx_bytes;
	acc->tx_packets -= base->tx_packets;
	acc->tx_bytes -= base->tx_bytes;
	for (r = 0; r < PW_DROP_MAX; r++)
		acc->drops[r] -= base->drops[r];
}

void
pw_dp_port_counters_raw(const struct pw_dp *dp, unsigned int idx, struct pw_port_counters *ret)
{
	unsigned int w;

	memset(ret, 0, sizeof(*ret));
	if (idx >= dp->nb_ports)
		return;
	for (w = 0; w < dp->nb_workers; w++) {
		struct pw_port_counters c;

		load_counters(&c, &dp->workers[w]->stats->port[idx]);
		pw_port_counters_add(ret, &c);
	}
}

void
pw_dp_port_counters(const struct pw_dp *dp, unsigned int idx, struct pw_port_counters *ret)
{
	pw_dp_port_counters_raw(dp, idx, ret);
	if (idx < dp->nb_ports)
		counters_sub(ret, &dp->base_port[idx]);
}

static void
worker_counters_raw(const struct pw_dp *dp, unsigned int w, struct pw_port_counters *ret,
	struct pw_dp_lcore_counters *ret_lc)
{
	const struct pw_worker_stats *s = dp->workers[w]->stats;
	unsigned int p;

	memset(ret, 0, sizeof(*ret));
	for (p = 0; p < dp->nb_ports; p++) {
		struct pw_port_counters c;

		load_counters(&c, &s->port[p]);
		pw_port_counters_add(ret, &c);
	}
	ret_lc->polls = __atomic_load_n(&s->lc.polls, __ATOMIC_RELAXED);
	ret_lc->busy_polls = __atomic_load_n(&s->lc.busy_polls, __ATOMIC_RELAXED);
	ret_lc->busy_cycles = __atomic_load_n(&s->lc.busy_cycles, __ATOMIC_RELAXED);
	ret_lc->packets = __atomic_load_n(&s->lc.packets, __ATOMIC_RELAXED);
}

void
pw_dp_worker_counters(const struct pw_dp *dp, unsigned int w, struct pw_port_counters *ret,
	struct pw_dp_lcore_counters *ret_lc)
{
	memset(ret, 0, sizeof(*ret));
	memset(ret_lc, 0, sizeof(*ret_lc));
	if (w >= dp->nb_workers)
		return;
	worker_counters_raw(dp, w, ret, ret_lc);
	counters_sub(ret, &dp->base_worker[w]);
	ret_lc->polls -= dp->base_lc[w].polls;
	ret_lc->busy_polls -= dp->base_lc[w].busy_polls;
	ret_lc->busy_cycles -= dp->base_lc[w].busy_cycles;
	ret_lc->packets -= dp->base_lc[w].packets;
}

static int
nic_counters_raw(const struct pw_dp *dp, unsigned int idx, struct pw_dp_nic_counters *ret)
{
	struct rte_eth_stats st;
	int rc;

	memset(ret, 0, sizeof(*ret));
	rc = rte_eth_stats_get(dp->ports[idx].port_id, &st);
	if (rc != 0)
		return rc;
	ret->ipackets = st.ipackets;
	ret->opackets = st.opackets;
	ret->imissed = st.imissed;
	ret->ierrors = st.ierrors;
	ret->oerrors = st.oerrors;
	ret->rx_nombuf = st.rx_nombuf;
	return 0;
}

int
pw_dp_nic_counters(const struct pw_dp *dp, unsigned int idx, struct pw_dp_nic_counters *ret)
{
	const struct pw_dp_nic_counters *b;
	int rc;

	if (idx >= dp->nb_ports)
		return -EINVAL;
	rc = nic_counters_raw(dp, idx, ret);
	if (rc != 0)
		return rc;
	b = &dp->ports[idx].nic_base;
	ret->ipackets -= b->ipackets;
	ret->opackets -= b->opackets;
	ret->imissed -= b->imissed;
	ret->ierrors -= b->ierrors;
	ret->oerrors -= b->oerrors;
	ret->rx_nombuf -= b->rx_nombuf;
	return 0;
}

void
pw_dp_stats_reset(struct pw_dp *dp)
{
	unsigned int i;

	for (i = 0; i < dp->nb_ports; i++) {
		pw_dp_port_counters_raw(dp, i, &dp->base_port[i]);
		(void)nic_counters_raw(dp, i, &dp->ports[i].nic_base);
	}
	for (i = 0; i < dp->nb_workers; i++)
		worker_counters_raw(dp, i, &dp->base_worker[i], &dp->base_lc[i]);
	pw_dp_ct_stats_reset(dp);
}
