/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The schema check walks the tree and the libcyaml schema side by side, keeping two key paths:
 * the one shown to the user ("ports[1].role") and the same without indices ("ports.role"),
 * under which rules are looked up.
 */
#include "control/yamlschema.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct check_ctx {
	const struct pw_yaml_rule *rules;
	size_t nb_rules;
	struct pw_yaml_check_error *err;
	char path[PW_YAML_PATH_LEN];
	size_t path_len;
	char spath[PW_YAML_PATH_LEN];
	size_t spath_len;
};

static int __attribute__((format(printf, 4, 5)))
fail(struct check_ctx *c, unsigned int line, const char *path, const char *fmt, ...)
{
	va_list ap;

	c->err->line = line;
	snprintf(c->err->path, sizeof(c->err->path), "%s", path);
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Appends to a path buffer; a path that does not fit is cut, never overrun. */
static void __attribute__((format(printf, 4, 5)))
path_append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n > 0)
		*len = *len + (size_t)n < size ? *len + (size_t)n : size - 1;
}

static size_t
path_push_key(struct check_ctx *c, const char *key, size_t *ret_slen)
{
	size_t old = c->path_len;

	*ret_slen = c->spath_len;
	path_append(c->path, sizeof(c->path), &c->path_len, "%s%s", old ? "." : "", key);
	path_append(c->spath, sizeof(c->spath), &c->spath_len, "%s%s", *ret_slen ? "." : "", key);
	return old;
}

static size_t
path_push_index(struct check_ctx *c, unsigned int i)
{
	size_t old = c->path_len;

	path_append(c->path, sizeof(c->path), &c->path_len, "[%u]", i);
	return old;
}

static void
path_pop(struct check_ctx *c, size_t len, size_t slen)
{
	c->path_len = len;
	c->path[len] = '\0';
	c->spath_len = slen;
	c->spath[slen] = '\0';
}

static const char *
cur_path(const struct check_ctx *c)
{
	return c->path_len ? c->path : "(root)";
}

static const struct pw_yaml_rule *
find_rule(const struct check_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nb_rules; i++)
		if (strcmp(c->rules[i].path, c->spath) == 0)
			return &c->rules[i];
	return NULL;
}

/* "pod, uplink": the allowed names of an enum, for messages. */
static const char *
enum_list(const cyaml_schema_value_t *s, char *buf, size_t size)
{
	size_t off = 0;
	uint32_t i;

	buf[0] = '\0';
	for (i = 0; i < s->enumeration.count && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s", i ? ", " : "",
			s->enumeration.strings[i].str);
	return buf;
}

static const char *
expected(const cyaml_schema_value_t *s, char *buf, size_t size)
{
	char names[128];

	/* Integers, mappings and lists word their own messages. */
	switch (s->type) {
	case CYAML_BOOL:
		return "true or false";
	case CYAML_ENUM:
		snprintf(buf, size, "one of %s", enum_list(s, names, sizeof(names)));
		return buf;
	default:
		return "a string";
	}
}

static bool
has_leading_zero(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return s[0] == '0' && isdigit((unsigned char)s[1]);
}

static int
check_int(struct check_ctx *c, const struct pw_yaml_node *n)
{
	const struct pw_yaml_rule *r = find_rule(c);
	char buf[PW_YAML_EXCERPT_LEN + 8];
	int64_t v = 0;
	int ret;

	if (n->kind == PW_YAML_SCALAR && !n->plain &&
		pw_yaml_parse_int(n->text, false, &v) != -EINVAL)
		return fail(c, n->line, cur_path(c),
			"expected an integer, found the string %s (drop the quotes)",
			pw_yaml_describe(n, buf, sizeof(buf)));
	if (n->kind != PW_YAML_SCALAR || !n->plain || pw_yaml_is_null(n))
		return fail(c, n->line, cur_path(c), "expected an integer, found %s",
			pw_yaml_describe(n, buf, sizeof(buf)));
	if (has_leading_zero(n->text))
		return fail(c, n->line, cur_path(c),
			"%s has a leading zero (YAML 1.1 reads it as octal); write it without",
			pw_yaml_describe(n, buf, sizeof(buf)));
	/* Decimal or 0x hex only, as libcyaml's strtoull(.., 0) reads them. */
	ret = pw_yaml_parse_int(n->text, false, &v);
	if (ret == -EINVAL)
		return fail(c, n->line, cur_path(c), "expected an integer, found %s",
			pw_yaml_describe(n, buf, sizeof(buf)));
	/* Every integer key has a range rule (see the header). */
	assert(r != NULL);
	if (ret != 0 || v < r->min || v > r->max)
		return fail(c, n->line, cur_path(c),
			"%s is out of range (%" PRId64 "..%" PRId64 ")",
			pw_yaml_excerpt(n->text, n->len, buf, sizeof(buf)), r->min, r->max);
	if (r->pow2 && (v & (v - 1)) != 0)
		return fail(c, n->line, cur_path(c), "%s is not a power of two", n->text);
	return 0;
}

static int
check_scalar(struct check_ctx *c, const struct pw_yaml_node *n, const cyaml_schema_value_t *s)
{
	char buf[PW_YAML_EXCERPT_LEN + 8], exp[160], msg[PW_YAML_CHECK_MSG_LEN];
	const struct pw_yaml_rule *r;
	uint32_t i;

	if (s->type == CYAML_INT || s->type == CYAML_UINT)
		return check_int(c, n);
	if (n->kind != PW_YAML_SCALAR || pw_yaml_is_null(n))
		return fail(c, n->line, cur_path(c), "expected %s, found %s",
			expected(s, exp, sizeof(exp)), pw_yaml_describe(n, buf, sizeof(buf)));
	/* libcyaml sees C strings: "pod\0x" would load as "pod". */
	if (strlen(n->text) != n->len)
		return fail(c, n->line, cur_path(c), "contains a NUL character");
	switch (s->type) {
	case CYAML_BOOL:
		/* libcyaml takes anything but false/no/off/disable/0 as true, so be strict here. */
		if (!n->plain || (strcmp(n->text, "true") != 0 && strcmp(n->text, "false") != 0))
			return fail(c, n->line, cur_path(c), "expected true or false, found %s",
				pw_yaml_describe(n, buf, sizeof(buf)));
		return 0;
	case CYAML_ENUM:
		for (i = 0; i < s->enumeration.count; i++)
			if (strcmp(n->text, s->enumeration.strings[i].str) == 0)
				return 0;
		return fail(c, n->line, cur_path(c), "%s is not one of %s",
			pw_yaml_describe(n, buf, sizeof(buf)), enum_list(s, exp, sizeof(exp)));
	default:
		/* The header lists the supported types. */
		assert(s->type == CYAML_STRING);
		if (n->len < s->string.min)
			return fail(c, n->line, cur_path(c), "must not be empty");
		if (n->len > s->string.max)
			return fail(c, n->line, cur_path(c), "is too long (%zu bytes, at most %u)",
				n->len, s->string.max);
		r = find_rule(c);
		if (r == NULL || r->check == NULL || r->check(n, r, msg, sizeof(msg)) == 0)
			return 0;
		return fail(c, n->line, cur_path(c), "%s", msg);
	}
}

static int check_value(
	struct check_ctx *c, const struct pw_yaml_node *n, const cyaml_schema_value_t *s);

static int
check_mapping(struct check_ctx *c, const struct pw_yaml_node *n, const cyaml_schema_value_t *s)
{
	const cyaml_schema_field_t *fields = s->mapping.fields;
	/* Line of each schema key seen so far; no mapping in the schema has 32 keys. */
	unsigned int seen_line[32] = { 0 };
	char buf[PW_YAML_EXCERPT_LEN + 8];
	unsigned int i, f;
	int ret;

	for (i = 0; i + 1 < n->nb_kids; i += 2) {
		const struct pw_yaml_node *key = n->kids[i];
		size_t len, slen;

		if (key->kind != PW_YAML_SCALAR)
			return fail(c, key->line, cur_path(c), "keys must be strings, found %s",
				pw_yaml_describe(key, buf, sizeof(buf)));
		for (f = 0; fields[f].key != NULL; f++)
			if (key->len == strlen(fields[f].key) &&
				strcmp(fields[f].key, key->text) == 0)
				break;
		if (fields[f].key == NULL) {
			len = path_push_key(
				c, pw_yaml_excerpt(key->text, key->len, buf, sizeof(buf)), &slen);
			ret = fail(c, key->line, c->path, "unknown key");
			path_pop(c, len, slen);
			return ret;
		}
		len = path_push_key(c, fields[f].key, &slen);
		if (seen_line[f] != 0)
			ret = fail(c, key->line, c->path, "duplicate key (first at line %u)",
				seen_line[f]);
		else
			ret = check_value(c, n->kids[i + 1], &fields[f].value);
		seen_line[f] = key->line;
		path_pop(c, len, slen);
		if (ret != 0)
			return ret;
	}
	for (f = 0; fields[f].key != NULL; f++) {
		if (seen_line[f] == 0 && (fields[f].value.flags & CYAML_FLAG_OPTIONAL) == 0) {
			size_t slen, len = path_push_key(c, fields[f].key, &slen);

			ret = fail(c, n->line, c->path, "missing required key");
			path_pop(c, len, slen);
			return ret;
		}
	}
	return 0;
}

static int
check_sequence(struct check_ctx *c, const struct pw_yaml_node *n, const cyaml_schema_value_t *s)
{
	unsigned int i;
	int ret;

	if (n->nb_kids < s->sequence.min || n->nb_kids > s->sequence.max) {
		if (s->sequence.min == 0)
			return fail(c, n->line, cur_path(c), "has %u entries, at most %u allowed",
				n->nb_kids, s->sequence.max);
		return fail(c, n->line, cur_path(c), "has %u entries, %u..%u allowed", n->nb_kids,
			s->sequence.min, s->sequence.max);
	}
	for (i = 0; i < n->nb_kids; i++) {
		size_t len = path_push_index(c, i);

		ret = check_value(c, n->kids[i], s->sequence.entry);
		path_pop(c, len, c->spath_len);
		if (ret != 0)
			return ret;
	}
	return 0;
}

/* One node against its schema, recursively. */
static int
check_value(struct check_ctx *c, const struct pw_yaml_node *n, const cyaml_schema_value_t *s)
{
	char buf[PW_YAML_EXCERPT_LEN + 8];

	if (n->kind == PW_YAML_ALIAS)
		return fail(c, n->line, cur_path(c), "YAML aliases (*%s) are not supported",
			pw_yaml_excerpt(n->text, n->len, buf, sizeof(buf)));
	if (s->type == CYAML_MAPPING || s->type == CYAML_SEQUENCE) {
		bool is_map = s->type == CYAML_MAPPING;

		if ((s->flags & CYAML_FLAG_POINTER_NULL_STR) == CYAML_FLAG_POINTER_NULL_STR &&
			pw_yaml_is_null(n))
			return 0;
		if (n->kind != (is_map ? PW_YAML_MAPPING : PW_YAML_SEQUENCE))
			return fail(c, n->line, cur_path(c), "expected %s, found %s",
				is_map ? "a mapping" : "a list",
				pw_yaml_describe(n, buf, sizeof(buf)));
		return is_map ? check_mapping(c, n, s) : check_sequence(c, n, s);
	}
	return check_scalar(c, n, s);
}

int
pw_yaml_schema_check(const struct pw_yaml_node *root, const cyaml_schema_value_t *schema,
	const struct pw_yaml_rule *rules, size_t nb_rules, struct pw_yaml_check_error *err)
{
	struct check_ctx c = { .rules = rules, .nb_rules = nb_rules, .err = err };

	return check_value(&c, root, schema);
}
