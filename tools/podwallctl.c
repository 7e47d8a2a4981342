/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwallctl: the operator CLI. Sends one request over podwall's Unix socket (protocol in
 * include/podwall/pw_proto.h), reads the one-line reply and prints it as tables or as JSON.
 * Links jansson only, not DPDK, so it runs anywhere.
 *
 * A command is one entry of the commands[] table: how to build its request from the arguments
 * and how to render its result. Adding one (explain, flows) means adding an entry.
 *
 * Exit status: 0 ok, 1 the daemon replied an error, 2 usage error, 3 cannot talk to the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <jansson.h>

#include "podwall/pw_proto.h"

#define EXIT_DAEMON_ERROR 1
#define EXIT_USAGE 2
#define EXIT_CONNECT 3

/* A reply bigger than the daemon's own output bound (16 MiB) is not a podwall reply. */
#define MAX_REPLY (32u << 20)
#define DEFAULT_TIMEOUT_S 5.0
#define MAX_TIMEOUT_S 3600.0

struct command {
	const char *name;
	const char *args; /* usage of the arguments, "" if none */
	const char *summary;
	int min_args;
	int max_args;
	/* Build the request line (no newline) from the arguments; NULL on a usage error. */
	char *(*build_request)(const struct command *cmd, int argc, char **argv);
	/* Print the result; NULL prints it as JSON. */
	void (*render)(json_t *result);
};

/* Tables. */

struct table {
	size_t nb_cols;
	const char *const *headers;
	const bool *right; /* right-align this column (numbers) */
	char **cells;	   /* nb_rows * nb_cols strings */
	size_t nb_rows;
	size_t cap_rows;
};

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL) {
		fprintf(stderr, "podwallctl: out of memory\n");
		exit(EXIT_FAILURE);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	return strcpy(xrealloc(NULL, strlen(s) + 1), s);
}

static void
table_init(struct table *t, size_t nb_cols, const char *const *headers, const bool *right)
{
	memset(t, 0, sizeof(*t));
	t->nb_cols = nb_cols;
	t->headers = headers;
	t->right = right;
}

/* Append a row of nb_cols strings (copied). */
static void
table_add(struct table *t, const char *const *vals)
{
	size_t i;

	if (t->nb_rows == t->cap_rows) {
		t->cap_rows = t->cap_rows == 0 ? 16 : t->cap_rows * 2;
		t->cells = xrealloc(t->cells, t->cap_rows * t->nb_cols * sizeof(*t->cells));
	}
	for (i = 0; i < t->nb_cols; i++)
		t->cells[t->nb_rows * t->nb_cols + i] = xstrdup(vals[i]);
	t->nb_rows++;
}

static void
print_row(const struct table *t, const size_t *widths, const char *const *vals)
{
	size_t i;

	for (i = 0; i < t->nb_cols; i++) {
		bool last = i + 1 == t->nb_cols;
		int w = (int)widths[i];

		if (t->right[i])
			printf("%*s", w, vals[i]);
		else
			printf("%-*s", last ? 0 : w, vals[i]);
		printf(last ? "\n" : "  ");
	}
}

/* Print with columns as wide as their widest cell, then free the rows. */
static void
table_print(struct table *t)
{
	size_t *widths = xrealloc(NULL, t->nb_cols * sizeof(*widths));
	size_t r, i;

	for (i = 0; i < t->nb_cols; i++)
		widths[i] = strlen(t->headers[i]);
	for (r = 0; r < t->nb_rows; r++) {
		for (i = 0; i < t->nb_cols; i++) {
			size_t len = strlen(t->cells[r * t->nb_cols + i]);

			if (len > widths[i])
				widths[i] = len;
		}
	}
	print_row(t, widths, t->headers);
	for (r = 0; r < t->nb_rows; r++)
		print_row(t, widths, (const char *const *)&t->cells[r * t->nb_cols]);
	for (r = 0; r < t->nb_rows * t->nb_cols; r++)
		free(t->cells[r]);
	free(t->cells);
	free(widths);
	t->cells = NULL;
	t->nb_rows = 0;
	t->cap_rows = 0;
}

/* Field formatting: every helper prints "-" for a missing or mistyped field. */

#define FIELD_LEN 64

static const char *
fmt_json(char *buf, json_t *v)
{
	if (json_is_integer(v))
		snprintf(buf, FIELD_LEN, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, FIELD_LEN, "%.1f", json_real_value(v));
	else if (json_is_string(v))
		snprintf(buf, FIELD_LEN, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, FIELD_LEN, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, FIELD_LEN, "-");
	return buf;
}

static const char *
fmt_field(char *buf, json_t *obj, const char *key)
{
	return fmt_json(buf, json_object_get(obj, key));
}

/* Sum of the counters in a {"reason": n} object, or "-" when there is none. */
static const char *
fmt_drop_sum(char *buf, json_t *drops)
{
	json_int_t sum = 0;
	const char *key;
	json_t *v;

	if (!json_is_object(drops))
		return strcpy(buf, "-");
	json_object_foreach (drops, key, v) {
		if (json_is_integer(v))
			sum += json_integer_value(v);
	}
	snprintf(buf, FIELD_LEN, "%" JSON_INTEGER_FORMAT, sum);
	return buf;
}

static const char *
fmt_uptime(char *buf, json_t *v)
{
	json_int_t s;

	if (!json_is_number(v) || json_number_value(v) < 0)
		return strcpy(buf, "-");
	s = (json_int_t)json_number_value(v);
	if (s >= 86400)
		snprintf(buf, FIELD_LEN, "%" JSON_INTEGER_FORMAT "d %02d:%02d:%02d", s / 86400,
			(int)(s % 86400 / 3600), (int)(s % 3600 / 60), (int)(s % 60));
	else
		snprintf(buf, FIELD_LEN, "%02d:%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60),
			(int)(s % 60));
	return buf;
}

static const char *
fmt_link(char *buf, json_t *link)
{
	json_t *up = json_object_get(link, "up");
	json_t *speed = json_object_get(link, "speed_mbps");
	json_t *duplex = json_object_get(link, "duplex");
	int n;

	if (!json_is_boolean(up))
		return strcpy(buf, "-");
	if (json_is_false(up))
		return strcpy(buf, "down");
	n = snprintf(buf, FIELD_LEN, "up");
	if (json_is_integer(speed) && json_integer_value(speed) > 0) {
		json_int_t mbps = json_integer_value(speed);

		if (mbps % 1000 == 0)
			n += snprintf(buf + n, (size_t)(FIELD_LEN - n),
				" %" JSON_INTEGER_FORMAT "G", mbps / 1000);
		else
			n += snprintf(buf + n, (size_t)(FIELD_LEN - n),
				" %" JSON_INTEGER_FORMAT "M", mbps);
	}
	if (json_is_string(duplex) && n < FIELD_LEN)
		snprintf(buf + n, (size_t)(FIELD_LEN - n), " %s", json_string_value(duplex));
	return buf;
}

/* "rx/tx" queue counts. */
static const char *
fmt_queues(char *buf, json_t *port)
{
	char rx[FIELD_LEN], tx[FIELD_LEN];

	if (json_object_get(port, "rx_queues") == NULL &&
		json_object_get(port, "tx_queues") == NULL)
		return strcpy(buf, "-");
	fmt_field(rx, port, "rx_queues");
	fmt_field(tx, port, "tx_queues");
	snprintf(buf, FIELD_LEN, "%.20s/%.20s", rx, tx);
	return buf;
}

/* The lcore's rx queues as "port:queue" pairs. */
static const char *
fmt_rx_list(char *buf, size_t size, json_t *rx)
{
	size_t i, len = 0;
	json_t *q;

	if (!json_is_array(rx) || json_array_size(rx) == 0)
		return strcpy(buf, "-");
	buf[0] = '\0';
	json_array_foreach (rx, i, q) {
		char port[FIELD_LEN], queue[FIELD_LEN];
		int n = snprintf(buf + len, size - len, "%s%.20s:%.20s", i > 0 ? "," : "",
			fmt_field(port, q, "port"), fmt_field(queue, q, "queue"));

		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	return buf;
}

static void
print_kv(const char *key, const char *val)
{
	printf("%-19s %s\n", key, val);
}

/* Renderers. */

static void
render_json(json_t *result)
{
	char *s = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s != NULL) {
		printf("%s\n", s);
		free(s);
	}
}

static void
render_status(json_t *r)
{
	static const char *const port_hdr[] = { "ID", "NAME", "DRIVER", "ROLE", "LINK", "MAC",
		"QUEUES" };
	static const bool port_right[] = { true, false, false, false, false, false, false };
	static const char *const lcore_hdr[] = { "LCORE", "ROLE", "WORKER", "RX QUEUES" };
	static const bool lcore_right[] = { true, false, true, false };
	json_t *policy = json_object_get(r, "policy");
	char b[8][FIELD_LEN], rx[512];
	struct table t;
	size_t i;
	json_t *e;

	if (!json_is_object(r)) {
		render_json(r);
		return;
	}
	print_kv("version:", fmt_field(b[0], r, "version"));
	print_kv("node:", fmt_field(b[0], r, "node"));
	print_kv("pid:", fmt_field(b[0], r, "pid"));
	print_kv("uptime:", fmt_uptime(b[0], json_object_get(r, "uptime_s")));
	print_kv("forwarding:", fmt_field(b[0], r, "forwarding"));
	print_kv("burst size:", fmt_field(b[0], r, "burst_size"));
	print_kv("hugepages:", fmt_field(b[0], r, "hugepages"));
	print_kv("policy source:", fmt_field(b[0], policy, "source"));
	print_kv("policy sync:", fmt_field(b[0], policy, "sync_state"));
	print_kv("before sync:", fmt_field(b[0], policy, "before_sync"));
	print_kv("policy generation:", fmt_field(b[0], policy, "generation"));
	print_kv("last sync age (s):", fmt_field(b[0], policy, "last_sync_age_s"));

	printf("\n");
	table_init(&t, 7, port_hdr, port_right);
	json_array_foreach (json_object_get(r, "ports"), i, e) {
		const char *row[] = {
			fmt_field(b[0], e, "id"),
			fmt_field(b[1], e, "name"),
			fmt_field(b[2], e, "driver"),
			fmt_field(b[3], e, "role"),
			fmt_link(b[4], json_object_get(e, "link")),
			fmt_field(b[5], e, "mac"),
			fmt_queues(b[6], e),
		};

		table_add(&t, row);
	}
	table_print(&t);

	printf("\n");
	table_init(&t, 4, lcore_hdr, lcore_right);
	json_array_foreach (json_object_get(r, "lcores"), i, e) {
		const char *row[] = {
			fmt_field(b[0], e, "lcore"),
			fmt_field(b[1], e, "role"),
			fmt_field(b[2], e, "worker"),
			fmt_rx_list(rx, sizeof(rx), json_object_get(e, "rx")),
		};

		table_add(&t, row);
	}
	table_print(&t);
}

/* The "conntrack" section of stats, when the daemon sends one. */
static void
render_ct_counters(json_t *ct)
{
	static const char *const keys[] = { "active", "created", "expired", "evicted", "table_full",
		"revalidated", "revoked" };
	char b[FIELD_LEN];
	size_t i;

	if (!json_is_object(ct))
		return;
	if (json_is_false(json_object_get(ct, "enabled"))) {
		printf("\nconnection tracking: off\n");
		return;
	}
	printf("\nconnection tracking (capacity %s flows):\n", fmt_field(b, ct, "capacity"));
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		printf("  %-24s %s\n", keys[i], fmt_field(b, ct, keys[i]));
}

static void
render_stats(json_t *r)
{
	static const char *const port_hdr[] = { "PORT", "RX PKTS", "RX BYTES", "TX PKTS",
		"TX BYTES", "DROPPED" };
	static const bool port_right[] = { false, true, true, true, true, true };
	static const char *const lcore_hdr[] = { "LCORE", "RX PKTS", "TX PKTS", "DROPPED",
		"CYCLES/PKT" };
	static const bool lcore_right[] = { true, true, true, true, true };
	json_t *totals = json_object_get(r, "totals");
	json_t *drops = json_object_get(r, "drops");
	char b[6][FIELD_LEN];
	struct table t;
	const char *key;
	bool any = false;
	size_t i;
	json_t *e;

	if (!json_is_object(r)) {
		render_json(r);
		return;
	}
	table_init(&t, 6, port_hdr, port_right);
	json_array_foreach (json_object_get(r, "ports"), i, e) {
		const char *row[] = {
			fmt_field(b[0], e, "name"),
			fmt_field(b[1], e, "rx_packets"),
			fmt_field(b[2], e, "rx_bytes"),
			fmt_field(b[3], e, "tx_packets"),
			fmt_field(b[4], e, "tx_bytes"),
			fmt_drop_sum(b[5], json_object_get(e, "drops")),
		};

		table_add(&t, row);
	}
	if (json_is_object(totals)) {
		const char *row[] = {
			"total",
			fmt_field(b[1], totals, "rx_packets"),
			fmt_field(b[2], totals, "rx_bytes"),
			fmt_field(b[3], totals, "tx_packets"),
			fmt_field(b[4], totals, "tx_bytes"),
			fmt_field(b[5], totals, "dropped"),
		};

		table_add(&t, row);
	}
	table_print(&t);

	printf("\n");
	table_init(&t, 5, lcore_hdr, lcore_right);
	json_array_foreach (json_object_get(r, "lcores"), i, e) {
		const char *row[] = {
			fmt_field(b[0], e, "lcore"),
			fmt_field(b[1], e, "rx_packets"),
			fmt_field(b[2], e, "tx_packets"),
			fmt_drop_sum(b[3], json_object_get(e, "drops")),
			fmt_field(b[4], e, "cycles_per_packet"),
		};

		table_add(&t, row);
	}
	table_print(&t);

	printf("\ndrop reasons:\n");
	json_object_foreach (drops, key, e) {
		/* The daemon sends non-zero reasons only; filter anyway for older daemons. */
		if (json_is_integer(e) && json_integer_value(e) == 0)
			continue;
		printf("  %-24s %s\n", key, fmt_json(b[0], e));
		any = true;
	}
	if (!any)
		printf("  %s\n", json_is_object(drops) ? "none" : "-");
	render_ct_counters(json_object_get(r, "conntrack"));
}

static void
render_done(json_t *result)
{
	(void)result;
	printf("counters reset\n");
}

static void
render_help(json_t *r)
{
	json_t *cmds = json_object_get(r, "commands");
	size_t i, width = 0;
	json_t *c;

	if (!json_is_array(cmds)) {
		render_json(r);
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

/* Request builders. */

static char *
build_simple(const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd->name);
	char *line;

	(void)argc;
	(void)argv;
	if (req == NULL)
		return NULL;
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return line;
}

/* The argument is sent as is: the daemon judges it, which is the point of "raw". */
static char *
build_raw(const struct command *cmd, int argc, char **argv)
{
	(void)cmd;
	(void)argc;
	if (strchr(argv[0], '\n') != NULL) {
		fprintf(stderr, "podwallctl: raw: the request must be one line\n");
		return NULL;
	}
	return xstrdup(argv[0]);
}

/* explain --from IP --to IP [--proto P] [--port N] */
static char *
build_explain(const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd->name);
	char *line = NULL;
	int i;

	for (i = 0; req != NULL && i + 1 < argc; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];
		char *end;
		long port;

		if (strcmp(opt, "--from") == 0 || strcmp(opt, "--to") == 0 ||
			strcmp(opt, "--proto") == 0) {
			json_object_set_new(req, opt + 2, json_string(val));
		} else if (strcmp(opt, "--port") == 0) {
			port = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || port < 0 || port > 65535)
				goto usage;
			json_object_set_new(req, "port", json_integer(port));
		} else {
			goto usage;
		}
	}
	if (req == NULL || i != argc || json_object_get(req, "from") == NULL ||
		json_object_get(req, "to") == NULL)
		goto usage;
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return line;
usage:
	fprintf(stderr,
		"podwallctl: explain --from IP --to IP [--proto tcp|udp|sctp|icmp] "
		"[--port N]\n");
	json_decref(req);
	return NULL;
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

static void
render_explain(json_t *r)
{
	printf("%s (generation %" JSON_INTEGER_FORMAT ")\n",
		json_is_true(json_object_get(r, "allowed")) ? "ALLOWED" : "DENIED",
		json_integer_value(json_object_get(r, "generation")));
	render_explain_dir("egress", json_object_get(r, "egress"));
	render_explain_dir("ingress", json_object_get(r, "ingress"));
}

static void
render_policies(json_t *r)
{
	static const char *const headers[] = { "POLICY", "EGRESS", "INGRESS", "DENIED" };
	static const bool right[] = { false, true, true, true };
	const char *name;
	struct table t;
	json_t *v;

	table_init(&t, 4, headers, right);
	json_object_foreach (r, name, v) {
		char e[32], i[32], d[32];
		const char *row[4] = { name, e, i, d };

		snprintf(e, sizeof(e), "%" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(v, "egress")));
		snprintf(i, sizeof(i), "%" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(v, "ingress")));
		snprintf(d, sizeof(d), "%" JSON_INTEGER_FORMAT,
			json_integer_value(json_object_get(v, "denied")));
		table_add(&t, row);
	}
	if (t.nb_rows == 0)
		printf("no policy has decided a packet on the live table\n");
	table_print(&t);
}

/* flows [--ip IP] [--port N] [--limit N] */
static char *
build_flows(const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd->name);
	char *line = NULL;
	int i;

	for (i = 0; req != NULL && i + 1 < argc; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];
		char *end;
		long n;

		if (strcmp(opt, "--ip") == 0) {
			json_object_set_new(req, "ip", json_string(val));
			continue;
		}
		if (strcmp(opt, "--port") != 0 && strcmp(opt, "--limit") != 0)
			goto usage;
		n = strtol(val, &end, 10);
		if (*val == '\0' || *end != '\0' || n < 0 || n > 65535)
			goto usage;
		json_object_set_new(req, opt + 2, json_integer(n));
	}
	if (req == NULL || i != argc)
		goto usage;
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return line;
usage:
	fprintf(stderr, "podwallctl: flows [--ip IP] [--port N] [--limit N]\n");
	json_decref(req);
	return NULL;
}

/* "10.0.0.1:80", "[fd00::1]:80", or the address alone for a protocol without ports. */
static const char *
fmt_end(char *buf, json_t *f, const char *ip_key, const char *port_key, bool ports)
{
	const char *ip = json_string_value(json_object_get(f, ip_key));
	json_int_t port = json_integer_value(json_object_get(f, port_key));

	if (ip == NULL)
		return strcpy(buf, "-");
	if (!ports)
		snprintf(buf, FIELD_LEN, "%s", ip);
	else if (strchr(ip, ':') != NULL)
		snprintf(buf, FIELD_LEN, "[%s]:%" JSON_INTEGER_FORMAT, ip, port);
	else
		snprintf(buf, FIELD_LEN, "%s:%" JSON_INTEGER_FORMAT, ip, port);
	return buf;
}

static const char *
fmt_pair(char *buf, json_t *o)
{
	snprintf(buf, FIELD_LEN, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
		json_integer_value(json_object_get(o, "orig")),
		json_integer_value(json_object_get(o, "reply")));
	return buf;
}

static void
render_flows(json_t *r)
{
	static const char *const headers[] = { "WORKER", "PROTO", "ORIGINATOR", "RESPONDER",
		"STATE", "PKTS >/<", "BYTES >/<", "IDLE S", "EXPIRES S" };
	static const bool right[] = { true, false, false, false, false, true, true, true, true };
	char b[9][FIELD_LEN];
	struct table t;
	size_t i;
	json_t *f;

	if (json_is_false(json_object_get(r, "enabled"))) {
		printf("connection tracking is off (conntrack.enabled: false)\n");
		return;
	}
	table_init(&t, 9, headers, right);
	json_array_foreach (json_object_get(r, "flows"), i, f) {
		const char *proto = json_string_value(json_object_get(f, "proto"));
		bool ports = proto != NULL &&
			(strcmp(proto, "tcp") == 0 || strcmp(proto, "udp") == 0 ||
				strcmp(proto, "sctp") == 0);
		const char *row[9];

		row[0] = fmt_field(b[0], f, "worker");
		row[1] = fmt_field(b[1], f, "proto");
		row[2] = fmt_end(b[2], f, "src", "sport", ports);
		row[3] = fmt_end(b[3], f, "dst", "dport", ports);
		if (json_is_true(json_object_get(f, "revoked")))
			snprintf(b[4], FIELD_LEN, "%s,REVOKED",
				json_string_value(json_object_get(f, "state")) ?: "-");
		else
			fmt_field(b[4], f, "state");
		row[4] = b[4];
		row[5] = fmt_pair(b[5], json_object_get(f, "packets"));
		row[6] = fmt_pair(b[6], json_object_get(f, "bytes"));
		row[7] = fmt_field(b[7], f, "idle_s");
		row[8] = fmt_field(b[8], f, "expires_s");
		table_add(&t, row);
	}
	table_print(&t);
	printf("%s flows shown, %s active, capacity %s%s\n", fmt_field(b[0], r, "count"),
		fmt_field(b[1], r, "active"), fmt_field(b[2], r, "capacity"),
		json_is_true(json_object_get(r, "truncated")) ?
			" (truncated: narrow with --ip/--port, or raise --limit up to 1000)" :
			"");
}

static const struct command commands[] = {
	{ "status", "", "show version, ports, lcores and policy state", 0, 0, build_simple,
		render_status },
	{ "stats", "", "show packet and drop counters", 0, 0, build_simple, render_stats },
	{ "stats-reset", "", "zero the counters", 0, 0, build_simple, render_done },
	{ "help", "", "list the daemon's commands", 0, 0, build_simple, render_help },
	{ "explain", "--from IP --to IP --proto P [--port N]",
		"which policy and rule decide a flow, per direction", 4, 8, build_explain,
		render_explain },
	{ "policies", "", "packets each policy allowed or denied on the live table", 0, 0,
		build_simple, render_policies },
	{ "flows", "[--ip IP] [--port N] [--limit N]",
		"tracked connections (at most 1000 shown), filtered by either end", 0, 6,
		build_flows, render_flows },
	{ "raw", "JSON", "send a raw request line, print the result as JSON", 1, 1, build_raw,
		NULL },
};

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: podwallctl [-s|--socket PATH] [--json] [--timeout SECONDS] COMMAND "
		"[ARGS]\n\n"
		"options:\n"
		"  -s, --socket PATH   daemon socket (default: $PODWALL_SOCKET or %s)\n"
		"  --json              print the result as JSON\n"
		"  --timeout SECONDS   give up after this long (default: %.0f)\n"
		"  -h, --help          show this help\n\n"
		"commands:\n",
		PW_PROTO_DEFAULT_SOCKET, DEFAULT_TIMEOUT_S);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-18s  %s\n", name, commands[i].summary);
	}
}

/* Talking to the daemon. */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for @p events until @p deadline. @return 0, or -ETIMEDOUT. */
static int
wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		double left = deadline - now_s();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		/* Rounded up, so that the last poll does not end just short of the deadline. */
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Connect, retrying while the daemon's backlog is full. @return the fd or -errno. */
static int
connect_socket(const char *path, double deadline)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A Unix socket connects at once or says EAGAIN (backlog full): then retry briefly. */
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		struct timespec pause = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };

		if (errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (now_s() >= deadline) {
			close(fd);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL);
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len, double deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			ret = wait_fd(fd, POLLOUT, deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read up to the first newline. @return the line (caller frees) or NULL with *ret_err set. */
static char *
recv_line(int fd, double deadline, int *ret_err)
{
	size_t len = 0, cap = 65536;
	char *buf = xrealloc(NULL, cap);

	for (;;) {
		char *nl = len > 0 ? memchr(buf, '\n', len) : NULL;
		ssize_t n;
		int ret;

		if (nl != NULL) {
			*nl = '\0';
			return buf;
		}
		if (len + 1 >= cap) {
			if (cap >= MAX_REPLY) {
				*ret_err = -EMSGSIZE;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0) {
			*ret_err = -ECONNRESET;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			*ret_err = -errno;
			break;
		}
		ret = wait_fd(fd, POLLIN, deadline);
		if (ret < 0) {
			*ret_err = ret;
			break;
		}
	}
	free(buf);
	return NULL;
}

static const char *
comm_error(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "timed out waiting for the daemon";
	case -ECONNRESET:
		return "connection closed by the daemon before a reply";
	case -EMSGSIZE:
		return "reply too large";
	case -ENOENT:
		return "no such socket (is podwall running?)";
	case -ECONNREFUSED:
		return "connection refused (is podwall running?)";
	default:
		return strerror(-err);
	}
}

/* Print the reply; @return the exit status. */
static int
handle_reply(const struct command *cmd, const char *line, const char *path, bool as_json)
{
	json_t *reply = json_loads(line, 0, NULL);
	json_t *ok = json_object_get(reply, "ok");
	json_t *result = json_object_get(reply, "result");
	int status = EXIT_SUCCESS;

	if (!json_is_boolean(ok)) {
		fprintf(stderr, "podwallctl: %s: invalid reply from the daemon\n", path);
		status = EXIT_CONNECT;
	} else if (json_is_false(ok)) {
		json_t *err = json_object_get(reply, "error");

		fprintf(stderr, "podwallctl: %s: %s\n",
			json_string_value(json_object_get(err, "code")) ?: "error",
			json_string_value(json_object_get(err, "message")) ?: "(no message)");
		status = EXIT_DAEMON_ERROR;
	} else if (result == NULL) {
		/* A result is always sent; an empty object stands in for an older daemon's. */
		result = json_object();
		json_object_set_new(reply, "result", result);
	}
	if (status == EXIT_SUCCESS) {
		if (as_json || cmd->render == NULL)
			render_json(result);
		else
			cmd->render(result);
		if (fflush(stdout) != 0)
			status = EXIT_FAILURE;
	}
	json_decref(reply);
	return status;
}

static int
parse_timeout(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > MAX_TIMEOUT_S)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
main(int argc, char **argv)
{
	enum {
		OPT_JSON = 256,
		OPT_TIMEOUT
	};
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("PODWALL_SOCKET");
	double timeout = DEFAULT_TIMEOUT_S, deadline;
	const struct command *cmd;
	bool as_json = false;
	char *req, *line;
	int c, fd, nargs, ret, status;

	if (path == NULL || path[0] == '\0')
		path = PW_PROTO_DEFAULT_SOCKET;
	/* '+': stop at the command, so a raw request may start with '-'. */
	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case OPT_JSON:
			as_json = true;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &timeout) < 0) {
				fprintf(stderr,
					"podwallctl: --timeout: expected seconds in (0, %.0f]\n",
					MAX_TIMEOUT_S);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "podwallctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		fprintf(stderr, "podwallctl: usage: podwallctl [OPTIONS] %s%s%s\n", cmd->name,
			cmd->args[0] != '\0' ? " " : "", cmd->args);
		return EXIT_USAGE;
	}
	req = cmd->build_request(cmd, nargs, argv + optind + 1);
	if (req == NULL)
		return EXIT_USAGE;

	deadline = now_s() + timeout;
	fd = connect_socket(path, deadline);
	if (fd < 0) {
		fprintf(stderr, "podwallctl: cannot connect to %s: %s\n", path, comm_error(fd));
		free(req);
		return EXIT_CONNECT;
	}
	/* The request and its newline in one write: the daemon sees one complete line. */
	req = xrealloc(req, strlen(req) + 2);
	strcat(req, "\n");
	ret = send_all(fd, req, strlen(req), deadline);
	free(req);
	line = ret == 0 ? recv_line(fd, deadline, &ret) : NULL;
	close(fd);
	if (line == NULL) {
		fprintf(stderr, "podwallctl: %s: %s\n", path, comm_error(ret));
		return EXIT_CONNECT;
	}
	status = handle_reply(cmd, line, path, as_json);
	free(line);
	return status;
}
