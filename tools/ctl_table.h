/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwallctl's text tables and field formatting: columns as wide as their widest cell, and
 * helpers that turn a JSON field into a cell. Every ctl_fmt_* helper writes into @p buf
 * (CTL_FIELD_LEN bytes unless it takes a size), prints "-" for a missing or mistyped field and
 * returns @p buf.
 */
#ifndef PW_CTL_TABLE_H
#define PW_CTL_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define CTL_FIELD_LEN 64

struct ctl_table {
	size_t nb_cols;
	const char *const *headers;
	const bool *right; /* right-align this column (numbers) */
	char **cells;	   /* nb_rows * nb_cols strings */
	size_t nb_rows;
	size_t cap_rows;
};

/* realloc() and strdup() that exit on out of memory. */
void *ctl_xrealloc(void *p, size_t size);
char *ctl_xstrdup(const char *s);

void ctl_table_init(
	struct ctl_table *t, size_t nb_cols, const char *const *headers, const bool *right);
/* Append a row of nb_cols strings (copied). */
void ctl_table_add(struct ctl_table *t, const char *const *vals);
/* Print with columns as wide as their widest cell, then free the rows. */
void ctl_table_print(struct ctl_table *t);

const char *ctl_fmt_json(char *buf, json_t *v);
const char *ctl_fmt_field(char *buf, json_t *obj, const char *key);
/* Sum of the counters in a {"reason": n} object, or "-" when there is none. */
const char *ctl_fmt_drop_sum(char *buf, json_t *drops);
const char *ctl_fmt_uptime(char *buf, json_t *v);
const char *ctl_fmt_link(char *buf, json_t *link);
/* "rx/tx" queue counts. */
const char *ctl_fmt_queues(char *buf, json_t *port);
/* The lcore's rx queues as "port:queue" pairs. */
const char *ctl_fmt_rx_list(char *buf, size_t size, json_t *rx);
/* "10.0.0.1:80", "[fd00::1]:80", or the address alone for a protocol without ports. */
const char *ctl_fmt_end(char *buf, json_t *f, const char *ip_key, const char *port_key, bool ports);
/* "orig/reply" of an {"orig": n, "reply": n} object. */
const char *ctl_fmt_pair(char *buf, json_t *o);

#endif /* PW_CTL_TABLE_H */
