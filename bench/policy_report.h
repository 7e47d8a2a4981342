/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The policy benchmark's results and their report: a table per case on stdout, and the same
 * figures as JSON or CSV (one object or row per case).
 */
#ifndef PW_POLICY_REPORT_H
#define PW_POLICY_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster_gen.h"
#include "podwall/pw_snapshot.h"

/* One scale × locality case. */
struct result {
	unsigned int pods, policies;
	const char *node; /* NULL: every pod local */
	struct cg_stats gen;
	double gen_ms;
	struct pw_snapshot_info info; /* of the last build: counts and sizes are the same in each */
	double compile_ms, acl_ms, total_ms, total_min, total_max;
	double build_rss_mb, maxrss_mb;
	double compile_rss_mb, aclbuild_rss_mb; /* the phases alone (one more build) */
	unsigned int nb_terms, nb_named;	/* signature bits: selector terms, named ports */
	struct cg_mix mix;
	unsigned int denied, ref_checked, ref_mismatch;
	bool stable;
	double mpps, mpps_min, mpps_max, cpp;
	double on_cpu; /* the lowest share of wall time on the CPU over the timed runs */
	double acl_cpp, acl_share; /* rte_acl_classify() alone; share of packets classified */
	uint64_t nv_rules;
	bool nv_built;
	char nv_note[64];
	double nv_count_ms, nv_compile_ms, nv_build_ms, nv_mb, nv_mpps, nv_min, nv_max, nv_cpp;
	unsigned int nv_mismatch;
};

/** Print the table of @p res[0..nb-1]; ratios against the first scale of the same case. */
void pr_print_table(const struct result *res, unsigned int nb);

/**
 * Write @p res[0..nb-1] to @p path as JSON (@p json) or CSV. @p packets: of the mix.
 * @return 0 or -errno.
 */
int pr_write_file(const char *path, const struct result *res, unsigned int nb, unsigned int packets,
	bool json);

#endif /* PW_POLICY_REPORT_H */
