/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy compiler, second half: the terms and named ports the rules reference, and the
 * ACL rules they expand to over the identities compile.c assigns (see there for why).
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
#include "control/model/compile_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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
int
pw_cp_collect_terms(struct cctx *c)
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
int
pw_cp_collect_triples(struct cctx *c)
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
uint32_t
pw_cp_triple_bit(const struct cctx *c, const struct pw_container_port *cpt)
{
	struct triple key = { 0, cpt->port };
	const struct triple *hit, *base = c->triples.items;

	if (c->triples.nb == 0)
		return NO_BIT;
	key.named = (uint32_t)named_index(c, cpt->name, cpt->proto);
	hit = bsearch(&key, base, c->triples.nb, sizeof(key), cmp_triple);
	return hit != NULL ? (uint32_t)(c->terms.nb + (size_t)(hit - base)) : NO_BIT;
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

/* Rules of every policy, walking the terms in the order pw_cp_collect_terms() made them. */
int
pw_cp_compile_rules(struct cctx *c)
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
