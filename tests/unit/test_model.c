/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The cluster model: the store (put, replace, delete, order, version, lookups, pod by IP,
 * duplicate IPs, namespace labels), label selectors and CIDR arithmetic.
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

#include "control/model/model.h"

static struct pw_ip
ip_of(const char *text)
{
	struct pw_ip ip;

	memset(&ip, 0, sizeof(ip));
	ip.family = strchr(text, ':') != NULL ? 6 : 4;
	assert_int_equal(inet_pton(ip.family == 4 ? AF_INET : AF_INET6, text, ip.addr.b), 1);
	return ip;
}

static struct pw_cidr
cidr_of(const char *addr, uint8_t prefix)
{
	struct pw_ip ip = ip_of(addr);
	struct pw_cidr c;

	memset(&c, 0, sizeof(c));
	c.family = ip.family;
	c.prefix = prefix;
	c.addr = ip.addr;
	return c;
}

/* Labels from "k=v,k2=v2" (must be given sorted by key). */
static void
labels_of(struct pw_labels *labels, const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *tok;

	labels->items = calloc(8, sizeof(*labels->items));
	labels->nb = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		*eq = '\0';
		labels->items[labels->nb].key = strdup(tok);
		labels->items[labels->nb].value = strdup(eq + 1);
		labels->nb++;
	}
	free(copy);
}

static void
labels_free(struct pw_labels *labels)
{
	unsigned int i;

	for (i = 0; i < labels->nb; i++) {
		free(labels->items[i].key);
		free(labels->items[i].value);
	}
	free(labels->items);
}

/* An endpoint pod when @p ip is given, else a pod without an IP. */
static struct pw_pod *
pod_new(const char *ns, const char *name, const char *ip, const char *labels)
{
	struct pw_pod *p = calloc(1, sizeof(*p));

	p->ns = strdup(ns);
	p->name = strdup(name);
	labels_of(&p->labels, labels);
	if (ip != NULL) {
		p->ips[0] = ip_of(ip);
		p->nb_ips = 1;
		p->endpoint = true;
	}
	return p;
}

static struct pw_namespace *
ns_new(const char *name, const char *labels)
{
	struct pw_namespace *n = calloc(1, sizeof(*n));

	n->name = strdup(name);
	labels_of(&n->labels, labels);
	return n;
}

static struct pw_policy *
policy_new(const char *ns, const char *name)
{
	struct pw_policy *p = calloc(1, sizeof(*p));

	p->ns = strdup(ns);
	p->name = strdup(name);
	p->isolates_ingress = true;
	return p;
}

static int
setup(void **state)
{
	struct pw_model *m;

	if (pw_model_create(&m) != 0)
		return -1;
	*state = m;
	return 0;
}

static int
teardown(void **state)
{
	pw_model_free(*state);
	return 0;
}

static void
test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(pw_kind_name(PW_KIND_NAMESPACE), "Namespace");
	assert_string_equal(pw_kind_name(PW_KIND_POD), "Pod");
	assert_string_equal(pw_kind_name(PW_KIND_POLICY), "NetworkPolicy");
	assert_string_equal(pw_kind_name(PW_KIND_MAX), "?");
}

static void
test_put_replace_delete(void **state)
{
	struct pw_model *m = *state;
	uint64_t v = pw_model_version(m);
	const struct pw_pod *p;

	assert_int_equal(pw_model_put_pod(m, pod_new("prod", "b", "10.0.0.2", "app=b")), 0);
	assert_int_equal(pw_model_put_pod(m, pod_new("prod", "a", "10.0.0.1", "app=a")), 0);
	assert_int_equal(pw_model_put_pod(m, pod_new("dev", "z", NULL, "")), 0);
	assert_int_equal(pw_model_nb_pods(m), 3);
	assert_true(pw_model_version(m) == v + 3);

	/* Replacing keeps the count, changes the content, and bumps the version. */
	assert_int_equal(pw_model_put_pod(m, pod_new("prod", "a", "10.0.0.9", "app=a2")), 0);
	assert_int_equal(pw_model_nb_pods(m), 3);
	assert_true(pw_model_version(m) == v + 4);
	p = pw_model_find_pod(m, "prod", "a");
	assert_non_null(p);
	assert_string_equal(pw_labels_get(&p->labels, "app"), "a2");
	/* The replaced pod's IP is free again; the new one is indexed. */
	assert_null(pw_model_pod_by_ip(m, &(struct pw_ip){ 0 }));
	{
		struct pw_ip old = ip_of("10.0.0.1"), cur = ip_of("10.0.0.9");

		assert_null(pw_model_pod_by_ip(m, &old));
		assert_ptr_equal(pw_model_pod_by_ip(m, &cur), p);
	}

	/* Same name, other namespace: another pod. */
	assert_null(pw_model_find_pod(m, "dev", "a"));
	assert_int_equal(pw_model_delete(m, PW_KIND_POD, "dev", "a"), -ENOENT);
	assert_true(pw_model_version(m) == v + 4);
	assert_int_equal(pw_model_delete(m, PW_KIND_POD, "prod", "a"), 0);
	assert_null(pw_model_find_pod(m, "prod", "a"));
	assert_int_equal(pw_model_nb_pods(m), 2);
	assert_true(pw_model_version(m) == v + 5);
	assert_int_equal(pw_model_delete(m, PW_KIND_POD, "prod", "a"), -ENOENT);

	/* Namespaces ignore the ns argument of delete. */
	assert_int_equal(pw_model_put_namespace(m, ns_new("prod", "team=a")), 0);
	assert_non_null(pw_model_find_namespace(m, "prod"));
	assert_int_equal(pw_model_delete(m, PW_KIND_NAMESPACE, "whatever", "prod"), 0);
	assert_null(pw_model_find_namespace(m, "prod"));

	assert_int_equal(pw_model_put_policy(m, policy_new("prod", "deny")), 0);
	assert_non_null(pw_model_find_policy(m, "prod", "deny"));
	assert_null(pw_model_find_policy(m, "dev", "deny"));
	assert_int_equal(pw_model_delete(m, PW_KIND_POLICY, "prod", "deny"), 0);
	assert_int_equal(pw_model_nb_policies(m), 0);

	/* Objects without a key are refused (and freed). */
	assert_int_equal(pw_model_put_policy(m, calloc(1, sizeof(struct pw_policy))), -EINVAL);
	assert_int_equal(pw_model_put_namespace(m, NULL), -EINVAL);

	v = pw_model_version(m);
	pw_model_clear(m);
	assert_int_equal(pw_model_nb_pods(m), 0);
	assert_null(pw_model_find_pod(m, "prod", "b"));
	assert_true(pw_model_version(m) > v);
	/* The model is usable after a clear. */
	assert_int_equal(pw_model_put_pod(m, pod_new("prod", "b", "10.0.0.2", "")), 0);
	assert_non_null(pw_model_find_pod(m, "prod", "b"));
}

static void
test_iteration_order(void **state)
{
	static const char *const names[][2] = {
		{ "prod", "web" },
		{ "dev", "web" },
		{ "prod", "api" },
		{ "a", "z" },
		{ "prod", "api-2" },
		{ "dev", "a" },
	};
	static const char *const want[][2] = {
		{ "a", "z" },
		{ "dev", "a" },
		{ "dev", "web" },
		{ "prod", "api" },
		{ "prod", "api-2" },
		{ "prod", "web" },
	};
	struct pw_model *m = *state;
	unsigned int i;

	for (i = 0; i < 6; i++)
		assert_int_equal(pw_model_put_policy(m, policy_new(names[i][0], names[i][1])), 0);
	assert_int_equal(pw_model_nb_policies(m), 6);
	for (i = 0; i < 6; i++) {
		assert_string_equal(pw_model_policy_at(m, i)->ns, want[i][0]);
		assert_string_equal(pw_model_policy_at(m, i)->name, want[i][1]);
	}
	assert_null(pw_model_policy_at(m, 6));
	/* A delete keeps the order of the rest. */
	assert_int_equal(pw_model_delete(m, PW_KIND_POLICY, "dev", "web"), 0);
	assert_string_equal(pw_model_policy_at(m, 2)->name, "api");

	assert_int_equal(pw_model_put_namespace(m, ns_new("b", "")), 0);
	assert_int_equal(pw_model_put_namespace(m, ns_new("a", "")), 0);
	assert_int_equal(pw_model_nb_namespaces(m), 2);
	assert_string_equal(pw_model_namespace_at(m, 0)->name, "a");
	assert_string_equal(pw_model_namespace_at(m, 1)->name, "b");
	assert_null(pw_model_namespace_at(m, 2));
	assert_null(pw_model_pod_at(m, 0));
}

/* Many pods in scrambled order, with deletes: lookups, IPs and order stay right. */
static void
test_many_pods(void **state)
{
	enum {
		N = 3000
	};
	struct pw_model *m = *state;
	char ns[16], name[16], ip[32];
	unsigned int i, k;

	for (k = 0; k < N; k++) {
		i = (k * 7919) % N;
		snprintf(ns, sizeof(ns), "ns%u", i % 13);
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(ip, sizeof(ip), "10.%u.%u.1", i / 256, i % 256);
		assert_int_equal(pw_model_put_pod(m, pod_new(ns, name, ip, "")), 0);
	}
	for (i = 0; i < N; i += 3) {
		snprintf(ns, sizeof(ns), "ns%u", i % 13);
		snprintf(name, sizeof(name), "p%u", i);
		assert_int_equal(pw_model_delete(m, PW_KIND_POD, ns, name), 0);
	}
	assert_int_equal(pw_model_nb_pods(m), N - (N + 2) / 3);
	for (i = 0; i < N; i++) {
		struct pw_ip addr;
		const struct pw_pod *p;

		snprintf(ns, sizeof(ns), "ns%u", i % 13);
		snprintf(name, sizeof(name), "p%u", i);
		snprintf(ip, sizeof(ip), "10.%u.%u.1", i / 256, i % 256);
		addr = ip_of(ip);
		p = pw_model_find_pod(m, ns, name);
		if (i % 3 == 0) {
			assert_null(p);
			assert_null(pw_model_pod_by_ip(m, &addr));
		} else {
			assert_non_null(p);
			assert_ptr_equal(pw_model_pod_by_ip(m, &addr), p);
		}
	}
	for (i = 1; i < pw_model_nb_pods(m); i++) {
		const struct pw_pod *a = pw_model_pod_at(m, i - 1), *b = pw_model_pod_at(m, i);
		int c = strcmp(a->ns, b->ns);

		assert_true(c < 0 || (c == 0 && strcmp(a->name, b->name) < 0));
	}
}

static void
test_pod_by_ip(void **state)
{
	struct pw_model *m = *state;
	struct pw_pod *dual = pod_new("prod", "dual", "10.0.0.1", "");
	struct pw_pod *done = pod_new("prod", "done", "10.0.0.7", "");
	struct pw_ip v4 = ip_of("10.0.0.1"), v6 = ip_of("fd00::1"), other = ip_of("10.0.0.2");
	struct pw_ip mapped = ip_of("::ffff:10.0.0.1");
	const struct pw_pod *p;

	dual->ips[1] = ip_of("fd00::1");
	dual->nb_ips = 2;
	done->endpoint = false;
	assert_int_equal(pw_model_put_pod(m, dual), 0);
	assert_int_equal(pw_model_put_pod(m, done), 0);
	p = pw_model_find_pod(m, "prod", "dual");
	assert_ptr_equal(pw_model_pod_by_ip(m, &v4), p);
	assert_ptr_equal(pw_model_pod_by_ip(m, &v6), p);
	assert_null(pw_model_pod_by_ip(m, &other));
	/* The same 32 bits as IPv6 are another address. */
	assert_null(pw_model_pod_by_ip(m, &mapped));
	/* Bytes past an IPv4 address are not part of it. */
	v4.addr.b[10] = 0xee;
	assert_ptr_equal(pw_model_pod_by_ip(m, &v4), p);
	/* Non-endpoint pods are not found by IP. */
	other = ip_of("10.0.0.7");
	assert_null(pw_model_pod_by_ip(m, &other));
	v4.family = 5;
	assert_null(pw_model_pod_by_ip(m, &v4));
}

static void
test_duplicate_ip(void **state)
{
	struct pw_model *m = *state;
	struct pw_ip ip = ip_of("10.0.0.1");
	struct pw_pod *finished;
	uint64_t v;

	assert_int_equal(pw_model_put_pod(m, pod_new("prod", "a", "10.0.0.1", "")), 0);
	v = pw_model_version(m);
	/* Another endpoint pod claiming the IP is refused; the model is unchanged. */
	assert_int_equal(pw_model_put_pod(m, pod_new("dev", "b", "10.0.0.1", "")), -EINVAL);
	assert_int_equal(pw_model_put_pod(m, pod_new("prod", "b", "10.0.0.1", "")), -EINVAL);
	assert_true(pw_model_version(m) == v);
	assert_null(pw_model_find_pod(m, "prod", "b"));
	assert_string_equal(pw_model_pod_by_ip(m, &ip)->name, "a");
	/* A finished pod may keep a reused IP: it is no endpoint. */
	finished = pod_new("prod", "old", "10.0.0.1", "");
	finished->endpoint = false;
	assert_int_equal(pw_model_put_pod(m, finished), 0);
	assert_string_equal(pw_model_pod_by_ip(m, &ip)->name, "a");
	/* The owner may be replaced with the same IP. */
	assert_int_equal(pw_model_put_pod(m, pod_new("prod", "a", "10.0.0.1", "v=2")), 0);
	/* Once the owner is gone, the IP is free. */
	assert_int_equal(pw_model_delete(m, PW_KIND_POD, "prod", "a"), 0);
	assert_int_equal(pw_model_put_pod(m, pod_new("dev", "b", "10.0.0.1", "")), 0);
	assert_string_equal(pw_model_pod_by_ip(m, &ip)->name, "b");
	/* Deleting the finished pod must not drop the new owner's entry. */
	assert_int_equal(pw_model_delete(m, PW_KIND_POD, "prod", "old"), 0);
	assert_string_equal(pw_model_pod_by_ip(m, &ip)->name, "b");
}

static void
test_ns_labels(void **state)
{
	struct pw_model *m = *state;
	struct pw_labels scratch;
	struct pw_label label;
	const struct pw_labels *l;

	/* Without the Namespace object: only the name label the API server would add. */
	l = pw_model_ns_labels(m, "prod", &scratch, &label);
	assert_ptr_equal(l, &scratch);
	assert_int_equal(l->nb, 1);
	assert_string_equal(pw_labels_get(l, PW_NS_NAME_LABEL), "prod");
	assert_null(pw_labels_get(l, "team"));
	/* With it: its labels. */
	assert_int_equal(pw_model_put_namespace(m,
				 ns_new("prod",
					 "kubernetes.io/metadata.name=prod,"
					 "team=a")),
		0);
	l = pw_model_ns_labels(m, "prod", &scratch, &label);
	assert_ptr_equal(l, &pw_model_find_namespace(m, "prod")->labels);
	assert_string_equal(pw_labels_get(l, "team"), "a");
}

static void
test_labels_get(void **state)
{
	struct pw_labels l;

	(void)state;
	labels_of(&l, "a=1,b=2,c=,d.io/e=4");
	assert_string_equal(pw_labels_get(&l, "a"), "1");
	assert_string_equal(pw_labels_get(&l, "c"), "");
	assert_string_equal(pw_labels_get(&l, "d.io/e"), "4");
	assert_null(pw_labels_get(&l, "e"));
	assert_null(pw_labels_get(&l, ""));
	assert_null(pw_labels_get(NULL, "a"));
	labels_free(&l);
}

static void
test_selectors(void **state)
{
	static char a[] = "a", b[] = "b", k[] = "k";
	static char *ab[] = { a, b };
	static const struct {
		enum pw_sel_op op;
		unsigned int nb_values;
		const char *labels;
		bool match;
	} cases[] = {
		{ PW_SEL_IN, 2, "k=a", true },
		{ PW_SEL_IN, 2, "k=b", true },
		{ PW_SEL_IN, 2, "k=c", false },
		{ PW_SEL_IN, 2, "x=a", false }, /* absent key */
		{ PW_SEL_IN, 1, "k=b", false },
		{ PW_SEL_NOT_IN, 2, "k=a", false },
		{ PW_SEL_NOT_IN, 2, "k=c", true },
		{ PW_SEL_NOT_IN, 2, "x=a", true }, /* absent key matches, as in Kubernetes */
		{ PW_SEL_NOT_IN, 2, "", true },
		{ PW_SEL_EXISTS, 0, "k=", true },
		{ PW_SEL_EXISTS, 0, "k=z", true },
		{ PW_SEL_EXISTS, 0, "x=z", false },
		{ PW_SEL_DOES_NOT_EXIST, 0, "k=z", false },
		{ PW_SEL_DOES_NOT_EXIST, 0, "x=z", true },
		{ PW_SEL_DOES_NOT_EXIST, 0, "", true },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pw_sel_req req = {
			.key = k,
			.op = cases[i].op,
			.values = ab,
			.nb_values = cases[i].nb_values,
		};
		struct pw_selector sel = { .reqs = &req, .nb_reqs = 1 };
		struct pw_labels l;

		labels_of(&l, cases[i].labels);
		if (pw_selector_matches(&sel, &l) != cases[i].match)
			fail_msg("case %u: want %d", i, cases[i].match);
		labels_free(&l);
	}
}

static void
test_selector_and_empty(void **state)
{
	static char web_v[] = "web", app[] = "app", canary_k[] = "canary";
	static char *va[] = { web_v };
	struct pw_sel_req reqs[2] = {
		{ .key = app, .op = PW_SEL_IN, .values = va, .nb_values = 1 },
		{ .key = canary_k, .op = PW_SEL_DOES_NOT_EXIST },
	};
	struct pw_selector both = { .reqs = reqs, .nb_reqs = 2 };
	struct pw_selector empty = { .reqs = NULL, .nb_reqs = 0 };
	struct pw_labels web, canary, none;

	(void)state;
	labels_of(&web, "app=web");
	labels_of(&canary, "app=web,canary=1");
	labels_of(&none, "");
	/* Requirements are ANDed. */
	assert_true(pw_selector_matches(&both, &web));
	assert_false(pw_selector_matches(&both, &canary));
	assert_false(pw_selector_matches(&both, &none));
	/* {} matches everything, even no labels at all. */
	assert_true(pw_selector_matches(&empty, &web));
	assert_true(pw_selector_matches(&empty, &none));
	labels_free(&web);
	labels_free(&canary);
	labels_free(&none);
}

static void
test_cidr(void **state)
{
	static const struct {
		const char *net;
		uint8_t prefix;
		const char *ip;
		bool in;
	} cases[] = {
		{ "0.0.0.0", 0, "255.255.255.255", true },
		{ "0.0.0.0", 0, "0.0.0.0", true },
		{ "0.0.0.0", 0, "::", false }, /* families never mix */
		{ "::", 0, "10.0.0.1", false },
		{ "::", 0, "ffff::1", true },
		{ "10.0.0.1", 32, "10.0.0.1", true },
		{ "10.0.0.1", 32, "10.0.0.2", false },
		{ "10.0.0.0", 8, "10.255.1.2", true },
		{ "10.0.0.0", 8, "11.0.0.0", false },
		{ "128.0.0.0", 1, "200.0.0.1", true },
		{ "128.0.0.0", 1, "127.255.255.255", false },
		{ "10.0.0.0", 15, "10.1.255.255", true },
		{ "10.0.0.0", 15, "10.2.0.0", false },
		{ "fd00::1", 128, "fd00::1", true },
		{ "fd00::1", 128, "fd00::2", false },
		{ "fd00::", 7, "fc00::1", true },
		{ "fd00::", 8, "fc00::1", false },
		{ "2001:db8::", 33, "2001:db8:7fff::1", true },
		{ "2001:db8::", 33, "2001:db8:8000::1", false },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pw_cidr c = cidr_of(cases[i].net, cases[i].prefix);
		struct pw_ip ip = ip_of(cases[i].ip);

		if (pw_cidr_contains(&c, &ip) != cases[i].in)
			fail_msg("case %u: %s/%u %s: want %d", i, cases[i].net, cases[i].prefix,
				cases[i].ip, cases[i].in);
	}
}

static void
test_ipblock(void **state)
{
	struct pw_cidr except[2] = { cidr_of("10.1.0.0", 16), cidr_of("10.2.3.4", 32) };
	struct pw_peer peer = {
		.kind = PW_PEER_IPBLOCK,
		.cidr = cidr_of("10.0.0.0", 8),
		.except = except,
		.nb_except = 2,
	};
	struct pw_ip a = ip_of("10.0.0.1"), b = ip_of("10.1.2.3"), c = ip_of("10.2.3.4");
	struct pw_ip d = ip_of("10.2.3.5"), e = ip_of("11.0.0.0");
	struct pw_peer all6 = { .kind = PW_PEER_IPBLOCK, .cidr = cidr_of("::", 0) };
	struct pw_ip v6 = ip_of("fd00::1");

	(void)state;
	assert_true(pw_ipblock_contains(&peer, &a));
	assert_false(pw_ipblock_contains(&peer, &b));
	assert_false(pw_ipblock_contains(&peer, &c));
	assert_true(pw_ipblock_contains(&peer, &d));
	assert_false(pw_ipblock_contains(&peer, &e));
	assert_true(pw_ipblock_contains(&all6, &v6));
	assert_false(pw_ipblock_contains(&all6, &a));
	/* Only IPBLOCK peers hold addresses. */
	peer.kind = PW_PEER_PODS;
	assert_false(pw_ipblock_contains(&peer, &a));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test_setup_teardown(test_put_replace_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iteration_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_pods, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pod_by_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ns_labels, setup, teardown),
		cmocka_unit_test(test_labels_get),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_selector_and_empty),
		cmocka_unit_test(test_cidr),
		cmocka_unit_test(test_ipblock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
