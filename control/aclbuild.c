/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ACL builder: compiled rules → rte_acl contexts, identities → rte_hash address maps, and
 * the arrays the workers and explain read. Everything is built into a new snapshot that no
 * worker can see yet; any failure frees what was built and returns -errno with a message.
 */
#include "aclbuild.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "control/model/compile.h"
#include "ctl.h"
#include "dataplane/pw_dp.h"
#include "podwall/pw_acl_layout.h"
#include "podwall/pw_explain.h"

/* Hit counter rows are whole cache lines: 8 counters each. */
#define HITS_PER_LINE (RTE_CACHE_LINE_SIZE / sizeof(uint64_t))

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Bytes allocated on every socket's DPDK heap: the difference around a build is its cost. */
static uint64_t
heap_alloc_bytes(void)
{
	struct rte_malloc_socket_stats st;
	unsigned int i, n = rte_socket_count();
	uint64_t sum = 0;

	for (i = 0; i < n; i++) {
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			sum += st.heap_allocsz_bytes;
	}
	return sum;
}

/* A RANGE field of identities; a 16-bit table reads "any" (up to UINT32_MAX) as 0..65535. */
static void
set_id_range(struct rte_acl_field *f, const struct pw_cp_range *r, enum pw_acl_ids ids)
{
	if (ids == PW_ACL_IDS_16) {
		f->value.u16 = (uint16_t)RTE_MIN(r->lo, (uint32_t)PW_ACL_IDS_16_MAX);
		f->mask_range.u16 = (uint16_t)RTE_MIN(r->hi, (uint32_t)PW_ACL_IDS_16_MAX);
	} else {
		f->value.u32 = r->lo;
		f->mask_range.u32 = r->hi;
	}
}

/* One 32-bit word (@word 0 = most significant) of a prefix, as a MASK field. */
static void
set_prefix_word(struct rte_acl_field *f, const struct pw_cidr *net, unsigned int word)
{
	int bits = (int)net->prefix - 32 * (int)word;
	uint32_t w;

	if (bits <= 0) {
		f->value.u32 = 0;
		f->mask_range.u32 = 0;
		return;
	}
	memcpy(&w, &net->addr.b[4 * word], 4);
	f->value.u32 = rte_be_to_cpu_32(w);
	f->mask_range.u32 = (uint32_t)RTE_MIN(bits, 32);
}

/*
 * One rule of a direction's table (pw_acl_layout.h): owner = the side the policy selects,
 * peer = the other side's identity and address. @nb_words: address words of the family.
 */
static void
fill_rule(const struct pw_cp_rule *r, enum pw_acl_ids ids, unsigned int nb_words,
	struct rte_acl_rule_data *data, struct rte_acl_field *f)
{
	bool eg = r->dir == PW_CP_EGRESS;
	unsigned int w;

	data->category_mask = 1u;
	/* The first policy and rule in model order wins, as in pw_ref_evaluate(). The value
	 * does not depend on how many rules there are, so that unchanged rules compare equal
	 * from one build to the next. */
	data->priority = (int32_t)(RTE_ACL_MAX_PRIORITY - r->meta);
	data->userdata = r->meta + 1;
	f[PW_ACLF_PROTO].value.u8 = r->proto;
	f[PW_ACLF_PROTO].mask_range.u8 = r->proto != 0 ? 0xff : 0;
	set_id_range(&f[PW_ACLF_OWNER], eg ? &r->src_id : &r->dst_id, ids);
	set_id_range(&f[PW_ACLF_PEER], eg ? &r->dst_id : &r->src_id, ids);
	f[PW_ACLF_SPORT].value.u16 = 0;
	f[PW_ACLF_SPORT].mask_range.u16 = UINT16_MAX;
	f[PW_ACLF_DPORT].value.u16 = r->port_lo;
	f[PW_ACLF_DPORT].mask_range.u16 = r->port_hi;
	for (w = 0; w < nb_words; w++)
		set_prefix_word(&f[PW_ACLF_NET0 + w], eg ? &r->dst_net : &r->src_net, w);
}

static int
acl_fail(int ret, const char *what, const char *name, char *err, size_t err_len)
{
	snprintf(err, err_len, "ACL table %s: %s: %s", name, what, strerror(-ret));
	return ret;
}

/* A 64-bit digest of @len bytes (a multiple of 4): FNV-1a over 32-bit words. */
static uint64_t
rules_digest(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		uint32_t w;

		memcpy(&w, b + i, 4);
		h = (h ^ w) * 0x100000001b3ull;
	}
	return h ^ len;
}

/* Whether live table @t was built from exactly the rules @t_new would be. */
static bool
same_table(const struct pw_acl_table *t, const struct pw_acl_table *t_new)
{
	return t != NULL && t->ctx != NULL && t->family == t_new->family && t->dir == t_new->dir &&
		t->ids == t_new->ids && t->nb_rules == t_new->nb_rules &&
		t->rule_size == t_new->rule_size && t->digest == t_new->digest &&
		memcmp(t->rules, t_new->rules, (size_t)t->nb_rules * t->rule_size) == 0;
}

/* The rules of the table of @family and @dir, as rte_acl_add_rules() takes them. */
static int
table_rules(const struct pw_compiled *cp, struct pw_acl_table *t, char *err, size_t err_len)
{
	unsigned int i, n = 0, nb_words = t->family == 4 ? 1 : 4;
	uint8_t *rules;

	for (i = 0; i < cp->nb_rules; i++) {
		const struct pw_cp_rule *r = &cp->rules[i];

		n += (r->family == 0 || r->family == t->family) && r->dir == t->dir;
	}
	t->nb_rules = n;
	t->rule_size = (uint32_t)(t->family == 4 ? sizeof(struct pw_acl4_rule) :
						   sizeof(struct pw_acl6_rule));
	if (n == 0)
		return 0;
	rules = calloc(n, t->rule_size);
	if (rules == NULL) {
		snprintf(err, err_len, "ACL rules: out of memory");
		return -ENOMEM;
	}
	for (i = 0, n = 0; i < cp->nb_rules; i++) {
		const struct pw_cp_rule *r = &cp->rules[i];
		struct rte_acl_rule *ar = (struct rte_acl_rule *)(rules + (size_t)n * t->rule_size);
		const struct pw_cidr *own = r->dir == PW_CP_EGRESS ? &r->src_net : &r->dst_net;

		if ((r->family != 0 && r->family != t->family) || r->dir != t->dir)
			continue;
		/* The compiler puts addresses on the peer's side only (compile_rules.c). */
		if (own->prefix != 0) {
			free(rules);
			snprintf(err, err_len,
				"ACL rule of policy rule %u: address on the side "
				"the policy selects",
				r->meta);
			return -EINVAL;
		}
		fill_rule(r, (enum pw_acl_ids)t->ids, nb_words, &ar->data, ar->field);
		n++;
	}
	t->rules = rules;
	t->digest = rules_digest(rules, (size_t)n * t->rule_size);
	return 0;
}

/* Create and build the context of @t (its rules filled). */
static int
build_ctx(const struct pw_aclbuild_params *p, struct pw_acl_table *t, char *err, size_t err_len)
{
	struct rte_acl_config cfg = { .num_categories = PW_ACL_TABLE_CATEGORIES };
	struct rte_acl_param prm = {
		.socket_id = p->socket_id,
		.rule_size = t->rule_size,
		.max_rule_num = t->nb_rules,
	};
	char name[RTE_ACL_NAMESIZE];
	uint64_t mem0, mem1, t0 = now_ns();
	int rc;

	snprintf(name, sizeof(name), "pw%u%s_g%" PRIu64, t->family,
		t->dir == PW_ACL_CAT_EGRESS ? "eg" : "in", p->generation);
	prm.name = name;
	/* rte_acl_create() would hand back a live context of the same name: refuse. */
	if (rte_acl_find_existing(name) != NULL)
		return acl_fail(-EEXIST, "create", name, err, err_len);
	mem0 = heap_alloc_bytes();
	t->ctx = rte_acl_create(&prm);
	if (t->ctx == NULL)
		return acl_fail(
			rte_errno != 0 ? -rte_errno : -ENOMEM, "create", name, err, err_len);
	rc = rte_acl_add_rules(t->ctx, (const struct rte_acl_rule *)t->rules, t->nb_rules);
	cfg.num_fields =
		pw_acl_defs(t->family, (enum pw_acl_cat)t->dir, (enum pw_acl_ids)t->ids, cfg.defs);
	if (rc == 0)
		rc = rte_acl_build(t->ctx, &cfg);
	if (rc != 0)
		return acl_fail(rc, "add rules and build", name, err, err_len);
	mem1 = heap_alloc_bytes();
	t->mem_bytes = mem1 > mem0 ? mem1 - mem0 : 0;
	t->generation = p->generation;
	t->build_ns = now_ns() - t0;
	return 0;
}

/*
 * The table of @family and @dir: the previous snapshot's when its rules are the same, else a
 * new one. *ret NULL when the table has no rule (the worker skips a NULL context).
 */
static int
build_table(const struct pw_compiled *cp, const struct pw_aclbuild_params *p, uint8_t family,
	enum pw_acl_cat dir, enum pw_acl_ids ids, struct pw_acl_table **ret, bool *reused,
	char *err, size_t err_len)
{
	struct pw_acl_table *old =
		p->prev != NULL ? p->prev->tables[PW_SNAP_TABLE(family == 6, dir)] : NULL;
	struct pw_acl_table *t;
	int rc;

	*ret = NULL;
	*reused = false;
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		snprintf(err, err_len, "ACL table: out of memory");
		return -ENOMEM;
	}
	t->refs = 1;
	t->family = family;
	t->dir = (uint8_t)dir;
	t->ids = (uint8_t)ids;
	rc = table_rules(cp, t, err, err_len);
	if (rc == 0 && t->nb_rules != 0 && same_table(old, t)) {
		pw_acl_table_put(t);
		*ret = pw_acl_table_get(old);
		*reused = true;
		return 0;
	}
	if (rc == 0 && t->nb_rules != 0)
		rc = build_ctx(p, t, err, err_len);
	if (rc != 0 || t->nb_rules == 0) {
		pw_acl_table_put(t);
		return rc;
	}
	*ret = t;
	return 0;
}

/* The address map of one family. */
static int
build_hash(const struct pw_compiled *cp, const struct pw_aclbuild_params *p, uint8_t family,
	struct rte_hash **ret, char *err, size_t err_len)
{
	char name[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters hp = {
		.name = name,
		.key_len = family == 4 ? 4 : 16,
		.socket_id = p->socket_id,
	};
	unsigned int i, nb = 0;
	struct rte_hash *h;
	int rc;

	*ret = NULL;
	for (i = 0; i < cp->nb_ips; i++)
		nb += cp->ips[i].ip.family == family;
	if (nb == 0)
		return 0; /* the worker treats a NULL map as "no pod" */
	/* Short names: rte_hash also names a ring "HT_<name>" within RTE_RING_NAMESIZE. */
	snprintf(name, sizeof(name), "pwh%u_%" PRIu64, family, p->generation);
	/* Twice the keys keeps cuckoo insertion from failing at high load. */
	hp.entries = RTE_MAX(2 * nb, 64u);
	if (rte_hash_find_existing(name) != NULL) {
		snprintf(err, err_len, "address map %s: exists (generation in use)", name);
		return -EEXIST;
	}
	h = rte_hash_create(&hp);
	if (h == NULL) {
		rc = rte_errno != 0 ? -rte_errno : -ENOMEM;
		snprintf(err, err_len, "address map %s: create: %s", name, strerror(-rc));
		return rc;
	}
	for (i = 0; i < cp->nb_ips; i++) {
		const struct pw_cp_ip *ip = &cp->ips[i];

		if (ip->ip.family != family)
			continue;
		rc = rte_hash_add_key_data(h, ip->ip.addr.b, (void *)(uintptr_t)ip->id);
		if (rc != 0) {
			rte_hash_free(h);
			snprintf(err, err_len, "address map %s: add: %s", name, strerror(-rc));
			return rc;
		}
	}
	*ret = h;
	return 0;
}

/* Identity flags, rule metadata (one string pool) and hit counters. */
static int
build_arrays(
	const struct pw_compiled *cp, const struct pw_aclbuild_params *p, struct pw_snapshot *s)
{
	size_t pool = 0, off = 0, row;
	unsigned int i;

	s->nb_identities = cp->nb_idents;
	s->ident_flags = calloc(cp->nb_idents + 1, 1);
	if (s->ident_flags == NULL)
		return -ENOMEM;
	for (i = 0; i < cp->nb_idents; i++) {
		const struct pw_cp_identity *id = &cp->idents[i];

		s->ident_flags[id->id] = (uint8_t)((id->local ? PW_IDENT_F_LOCAL : 0) |
			(id->enforce_egress ? PW_IDENT_F_ENFORCE_EGRESS : 0) |
			(id->enforce_ingress ? PW_IDENT_F_ENFORCE_INGRESS : 0));
	}
	s->nb_rules = cp->nb_metas;
	s->rules = calloc(cp->nb_metas + 1, sizeof(*s->rules));
	for (i = 0; i < cp->nb_metas; i++)
		pool += strlen(cp->metas[i].ns) + strlen(cp->metas[i].name) + 2;
	s->strings = malloc(pool + 1);
	if (s->rules == NULL || s->strings == NULL)
		return -ENOMEM;
	for (i = 0; i < cp->nb_metas; i++) {
		const struct pw_cp_meta *m = &cp->metas[i];
		struct pw_rule_meta *rm = &s->rules[i + 1];
		size_t ln = strlen(m->ns) + 1, lm = strlen(m->name) + 1;

		memcpy(s->strings + off, m->ns, ln);
		rm->ns = s->strings + off;
		off += ln;
		memcpy(s->strings + off, m->name, lm);
		rm->name = s->strings + off;
		off += lm;
		rm->policy = m->policy;
		rm->rule = (uint16_t)m->rule;
		rm->dir = (uint8_t)m->dir;
	}
	s->nb_workers = p->nb_workers;
	s->hits_stride = (uint32_t)RTE_ALIGN(cp->nb_metas + 1, HITS_PER_LINE);
	if (p->nb_workers == 0)
		return 0;
	row = (size_t)s->hits_stride * sizeof(uint64_t);
	s->hits = aligned_alloc(RTE_CACHE_LINE_SIZE, row * p->nb_workers);
	if (s->hits == NULL)
		return -ENOMEM;
	memset(s->hits, 0, row * p->nb_workers);
	return 0;
}

/*
 * The four tables (two families, two directions), reusing the previous snapshot's where their
 * rules did not change. A family without endpoint addresses gets no table: its packets map
 * to identity 0 on both sides, which enforces nothing, so a table would never be read (an
 * IPv4-only cluster builds no IPv6 table).
 */
static int
build_tables(const struct pw_compiled *cp, const struct pw_aclbuild_params *p,
	struct pw_snapshot *s, char *err, size_t err_len)
{
	enum pw_acl_ids ids = cp->nb_idents <= PW_ACL_IDS_16_MAX && p->ids != PW_ACL_IDS_32 ?
		PW_ACL_IDS_16 :
		PW_ACL_IDS_32;
	struct rte_acl_ctx **ctx[PW_SNAP_NB_TABLES] = {
		[PW_SNAP_TABLE(0, PW_ACL_CAT_EGRESS)] = &s->acl4,
		[PW_SNAP_TABLE(0, PW_ACL_CAT_INGRESS)] = &s->acl4_in,
		[PW_SNAP_TABLE(1, PW_ACL_CAT_EGRESS)] = &s->acl6,
		[PW_SNAP_TABLE(1, PW_ACL_CAT_INGRESS)] = &s->acl6_in,
	};
	unsigned int v6, dir, i, nb_ips[2] = { 0, 0 };
	int rc;

	for (i = 0; i < cp->nb_ips; i++)
		nb_ips[cp->ips[i].ip.family == 6]++;
	s->info.acl_ids = (uint8_t)ids;
	s->info.nb_acl_rules4 = nb_ips[0] != 0 ? cp->nb_rules4 : 0;
	s->info.nb_acl_rules6 = nb_ips[1] != 0 ? cp->nb_rules6 : 0;
	for (v6 = 0; v6 < 2; v6++) {
		for (dir = 0; dir < PW_ACL_NB_DIRS && nb_ips[v6] != 0; dir++) {
			unsigned int k = PW_SNAP_TABLE(v6, dir);
			struct pw_acl_table *t;
			bool reused;

			rc = build_table(cp, p, v6 ? 6 : 4, (enum pw_acl_cat)dir, ids,
				&s->tables[k], &reused, err, err_len);
			if (rc != 0)
				return rc;
			t = s->tables[k];
			if (t == NULL)
				continue;
			*ctx[k] = t->ctx;
			s->info.nb_acl_tables++;
			s->info.acl_mem_bytes += t->mem_bytes;
			if (reused)
				s->info.nb_acl_reused++;
			else
				s->info.acl_build_ns += t->build_ns;
		}
	}
	return 0;
}

int
pw_aclbuild(const struct pw_compiled *cp, const struct pw_aclbuild_params *params,
	struct pw_snapshot **ret, char *err, size_t err_len)
{
	struct pw_snapshot *s;
	uint64_t mem0, mem1;
	int rc;

	if (cp->nb_metas >= (uint32_t)RTE_ACL_MAX_PRIORITY) {
		snprintf(err, err_len, "too many policy rules (%u)", cp->nb_metas);
		return -E2BIG;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, err_len, "snapshot: out of memory");
		return -ENOMEM;
	}
	s->generation = params->generation;
	s->default_verdict = PW_VERDICT_ALLOW;
	s->compiled = true;
	rc = build_arrays(cp, params, s);
	if (rc != 0) {
		snprintf(err, err_len, "snapshot arrays: out of memory");
		goto err_free_snap;
	}
	mem0 = heap_alloc_bytes();
	rc = build_hash(cp, params, 4, &s->ip4, err, err_len);
	if (rc == 0)
		rc = build_hash(cp, params, 6, &s->ip6, err, err_len);
	if (rc != 0)
		goto err_free_snap;
	mem1 = heap_alloc_bytes();
	s->info.hash_mem_bytes = mem1 > mem0 ? mem1 - mem0 : 0;
	rc = build_tables(cp, params, s, err, err_len);
	if (rc != 0)
		goto err_free_snap;
	s->info.nb_identities = cp->nb_idents;
	s->info.nb_endpoints = cp->nb_endpoints;
	s->info.nb_ips = cp->nb_ips;
	s->info.nb_rules = cp->nb_metas;
	s->info.compile_ns = cp->compile_ns;
	s->built_tsc = rte_rdtsc();
	*ret = s;
	return 0;

err_free_snap:
	pw_snapshot_free(s);
	return rc;
}

int
pw_snapshot_build(const struct pw_model *model, const char *node,
	const struct pw_aclbuild_params *params, struct pw_snapshot **ret, char *err,
	size_t err_len)
{
	uint64_t t0 = now_ns();
	struct pw_compiled *cp;
	int rc;

	rc = pw_compile(model, node, &cp, err, err_len);
	if (rc != 0)
		return rc;
	rc = pw_aclbuild(cp, params, ret, err, err_len);
	pw_compiled_free(cp);
	if (rc == 0)
		(*ret)->info.build_ns = now_ns() - t0;
	return rc;
}

int
pw_ctl_publish_model(struct pw_ctl *ctl, const struct pw_model *model, const char *node, char *err,
	size_t err_len)
{
	struct pw_aclbuild_params p = {
		.generation = ctl->generation + 1,
		.nb_workers = pw_dp_nb_workers(ctl->dp),
		.socket_id = SOCKET_ID_ANY,
		.prev = pw_dp_live(ctl->dp),
	};
	struct pw_snapshot *snap;
	int rc;

	rc = pw_snapshot_build(model, node, &p, &snap, err, err_len);
	if (rc != 0)
		return rc;
	rc = pw_dp_publish(ctl->dp, snap);
	if (rc != 0) {
		snprintf(err, err_len, "publish: %s", strerror(-rc));
		return rc;
	}
	ctl->generation = p.generation;
	ctl->sync_state = PW_SYNC_SYNCED;
	clock_gettime(CLOCK_MONOTONIC, &ctl->last_sync);
	return 0;
}
