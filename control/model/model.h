/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The cluster model: namespaces, pods and NetworkPolicies (networking.k8s.io/v1) as podwall
 * needs them, plus label selectors. Pure C: no DPDK, no I/O; the decoder (decode.h) builds
 * these objects from Kubernetes JSON, every policy source feeds them in, and the compiler
 * and the reference evaluator read them.
 *
 * Ownership: objects are malloc'd; pw_model_put_*() takes ownership; the model frees what
 * it replaces or deletes. Pointers returned by lookups and iteration stay valid until the
 * next change to the model.
 *
 * Threads: a model belongs to one thread at a time, readers included: the first iteration
 * call after a change rebuilds the sorted view. Lookups by key and by IP are O(1) (hashes);
 * loading N objects in any order costs O(N log N).
 */
#ifndef PW_MODEL_H
#define PW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "podwall/pw_pkt.h"

#define PW_IPPROTO_ICMP 1
#define PW_IPPROTO_TCP 6
#define PW_IPPROTO_UDP 17
#define PW_IPPROTO_ICMPV6 58
#define PW_IPPROTO_SCTP 132

/** The label the API server puts on every namespace (Kubernetes >= 1.22). */
#define PW_NS_NAME_LABEL "kubernetes.io/metadata.name"

struct pw_label {
	char *key;
	char *value;
};

/** Labels, sorted by key, keys unique. */
struct pw_labels {
	struct pw_label *items;
	unsigned int nb;
};

/** An IP address of a pod or a packet. */
struct pw_ip {
	uint8_t family;	    /**< 4 or 6 */
	union pw_addr addr; /**< network byte order; IPv4 in the first 4 bytes, rest zero */
};

struct pw_namespace {
	char *name;
	struct pw_labels labels; /**< includes PW_NS_NAME_LABEL=name (added by the decoder) */
};

struct pw_container_port {
	char *name;    /**< NULL when unnamed */
	uint8_t proto; /**< PW_IPPROTO_TCP (default), _UDP or _SCTP */
	uint16_t port;
};

struct pw_pod {
	char *ns;
	char *name;
	char *node; /**< spec.nodeName; NULL when not scheduled */
	struct pw_labels labels;
	bool endpoint; /**< has an IP, its phase is neither Succeeded nor Failed, not host network */
	bool host_network;   /**< spec.hostNetwork: uses its node's IP; never an endpoint */
	struct pw_ip ips[2]; /**< status.podIPs (or status.podIP): at most one per family */
	unsigned int nb_ips;
	struct pw_container_port *ports; /**< every container's ports */
	unsigned int nb_ports;
};

enum pw_sel_op {
	PW_SEL_IN = 0,
	PW_SEL_NOT_IN,
	PW_SEL_EXISTS,
	PW_SEL_DOES_NOT_EXIST,
};

/** One requirement of a label selector. matchLabels k: v is decoded as k In (v). */
struct pw_sel_req {
	char *key;
	enum pw_sel_op op;
	char **values; /**< In/NotIn: at least one; Exists/DoesNotExist: none */
	unsigned int nb_values;
};

/** A label selector: requirements ANDed; none = matches everything ({}). */
struct pw_selector {
	struct pw_sel_req *reqs;
	unsigned int nb_reqs;
};

struct pw_cidr {
	uint8_t family;	    /**< 4 or 6 */
	uint8_t prefix;	    /**< 0..32 or 0..128 */
	union pw_addr addr; /**< host bits zero */
};

enum pw_peer_kind {
	PW_PEER_PODS = 0, /**< podSelector and/or namespaceSelector */
	PW_PEER_IPBLOCK,
};

/**
 * A peer of a rule (an element of from/to).
 * PODS with only a pod selector: pods of the policy's namespace that match it.
 * PODS with only a namespace selector: all pods of the namespaces that match it.
 * PODS with both: pods that match the pod selector in namespaces that match the other.
 * IPBLOCK: addresses in cidr and in none of except.
 */
struct pw_peer {
	enum pw_peer_kind kind;
	bool has_pod_selector;
	struct pw_selector pod_selector;
	bool has_ns_selector;
	struct pw_selector ns_selector;
	struct pw_cidr cidr;
	struct pw_cidr *except;
	unsigned int nb_except;
};

enum pw_np_port_kind {
	PW_NP_PORT_ANY = 0, /**< protocol only (no port field): every port of proto */
	PW_NP_PORT_NUMBER,  /**< port, or port..end_port */
	PW_NP_PORT_NAMED,   /**< a container port name of the destination pod */
};

struct pw_np_port {
	uint8_t proto; /**< PW_IPPROTO_TCP (default), _UDP or _SCTP */
	enum pw_np_port_kind kind;
	uint16_t port;	   /**< NUMBER: first port */
	uint16_t end_port; /**< NUMBER: last port (== port without endPort) */
	char *name;	   /**< NAMED */
};

/** One ingress or egress rule. */
struct pw_np_rule {
	struct pw_peer *peers; /**< from (ingress) or to (egress) */
	unsigned int nb_peers; /**< 0: every peer (field absent or empty) */
	struct pw_np_port *ports;
	unsigned int nb_ports; /**< 0: every port and protocol */
};

struct pw_policy {
	char *ns;
	char *name;
	struct pw_selector pod_selector; /**< selects pods of ns */
	bool isolates_ingress;		 /**< effective policyTypes contain Ingress */
	bool isolates_egress;		 /**< effective policyTypes contain Egress */
	struct pw_np_rule *ingress;
	unsigned int nb_ingress;
	struct pw_np_rule *egress;
	unsigned int nb_egress;
};

enum pw_kind {
	PW_KIND_NAMESPACE = 0,
	PW_KIND_POD,
	PW_KIND_POLICY,
	PW_KIND_MAX,
};

/** "Namespace", "Pod", "NetworkPolicy". */
const char *pw_kind_name(enum pw_kind k);

/* Free an object and everything it owns; NULL is a no-op. */
void pw_namespace_free(struct pw_namespace *ns);
void pw_pod_free(struct pw_pod *pod);
void pw_policy_free(struct pw_policy *pol);

/** The value of @p key, or NULL. */
const char *pw_labels_get(const struct pw_labels *labels, const char *key);

/** Whether @p sel selects an object with @p labels. */
bool pw_selector_matches(const struct pw_selector *sel, const struct pw_labels *labels);

/** Whether @p ip is in @p cidr (families must match). */
bool pw_cidr_contains(const struct pw_cidr *cidr, const struct pw_ip *ip);

/** Whether @p ip is in the peer's cidr and in none of its excepts (IPBLOCK peers). */
bool pw_ipblock_contains(const struct pw_peer *peer, const struct pw_ip *ip);

struct pw_model;

/** @return 0 or -ENOMEM. */
int pw_model_create(struct pw_model **ret_model);
/** NULL is a no-op. */
void pw_model_free(struct pw_model *model);

/**
 * Add or replace (same namespace/name) an object; the model takes ownership, also on
 * failure. @return 0, or -ENOMEM, or -EINVAL (a pod IP already held by another endpoint pod:
 * the newer object is refused and freed, the model unchanged).
 */
int pw_model_put_namespace(struct pw_model *model, struct pw_namespace *ns);
int pw_model_put_pod(struct pw_model *model, struct pw_pod *pod);
int pw_model_put_policy(struct pw_model *model, struct pw_policy *pol);

/** Delete an object (@p ns is ignored for namespaces). @return 0 or -ENOENT. */
int pw_model_delete(struct pw_model *model, enum pw_kind kind, const char *ns, const char *name);

/** Remove every object. */
void pw_model_clear(struct pw_model *model);

/** Incremented by every change; a compiler compares it to skip needless rebuilds. */
uint64_t pw_model_version(const struct pw_model *model);

/* Iteration in a stable order (namespace, then name). Index 0..nb-1. */
unsigned int pw_model_nb_namespaces(const struct pw_model *model);
const struct pw_namespace *pw_model_namespace_at(const struct pw_model *model, unsigned int i);
unsigned int pw_model_nb_pods(const struct pw_model *model);
const struct pw_pod *pw_model_pod_at(const struct pw_model *model, unsigned int i);
unsigned int pw_model_nb_policies(const struct pw_model *model);
const struct pw_policy *pw_model_policy_at(const struct pw_model *model, unsigned int i);

/** Lookups; NULL when absent. */
const struct pw_namespace *pw_model_find_namespace(const struct pw_model *model, const char *name);
const struct pw_pod *pw_model_find_pod(
	const struct pw_model *model, const char *ns, const char *name);
const struct pw_policy *pw_model_find_policy(
	const struct pw_model *model, const char *ns, const char *name);
/** The endpoint pod holding @p ip, or NULL. */
const struct pw_pod *pw_model_pod_by_ip(const struct pw_model *model, const struct pw_ip *ip);

/**
 * The labels a namespace selector sees for namespace @p ns: the Namespace object's labels
 * when the model has it, else just PW_NS_NAME_LABEL=ns (what the API server would add).
 * @p scratch backs the fallback and must outlive the returned pointer.
 */
const struct pw_labels *pw_model_ns_labels(const struct pw_model *model, const char *ns,
	struct pw_labels *scratch, struct pw_label *scratch_label);

#endif /* PW_MODEL_H */
