/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy benchmark's report (policy_report.h).
 */
#include "policy_report.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include <rte_common.h>

static const char *
case_name(const struct result *r)
{
	return r->node != NULL ? "node" : "all-local";
}

/* The 1k-pod result of the same case, for the classify ratio, or NULL. */
static const struct result *
base_of(const struct result *res, unsigned int nb, const struct result *r)
{
	unsigned int i;

	for (i = 0; i < nb; i++) {
		if (res[i].pods == res[0].pods && (res[i].node == NULL) == (r->node == NULL))
			return &res[i];
	}
	return NULL;
}

void
pr_print_table(const struct result *res, unsigned int nb)
{
	unsigned int i;

	for (i = 0; i < nb; i++) {
		const struct result *r = &res[i], *base = base_of(res, nb, r);
		const struct pw_snapshot_info *in = &r->info;
		double mem = (double)(in->acl_mem_bytes + in->hash_mem_bytes) / (1 << 20);
		bool big = r->pods >= 100000;

		printf("\n== %u pods / %u policies, %s (%u local pods, %u namespaces, %u "
		       "deployments)\n",
			r->pods, r->policies, case_name(r),
			r->node != NULL ? r->gen.nb_local_pods : r->gen.nb_pods,
			r->gen.nb_namespaces, r->gen.nb_deployments);
		printf("  policies: %u default-deny, %u egress, %u ipBlock, %u endPort, %u named "
		       "port, "
		       "%u namespaceSelector, %u matchExpressions\n",
			r->gen.nb_default_deny, r->gen.nb_egress, r->gen.nb_ipblock,
			r->gen.nb_port_range, r->gen.nb_named_port, r->gen.nb_ns_selector,
			r->gen.nb_match_expr);
		printf("  %-28s %14s %14s %10s\n", "", "podwall", "naive per-IP", "ratio");
		printf("  %-28s %14u %14s\n", "identities", in->nb_identities, "-");
		printf("  %-28s %14u %14s\n", "policy rules", in->nb_rules, "-");
		printf("  %-28s %14u %14s\n", "selector terms", r->nb_terms, "-");
		printf("  %-28s %7u+%-6u %14" PRIu64 " %9.1fx\n", "ACL rules (v4+v6 | v4)",
			in->nb_acl_rules4, in->nb_acl_rules6, r->nv_rules,
			(double)r->nv_rules / RTE_MAX(1.0, (double)in->nb_acl_rules4));
		printf("  %-28s %14.1f %14.1f\n", "compile ms (median)", r->compile_ms,
			r->nv_built ? r->nv_compile_ms : 0.0);
		printf("  %-28s %14.1f %14.1f\n", "ACL build ms", r->acl_ms,
			r->nv_built ? r->nv_build_ms : 0.0);
		printf("  %-28s %14.1f   [%.1f..%.1f]\n", "total build ms", r->total_ms,
			r->total_min, r->total_max);
		printf("  %-28s %14.1f %14.1f\n", "ACL memory MB",
			(double)in->acl_mem_bytes / (1 << 20), r->nv_built ? r->nv_mb : 0.0);
		printf("  %-28s %14.1f\n", "address maps MB",
			(double)in->hash_mem_bytes / (1 << 20));
		printf("  %-28s %14.1f   (process peak %.0f MB)\n", "build peak RSS growth MB",
			r->build_rss_mb, r->maxrss_mb);
		printf("  %-28s %8.0f + %-6.0f\n", "  of which compile + ACL", r->compile_rss_mb,
			r->aclbuild_rss_mb);
		printf("  %-28s %14.2f %14.2f %9.2fx\n", "classify Mpps/core (median)", r->mpps,
			r->nv_built ? r->nv_mpps : 0.0, r->nv_built ? r->mpps / r->nv_mpps : 0.0);
		printf("  %-28s   [%.2f..%.2f]   [%.2f..%.2f]\n", "  min..max", r->mpps_min,
			r->mpps_max, r->nv_min, r->nv_max);
		printf("  %-28s %14.1f %14.1f   (on-CPU >= %.0f%% of wall time)\n", "cycles/packet",
			r->cpp, r->nv_built ? r->nv_cpp : 0.0, 100 * r->on_cpu);
		printf("  %-28s %14.1f   (%.0f%% of packets reach rte_acl)\n",
			"  of which rte_acl_classify", r->acl_cpp, 100 * r->acl_share);
		if (!r->nv_built)
			printf("  naive: %s (counted in %.0f ms)\n", r->nv_note, r->nv_count_ms);
		printf("  mix: %u by policy, %u random, %u external, %u dns; denied %u (%.0f%%); "
		       "stable %s; reference %u/%u agree; naive disagrees on %u\n",
			r->mix.by_policy, r->mix.random, r->mix.external, r->mix.dns, r->denied,
			100.0 * r->denied /
				RTE_MAX(1u,
					r->mix.by_policy + r->mix.random + r->mix.external +
						r->mix.dns),
			r->stable ? "yes" : "NO", r->ref_checked - r->ref_mismatch, r->ref_checked,
			r->nv_mismatch);
		if (base != NULL && base != r)
			printf("  classify vs %u pods: %.2fx (target >= 0.8: %s)\n", base->pods,
				r->mpps / base->mpps,
				r->mpps >= 0.8 * base->mpps ? "met" : "MISSED");
		if (big)
			printf("  targets: build %.0f ms <= 1000: %s; snapshot %.0f MB, build peak "
			       "%.0f MB <= 256: %s\n",
				r->total_ms, r->total_ms <= 1000 ? "met" : "MISSED", mem,
				r->build_rss_mb,
				mem <= 256 && r->build_rss_mb <= 256 ? "met" : "MISSED");
	}
}

/* The machine-readable columns of one result: name, value, decimals. */
struct col {
	const char *name;
	double v;
	int prec;
};

static unsigned int
columns(const struct result *r, unsigned int packets, struct col *c)
{
	const struct pw_snapshot_info *in = &r->info;
	unsigned int n = 0;

#define COL(nm, val, p) (c[n++] = (struct col){ (nm), (double)(val), (p) })
	COL("pods", r->pods, 0);
	COL("policies", r->policies, 0);
	COL("identities", in->nb_identities, 0);
	COL("policy_rules", in->nb_rules, 0);
	COL("selector_terms", r->nb_terms, 0);
	COL("named_ports", r->nb_named, 0);
	COL("acl_rules4", in->nb_acl_rules4, 0);
	COL("acl_rules6", in->nb_acl_rules6, 0);
	COL("compile_ms", r->compile_ms, 2);
	COL("acl_build_ms", r->acl_ms, 2);
	COL("total_ms", r->total_ms, 2);
	COL("total_min_ms", r->total_min, 2);
	COL("total_max_ms", r->total_max, 2);
	COL("acl_mb", (double)in->acl_mem_bytes / (1 << 20), 2);
	COL("hash_mb", (double)in->hash_mem_bytes / (1 << 20), 2);
	COL("build_rss_mb", r->build_rss_mb, 1);
	COL("compile_rss_mb", r->compile_rss_mb, 1);
	COL("aclbuild_rss_mb", r->aclbuild_rss_mb, 1);
	COL("mpps", r->mpps, 3);
	COL("mpps_min", r->mpps_min, 3);
	COL("mpps_max", r->mpps_max, 3);
	COL("cycles_per_pkt", r->cpp, 1);
	COL("on_cpu_min", r->on_cpu, 3);
	COL("acl_cycles_per_pkt", r->acl_cpp, 1);
	COL("acl_classified_share", r->acl_share, 3);
	COL("packets", packets, 0);
	COL("denied", r->denied, 0);
	COL("ref_checked", r->ref_checked, 0);
	COL("ref_mismatch", r->ref_mismatch, 0);
	COL("naive_rules", r->nv_rules, 0);
	COL("naive_built", r->nv_built, 0);
	COL("naive_compile_ms", r->nv_compile_ms, 1);
	COL("naive_build_ms", r->nv_build_ms, 1);
	COL("naive_mb", r->nv_mb, 2);
	COL("naive_mpps", r->nv_mpps, 3);
	COL("naive_mpps_min", r->nv_min, 3);
	COL("naive_mpps_max", r->nv_max, 3);
	COL("naive_cycles_per_pkt", r->nv_cpp, 1);
	COL("naive_mismatch", r->nv_mismatch, 0);
#undef COL
	return n;
}

int
pr_write_file(const char *path, const struct result *res, unsigned int nb, unsigned int packets,
	bool json)
{
	FILE *f = fopen(path, "w");
	struct col c[40];
	unsigned int i, j, nc;

	if (f == NULL)
		return -errno;
	fprintf(f, json ? "[\n" : "case");
	for (i = 0; i < nb; i++) {
		nc = columns(&res[i], packets, c);
		if (!json && i == 0) {
			for (j = 0; j < nc; j++)
				fprintf(f, ",%s", c[j].name);
			fprintf(f, "\n");
		}
		fprintf(f, json ? "  {\"case\": \"%s\"" : "%s", case_name(&res[i]));
		for (j = 0; j < nc; j++)
			fprintf(f, json ? ", \"%s\": %.*f" : "%.0s,%.*f", c[j].name, c[j].prec,
				c[j].v);
		fprintf(f, json ? "}%s\n" : "\n", i + 1 < nb ? "," : "");
	}
	if (json)
		fprintf(f, "]\n");
	return fclose(f) == 0 ? 0 : -errno;
}
