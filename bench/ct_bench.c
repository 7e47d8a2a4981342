/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-ct-bench: what connection tracking costs one worker per packet (bench/README.md,
 * "Connection tracking"), with 1M concurrent flows and 64-byte frames, beside the same
 * packets without conntrack. Two sets of runs, interleaved per repetition (A B A B),
 * medians over repetitions, every verdict checked (all traffic is allowed):
 *
 * The whole worker path (path-*, ct_path.c): real frames through a real dataplane's worker
 * loop, rx burst to tx burst, on ring ports. "Without conntrack" is the same worker with
 * conntrack off.
 *   path-nopolicy     no conntrack, snapshot without tables (policy source "none"): allow all
 *   path-pods         no conntrack, compiled snapshot, no policy: identity lookups, no ACL
 *   path-policy       no conntrack, the policies below: the ACL on every packet
 *   path-established  conntrack, a full table of F established flows (F = --flows), packets
 *                     of random flows in random order, half of them replies
 *   path-first        conntrack, a table of 2F holding F flows: the SYNs of F new flows
 *
 * The decision step alone (no prefix): synthesized packet metas through the per-burst call
 * the worker makes, pw_ct_decide_burst() with its flow table (and pw_ct_tick() once per
 * burst), or pw_decide_burst() without conntrack: the same runs as above, plus
 *   syn-policy        no conntrack, the policies, on path-first's SYNs
 *   floor             the established table's memory traffic alone (run_floor())
 *
 * Cluster: 256 client pods (egress isolated: may reach servers on TCP 80) and 256 server
 * pods (ingress isolated: accept clients on TCP 80), all local. Flows: ct_bench.h.
 * Established flows are opened by a full handshake (SYN, SYN-ACK, ACK), untimed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_prefetch.h>
#include <jansson.h>

#include "bench/ct_bench.h"
#include "control/aclbuild.h"
#include "control/model/decode.h"
#include "dataplane/ct_decide.h"
#include "dataplane/decide.h"
#include "podwall/pw_explain.h"

#define BURST CTB_BURST
#define NB_PODS CTB_NB_PODS
#define MAX_REPS 15
#define FILL_CHUNK 4096

enum run {
	RUN_NOPOLICY,
	RUN_PODS,
	RUN_POLICY,
	RUN_POLICY_SYN,
	RUN_ESTABLISHED,
	RUN_FIRST,
	RUN_FLOOR,
	RUN_P_NOPOLICY, /* the whole path: CTB_PATH_* in the same order */
	RUN_P_PODS,
	RUN_P_POLICY,
	RUN_P_ESTABLISHED,
	RUN_P_FIRST,
	RUN_MAX
};

static const char *const run_names[RUN_MAX] = { "nopolicy", "pods", "policy", "syn-policy",
	"established", "first", "floor", "path-nopolicy", "path-pods", "path-policy",
	"path-established", "path-first" };
static const char *const run_desc[RUN_MAX] = {
	"no conntrack, no policy (allow-all snapshot)",
	"no conntrack, pods, no policy (lookups)",
	"no conntrack, policy allows (ACL per packet)",
	"no conntrack, policy, the first packets' SYNs",
	"conntrack, established packets",
	"conntrack, first packets (classify+insert)",
	"memory floor: bucket + entry lines, nothing else",
	"no conntrack, allow-all snapshot",
	"no conntrack, pods, no policy",
	"no conntrack, policy allows (ACL per packet)",
	"conntrack, established packets",
	"conntrack, first packets (classify+insert)",
};

struct opts {
	uint32_t flows;
	unsigned int reps;
	unsigned int passes; /* passes over the established stream per run */
	bool huge;
	const char *mem;
	const char *cores;
	const char *json;
	bool want[RUN_MAX]; /* --runs: the runs to make (default all) */
};

struct bench {
	struct pw_snapshot *snap[RUN_POLICY + 1];
	uint32_t *est_desc; /* F established packets of flows 0..F-1, shuffled (ct_bench.h) */
	struct pw_pkt_meta *first; /* 2F first packets: flows 0..2F-1 */
	struct pw_pkt_meta *est;   /* est_desc as metas */
	struct pw_pkt_meta *chunk; /* FILL_CHUNK metas of the handshake, untimed */
	uint16_t reason[BURST];
	struct pw_cls_scratch *sc;
	struct pw_ct_scratch *cs;
	struct ctb_path *path;
	uint64_t ms_div;
	double cycles[RUN_MAX][MAX_REPS]; /* per packet */
	double busy[RUN_MAX][MAX_REPS];	  /* path runs: the worker's own busy cycles per packet */
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: podwall-ct-bench [--flows N] [--reps N] [--passes N] [--huge | --mem MB]\n"
		"                        [--cores A,B] [--runs LIST] [--json FILE]\n"
		"  --flows N   concurrent flows (default 1048576)\n"
		"  --reps N    repetitions, medians reported (default 5, at most %d)\n"
		"  --passes N  passes over the established packets per run (default 4)\n"
		"  --huge      use hugepages (default: --no-huge -m MB, MB from --mem, 2048)\n"
		"  --cores A,B the bench's core, and the worker lcore the path runs' dataplane\n"
		"              names (never launched: its loop runs on core A); default 0,1\n"
		"  --runs LIST some of nopolicy,pods,policy,syn-policy,established,first,floor,\n"
		"              path-nopolicy,path-pods,path-policy,path-established,path-first\n",
		MAX_REPS);
	exit(2);
}

static void
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "flows", required_argument, NULL, 'f' },
		{ "reps", required_argument, NULL, 'r' },
		{ "passes", required_argument, NULL, 'p' },
		{ "huge", no_argument, NULL, 'H' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cores", required_argument, NULL, 'c' },
		{ "json", required_argument, NULL, 'j' },
		{ "runs", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int r;
	bool any = false;
	char *tok;
	int c;

	for (r = 0; r < RUN_MAX; r++)
		o->want[r] = true;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->flows = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o->reps = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			o->passes = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'H':
			o->huge = true;
			break;
		case 'm':
			o->mem = optarg;
			break;
		case 'c':
			o->cores = optarg;
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'R':
			for (r = 0; r < RUN_MAX; r++)
				o->want[r] = false;
			for (tok = strtok(optarg, ","); tok != NULL; tok = strtok(NULL, ",")) {
				for (r = 0; r < RUN_MAX && strcmp(tok, run_names[r]) != 0; r++)
					;
				if (r == RUN_MAX)
					usage();
				o->want[r] = true;
				any = true;
			}
			if (!any)
				usage();
			break;
		default:
			usage();
		}
	}
	if (o->flows < 1024 || o->flows > (1u << 24) || o->reps == 0 || o->reps > MAX_REPS ||
		o->passes == 0)
		usage();
}

/* ---- the cluster ---- */

static void
put(struct pw_model *m, json_t *j)
{
	struct pw_k8s_obj obj;
	char err[256];
	int rc;

	if (j == NULL || pw_k8s_decode(j, NULL, &obj, err, sizeof(err)) != 0) {
		fprintf(stderr, "ct-bench: decode: %s\n", j == NULL ? "out of memory" : err);
		exit(1);
	}
	json_decref(j);
	rc = pw_k8s_obj_put(m, &obj);
	if (rc != 0) {
		fprintf(stderr, "ct-bench: model: %s\n", pw_k8s_put_strerror(rc));
		exit(1);
	}
}

static json_t *
pod(const char *role, unsigned int i)
{
	char name[32], ip[32];

	snprintf(name, sizeof(name), "%s%u", role, i);
	snprintf(ip, sizeof(ip), "10.%u.%u.%u", role[0] == 'c' ? 1 : 2, i / 200, i % 200 + 1);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}}, s:{s:s}, s:{s:s, s:[{s:s}]}}",
		"apiVersion", "v1", "kind", "Pod", "metadata", "name", name, "namespace", "bench",
		"labels", "role", role, "spec", "nodeName", "n1", "status", "phase", "Running",
		"podIPs", "ip", ip);
}

static json_t *
policy(bool egress)
{
	const char *self = egress ? "client" : "server", *peer = egress ? "server" : "client";

	return json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:{s:{s:s}}, s:[s], s:[{s:[{s:{s:{s:s}}}], "
			 "s:[{s:i}]}]}}",
		"apiVersion", "networking.k8s.io/v1", "kind", "NetworkPolicy", "metadata", "name",
		self, "namespace", "bench", "spec", "podSelector", "matchLabels", "role", self,
		"policyTypes", egress ? "Egress" : "Ingress", egress ? "egress" : "ingress",
		egress ? "to" : "from", "podSelector", "matchLabels", "role", peer, "ports", "port",
		80);
}

/* Each snapshot has a generation of its own: its ACL and maps are named after it. */
static uint64_t next_generation = 1;

struct pw_snapshot *
ctb_snapshot(bool pods, bool policies)
{
	struct pw_aclbuild_params bp = {
		.generation = next_generation++, .nb_workers = 1, .socket_id = SOCKET_ID_ANY
	};
	struct pw_snapshot *s = NULL;
	struct pw_model *m;
	char err[256];
	unsigned int i;

	if (!pods) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			exit(1);
		s->generation = bp.generation;
		s->default_verdict = PW_VERDICT_ALLOW;
		return s;
	}
	if (pw_model_create(&m) != 0)
		exit(1);
	for (i = 0; i < NB_PODS; i++) {
		put(m, pod("client", i));
		put(m, pod("server", i));
	}
	if (policies) {
		put(m, policy(true));
		put(m, policy(false));
	}
	if (pw_snapshot_build(m, "n1", &bp, &s, err, sizeof(err)) != 0) {
		fprintf(stderr, "ct-bench: snapshot: %s\n", err);
		exit(1);
	}
	pw_model_free(m);
	return s;
}

void
ctb_snapshot_free(struct pw_snapshot *s)
{
	if (s != NULL && !s->compiled)
		free(s);
	else
		pw_snapshot_free(s);
}

/* ---- traffic ---- */

static struct pw_pkt_meta
flow_meta(uint32_t desc, uint8_t tcp_flags)
{
	struct pw_pkt_meta m;
	struct ctb_tuple t;

	ctb_tuple(desc & ~CTB_REPLY, (desc & CTB_REPLY) != 0, &t);
	memset(&m, 0, sizeof(m));
	m.l3 = PW_L3_IPV4;
	m.proto = 6;
	m.l3_len = CTB_IP_LEN_64B;
	m.tcp_flags = tcp_flags;
	memcpy(m.src.b, t.src, 4);
	memcpy(m.dst.b, t.dst, 4);
	m.sport = t.sport;
	m.dport = t.dport;
	return m;
}

static void
make_traffic(struct bench *b, uint32_t flows)
{
	uint32_t k, *perm;

	b->first = malloc(sizeof(*b->first) * 2 * (size_t)flows);
	b->est = malloc(sizeof(*b->est) * (size_t)flows);
	b->est_desc = malloc(sizeof(*b->est_desc) * (size_t)flows);
	b->chunk = malloc(sizeof(*b->chunk) * FILL_CHUNK);
	perm = malloc(sizeof(*perm) * flows);
	if (b->first == NULL || b->est == NULL || b->est_desc == NULL || b->chunk == NULL ||
		perm == NULL)
		exit(1);
	for (k = 0; k < 2 * flows; k++)
		b->first[k] = flow_meta(k, CTB_TCP_SYN);
	for (k = 0; k < flows; k++)
		perm[k] = k;
	for (k = flows - 1; k > 0; k--) {
		uint32_t j = (uint32_t)(rnd() % (k + 1)), t = perm[k];

		perm[k] = perm[j];
		perm[j] = t;
	}
	for (k = 0; k < flows; k++) {
		b->est_desc[k] = perm[k] | ((rnd() & 1) != 0 ? CTB_REPLY : 0);
		b->est[k] = flow_meta(b->est_desc[k], CTB_TCP_ACK);
	}
	free(perm);
}

/* ---- the decision step ---- */

static struct pw_ct *
ct_create(uint32_t max_flows)
{
	struct pw_ct_params p = { .max_flows = max_flows, .seed = rnd() };
	void *mem = rte_zmalloc("ct_bench", pw_ct_mem_size(max_flows), 128);

	pw_ct_timeouts_default(&p.timeouts);
	if (mem == NULL) {
		fprintf(stderr, "ct-bench: no DPDK memory for %u flows (%zu MB): --huge or --mem\n",
			max_flows, pw_ct_mem_size(max_flows) >> 20);
		exit(1);
	}
	return pw_ct_init(mem, &p);
}

/* Decide @n metas from @m in bursts; @return TSC cycles. Exits on any drop. */
static uint64_t
run(struct bench *b, struct pw_ct *ct, const struct pw_snapshot *s, const struct pw_pkt_meta *m,
	uint32_t n)
{
	uint64_t t0, t1, bad = 0;
	uint32_t off;
	uint16_t i;

	t0 = rte_rdtsc_precise();
	for (off = 0; off < n; off += BURST) {
		uint16_t nb = (uint16_t)(n - off < BURST ? n - off : BURST);

		memset(b->reason, 0, sizeof(b->reason));
		if (ct != NULL) {
			uint32_t now_ms = (uint32_t)(rte_rdtsc() / b->ms_div);

			pw_ct_decide_burst(ct, s, false, m + off, NULL, b->reason, nb, b->cs, b->sc,
				0, now_ms);
			pw_ct_tick(ct, now_ms);
		} else {
			pw_decide_burst(s, false, m + off, b->reason, nb, b->sc, 0);
		}
		for (i = 0; i < nb; i++)
			bad += b->reason[i] != 0;
	}
	t1 = rte_rdtsc_precise();
	if (bad != 0) {
		fprintf(stderr, "ct-bench: %" PRIu64 " packets dropped, expected none\n", bad);
		exit(1);
	}
	return t1 - t0;
}

/*
 * The memory floor of an established packet: the lines every lookup must read in this
 * table's layout (the home bucket, then both lines of the entry its first signature match
 * names, the second written as a counter), staged over each burst as pw_ct_lookup_burst()
 * stages them, with the hashes computed beforehand and nothing else done. What the decision
 * step costs above this is instructions, not memory. @return TSC cycles.
 */
static uint64_t
run_floor(const struct pw_ct *ct, const uint64_t *hash, uint32_t n)
{
	uint32_t cand[BURST], off, sum = 0;
	uint64_t t0, t1;
	uint16_t j, s;

	t0 = rte_rdtsc_precise();
	for (off = 0; off < n; off += BURST) {
		uint16_t nb = (uint16_t)(n - off < BURST ? n - off : BURST);

		for (j = 0; j < nb; j++)
			rte_prefetch0(&ct->buckets[(uint32_t)hash[off + j] & ct->bucket_mask]);
		for (j = 0; j < nb; j++) {
			const struct pw_ct_bucket *bk =
				&ct->buckets[(uint32_t)hash[off + j] & ct->bucket_mask];
			uint16_t sig = (uint16_t)(hash[off + j] >> 48);

			for (s = 0; s < PW_CT_BUCKET_SLOTS - 1 && bk->sig[s] != sig; s++)
				;
			cand[j] = bk->handle[s] != 0 ? bk->handle[s] - 1 : 0;
			rte_prefetch0(&ct->entries[cand[j]]);
			rte_prefetch0(&ct->entries[cand[j]].packets);
		}
		for (j = 0; j < nb; j++) {
			struct pw_ct_entry *e = &ct->entries[cand[j]];

			sum += e->last_ms;
			e->packets[0]++;
		}
	}
	t1 = rte_rdtsc_precise();
	if (sum == 1)
		printf(" ");
	return t1 - t0;
}

/* Open flows 0..F-1 by their handshake (SYN, SYN-ACK, ACK), untimed. */
static void
handshake(struct bench *b, struct pw_ct *ct, const struct pw_snapshot *s, uint32_t flows)
{
	static const uint8_t step_flags[3] = { CTB_TCP_SYN, CTB_TCP_SYN | CTB_TCP_ACK,
		CTB_TCP_ACK };
	unsigned int step;
	uint32_t k0, k;

	for (step = 0; step < 3; step++)
		for (k0 = 0; k0 < flows; k0 += FILL_CHUNK) {
			uint32_t n = flows - k0 < FILL_CHUNK ? flows - k0 : FILL_CHUNK;

			for (k = 0; k < n; k++)
				b->chunk[k] = flow_meta(
					(k0 + k) | (step == 1 ? CTB_REPLY : 0), step_flags[step]);
			(void)run(b, ct, s, b->chunk, n);
		}
	for (k = 0; k < flows; k += flows / 64 + 1) {
		struct pw_ct_key key;
		uint64_t h;
		uint32_t e;
		bool ab;

		(void)pw_ct_key_build(&b->est[k], &key, &ab);
		h = pw_ct_hash(&key, ct->seed);
		e = pw_ct_find(ct, &key, h);
		if (e == 0 || pw_ct_entry(ct, e)->state != PW_CT_ST_TCP_ESTABLISHED) {
			fprintf(stderr, "ct-bench: flow %u not established after its handshake\n",
				k);
			exit(1);
		}
	}
}

static void
one_rep(struct bench *b, const struct opts *o, unsigned int rep)
{
	uint64_t n_est = (uint64_t)o->flows * o->passes, cyc;
	struct pw_ct *ct;
	unsigned int r, p;

	for (r = RUN_NOPOLICY; r <= RUN_POLICY; r++) {
		if (!o->want[r])
			continue;
		cyc = 0;
		for (p = 0; p < o->passes; p++)
			cyc += run(b, NULL, b->snap[r], b->est, o->flows);
		b->cycles[r][rep] = (double)cyc / (double)n_est;
	}
	if (o->want[RUN_POLICY_SYN]) {
		cyc = run(b, NULL, b->snap[RUN_POLICY], b->first + o->flows, o->flows);
		b->cycles[RUN_POLICY_SYN][rep] = (double)cyc / (double)o->flows;
	}

	/* A full table of F established flows (not measured). */
	if (o->want[RUN_ESTABLISHED] || o->want[RUN_FLOOR]) {
		ct = ct_create(o->flows);
		handshake(b, ct, b->snap[RUN_POLICY], o->flows);
		if (ct->nb_used != o->flows) {
			fprintf(stderr, "ct-bench: %u flows tracked, expected %u\n", ct->nb_used,
				o->flows);
			exit(1);
		}
		cyc = 0;
		for (p = 0; p < o->passes && o->want[RUN_ESTABLISHED]; p++)
			cyc += run(b, ct, b->snap[RUN_POLICY], b->est, o->flows);
		b->cycles[RUN_ESTABLISHED][rep] = (double)cyc / (double)n_est;
		if (o->want[RUN_FLOOR]) {
			uint64_t *hash = malloc(sizeof(*hash) * o->flows);
			uint32_t k;

			if (hash == NULL)
				exit(1);
			for (k = 0; k < o->flows; k++) {
				struct pw_ct_key key;
				bool ab;

				(void)pw_ct_key_build(&b->est[k], &key, &ab);
				hash[k] = pw_ct_hash(&key, ct->seed);
			}
			cyc = 0;
			for (p = 0; p < o->passes; p++)
				cyc += run_floor(ct, hash, o->flows);
			b->cycles[RUN_FLOOR][rep] = (double)cyc / (double)n_est;
			free(hash);
		}
		rte_free(ct);
	}

	/* F flows in a table of 2F, then F new ones, measured. */
	if (o->want[RUN_FIRST]) {
		ct = ct_create(2 * o->flows);
		(void)run(b, ct, b->snap[RUN_POLICY], b->first, o->flows);
		cyc = run(b, ct, b->snap[RUN_POLICY], b->first + o->flows, o->flows);
		b->cycles[RUN_FIRST][rep] = (double)cyc / (double)o->flows;
		if (ct->nb_used != 2 * o->flows) {
			fprintf(stderr, "ct-bench: %u flows after the first packets, expected %u\n",
				ct->nb_used, 2 * o->flows);
			exit(1);
		}
		rte_free(ct);
	}

	for (r = RUN_P_NOPOLICY; r < RUN_MAX; r++)
		if (o->want[r])
			ctb_path_run(b->path, (enum ctb_path_run)(r - RUN_P_NOPOLICY), o->flows,
				o->passes, b->est_desc, &b->cycles[r][rep], &b->busy[r][rep]);
}

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Median, min and max over the repetitions. */
static void
stats(const double *v, unsigned int n, double *med, double *lo, double *hi)
{
	double s[MAX_REPS];

	memcpy(s, v, n * sizeof(*v));
	qsort(s, n, sizeof(*s), cmp_double);
	*med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	*lo = s[0];
	*hi = s[n - 1];
}

/* Mpps ratio @p a / @p b from cycles per packet, or 0 if a run is missing. */
static double
ratio(const double *med, unsigned int a, unsigned int b)
{
	return med[a] > 0 && med[b] > 0 ? med[b] / med[a] : 0;
}

static void
report(const struct bench *b, const struct opts *o)
{
	double hz = (double)rte_get_tsc_hz(), med[RUN_MAX], busy, lo, hi, x;
	json_t *runs = json_object();
	unsigned int r;

	printf("podwall-ct-bench: %u flows, %u repetitions, %u passes, bursts of %d, %s, "
	       "TSC %.2f GHz\n",
		o->flows, o->reps, o->passes, BURST, o->huge ? "hugepages" : "4k pages", hz / 1e9);
	printf("%-16s %-46s %10s %10s %22s\n", "run", "what", "cycles/pkt", "(worker)",
		"Mpps/core med [min-max]");
	for (r = 0; r < RUN_MAX; r++) {
		med[r] = 0;
		if (!o->want[r])
			continue;
		stats(b->busy[r], o->reps, &busy, &x, &x);
		stats(b->cycles[r], o->reps, &med[r], &lo, &hi);
		printf("%-16s %-46s %10.1f %10.1f %8.2f [%.2f-%.2f]\n", run_names[r], run_desc[r],
			med[r], busy, hz / med[r] / 1e6, hz / hi / 1e6, hz / lo / 1e6);
		json_object_set_new(runs, run_names[r],
			json_pack("{s:f, s:f, s:f, s:f, s:f}", "cycles_per_packet", med[r],
				"worker_busy_cycles_per_packet", busy, "mpps", hz / med[r] / 1e6,
				"mpps_min", hz / hi / 1e6, "mpps_max", hz / lo / 1e6));
	}
	printf("whole path, ratios (Mpps): established/allow-all %.2f (target 0.9), "
	       "first/established %.2f (target 0.5), established/policy %.2f\n",
		ratio(med, RUN_P_ESTABLISHED, RUN_P_NOPOLICY),
		ratio(med, RUN_P_FIRST, RUN_P_ESTABLISHED),
		ratio(med, RUN_P_ESTABLISHED, RUN_P_POLICY));
	printf("decision step, ratios (Mpps): established/nopolicy %.2f, established/pods %.2f, "
	       "established/policy %.2f, first/established %.2f\n",
		ratio(med, RUN_ESTABLISHED, RUN_NOPOLICY), ratio(med, RUN_ESTABLISHED, RUN_PODS),
		ratio(med, RUN_ESTABLISHED, RUN_POLICY), ratio(med, RUN_FIRST, RUN_ESTABLISHED));
	if (o->json != NULL) {
		json_t *j = json_pack("{s:i, s:i, s:i, s:b, s:f, s:o}", "flows", (int)o->flows,
			"reps", (int)o->reps, "passes", (int)o->passes, "hugepages", o->huge,
			"tsc_hz", hz, "runs", runs);

		if (j == NULL || json_dump_file(j, o->json, JSON_INDENT(2)) != 0)
			fprintf(stderr, "ct-bench: cannot write %s\n", o->json);
		json_decref(j);
	} else {
		json_decref(runs);
	}
}

int
main(int argc, char **argv)
{
	struct opts o = {
		.flows = 1u << 20, .reps = 5, .passes = 4, .mem = "2048", .cores = "0,1"
	};
	struct bench *b;
	char *eal[16];
	int nb_eal = 0;
	unsigned int rep, r;

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
	eal[nb_eal++] = (char *)(uintptr_t)o.cores;
	eal[nb_eal++] = (char *)(uintptr_t) "--file-prefix=pw-ct-bench";
	eal[nb_eal++] = (char *)(uintptr_t) "--log-level=lib.eal:error";
	eal[nb_eal++] = (char *)(uintptr_t) "--log-level=user.podwall.*:warning";
	eal[nb_eal] = NULL;
	if (rte_eal_init(nb_eal, eal) < 0) {
		fprintf(stderr, "ct-bench: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return 1;
	b->sc = calloc(1, sizeof(*b->sc));
	b->cs = calloc(1, sizeof(*b->cs));
	b->ms_div = rte_get_tsc_hz() / 1000;
	if (b->sc == NULL || b->cs == NULL || b->ms_div == 0)
		return 1;
	b->snap[RUN_NOPOLICY] = ctb_snapshot(false, false);
	b->snap[RUN_PODS] = ctb_snapshot(true, false);
	b->snap[RUN_POLICY] = ctb_snapshot(true, true);
	make_traffic(b, o.flows);
	for (r = RUN_P_NOPOLICY; r < RUN_MAX && b->path == NULL; r++)
		if (o.want[r])
			b->path = ctb_path_create();
	for (rep = 0; rep < o.reps; rep++) {
		fprintf(stderr, "repetition %u/%u...\n", rep + 1, o.reps);
		one_rep(b, &o, rep);
	}
	report(b, &o);
	if (b->path != NULL)
		ctb_path_free(b->path);
	for (r = RUN_NOPOLICY; r <= RUN_POLICY; r++)
		ctb_snapshot_free(b->snap[r]);
	free(b->first);
	free(b->est);
	free(b->est_desc);
	free(b->chunk);
	free(b->sc);
	free(b->cs);
	free(b);
	rte_eal_cleanup();
	return 0;
}
