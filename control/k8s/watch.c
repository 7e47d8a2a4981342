/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Watch streams, list pages and Status objects, as the API server writes them
 * (k8s.io/apimachinery: a watch response is a stream of JSON objects {"type", "object"}, one
 * per line in practice; a list is {"kind", "apiVersion", "metadata": {"resourceVersion",
 * "continue"}, "items"}; errors are metav1.Status). Every function here is pure over its input.
 */
#include "control/k8s/watch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct pw_k8s_resource pw_k8s_resources[PW_K8S_NB_RES] = {
	[PW_K8S_RES_NAMESPACES] = {
		.name = "namespaces",
		.path = "/api/v1/namespaces",
		.api_version = "v1",
		.kind = "Namespace",
		.list_kind = "NamespaceList",
		.label = "k8s:namespaces",
		.namespaced = false,
	},
	[PW_K8S_RES_PODS] = {
		.name = "pods",
		.path = "/api/v1/pods",
		.api_version = "v1",
		.kind = "Pod",
		.list_kind = "PodList",
		.label = "k8s:pods",
		.namespaced = true,
	},
	[PW_K8S_RES_POLICIES] = {
		.name = "networkpolicies",
		.path = "/apis/networking.k8s.io/v1/networkpolicies",
		.api_version = "networking.k8s.io/v1",
		.kind = "NetworkPolicy",
		.list_kind = "NetworkPolicyList",
		.label = "k8s:networkpolicies",
		.namespaced = true,
	},
};

/* Longest server text quoted in a message. */
#define EXCERPT_LEN 80

/* URLs */

static bool
unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		c == '-' || c == '.' || c == '_' || c == '~';
}

/* Percent-encode @p s (RFC 3986: all but the unreserved characters) at @p out, if not NULL. */
static size_t
escape(const char *s, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (unreserved(c)) {
			if (out != NULL)
				out[n] = (char)c;
			n++;
			continue;
		}
		if (out != NULL) {
			out[n] = '%';
			out[n + 1] = hex[c >> 4];
			out[n + 2] = hex[c & 15];
		}
		n += 3;
	}
	return n;
}

/* "<server><path>?<query><name>=<escaped value>", the server without trailing slashes. */
static int
build_url(const char *server, const char *path, const char *query, const char *name,
	const char *value, char **ret_url)
{
	size_t slen, n;
	char *url, *p;

	if (server == NULL || path == NULL || query == NULL || ret_url == NULL)
		return -EINVAL;
	slen = strlen(server);
	while (slen > 0 && server[slen - 1] == '/')
		slen--;
	if (slen == 0)
		return -EINVAL;
	n = slen + strlen(path) + 1 + strlen(query);
	if (name != NULL)
		n += strlen(name) + 1 + escape(value, NULL);
	url = malloc(n + 1);
	if (url == NULL)
		return -ENOMEM;
	memcpy(url, server, slen);
	p = url + slen;
	p += sprintf(p, "%s?%s", path, query);
	if (name != NULL) {
		p += sprintf(p, "%s=", name);
		p += escape(value, p);
	}
	*p = '\0';
	*ret_url = url;
	return 0;
}

int
pw_k8s_url_list(const char *server, const struct pw_k8s_resource *r, unsigned int limit,
	const char *cont, char **ret_url)
{
	char query[32];

	if (r == NULL || limit == 0)
		return -EINVAL;
	snprintf(query, sizeof(query), "limit=%u%s", limit, cont != NULL ? "&" : "");
	return build_url(server, r->path, query, cont != NULL ? "continue" : NULL, cont, ret_url);
}

int
pw_k8s_url_watch(const char *server, const struct pw_k8s_resource *r, const char *rv,
	unsigned int timeout_s, char **ret_url)
{
	char query[96];

	if (r == NULL || rv == NULL || rv[0] == '\0')
		return -EINVAL;
	snprintf(query, sizeof(query), "watch=1&allowWatchBookmarks=true&timeoutSeconds=%u&",
		timeout_s);
	return build_url(server, r->path, query, "resourceVersion", rv, ret_url);
}

/* Lines */

void
pw_k8s_lines_init(struct pw_k8s_lines *ls, size_t max)
{
	memset(ls, 0, sizeof(*ls));
	ls->max = max != 0 ? max : PW_K8S_MAX_LINE;
}

static int
emit(const char *line, size_t len, pw_k8s_line_cb cb, void *arg)
{
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return 0;
	return cb(arg, line, len);
}

/* Append to the partial line, growing the buffer by doubling up to the bound. */
static int
hold(struct pw_k8s_lines *ls, const char *data, size_t len)
{
	size_t need = ls->len + len;

	/* One more byte than the bound: a "\r" may still precede the "\n". */
	if (need > ls->max + 1) {
		ls->len = 0;
		return -EMSGSIZE;
	}
	if (need > ls->cap) {
		size_t cap = ls->cap == 0 ? 4096 : ls->cap;
		char *buf;

		while (cap < need)
			cap *= 2;
		if (cap > ls->max + 1)
			cap = ls->max + 1;
		buf = realloc(ls->buf, cap);
		if (buf == NULL) {
			ls->len = 0;
			return -ENOMEM;
		}
		ls->buf = buf;
		ls->cap = cap;
	}
	memcpy(ls->buf + ls->len, data, len);
	ls->len = need;
	return 0;
}

int
pw_k8s_lines_feed(
	struct pw_k8s_lines *ls, const char *data, size_t len, pw_k8s_line_cb cb, void *arg)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n;
		int ret;

		if (nl == NULL)
			return hold(ls, data, len);
		n = (size_t)(nl - data);
		if (ls->len == 0) {
			/* The common case: the whole line is in this chunk. */
			if (n > ls->max + (n > 0 && data[n - 1] == '\r'))
				return -EMSGSIZE;
			ret = emit(data, n, cb, arg);
		} else {
			ret = hold(ls, data, n);
			if (ret < 0)
				return ret;
			if (ls->len > ls->max + (ls->buf[ls->len - 1] == '\r')) {
				ls->len = 0;
				return -EMSGSIZE;
			}
			/* Reset before the callback, which may stop the stream. */
			n = ls->len;
			ls->len = 0;
			ret = emit(ls->buf, n, cb, arg);
			n = (size_t)(nl - data);
		}
		if (ret < 0)
			return ret;
		data = nl + 1;
		len -= n + 1;
	}
	return 0;
}

int
pw_k8s_lines_finish(struct pw_k8s_lines *ls, pw_k8s_line_cb cb, void *arg)
{
	size_t n = ls->len;

	ls->len = 0;
	if (n > ls->max)
		return -EMSGSIZE;
	return n > 0 ? emit(ls->buf, n, cb, arg) : 0;
}

void
pw_k8s_lines_reset(struct pw_k8s_lines *ls)
{
	ls->len = 0;
}

void
pw_k8s_lines_free(struct pw_k8s_lines *ls)
{
	free(ls->buf);
	ls->buf = NULL;
	ls->len = 0;
	ls->cap = 0;
}

/* Status */

/* Copy an excerpt of server text: control characters become '?', long text ends in "...". */
static void
excerpt(const char *s, size_t len, char *buf, size_t size)
{
	size_t i, n = len < size - 1 ? len : size - 1;
	bool cut = n < len;

	if (n > EXCERPT_LEN) {
		n = EXCERPT_LEN;
		cut = true;
	}
	if (cut && n >= 3)
		n -= 3;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	if (cut && i + 3 < size) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

void
pw_k8s_status_from_json(const json_t *obj, struct pw_k8s_status *ret)
{
	const json_t *v;

	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(obj))
		return;
	v = json_object_get(obj, "code");
	if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) < 1000)
		ret->code = (int)json_integer_value(v);
	v = json_object_get(obj, "reason");
	if (json_is_string(v))
		excerpt(json_string_value(v), json_string_length(v), ret->reason,
			sizeof(ret->reason));
	v = json_object_get(obj, "message");
	if (json_is_string(v))
		excerpt(json_string_value(v), json_string_length(v), ret->message,
			sizeof(ret->message));
}

void
pw_k8s_status_from_body(const char *body, size_t len, int http_code, struct pw_k8s_status *ret)
{
	json_t *j = NULL;

	if (len > 0)
		j = json_loadb(body, len, 0, NULL);
	if (json_is_object(j)) {
		pw_k8s_status_from_json(j, ret);
	} else {
		memset(ret, 0, sizeof(*ret));
		excerpt(body, len, ret->message, sizeof(ret->message));
	}
	json_decref(j);
	if (ret->code == 0)
		ret->code = http_code;
}

bool
pw_k8s_status_is_gone(const struct pw_k8s_status *st)
{
	return st->code == 410 || strcmp(st->reason, "Expired") == 0 ||
		strcmp(st->reason, "Gone") == 0 ||
		strstr(st->message, "too old resource version") != NULL;
}

void
pw_k8s_status_describe(const struct pw_k8s_status *st, char *buf, size_t size)
{
	char code[16] = "";

	if (st->code != 0)
		snprintf(code, sizeof(code), "%d", st->code);
	snprintf(buf, size, "%s%s%s%s%s", code, code[0] != '\0' && st->reason[0] != '\0' ? " " : "",
		st->reason,
		(code[0] != '\0' || st->reason[0] != '\0') && st->message[0] != '\0' ? ": " : "",
		st->message);
	if (buf[0] == '\0')
		snprintf(buf, size, "an empty Status");
}

/* Objects and events */

static const char *
str_member(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

int
pw_k8s_object_id(const json_t *obj, const struct pw_k8s_resource *r, const char **ret_ns,
	const char **ret_name, const char **ret_rv)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *ns = "", *name, *rv;

	if (!json_is_object(meta))
		return -EINVAL;
	name = str_member(meta, "name");
	rv = str_member(meta, "resourceVersion");
	if (r->namespaced)
		ns = str_member(meta, "namespace");
	if (name == NULL || rv == NULL || ns == NULL || strlen(name) > PW_K8S_MAX_NAME ||
		strlen(ns) > PW_K8S_MAX_NS || strchr(name, '/') != NULL || strchr(ns, '/') != NULL)
		return -EINVAL;
	*ret_ns = ns;
	*ret_name = name;
	*ret_rv = rv;
	return 0;
}

/*
 * Check an object of resource @p r and write apiVersion and kind into it if they are missing
 * (list items have neither). Another kind, or another apiVersion, is refused: the stream is
 * not what was asked for.
 */
static int
check_object(json_t *obj, const struct pw_k8s_resource *r, char *err, size_t err_len)
{
	const char *kind = str_member(obj, "kind"), *api = str_member(obj, "apiVersion");
	const char *ns, *name, *rv;
	char ex[48];

	if (kind != NULL && strcmp(kind, r->kind) != 0) {
		excerpt(kind, strlen(kind), ex, sizeof(ex));
		snprintf(err, err_len, "a %s where a %s was expected", ex, r->kind);
		return -EINVAL;
	}
	if (api != NULL && strcmp(api, r->api_version) != 0) {
		excerpt(api, strlen(api), ex, sizeof(ex));
		snprintf(err, err_len, "apiVersion %s where %s was expected", ex, r->api_version);
		return -EINVAL;
	}
	if (pw_k8s_object_id(obj, r, &ns, &name, &rv) != 0) {
		snprintf(err, err_len, "a %s without a valid metadata.name, %sresourceVersion",
			r->kind, r->namespaced ? "namespace or " : "");
		return -EINVAL;
	}
	if ((kind == NULL && json_object_set_new(obj, "kind", json_string(r->kind)) != 0) ||
		(api == NULL &&
			json_object_set_new(obj, "apiVersion", json_string(r->api_version)) != 0)) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static const char *const ev_names[] = {
	[PW_K8S_EV_ADDED] = "ADDED",
	[PW_K8S_EV_MODIFIED] = "MODIFIED",
	[PW_K8S_EV_DELETED] = "DELETED",
	[PW_K8S_EV_BOOKMARK] = "BOOKMARK",
	[PW_K8S_EV_ERROR] = "ERROR",
};

const char *
pw_k8s_ev_type_name(enum pw_k8s_ev_type t)
{
	if ((unsigned int)t >= sizeof(ev_names) / sizeof(ev_names[0]))
		return "?";
	return ev_names[t];
}

static int
decode_event(json_t *root, const struct pw_k8s_resource *r, struct pw_k8s_event *ev, char *err,
	size_t err_len)
{
	const char *type = str_member(root, "type");
	json_t *obj = json_object_get(root, "object");
	const json_t *meta;
	unsigned int t;
	char ex[48];

	if (type == NULL) {
		snprintf(err, err_len, "watch event without a type");
		return -EINVAL;
	}
	for (t = 0; t < sizeof(ev_names) / sizeof(ev_names[0]); t++)
		if (strcmp(type, ev_names[t]) == 0)
			break;
	if (t == sizeof(ev_names) / sizeof(ev_names[0])) {
		excerpt(type, strlen(type), ex, sizeof(ex));
		snprintf(err, err_len, "watch event of unknown type '%s'", ex);
		return -EINVAL;
	}
	ev->type = (enum pw_k8s_ev_type)t;
	if (!json_is_object(obj)) {
		snprintf(err, err_len, "%s event without an object", type);
		return -EINVAL;
	}
	switch (ev->type) {
	case PW_K8S_EV_ERROR:
		pw_k8s_status_from_json(obj, &ev->status);
		return 0;
	case PW_K8S_EV_BOOKMARK:
		meta = json_object_get(obj, "metadata");
		ev->rv = json_is_object(meta) ? str_member(meta, "resourceVersion") : NULL;
		if (ev->rv == NULL) {
			snprintf(err, err_len, "BOOKMARK event without metadata.resourceVersion");
			return -EINVAL;
		}
		return 0;
	default:
		break;
	}
	if (check_object(obj, r, err, err_len) != 0)
		return -EINVAL;
	(void)pw_k8s_object_id(obj, r, &ev->ns, &ev->name, &ev->rv);
	ev->object = json_incref(obj);
	return 0;
}

int
pw_k8s_event_decode(const char *line, size_t len, const struct pw_k8s_resource *r,
	struct pw_k8s_event *ret, char *err, size_t err_len)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	memset(ret, 0, sizeof(*ret));
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, err_len, "bad JSON in watch stream: %s at byte %d", jerr.text,
			jerr.position);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, err_len, "watch event is not a JSON object");
		json_decref(root);
		return -EINVAL;
	}
	ret->root = root;
	rc = decode_event(root, r, ret, err, err_len);
	if (rc != 0)
		pw_k8s_event_clear(ret);
	return rc;
}

void
pw_k8s_event_clear(struct pw_k8s_event *ev)
{
	json_decref(ev->object);
	json_decref(ev->root);
	memset(ev, 0, sizeof(*ev));
}

/* Lists */

int
pw_k8s_list_decode(const char *body, size_t len, const struct pw_k8s_resource *r,
	struct pw_k8s_list_page *ret, char *err, size_t err_len)
{
	const char *kind, *rv, *cont;
	json_t *root, *items;
	const json_t *meta;
	json_error_t jerr;
	char ex[48];
	size_t i;
	int rc = -EINVAL;

	memset(ret, 0, sizeof(*ret));
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		snprintf(err, err_len, "bad JSON in list response: %s at byte %d", jerr.text,
			jerr.position);
		return -EINVAL;
	}
	if (!json_is_object(root)) {
		snprintf(err, err_len, "list response is not a JSON object");
		goto err_free_root;
	}
	kind = str_member(root, "kind");
	if (kind != NULL && strcmp(kind, r->list_kind) != 0) {
		excerpt(kind, strlen(kind), ex, sizeof(ex));
		snprintf(err, err_len, "a %s where a %s was expected", ex, r->list_kind);
		goto err_free_root;
	}
	meta = json_object_get(root, "metadata");
	rv = json_is_object(meta) ? str_member(meta, "resourceVersion") : NULL;
	cont = json_is_object(meta) ? str_member(meta, "continue") : NULL;
	if (rv == NULL) {
		snprintf(err, err_len, "%s without metadata.resourceVersion", r->list_kind);
		goto err_free_root;
	}
	items = json_object_get(root, "items");
	if (json_is_null(items) || items == NULL) {
		items = json_array();
		if (items == NULL)
			goto err_nomem;
	} else if (json_is_array(items)) {
		json_incref(items);
	} else {
		snprintf(err, err_len, "%s whose items is not a list", r->list_kind);
		goto err_free_root;
	}
	for (i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);
		char why[PW_K8S_ERR_LEN];

		if (!json_is_object(it)) {
			snprintf(err, err_len, "%s item %zu is not an object", r->list_kind, i);
			rc = -EINVAL;
			goto err_free_items;
		}
		rc = check_object(it, r, why, sizeof(why));
		if (rc != 0) {
			snprintf(err, err_len, "%s item %zu: %s", r->list_kind, i, why);
			goto err_free_items;
		}
	}
	ret->rv = strdup(rv);
	ret->cont = cont != NULL ? strdup(cont) : NULL;
	if (ret->rv == NULL || (cont != NULL && ret->cont == NULL)) {
		json_decref(items);
		goto err_nomem;
	}
	ret->items = items;
	ret->nb_items = json_array_size(items);
	json_decref(root);
	return 0;

err_nomem:
	snprintf(err, err_len, "out of memory");
	rc = -ENOMEM;
	goto err_clear;
err_free_items:
	json_decref(items);
err_clear:
	pw_k8s_list_page_clear(ret);
err_free_root:
	json_decref(root);
	return rc;
}

void
pw_k8s_list_page_clear(struct pw_k8s_list_page *page)
{
	json_decref(page->items);
	free(page->rv);
	free(page->cont);
	memset(page, 0, sizeof(*page));
}

/* Backoff */

uint32_t
pw_k8s_backoff_ms(unsigned int attempt, uint32_t base_ms, uint32_t max_ms, uint32_t rnd)
{
	uint64_t d = base_ms != 0 ? base_ms : 1;

	while (attempt-- > 0 && d < max_ms)
		d *= 2;
	if (d > max_ms)
		d = max_ms;
	/* Half fixed, half random: retries of many nodes spread out, none retries at once. */
	d = d / 2 + (d - d / 2) * rnd / UINT32_MAX;
	return d > 0 ? (uint32_t)d : 1;
}
