/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wiring between configuration and dataplane: parameters from the config file, and the
 * snapshots that the policy source "none" publishes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "config.h"
#include "ctl.h"
#include "dataplane/pw_dp.h"
#include "eal_args.h"

int
pw_dp_params_from_config(
	const struct pw_config *cfg, struct pw_dp_params *ret, char *err, size_t err_len)
{
	/* Names live as long as the process: the dataplane keeps pointers to them. */
	static char dev_names[PW_MAX_PORTS][64];
	unsigned int i;

	memset(ret, 0, sizeof(*ret));
	if (cfg->nb_ports > PW_MAX_PORTS || cfg->nb_worker_lcores > PW_MAX_WORKERS) {
		snprintf(err, err_len, "%s: at most %u ports and %u workers", cfg->path,
			PW_MAX_PORTS, PW_MAX_WORKERS);
		return -EINVAL;
	}
	for (i = 0; i < cfg->nb_ports; i++) {
		bool pci;

		if (pw_port_dev_name(
			    cfg->ports[i].device, dev_names[i], sizeof(dev_names[i]), &pci) != 0) {
			snprintf(err, err_len, "%s: ports[%u].device: cannot name '%s'", cfg->path,
				i, cfg->ports[i].device);
			return -EINVAL;
		}
		ret->ports[i].name = cfg->ports[i].name;
		ret->ports[i].dev_name = dev_names[i];
		ret->ports[i].device = cfg->ports[i].device;
		ret->ports[i].role = pw_port_role_name(cfg->ports[i].role);
	}
	ret->nb_ports = cfg->nb_ports;
	ret->fwd_mode = cfg->fwd_mode == PW_FWD_BRIDGE ? PW_DP_FWD_BRIDGE : PW_DP_FWD_WIRE;
	ret->mac_ageing_s = cfg->mac_ageing_s;
	for (i = 0; i < cfg->nb_worker_lcores; i++)
		ret->worker_lcores[i] = cfg->worker_lcores[i];
	ret->nb_workers = cfg->nb_worker_lcores;
	ret->rx_queues = cfg->rx_queues;
	ret->rx_desc = cfg->rx_desc;
	ret->tx_desc = cfg->tx_desc;
	ret->burst_size = cfg->burst_size;
	ret->nb_mbufs = cfg->nb_mbufs;
	ret->fail_open = cfg->before_sync == PW_BEFORE_SYNC_FAIL_OPEN;
	ret->drop_port = -1;
	ret->ct_enabled = cfg->ct_enabled;
	ret->ct_size = cfg->ct_size;
	ret->ct_evict = cfg->ct_on_full == PW_CT_FULL_EVICT_OLDEST;
	ret->ct_timeout_s[PW_DP_CT_TCP_SYN] = cfg->ct_timeouts.tcp_syn;
	ret->ct_timeout_s[PW_DP_CT_TCP_ESTABLISHED] = cfg->ct_timeouts.tcp_established;
	ret->ct_timeout_s[PW_DP_CT_TCP_FIN] = cfg->ct_timeouts.tcp_fin;
	ret->ct_timeout_s[PW_DP_CT_TCP_CLOSED] = cfg->ct_timeouts.tcp_closed;
	ret->ct_timeout_s[PW_DP_CT_UDP] = cfg->ct_timeouts.udp;
	ret->ct_timeout_s[PW_DP_CT_SCTP] = cfg->ct_timeouts.sctp;
	ret->ct_timeout_s[PW_DP_CT_ICMP] = cfg->ct_timeouts.icmp;
	ret->ct_timeout_s[PW_DP_CT_OTHER] = cfg->ct_timeouts.other;
	return 0;
}

int
pw_ctl_publish_allow_all(struct pw_ctl *ctl)
{
	struct pw_snapshot *snap = calloc(1, sizeof(*snap));
	uint64_t generation = ctl->generation + 1;
	int ret;

	if (snap == NULL)
		return -ENOMEM;
	snap->generation = generation;
	snap->default_verdict = PW_VERDICT_ALLOW;
	snap->built_tsc = rte_rdtsc();
	ret = pw_dp_publish(ctl->dp, snap);
	if (ret != 0)
		return ret;
	pw_ctl_published(ctl, generation);
	return 0;
}

void
pw_ctl_published(void *arg, uint64_t generation)
{
	struct pw_ctl *ctl = arg;

	ctl->generation = generation;
	ctl->sync_state = PW_SYNC_SYNCED;
	clock_gettime(CLOCK_MONOTONIC, &ctl->last_sync);
}

const char *
pw_sync_state_name(enum pw_sync_state s)
{
	switch (s) {
	case PW_SYNC_SYNCED:
		return "synced";
	case PW_SYNC_STALE:
		return "stale";
	default:
		return "waiting";
	}
}
