/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwallctl's renderers: a command's result printed as text (ctl_render.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_render.h"
#include "ctl_table.h"

static void
print_kv(const char *key, const char *val)
{
	printf("%-19s %s\n", key, val);
}

void
ctl_render_json(json_t *result)
{
	char *s = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
}

void
ctl_render_status(json_t *r)
{
	static const char *const port_hdr[] = { "ID", "NAME", "DRIVER", "ROLE", "LINK", "MAC",
		"QUEUES" };
	static const bool port_right[] = { true, false, false, false, false, false, false };
	static const char *const lcore_hdr[] = { "LCORE", "ROLE", "WORKER", "RX QUEUES" };
	static const bool lcore_right[] = { true, false, true, false };
	json_t *policy = json_object_get(r, "policy");
	char b[8][CTL_FIELD_LEN], rx[512];
	struct ctl_table t;
	size_t i;
	json_t *e;

	if (!json_is_object(r)) {
		ctl_render_json(r);
		return;
	}
	print_kv("version:", ctl_fmt_field(b[0], r, "version"));
	print_kv("node:", ctl_fmt_field(b[0], r, "node"));
	print_kv("pid:", ctl_fmt_field(b[0], r, "pid"));
	print_kv("uptime:", ctl_fmt_uptime(b[0], json_object_get(r, "uptime_s")));
	print_kv("forwarding:", ctl_fmt_field(b[0], r, "forwarding"));
	print_kv("burst size:", ctl_fmt_field(b[0], r, "burst_size"));
	print_kv("hugepages:", ctl_fmt_field(b[0], r, "hugepages"));
	print_kv("policy source:", ctl_fmt_field(b[0], policy, "source"));
	print_kv("policy sync:", ctl_fmt_field(b[0], policy, "sync_state"));
	print_kv("before sync:", ctl_fmt_field(b[0], policy, "before_sync"));
	print_kv("policy generation:", ctl_fmt_field(b[0], policy, "generation"));
	print_kv("last sync age (s):", ctl_fmt_field(b[0], policy, "last_sync_age_s"));

	printf("\n");
	ctl_table_init(&t, 7, port_hdr, port_right);
	json_array_foreach (json_object_get(r, "ports"), i, e) {
		const char *row[] = {
			ctl_fmt_field(b[0], e, "id"),
			ctl_fmt_field(b[1], e, "name"),
			ctl_fmt_field(b[2], e, "driver"),
			ctl_fmt_field(b[3], e, "role"),
			ctl_fmt_link(b[4], json_object_get(e, "link")),
			ctl_fmt_field(b[5], e, "mac"),
			ctl_fmt_queues(b[6], e),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_print(&t);

	printf("\n");
	ctl_table_init(&t, 4, lcore_hdr, lcore_right);
	json_array_foreach (json_object_get(r, "lcores"), i, e) {
		const char *row[] = {
			ctl_fmt_field(b[0], e, "lcore"),
			ctl_fmt_field(b[1], e, "role"),
			ctl_fmt_field(b[2], e, "worker"),
			ctl_fmt_rx_list(rx, sizeof(rx), json_object_get(e, "rx")),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_print(&t);
}

/* The "conntrack" section of stats, when the daemon sends one. */
static void
render_ct_counters(json_t *ct)
{
	static const char *const keys[] = { "active", "created", "expired", "evicted", "table_full",
		"revalidated", "revoked" };
	char b[CTL_FIELD_LEN];
	size_t i;

	if (!json_is_object(ct))
		return;
	if (json_is_false(json_object_get(ct, "enabled"))) {
		printf("\nconnection tracking: off\n");
		return;
	}
	printf("\nconnection tracking (capacity %s flows):\n", ctl_fmt_field(b, ct, "capacity"));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("  %-24s %s\n", keys[i], ctl_fmt_field(b, ct, keys[i]));
}

void
ctl_render_stats(json_t *r)
{
	static const char *const port_hdr[] = { "PORT", "RX PKTS", "RX BYTES", "TX PKTS",
		"TX BYTES", "DROPPED" };
	static const bool port_right[] = { false, true, true, true, true, true };
	static const char *const lcore_hdr[] = { "LCORE", "RX PKTS", "TX PKTS", "DROPPED",
		"CYCLES/PKT" };
	static const bool lcore_right[] = { true, true, true, true, true };
	json_t *totals = json_object_get(r, "totals");
	json_t *drops = json_object_get(r, "drops");
	char b[6][CTL_FIELD_LEN];
	struct ctl_table t;
	const char *key;
	bool any = false;
	size_t i;
	json_t *e;

	if (!json_is_object(r)) {
		ctl_render_json(r);
		return;
	}
	ctl_table_init(&t, 6, port_hdr, port_right);
	json_array_foreach (json_object_get(r, "ports"), i, e) {
		const char *row[] = {
			ctl_fmt_field(b[0], e, "name"),
			ctl_fmt_field(b[1], e, "rx_packets"),
			ctl_fmt_field(b[2], e, "rx_bytes"),
			ctl_fmt_field(b[3], e, "tx_packets"),
			ctl_fmt_field(b[4], e, "tx_bytes"),
			ctl_fmt_drop_sum(b[5], json_object_get(e, "drops")),
		};

		ctl_table_add(&t, row);
	}
	if (json_is_object(totals)) {
		const char *row[] = {
			"total",
			ctl_fmt_field(b[1], totals, "rx_packets"),
			ctl_fmt_field(b[2], totals, "rx_bytes"),
			ctl_fmt_field(b[3], totals, "tx_packets"),
			ctl_fmt_field(b[4], totals, "tx_bytes"),
			ctl_fmt_field(b[5], totals, "dropped"),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_print(&t);

	printf("\n");
	ctl_table_init(&t, 5, lcore_hdr, lcore_right);
	json_array_foreach (json_object_get(r, "lcores"), i, e) {
		const char *row[] = {
			ctl_fmt_field(b[0], e, "lcore"),
			ctl_fmt_field(b[1], e, "rx_packets"),
			ctl_fmt_field(b[2], e, "tx_packets"),
			ctl_fmt_drop_sum(b[3], json_object_get(e, "drops")),
			ctl_fmt_field(b[4], e, "cycles_per_packet"),
		};

		ctl_table_add(&t, row);
	}
	ctl_table_print(&t);

	printf("\ndrop reasons:\n");
	json_object_foreach (drops, key, e) {
		/* The daemon sends non-zero reasons only; filter anyway for older daemons. */
		if (json_is_integer(e) && json_integer_value(e) == 0)
			continue;
		printf("  %-24s %s\n", key, ctl_fmt_json(b[0], e));
		any = true;
	}
	if (!any)
		printf("  %s\n", json_is_object(drops) ? "none" : "-");
	render_ct_counters(json_object_get(r, "conntrack"));
}

void
ctl_render_done(json_t *result)
{
	(void)result;
	printf("counters reset\n");
}

void
ctl_render_help(json_t *r)
{
	json_t *cmds = json_object_get(r, "commands");
	size_t i, width = 0;
	json_t *c;

	if (!json_is_array(cmds)) {
		ctl_render_json(r);
		return;
	}
	json_array_foreach (cmds, i, c) {
		size_t len = strlen(json_string_value(json_object_get(c, "cmd")) ?: "-");

		if (len > width)
			width = len;
	}
	printf("daemon commands:\n");
	json_array_foreach (cmds, i, c) {
		printf("  %-*s  %s\n", (int)width,
			json_string_value(json_object_get(c, "cmd")) ?: "-",
			json_string_value(json_object_get(c, "help")) ?: "");
	}
}

static void
render_explain_dir(const char *dir, json_t *d)
{
	const char *pod = json_string_value(json_object_get(d, "pod"));
	const char *pol = json_string_value(json_object_get(d, "policy"));

	printf("  %-7s at %-30s %-7s %s", dir, pod != NULL ? pod : "(not a pod)",
		json_is_true(json_object_get(d, "allowed")) ? "allowed" : "DENIED",
		json_string_value(json_object_get(d, "decision")) ?: "-");
	if (pol != NULL)
		printf(": %s %s", pol, json_string_value(json_object_get(d, "rule")) ?: "");
	if (!json_is_true(json_object_get(d, "allowed"))) {
		json_t *by = json_object_get(d, "isolated_by"), *v;
		size_t i;

		printf(" (isolated by");
		json_array_foreach (by, i, v)
			printf("%s %s", i == 0 ? "" : ",", json_string_value(v));
		printf(")");
	}
	printf("\n");
}

void
ctl_render_explain(json_t *r)
{
	printf("%s (generation %" JSON_INTEGER_FORMAT ")\n",
		json_is_true(json_object_get(r, "allowed")) ? "ALLOWED" : "DENIED",
		json_integer_value(json_object_get(r, "generation")));
	render_explain_dir("egress", json_object_get(r, "egress"));
	render_explain_dir("ingress", json_object_get(r, "ingress"));
}

void
ctl_render_policies(json_t *r)
{
	static const char *const headers[] = { "POLICY", "EGRESS", "INGRESS", "DENIED" };
	static const bool right[] = { false, true, true, true };
	const char *name;
	struct ctl_table t;
	json_t *v;

	ctl_table_init(&t, 4, headers, right);
	json_object_foreach (r, name, v) {
		char e[32], i[32], d[32];
		const char *row[4] = { name, e, i, d };

		snprintf(e, sizeof(e), "%" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(v, "egress")));
		snprintf(i, sizeof(i), "%" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(v, "ingress")));
		snprintf(d, sizeof(d), "%" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(v, "denied")));
		ctl_table_add(&t, row);
	}
	if (t.nb_rows == 0)
		printf("no policy has decided a packet on the live table\n");
	ctl_table_print(&t);
}

void
ctl_render_flows(json_t *r)
{
	static const char *const headers[] = { "WORKER", "PROTO", "ORIGINATOR", "RESPONDER",
		"STATE", "PKTS >/<", "BYTES >/<", "IDLE S", "EXPIRES S" };
	static const bool right[] = { true, false, false, false, false, true, true, true, true };
	char b[9][CTL_FIELD_LEN];
	struct ctl_table t;
	size_t i;
	json_t *f;

	if (json_is_false(json_object_get(r, "enabled"))) {
		printf("connection tracking is off (conntrack.enabled: false)\n");
		return;
	}
	ctl_table_init(&t, 9, headers, right);
	json_array_foreach (json_object_get(r, "flows"), i, f) {
		const char *proto = json_string_value(json_object_get(f, "proto"));
		bool ports = proto != NULL &&
			(strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0 ||
				strcmp(proto, "sctp") == 0);
		const char *row[9];

		row[0] = ctl_fmt_field(b[0], f, "worker");
		row[1] = ctl_fmt_field(b[1], f, "proto");
		row[2] = ctl_fmt_end(b[2], f, "src", "sport", ports);
		row[3] = ctl_fmt_end(b[3], f, "dst", "dport", ports);
		if (json_is_true(json_object_get(f, "revoked")))
			snprintf(b[4], CTL_FIELD_LEN, "%s,REVOKED",
				json_string_value(json_object_get(f, "state")) ?: "-");
		else
			ctl_fmt_field(b[4], f, "state");
		row[4] = b[4];
		row[5] = ctl_fmt_pair(b[5], json_object_get(f, "packets"));
		row[6] = ctl_fmt_pair(b[6], json_object_get(f, "bytes"));
		row[7] = ctl_fmt_field(b[7], f, "idle_s");
		row[8] = ctl_fmt_field(b[8], f, "expires_s");
		ctl_table_add(&t, row);
	}
	ctl_table_print(&t);
	printf("%s flows shown, %s active, capacity %s%s\n", ctl_fmt_field(b[0], r, "count"),
		ctl_fmt_field(b[1], r, "active"), ctl_fmt_field(b[2], r, "capacity"),
		json_is_true(json_object_get(r, "truncated")) ?
			" (truncated: narrow with --ip/--port, or raise --limit up to 1000)" :
			"");
}
