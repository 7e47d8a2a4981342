/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The reference evaluator against the NetworkPolicy semantics of DESIGN.md and the
 * Kubernetes documentation. Each scenario is a small cluster (written as manifests, decoded
 * by the real decoder) plus policies, and a list of flows with the expected reason in each
 * direction; each rule of the semantics is exercised at least once both ways.
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
#include "control/model/refeval.h"
#include "tests/lib/model_load.h"

#define TCP PW_IPPROTO_TCP
#define UDP PW_IPPROTO_UDP
#define SCTP PW_IPPROTO_SCTP
#define ICMP PW_IPPROTO_ICMP
#define ICMP6 PW_IPPROTO_ICMPV6

/* Expected reason per direction: not enforced, not isolated, allowed, isolated + no rule. */
#define NE PW_DIR_NOT_ENFORCED
#define NI PW_DIR_NOT_ISOLATED
#define AL PW_DIR_ALLOWED
#define NR PW_DIR_NO_RULE

/*
 * The cluster every scenario starts from. Nodes: n1 is "this node", n2 another one.
 * Namespace "ops" has pods but no Namespace object (its labels fall back to the name label).
 */
#define POD(ns, name, node, labels, ips, ports, phase)                                        \
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'" name "','namespace':'" ns "'," \
	"'labels':{" labels "}},'spec':{'nodeName':'" node "','containers':[{'ports':[" ports \
	"]}]},'status':{'phase':'" phase "','podIPs':[" ips "]}}"

static const char *const base_cluster[] = {
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'prod','labels':"
	"{'team':'a','env':'prod'}}}",
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'dev','labels':"
	"{'team':'b','env':'dev'}}}",
	POD("prod", "web", "n1", "'app':'web'", "{'ip':'10.0.1.1'},{'ip':'fd00::1:1'}",
		"{'name':'http','containerPort':8080},{'name':'dns','containerPort':53,"
		"'protocol':'UDP'},{'name':'sig','containerPort':9000,'protocol':'SCTP'}",
		"Running"),
	POD("prod", "db", "n1", "'app':'db','role':'db'", "{'ip':'10.0.1.2'},{'ip':'fd00::1:2'}",
		"{'name':'pg','containerPort':5432}", "Running"),
	POD("prod", "cache", "n2", "'app':'cache'", "{'ip':'10.0.1.3'}",
		"{'name':'http','containerPort':9090}", "Running"),
	POD("prod", "job", "n1", "'app':'web'", "{'ip':'10.0.1.9'}", "", "Succeeded"),
	POD("prod", "pending", "n1", "'app':'web'", "", "", "Pending"),
	POD("dev", "web", "n1", "'app':'web'", "{'ip':'10.0.2.1'}", "", "Running"),
	POD("dev", "tool", "n1", "'app':'tool','tier':'x'", "{'ip':'10.0.2.2'}", "", "Running"),
	POD("ops", "mon", "n1", "'app':'mon'", "{'ip':'10.0.3.1'}", "", "Running"),
};

/* Flow endpoints by name. */
static const struct {
	const char *name;
	const char *ip;
} hosts[] = {
	{ "web", "10.0.1.1" },
	{ "web6", "fd00::1:1" },
	{ "db", "10.0.1.2" },
	{ "db6", "fd00::1:2" },
	{ "cache", "10.0.1.3" },
	{ "job", "10.0.1.9" },
	{ "devweb", "10.0.2.1" },
	{ "tool", "10.0.2.2" },
	{ "mon", "10.0.3.1" },
	{ "ext", "192.168.1.1" },
	{ "ext2", "192.168.2.1" },
	{ "ext6", "2001:db8::1" },
};

#define NP_IN(ns, name, spec)                                                                   \
	"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'" name \
	"','namespace':'" ns "'},'spec':" spec "}"
#define NP(name, spec) NP_IN("prod", name, spec)

struct flow_case {
	const char *src;
	const char *dst;
	uint8_t proto;
	uint16_t dport;
	enum pw_dir_reason egress;
	enum pw_dir_reason ingress;
};

struct scenario {
	const char *name;
	const char *node; /* NULL: every pod is local */
	const char *policies[4];
	struct flow_case flows[12];
};

static const struct scenario scenarios[] = {
	{ "default allow: no policy, nothing isolated", "n1", { NULL },
		{
			{ "web", "db", TCP, 5432, NI, NI },
			{ "ext", "web", UDP, 1, NE, NI },
			{ "web", "ext", ICMP, 0, NI, NE },
			{ "ext", "ext2", TCP, 80, NE, NE },
		} },
	{ "ingress isolation only isolates ingress", "n1",
		{ NP("db-deny",
			"{'podSelector':{'matchLabels':{'app':'db'}},"
			"'policyTypes':['Ingress']}") },
		{
			{ "web", "db", TCP, 5432, NI, NR },
			{ "db", "web", TCP, 8080, NI, NI },
			{ "db", "ext", TCP, 443, NI, NE },
			/* Another pod of the namespace is not selected. */
			{ "db", "web", TCP, 8080, NI, NI },
		} },
	{ "egress isolation only isolates egress", "n1",
		{ NP("web-deny-out",
			"{'podSelector':{'matchLabels':{'app':'web'}},"
			"'policyTypes':['Egress']}") },
		{
			{ "web", "db", TCP, 5432, NR, NI },
			{ "web", "ext", UDP, 53, NR, NE },
			{ "db", "web", TCP, 8080, NI, NI },
		} },
	{ "policyTypes absent, egress rules present: both directions", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'egress':[{'to':"
			"[{'podSelector':{'matchLabels':{'app':'db'}}}]}]}") },
		{
			{ "web", "db", TCP, 5432, AL, NI },
			{ "web", "ext", TCP, 443, NR, NE },
			/* Ingress is isolated too, with no ingress rule. */
			{ "db", "web", TCP, 8080, NI, NR },
		} },
	{ "policyTypes absent, no egress section: ingress only", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'from':"
			"[{'podSelector':{'matchLabels':{'app':'db'}}}]}]}") },
		{
			{ "web", "ext", TCP, 443, NI, NE },
			{ "db", "web", TCP, 8080, NI, AL },
			{ "tool", "web", TCP, 8080, NI, NR },
		} },
	{ "policyTypes absent, egress: [] is no egress rule (kube-apiserver defaulting)", "n1",
		{ NP("web", "{'podSelector':{'matchLabels':{'app':'web'}},'egress':[]}") },
		{
			{ "web", "ext", TCP, 443, NI, NE },
			{ "db", "web", TCP, 8080, NI, NR },
		} },
	{ "policyTypes [Egress] with ingress rules: ingress not isolated", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':['Egress'],"
			"'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'db'}}}]}]}") },
		{
			{ "tool", "web", TCP, 8080, NI, NI },
			{ "web", "db", TCP, 5432, NR, NI },
		} },
	{ "policies are additive", "n1",
		{ NP("a-deny-all", "{'podSelector':{},'policyTypes':['Ingress']}"),
			NP("b-from-web",
				"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':"
				"[{'from':[{'podSelector':{'matchLabels':{'app':'web'}}}]}]}"),
			NP("c-from-cache",
				"{'podSelector':{'matchLabels':{'role':'db'}},'ingress':"
				"[{'from':[{'podSelector':{'matchLabels':"
				"{'app':'cache'}}}]}]}") },
		{
			{ "web", "db", TCP, 5432, NI, AL },
			{ "cache", "db", TCP, 5432, NE, AL },
			{ "tool", "db", TCP, 5432, NI, NR },
			/* The deny-all still isolates web, which no other policy opens. */
			{ "db", "web", TCP, 8080, NI, NR },
		} },
	{ "a connection needs egress at the source and ingress at the destination", "n1",
		{ NP("web-out",
			  "{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':"
			  "['Egress'],'egress':[{'to':[{'podSelector':{'matchLabels':"
			  "{'app':'db'}}}],'ports':[{'port':5432}]}]}"),
			NP("db-in",
				"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
				"[{'podSelector':{'matchLabels':{'app':'cache'}}}]}]}") },
		{
			{ "web", "db", TCP, 5432, AL, NR },
			{ "cache", "db", TCP, 5432, NE, AL },
			{ "web", "cache", TCP, 5432, NR, NE },
		} },
	{ "podSelector alone: pods of the policy's namespace only", "n1",
		{ NP("db",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
			"[{'podSelector':{'matchLabels':{'app':'web'}}}]}]}") },
		{
			{ "web", "db", TCP, 5432, NI, AL },
			{ "web6", "db6", TCP, 5432, NI, AL },
			{ "devweb", "db", TCP, 5432, NI, NR },
			{ "ext", "db", TCP, 5432, NE, NR },
		} },
	{ "namespaceSelector alone: every pod of the matching namespaces", "n1",
		{ NP("db",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
			"[{'namespaceSelector':{'matchLabels':{'team':'b'}}}]}]}") },
		{
			{ "devweb", "db", TCP, 5432, NI, AL },
			{ "tool", "db", TCP, 5432, NI, AL },
			{ "web", "db", TCP, 5432, NI, NR },
			{ "mon", "db", TCP, 5432, NI, NR },
		} },
	{ "namespaceSelector and podSelector in one peer: AND", "n1",
		{ NP("db",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
			"[{'namespaceSelector':{'matchLabels':{'team':'b'}},'podSelector':"
			"{'matchLabels':{'app':'web'}}}]}]}") },
		{
			{ "devweb", "db", TCP, 5432, NI, AL },
			{ "tool", "db", TCP, 5432, NI, NR },
			{ "web", "db", TCP, 5432, NI, NR },
		} },
	{ "two peers: OR", "n1",
		{ NP("db",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
			"[{'namespaceSelector':{'matchLabels':{'team':'b'}}},{'podSelector':"
			"{'matchLabels':{'app':'web'}}}]}]}") },
		{
			{ "tool", "db", TCP, 5432, NI, AL },
			{ "web", "db", TCP, 5432, NI, AL },
			{ "devweb", "db", TCP, 5432, NI, AL },
			{ "mon", "db", TCP, 5432, NI, NR },
			{ "cache", "db", TCP, 5432, NE, NR },
		} },
	{ "namespaceSelector sees the name label of a namespace without an object", "n1",
		{ NP("db",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
			"[{'namespaceSelector':{'matchLabels':{'kubernetes.io/metadata.name':"
			"'ops'}}}]}]}") },
		{
			{ "mon", "db", TCP, 5432, NI, AL },
			{ "tool", "db", TCP, 5432, NI, NR },
		} },
	{ "empty selectors match all pods, never other addresses", "n1",
		{ NP("db",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
			"[{'namespaceSelector':{},'podSelector':{}}]}]}") },
		{
			{ "mon", "db", TCP, 5432, NI, AL },
			{ "web", "db", TCP, 5432, NI, AL },
			{ "ext", "db", TCP, 5432, NE, NR },
			/* A finished pod's IP is no pod any more. */
			{ "job", "db", TCP, 5432, NE, NR },
		} },
	{ "matchExpressions In, NotIn, Exists, DoesNotExist", "n1",
		{ NP("db",
			"{'podSelector':{'matchExpressions':[{'key':'role','operator':'Exists'}]},"
			"'ingress':[{'from':[{'namespaceSelector':{'matchExpressions':[{'key':"
			"'env','operator':'In','values':['dev','qa']}]},'podSelector':"
			"{'matchExpressions':[{'key':'tier','operator':'DoesNotExist'}]}},"
			"{'podSelector':{'matchExpressions':[{'key':'app','operator':'NotIn',"
			"'values':['web','db']}]}}]}]}") },
		{
			{ "devweb", "db", TCP, 5432, NI, AL },
			{ "tool", "db", TCP, 5432, NI, NR },
			{ "cache", "db", TCP, 5432, NE, AL },
			{ "web", "db", TCP, 5432, NI, NR },
			/* web has no role label: the policy does not select it. */
			{ "tool", "web", TCP, 8080, NI, NI },
		} },
	{ "ipBlock with except; pod IPs are addresses too", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':['Egress',"
			"'Ingress'],'egress':[{'to':[{'ipBlock':{'cidr':'192.168.0.0/16',"
			"'except':['192.168.1.0/24']}}]}],'ingress':[{'from':[{'ipBlock':"
			"{'cidr':'10.0.0.0/16','except':['10.0.2.2/32']}}]}]}") },
		{
			{ "web", "ext2", TCP, 443, AL, NE },
			{ "web", "ext", TCP, 443, NR, NE },
			{ "web", "ext6", TCP, 443, NR, NE },
			{ "db", "web", TCP, 8080, NI, AL },
			{ "devweb", "web", TCP, 8080, NI, AL },
			{ "tool", "web", TCP, 8080, NI, NR },
			{ "job", "web", TCP, 8080, NE, AL },
			{ "ext", "web", TCP, 8080, NE, NR },
		} },
	{ "ipBlock IPv6", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':['Egress'],"
			"'egress':[{'to':[{'ipBlock':{'cidr':'2001:db8::/32'}},{'ipBlock':"
			"{'cidr':'fd00::/16','except':['fd00::1:2/128']}}]}]}") },
		{
			{ "web6", "ext6", TCP, 443, AL, NE },
			{ "web6", "db6", TCP, 5432, NR, NI },
			{ "web", "db", TCP, 5432, NR, NI },
			{ "web", "ext", TCP, 443, NR, NE },
		} },
	{ "protocols TCP, UDP, SCTP; TCP is the default", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'ports':"
			"[{'protocol':'UDP','port':53},{'protocol':'SCTP','port':9000},"
			"{'port':8080}]}]}") },
		{
			{ "ext", "web", UDP, 53, NE, AL },
			{ "ext", "web", TCP, 53, NE, NR },
			{ "ext", "web", SCTP, 9000, NE, AL },
			{ "ext", "web", UDP, 9000, NE, NR },
			{ "ext", "web", TCP, 8080, NE, AL },
			{ "ext", "web", UDP, 8080, NE, NR },
			{ "ext", "web", ICMP, 0, NE, NR },
		} },
	{ "protocol without port: every port of that protocol", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'ports':"
			"[{'protocol':'UDP'}]}]}") },
		{
			{ "ext", "web", UDP, 1, NE, AL },
			{ "ext", "web", UDP, 65535, NE, AL },
			{ "ext", "web", TCP, 1, NE, NR },
		} },
	{ "numeric ports and endPort ranges", "n1",
		{ NP("db",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'ports':"
			"[{'port':5432},{'port':1000,'endPort':2000}]}]}") },
		{
			{ "web", "db", TCP, 5432, NI, AL },
			{ "web", "db", TCP, 5433, NI, NR },
			{ "web", "db", TCP, 1000, NI, AL },
			{ "web", "db", TCP, 2000, NI, AL },
			{ "web", "db", TCP, 1500, NI, AL },
			{ "web", "db", TCP, 999, NI, NR },
			{ "web", "db", TCP, 2001, NI, NR },
			{ "web", "db", UDP, 1500, NI, NR },
		} },
	{ "named ports resolve at the destination pod, by name and protocol", "n1",
		{ NP("web",
			  "{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'ports':"
			  "[{'port':'http'},{'protocol':'UDP','port':'dns'},{'port':'sig'}]}]}"),
			NP("db-out",
				"{'podSelector':{'matchLabels':{'app':'db'}},'policyTypes':"
				"['Egress'],'egress':[{'ports':[{'port':'http'}]}]}") },
		{
			{ "ext", "web", TCP, 8080, NE, AL },
			{ "ext6", "web6", TCP, 8080, NE, AL },
			{ "ext", "web", TCP, 80, NE, NR },
			{ "ext", "web", UDP, 53, NE, AL },
			{ "ext", "web", TCP, 53, NE, NR },
			/* 'sig' is SCTP at the pod, the policy port is TCP: no match. */
			{ "ext", "web", SCTP, 9000, NE, NR },
			{ "ext", "web", TCP, 9000, NE, NR },
			/* Egress: the same name means 8080 at web and 9090 at cache. */
			{ "db", "web", TCP, 8080, AL, AL },
			{ "db", "cache", TCP, 9090, AL, NE },
			{ "db", "cache", TCP, 8080, NR, NE },
			/* No destination pod: a named port matches nothing. */
			{ "db", "ext", TCP, 8080, NR, NE },
		} },
	{ "no ports: every protocol, ICMP and ICMPv6 included", "n1",
		{ NP("web",
			  "{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'from':"
			  "[{'podSelector':{'matchLabels':{'app':'db'}}}]}]}"),
			NP("db",
				"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'from':"
				"[{'podSelector':{}}],'ports':[{'port':5432}]}]}") },
		{
			{ "db", "web", ICMP, 0, NI, AL },
			{ "db6", "web6", ICMP6, 0, NI, AL },
			{ "db", "web", UDP, 7, NI, AL },
			{ "web", "db", ICMP, 0, NI, NR },
			{ "web", "db", TCP, 5432, NI, AL },
		} },
	{ "the empty rule {} allows everything", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':['Ingress',"
			"'Egress'],'ingress':[{}],'egress':[{}]}") },
		{
			{ "ext", "web", TCP, 1, NE, AL },
			{ "ext6", "web6", ICMP6, 0, NE, AL },
			{ "web", "ext", SCTP, 5, AL, NE },
			{ "web", "mon", UDP, 5, AL, NI },
		} },
	{ "absent from: every source, ports still apply", "n1",
		{ NP("db",
			  "{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'ports':"
			  "[{'port':5432}]}]}"),
			NP("web",
				"{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'from':"
				"[]}]}") },
		{
			{ "ext", "db", TCP, 5432, NE, AL },
			{ "mon", "db", TCP, 5432, NI, AL },
			{ "ext", "db", TCP, 5433, NE, NR },
			/* from: [] is the same as absent. */
			{ "ext", "web", UDP, 9, NE, AL },
		} },
	{ "pods without IP or finished are not endpoints", "n1",
		{ NP("web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':['Ingress',"
			"'Egress']}") },
		{
			/* job is app=web but Succeeded: its IP is not enforced as a pod. */
			{ "job", "ext", TCP, 443, NE, NE },
			{ "ext", "job", TCP, 443, NE, NE },
			{ "web", "ext", TCP, 443, NR, NE },
		} },
	{ "a policy only selects pods of its own namespace", "n1",
		{ NP_IN("dev", "deny", "{'podSelector':{},'policyTypes':['Ingress','Egress']}") },
		{
			{ "web", "db", TCP, 5432, NI, NI },
			{ "web", "devweb", TCP, 80, NI, NR },
			{ "tool", "web", TCP, 80, NR, NI },
		} },
	{ "pods of other nodes are not enforced here", "n1",
		{ NP("deny", "{'podSelector':{},'policyTypes':['Ingress','Egress']}") },
		{
			{ "web", "cache", TCP, 9090, NR, NE },
			{ "cache", "web", TCP, 8080, NE, NR },
			{ "cache", "ext", TCP, 443, NE, NE },
		} },
	{ "the same policy enforced on another node", "n2",
		{ NP("deny", "{'podSelector':{},'policyTypes':['Ingress','Egress']}") },
		{
			{ "web", "cache", TCP, 9090, NE, NR },
			{ "cache", "web", TCP, 8080, NR, NE },
		} },
	{ "node NULL: every pod is local", NULL,
		{ NP("deny", "{'podSelector':{},'policyTypes':['Ingress','Egress']}") },
		{
			{ "web", "cache", TCP, 9090, NR, NR },
			{ "ext", "cache", TCP, 9090, NE, NR },
		} },
};

struct fixture {
	struct pw_model *model;
};

static struct pw_ip
host(const char *name)
{
	struct pw_ip ip;
	unsigned int i;

	memset(&ip, 0, sizeof(ip));
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		if (strcmp(hosts[i].name, name) != 0)
			continue;
		ip.family = strchr(hosts[i].ip, ':') != NULL ? 6 : 4;
		assert_int_equal(
			inet_pton(ip.family == 4 ? AF_INET : AF_INET6, hosts[i].ip, ip.addr.b), 1);
		return ip;
	}
	fail_msg("unknown host %s", name);
	return ip;
}

static struct pw_model *
base_model(void)
{
	struct pw_model *m;
	unsigned int i;

	assert_int_equal(pw_model_create(&m), 0);
	for (i = 0; i < sizeof(base_cluster) / sizeof(base_cluster[0]); i++)
		pwt_load(m, base_cluster[i]);
	return m;
}

static bool
reason_allows(enum pw_dir_reason r)
{
	return r != PW_DIR_NO_RULE;
}

static void
run_scenario(void **state)
{
	const struct scenario *sc = *state;
	struct pw_model *m = base_model();
	unsigned int i;

	for (i = 0; i < 4 && sc->policies[i] != NULL; i++)
		pwt_load(m, sc->policies[i]);
	for (i = 0; i < 12 && sc->flows[i].src != NULL; i++) {
		const struct flow_case *fc = &sc->flows[i];
		struct pw_flow flow = {
			.src = host(fc->src),
			.dst = host(fc->dst),
			.proto = fc->proto,
			.dport = fc->dport,
		};
		struct pw_verdict_pair v;

		pw_ref_evaluate(m, sc->node, &flow, &v);
		if (v.egress.reason != fc->egress || v.ingress.reason != fc->ingress)
			fail_msg("flow %u %s -> %s proto %u port %u: egress %s (want %s), ingress "
				 "%s "
				 "(want %s)",
				i, fc->src, fc->dst, fc->proto, fc->dport,
				pw_dir_reason_name(v.egress.reason), pw_dir_reason_name(fc->egress),
				pw_dir_reason_name(v.ingress.reason),
				pw_dir_reason_name(fc->ingress));
		assert_int_equal(v.egress.allowed, reason_allows(fc->egress));
		assert_int_equal(v.ingress.allowed, reason_allows(fc->ingress));
		assert_int_equal(
			v.allowed, reason_allows(fc->egress) && reason_allows(fc->ingress));
		assert_int_equal(v.egress.policy != NULL, fc->egress == AL);
		assert_int_equal(v.ingress.policy != NULL, fc->ingress == AL);
	}
	pw_model_free(m);
}

/* The first matching policy (model order: namespace, name) and rule are reported. */
static void
test_first_match(void **state)
{
	struct pw_model *m = base_model();
	struct pw_flow flow = {
		.src = host("web"), .dst = host("db"), .proto = TCP, .dport = 5432
	};
	struct pw_verdict_pair v;

	(void)state;
	pwt_load(m, NP("z-last", "{'podSelector':{},'ingress':[{}]}"));
	pwt_load(m,
		NP("b-second",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'ports':"
			"[{'port':1}]},{'from':[{'podSelector':{}}]},{}]}"));
	pwt_load(m,
		NP("a-first",
			"{'podSelector':{'matchLabels':{'app':'db'}},'ingress':[{'ports':"
			"[{'port':2}]}]}"));
	pw_ref_evaluate(m, "n1", &flow, &v);
	assert_true(v.allowed);
	assert_int_equal(v.ingress.reason, PW_DIR_ALLOWED);
	assert_string_equal(v.ingress.policy->name, "b-second");
	assert_int_equal(v.ingress.rule, 1);
	assert_null(v.egress.policy);

	/* Deleting the policy that matched hands the flow to the next one. */
	assert_int_equal(pw_model_delete(m, PW_KIND_POLICY, "prod", "b-second"), 0);
	pw_ref_evaluate(m, "n1", &flow, &v);
	assert_string_equal(v.ingress.policy->name, "z-last");
	assert_int_equal(v.ingress.rule, 0);
	pw_model_free(m);
}

static void
test_reason_names(void **state)
{
	(void)state;
	assert_string_equal(pw_dir_reason_name(PW_DIR_NOT_ENFORCED), "not enforced");
	assert_string_equal(pw_dir_reason_name(PW_DIR_NOT_ISOLATED), "not isolated");
	assert_string_equal(pw_dir_reason_name(PW_DIR_ALLOWED), "allowed by rule");
	assert_string_equal(pw_dir_reason_name(PW_DIR_NO_RULE), "isolated, no rule matched");
}

int
main(void)
{
	enum {
		NB_SCENARIOS = sizeof(scenarios) / sizeof(scenarios[0])
	};
	struct CMUnitTest tests[NB_SCENARIOS + 2];
	unsigned int i;

	memset(tests, 0, sizeof(tests));
	for (i = 0; i < NB_SCENARIOS; i++) {
		tests[i].name = scenarios[i].name;
		tests[i].test_func = run_scenario;
		/* cmocka's state is void *; the scenario is only read. */
		tests[i].initial_state = (void *)(uintptr_t)&scenarios[i];
	}
	tests[NB_SCENARIOS].name = "first match is reported";
	tests[NB_SCENARIOS].test_func = test_first_match;
	tests[NB_SCENARIOS + 1].name = "reason names";
	tests[NB_SCENARIOS + 1].test_func = test_reason_names;
	return _cmocka_run_group_tests("refeval", tests, NB_SCENARIOS + 2, NULL, NULL);
}
