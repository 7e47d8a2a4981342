/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-policy-bench: the policy engine at cluster scale (bench/README.md).
 *
 * For each scale (pods/policies) and each locality case it generates a cluster
 * (cluster_gen.h), builds the snapshot the daemon would publish (pw_snapshot_build(): compile
 * + rte_acl + address maps) several times, then runs the worker's own per-burst decision
 * (pw_decide_burst()) over a synthetic traffic mix, and beside it, in the same process, a
 * naive per-IP compile of the same policies into one rte_acl table over the raw IPv4 5-tuple
 * (DESIGN decision 1's baseline). Verdicts are checked three ways: two podwall passes agree,
 * a sample agrees with the reference evaluator, and the naive table agrees packet by packet.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

#include <rte_eal.h>
#include <rte_acl.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "cluster_gen.h"
#include "control/aclbuild.h"
#include "control/model/compile.h"
#include "control/model/refeval.h"
#include "dataplane/decide.h"
#include "naive_acl.h"
#include "policy_report.h"
#include "podwall/pw_explain.h"

#define BURST 32
#define MAX_SCALES 8
#define MAX_BUILDS 9
#define MAX_REPS 15

struct opts {
	unsigned int pods[MAX_SCALES], policies[MAX_SCALES], nb_scales;
	bool case_node, case_all;
	uint64_t seed;
	unsigned int builds, reps, packets, ref_sample;
	double secs;
	uint64_t naive_max;
	const char *json, *csv, *mem;
	bool huge;
	bool acl_dump;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A field of /proc/self/status in MB ("VmRSS", "VmHWM"), or 0. */
static double
proc_mb(const char *field)
{
	char line[256];
	size_t len = strlen(field);
	double kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':')
			kb = strtod(line + len + 1, NULL);
	}
	fclose(f);
	return kb / 1024;
}

/* Reset VmHWM to the current RSS (Linux >= 4.0: "5" to clear_refs). */
static void
reset_peak_rss(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");

	if (f != NULL) {
		(void)fputs("5", f);
		fclose(f);
	}
}

static double
maxrss_mb(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? (double)ru.ru_maxrss / 1024 : 0;
}

static uint64_t
heap_bytes(void)
{
	struct rte_malloc_socket_stats st;
	unsigned int i;
	uint64_t sum = 0;

	for (i = 0; i < rte_socket_count(); i++) {
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(i), &st) == 0)
			sum += st.heap_allocsz_bytes;
	}
	return sum;
}

/* ---- Classification passes ------------------------------------------------------------- */

/* One pass over the mix in bursts; @deny (optional) gets each verdict. @return denials. */
typedef unsigned int (*pass_fn)(
	void *ctx, const struct pw_pkt_meta *m, unsigned int n, uint8_t *deny);

struct pw_pass_ctx {
	const struct pw_snapshot *snap;
	struct pw_cls_scratch *sc;
	uint16_t reason[BURST];
};

static unsigned int
pw_pass(void *arg, const struct pw_pkt_meta *m, unsigned int n, uint8_t *deny)
{
	struct pw_pass_ctx *c = arg;
	unsigned int off, j, denied = 0;

	for (off = 0; off < n; off += BURST) {
		uint16_t nb = (uint16_t)RTE_MIN(BURST, n - off);

		memset(c->reason, 0, sizeof(c->reason));
		pw_decide_burst(c->snap, false, m + off, c->reason, nb, c->sc, 0);
		for (j = 0; j < nb; j++) {
			denied += c->reason[j] != 0;
			if (deny != NULL)
				deny[off + j] = c->reason[j] != 0;
		}
	}
	return denied;
}

static double
thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * One timed run of at least @secs wall time. Rates count the time this thread was on the
 * CPU (the machine is shared: time spent preempted is not the classifier's); @on_cpu is
 * that time over the wall time (1.0 on a quiet machine).
 */
static void
timed(pass_fn fn, void *ctx, const struct pw_pkt_meta *m, unsigned int n, double secs, double *mpps,
	double *cpp, double *on_cpu)
{
	uint64_t hz = rte_get_tsc_hz(), t0 = rte_rdtsc(), t, pkts = 0;
	double c0 = thread_cpu_s(), cpu;

	do {
		(void)fn(ctx, m, n, NULL);
		pkts += n;
		t = rte_rdtsc() - t0;
	} while ((double)t < secs * (double)hz);
	cpu = thread_cpu_s() - c0;
	*mpps = (double)pkts / cpu / 1e6;
	*cpp = cpu * (double)hz / (double)pkts;
	*on_cpu = cpu / ((double)t / (double)hz);
}

/* podwall's own ACL keys of the mix, to time rte_acl_classify() alone: each IPv4 key goes to
 * the egress table when its source enforces egress, to the ingress table when its
 * destination enforces ingress (classify.h). */
struct acl_only {
	const struct rte_acl_ctx *acl[PW_ACL_NB_DIRS];
	struct pw_acl4_key *keys;
	const uint8_t **data[PW_ACL_NB_DIRS];
	unsigned int nb;		     /**< packets classified (keys) */
	unsigned int nb_dir[PW_ACL_NB_DIRS]; /**< keys per table */
	uint32_t res[BURST];
};

/* The keys pw_cls_run() gives rte_acl for the IPv4 packets of @m (it classifies the
 * packets that some direction enforces). @return 0 or -ENOMEM. */
static int
acl_keys(struct pw_pass_ctx *pc, const struct pw_pkt_meta *m, unsigned int n, struct acl_only *a)
{
	const struct pw_snapshot *s = pc->snap;
	unsigned int off, j, k, d;

	a->acl[PW_ACL_CAT_EGRESS] = s->acl4;
	a->acl[PW_ACL_CAT_INGRESS] = s->acl4_in;
	a->keys = calloc(n, sizeof(*a->keys));
	a->data[0] = calloc(n, sizeof(*a->data[0]));
	a->data[1] = calloc(n, sizeof(*a->data[1]));
	if (a->keys == NULL || a->data[0] == NULL || a->data[1] == NULL)
		return -ENOMEM;
	for (off = 0; off < n; off += BURST) {
		uint16_t nb = (uint16_t)RTE_MIN(BURST, n - off);

		memset(pc->reason, 0, sizeof(pc->reason));
		pw_cls_run(s, m + off, pc->reason, nb, pc->sc);
		/* sc->k4[] holds the keys of the IPv4 packets some direction enforces, in order. */
		for (j = 0, k = 0; j < nb; j++) {
			bool dir[PW_ACL_NB_DIRS] = {
				(s->ident_flags[pc->sc->sid[j]] & PW_IDENT_F_ENFORCE_EGRESS) != 0,
				(s->ident_flags[pc->sc->did[j]] & PW_IDENT_F_ENFORCE_INGRESS) != 0,
			};

			if (m[off + j].l3 != PW_L3_IPV4 || (!dir[0] && !dir[1]))
				continue;
			a->keys[a->nb] = pc->sc->k4[k++];
			for (d = 0; d < PW_ACL_NB_DIRS; d++)
				if (dir[d])
					a->data[d][a->nb_dir[d]++] =
						(const uint8_t *)&a->keys[a->nb];
			a->nb++;
		}
	}
	return 0;
}

/* rte_acl_classify() alone over the keys of one pass of the mix (@m and @n unused). */
static unsigned int
acl_only_pass(void *arg, const struct pw_pkt_meta *m, unsigned int n, uint8_t *deny)
{
	struct acl_only *a = arg;
	unsigned int off, d;

	RTE_SET_USED(m);
	RTE_SET_USED(n);
	RTE_SET_USED(deny);
	for (d = 0; d < PW_ACL_NB_DIRS; d++)
		for (off = 0; off < a->nb_dir[d] && a->acl[d] != NULL; off += BURST)
			(void)rte_acl_classify(a->acl[d], a->data[d] + off, a->res,
				RTE_MIN(BURST, a->nb_dir[d] - off), PW_ACL_TABLE_CATEGORIES);
	return 0;
}

/*
 * podwall (A) and, when @nv is not NULL, naive (B) side by side: A B A B ..., @reps each;
 * median, min and max Mpps and median cycles per packet of each.
 */
static void
measure(struct pw_pass_ctx *pw, struct nv_pass *nv, const struct pw_pkt_meta *m, unsigned int n,
	const struct opts *o, struct result *res)
{
	double rate[2][MAX_REPS], cycles[2][MAX_REPS], on_cpu;
	struct acl_only ao = { 0 };
	unsigned int r;

	(void)pw_pass(pw, m, n, NULL); /* warm the caches */
	res->on_cpu = 1.0;
	for (r = 0; r < o->reps; r++) {
		timed(pw_pass, pw, m, n, o->secs, &rate[0][r], &cycles[0][r], &on_cpu);
		res->on_cpu = RTE_MIN(res->on_cpu, on_cpu);
		if (nv == NULL)
			continue;
		timed(nv_pass_run, nv, m, n, o->secs, &rate[1][r], &cycles[1][r], &on_cpu);
		res->on_cpu = RTE_MIN(res->on_cpu, on_cpu);
	}
	res->cpp = median(cycles[0], o->reps);
	res->mpps = median(rate[0], o->reps);
	res->mpps_min = rate[0][0];
	res->mpps_max = rate[0][o->reps - 1];
	if (acl_keys(pw, m, n, &ao) == 0) {
		for (r = 0; r < o->reps; r++)
			timed(acl_only_pass, &ao, m, n, o->secs / 4, &rate[0][r], &cycles[0][r],
				&on_cpu);
		res->acl_cpp = median(cycles[0], o->reps);
		res->acl_share = (double)ao.nb / n;
	}
	free(ao.keys);
	free(ao.data[0]);
	free(ao.data[1]);
	if (nv == NULL)
		return;
	res->nv_cpp = median(cycles[1], o->reps);
	res->nv_mpps = median(rate[1], o->reps);
	res->nv_min = rate[1][0];
	res->nv_max = rate[1][o->reps - 1];
}

/* ---- One case --------------------------------------------------------------------------- */

/* The sample of packets the reference evaluator decides too: mismatches. */
static void
ref_check(const struct pw_model *model, struct result *res, const struct pw_pkt_meta *m,
	unsigned int n, const uint8_t *deny, unsigned int sample)
{
	unsigned int i, step = sample != 0 && n > sample ? n / sample : 1;

	for (i = 0; i < n && sample != 0; i += step) {
		struct pw_flow f = { .proto = m[i].proto, .dport = pw_cls_dport(&m[i]) };
		struct pw_verdict_pair vp;

		f.src.family = f.dst.family = 4;
		f.src.addr = m[i].src;
		f.dst.addr = m[i].dst;
		pw_ref_evaluate(model, res->node, &f, &vp);
		res->ref_checked++;
		res->ref_mismatch += vp.allowed == (deny[i] != 0);
	}
}

/*
 * Count the naive rules and, under the cap, build them: @ret_pass and @ret_acl are set
 * (NULL when skipped or failed, with res->nv_note saying why).
 */
static void
naive_build(const struct cg_view *v, struct result *res, const struct pw_pkt_meta *m,
	unsigned int n, const uint8_t *pw_deny, const struct opts *o, unsigned int tag,
	struct rte_acl_ctx **ret_acl, struct nv_pass **ret_pass)
{
	struct rte_acl_ctx *acl = NULL;
	struct nv_pass *pass = NULL;
	char name[RTE_ACL_NAMESIZE];
	uint64_t t0 = now_ns(), mem0, nv_compile_ns = 0;
	uint8_t *deny = calloc(n, 1);
	unsigned int i;
	int rc;

	rc = deny != NULL ? nv_count(v, &res->nv_rules) : -ENOMEM;
	res->nv_count_ms = (double)(now_ns() - t0) / 1e6;
	if (rc == 0 && res->nv_rules > o->naive_max) {
		snprintf(res->nv_note, sizeof(res->nv_note), "skipped: %" PRIu64 " rules",
			res->nv_rules);
		goto out;
	}
	if (rc == 0)
		fprintf(stderr, "  naive: %" PRIu64 " rules, building...\n", res->nv_rules);
	snprintf(name, sizeof(name), "pwnaive_%u", tag);
	mem0 = heap_bytes();
	t0 = now_ns();
	if (rc == 0)
		rc = nv_build(v, name, &acl, &res->nv_rules, &nv_compile_ns);
	res->nv_compile_ms = (double)nv_compile_ns / 1e6;
	res->nv_build_ms = (double)(now_ns() - t0 - nv_compile_ns) / 1e6;
	res->nv_mb = (double)(heap_bytes() - mem0) / (1 << 20);
	if (rc == 0)
		rc = nv_pass_create(acl, &pass);
	if (rc != 0) {
		snprintf(res->nv_note, sizeof(res->nv_note), "failed: %s", strerror(-rc));
		goto out;
	}
	res->nv_built = true;
	(void)nv_pass_run(pass, m, n, deny);
	for (i = 0; i < n; i++)
		res->nv_mismatch += deny[i] != pw_deny[i];
	*ret_acl = acl;
	*ret_pass = pass;
	free(deny);
	return;
out:
	nv_pass_free(pass);
	rte_acl_free(acl);
	free(deny);
}

/* One build phase by phase (pw_compile(), then pw_aclbuild()): the peak RSS of each. */
static int
phase_build(const struct pw_model *model, struct result *res, struct pw_aclbuild_params *prm,
	char *err, size_t err_len)
{
	struct pw_compiled *cp = NULL;
	struct pw_snapshot *snap = NULL;
	double rss0;
	int rc;

	reset_peak_rss();
	rss0 = proc_mb("VmRSS");
	rc = pw_compile(model, res->node, &cp, err, err_len);
	res->compile_rss_mb = proc_mb("VmHWM") - rss0;
	if (rc != 0)
		return rc;
	res->nb_terms = cp->nb_terms;
	res->nb_named = cp->nb_named_ports;
	reset_peak_rss();
	rss0 = proc_mb("VmRSS");
	prm->generation++;
	rc = pw_aclbuild(cp, prm, &snap, err, err_len);
	res->aclbuild_rss_mb = proc_mb("VmHWM") - rss0;
	fprintf(stderr,
		"  phases: compile %.1f ms (peak +%.0f MB), ACL build %.1f ms (peak +%.0f MB)\n",
		(double)cp->compile_ns / 1e6, res->compile_rss_mb,
		rc == 0 ? (double)snap->info.acl_build_ns / 1e6 : 0.0, res->aclbuild_rss_mb);
	pw_snapshot_free(snap);
	pw_compiled_free(cp);
	return rc;
}

static int
run_case(const struct pw_model *model, struct result *res, const struct opts *o, unsigned int tag)
{
	struct pw_aclbuild_params prm = {
		.generation = 1000u * tag,
		.nb_workers = 1,
		.socket_id = SOCKET_ID_ANY,
	};
	double compile[MAX_BUILDS], acl[MAX_BUILDS], total[MAX_BUILDS];
	struct pw_snapshot *snap = NULL;
	struct rte_acl_ctx *nv_acl = NULL;
	struct nv_pass *nv = NULL;
	struct pw_pass_ctx pc = { 0 };
	struct pw_pkt_meta *m = NULL;
	struct cg_view *v = NULL;
	uint8_t *deny = NULL, *deny2 = NULL;
	unsigned int b, n = o->packets, d2;
	char err[256];
	int rc = 0;

	rc = phase_build(model, res, &prm, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "policy-bench: build: %s\n", err);
		return rc;
	}
	for (b = 0; b < o->builds; b++) {
		double rss0;

		pw_snapshot_free(snap);
		snap = NULL;
		reset_peak_rss();
		rss0 = proc_mb("VmRSS");
		prm.generation++;
		rc = pw_snapshot_build(model, res->node, &prm, &snap, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "policy-bench: build: %s\n", err);
			return rc;
		}
		res->build_rss_mb = RTE_MAX(res->build_rss_mb, proc_mb("VmHWM") - rss0);
		compile[b] = (double)snap->info.compile_ns / 1e6;
		acl[b] = (double)snap->info.acl_build_ns / 1e6;
		total[b] = (double)snap->info.build_ns / 1e6;
		fprintf(stderr, "  build %u: compile %.1f ms, acl %.1f ms, total %.1f ms\n", b + 1,
			compile[b], acl[b], total[b]);
	}
	res->info = snap->info;
	if (o->acl_dump) {
		const struct rte_acl_ctx *t[] = { snap->acl4, snap->acl4_in, snap->acl6,
			snap->acl6_in };
		unsigned int i;

		for (i = 0; i < RTE_DIM(t); i++)
			if (t[i] != NULL)
				rte_acl_dump(t[i]); /* to stdout: tries, rules, algorithm */
	}
	res->compile_ms = median(compile, o->builds);
	res->acl_ms = median(acl, o->builds);
	res->total_ms = median(total, o->builds);
	res->total_min = total[0];
	res->total_max = total[o->builds - 1];
	res->maxrss_mb = maxrss_mb();

	rc = cg_view_create(model, res->node, &v);
	m = calloc(n, sizeof(*m));
	deny = calloc(n, 1);
	deny2 = calloc(n, 1);
	pc.snap = snap;
	pc.sc = rte_zmalloc("pw_cls", sizeof(*pc.sc), RTE_CACHE_LINE_SIZE);
	if (rc != 0 || m == NULL || deny == NULL || deny2 == NULL || pc.sc == NULL) {
		rc = rc != 0 ? rc : -ENOMEM;
		goto out;
	}
	rc = cg_traffic(v, o->seed ^ 0x7aff1cull, m, n, &res->mix);
	if (rc != 0)
		goto out;
	res->denied = pw_pass(&pc, m, n, deny);
	d2 = pw_pass(&pc, m, n, deny2);
	res->stable = d2 == res->denied && memcmp(deny, deny2, n) == 0;
	fprintf(stderr, "  reference check of %u packets...\n", o->ref_sample);
	ref_check(model, res, m, n, deny, o->ref_sample);
	if (o->naive_max != 0)
		naive_build(v, res, m, n, deny, o, tag, &nv_acl, &nv);
	else
		snprintf(res->nv_note, sizeof(res->nv_note), "not run");
	fprintf(stderr, "  classify: %u x %.1f s%s...\n", o->reps, o->secs,
		nv != NULL ? " each, podwall and naive alternating" : "");
	measure(&pc, nv, m, n, o, res);
out:
	nv_pass_free(nv);
	rte_acl_free(nv_acl);
	rte_free(pc.sc);
	free(m);
	free(deny);
	free(deny2);
	cg_view_free(v);
	pw_snapshot_free(snap);
	return rc;
}

/* ---- Main ------------------------------------------------------------------------------- */

static void
usage(void)
{
	fprintf(stderr,
		"usage: podwall-policy-bench [--scales 1k,10k,100k|PODS:POLICIES,...] "
		"[--cases node,all]\n"
		"  [--builds 3] [--reps 5] [--secs 1.0] [--packets 65536] [--ref-sample 256]\n"
		"  [--naive-max RULES (0: no naive)] [--seed N] [--json FILE] [--csv FILE]\n"
		"  [--huge] [--mem MB (no-huge memory, default 4096)] [--acl-dump]\n");
	exit(2);
}

static void
parse_scales(struct opts *o, char *arg)
{
	char *tok, *save = NULL;

	o->nb_scales = 0;
	for (tok = strtok_r(arg, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		unsigned int p, q;
		char k;

		if (o->nb_scales == MAX_SCALES)
			usage();
		if (sscanf(tok, "%u:%u", &p, &q) == 2) {
			o->pods[o->nb_scales] = p;
			o->policies[o->nb_scales++] = q;
		} else if (sscanf(tok, "%u%c", &p, &k) == 2 && (k == 'k' || k == 'K')) {
			o->pods[o->nb_scales] = p * 1000;
			o->policies[o->nb_scales++] = p * 100;
		} else {
			usage();
		}
	}
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longs[] = {
		{ "scales", required_argument, NULL, 's' },
		{ "cases", required_argument, NULL, 'c' },
		{ "builds", required_argument, NULL, 'b' },
		{ "reps", required_argument, NULL, 'r' },
		{ "secs", required_argument, NULL, 't' },
		{ "packets", required_argument, NULL, 'n' },
		{ "ref-sample", required_argument, NULL, 'R' },
		{ "naive-max", required_argument, NULL, 'N' },
		{ "seed", required_argument, NULL, 'S' },
		{ "json", required_argument, NULL, 'j' },
		{ "csv", required_argument, NULL, 'C' },
		{ "huge", no_argument, NULL, 'H' },
		{ "mem", required_argument, NULL, 'm' },
		{ "acl-dump", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char def[] = "1k,10k,100k";
	int c;

	parse_scales(o, def);
	while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
		switch (c) {
		case 's':
			parse_scales(o, optarg);
			break;
		case 'c':
			o->case_node = strstr(optarg, "node") != NULL;
			o->case_all = strstr(optarg, "all") != NULL;
			break;
		case 'b':
			o->builds = (unsigned int)RTE_MIN(strtoul(optarg, NULL, 0), MAX_BUILDS);
			break;
		case 'r':
			o->reps = (unsigned int)RTE_MIN(strtoul(optarg, NULL, 0), MAX_REPS);
			break;
		case 't':
			o->secs = strtod(optarg, NULL);
			break;
		case 'n':
			o->packets = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'R':
			o->ref_sample = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'N':
			o->naive_max = strtoull(optarg, NULL, 0);
			break;
		case 'S':
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'C':
			o->csv = optarg;
			break;
		case 'H':
			o->huge = true;
			break;
		case 'm':
			o->mem = optarg;
			break;
		case 'D':
			o->acl_dump = true;
			break;
		default:
			usage();
		}
	}
	if (o->builds == 0 || o->reps == 0 || o->packets < BURST || o->nb_scales == 0 ||
		(!o->case_node && !o->case_all))
		usage();
}

/* "model name" of /proc/cpuinfo, for the report. */
static void
print_machine(void)
{
	char line[256], *p;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "model name", 10) == 0 && (p = strchr(line, ':')) != NULL) {
			p[strcspn(p, "\n")] = '\0';
			printf("machine: %s; cores online: %ld; TSC %.2f GHz\n", p + 2,
				(long)sysconf(_SC_NPROCESSORS_ONLN),
				(double)rte_get_tsc_hz() / 1e9);
			break;
		}
	}
	if (f != NULL)
		fclose(f);
}

int
main(int argc, char **argv)
{
	struct opts o = {
		.case_node = true,
		.case_all = true,
		.seed = 0x5eed2024ull,
		.builds = 3,
		.reps = 5,
		.packets = 65536,
		.ref_sample = 256,
		.secs = 1.0,
		.naive_max = 2000000,
		.mem = "4096",
	};
	char *eal[16];
	int nb_eal = 0;
	struct result res[2 * MAX_SCALES] = { 0 };
	unsigned int s, k, nb = 0;
	int rc = 0;

	parse_opts(argc, argv, &o);
	eal[nb_eal++] = argv[0];
	if (!o.huge) {
		eal[nb_eal++] = (char *)(uintptr_t) "--no-huge";
		eal[nb_eal++] = (char *)(uintptr_t) "-m";
		eal[nb_eal++] = (char *)(uintptr_t)o.mem;
	}
	eal[nb_eal++] = (char *)(uintptr_t) "--no-pci";
	eal[nb_eal++] = (char *)(uintptr_t) "--no-telemetry";
	eal[nb_eal++] = (char *)(uintptr_t) "-l";
	eal[nb_eal++] = (char *)(uintptr_t) "0";
	eal[nb_eal++] = (char *)(uintptr_t) "--file-prefix=pw-bench";
	eal[nb_eal++] = (char *)(uintptr_t) "--log-level=lib.eal:error";
	eal[nb_eal] = NULL;
	if (rte_eal_init(nb_eal, eal) < 0) {
		fprintf(stderr, "policy-bench: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	print_machine();
	for (s = 0; s < o.nb_scales; s++) {
		struct cg_params gp = { o.pods[s], o.policies[s], 100, o.seed ^ o.pods[s] };
		struct pw_model *model;
		struct cg_stats gs;
		uint64_t t0 = now_ns();
		double gen_ms;

		fprintf(stderr, "generating %u pods / %u policies...\n", gp.nb_pods,
			gp.nb_policies);
		rc = cg_generate(&gp, &model, &gs);
		if (rc != 0) {
			fprintf(stderr, "policy-bench: generate: %s\n", strerror(-rc));
			return 1;
		}
		gen_ms = (double)(now_ns() - t0) / 1e6;
		for (k = 0; k < 2; k++) {
			struct result *r = &res[nb];

			if ((k == 0 && !o.case_node) || (k == 1 && !o.case_all))
				continue;
			r->pods = gp.nb_pods;
			r->policies = gp.nb_policies;
			r->node = k == 0 ? CG_LOCAL_NODE : NULL;
			r->gen = gs;
			r->gen_ms = gen_ms;
			fprintf(stderr, "case %u/%u %s:\n", gp.nb_pods, gp.nb_policies,
				r->node != NULL ? "node" : "all-local");
			rc = run_case(model, r, &o, nb);
			if (rc != 0) {
				fprintf(stderr, "policy-bench: case failed: %s\n", strerror(-rc));
				return 1;
			}
			nb++;
		}
		pw_model_free(model);
	}
	pr_print_table(res, nb);
	if (o.json != NULL && (rc = pr_write_file(o.json, res, nb, o.packets, true)) != 0)
		fprintf(stderr, "policy-bench: %s: %s\n", o.json, strerror(-rc));
	if (o.csv != NULL && (rc = pr_write_file(o.csv, res, nb, o.packets, false)) != 0)
		fprintf(stderr, "policy-bench: %s: %s\n", o.csv, strerror(-rc));
	rte_eal_cleanup();
	return rc != 0;
}
