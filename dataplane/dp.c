/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dataplane life cycle: packet pool, ports, bridge table, workers and their rx queues and
 * flow tables, the QSBR variable; start, stop, free; descriptions for status.
 *
 * Multi-queue and connection tracking. Each worker owns a flow table (dataplane/ct.h) that
 * no other worker sees, so both directions of a flow must be received by the same worker.
 * Queue q of every port is polled by worker q % nb_workers, and every port has the same
 * number of rx queues, at least one per worker (pw_dp_create() refuses anything else while
 * tracking with several workers). Then a flow's two directions meet as long as the device
 * spreads them to the same queue index on whichever ports they arrive:
 *  - NICs with RSS: port.c programs a symmetric Toeplitz key (the 0x6d5a pattern) on every
 *    port, so hash(a, b) == hash(b, a), and the same default redirection table.
 *  - net_af_packet with qpairs=N: the PMD joins its N sockets in a PACKET_FANOUT_HASH group
 *    (drivers/net/af_packet/rte_eth_af_packet.c), and the kernel picks the socket with
 *    reciprocal_scale(__skb_get_hash_symmetric(skb), N) (net/packet/af_packet.c,
 *    fanout_demux_hash()): the flow dissector's symmetric keys sort addresses and ports
 *    (__flow_hash_consistentify()), so both directions pick the same index on both ports.
 *    The PMD also sets PACKET_FANOUT_FLAG_ROLLOVER: when one socket's ring overflows, the
 *    kernel moves packets to another, which can split a flow; such a packet is decided as
 *    a first packet by the other worker.
 * The alternative, one table shared by all workers with per-lcore caches, would put atomic
 * operations and shared cache lines on every packet; symmetric steering keeps the fast path
 * single-writer. An ICMP error is hashed on its own addresses, not on the flow it quotes,
 * so it may reach another worker than the flow's: that worker looks the flow up in the other
 * tables, read only (pw_ct_peek(): relaxed loads, entries copied under their sequence count).
 * Such errors are rare, so the scan of every table costs nothing that matters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include <rte_random.h>

#include "ct.h"
#include "dp_internal.h"
#include "fdb.h"
#include "podwall/pw_log.h"

RTE_LOG_REGISTER(pw_logtype_dp, user.podwall.dp, INFO);

#define FDB_ENTRIES 16384
#define MBUF_CACHE 256

static int
check_params(const struct pw_dp_params *p, char *err, size_t err_len)
{
	unsigned int i;

	if (p->nb_ports == 0 || p->nb_ports > PW_MAX_PORTS) {
		snprintf(err, err_len, "%u ports: need 1..%u", p->nb_ports, PW_MAX_PORTS);
		return -EINVAL;
	}
	if (p->nb_workers == 0 || p->nb_workers > PW_MAX_WORKERS) {
		snprintf(err, err_len, "%u workers: need 1..%u", p->nb_workers, PW_MAX_WORKERS);
		return -EINVAL;
	}
	if (p->drop_port >= (int)p->nb_ports) {
		snprintf(err, err_len, "drop port %d: only %u ports", p->drop_port, p->nb_ports);
		return -EINVAL;
	}
	if (p->burst_size == 0 || p->burst_size > PW_MAX_BURST) {
		snprintf(err, err_len, "burst size %u: need 1..%u", p->burst_size, PW_MAX_BURST);
		return -EINVAL;
	}
	if (p->ct_enabled &&
		(p->ct_size / p->nb_workers < PW_CT_MIN_FLOWS ||
			pw_ct_mem_size(p->ct_size / p->nb_workers) == 0)) {
		snprintf(err, err_len, "conntrack size %u over %u workers: need %u..%u per worker",
			p->ct_size, p->nb_workers, PW_CT_MIN_FLOWS, 1u << 30);
		return -EINVAL;
	}
	for (i = 0; p->ct_enabled && i < PW_DP_CT_NB_TIMEOUTS; i++)
		if (p->ct_timeout_s[i] == 0 || p->ct_timeout_s[i] > 604800) {
			snprintf(err, err_len, "conntrack timeout %u: %u s, need 1..604800", i,
				p->ct_timeout_s[i]);
			return -EINVAL;
		}
	for (i = 0; i < p->nb_workers; i++) {
		unsigned int lc = p->worker_lcores[i];

		if (!rte_lcore_is_enabled(lc) || lc == rte_get_main_lcore()) {
			snprintf(err, err_len,
				"worker lcore %u is not an enabled worker lcore (main is %u; EAL "
				"lcores come from -l)",
				lc, rte_get_main_lcore());
			return -EINVAL;
		}
	}
	return 0;
}

static int
find_ports(struct pw_dp *dp, char *err, size_t err_len)
{
	unsigned int i, j;

	for (i = 0; i < dp->nb_ports; i++) {
		const struct pw_dp_port_params *pp = &dp->params.ports[i];
		struct pw_dp_port *port = &dp->ports[i];
		int ret;

		ret = rte_eth_dev_get_port_by_name(pp->dev_name, &port->port_id);
		if (ret != 0) {
			snprintf(err, err_len,
				"port %s: no device '%s' after EAL probing (check the device "
				"string "
				"and, for PCI, the driver binding)",
				pp->name, pp->dev_name);
			return -ENODEV;
		}
		for (j = 0; j < i; j++)
			if (dp->ports[j].port_id == port->port_id) {
				snprintf(err, err_len, "ports %s and %s are the same device %s",
					dp->ports[j].name, pp->name, pp->dev_name);
				return -EINVAL;
			}
		snprintf(port->name, sizeof(port->name), "%s", pp->name);
		port->device = strdup(pp->device != NULL ? pp->device : pp->dev_name);
		port->role = strdup(pp->role != NULL ? pp->role : "pod");
		if (port->device == NULL || port->role == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* Both directions of a flow must reach the worker that holds its state (file comment). */
static int
check_queues(const struct pw_dp *dp, char *err, size_t err_len)
{
	unsigned int i;

	if (!dp->params.ct_enabled || dp->nb_workers < 2)
		return 0;
	for (i = 0; i < dp->nb_ports; i++) {
		const struct pw_dp_port *port = &dp->ports[i];

		if (port->nb_rxq < dp->nb_workers) {
			snprintf(err, err_len,
				"port %s (%s) has %u rx queue(s) for %u workers: connection "
				"tracking needs queue q of every port on worker q, so that both "
				"directions of a flow meet their state; give every port at least "
				"one rx queue per worker (af_packet: qpairs=%u), or run one worker",
				port->name, port->driver, port->nb_rxq, dp->nb_workers,
				dp->nb_workers);
			return -EINVAL;
		}
		if (port->nb_rxq != dp->ports[0].nb_rxq) {
			snprintf(err, err_len,
				"ports %s and %s have %u and %u rx queues: with connection "
				"tracking "
				"over several workers every port needs the same number, or a "
				"flow's "
				"two directions could reach different workers",
				dp->ports[0].name, port->name, dp->ports[0].nb_rxq, port->nb_rxq);
			return -EINVAL;
		}
	}
	return 0;
}

static int
create_ct(struct pw_dp *dp, struct pw_worker *wk, int socket)
{
	static const enum pw_ct_timeout_class cls[PW_DP_CT_NB_TIMEOUTS] = {
		[PW_DP_CT_TCP_SYN] = PW_CT_TO_TCP_SYN,
		[PW_DP_CT_TCP_ESTABLISHED] = PW_CT_TO_TCP_ESTABLISHED,
		[PW_DP_CT_TCP_FIN] = PW_CT_TO_TCP_FIN,
		[PW_DP_CT_TCP_CLOSED] = PW_CT_TO_TCP_CLOSED,
		[PW_DP_CT_UDP] = PW_CT_TO_UDP,
		[PW_DP_CT_SCTP] = PW_CT_TO_SCTP,
		[PW_DP_CT_ICMP] = PW_CT_TO_ICMP,
		[PW_DP_CT_OTHER] = PW_CT_TO_OTHER,
	};
	struct pw_ct_params cp;
	unsigned int i;
	void *mem;

	memset(&cp, 0, sizeof(cp));
	cp.max_flows = dp->params.ct_size / dp->nb_workers;
	cp.evict = dp->params.ct_evict;
	cp.seed = rte_rand();
	for (i = 0; i < PW_DP_CT_NB_TIMEOUTS; i++)
		cp.timeouts.ms[cls[i]] = dp->params.ct_timeout_s[i] * 1000u;
	mem = rte_zmalloc_socket("pw_ct", pw_ct_mem_size(cp.max_flows), 128, socket);
	if (mem == NULL)
		return -ENOMEM;
	wk->ct = pw_ct_init(mem, &cp);
	if (wk->ct == NULL) {
		rte_free(mem);
		return -EINVAL;
	}
	return 0;
}

static int
create_workers(struct pw_dp *dp)
{
	unsigned int w, p, q;
	int ret;

	for (w = 0; w < dp->nb_workers; w++) {
		unsigned int lcore = dp->params.worker_lcores[w];
		int socket = (int)rte_lcore_to_socket_id(lcore);
		struct pw_worker *wk;

		wk = rte_zmalloc_socket("pw_worker", sizeof(*wk), RTE_CACHE_LINE_SIZE, socket);
		if (wk == NULL)
			return -ENOMEM;
		wk->stats = rte_zmalloc_socket(
			"pw_worker_stats", sizeof(*wk->stats), RTE_CACHE_LINE_SIZE, socket);
		if (wk->stats == NULL) {
			rte_free(wk);
			return -ENOMEM;
		}
		wk->dp = dp;
		wk->id = w;
		wk->nb_flood_ports = (uint16_t)(dp->nb_ports - (dp->params.drop_port >= 0 ? 1 : 0));
		wk->lcore = lcore;
		dp->workers[w] = wk;
		if (dp->params.ct_enabled) {
			ret = create_ct(dp, wk, socket);
			if (ret != 0)
				return ret;
		}
	}
	/* Each table may look into the others for the flows that ICMP errors quote. */
	for (w = 0; w < dp->nb_workers && dp->params.ct_enabled; w++) {
		dp->ct_tables[w] = dp->workers[w]->ct;
		pw_ct_set_peers(dp->workers[w]->ct, dp->ct_tables, (uint16_t)dp->nb_workers);
	}
	/* Queue q of every port goes to worker q % nb_workers: the same worker for the same
	 * queue index on every port (see the file comment). */
	for (p = 0; p < dp->nb_ports; p++)
		for (q = 0; q < dp->ports[p].nb_rxq; q++) {
			struct pw_worker *wk = dp->workers[q % dp->nb_workers];

			wk->rxq[wk->nb_rxq].port_idx = (uint16_t)p;
			wk->rxq[wk->nb_rxq].queue = (uint16_t)q;
			wk->nb_rxq++;
		}
	return 0;
}

int
pw_dp_create(const struct pw_dp_params *params, struct pw_dp **ret_dp, char *err, size_t err_len)
{
	struct pw_dp *dp;
	size_t sz;
	unsigned int i;
	int ret;

	ret = check_params(params, err, err_len);
	if (ret != 0)
		return ret;
	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return -ENOMEM;
	dp->params = *params;
	dp->nb_ports = params->nb_ports;
	dp->nb_workers = params->nb_workers;
	dp->ms_div = rte_get_tsc_hz() / 1000;
	if (dp->ms_div == 0)
		dp->ms_div = 1;

	ret = find_ports(dp, err, err_len);
	if (ret != 0)
		goto err_free;

	dp->pool = rte_pktmbuf_pool_create("pw_mbufs", params->nb_mbufs, MBUF_CACHE, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (dp->pool == NULL) {
		ret = -rte_errno;
		snprintf(err, err_len, "mbuf pool of %u: %s", params->nb_mbufs,
			rte_strerror(rte_errno));
		goto err_free;
	}
	for (i = 0; i < dp->nb_ports; i++) {
		ret = pw_port_configure(dp, i, err, err_len);
		if (ret != 0)
			goto err_free;
	}
	if (params->fwd_mode == PW_DP_FWD_BRIDGE) {
		void *mem = rte_zmalloc("pw_fdb", pw_fdb_mem_size(FDB_ENTRIES), 64);

		dp->fdb = mem != NULL ?
			pw_fdb_init(mem, FDB_ENTRIES, params->mac_ageing_s * 1000u) :
			NULL;
		if (dp->fdb == NULL) {
			rte_free(mem);
			ret = -ENOMEM;
			snprintf(err, err_len, "bridge MAC table: out of memory");
			goto err_free;
		}
	}
	sz = rte_rcu_qsbr_get_memsize(dp->nb_workers);
	dp->qsv = rte_zmalloc("pw_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (dp->qsv == NULL || rte_rcu_qsbr_init(dp->qsv, dp->nb_workers) != 0) {
		ret = -ENOMEM;
		snprintf(err, err_len, "RCU QSBR variable: out of memory");
		goto err_free;
	}
	ret = check_queues(dp, err, err_len);
	if (ret != 0)
		goto err_free;
	ret = create_workers(dp);
	if (ret != 0) {
		if (ret == -ENOMEM && params->ct_enabled)
			snprintf(err, err_len,
				"worker state: out of DPDK memory for %u flow tables of %u flows "
				"(%zu MB each): lower conntrack.size or raise dpdk.memory_mb",
				dp->nb_workers, params->ct_size / dp->nb_workers,
				pw_ct_mem_size(params->ct_size / dp->nb_workers) >> 20);
		else
			snprintf(err, err_len, "worker state: %s", strerror(-ret));
		goto err_free;
	}
	if (params->ct_enabled)
		PW_DP_LOG(INFO,
			"connection tracking: %u workers x %u flows (%zu kB each), when full: %s",
			dp->nb_workers, params->ct_size / dp->nb_workers,
			pw_ct_mem_size(params->ct_size / dp->nb_workers) >> 10,
			params->ct_evict ? "evict the oldest idle flow" : "drop new flows");
	else
		PW_DP_LOG(INFO, "connection tracking: off, every packet is classified");
	*ret_dp = dp;
	return 0;

err_free:
	pw_dp_free(dp);
	return ret;
}

int
pw_dp_start(struct pw_dp *dp)
{
	unsigned int i;
	int ret;

	for (i = 0; i < dp->nb_ports; i++) {
		ret = rte_eth_dev_start(dp->ports[i].port_id);
		if (ret != 0) {
			PW_DP_LOG(ERR, "port %s: start: %s", dp->ports[i].name, strerror(-ret));
			return ret;
		}
		dp->ports[i].started = true;
	}
	__atomic_store_n(&dp->stop, false, __ATOMIC_RELEASE);
	for (i = 0; i < dp->nb_workers; i++) {
		ret = rte_eal_remote_launch(pw_worker_main, dp->workers[i], dp->workers[i]->lcore);
		if (ret != 0) {
			PW_DP_LOG(ERR, "worker %u: launch on lcore %u: %s", i,
				dp->workers[i]->lcore, strerror(-ret));
			pw_dp_stop(dp);
			return ret;
		}
		dp->launched = true;
		PW_DP_LOG(INFO, "worker %u on lcore %u polls %u rx queue(s)", i,
			dp->workers[i]->lcore, dp->workers[i]->nb_rxq);
	}
	return 0;
}

void
pw_dp_stop(struct pw_dp *dp)
{
	unsigned int i;

	__atomic_store_n(&dp->stop, true, __ATOMIC_RELEASE);
	if (dp->launched) {
		for (i = 0; i < dp->nb_workers; i++)
			rte_eal_wait_lcore(dp->workers[i]->lcore);
		dp->launched = false;
	}
	for (i = 0; i < dp->nb_ports; i++)
		if (dp->ports[i].started) {
			(void)rte_eth_dev_stop(dp->ports[i].port_id);
			dp->ports[i].started = false;
		}
}

void
pw_dp_free(struct pw_dp *dp)
{
	unsigned int i;

	if (dp == NULL)
		return;
	pw_dp_stop(dp);
	pw_snapshots_free_all(dp);
	for (i = 0; i < dp->nb_ports; i++) {
		if (dp->ports[i].nb_rxq != 0)
			(void)rte_eth_dev_close(dp->ports[i].port_id);
		free(dp->ports[i].device);
		free(dp->ports[i].role);
	}
	for (i = 0; i < dp->nb_workers; i++)
		if (dp->workers[i] != NULL) {
			rte_free(dp->workers[i]->ct);
			rte_free(dp->workers[i]->stats);
			rte_free(dp->workers[i]);
		}
	rte_free(dp->qsv);
	rte_free(dp->fdb);
	rte_mempool_free(dp->pool);
	free(dp);
}

unsigned int
pw_dp_nb_ports(const struct pw_dp *dp)
{
	return dp->nb_ports;
}

unsigned int
pw_dp_nb_workers(const struct pw_dp *dp)
{
	return dp->nb_workers;
}

const char *
pw_dp_fwd_mode_name(const struct pw_dp *dp)
{
	return dp->params.fwd_mode == PW_DP_FWD_BRIDGE ? "bridge" : "wire";
}

uint16_t
pw_dp_burst_size(const struct pw_dp *dp)
{
	return dp->params.burst_size;
}

int
pw_dp_port_info(const struct pw_dp *dp, unsigned int idx, struct pw_dp_port_info *ret)
{
	const struct pw_dp_port *port;
	struct rte_ether_addr mac;
	struct rte_eth_link link;

	if (idx >= dp->nb_ports)
		return -EINVAL;
	port = &dp->ports[idx];
	memset(ret, 0, sizeof(*ret));
	ret->port_id = port->port_id;
	snprintf(ret->name, sizeof(ret->name), "%s", port->name);
	ret->device = port->device;
	ret->role = port->role;
	ret->driver = port->driver;
	ret->nb_rxq = port->nb_rxq;
	ret->nb_txq = port->nb_txq;
	if (rte_eth_macaddr_get(port->port_id, &mac) == 0)
		rte_ether_format_addr(ret->mac, sizeof(ret->mac), &mac);
	if (rte_eth_link_get_nowait(port->port_id, &link) == 0) {
		ret->link_up = link.link_status == RTE_ETH_LINK_UP;
		ret->link_speed_mbps = link.link_speed;
		ret->link_full_duplex = link.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	}
	return 0;
}

int
pw_dp_worker_info(const struct pw_dp *dp, unsigned int w, struct pw_dp_worker_info *ret)
{
	const struct pw_worker *wk;
	unsigned int q;

	if (w >= dp->nb_workers)
		return -EINVAL;
	wk = dp->workers[w];
	ret->lcore = wk->lcore;
	ret->nb_rxq = wk->nb_rxq;
	for (q = 0; q < wk->nb_rxq; q++) {
		ret->rx_port[q] = wk->rxq[q].port_idx;
		ret->rx_queue[q] = wk->rxq[q].queue;
	}
	return 0;
}
