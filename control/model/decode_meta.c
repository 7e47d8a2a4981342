/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decoder's common parts: the field-path error context, typed member access, name and
 * label syntax (k8s.io/apimachinery/pkg/util/validation), labels and label selectors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/model/decode_priv.h"

size_t
pw_dctx_push(struct pw_dctx *c, const char *field)
{
	size_t saved = c->path_len;
	int n;

	if (c->path_len >= sizeof(c->path) - 1)
		return saved;
	n = snprintf(c->path + c->path_len, sizeof(c->path) - c->path_len, "%s%s",
		c->path_len == 0 ? "" : ".", field);
	if (n > 0)
		c->path_len += (size_t)n;
	if (c->path_len >= sizeof(c->path))
		c->path_len = sizeof(c->path) - 1;
	return saved;
}

size_t
pw_dctx_push_index(struct pw_dctx *c, size_t i)
{
	size_t saved = c->path_len;
	int n;

	if (c->path_len >= sizeof(c->path) - 1)
		return saved;
	n = snprintf(c->path + c->path_len, sizeof(c->path) - c->path_len, "[%zu]", i);
	if (n > 0)
		c->path_len += (size_t)n;
	if (c->path_len >= sizeof(c->path))
		c->path_len = sizeof(c->path) - 1;
	return saved;
}

void
pw_dctx_pop(struct pw_dctx *c, size_t saved)
{
	c->path_len = saved;
	c->path[saved] = '\0';
}

const char *
pw_dctx_quote(char *buf, size_t size, const char *s)
{
	size_t i;

	/* Messages are one log line: no control bytes, no megabyte-long values. */
	for (i = 0; s[i] != '\0' && i + 1 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	if (s[i] != '\0' && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

int
pw_dctx_fail(struct pw_dctx *c, const char *fmt, ...)
{
	char problem[384];
	va_list ap;

	if (c->err == NULL || c->err_len == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->err_len, "%s %s%s%s: %s%s%s", c->kind, c->ns,
		c->ns[0] != '\0' ? "/" : "", c->name, c->path, c->path_len > 0 ? ": " : "",
		problem);
	return -EINVAL;
}

static const char *
type_name(json_type type)
{
	switch (type) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "a boolean";
	}
}

int
pw_dget(struct pw_dctx *c, const json_t *obj, const char *key, json_type type, const json_t **ret)
{
	const json_t *v = json_object_get(obj, key);
	bool ok;

	*ret = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (type == JSON_TRUE)
		ok = json_is_boolean(v);
	else
		ok = json_typeof(v) == type;
	if (!ok) {
		size_t saved = pw_dctx_push(c, key);
		int ret_fail = pw_dctx_fail(c, "must be %s", type_name(type));

		pw_dctx_pop(c, saved);
		return ret_fail;
	}
	*ret = v;
	return 0;
}

int
pw_dcheck_len(struct pw_dctx *c, const json_t *arr)
{
	if (json_array_size(arr) > PW_DECODE_MAX_ITEMS)
		return pw_dctx_fail(c, "more than %u items", PW_DECODE_MAX_ITEMS);
	return 0;
}

int
pw_dstring(struct pw_dctx *c, const json_t *str, const char **ret)
{
	const char *s = json_string_value(str);

	if (s == NULL)
		return pw_dctx_fail(c, "must be a string");
	/* jansson can hold "\u0000"; a C string would silently end there. */
	if (strlen(s) != json_string_length(str))
		return pw_dctx_fail(c, "contains a NUL character");
	*ret = s;
	return 0;
}

char *
pw_dstrdup(const char *s)
{
	return s == NULL ? NULL : strdup(s);
}

/* jansson's iteration API takes non-const objects; iterating changes nothing. */
static json_t *
mut(const json_t *j)
{
	return (json_t *)(uintptr_t)j;
}

static bool
is_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

static bool
is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* RFC 1123 label: 1..max of [a-z0-9-], alphanumeric at both ends. */
bool
pw_valid_dns_label(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len == 0 || len > max || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	}
	return true;
}

/* RFC 1123 subdomain: ≤ 253 characters, dot-separated labels. */
bool
pw_valid_dns_subdomain(const char *s, size_t len)
{
	size_t start = 0, i;

	if (len == 0 || len > 253)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (!pw_valid_dns_label(s + start, i - start, 253))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* The name part of a label key, and a non-empty label value: ≤ 63 of [A-Za-z0-9._-]. */
static bool
valid_label_name(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > 63 || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	}
	return true;
}

/* A label key: [DNS subdomain '/'] name (k8s.io/apimachinery IsQualifiedName). */
static bool
valid_label_key(const char *s)
{
	const char *slash = strchr(s, '/');

	if (slash == NULL)
		return valid_label_name(s, strlen(s));
	return pw_valid_dns_subdomain(s, (size_t)(slash - s)) &&
		valid_label_name(slash + 1, strlen(slash + 1));
}

static bool
valid_label_value(const char *s)
{
	size_t len = strlen(s);

	return len == 0 || valid_label_name(s, len);
}

bool
pw_valid_port_name(const char *s)
{
	size_t len = strlen(s), i;
	bool letter = false;

	if (len == 0 || len > 15 || s[0] == '-' || s[len - 1] == '-' || strstr(s, "--") != NULL)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] >= 'a' && s[i] <= 'z')
			letter = true;
		else if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '-')
			return false;
	}
	return letter;
}

static int
cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct pw_label *)a)->key, ((const struct pw_label *)b)->key);
}

void
pw_labels_sort(struct pw_labels *labels)
{
	if (labels->nb > 1)
		qsort(labels->items, labels->nb, sizeof(*labels->items), cmp_label);
}

/* Decode metadata.labels (may be NULL) into sorted labels; @p extra slots are left free. */
int
pw_decode_labels(struct pw_dctx *c, const json_t *j, struct pw_labels *ret, unsigned int extra)
{
	size_t n = j == NULL ? 0 : json_object_size(j);
	const char *key;
	json_t *v;
	char q[80];

	ret->items = NULL;
	ret->nb = 0;
	if (n > PW_DECODE_MAX_ITEMS)
		return pw_dctx_fail(c, "more than %u labels", PW_DECODE_MAX_ITEMS);
	if (n + extra == 0)
		return 0;
	ret->items = calloc(n + extra, sizeof(*ret->items));
	if (ret->items == NULL)
		return -ENOMEM;
	if (j == NULL)
		return 0;
	json_object_foreach (mut(j), key, v) {
		const char *value;

		if (!valid_label_key(key))
			return pw_dctx_fail(c, "'%s' is not a valid label key",
				pw_dctx_quote(q, sizeof(q), key));
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return pw_dctx_fail(c, "the value of '%s' must be a string",
				pw_dctx_quote(q, sizeof(q), key));
		value = json_string_value(v);
		if (!valid_label_value(value)) {
			char qv[80];

			return pw_dctx_fail(c, "'%s' is not a valid value for label '%s'",
				pw_dctx_quote(qv, sizeof(qv), value),
				pw_dctx_quote(q, sizeof(q), key));
		}
		ret->items[ret->nb].key = strdup(key);
		ret->items[ret->nb].value = strdup(value);
		ret->nb++;
		if (ret->items[ret->nb - 1].key == NULL || ret->items[ret->nb - 1].value == NULL)
			return -ENOMEM;
	}
	pw_labels_sort(ret);
	return 0;
}

/* Decode the values of one matchExpressions requirement. */
static int
decode_sel_values(struct pw_dctx *c, const json_t *values, struct pw_sel_req *req)
{
	size_t i, saved, base;
	int ret;

	req->nb_values = (unsigned int)json_array_size(values);
	if (req->nb_values == 0)
		return 0;
	req->values = calloc(req->nb_values, sizeof(*req->values));
	if (req->values == NULL) {
		req->nb_values = 0;
		return -ENOMEM;
	}
	saved = pw_dctx_push(c, "values");
	base = c->path_len;
	for (i = 0; i < req->nb_values; i++) {
		const char *s;
		char q[80];

		pw_dctx_push_index(c, i);
		ret = pw_dstring(c, json_array_get(values, i), &s);
		if (ret != 0)
			return ret;
		if (!valid_label_value(s))
			return pw_dctx_fail(c, "'%s' is not a valid label value",
				pw_dctx_quote(q, sizeof(q), s));
		req->values[i] = strdup(s);
		if (req->values[i] == NULL)
			return -ENOMEM;
		pw_dctx_pop(c, base);
	}
	pw_dctx_pop(c, saved);
	return 0;
}

static const char *const op_names[] = {
	[PW_SEL_IN] = "In",
	[PW_SEL_NOT_IN] = "NotIn",
	[PW_SEL_EXISTS] = "Exists",
	[PW_SEL_DOES_NOT_EXIST] = "DoesNotExist",
};

/* One element of matchExpressions (the path names it). */
static int
decode_sel_expr(struct pw_dctx *c, const json_t *j, struct pw_sel_req *req)
{
	const json_t *key, *op, *values;
	const char *s;
	json_t *v;
	char q[80];
	size_t saved;
	unsigned int k;
	int ret;

	if (!json_is_object(j))
		return pw_dctx_fail(c, "must be an object");
	ret = pw_dget(c, j, "key", JSON_STRING, &key);
	if (ret == 0)
		ret = pw_dget(c, j, "operator", JSON_STRING, &op);
	if (ret == 0)
		ret = pw_dget(c, j, "values", JSON_ARRAY, &values);
	if (ret != 0)
		return ret;
	json_object_foreach (mut(j), s, v) {
		if (strcmp(s, "key") != 0 && strcmp(s, "operator") != 0 && strcmp(s, "values") != 0)
			return pw_dctx_fail(
				c, "unknown field '%s'", pw_dctx_quote(q, sizeof(q), s));
	}

	saved = pw_dctx_push(c, "key");
	if (key == NULL)
		return pw_dctx_fail(c, "required");
	ret = pw_dstring(c, key, &s);
	if (ret != 0)
		return ret;
	if (!valid_label_key(s))
		return pw_dctx_fail(
			c, "'%s' is not a valid label key", pw_dctx_quote(q, sizeof(q), s));
	req->key = strdup(s);
	if (req->key == NULL)
		return -ENOMEM;
	pw_dctx_pop(c, saved);

	saved = pw_dctx_push(c, "operator");
	if (op == NULL)
		return pw_dctx_fail(c, "required");
	for (k = 0; k < sizeof(op_names) / sizeof(op_names[0]); k++) {
		if (strcmp(json_string_value(op), op_names[k]) == 0)
			break;
	}
	if (k == sizeof(op_names) / sizeof(op_names[0]))
		return pw_dctx_fail(c,
			"'%s' is not a valid operator (In, NotIn, Exists, DoesNotExist)",
			pw_dctx_quote(q, sizeof(q), json_string_value(op)));
	req->op = (enum pw_sel_op)k;
	pw_dctx_pop(c, saved);

	/* In and NotIn need values; Exists and DoesNotExist must have none (validation.go). */
	if ((req->op == PW_SEL_IN || req->op == PW_SEL_NOT_IN) && json_array_size(values) == 0) {
		saved = pw_dctx_push(c, "values");
		return pw_dctx_fail(c, "must be non-empty for %s", op_names[req->op]);
	}
	if ((req->op == PW_SEL_EXISTS || req->op == PW_SEL_DOES_NOT_EXIST) &&
		json_array_size(values) > 0) {
		saved = pw_dctx_push(c, "values");
		return pw_dctx_fail(c, "must be empty for %s", op_names[req->op]);
	}
	if (values != NULL) {
		ret = pw_dcheck_len(c, values);
		if (ret != 0)
			return ret;
	}
	return decode_sel_values(c, values, req);
}

int
pw_decode_selector(struct pw_dctx *c, const json_t *j, struct pw_selector *ret)
{
	const json_t *labels, *exprs;
	size_t nb_labels, nb_exprs, i, saved;
	const char *key;
	json_t *v;
	char q[80];
	int r;

	ret->reqs = NULL;
	ret->nb_reqs = 0;
	if (!json_is_object(j))
		return pw_dctx_fail(c, "must be an object");
	/* A typo inside a selector would silently widen it: refuse unknown fields here. */
	json_object_foreach (mut(j), key, v) {
		if (strcmp(key, "matchLabels") != 0 && strcmp(key, "matchExpressions") != 0)
			return pw_dctx_fail(
				c, "unknown field '%s'", pw_dctx_quote(q, sizeof(q), key));
	}
	r = pw_dget(c, j, "matchLabels", JSON_OBJECT, &labels);
	if (r == 0)
		r = pw_dget(c, j, "matchExpressions", JSON_ARRAY, &exprs);
	if (r != 0)
		return r;
	nb_labels = labels == NULL ? 0 : json_object_size(labels);
	nb_exprs = exprs == NULL ? 0 : json_array_size(exprs);
	if (nb_labels + nb_exprs > PW_DECODE_MAX_ITEMS)
		return pw_dctx_fail(c, "more than %u requirements", PW_DECODE_MAX_ITEMS);
	if (nb_labels + nb_exprs == 0)
		return 0;
	ret->reqs = calloc(nb_labels + nb_exprs, sizeof(*ret->reqs));
	if (ret->reqs == NULL)
		return -ENOMEM;
	ret->nb_reqs = (unsigned int)(nb_labels + nb_exprs);

	/* matchLabels k: v is the requirement k In (v). */
	saved = pw_dctx_push(c, "matchLabels");
	i = 0;
	if (labels != NULL) {
		json_object_foreach (mut(labels), key, v) {
			struct pw_sel_req *req = &ret->reqs[i++];
			const char *value;

			if (!valid_label_key(key))
				return pw_dctx_fail(c, "'%s' is not a valid label key",
					pw_dctx_quote(q, sizeof(q), key));
			if (!json_is_string(v) ||
				strlen(json_string_value(v)) != json_string_length(v))
				return pw_dctx_fail(c, "the value of '%s' must be a string",
					pw_dctx_quote(q, sizeof(q), key));
			value = json_string_value(v);
			if (!valid_label_value(value)) {
				char qv[80];

				return pw_dctx_fail(c, "'%s' is not a valid value for label '%s'",
					pw_dctx_quote(qv, sizeof(qv), value),
					pw_dctx_quote(q, sizeof(q), key));
			}
			req->op = PW_SEL_IN;
			req->key = strdup(key);
			req->values = calloc(1, sizeof(*req->values));
			if (req->key == NULL || req->values == NULL)
				return -ENOMEM;
			req->nb_values = 1;
			req->values[0] = strdup(value);
			if (req->values[0] == NULL)
				return -ENOMEM;
		}
	}
	pw_dctx_pop(c, saved);

	saved = pw_dctx_push(c, "matchExpressions");
	for (i = 0; i < nb_exprs; i++) {
		size_t base = pw_dctx_push_index(c, i);

		r = decode_sel_expr(c, json_array_get(exprs, i), &ret->reqs[nb_labels + i]);
		if (r != 0)
			return r;
		pw_dctx_pop(c, base);
	}
	pw_dctx_pop(c, saved);
	return 0;
}
