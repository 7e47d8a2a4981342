/* SPDX-License-Identifier: Apache-2.0 */
/*
 * YAML trees to jansson values. The scalar rules are in the header; they follow the YAML 1.2
 * core schema rather than YAML 1.1, so that "yes", "on" and "1_000" stay strings: a manifest
 * value changes type only when it plainly looks like a number, a boolean or null.
 */
#include "control/yaml2json.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PREFIX "tag:yaml.org,2002:"

static int __attribute__((format(printf, 4, 5)))
fail(struct pw_yaml_error *err, int ret, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return ret;
	err->line = line;
	err->syntax = false;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return ret;
}

static bool
is_one_of(const char *s, const char *const *words)
{
	for (; *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* [-+]? ( "." [0-9]+ | [0-9]+ ( "." [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
static bool
is_float(const char *s)
{
	bool digits = false;

	if (*s == '-' || *s == '+')
		s++;
	for (; is_digit(*s); s++)
		digits = true;
	if (*s == '.') {
		for (s++; is_digit(*s); s++)
			digits = true;
	}
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	return *s == '\0';
}

static bool
is_inf_or_nan(const char *s)
{
	static const char *const words[] = { ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", NULL };

	if (*s == '-' || *s == '+')
		s++;
	return is_one_of(s, words);
}

enum scalar_type {
	T_NULL,
	T_BOOL,
	T_INT,
	T_FLOAT,
	T_STR,
};

/* What a scalar's text resolves to under the core schema, quoting aside (the caller decides
 * whether quoting matters). */
static enum scalar_type
resolve_plain(const struct pw_yaml_node *n)
{
	static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE",
		NULL };
	static const char *const nulls[] = { "~", "null", "Null", "NULL", NULL };
	int64_t v;

	/* A NUL can only come from an escape, and escapes only exist in quoted scalars; still,
	 * the text checks below stop at a NUL, so such a scalar is not a number. */
	if (strlen(n->text) != n->len)
		return T_STR;
	if (n->len == 0 || is_one_of(n->text, nulls))
		return T_NULL;
	if (is_one_of(n->text, bools))
		return T_BOOL;
	if (pw_yaml_parse_int(n->text, true, &v) != -EINVAL)
		return T_INT;
	if (is_float(n->text) || is_inf_or_nan(n->text))
		return T_FLOAT;
	return T_STR;
}

static int
make_int(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err)
{
	const char *digits = n->text + (n->text[0] == '-' || n->text[0] == '+');
	char buf[PW_YAML_EXCERPT_LEN + 4];
	int64_t v = 0;
	int r;

	r = pw_yaml_parse_int(n->text, true, &v);
	if (r == 0) {
		*ret = json_integer((json_int_t)v);
	} else if (r == -ERANGE && digits[0] != '0') {
		/* As Go's YAML decoders do: a decimal too large for int64 is still a number. */
		*ret = json_real(strtod(n->text, NULL));
	} else {
		return fail(err, -EINVAL, n->line, "integer %s is out of range",
			pw_yaml_excerpt(n->text, n->len, buf, sizeof(buf)));
	}
	return *ret != NULL ? 0 : fail(err, -ENOMEM, n->line, "out of memory");
}

static int
make_float(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err)
{
	char buf[PW_YAML_EXCERPT_LEN + 4];
	double d;

	d = is_float(n->text) ? strtod(n->text, NULL) : NAN;
	if (!isfinite(d))
		return fail(err, -EINVAL, n->line, "%s cannot be represented in JSON",
			pw_yaml_excerpt(n->text, n->len, buf, sizeof(buf)));
	*ret = json_real(d);
	return *ret != NULL ? 0 : fail(err, -ENOMEM, n->line, "out of memory");
}

static int
make_typed(
	const struct pw_yaml_node *n, enum scalar_type t, json_t **ret, struct pw_yaml_error *err)
{
	switch (t) {
	case T_NULL:
		*ret = json_null();
		return 0;
	case T_BOOL:
		*ret = json_boolean(n->text[0] == 't' || n->text[0] == 'T');
		return 0;
	case T_INT:
		return make_int(n, ret, err);
	case T_FLOAT:
		return make_float(n, ret, err);
	case T_STR:
		break;
	}
	*ret = json_stringn(n->text, n->len);
	/* libyaml only produces UTF-8 (it checks its input and escapes), so this is memory. */
	return *ret != NULL ? 0 : fail(err, -ENOMEM, n->line, "out of memory");
}

/* An explicit tag: the type it demands, checked against what the text is. */
static int
convert_tagged_scalar(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err)
{
	static const char *const names[] = { "null", "bool", "int", "float" };
	char buf[PW_YAML_EXCERPT_LEN + 4];
	const char *tag = n->tag;
	enum scalar_type want, got;

	if (strcmp(tag, "!") == 0 || strcmp(tag, TAG_PREFIX "str") == 0 ||
		strcmp(tag, TAG_PREFIX "binary") == 0 || strcmp(tag, TAG_PREFIX "timestamp") == 0)
		return make_typed(n, T_STR, ret, err);
	for (want = T_NULL; want < T_STR; want++)
		if (strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0 &&
			strcmp(tag + strlen(TAG_PREFIX), names[want]) == 0)
			break;
	if (want == T_STR)
		return fail(err, -EINVAL, n->line, "unsupported tag %s",
			pw_yaml_excerpt(tag, strlen(tag), buf, sizeof(buf)));
	/* The tag decides the type even of a quoted scalar: !!int "80" is 80. */
	got = resolve_plain(n);
	if (got == T_INT && want == T_FLOAT)
		got = T_FLOAT;
	if (got != want)
		return fail(err, -EINVAL, n->line, "%s is not a valid !!%s",
			pw_yaml_describe(n, buf, sizeof(buf)), names[want]);
	return make_typed(n, want, ret, err);
}

static int convert(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err);

static int
convert_mapping(const struct pw_yaml_node *n, json_t *obj, struct pw_yaml_error *err)
{
	char buf[PW_YAML_EXCERPT_LEN + 8];
	unsigned int i, j;

	for (i = 0; i + 1 < n->nb_kids; i += 2) {
		const struct pw_yaml_node *key = n->kids[i];
		json_t *value;
		int ret;

		if (key->kind != PW_YAML_SCALAR)
			return fail(err, -EINVAL, key->line,
				"mapping keys must be scalars, found %s",
				pw_yaml_describe(key, buf, sizeof(buf)));
		if (key->plain && key->tag == NULL && strcmp(key->text, "<<") == 0)
			return fail(err, -EINVAL, key->line, "merge keys (<<) are not supported");
		if (json_object_getn(obj, key->text, key->len) != NULL) {
			/* Rare, so the first occurrence is looked for only now. */
			for (j = 0; j < i; j += 2)
				if (n->kids[j]->len == key->len &&
					memcmp(n->kids[j]->text, key->text, key->len) == 0)
					break;
			return fail(err, -EINVAL, key->line, "duplicate key %s (first at line %u)",
				pw_yaml_describe(key, buf, sizeof(buf)), n->kids[j]->line);
		}
		ret = convert(n->kids[i + 1], &value, err);
		if (ret != 0)
			return ret;
		if (json_object_setn_new(obj, key->text, key->len, value) != 0)
			return fail(err, -ENOMEM, key->line, "out of memory");
	}
	return 0;
}

static int
convert_container(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err)
{
	bool is_map = n->kind == PW_YAML_MAPPING;
	const char *want = is_map ? TAG_PREFIX "map" : TAG_PREFIX "seq";
	char buf[PW_YAML_EXCERPT_LEN + 4];
	json_t *c, *item;
	unsigned int i;
	int r = 0;

	if (n->tag != NULL && strcmp(n->tag, want) != 0 && strcmp(n->tag, "!") != 0)
		return fail(err, -EINVAL, n->line, "unsupported tag %s on a %s",
			pw_yaml_excerpt(n->tag, strlen(n->tag), buf, sizeof(buf)),
			is_map ? "mapping" : "list");
	c = is_map ? json_object() : json_array();
	if (c == NULL)
		return fail(err, -ENOMEM, n->line, "out of memory");
	if (is_map) {
		r = convert_mapping(n, c, err);
	} else {
		for (i = 0; i < n->nb_kids && r == 0; i++) {
			r = convert(n->kids[i], &item, err);
			if (r == 0 && json_array_append_new(c, item) != 0)
				r = fail(err, -ENOMEM, n->kids[i]->line, "out of memory");
		}
	}
	if (r != 0) {
		json_decref(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* Recursion is bounded by the tree's depth, which pw_yaml_parse() caps. */
static int
convert(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err)
{
	char buf[PW_YAML_EXCERPT_LEN + 4];

	switch (n->kind) {
	case PW_YAML_ALIAS:
		return fail(err, -EINVAL, n->line, "YAML aliases (*%s) are not supported",
			pw_yaml_excerpt(n->text, n->len, buf, sizeof(buf)));
	case PW_YAML_MAPPING:
	case PW_YAML_SEQUENCE:
		return convert_container(n, ret, err);
	case PW_YAML_SCALAR:
		break;
	}
	if (n->tag != NULL)
		return convert_tagged_scalar(n, ret, err);
	return make_typed(n, n->plain ? resolve_plain(n) : T_STR, ret, err);
}

int
pw_yaml2json(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err)
{
	if (n == NULL || ret == NULL)
		return fail(err, -EINVAL, 1, "invalid arguments");
	return convert(n, ret, err);
}

/* Whether the line [p, end) is a document separator: "---" then only blanks or a comment. */
static bool
is_separator(const uint8_t *p, const uint8_t *end)
{
	if (end - p < 3 || memcmp(p, "---", 3) != 0)
		return false;
	for (p += 3; p < end && (*p == ' ' || *p == '\t' || *p == '\r'); p++)
		;
	return p == end || *p == '#';
}

/* Parses and converts one chunk between separators; returns only -ENOMEM as an error. */
static int
do_chunk(
	const uint8_t *data, size_t len, unsigned int first_line, pw_yaml2json_doc_cb cb, void *arg)
{
	const struct pw_yaml_params params = { .multi_doc = true, .first_line = first_line };
	struct pw_yaml_stream *stream = NULL;
	struct pw_yaml_error err;
	unsigned int i, last;
	int ret;

	ret = pw_yaml_parse(data, len, &params, &stream, &err);
	if (ret == -ENOMEM)
		return ret;
	if (ret != 0) {
		/* At the end of the chunk libyaml points past its last line, at the next "---". */
		last = first_line + pw_yaml_line_breaks(data, len > 0 ? len - 1 : 0);
		if (err.line > last)
			err.line = last;
		cb(arg, err.line, NULL, NULL, &err);
		return 0;
	}
	for (i = 0; i < stream->nb_docs && ret == 0; i++) {
		const struct pw_yaml_doc *doc = &stream->docs[i];
		json_t *json = NULL;

		ret = pw_yaml2json(doc->root, &json, &err);
		if (ret == -ENOMEM)
			break;
		cb(arg, doc->line, doc->root, json, ret == 0 ? NULL : &err);
		json_decref(json);
		ret = 0;
	}
	pw_yaml_stream_free(stream);
	return ret;
}

int
pw_yaml2json_stream(const uint8_t *data, size_t len, pw_yaml2json_doc_cb cb, void *arg)
{
	const uint8_t *p, *end, *chunk;
	unsigned int line = 1, chunk_line = 1;
	int ret;

	if (cb == NULL || (data == NULL && len > 0))
		return -EINVAL;
	if (len > PW_YAML_MAX_SIZE)
		return -EFBIG;
	if (len == 0)
		return 0;
	p = chunk = data;
	end = data + len;
	while (p < end) {
		const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *next = eol != NULL ? eol + 1 : end;

		if (is_separator(p, eol != NULL ? eol : end)) {
			/* The separator line goes with the next document, whose "---" it is. */
			if (p > chunk) {
				ret = do_chunk(chunk, (size_t)(p - chunk), chunk_line, cb, arg);
				if (ret != 0)
					return ret;
			}
			chunk = p;
			chunk_line = line;
		}
		line += pw_yaml_line_breaks(p, (size_t)(next - p));
		p = next;
	}
	return do_chunk(chunk, (size_t)(end - chunk), chunk_line, cb, arg);
}
