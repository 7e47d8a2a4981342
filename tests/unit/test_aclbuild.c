/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ACL builder and the decision step on fixed cases (the random proof is test_acl_equiv):
 * snapshots without tables, before-sync, a small compiled policy in both families, fragments,
 * explain, per-worker hit counters, the snapshot life cycle (two generations alive at once, a
 * reused generation refused, names free again after pw_snapshot_free()), and ACL tables
 * shared between snapshots whose rules did not change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_acl.h>
#include <rte_hash.h>
#include <rte_memory.h>

#include "control/aclbuild.h"
#include "control/model/decode.h"
#include "dataplane/decide.h"
#include "podwall/pw_explain.h"
#include "tests/lib/model_load.h"
#include "tests/lib/eal_setup.h"

#define NODE "n1"
#define POD(name, node, app, ips)                                                                 \
	"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'" name "','namespace':'a',"          \
	"'labels':{'app':'" app "'}},'spec':{'nodeName':'" node "'},'status':{'phase':'Running'," \
	"'podIPs':[" ips "]}}"

/*
 * a/web (10.0.0.1, fd00::1) accepts TCP 80 from a/db (10.0.0.2, fd00::2) and anything from
 * 192.168.0.0/16; a/db may only talk to web. a/far runs on another node.
 */
static const char *const small[] = {
	POD("web", NODE, "web", "{'ip':'10.0.0.1'},{'ip':'fd00::1'}"),
	POD("db", NODE, "db", "{'ip':'10.0.0.2'},{'ip':'fd00::2'}"),
	POD("far", "n2", "db", "{'ip':'10.0.0.3'}"),
	"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'web',"
	"'namespace':'a'},'spec':{'podSelector':{'matchLabels':{'app':'web'}},'ingress':[{'from':"
	"[{'podSelector':{'matchLabels':{'app':'db'}}}],'ports':[{'port':80}]},{'from':[{'ipBlock':"
	"{'cidr':'192.168.0.0/16'}}]}]}}",
	"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{'name':'db',"
	"'namespace':'a'},'spec':{'podSelector':{'matchLabels':{'app':'db'}},'policyTypes':"
	"['Egress'],'egress':[{'to':[{'podSelector':{'matchLabels':{'app':'web'}}}]}]}}",
	NULL,
};

static struct pw_cls_scratch *scratch;

static struct pw_model *
small_model(void)
{
	struct pw_model *m;
	unsigned int i;

	assert_int_equal(pw_model_create(&m), 0);
	for (i = 0; small[i] != NULL; i++)
		pwt_load(m, small[i]);
	return m;
}

static struct pw_pkt_meta
pkt(uint8_t family, uint8_t src, uint8_t dst, uint8_t proto, uint16_t dport, uint8_t flags)
{
	struct pw_pkt_meta meta;
	uint8_t *s = meta.src.b, *d = meta.dst.b;

	memset(&meta, 0, sizeof(meta));
	meta.l3 = family == 4 ? PW_L3_IPV4 : PW_L3_IPV6;
	if (family == 4) {
		s[0] = d[0] = 10;
		s[3] = src;
		d[3] = dst;
	} else {
		s[0] = d[0] = 0xfd;
		s[15] = src;
		d[15] = dst;
	}
	meta.proto = proto;
	meta.dport = dport;
	meta.flags = flags;
	return meta;
}

#define TCP4(s, d, port) pkt(4, s, d, PW_IPPROTO_TCP, port, 0)

static uint16_t
decide_one(
	const struct pw_snapshot *s, bool fail_open, struct pw_pkt_meta meta, unsigned int worker)
{
	uint16_t reason = 0;

	pw_decide_burst(s, fail_open, &meta, &reason, 1, scratch, worker);
	return reason;
}

/* A snapshot of @m for NODE, sharing what it can with @prev (NULL: nothing). */
static struct pw_snapshot *
build_on(const struct pw_model *m, uint64_t generation, const struct pw_snapshot *prev)
{
	struct pw_aclbuild_params bp = {
		.generation = generation, .nb_workers = 2, .socket_id = SOCKET_ID_ANY, .prev = prev
	};
	struct pw_snapshot *s = NULL;
	char err[256];

	if (pw_snapshot_build(m, NODE, &bp, &s, err, sizeof(err)) != 0)
		fail_msg("build: %s", err);
	return s;
}

static struct pw_snapshot *
build(const struct pw_model *m, uint64_t generation)
{
	return build_on(m, generation, NULL);
}

static void
test_without_tables(void **state)
{
	struct pw_snapshot allow = { .generation = 1, .default_verdict = PW_VERDICT_ALLOW };
	struct pw_snapshot deny = { .generation = 1, .default_verdict = PW_VERDICT_DENY };
	struct pw_pkt_meta arp = { .l3 = PW_L3_ARP };
	struct pw_explain ex;

	(void)state;
	assert_int_equal(decide_one(NULL, false, TCP4(2, 1, 80), 0), PW_DROP_BEFORE_SYNC);
	assert_int_equal(decide_one(NULL, true, TCP4(2, 1, 80), 0), 0);
	assert_int_equal(decide_one(NULL, false, arp, 0), 0);
	assert_int_equal(decide_one(&allow, false, TCP4(2, 1, 81), 0), 0);
	assert_int_equal(decide_one(&deny, false, TCP4(2, 1, 80), 0), PW_DROP_POLICY_DENY);
	assert_int_equal(decide_one(&deny, false, arp, 0), 0);
	assert_int_equal(
		pw_snapshot_explain(&deny, &(struct pw_pkt_meta[]){ TCP4(2, 1, 80) }[0], &ex), 0);
	assert_false(ex.compiled);
	assert_false(ex.allowed);
}

static void
test_small_policy(void **state)
{
	struct pw_model *m = small_model();
	struct pw_snapshot *s = build(m, 900001);
	struct pw_explain ex;

	(void)state;
	assert_true(s->compiled);
	assert_int_equal(s->nb_identities, 3);
	assert_int_equal(s->nb_rules, 3);
	assert_int_equal(s->info.nb_acl_rules4, 3);
	assert_int_equal(s->info.nb_acl_rules6, 2);
	/* 1. web ← db on TCP 80 only, in both families. */
	assert_int_equal(decide_one(s, false, TCP4(2, 1, 80), 0), 0);
	assert_int_equal(decide_one(s, false, pkt(6, 2, 1, PW_IPPROTO_TCP, 80, 0), 0), 0);
	assert_int_equal(decide_one(s, false, TCP4(2, 1, 81), 1), PW_DROP_POLICY_DENY);
	assert_int_equal(
		decide_one(s, false, pkt(4, 2, 1, PW_IPPROTO_UDP, 80, 0), 1), PW_DROP_POLICY_DENY);
	/* 2. A non-first fragment has no port: only "any port" rules match it. */
	assert_int_equal(
		decide_one(s, false, pkt(4, 2, 1, PW_IPPROTO_TCP, 80, PW_PKT_F_FRAG_LATER), 0),
		PW_DROP_POLICY_DENY);
	/* 3. db's egress is isolated: to web only; far (another node) is not enforced. */
	assert_int_equal(decide_one(s, false, TCP4(2, 9, 80), 0), PW_DROP_POLICY_DENY);
	assert_int_equal(decide_one(s, false, TCP4(3, 9, 80), 0), 0);
	/* far matches web's peer (app=db) wherever it runs. */
	assert_int_equal(decide_one(s, false, TCP4(3, 1, 80), 0), 0);
	/* 4. Counters per worker row: rules in model order (db's egress[0], then web's
	 * ingress[0] and [1]); column 0 counts enforced directions no rule allowed. */
	assert_string_equal(s->rules[1].name, "db");
	assert_int_equal(s->rules[1].dir, PW_ACL_CAT_EGRESS);
	assert_string_equal(s->rules[2].name, "web");
	assert_int_equal(s->rules[2].dir, PW_ACL_CAT_INGRESS);
	assert_int_equal(pw_snapshot_rule_hits(s, 1), 5);
	assert_int_equal(s->hits[s->hits_stride + 1], 2);
	assert_int_equal(pw_snapshot_rule_hits(s, 2), 3);
	assert_int_equal(s->hits[2], 3);
	assert_int_equal(s->hits[s->hits_stride + 2], 0);
	assert_int_equal(pw_snapshot_rule_hits(s, 0), 4);
	assert_int_equal(s->hits_stride % 8, 0);

	assert_int_equal(
		pw_snapshot_explain(s, &(struct pw_pkt_meta){ .l3 = PW_L3_ARP }, &ex), -EINVAL);
	assert_int_equal(
		pw_snapshot_explain(s, &(struct pw_pkt_meta[]){ TCP4(2, 1, 80) }[0], &ex), 0);
	assert_true(ex.allowed);
	assert_int_equal(ex.egress.state, PW_EXPLAIN_ALLOWED);
	assert_string_equal(ex.egress.meta->name, "db");
	assert_int_equal(ex.egress.meta->dir, PW_ACL_CAT_EGRESS);
	assert_int_equal(ex.ingress.state, PW_EXPLAIN_ALLOWED);
	assert_string_equal(ex.ingress.meta->ns, "a");
	assert_string_equal(ex.ingress.meta->name, "web");
	assert_int_equal(ex.ingress.meta->rule, 0);
	assert_int_equal(
		pw_snapshot_explain(s, &(struct pw_pkt_meta[]){ TCP4(1, 2, 22) }[0], &ex), 0);
	assert_int_equal(ex.egress.state, PW_EXPLAIN_NOT_ISOLATED);
	assert_int_equal(ex.ingress.state, PW_EXPLAIN_NOT_ISOLATED);
	assert_int_equal(
		pw_snapshot_explain(s, &(struct pw_pkt_meta[]){ TCP4(3, 1, 22) }[0], &ex), 0);
	assert_int_equal(ex.egress.state, PW_EXPLAIN_NOT_ENFORCED);
	assert_int_equal(ex.ingress.state, PW_EXPLAIN_NO_RULE);
	assert_null(ex.ingress.meta);
	assert_false(ex.allowed);
	/* 5. The ipBlock rule: from 192.168.0.0/16, any port, IPv4 only. */
	{
		struct pw_pkt_meta from_lan = TCP4(9, 1, 5000);

		from_lan.src.b[0] = 192;
		from_lan.src.b[1] = 168;
		assert_int_equal(decide_one(s, false, from_lan, 0), 0);
		assert_int_equal(pw_snapshot_explain(s, &from_lan, &ex), 0);
		assert_int_equal(ex.ingress.meta->rule, 1);
	}
	/* Explain leaves the counters alone. */
	assert_int_equal(pw_snapshot_rule_hits(s, 1), 5);
	assert_int_equal(pw_snapshot_rule_hits(s, 3), 1);
	pw_snapshot_free(s);
	pw_model_free(m);
}

/* Two snapshots alive at once (the live one and the next) never share a DPDK object name. */
static void
test_snapshot_lifecycle(void **state)
{
	struct pw_aclbuild_params bp = {
		.generation = 800002, .nb_workers = 1, .socket_id = SOCKET_ID_ANY
	};
	struct pw_model *m = small_model();
	struct pw_snapshot *s1 = build(m, 800001), *s2 = build(m, 800002), *s3 = NULL;
	char err[256];

	(void)state;
	assert_ptr_not_equal(s1->acl4, s2->acl4);
	assert_ptr_not_equal(s1->ip4, s2->ip4);
	assert_ptr_equal(rte_acl_find_existing("pw4eg_g800001"), s1->acl4);
	assert_ptr_equal(rte_acl_find_existing("pw4in_g800001"), s1->acl4_in);
	assert_ptr_equal(rte_acl_find_existing("pw6eg_g800002"), s2->acl6);
	assert_ptr_equal(rte_hash_find_existing("pwh6_800002"), s2->ip6);
	/* A generation in use is refused, not silently shared. */
	assert_int_equal(pw_snapshot_build(m, NODE, &bp, &s3, err, sizeof(err)), -EEXIST);
	assert_null(s3);
	assert_non_null(strstr(err, "800002"));
	pw_snapshot_free(s1);
	assert_null(rte_acl_find_existing("pw4eg_g800001"));
	assert_null(rte_acl_find_existing("pw4in_g800001"));
	assert_null(rte_hash_find_existing("pwh4_800001"));
	/* The survivor still decides. */
	assert_int_equal(decide_one(s2, false, TCP4(2, 1, 80), 0), 0);
	assert_int_equal(decide_one(s2, false, TCP4(2, 1, 22), 0), PW_DROP_POLICY_DENY);
	/* Freed names can be built again. */
	s1 = build(m, 800001);
	pw_snapshot_free(s1);
	pw_snapshot_free(s2);
	pw_snapshot_free(NULL);
	pw_model_free(m);
}

/*
 * A pod joining an identity shares every ACL table with the snapshot before it; a policy
 * change builds the tables whose rules changed and shares the others; a shared context lives
 * until the last snapshot holding it is freed (the ASan build checks that nothing leaks).
 */
static void
test_table_reuse(void **state)
{
	struct pw_model *m = small_model();
	struct pw_snapshot *s1 = build_on(m, 810001, NULL), *s2, *s3;
	unsigned int k;

	(void)state;
	assert_int_equal(s1->info.nb_acl_tables, PW_SNAP_NB_TABLES);
	assert_int_equal(s1->info.nb_acl_reused, 0);
	assert_int_equal(s1->info.acl_ids, PW_ACL_IDS_16);
	for (k = 0; k < PW_SNAP_NB_TABLES; k++)
		assert_int_equal(s1->tables[k]->refs, 1);
	/* 1. A second web replica on this node: the same identity, the same rules. */
	pwt_load(m, POD("web2", NODE, "web", "{'ip':'10.0.0.4'},{'ip':'fd00::4'}"));
	s2 = build_on(m, 810002, s1);
	assert_int_equal(s2->nb_identities, 3);
	assert_int_equal(s2->info.nb_acl_reused, PW_SNAP_NB_TABLES);
	assert_int_equal(s2->info.acl_build_ns, 0);
	assert_int_equal(s2->info.acl_mem_bytes, s1->info.acl_mem_bytes);
	assert_ptr_equal(s2->acl4, s1->acl4);
	assert_ptr_equal(s2->acl4_in, s1->acl4_in);
	assert_ptr_equal(s2->acl6, s1->acl6);
	assert_ptr_equal(s2->acl6_in, s1->acl6_in);
	for (k = 0; k < PW_SNAP_NB_TABLES; k++) {
		assert_ptr_equal(s2->tables[k], s1->tables[k]);
		assert_int_equal(s2->tables[k]->refs, 2);
	}
	/* The address maps are the snapshot's own: web2 is protected like web on s2, and is no
	 * pod on s1 (db may only talk to web). */
	assert_ptr_not_equal(s2->ip4, s1->ip4);
	assert_int_equal(decide_one(s2, false, TCP4(2, 4, 80), 0), 0);
	assert_int_equal(decide_one(s2, false, pkt(6, 2, 4, PW_IPPROTO_TCP, 80, 0), 0), 0);
	assert_int_equal(decide_one(s2, false, TCP4(2, 4, 81), 0), PW_DROP_POLICY_DENY);
	assert_int_equal(decide_one(s1, false, TCP4(2, 4, 80), 0), PW_DROP_POLICY_DENY);
	/* Freeing the older snapshot leaves the shared contexts to the newer. */
	pw_snapshot_free(s1);
	for (k = 0; k < PW_SNAP_NB_TABLES; k++)
		assert_int_equal(s2->tables[k]->refs, 1);
	assert_ptr_equal(rte_acl_find_existing("pw4eg_g810001"), s2->acl4);
	assert_int_equal(decide_one(s2, false, TCP4(2, 4, 80), 0), 0);
	/* 2. web also accepts TCP 443 from db: its ingress tables change, db's egress do not. */
	pwt_load(m,
		"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{"
		"'name':'web','namespace':'a'},'spec':{'podSelector':{'matchLabels':{'app':"
		"'web'}},'ingress':[{'from':[{'podSelector':{'matchLabels':{'app':'db'}}}],"
		"'ports':[{'port':80},{'port':443}]},{'from':[{'ipBlock':{'cidr':"
		"'192.168.0.0/16'}}]}]}}");
	s3 = build_on(m, 810003, s2);
	assert_int_equal(s3->info.nb_acl_reused, 2);
	assert_true(s3->info.acl_build_ns > 0);
	assert_ptr_equal(s3->acl4, s2->acl4);
	assert_ptr_equal(s3->acl6, s2->acl6);
	assert_ptr_not_equal(s3->acl4_in, s2->acl4_in);
	assert_ptr_not_equal(s3->acl6_in, s2->acl6_in);
	assert_int_equal(decide_one(s3, false, TCP4(2, 1, 443), 0), 0);
	assert_int_equal(decide_one(s3, false, TCP4(2, 4, 443), 0), 0);
	assert_int_equal(decide_one(s2, false, TCP4(2, 1, 443), 0), PW_DROP_POLICY_DENY);
	assert_int_equal(decide_one(s3, false, TCP4(2, 9, 443), 0), PW_DROP_POLICY_DENY);
	pw_snapshot_free(s2);
	assert_null(rte_acl_find_existing("pw4in_g810001"));
	assert_ptr_equal(rte_acl_find_existing("pw4eg_g810001"), s3->acl4);
	assert_int_equal(decide_one(s3, false, TCP4(2, 1, 80), 0), 0);
	pw_snapshot_free(s3);
	assert_null(rte_acl_find_existing("pw4eg_g810001"));
	assert_null(rte_acl_find_existing("pw4in_g810003"));
	pw_model_free(m);
}

/* An IPv4-only cluster gets no IPv6 table: IPv6 packets map to no identity, enforce nothing. */
static void
test_single_stack(void **state)
{
	struct pw_model *m;
	struct pw_snapshot *s;

	(void)state;
	assert_int_equal(pw_model_create(&m), 0);
	pwt_load(m, POD("web", NODE, "web", "{'ip':'10.0.0.1'}"));
	pwt_load(m, POD("db", NODE, "db", "{'ip':'10.0.0.2'}"));
	pwt_load(m, small[3]);
	s = build(m, 610001);
	assert_non_null(s->acl4_in);
	assert_null(s->acl4); /* no egress rule */
	assert_null(s->acl6);
	assert_null(s->acl6_in);
	assert_null(s->ip6);
	assert_int_equal(s->info.nb_acl_tables, 1);
	assert_int_equal(s->info.nb_acl_rules4, 2);
	assert_int_equal(s->info.nb_acl_rules6, 0);
	assert_int_equal(decide_one(s, false, TCP4(2, 1, 80), 0), 0);
	assert_int_equal(decide_one(s, false, TCP4(2, 1, 81), 0), PW_DROP_POLICY_DENY);
	assert_int_equal(decide_one(s, false, pkt(6, 2, 1, PW_IPPROTO_TCP, 81, 0), 0), 0);
	pw_snapshot_free(s);
	pw_model_free(m);
}

/* An empty cluster compiles to a snapshot that allows everything. */
static void
test_empty_model(void **state)
{
	struct pw_model *m;
	struct pw_snapshot *s;

	(void)state;
	assert_int_equal(pw_model_create(&m), 0);
	s = build(m, 600001);
	assert_true(s->compiled);
	assert_null(s->acl4);
	assert_null(s->ip4);
	assert_int_equal(s->nb_identities, 0);
	assert_int_equal(decide_one(s, false, TCP4(2, 1, 80), 0), 0);
	pw_snapshot_free(s);
	pw_model_free(m);
}

/* A cluster shaped like real ones: namespaces of replicated deployments, a handful of
 * policies each (default deny, tier to tier, monitoring, DNS and internet egress). */
static struct pw_model *
structured_model(unsigned int nb_ns, unsigned int nb_apps, unsigned int replicas)
{
	static const char *const tiers[] = { "front", "back", "db" };
	struct pw_model *m;
	char buf[1024];
	unsigned int n, k, r;

	assert_int_equal(pw_model_create(&m), 0);
	for (n = 0; n < nb_ns; n++) {
		snprintf(buf, sizeof(buf),
			"{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'ns%u','labels':"
			"{'team':'t%u'}}}",
			n, n % 4);
		pwt_load(m, buf);
		for (k = 0; k < nb_apps; k++) {
			for (r = 0; r < replicas; r++) {
				snprintf(buf, sizeof(buf),
					"{'apiVersion':'v1','kind':'Pod','metadata':{'name':'app%u-"
					"%u',"
					"'namespace':'ns%u','labels':{'app':'app%u','tier':'%s'}},"
					"'spec':{'nodeName':'%s','containers':[{'ports':[{'name':"
					"'http','containerPort':%u},{'name':'metrics','"
					"containerPort':"
					"9100},{'name':'pg','containerPort':5432}]}]},'status':{'"
					"phase':"
					"'Running','podIPs':[{'ip':'10.%u.%u.%u'},{'ip':'fd00::%x:%"
					"x:%x'}]"
					"}}",
					k, r, n, k, tiers[k * 3 / nb_apps], r % 2 ? "n2" : NODE,
					8080 + k % 2, n, k, r + 1, n, k, r + 1);
				pwt_load(m, buf);
			}
		}
		snprintf(buf, sizeof(buf),
			"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{"
			"'name':'deny','namespace':'ns%u'},'spec':{'podSelector':{},'policyTypes':"
			"['Ingress','Egress']}}",
			n);
		pwt_load(m, buf);
		snprintf(buf, sizeof(buf),
			"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{"
			"'name':'tiers','namespace':'ns%u'},'spec':{'podSelector':{'"
			"matchExpressions':"
			"[{'key':'tier','operator':'In','values':['back','db']}]},'ingress':[{'"
			"from':["
			"{'podSelector':{'matchLabels':{'tier':'front'}}}],'ports':[{'port':'http'}"
			"]},"
			"{'from':[{'podSelector':{'matchLabels':{'tier':'back'}}}],'ports':[{'port'"
			":"
			"'pg'}]}]}}",
			n);
		pwt_load(m, buf);
		snprintf(buf, sizeof(buf),
			"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{"
			"'name':'monitoring','namespace':'ns%u'},'spec':{'podSelector':{},'ingress'"
			":"
			"[{'from':[{'namespaceSelector':{'matchLabels':{'team':'t0'}},'podSelector'"
			":"
			"{'matchLabels':{'app':'app0'}}}],'ports':[{'port':'metrics'}]}]}}",
			n);
		pwt_load(m, buf);
		snprintf(buf, sizeof(buf),
			"{'apiVersion':'networking.k8s.io/v1','kind':'NetworkPolicy','metadata':{"
			"'name':'egress','namespace':'ns%u'},'spec':{'podSelector':{},'policyTypes'"
			":"
			"['Egress'],'egress':[{'to':[{'podSelector':{}}]},{'to':[{'"
			"namespaceSelector':"
			"{'matchLabels':{'team':'t3'}}}],'ports':[{'protocol':'UDP','port':53}]},"
			"{'to':[{'ipBlock':{'cidr':'0.0.0.0/0','except':['10.0.0.0/8']}}],'ports':"
			"[{'port':443}]}]}}",
			n);
		pwt_load(m, buf);
	}
	return m;
}

/* Sizes and build times of a structured mid-size cluster, for the record. */
static void
test_structured_report(void **state)
{
	struct pw_model *m = structured_model(20, 10, 5);
	struct pw_snapshot *s = build(m, 500001);
	struct pw_pkt_meta front_to_back = pkt(4, 0, 0, PW_IPPROTO_TCP, 8080, 0);

	(void)state;
	printf("aclbuild: structured model: %u pods (%u endpoints), %u policies -> %u "
	       "identities, %u policy rules, %u+%u ACL rules (v4+v6); compile %.2f ms, ACL build "
	       "%.2f ms, total %.2f ms; ACL %" PRIu64 " kB, maps %" PRIu64 " kB\n",
		pw_model_nb_pods(m), s->info.nb_endpoints, pw_model_nb_policies(m),
		s->nb_identities, s->nb_rules, s->info.nb_acl_rules4, s->info.nb_acl_rules6,
		(double)s->info.compile_ns / 1e6, (double)s->info.acl_build_ns / 1e6,
		(double)s->info.build_ns / 1e6, s->info.acl_mem_bytes / 1024,
		s->info.hash_mem_bytes / 1024);
	/* Pods of a deployment share identities: far fewer identities than pods. */
	assert_true(s->nb_identities * 2 < s->info.nb_endpoints);
	/* ns0/app0-0 (front, local) → ns0/app4-0 (back, local) on its http port 8080. */
	front_to_back.dst.b[2] = 4;
	front_to_back.src.b[3] = front_to_back.dst.b[3] = 1;
	assert_int_equal(decide_one(s, false, front_to_back, 0), 0);
	front_to_back.dport = 8081;
	assert_int_equal(decide_one(s, false, front_to_back, 0), PW_DROP_POLICY_DENY);
	pw_snapshot_free(s);
	pw_model_free(m);
}

static int
group_setup(void **state)
{
	(void)state;
	if (pwt_eal_init("test_aclbuild", "256", NULL) != 0)
		return -1;
	scratch = calloc(1, sizeof(*scratch));
	return scratch == NULL ? -1 : 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	free(scratch);
	rte_eal_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_without_tables),
		cmocka_unit_test(test_small_policy),
		cmocka_unit_test(test_snapshot_lifecycle),
		cmocka_unit_test(test_table_reuse),
		cmocka_unit_test(test_single_stack),
		cmocka_unit_test(test_empty_model),
		cmocka_unit_test(test_structured_report),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
