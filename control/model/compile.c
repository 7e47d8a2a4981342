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
 * How rules expand: see compile_rules.c.
 */
#include "control/model/compile_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

		/* An empty signature (a pod no term selects) has no bits to compare, and no
		 * pointer to pass to memcmp(). */
		if (o->hash == h && o->len == len &&
			(len == 0 ||
				memcmp(u32_at(&c->sigpool, o->off), bits, len * sizeof(*bits)) ==
					0)) {
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
			b = pw_cp_triple_bit(c, &pod->ports[j]);
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
	rc = pw_cp_collect_terms(&c);
	if (rc == 0)
		rc = pw_cp_collect_triples(&c);
	if (rc == 0)
		rc = compute_signatures(&c);
	if (rc == 0)
		rc = make_identities(&c);
	if (rc == 0)
		rc = pw_cp_compile_rules(&c);
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
