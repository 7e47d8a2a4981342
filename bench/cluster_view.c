/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The grouped view of a model and the traffic mix of the policy benchmark (cluster_gen.h).
 */
#include "cluster_gen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((c) << 8) | (d))

static unsigned int
rn(uint64_t *s, unsigned int n)
{
	return n != 0 ? (unsigned int)(cg_rand(s) % n) : 0;
}

/* ---- Grouped view ---------------------------------------------------------------------- */

static bool
labels_equal(const struct pw_labels *a, const struct pw_labels *b)
{
	unsigned int i;

	if (a->nb != b->nb)
		return false;
	for (i = 0; i < a->nb; i++) {
		if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
			strcmp(a->items[i].value, b->items[i].value) != 0)
			return false;
	}
	return true;
}

static int
cmp_ns(const void *a, const void *b)
{
	return strcmp(((const struct cg_ns *)a)->name, ((const struct cg_ns *)b)->name);
}

const struct cg_ns *
cg_view_ns(const struct cg_view *v, const char *name)
{
	struct cg_ns key = { .name = name };

	return bsearch(&key, v->nss, v->nb_ns, sizeof(key), cmp_ns);
}

int
cg_view_create(const struct pw_model *model, const char *node, struct cg_view **ret)
{
	unsigned int nb = pw_model_nb_pods(model), nb_pol = pw_model_nb_policies(model);
	unsigned int nb_nsobj = pw_model_nb_namespaces(model), i, n = 0;
	struct cg_view *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	v->model = model;
	v->pods = calloc(nb + 1, sizeof(*v->pods));
	v->local = calloc(nb + 1, sizeof(*v->local));
	v->pod_group = calloc(nb + 1, sizeof(*v->pod_group));
	v->groups = calloc(nb + 1, sizeof(*v->groups));
	v->local_pods = calloc(nb + 1, sizeof(*v->local_pods));
	/* Namespaces: the objects, plus names that only pods or policies carry. */
	v->nss = calloc(nb_nsobj + nb + nb_pol + 1, sizeof(*v->nss));
	v->fallback = calloc(nb + nb_pol + 1, sizeof(*v->fallback));
	v->fallback_label = calloc(nb + nb_pol + 1, sizeof(*v->fallback_label));
	if (v->pods == NULL || v->local == NULL || v->pod_group == NULL || v->groups == NULL ||
		v->local_pods == NULL || v->nss == NULL || v->fallback == NULL ||
		v->fallback_label == NULL) {
		cg_view_free(v);
		return -ENOMEM;
	}
	for (i = 0; i < nb; i++) {
		const struct pw_pod *pod = pw_model_pod_at(model, i);
		struct cg_group *g = v->nb_groups != 0 ? &v->groups[v->nb_groups - 1] : NULL;

		if (pod == NULL || !pod->endpoint)
			continue;
		if (g == NULL || strcmp(g->ns, pod->ns) != 0 ||
			!labels_equal(g->labels, &pod->labels)) {
			g = &v->groups[v->nb_groups++];
			g->ns = pod->ns;
			g->labels = &pod->labels;
			g->first = n;
		}
		v->pods[n] = pod;
		v->local[n] = node == NULL || (pod->node != NULL && strcmp(pod->node, node) == 0);
		v->pod_group[n] = v->nb_groups - 1;
		g->nb++;
		g->nb_local += v->local[n];
		if (v->local[n])
			v->local_pods[v->nb_local++] = n;
		n++;
	}
	v->nb_pods = n;
	for (i = 0; i < nb_nsobj; i++) {
		const struct pw_namespace *ns = pw_model_namespace_at(model, i);

		v->nss[v->nb_ns].name = ns->name;
		v->nss[v->nb_ns++].labels = &ns->labels;
	}
	for (i = 0; i < v->nb_groups + nb_pol; i++) {
		const char *name = i < v->nb_groups ?
			v->groups[i].ns :
			pw_model_policy_at(model, i - v->nb_groups)->ns;
		struct pw_labels *fl = &v->fallback[i];

		if (pw_model_find_namespace(model, name) != NULL)
			continue;
		v->fallback_label[i].key = (char *)(uintptr_t)PW_NS_NAME_LABEL;
		v->fallback_label[i].value = (char *)(uintptr_t)name;
		fl->items = &v->fallback_label[i];
		fl->nb = 1;
		v->nss[v->nb_ns].name = name;
		v->nss[v->nb_ns++].labels = fl;
	}
	qsort(v->nss, v->nb_ns, sizeof(*v->nss), cmp_ns);
	for (i = 0, n = 0; i < v->nb_ns; i++) {
		if (n == 0 || strcmp(v->nss[n - 1].name, v->nss[i].name) != 0)
			v->nss[n++] = v->nss[i];
	}
	v->nb_ns = n;
	/* The model lists pods and policies by namespace: each namespace's are consecutive. */
	for (i = 0; i < v->nb_groups; i++) {
		struct cg_ns *ns = (struct cg_ns *)(uintptr_t)cg_view_ns(v, v->groups[i].ns);

		v->groups[i].ns_idx = (unsigned int)(ns - v->nss);
		if (ns->nb_groups == 0)
			ns->first_group = i;
		else if (ns->first_group + ns->nb_groups != i)
			goto err;
		ns->nb_groups++;
	}
	for (i = 0; i < nb_pol; i++) {
		struct cg_ns *ns =
			(struct cg_ns *)(uintptr_t)cg_view_ns(v, pw_model_policy_at(model, i)->ns);

		if (ns->nb_pols == 0)
			ns->first_pol = i;
		else if (ns->first_pol + ns->nb_pols != i)
			goto err;
		ns->nb_pols++;
	}
	*ret = v;
	return 0;
err:
	cg_view_free(v);
	return -EINVAL;
}

void
cg_view_free(struct cg_view *v)
{
	if (v == NULL)
		return;
	free(v->pods);
	free(v->local);
	free(v->pod_group);
	free(v->groups);
	free(v->local_pods);
	free(v->nss);
	free(v->fallback);
	free(v->fallback_label);
	free(v);
}

bool
cg_peer_matches(const struct cg_view *v, const struct pw_policy *pol, const struct pw_peer *peer,
	const struct cg_group *g)
{
	if (peer->kind != PW_PEER_PODS)
		return false;
	if (peer->has_ns_selector) {
		if (!pw_selector_matches(&peer->ns_selector, v->nss[g->ns_idx].labels))
			return false;
	} else if (strcmp(g->ns, pol->ns) != 0) {
		return false;
	}
	return !peer->has_pod_selector || pw_selector_matches(&peer->pod_selector, g->labels);
}

bool
cg_pod_ip4(const struct pw_pod *pod, uint32_t *ret)
{
	unsigned int i;

	for (i = 0; i < pod->nb_ips; i++) {
		if (pod->ips[i].family == 4) {
			*ret = pod->ips[i].addr.v4;
			return true;
		}
	}
	return false;
}

/* ---- Traffic --------------------------------------------------------------------------- */

#define NONE UINT32_MAX

struct tctx {
	const struct cg_view *v;
	uint64_t rng;
	uint32_t dns_group;
};

static uint32_t
pod_in_group(struct tctx *t, const struct cg_group *g)
{
	return g->first + rn(&t->rng, g->nb);
}

static uint32_t
pod_ip(const struct cg_view *v, uint32_t pod)
{
	uint32_t ip = 0;

	(void)cg_pod_ip4(v->pods[pod], &ip);
	return ip;
}

/* The number of @pod's container port (@name, @proto), or 0. */
static uint16_t
named_port(const struct pw_pod *pod, const char *name, uint8_t proto)
{
	unsigned int i;

	for (i = 0; i < pod->nb_ports; i++) {
		if (pod->ports[i].name != NULL && pod->ports[i].proto == proto &&
			strcmp(pod->ports[i].name, name) == 0)
			return pod->ports[i].port;
	}
	return 0;
}

/* A random container port of @pod (TCP 80 when it has none). */
static void
any_port(struct tctx *t, uint32_t pod, uint8_t *proto, uint16_t *port)
{
	const struct pw_pod *p = pod != NONE ? t->v->pods[pod] : NULL;

	*proto = PW_IPPROTO_TCP;
	*port = 80;
	if (p != NULL && p->nb_ports != 0) {
		const struct pw_container_port *c = &p->ports[rn(&t->rng, p->nb_ports)];

		*proto = c->proto;
		*port = c->port;
	}
}

/* A random group of namespace @ns that @peer of @pol matches, or NONE. */
static uint32_t
group_in_ns(struct tctx *t, const struct pw_policy *pol, const struct pw_peer *peer,
	const struct cg_ns *ns)
{
	uint32_t pick = NONE, seen = 0, i;

	for (i = ns->first_group; i < ns->first_group + ns->nb_groups; i++) {
		if (cg_peer_matches(t->v, pol, peer, &t->v->groups[i]) && rn(&t->rng, ++seen) == 0)
			pick = i;
	}
	return pick;
}

/* A random pod that the PODS peer @peer of @pol matches, or NONE. */
static uint32_t
peer_pod(struct tctx *t, const struct pw_policy *pol, const struct pw_peer *peer)
{
	const struct cg_view *v = t->v;
	uint32_t start, k, g = NONE;

	if (!peer->has_ns_selector) {
		const struct cg_ns *ns = cg_view_ns(v, pol->ns);

		g = ns != NULL ? group_in_ns(t, pol, peer, ns) : NONE;
	} else {
		/* From a random namespace on, the first that has a matching group. */
		start = rn(&t->rng, v->nb_ns);
		for (k = 0; k < v->nb_ns && g == NONE; k++) {
			const struct cg_ns *ns = &v->nss[(start + k) % v->nb_ns];

			if (ns->nb_groups != 0 &&
				pw_selector_matches(&peer->ns_selector, ns->labels))
				g = group_in_ns(t, pol, peer, ns);
		}
	}
	return g != NONE ? pod_in_group(t, &v->groups[g]) : NONE;
}

static void
mk_meta(struct tctx *t, struct pw_pkt_meta *m, uint32_t src, uint32_t dst, uint8_t proto,
	uint16_t dport)
{
	memset(m, 0, sizeof(*m));
	m->src.v4 = src;
	m->dst.v4 = dst;
	m->l3 = PW_L3_IPV4;
	m->ether_type = 0x0800;
	m->l3_off = 14;
	m->l4_off = 34;
	m->l3_len = 60;
	m->ttl = 64;
	m->proto = proto;
	m->sport = (uint16_t)(32768 + rn(&t->rng, 28000));
	m->dport = dport;
	m->tcp_flags = proto == PW_IPPROTO_TCP ? 0x02 : 0;
}

/* A packet a rule of a policy selecting local pod @l speaks of, or false. */
static bool
by_policy(struct tctx *t, uint32_t l, struct pw_pkt_meta *m)
{
	const struct cg_view *v = t->v;
	const struct cg_group *g = &v->groups[v->pod_group[l]];
	const struct cg_ns *ns = &v->nss[g->ns_idx];
	const struct pw_policy *pol = NULL;
	const struct pw_np_rule *rule;
	uint32_t seen = 0, i, other = NONE, other_ip = 0, dst;
	uint8_t proto;
	uint16_t port;
	bool egress;

	for (i = ns->first_pol; i < ns->first_pol + ns->nb_pols; i++) {
		const struct pw_policy *p = pw_model_policy_at(v->model, i);
		bool in = p->isolates_ingress && p->nb_ingress != 0;
		bool out = p->isolates_egress && p->nb_egress != 0;

		if ((in || out) && pw_selector_matches(&p->pod_selector, g->labels) &&
			rn(&t->rng, ++seen) == 0)
			pol = p;
	}
	if (pol == NULL)
		return false;
	egress = pol->isolates_egress && pol->nb_egress != 0 &&
		(!pol->isolates_ingress || pol->nb_ingress == 0 || rn(&t->rng, 2) == 0);
	rule = egress ? &pol->egress[rn(&t->rng, pol->nb_egress)] :
			&pol->ingress[rn(&t->rng, pol->nb_ingress)];
	if (rule->nb_peers == 0) {
		other = rn(&t->rng, v->nb_pods);
	} else {
		const struct pw_peer *peer = &rule->peers[rn(&t->rng, rule->nb_peers)];

		if (peer->kind == PW_PEER_PODS) {
			other = peer_pod(t, pol, peer);
			if (other == NONE)
				return false;
		} else {
			uint32_t base = 0, mask;

			if (peer->cidr.family != 4)
				return false;
			memcpy(&base, peer->cidr.addr.b, 4);
			mask = peer->cidr.prefix != 0 ? ~0u << (32 - peer->cidr.prefix) : 0;
			other_ip =
				(base & htonl(mask)) | (htonl(~mask) & (uint32_t)cg_rand(&t->rng));
		}
	}
	if (other != NONE)
		other_ip = pod_ip(v, other);
	dst = egress ? other : l;
	if (rule->nb_ports == 0) {
		any_port(t, dst, &proto, &port);
	} else {
		const struct pw_np_port *pt = &rule->ports[rn(&t->rng, rule->nb_ports)];

		proto = pt->proto;
		if (pt->kind == PW_NP_PORT_NUMBER)
			port = (uint16_t)(pt->port + rn(&t->rng, pt->end_port - pt->port + 1u));
		else if (pt->kind == PW_NP_PORT_NAMED && dst != NONE)
			port = named_port(v->pods[dst], pt->name, pt->proto);
		else
			port = (uint16_t)(1024 + rn(&t->rng, 60000));
		port = port != 0 ? port : 8080;
	}
	if (egress)
		mk_meta(t, m, pod_ip(v, l), other_ip, proto, port);
	else
		mk_meta(t, m, other_ip, pod_ip(v, l), proto, port);
	return true;
}

/* Local pod @l and a random pod (half the time of its namespace), either way round. */
static void
random_flow(struct tctx *t, uint32_t l, struct pw_pkt_meta *m)
{
	const struct cg_view *v = t->v;
	const struct cg_ns *ns = &v->nss[v->groups[v->pod_group[l]].ns_idx];
	uint32_t other = rn(&t->rng, v->nb_pods), src, dst;
	uint8_t proto;
	uint16_t port;

	if (rn(&t->rng, 2) == 0)
		other = pod_in_group(t, &v->groups[ns->first_group + rn(&t->rng, ns->nb_groups)]);
	src = rn(&t->rng, 2) == 0 ? l : other;
	dst = src == l ? other : l;
	any_port(t, dst, &proto, &port);
	mk_meta(t, m, pod_ip(v, src), pod_ip(v, dst), proto, port);
}

/* An address outside the cluster to or from local pod @l. */
static void
external_flow(struct tctx *t, uint32_t l, struct pw_pkt_meta *m)
{
	uint32_t ext =
		htonl(rn(&t->rng, 2) == 0 ? IP4(192, 168, rn(&t->rng, 256), 1 + rn(&t->rng, 254)) :
					    IP4(203, 0, 113, 1 + rn(&t->rng, 254)));
	uint8_t proto;
	uint16_t port;

	if (rn(&t->rng, 2) == 0) {
		any_port(t, l, &proto, &port);
		mk_meta(t, m, ext, pod_ip(t->v, l), proto, port);
	} else {
		mk_meta(t, m, pod_ip(t->v, l), ext, PW_IPPROTO_TCP, rn(&t->rng, 4) == 0 ? 80 : 443);
	}
}

int
cg_traffic(const struct cg_view *v, uint64_t seed, struct pw_pkt_meta *metas, unsigned int n,
	struct cg_mix *mix)
{
	struct tctx t = { .v = v, .rng = seed | 1, .dns_group = NONE };
	unsigned int i, k;

	memset(mix, 0, sizeof(*mix));
	if (v->nb_local == 0)
		return -ENOENT;
	for (i = 0; i < v->nb_groups; i++) {
		const char *a = pw_labels_get(v->groups[i].labels, "k8s-app");

		if (a != NULL && strcmp(a, "kube-dns") == 0)
			t.dns_group = i;
	}
	for (i = 0; i < n; i++) {
		uint32_t l = v->local_pods[rn(&t.rng, v->nb_local)];
		unsigned int r = rn(&t.rng, 100);
		bool done = false;

		for (k = 0; r < 55 && k < 8 && !done; k++) {
			done = by_policy(&t, l, &metas[i]);
			if (!done)
				l = v->local_pods[rn(&t.rng, v->nb_local)];
		}
		if (done) {
			mix->by_policy++;
		} else if (r >= 80 && r < 90) {
			external_flow(&t, l, &metas[i]);
			mix->external++;
		} else if (r >= 90 && t.dns_group != NONE) {
			mk_meta(&t, &metas[i], pod_ip(v, l),
				pod_ip(v, pod_in_group(&t, &v->groups[t.dns_group])),
				PW_IPPROTO_UDP, 53);
			mix->dns++;
		} else {
			random_flow(&t, l, &metas[i]);
			mix->random++;
		}
	}
	return 0;
}
