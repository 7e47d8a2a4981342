/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator socket's status, stats, stats-reset, explain and policies commands (shapes in
 * include/podwall/pw_proto.h). Thin: they read the dataplane's public API and format JSON.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <jansson.h>

#include "config.h"
#include "ctl.h"
#include "dataplane/pw_dp.h"
#include "policy.h"
#include "sockserv.h"

static double
seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Non-zero drop reasons as {"name": count}. */
static json_t *
drops_json(const struct pw_port_counters *c)
{
	json_t *o = json_object();
	unsigned int r;

	for (r = 1; r < PW_DROP_MAX; r++)
		if (c->drops[r] != 0)
			json_object_set_new(
				o, pw_drop_reason_name(r), json_integer((json_int_t)c->drops[r]));
	return o;
}

static uint64_t
dropped_total(const struct pw_port_counters *c)
{
	uint64_t n = 0;
	unsigned int r;

	for (r = 1; r < PW_DROP_MAX; r++)
		n += c->drops[r];
	return n;
}

static json_t *
ports_status_json(const struct pw_ctl *ctl)
{
	json_t *arr = json_array();
	unsigned int i;

	for (i = 0; i < pw_dp_nb_ports(ctl->dp); i++) {
		struct pw_dp_port_info pi;

		if (pw_dp_port_info(ctl->dp, i, &pi) != 0)
			continue;
		json_array_append_new(arr,
			json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:{s:b, s:i, s:s}, s:i, s:i}",
				"id", (int)pi.port_id, "name", pi.name, "device", pi.device,
				"driver", pi.driver, "role", pi.role, "mac", pi.mac, "link", "up",
				pi.link_up, "speed_mbps", (int)pi.link_speed_mbps, "duplex",
				pi.link_full_duplex ? "full" : "half", "rx_queues", (int)pi.nb_rxq,
				"tx_queues", (int)pi.nb_txq));
	}
	return arr;
}

static json_t *
lcores_status_json(const struct pw_ctl *ctl)
{
	json_t *arr = json_array();
	unsigned int w, q;

	json_array_append_new(arr, json_pack("{s:i, s:s}", "lcore", 0, "role", "main"));
	for (w = 0; w < pw_dp_nb_workers(ctl->dp); w++) {
		static struct pw_dp_worker_info wi; /* 8 kB: not on the stack */
		json_t *rx = json_array();
		struct pw_dp_port_info pi;

		if (pw_dp_worker_info(ctl->dp, w, &wi) != 0) {
			json_decref(rx);
			continue;
		}
		for (q = 0; q < wi.nb_rxq; q++) {
			if (pw_dp_port_info(ctl->dp, wi.rx_port[q], &pi) != 0)
				continue;
			json_array_append_new(rx,
				json_pack("{s:s, s:i}", "port", pi.name, "queue",
					(int)wi.rx_queue[q]));
		}
		json_array_append_new(arr,
			json_pack("{s:i, s:s, s:i, s:o}", "lcore", (int)wi.lcore, "role", "worker",
				"worker", (int)w, "rx", rx));
	}
	return arr;
}

static int
cmd_status(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	struct pw_ctl *ctl = arg;
	json_t *policy;

	(void)req;
	policy = json_pack("{s:s, s:s, s:s, s:I}", "source",
		pw_policy_source_name(ctl->cfg->source_type), "sync_state",
		pw_sync_state_name(ctl->sync_state), "before_sync",
		pw_before_sync_name(ctl->cfg->before_sync), "generation",
		(json_int_t)ctl->generation);
	if (policy == NULL)
		goto err_nomem;
	json_object_set_new(policy, "last_sync_age_s",
		ctl->generation > 0 ? json_real(seconds_since(&ctl->last_sync)) : json_null());
	json_object_set_new(policy, "retired_unfreed", json_integer(pw_dp_nb_pending(ctl->dp)));
	if (ctl->policy != NULL)
		json_object_update_new(policy, pw_policy_ctl_status_json(ctl->policy));
	*ret_result = json_pack("{s:s, s:s, s:i, s:f, s:b, s:s, s:i, s:o, s:o, s:o}", "version",
		PW_VERSION, "node", ctl->cfg->node_name, "pid", (int)getpid(), "uptime_s",
		seconds_since(&ctl->started), "hugepages", ctl->hugepages, "forwarding",
		pw_dp_fwd_mode_name(ctl->dp), "burst_size", (int)pw_dp_burst_size(ctl->dp),
		"lcores", lcores_status_json(ctl), "ports", ports_status_json(ctl), "policy",
		policy);
	if (*ret_result == NULL)
		goto err_nomem;
	return 0;

err_nomem:
	snprintf(err, err_len, "out of memory");
	return -ENOMEM;
}

static json_t *
counters_json(const struct pw_port_counters *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:o}", "rx_packets", (json_int_t)c->rx_packets,
		"rx_bytes", (json_int_t)c->rx_bytes, "tx_packets", (json_int_t)c->tx_packets,
		"tx_bytes", (json_int_t)c->tx_bytes, "drops", drops_json(c));
}

static int
cmd_stats(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	struct pw_ctl *ctl = arg;
	struct pw_port_counters total;
	json_t *ports = json_array(), *lcores = json_array(), *o;
	unsigned int i;

	(void)req;
	memset(&total, 0, sizeof(total));
	for (i = 0; i < pw_dp_nb_ports(ctl->dp); i++) {
		struct pw_port_counters c;
		struct pw_dp_nic_counters nic;
		struct pw_dp_port_info pi;

		pw_dp_port_counters(ctl->dp, i, &c);
		pw_port_counters_add(&total, &c);
		(void)pw_dp_port_info(ctl->dp, i, &pi);
		o = counters_json(&c);
		json_object_set_new(o, "id", json_integer(pi.port_id));
		json_object_set_new(o, "name", json_string(pi.name));
		if (pw_dp_nic_counters(ctl->dp, i, &nic) == 0)
			json_object_set_new(o, "nic",
				json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "ipackets",
					(json_int_t)nic.ipackets, "opackets",
					(json_int_t)nic.opackets, "imissed",
					(json_int_t)nic.imissed, "ierrors", (json_int_t)nic.ierrors,
					"oerrors", (json_int_t)nic.oerrors, "rx_nombuf",
					(json_int_t)nic.rx_nombuf));
		json_array_append_new(ports, o);
	}
	for (i = 0; i < pw_dp_nb_workers(ctl->dp); i++) {
		struct pw_port_counters c;
		struct pw_dp_lcore_counters lc;
		pw_dp_worker_counters(ctl->dp, i, &c, &lc);
		o = counters_json(&c);
		json_object_set_new(o, "worker", json_integer(i));
		json_object_set_new(o, "lcore", json_integer(ctl->cfg->worker_lcores[i]));
		json_object_set_new(o, "polls", json_integer((json_int_t)lc.polls));
		json_object_set_new(o, "busy_polls", json_integer((json_int_t)lc.busy_polls));
		json_object_set_new(o, "busy_cycles", json_integer((json_int_t)lc.busy_cycles));
		json_object_set_new(o, "cycles_per_packet",
			lc.packets != 0 ? json_real((double)lc.busy_cycles / (double)lc.packets) :
					  json_null());
		json_object_set_new(o, "tsc_hz", json_integer((json_int_t)rte_get_tsc_hz()));
		json_object_set_new(o, "conntrack", pw_cmds_ct_stats_json(ctl, (int)i));
		json_array_append_new(lcores, o);
	}
	*ret_result = json_pack("{s:o, s:o, s:o, s:{s:I, s:I, s:I, s:I, s:I}, s:o}", "ports", ports,
		"lcores", lcores, "drops", drops_json(&total), "totals", "rx_packets",
		(json_int_t)total.rx_packets, "rx_bytes", (json_int_t)total.rx_bytes, "tx_packets",
		(json_int_t)total.tx_packets, "tx_bytes", (json_int_t)total.tx_bytes, "dropped",
		(json_int_t)dropped_total(&total), "conntrack", pw_cmds_ct_stats_json(ctl, -1));
	if (*ret_result == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int
cmd_stats_reset(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	struct pw_ctl *ctl = arg;

	(void)req;
	(void)err;
	(void)err_len;
	pw_dp_stats_reset(ctl->dp);
	*ret_result = json_object();
	return 0;
}

static int
cmd_explain(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	struct pw_ctl *ctl = arg;

	if (ctl->policy == NULL) {
		snprintf(err, err_len, "policy source is %s: every flow is allowed",
			pw_policy_source_name(ctl->cfg->source_type));
		return -EINVAL;
	}
	return pw_policy_ctl_explain(ctl->policy, req, ret_result, err, err_len);
}

static int
cmd_policies(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	struct pw_ctl *ctl = arg;

	(void)req;
	(void)err;
	(void)err_len;
	*ret_result = ctl->policy != NULL ? pw_policy_ctl_hits_json(ctl->policy) : json_object();
	return 0;
}

int
pw_cmds_register(struct pw_sockserv *srv, struct pw_ctl *ctl)
{
	int ret;

	ret = pw_sockserv_register(srv, "status",
		"version, uptime, lcores, ports and links, policy source and sync state",
		cmd_status, ctl);
	if (ret == 0)
		ret = pw_sockserv_register(srv, "stats",
			"per-port and per-lcore packets, bytes, drops by reason, cycles per packet",
			cmd_stats, ctl);
	if (ret == 0)
		ret = pw_sockserv_register(
			srv, "stats-reset", "zero the counters readers see", cmd_stats_reset, ctl);
	if (ret == 0)
		ret = pw_sockserv_register(srv, "explain",
			"the verdict of a flow per direction and which policy and rule decide it; "
			"arguments: from, to, proto, port",
			cmd_explain, ctl);
	if (ret == 0)
		ret = pw_sockserv_register(srv, "policies",
			"packets each policy's rules allowed, per direction, on the live table",
			cmd_policies, ctl);
	if (ret == 0)
		ret = pw_cmds_flows_register(srv, ctl);
	return ret;
}
