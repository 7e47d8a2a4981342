/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The same counters as the operator socket, registered with DPDK telemetry so that
 * dpdk-telemetry.py shows them:
 *   /podwall/ports            port names by index
 *   /podwall/port_stats,<i>   one port's packets, bytes and drops by reason
 *   /podwall/stats            totals and drops by reason over all ports
 *   /podwall/lcores           per-worker polls, busy cycles and cycles per packet
 *   /podwall/conntrack        flow-table counters summed over workers
 *
 * DPDK 22.11's telemetry callbacks take no user argument, so the context is one file-scope
 * pointer, set at registration and cleared before the dataplane is freed. Callbacks run on
 * the telemetry thread and only read single-writer counters with relaxed loads; they show
 * counts since start (stats-reset affects the socket only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_telemetry.h>

#include "config.h"
#include "ctl.h"
#include "dataplane/pw_dp.h"

static struct pw_ctl *tel_ctl;

static struct pw_ctl *
ctl_get(void)
{
	return __atomic_load_n(&tel_ctl, __ATOMIC_ACQUIRE);
}

static void
add_counters(struct rte_tel_data *d, const struct pw_port_counters *c)
{
	unsigned int r;

	rte_tel_data_add_dict_u64(d, "rx_packets", c->rx_packets);
	rte_tel_data_add_dict_u64(d, "rx_bytes", c->rx_bytes);
	rte_tel_data_add_dict_u64(d, "tx_packets", c->tx_packets);
	rte_tel_data_add_dict_u64(d, "tx_bytes", c->tx_bytes);
	for (r = 1; r < PW_DROP_MAX; r++)
		rte_tel_data_add_dict_u64(d, pw_drop_reason_name(r), c->drops[r]);
}

static int
tel_ports(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pw_ctl *ctl = ctl_get();
	unsigned int i;

	(void)cmd;
	(void)params;
	if (ctl == NULL)
		return -ENODEV;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	for (i = 0; i < pw_dp_nb_ports(ctl->dp); i++)
		rte_tel_data_add_array_string(d, ctl->cfg->ports[i].name);
	return 0;
}

static int
tel_port_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pw_ctl *ctl = ctl_get();
	struct pw_port_counters c;
	unsigned long idx;
	char *end;

	(void)cmd;
	if (ctl == NULL)
		return -ENODEV;
	if (params == NULL || *params == '\0')
		return -EINVAL;
	idx = strtoul(params, &end, 10);
	if (*end != '\0' || idx >= pw_dp_nb_ports(ctl->dp))
		return -EINVAL;
	rte_tel_data_start_dict(d);
	pw_dp_port_counters_raw(ctl->dp, (unsigned int)idx, &c);
	add_counters(d, &c);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pw_ctl *ctl = ctl_get();
	struct pw_port_counters total, c;
	unsigned int i;

	(void)cmd;
	(void)params;
	if (ctl == NULL)
		return -ENODEV;
	memset(&total, 0, sizeof(total));
	for (i = 0; i < pw_dp_nb_ports(ctl->dp); i++) {
		pw_dp_port_counters_raw(ctl->dp, i, &c);
		pw_port_counters_add(&total, &c);
	}
	rte_tel_data_start_dict(d);
	add_counters(d, &total);
	rte_tel_data_add_dict_u64(d, "generation", ctl->generation);
	return 0;
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pw_ctl *ctl = ctl_get();
	unsigned int w;

	(void)cmd;
	(void)params;
	if (ctl == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	for (w = 0; w < pw_dp_nb_workers(ctl->dp); w++) {
		struct rte_tel_data *ld = rte_tel_data_alloc();
		struct pw_port_counters c;
		struct pw_dp_lcore_counters lc;
		char name[32];

		if (ld == NULL)
			return -ENOMEM;
		pw_dp_worker_counters(ctl->dp, w, &c, &lc);
		rte_tel_data_start_dict(ld);
		rte_tel_data_add_dict_u64(ld, "lcore", ctl->cfg->worker_lcores[w]);
		rte_tel_data_add_dict_u64(ld, "polls", lc.polls);
		rte_tel_data_add_dict_u64(ld, "busy_polls", lc.busy_polls);
		rte_tel_data_add_dict_u64(ld, "busy_cycles", lc.busy_cycles);
		rte_tel_data_add_dict_u64(ld, "packets", lc.packets);
		rte_tel_data_add_dict_u64(
			ld, "cycles_per_packet", lc.packets != 0 ? lc.busy_cycles / lc.packets : 0);
		snprintf(name, sizeof(name), "worker%u", w);
		rte_tel_data_add_dict_container(d, name, ld, 0);
	}
	return 0;
}

static int
tel_conntrack(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pw_ctl *ctl = ctl_get();
	struct pw_dp_ct_counters c, sum;
	unsigned int w;

	(void)cmd;
	(void)params;
	if (ctl == NULL)
		return -ENODEV;
	memset(&sum, 0, sizeof(sum));
	for (w = 0; w < pw_dp_nb_workers(ctl->dp); w++) {
		pw_dp_ct_counters(ctl->dp, w, true, &c);
		sum.active += c.active;
		sum.created += c.created;
		sum.expired += c.expired;
		sum.evicted += c.evicted;
		sum.table_full += c.table_full;
		sum.revalidated += c.revalidated;
		sum.revoked += c.revoked;
	}
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "enabled", pw_dp_ct_enabled(ctl->dp) ? 1 : 0);
	rte_tel_data_add_dict_u64(d, "capacity", pw_dp_ct_capacity(ctl->dp));
	rte_tel_data_add_dict_u64(d, "active", sum.active);
	rte_tel_data_add_dict_u64(d, "created", sum.created);
	rte_tel_data_add_dict_u64(d, "expired", sum.expired);
	rte_tel_data_add_dict_u64(d, "evicted", sum.evicted);
	rte_tel_data_add_dict_u64(d, "table_full", sum.table_full);
	rte_tel_data_add_dict_u64(d, "revalidated", sum.revalidated);
	rte_tel_data_add_dict_u64(d, "revoked", sum.revoked);
	return 0;
}

int
pw_telemetry_register(struct pw_ctl *ctl)
{
	int ret;

	__atomic_store_n(&tel_ctl, ctl, __ATOMIC_RELEASE);
	ret = rte_telemetry_register_cmd(
		"/podwall/ports", tel_ports, "podwall port names by index. Takes no parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/podwall/port_stats", tel_port_stats,
			"podwall counters of one port. Parameters: int port index");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/podwall/stats", tel_stats,
			"podwall totals and drops by reason. Takes no parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/podwall/lcores", tel_lcores,
			"podwall per-worker polls and cycles per packet. Takes no parameters");
	if (ret == 0)
		ret = rte_telemetry_register_cmd("/podwall/conntrack", tel_conntrack,
			"podwall flow-table counters summed over workers. Takes no parameters");
	return ret;
}

void
pw_telemetry_unregister(void)
{
	__atomic_store_n(&tel_ctl, NULL, __ATOMIC_RELEASE);
}
