/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration loading. A document goes through three passes:
 *
 * 1. libyaml's event parser builds a small tree of the document in which every node knows its
 *    line. libcyaml 1.3.1 reports errors through its log callback, often without a line, and
 *    its scalar parsing is lax ("1_000" loads as 1, "maybe" as true), so it cannot be the
 *    validator.
 * 2. The tree is checked against the libcyaml schema itself (keys, kinds, counts, enum names,
 *    string lengths) plus a table of per-key rules (ranges, formats), so that every error
 *    names its file, line and key.
 * 3. libcyaml loads the already valid document against the same schema into raw structures;
 *    cross-field rules (unique names, wire pairs, ...) are checked, defaults are filled in and
 *    the result is copied into a struct pw_config that owns plain malloc'd memory.
 */
#include "control/config.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cyaml/cyaml.h>
#include <yaml.h>

/* A configuration file is a few kilobytes; the cap bounds the memory an odd input can cost. */
#define MAX_FILE_SIZE (1024 * 1024)
/* The schema is four levels deep; anything much deeper is not a configuration. */
#define MAX_DEPTH 32
#define PATH_LEN 256
/* Longest excerpt of a value or key quoted in a message, so the message stays on one line. */
#define EXCERPT_LEN 48

#define DEF_HUGEPAGES PW_HUGEPAGES_AUTO
#define DEF_MEMORY_MB 512
#define DEF_MBUFS 8191
#define DEF_ROLE PW_PORT_ROLE_POD
#define DEF_FWD_MODE PW_FWD_BRIDGE
#define DEF_MAC_AGEING_S 300
#define DEF_LCORE 1
#define DEF_RX_QUEUES 0
#define DEF_RX_DESC 1024
#define DEF_TX_DESC 1024
#define DEF_BURST_SIZE 32
#define DEF_SOURCE PW_SOURCE_NONE
#define DEF_BEFORE_SYNC PW_BEFORE_SYNC_FAIL_CLOSED
#define DEF_SOCKET_PATH "/run/podwall/podwall.sock"
#define DEF_SOCKET_MODE 0660
#define DEF_MAX_CLIENTS 16
#define DEF_CT_SIZE 1048576
#define DEF_CT_ON_FULL PW_CT_FULL_DROP_NEW
#define MAX_SOCKET_MODE 0660

/*
 * Raw structures filled by libcyaml. Optional scalars are pointers so that "absent" (NULL,
 * the default applies) differs from any value; optional sections are NULL when absent.
 */
struct raw_dpdk {
	char **eal_args;
	unsigned int eal_args_count;
	enum pw_hugepages *hugepages;
	uint32_t *memory_mb;
	uint32_t *mbufs;
};

struct raw_port {
	char *name;
	char *device;
	enum pw_port_role *role;
};

struct raw_forwarding {
	enum pw_fwd_mode *mode;
	uint32_t *mac_ageing_s;
};

struct raw_workers {
	unsigned int *lcores;
	unsigned int lcores_count;
	uint16_t *rx_queues;
	uint16_t *rx_desc;
	uint16_t *tx_desc;
	uint16_t *burst_size;
};

struct raw_kubernetes {
	char *server;
	char *kubeconfig;
	char *token_file;
	char *ca_file;
	bool *insecure_skip_tls_verify;
};

struct raw_policy {
	enum pw_policy_source_type *source;
	char *manifests_dir;
	struct raw_kubernetes *kubernetes;
	enum pw_before_sync *before_sync;
};

struct raw_socket {
	char *path;
	char *mode; /* a string: parsed as octal here, not by libcyaml's strtoull(.., 0) */
	uint32_t *max_clients;
};

struct raw_timeouts {
	uint32_t *tcp_syn;
	uint32_t *tcp_established;
	uint32_t *tcp_fin;
	uint32_t *tcp_closed;
	uint32_t *udp;
	uint32_t *sctp;
	uint32_t *icmp;
	uint32_t *other;
};

struct raw_conntrack {
	uint32_t *size;
	enum pw_ct_on_full *on_full;
	struct raw_timeouts *timeouts;
};

struct raw_config {
	char *node_name;
	struct raw_dpdk *dpdk;
	struct raw_port *ports;
	unsigned int ports_count;
	struct raw_forwarding *forwarding;
	struct raw_workers *workers;
	struct raw_policy *policy;
	struct raw_socket *socket;
	struct raw_conntrack *conntrack;
};

/* Enum names: one table per enum serves the schema, the error messages and the *_name(). */
static const cyaml_strval_t hugepages_names[] = {
	{ "auto", PW_HUGEPAGES_AUTO },
	{ "on", PW_HUGEPAGES_ON },
	{ "off", PW_HUGEPAGES_OFF },
};

static const cyaml_strval_t role_names[] = {
	{ "pod", PW_PORT_ROLE_POD },
	{ "uplink", PW_PORT_ROLE_UPLINK },
};

static const cyaml_strval_t fwd_mode_names[] = {
	{ "wire", PW_FWD_WIRE },
	{ "bridge", PW_FWD_BRIDGE },
};

static const cyaml_strval_t source_names[] = {
	{ "none", PW_SOURCE_NONE },
	{ "manifests", PW_SOURCE_MANIFESTS },
	{ "kubernetes", PW_SOURCE_KUBERNETES },
};

static const cyaml_strval_t before_sync_names[] = {
	{ "fail-closed", PW_BEFORE_SYNC_FAIL_CLOSED },
	{ "fail-open", PW_BEFORE_SYNC_FAIL_OPEN },
};

static const cyaml_strval_t on_full_names[] = {
	{ "drop-new", PW_CT_FULL_DROP_NEW },
	{ "evict-oldest", PW_CT_FULL_EVICT_OLDEST },
};

#define OPT CYAML_FLAG_OPTIONAL
/* Optional sections and lists: an empty value ("dpdk:" with every key commented out) loads as
 * NULL and so means "all defaults". */
#define OPT_SECTION (CYAML_FLAG_OPTIONAL | CYAML_FLAG_POINTER_NULL_STR)
#define ENUM_FIELD(key, flags, st, member, names) \
	CYAML_FIELD_ENUM_PTR(                     \
		key, (flags) | CYAML_FLAG_STRICT, st, member, names, CYAML_ARRAY_LEN(names))

static const cyaml_schema_value_t eal_arg_schema = {
	CYAML_VALUE_STRING(CYAML_FLAG_POINTER, char, 1, 4096),
};

static const cyaml_schema_field_t dpdk_fields[] = {
	CYAML_FIELD_SEQUENCE("eal_args", OPT_SECTION, struct raw_dpdk, eal_args, &eal_arg_schema, 0,
		PW_CONFIG_MAX_EAL_ARGS),
	ENUM_FIELD("hugepages", OPT, struct raw_dpdk, hugepages, hugepages_names),
	CYAML_FIELD_UINT_PTR("memory_mb", OPT, struct raw_dpdk, memory_mb),
	CYAML_FIELD_UINT_PTR("mbufs", OPT, struct raw_dpdk, mbufs),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t port_fields[] = {
	CYAML_FIELD_STRING_PTR("name", CYAML_FLAG_DEFAULT, struct raw_port, name, 1, 31),
	CYAML_FIELD_STRING_PTR("device", CYAML_FLAG_DEFAULT, struct raw_port, device, 1, 255),
	ENUM_FIELD("role", OPT, struct raw_port, role, role_names),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t port_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, struct raw_port, port_fields),
};

static const cyaml_schema_field_t forwarding_fields[] = {
	ENUM_FIELD("mode", OPT, struct raw_forwarding, mode, fwd_mode_names),
	CYAML_FIELD_UINT_PTR("mac_ageing_s", OPT, struct raw_forwarding, mac_ageing_s),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t lcore_schema = {
	CYAML_VALUE_UINT(CYAML_FLAG_DEFAULT, unsigned int),
};

static const cyaml_schema_field_t workers_fields[] = {
	CYAML_FIELD_SEQUENCE("lcores", OPT_SECTION, struct raw_workers, lcores, &lcore_schema, 1,
		PW_CONFIG_MAX_LCORES),
	CYAML_FIELD_UINT_PTR("rx_queues", OPT, struct raw_workers, rx_queues),
	CYAML_FIELD_UINT_PTR("rx_desc", OPT, struct raw_workers, rx_desc),
	CYAML_FIELD_UINT_PTR("tx_desc", OPT, struct raw_workers, tx_desc),
	CYAML_FIELD_UINT_PTR("burst_size", OPT, struct raw_workers, burst_size),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t kubernetes_fields[] = {
	CYAML_FIELD_STRING_PTR("server", OPT, struct raw_kubernetes, server, 1, 4096),
	CYAML_FIELD_STRING_PTR("kubeconfig", OPT, struct raw_kubernetes, kubeconfig, 1, 4095),
	CYAML_FIELD_STRING_PTR("token_file", OPT, struct raw_kubernetes, token_file, 1, 4095),
	CYAML_FIELD_STRING_PTR("ca_file", OPT, struct raw_kubernetes, ca_file, 1, 4095),
	CYAML_FIELD_BOOL_PTR(
		"insecure_skip_tls_verify", OPT, struct raw_kubernetes, insecure_skip_tls_verify),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t policy_fields[] = {
	ENUM_FIELD("source", OPT, struct raw_policy, source, source_names),
	CYAML_FIELD_STRING_PTR("manifests_dir", OPT, struct raw_policy, manifests_dir, 1, 4095),
	CYAML_FIELD_MAPPING_PTR(
		"kubernetes", OPT_SECTION, struct raw_policy, kubernetes, kubernetes_fields),
	ENUM_FIELD("before_sync", OPT, struct raw_policy, before_sync, before_sync_names),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t socket_fields[] = {
	/* 107: sun_path is 108 bytes with its NUL. */
	CYAML_FIELD_STRING_PTR("path", OPT, struct raw_socket, path, 1, 107),
	CYAML_FIELD_STRING_PTR("mode", OPT, struct raw_socket, mode, 1, 16),
	CYAML_FIELD_UINT_PTR("max_clients", OPT, struct raw_socket, max_clients),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t timeouts_fields[] = {
	CYAML_FIELD_UINT_PTR("tcp_syn", OPT, struct raw_timeouts, tcp_syn),
	CYAML_FIELD_UINT_PTR("tcp_established", OPT, struct raw_timeouts, tcp_established),
	CYAML_FIELD_UINT_PTR("tcp_fin", OPT, struct raw_timeouts, tcp_fin),
	CYAML_FIELD_UINT_PTR("tcp_closed", OPT, struct raw_timeouts, tcp_closed),
	CYAML_FIELD_UINT_PTR("udp", OPT, struct raw_timeouts, udp),
	CYAML_FIELD_UINT_PTR("sctp", OPT, struct raw_timeouts, sctp),
	CYAML_FIELD_UINT_PTR("icmp", OPT, struct raw_timeouts, icmp),
	CYAML_FIELD_UINT_PTR("other", OPT, struct raw_timeouts, other),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t conntrack_fields[] = {
	CYAML_FIELD_UINT_PTR("size", OPT, struct raw_conntrack, size),
	ENUM_FIELD("on_full", OPT, struct raw_conntrack, on_full, on_full_names),
	CYAML_FIELD_MAPPING_PTR(
		"timeouts", OPT_SECTION, struct raw_conntrack, timeouts, timeouts_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_field_t config_fields[] = {
	CYAML_FIELD_STRING_PTR(
		"node_name", CYAML_FLAG_DEFAULT, struct raw_config, node_name, 1, 253),
	CYAML_FIELD_MAPPING_PTR("dpdk", OPT_SECTION, struct raw_config, dpdk, dpdk_fields),
	CYAML_FIELD_SEQUENCE("ports", CYAML_FLAG_POINTER, struct raw_config, ports, &port_schema, 1,
		PW_CONFIG_MAX_PORTS),
	CYAML_FIELD_MAPPING_PTR(
		"forwarding", OPT_SECTION, struct raw_config, forwarding, forwarding_fields),
	CYAML_FIELD_MAPPING_PTR("workers", OPT_SECTION, struct raw_config, workers, workers_fields),
	CYAML_FIELD_MAPPING_PTR("policy", OPT_SECTION, struct raw_config, policy, policy_fields),
	CYAML_FIELD_MAPPING_PTR("socket", OPT_SECTION, struct raw_config, socket, socket_fields),
	CYAML_FIELD_MAPPING_PTR(
		"conntrack", OPT_SECTION, struct raw_config, conntrack, conntrack_fields),
	CYAML_FIELD_END,
};

static const cyaml_schema_value_t config_schema = {
	CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, struct raw_config, config_fields),
};

/* Checks beyond the schema for single values, keyed by the key path without list indices. */
enum rule_kind {
	RULE_RANGE,
	RULE_RANGE_POW2,
	RULE_MODE,
	RULE_NODE_NAME,
	RULE_PORT_NAME,
	RULE_DEVICE,
	RULE_URL,
};

struct rule {
	const char *path;
	enum rule_kind kind;
	int64_t min;
	int64_t max;
};

static const struct rule rules[] = {
	{ "node_name", RULE_NODE_NAME, 0, 0 },
	{ "dpdk.memory_mb", RULE_RANGE, 64, 65536 },
	{ "dpdk.mbufs", RULE_RANGE, 1023, 4194303 },
	{ "ports.name", RULE_PORT_NAME, 0, 0 },
	{ "ports.device", RULE_DEVICE, 0, 0 },
	{ "forwarding.mac_ageing_s", RULE_RANGE, 1, 86400 },
	/* Lcore 0 is the main lcore, which runs the control loop. */
	{ "workers.lcores", RULE_RANGE, 1, 1023 },
	{ "workers.rx_queues", RULE_RANGE, 0, 64 },
	{ "workers.rx_desc", RULE_RANGE_POW2, 64, 16384 },
	{ "workers.tx_desc", RULE_RANGE_POW2, 64, 16384 },
	{ "workers.burst_size", RULE_RANGE, 1, 512 },
	{ "policy.kubernetes.server", RULE_URL, 0, 0 },
	{ "socket.mode", RULE_MODE, 0, MAX_SOCKET_MODE },
	{ "socket.max_clients", RULE_RANGE, 1, 1024 },
	{ "conntrack.size", RULE_RANGE, 1024, 67108864 },
	{ "conntrack.timeouts.tcp_syn", RULE_RANGE, 1, 604800 },
	{ "conntrack.timeouts.tcp_established", RULE_RANGE, 1, 604800 },
	{ "conntrack.timeouts.tcp_fin", RULE_RANGE, 1, 604800 },
	{ "conntrack.timeouts.tcp_closed", RULE_RANGE, 1, 604800 },
	{ "conntrack.timeouts.udp", RULE_RANGE, 1, 604800 },
	{ "conntrack.timeouts.sctp", RULE_RANGE, 1, 604800 },
	{ "conntrack.timeouts.icmp", RULE_RANGE, 1, 604800 },
	{ "conntrack.timeouts.other", RULE_RANGE, 1, 604800 },
};

enum node_kind {
	NODE_SCALAR,
	NODE_MAPPING,
	NODE_SEQUENCE,
	NODE_ALIAS,
};

/* One node of the document; a mapping's kids are key, value, key, value, ... */
struct node {
	enum node_kind kind;
	unsigned int line; /* 1-based */
	bool plain; /* scalar written without quotes or block style: may be a number or null */
	char *text; /* scalar: its value; alias: the anchor name */
	size_t len;
	struct node *parent;
	struct node **kids;
	unsigned int nb_kids;
	unsigned int max_kids;
};

struct load_ctx {
	const char *name;
	char *err;
	const uint8_t *data;
	size_t len;
	struct node *root;
	char path[PATH_LEN]; /* key path shown to the user: "ports[1].role" */
	size_t path_len;
	char spath[PATH_LEN]; /* the same without indices, to find rules: "ports.role" */
	size_t spath_len;
	char cyaml_msg[128]; /* first error libcyaml logged, should it ever reject a document */
	unsigned int cyaml_line;
};

static int __attribute__((format(printf, 4, 5)))
fail(struct load_ctx *c, unsigned int line, const char *path, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, PW_CONFIG_ERR_LEN, "%s:%u: %s: ", c->name, line, path);
	if (n > 0 && n < PW_CONFIG_ERR_LEN) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, PW_CONFIG_ERR_LEN - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int
fail_nomem(struct load_ctx *c)
{
	snprintf(c->err, PW_CONFIG_ERR_LEN, "%s: out of memory", c->name);
	return -ENOMEM;
}

/* Copies user text for a message: at most EXCERPT_LEN bytes, no control characters, so the
 * message stays one readable line. */
static const char *
excerpt(const char *text, size_t len, char *buf, size_t size)
{
	size_t i, n = len < EXCERPT_LEN ? len : EXCERPT_LEN;

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

static bool
node_is_null(const struct node *n)
{
	return n->kind == NODE_SCALAR && n->plain &&
		(n->len == 0 || strcmp(n->text, "~") == 0 || strcmp(n->text, "null") == 0 ||
			strcmp(n->text, "Null") == 0 || strcmp(n->text, "NULL") == 0);
}

/* Describes what was found instead of what the schema wanted: "a list", "'abc'". */
static const char *
describe(const struct node *n, char *buf, size_t size)
{
	char tmp[EXCERPT_LEN + 4];

	switch (n->kind) {
	case NODE_MAPPING:
		return "a mapping";
	case NODE_SEQUENCE:
		return "a list";
	case NODE_ALIAS:
		return "an alias";
	case NODE_SCALAR:
		break;
	}
	if (node_is_null(n))
		return "an empty value";
	snprintf(buf, size, "'%s'", excerpt(n->text, n->len, tmp, sizeof(tmp)));
	return buf;
}

static void
node_free(struct node *n)
{
	unsigned int i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nb_kids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->text);
	free(n);
}

static int
node_add_kid(struct node *parent, struct node *kid)
{
	if (parent->nb_kids == parent->max_kids) {
		unsigned int max = parent->max_kids == 0 ? 8 : parent->max_kids * 2;
		struct node **kids = realloc(parent->kids, max * sizeof(*kids));

		if (kids == NULL)
			return -ENOMEM;
		parent->kids = kids;
		parent->max_kids = max;
	}
	parent->kids[parent->nb_kids++] = kid;
	kid->parent = parent;
	return 0;
}

/* Creates a node and hangs it under the open container, or makes it the root. */
static int
tree_add(struct load_ctx *c, struct node *cur, enum node_kind kind, unsigned int line,
	const unsigned char *text, size_t len, struct node **ret_node)
{
	struct node *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return -ENOMEM;
	n->kind = kind;
	n->line = line;
	if (text != NULL) {
		n->text = malloc(len + 1);
		if (n->text == NULL) {
			free(n);
			return -ENOMEM;
		}
		memcpy(n->text, text, len);
		n->text[len] = '\0';
		n->len = len;
	}
	if (cur == NULL) {
		c->root = n;
	} else if (node_add_kid(cur, n) != 0) {
		node_free(n);
		return -ENOMEM;
	}
	*ret_node = n;
	return 0;
}

static int
syntax_error(struct load_ctx *c, const yaml_parser_t *parser)
{
	unsigned int line = (unsigned int)parser->problem_mark.line + 1;
	const char *problem = parser->problem != NULL ? parser->problem : "invalid YAML";

	if (parser->error == YAML_MEMORY_ERROR)
		return fail_nomem(c);
	if (parser->error == YAML_READER_ERROR) {
		/* Reader errors (bad encoding, control characters) carry an offset, not a mark. */
		size_t i, end = parser->problem_offset < c->len ? parser->problem_offset : c->len;

		line = 1;
		for (i = 0; i < end; i++)
			line += c->data[i] == '\n';
	}
	if (parser->context != NULL)
		return fail(c, line, "(syntax)", "%s %s", problem, parser->context);
	return fail(c, line, "(syntax)", "%s", problem);
}

/* Pass 1: the document as a tree of nodes with lines. */
static int
build_tree(struct load_ctx *c)
{
	struct node *cur = NULL, *n;
	unsigned int depth = 0, nb_docs = 0;
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int ret = 0;

	if (yaml_parser_initialize(&parser) == 0)
		return fail_nomem(c);
	yaml_parser_set_input_string(&parser, c->data, c->len);
	while (!done && ret == 0) {
		unsigned int line;

		if (yaml_parser_parse(&parser, &ev) == 0) {
			ret = syntax_error(c, &parser);
			break;
		}
		line = (unsigned int)ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (nb_docs++ > 0)
				ret = fail(c, line, "(root)", "only one YAML document is allowed");
			break;
		case YAML_SCALAR_EVENT:
			ret = tree_add(c, cur, NODE_SCALAR, line, ev.data.scalar.value,
				ev.data.scalar.length, &n);
			if (ret == 0)
				n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_ALIAS_EVENT:
			ret = tree_add(c, cur, NODE_ALIAS, line, ev.data.alias.anchor,
				strlen((const char *)ev.data.alias.anchor), &n);
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > MAX_DEPTH) {
				ret = fail(c, line, "(root)", "nested deeper than %d levels",
					MAX_DEPTH);
				break;
			}
			ret = tree_add(c, cur,
				ev.type == YAML_MAPPING_START_EVENT ? NODE_MAPPING : NODE_SEQUENCE,
				line, NULL, 0, &cur);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			cur = cur->parent;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	if (ret == -ENOMEM)
		return fail_nomem(c);
	return ret;
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
path_push_key(struct load_ctx *c, const char *key, size_t *ret_slen)
{
	size_t old = c->path_len;

	*ret_slen = c->spath_len;
	path_append(c->path, sizeof(c->path), &c->path_len, "%s%s", old ? "." : "", key);
	path_append(c->spath, sizeof(c->spath), &c->spath_len, "%s%s", *ret_slen ? "." : "", key);
	return old;
}

static size_t
path_push_index(struct load_ctx *c, unsigned int i)
{
	size_t old = c->path_len;

	path_append(c->path, sizeof(c->path), &c->path_len, "[%u]", i);
	return old;
}

static void
path_pop(struct load_ctx *c, size_t len, size_t slen)
{
	c->path_len = len;
	c->path[len] = '\0';
	c->spath_len = slen;
	c->spath[slen] = '\0';
}

static const char *
cur_path(const struct load_ctx *c)
{
	return c->path_len ? c->path : "(root)";
}

static const struct rule *
find_rule(const struct load_ctx *c)
{
	size_t i;

	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].path, c->spath) == 0)
			return &rules[i];
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

/*
 * YAML integers as both YAML 1.1 and 1.2 read them the same way, and as libcyaml's strtoull(.., 0)
 * reads them too: decimal without leading zeros, or 0x hex. Returns false if the text is not
 * an integer; sets *ret_overflow (and no value) if it does not fit in 64 bits.
 */
static bool
parse_int(const char *s, int64_t *ret, bool *ret_overflow)
{
	const char *p = s;
	bool neg = false, hex = false;
	uint64_t v = 0;

	*ret_overflow = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		hex = true;
		p += 2;
	}
	if (*p == '\0')
		return false;
	for (; *p != '\0'; p++) {
		unsigned int d;

		if (isdigit((unsigned char)*p))
			d = (unsigned int)(*p - '0');
		else if (hex && isxdigit((unsigned char)*p))
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		else
			return false;
		if (v > (UINT64_MAX - d) / (hex ? 16 : 10))
			*ret_overflow = true;
		else
			v = v * (hex ? 16 : 10) + d;
	}
	if (v > (uint64_t)INT64_MAX)
		*ret_overflow = true;
	if (!*ret_overflow)
		*ret = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

static bool
has_leading_zero(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	return s[0] == '0' && isdigit((unsigned char)s[1]);
}

static int
check_int(struct load_ctx *c, const struct node *n)
{
	const struct rule *r = find_rule(c);
	int64_t v = 0;
	bool overflow;
	char buf[EXCERPT_LEN + 8];

	if (n->kind == NODE_SCALAR && !n->plain && parse_int(n->text, &v, &overflow))
		return fail(c, n->line, cur_path(c),
			"expected an integer, found the string %s (drop the quotes)",
			describe(n, buf, sizeof(buf)));
	if (n->kind != NODE_SCALAR || !n->plain || node_is_null(n))
		return fail(c, n->line, cur_path(c), "expected an integer, found %s",
			describe(n, buf, sizeof(buf)));
	if (has_leading_zero(n->text))
		return fail(c, n->line, cur_path(c),
			"%s has a leading zero (YAML 1.1 reads it as octal); write it without",
			describe(n, buf, sizeof(buf)));
	if (!parse_int(n->text, &v, &overflow))
		return fail(c, n->line, cur_path(c), "expected an integer, found %s",
			describe(n, buf, sizeof(buf)));
	/* Every integer key has a range rule (test_full_config sets them all). */
	assert(r != NULL);
	if (overflow || v < r->min || v > r->max)
		return fail(c, n->line, cur_path(c),
			"%s is out of range (%" PRId64 "..%" PRId64 ")",
			excerpt(n->text, n->len, buf, sizeof(buf)), r->min, r->max);
	if (r->kind == RULE_RANGE_POW2 && (v & (v - 1)) != 0)
		return fail(c, n->line, cur_path(c), "%s is not a power of two", n->text);
	return 0;
}

static bool
is_hex_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "DDDD:BB:DD.F" or "BB:DD.F", optionally followed by ",devargs"; returns the canonical
 * "DDDD:BB:DD.F" form so that the two spellings of one device compare equal. */
static bool
parse_pci(const char *s, char *canon, size_t size)
{
	unsigned int domain = 0, bus, dev, fn;
	size_t n = strcspn(s, ",");

	if (n == 12 && is_hex_n(s, 4) && s[4] == ':') {
		domain = (unsigned int)strtoul(s, NULL, 16);
		s += 5;
		n -= 5;
	}
	if (n != 7 || !is_hex_n(s, 2) || s[2] != ':' || !is_hex_n(s + 3, 2) || s[5] != '.' ||
		s[6] < '0' || s[6] > '7')
		return false;
	bus = (unsigned int)strtoul(s, NULL, 16);
	dev = (unsigned int)strtoul(s + 3, NULL, 16);
	fn = (unsigned int)(s[6] - '0');
	if (dev > 0x1f)
		return false;
	snprintf(canon, size, "%04x:%02x:%02x.%u", domain, bus, dev, fn);
	return true;
}

/* "net_<driver><n>" followed by optional ",key=value,..."; the identity is the vdev name. */
static bool
parse_vdev(const char *s, char *canon, size_t size)
{
	size_t n = strcspn(s, ","), i;

	if (n <= 4 || strncmp(s, "net_", 4) != 0)
		return false;
	for (i = 4; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	if (s[n] == ',' && s[n + 1] == '\0')
		return false;
	snprintf(canon, size, "%.*s", (int)n, s);
	return true;
}

/* A device's identity: two ports may not use the same one. */
static bool
device_identity(const char *s, char *canon, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] == 0x7f)
			return false;
	return parse_pci(s, canon, size) || parse_vdev(s, canon, size);
}

/* A Kubernetes node name is an RFC 1123 subdomain: dot-separated lowercase labels. */
static bool
valid_node_name(const char *s)
{
	size_t label = 0;
	char prev = '.';

	for (; *s != '\0'; prev = *s++) {
		if (*s == '.') {
			if (prev == '.' || prev == '-')
				return false;
			label = 0;
			continue;
		}
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-'))
			return false;
		if ((*s == '-' && prev == '.') || ++label > 63)
			return false;
	}
	return prev != '.' && prev != '-';
}

static bool
valid_port_name(const char *s)
{
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

/*
 * The socket mode is written in octal, as YAML 1.1 reads 0660. It is a string in the schema
 * because "660" or "0668" must not silently become some other number.
 */
static int
parse_mode(const char *s, uint32_t *ret_mode)
{
	const char *p = s;
	uint32_t v = 0;

	if (p[0] != '0')
		return -EINVAL;
	if (p[1] == 'o')
		p += 2;
	if (*p == '\0' || strlen(p) > 6)
		return -EINVAL;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '7')
			return -EINVAL;
		v = v * 8 + (uint32_t)(*p - '0');
	}
	*ret_mode = v;
	return 0;
}

static int
check_string_rule(struct load_ctx *c, const struct node *n, const struct rule *r)
{
	char buf[EXCERPT_LEN + 8], canon[64];
	uint32_t mode;

	switch (r->kind) {
	case RULE_NODE_NAME:
		if (!valid_node_name(n->text))
			return fail(c, n->line, cur_path(c),
				"%s is not a valid Kubernetes node name (lowercase letters, "
				"digits, "
				"'-' and '.')",
				describe(n, buf, sizeof(buf)));
		break;
	case RULE_PORT_NAME:
		if (!valid_port_name(n->text))
			return fail(c, n->line, cur_path(c),
				"%s is not a valid port name (letters, digits, '_', '.', '-')",
				describe(n, buf, sizeof(buf)));
		break;
	case RULE_DEVICE:
		if (!device_identity(n->text, canon, sizeof(canon)))
			return fail(c, n->line, cur_path(c),
				"%s is neither a PCI address (0000:3b:00.0) nor a vdev "
				"(net_<driver><n>[,key=value...])",
				describe(n, buf, sizeof(buf)));
		break;
	case RULE_URL:
		if ((strncmp(n->text, "https://", 8) != 0 || n->len == 8) &&
			(strncmp(n->text, "http://", 7) != 0 || n->len == 7))
			return fail(c, n->line, cur_path(c), "%s is not an http:// or https:// URL",
				describe(n, buf, sizeof(buf)));
		break;
	case RULE_MODE:
		if (parse_mode(n->text, &mode) != 0)
			return fail(c, n->line, cur_path(c),
				"%s is not an octal mode with a leading 0, such as 0660",
				describe(n, buf, sizeof(buf)));
		if ((mode & ~(uint32_t)r->max) != 0)
			return fail(c, n->line, cur_path(c),
				"%04o allows more than %04o (no execute bits, nothing for others)",
				mode, (unsigned int)r->max);
		break;
	default:
		break;
	}
	return 0;
}

static int
check_scalar(struct load_ctx *c, const struct node *n, const cyaml_schema_value_t *s)
{
	char buf[EXCERPT_LEN + 8], exp[160];
	const struct rule *r;
	uint32_t i;

	if (s->type == CYAML_INT || s->type == CYAML_UINT)
		return check_int(c, n);
	if (n->kind != NODE_SCALAR || node_is_null(n))
		return fail(c, n->line, cur_path(c), "expected %s, found %s",
			expected(s, exp, sizeof(exp)), describe(n, buf, sizeof(buf)));
	/* libcyaml sees C strings: "pod\0x" would load as "pod". */
	if (strlen(n->text) != n->len)
		return fail(c, n->line, cur_path(c), "contains a NUL character");
	switch (s->type) {
	case CYAML_BOOL:
		/* libcyaml takes anything but false/no/off/disable/0 as true, so be strict here. */
		if (!n->plain || (strcmp(n->text, "true") != 0 && strcmp(n->text, "false") != 0))
			return fail(c, n->line, cur_path(c), "expected true or false, found %s",
				describe(n, buf, sizeof(buf)));
		return 0;
	case CYAML_ENUM:
		for (i = 0; i < s->enumeration.count; i++)
			if (strcmp(n->text, s->enumeration.strings[i].str) == 0)
				return 0;
		return fail(c, n->line, cur_path(c), "%s is not one of %s",
			describe(n, buf, sizeof(buf)), enum_list(s, exp, sizeof(exp)));
	default:
		/* The schema uses no other scalar type than CYAML_STRING. */
		assert(s->type == CYAML_STRING);
		if (n->len < s->string.min)
			return fail(c, n->line, cur_path(c), "must not be empty");
		if (n->len > s->string.max)
			return fail(c, n->line, cur_path(c), "is too long (%zu bytes, at most %u)",
				n->len, s->string.max);
		r = find_rule(c);
		return r != NULL ? check_string_rule(c, n, r) : 0;
	}
}

static int check_value(struct load_ctx *c, const struct node *n, const cyaml_schema_value_t *s);

static int
check_mapping(struct load_ctx *c, const struct node *n, const cyaml_schema_value_t *s)
{
	const cyaml_schema_field_t *fields = s->mapping.fields;
	/* Line of each schema key seen so far; no mapping in the schema has 32 keys. */
	unsigned int seen_line[32] = { 0 };
	char buf[EXCERPT_LEN + 8];
	unsigned int i, f;
	int ret;

	for (i = 0; i + 1 < n->nb_kids; i += 2) {
		const struct node *key = n->kids[i];
		size_t len, slen;

		if (key->kind != NODE_SCALAR)
			return fail(c, key->line, cur_path(c), "keys must be strings, found %s",
				describe(key, buf, sizeof(buf)));
		for (f = 0; fields[f].key != NULL; f++)
			if (key->len == strlen(fields[f].key) &&
				strcmp(fields[f].key, key->text) == 0)
				break;
		if (fields[f].key == NULL) {
			len = path_push_key(
				c, excerpt(key->text, key->len, buf, sizeof(buf)), &slen);
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
check_sequence(struct load_ctx *c, const struct node *n, const cyaml_schema_value_t *s)
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

/* Pass 2: one node against its schema, recursively. */
static int
check_value(struct load_ctx *c, const struct node *n, const cyaml_schema_value_t *s)
{
	char buf[EXCERPT_LEN + 8];

	if (n->kind == NODE_ALIAS)
		return fail(c, n->line, cur_path(c), "YAML aliases (*%s) are not supported",
			excerpt(n->text, n->len, buf, sizeof(buf)));
	if (s->type == CYAML_MAPPING || s->type == CYAML_SEQUENCE) {
		bool is_map = s->type == CYAML_MAPPING;

		if ((s->flags & CYAML_FLAG_POINTER_NULL_STR) == CYAML_FLAG_POINTER_NULL_STR &&
			node_is_null(n))
			return 0;
		if (n->kind != (is_map ? NODE_MAPPING : NODE_SEQUENCE))
			return fail(c, n->line, cur_path(c), "expected %s, found %s",
				is_map ? "a mapping" : "a list", describe(n, buf, sizeof(buf)));
		return is_map ? check_mapping(c, n, s) : check_sequence(c, n, s);
	}
	return check_scalar(c, n, s);
}

/* Looks a key up in a mapping node; NULL if absent or if @p map is not a mapping. */
static const struct node *
map_get(const struct node *map, const char *key)
{
	unsigned int i;

	if (map == NULL || map->kind != NODE_MAPPING)
		return NULL;
	for (i = 0; i + 1 < map->nb_kids; i += 2)
		if (map->kids[i]->kind == NODE_SCALAR && strcmp(map->kids[i]->text, key) == 0)
			return map->kids[i + 1];
	return NULL;
}

static const struct node *
seq_get(const struct node *seq, unsigned int i)
{
	if (seq == NULL || seq->kind != NODE_SEQUENCE || i >= seq->nb_kids)
		return NULL;
	return seq->kids[i];
}

static unsigned int
line_of(const struct node *n, const struct node *fallback)
{
	if (n != NULL)
		return n->line;
	return fallback != NULL ? fallback->line : 1;
}

/* Cross-field rules, checked on the loaded values with lines from the tree. */
static int
check_cross(struct load_ctx *c, const struct raw_config *raw)
{
	const struct node *ports = map_get(c->root, "ports");
	const struct node *workers = map_get(c->root, "workers");
	const struct node *policy = map_get(c->root, "policy");
	const struct node *fwd = map_get(c->root, "forwarding");
	char path[64], canon_i[64], canon_j[64];
	unsigned int i, j;

	for (j = 1; j < raw->ports_count; j++) {
		const struct node *pj = seq_get(ports, j);

		for (i = 0; i < j; i++) {
			if (strcmp(raw->ports[i].name, raw->ports[j].name) == 0) {
				snprintf(path, sizeof(path), "ports[%u].name", j);
				return fail(c, line_of(map_get(pj, "name"), pj), path,
					"'%s' is already the name of ports[%u]", raw->ports[j].name,
					i);
			}
			device_identity(raw->ports[i].device, canon_i, sizeof(canon_i));
			device_identity(raw->ports[j].device, canon_j, sizeof(canon_j));
			if (strcmp(canon_i, canon_j) == 0) {
				snprintf(path, sizeof(path), "ports[%u].device", j);
				return fail(c, line_of(map_get(pj, "device"), pj), path,
					"device %s is already used by ports[%u]", canon_j, i);
			}
		}
	}
	if (raw->forwarding != NULL && raw->forwarding->mode != NULL &&
		*raw->forwarding->mode == PW_FWD_WIRE && raw->ports_count % 2 != 0)
		return fail(c, line_of(map_get(fwd, "mode"), fwd), "forwarding.mode",
			"wire mode needs an even number of ports, found %u", raw->ports_count);
	if (raw->workers != NULL) {
		const struct node *lcores = map_get(workers, "lcores");

		for (j = 1; j < raw->workers->lcores_count; j++) {
			for (i = 0; i < j; i++) {
				if (raw->workers->lcores[i] != raw->workers->lcores[j])
					continue;
				snprintf(path, sizeof(path), "workers.lcores[%u]", j);
				return fail(c, line_of(seq_get(lcores, j), lcores), path,
					"lcore %u is listed twice (also workers.lcores[%u])",
					raw->workers->lcores[j], i);
			}
		}
	}
	if (raw->policy != NULL && raw->policy->source != NULL &&
		*raw->policy->source == PW_SOURCE_MANIFESTS && raw->policy->manifests_dir == NULL)
		return fail(c, line_of(map_get(policy, "source"), policy), "policy.manifests_dir",
			"required when policy.source is manifests");
	return 0;
}

static void __attribute__((format(printf, 3, 0)))
cyaml_capture(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
	struct load_ctx *c = ctx;
	char msg[160];
	const char *p;
	size_t n;

	if (level < CYAML_LOG_ERROR)
		return;
	vsnprintf(msg, sizeof(msg), fmt, args);
	/* Backtrace lines that follow the message carry "(line: N, column: M)". */
	p = strstr(msg, "(line: ");
	if (p != NULL && c->cyaml_line == 0)
		c->cyaml_line = (unsigned int)strtoul(p + 7, NULL, 10);
	if (c->cyaml_msg[0] != '\0')
		return;
	p = strncmp(msg, "Load: ", 6) == 0 ? msg + 6 : msg;
	n = strcspn(p, "\n");
	snprintf(c->cyaml_msg, sizeof(c->cyaml_msg), "%.*s", (int)n, p);
}

static char *
dup_or_null(const char *s, bool *ret_nomem)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*ret_nomem = true;
	return d;
}

#define OR_DEFAULT(section, field, def) \
	((section) != NULL && (section)->field != NULL ? *(section)->field : (def))

/* Copies the loaded values into a pw_config that owns its memory, filling in defaults. */
static int
convert(const struct raw_config *raw, struct pw_config *cfg)
{
	const struct raw_dpdk *dpdk = raw->dpdk;
	const struct raw_forwarding *fwd = raw->forwarding;
	const struct raw_workers *w = raw->workers;
	const struct raw_policy *pol = raw->policy;
	const struct raw_kubernetes *k8s = pol != NULL ? pol->kubernetes : NULL;
	const struct raw_socket *sock = raw->socket;
	const struct raw_conntrack *ct = raw->conntrack;
	const struct raw_timeouts *to = ct != NULL ? ct->timeouts : NULL;
	bool nomem = false;
	unsigned int i;

	cfg->node_name = dup_or_null(raw->node_name, &nomem);

	if (dpdk != NULL && dpdk->eal_args_count > 0) {
		cfg->eal_args = calloc(dpdk->eal_args_count, sizeof(*cfg->eal_args));
		if (cfg->eal_args == NULL)
			return -ENOMEM;
		cfg->nb_eal_args = dpdk->eal_args_count;
		for (i = 0; i < dpdk->eal_args_count; i++)
			cfg->eal_args[i] = dup_or_null(dpdk->eal_args[i], &nomem);
	}
	cfg->hugepages = OR_DEFAULT(dpdk, hugepages, DEF_HUGEPAGES);
	cfg->memory_mb = OR_DEFAULT(dpdk, memory_mb, DEF_MEMORY_MB);
	cfg->nb_mbufs = OR_DEFAULT(dpdk, mbufs, DEF_MBUFS);

	cfg->ports = calloc(raw->ports_count, sizeof(*cfg->ports));
	if (cfg->ports == NULL)
		return -ENOMEM;
	cfg->nb_ports = raw->ports_count;
	for (i = 0; i < raw->ports_count; i++) {
		const struct raw_port *p = &raw->ports[i];

		cfg->ports[i].name = dup_or_null(p->name, &nomem);
		cfg->ports[i].device = dup_or_null(p->device, &nomem);
		cfg->ports[i].role = OR_DEFAULT(p, role, DEF_ROLE);
	}
	cfg->fwd_mode = OR_DEFAULT(fwd, mode, DEF_FWD_MODE);
	cfg->mac_ageing_s = OR_DEFAULT(fwd, mac_ageing_s, DEF_MAC_AGEING_S);

	if (w != NULL && w->lcores_count > 0) {
		cfg->worker_lcores = malloc(w->lcores_count * sizeof(*cfg->worker_lcores));
		if (cfg->worker_lcores == NULL)
			return -ENOMEM;
		memcpy(cfg->worker_lcores, w->lcores, w->lcores_count * sizeof(*w->lcores));
		cfg->nb_worker_lcores = w->lcores_count;
	} else {
		cfg->worker_lcores = malloc(sizeof(*cfg->worker_lcores));
		if (cfg->worker_lcores == NULL)
			return -ENOMEM;
		cfg->worker_lcores[0] = DEF_LCORE;
		cfg->nb_worker_lcores = 1;
	}
	cfg->rx_queues = OR_DEFAULT(w, rx_queues, DEF_RX_QUEUES);
	cfg->rx_desc = OR_DEFAULT(w, rx_desc, DEF_RX_DESC);
	cfg->tx_desc = OR_DEFAULT(w, tx_desc, DEF_TX_DESC);
	cfg->burst_size = OR_DEFAULT(w, burst_size, DEF_BURST_SIZE);

	cfg->source_type = OR_DEFAULT(pol, source, DEF_SOURCE);
	cfg->manifests_dir = dup_or_null(pol != NULL ? pol->manifests_dir : NULL, &nomem);
	cfg->before_sync = OR_DEFAULT(pol, before_sync, DEF_BEFORE_SYNC);
	if (k8s != NULL) {
		cfg->k8s_server = dup_or_null(k8s->server, &nomem);
		cfg->k8s_kubeconfig = dup_or_null(k8s->kubeconfig, &nomem);
		cfg->k8s_token_file = dup_or_null(k8s->token_file, &nomem);
		cfg->k8s_ca_file = dup_or_null(k8s->ca_file, &nomem);
	}
	cfg->k8s_insecure_skip_tls_verify = OR_DEFAULT(k8s, insecure_skip_tls_verify, false);

	cfg->socket_path = dup_or_null(
		sock != NULL && sock->path != NULL ? sock->path : DEF_SOCKET_PATH, &nomem);
	cfg->socket_mode = DEF_SOCKET_MODE;
	if (sock != NULL && sock->mode != NULL && parse_mode(sock->mode, &cfg->socket_mode) != 0)
		return -EINVAL; /* already validated: cannot happen */
	cfg->socket_max_clients = OR_DEFAULT(sock, max_clients, DEF_MAX_CLIENTS);

	cfg->ct_size = OR_DEFAULT(ct, size, DEF_CT_SIZE);
	cfg->ct_on_full = OR_DEFAULT(ct, on_full, DEF_CT_ON_FULL);
	cfg->ct_timeouts.tcp_syn = OR_DEFAULT(to, tcp_syn, 30);
	cfg->ct_timeouts.tcp_established = OR_DEFAULT(to, tcp_established, 86400);
	cfg->ct_timeouts.tcp_fin = OR_DEFAULT(to, tcp_fin, 30);
	cfg->ct_timeouts.tcp_closed = OR_DEFAULT(to, tcp_closed, 10);
	cfg->ct_timeouts.udp = OR_DEFAULT(to, udp, 60);
	cfg->ct_timeouts.sctp = OR_DEFAULT(to, sctp, 60);
	cfg->ct_timeouts.icmp = OR_DEFAULT(to, icmp, 30);
	cfg->ct_timeouts.other = OR_DEFAULT(to, other, 60);
	return nomem ? -ENOMEM : 0;
}

/* Pass 3: the typed load of an already validated document, then cross-field rules. */
static int
load_typed(struct load_ctx *c, struct pw_config *cfg)
{
	const cyaml_config_t cyaml_cfg = {
		.log_fn = cyaml_capture,
		.log_ctx = c,
		.mem_fn = cyaml_mem,
		.log_level = CYAML_LOG_ERROR,
		/* Aliases were refused in pass 2; this keeps libcyaml from recording anchors. */
		.flags = CYAML_CFG_NO_ALIAS,
	};
	struct raw_config *raw = NULL;
	cyaml_err_t cerr;
	int ret;

	cerr = cyaml_load_data(
		c->data, c->len, &cyaml_cfg, &config_schema, (cyaml_data_t **)&raw, NULL);
	if (cerr == CYAML_ERR_OOM)
		return fail_nomem(c);
	if (cerr != CYAML_OK || raw == NULL) {
		/* Pass 2 should have caught it (the fuzz target checks that it does); still
		 * report libcyaml's own words. */
		ret = fail(c, c->cyaml_line ? c->cyaml_line : 1, "(root)", "libcyaml: %s",
			c->cyaml_msg[0] != '\0' ? c->cyaml_msg : cyaml_strerror(cerr));
		goto out_free_raw;
	}
	ret = check_cross(c, raw);
	if (ret != 0)
		goto out_free_raw;
	ret = convert(raw, cfg);
	if (ret == -ENOMEM)
		ret = fail_nomem(c);
	else if (ret != 0)
		ret = fail(c, 1, "(root)", "internal error converting the configuration");
out_free_raw:
	cyaml_free(&cyaml_cfg, &config_schema, raw, 0);
	return ret;
}

int
pw_config_load_data(
	const char *name, const uint8_t *data, size_t len, struct pw_config **ret_cfg, char *err)
{
	char local_err[PW_CONFIG_ERR_LEN];
	struct load_ctx *c;
	struct pw_config *cfg = NULL;
	int ret;

	if (err == NULL)
		err = local_err;
	err[0] = '\0';
	if (name == NULL)
		name = "(config)";
	if (ret_cfg == NULL || (data == NULL && len > 0)) {
		snprintf(err, PW_CONFIG_ERR_LEN, "%s: invalid arguments", name);
		return -EINVAL;
	}
	/* The load context is large (two paths, messages), so it lives on the heap. */
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, PW_CONFIG_ERR_LEN, "%s: out of memory", name);
		return -ENOMEM;
	}
	c->name = name;
	c->err = err;
	c->data = data != NULL ? data : (const uint8_t *)"";
	c->len = len;

	if (len > MAX_FILE_SIZE) {
		ret = fail(c, 1, "(root)", "larger than %d bytes", MAX_FILE_SIZE);
		goto out;
	}
	ret = build_tree(c);
	if (ret != 0)
		goto out;
	if (c->root == NULL || node_is_null(c->root)) {
		ret = fail(c, c->root != NULL ? c->root->line : 1, "(root)",
			"empty document: node_name and ports are required");
		goto out;
	}
	ret = check_value(c, c->root, &config_schema);
	if (ret != 0)
		goto out;
	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL || (cfg->path = strdup(name)) == NULL) {
		ret = fail_nomem(c);
		goto out;
	}
	ret = load_typed(c, cfg);
out:
	if (ret != 0) {
		pw_config_free(cfg);
		cfg = NULL;
	}
	node_free(c->root);
	free(c);
	if (ret == 0)
		*ret_cfg = cfg;
	return ret;
}

/* Reads a whole file, at most MAX_FILE_SIZE + 1 bytes so that the caller can reject it. */
static int
read_file(const char *path, uint8_t **ret_buf, size_t *ret_len)
{
	size_t len = 0, max = 4096;
	uint8_t *buf = NULL;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) != 0) {
		ret = -errno;
		goto err_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = -EISDIR;
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
		/* Past the cap the length alone is enough for the loader to refuse it. */
		if (n == 0 || len > MAX_FILE_SIZE)
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

int
pw_config_load(const char *path, struct pw_config **ret_cfg, char *err)
{
	char local_err[PW_CONFIG_ERR_LEN];
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret;

	if (err == NULL)
		err = local_err;
	if (path == NULL || ret_cfg == NULL) {
		snprintf(err, PW_CONFIG_ERR_LEN, "(config): invalid arguments");
		return -EINVAL;
	}
	ret = read_file(path, &buf, &len);
	if (ret != 0) {
		snprintf(err, PW_CONFIG_ERR_LEN, "%s: cannot read: %s", path, strerror(-ret));
		return ret;
	}
	ret = pw_config_load_data(path, buf, len, ret_cfg, err);
	free(buf);
	return ret;
}

void
pw_config_free(struct pw_config *cfg)
{
	unsigned int i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->node_name);
	for (i = 0; i < cfg->nb_eal_args; i++)
		free(cfg->eal_args[i]);
	free(cfg->eal_args);
	for (i = 0; i < cfg->nb_ports; i++) {
		free(cfg->ports[i].name);
		free(cfg->ports[i].device);
	}
	free(cfg->ports);
	free(cfg->worker_lcores);
	free(cfg->manifests_dir);
	free(cfg->k8s_server);
	free(cfg->k8s_kubeconfig);
	free(cfg->k8s_token_file);
	free(cfg->k8s_ca_file);
	free(cfg->socket_path);
	free(cfg);
}

static const char *
strval_name(const cyaml_strval_t *names, size_t nb, int64_t v)
{
	size_t i;

	for (i = 0; i < nb; i++)
		if (names[i].val == v)
			return names[i].str;
	return "unknown";
}

const char *
pw_port_role_name(enum pw_port_role r)
{
	return strval_name(role_names, CYAML_ARRAY_LEN(role_names), r);
}

const char *
pw_fwd_mode_name(enum pw_fwd_mode m)
{
	return strval_name(fwd_mode_names, CYAML_ARRAY_LEN(fwd_mode_names), m);
}

const char *
pw_policy_source_name(enum pw_policy_source_type t)
{
	return strval_name(source_names, CYAML_ARRAY_LEN(source_names), t);
}

const char *
pw_before_sync_name(enum pw_before_sync b)
{
	return strval_name(before_sync_names, CYAML_ARRAY_LEN(before_sync_names), b);
}
