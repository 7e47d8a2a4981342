/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiled policy against the reference evaluator (OVS test-classifier's "trivial
 * classifier" idea): random namespaces, pods and NetworkPolicies, random flows, and for every
 * flow the verdict of the real fast path (pw_decide_burst() on bursts of 1..64 metas, every
 * classify algorithm the CPU has) and of explain must equal pw_ref_evaluate(), direction by
 * direction, down to the deciding policy and rule and the hit counters.
 *
 * The seed is fixed and printed; PW_ACL_EQUIV_SEED and PW_ACL_EQUIV_ROUNDS override it and
 * the round count. A mismatch prints the model and the flow.
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
#include <time.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_acl.h>
#include <rte_memory.h>

#include "control/aclbuild.h"
#include "control/model/compile.h"
#include "control/model/refeval.h"
#include "dataplane/decide.h"
#include "podwall/pw_explain.h"
#include "tests/lib/eal_setup.h"

#define DEFAULT_SEED 0x70d3a11ull
#define DEFAULT_ROUNDS 2500
#define FLOWS_PER_ROUND 64
#define NODE "n1"

static uint64_t rng;
static struct pw_cls_scratch *scratch;

static uint64_t
rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned int
rn(unsigned int n)
{
	return n != 0 ? (unsigned int)(rnd() % n) : 0;
}

static bool
chance(unsigned int pct)
{
	return rn(100) < pct;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	assert_non_null(d);
	return d;
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n != 0 ? n : 1, size);

	assert_non_null(p);
	return p;
}

/* ---- Random model ------------------------------------------------------------------- */

static const char *const ns_names[] = { "a", "b", "c" };
static const char *const pod_keys[] = { "app", "role", "tier" };
static const char *const ns_keys[] = { "env", "team", PW_NS_NAME_LABEL };
static const char *const values[] = { "x", "y", "z" };
static const char *const port_names[] = { "http", "dns", "m" };
static const uint16_t port_numbers[] = { 53, 80, 443, 8080, 9090 };
static const uint8_t protos[] = { PW_IPPROTO_TCP, PW_IPPROTO_UDP, PW_IPPROTO_SCTP };
static const uint8_t flow_protos[] = { PW_IPPROTO_TCP, PW_IPPROTO_TCP, PW_IPPROTO_UDP,
	PW_IPPROTO_UDP, PW_IPPROTO_SCTP, PW_IPPROTO_ICMP, PW_IPPROTO_ICMP, 47 };

#define PICK(a) (a)[rn(sizeof(a) / sizeof((a)[0]))]

/* Set key=value, keeping labels sorted by key with unique keys. */
static void
labels_set(struct pw_labels *l, const char *key, const char *value)
{
	unsigned int i, j;

	for (i = 0; i < l->nb && strcmp(l->items[i].key, key) < 0; i++)
		;
	if (i < l->nb && strcmp(l->items[i].key, key) == 0) {
		free(l->items[i].value);
		l->items[i].value = xstrdup(value);
		return;
	}
	l->items = realloc(l->items, (l->nb + 1) * sizeof(*l->items));
	assert_non_null(l->items);
	for (j = l->nb; j > i; j--)
		l->items[j] = l->items[j - 1];
	l->items[i].key = xstrdup(key);
	l->items[i].value = xstrdup(value);
	l->nb++;
}

static void
random_selector(struct pw_selector *sel, bool ns)
{
	unsigned int i, j;

	sel->nb_reqs = chance(45) ? 0 : chance(60) ? 1 : 2;
	sel->reqs = xcalloc(sel->nb_reqs, sizeof(*sel->reqs));
	for (i = 0; i < sel->nb_reqs; i++) {
		struct pw_sel_req *r = &sel->reqs[i];
		const char *key = ns ? PICK(ns_keys) : PICK(pod_keys);

		r->key = xstrdup(key);
		r->op = (enum pw_sel_op)rn(4);
		if (r->op == PW_SEL_IN || r->op == PW_SEL_NOT_IN) {
			r->nb_values = 1 + rn(2);
			r->values = xcalloc(r->nb_values, sizeof(char *));
			for (j = 0; j < r->nb_values; j++)
				r->values[j] = xstrdup(strcmp(key, PW_NS_NAME_LABEL) == 0 ?
						PICK(ns_names) :
						PICK(values));
		}
	}
}

/* An address near the pods' (10.0.i.r, fd00::i:r) or elsewhere. */
static void
random_addr(uint8_t family, union pw_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == 4) {
		a->b[0] = chance(85) ? 10 : (uint8_t)rn(256);
		a->b[1] = chance(85) ? 0 : (uint8_t)rn(256);
		a->b[2] = (uint8_t)rn(14);
		a->b[3] = (uint8_t)rn(256);
	} else {
		a->b[0] = chance(85) ? 0xfd : (uint8_t)rn(256);
		a->b[13] = (uint8_t)rn(14);
		a->b[14] = (uint8_t)rn(256);
		a->b[15] = (uint8_t)rn(256);
	}
}

static void
mask_cidr(struct pw_cidr *c)
{
	unsigned int b;

	for (b = c->prefix; b < 128; b++)
		c->addr.b[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

static void
random_cidr(struct pw_cidr *c, uint8_t family, unsigned int min_prefix)
{
	unsigned int max = family == 4 ? 32 : 128;

	c->family = family;
	random_addr(family, &c->addr);
	c->prefix = (uint8_t)(min_prefix + rn(max - min_prefix + 1));
	mask_cidr(c);
}

static void
random_peer(struct pw_peer *p)
{
	unsigned int i, max;

	if (chance(70)) {
		p->kind = PW_PEER_PODS;
		p->has_pod_selector = chance(60);
		p->has_ns_selector = chance(60);
		if (!p->has_pod_selector && !p->has_ns_selector)
			p->has_pod_selector = true;
		if (p->has_pod_selector)
			random_selector(&p->pod_selector, false);
		if (p->has_ns_selector)
			random_selector(&p->ns_selector, true);
		return;
	}
	p->kind = PW_PEER_IPBLOCK;
	random_cidr(&p->cidr, chance(60) ? 4 : 6, 0);
	max = p->cidr.family == 4 ? 32 : 128;
	p->nb_except = p->cidr.prefix < max ? rn(3) : 0;
	p->except = xcalloc(p->nb_except, sizeof(*p->except));
	for (i = 0; i < p->nb_except; i++) {
		struct pw_cidr *e = &p->except[i];
		union pw_addr host;
		unsigned int b;

		/* Strictly inside the cidr: its bits, then random host bits. */
		random_cidr(e, p->cidr.family, p->cidr.prefix + 1u);
		random_addr(p->cidr.family, &host);
		for (b = 0; b < 128; b++) {
			uint8_t bit = (uint8_t)(0x80u >> (b % 8));
			uint8_t v = b < p->cidr.prefix ? p->cidr.addr.b[b / 8] : host.b[b / 8];

			e->addr.b[b / 8] = (uint8_t)((e->addr.b[b / 8] & ~bit) | (v & bit));
		}
		mask_cidr(e);
	}
}

static void
random_rules(struct pw_np_rule **ret, unsigned int *ret_nb, unsigned int max)
{
	unsigned int i, j;

	*ret_nb = rn(max + 1);
	*ret = xcalloc(*ret_nb, sizeof(**ret));
	for (i = 0; i < *ret_nb; i++) {
		struct pw_np_rule *r = &(*ret)[i];

		r->nb_peers = rn(3);
		r->peers = xcalloc(r->nb_peers, sizeof(*r->peers));
		for (j = 0; j < r->nb_peers; j++)
			random_peer(&r->peers[j]);
		r->nb_ports = rn(3);
		r->ports = xcalloc(r->nb_ports, sizeof(*r->ports));
		for (j = 0; j < r->nb_ports; j++) {
			struct pw_np_port *pt = &r->ports[j];
			unsigned int k = rn(10);

			pt->proto = PICK(protos);
			if (k < 2) {
				pt->kind = PW_NP_PORT_ANY;
			} else if (k < 7) {
				pt->kind = PW_NP_PORT_NUMBER;
				pt->port =
					chance(80) ? PICK(port_numbers) : (uint16_t)(1 + rn(65535));
				pt->end_port = pt->port;
				if (chance(30))
					pt->end_port =
						(uint16_t)RTE_MIN(65535u, pt->port + rn(9000));
			} else {
				pt->kind = PW_NP_PORT_NAMED;
				pt->name = xstrdup(PICK(port_names));
			}
		}
	}
}

static void
random_model(struct pw_model *m, unsigned int nb_pods, unsigned int nb_policies)
{
	unsigned int i, j;
	char name[32];

	for (i = 0; i < 3; i++) {
		struct pw_namespace *ns;

		if (chance(25))
			continue; /* no Namespace object: only the name label */
		ns = xcalloc(1, sizeof(*ns));
		ns->name = xstrdup(ns_names[i]);
		labels_set(&ns->labels, PW_NS_NAME_LABEL, ns->name);
		for (j = 0; j < 2; j++) {
			if (chance(50))
				labels_set(&ns->labels, ns_keys[j], PICK(values));
		}
		assert_int_equal(pw_model_put_namespace(m, ns), 0);
	}
	for (i = 0; i < nb_pods; i++) {
		struct pw_pod *pod = xcalloc(1, sizeof(*pod));
		unsigned int fam = rn(5);

		pod->ns = xstrdup(PICK(ns_names));
		snprintf(name, sizeof(name), "p%u", i);
		pod->name = xstrdup(name);
		if (chance(90))
			pod->node = xstrdup(chance(75) ? NODE : "n2");
		/* Half the pods are replicas of a few "deployments" (same labels). */
		for (j = 0; j < 3; j++) {
			if (chance(50))
				labels_set(&pod->labels, pod_keys[j],
					chance(50) ? values[(i % 3 + j) % 3] : PICK(values));
		}
		pod->endpoint = chance(85);
		if (pod->endpoint || chance(50)) {
			/* Unique per pod: 10.0.i.r and fd00::i:r. */
			if (fam != 4) {
				pod->ips[pod->nb_ips].family = 4;
				pod->ips[pod->nb_ips].addr.b[0] = 10;
				pod->ips[pod->nb_ips].addr.b[2] = (uint8_t)i;
				pod->ips[pod->nb_ips++].addr.b[3] = (uint8_t)(1 + rn(250));
			}
			if (fam >= 3) {
				pod->ips[pod->nb_ips].family = 6;
				pod->ips[pod->nb_ips].addr.b[0] = 0xfd;
				pod->ips[pod->nb_ips].addr.b[13] = (uint8_t)i;
				pod->ips[pod->nb_ips++].addr.b[15] = (uint8_t)(1 + rn(250));
			}
		}
		pod->nb_ports = rn(4);
		pod->ports = xcalloc(pod->nb_ports, sizeof(*pod->ports));
		for (j = 0; j < pod->nb_ports; j++) {
			pod->ports[j].name = chance(80) ? xstrdup(PICK(port_names)) : NULL;
			pod->ports[j].proto = chance(60) ? PW_IPPROTO_TCP : PICK(protos);
			pod->ports[j].port =
				chance(90) ? PICK(port_numbers) : (uint16_t)(1 + rn(65535));
		}
		assert_int_equal(pw_model_put_pod(m, pod), 0);
	}
	for (i = 0; i < nb_policies; i++) {
		struct pw_policy *pol = xcalloc(1, sizeof(*pol));
		unsigned int types = rn(20);

		pol->ns = xstrdup(PICK(ns_names));
		snprintf(name, sizeof(name), "np%u", i);
		pol->name = xstrdup(name);
		random_selector(&pol->pod_selector, false);
		pol->isolates_ingress = types < 13 || types == 19;
		pol->isolates_egress = types >= 7 && types != 19;
		if (types == 18)
			pol->isolates_ingress = pol->isolates_egress = false;
		random_rules(&pol->ingress, &pol->nb_ingress, pol->isolates_ingress ? 3 : 1);
		random_rules(&pol->egress, &pol->nb_egress, pol->isolates_egress ? 3 : 1);
		assert_int_equal(pw_model_put_policy(m, pol), 0);
	}
}

/* ---- Printing a model and a flow on a mismatch ------------------------------------------ */

/* An address as text; four rotating buffers so that one printf can show several. */
static const char *
addr_str(uint8_t family, const union pw_addr *a)
{
	static char bufs[4][INET6_ADDRSTRLEN + 4];
	static unsigned int next;
	char *b = bufs[next++ % 4];

	return inet_ntop(family == 4 ? AF_INET : AF_INET6, a->b, b, INET6_ADDRSTRLEN);
}

static void
print_labels(const char *prefix, const struct pw_labels *l)
{
	unsigned int i;

	printf("%s{", prefix);
	for (i = 0; i < l->nb; i++)
		printf("%s%s=%s", i ? "," : "", l->items[i].key, l->items[i].value);
	printf("}");
}

static void
print_selector(const char *prefix, const struct pw_selector *s)
{
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist" };
	unsigned int i, j;

	printf("%s[", prefix);
	for (i = 0; i < s->nb_reqs; i++) {
		printf("%s%s %s", i ? " && " : "", s->reqs[i].key, ops[s->reqs[i].op]);
		for (j = 0; j < s->reqs[i].nb_values; j++)
			printf("%s%s", j ? "," : " ", s->reqs[i].values[j]);
	}
	printf("]");
}

static void
print_rules(const char *dir, const struct pw_np_rule *rules, unsigned int nb)
{
	static const char *const kinds[] = { "any", "num", "named" };
	unsigned int r, i, j;

	for (r = 0; r < nb; r++) {
		printf("    %s[%u] peers:%s", dir, r, rules[r].nb_peers ? "" : " all");
		for (i = 0; i < rules[r].nb_peers; i++) {
			const struct pw_peer *p = &rules[r].peers[i];

			if (p->kind == PW_PEER_IPBLOCK) {
				printf(" ipBlock %s/%u", addr_str(p->cidr.family, &p->cidr.addr),
					p->cidr.prefix);
				for (j = 0; j < p->nb_except; j++)
					printf(" except %s/%u",
						addr_str(p->except[j].family, &p->except[j].addr),
						p->except[j].prefix);
				continue;
			}
			if (p->has_ns_selector)
				print_selector(" ns", &p->ns_selector);
			if (p->has_pod_selector)
				print_selector(" pod", &p->pod_selector);
		}
		printf("; ports:%s", rules[r].nb_ports ? "" : " all");
		for (i = 0; i < rules[r].nb_ports; i++) {
			const struct pw_np_port *pt = &rules[r].ports[i];

			printf(" %u/%s/%u-%u/%s", pt->proto, kinds[pt->kind], pt->port,
				pt->end_port, pt->name != NULL ? pt->name : "");
		}
		printf("\n");
	}
}

static void
print_model(const struct pw_model *m)
{
	unsigned int i, j;

	for (i = 0; i < pw_model_nb_namespaces(m); i++) {
		printf("  namespace %s", pw_model_namespace_at(m, i)->name);
		print_labels(" ", &pw_model_namespace_at(m, i)->labels);
		printf("\n");
	}
	for (i = 0; i < pw_model_nb_pods(m); i++) {
		const struct pw_pod *p = pw_model_pod_at(m, i);

		printf("  pod %s/%s node=%s endpoint=%d", p->ns, p->name, p->node ? p->node : "-",
			p->endpoint);
		print_labels(" ", &p->labels);
		for (j = 0; j < p->nb_ips; j++)
			printf(" %s", addr_str(p->ips[j].family, &p->ips[j].addr));
		for (j = 0; j < p->nb_ports; j++)
			printf(" %s:%u/%u", p->ports[j].name ? p->ports[j].name : "-",
				p->ports[j].proto, p->ports[j].port);
		printf("\n");
	}
	for (i = 0; i < pw_model_nb_policies(m); i++) {
		const struct pw_policy *p = pw_model_policy_at(m, i);

		printf("  policy[%u] %s/%s in=%d eg=%d", i, p->ns, p->name, p->isolates_ingress,
			p->isolates_egress);
		print_selector(" select", &p->pod_selector);
		printf("\n");
		print_rules("ingress", p->ingress, p->nb_ingress);
		print_rules("egress", p->egress, p->nb_egress);
	}
}

/* ---- Flows -------------------------------------------------------------------------- */

struct addrs {
	struct pw_ip ip[64];
	unsigned int nb;
};

/* Addresses worth testing: pods' (endpoints or not) and ipBlock edges. */
static void
collect_addrs(const struct pw_model *m, uint8_t family, struct addrs *ret)
{
	unsigned int i, j, r, k;

	ret->nb = 0;
	for (i = 0; i < pw_model_nb_pods(m) && ret->nb < 48; i++) {
		const struct pw_pod *p = pw_model_pod_at(m, i);

		for (j = 0; j < p->nb_ips; j++) {
			if (p->ips[j].family == family)
				ret->ip[ret->nb++] = p->ips[j];
		}
	}
	for (i = 0; i < pw_model_nb_policies(m) && ret->nb < 64; i++) {
		const struct pw_policy *p = pw_model_policy_at(m, i);

		for (r = 0; r < p->nb_ingress + p->nb_egress && ret->nb < 64; r++) {
			const struct pw_np_rule *rule =
				r < p->nb_ingress ? &p->ingress[r] : &p->egress[r - p->nb_ingress];

			for (k = 0; k < rule->nb_peers && ret->nb < 64; k++) {
				const struct pw_peer *peer = &rule->peers[k];
				const struct pw_cidr *c = peer->nb_except != 0 && chance(50) ?
					&peer->except[rn(peer->nb_except)] :
					&peer->cidr;

				if (peer->kind != PW_PEER_IPBLOCK || c->family != family)
					continue;
				ret->ip[ret->nb].family = family;
				ret->ip[ret->nb++].addr = c->addr;
			}
		}
	}
}

static void
random_flow(const struct pw_model *m, struct pw_flow *f, struct pw_pkt_meta *meta)
{
	uint8_t family = chance(60) ? 4 : 6;
	struct addrs a;
	const struct pw_pod *dst;
	unsigned int i;

	collect_addrs(m, family, &a);
	memset(f, 0, sizeof(*f));
	memset(meta, 0, sizeof(*meta));
	for (i = 0; i < 2; i++) {
		struct pw_ip *ip = i == 0 ? &f->src : &f->dst;

		ip->family = family;
		if (a.nb != 0 && chance(85))
			*ip = a.ip[rn(a.nb)];
		else
			random_addr(family, &ip->addr);
	}
	/* 47 is GRE: no ports. */
	f->proto = PICK(flow_protos);
	if (f->proto == PW_IPPROTO_ICMP && family == 6)
		f->proto = PW_IPPROTO_ICMPV6;
	dst = pw_model_pod_by_ip(m, &f->dst);
	if (pw_cls_port_proto(f->proto)) {
		if (dst != NULL && dst->nb_ports != 0 && chance(40))
			f->dport = dst->ports[rn(dst->nb_ports)].port;
		else if (chance(50))
			f->dport = (uint16_t)(PICK(port_numbers) + (int)rn(3) - 1);
		else
			f->dport = (uint16_t)rnd();
	}
	meta->l3 = family == 4 ? PW_L3_IPV4 : PW_L3_IPV6;
	meta->src = f->src.addr;
	meta->dst = f->dst.addr;
	meta->proto = f->proto;
	meta->sport = (uint16_t)rnd();
	if (chance(5)) {
		/* A non-first fragment: the parser reads no port; policy sees port 0. */
		meta->flags = PW_PKT_F_FRAG_LATER;
		f->dport = 0;
	}
	meta->dport = f->dport;
}

static void
print_flow(const struct pw_flow *f)
{
	printf("%s -> %s proto %u dport %u\n", addr_str(f->src.family, &f->src.addr),
		addr_str(f->dst.family, &f->dst.addr), f->proto, f->dport);
}

/* ---- Checking --------------------------------------------------------------------------- */

struct stats {
	uint64_t rounds, flows, enforced, denied, rules, acl_rules, idents;
	uint64_t by_alg[8];
	uint64_t wide;		      /**< rounds built with 32-bit identity fields */
	uint64_t twin_rounds;	      /**< rounds built on top of a snapshot without a twin pod */
	uint64_t twin_tables, reused; /**< tables of those snapshots, shared ones */
};

/* A replica of @src (same namespace, node, labels and ports) with its own addresses. */
static struct pw_pod *
twin_pod(const struct pw_pod *src)
{
	struct pw_pod *pod = xcalloc(1, sizeof(*pod));
	unsigned int i;

	pod->ns = xstrdup(src->ns);
	pod->name = xstrdup("twin");
	pod->node = src->node != NULL ? xstrdup(src->node) : NULL;
	for (i = 0; i < src->labels.nb; i++)
		labels_set(&pod->labels, src->labels.items[i].key, src->labels.items[i].value);
	pod->endpoint = src->endpoint;
	pod->host_network = src->host_network;
	pod->nb_ips = src->nb_ips;
	for (i = 0; i < src->nb_ips; i++) {
		/* 10.0.13.251, fd00::d:fb: random_model() gives pods a last byte of 1..250. */
		pod->ips[i].family = src->ips[i].family;
		pod->ips[i].addr.b[0] = src->ips[i].family == 4 ? 10 : 0xfd;
		pod->ips[i].addr.b[src->ips[i].family == 4 ? 2 : 13] = 13;
		pod->ips[i].addr.b[src->ips[i].family == 4 ? 3 : 15] = 251;
	}
	pod->nb_ports = src->nb_ports;
	pod->ports = xcalloc(src->nb_ports, sizeof(*pod->ports));
	for (i = 0; i < src->nb_ports; i++) {
		pod->ports[i] = src->ports[i];
		pod->ports[i].name =
			src->ports[i].name != NULL ? xstrdup(src->ports[i].name) : NULL;
	}
	return pod;
}

static uint64_t seed;

static unsigned int
policy_index(const struct pw_model *m, const struct pw_policy *pol)
{
	unsigned int i;

	for (i = 0; i < pw_model_nb_policies(m); i++) {
		if (pw_model_policy_at(m, i) == pol)
			return i;
	}
	fail_msg("policy not in model");
	return 0;
}

/* The snapshot rule (ACL userdata) of a reference verdict. */
static uint32_t
rule_of(const struct pw_model *m, const struct pw_snapshot *s, const struct pw_dir_verdict *v,
	uint8_t dir)
{
	uint32_t pi = policy_index(m, v->policy), r;

	for (r = 1; r <= s->nb_rules; r++) {
		if (s->rules[r].policy == pi && s->rules[r].dir == dir &&
			s->rules[r].rule == v->rule)
			return r;
	}
	fail_msg("no snapshot rule for policy %u rule %u", pi, v->rule);
	return 0;
}

static void
mismatch(const struct pw_model *m, unsigned int round, const struct pw_flow *f, const char *what,
	const struct pw_verdict_pair *want, const struct pw_explain *got)
{
	printf("MISMATCH seed=0x%" PRIx64 " round=%u: %s\n  flow: ", seed, round, what);
	print_flow(f);
	printf("  reference: egress %s (policy %s rule %u), ingress %s (policy %s rule %u)\n",
		pw_dir_reason_name(want->egress.reason),
		want->egress.policy ? want->egress.policy->name : "-", want->egress.rule,
		pw_dir_reason_name(want->ingress.reason),
		want->ingress.policy ? want->ingress.policy->name : "-", want->ingress.rule);
	if (got != NULL)
		printf("  compiled: egress %s (rule %u, identity %u), "
		       "ingress %s (rule %u, identity %u)\n",
			pw_explain_state_name(got->egress.state), got->egress.rule,
			got->egress.identity, pw_explain_state_name(got->ingress.state),
			got->ingress.rule, got->ingress.identity);
	print_model(m);
	fail_msg("compiled policy differs from the reference evaluator (seed 0x%" PRIx64
		 ", round %u)",
		seed, round);
}

static void
check_dir(const struct pw_model *m, const struct pw_snapshot *s, unsigned int round,
	const struct pw_flow *f, const struct pw_verdict_pair *want, const struct pw_explain *got,
	uint8_t dir)
{
	const struct pw_dir_verdict *w = dir == PW_ACL_CAT_EGRESS ? &want->egress : &want->ingress;
	const struct pw_explain_dir *g = dir == PW_ACL_CAT_EGRESS ? &got->egress : &got->ingress;

	/* The two enums list the same states in the same order. */
	if ((int)w->reason != (int)g->state || w->allowed != g->allowed)
		mismatch(m, round, f, dir == PW_ACL_CAT_EGRESS ? "egress" : "ingress", want, got);
	if (w->reason == PW_DIR_ALLOWED && g->rule != rule_of(m, s, w, dir))
		mismatch(m, round, f, "deciding rule", want, got);
	if (g->meta != NULL && strcmp(g->meta->name, w->policy->name) != 0)
		mismatch(m, round, f, "rule metadata", want, got);
}

/* One round: a model, its snapshot, flows through explain and through bursts. */
static void
run_round(unsigned int round, struct stats *st)
{
	static const enum rte_acl_classify_alg algs[] = { RTE_ACL_CLASSIFY_DEFAULT,
		RTE_ACL_CLASSIFY_SCALAR, RTE_ACL_CLASSIFY_SSE, RTE_ACL_CLASSIFY_AVX2,
		RTE_ACL_CLASSIFY_AVX512X16, RTE_ACL_CLASSIFY_AVX512X32 };
	struct pw_aclbuild_params bp = {
		.generation = round + 1u, .nb_workers = 1, .socket_id = SOCKET_ID_ANY
	};
	const char *node = chance(10) ? NULL : NODE;
	struct pw_flow flows[FLOWS_PER_ROUND];
	struct pw_verdict_pair want[FLOWS_PER_ROUND];
	struct pw_pkt_meta fmeta[FLOWS_PER_ROUND];
	struct pw_pkt_meta meta[PW_CLS_MAX];
	uint16_t reason[PW_CLS_MAX], pre[PW_CLS_MAX];
	int flow_of[PW_CLS_MAX];
	uint64_t hits[64] = { 0 };
	enum rte_acl_classify_alg alg = algs[round % RTE_DIM(algs)];
	struct pw_snapshot *s;
	struct pw_model *m;
	unsigned int i, done, nb_flows = 0;
	char err[256];

	assert_int_equal(pw_model_create(&m), 0);
	random_model(m, rn(20), rn(9));
	/* Every third round reads 32-bit identity fields (clusters of more than 65535). */
	bp.ids = round % 3 == 1 ? PW_ACL_IDS_32 : 0;
	st->wide += bp.ids == PW_ACL_IDS_32;
	/* Every other round, the snapshot is built on top of the one of the same model without
	 * one more pod (that snapshot is freed before any flow), as the daemon does when a pod
	 * comes: the tables whose rules did not change are shared. The pod is a replica of one
	 * (it joins its identity) or, one time in three, a replica with one label changed. */
	if (round % 2 == 0 && pw_model_nb_pods(m) > 0) {
		struct pw_aclbuild_params bp0 = bp;
		const struct pw_pod *src = pw_model_pod_at(m, rn(pw_model_nb_pods(m)));
		struct pw_snapshot *s0;
		struct pw_pod *twin;

		bp0.generation = 0x40000000u + round;
		if (pw_snapshot_build(m, node, &bp0, &s0, err, sizeof(err)) != 0)
			fail_msg("round %u: build without the twin: %s", round, err);
		twin = twin_pod(src);
		if (chance(33))
			labels_set(&twin->labels, PICK(pod_keys), PICK(values));
		assert_int_equal(pw_model_put_pod(m, twin), 0);
		bp.prev = s0;
		if (pw_snapshot_build(m, node, &bp, &s, err, sizeof(err)) != 0)
			fail_msg("round %u: build: %s", round, err);
		pw_snapshot_free(s0);
		st->twin_rounds++;
		st->twin_tables += s->info.nb_acl_tables;
		st->reused += s->info.nb_acl_reused;
	} else if (pw_snapshot_build(m, node, &bp, &s, err, sizeof(err)) != 0) {
		fail_msg("round %u: build: %s", round, err);
	}
	assert_int_equal(s->info.acl_ids, bp.ids == PW_ACL_IDS_32 ? PW_ACL_IDS_32 : PW_ACL_IDS_16);
	/* Every classify algorithm the CPU (and EAL's SIMD width) allows, in turn. */
	if ((s->acl4 == NULL || rte_acl_set_ctx_classify(s->acl4, alg) == 0) &&
		(s->acl4_in == NULL || rte_acl_set_ctx_classify(s->acl4_in, alg) == 0) &&
		(s->acl6 == NULL || rte_acl_set_ctx_classify(s->acl6, alg) == 0) &&
		(s->acl6_in == NULL || rte_acl_set_ctx_classify(s->acl6_in, alg) == 0))
		st->by_alg[alg]++;
	else
		st->by_alg[0]++;
	st->rules += s->nb_rules;
	st->acl_rules += s->info.nb_acl_rules4 + s->info.nb_acl_rules6;
	st->idents += s->nb_identities;

	for (i = 0; i < FLOWS_PER_ROUND; i++) {
		struct pw_explain ex;

		random_flow(m, &flows[i], &fmeta[i]);
		pw_ref_evaluate(m, node, &flows[i], &want[i]);
		assert_int_equal(pw_snapshot_explain(s, &fmeta[i], &ex), 0);
		check_dir(m, s, round, &flows[i], &want[i], &ex, PW_ACL_CAT_EGRESS);
		check_dir(m, s, round, &flows[i], &want[i], &ex, PW_ACL_CAT_INGRESS);
		assert_true(ex.allowed == want[i].allowed);
	}

	/* The same flows through the worker's decision, in bursts of 1..64 mixed with
	 * non-IP frames and frames the parser already dropped. */
	for (done = 0; done < FLOWS_PER_ROUND;) {
		uint16_t n = (uint16_t)(1 + rn(64)), k;

		for (k = 0; k < n && done < FLOWS_PER_ROUND; k++) {
			struct pw_flow ignored;

			flow_of[k] = -1;
			random_flow(m, &ignored, &meta[k]);
			pre[k] = 0;
			if (chance(5)) {
				meta[k].l3 = PW_L3_ARP;
			} else if (chance(5)) {
				pre[k] = PW_DROP_PARSE_TRUNC_TCP;
			} else {
				flow_of[k] = (int)done;
				meta[k] = fmeta[done++];
			}
			reason[k] = pre[k];
		}
		pw_decide_burst(s, false, meta, reason, k, scratch, 0);
		for (i = 0; i < k; i++) {
			const struct pw_verdict_pair *w;

			if (flow_of[i] < 0) {
				assert_int_equal(reason[i], pre[i]);
				continue;
			}
			w = &want[flow_of[i]];
			if (reason[i] != (w->allowed ? 0 : PW_DROP_POLICY_DENY))
				mismatch(m, round, &flows[flow_of[i]], "burst verdict", w, NULL);
			nb_flows++;
			st->denied += !w->allowed;
			if (w->egress.reason == PW_DIR_ALLOWED)
				hits[rule_of(m, s, &w->egress, PW_ACL_CAT_EGRESS)]++;
			if (w->ingress.reason == PW_DIR_ALLOWED)
				hits[rule_of(m, s, &w->ingress, PW_ACL_CAT_INGRESS)]++;
			hits[0] += w->egress.reason == PW_DIR_NO_RULE;
			hits[0] += w->ingress.reason == PW_DIR_NO_RULE;
			st->enforced += w->egress.reason >= PW_DIR_ALLOWED;
			st->enforced += w->ingress.reason >= PW_DIR_ALLOWED;
		}
	}
	/* Hit counters: exactly the deciding rules, once per enforced direction. */
	assert_true(s->nb_rules < RTE_DIM(hits));
	for (i = 0; i <= s->nb_rules; i++)
		assert_int_equal(pw_snapshot_rule_hits(s, i), hits[i]);
	st->flows += nb_flows;
	st->rounds++;
	pw_snapshot_free(s);
	pw_model_free(m);
}

static void
test_random_equivalence(void **state)
{
	const char *env_seed = getenv("PW_ACL_EQUIV_SEED");
	const char *env_rounds = getenv("PW_ACL_EQUIV_ROUNDS");
	unsigned int rounds = env_rounds != NULL ? (unsigned int)atoi(env_rounds) : DEFAULT_ROUNDS;
	struct stats st = { 0 };
	struct timespec t0, t1;
	unsigned int r;

	(void)state;
	seed = env_seed != NULL ? strtoull(env_seed, NULL, 0) : DEFAULT_SEED;
	rng = seed != 0 ? seed : 1;
	printf("acl_equiv: seed 0x%" PRIx64 " (PW_ACL_EQUIV_SEED), %u rounds "
	       "(PW_ACL_EQUIV_ROUNDS)\n",
		seed, rounds);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (r = 0; r < rounds; r++)
		run_round(r, &st);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("acl_equiv: %" PRIu64 " rounds, %" PRIu64 " flows (x2: burst and explain), %" PRIu64
	       " enforced directions, %" PRIu64 " denied; avg %.1f rules, %.1f ACL rules, %.1f "
	       "identities per model; %.1f s\n",
		st.rounds, st.flows, st.enforced, st.denied, (double)st.rules / (double)st.rounds,
		(double)st.acl_rules / (double)st.rounds, (double)st.idents / (double)st.rounds,
		(double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("acl_equiv: rounds per classify algorithm (0 = default, also when unsupported):");
	for (r = 0; r < RTE_DIM(st.by_alg); r++)
		printf(" %u:%" PRIu64, r, st.by_alg[r]);
	printf("\n");
	printf("acl_equiv: %" PRIu64 " rounds with 32-bit identity fields; %" PRIu64
	       " rounds built after a pod joined: %" PRIu64 " of %" PRIu64 " tables shared\n",
		st.wide, st.twin_rounds, st.reused, st.twin_tables);
	/* A replica mostly joins its pod's identity (its tables are shared); a relabelled one
	 * sometimes changes the rules (some are not). */
	assert_true(st.reused * 2 > st.twin_tables && st.reused < st.twin_tables);
	assert_true(st.enforced > st.flows / 4);
	assert_true(st.denied > 0 && st.denied < st.flows);
}

/* Sizes and build times of a mid-size random cluster, for the record. */
static void
test_midsize_report(void **state)
{
	struct pw_aclbuild_params bp = {
		.generation = 700001, .nb_workers = 2, .socket_id = SOCKET_ID_ANY
	};
	struct pw_model *m;
	struct pw_snapshot *s;
	char err[256];

	(void)state;
	rng = 12345;
	assert_int_equal(pw_model_create(&m), 0);
	random_model(m, 250, 60);
	assert_int_equal(pw_snapshot_build(m, NODE, &bp, &s, err, sizeof(err)), 0);
	printf("acl_equiv: mid-size model: %u pods (%u endpoints), %u policies -> %u identities, "
	       "%u policy rules, %u+%u ACL rules (v4+v6); compile %.2f ms, ACL build %.2f ms, "
	       "total %.2f ms; ACL %" PRIu64 " kB, maps %" PRIu64 " kB\n",
		pw_model_nb_pods(m), s->info.nb_endpoints, pw_model_nb_policies(m),
		s->nb_identities, s->nb_rules, s->info.nb_acl_rules4, s->info.nb_acl_rules6,
		(double)s->info.compile_ns / 1e6, (double)s->info.acl_build_ns / 1e6,
		(double)s->info.build_ns / 1e6, s->info.acl_mem_bytes / 1024,
		s->info.hash_mem_bytes / 1024);
	assert_true(s->nb_identities <= s->info.nb_endpoints);
	pw_snapshot_free(s);
	pw_model_free(m);
}

static int
group_setup(void **state)
{
	(void)state;
	if (pwt_eal_init("test_acl_equiv", "512",
		    (const char *const[]){ "--force-max-simd-bitwidth=512", NULL }) != 0)
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
		cmocka_unit_test(test_random_equivalence),
		cmocka_unit_test(test_midsize_report),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
