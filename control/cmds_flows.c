/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Connection tracking on the operator socket: the `flows` command and the "conntrack"
 * sections of `stats`. The flow tables belong to the workers; this only calls the
 * dataplane's readers (pw_dp_flows(), pw_dp_ct_counters()), which never write worker memory.
 *
 *   flows  arguments: "ip" (an address, either end), "port" (either end), "limit"
 *          (1..PW_FLOWS_MAX, default PW_FLOWS_MAX)
 *          result: {"enabled", "capacity", "active", "flows": [{"worker", "proto", "src",
 *                   "sport", "dst", "dport", "state", "replied", "revoked", "generation",
 *                   "age_s", "idle_s", "expires_s", "packets": {"orig", "reply"},
 *                   "bytes": {"orig", "reply"}}], "count", "truncated"}
 *          src is the originator (the side whose packet opened the flow). ICMP echo flows
 *          show the identifier as sport.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "dataplane/pw_dp.h"
#include "sockserv.h"

#define PW_FLOWS_MAX 1000

static const char *
proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 58:
		return "icmpv6";
	case 132:
		return "sctp";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

static json_t *
flow_json(const struct pw_dp_flow *f)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], pbuf[8];
	int af = f->family == 6 ? AF_INET6 : AF_INET;

	if (inet_ntop(af, f->src, src, sizeof(src)) == NULL ||
		inet_ntop(af, f->dst, dst, sizeof(dst)) == NULL)
		return NULL;
	return json_pack("{s:i, s:s, s:s, s:i, s:s, s:i, s:s, s:b, s:b, s:I, s:f, s:f, s:f, "
			 "s:{s:I, s:I}, s:{s:I, s:I}}",
		"worker", (int)f->worker, "proto", proto_name(f->proto, pbuf, sizeof(pbuf)), "src",
		src, "sport", (int)f->sport, "dst", dst, "dport", (int)f->dport, "state", f->state,
		"replied", f->replied, "revoked", f->revoked, "generation",
		(json_int_t)f->generation, "age_s", (double)f->age_ms / 1000.0, "idle_s",
		(double)f->idle_ms / 1000.0, "expires_s", (double)f->expires_ms / 1000.0, "packets",
		"orig", (json_int_t)f->packets[0], "reply", (json_int_t)f->packets[1], "bytes",
		"orig", (json_int_t)f->bytes[0], "reply", (json_int_t)f->bytes[1]);
}

/* The request's filter and limit; -EINVAL with a message for a bad argument. */
static int
parse_request(json_t *req, struct pw_dp_flow_filter *flt, unsigned int *ret_limit, char *err,
	size_t err_len)
{
	json_t *ip = json_object_get(req, "ip");
	json_t *port = json_object_get(req, "port");
	json_t *limit = json_object_get(req, "limit");

	memset(flt, 0, sizeof(*flt));
	if (ip != NULL && !json_is_null(ip)) {
		const char *s = json_string_value(ip);

		if (s != NULL && inet_pton(AF_INET, s, flt->ip) == 1) {
			flt->family = 4;
		} else if (s != NULL && inet_pton(AF_INET6, s, flt->ip) == 1) {
			flt->family = 6;
		} else {
			snprintf(err, err_len, "ip: not an IPv4 or IPv6 address");
			return -EINVAL;
		}
		flt->has_ip = true;
	}
	if (port != NULL && !json_is_null(port)) {
		if (!json_is_integer(port) || json_integer_value(port) < 0 ||
			json_integer_value(port) > 65535) {
			snprintf(err, err_len, "port: an integer 0..65535");
			return -EINVAL;
		}
		flt->has_port = true;
		flt->port = (uint16_t)json_integer_value(port);
	}
	*ret_limit = PW_FLOWS_MAX;
	if (limit != NULL && !json_is_null(limit)) {
		if (!json_is_integer(limit) || json_integer_value(limit) < 1 ||
			json_integer_value(limit) > PW_FLOWS_MAX) {
			snprintf(err, err_len, "limit: an integer 1..%d", PW_FLOWS_MAX);
			return -EINVAL;
		}
		*ret_limit = (unsigned int)json_integer_value(limit);
	}
	return 0;
}

static uint64_t
active_total(const struct pw_dp *dp)
{
	struct pw_dp_ct_counters c;
	uint64_t n = 0;
	unsigned int w;

	for (w = 0; w < pw_dp_nb_workers(dp); w++) {
		pw_dp_ct_counters(dp, w, true, &c);
		n += c.active;
	}
	return n;
}

static int
cmd_flows(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	struct pw_ctl *ctl = arg;
	struct pw_dp_flow_filter flt;
	struct pw_dp_flow *flows;
	unsigned int limit, n, i;
	bool truncated = false;
	json_t *arr;
	int ret;

	ret = parse_request(req, &flt, &limit, err, err_len);
	if (ret != 0)
		return ret;
	flows = calloc(limit, sizeof(*flows));
	arr = json_array();
	if (flows == NULL || arr == NULL)
		goto err_nomem;
	n = pw_dp_flows(ctl->dp, &flt, flows, limit, &truncated);
	for (i = 0; i < n; i++) {
		json_t *o = flow_json(&flows[i]);

		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto err_nomem;
	}
	free(flows);
	*ret_result = json_pack("{s:b, s:I, s:I, s:o, s:i, s:b}", "enabled",
		pw_dp_ct_enabled(ctl->dp), "capacity", (json_int_t)pw_dp_ct_capacity(ctl->dp),
		"active", (json_int_t)active_total(ctl->dp), "flows", arr, "count", (int)n,
		"truncated", truncated);
	if (*ret_result == NULL) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;

err_nomem:
	free(flows);
	json_decref(arr);
	snprintf(err, err_len, "out of memory");
	return -ENOMEM;
}

static json_t *
ct_counters_json(const struct pw_dp_ct_counters *c)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "active", (json_int_t)c->active,
		"created", (json_int_t)c->created, "expired", (json_int_t)c->expired, "evicted",
		(json_int_t)c->evicted, "table_full", (json_int_t)c->table_full, "revalidated",
		(json_int_t)c->revalidated, "revoked", (json_int_t)c->revoked);
}

json_t *
pw_cmds_ct_stats_json(const struct pw_ctl *ctl, int worker)
{
	struct pw_dp_ct_counters c, sum;
	unsigned int w;
	json_t *o;

	if (worker >= 0) {
		pw_dp_ct_counters(ctl->dp, (unsigned int)worker, false, &c);
		return ct_counters_json(&c);
	}
	memset(&sum, 0, sizeof(sum));
	for (w = 0; w < pw_dp_nb_workers(ctl->dp); w++) {
		pw_dp_ct_counters(ctl->dp, w, false, &c);
		sum.active += c.active;
		sum.created += c.created;
		sum.expired += c.expired;
		sum.evicted += c.evicted;
		sum.table_full += c.table_full;
		sum.revalidated += c.revalidated;
		sum.revoked += c.revoked;
	}
	o = ct_counters_json(&sum);
	if (o != NULL) {
		json_object_set_new(o, "enabled", json_boolean(pw_dp_ct_enabled(ctl->dp)));
		json_object_set_new(
			o, "capacity", json_integer((json_int_t)pw_dp_ct_capacity(ctl->dp)));
	}
	return o;
}

int
pw_cmds_flows_register(struct pw_sockserv *srv, struct pw_ctl *ctl)
{
	return pw_sockserv_register(srv, "flows",
		"tracked connections, originator first, with state, age and counters; "
		"arguments: ip, port (either end), limit (at most 1000)",
		cmd_flows, ctl);
}
