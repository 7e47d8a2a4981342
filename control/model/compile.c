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

/* A distinct signature: its ascending set bits are sigpool[off..off + len). */
struct sigent {
	size_t off;
	uint32_t len;
	uint32_t first_ep; /* the first endpoint pod that has it */
	uint32_t nb_pods;
	uint32_t id; /* its identity */
	uint64_t hash;
};

/* A number a named port has on some pod: one signature bit. */
struct triple {
	uint32_t named;
	uint16_t port;
};

/* The arguments of the last id_ranges() call that filled a range vector. */
struct range_key {
	uint32_t b1;
	uint32_t b2;
	int local_only;
	int dc_dir;
	int valid;
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
	unsigned int *pol_term;		 /* per policy: the term of its podSelector */
	struct vec terms;		 /* struct term */
	struct vec named;		 /* struct named_port */
	struct vec triples;		 /* struct triple, sorted; bit nb_terms + index */
	uint32_t nb_bits;		 /* terms, triples, local */
	struct vec sigpool;		 /* uint32_t: the bits of every distinct signature */
	struct vec sigents;		 /* struct sigent */
	uint32_t *ep_sig;		 /* per endpoint pod: its signature's index in sigents */
	const struct sigent **ident_sig; /* [1..nb_idents] */
	uint32_t *bit_start;		 /* [0..nb_bits]: per bit, its span of bit_ids */
	uint32_t *bit_ids;		 /* per bit, the ascending identities that have it */
	uint32_t *enf[2];		 /* [dir][id]: identities 1..id that enforce dir */
	struct vec sel_ranges;		 /* struct pw_cp_range */
	struct vec peer_ranges;
	struct range_key sel_key; /* what sel_ranges holds */
	struct range_key peer_key;
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

/* An open-addressing table of indices (EMPTY: free) keyed by 64-bit hashes. */
struct htab {
	uint32_t *slots;
	size_t mask;
};

static int
htab_init(struct htab *h, size_t nb)
{
	size_t cap = 16;

	while (cap < 2 * nb + 2)
		cap *= 2;
	h->slots = malloc(cap * sizeof(*h->slots));
	if (h->slots == NULL)
		return -ENOMEM;
	memset(h->slots, 0xff, cap * sizeof(*h->slots));
	h->mask = cap - 1;
	return 0;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

#define FNV_SEED 0xcbf29ce484222325ull

static uint64_t
labels_hash(const char *ns, const struct pw_labels *l)
{
	uint64_t h = fnv(FNV_SEED, ns, strlen(ns) + 1);
	unsigned int i;

	for (i = 0; i < l->nb; i++) {
		h = fnv(h, l->items[i].key, strlen(l->items[i].key) + 1);
		h = fnv(h, l->items[i].value, strlen(l->items[i].value) + 1);
	}
	return h;
}

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

static const uint32_t *
u32_at(const struct vec *v, size_t i)
{
	return (const uint32_t *)v->items + i;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int
cmp_plain_term(const void *a, const void *b, void *arg)
{
	const struct cctx *c = arg;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int r = strcmp(VEC_AT(&c->terms, struct term, x)->pol->ns,
		VEC_AT(&c->terms, struct term, y)->pol->ns);

	return r != 0 ? r : x < y ? -1 : x > y;
}

static uint64_t
sel_hash(const struct pw_selector *sel)
{
	uint64_t h = FNV_SEED;
	unsigned int i, j;

	for (i = 0; i < sel->nb_reqs; i++) {
		const struct pw_sel_req *rq = &sel->reqs[i];

		h = fnv(h, rq->key, strlen(rq->key) + 1);
		h = fnv(h, &rq->op, sizeof(rq->op));
		for (j = 0; j < rq->nb_values; j++)
			h = fnv(h, rq->values[j], strlen(rq->values[j]) + 1);
		h = fnv(h, "", 1);
	}
	return h;
}

static bool
sel_equal(const struct pw_selector *a, const struct pw_selector *b)
{
	unsigned int i, j;

	if (a->nb_reqs != b->nb_reqs)
		return false;
	for (i = 0; i < a->nb_reqs; i++) {
		const struct pw_sel_req *x = &a->reqs[i], *y = &b->reqs[i];

		if (x->op != y->op || x->nb_values != y->nb_values || strcmp(x->key, y->key) != 0)
			return false;
		for (j = 0; j < x->nb_values; j++) {
			if (strcmp(x->values[j], y->values[j]) != 0)
				return false;
		}
	}
	return true;
}

/* Per namespace-selector term, the index of the first term with an equal selector. */
static int
dedup_ns_selectors(struct cctx *c, const uint32_t *nssel, size_t nb, uint32_t *first)
{
	struct htab ht;
	uint64_t *hash = calloc(nb + 1, sizeof(*hash));
	size_t i;

	if (hash == NULL || htab_init(&ht, nb) != 0) {
		free(hash);
		return -ENOMEM;
	}
	for (i = 0; i < nb; i++) {
		const struct pw_selector *sel =
			&VEC_AT(&c->terms, struct term, nssel[i])->peer->ns_selector;
		size_t s;

		hash[i] = sel_hash(sel);
		first[i] = (uint32_t)i;
		for (s = (size_t)hash[i] & ht.mask; ht.slots[s] != UINT32_MAX;
			s = (s + 1) & ht.mask) {
			uint32_t o = ht.slots[s];

			if (hash[o] == hash[i] &&
				sel_equal(&VEC_AT(&c->terms, struct term, nssel[o])
						   ->peer->ns_selector,
					sel)) {
				first[i] = o;
				break;
			}
		}
		if (first[i] == i)
			ht.slots[s] = (uint32_t)i;
	}
	free(hash);
	free(ht.slots);
	return 0;
}

/*
 * The terms whose namespace half holds in namespace @ns, ascending: terms without a
 * namespace selector of policies of @ns, and terms whose namespace selector matches @ns.
 */
static int
ns_terms(struct cctx *c, const char *ns, const uint32_t *plain, size_t nb_plain,
	const uint32_t *nssel, size_t nb_nssel, const uint32_t *first, bool *ok, struct vec *out)
{
	struct pw_labels scratch;
	struct pw_label scratch_label;
	const struct pw_labels *nsl = pw_model_ns_labels(c->model, ns, &scratch, &scratch_label);
	size_t lo = 0, hi = nb_plain, i;

	out->nb = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(VEC_AT(&c->terms, struct term, plain[mid])->pol->ns, ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < nb_plain; i++) {
		if (strcmp(VEC_AT(&c->terms, struct term, plain[i])->pol->ns, ns) != 0)
			break;
		if (vec_push(out, &plain[i]) != 0)
			return -ENOMEM;
	}
	/* Each distinct namespace selector once (first[i] <= i). */
	for (i = 0; i < nb_nssel; i++) {
		const struct term *tm = VEC_AT(&c->terms, struct term, nssel[i]);

		ok[i] = first[i] == i ? pw_selector_matches(&tm->peer->ns_selector, nsl) :
					ok[first[i]];
		if (ok[i] && vec_push(out, &nssel[i]) != 0)
			return -ENOMEM;
	}
	if (out->nb > 1)
		qsort(out->items, out->nb, sizeof(uint32_t), cmp_u32);
	return 0;
}

/* A pod's term bits: the applicable terms (@nst) whose pod half matches @pod. */
static int
eval_terms(struct cctx *c, const struct vec *nst, const struct pw_pod *pod, struct vec *out)
{
	size_t i;

	for (i = 0; i < nst->nb; i++) {
		uint32_t t = *u32_at(nst, i);
		const struct term *tm = VEC_AT(&c->terms, struct term, t);
		bool m;

		if (tm->peer == NULL)
			m = pw_selector_matches(&tm->pol->pod_selector, &pod->labels);
		else
			m = !tm->peer->has_pod_selector ||
				pw_selector_matches(&tm->peer->pod_selector, &pod->labels);
		if (m && vec_push(out, &t) != 0)
			return -ENOMEM;
	}
	return 0;
}

/* Label groups: endpoint pods of one namespace with equal labels match the same terms. */
struct lgroup {
	const struct pw_pod *rep;
	uint64_t hash;
	size_t off; /* into the term pool */
	uint32_t len;
};

/* The term bits of @pod (offset and length in @pool), evaluated once per label group. */
static int
pod_terms(struct cctx *c, struct htab *ht, struct vec *groups, struct vec *pool,
	const struct vec *nst, const struct pw_pod *pod, size_t *off, uint32_t *len)
{
	uint64_t h = labels_hash(pod->ns, &pod->labels);
	size_t s = (size_t)h & ht->mask;
	struct lgroup g = { pod, h, pool->nb, 0 };
	uint32_t gi;
	int ret;

	for (; ht->slots[s] != UINT32_MAX; s = (s + 1) & ht->mask) {
		const struct lgroup *o = VEC_AT(groups, struct lgroup, ht->slots[s]);

		if (o->hash == h && strcmp(o->rep->ns, pod->ns) == 0 &&
			labels_equal(&o->rep->labels, &pod->labels)) {
			*off = o->off;
			*len = o->len;
			return 0;
		}
	}
	ret = eval_terms(c, nst, pod, pool);
	if (ret != 0)
		return ret;
	g.len = (uint32_t)(pool->nb - g.off);
	gi = (uint32_t)groups->nb;
	if (vec_push(groups, &g) != 0)
		return -ENOMEM;
	ht->slots[s] = gi;
	*off = g.off;
	*len = g.len;
	return 0;
}

/*
 * Dense signatures compare as bit strings, first bit most significant, set > clear. Sparse
 * ones (ascending bit lists) compare alike: at the first difference the list with the smaller
 * bit, or the longer list, has a bit the other lacks, and is the greater.
 */
static int
cmp_sparse(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb)
{
	uint32_t i;

	for (i = 0; i < na && i < nb; i++) {
		if (a[i] != b[i])
			return a[i] < b[i] ? 1 : -1;
	}
	return na == nb ? 0 : na > nb ? 1 : -1;
}

static int
cmp_sigent(const void *a, const void *b, void *arg)
{
	const struct cctx *c = arg;
	const struct sigent *x = VEC_AT(&c->sigents, struct sigent, *(const uint32_t *)a);
	const struct sigent *y = VEC_AT(&c->sigents, struct sigent, *(const uint32_t *)b);

	return cmp_sparse(u32_at(&c->sigpool, x->off), x->len, u32_at(&c->sigpool, y->off), y->len);
}

/* The distinct signature @sig (of endpoint pod @e): its index in c->sigents. */
static int
intern_sig(struct cctx *c, struct htab *ht, const struct vec *sig, uint32_t e, uint32_t *ret)
{
	const uint32_t *bits = sig->items;
	uint32_t len = (uint32_t)sig->nb, i;
	uint64_t h = fnv(FNV_SEED, bits, len * sizeof(*bits));
	size_t s = (size_t)h & ht->mask;
	struct sigent se = { c->sigpool.nb, len, e, 0, 0, h };

	for (; ht->slots[s] != UINT32_MAX; s = (s + 1) & ht->mask) {
		struct sigent *o = VEC_AT(&c->sigents, struct sigent, ht->slots[s]);

		if (o->hash == h && o->len == len &&
			memcmp(u32_at(&c->sigpool, o->off), bits, len * sizeof(*bits)) == 0) {
			o->nb_pods++;
			*ret = ht->slots[s];
			return 0;
		}
	}
	for (i = 0; i < len; i++) {
		if (vec_push(&c->sigpool, &bits[i]) != 0)
			return -ENOMEM;
	}
	se.nb_pods = 1;
	*ret = (uint32_t)c->sigents.nb;
	if (vec_push(&c->sigents, &se) != 0)
		return -ENOMEM;
	ht->slots[s] = *ret;
	return 0;
}

/*
 * The signature of every endpoint pod (see the top of the file) as an ascending list of its
 * set bits, interned: c->ep_sig[e] is the index of pod e's in c->sigents. Selector terms are
 * evaluated once per label group, and only those whose namespace half holds.
 */
static int
compute_signatures(struct cctx *c)
{
	struct vec plain = { .size = sizeof(uint32_t) }, nssel = { .size = sizeof(uint32_t) };
	struct vec nst = { .size = sizeof(uint32_t) }, sig = { .size = sizeof(uint32_t) };
	struct vec groups = { .size = sizeof(struct lgroup) }, pool = { .size = sizeof(uint32_t) };
	struct htab gh = { 0 }, sh = { 0 };
	const char *ns = NULL;
	uint32_t t, e, j, local_bit, *first = NULL;
	bool *ok = NULL;
	int ret = -ENOMEM;

	c->nb_bits = (uint32_t)(c->terms.nb + c->triples.nb + 1);
	local_bit = c->nb_bits - 1;
	c->ep_sig = calloc(c->nb_eps + 1, sizeof(*c->ep_sig));
	if (c->ep_sig == NULL || htab_init(&gh, c->nb_eps) != 0 || htab_init(&sh, c->nb_eps) != 0)
		goto out;
	for (t = 0; t < c->terms.nb; t++) {
		const struct term *tm = VEC_AT(&c->terms, struct term, t);

		if (vec_push(tm->peer != NULL && tm->peer->has_ns_selector ? &nssel : &plain, &t) !=
			0)
			goto out;
	}
	if (plain.nb > 1)
		qsort_r(plain.items, plain.nb, sizeof(uint32_t), cmp_plain_term, c);
	first = calloc(nssel.nb + 1, sizeof(*first));
	ok = calloc(nssel.nb + 1, sizeof(*ok));
	if (first == NULL || ok == NULL || dedup_ns_selectors(c, nssel.items, nssel.nb, first) != 0)
		goto out;
	for (e = 0; e < c->nb_eps; e++) {
		const struct pw_pod *pod = c->pods[c->eps[e]];
		size_t off, s0;
		uint32_t len;

		/* Pods come grouped by namespace. */
		if (ns == NULL || strcmp(ns, pod->ns) != 0) {
			ns = pod->ns;
			ret = ns_terms(c, ns, plain.items, plain.nb, nssel.items, nssel.nb, first,
				ok, &nst);
			if (ret != 0)
				goto out;
		}
		ret = pod_terms(c, &gh, &groups, &pool, &nst, pod, &off, &len);
		if (ret != 0)
			goto out;
		ret = -ENOMEM;
		sig.nb = 0;
		for (j = 0; j < len; j++) {
			if (vec_push(&sig, u32_at(&pool, off + j)) != 0)
				goto out;
		}
		s0 = sig.nb;
		for (j = 0; j < pod->nb_ports && c->named.nb != 0; j++) {
			uint32_t b;

			if (pod->ports[j].name == NULL)
				continue;
			b = triple_bit(c, &pod->ports[j]);
			if (b != NO_BIT && vec_push(&sig, &b) != 0)
				goto out;
		}
		if (sig.nb - s0 > 1) {
			uint32_t *a = (uint32_t *)sig.items;
			size_t i, n = s0;

			qsort(a + s0, sig.nb - s0, sizeof(uint32_t), cmp_u32);
			for (i = s0; i < sig.nb; i++) {
				if (n == s0 || a[n - 1] != a[i])
					a[n++] = a[i];
			}
			sig.nb = n;
		}
		if (pod_is_local(c, pod) && vec_push(&sig, &local_bit) != 0)
			goto out;
		ret = intern_sig(c, &sh, &sig, e, &c->ep_sig[e]);
		if (ret != 0)
			goto out;
	}
	ret = 0;
out:
	free(first);
	free(ok);
	free(plain.items);
	free(nssel.items);
	free(nst.items);
	free(sig.items);
	free(groups.items);
	free(pool.items);
	free(gh.slots);
	free(sh.slots);
	return ret;
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
make_ipmap(struct cctx *c)
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
			ip->id = VEC_AT(&c->sigents, struct sigent, c->ep_sig[e])->id;
		}
	}
	qsort(cp->ips, cp->nb_ips, sizeof(*cp->ips), cmp_ip);
	return 0;
}

/*
 * Per bit, the ascending identities that have it (c->bit_ids[c->bit_start[b]..]); per
 * direction, how many identities up to each id enforce it (c->enf[d][id]).
 */
static int
index_bits(struct cctx *c)
{
	uint32_t n = c->cp->nb_idents, id, b, i;
	size_t total = 0;

	c->bit_start = calloc((size_t)c->nb_bits + 2, sizeof(*c->bit_start));
	c->enf[0] = calloc((size_t)n + 1, sizeof(*c->enf[0]));
	c->enf[1] = calloc((size_t)n + 1, sizeof(*c->enf[1]));
	if (c->bit_start == NULL || c->enf[0] == NULL || c->enf[1] == NULL)
		return -ENOMEM;
	for (id = 1; id <= n; id++) {
		const struct sigent *se = c->ident_sig[id];
		const struct pw_cp_identity *ident = &c->cp->idents[id - 1];

		for (i = 0; i < se->len; i++)
			c->bit_start[*u32_at(&c->sigpool, se->off + i) + 1]++;
		total += se->len;
		c->enf[PW_CP_EGRESS][id] = c->enf[PW_CP_EGRESS][id - 1] + ident->enforce_egress;
		c->enf[PW_CP_INGRESS][id] = c->enf[PW_CP_INGRESS][id - 1] + ident->enforce_ingress;
	}
	for (b = 0; b < c->nb_bits; b++)
		c->bit_start[b + 1] += c->bit_start[b];
	c->bit_ids = malloc((total + 1) * sizeof(*c->bit_ids));
	if (c->bit_ids == NULL)
		return -ENOMEM;
	for (id = 1; id <= n; id++) {
		const struct sigent *se = c->ident_sig[id];

		/* bit_start[b] is the fill cursor of bit b; it ends at the end of b's list. */
		for (i = 0; i < se->len; i++)
			c->bit_ids[c->bit_start[*u32_at(&c->sigpool, se->off + i)]++] = id;
	}
	/* Shift back: the cursors now hold the ends; the starts are one slot lower. */
	for (b = c->nb_bits; b > 0; b--)
		c->bit_start[b] = c->bit_start[b - 1];
	c->bit_start[0] = 0;
	return 0;
}

/* Group endpoint pods by signature into identities; build the IP map. */
static int
make_identities(struct cctx *c)
{
	struct pw_compiled *cp = c->cp;
	uint32_t n = (uint32_t)c->sigents.nb, *order, i, j;
	int ret = -ENOMEM;

	order = calloc(n + 1, sizeof(*order));
	cp->idents = calloc(n + 1, sizeof(*cp->idents));
	c->ident_sig = calloc(n + 2, sizeof(*c->ident_sig));
	if (order == NULL || cp->idents == NULL || c->ident_sig == NULL)
		goto out;
	for (i = 0; i < n; i++)
		order[i] = i;
	/* Distinct signatures never compare equal: the order is total. */
	qsort_r(order, n, sizeof(*order), cmp_sigent, c);
	for (i = 0; i < n; i++) {
		struct sigent *se = VEC_AT(&c->sigents, struct sigent, order[i]);
		const uint32_t *bits = u32_at(&c->sigpool, se->off);
		struct pw_cp_identity *id = &cp->idents[i];

		se->id = i + 1;
		c->ident_sig[i + 1] = se;
		id->id = i + 1;
		id->local = se->len != 0 && bits[se->len - 1] == c->nb_bits - 1;
		id->first_pod = c->eps[se->first_ep];
		id->nb_pods = se->nb_pods;
		/* Isolated in a direction when a policy selecting it isolates it. */
		for (j = 0; j < se->len && id->local && bits[j] < c->terms.nb; j++) {
			const struct term *tm = VEC_AT(&c->terms, struct term, bits[j]);

			if (tm->peer == NULL) {
				id->enforce_egress |= tm->pol->isolates_egress;
				id->enforce_ingress |= tm->pol->isolates_ingress;
			}
		}
	}
	cp->nb_idents = n;
	ret = index_bits(c);
	if (ret == 0)
		ret = make_ipmap(c);
out:
	free(order);
	return ret;
}

/* The ascending identities with bit @b (NO_BIT: every identity). */
static const uint32_t *
bit_list(const struct cctx *c, uint32_t b, uint32_t *nb)
{
	if (b == NO_BIT) {
		*nb = c->cp->nb_idents;
		return NULL;
	}
	*nb = c->bit_start[b + 1] - c->bit_start[b];
	return c->bit_ids + c->bit_start[b];
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
	uint32_t n1, n2, i1 = 0, i2 = 0;
	const uint32_t *l1 = bit_list(c, b1, &n1), *l2 = bit_list(c, b2, &n2);
	bool open = false;
	struct range_key key = { b1, b2, local_only, dc_dir, true };
	struct range_key *last = out == &c->sel_ranges ? &c->sel_key : &c->peer_key;

	/* Rules often ask again for what they just asked (one peer, many ports). */
	if (memcmp(last, &key, sizeof(key)) == 0)
		return 0;
	*last = (struct range_key){ 0 };
	out->nb = 0;
	while (i1 < n1 && i2 < n2) {
		uint32_t a = l1 != NULL ? l1[i1] : i1 + 1, b = l2 != NULL ? l2[i2] : i2 + 1;
		bool join;

		if (a != b) {
			if (a < b)
				i1++;
			else
				i2++;
			continue;
		}
		i1++;
		i2++;
		if (local_only && !c->cp->idents[a - 1].local)
			continue;
		/* Joins the open range unless an identity in between must not be covered. */
		join = open &&
			(dc_dir < 0 ? a == r.hi + 1 :
				      c->enf[dc_dir][a - 1] == c->enf[dc_dir][r.hi]);
		if (!join) {
			if (open && vec_push(out, &r) != 0)
				return -ENOMEM;
			r.lo = a;
			open = true;
		}
		r.hi = a;
	}
	if (open && vec_push(out, &r) != 0)
		return -ENOMEM;
	*last = key;
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
	free(c->sigpool.items);
	free(c->sigents.items);
	free(c->ep_sig);
	free(c->ident_sig);
	free(c->bit_start);
	free(c->bit_ids);
	free(c->enf[0]);
	free(c->enf[1]);
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
		.sigpool.size = sizeof(uint32_t),
		.sigents.size = sizeof(struct sigent),
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
