/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port set-up: queue counts from what the device supports, symmetric RSS where it has more
 * than one rx queue, one tx queue per worker so that workers never share a queue.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "dp_internal.h"
#include "podwall/pw_log.h"

/* A Toeplitz key of one repeated 16-bit pattern hashes (a, b) and (b, a) alike, so both
 * directions of a flow reach the same queue (Woo and Park, "Scalable TCP Session
 * Monitoring with Symmetric Receive-side Scaling"). Connection tracking relies on it
 * (dp.c, "Multi-queue"). Devices take keys of different sizes (40 bytes on most, 52 on
 * i40e/ice): the pattern fills whatever size the device reports. */
#define RSS_KEY_MAX 128

/* Static: ethdev keeps the pointer in its copy of the configuration and some PMDs read the
 * key again at start. Every port shares it (it has the same contents for all). */
static uint8_t rss_key[RSS_KEY_MAX];

static void
symmetric_rss_key(void)
{
	size_t i;

	for (i = 0; i < sizeof(rss_key); i++)
		rss_key[i] = i % 2 == 0 ? 0x6d : 0x5a;
}

/* af_packet spreads over its queues with the kernel's symmetric fanout hash (dp.c). */
static bool
kernel_fanout(const char *driver)
{
	return strcmp(driver, "net_af_packet") == 0;
}

int
pw_port_configure(struct pw_dp *dp, unsigned int idx, char *err, size_t err_len)
{
	struct pw_dp_port *port = &dp->ports[idx];
	const struct pw_dp_params *p = &dp->params;
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t want_rxq, nb_rxd, nb_txd, q;
	int socket, ret;

	ret = rte_eth_dev_info_get(port->port_id, &info);
	if (ret != 0) {
		snprintf(err, err_len, "port %s: cannot read device info: %s", port->name,
			strerror(-ret));
		return ret;
	}
	snprintf(port->driver, sizeof(port->driver), "%s", info.driver_name);

	want_rxq = p->rx_queues != 0 ? p->rx_queues : (uint16_t)p->nb_workers;
	port->nb_rxq = RTE_MIN(want_rxq, info.max_rx_queues);
	if (port->nb_rxq > PW_MAX_RXQ_PER_PORT)
		port->nb_rxq = PW_MAX_RXQ_PER_PORT;
	if (port->nb_rxq < want_rxq)
		PW_DP_LOG(WARNING, "port %s (%s) has %u rx queues, %u wanted: using %u", port->name,
			port->driver, info.max_rx_queues, want_rxq, port->nb_rxq);
	port->nb_txq = (uint16_t)p->nb_workers;
	if (info.max_tx_queues < port->nb_txq) {
		snprintf(err, err_len,
			"port %s (%s): %u tx queues available, podwall needs one per worker (%u); "
			"for af_packet add qpairs=%u to its devargs",
			port->name, port->driver, info.max_tx_queues, p->nb_workers, p->nb_workers);
		return -EINVAL;
	}

	memset(&conf, 0, sizeof(conf));
	if (port->nb_rxq > 1 && info.flow_type_rss_offloads != 0) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = info.flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP | RTE_ETH_RSS_SCTP);
		if (info.hash_key_size > 0 && info.hash_key_size <= sizeof(rss_key) &&
			info.hash_key_size % 2 == 0) {
			symmetric_rss_key();
			conf.rx_adv_conf.rss_conf.rss_key = rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size;
		} else {
			PW_DP_LOG(WARNING,
				"port %s: RSS key of %u bytes: cannot make it symmetric; the two "
				"directions of a flow may reach different workers",
				port->name, info.hash_key_size);
		}
	} else if (port->nb_rxq > 1 && kernel_fanout(port->driver)) {
		PW_DP_LOG(INFO,
			"port %s: %u rx queues spread by the kernel's symmetric fanout hash",
			port->name, port->nb_rxq);
	} else if (port->nb_rxq > 1) {
		/* memif, ring: the sender picks the queue, so flow affinity is its job. */
		PW_DP_LOG(WARNING,
			"port %s (%s): %u rx queues without RSS: the sender picks the queue; "
			"both directions of a flow must arrive on the same queue index",
			port->name, port->driver, port->nb_rxq);
	}
	/* RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE stays off: flooding sends one mbuf to several ports
	 * with a raised refcnt, which fast-free forbids. */

	ret = rte_eth_dev_configure(port->port_id, port->nb_rxq, port->nb_txq, &conf);
	if (ret != 0) {
		snprintf(err, err_len, "port %s: configure %u rx/%u tx queues: %s", port->name,
			port->nb_rxq, port->nb_txq, strerror(-ret));
		return ret;
	}
	nb_rxd = p->rx_desc;
	nb_txd = p->tx_desc;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(port->port_id, &nb_rxd, &nb_txd);
	if (ret != 0) {
		snprintf(
			err, err_len, "port %s: descriptor counts: %s", port->name, strerror(-ret));
		return ret;
	}
	socket = rte_eth_dev_socket_id(port->port_id);
	if (socket < 0)
		socket = (int)rte_socket_id();
	for (q = 0; q < port->nb_rxq; q++) {
		ret = rte_eth_rx_queue_setup(
			port->port_id, q, nb_rxd, (unsigned int)socket, NULL, dp->pool);
		if (ret != 0) {
			snprintf(err, err_len, "port %s: rx queue %u: %s", port->name, q,
				strerror(-ret));
			return ret;
		}
	}
	for (q = 0; q < port->nb_txq; q++) {
		ret = rte_eth_tx_queue_setup(port->port_id, q, nb_txd, (unsigned int)socket, NULL);
		if (ret != 0) {
			snprintf(err, err_len, "port %s: tx queue %u: %s", port->name, q,
				strerror(-ret));
			return ret;
		}
	}
	/* A vSwitch port must see frames for every MAC behind it. */
	if (dp->params.fwd_mode == PW_DP_FWD_BRIDGE) {
		ret = rte_eth_promiscuous_enable(port->port_id);
		if (ret != 0 && ret != -ENOTSUP)
			PW_DP_LOG(WARNING, "port %s: promiscuous mode: %s", port->name,
				strerror(-ret));
	}
	PW_DP_LOG(INFO, "port %s: %s id %u, %u rx queue(s), %u tx queue(s), %s", port->name,
		port->driver, port->port_id, port->nb_rxq, port->nb_txq,
		conf.rxmode.mq_mode == RTE_ETH_MQ_RX_RSS		? "symmetric RSS" :
			port->nb_rxq > 1 && kernel_fanout(port->driver) ? "kernel fanout hash" :
									  "no RSS");
	return 0;
}
