/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy compiler: model → identities + flat ACL rules.
 *
 * Why identities (DESIGN decision 1). A rule per source IP × destination IP × port explodes
 * with the pods. But NetworkPolicy never looks at a pod's address, only at which selectors
 * match it and which named ports it has. So every endpoint pod gets a signature, one bit for:
 *   - every policy: does its podSelector select the pod (in the policy's namespace);
 *   - every PODS peer of every rule: does the peer match the pod (namespace selector against
 *     its namespace's labels, else the policy's namespace; pod selector against its labels);
 *   - every (name, protocol, number) that a named port some rule references has on some pod:
 *     does this pod have that container port;
 *   - last, whether the pod runs on this node (only local pods are enforced).
 * Pods with equal signatures share an identity, numbered 1..N in signature order: signatures
 * compare bit by bit, policy by policy in model order, so the identities one selector matches
 * tend to be consecutive and compress into few ranges. Identity 0 is every address that is no
 * endpoint pod ("world"). The rule count grows with policies and selectors, not with pods.
 *
 * How rules expand. Each rule R of a direction its policy P isolates (rules of a direction
 * that policyTypes leave out do nothing) gets a "meta" entry (policy, direction, rule index)
 * that explain and the counters report, then ACL rules:
 *   1. egress (category 0, decided at the source): source = identities P selects on this
 *      node; destination = each peer of R: PODS → identities with the peer's bit; IPBLOCK →
 *      cidr minus excepts as disjoint prefixes, any identity; no peers → anything.
 *   2. ingress (category 1, decided at the destination): the same with the sides swapped.
 *   3. ports: none → any protocol and port; each entry → its protocol and [port, endPort]
 *      (no port: 0..65535).
 *   4. a named port resolves on the destination pod (ingress: the selected pod; egress: the
 *      peer, of any kind): one rule set per number the name has on some pod, limited to the
 *      destination identities with that (name, protocol, number). A non-pod never matches.
 *   5. identity sets become ranges of consecutive ids; an identity whose verdict in this
 *      category is never read (not local, or not isolated in this direction) is a "don't
 *      care" on the selected side, so a range may run across it.
 * Peers are OR'ed, ports are OR'ed, the two AND'ed: a rule is the cross product of selected
 * ranges, peer ranges and/or prefixes, and port entries. ACL priority falls with the meta
 * index, so a result names the first policy and rule in model order, as pw_ref_evaluate().
 */
#include "control/model/compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NO_BIT UINT32_MAX

enum {
	MARK_NO = 0,
	MARK_WANT,
	MARK_DONT_CARE,
};

/* A growable array of fixed-size items. */
struct vec {
	void *items;
	size_t nb;
	size_t cap;
	size_t size;
};

#define VEC_AT(v, type, i) (&((type *)(v)->items)[i])

/* A selector bit: a policy's podSelector (peer NULL) or a PODS peer of one of its rules. */
struct term {
	const struct pw_policy *pol;
	const struct pw_peer *peer;
};

/* A named port that some rule references. */
struct named_port {
	const char *name;
	uint8_t proto;
};

/* A number a named port has on some pod: one signature bit. */
struct triple {
	uint32_t named;
	uint16_t port;
};

struct cctx {
	const struct pw_model *model;
	const char *node;
	struct pw_compiled *cp;
	const struct pw_pod **pods; /* the model's, in its order (pw_model_pod_at()) */
	const struct pw_policy **pols;
	unsigned int nb_pols;
	unsigned int *eps; /* model pod index of each endpoint pod */
	unsigned int nb_eps;
	unsigned int *pol_term; /* per policy: the term of its podSelector */
	struct vec terms;	/* struct term */
	struct vec named;	/* struct named_port */
	struct vec triples;	/* struct triple, sorted; bit nb_terms + index */
	uint32_t nb_bits;	/* terms, triples, local */
	size_t sig_len;
	uint8_t *sigs;		   /* nb_eps * sig_len */
	const uint8_t **ident_sig; /* [1..nb_idents] */
	uint8_t *mark;		   /* [0..nb_idents] scratch */
	struct vec sel_ranges;	   /* struct pw_cp_range */
	struct vec peer_ranges;
	struct vec prefixes; /* struct pw_cidr */
	struct vec rules;    /* struct pw_cp_rule */
	struct vec metas;    /* struct pw_cp_meta */
};

static int
vec_push(struct vec *v, const void *item)
{
	if (v->nb == v->cap) {
		size_t cap = v->cap != 0 ? v->cap * 2 : 16;
		void *p = realloc(v->items, cap * v->size);

		if (p == NULL)
			return -ENOMEM;
		v->items = p;
		v->cap = cap;
	}
	memcpy((char *)v->items + v->nb * v->size, item, v->size);
	v->nb++;
	return 0;
}

static bool
sig_bit(const uint8_t *sig, uint32_t b)
{
	return (sig[b >> 3] & (0x80u >> (b & 7))) != 0;
}

static void
sig_set(uint8_t *sig, uint32_t b)
{
	sig[b >> 3] |= (uint8_t)(0x80u >> (b & 7));
}

/* The index of @pt in c->named, or c->named.nb. */
static size_t
named_index(const struct cctx *c, const char *name, uint8_t proto)
{
	size_t j;

	for (j = 0; j < c->named.nb; j++) {
		const struct named_port *o = VEC_AT(&c->named, struct named_port, j);

		if (o->proto == proto && strcmp(o->name, name) == 0)
			break;
	}
	return j;
}

/* Every PODS peer and named port of the rules of the directions a policy isolates. */
static int
collect_terms(struct cctx *c)
{
	unsigned int nb_pol = c->nb_pols;
	unsigned int pi, d, r, k;

	c->pol_term = calloc(nb_pol + 1, sizeof(*c->pol_term));
	if (c->pol_term == NULL)
		return -ENOMEM;
	for (pi = 0; pi < nb_pol; pi++) {
		const struct pw_policy *pol = c->pols[pi];
		struct term t = { pol, NULL };

		c->pol_term[pi] = (unsigned int)c->terms.nb;
		if (vec_push(&c->terms, &t) != 0)
			return -ENOMEM;
		for (d = 0; d < 2; d++) {
			bool iso = d == PW_CP_EGRESS ? pol->isolates_egress : pol->isolates_ingress;
			const struct pw_np_rule *rules =
				d == PW_CP_EGRESS ? pol->egress : pol->ingress;
			unsigned int nb = d == PW_CP_EGRESS ? pol->nb_egress : pol->nb_ingress;

			for (r = 0; iso && r < nb; r++) {
				for (k = 0; k < rules[r].nb_peers; k++) {
					t.peer = &rules[r].peers[k];
					if (t.peer->kind == PW_PEER_PODS &&
						vec_push(&c->terms, &t) != 0)
						return -ENOMEM;
				}
				for (k = 0; k < rules[r].nb_ports; k++) {
					const struct pw_np_port *pt = &rules[r].ports[k];
					struct named_port np = { pt->name, pt->proto };

					if (pt->kind == PW_NP_PORT_NAMED && pt->name != NULL &&
						named_index(c, pt->name, pt->proto) ==
							c->named.nb &&
						vec_push(&c->named, &np) != 0)
						return -ENOMEM;
				}
			}
		}
	}
	return 0;
}

static int
cmp_triple(const void *a, const void *b)
{
	const struct triple *x = a, *y = b;

	if (x->named != y->named)
		return x->named < y->named ? -1 : 1;
	return (int)x->port - (int)y->port;
}

/* Every (named port, number) some endpoint pod has, sorted and unique. */
static int
collect_triples(struct cctx *c)
{
	unsigned int e, j;
	size_t i, n = 0;

	for (e = 0; e < c->nb_eps && c->named.nb != 0; e++) {
		const struct pw_pod *pod = c->pods[c->eps[e]];

		for (j = 0; j < pod->nb_ports; j++) {
			const struct pw_container_port *cpt = &pod->ports[j];
			struct triple t = { 0, cpt->port };

			if (cpt->name == NULL)
				continue;
			t.named = (uint32_t)named_index(c, cpt->name, cpt->proto);
			if (t.named < c->named.nb && vec_push(&c->triples, &t) != 0)
				return -ENOMEM;
		}
	}
	if (c->triples.nb == 0)
		return 0;
	qsort(c->triples.items, c->triples.nb, sizeof(struct triple), cmp_triple);
	for (i = 0; i < c->triples.nb; i++) {
		struct triple *a = c->triples.items;

		if (n == 0 || cmp_triple(&a[n - 1], &a[i]) != 0)
			a[n++] = a[i];
	}
	c->triples.nb = n;
	return 0;
}

/* The signature bit of a container port, or NO_BIT when no rule names it. */
static uint32_t
triple_bit(const struct cctx *c, const struct pw_container_port *cpt)
{
	struct triple key = { 0, cpt->port };
	const struct triple *hit, *base = c->triples.items;

	if (c->triples.nb == 0)
		return NO_BIT;
	key.named = (uint32_t)named_index(c, cpt->name, cpt->proto);
	hit = bsearch(&key, base, c->triples.nb, sizeof(key), cmp_triple);
	return hit != NULL ? (uint32_t)(c->terms.nb + (size_t)(hit - base)) : NO_BIT;
}

static bool
pod_is_local(const struct cctx *c, const struct pw_pod *pod)
{
	return c->node == NULL || (pod->node != NULL && strcmp(pod->node, c->node) == 0);
}

/* Signature of every endpoint pod (see the top of the file). */
static int
compute_signatures(struct cctx *c)
{
	unsigned int nb_terms = (unsigned int)c->terms.nb;
	const char *ns = NULL;
	struct pw_labels scratch;
	struct pw_label scratch_label;
	bool *ns_ok;
	unsigned int e, t, j;

	c->nb_bits = (uint32_t)(c->terms.nb + c->triples.nb + 1);
	c->sig_len = (c->nb_bits + 7) / 8;
	c->sigs = calloc(c->nb_eps + 1, c->sig_len);
	ns_ok = calloc(nb_terms + 1, sizeof(*ns_ok));
	if (c->sigs == NULL || ns_ok == NULL) {
		free(ns_ok);
		return -ENOMEM;
	}
	for (e = 0; e < c->nb_eps; e++) {
		const struct pw_pod *pod = c->pods[c->eps[e]];
		uint8_t *sig = c->sigs + (size_t)e * c->sig_len;

		/* The namespace half of every term, once per namespace (pods come grouped). */
		if (ns == NULL || strcmp(ns, pod->ns) != 0) {
			const struct pw_labels *nsl =
				pw_model_ns_labels(c->model, pod->ns, &scratch, &scratch_label);

			ns = pod->ns;
			for (t = 0; t < nb_terms; t++) {
				const struct term *tm = VEC_AT(&c->terms, struct term, t);

				if (tm->peer != NULL && tm->peer->has_ns_selector)
					ns_ok[t] = pw_selector_matches(&tm->peer->ns_selector, nsl);
				else
					ns_ok[t] = strcmp(tm->pol->ns, pod->ns) == 0;
			}
		}
		for (t = 0; t < nb_terms; t++) {
			const struct term *tm = VEC_AT(&c->terms, struct term, t);
			bool m;

			if (!ns_ok[t])
				continue;
			if (tm->peer == NULL)
				m = pw_selector_matches(&tm->pol->pod_selector, &pod->labels);
			else
				m = !tm->peer->has_pod_selector ||
					pw_selector_matches(&tm->peer->pod_selector, &pod->labels);
			if (m)
				sig_set(sig, t);
		}
		for (j = 0; j < pod->nb_ports && c->named.nb != 0; j++) {
			uint32_t b;

			if (pod->ports[j].name == NULL)
				continue;
			b = triple_bit(c, &pod->ports[j]);
			if (b != NO_BIT)
				sig_set(sig, b);
		}
		if (pod_is_local(c, pod))
			sig_set(sig, c->nb_bits - 1);
	}
	free(ns_ok);
	return 0;
}

static int
cmp_sig(const void *a, const void *b, void *arg)
{
	const struct cctx *c = arg;
	unsigned int ia = *(const unsigned int *)a, ib = *(const unsigned int *)b;
	int r = memcmp(
		c->sigs + (size_t)ia * c->sig_len, c->sigs + (size_t)ib * c->sig_len, c->sig_len);

	if (r != 0)
		return r;
	return ia < ib ? -1 : ia > ib;
}

static int
cmp_ip(const void *a, const void *b)
{
	const struct pw_cp_ip *x = a, *y = b;

	if (x->ip.family != y->ip.family)
		return x->ip.family < y->ip.family ? -1 : 1;
	return memcmp(x->ip.addr.b, y->ip.addr.b, 16);
}

/* The IP map: every address of every endpoint pod. */
static int
make_ipmap(struct cctx *c, const uint32_t *ident_of)
{
	struct pw_compiled *cp = c->cp;
	unsigned int e, i;

	for (e = 0; e < c->nb_eps; e++)
		cp->nb_ips += c->pods[c->eps[e]]->nb_ips;
	cp->ips = calloc(cp->nb_ips + 1, sizeof(*cp->ips));
	if (cp->ips == NULL)
		return -ENOMEM;
	cp->nb_ips = 0;
	for (e = 0; e < c->nb_eps; e++) {
		const struct pw_pod *pod = c->pods[c->eps[e]];

		for (i = 0; i < pod->nb_ips; i++) {
			struct pw_cp_ip *ip = &cp->ips[cp->nb_ips++];

			ip->ip.family = pod->ips[i].family;
			memcpy(ip->ip.addr.b, pod->ips[i].addr.b, ip->ip.family == 4 ? 4 : 16);
			ip->id = ident_of[e];
		}
	}
	qsort(cp->ips, cp->nb_ips, sizeof(*cp->ips), cmp_ip);
	return 0;
}

/* Group endpoint pods by signature into identities; build the IP map. */
static int
make_identities(struct cctx *c)
{
	struct pw_compiled *cp = c->cp;
	unsigned int nb_pol = c->nb_pols;
	unsigned int *order;
	uint32_t *ident_of, n = 0, i, pi;
	int ret = -ENOMEM;

	order = calloc(c->nb_eps + 1, sizeof(*order));
	ident_of = calloc(c->nb_eps + 1, sizeof(*ident_of));
	cp->idents = calloc(c->nb_eps + 1, sizeof(*cp->idents));
	c->ident_sig = calloc(c->nb_eps + 2, sizeof(*c->ident_sig));
	if (order == NULL || ident_of == NULL || cp->idents == NULL || c->ident_sig == NULL)
		goto out;
	for (i = 0; i < c->nb_eps; i++)
		order[i] = i;
	qsort_r(order, c->nb_eps, sizeof(*order), cmp_sig, c);
	for (i = 0; i < c->nb_eps; i++) {
		const uint8_t *sig = c->sigs + (size_t)order[i] * c->sig_len;
		struct pw_cp_identity *id;

		if (n == 0 || memcmp(sig, c->ident_sig[n], c->sig_len) != 0) {
			n++;
			c->ident_sig[n] = sig;
			id = &cp->idents[n - 1];
			id->id = n;
			id->local = sig_bit(sig, c->nb_bits - 1);
			id->first_pod = c->eps[order[i]];
			/* Isolated in a direction when a policy selecting it isolates it. */
			for (pi = 0; pi < nb_pol && id->local; pi++) {
				const struct pw_policy *pol = c->pols[pi];

				if (sig_bit(sig, c->pol_term[pi])) {
					id->enforce_egress |= pol->isolates_egress;
					id->enforce_ingress |= pol->isolates_ingress;
				}
			}
		}
		cp->idents[n - 1].nb_pods++;
		ident_of[order[i]] = n;
	}
	cp->nb_idents = n;
	c->mark = calloc(n + 1, 1);
	if (c->mark != NULL)
		ret = make_ipmap(c, ident_of);
out:
	free(order);
	free(ident_of);
	return ret;
}

/*
 * Ranges of consecutive identities: WANT those with bits @b1 and @b2 set (NO_BIT: no
 * condition), and local when @local_only; an identity that does not enforce direction
 * @dc_dir (-1: none) may be covered or not; no other may be.
 */
static int
id_ranges(struct cctx *c, uint32_t b1, uint32_t b2, bool local_only, int dc_dir, struct vec *out)
{
	struct pw_cp_range r = { 0, 0 };
	bool open = false;
	uint32_t id;

	out->nb = 0;
	for (id = 1; id <= c->cp->nb_idents; id++) {
		const uint8_t *sig = c->ident_sig[id];
		const struct pw_cp_identity *ident = &c->cp->idents[id - 1];
		bool want = (b1 == NO_BIT || sig_bit(sig, b1)) &&
			(b2 == NO_BIT || sig_bit(sig, b2)) && (!local_only || ident->local);
		bool enforced = dc_dir == PW_CP_EGRESS ? ident->enforce_egress :
			dc_dir == PW_CP_INGRESS	       ? ident->enforce_ingress :
							 true;

		if (want) {
			if (!open)
				r.lo = id;
			open = true;
			r.hi = id;
		} else if (enforced && open) {
			if (vec_push(out, &r) != 0)
				return -ENOMEM;
			open = false;
		}
	}
	if (open && vec_push(out, &r) != 0)
		return -ENOMEM;
	return 0;
}

static void
cidr_normalize(struct pw_cidr *cidr)
{
	unsigned int max = cidr->family == 4 ? 32 : 128, b;

	if (cidr->prefix > max)
		cidr->prefix = (uint8_t)max;
	for (b = cidr->prefix; b < 128; b++)
		cidr->addr.b[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

/* Whether @outer contains the whole of @inner. */
static bool
cidr_covers(const struct pw_cidr *outer, const struct pw_cidr *inner)
{
	struct pw_ip ip = { .family = inner->family, .addr = inner->addr };

	return outer->family == inner->family && outer->prefix <= inner->prefix &&
		pw_cidr_contains(outer, &ip);
}

/* @cidr minus @except as disjoint prefixes: split in halves until no except cuts a prefix. */
static int
cidr_minus(struct cctx *c, const struct pw_cidr *cidr, const struct pw_cidr *except,
	unsigned int nb_except)
{
	unsigned int max = cidr->family == 4 ? 32 : 128, i;
	struct pw_cidr half;
	bool cut = false;
	int ret;

	for (i = 0; i < nb_except; i++) {
		if (cidr_covers(&except[i], cidr))
			return 0;
		cut |= cidr_covers(cidr, &except[i]);
	}
	if (!cut || cidr->prefix >= max)
		return vec_push(&c->prefixes, cidr);
	half = *cidr;
	half.prefix++;
	ret = cidr_minus(c, &half, except, nb_except);
	if (ret != 0)
		return ret;
	half.addr.b[cidr->prefix / 8] |= (uint8_t)(0x80u >> (cidr->prefix % 8));
	return cidr_minus(c, &half, except, nb_except);
}

static int
ipblock_prefixes(struct cctx *c, const struct pw_peer *peer)
{
	struct pw_cidr base = peer->cidr, *ex;
	unsigned int i;
	int ret;

	c->prefixes.nb = 0;
	if (base.family != 4 && base.family != 6)
		return 0;
	ex = calloc(peer->nb_except + 1, sizeof(*ex));
	if (ex == NULL)
		return -ENOMEM;
	cidr_normalize(&base);
	for (i = 0; i < peer->nb_except; i++) {
		ex[i] = peer->except[i];
		cidr_normalize(&ex[i]);
	}
	ret = cidr_minus(c, &base, ex, peer->nb_except);
	free(ex);
	return ret;
}

/* The cross product of c->sel_ranges, c->peer_ranges (when @by_id; else any identity) and
 * c->prefixes (when @by_net; else any address). */
static int
emit(struct cctx *c, const struct pw_cp_rule *tmpl, bool by_id, bool by_net)
{
	size_t nb_b = by_id ? c->peer_ranges.nb : 1, nb_n = by_net ? c->prefixes.nb : 1;
	size_t a, b, n;

	for (a = 0; a < c->sel_ranges.nb; a++) {
		for (b = 0; b < nb_b; b++) {
			for (n = 0; n < nb_n; n++) {
				struct pw_cp_rule r = *tmpl;
				bool eg = tmpl->dir == PW_CP_EGRESS;

				*(eg ? &r.src_id : &r.dst_id) =
					*VEC_AT(&c->sel_ranges, struct pw_cp_range, a);
				if (by_id)
					*(eg ? &r.dst_id : &r.src_id) =
						*VEC_AT(&c->peer_ranges, struct pw_cp_range, b);
				if (by_net) {
					struct pw_cidr *net = eg ? &r.dst_net : &r.src_net;

					*net = *VEC_AT(&c->prefixes, struct pw_cidr, n);
					r.family = net->family;
				}
				if (c->rules.nb >= PW_CP_MAX_RULES)
					return -E2BIG;
				if (vec_push(&c->rules, &r) != 0)
					return -ENOMEM;
			}
		}
	}
	return 0;
}

/* One peer (NULL: any) × one port entry (NULL: every port and protocol) of one rule. */
static int
compile_entry(struct cctx *c, const struct pw_cp_rule *base, uint32_t sel_term,
	const struct pw_peer *peer, uint32_t peer_term, const struct pw_np_port *pt)
{
	struct pw_cp_rule tmpl = *base;
	bool pods = peer != NULL && peer->kind == PW_PEER_PODS;
	bool net = peer != NULL && peer->kind == PW_PEER_IPBLOCK;
	int dir = tmpl.dir;
	size_t k, t;
	int ret = 0;

	if (net)
		ret = ipblock_prefixes(c, peer);
	if (ret != 0)
		return ret;
	if (pt != NULL) {
		tmpl.proto = pt->proto;
		if (pt->kind == PW_NP_PORT_NUMBER) {
			tmpl.port_lo = pt->port;
			tmpl.port_hi = pt->end_port >= pt->port ? pt->end_port : pt->port;
		}
	}
	if (pt == NULL || pt->kind != PW_NP_PORT_NAMED) {
		ret = id_ranges(c, sel_term, NO_BIT, true, dir, &c->sel_ranges);
		if (ret == 0 && pods)
			ret = id_ranges(c, peer_term, NO_BIT, false, -1, &c->peer_ranges);
		return ret != 0 ? ret : emit(c, &tmpl, pods, net);
	}
	/* 4. A named port: one rule set per (name, protocol, number) some pod has. */
	k = pt->name != NULL ? named_index(c, pt->name, pt->proto) : c->named.nb;
	if (dir == PW_CP_INGRESS && pods)
		ret = id_ranges(c, peer_term, NO_BIT, false, -1, &c->peer_ranges);
	else if (dir == PW_CP_EGRESS)
		ret = id_ranges(c, sel_term, NO_BIT, true, dir, &c->sel_ranges);
	for (t = 0; ret == 0 && t < c->triples.nb; t++) {
		const struct triple *tr = VEC_AT(&c->triples, struct triple, t);
		uint32_t bit = (uint32_t)(c->terms.nb + t);

		if (tr->named != k)
			continue;
		tmpl.port_lo = tmpl.port_hi = tr->port;
		if (dir == PW_CP_INGRESS) {
			ret = id_ranges(c, sel_term, bit, true, dir, &c->sel_ranges);
			if (ret == 0)
				ret = emit(c, &tmpl, pods, net);
		} else {
			/* The destination must be a pod with that port, whatever the peer. */
			ret = id_ranges(
				c, pods ? peer_term : NO_BIT, bit, false, -1, &c->peer_ranges);
			if (ret == 0)
				ret = emit(c, &tmpl, true, net);
		}
	}
	return ret;
}

static int
add_meta(struct cctx *c, unsigned int pi, const struct pw_policy *pol, enum pw_cp_dir dir,
	unsigned int rule)
{
	struct pw_cp_meta m = { .policy = pi, .dir = dir, .rule = rule };

	m.ns = strdup(pol->ns);
	m.name = strdup(pol->name);
	if (m.ns == NULL || m.name == NULL || vec_push(&c->metas, &m) != 0) {
		free(m.ns);
		free(m.name);
		return -ENOMEM;
	}
	return 0;
}

/* Rules of every policy, walking the terms in the order collect_terms() made them. */
static int
compile_rules(struct cctx *c)
{
	unsigned int nb_pol = c->nb_pols;
	unsigned int pi, d, r, k, p;
	int ret;

	for (pi = 0; pi < nb_pol; pi++) {
		const struct pw_policy *pol = c->pols[pi];
		uint32_t sel_term = c->pol_term[pi], t = sel_term + 1;

		for (d = 0; d < 2; d++) {
			bool iso = d == PW_CP_EGRESS ? pol->isolates_egress : pol->isolates_ingress;
			const struct pw_np_rule *rules =
				d == PW_CP_EGRESS ? pol->egress : pol->ingress;
			unsigned int nb = d == PW_CP_EGRESS ? pol->nb_egress : pol->nb_ingress;

			for (r = 0; iso && r < nb; r++) {
				const struct pw_np_rule *rule = &rules[r];
				const struct pw_cp_rule base = {
					.meta = (uint32_t)c->metas.nb,
					.dir = (enum pw_cp_dir)d,
					.port_hi = UINT16_MAX,
					.src_id = { 0, UINT32_MAX },
					.dst_id = { 0, UINT32_MAX },
				};
				unsigned int nb_peers = rule->nb_peers != 0 ? rule->nb_peers : 1;
				unsigned int nb_ports = rule->nb_ports != 0 ? rule->nb_ports : 1;

				ret = add_meta(c, pi, pol, (enum pw_cp_dir)d, r);
				for (k = 0; ret == 0 && k < nb_peers; k++) {
					const struct pw_peer *peer =
						rule->nb_peers != 0 ? &rule->peers[k] : NULL;
					uint32_t peer_term = NO_BIT;

					/* PODS peers follow their policy's term, in order. */
					if (peer != NULL && peer->kind == PW_PEER_PODS)
						peer_term = t++;
					for (p = 0; ret == 0 && p < nb_ports; p++)
						ret = compile_entry(c, &base, sel_term, peer,
							peer_term,
							rule->nb_ports != 0 ? &rule->ports[p] :
									      NULL);
				}
				if (ret != 0)
					return ret;
			}
		}
	}
	return 0;
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
cctx_release(struct cctx *c)
{
	free(c->pods);
	free(c->pols);
	free(c->eps);
	free(c->pol_term);
	free(c->terms.items);
	free(c->named.items);
	free(c->triples.items);
	free(c->sigs);
	free(c->ident_sig);
	free(c->mark);
	free(c->sel_ranges.items);
	free(c->peer_ranges.items);
	free(c->prefixes.items);
	free(c->rules.items);
}

int
pw_compile(const struct pw_model *model, const char *node, struct pw_compiled **ret, char *err,
	size_t err_len)
{
	struct cctx c = {
		.model = model,
		.node = node,
		.terms.size = sizeof(struct term),
		.named.size = sizeof(struct named_port),
		.triples.size = sizeof(struct triple),
		.sel_ranges.size = sizeof(struct pw_cp_range),
		.peer_ranges.size = sizeof(struct pw_cp_range),
		.prefixes.size = sizeof(struct pw_cidr),
		.rules.size = sizeof(struct pw_cp_rule),
		.metas.size = sizeof(struct pw_cp_meta),
	};
	uint64_t t0 = now_ns();
	unsigned int nb_pods = pw_model_nb_pods(model), i;
	int rc;

	c.cp = calloc(1, sizeof(*c.cp));
	c.nb_pols = pw_model_nb_policies(model);
	c.pods = calloc(nb_pods + 1, sizeof(*c.pods));
	c.pols = calloc(c.nb_pols + 1, sizeof(*c.pols));
	c.eps = calloc(nb_pods + 1, sizeof(*c.eps));
	rc = c.cp == NULL || c.pods == NULL || c.pols == NULL || c.eps == NULL ? -ENOMEM : 0;
	/* The model's sorted views can fail to build (out of memory): then NULL. */
	for (i = 0; rc == 0 && i < nb_pods; i++) {
		c.pods[i] = pw_model_pod_at(model, i);
		if (c.pods[i] == NULL)
			rc = -ENOMEM;
		else if (c.pods[i]->endpoint)
			c.eps[c.nb_eps++] = i;
	}
	for (i = 0; rc == 0 && i < c.nb_pols; i++) {
		if ((c.pols[i] = pw_model_policy_at(model, i)) == NULL)
			rc = -ENOMEM;
	}
	if (rc != 0) {
		snprintf(err, err_len, "policy compile: out of memory");
		cctx_release(&c);
		free(c.cp);
		return rc;
	}
	rc = collect_terms(&c);
	if (rc == 0)
		rc = collect_triples(&c);
	if (rc == 0)
		rc = compute_signatures(&c);
	if (rc == 0)
		rc = make_identities(&c);
	if (rc == 0)
		rc = compile_rules(&c);
	/* Metas move to the output even on failure so that their strings get freed. */
	c.cp->metas = c.metas.items;
	c.cp->nb_metas = (unsigned int)c.metas.nb;
	c.cp->rules = c.rules.items;
	c.cp->nb_rules = (unsigned int)c.rules.nb;
	c.rules.items = NULL;
	if (rc != 0) {
		snprintf(err, err_len,
			rc == -E2BIG ? "policy compiles to more than %u ACL rules" :
				       "policy compile: out of memory",
			PW_CP_MAX_RULES);
		cctx_release(&c);
		pw_compiled_free(c.cp);
		return rc;
	}
	for (i = 0; i < c.cp->nb_rules; i++) {
		c.cp->nb_rules4 += c.cp->rules[i].family != 6;
		c.cp->nb_rules6 += c.cp->rules[i].family != 4;
	}
	c.cp->nb_endpoints = c.nb_eps;
	c.cp->nb_terms = (unsigned int)c.terms.nb;
	c.cp->nb_named_ports = (unsigned int)c.named.nb;
	cctx_release(&c);
	c.cp->compile_ns = now_ns() - t0;
	*ret = c.cp;
	return 0;
}

void
pw_compiled_free(struct pw_compiled *cp)
{
	unsigned int i;

	if (cp == NULL)
		return;
	for (i = 0; i < cp->nb_metas; i++) {
		free(cp->metas[i].ns);
		free(cp->metas[i].name);
	}
	free(cp->metas);
	free(cp->rules);
	free(cp->ips);
	free(cp->idents);
	free(cp);
}

uint32_t
pw_compiled_identity(const struct pw_compiled *cp, const struct pw_ip *ip)
{
	struct pw_cp_ip key = { .ip.family = ip->family };
	const struct pw_cp_ip *hit;

	memcpy(key.ip.addr.b, ip->addr.b, ip->family == 4 ? 4 : 16);
	hit = bsearch(&key, cp->ips, cp->nb_ips, sizeof(key), cmp_ip);
	return hit != NULL ? hit->id : PW_CP_WORLD;
}
