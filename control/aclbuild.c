/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The ACL builder: compiled rules → rte_acl contexts, identities → rte_hash address maps, and
 * the arrays the workers and explain read. Everything is built into a new snapshot that no
 * worker can see yet; any failure frees what was built and returns -errno with a message.
 */
#include "aclbuild.h"

#include <errno.h>
#include <inttypes.h>
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

static void
set_range32(struct rte_acl_field *f, uint32_t lo, uint32_t hi)
{
	f->value.u32 = lo;
	f->mask_range.u32 = hi;
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

/* The fields every table shares; @f points at the rule's field array, @ix the indexes. */
static void
fill_common(const struct pw_compiled *cp, const struct pw_cp_rule *r,
	struct rte_acl_rule_data *data, struct rte_acl_field *f, unsigned int proto,
	unsigned int src_id, unsigned int dst_id, unsigned int sport, unsigned int dport)
{
	data->category_mask = 1u << r->dir;
	/* The first policy and rule in model order wins, as in pw_ref_evaluate(). */
	data->priority = (int32_t)(cp->nb_metas - r->meta);
	data->userdata = r->meta + 1;
	f[proto].value.u8 = r->proto;
	f[proto].mask_range.u8 = r->proto != 0 ? 0xff : 0;
	set_range32(&f[src_id], r->src_id.lo, r->src_id.hi);
	set_range32(&f[dst_id], r->dst_id.lo, r->dst_id.hi);
	f[sport].value.u16 = 0;
	f[sport].mask_range.u16 = UINT16_MAX;
	f[dport].value.u16 = r->port_lo;
	f[dport].mask_range.u16 = r->port_hi;
}

static int
acl_fail(int ret, const char *what, const char *name, char *err, size_t err_len)
{
	snprintf(err, err_len, "ACL table %s: %s: %s", name, what, strerror(-ret));
	return ret;
}

/* One table: create, add the family's rules, build. @family 4 or 6. */
static int
build_acl(const struct pw_compiled *cp, const struct pw_aclbuild_params *p, uint8_t family,
	struct rte_acl_ctx **ret, char *err, size_t err_len)
{
	const struct rte_acl_field_def defs4[] = PW_ACL4_DEFS, defs6[] = PW_ACL6_DEFS;
	unsigned int nb = family == 4 ? cp->nb_rules4 : cp->nb_rules6, i, n = 0;
	size_t rsz = family == 4 ? sizeof(struct pw_acl4_rule) : sizeof(struct pw_acl6_rule);
	struct rte_acl_config cfg = { .num_categories = PW_ACL_NB_CATEGORIES };
	struct rte_acl_param prm = {
		.socket_id = p->socket_id,
		.rule_size = (uint32_t)RTE_ACL_RULE_SZ(
			family == 4 ? PW_ACL4_NB_FIELDS : PW_ACL6_NB_FIELDS),
		.max_rule_num = nb,
	};
	char name[RTE_ACL_NAMESIZE];
	struct rte_acl_ctx *ctx;
	uint8_t *rules;
	int rc;

	*ret = NULL;
	if (nb == 0)
		return 0; /* an empty table matches nothing: the worker skips a NULL one */
	snprintf(name, sizeof(name), "pw%u_g%" PRIu64, family, p->generation);
	prm.name = name;
	/* rte_acl_create() would hand back a live context of the same name: refuse. */
	if (rte_acl_find_existing(name) != NULL)
		return acl_fail(-EEXIST, "create", name, err, err_len);
	rules = calloc(nb, rsz);
	if (rules == NULL)
		return acl_fail(-ENOMEM, "rules", name, err, err_len);
	for (i = 0; i < cp->nb_rules; i++) {
		const struct pw_cp_rule *r = &cp->rules[i];

		if (r->family != 0 && r->family != family)
			continue;
		if (family == 4) {
			struct pw_acl4_rule *ar = (struct pw_acl4_rule *)(rules + n++ * rsz);

			fill_common(cp, r, &ar->data, ar->field, PW_ACL4_PROTO, PW_ACL4_SRC_ID,
				PW_ACL4_DST_ID, PW_ACL4_SPORT, PW_ACL4_DPORT);
			set_prefix_word(&ar->field[PW_ACL4_SRC_IP], &r->src_net, 0);
			set_prefix_word(&ar->field[PW_ACL4_DST_IP], &r->dst_net, 0);
		} else {
			struct pw_acl6_rule *ar = (struct pw_acl6_rule *)(rules + n++ * rsz);
			unsigned int w;

			fill_common(cp, r, &ar->data, ar->field, PW_ACL6_PROTO, PW_ACL6_SRC_ID,
				PW_ACL6_DST_ID, PW_ACL6_SPORT, PW_ACL6_DPORT);
			for (w = 0; w < 4; w++) {
				set_prefix_word(&ar->field[PW_ACL6_SRC_IP0 + w], &r->src_net, w);
				set_prefix_word(&ar->field[PW_ACL6_DST_IP0 + w], &r->dst_net, w);
			}
		}
	}
	ctx = rte_acl_create(&prm);
	if (ctx == NULL) {
		free(rules);
		return acl_fail(
			rte_errno != 0 ? -rte_errno : -ENOMEM, "create", name, err, err_len);
	}
	rc = rte_acl_add_rules(ctx, (const struct rte_acl_rule *)rules, n);
	free(rules);
	if (rc != 0)
		goto err_free_ctx;
	cfg.num_fields = family == 4 ? PW_ACL4_NB_FIELDS : PW_ACL6_NB_FIELDS;
	memcpy(cfg.defs, family == 4 ? defs4 : defs6,
		cfg.num_fields * sizeof(struct rte_acl_field_def));
	rc = rte_acl_build(ctx, &cfg);
	if (rc != 0)
		goto err_free_ctx;
	*ret = ctx;
	return 0;

err_free_ctx:
	rte_acl_free(ctx);
	return acl_fail(rc, "add rules and build", name, err, err_len);
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

int
pw_aclbuild(const struct pw_compiled *cp, const struct pw_aclbuild_params *params,
	struct pw_snapshot **ret, char *err, size_t err_len)
{
	struct pw_snapshot *s;
	uint64_t mem0, mem1, t0;
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
	t0 = now_ns();
	rc = build_acl(cp, params, 4, &s->acl4, err, err_len);
	if (rc == 0)
		rc = build_acl(cp, params, 6, &s->acl6, err, err_len);
	if (rc != 0)
		goto err_free_snap;
	s->info.acl_build_ns = now_ns() - t0;
	s->info.hash_mem_bytes = mem1 > mem0 ? mem1 - mem0 : 0;
	mem0 = heap_alloc_bytes();
	s->info.acl_mem_bytes = mem0 > mem1 ? mem0 - mem1 : 0;
	s->info.nb_identities = cp->nb_idents;
	s->info.nb_endpoints = cp->nb_endpoints;
	s->info.nb_ips = cp->nb_ips;
	s->info.nb_rules = cp->nb_metas;
	s->info.nb_acl_rules4 = cp->nb_rules4;
	s->info.nb_acl_rules6 = cp->nb_rules6;
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
