/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy benchmark's cluster generator, grouped model view and traffic mix (see the
 * header). Objects are built directly in C with the model's types; the bench exits on out
 * of memory, so the helpers here never return NULL.
 */
#include "cluster_gen.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#define SYSTEM_PODS 4	 /* 2 kube-dns, 2 prometheus */
#define MAX_PER_NODE 250 /* host part of a node's /24 */

enum tier {
	TIER_FRONTEND = 0,
	TIER_BACKEND,
	TIER_DB,
	TIER_CACHE,
	NB_TIERS,
};

static const char *const tier_names[NB_TIERS] = { "frontend", "backend", "db", "cache" };
static const char *const apps[NB_TIERS][10] = {
	{ "web", "ui", "gateway", "portal" },
	{ "api", "auth", "cart", "search", "orders", "billing", "users", "catalog", "worker",
		"notify" },
	{ "postgres", "mysql" },
	{ "redis", "memcached" },
};
static const unsigned int nb_apps[NB_TIERS] = { 4, 10, 2, 2 };
static const char *const envs[] = { "prod", "prod", "prod", "prod", "prod", "staging", "staging",
	"staging", "dev", "dev" };

/* One deployment of the namespace being generated. */
struct dep {
	char app[32];
	enum tier tier;
	const char *port_name; /* its main container port */
	uint16_t port;
	unsigned int replicas;
};

struct gen {
	struct pw_model *m;
	uint64_t rng;
	struct cg_stats *st;
	unsigned int nb_nodes;
	uint16_t *node_fill;
	unsigned int pod_seq;
};

static void
oom(void)
{
	fprintf(stderr, "policy-bench: out of memory\n");
	exit(1);
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n != 0 ? n : 1, size);

	if (p == NULL)
		oom();
	return p;
}

static void *
xrealloc(void *p, size_t size)
{
	p = realloc(p, size != 0 ? size : 1);
	if (p == NULL)
		oom();
	return p;
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		oom();
	return d;
}

uint64_t
cg_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static unsigned int
rn(uint64_t *s, unsigned int n)
{
	return n != 0 ? (unsigned int)(cg_rand(s) % n) : 0;
}

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
	l->items = xrealloc(l->items, (l->nb + 1) * sizeof(*l->items));
	for (j = l->nb; j > i; j--)
		l->items[j] = l->items[j - 1];
	l->items[i].key = xstrdup(key);
	l->items[i].value = xstrdup(value);
	l->nb++;
}

static struct pw_sel_req *
sel_add(struct pw_selector *s, const char *key, enum pw_sel_op op, const char *value)
{
	struct pw_sel_req *r;

	s->reqs = xrealloc(s->reqs, (s->nb_reqs + 1) * sizeof(*s->reqs));
	r = &s->reqs[s->nb_reqs++];
	memset(r, 0, sizeof(*r));
	r->key = xstrdup(key);
	r->op = op;
	if (value != NULL) {
		r->values = xcalloc(1, sizeof(char *));
		r->values[r->nb_values++] = xstrdup(value);
	}
	return r;
}

static void
req_value(struct pw_sel_req *r, const char *value)
{
	r->values = xrealloc(r->values, (r->nb_values + 1) * sizeof(char *));
	r->values[r->nb_values++] = xstrdup(value);
}

static struct pw_np_rule *
rule_add(struct pw_policy *pol, bool egress)
{
	struct pw_np_rule **rules = egress ? &pol->egress : &pol->ingress;
	unsigned int *nb = egress ? &pol->nb_egress : &pol->nb_ingress;
	struct pw_np_rule *r;

	*rules = xrealloc(*rules, (*nb + 1) * sizeof(**rules));
	r = &(*rules)[(*nb)++];
	memset(r, 0, sizeof(*r));
	return r;
}

static struct pw_peer *
peer_add(struct pw_np_rule *r, enum pw_peer_kind kind)
{
	struct pw_peer *p;

	r->peers = xrealloc(r->peers, (r->nb_peers + 1) * sizeof(*r->peers));
	p = &r->peers[r->nb_peers++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	return p;
}

static void
port_add(struct pw_np_rule *r, uint8_t proto, uint16_t port, uint16_t end, const char *name)
{
	struct pw_np_port *pt;

	r->ports = xrealloc(r->ports, (r->nb_ports + 1) * sizeof(*r->ports));
	pt = &r->ports[r->nb_ports++];
	memset(pt, 0, sizeof(*pt));
	pt->proto = proto;
	pt->kind = name != NULL ? PW_NP_PORT_NAMED : PW_NP_PORT_NUMBER;
	pt->name = name != NULL ? xstrdup(name) : NULL;
	pt->port = port;
	pt->end_port = end;
}

static void
cidr4(struct pw_cidr *c, uint32_t host_order, uint8_t prefix)
{
	uint32_t mask = prefix != 0 ? ~0u << (32 - prefix) : 0;
	uint32_t a = host_order & mask;

	memset(c, 0, sizeof(*c));
	c->family = 4;
	c->prefix = prefix;
	c->addr.b[0] = (uint8_t)(a >> 24);
	c->addr.b[1] = (uint8_t)(a >> 16);
	c->addr.b[2] = (uint8_t)(a >> 8);
	c->addr.b[3] = (uint8_t)a;
}

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

/* ---- Pods ------------------------------------------------------------------------------ */

static void
pod_port(struct pw_pod *pod, const char *name, uint8_t proto, uint16_t port)
{
	struct pw_container_port *c;

	pod->ports = xrealloc(pod->ports, (pod->nb_ports + 1) * sizeof(*pod->ports));
	c = &pod->ports[pod->nb_ports++];
	c->name = xstrdup(name);
	c->proto = proto;
	c->port = port;
}

/* A pod on a random node with unique addresses 10.(64+n/256).(n%256).h and fd00::n:h. */
static int
add_pod(struct gen *g, const char *ns, const char *name, const struct pw_labels *labels,
	const struct dep *d)
{
	struct pw_pod *pod = xcalloc(1, sizeof(*pod));
	unsigned int node = rn(&g->rng, g->nb_nodes), i, h;
	char buf[32];

	while (g->node_fill[node] >= MAX_PER_NODE)
		node = (node + 1) % g->nb_nodes;
	h = 2 + g->node_fill[node]++;
	pod->ns = xstrdup(ns);
	pod->name = xstrdup(name);
	snprintf(buf, sizeof(buf), "node-%u", node);
	pod->node = xstrdup(buf);
	for (i = 0; i < labels->nb; i++)
		labels_set(&pod->labels, labels->items[i].key, labels->items[i].value);
	pod->endpoint = true;
	pod->ips[0].family = 4;
	pod->ips[0].addr.b[0] = 10;
	pod->ips[0].addr.b[1] = (uint8_t)(64 + node / 256);
	pod->ips[0].addr.b[2] = (uint8_t)(node % 256);
	pod->ips[0].addr.b[3] = (uint8_t)h;
	pod->ips[1].family = 6;
	pod->ips[1].addr.b[0] = 0xfd;
	pod->ips[1].addr.b[12] = (uint8_t)(node >> 8);
	pod->ips[1].addr.b[13] = (uint8_t)node;
	pod->ips[1].addr.b[15] = (uint8_t)h;
	pod->nb_ips = 2;
	if (d == NULL) {
		pod_port(pod, "dns", PW_IPPROTO_UDP, 53);
		pod_port(pod, "dns-tcp", PW_IPPROTO_TCP, 53);
		pod_port(pod, "metrics", PW_IPPROTO_TCP, 9153);
	} else {
		pod_port(pod, d->port_name, PW_IPPROTO_TCP, d->port);
		if (d->tier == TIER_BACKEND)
			pod_port(pod, "http", PW_IPPROTO_TCP, 8080);
		pod_port(pod, "metrics", PW_IPPROTO_TCP,
			d->tier == TIER_DB	      ? 9187 :
				d->tier == TIER_CACHE ? 9121 :
							9090);
	}
	g->st->nb_pods++;
	g->st->nb_local_pods += strcmp(pod->node, CG_LOCAL_NODE) == 0;
	return pw_model_put_pod(g->m, pod);
}

/* The replicas of one deployment: shared labels, one pod-template-hash. */
static int
add_deployment(struct gen *g, const char *ns, const struct dep *d, const char *k8s_app)
{
	struct pw_labels l = { 0 };
	char hash[11], name[96];
	unsigned int i;
	int rc = 0;

	for (i = 0; i < 10; i++)
		hash[i] = "bcdfghjklmnpqrstvwxz2456789"[rn(&g->rng, 27)];
	hash[10] = '\0';
	if (k8s_app != NULL) {
		labels_set(&l, "k8s-app", k8s_app);
	} else {
		labels_set(&l, "app", d->app);
		labels_set(&l, "tier", tier_names[d->tier]);
		labels_set(&l, "version", rn(&g->rng, 4) == 0 ? "v2" : "v1");
	}
	labels_set(&l, "pod-template-hash", hash);
	for (i = 0; rc == 0 && i < d->replicas; i++) {
		snprintf(name, sizeof(name), "%s-%s-%05u", k8s_app != NULL ? k8s_app : d->app, hash,
			g->pod_seq++);
		rc = add_pod(g, ns, name, &l, k8s_app != NULL ? NULL : d);
	}
	for (i = 0; i < l.nb; i++) {
		free(l.items[i].key);
		free(l.items[i].value);
	}
	free(l.items);
	g->st->nb_deployments++;
	return rc;
}

static int
add_namespace(struct gen *g, const char *name, const char *team, const char *env)
{
	struct pw_namespace *ns = xcalloc(1, sizeof(*ns));

	ns->name = xstrdup(name);
	labels_set(&ns->labels, PW_NS_NAME_LABEL, name);
	if (team != NULL)
		labels_set(&ns->labels, "team", team);
	if (env != NULL)
		labels_set(&ns->labels, "env", env);
	g->st->nb_namespaces++;
	return pw_model_put_namespace(g->m, ns);
}

/* ---- Policies -------------------------------------------------------------------------- */

static void
count_policy(struct cg_stats *st, const struct pw_policy *pol)
{
	bool ipb = false, range = false, named = false, nssel = false, expr = false;
	unsigned int d, r, k, q;

	for (d = 0; d < 2; d++) {
		const struct pw_np_rule *rules = d ? pol->egress : pol->ingress;
		unsigned int nb = d ? pol->nb_egress : pol->nb_ingress;

		for (r = 0; r < nb; r++) {
			for (k = 0; k < rules[r].nb_peers; k++) {
				const struct pw_peer *p = &rules[r].peers[k];

				ipb |= p->kind == PW_PEER_IPBLOCK;
				nssel |= p->kind == PW_PEER_PODS && p->has_ns_selector;
				for (q = 0; q < p->pod_selector.nb_reqs; q++)
					expr |= p->pod_selector.reqs[q].op != PW_SEL_IN ||
						p->pod_selector.reqs[q].nb_values > 1;
				for (q = 0; q < p->ns_selector.nb_reqs; q++)
					expr |= p->ns_selector.reqs[q].op != PW_SEL_IN ||
						p->ns_selector.reqs[q].nb_values > 1;
			}
			for (k = 0; k < rules[r].nb_ports; k++) {
				range |= rules[r].ports[k].end_port > rules[r].ports[k].port;
				named |= rules[r].ports[k].kind == PW_NP_PORT_NAMED;
			}
		}
	}
	for (q = 0; q < pol->pod_selector.nb_reqs; q++)
		expr |= pol->pod_selector.reqs[q].op != PW_SEL_IN ||
			pol->pod_selector.reqs[q].nb_values > 1;
	st->nb_policies++;
	st->nb_default_deny += pol->nb_ingress == 0 && pol->nb_egress == 0;
	st->nb_egress += pol->isolates_egress;
	st->nb_ipblock += ipb;
	st->nb_port_range += range;
	st->nb_named_port += named;
	st->nb_ns_selector += nssel;
	st->nb_match_expr += expr;
}

static struct pw_policy *
policy_new(const char *ns, const char *name, bool ingress, bool egress)
{
	struct pw_policy *pol = xcalloc(1, sizeof(*pol));

	pol->ns = xstrdup(ns);
	pol->name = xstrdup(name);
	pol->isolates_ingress = ingress;
	pol->isolates_egress = egress;
	return pol;
}

static int
put_policy(struct gen *g, struct pw_policy *pol)
{
	count_policy(g->st, pol);
	return pw_model_put_policy(g->m, pol);
}

/* The kube-dns peer of an egress rule, with UDP and TCP 53. */
static void
dns_rule(struct pw_policy *pol)
{
	struct pw_np_rule *r = rule_add(pol, true);
	struct pw_peer *p = peer_add(r, PW_PEER_PODS);

	p->has_ns_selector = true;
	sel_add(&p->ns_selector, PW_NS_NAME_LABEL, PW_SEL_IN, "kube-system");
	p->has_pod_selector = true;
	sel_add(&p->pod_selector, "k8s-app", PW_SEL_IN, "kube-dns");
	port_add(r, PW_IPPROTO_UDP, 53, 53, NULL);
	port_add(r, PW_IPPROTO_TCP, 53, 53, NULL);
}

/* The deployments that call @d: an upstream tier of the same namespace. */
static void
callers(struct gen *g, const struct dep *deps, unsigned int nb, unsigned int self,
	struct pw_selector *sel)
{
	static const unsigned int up[NB_TIERS] = { TIER_FRONTEND, TIER_FRONTEND, TIER_BACKEND,
		TIER_BACKEND };
	struct pw_sel_req *req = NULL;
	unsigned int i, n = 0, want = 1 + rn(&g->rng, 3);

	for (i = 0; i < nb && n < want; i++) {
		const struct dep *c = &deps[(self + 1 + i) % nb];

		if (c == &deps[self] ||
			(c->tier != up[deps[self].tier] &&
				!(deps[self].tier == TIER_BACKEND && c->tier == TIER_BACKEND)))
			continue;
		if (req == NULL)
			req = sel_add(sel, "app", PW_SEL_IN, c->app);
		else
			req_value(req, c->app);
		n++;
	}
	if (req == NULL)
		sel_add(sel, "tier", PW_SEL_IN, tier_names[up[deps[self].tier]]);
}

/* One allow-list policy for deployment @d, in one of the usual shapes. */
static int
dep_policy(struct gen *g, const char *ns, const char *team, const struct dep *deps, unsigned int nb,
	unsigned int j, unsigned int seq)
{
	const struct dep *d = &deps[j];
	unsigned int v = rn(&g->rng, 100);
	struct pw_np_rule *r;
	struct pw_peer *p;
	struct pw_policy *pol;
	char name[96];

	snprintf(name, sizeof(name), "allow-%s-%u", d->app, seq);
	if (v >= 5 && v < 10) {
		/* ipBlock egress: the internet but not private ranges, on 443; plus DNS. */
		pol = policy_new(ns, name, false, true);
		sel_add(&pol->pod_selector, "app", PW_SEL_IN, d->app);
		r = rule_add(pol, true);
		p = peer_add(r, PW_PEER_IPBLOCK);
		cidr4(&p->cidr, 0, 0);
		p->except = xcalloc(3, sizeof(*p->except));
		cidr4(&p->except[0], IP4(10, 0, 0, 0), 8);
		cidr4(&p->except[1], IP4(172, 16, 0, 0), 12);
		cidr4(&p->except[2], IP4(192, 168, 0, 0), 16);
		p->nb_except = 3;
		port_add(r, PW_IPPROTO_TCP, 443, 443, NULL);
		dns_rule(pol);
		return put_policy(g, pol);
	}
	pol = policy_new(ns, name, true, false);
	sel_add(&pol->pod_selector, "app", PW_SEL_IN, d->app);
	if (rn(&g->rng, 2) == 0)
		sel_add(&pol->pod_selector, "tier", PW_SEL_IN, tier_names[d->tier]);
	r = rule_add(pol, false);
	p = peer_add(r, PW_PEER_PODS);
	if (v >= 20 && v < 30) {
		/* Cross-namespace with matchExpressions: same team, not dev. */
		struct pw_sel_req *q;

		p->has_ns_selector = true;
		sel_add(&p->ns_selector, "team", PW_SEL_IN, team);
		sel_add(&p->ns_selector, "env", PW_SEL_NOT_IN, "dev");
		p->has_pod_selector = true;
		q = sel_add(&p->pod_selector, "tier", PW_SEL_IN, "frontend");
		req_value(q, "backend");
		sel_add(&p->pod_selector, "version", PW_SEL_EXISTS, NULL);
		port_add(r, PW_IPPROTO_TCP, 0, 0, d->port_name);
		return put_policy(g, pol);
	}
	p->has_pod_selector = true;
	callers(g, deps, nb, j, &p->pod_selector);
	if (v >= 10 && v < 20) {
		/* A port range: a pool of worker ports, or a NodePort-like UDP range. */
		if (rn(&g->rng, 2) == 0)
			port_add(r, PW_IPPROTO_TCP, 8000, 8099, NULL);
		else
			port_add(r, PW_IPPROTO_UDP, 30000, 32767, NULL);
	}
	if (rn(&g->rng, 10) < 6)
		port_add(r, PW_IPPROTO_TCP, 0, 0, d->port_name);
	else
		port_add(r, PW_IPPROTO_TCP, d->port, d->port, NULL);
	if (rn(&g->rng, 10) < 3)
		port_add(r, PW_IPPROTO_TCP, 0, 0, "http");
	if (v < 5) {
		/* ipBlock ingress: the load balancers' range but one subnet. */
		r = rule_add(pol, false);
		p = peer_add(r, PW_PEER_IPBLOCK);
		cidr4(&p->cidr, IP4(192, 168, 0, 0), 16);
		p->except = xcalloc(1, sizeof(*p->except));
		cidr4(&p->except[0], IP4(192, 168, rn(&g->rng, 256), 0), 24);
		p->nb_except = 1;
		port_add(r, PW_IPPROTO_TCP, d->port, d->port, NULL);
	}
	return put_policy(g, pol);
}

/* Namespace-wide policies, then one per deployment (cyclically) up to @budget. */
static int
ns_policies(struct gen *g, const char *ns, const char *team, const struct dep *deps,
	unsigned int nb, unsigned int budget)
{
	bool deny = rn(&g->rng, 10) < 7, egress = rn(&g->rng, 10) < 3;
	unsigned int k = 0, j = 0;
	struct pw_policy *pol;
	struct pw_np_rule *r;
	struct pw_peer *p;
	int rc = 0;

	if (deny && k < budget) {
		/* Default deny ingress: podSelector {}, no rule. */
		rc = put_policy(g, policy_new(ns, "default-deny-ingress", true, false));
		k++;
	}
	if (rc == 0 && k < budget) {
		/* Prometheus in namespace monitoring scrapes every pod's metrics port. */
		pol = policy_new(ns, "allow-monitoring", true, false);
		r = rule_add(pol, false);
		p = peer_add(r, PW_PEER_PODS);
		p->has_ns_selector = true;
		sel_add(&p->ns_selector, PW_NS_NAME_LABEL, PW_SEL_IN, "monitoring");
		p->has_pod_selector = true;
		sel_add(&p->pod_selector, "app", PW_SEL_IN, "prometheus");
		port_add(r, PW_IPPROTO_TCP, 0, 0, "metrics");
		rc = put_policy(g, pol);
		k++;
	}
	if (rc == 0 && egress && k < budget) {
		/* Default deny egress but DNS, the own namespace and the team's http. */
		pol = policy_new(ns, "default-egress", false, true);
		dns_rule(pol);
		r = rule_add(pol, true);
		p = peer_add(r, PW_PEER_PODS);
		p->has_pod_selector = true;
		if (rn(&g->rng, 2) == 0) {
			r = rule_add(pol, true);
			p = peer_add(r, PW_PEER_PODS);
			p->has_ns_selector = true;
			sel_add(&p->ns_selector, "team", PW_SEL_IN, team);
			port_add(r, PW_IPPROTO_TCP, 0, 0, "http");
		}
		rc = put_policy(g, pol);
		k++;
	}
	for (; rc == 0 && k < budget && nb != 0; k++, j++)
		rc = dep_policy(g, ns, team, deps, nb, j % nb, j / nb);
	return rc;
}

int
cg_generate(const struct cg_params *p, struct pw_model **ret_model, struct cg_stats *st)
{
	unsigned int nb_regular = p->nb_pods > SYSTEM_PODS ? p->nb_pods - SYSTEM_PODS : 0;
	unsigned int nb_ns = (nb_regular + 50) / 100, nb_teams, i;
	struct gen g = { .rng = p->seed | 1, .st = st };
	struct dep sys = { .replicas = 2 }, *deps = NULL;
	int rc;

	memset(st, 0, sizeof(*st));
	nb_ns = nb_ns != 0 ? nb_ns : 1;
	nb_teams = nb_ns / 4 > 2 ? nb_ns / 4 : 2;
	g.nb_nodes = p->nb_pods / (p->pods_per_node != 0 ? p->pods_per_node : 100);
	g.nb_nodes = g.nb_nodes > 2 ? g.nb_nodes : 2;
	st->nb_nodes = g.nb_nodes;
	g.node_fill = xcalloc(g.nb_nodes, sizeof(*g.node_fill));
	rc = pw_model_create(&g.m);
	if (rc != 0)
		goto out;
	rc = add_namespace(&g, "kube-system", NULL, NULL);
	if (rc == 0)
		rc = add_namespace(&g, "monitoring", "platform", "prod");
	if (rc == 0)
		rc = add_deployment(&g, "kube-system", &sys, "kube-dns");
	snprintf(sys.app, sizeof(sys.app), "prometheus");
	sys.tier = TIER_BACKEND;
	sys.port_name = "web";
	sys.port = 9090;
	if (rc == 0)
		rc = add_deployment(&g, "monitoring", &sys, NULL);
	for (i = 0; rc == 0 && i < nb_ns; i++) {
		unsigned int pods = (unsigned int)((uint64_t)nb_regular * (i + 1) / nb_ns -
			(uint64_t)nb_regular * i / nb_ns);
		unsigned int budget = (unsigned int)((uint64_t)p->nb_policies * (i + 1) / nb_ns -
			(uint64_t)p->nb_policies * i / nb_ns);
		unsigned int nb = 0, used[NB_TIERS] = { 0 };
		char ns[32], team[32];

		snprintf(ns, sizeof(ns), "ns-%05u", i);
		snprintf(team, sizeof(team), "team-%u", i % nb_teams);
		rc = add_namespace(&g, ns, team, envs[rn(&g.rng, 10)]);
		while (rc == 0 && pods != 0) {
			struct dep *d;
			unsigned int t = rn(&g.rng, 100), a;

			t = t < 20     ? TIER_FRONTEND :
				t < 75 ? TIER_BACKEND :
				t < 87 ? TIER_DB :
					 TIER_CACHE;
			deps = xrealloc(deps, (nb + 1) * sizeof(*deps));
			d = &deps[nb++];
			memset(d, 0, sizeof(*d));
			d->tier = (enum tier)t;
			a = used[t]++;
			if (a < nb_apps[t])
				snprintf(d->app, sizeof(d->app), "%s", apps[t][a]);
			else
				snprintf(d->app, sizeof(d->app), "%s-%u", apps[t][a % nb_apps[t]],
					a / nb_apps[t]);
			d->replicas = 2 + rn(&g.rng, 19);
			d->replicas = d->replicas < pods ? d->replicas : pods;
			pods -= d->replicas;
			switch (d->tier) {
			case TIER_FRONTEND:
				a = rn(&g.rng, 10);
				d->port_name = "http";
				d->port = a < 7 ? 8080 : a < 9 ? 80 : 3000;
				break;
			case TIER_BACKEND:
				d->port_name = "grpc";
				d->port = rn(&g.rng, 4) == 0 ? 50051 : 9000;
				break;
			case TIER_DB:
				d->port_name = "db";
				d->port = d->app[0] == 'm' ? 3306 : 5432;
				break;
			default:
				d->port_name = "cache";
				d->port = d->app[0] == 'm' ? 11211 : 6379;
				break;
			}
			rc = add_deployment(&g, ns, d, NULL);
		}
		if (rc == 0)
			rc = ns_policies(&g, ns, team, deps, nb, budget);
	}
out:
	free(deps);
	free(g.node_fill);
	if (rc != 0) {
		pw_model_free(g.m);
		return rc;
	}
	*ret_model = g.m;
	return 0;
}
