/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The naive per-IP compiler and its table (see the header). It walks the grouped view so
 * that selectors are evaluated per group; the rules themselves are per address, as a
 * compiler without identities must write them.
 */
#include "naive_acl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_errno.h>
#include <rte_malloc.h>

#include "control/model/compile.h"
#include "dataplane/classify.h"
#include "podwall/pw_acl_layout.h"

#define BURST 32
#define NV_DENY 1u /* userdata of "isolated, no rule matched"; allow rules use 2.. */

/* The table's fields: the raw IPv4 5-tuple. */
enum {
	NV_PROTO = 0,
	NV_SRC,
	NV_DST,
	NV_SPORT,
	NV_DPORT,
	NV_NB_FIELDS,
};

RTE_ACL_RULE_DEF(nv_rule, NV_NB_FIELDS);

struct nv_key {
	uint8_t proto;
	uint8_t pad[3];
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
} __rte_packed;

struct nv_pass {
	const struct rte_acl_ctx *acl;
	struct nv_key keys[BURST];
	const uint8_t *data[BURST];
	uint32_t res[BURST * PW_ACL_NB_CATEGORIES];
};

unsigned int
nv_pass_run(void *arg, const struct pw_pkt_meta *m, unsigned int n, uint8_t *deny)
{
	struct nv_pass *c = arg;
	unsigned int off, j, denied = 0;

	for (off = 0; off < n; off += BURST) {
		uint32_t nb = RTE_MIN(BURST, n - off);

		for (j = 0; j < nb; j++) {
			const struct pw_pkt_meta *p = &m[off + j];
			struct nv_key *k = &c->keys[j];

			k->proto = p->proto;
			memset(k->pad, 0, sizeof(k->pad));
			k->src = p->src.v4;
			k->dst = p->dst.v4;
			k->sport = rte_cpu_to_be_16(p->sport);
			k->dport = rte_cpu_to_be_16(pw_cls_dport(p));
			c->data[j] = (const uint8_t *)k;
		}
		if (rte_acl_classify(c->acl, c->data, c->res, nb, PW_ACL_NB_CATEGORIES) != 0)
			memset(c->res, 0, sizeof(c->res));
		for (j = 0; j < nb; j++) {
			bool d = c->res[j * PW_ACL_NB_CATEGORIES + PW_ACL_CAT_EGRESS] == NV_DENY ||
				c->res[j * PW_ACL_NB_CATEGORIES + PW_ACL_CAT_INGRESS] == NV_DENY;

			denied += d;
			if (deny != NULL)
				deny[off + j] = d;
		}
	}
	return denied;
}

struct a4 {
	uint32_t addr; /* host order */
	uint8_t len;
};

/* The other end of a rule entry: an address or prefix, and for a named port its number. */
struct peer_addr {
	struct a4 a;
	uint16_t num;
};

struct naive {
	const struct cg_view *v;
	bool emit;
	uint64_t count;
	struct nv_rule *rules;
	size_t nb, cap;
	bool *enf[2]; /* per view pod: enforced egress, ingress */
	struct a4 pfx[256];
	unsigned int nb_pfx;
	struct peer_addr *peers; /* of the entry being compiled */
	size_t nb_peers, cap_peers;
	bool oom; /* a rule or peer could not be stored */
};

static void
nv_add(struct naive *nv, unsigned int cat, int32_t prio, uint32_t ud, uint8_t proto, struct a4 src,
	struct a4 dst, uint16_t lo, uint16_t hi)
{
	struct nv_rule *r;

	nv->count++;
	if (!nv->emit || nv->oom)
		return;
	if (nv->nb == nv->cap) {
		size_t cap = nv->cap != 0 ? 2 * nv->cap : 4096;
		struct nv_rule *p = realloc(nv->rules, cap * sizeof(*nv->rules));

		if (p == NULL) {
			nv->oom = true;
			return;
		}
		nv->rules = p;
		nv->cap = cap;
	}
	r = &nv->rules[nv->nb++];
	memset(r, 0, sizeof(*r));
	r->data.category_mask = 1u << cat;
	r->data.priority = prio;
	r->data.userdata = ud;
	r->field[NV_PROTO].value.u8 = proto;
	r->field[NV_PROTO].mask_range.u8 = proto != 0 ? 0xff : 0;
	r->field[NV_SRC].value.u32 = src.addr;
	r->field[NV_SRC].mask_range.u32 = src.len;
	r->field[NV_DST].value.u32 = dst.addr;
	r->field[NV_DST].mask_range.u32 = dst.len;
	r->field[NV_SPORT].mask_range.u16 = UINT16_MAX;
	r->field[NV_DPORT].value.u16 = lo;
	r->field[NV_DPORT].mask_range.u16 = hi;
}

static bool
a4_covers(struct a4 outer, struct a4 inner)
{
	uint32_t mask = outer.len != 0 ? ~0u << (32 - outer.len) : 0;

	return outer.len <= inner.len && ((outer.addr ^ inner.addr) & mask) == 0;
}

/* @net minus the excepts as disjoint prefixes into nv->pfx (compile.c does the same). */
static void
a4_minus(struct naive *nv, struct a4 net, const struct a4 *ex, unsigned int nb_ex)
{
	struct a4 half = { net.addr, (uint8_t)(net.len + 1) };
	bool cut = false;
	unsigned int i;

	for (i = 0; i < nb_ex; i++) {
		if (a4_covers(ex[i], net))
			return;
		cut |= a4_covers(net, ex[i]);
	}
	if (!cut || net.len >= 32) {
		if (nv->nb_pfx < RTE_DIM(nv->pfx))
			nv->pfx[nv->nb_pfx++] = net;
		return;
	}
	a4_minus(nv, half, ex, nb_ex);
	half.addr |= 1u << (31 - net.len);
	a4_minus(nv, half, ex, nb_ex);
}

static struct a4
cidr_a4(const struct pw_cidr *c)
{
	uint32_t a;

	memcpy(&a, c->addr.b, 4);
	return (struct a4){ rte_be_to_cpu_32(a), c->prefix };
}

static struct a4
pod_a4(const struct naive *nv, unsigned int pod)
{
	uint32_t a = 0;

	(void)cg_pod_ip4(nv->v->pods[pod], &a);
	return (struct a4){ rte_be_to_cpu_32(a), 32 };
}

static uint16_t
pod_named(const struct pw_pod *pod, const struct pw_np_port *pt)
{
	unsigned int i;

	for (i = 0; i < pod->nb_ports; i++) {
		if (pod->ports[i].name != NULL && pod->ports[i].proto == pt->proto &&
			strcmp(pod->ports[i].name, pt->name) == 0)
			return pod->ports[i].port;
	}
	return 0;
}

static void
peer_push(struct naive *nv, struct a4 a, uint16_t num)
{
	if (nv->nb_peers == nv->cap_peers) {
		size_t cap = nv->cap_peers != 0 ? 2 * nv->cap_peers : 1024;
		struct peer_addr *p = realloc(nv->peers, cap * sizeof(*p));

		if (p == NULL) {
			nv->oom = true;
			return;
		}
		nv->peers = p;
		nv->cap_peers = cap;
	}
	nv->peers[nv->nb_peers++] = (struct peer_addr){ a, num };
}

/* The pods of group @g (with the named port @pt's number, when @pt is not NULL). */
static void
push_group(struct naive *nv, const struct cg_group *g, const struct pw_np_port *pt)
{
	unsigned int p;

	for (p = g->first; p < g->first + g->nb; p++) {
		uint16_t num = pt != NULL ? pod_named(nv->v->pods[p], pt) : 0;

		if (pt == NULL || num != 0)
			peer_push(nv, pod_a4(nv, p), num);
	}
}

/*
 * The other end of one peer into nv->peers. @named_dst: an egress named port, which only a
 * pod with that port can be (each with its number).
 */
static void
collect_peers(struct naive *nv, const struct pw_policy *pol, const struct pw_peer *peer,
	const struct pw_np_port *named_dst)
{
	const struct cg_view *v = nv->v;
	unsigned int i, g, p;

	nv->nb_peers = 0;
	nv->nb_pfx = 0;
	if (peer != NULL && peer->kind == PW_PEER_IPBLOCK) {
		struct a4 ex[16];

		if (peer->cidr.family != 4)
			return; /* the naive table is IPv4 only */
		for (i = 0; i < peer->nb_except && i < RTE_DIM(ex); i++)
			ex[i] = cidr_a4(&peer->except[i]);
		a4_minus(nv, cidr_a4(&peer->cidr), ex, i);
		for (i = 0; i < nv->nb_pfx && named_dst == NULL; i++)
			peer_push(nv, nv->pfx[i], 0);
		for (p = 0; p < v->nb_pods && named_dst != NULL; p++) {
			uint16_t num = pod_named(v->pods[p], named_dst);

			for (i = 0; i < nv->nb_pfx && num != 0; i++) {
				if (a4_covers(nv->pfx[i], pod_a4(nv, p))) {
					peer_push(nv, pod_a4(nv, p), num);
					break;
				}
			}
		}
	} else if (peer == NULL) {
		if (named_dst == NULL)
			peer_push(nv, (struct a4){ 0, 0 }, 0);
		for (g = 0; g < v->nb_groups && named_dst != NULL; g++)
			push_group(nv, &v->groups[g], named_dst);
	} else if (peer->kind == PW_PEER_PODS) {
		/* Namespaces first: a selector is evaluated once per namespace, then per group. */
		for (i = 0; i < v->nb_ns; i++) {
			const struct cg_ns *ns = &v->nss[i];

			if (peer->has_ns_selector ?
					!pw_selector_matches(&peer->ns_selector, ns->labels) :
					strcmp(ns->name, pol->ns) != 0)
				continue;
			for (g = ns->first_group; g < ns->first_group + ns->nb_groups; g++) {
				if (cg_peer_matches(v, pol, peer, &v->groups[g]))
					push_group(nv, &v->groups[g], named_dst);
			}
		}
	}
}

/* One peer × one port entry of one rule: count its rules, or emit them. */
static void
nv_entry(struct naive *nv, const struct pw_policy *pol, const struct cg_ns *ns, unsigned int dir,
	int32_t prio, uint32_t ud, const struct pw_peer *peer, const struct pw_np_port *pt)
{
	const struct cg_view *v = nv->v;
	bool named = pt != NULL && pt->kind == PW_NP_PORT_NAMED, eg = dir == PW_CP_EGRESS;
	uint8_t proto = pt != NULL ? pt->proto : 0;
	uint16_t lo = 0, hi = UINT16_MAX;
	unsigned int g, s;
	size_t a;

	if (pt != NULL && pt->kind == PW_NP_PORT_NUMBER) {
		lo = pt->port;
		hi = pt->end_port > pt->port ? pt->end_port : pt->port;
	}
	collect_peers(nv, pol, peer, named && eg ? pt : NULL);
	for (g = ns->first_group; g < ns->first_group + ns->nb_groups; g++) {
		const struct cg_group *sg = &v->groups[g];

		if (sg->nb_local == 0 || !pw_selector_matches(&pol->pod_selector, sg->labels))
			continue;
		for (s = sg->first; s < sg->first + sg->nb; s++) {
			struct a4 self = pod_a4(nv, s);

			if (!v->local[s])
				continue;
			if (named && !eg) {
				/* An ingress named port resolves on the selected pod itself. */
				lo = hi = pod_named(v->pods[s], pt);
				if (lo == 0)
					continue;
			}
			if (!nv->emit) {
				nv->count += nv->nb_peers;
				continue;
			}
			for (a = 0; a < nv->nb_peers; a++) {
				const struct peer_addr *pa = &nv->peers[a];

				nv_add(nv, dir, prio, ud, proto, eg ? self : pa->a,
					eg ? pa->a : self, named && eg ? pa->num : lo,
					named && eg ? pa->num : hi);
			}
		}
	}
}

/* Count (nv->emit false) or emit the naive rules of the whole model. */
static void
nv_compile(struct naive *nv)
{
	const struct cg_view *v = nv->v;
	unsigned int nb_pol = pw_model_nb_policies(v->model), nb_metas = 0, meta = 0;
	unsigned int pi, d, r, k, q, g, s;

	nv->count = 0;
	for (pi = 0; pi < nb_pol; pi++) {
		const struct pw_policy *pol = pw_model_policy_at(v->model, pi);

		nb_metas += (pol->isolates_egress ? pol->nb_egress : 0) +
			(pol->isolates_ingress ? pol->nb_ingress : 0);
	}
	for (pi = 0; pi < nb_pol; pi++) {
		const struct pw_policy *pol = pw_model_policy_at(v->model, pi);
		const struct cg_ns *ns = cg_view_ns(v, pol->ns);

		for (d = 0; d < 2 && ns != NULL; d++) {
			bool iso = d == PW_CP_EGRESS ? pol->isolates_egress : pol->isolates_ingress;
			const struct pw_np_rule *rules =
				d == PW_CP_EGRESS ? pol->egress : pol->ingress;
			unsigned int nb = d == PW_CP_EGRESS ? pol->nb_egress : pol->nb_ingress;

			if (!iso)
				continue;
			for (g = ns->first_group; g < ns->first_group + ns->nb_groups; g++) {
				const struct cg_group *sg = &v->groups[g];

				if (!pw_selector_matches(&pol->pod_selector, sg->labels))
					continue;
				for (s = sg->first; s < sg->first + sg->nb; s++)
					nv->enf[d][s] |= v->local[s];
			}
			for (r = 0; r < nb; r++, meta++) {
				const struct pw_np_rule *rule = &rules[r];
				/* The first policy and rule in model order wins, as in podwall. */
				int32_t prio = (int32_t)(nb_metas - meta + 1);

				for (k = 0; k < (rule->nb_peers != 0 ? rule->nb_peers : 1); k++) {
					for (q = 0; q < (rule->nb_ports != 0 ? rule->nb_ports : 1);
						q++)
						nv_entry(nv, pol, ns, d, prio, meta + 2,
							rule->nb_peers != 0 ? &rule->peers[k] :
									      NULL,
							rule->nb_ports != 0 ? &rule->ports[q] :
									      NULL);
				}
			}
		}
	}
	/* Isolated and no rule matched: the lowest priority, "deny". */
	for (d = 0; d < 2; d++) {
		for (s = 0; s < v->nb_pods; s++) {
			struct a4 any = { 0, 0 }, self = pod_a4(nv, s);

			if (nv->enf[d][s])
				nv_add(nv, d, 1, NV_DENY, 0, d == PW_CP_EGRESS ? self : any,
					d == PW_CP_EGRESS ? any : self, 0, UINT16_MAX);
		}
	}
}

static int
nv_table(struct naive *nv, const char *name, struct rte_acl_ctx **ret)
{
	const struct rte_acl_field_def defs[NV_NB_FIELDS] = {
		PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_BITMASK, 1, NV_PROTO, 0, nv_key, proto),
		PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, NV_SRC, 1, nv_key, src),
		PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_MASK, 4, NV_DST, 2, nv_key, dst),
		PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 2, NV_SPORT, 3, nv_key, sport),
		PW_ACL_FIELD_(RTE_ACL_FIELD_TYPE_RANGE, 2, NV_DPORT, 3, nv_key, dport),
	};
	struct rte_acl_param prm = {
		.name = name,
		.socket_id = SOCKET_ID_ANY,
		.rule_size = RTE_ACL_RULE_SZ(NV_NB_FIELDS),
		.max_rule_num = (uint32_t)nv->nb,
	};
	struct rte_acl_config cfg = {
		.num_categories = PW_ACL_NB_CATEGORIES,
		.num_fields = NV_NB_FIELDS,
	};
	struct rte_acl_ctx *ctx = rte_acl_create(&prm);
	int rc;

	if (ctx == NULL)
		return -rte_errno;
	memcpy(cfg.defs, defs, sizeof(defs));
	rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)nv->rules, (uint32_t)nv->nb);
	if (rc == 0)
		rc = rte_acl_build(ctx, &cfg);
	if (rc != 0) {
		rte_acl_free(ctx);
		return rc;
	}
	*ret = ctx;
	return 0;
}

static int
nv_init(struct naive *nv, const struct cg_view *v, bool emit)
{
	memset(nv, 0, sizeof(*nv));
	nv->v = v;
	nv->emit = emit;
	nv->enf[0] = calloc(v->nb_pods + 1, sizeof(bool));
	nv->enf[1] = calloc(v->nb_pods + 1, sizeof(bool));
	return nv->enf[0] != NULL && nv->enf[1] != NULL ? 0 : -ENOMEM;
}

static void
nv_release(struct naive *nv)
{
	free(nv->rules);
	free(nv->peers);
	free(nv->enf[0]);
	free(nv->enf[1]);
}

int
nv_count(const struct cg_view *v, uint64_t *ret_nb_rules)
{
	struct naive nv;
	int rc = nv_init(&nv, v, false);

	if (rc == 0) {
		nv_compile(&nv);
		*ret_nb_rules = nv.count;
		rc = nv.oom ? -ENOMEM : 0;
	}
	nv_release(&nv);
	return rc;
}

int
nv_build(const struct cg_view *v, const char *name, struct rte_acl_ctx **ret,
	uint64_t *ret_nb_rules, uint64_t *ret_compile_ns)
{
	struct naive nv;
	int rc = nv_init(&nv, v, true);
	struct timespec t0, t1;

	if (rc == 0) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		nv_compile(&nv);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		*ret_compile_ns = (uint64_t)((t1.tv_sec - t0.tv_sec) * 1000000000ll +
			(t1.tv_nsec - t0.tv_nsec));
		*ret_nb_rules = nv.nb;
		rc = nv.oom ? -ENOMEM : nv_table(&nv, name, ret);
	}
	nv_release(&nv);
	return rc;
}

int
nv_pass_create(const struct rte_acl_ctx *acl, struct nv_pass **ret)
{
	struct nv_pass *p = rte_zmalloc("nv_pass", sizeof(*p), RTE_CACHE_LINE_SIZE);

	if (p == NULL)
		return -ENOMEM;
	p->acl = acl;
	*ret = p;
	return 0;
}

void
nv_pass_free(struct nv_pass *p)
{
	rte_free(p);
}
