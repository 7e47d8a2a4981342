/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes decoder: valid objects of each kind decode to the expected fields
 * (policyTypes defaulting included), and each class of invalid object is refused with
 * -EINVAL and a message naming the object and the exact field path.
 *
 * Manifests are written with single quotes for readability; j() turns them into JSON.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "control/model/decode.h"

/* Parse a single-quoted manifest; fails the test on a JSON syntax error. */
static json_t *
j(const char *text)
{
	char *s = strdup(text);
	json_error_t jerr;
	json_t *v;
	char *p;

	assert_non_null(s);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	v = json_loads(s, 0, &jerr);
	if (v == NULL)
		fail_msg("bad test JSON: %s: %s", jerr.text, s);
	free(s);
	return v;
}

static int
decode(const char *text, struct pw_k8s_obj *obj, char *err, size_t err_len)
{
	json_t *v = j(text);
	int r = pw_k8s_decode(v, "prod", obj, err, err_len);

	json_decref(v);
	return r;
}

#define POLICY_HEAD                         \
	"{'apiVersion':'networking.k8s.io/" \
	"v1','kind':'NetworkPolicy','metadata':{'name':'web','namespace':'prod'},"

static void
assert_ip(const struct pw_ip *ip, const char *text)
{
	uint8_t b[16] = { 0 };
	int family = strchr(text, ':') != NULL ? 6 : 4;

	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, text, b), 1);
	assert_int_equal(ip->family, family);
	assert_memory_equal(ip->addr.b, b, 16);
}

static void
test_namespace(void **state)
{
	struct pw_k8s_obj o;
	char err[256];

	(void)state;
	assert_int_equal(decode("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'prod',"
				"'namespace':'ignored','labels':{'team':'a',"
				"'kubernetes.io/metadata.name':'spoofed','app.io/tier':''}}}",
				 &o, err, sizeof(err)),
		0);
	assert_int_equal(o.kind, PW_KIND_NAMESPACE);
	assert_non_null(o.ns);
	assert_null(o.pod);
	assert_string_equal(o.ns->name, "prod");
	/* The API server's label wins over the user's, and labels come sorted by key. */
	assert_int_equal(o.ns->labels.nb, 3);
	assert_string_equal(o.ns->labels.items[0].key, "app.io/tier");
	assert_string_equal(o.ns->labels.items[0].value, "");
	assert_string_equal(o.ns->labels.items[1].key, PW_NS_NAME_LABEL);
	assert_string_equal(pw_labels_get(&o.ns->labels, PW_NS_NAME_LABEL), "prod");
	assert_string_equal(pw_labels_get(&o.ns->labels, "team"), "a");
	pw_k8s_obj_free(&o);

	/* No labels at all: just the name label. */
	assert_int_equal(decode("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'dev'}}",
				 &o, err, sizeof(err)),
		0);
	assert_int_equal(o.ns->labels.nb, 1);
	assert_string_equal(pw_labels_get(&o.ns->labels, PW_NS_NAME_LABEL), "dev");
	pw_k8s_obj_free(&o);
}

static void
test_pod(void **state)
{
	struct pw_k8s_obj o;
	char err[256];

	(void)state;
	assert_int_equal(
		decode("{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api-0','labels':"
		       "{'app':'api'}},'spec':{'nodeName':'node-1','initContainers':[{'ports':"
		       "[{'name':'init','containerPort':1}]}],'containers':[{'name':'a','ports':["
		       "{'name':'http','containerPort':8080},{'containerPort':53,'protocol':'UDP'}]"
		       "},"
		       "{'name':'b'},{'name':'c','ports':[{'name':'sctp-x','containerPort':9,"
		       "'protocol':'SCTP'}]}]},'status':{'phase':'Running','podIP':'10.1.0.5',"
		       "'podIPs':[{'ip':'10.1.0.5'},{'ip':'fd00::5'}]}}",
			&o, err, sizeof(err)),
		0);
	assert_int_equal(o.kind, PW_KIND_POD);
	/* metadata.namespace absent: the default namespace given to the decoder. */
	assert_string_equal(o.pod->ns, "prod");
	assert_string_equal(o.pod->name, "api-0");
	assert_string_equal(o.pod->node, "node-1");
	assert_string_equal(pw_labels_get(&o.pod->labels, "app"), "api");
	assert_true(o.pod->endpoint);
	assert_int_equal(o.pod->nb_ips, 2);
	assert_ip(&o.pod->ips[0], "10.1.0.5");
	assert_ip(&o.pod->ips[1], "fd00::5");
	/* initContainers' ports are not the pod's. */
	assert_int_equal(o.pod->nb_ports, 3);
	assert_string_equal(o.pod->ports[0].name, "http");
	assert_int_equal(o.pod->ports[0].port, 8080);
	assert_int_equal(o.pod->ports[0].proto, PW_IPPROTO_TCP);
	assert_null(o.pod->ports[1].name);
	assert_int_equal(o.pod->ports[1].proto, PW_IPPROTO_UDP);
	assert_int_equal(o.pod->ports[2].proto, PW_IPPROTO_SCTP);
	pw_k8s_obj_free(&o);
}

static void
test_pod_endpoint(void **state)
{
	static const struct {
		const char *status_spec;
		bool endpoint;
		unsigned int nb_ips;
	} cases[] = {
		{ "'status':{'phase':'Running','podIP':'10.0.0.1'}", true, 1 },
		{ "'status':{'phase':'Pending'}", false, 0 },
		{ "'status':{'phase':'Succeeded','podIP':'10.0.0.1'}", false, 1 },
		{ "'status':{'phase':'Failed','podIPs':[{'ip':'10.0.0.1'}]}", false, 1 },
		{ "'status':{'podIPs':[{'ip':'fd00::1'}]}", true, 1 },
		{ "'spec':{'hostNetwork':true},'status':{'podIP':'192.168.0.1'}", false, 1 },
		{ "'spec':{'hostNetwork':false},'status':{'podIP':'192.168.0.1'}", true, 1 },
		{ "'status':null", false, 0 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], err[256];
		struct pw_k8s_obj o;

		snprintf(text, sizeof(text),
			"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},%s}",
			cases[i].status_spec);
		assert_int_equal(decode(text, &o, err, sizeof(err)), 0);
		assert_int_equal(o.pod->endpoint, cases[i].endpoint);
		assert_int_equal(o.pod->nb_ips, cases[i].nb_ips);
		pw_k8s_obj_free(&o);
	}
}

static void
test_policy(void **state)
{
	struct pw_k8s_obj o;
	const struct pw_policy *p;
	const struct pw_peer *peer;
	char err[256];

	(void)state;
	assert_int_equal(
		decode(POLICY_HEAD
			"'spec':{'podSelector':{'matchLabels':{'app':'web'},'matchExpressions':["
			"{'key':'tier','operator':'NotIn','values':['a','b']},"
			"{'key':'x','operator':'Exists'}]},"
			"'ingress':[{'from':[{'podSelector':{}},{'namespaceSelector':{'matchLabels'"
			":"
			"{'team':'a'}},'podSelector':{'matchLabels':{'role':'db'}}},"
			"{'ipBlock':{'cidr':'10.0.0.1/8','except':['10.1.0.0/16']}}],"
			"'ports':[{'port':80},{'protocol':'UDP','port':1000,'endPort':2000},"
			"{'port':'http'},{'protocol':'SCTP'}]},{}],"
			"'egress':[{'to':[{'ipBlock':{'cidr':'fd00::/8'}}]}]}}",
			&o, err, sizeof(err)),
		0);
	assert_int_equal(o.kind, PW_KIND_POLICY);
	p = o.policy;
	assert_string_equal(p->ns, "prod");
	assert_string_equal(p->name, "web");
	/* matchLabels first (as In), then matchExpressions in order. */
	assert_int_equal(p->pod_selector.nb_reqs, 3);
	assert_string_equal(p->pod_selector.reqs[0].key, "app");
	assert_int_equal(p->pod_selector.reqs[0].op, PW_SEL_IN);
	assert_int_equal(p->pod_selector.reqs[0].nb_values, 1);
	assert_string_equal(p->pod_selector.reqs[0].values[0], "web");
	assert_int_equal(p->pod_selector.reqs[1].op, PW_SEL_NOT_IN);
	assert_int_equal(p->pod_selector.reqs[1].nb_values, 2);
	assert_string_equal(p->pod_selector.reqs[1].values[1], "b");
	assert_int_equal(p->pod_selector.reqs[2].op, PW_SEL_EXISTS);
	assert_int_equal(p->pod_selector.reqs[2].nb_values, 0);
	/* policyTypes absent, egress rules present: both directions. */
	assert_true(p->isolates_ingress);
	assert_true(p->isolates_egress);

	assert_int_equal(p->nb_ingress, 2);
	assert_int_equal(p->ingress[0].nb_peers, 3);
	peer = &p->ingress[0].peers[0];
	assert_int_equal(peer->kind, PW_PEER_PODS);
	assert_true(peer->has_pod_selector);
	assert_false(peer->has_ns_selector);
	assert_int_equal(peer->pod_selector.nb_reqs, 0);
	peer = &p->ingress[0].peers[1];
	assert_true(peer->has_pod_selector);
	assert_true(peer->has_ns_selector);
	assert_string_equal(peer->ns_selector.reqs[0].key, "team");
	assert_string_equal(peer->pod_selector.reqs[0].values[0], "db");
	peer = &p->ingress[0].peers[2];
	assert_int_equal(peer->kind, PW_PEER_IPBLOCK);
	/* Host bits are zeroed, as kube-apiserver's ParseCIDR does. */
	assert_int_equal(peer->cidr.family, 4);
	assert_int_equal(peer->cidr.prefix, 8);
	assert_int_equal(peer->cidr.addr.v4, htonl(0x0a000000));
	assert_int_equal(peer->nb_except, 1);
	assert_int_equal(peer->except[0].prefix, 16);
	assert_int_equal(peer->except[0].addr.v4, htonl(0x0a010000));

	assert_int_equal(p->ingress[0].nb_ports, 4);
	assert_int_equal(p->ingress[0].ports[0].proto, PW_IPPROTO_TCP);
	assert_int_equal(p->ingress[0].ports[0].kind, PW_NP_PORT_NUMBER);
	assert_int_equal(p->ingress[0].ports[0].port, 80);
	assert_int_equal(p->ingress[0].ports[0].end_port, 80);
	assert_int_equal(p->ingress[0].ports[1].proto, PW_IPPROTO_UDP);
	assert_int_equal(p->ingress[0].ports[1].port, 1000);
	assert_int_equal(p->ingress[0].ports[1].end_port, 2000);
	assert_int_equal(p->ingress[0].ports[2].kind, PW_NP_PORT_NAMED);
	assert_string_equal(p->ingress[0].ports[2].name, "http");
	assert_int_equal(p->ingress[0].ports[3].kind, PW_NP_PORT_ANY);
	assert_int_equal(p->ingress[0].ports[3].proto, PW_IPPROTO_SCTP);
	/* The empty rule {}: every peer, every port. */
	assert_int_equal(p->ingress[1].nb_peers, 0);
	assert_int_equal(p->ingress[1].nb_ports, 0);

	assert_int_equal(p->nb_egress, 1);
	assert_int_equal(p->egress[0].peers[0].cidr.family, 6);
	assert_int_equal(p->egress[0].peers[0].cidr.prefix, 8);
	assert_int_equal(p->egress[0].peers[0].cidr.addr.b[0], 0xfd);
	pw_k8s_obj_free(&o);
}

static void
test_policy_types(void **state)
{
	static const struct {
		const char *spec;
		bool ingress;
		bool egress;
	} cases[] = {
		/* Absent: Ingress only... */
		{ "'podSelector':{}", true, false },
		{ "'podSelector':{},'ingress':[{}]", true, false },
		/* ...plus Egress when there are egress rules... */
		{ "'podSelector':{},'egress':[{}]", true, true },
		/* ...and "egress: []" has none (kube-apiserver: len(spec.Egress) != 0). */
		{ "'podSelector':{},'egress':[]", true, false },
		{ "'podSelector':{},'egress':null", true, false },
		/* An empty list is defaulted like an absent one. */
		{ "'podSelector':{},'policyTypes':[],'egress':[{}]", true, true },
		{ "'podSelector':{},'policyTypes':['Egress']", false, true },
		{ "'podSelector':{},'policyTypes':['Ingress'],'egress':[{}]", true, false },
		{ "'podSelector':{},'policyTypes':['Egress','Ingress']", true, true },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512], err[256];
		struct pw_k8s_obj o;

		snprintf(text, sizeof(text), POLICY_HEAD "'spec':{%s}}", cases[i].spec);
		assert_int_equal(decode(text, &o, err, sizeof(err)), 0);
		assert_int_equal(o.policy->isolates_ingress, cases[i].ingress);
		assert_int_equal(o.policy->isolates_egress, cases[i].egress);
		pw_k8s_obj_free(&o);
	}
}

/* One invalid object per row: the error code and the whole message. */
static const struct reject {
	const char *json;
	int rc;
	const char *msg;
} rejects[] = {
	/* bad CIDR */
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0/8'}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].from[0].ipBlock.cidr: '10.0.0/8' is not a "
		"CIDR" },
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'egress':[{'to':[{'ipBlock':{'cidr':'10.0.0.0/33'}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.egress[0].to[0].ipBlock.cidr: '10.0.0.0/33' is not a "
		"CIDR" },
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'egress':[{'to':[{'ipBlock':{'cidr':'10.0.0.0'}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.egress[0].to[0].ipBlock.cidr: '10.0.0.0' is not a "
		"CIDR" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'egress':[{'to':[{'ipBlock':{}}]}]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.egress[0].to[0].ipBlock.cidr: required" },
	/* except outside cidr, equal to it, or of the other family */
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/16',"
		"'except':['10.0.1.0/24','10.1.0.0/24']}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].from[0].ipBlock.except[1]: '10.1.0.0/24' "
		"is not strictly inside cidr '10.0.0.0/16'" },
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/16',"
		"'except':['10.0.0.0/16']}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].from[0].ipBlock.except[0]: '10.0.0.0/16' "
		"is not strictly inside cidr '10.0.0.0/16'" },
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/16',"
		"'except':['::/0']}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].from[0].ipBlock.except[0]: '::/0' is not "
		"strictly inside cidr '10.0.0.0/16'" },
	/* unknown protocol */
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'ports':[{'protocol':'ICMP'}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].protocol: 'ICMP' is not TCP, UDP "
		"or SCTP" },
	/* endPort without a numeric port */
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'ingress':[{'ports':[{'port':'http','endPort':90}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].endPort: may not be specified "
		"when port is non-numeric" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'ports':[{'endPort':90}]}]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].endPort: may not be specified "
		"when port is not" },
	/* endPort below port, or past 65535 */
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'ports':[{'port':80},{'port':80,"
		      "'endPort':79}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[1].endPort: 79 must be greater than "
		"or equal to port" },
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'ingress':[{'ports':[{'port':80,'endPort':65536}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].endPort: 65536 is above 65535" },
	/* port out of range, a numeric string, a bad name, a wrong type */
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'ports':[{'port':0}]}]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].port: 0 is not between 1 and "
		"65535" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'ports':[{'port':'80'}]}]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].port: '80' is not a valid port "
		"name" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'ports':[{'port':'web--http'}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].port: 'web--http' is not a valid "
		"port name" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'ports':[{'port':true}]}]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].ports[0].port: must be an integer or a "
		"string" },
	/* unknown selector operator, values on Exists, In without values, unknown field */
	{ POLICY_HEAD "'spec':{'podSelector':{'matchExpressions':[{'key':'a','operator':'Equals',"
		      "'values':['b']}]}}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.podSelector.matchExpressions[0].operator: 'Equals' "
		"is "
		"not a valid operator (In, NotIn, Exists, DoesNotExist)" },
	{ POLICY_HEAD "'spec':{'podSelector':{'matchExpressions':[{'key':'a','operator':'In',"
		      "'values':['b']},{'key':'a','operator':'Exists','values':['b']}]}}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.podSelector.matchExpressions[1].values: must be "
		"empty "
		"for Exists" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
		      "{'matchExpressions':[{'key':'a','operator':'In'}]}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].from[0].namespaceSelector."
		"matchExpressions[0].values: must be non-empty for In" },
	{ POLICY_HEAD "'spec':{'podSelector':{'matchExpressions':[{'key':'a','operator':'NotIn',"
		      "'values':[]}]}}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.podSelector.matchExpressions[0].values: must be "
		"non-empty for NotIn" },
	{ POLICY_HEAD "'spec':{'podSelector':{'matchLabel':{'a':'b'}}}}", -EINVAL,
		"NetworkPolicy prod/web: spec.podSelector: unknown field 'matchLabel'" },
	{ POLICY_HEAD "'spec':{'podSelector':{'matchExpressions':[{'operator':'Exists'}]}}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.podSelector.matchExpressions[0].key: required" },
	{ POLICY_HEAD "'spec':{'podSelector':{'matchLabels':{'app':1}}}}", -EINVAL,
		"NetworkPolicy prod/web: spec.podSelector.matchLabels: the value of 'app' must be "
		"a "
		"string" },
	/* peer with ipBlock and a selector; empty peer */
	{ POLICY_HEAD
		"'spec':{'podSelector':{},'ingress':[{'from':[{'ipBlock':{'cidr':'10.0.0.0/8'},"
		"'podSelector':{}}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.ingress[0].from[0]: ipBlock may not be combined with "
		"podSelector or namespaceSelector" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'egress':[{'to':[{'podSelector':{}},{}]}]}}",
		-EINVAL,
		"NetworkPolicy prod/web: spec.egress[0].to[1]: must specify podSelector, "
		"namespaceSelector or ipBlock" },
	/* missing podSelector or spec; policyTypes */
	{ POLICY_HEAD "'spec':{'ingress':[]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.podSelector: required" },
	{ POLICY_HEAD "'spec':{'podSelector':null}}", -EINVAL,
		"NetworkPolicy prod/web: spec.podSelector: required" },
	{ POLICY_HEAD "'spec':null}", -EINVAL, "NetworkPolicy prod/web: spec: required" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'policyTypes':['Ingress','ingress']}}", -EINVAL,
		"NetworkPolicy prod/web: spec.policyTypes[1]: 'ingress' is not Ingress or Egress" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'policyTypes':['Egress','Egress']}}", -EINVAL,
		"NetworkPolicy prod/web: spec.policyTypes[1]: 'Egress' is listed twice" },
	/* known fields of the wrong type */
	{ POLICY_HEAD "'spec':{'podSelector':{},'ingress':{}}}", -EINVAL,
		"NetworkPolicy prod/web: spec.ingress: must be a list" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'egress':[{'to':'all'}]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.egress[0].to: must be a list" },
	{ POLICY_HEAD "'spec':{'podSelector':{},'egress':[7]}}", -EINVAL,
		"NetworkPolicy prod/web: spec.egress[0]: must be an object" },
	/* missing or bad name */
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'namespace':'prod'}}", -EINVAL,
		"Pod prod/?: metadata.name: required" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'Api_0'}}", -EINVAL,
		"Pod prod/Api_0: metadata.name: 'Api_0' is not a valid name (RFC 1123)" },
	{ "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'a.b'}}", -EINVAL,
		"Namespace a.b: metadata.name: 'a.b' is not a valid name (RFC 1123)" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'a','namespace':'Prod'}}", -EINVAL,
		"Pod Prod/a: metadata.namespace: 'Prod' is not a valid namespace name (RFC 1123 "
		"label)" },
	{ "{'apiVersion':'v1','kind':'Pod'}", -EINVAL, "Pod prod/?: metadata: required" },
	/* bad IPs in podIPs / podIP; two of one family */
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api','namespace':'prod'},"
	  "'status':{'podIPs':[{'ip':'10.0.0.1'},{'ip':'10.0.0.300'}]}}",
		-EINVAL, "Pod prod/api: status.podIPs[1].ip: '10.0.0.300' is not an IP address" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api'},'status':{'podIP':'fe80::1%"
	  "eth0'}}",
		-EINVAL, "Pod prod/api: status.podIP: 'fe80::1%eth0' is not an IP address" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api'},'status':{'podIP':'10.0.0.2',"
	  "'podIPs':[{'ip':'10.0.0.1'}]}}",
		-EINVAL, "Pod prod/api: status.podIP: '10.0.0.2' is a second IPv4 address" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api'},'status':{'podIPs':[{}]}}",
		-EINVAL, "Pod prod/api: status.podIPs[0].ip: required" },
	/* container ports */
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api'},'spec':{'containers':[{},"
	  "{'ports':[{'containerPort':70000}]}]}}",
		-EINVAL,
		"Pod prod/api: spec.containers[1].ports[0].containerPort: 70000 is not between 1 "
		"and 65535" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api'},'spec':{'containers':[{'ports'"
	  ":"
	  "[{'containerPort':80,'protocol':'tcp'}]}]}}",
		-EINVAL,
		"Pod prod/api: spec.containers[0].ports[0].protocol: 'tcp' is not TCP, UDP or "
		"SCTP" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api'},'spec':{'containers':[{'ports'"
	  ":"
	  "[{'containerPort':80,'name':'HTTP'}]}]}}",
		-EINVAL,
		"Pod prod/api: spec.containers[0].ports[0].name: 'HTTP' is not a valid port name" },
	/* bad labels */
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api','labels':{'bad key':'x'}}}",
		-EINVAL, "Pod prod/api: metadata.labels: 'bad key' is not a valid label key" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api','labels':{'a':'-x'}}}", -EINVAL,
		"Pod prod/api: metadata.labels: '-x' is not a valid value for label 'a'" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api','labels':{'a/b/c':'x'}}}",
		-EINVAL, "Pod prod/api: metadata.labels: 'a/b/c' is not a valid label key" },
	{ "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'api','labels':{'Ex.com/b':'x'}}}",
		-EINVAL, "Pod prod/api: metadata.labels: 'Ex.com/b' is not a valid label key" },
	{ "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'n','labels':{'a':true}}}",
		-EINVAL, "Namespace n: metadata.labels: the value of 'a' must be a string" },
	{ "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'n','labels':['a']}}", -EINVAL,
		"Namespace n: metadata.labels: must be an object" },
	/* kinds and versions podwall does not read, and envelopes that are not objects */
	{ "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web',"
	  "'namespace':'default'}}",
		-ENOTSUP, "Deployment default/web: kind not used by podwall" },
	{ "{'apiVersion':'networking.k8s.io/v1beta1','kind':'NetworkPolicy','metadata':"
	  "{'name':'web'}}",
		-ENOTSUP,
		"NetworkPolicy prod/web: apiVersion: 'networking.k8s.io/v1beta1' not used by "
		"podwall (want networking.k8s.io/v1)" },
	{ "{'apiVersion':'v1','metadata':{'name':'web'}}", -EINVAL, "object web: kind: required" },
	{ "{'kind':'Pod','metadata':{'name':'web'}}", -EINVAL,
		"Pod prod/web: apiVersion: required" },
	{ "[1,2]", -EINVAL, "object ?: not a JSON object" },
};

static void
test_rejects(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		struct pw_k8s_obj o;
		char err[512];
		int rc;

		rc = decode(rejects[i].json, &o, err, sizeof(err));
		if (rc != rejects[i].rc || strcmp(err, rejects[i].msg) != 0)
			fail_msg("row %u: rc %d, message\n  got:  %s\n  want: %s", i, rc, err,
				rejects[i].msg);
		/* Nothing is handed out on failure. */
		assert_null(o.ns);
		assert_null(o.pod);
		assert_null(o.policy);
	}
}

static void
test_small_err_buffer(void **state)
{
	struct pw_k8s_obj o;
	char err[8];

	(void)state;
	/* A short buffer truncates the message; a NULL one is allowed. */
	assert_int_equal(
		decode("{'kind':'Pod','metadata':{'name':'web'}}", &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Pod pro");
	assert_int_equal(decode("{'kind':'Pod','metadata':{'name':'web'}}", &o, NULL, 0), -EINVAL);
}

static void
test_nul_in_string(void **state)
{
	json_t *v = json_pack("{s:s, s:s, s:{s:s%}}", "apiVersion", "v1", "kind", "Pod", "metadata",
		"name", "a\0b", (size_t)3);
	struct pw_k8s_obj o;
	char err[256];

	(void)state;
	assert_non_null(v);
	assert_int_equal(pw_k8s_decode(v, NULL, &o, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "Pod default/a: metadata.name: contains a NUL character");
	json_decref(v);
}

static void
test_ref_of(void **state)
{
	struct pw_k8s_ref ref;
	json_t *v;

	(void)state;
	v = j("{'kind':'Deployment','metadata':{'name':'web','namespace':'shop'}}");
	pw_k8s_ref_of(v, NULL, &ref);
	assert_string_equal(ref.kind, "Deployment");
	assert_string_equal(ref.ns, "shop");
	assert_string_equal(ref.name, "web");
	json_decref(v);

	v = j("{'kind':'Pod','metadata':{'name':'web'}}");
	pw_k8s_ref_of(v, "dev", &ref);
	assert_string_equal(ref.ns, "dev");
	json_decref(v);

	/* Cluster-scoped: no namespace even when the object carries one. */
	v = j("{'kind':'Namespace','metadata':{'name':'dev','namespace':'x'}}");
	pw_k8s_ref_of(v, NULL, &ref);
	assert_string_equal(ref.ns, "");
	assert_string_equal(ref.name, "dev");
	json_decref(v);

	v = j("[]");
	pw_k8s_ref_of(v, NULL, &ref);
	assert_string_equal(ref.kind, "");
	assert_string_equal(ref.name, "");
	json_decref(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespace),
		cmocka_unit_test(test_pod),
		cmocka_unit_test(test_pod_endpoint),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_policy_types),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_small_err_buffer),
		cmocka_unit_test(test_nul_in_string),
		cmocka_unit_test(test_ref_of),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
