/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes JSON → model objects: the envelope (apiVersion, kind, metadata), Namespaces and
 * Pods. Labels and selectors are in decode_meta.c, NetworkPolicy specs in decode_policy.c.
 *
 * The decoder is as strict as kube-apiserver's validation on every field podwall reads, so
 * that a manifest the API server would refuse is refused here too, with the same field path.
 * Fields podwall does not read are ignored: Kubernetes has many, and they grow.
 */
#include "control/model/decode.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/model/decode_priv.h"

static int
decode_namespace(
	struct pw_dctx *c, const char *name, const json_t *labels, struct pw_namespace **ret)
{
	struct pw_namespace *ns = calloc(1, sizeof(*ns));
	struct pw_label *l;
	size_t saved;
	int r;

	if (ns == NULL)
		return -ENOMEM;
	ns->name = strdup(name);
	if (ns->name == NULL) {
		r = -ENOMEM;
		goto err_free;
	}
	saved = pw_dctx_push(c, "metadata.labels");
	r = pw_decode_labels(c, labels, &ns->labels, 1);
	if (r != 0)
		goto err_free;
	pw_dctx_pop(c, saved);
	/* The API server sets kubernetes.io/metadata.name=<name>, overriding any user value. */
	l = NULL;
	for (unsigned int i = 0; i < ns->labels.nb; i++) {
		if (strcmp(ns->labels.items[i].key, PW_NS_NAME_LABEL) == 0)
			l = &ns->labels.items[i];
	}
	if (l == NULL) {
		l = &ns->labels.items[ns->labels.nb++];
		l->key = strdup(PW_NS_NAME_LABEL);
	}
	free(l->value);
	l->value = strdup(name);
	if (l->key == NULL || l->value == NULL) {
		r = -ENOMEM;
		goto err_free;
	}
	pw_labels_sort(&ns->labels);
	*ret = ns;
	return 0;

err_free:
	pw_namespace_free(ns);
	return r;
}

/* Parse an IP address; @return 4, 6 or 0 when it is not one. */
static int
parse_ip(const char *s, union pw_addr *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (inet_pton(AF_INET, s, ret->b) == 1)
		return 4;
	if (inet_pton(AF_INET6, s, ret->b) == 1)
		return 6;
	return 0;
}

/* Add one pod IP (the path names it); podIP and podIPs may repeat the same address. */
static int
add_pod_ip(struct pw_dctx *c, struct pw_pod *pod, const json_t *j)
{
	struct pw_ip ip;
	const char *s;
	char q[80];
	unsigned int i;
	int family, r;

	r = pw_dstring(c, j, &s);
	if (r != 0)
		return r;
	memset(&ip, 0, sizeof(ip));
	family = parse_ip(s, &ip.addr);
	if (family == 0)
		return pw_dctx_fail(c, "'%s' is not an IP address", pw_dctx_quote(q, sizeof(q), s));
	ip.family = (uint8_t)family;
	for (i = 0; i < pod->nb_ips; i++) {
		if (pod->ips[i].family != ip.family)
			continue;
		if (memcmp(&pod->ips[i].addr, &ip.addr, sizeof(ip.addr)) == 0)
			return 0;
		/* Kubernetes allows one address per family (dual-stack). */
		return pw_dctx_fail(c, "'%s' is a second IPv%d address",
			pw_dctx_quote(q, sizeof(q), s), family);
	}
	pod->ips[pod->nb_ips++] = ip;
	return 0;
}

static int
decode_pod_ips(struct pw_dctx *c, const json_t *status, struct pw_pod *pod)
{
	const json_t *ips, *ip;
	size_t i, saved;
	int r;

	r = pw_dget(c, status, "podIPs", JSON_ARRAY, &ips);
	if (r != 0)
		return r;
	saved = pw_dctx_push(c, "podIPs");
	for (i = 0; ips != NULL && i < json_array_size(ips); i++) {
		const json_t *e = json_array_get(ips, i);
		size_t base = pw_dctx_push_index(c, i);

		if (!json_is_object(e))
			return pw_dctx_fail(c, "must be an object");
		r = pw_dget(c, e, "ip", JSON_STRING, &ip);
		if (r != 0)
			return r;
		pw_dctx_push(c, "ip");
		if (ip == NULL)
			return pw_dctx_fail(c, "required");
		r = add_pod_ip(c, pod, ip);
		if (r != 0)
			return r;
		pw_dctx_pop(c, base);
	}
	pw_dctx_pop(c, saved);
	r = pw_dget(c, status, "podIP", JSON_STRING, &ip);
	if (r != 0 || ip == NULL)
		return r;
	saved = pw_dctx_push(c, "podIP");
	r = add_pod_ip(c, pod, ip);
	if (r != 0)
		return r;
	pw_dctx_pop(c, saved);
	return 0;
}

/* One element of a container's ports (the path names it). */
static int
decode_container_port(struct pw_dctx *c, const json_t *j, struct pw_container_port *ret)
{
	const json_t *name, *port, *proto;
	const char *s;
	char q[80];
	json_int_t n;
	size_t saved;
	int r;

	if (!json_is_object(j))
		return pw_dctx_fail(c, "must be an object");
	r = pw_dget(c, j, "name", JSON_STRING, &name);
	if (r == 0)
		r = pw_dget(c, j, "containerPort", JSON_INTEGER, &port);
	if (r == 0)
		r = pw_dget(c, j, "protocol", JSON_STRING, &proto);
	if (r != 0)
		return r;
	saved = pw_dctx_push(c, "containerPort");
	if (port == NULL)
		return pw_dctx_fail(c, "required");
	n = json_integer_value(port);
	if (n < 1 || n > 65535)
		return pw_dctx_fail(c, "%" JSON_INTEGER_FORMAT " is not between 1 and 65535", n);
	ret->port = (uint16_t)n;
	pw_dctx_pop(c, saved);

	ret->proto = PW_IPPROTO_TCP;
	if (proto != NULL) {
		saved = pw_dctx_push(c, "protocol");
		s = json_string_value(proto);
		if (strcmp(s, "TCP") == 0)
			ret->proto = PW_IPPROTO_TCP;
		else if (strcmp(s, "UDP") == 0)
			ret->proto = PW_IPPROTO_UDP;
		else if (strcmp(s, "SCTP") == 0)
			ret->proto = PW_IPPROTO_SCTP;
		else
			return pw_dctx_fail(
				c, "'%s' is not TCP, UDP or SCTP", pw_dctx_quote(q, sizeof(q), s));
		pw_dctx_pop(c, saved);
	}
	if (name != NULL) {
		saved = pw_dctx_push(c, "name");
		r = pw_dstring(c, name, &s);
		if (r != 0)
			return r;
		if (!pw_valid_port_name(s))
			return pw_dctx_fail(
				c, "'%s' is not a valid port name", pw_dctx_quote(q, sizeof(q), s));
		ret->name = strdup(s);
		if (ret->name == NULL)
			return -ENOMEM;
		pw_dctx_pop(c, saved);
	}
	return 0;
}

/*
 * Ports of spec.containers[] (not initContainers: they have exited before the pod serves,
 * and their ports are not the pod's).
 */
static int
decode_pod_ports(struct pw_dctx *c, const json_t *spec, struct pw_pod *pod)
{
	const json_t *containers, *ports;
	size_t total = 0, i, k, saved;
	int r;

	r = pw_dget(c, spec, "containers", JSON_ARRAY, &containers);
	if (r != 0 || containers == NULL)
		return r;
	saved = pw_dctx_push(c, "containers");
	r = pw_dcheck_len(c, containers);
	if (r != 0)
		return r;
	for (i = 0; i < json_array_size(containers); i++) {
		const json_t *ct = json_array_get(containers, i);
		size_t base = pw_dctx_push_index(c, i);

		if (!json_is_object(ct))
			return pw_dctx_fail(c, "must be an object");
		r = pw_dget(c, ct, "ports", JSON_ARRAY, &ports);
		if (r != 0)
			return r;
		total += json_array_size(ports);
		pw_dctx_pop(c, base);
	}
	if (total > PW_DECODE_MAX_ITEMS)
		return pw_dctx_fail(c, "more than %u ports", PW_DECODE_MAX_ITEMS);
	if (total == 0) {
		pw_dctx_pop(c, saved);
		return 0;
	}
	pod->ports = calloc(total, sizeof(*pod->ports));
	if (pod->ports == NULL)
		return -ENOMEM;
	for (i = 0; i < json_array_size(containers); i++) {
		size_t saved_ct = pw_dctx_push_index(c, i);

		ports = json_object_get(json_array_get(containers, i), "ports");
		pw_dctx_push(c, "ports");
		for (k = 0; k < json_array_size(ports); k++) {
			size_t saved_ports = pw_dctx_push_index(c, k);

			/* Counted before decoding so that a failure frees a partial name. */
			pod->nb_ports++;
			r = decode_container_port(
				c, json_array_get(ports, k), &pod->ports[pod->nb_ports - 1]);
			if (r != 0)
				return r;
			pw_dctx_pop(c, saved_ports);
		}
		pw_dctx_pop(c, saved_ct);
	}
	pw_dctx_pop(c, saved);
	return 0;
}

static int
decode_pod(struct pw_dctx *c, const json_t *obj, const char *ns, const char *name,
	const json_t *labels, struct pw_pod **ret)
{
	const json_t *spec, *status, *node, *phase, *host_net;
	struct pw_pod *pod = calloc(1, sizeof(*pod));
	size_t saved;
	int r;

	if (pod == NULL)
		return -ENOMEM;
	pod->ns = strdup(ns);
	pod->name = strdup(name);
	if (pod->ns == NULL || pod->name == NULL) {
		r = -ENOMEM;
		goto err_free;
	}
	saved = pw_dctx_push(c, "metadata.labels");
	r = pw_decode_labels(c, labels, &pod->labels, 0);
	if (r != 0)
		goto err_free;
	pw_dctx_pop(c, saved);

	r = pw_dget(c, obj, "spec", JSON_OBJECT, &spec);
	if (r == 0)
		r = pw_dget(c, obj, "status", JSON_OBJECT, &status);
	if (r != 0)
		goto err_free;
	node = phase = host_net = NULL;
	if (spec != NULL) {
		saved = pw_dctx_push(c, "spec");
		r = pw_dget(c, spec, "nodeName", JSON_STRING, &node);
		if (r == 0)
			r = pw_dget(c, spec, "hostNetwork", JSON_TRUE, &host_net);
		if (r == 0)
			r = decode_pod_ports(c, spec, pod);
		if (r == 0 && node != NULL) {
			const char *s;

			pw_dctx_push(c, "nodeName");
			r = pw_dstring(c, node, &s);
			if (r == 0 && (pod->node = strdup(s)) == NULL)
				r = -ENOMEM;
		}
		if (r != 0)
			goto err_free;
		pw_dctx_pop(c, saved);
	}
	pod->host_network = json_is_true(host_net);
	if (status != NULL) {
		saved = pw_dctx_push(c, "status");
		r = pw_dget(c, status, "phase", JSON_STRING, &phase);
		if (r == 0)
			r = decode_pod_ips(c, status, pod);
		if (r != 0)
			goto err_free;
		pw_dctx_pop(c, saved);
	}
	/*
	 * An endpoint has an IP and has not finished (a finished pod's IP is soon reused). A
	 * host-network pod shares its node's address: like Calico and Cilium, podwall treats it
	 * as the host, not as a pod that policies select or match.
	 */
	pod->endpoint = pod->nb_ips > 0 && !pod->host_network &&
		!(phase != NULL &&
			(strcmp(json_string_value(phase), "Succeeded") == 0 ||
				strcmp(json_string_value(phase), "Failed") == 0));
	*ret = pod;
	return 0;

err_free:
	pw_pod_free(pod);
	return r;
}

static int
decode_policy(struct pw_dctx *c, const json_t *obj, const char *ns, const char *name,
	struct pw_policy **ret)
{
	struct pw_policy *pol = calloc(1, sizeof(*pol));
	int r;

	if (pol == NULL)
		return -ENOMEM;
	pol->ns = strdup(ns);
	pol->name = strdup(name);
	if (pol->ns == NULL || pol->name == NULL) {
		r = -ENOMEM;
		goto err_free;
	}
	r = pw_decode_policy_spec(c, obj, pol);
	if (r != 0)
		goto err_free;
	*ret = pol;
	return 0;

err_free:
	pw_policy_free(pol);
	return r;
}

/* The kinds podwall reads; everything else is -ENOTSUP. */
static const struct {
	const char *api_version;
	const char *kind;
	enum pw_kind pw_kind;
	bool namespaced;
} known_kinds[] = {
	{ "v1", "Namespace", PW_KIND_NAMESPACE, false },
	{ "v1", "Pod", PW_KIND_POD, true },
	{ "networking.k8s.io/v1", "NetworkPolicy", PW_KIND_POLICY, true },
};

static const char *
str_member(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return NULL;
	return json_string_value(v);
}

void
pw_k8s_ref_of(const json_t *obj, const char *default_ns, struct pw_k8s_ref *ret)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const char *kind = str_member(obj, "kind");
	const char *ns = str_member(meta, "namespace");
	const char *name = str_member(meta, "name");

	snprintf(ret->kind, sizeof(ret->kind), "%s", kind == NULL ? "" : kind);
	if (kind != NULL && strcmp(kind, "Namespace") == 0)
		ns = "";
	else if (ns == NULL)
		ns = default_ns == NULL ? "default" : default_ns;
	snprintf(ret->ns, sizeof(ret->ns), "%s", ns);
	snprintf(ret->name, sizeof(ret->name), "%s", name == NULL ? "" : name);
}

int
pw_k8s_decode(const json_t *obj, const char *default_ns, struct pw_k8s_obj *ret, char *err,
	size_t err_len)
{
	const json_t *meta, *jname, *jns, *labels;
	const char *api, *kind, *name, *ns;
	struct pw_dctx c;
	char q[80], qa[80];
	unsigned int k;
	size_t saved;
	int r;

	memset(ret, 0, sizeof(*ret));
	memset(&c, 0, sizeof(c));
	c.err = err;
	c.err_len = err_len;
	if (err != NULL && err_len > 0)
		err[0] = '\0';
	if (default_ns == NULL)
		default_ns = "default";
	c.kind = "object";
	c.name[0] = '?';
	if (!json_is_object(obj))
		return pw_dctx_fail(&c, "not a JSON object");

	kind = str_member(obj, "kind");
	api = str_member(obj, "apiVersion");
	meta = json_object_get(obj, "metadata");
	jname = json_object_get(meta, "name");
	jns = json_object_get(meta, "namespace");
	/* Name the object in messages as well as we can before anything is validated. */
	if (kind != NULL)
		c.kind = pw_dctx_quote(qa, 33, kind);
	pw_dctx_quote(
		c.name, sizeof(c.name), json_is_string(jname) ? json_string_value(jname) : "?");
	pw_dctx_quote(
		c.ns, sizeof(c.ns), json_is_string(jns) ? json_string_value(jns) : default_ns);
	if (kind == NULL) {
		c.ns[0] = '\0';
		pw_dctx_push(&c, "kind");
		return pw_dctx_fail(&c, "required");
	}
	for (k = 0; k < sizeof(known_kinds) / sizeof(known_kinds[0]); k++) {
		if (strcmp(kind, known_kinds[k].kind) == 0)
			break;
	}
	if (k == sizeof(known_kinds) / sizeof(known_kinds[0])) {
		pw_dctx_fail(&c, "kind not used by podwall");
		return -ENOTSUP;
	}
	if (!known_kinds[k].namespaced)
		c.ns[0] = '\0';
	if (api == NULL || strcmp(api, known_kinds[k].api_version) != 0) {
		pw_dctx_push(&c, "apiVersion");
		if (api == NULL)
			return pw_dctx_fail(&c, "required");
		pw_dctx_fail(&c, "'%s' not used by podwall (want %s)",
			pw_dctx_quote(q, sizeof(q), api), known_kinds[k].api_version);
		return -ENOTSUP;
	}

	if (!json_is_object(meta)) {
		pw_dctx_push(&c, "metadata");
		return pw_dctx_fail(&c, meta == NULL ? "required" : "must be an object");
	}
	saved = pw_dctx_push(&c, "metadata");
	r = pw_dget(&c, meta, "name", JSON_STRING, &jname);
	if (r == 0)
		r = pw_dget(&c, meta, "namespace", JSON_STRING, &jns);
	if (r == 0)
		r = pw_dget(&c, meta, "labels", JSON_OBJECT, &labels);
	if (r != 0)
		return r;
	pw_dctx_pop(&c, saved);
	saved = pw_dctx_push(&c, "metadata.name");
	if (jname == NULL)
		return pw_dctx_fail(&c, "required");
	r = pw_dstring(&c, jname, &name);
	if (r != 0)
		return r;
	/* Namespace names are DNS labels; other objects' names are DNS subdomains. */
	if (known_kinds[k].namespaced ? !pw_valid_dns_subdomain(name, strlen(name)) :
					!pw_valid_dns_label(name, strlen(name), 63))
		return pw_dctx_fail(&c, "'%s' is not a valid name (RFC 1123)",
			pw_dctx_quote(q, sizeof(q), name));
	pw_dctx_pop(&c, saved);
	ns = default_ns;
	if (known_kinds[k].namespaced && jns != NULL) {
		saved = pw_dctx_push(&c, "metadata.namespace");
		r = pw_dstring(&c, jns, &ns);
		if (r != 0)
			return r;
		if (!pw_valid_dns_label(ns, strlen(ns), 63))
			return pw_dctx_fail(&c,
				"'%s' is not a valid namespace name (RFC 1123 label)",
				pw_dctx_quote(q, sizeof(q), ns));
		pw_dctx_pop(&c, saved);
	}

	switch (known_kinds[k].pw_kind) {
	case PW_KIND_NAMESPACE:
		r = decode_namespace(&c, name, labels, &ret->ns);
		break;
	case PW_KIND_POD:
		r = decode_pod(&c, obj, ns, name, labels, &ret->pod);
		break;
	default:
		r = decode_policy(&c, obj, ns, name, &ret->policy);
		break;
	}
	if (r == -ENOMEM)
		pw_dctx_fail(&c, "out of memory");
	if (r != 0)
		return r;
	ret->kind = known_kinds[k].pw_kind;
	return 0;
}

int
pw_k8s_obj_put(struct pw_model *model, struct pw_k8s_obj *obj)
{
	switch (obj->kind) {
	case PW_KIND_NAMESPACE:
		return pw_model_put_namespace(model, obj->ns);
	case PW_KIND_POD:
		return pw_model_put_pod(model, obj->pod);
	default:
		return pw_model_put_policy(model, obj->policy);
	}
}

const char *
pw_k8s_put_strerror(int rc)
{
	return rc == -EINVAL ? "pod IP already held by another pod" : strerror(-rc);
}

void
pw_k8s_obj_free(struct pw_k8s_obj *obj)
{
	if (obj == NULL)
		return;
	pw_namespace_free(obj->ns);
	pw_pod_free(obj->pod);
	pw_policy_free(obj->policy);
	obj->ns = NULL;
	obj->pod = NULL;
	obj->policy = NULL;
}
