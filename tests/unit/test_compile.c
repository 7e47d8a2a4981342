/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy compiler, without EAL: identities (equal signatures share one; named ports and
 * locality split them), enforcement flags, rule expansion counts, ipBlock except expansion
 * into prefixes (IPv4 and IPv6), identity range compression and determinism.
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

#include "control/model/compile.h"
#include "control/model/decode.h"
#include "tests/lib/model_load.h"

#define NS(name, labels)                                                                        \
	"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'" name "','labels':{" labels \
	"}}}"
#define POD(ns, name, node, labels, ip, ports)                                                \
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'" name "','namespace':'" ns "'," \
	"'labels':{" labels "}},'spec':{'nodeName':'" node "','containers':[{'ports':[" ports \
	"]}]},'status':{'phase':'Running','podIPs':[{'ip':'" ip "'}]}}"
#define NP(ns, name, spec)                                                                      \
	"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'" name \
	"','namespace':'" ns "'},'spec':" spec "}"

static struct pw_model *
model_of(const char *const *objs)
{
	struct pw_model *m;

	assert_int_equal(pw_model_create(&m), 0);
	for (; *objs != NULL; objs++)
		pwt_load(m, *objs);
	return m;
}

static struct pw_compiled *
compile(const struct pw_model *m, const char *node)
{
	struct pw_compiled *cp = NULL;
	char err[256];

	if (pw_compile(m, node, &cp, err, sizeof(err)) != 0)
		fail_msg("compile: %s", err);
	return cp;
}

static struct pw_ip
ip_of(const char *s)
{
	struct pw_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = strchr(s, ':') != NULL ? 6 : 4;
	assert_int_equal(inet_pton(ip.family == 4 ? AF_INET : AF_INET6, s, ip.addr.b), 1);
	return ip;
}

static uint32_t
ident(const struct pw_compiled *cp, const char *ip)
{
	struct pw_ip a = ip_of(ip);

	return pw_compiled_identity(cp, &a);
}

static const struct pw_cp_identity *
ident_of(const struct pw_compiled *cp, const char *ip)
{
	uint32_t id = ident(cp, ip);

	assert_in_range(id, 1, cp->nb_idents);
	return &cp->idents[id - 1];
}

static void
test_same_labels_share_identity(void **state)
{
	static const char *const objs[] = {
		POD("a", "web1", "n1", "'app':'web'", "10.0.0.1", ""),
		POD("a", "web2", "n1", "'app':'web'", "10.0.0.2", ""),
		POD("a", "db", "n1", "'app':'db'", "10.0.0.3", ""),
		POD("a", "x", "n1", "'app':'x'", "10.0.0.4", ""),
		POD("a", "y", "n1", "'app':'y'", "10.0.0.5", ""),
		NP("a", "web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'from':"
			"[{'podSelector':{'matchLabels':{'app':'db'}}}]}]}"),
		NULL,
	};
	struct pw_model *m = model_of(objs);
	struct pw_compiled *cp = compile(m, "n1");

	(void)state;
	assert_int_equal(cp->nb_endpoints, 5);
	/* web pods alike; db is a peer; x and y no selector tells apart. */
	assert_int_equal(cp->nb_idents, 3);
	assert_int_equal(ident(cp, "10.0.0.1"), ident(cp, "10.0.0.2"));
	assert_int_equal(ident(cp, "10.0.0.4"), ident(cp, "10.0.0.5"));
	assert_int_not_equal(ident(cp, "10.0.0.1"), ident(cp, "10.0.0.3"));
	assert_int_not_equal(ident(cp, "10.0.0.3"), ident(cp, "10.0.0.4"));
	assert_int_equal(ident(cp, "192.168.0.1"), PW_CP_WORLD);
	assert_true(ident_of(cp, "10.0.0.1")->enforce_ingress);
	assert_false(ident_of(cp, "10.0.0.1")->enforce_egress);
	assert_int_equal(ident_of(cp, "10.0.0.1")->nb_pods, 2);
	assert_false(ident_of(cp, "10.0.0.3")->enforce_ingress);
	/* One meta, one ACL rule: web ← db, any port, both families. */
	assert_int_equal(cp->nb_metas, 1);
	assert_int_equal(cp->nb_rules, 1);
	assert_int_equal(cp->rules[0].family, 0);
	assert_int_equal(cp->rules[0].dir, PW_CP_INGRESS);
	assert_int_equal(cp->rules[0].dst_id.lo, ident(cp, "10.0.0.1"));
	assert_int_equal(cp->rules[0].dst_id.hi, ident(cp, "10.0.0.1"));
	assert_int_equal(cp->rules[0].src_id.lo, ident(cp, "10.0.0.3"));
	assert_int_equal(cp->rules[0].proto, 0);
	assert_int_equal(cp->rules[0].port_lo, 0);
	assert_int_equal(cp->rules[0].port_hi, 65535);
	pw_compiled_free(cp);
	pw_model_free(m);
}

static void
test_named_ports_split_identities(void **state)
{
	static const char *const objs[] = {
		POD("a", "web1", "n1", "'app':'web'", "10.0.0.1",
			"{'name':'http','containerPort':80}"),
		POD("a", "web2", "n1", "'app':'web'", "10.0.0.2",
			"{'name':'http','containerPort':8080}"),
		POD("a", "web3", "n1", "'app':'web'", "10.0.0.3",
			"{'name':'http','containerPort':80},{'name':'other','containerPort':1}"),
		/* UDP "http" is another named port: not referenced, so no split. */
		POD("a", "web4", "n1", "'app':'web'", "10.0.0.4",
			"{'name':'http','containerPort':80},{'name':'http','containerPort':81,"
			"'protocol':'UDP'}"),
		NP("a", "web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'ports':"
			"[{'port':'http'}]}]}"),
		NULL,
	};
	struct pw_model *m = model_of(objs);
	struct pw_compiled *cp = compile(m, "n1");
	unsigned int i, seen80 = 0, seen8080 = 0;

	(void)state;
	assert_int_equal(cp->nb_named_ports, 1);
	assert_int_equal(cp->nb_idents, 2);
	assert_int_equal(ident(cp, "10.0.0.1"), ident(cp, "10.0.0.3"));
	assert_int_equal(ident(cp, "10.0.0.1"), ident(cp, "10.0.0.4"));
	assert_int_not_equal(ident(cp, "10.0.0.1"), ident(cp, "10.0.0.2"));
	/* One rule per number the name resolves to, on exactly those identities. */
	assert_int_equal(cp->nb_rules, 2);
	for (i = 0; i < cp->nb_rules; i++) {
		const struct pw_cp_rule *r = &cp->rules[i];

		assert_int_equal(r->proto, PW_IPPROTO_TCP);
		assert_int_equal(r->port_lo, r->port_hi);
		if (r->port_lo == 80) {
			seen80++;
			assert_int_equal(r->dst_id.lo, ident(cp, "10.0.0.1"));
			assert_int_equal(r->dst_id.hi, ident(cp, "10.0.0.1"));
		} else {
			assert_int_equal(r->port_lo, 8080);
			seen8080++;
			assert_int_equal(r->dst_id.lo, ident(cp, "10.0.0.2"));
		}
	}
	assert_int_equal(seen80, 1);
	assert_int_equal(seen8080, 1);
	pw_compiled_free(cp);
	pw_model_free(m);
}

static void
test_locality(void **state)
{
	static const char *const objs[] = {
		POD("a", "here", "n1", "'app':'web'", "10.0.0.1", ""),
		POD("a", "there", "n2", "'app':'web'", "10.0.0.2", ""),
		POD("a", "here6", "n1", "'app':'web'", "fd00::1", ""),
		NP("a", "web", "{'podSelector':{},'policyTypes':['Ingress','Egress']}"),
		NULL,
	};
	struct pw_model *m = model_of(objs);
	struct pw_compiled *cp = compile(m, "n1");

	(void)state;
	assert_int_equal(cp->nb_idents, 2);
	assert_int_equal(ident(cp, "10.0.0.1"), ident(cp, "fd00::1"));
	assert_true(ident_of(cp, "10.0.0.1")->local);
	assert_true(ident_of(cp, "10.0.0.1")->enforce_egress);
	assert_true(ident_of(cp, "10.0.0.1")->enforce_ingress);
	assert_false(ident_of(cp, "10.0.0.2")->local);
	assert_false(ident_of(cp, "10.0.0.2")->enforce_egress);
	assert_false(ident_of(cp, "10.0.0.2")->enforce_ingress);
	assert_int_equal(cp->nb_metas, 0);
	assert_int_equal(cp->nb_rules, 0);
	pw_compiled_free(cp);
	/* Without a node name every pod is local: one identity. */
	cp = compile(m, NULL);
	assert_int_equal(cp->nb_idents, 1);
	assert_true(ident_of(cp, "10.0.0.2")->enforce_ingress);
	pw_compiled_free(cp);
	pw_model_free(m);
}

/* 10.0.0.0/8 except 10.1.0.0/16 is 8 prefixes (/9 .. /16); 2 port entries; a pod peer. */
static void
test_rule_expansion_counts(void **state)
{
	static const char *const objs[] = {
		POD("a", "web", "n1", "'app':'web'", "10.9.0.1", ""),
		POD("a", "db", "n1", "'app':'db'", "10.9.0.2", ""),
		NP("a", "web",
			"{'podSelector':{'matchLabels':{'app':'web'}},'policyTypes':['Ingress'],"
			"'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'db'}}},"
			"{'ipBlock':{'cidr':'10.0.0.0/8','except':['10.1.0.0/16']}}],'ports':"
			"[{'port':80},{'protocol':'UDP','port':53,'endPort':60}]},{}],"
			"'egress':[{'to':[{'ipBlock':{'cidr':'0.0.0.0/0'}}]}]}"),
		NULL,
	};
	struct pw_model *m = model_of(objs);
	struct pw_compiled *cp = compile(m, "n1");
	unsigned int i, v4 = 0, udp = 0;

	(void)state;
	/* The egress rule is ignored: policyTypes leave Egress out. */
	assert_int_equal(cp->nb_metas, 2);
	assert_int_equal(cp->nb_rules, 1 * 2 + 8 * 2 + 1);
	for (i = 0; i < cp->nb_rules; i++) {
		const struct pw_cp_rule *r = &cp->rules[i];

		assert_int_equal(r->dir, PW_CP_INGRESS);
		v4 += r->family == 4;
		if (r->proto == PW_IPPROTO_UDP) {
			udp++;
			assert_int_equal(r->port_lo, 53);
			assert_int_equal(r->port_hi, 60);
		}
		if (r->family == 4) {
			struct pw_ip probe = ip_of("10.1.2.3");

			assert_in_range(r->src_net.prefix, 9, 16);
			assert_false(pw_cidr_contains(&r->src_net, &probe));
		}
	}
	assert_int_equal(v4, 16);
	assert_int_equal(udp, 9);
	assert_int_equal(cp->nb_rules4, 19);
	assert_int_equal(cp->nb_rules6, 3);
	assert_int_equal(cp->metas[1].rule, 1);
	assert_string_equal(cp->metas[0].name, "web");
	pw_compiled_free(cp);
	pw_model_free(m);
}

/* The prefixes of an ipBlock cover exactly cidr minus excepts: check sample addresses. */
static void
check_ipblock(const char *manifest, const char *const *probes, unsigned int nb_prefixes)
{
	const char *objs[] = { POD("a", "web", "n1", "'app':'web'", "10.0.0.1", ""), manifest,
		NULL };
	struct pw_model *m = model_of(objs);
	struct pw_compiled *cp = compile(m, "n1");
	const struct pw_peer *peer = &pw_model_policy_at(m, 0)->egress[0].peers[0];
	unsigned int i, j;

	assert_int_equal(cp->nb_rules, nb_prefixes);
	for (i = 0; probes[i] != NULL; i++) {
		struct pw_ip ip = ip_of(probes[i]);
		unsigned int hits = 0;

		for (j = 0; j < cp->nb_rules; j++)
			hits += pw_cidr_contains(&cp->rules[j].dst_net, &ip);
		/* Disjoint prefixes: at most one holds an address. */
		assert_int_equal(hits, pw_ipblock_contains(peer, &ip) ? 1 : 0);
	}
	pw_compiled_free(cp);
	pw_model_free(m);
}

static void
test_ipblock_except_prefixes(void **state)
{
	static const char *const probes4[] = { "10.0.0.0", "10.255.255.255", "10.1.0.0",
		"10.1.255.255", "10.2.3.4", "10.128.0.1", "10.200.7.7", "10.200.7.8", "10.200.7.9",
		"11.0.0.0", "9.255.255.255", NULL };
	static const char *const probes6[] = { "2001:db8::", "2001:db8:ffff::1", "2001:db8:fffe::1",
		"2001:db8:1::", "2001:db8:8000::", "2001:db9::", "2001:db7:ffff::",
		"2001:db8:0:1::", "2001:db8:0:2::", NULL };

	(void)state;
	/* 10.0.0.0/9 splits down to 10.1.0.0/16 (7 prefixes: /10../16), 10.128.0.0/9 down to
	 * 10.200.7.8/32 (23 prefixes: /10../32). */
	check_ipblock(NP("a", "p",
			      "{'podSelector':{},'policyTypes':['Egress'],'egress':[{'to':"
			      "[{'ipBlock':{'cidr':'10.0.0.0/8','except':['10.1.0.0/16',"
			      "'10.200.7.8/32']}}]}]}"),
		probes4, 7 + 23);
	/* Excepts that cover the cidr between them leave nothing. */
	check_ipblock(NP("a", "p",
			      "{'podSelector':{},'policyTypes':['Egress'],'egress':[{'to':"
			      "[{'ipBlock':{'cidr':'10.0.0.0/8','except':['10.0.0.0/9',"
			      "'10.128.0.0/9']}}]}]}"),
		probes4, 0);
	check_ipblock(NP("a", "p",
			      "{'podSelector':{},'policyTypes':['Egress'],'egress':[{'to':"
			      "[{'ipBlock':{'cidr':'2001:db8::/32','except':["
			      "'2001:db8:ffff::/48','2001:db8:0:1::/64']}}]}]}"),
		probes6, 15 + 31);
}

/*
 * Identities in signature order (bits: x selects, x's peer, y selects, local): w2 0110, w 0111,
 * e 1101, both 1111. y's selected set {w, both} is one range: e does not enforce ingress and
 * w2 is remote, so both are don't cares.
 */
static void
test_range_compression(void **state)
{
	static const char *const objs[] = {
		POD("a", "both", "n1", "'e':'1','w':'1'", "10.0.0.1", ""),
		POD("a", "e", "n1", "'e':'1'", "10.0.0.2", ""),
		POD("a", "w", "n1", "'w':'1'", "10.0.0.3", ""),
		POD("a", "w2", "n2", "'w':'1'", "10.0.0.4", ""),
		NP("a", "x",
			"{'podSelector':{'matchLabels':{'e':'1'}},'policyTypes':['Egress'],"
			"'egress':[{'to':[{'podSelector':{}}]}]}"),
		NP("a", "y", "{'podSelector':{'matchLabels':{'w':'1'}},'ingress':[{}]}"),
		NULL,
	};
	struct pw_model *m = model_of(objs);
	struct pw_compiled *cp = compile(m, "n1");

	(void)state;
	assert_int_equal(cp->nb_idents, 4);
	assert_int_equal(cp->nb_rules, 2);
	/* x: egress from {both, e} (one range) to every pod of a (one range). */
	assert_int_equal(cp->rules[0].dir, PW_CP_EGRESS);
	assert_int_equal(cp->rules[0].dst_id.lo, 1);
	assert_int_equal(cp->rules[0].dst_id.hi, 4);
	/* y: ingress to {w, both} across e (don't care) and w2 (remote: don't care). */
	assert_int_equal(cp->rules[1].dir, PW_CP_INGRESS);
	assert_int_equal(cp->rules[1].dst_id.lo, ident(cp, "10.0.0.3"));
	assert_int_equal(cp->rules[1].dst_id.hi, ident(cp, "10.0.0.1"));
	assert_true(ident(cp, "10.0.0.3") < ident(cp, "10.0.0.2"));
	assert_true(ident(cp, "10.0.0.2") < ident(cp, "10.0.0.1"));
	pw_compiled_free(cp);
	pw_model_free(m);
}

static void
test_deterministic_and_namespaces(void **state)
{
	static const char *const objs[] = {
		NS("prod", "'env':'prod'"),
		NS("dev", "'env':'dev'"),
		POD("prod", "web", "n1", "'app':'web'", "10.0.1.1",
			"{'name':'h','containerPort':1}"),
		POD("dev", "web", "n1", "'app':'web'", "10.0.2.1",
			"{'name':'h','containerPort':2}"),
		POD("ops", "mon", "n1", "'app':'mon'", "10.0.3.1", ""),
		NP("prod", "web",
			"{'podSelector':{},'ingress':[{'from':[{'namespaceSelector':"
			"{'matchLabels':{'env':'dev'}},'podSelector':{'matchLabels':"
			"{'app':'web'}}},{'namespaceSelector':{'matchExpressions':[{'key':"
			"'kubernetes.io/metadata.name','operator':'In','values':['ops']}]}}],"
			"'ports':[{'port':'h'}]}]}"),
		NULL,
	};
	struct pw_model *m = model_of(objs);
	struct pw_compiled *a = compile(m, "n1"), *b = compile(m, "n1");

	(void)state;
	assert_int_equal(a->nb_idents, 3);
	assert_int_equal(a->nb_rules, b->nb_rules);
	assert_memory_equal(a->rules, b->rules, a->nb_rules * sizeof(*a->rules));
	assert_memory_equal(a->idents, b->idents, a->nb_idents * sizeof(*a->idents));
	/* Only prod/web is selected and resolves 'h' (to 1): one rule per peer. */
	assert_int_equal(a->nb_rules, 2);
	assert_int_equal(a->rules[0].port_lo, 1);
	assert_int_equal(a->rules[0].src_id.lo, ident(a, "10.0.2.1"));
	assert_int_equal(a->rules[1].src_id.lo, ident(a, "10.0.3.1"));
	pw_compiled_free(a);
	pw_compiled_free(b);
	pw_model_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_labels_share_identity),
		cmocka_unit_test(test_named_ports_split_identities),
		cmocka_unit_test(test_locality),
		cmocka_unit_test(test_rule_expansion_counts),
		cmocka_unit_test(test_ipblock_except_prefixes),
		cmocka_unit_test(test_range_compression),
		cmocka_unit_test(test_deterministic_and_namespaces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
