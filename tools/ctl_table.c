/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwallctl's text tables and field formatting (ctl_table.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_table.h"

void *
ctl_xrealloc(void *p, size_t size)
{
	p = realloc(p, size);
	if (p == NULL) {
		fprintf(stderr, "podwallctl: out of memory\n");
		exit(EXIT_FAILURE);
	}
	return p;
}

char *
ctl_xstrdup(const char *s)
{
	return strcpy(ctl_xrealloc(NULL, strlen(s) + 1), s);
}

void
ctl_table_init(struct ctl_table *t, size_t nb_cols, const char *const *headers, const bool *right)
{
	memset(t, 0, sizeof(*t));
	t->nb_cols = nb_cols;
	t->headers = headers;
	t->right = right;
}

/* Append a row of nb_cols strings (copied). */
void
ctl_table_add(struct ctl_table *t, const char *const *vals)
{
	size_t i;

	if (t->nb_rows == t->cap_rows) {
		t->cap_rows = t->cap_rows == 0 ? 16 : t->cap_rows * 2;
		t->cells = ctl_xrealloc(t->cells, t->cap_rows * t->nb_cols * sizeof(*t->cells));
	}
	for (i = 0; i < t->nb_cols; i++)
		t->cells[t->nb_rows * t->nb_cols + i] = ctl_xstrdup(vals[i]);
	t->nb_rows++;
}

static void
print_row(const struct ctl_table *t, const size_t *widths, const char *const *vals)
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
void
ctl_table_print(struct ctl_table *t)
{
	size_t *widths = ctl_xrealloc(NULL, t->nb_cols * sizeof(*widths));
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

const char *
ctl_fmt_json(char *buf, json_t *v)
{
	if (json_is_integer(v))
		snprintf(buf, CTL_FIELD_LEN, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, CTL_FIELD_LEN, "%.1f", json_real_value(v));
	else if (json_is_string(v))
		snprintf(buf, CTL_FIELD_LEN, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		snprintf(buf, CTL_FIELD_LEN, "%s", json_is_true(v) ? "yes" : "no");
	else
		snprintf(buf, CTL_FIELD_LEN, "-");
	return buf;
}

const char *
ctl_fmt_field(char *buf, json_t *obj, const char *key)
{
	return ctl_fmt_json(buf, json_object_get(obj, key));
}

/* Sum of the counters in a {"reason": n} object, or "-" when there is none. */
const char *
ctl_fmt_drop_sum(char *buf, json_t *drops)
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
	snprintf(buf, CTL_FIELD_LEN, "%" JSON_INTEGER_FORMAT, sum);
	return buf;
}

const char *
ctl_fmt_uptime(char *buf, json_t *v)
{
	json_int_t s;

	if (!json_is_number(v) || json_number_value(v) < 0)
		return strcpy(buf, "-");
	s = (json_int_t)json_number_value(v);
	if (s >= 86400)
		snprintf(buf, CTL_FIELD_LEN, "%" JSON_INTEGER_FORMAT "d %02d:%02d:%02d", s / 86400,
			(int)(s % 86400 / 3600), (int)(s % 3600 / 60), (int)(s % 60));
	else
		snprintf(buf, CTL_FIELD_LEN, "%02d:%02d:%02d", (int)(s / 3600),
			(int)(s % 3600 / 60), (int)(s % 60));
	return buf;
}

const char *
ctl_fmt_link(char *buf, json_t *link)
{
	json_t *up = json_object_get(link, "up");
	json_t *speed = json_object_get(link, "speed_mbps");
	json_t *duplex = json_object_get(link, "duplex");
	int n;

	if (!json_is_boolean(up))
		return strcpy(buf, "-");
	if (json_is_false(up))
		return strcpy(buf, "down");
	n = snprintf(buf, CTL_FIELD_LEN, "up");
	if (json_is_integer(speed) && json_integer_value(speed) > 0) {
		json_int_t mbps = json_integer_value(speed);

		if (mbps % 1000 == 0)
			n += snprintf(buf + n, (size_t)(CTL_FIELD_LEN - n),
				" %" JSON_INTEGER_FORMAT "G", mbps / 1000);
		else
			n += snprintf(buf + n, (size_t)(CTL_FIELD_LEN - n),
				" %" JSON_INTEGER_FORMAT "M", mbps);
	}
	if (json_is_string(duplex) && n < CTL_FIELD_LEN)
		snprintf(buf + n, (size_t)(CTL_FIELD_LEN - n), " %s", json_string_value(duplex));
	return buf;
}

/* "rx/tx" queue counts. */
const char *
ctl_fmt_queues(char *buf, json_t *port)
{
	char rx[CTL_FIELD_LEN], tx[CTL_FIELD_LEN];

	if (json_object_get(port, "rx_queues") == NULL &&
		json_object_get(port, "tx_queues") == NULL)
		return strcpy(buf, "-");
	ctl_fmt_field(rx, port, "rx_queues");
	ctl_fmt_field(tx, port, "tx_queues");
	snprintf(buf, CTL_FIELD_LEN, "%.20s/%.20s", rx, tx);
	return buf;
}

/* The lcore's rx queues as "port:queue" pairs. */
const char *
ctl_fmt_rx_list(char *buf, size_t size, json_t *rx)
{
	size_t i, len = 0;
	json_t *q;

	if (!json_is_array(rx) || json_array_size(rx) == 0)
		return strcpy(buf, "-");
	buf[0] = '\0';
	json_array_foreach (rx, i, q) {
		char port[CTL_FIELD_LEN], queue[CTL_FIELD_LEN];
		int n = snprintf(buf + len, size - len, "%s%.20s:%.20s", i > 0 ? "," : "",
			ctl_fmt_field(port, q, "port"), ctl_fmt_field(queue, q, "queue"));

		if (n < 0 || (size_t)n >= size - len)
			break;
		len += (size_t)n;
	}
	return buf;
}

/* "10.0.0.1:80", "[fd00::1]:80", or the address alone for a protocol without ports. */
const char *
ctl_fmt_end(char *buf, json_t *f, const char *ip_key, const char *port_key, bool ports)
{
	const char *ip = json_string_value(json_object_get(f, ip_key));
	json_int_t port = json_integer_value(json_object_get(f, port_key));

	if (ip == NULL)
		return strcpy(buf, "-");
	if (!ports)
		snprintf(buf, CTL_FIELD_LEN, "%s", ip);
	else if (strchr(ip, ':') != NULL)
		snprintf(buf, CTL_FIELD_LEN, "[%s]:%" JSON_INTEGER_FORMAT, ip, port);
	else
		snprintf(buf, CTL_FIELD_LEN, "%s:%" JSON_INTEGER_FORMAT, ip, port);
	return buf;
}

const char *
ctl_fmt_pair(char *buf, json_t *o)
{
	snprintf(buf, CTL_FIELD_LEN, "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
		json_integer_value(json_object_get(o, "orig")),
		json_integer_value(json_object_get(o, "reply")));
	return buf;
}
