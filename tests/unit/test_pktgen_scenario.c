/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-bench's scenario (bench/pktgen/scenario*.c): the manifests it writes decode with no
 * rejection through podwall's manifests source; every flow's expected verdict, and every
 * reply's, is pw_ref_evaluate()'s on a model this test decodes itself from those manifests,
 * flow by flow, without the scenario's cache or classes; the allowed share is the one asked;
 * the rich shape's rules are each exercised; the simple shape is unchanged.
 */
#include <errno.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "../../bench/pktgen/scenario.h"
#include "control/manifests.h"
#include "control/model/decode.h"
#include "control/model/model.h"
#include "control/model/refeval.h"

/* ---- The test's own decoding of a scenario directory ----------------------------------- */

struct tload {
	struct pw_model *model;
	unsigned int objects;
	unsigned int rejected;
};

static void
t_object(void *arg, const json_t *obj, const char *file, unsigned int line)
{
	struct tload *l = arg;
	struct pw_k8s_obj o;
	char err[512];
	int r;

	if (pw_k8s_decode(obj, NULL, &o, err, sizeof(err)) != 0) {
		print_error("%s:%u: %s\n", file, line, err);
		l->rejected++;
		return;
	}
	r = o.kind == PW_KIND_NAMESPACE ? pw_model_put_namespace(l->model, o.ns) :
		o.kind == PW_KIND_POD	? pw_model_put_pod(l->model, o.pod) :
					  pw_model_put_policy(l->model, o.policy);
	if (r != 0)
		l->rejected++;
	else
		l->objects++;
}

static void
t_removed(void *arg, const char *kind, const char *ns, const char *name)
{
	(void)kind;
	(void)ns;
	(void)name;
	((struct tload *)arg)->rejected++;
}

static void
t_error(void *arg, const char *file, unsigned int line, const char *msg)
{
	print_error("%s:%u: %s\n", file, line, msg);
	((struct tload *)arg)->rejected++;
}

static const struct pw_manifests_ops t_ops = {
	.object = t_object,
	.removed = t_removed,
	.error = t_error,
};

static struct pw_model *
load_dir(const char *dir, unsigned int want_objects)
{
	struct tload l = { .objects = 0 };
	struct pw_manifests *m;

	assert_int_equal(pw_model_create(&l.model), 0);
	assert_int_equal(pw_manifests_create(dir, &t_ops, &l, NULL, &m), 0);
	assert_int_equal(pw_manifests_scan(m), 0);
	pw_manifests_free(m);
	assert_int_equal(l.rejected, 0);
	assert_int_equal(l.objects, want_objects);
	return l.model;
}

static void
make_dir(char *dir)
{
	strcpy(dir, "/tmp/pw-test-scenario-XXXXXX");
	assert_non_null(mkdtemp(dir));
}

static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		assert_int_equal(unlink(path), 0);
	}
	closedir(d);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- Flows ---------------------------------------------------------------------------- */

static void
ip_of(uint32_t e, bool v6, struct pw_ip *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->family = v6 ? 6 : 4;
	if (v6)
		sc_pod_ip6(e, ret->addr.b);
	else
		ret->addr.v4 = htonl(sc_pod_ip(e));
}

static void
judge(const struct pw_model *m, uint32_t s, uint32_t d, bool v6, uint8_t proto, uint16_t port,
	struct pw_verdict_pair *v)
{
	struct pw_flow fl;

	ip_of(s, v6, &fl.src);
	ip_of(d, v6, &fl.dst);
	fl.proto = proto;
	fl.dport = port;
	pw_ref_evaluate(m, SC_NODE, &fl, v);
}

/* What the generator does before asking for verdicts: family and protocol per flow. */
static struct sc_flow *
new_flows(unsigned int n, uint64_t seed, unsigned int v6_pct)
{
	struct sc_flow *f = calloc(n, sizeof(*f));
	unsigned int i;

	assert_non_null(f);
	for (i = 0; i < n; i++) {
		uint64_t h = sc_mix64(seed * 31 + i);
		f[i].v6 = (h % 100) < v6_pct;
		f[i].proto = (h >> 32) & 1 ? IPPROTO_TCP : IPPROTO_UDP;
	}
	return f;
}

struct size {
	unsigned int pods, ns, apps, policies;
	uint64_t seed;
};

static const struct size sizes[] = {
	{ 60, 3, 4, 12, 1 },
	{ 400, 7, 6, 60, 7 },
	{ 1200, 10, 10, 150, 42 },
};

static struct sc_params
params_of(const struct size *z, enum sc_shapes shapes, unsigned int pct)
{
	struct sc_params p = { .nb_pods = z->pods,
		.nb_ns = z->ns,
		.nb_apps = z->apps,
		.nb_policies = z->policies,
		.allowed_pct = pct,
		.seed = z->seed,
		.shapes = shapes };

	assert_int_equal(sc_normalize(&p), 0);
	return p;
}

static unsigned int
nb_objects(const struct sc_params *p)
{
	if (p->shapes == SC_SHAPES_RICH)
		return p->nb_ns + 1 + p->nb_pods + SC_NB_DNS_PODS + p->nb_policies;
	return p->nb_ns + p->nb_pods + p->nb_policies;
}

/* Every flow and every reply checked against refeval on the test's model, one by one. */
static void
check_flows(const struct pw_model *m, const struct sc_scenario *sc, const struct sc_flow *f,
	unsigned int n, bool replies)
{
	static const uint16_t ports[] = { 53, 443, 8080, 8081, 8443, 9100, 30000, 30100, 30101,
		50051, 1024, 65535 };
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		struct pw_verdict_pair v;

		assert_int_equal(f[i].src_ip, sc_pod_ip(f[i].src_pod));
		assert_int_equal(f[i].dst_ip, sc_pod_ip(f[i].dst_pod));
		judge(m, f[i].src_pod, f[i].dst_pod, f[i].v6, f[i].proto, f[i].dport, &v);
		if (v.allowed != (f[i].allowed != 0))
			fail_msg("flow %u: %u -> %u %s/%u v6 %u: scenario says %u, refeval %u", i,
				f[i].src_pod, f[i].dst_pod,
				f[i].proto == IPPROTO_TCP ? "tcp" : "udp", f[i].dport, f[i].v6,
				f[i].allowed, v.allowed);
		if (!replies)
			continue;
		for (k = 0; k <= sizeof(ports) / sizeof(ports[0]); k++) {
			uint16_t sp = k == 0 ? f[i].sport : ports[k - 1];

			judge(m, f[i].dst_pod, f[i].src_pod, f[i].v6, f[i].proto, sp, &v);
			if (v.allowed != sc_scenario_reply_allowed(sc, &f[i], sp))
				fail_msg("flow %u: reply from port %u: scenario %u, refeval %u", i,
					sp, !v.allowed, v.allowed);
		}
	}
}

static void
test_rich_decodes_and_verdicts_match(void **state)
{
	unsigned int z, pct;

	(void)state;
	for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]); z++) {
		for (pct = 20; pct <= 80; pct += 60) {
			struct sc_params p = params_of(&sizes[z], SC_SHAPES_RICH, pct);
			unsigned int n = 3000, nb_allowed = 0, i;
			struct sc_flow *f = new_flows(n, p.seed, 30);
			struct sc_flow_stats st;
			struct sc_scenario *sc;
			struct pw_model *m;
			char dir[64], err[512];

			make_dir(dir);
			if (sc_scenario_create(&p, dir, &sc, err, sizeof(err)) != 0)
				fail_msg("create: %s", err);
			m = load_dir(dir, nb_objects(&p));
			assert_int_equal(sc_scenario_flows(sc, f, n, SC_FLOWS_REPLIES, &st), 0);
			check_flows(m, sc, f, n, true);
			for (i = 0; i < n; i++)
				nb_allowed += f[i].allowed;
			/* The share asked, within 4 points (3000 draws: sd < 1 point). */
			assert_int_equal(st.unmet, 0);
			assert_true(nb_allowed * 100 >= (pct - 4) * n);
			assert_true(nb_allowed * 100 <= (pct + 4) * n);
			assert_true(st.evaluations > 0); /* replies' port intervals included */
			pw_model_free(m);
			sc_scenario_free(sc);
			remove_dir(dir);
			free(f);
		}
	}
}

/* The extreme shares: every flow allowed, every flow denied. */
static void
test_rich_extreme_shares(void **state)
{
	unsigned int pct;

	(void)state;
	for (pct = 0; pct <= 100; pct += 100) {
		struct sc_params p = params_of(&sizes[1], SC_SHAPES_RICH, pct);
		struct sc_flow *f = new_flows(2000, 3, 50);
		struct sc_flow_stats st;
		struct sc_scenario *sc;
		char err[512];
		unsigned int i;

		assert_int_equal(sc_scenario_create(&p, NULL, &sc, err, sizeof(err)), 0);
		assert_int_equal(sc_scenario_flows(sc, f, 2000, 0, &st), 0);
		assert_int_equal(st.unmet, 0);
		/* Without replies, at most one evaluation per candidate (the rest is cache). */
		assert_true(st.evaluations > 0 && st.evaluations <= st.candidates);
		for (i = 0; i < 2000; i++)
			assert_int_equal(f[i].allowed, pct == 100);
		check_flows(sc_scenario_model(sc), sc, f, 2000, false);
		sc_scenario_free(sc);
		free(f);
	}
}

static bool
rule_has_ns_selector(const struct pw_np_rule *r)
{
	unsigned int i;

	for (i = 0; i < r->nb_peers; i++)
		if (r->peers[i].kind == PW_PEER_PODS && r->peers[i].has_ns_selector)
			return true;
	return false;
}

static bool
rule_has_ipblock(const struct pw_np_rule *r)
{
	unsigned int i;

	for (i = 0; i < r->nb_peers; i++)
		if (r->peers[i].kind == PW_PEER_IPBLOCK)
			return true;
	return false;
}

/* How the rule's ports matched @p proto / @p port: 'n' a number, 'r' a range, 'N' by name
 * only, 'a' no ports or protocol only. */
static char
port_match(const struct pw_np_rule *r, uint8_t proto, uint16_t port)
{
	unsigned int i;
	bool named = false;

	if (r->nb_ports == 0)
		return 'a';
	for (i = 0; i < r->nb_ports; i++) {
		const struct pw_np_port *pp = &r->ports[i];

		if (pp->proto != proto)
			continue;
		if (pp->kind == PW_NP_PORT_ANY)
			return 'a';
		if (pp->kind == PW_NP_PORT_NUMBER && port >= pp->port && port <= pp->end_port)
			return pp->end_port > pp->port ? 'r' : 'n';
		named |= pp->kind == PW_NP_PORT_NAMED;
	}
	return named ? 'N' : '?';
}

static const char *
pod_ns_of(const struct pw_model *m, uint32_t e)
{
	struct pw_ip ip;
	const struct pw_pod *pod;

	if ((e & SC_EXT_BIT) != 0)
		return NULL;
	ip_of(e, false, &ip);
	pod = pw_model_pod_by_ip(m, &ip);
	assert_non_null(pod);
	return pod->ns;
}

static void
test_rich_shapes_present(void **state)
{
	struct sc_params p = params_of(&sizes[2], SC_SHAPES_RICH, 60);
	unsigned int n = 20000, i;
	struct sc_flow *f = new_flows(n, 11, 50);
	struct sc_scenario *sc;
	const struct pw_model *m;
	char err[512];
	unsigned int cross_ns = 0, named = 0, range = 0, dns = 0, egress_denied = 0;
	unsigned int ipblock4 = 0, ipblock6 = 0, except = 0, ingress_denied = 0;

	(void)state;
	assert_int_equal(sc_scenario_create(&p, NULL, &sc, err, sizeof(err)), 0);
	m = sc_scenario_model(sc);
	assert_int_equal(sc_scenario_flows(sc, f, n, 0, NULL), 0);
	for (i = 0; i < n; i++) {
		const struct sc_flow *x = &f[i];
		const char *sns = pod_ns_of(m, x->src_pod), *dns_ = pod_ns_of(m, x->dst_pod);
		struct pw_verdict_pair v;
		const struct pw_np_rule *ir = NULL, *er = NULL;

		judge(m, x->src_pod, x->dst_pod, x->v6, x->proto, x->dport, &v);
		assert_int_equal(v.allowed, x->allowed);
		if (v.ingress.reason == PW_DIR_ALLOWED)
			ir = &v.ingress.policy->ingress[v.ingress.rule];
		if (v.egress.reason == PW_DIR_ALLOWED)
			er = &v.egress.policy->egress[v.egress.rule];
		if (v.allowed && ir != NULL && dns_ != NULL && strcmp(sns, dns_) != 0 &&
			rule_has_ns_selector(ir))
			cross_ns++;
		if (v.allowed &&
			((ir != NULL && port_match(ir, x->proto, x->dport) == 'N') ||
				(er != NULL && port_match(er, x->proto, x->dport) == 'N')))
			named++;
		if (v.allowed && ir != NULL && port_match(ir, x->proto, x->dport) == 'r')
			range++;
		if (v.allowed && er != NULL && dns_ != NULL && strcmp(dns_, "kube-system") == 0 &&
			x->dport == 53)
			dns++;
		if (v.egress.reason == PW_DIR_NO_RULE)
			egress_denied++;
		if (v.ingress.reason == PW_DIR_NO_RULE)
			ingress_denied++;
		if (v.allowed && er != NULL && rule_has_ipblock(er) && (x->dst_pod & SC_EXT_BIT)) {
			ipblock4 += !x->v6;
			ipblock6 += x->v6;
		}
		/* Outside address 1 lies in the first ipBlock's except range. */
		if (x->dst_pod == (SC_EXT_BIT | 1) && v.egress.reason == PW_DIR_NO_RULE)
			except++;
	}
	print_message("cross-ns %u named %u range %u dns %u ipblock v4 %u v6 %u except %u "
		      "egress-denied %u ingress-denied %u\n",
		cross_ns, named, range, dns, ipblock4, ipblock6, except, egress_denied,
		ingress_denied);
	assert_true(cross_ns > 0);
	assert_true(named > 0);
	assert_true(range > 0);
	assert_true(dns > 0);
	assert_true(ipblock4 > 0);
	assert_true(ipblock6 > 0);
	assert_true(except > 0);
	assert_true(egress_denied > 0);
	assert_true(ingress_denied > 0);
	sc_scenario_free(sc);
	free(f);
}

/* Same parameters, same manifests-derived flows; another seed, other flows. */
static void
test_rich_deterministic(void **state)
{
	struct sc_params p = params_of(&sizes[1], SC_SHAPES_RICH, 50);
	struct sc_flow *a = new_flows(1000, 5, 40), *b = new_flows(1000, 5, 40);
	struct sc_scenario *s1, *s2;
	char err[512];

	(void)state;
	assert_int_equal(sc_scenario_create(&p, NULL, &s1, err, sizeof(err)), 0);
	assert_int_equal(sc_scenario_flows(s1, a, 1000, SC_FLOWS_REPLIES, NULL), 0);
	p.seed++;
	assert_int_equal(sc_scenario_create(&p, NULL, &s2, err, sizeof(err)), 0);
	assert_int_equal(sc_scenario_flows(s2, b, 1000, SC_FLOWS_REPLIES, NULL), 0);
	assert_memory_not_equal(a, b, 1000 * sizeof(*a));
	sc_scenario_free(s2);
	p.seed--;
	free(b);
	b = new_flows(1000, 5, 40);
	assert_int_equal(sc_scenario_create(&p, NULL, &s2, err, sizeof(err)), 0);
	assert_int_equal(sc_scenario_flows(s2, b, 1000, SC_FLOWS_REPLIES, NULL), 0);
	assert_memory_equal(a, b, 1000 * sizeof(*a));
	sc_scenario_free(s1);
	sc_scenario_free(s2);
	free(a);
	free(b);
}

/* An object podwall rejects in the scenario's directory fails the scenario, loudly. */
static void
test_rejection_fails(void **state)
{
	struct sc_params p = params_of(&sizes[0], SC_SHAPES_RICH, 50);
	struct sc_scenario *sc = NULL;
	char dir[64], path[128], err[512] = "";
	FILE *f;

	(void)state;
	make_dir(dir);
	snprintf(path, sizeof(path), "%s/30-bad.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f,
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
		"  name: bad\n  namespace: ns-0\nspec:\n  podSelector: {}\n  ingress:\n"
		"    - from:\n        - ipBlock:\n            cidr: 10.0.0/8\n");
	assert_int_equal(fclose(f), 0);
	assert_int_equal(sc_scenario_create(&p, dir, &sc, err, sizeof(err)), -EINVAL);
	assert_null(sc);
	assert_non_null(strstr(err, "bad"));
	remove_dir(dir);
}

/*
 * The simple shape: sc_scenario_flows() gives sc_flows()'s flows (the recorded figures' ones)
 * with the caller's family and protocol kept, and sc_allowed() agrees with refeval on the
 * decoded simple manifests too.
 */
static void
test_simple_unchanged(void **state)
{
	struct sc_params p = params_of(&sizes[1], SC_SHAPES_SIMPLE, 80);
	unsigned int n = 2000, i;
	struct sc_flow *a = new_flows(n, 9, 30), *b = calloc(n, sizeof(*b));
	struct sc_scenario *sc;
	struct pw_model *m;
	char dir[64], err[512];

	(void)state;
	assert_non_null(b);
	make_dir(dir);
	assert_int_equal(sc_scenario_create(&p, dir, &sc, err, sizeof(err)), 0);
	assert_null(sc_scenario_model(sc));
	m = load_dir(dir, nb_objects(&p));
	assert_int_equal(sc_scenario_flows(sc, a, n, SC_FLOWS_REPLIES, NULL), 0);
	sc_flows(&p, b, n);
	for (i = 0; i < n; i++) {
		assert_int_equal(a[i].src_pod, b[i].src_pod);
		assert_int_equal(a[i].dst_pod, b[i].dst_pod);
		assert_int_equal(a[i].dport, b[i].dport);
		assert_int_equal(a[i].sport, b[i].sport);
		assert_int_equal(a[i].allowed, b[i].allowed);
	}
	/* Replies: the simple shape isolates no egress, so refeval agrees for every port. */
	check_flows(m, sc, a, n, true);
	pw_model_free(m);
	sc_scenario_free(sc);
	remove_dir(dir);
	free(a);
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rich_decodes_and_verdicts_match),
		cmocka_unit_test(test_rich_extreme_shares),
		cmocka_unit_test(test_rich_shapes_present),
		cmocka_unit_test(test_rich_deterministic),
		cmocka_unit_test(test_rejection_fails),
		cmocka_unit_test(test_simple_unchanged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
