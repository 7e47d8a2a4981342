/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Configuration loading. A document goes through three passes:
 *
 * 1. libyaml's event parser builds a small tree of the document in which every node knows its
 *    line (control/yamltree.c). libcyaml 1.3.1 reports errors through its log callback, often without a line, and
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
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cyaml/cyaml.h>

#include "control/config_rules.h"
#include "control/yamlschema.h"
#include "control/yamltree.h"

/* A configuration file is a few kilobytes; the cap bounds the memory an odd input can cost. */
#define MAX_FILE_SIZE (1024 * 1024)
/* The schema is four levels deep; anything much deeper is not a configuration. */
#define MAX_DEPTH 32

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
	bool *enabled;
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
	CYAML_FIELD_BOOL_PTR("enabled", OPT, struct raw_conntrack, enabled),
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

struct load_ctx {
	const char *name;
	char *err;
	const uint8_t *data;
	size_t len;
	struct pw_yaml_stream *stream;
	const struct pw_yaml_node *root; /* the only document, NULL if the stream has none */
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

static unsigned int
line_of(const struct pw_yaml_node *n, const struct pw_yaml_node *fallback)
{
	if (n != NULL)
		return n->line;
	return fallback != NULL ? fallback->line : 1;
}

/* Cross-field rules, checked on the loaded values with lines from the tree. */
static int
check_cross(struct load_ctx *c, const struct raw_config *raw)
{
	const struct pw_yaml_node *ports = pw_yaml_map_get(c->root, "ports");
	const struct pw_yaml_node *workers = pw_yaml_map_get(c->root, "workers");
	const struct pw_yaml_node *policy = pw_yaml_map_get(c->root, "policy");
	const struct pw_yaml_node *fwd = pw_yaml_map_get(c->root, "forwarding");
	char path[64], canon_i[64], canon_j[64];
	unsigned int i, j;

	for (j = 1; j < raw->ports_count; j++) {
		const struct pw_yaml_node *pj = pw_yaml_seq_get(ports, j);

		for (i = 0; i < j; i++) {
			if (strcmp(raw->ports[i].name, raw->ports[j].name) == 0) {
				snprintf(path, sizeof(path), "ports[%u].name", j);
				return fail(c, line_of(pw_yaml_map_get(pj, "name"), pj), path,
					"'%s' is already the name of ports[%u]", raw->ports[j].name,
					i);
			}
			pw_config_device_identity(raw->ports[i].device, canon_i, sizeof(canon_i));
			pw_config_device_identity(raw->ports[j].device, canon_j, sizeof(canon_j));
			if (strcmp(canon_i, canon_j) == 0) {
				snprintf(path, sizeof(path), "ports[%u].device", j);
				return fail(c, line_of(pw_yaml_map_get(pj, "device"), pj), path,
					"device %s is already used by ports[%u]", canon_j, i);
			}
		}
	}
	if (raw->forwarding != NULL && raw->forwarding->mode != NULL &&
		*raw->forwarding->mode == PW_FWD_WIRE && raw->ports_count % 2 != 0)
		return fail(c, line_of(pw_yaml_map_get(fwd, "mode"), fwd), "forwarding.mode",
			"wire mode needs an even number of ports, found %u", raw->ports_count);
	if (raw->workers != NULL) {
		const struct pw_yaml_node *lcores = pw_yaml_map_get(workers, "lcores");

		for (j = 1; j < raw->workers->lcores_count; j++) {
			for (i = 0; i < j; i++) {
				if (raw->workers->lcores[i] != raw->workers->lcores[j])
					continue;
				snprintf(path, sizeof(path), "workers.lcores[%u]", j);
				return fail(c, line_of(pw_yaml_seq_get(lcores, j), lcores), path,
					"lcore %u is listed twice (also workers.lcores[%u])",
					raw->workers->lcores[j], i);
			}
		}
	}
	if (raw->policy != NULL && raw->policy->source != NULL &&
		*raw->policy->source == PW_SOURCE_MANIFESTS && raw->policy->manifests_dir == NULL)
		return fail(c, line_of(pw_yaml_map_get(policy, "source"), policy),
			"policy.manifests_dir", "required when policy.source is manifests");
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
	if (sock != NULL && sock->mode != NULL &&
		pw_config_parse_mode(sock->mode, &cfg->socket_mode) != 0)
		return -EINVAL; /* already validated: cannot happen */
	cfg->socket_max_clients = OR_DEFAULT(sock, max_clients, DEF_MAX_CLIENTS);

	cfg->ct_enabled = OR_DEFAULT(ct, enabled, true);
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

/* Pass 1: the document as a tree of nodes with lines. */
static int
build_tree(struct load_ctx *c)
{
	const struct pw_yaml_params params = { .max_depth = MAX_DEPTH };
	struct pw_yaml_error yerr;
	int ret;

	ret = pw_yaml_parse(c->data, c->len, &params, &c->stream, &yerr);
	if (ret == -ENOMEM)
		return fail_nomem(c);
	if (ret != 0)
		return fail(c, yerr.line, yerr.syntax ? "(syntax)" : "(root)", "%s", yerr.msg);
	return 0;
}

/* Pass 2: the tree against the schema and the rules. */
static int
check_tree(struct load_ctx *c)
{
	struct pw_yaml_check_error *cerr = malloc(sizeof(*cerr));
	const struct pw_yaml_rule *rules;
	size_t nb_rules;
	int ret;

	if (cerr == NULL)
		return fail_nomem(c);
	rules = pw_config_rules(&nb_rules);
	ret = pw_yaml_schema_check(c->root, &config_schema, rules, nb_rules, cerr);
	if (ret != 0)
		ret = fail(c, cerr->line, cerr->path, "%s", cerr->msg);
	free(cerr);
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
	c->root = c->stream->nb_docs > 0 ? c->stream->docs[0].root : NULL;
	if (c->root == NULL || pw_yaml_is_null(c->root)) {
		ret = fail(c, c->root != NULL ? c->root->line : 1, "(root)",
			"empty document: node_name and ports are required");
		goto out;
	}
	ret = check_tree(c);
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
	pw_yaml_stream_free(c->stream);
	free(c);
	if (ret == 0)
		*ret_cfg = cfg;
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
	ret = pw_yaml_read_file(path, MAX_FILE_SIZE, false, &buf, &len);
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
