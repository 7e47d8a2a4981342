/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libyaml's event parser turned into a tree with lines. libyaml's own document loader
 * (yaml_parser_load) would expand aliases, which multiplies memory (a "billion laughs" input),
 * and its nodes carry marks but no parent links; events let us keep aliases as leaves and cap
 * depth and node count as the tree grows.
 */
#include "control/yamltree.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

struct build_ctx {
	const struct pw_yaml_params *params;
	struct pw_yaml_error *err;
	const uint8_t *data;
	size_t len;
	struct pw_yaml_stream *stream;
	unsigned int nb_nodes;
	unsigned int cap_docs;
};

static int __attribute__((format(printf, 5, 6)))
set_error(struct pw_yaml_error *err, int ret, unsigned int line, bool syntax, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return ret;
	err->line = line;
	err->syntax = syntax;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return ret;
}

static void
node_free(struct pw_yaml_node *n)
{
	unsigned int i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nb_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n->tag);
	free(n);
}

void
pw_yaml_stream_free(struct pw_yaml_stream *stream)
{
	unsigned int i;

	if (stream == NULL)
		return;
	for (i = 0; i < stream->nb_docs; i++)
		node_free(stream->docs[i].root);
	free(stream->docs);
	free(stream);
}

static int
node_add_kid(struct pw_yaml_node *parent, struct pw_yaml_node *kid)
{
	if (parent->nb_kids == parent->cap_kids) {
		unsigned int cap = parent->cap_kids == 0 ? 8 : parent->cap_kids * 2;
		struct pw_yaml_node **kids = realloc(parent->kids, cap * sizeof(*kids));

		if (kids == NULL)
			return -ENOMEM;
		parent->kids = kids;
		parent->cap_kids = cap;
	}
	parent->kids[parent->nb_kids++] = kid;
	kid->parent = parent;
	return 0;
}

static char *
dup_bytes(const unsigned char *text, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	memcpy(s, text, len);
	s[len] = '\0';
	return s;
}

/* Creates a node and hangs it under the open container, or makes it the document's root. */
static int
tree_add(struct build_ctx *c, struct pw_yaml_node *cur, enum pw_yaml_kind kind, unsigned int line,
	const unsigned char *text, size_t len, const unsigned char *tag, struct pw_yaml_node **ret)
{
	struct pw_yaml_doc *doc = &c->stream->docs[c->stream->nb_docs - 1];
	unsigned int max_nodes = c->params->max_nodes ? c->params->max_nodes : PW_YAML_MAX_NODES;
	struct pw_yaml_node *n;

	if (++c->nb_nodes > max_nodes)
		return set_error(c->err, -EINVAL, line, false, "more than %u nodes", max_nodes);
	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	n->kind = kind;
	n->line = line;
	if (text != NULL && (n->text = dup_bytes(text, len)) == NULL)
		goto err_free;
	n->len = len;
	if (tag != NULL && (n->tag = dup_bytes(tag, strlen((const char *)tag))) == NULL)
		goto err_free;
	if (cur == NULL)
		doc->root = n;
	else if (node_add_kid(cur, n) != 0)
		goto err_free;
	*ret = n;
	return 0;

err_free:
	node_free(n);
	return -ENOMEM;
}

static int
doc_start(struct build_ctx *c, unsigned int line)
{
	struct pw_yaml_stream *s = c->stream;

	if (s->nb_docs > 0 && !c->params->multi_doc)
		return set_error(c->err, -EINVAL, line, false, "only one YAML document is allowed");
	if (s->nb_docs == c->cap_docs) {
		unsigned int cap = c->cap_docs == 0 ? 4 : c->cap_docs * 2;
		struct pw_yaml_doc *docs = realloc(s->docs, cap * sizeof(*docs));

		if (docs == NULL)
			return -ENOMEM;
		s->docs = docs;
		c->cap_docs = cap;
	}
	s->docs[s->nb_docs].root = NULL;
	s->docs[s->nb_docs].line = line;
	s->nb_docs++;
	return 0;
}

unsigned int
pw_yaml_line_breaks(const uint8_t *data, size_t len)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (data[i] == '\n' || (data[i] == '\r' && (i + 1 == len || data[i + 1] != '\n')))
			n++;
		else if (data[i] == 0xc2 && i + 1 < len && data[i + 1] == 0x85)
			n++;
		else if (data[i] == 0xe2 && i + 2 < len && data[i + 1] == 0x80 &&
			(data[i + 2] == 0xa8 || data[i + 2] == 0xa9))
			n++;
	}
	return n;
}

static int
syntax_error(struct build_ctx *c, const yaml_parser_t *parser, unsigned int first)
{
	unsigned int line = (unsigned int)parser->problem_mark.line + first;
	const char *problem = parser->problem != NULL ? parser->problem : "invalid YAML";

	if (parser->error == YAML_MEMORY_ERROR)
		return -ENOMEM;
	if (parser->error == YAML_READER_ERROR) {
		/* Reader errors (bad encoding, control characters) carry an offset, not a mark.
		 * Only '\n' is counted here, as the configuration loader always has. */
		size_t i, end = parser->problem_offset < c->len ? parser->problem_offset : c->len;

		line = first;
		for (i = 0; i < end; i++)
			line += c->data[i] == '\n';
	}
	if (parser->context != NULL)
		return set_error(c->err, -EINVAL, line, true, "%s %s", problem, parser->context);
	return set_error(c->err, -EINVAL, line, true, "%s", problem);
}

/* One event into the tree; *cur is the open mapping or sequence (NULL at a document's top). */
static int
add_event(struct build_ctx *c, const yaml_event_t *ev, unsigned int line, unsigned int *depth,
	struct pw_yaml_node **cur)
{
	unsigned int max_depth = c->params->max_depth ? c->params->max_depth : PW_YAML_MAX_DEPTH;
	struct pw_yaml_node *n;
	int ret;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		return doc_start(c, line);
	case YAML_SCALAR_EVENT:
		ret = tree_add(c, *cur, PW_YAML_SCALAR, line, ev->data.scalar.value,
			ev->data.scalar.length, ev->data.scalar.tag, &n);
		if (ret == 0)
			n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		return ret;
	case YAML_ALIAS_EVENT:
		return tree_add(c, *cur, PW_YAML_ALIAS, line, ev->data.alias.anchor,
			strlen((const char *)ev->data.alias.anchor), NULL, &n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (++*depth > max_depth)
			return set_error(c->err, -EINVAL, line, false,
				"nested deeper than %u levels", max_depth);
		if (ev->type == YAML_MAPPING_START_EVENT)
			return tree_add(c, *cur, PW_YAML_MAPPING, line, NULL, 0,
				ev->data.mapping_start.tag, cur);
		return tree_add(
			c, *cur, PW_YAML_SEQUENCE, line, NULL, 0, ev->data.sequence_start.tag, cur);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		--*depth;
		*cur = (*cur)->parent;
		return 0;
	default:
		return 0;
	}
}

int
pw_yaml_parse(const uint8_t *data, size_t len, const struct pw_yaml_params *params,
	struct pw_yaml_stream **ret_stream, struct pw_yaml_error *err)
{
	static const struct pw_yaml_params defaults;
	struct build_ctx c = { .params = params != NULL ? params : &defaults, .err = err };
	unsigned int first = c.params->first_line ? c.params->first_line : 1;
	size_t max_size = c.params->max_size ? c.params->max_size : PW_YAML_MAX_SIZE;
	struct pw_yaml_node *cur = NULL;
	unsigned int depth = 0;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int ret = 0;

	if (ret_stream == NULL || (data == NULL && len > 0))
		return set_error(err, -EINVAL, first, false, "invalid arguments");
	if (len > max_size)
		return set_error(err, -EFBIG, first, false, "larger than %zu bytes", max_size);
	c.data = data != NULL ? data : (const uint8_t *)"";
	c.len = len;
	c.stream = calloc(1, sizeof(*c.stream));
	if (c.stream == NULL)
		return set_error(err, -ENOMEM, first, false, "out of memory");
	if (yaml_parser_initialize(&parser) == 0) {
		pw_yaml_stream_free(c.stream);
		return set_error(err, -ENOMEM, first, false, "out of memory");
	}
	yaml_parser_set_input_string(&parser, c.data, c.len);
	while (!done && ret == 0) {
		if (yaml_parser_parse(&parser, &ev) == 0) {
			ret = syntax_error(&c, &parser, first);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		ret = add_event(&c, &ev, (unsigned int)ev.start_mark.line + first, &depth, &cur);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (ret != 0) {
		pw_yaml_stream_free(c.stream);
		if (ret == -ENOMEM)
			return set_error(err, -ENOMEM, first, false, "out of memory");
		return ret;
	}
	*ret_stream = c.stream;
	return 0;
}

bool
pw_yaml_is_null(const struct pw_yaml_node *n)
{
	return n->kind == PW_YAML_SCALAR && n->plain &&
		(n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
			strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0);
}

const struct pw_yaml_node *
pw_yaml_map_get(const struct pw_yaml_node *map, const char *key)
{
	size_t len = strlen(key);
	unsigned int i;

	if (map == NULL || map->kind != PW_YAML_MAPPING)
		return NULL;
	for (i = 0; i + 1 < map->nb_kids; i += 2) {
		const struct pw_yaml_node *k = map->kids[i];

		if (k->kind == PW_YAML_SCALAR && k->len == len && memcmp(k->text, key, len) == 0)
			return map->kids[i + 1];
	}
	return NULL;
}

const struct pw_yaml_node *
pw_yaml_seq_get(const struct pw_yaml_node *seq, unsigned int i)
{
	if (seq == NULL || seq->kind != PW_YAML_SEQUENCE || i >= seq->nb_kids)
		return NULL;
	return seq->kids[i];
}

const char *
pw_yaml_excerpt(const char *text, size_t len, char *buf, size_t size)
{
	size_t i, n = len < PW_YAML_EXCERPT_LEN ? len : PW_YAML_EXCERPT_LEN;

	if (n > size - 4)
		n = size - 4;
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)text[i];

		buf[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
	}
	if (n < len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

const char *
pw_yaml_describe(const struct pw_yaml_node *n, char *buf, size_t size)
{
	char tmp[PW_YAML_EXCERPT_LEN + 4];

	switch (n->kind) {
	case PW_YAML_MAPPING:
		return "a mapping";
	case PW_YAML_SEQUENCE:
		return "a list";
	case PW_YAML_ALIAS:
		return "an alias";
	case PW_YAML_SCALAR:
		break;
	}
	if (pw_yaml_is_null(n))
		return "an empty value";
	snprintf(buf, size, "'%s'", pw_yaml_excerpt(n->text, n->len, tmp, sizeof(tmp)));
	return buf;
}

int
pw_yaml_parse_int(const char *s, bool octal, int64_t *ret)
{
	const char *p = s;
	unsigned int base = 10;
	bool neg = false, overflow = false;
	uint64_t v = 0, limit;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (octal && p[0] == '0' && p[1] == 'o') {
		base = 8;
		p += 2;
	}
	if (*p == '\0')
		return -EINVAL;
	for (; *p != '\0'; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = (unsigned int)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			return -EINVAL;
		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	/* INT64_MIN has no positive counterpart, so the limit depends on the sign. */
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (overflow || v > limit)
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int
pw_yaml_read_file(
	const char *path, size_t max_size, bool nonblock, uint8_t **ret_buf, size_t *ret_len)
{
	size_t len = 0, max = 4096;
	uint8_t *buf = NULL;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | (nonblock ? O_NONBLOCK : 0));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		goto err_close;
	}
	if (S_ISDIR(st.st_mode) || (nonblock && !S_ISREG(st.st_mode))) {
		ret = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto err_close;
	}
	for (;;) {
		ssize_t n;

		if (len == max || buf == NULL) {
			uint8_t *nbuf;

			if (buf != NULL)
				max *= 2;
			nbuf = realloc(buf, max);
			if (nbuf == NULL) {
				ret = -ENOMEM;
				goto err_close;
			}
			buf = nbuf;
		}
		n = read(fd, buf + len, max - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			goto err_close;
		}
		len += (size_t)n;
		/* Past the cap the length alone is enough for the caller to refuse it. */
		if (n == 0 || len > max_size)
			break;
	}
	close(fd);
	*ret_buf = buf;
	*ret_len = len;
	return 0;

err_close:
	free(buf);
	close(fd);
	return ret;
}
