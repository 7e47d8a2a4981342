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

	sel->nb_reqs = rn(3);
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
	c->prefix = (uint8_t)(chance(5) ? min_prefix : max - rn(max - min_prefix + 1) / (1 + rn(3)));
	if (c->prefix < min_prefix)
		c->prefix = (uint8_t)min_prefix;
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
				pt->port = chance(80) ? PICK(port_numbers) : (uint16_t)(1 + rn(65535));
				pt->end_port = pt->port;
				if (chance(30))
					pt->end_port = (uint16_t)RTE_MIN(65535u, pt->port + rn(9000));
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
			pod->node = xstrdup(chance(60) ? NODE : "n2");
		for (j = 0; j < 3; j++) {
			if (chance(50))
				labels_set(&pod->labels, pod_keys[j], PICK(values));
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

static void
print_addr(uint8_t family, const union pw_addr *a)
{
	char buf[64];

	inet_ntop(family == 4 ? AF_INET : AF_INET6, a->b, buf, sizeof(buf));
	printf("%s", buf);
}

static void
print_labels(const struct pw_labels *l)
{
	unsigned int i;

	printf("{");
	for (i = 0; i < l->nb; i++)
		printf("%s%s=%s", i ? "," : "", l->items[i].key, l->items[i].value);
	printf("}");
}

static void
print_selector(const struct pw_selector *s)
{
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist" };
	unsigned int i, j;

	printf("[");
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
		printf("    %s[%u] peers:", dir, r);
		for (i = 0; i < rules[r].nb_peers; i++) {
			const struct pw_peer *p = &rules[r].peers[i];

			if (p->kind == PW_PEER_IPBLOCK) {
				printf(" ipBlock ");
				print_addr(p->cidr.family, &p->cidr.addr);
				printf("/%u except", p->cidr.prefix);
				for (j = 0; j < p->nb_except; j++) {
					printf(" ");
					print_addr(p->except[j].family, &p->except[j].addr);
					printf("/%u", p->except[j].prefix);
				}
				continue;
			}
			printf(" (");
			if (p->has_ns_selector) {
				printf("ns");
				print_selector(&p->ns_selector);
			}
			if (p->has_pod_selector) {
				printf("pod");
				print_selector(&p->pod_selector);
			}
			printf(")");
		}
		printf(rules[r].nb_peers ? "; ports:" : " all; ports:");
		for (i = 0; i < rules[r].nb_ports; i++) {
			const struct pw_np_port *pt = &rules[r].ports[i];

			printf(" %u/%s/%u-%u/%s", pt->proto, kinds[pt->kind], pt->port, pt->end_port,
				pt->name != NULL ? pt->name : "");
		}
		printf("%s\n", rules[r].nb_ports ? "" : " all");
	}
}

static void
print_model(const struct pw_model *m)
{
	unsigned int i, j;

	for (i = 0; i < pw_model_nb_namespaces(m); i++) {
		printf("  namespace %s ", pw_model_namespace_at(m, i)->name);
		print_labels(&pw_model_namespace_at(m, i)->labels);
		printf("\n");
	}
	for (i = 0; i < pw_model_nb_pods(m); i++) {
		const struct pw_pod *p = pw_model_pod_at(m, i);

		printf("  pod %s/%s node=%s endpoint=%d ", p->ns, p->name, p->node ? p->node : "-",
			p->endpoint);
		print_labels(&p->labels);
		for (j = 0; j < p->nb_ips; j++) {
			printf(" ");
			print_addr(p->ips[j].family, &p->ips[j].addr);
		}
		for (j = 0; j < p->nb_ports; j++)
			printf(" %s:%u/%u", p->ports[j].name ? p->ports[j].name : "-",
				p->ports[j].proto, p->ports[j].port);
		printf("\n");
	}
	for (i = 0; i < pw_model_nb_policies(m); i++) {
		const struct pw_policy *p = pw_model_policy_at(m, i);

		printf("  policy[%u] %s/%s in=%d eg=%d select", i, p->ns, p->name,
			p->isolates_ingress, p->isolates_egress);
		print_selector(&p->pod_selector);
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
		if (a.nb != 0 && chance(75))
			*ip = a.ip[rn(a.nb)];
		else
			random_addr(family, &ip->addr);
	}
	switch (rn(8)) {
	case 0:
	case 1:
		f->proto = PW_IPPROTO_TCP;
		break;
	case 2:
	case 3:
		f->proto = PW_IPPROTO_UDP;
		break;
	case 4:
		f->proto = PW_IPPROTO_SCTP;
		break;
	case 5:
	case 6:
		f->proto = family == 4 ? PW_IPPROTO_ICMP : PW_IPPROTO_ICMPV6;
		break;
	default:
		f->proto = 47; /* GRE: no ports */
		break;
	}
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
	print_addr(f->src.family, &f->src.addr);
	printf(" -> ");
	print_addr(f->dst.family, &f->dst.addr);
	printf(" proto %u dport %u\n", f->proto, f->dport);
}
