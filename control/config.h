/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall's configuration: one YAML file, loaded with libcyaml against a schema
 * (documented in config/README.md).
 */
#ifndef PW_CONFIG_H
#define PW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PW_CONFIG_MAX_PORTS 32
#define PW_CONFIG_MAX_LCORES 128
#define PW_CONFIG_MAX_EAL_ARGS 64
#define PW_CONFIG_ERR_LEN 512

enum pw_port_role {
	PW_PORT_ROLE_POD = 0,
	PW_PORT_ROLE_UPLINK,
};

enum pw_fwd_mode {
	PW_FWD_WIRE = 0, /**< ports in pairs (0<->1, 2<->3, ...) */
	PW_FWD_BRIDGE,	 /**< MAC-learning switch over all ports */
};

enum pw_policy_source_type {
	PW_SOURCE_NONE = 0,   /**< no policy source: allow all */
	PW_SOURCE_MANIFESTS,  /**< a directory of Kubernetes manifests */
	PW_SOURCE_KUBERNETES, /**< the Kubernetes API */
};

enum pw_before_sync {
	PW_BEFORE_SYNC_FAIL_CLOSED = 0, /**< drop pod traffic until the first policy sync */
	PW_BEFORE_SYNC_FAIL_OPEN,	/**< allow all until the first policy sync */
};

enum pw_ct_on_full {
	PW_CT_FULL_DROP_NEW = 0,
	PW_CT_FULL_EVICT_OLDEST,
};

enum pw_hugepages {
	PW_HUGEPAGES_AUTO = 0, /**< use hugepages when enough are free, else --no-huge */
	PW_HUGEPAGES_ON,       /**< require hugepages */
	PW_HUGEPAGES_OFF,      /**< always --no-huge */
};

struct pw_config_port {
	char *name; /**< operator-facing name, unique */
	char *device; /**< PCI address ("0000:3b:00.0") or vdev devargs ("net_pcap0,rx_pcap=a.pcap") */
	enum pw_port_role role;
};

struct pw_config_ct_timeouts {
	uint32_t tcp_syn; /**< seconds */
	uint32_t tcp_established;
	uint32_t tcp_fin;
	uint32_t tcp_closed;
	uint32_t udp;
	uint32_t sctp;
	uint32_t icmp;
	uint32_t other;
};

/** A loaded configuration. Strings are owned by it; free with pw_config_free(). */
struct pw_config {
	char *path; /**< the file it was loaded from */
	char *node_name;

	/* DPDK */
	char **eal_args; /**< extra EAL arguments, appended after podwall's own */
	unsigned int nb_eal_args;
	enum pw_hugepages hugepages;
	uint32_t memory_mb; /**< EAL memory (-m) when running without hugepages */
	uint32_t nb_mbufs;  /**< mbufs in the packet pool */

	/* Ports and forwarding */
	struct pw_config_port *ports;
	unsigned int nb_ports;
	enum pw_fwd_mode fwd_mode;
	uint32_t mac_ageing_s; /**< bridge mode: seconds before a learnt MAC is forgotten */

	/* Workers */
	unsigned int *worker_lcores; /**< lcore ids of the workers (the main lcore runs control) */
	unsigned int nb_worker_lcores;
	uint16_t rx_queues; /**< rx queues per port (RSS spreads over them); 0 = one per worker */
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint16_t burst_size; /**< 1..PW_MAX_BURST */

	/* Policy */
	enum pw_policy_source_type source_type;
	char *manifests_dir; /**< source "manifests" */
	char *k8s_server;    /**< source "kubernetes": API server URL, NULL = in-cluster */
	char *k8s_kubeconfig;
	char *k8s_token_file;
	char *k8s_ca_file;
	bool k8s_insecure_skip_tls_verify;
	enum pw_before_sync before_sync;

	/* Operator socket */
	char *socket_path;
	uint32_t socket_mode; /**< permission bits, at most 0660 */
	uint32_t socket_max_clients;

	/* Connection tracking */
	bool ct_enabled;  /**< stateful enforcement (default); false: every packet classified */
	uint32_t ct_size; /**< flows */
	enum pw_ct_on_full ct_on_full;
	struct pw_config_ct_timeouts ct_timeouts;
};

/**
 * Load and validate a configuration file.
 *
 * Unknown keys, wrong types, out-of-range values and missing files fail. On failure @p err
 * receives one line naming the file, line and key, e.g.
 * "podwall.yaml:12: workers.burst_size: 4096 is out of range (1..512)" ("(root)" and
 * "(syntax)" stand for the key of whole-document and YAML syntax errors), or
 * "FILE: cannot read: <strerror>" when the file cannot be read; *ret_cfg is left untouched.
 * Reentrant: the loader keeps no global state.
 *
 * @param path     YAML file
 * @param ret_cfg  on success, the configuration (caller frees with pw_config_free())
 * @param err      buffer of PW_CONFIG_ERR_LEN bytes for the error message
 * @return 0, or -EINVAL (bad content), -ENOENT/-EACCES (cannot read), -ENOMEM
 */
int pw_config_load(const char *path, struct pw_config **ret_cfg, char *err);

/** Same as pw_config_load() over an in-memory document; @p name stands for the file name. */
int pw_config_load_data(
	const char *name, const uint8_t *data, size_t len, struct pw_config **ret_cfg, char *err);

/** Free a configuration; NULL is a no-op. */
void pw_config_free(struct pw_config *cfg);

/** Names of the enum values as written in YAML ("pod", "wire", "fail-closed", ...). */
const char *pw_port_role_name(enum pw_port_role r);
const char *pw_fwd_mode_name(enum pw_fwd_mode m);
const char *pw_policy_source_name(enum pw_policy_source_type t);
const char *pw_before_sync_name(enum pw_before_sync b);

#endif /* PW_CONFIG_H */
