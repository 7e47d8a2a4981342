/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NetworkPolicy (networking.k8s.io/v1) specs → struct pw_policy, validated as
 * kube-apiserver's ValidateNetworkPolicySpec does and defaulted as SetDefaults_NetworkPolicy
 * does (pkg/apis/networking/validation and v1/defaults.go).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/model/decode_priv.h"

/*
 * Parse "addr/prefix". Host bits are accepted and zeroed, as kube-apiserver has always done
 * for ipBlock (it validates with Go's net.ParseCIDR, which returns the masked network):
 * refusing "10.0.0.1/8" would reject policies the cluster runs. @return 0 or -EINVAL.
 */
static int
parse_cidr(const char *s, struct pw_cidr *ret)
{
	const char *slash = strrchr(s, '/');
	char addr[64];
	unsigned int prefix = 0, max, i;
	size_t len;

	memset(ret, 0, sizeof(*ret));
	if (slash == NULL || slash == s || (size_t)(slash - s) >= sizeof(addr))
		return -EINVAL;
	len = strlen(slash + 1);
	if (len == 0 || len > 3)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		if (slash[1 + i] < '0' || slash[1 + i] > '9')
			return -EINVAL;
		prefix = prefix * 10 + (unsigned int)(slash[1 + i] - '0');
	}
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, ret->addr.b) == 1)
		ret->family = 4;
	else if (inet_pton(AF_INET6, addr, ret->addr.b) == 1)
		ret->family = 6;
	else
		return -EINVAL;
	max = ret->family == 4 ? 32 : 128;
	if (prefix > max)
		return -EINVAL;
	ret->prefix = (uint8_t)prefix;
	for (i = 0; i < 16; i++) {
		unsigned int first_bit = i * 8;

		if (first_bit >= prefix)
			ret->addr.b[i] = 0;
		else if (prefix - first_bit < 8)
			ret->addr.b[i] &= (uint8_t)(0xff << (8 - (prefix - first_bit)));
	}
	return 0;
}

static int
cidr_member(struct pw_dctx *c, const json_t *j, struct pw_cidr *ret)
{
	const char *s;
	char q[80];
	int r = pw_dstring(c, j, &s);

	if (r != 0)
		return r;
	if (parse_cidr(s, ret) != 0)
		return pw_dctx_fail(c, "'%s' is not a CIDR", pw_dctx_quote(q, sizeof(q), s));
	return 0;
}

static void
cidr_format(const struct pw_cidr *cidr, char *buf, size_t size)
{
	char addr[INET6_ADDRSTRLEN];

	if (inet_ntop(cidr->family == 4 ? AF_INET : AF_INET6, cidr->addr.b, addr, sizeof(addr)) ==
		NULL)
		snprintf(addr, sizeof(addr), "?");
	snprintf(buf, size, "%s/%u", addr, cidr->prefix);
}

static int
decode_ipblock(struct pw_dctx *c, const json_t *j, struct pw_peer *peer)
{
	const json_t *cidr, *except;
	size_t saved, base, i;
	int r;

	r = pw_dget(c, j, "cidr", JSON_STRING, &cidr);
	if (r == 0)
		r = pw_dget(c, j, "except", JSON_ARRAY, &except);
	if (r != 0)
		return r;
	saved = pw_dctx_push(c, "cidr");
	if (cidr == NULL)
		return pw_dctx_fail(c, "required");
	r = cidr_member(c, cidr, &peer->cidr);
	if (r != 0)
		return r;
	pw_dctx_pop(c, saved);
	if (except == NULL || json_array_size(except) == 0)
		return 0;

	saved = pw_dctx_push(c, "except");
	r = pw_dcheck_len(c, except);
	if (r != 0)
		return r;
	peer->except = calloc(json_array_size(except), sizeof(*peer->except));
	if (peer->except == NULL)
		return -ENOMEM;
	peer->nb_except = (unsigned int)json_array_size(except);
	for (i = 0; i < peer->nb_except; i++) {
		struct pw_cidr *e = &peer->except[i];
		struct pw_ip first;
		char qe[64], qc[64];

		base = pw_dctx_push_index(c, i);
		r = cidr_member(c, json_array_get(except, i), e);
		if (r != 0)
			return r;
		/* Each except is a strict subset of cidr, of the same family (validation.go). */
		first.family = e->family;
		first.addr = e->addr;
		if (e->family != peer->cidr.family || e->prefix <= peer->cidr.prefix ||
			!pw_cidr_contains(&peer->cidr, &first)) {
			cidr_format(e, qe, sizeof(qe));
			cidr_format(&peer->cidr, qc, sizeof(qc));
			return pw_dctx_fail(c, "'%s' is not strictly inside cidr '%s'", qe, qc);
		}
		pw_dctx_pop(c, base);
	}
	pw_dctx_pop(c, saved);
	return 0;
}

/* One element of from/to (the path names it). */
static int
decode_peer(struct pw_dctx *c, const json_t *j, struct pw_peer *peer)
{
	const json_t *pod_sel, *ns_sel, *ipblock;
	size_t saved;
	int r;

	if (!json_is_object(j))
		return pw_dctx_fail(c, "must be an object");
	r = pw_dget(c, j, "podSelector", JSON_OBJECT, &pod_sel);
	if (r == 0)
		r = pw_dget(c, j, "namespaceSelector", JSON_OBJECT, &ns_sel);
	if (r == 0)
		r = pw_dget(c, j, "ipBlock", JSON_OBJECT, &ipblock);
	if (r != 0)
		return r;
	/* A peer sets a selector (one or both), or an ipBlock alone; {} is invalid. */
	if (pod_sel == NULL && ns_sel == NULL && ipblock == NULL)
		return pw_dctx_fail(c, "must specify podSelector, namespaceSelector or ipBlock");
	if (ipblock != NULL && (pod_sel != NULL || ns_sel != NULL))
		return pw_dctx_fail(
			c, "ipBlock may not be combined with podSelector or namespaceSelector");
	if (ipblock != NULL) {
		peer->kind = PW_PEER_IPBLOCK;
		saved = pw_dctx_push(c, "ipBlock");
		r = decode_ipblock(c, ipblock, peer);
		if (r != 0)
			return r;
		pw_dctx_pop(c, saved);
		return 0;
	}
	peer->kind = PW_PEER_PODS;
	if (pod_sel != NULL) {
		peer->has_pod_selector = true;
		saved = pw_dctx_push(c, "podSelector");
		r = pw_decode_selector(c, pod_sel, &peer->pod_selector);
		if (r != 0)
			return r;
		pw_dctx_pop(c, saved);
	}
	if (ns_sel != NULL) {
		peer->has_ns_selector = true;
		saved = pw_dctx_push(c, "namespaceSelector");
		r = pw_decode_selector(c, ns_sel, &peer->ns_selector);
		if (r != 0)
			return r;
		pw_dctx_pop(c, saved);
	}
	return 0;
}

static int
parse_proto(struct pw_dctx *c, const json_t *proto, uint8_t *ret)
{
	const char *s;
	char q[80];

	/* Defaulted to TCP (SetDefaults_NetworkPolicyPort). */
	*ret = PW_IPPROTO_TCP;
	if (proto == NULL)
		return 0;
	s = json_string_value(proto);
	if (strcmp(s, "TCP") == 0)
		*ret = PW_IPPROTO_TCP;
	else if (strcmp(s, "UDP") == 0)
		*ret = PW_IPPROTO_UDP;
	else if (strcmp(s, "SCTP") == 0)
		*ret = PW_IPPROTO_SCTP;
	else {
		pw_dctx_push(c, "protocol");
		return pw_dctx_fail(
			c, "'%s' is not TCP, UDP or SCTP", pw_dctx_quote(q, sizeof(q), s));
	}
	return 0;
}

/* One element of ports (the path names it). */
static int
decode_np_port(struct pw_dctx *c, const json_t *j, struct pw_np_port *port)
{
	const json_t *proto, *end, *num;
	const char *s;
	char q[80];
	json_int_t n, e;
	size_t saved;
	int r;

	if (!json_is_object(j))
		return pw_dctx_fail(c, "must be an object");
	r = pw_dget(c, j, "protocol", JSON_STRING, &proto);
	if (r == 0)
		r = pw_dget(c, j, "endPort", JSON_INTEGER, &end);
	if (r == 0)
		r = parse_proto(c, proto, &port->proto);
	if (r != 0)
		return r;
	num = json_object_get(j, "port");
	if (json_is_null(num))
		num = NULL;

	if (num == NULL) {
		/* No port: every port of the protocol. */
		port->kind = PW_NP_PORT_ANY;
		if (end != NULL) {
			pw_dctx_push(c, "endPort");
			return pw_dctx_fail(c, "may not be specified when port is not");
		}
		return 0;
	}
	if (json_is_integer(num)) {
		n = json_integer_value(num);
		if (n < 1 || n > 65535) {
			pw_dctx_push(c, "port");
			return pw_dctx_fail(
				c, "%" JSON_INTEGER_FORMAT " is not between 1 and 65535", n);
		}
		port->kind = PW_NP_PORT_NUMBER;
		port->port = (uint16_t)n;
		port->end_port = (uint16_t)n;
		if (end != NULL) {
			/* endPort: a range port..endPort, both included. */
			e = json_integer_value(end);
			pw_dctx_push(c, "endPort");
			if (e < n)
				return pw_dctx_fail(c,
					"%" JSON_INTEGER_FORMAT
					" must be greater than or equal to port",
					e);
			if (e > 65535)
				return pw_dctx_fail(
					c, "%" JSON_INTEGER_FORMAT " is above 65535", e);
			port->end_port = (uint16_t)e;
		}
		return 0;
	}
	saved = pw_dctx_push(c, "port");
	if (!json_is_string(num))
		return pw_dctx_fail(c, "must be an integer or a string");
	r = pw_dstring(c, num, &s);
	if (r != 0)
		return r;
	/* A name (IANA_SVC_NAME); "80" as a string is neither a name nor a number. */
	if (!pw_valid_port_name(s))
		return pw_dctx_fail(
			c, "'%s' is not a valid port name", pw_dctx_quote(q, sizeof(q), s));
	pw_dctx_pop(c, saved);
	if (end != NULL) {
		pw_dctx_push(c, "endPort");
		return pw_dctx_fail(c, "may not be specified when port is non-numeric");
	}
	port->kind = PW_NP_PORT_NAMED;
	port->name = strdup(s);
	return port->name == NULL ? -ENOMEM : 0;
}

/* One ingress or egress rule (the path names it); @p peers_field is "from" or "to". */
static int
decode_rule(struct pw_dctx *c, const json_t *j, const char *peers_field, struct pw_np_rule *rule)
{
	const json_t *peers, *ports;
	size_t saved, base, i;
	int r;

	if (!json_is_object(j))
		return pw_dctx_fail(c, "must be an object");
	r = pw_dget(c, j, peers_field, JSON_ARRAY, &peers);
	if (r == 0)
		r = pw_dget(c, j, "ports", JSON_ARRAY, &ports);
	if (r != 0)
		return r;

	/* An absent or empty from/to matches every peer: nb_peers stays 0. */
	if (peers != NULL && json_array_size(peers) > 0) {
		saved = pw_dctx_push(c, peers_field);
		r = pw_dcheck_len(c, peers);
		if (r != 0)
			return r;
		rule->peers = calloc(json_array_size(peers), sizeof(*rule->peers));
		if (rule->peers == NULL)
			return -ENOMEM;
		rule->nb_peers = (unsigned int)json_array_size(peers);
		for (i = 0; i < rule->nb_peers; i++) {
			base = pw_dctx_push_index(c, i);
			r = decode_peer(c, json_array_get(peers, i), &rule->peers[i]);
			if (r != 0)
				return r;
			pw_dctx_pop(c, base);
		}
		pw_dctx_pop(c, saved);
	}

	/* Absent or empty ports: every port and protocol, so nb_ports stays 0. */
	if (ports != NULL && json_array_size(ports) > 0) {
		saved = pw_dctx_push(c, "ports");
		r = pw_dcheck_len(c, ports);
		if (r != 0)
			return r;
		rule->ports = calloc(json_array_size(ports), sizeof(*rule->ports));
		if (rule->ports == NULL)
			return -ENOMEM;
		rule->nb_ports = (unsigned int)json_array_size(ports);
		for (i = 0; i < rule->nb_ports; i++) {
			base = pw_dctx_push_index(c, i);
			r = decode_np_port(c, json_array_get(ports, i), &rule->ports[i]);
			if (r != 0)
				return r;
			pw_dctx_pop(c, base);
		}
		pw_dctx_pop(c, saved);
	}
	return 0;
}

static int
decode_rules(struct pw_dctx *c, const json_t *arr, const char *field, const char *peers_field,
	struct pw_np_rule **ret, unsigned int *ret_nb)
{
	size_t saved, base, i;
	int r;

	if (arr == NULL || json_array_size(arr) == 0)
		return 0;
	saved = pw_dctx_push(c, field);
	r = pw_dcheck_len(c, arr);
	if (r != 0)
		return r;
	/* Zeroed and counted up front, so that pw_policy_free() can undo a partial decode. */
	*ret = calloc(json_array_size(arr), sizeof(**ret));
	if (*ret == NULL)
		return -ENOMEM;
	*ret_nb = (unsigned int)json_array_size(arr);
	for (i = 0; i < *ret_nb; i++) {
		base = pw_dctx_push_index(c, i);
		r = decode_rule(c, json_array_get(arr, i), peers_field, &(*ret)[i]);
		if (r != 0)
			return r;
		pw_dctx_pop(c, base);
	}
	pw_dctx_pop(c, saved);
	return 0;
}

static int
decode_policy_types(
	struct pw_dctx *c, const json_t *types, const json_t *egress, struct pw_policy *pol)
{
	size_t saved, base, i;
	char q[80];

	/*
	 * Without policyTypes (absent or empty), a policy is for Ingress, plus Egress when it
	 * has egress rules. As in kube-apiserver (len(spec.Egress) != 0), "egress: []" is no
	 * egress rule: write policyTypes [Egress] to deny all egress.
	 */
	if (types == NULL || json_array_size(types) == 0) {
		pol->isolates_ingress = true;
		pol->isolates_egress = json_array_size(egress) > 0;
		return 0;
	}
	saved = pw_dctx_push(c, "policyTypes");
	base = c->path_len;
	for (i = 0; i < json_array_size(types); i++) {
		const char *s = json_string_value(json_array_get(types, i));
		bool *flag;

		pw_dctx_push_index(c, i);
		if (s == NULL)
			return pw_dctx_fail(c, "must be a string");
		if (strcmp(s, "Ingress") == 0)
			flag = &pol->isolates_ingress;
		else if (strcmp(s, "Egress") == 0)
			flag = &pol->isolates_egress;
		else
			return pw_dctx_fail(
				c, "'%s' is not Ingress or Egress", pw_dctx_quote(q, sizeof(q), s));
		if (*flag)
			return pw_dctx_fail(c, "'%s' is listed twice", s);
		*flag = true;
		pw_dctx_pop(c, base);
	}
	pw_dctx_pop(c, saved);
	return 0;
}

int
pw_decode_policy_spec(struct pw_dctx *c, const json_t *obj, struct pw_policy *pol)
{
	const json_t *spec, *sel, *types, *ingress, *egress;
	size_t saved;
	int r;

	r = pw_dget(c, obj, "spec", JSON_OBJECT, &spec);
	if (r != 0)
		return r;
	if (spec == NULL) {
		pw_dctx_push(c, "spec");
		return pw_dctx_fail(c, "required");
	}
	pw_dctx_push(c, "spec");
	r = pw_dget(c, spec, "podSelector", JSON_OBJECT, &sel);
	if (r == 0)
		r = pw_dget(c, spec, "policyTypes", JSON_ARRAY, &types);
	if (r == 0)
		r = pw_dget(c, spec, "ingress", JSON_ARRAY, &ingress);
	if (r == 0)
		r = pw_dget(c, spec, "egress", JSON_ARRAY, &egress);
	if (r != 0)
		return r;

	/* podSelector is required; {} selects every pod of the namespace. */
	saved = pw_dctx_push(c, "podSelector");
	if (sel == NULL)
		return pw_dctx_fail(c, "required");
	r = pw_decode_selector(c, sel, &pol->pod_selector);
	if (r != 0)
		return r;
	pw_dctx_pop(c, saved);

	r = decode_policy_types(c, types, egress, pol);
	if (r == 0)
		r = decode_rules(c, ingress, "ingress", "from", &pol->ingress, &pol->nb_ingress);
	if (r == 0)
		r = decode_rules(c, egress, "egress", "to", &pol->egress, &pol->nb_egress);
	return r;
}
