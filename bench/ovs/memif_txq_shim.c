/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * LD_PRELOAD shim for ovs-vswitchd-dpdk on memif ports (bench/ovs_dut.py).
 *
 * OVS configures every DPDK port with one tx queue per CPU core plus one
 * (dpdk_eth_dev_init(): n_txq = MIN(info.max_tx_queues, up.n_txq)), and DPDK 22.11's memif
 * client opens one c2s ring per tx queue. A memif server set up with fewer rx queues than
 * that (podwall-bench: one) refuses the extra rings ("Invalid ring index") and the link
 * never comes up. This shim reports at most one rx and one tx queue for net_memif ports, so
 * OVS opens one of each and, having fewer tx queues than threads, sends through it in its
 * XPS mode (a per-batch spinlock, uncontended with one PMD thread). Nothing else changes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <rte_ethdev.h>

typedef int (*info_get_fn)(uint16_t port_id, struct rte_eth_dev_info *info);

int
rte_eth_dev_info_get(uint16_t port_id, struct rte_eth_dev_info *info)
{
	static info_get_fn real;
	int rc;

	if (real == NULL) {
		real = (info_get_fn)dlsym(RTLD_NEXT, "rte_eth_dev_info_get");
		if (real == NULL)
			return -ENOSYS;
	}
	rc = real(port_id, info);
	if (rc == 0 && info->driver_name != NULL && strcmp(info->driver_name, "net_memif") == 0) {
		info->max_rx_queues = 1;
		info->max_tx_queues = 1;
	}
	return rc;
}
