/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A manifest file's content to objects. YAML goes through control/yaml2json.c one document at
 * a time, so a bad document costs only itself; JSON files are read with jansson, which knows
 * JSON's exact syntax (libyaml reads YAML 1.1, which differs on a few JSON corners).
 */
#include "control/manifests_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/yaml2json.h"
#include "control/yamltree.h"

#define MSG_LEN 320

/* The file being read. */
struct collect {
	struct pw_manifests_objs *objs;
	pw_manifests_parse_error_cb on_error;
	void *arg;
	int nb_errors;
	int ret; /* -ENOMEM once memory ran out */
};

/* Kinds whose objects have no namespace (kubectl api-resources --namespaced=false), among
 * those a policy manifest directory may plausibly hold. */
static const char *const cluster_kinds[] = { "Namespace", "Node", "AdminNetworkPolicy",
	"BaselineAdminNetworkPolicy", "ClusterNetworkPolicy", "ClusterRole", "ClusterRoleBinding",
	"CustomResourceDefinition", "PersistentVolume", "PriorityClass", "StorageClass",
	"IngressClass", "RuntimeClass", "ValidatingWebhookConfiguration",
	"MutatingWebhookConfiguration" };

static void __attribute__((format(printf, 3, 4)))
doc_error(struct collect *col, unsigned int line, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	col->nb_errors++;
	if (col->on_error == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	col->on_error(col->arg, line, msg);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool
is_cluster_scoped(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof(cluster_kinds) / sizeof(cluster_kinds[0]); i++)
		if (strcmp(kind, cluster_kinds[i]) == 0)
			return true;
	return false;
}

/* A string member usable in an identity: present, non-empty, no NUL inside. */
static const char *
id_string(const json_t *obj, const char *member)
{
	const json_t *s = json_object_get(obj, member);

	if (!json_is_string(s) || json_string_length(s) == 0 ||
		strlen(json_string_value(s)) != json_string_length(s))
		return NULL;
	return json_string_value(s);
}

const struct pw_manifests_obj *
pw_manifests_objs_find(const struct pw_manifests_objs *objs, const char *key, size_t key_len)
{
	json_t *i = json_object_getn(objs->index, key, key_len);

	return i != NULL ? &objs->objs[json_integer_value(i)] : NULL;
}

void
pw_manifests_objs_clear(struct pw_manifests_objs *objs)
{
	unsigned int i;

	for (i = 0; i < objs->nb_objs; i++) {
		free(objs->objs[i].key);
		json_decref(objs->objs[i].json);
	}
	free(objs->objs);
	json_decref(objs->index);
	memset(objs, 0, sizeof(*objs));
}

int
pw_manifests_objs_push(
	struct pw_manifests_objs *col, char *key, size_t key_len, json_t *json, unsigned int line)
{
	json_t *i = json_object_getn(col->index, key, key_len);
	struct pw_manifests_obj *o;

	if (i != NULL) {
		/* Defined twice in one file: the later document wins. */
		o = &col->objs[json_integer_value(i)];
		free(key);
		json_decref(o->json);
		o->json = json_incref(json);
		o->line = line;
		return 0;
	}
	if (col->nb_objs == col->cap_objs) {
		unsigned int cap = col->cap_objs == 0 ? 16 : col->cap_objs * 2;
		struct pw_manifests_obj *objs = realloc(col->objs, cap * sizeof(*objs));

		if (objs == NULL)
			goto err_nomem;
		col->objs = objs;
		col->cap_objs = cap;
	}
	if (col->index == NULL && (col->index = json_object()) == NULL)
		goto err_nomem;
	if (json_object_setn_new_nocheck(col->index, key, key_len, json_integer(col->nb_objs)) != 0)
		goto err_nomem;
	col->objs[col->nb_objs++] =
		(struct pw_manifests_obj){ key, key_len, json_incref(json), line };
	return 0;

err_nomem:
	free(key);
	return -ENOMEM;
}

static void
add_object(struct collect *col, json_t *obj, unsigned int line, const char *where)
{
	const char *kind = id_string(obj, "kind"), *name, *ns;
	json_t *meta = json_object_get(obj, "metadata");
	const json_t *jns = json_object_get(meta, "namespace");
	size_t kind_len, ns_len, name_len;
	char *key;

	if (kind == NULL) {
		doc_error(col, line, "%sno kind", where);
		return;
	}
	name = id_string(meta, "name");
	if (!json_is_object(meta) || name == NULL) {
		doc_error(col, line, "%s%s without metadata.name", where, kind);
		return;
	}
	if (jns != NULL && !json_is_null(jns) && !json_is_string(jns)) {
		doc_error(col, line, "%s%s %s: metadata.namespace is not a string", where, kind,
			name);
		return;
	}
	if (is_cluster_scoped(kind)) {
		ns = "";
	} else if ((ns = id_string(meta, "namespace")) == NULL) {
		/* Written into the object so that its decoder and removed() agree. */
		ns = "default";
		if (json_object_set_new(meta, "namespace", json_string(ns)) != 0)
			goto err_nomem;
	}
	kind_len = strlen(kind);
	ns_len = strlen(ns);
	name_len = strlen(name);
	key = malloc(kind_len + ns_len + name_len + 3);
	if (key == NULL)
		goto err_nomem;
	memcpy(key, kind, kind_len + 1);
	memcpy(key + kind_len + 1, ns, ns_len + 1);
	memcpy(key + kind_len + ns_len + 2, name, name_len + 1);
	if (pw_manifests_objs_push(col->objs, key, kind_len + ns_len + name_len + 2, obj, line) ==
		0)
		return;
err_nomem:
	col->ret = -ENOMEM;
}

static const char *
json_kind_name(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		return "a mapping";
	case JSON_ARRAY:
		return "a list";
	case JSON_STRING:
		return "a string";
	default:
		return "a scalar";
	}
}

/* One document: an object, a List of objects, or nothing. @p root gives item lines. */
static void
handle_doc(struct collect *col, json_t *json, unsigned int line, const struct pw_yaml_node *root)
{
	const char *kind = json_string_value(json_object_get(json, "kind"));
	json_t *items = json_object_get(json, "items"), *item;
	char where[32];
	size_t i;

	if (json_is_null(json))
		return;
	if (!json_is_object(json)) {
		doc_error(
			col, line, "a manifest must be a mapping, found %s", json_kind_name(json));
		return;
	}
	if (kind == NULL || !ends_with(kind, "List") || !json_is_array(items)) {
		add_object(col, json, line, "");
		return;
	}
	json_array_foreach (items, i, item) {
		const struct pw_yaml_node *n = pw_yaml_seq_get(pw_yaml_map_get(root, "items"), i);
		unsigned int item_line = n != NULL ? n->line : line;

		snprintf(where, sizeof(where), "items[%zu]: ", i);
		if (!json_is_object(item))
			doc_error(col, item_line, "%sa manifest must be a mapping, found %s", where,
				json_kind_name(item));
		else
			add_object(col, item, item_line, where);
	}
}

static void
on_yaml_doc(void *arg, unsigned int line, const struct pw_yaml_node *root, json_t *json,
	const struct pw_yaml_error *err)
{
	struct collect *col = arg;

	if (col->ret != 0)
		return;
	if (err != NULL) {
		doc_error(col, line, "%s", err->msg);
		return;
	}
	/* The root's line rather than the document's: "---" is not where the object starts. */
	handle_doc(col, json, root->line, root);
}

/* A JSON file: one or more JSON values, one after the other. */
static void
read_json(struct collect *col, const uint8_t *buf, size_t len)
{
	unsigned int line = 1;
	size_t off = 0, k;

	/* jansson does not skip a UTF-8 byte order mark. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		off = 3;
	while (off < len && col->ret == 0) {
		json_error_t jerr;
		json_t *v;

		for (; off < len && strchr(" \t\r\n", buf[off]) != NULL && buf[off] != '\0'; off++)
			line += buf[off] == '\n';
		if (off == len)
			break;
		v = json_loadb((const char *)buf + off, len - off,
			JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
		if (v == NULL) {
			doc_error(col, line + (jerr.line > 1 ? (unsigned int)jerr.line - 1 : 0),
				"%s", jerr.text);
			return;
		}
		handle_doc(col, v, line, NULL);
		json_decref(v);
		if (jerr.position <= 0)
			break;
		for (k = 0; k < (size_t)jerr.position && off + k < len; k++)
			line += buf[off + k] == '\n';
		off += (size_t)jerr.position;
	}
}

int
pw_manifests_parse(const uint8_t *buf, size_t len, bool is_json, struct pw_manifests_objs *objs,
	pw_manifests_parse_error_cb on_error, void *arg)
{
	struct collect col = { .objs = objs, .on_error = on_error, .arg = arg };

	if (is_json)
		read_json(&col, buf, len);
	else
		col.ret = pw_yaml2json_stream(buf, len, on_yaml_doc, &col);
	return col.ret != 0 ? col.ret : col.nb_errors;
}
