/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-ct-bench: connection tracking on the worker's decision step (bench/README.md,
 * "Connection tracking").
 *
 * Like a packet generator feeding one worker without NIC cost: synthesized packet metas
 * (64-byte frames: 46-byte IP datagrams) go through the same per-burst call the worker makes,
 * pw_ct_decide_burst() with its flow table (and pw_ct_tick() once per burst, as the worker
 * loop does), or pw_decide_burst() for the runs without conntrack. One core, bursts of 32,
 * the TSC around each whole run; every verdict is checked (all traffic is allowed).
 *
 * Cluster: 256 client pods (egress isolated: may reach servers on TCP 80) and 256 server
 * pods (ingress isolated: accept clients on TCP 80), all local. Flows: client i % 256 to
 * server (i / 256) % 256, source port from i / 65536, so 1M flows are 1M distinct 5-tuples.
 *
 * Runs, interleaved per repetition (A B A B), medians over repetitions:
 *   nopolicy      no conntrack, snapshot without tables (policy source "none"): allow all
 *   pods          no conntrack, compiled snapshot, no policy: identity lookups, no ACL
 *   policy        no conntrack, the policies above: every packet classified by the ACL
 *   syn-policy    the same on the first run's SYNs (both ends enforce: conntrack's first
 *                 packets pay this classification, the rest is the table's cost)
 *   established   conntrack, a table of F flows (F = --flows, full), packets of random flows
 *                 in random order, half of them replies
 *   first         conntrack, a table of 2F holding F flows: the first packets (SYN) of F new
 *                 flows, each classified and inserted
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
#include <jansson.h>

#include "control/aclbuild.h"
#include "control/model/decode.h"
#include "dataplane/ct_decide.h"
#include "dataplane/decide.h"
#include "podwall/pw_explain.h"

#define BURST 32
#define NB_PODS 256
#define MAX_REPS 15
#define IP_LEN_64B 46 /* a 64-byte frame: 14 Ethernet + 46 IP + 4 FCS */

enum run {
	RUN_NOPOLICY,
	RUN_PODS,
	RUN_POLICY,
	RUN_POLICY_SYN,
	RUN_ESTABLISHED,
	RUN_FIRST,
	RUN_MAX
};

static const char *const run_names[RUN_MAX] = { "nopolicy", "pods", "policy", "syn-policy",
	"established", "first" };
static const char *const run_desc[RUN_MAX] = {
	"no conntrack, no policy (allow-all snapshot)",
	"no conntrack, pods, no policy (lookups)",
	"no conntrack, policy allows (ACL per packet)",
	"no conntrack, policy, the first packets' SYNs",
	"conntrack, established packets",
	"conntrack, first packets (classify+insert)",
};

struct opts {
	uint32_t flows;
	unsigned int reps;
	unsigned int passes; /* passes over the established stream per run */
	bool huge;
	const char *mem;
	const char *json;
	bool want[RUN_MAX]; /* --runs: the runs to make (default all) */
};

struct bench {
	struct pw_snapshot *snap[RUN_MAX];
	struct pw_pkt_meta *first; /* 2F first packets: flows 0..2F-1 */
	struct pw_pkt_meta *est;   /* F established packets of flows 0..F-1, shuffled */
	uint16_t reason[BURST];
	struct pw_cls_scratch *sc;
	struct pw_ct_scratch *cs;
	uint64_t ms_div;
	double cycles[RUN_MAX][MAX_REPS]; /* per packet */
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
		"                        [--json FILE]\n"
		"  --flows N   concurrent flows (default 1048576)\n"
		"  --reps N    repetitions, medians reported (default 5, at most %d)\n"
		"  --passes N  passes over the established packets per run (default 4)\n"
		"  --huge      use hugepages (default: --no-huge -m MB, MB from --mem, 2048)\n"
		"  --runs LIST some of nopolicy,pods,policy,syn-policy,established,first\n",
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

	if (j == NULL || pw_k8s_decode(j, NULL, &obj, err, sizeof(err)) != 0) {
		fprintf(stderr, "ct-bench: decode: %s\n", j == NULL ? "out of memory" : err);
		exit(1);
	}
	json_decref(j);
	if ((obj.kind == PW_KIND_POD ? pw_model_put_pod(m, obj.pod) :
				       pw_model_put_policy(m, obj.policy)) != 0) {
		fprintf(stderr, "ct-bench: model: out of memory\n");
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

static struct pw_snapshot *
build(bool pods, bool policies, uint64_t generation)
{
	struct pw_aclbuild_params bp = {
		.generation = generation, .nb_workers = 1, .socket_id = SOCKET_ID_ANY
	};
	struct pw_snapshot *s = NULL;
	struct pw_model *m;
	char err[256];
	unsigned int i;

	if (!pods) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			exit(1);
		s->generation = generation;
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

/* ---- traffic ---- */

static struct pw_pkt_meta
flow_meta(uint32_t k, bool reply, uint8_t tcp_flags)
{
	struct pw_pkt_meta m;
	uint32_t c = k % NB_PODS, s = (k / NB_PODS) % NB_PODS;
	uint16_t sport = (uint16_t)(1024 + k / (NB_PODS * NB_PODS));
	uint8_t *cl = reply ? m.dst.b : m.src.b, *sv = reply ? m.src.b : m.dst.b;

	memset(&m, 0, sizeof(m));
	m.l3 = PW_L3_IPV4;
	m.proto = 6;
	m.l3_len = IP_LEN_64B;
	m.tcp_flags = tcp_flags;
	cl[0] = 10;
	cl[1] = 1;
	cl[2] = (uint8_t)(c / 200);
	cl[3] = (uint8_t)(c % 200 + 1);
	sv[0] = 10;
	sv[1] = 2;
	sv[2] = (uint8_t)(s / 200);
	sv[3] = (uint8_t)(s % 200 + 1);
	m.sport = reply ? 80 : sport;
	m.dport = reply ? sport : 80;
	return m;
}

static void
make_traffic(struct bench *b, uint32_t flows)
{
	uint32_t k, *perm;

	b->first = malloc(sizeof(*b->first) * 2 * (size_t)flows);
	b->est = malloc(sizeof(*b->est) * (size_t)flows);
	perm = malloc(sizeof(*perm) * flows);
	if (b->first == NULL || b->est == NULL || perm == NULL)
		exit(1);
	for (k = 0; k < 2 * flows; k++)
		b->first[k] = flow_meta(k, false, 0x02);
	for (k = 0; k < flows; k++)
		perm[k] = k;
	for (k = flows - 1; k > 0; k--) {
		uint32_t j = (uint32_t)(rnd() % (k + 1)), t = perm[k];

		perm[k] = perm[j];
		perm[j] = t;
	}
	for (k = 0; k < flows; k++)
		b->est[k] = flow_meta(perm[k], (rnd() & 1) != 0, 0x10);
	free(perm);
}

/* ---- runs ---- */

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

	/* A full table of F flows, opened by their first packets (not measured). */
	if (!o->want[RUN_ESTABLISHED])
		goto first;
	ct = ct_create(o->flows);
	(void)run(b, ct, b->snap[RUN_POLICY], b->first, o->flows);
	if (ct->nb_used != o->flows) {
		fprintf(stderr, "ct-bench: %u flows tracked, expected %u\n", ct->nb_used, o->flows);
		exit(1);
	}
	cyc = 0;
	for (p = 0; p < o->passes; p++)
		cyc += run(b, ct, b->snap[RUN_POLICY], b->est, o->flows);
	b->cycles[RUN_ESTABLISHED][rep] = (double)cyc / (double)n_est;
	rte_free(ct);

first:
	/* F flows in a table of 2F, then F new ones, measured. */
	if (!o->want[RUN_FIRST])
		return;
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

static int
cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Median, min and max of cycles per packet over the repetitions. */
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

static void
report(const struct bench *b, const struct opts *o)
{
	double hz = (double)rte_get_tsc_hz(), med[RUN_MAX], lo, hi;
	json_t *runs = json_object();
	unsigned int r;

	printf("podwall-ct-bench: %u flows, %u repetitions, %u passes, bursts of %d, %s, "
	       "TSC %.2f GHz\n",
		o->flows, o->reps, o->passes, BURST, o->huge ? "hugepages" : "4k pages", hz / 1e9);
	printf("%-12s %-46s %12s %20s\n", "run", "what", "cycles/pkt", "Mpps/core med [min-max]");
	for (r = 0; r < RUN_MAX; r++) {
		med[r] = 0;
		if (!o->want[r])
			continue;
		stats(b->cycles[r], o->reps, &med[r], &lo, &hi);
		printf("%-12s %-46s %12.1f %8.2f [%.2f-%.2f]\n", run_names[r], run_desc[r], med[r],
			hz / med[r] / 1e6, hz / hi / 1e6, hz / lo / 1e6);
		json_object_set_new(runs, run_names[r],
			json_pack("{s:f, s:f, s:f, s:f}", "cycles_per_packet", med[r], "mpps",
				hz / med[r] / 1e6, "mpps_min", hz / hi / 1e6, "mpps_max",
				hz / lo / 1e6));
	}
	printf("ratios (Mpps): established/nopolicy %.2f, established/pods %.2f, "
	       "established/policy %.2f, first/established %.2f\n",
		med[RUN_NOPOLICY] / med[RUN_ESTABLISHED], med[RUN_PODS] / med[RUN_ESTABLISHED],
		med[RUN_POLICY] / med[RUN_ESTABLISHED], med[RUN_ESTABLISHED] / med[RUN_FIRST]);
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
	struct opts o = { .flows = 1u << 20, .reps = 5, .passes = 4, .mem = "2048" };
	struct bench *b;
	char *eal[16];
	int nb_eal = 0;
	unsigned int rep;

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
	eal[nb_eal++] = (char *)(uintptr_t) "--file-prefix=pw-ct-bench";
	eal[nb_eal++] = (char *)(uintptr_t) "--log-level=lib.eal:error";
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
	b->snap[RUN_NOPOLICY] = build(false, false, 1);
	b->snap[RUN_PODS] = build(true, false, 2);
	b->snap[RUN_POLICY] = build(true, true, 3);
	make_traffic(b, o.flows);
	for (rep = 0; rep < o.reps; rep++) {
		fprintf(stderr, "repetition %u/%u...\n", rep + 1, o.reps);
		one_rep(b, &o, rep);
	}
	report(b, &o);
	free(b->snap[RUN_NOPOLICY]);
	pw_snapshot_free(b->snap[RUN_PODS]);
	pw_snapshot_free(b->snap[RUN_POLICY]);
	free(b->first);
	free(b->est);
	free(b->sc);
	free(b->cs);
	free(b);
	rte_eal_cleanup();
	return 0;
}
