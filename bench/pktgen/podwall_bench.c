/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall-bench: a DPDK packet generator that sends a scenario's flows on one port and
 * receives what the device under test forwards on another (and, bidirectional, answers them
 * back), checking every packet's verdict (bench/README.md, "Packet generator and harness").
 * This file: options, set-up and the run's orchestration; gen.c: the traffic; report.c:
 * the report and the JSON.
 *
 *   podwall-bench [EAL args] -- [options]
 *   podwall-bench --write-scenario DIR [scenario options]   (no EAL)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "gen.h"
#include "report.h"
#include "scenario.h"

/* The signal that asked us to stop (SIGINT, SIGTERM), 0 while running. */
static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	stop = sig;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: podwall-bench [EAL args] -- [options]\n"
		"       podwall-bench --write-scenario DIR [scenario options]\n"
		"scenario: --pods N (1000) --namespaces K (10) --apps A (10) --policies M (100)\n"
		"          --allowed PCT (80) --seed S (1)\n"
		"          --shapes rich|simple (rich: namespace selectors, named ports, egress,\n"
		"                   ipBlocks, verdicts from refeval; simple: the first scenario)\n"
		"traffic:  --flows F (1024) --new (every packet a new flow) --size B (64..1518, "
		"64)\n"
		"          --imix (64:570:1518 = 7:4:1) --rate MPPS (0 = as fast as possible)\n"
		"          --catch-up N (8: bursts a --rate sender may send back to back after\n"
		"                   a stall of its own; older missed ones are skipped, counted)\n"
		"          --seconds S (10) --burst N (32) --tx-port P (0) --rx-port P (1)\n"
		"          --warmup S (0: seconds after link-up before sending)\n"
		"          --learn S (0: seconds of learning traffic before the measured "
		"--seconds;\n"
		"                   its counts are reported apart and reset when it ends)\n"
		"          --hold S (0: seconds to keep the links up after writing the JSON)\n"
		"          --no-policy (the DUT allows all: expect every packet) --json FILE\n"
		"          --ipv6 PCT (0: share of flows over IPv6; pods are dual-stack)\n"
		"          --proto udp|tcp|mix (udp; mix: half the flows TCP)\n"
		"          --bidir (port B answers every allowed packet: SYN-ACK to a SYN, else "
		"ACK;\n"
		"                   port A completes TCP handshakes with an ACK)\n"
		"          --stateless (the DUT tracks no connections: replies judged by policy)\n"
		"          --setup-rate MPPS (1: pace of the SYNs opening TCP flows before the "
		"run)\n"
		"          --queues N (1: queue pairs per port, one lcore each; EAL needs N "
		"lcores,\n"
		"                   or N + 1 to leave the progress lines to the main lcore)\n"
		"          --quiet (no progress lines on stderr)\n");
}

static int
parse_proto(const char *s, enum pg_proto *ret)
{
	if (strcmp(s, "udp") == 0)
		*ret = PG_PROTO_UDP;
	else if (strcmp(s, "tcp") == 0)
		*ret = PG_PROTO_TCP;
	else if (strcmp(s, "mix") == 0)
		*ret = PG_PROTO_MIX;
	else
		return -1;
	return 0;
}

/* A --rate the pacer takes (1e-9 to 1e9 Mpps); checked with a nominal TSC rate, the pacer's
 * limits do not depend on it. */
static bool
rate_ok(const struct pg_opts *o)
{
	struct pg_pace p;

	return pg_pace_init(&p, 0, 1000000000, o->burst == 0 ? 1 : o->burst,
		       o->queues == 0 ? 1 : o->queues, o->rate_mpps) == 0;
}

static int
parse_opts(int argc, char **argv, struct pg_opts *o)
{
	static const struct option longopts[] = {
		{ "pods", required_argument, NULL, 'p' },
		{ "namespaces", required_argument, NULL, 'K' },
		{ "apps", required_argument, NULL, 'A' },
		{ "policies", required_argument, NULL, 'M' },
		{ "allowed", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 'S' },
		{ "shapes", required_argument, NULL, 'Y' },
		{ "flows", required_argument, NULL, 'f' },
		{ "new", no_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'W' },
		{ "learn", required_argument, NULL, 'l' },
		{ "catch-up", required_argument, NULL, 'C' },
		{ "hold", required_argument, NULL, 'H' },
		{ "no-policy", no_argument, NULL, 'N' },
		{ "size", required_argument, NULL, 'z' },
		{ "imix", no_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "burst", required_argument, NULL, 'b' },
		{ "tx-port", required_argument, NULL, 't' },
		{ "rx-port", required_argument, NULL, 'R' },
		{ "json", required_argument, NULL, 'j' },
		{ "write-scenario", required_argument, NULL, 'w' },
		{ "ipv6", required_argument, NULL, '6' },
		{ "proto", required_argument, NULL, 'P' },
		{ "bidir", no_argument, NULL, 'B' },
		{ "stateless", no_argument, NULL, 'L' },
		{ "setup-rate", required_argument, NULL, 'U' },
		{ "queues", required_argument, NULL, 'Q' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->sc.nb_pods = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'K':
			o->sc.nb_ns = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'A':
			o->sc.nb_apps = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'M':
			o->sc.nb_policies = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'a':
			o->sc.allowed_pct = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'S':
			o->sc.seed = strtoull(optarg, NULL, 0);
			break;
		case 'Y':
			if (strcmp(optarg, "rich") == 0) {
				o->sc.shapes = SC_SHAPES_RICH;
			} else if (strcmp(optarg, "simple") == 0) {
				o->sc.shapes = SC_SHAPES_SIMPLE;
			} else {
				usage(stderr);
				return -1;
			}
			break;
		case 'f':
			o->flows = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			o->new_flows = true;
			break;
		case 'H':
			o->hold = strtod(optarg, NULL);
			break;
		case 'W':
			o->warmup = strtod(optarg, NULL);
			break;
		case 'C':
			o->catch_up = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'l':
			o->learn = strtod(optarg, NULL);
			break;
		case 'N':
			o->no_policy = true;
			break;
		case 'z':
			o->size = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'i':
			o->imix = true;
			break;
		case 'r':
			o->rate_mpps = strtod(optarg, NULL);
			break;
		case 's':
			o->seconds = strtod(optarg, NULL);
			break;
		case 'b':
			o->burst = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 't':
			o->tx_port = (uint16_t)strtoul(optarg, NULL, 0);
			break;
		case 'R':
			o->rx_port = (uint16_t)strtoul(optarg, NULL, 0);
			break;
		case 'j':
			o->json = optarg;
			break;
		case 'w':
			o->write_dir = optarg;
			break;
		case '6':
			o->ipv6_pct = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'P':
			if (parse_proto(optarg, &o->proto) != 0) {
				usage(stderr);
				return -1;
			}
			break;
		case 'B':
			o->bidir = true;
			break;
		case 'L':
			o->stateless = true;
			break;
		case 'U':
			o->setup_mpps = strtod(optarg, NULL);
			break;
		case 'Q':
			o->queues = (unsigned int)strtoul(optarg, NULL, 0);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || sc_normalize(&o->sc) != 0 || o->flows == 0 || o->size < 64 ||
		o->size > 1518 || o->burst == 0 || o->burst > PG_MAX_BURST || o->seconds <= 0 ||
		o->catch_up > PG_MAX_CATCH_UP || !(o->learn >= 0) || !(o->warmup >= 0) ||
		!(o->rate_mpps == 0 || rate_ok(o)) || o->ipv6_pct > 100 || o->setup_mpps <= 0 ||
		o->queues == 0 || o->queues > PG_MAX_QUEUES || o->flows < o->queues) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int
port_setup(uint16_t port, unsigned int nb_queues, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	uint16_t q;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, (uint16_t)nb_queues, (uint16_t)nb_queues, &conf);
	for (q = 0; rc == 0 && q < nb_queues; q++) {
		rc = rte_eth_rx_queue_setup(port, q, 1024, rte_eth_dev_socket_id(port), NULL, mp);
		if (rc == 0)
			rc = rte_eth_tx_queue_setup(
				port, q, 1024, rte_eth_dev_socket_id(port), NULL);
	}
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		fprintf(stderr, "port %u: setup of %u queue(s) failed: %s\n", port, nb_queues,
			rte_strerror(-rc));
	return rc;
}

/* Family and protocol of each flow, from the seed and the flow's index (before the verdicts:
 * they depend on both). */
static void
assign_flows(const struct pg_opts *o, struct sc_flow *flows)
{
	unsigned int i;

	for (i = 0; i < o->flows; i++) {
		uint64_t h = sc_mix64(o->sc.seed * 0x100000001b3ULL + i);

		flows[i].v6 = (h % 100) < o->ipv6_pct;
		flows[i].proto = o->proto == PG_PROTO_TCP ||
				(o->proto == PG_PROTO_MIX && ((h >> 32) & 1) != 0) ?
			IPPROTO_TCP :
			IPPROTO_UDP;
	}
}

/* Queue q's lcore: the first q worker lcores, or (N lcores for N queues) the main lcore
 * takes queue 0 and the progress lines. @return 0, or -1 when EAL has too few lcores. */
static int
launch(struct pg_shared *sh, unsigned int *main_queue)
{
	unsigned int nb = sh->o->queues, q, lc, nworkers = rte_lcore_count() - 1;
	unsigned int first = nworkers >= nb ? 0 : 1;

	if (nworkers + 1 < nb) {
		fprintf(stderr, "podwall-bench: %u queues need %u lcores (EAL -l), have %u\n", nb,
			nb, nworkers + 1);
		return -1;
	}
	*main_queue = first == 1 ? 0 : UINT32_MAX;
	if (first == 1)
		sh->queues[0].reporter = true;
	q = first;
	RTE_LCORE_FOREACH_WORKER (lc) {
		if (q == nb)
			break;
		if (rte_eal_remote_launch(pg_queue_main, &sh->queues[q], lc) != 0) {
			fprintf(stderr, "podwall-bench: cannot launch lcore %u\n", lc);
			stop = 1;
			return -1;
		}
		q++;
	}
	return 0;
}

static void *
zalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);
	if (p == NULL)
		fprintf(stderr, "podwall-bench: out of memory\n");
	return p;
}

static unsigned int
pool_size(unsigned int nb_queues)
{
	/* Per queue: two rx rings of 1024, bursts in hand on both ports, the lcore's cache. */
	unsigned int want = nb_queues * (2 * 1024 + 4 * PG_MAX_BURST + 512), n = 16384;

	while (n - 1 < want)
		n *= 2;
	return n - 1;
}

/* Whether the lcores stopped (on a signal) before the measured phase began: each queue's
 * loop ends at its t_end. */
static bool
interrupted_early(const struct pg_shared *sh)
{
	unsigned int q;

	for (q = 0; q < sh->o->queues; q++)
		if (sh->queues[q].t_end >= sh->measure)
			return false;
	return true;
}

/* The phase of the time line that TSC @t falls in, before the measured one. */
static const char *
phase_name(const struct pg_shared *sh, uint64_t t)
{
	if (t < sh->warm_end)
		return "warm-up";
	if (t < sh->start)
		return "TCP handshakes";
	return "learning phase";
}

static bool
links_up(const struct pg_opts *o)
{
	struct rte_eth_link a, b;

	return rte_eth_link_get_nowait(o->tx_port, &a) == 0 &&
		rte_eth_link_get_nowait(o->rx_port, &b) == 0 && a.link_status && b.link_status;
}

/* Stop and close both ports (whatever state they reached: errors are of no use here). */
static void
ports_close(const struct pg_opts *o)
{
	(void)rte_eth_dev_stop(o->tx_port);
	(void)rte_eth_dev_stop(o->rx_port);
	(void)rte_eth_dev_close(o->tx_port);
	(void)rte_eth_dev_close(o->rx_port);
}

static int
run_traffic(const struct pg_opts *o)
{
	struct pg_shared sh;
	struct sc_flow_stats st;
	struct pg_result res;
	uint64_t hz = rte_get_tsc_hz(), t, denied;
	unsigned int i, main_queue = UINT32_MAX, nb_setup = 0, min_frame = 0;
	int rc = -1;

	memset(&sh, 0, sizeof(sh));
	memset(&res, 0, sizeof(res));
	if (rte_eth_dev_count_avail() < 2 || !rte_eth_dev_is_valid_port(o->tx_port) ||
		!rte_eth_dev_is_valid_port(o->rx_port) || o->tx_port == o->rx_port) {
		fprintf(stderr, "podwall-bench: needs two distinct ports (--tx-port, --rx-port)\n");
		return -1;
	}
	sh.o = o;
	sh.stop = &stop;
	sh.hz = hz;
	sh.ns_per_cycle = 1e9 / (double)hz;
	sh.mp = rte_pktmbuf_pool_create("bench", pool_size(o->queues), 256, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (sh.mp == NULL) {
		fprintf(stderr, "podwall-bench: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (port_setup(o->tx_port, o->queues, sh.mp) != 0 ||
		port_setup(o->rx_port, o->queues, sh.mp) != 0)
		goto out;

	sh.flows = zalloc(o->flows, sizeof(*sh.flows));
	sh.flow_tx = zalloc(o->flows, sizeof(uint64_t));
	sh.flow_rx = zalloc(o->flows, sizeof(uint64_t));
	sh.flow_rep_tx = zalloc(o->flows, sizeof(uint64_t));
	sh.flow_rep_rx = zalloc(o->flows, sizeof(uint64_t));
	sh.queues = rte_zmalloc("pg_queues", sizeof(*sh.queues) * o->queues, RTE_CACHE_LINE_SIZE);
	res.lat = zalloc(PG_LAT_BUCKETS, sizeof(uint64_t));
	if (o->bidir)
		res.rtt = zalloc(PG_LAT_BUCKETS, sizeof(uint64_t));
	if (sh.flows == NULL || sh.flow_tx == NULL || sh.flow_rx == NULL ||
		sh.flow_rep_tx == NULL || sh.flow_rep_rx == NULL || sh.queues == NULL ||
		res.lat == NULL || (o->bidir && res.rtt == NULL))
		goto out;
	for (i = 0; i < o->queues; i++) {
		struct pg_queue *q = &sh.queues[i];
		q->sh = &sh;
		q->q = i;
		q->nb_flows = (o->flows - i + o->queues - 1) / o->queues;
		q->lat = zalloc(PG_LAT_BUCKETS, sizeof(uint64_t));
		if (q->lat == NULL)
			goto out;
		if (o->bidir && (q->rtt = zalloc(PG_LAT_BUCKETS, sizeof(uint64_t))) == NULL)
			goto out;
	}
	assign_flows(o, sh.flows);
	if (sc_scenario_flows(o->scn, sh.flows, o->flows,
		    o->bidir && o->stateless ? SC_FLOWS_REPLIES : 0, &st) != 0) {
		fprintf(stderr, "podwall-bench: scenario flows: out of memory or too many ports\n");
		goto out;
	}
	printf("podwall-bench: %s scenario: %u flows in %.1f s (%" PRIu64 " candidates, %" PRIu64
	       " refeval calls)\n",
		o->sc.shapes == SC_SHAPES_RICH ? "rich" : "simple", o->flows, st.seconds,
		st.candidates, st.evaluations);
	if (st.unmet != 0)
		fprintf(stderr,
			"podwall-bench: the allowed share asked (%u%%) cannot be met: %u flows "
			"have the other verdict\n",
			o->sc.allowed_pct, st.unmet);
	for (i = 0; o->no_policy && i < o->flows; i++)
		sh.flows[i].allowed = 1; /* the DUT enforces nothing: every packet must arrive */
	for (i = 0; i < o->flows; i++) {
		res.nb_allowed_flows += sh.flows[i].allowed;
		nb_setup += sh.flows[i].proto == IPPROTO_TCP;
		if (pg_min_frame(&sh.flows[i]) > min_frame)
			min_frame = pg_min_frame(&sh.flows[i]);
	}
	sh.setup = nb_setup != 0 && !o->new_flows;
	sh.learning = o->learn > 0;
	printf("podwall-bench: %u flows (%u allowed by policy), %s frames, rate %s, %.1f s\n",
		o->flows, res.nb_allowed_flows, o->imix ? "IMIX" : "fixed-size",
		o->rate_mpps > 0 ? "limited" : "unlimited", o->seconds);
	if (sh.learning)
		printf("podwall-bench: learning phase of %.1f s first, counted apart\n", o->learn);
	printf("podwall-bench: %u queue(s), %s, %u%% IPv6, %s%s; frames at least %u bytes\n",
		o->queues, pg_proto_name(o->proto), o->ipv6_pct,
		o->bidir ? "bidirectional" : "one-way",
		o->bidir ? (o->stateless ? " (replies judged by policy)" :
					   " (replies of allowed flows expected)") :
			   "",
		min_frame);
	fflush(stdout);
	res.nb_allowed_flows = 0; /* pg_aggregate() counts them again */

	/* Link wait (memif: the peer may start after us): 60 s at most. A signal ends it (and
	 * the program) at once: nothing was sent, there is no result. */
	t = rte_rdtsc() + 60 * hz;
	while (!stop && !links_up(o)) {
		if (rte_rdtsc() >= t) {
			fprintf(stderr, "podwall-bench: links not up after 60 s, sending anyway\n");
			break;
		}
		rte_delay_us_sleep(10000);
	}
	if (stop) {
		fprintf(stderr, "podwall-bench: %s while waiting for the links: no result\n",
			strsignal(stop));
		rc = 128 + stop;
		goto out;
	}
	printf("podwall-bench: links up; %.1f s of warm-up before sending\n", o->warmup);
	fflush(stdout);

	/* The time line every queue follows. */
	t = rte_rdtsc();
	sh.warm_end = t + (uint64_t)(o->warmup * (double)hz);
	sh.start = sh.warm_end;
	if (sh.setup)
		sh.start +=
			(uint64_t)(((double)nb_setup / (o->setup_mpps * 1e6) + 0.5) * (double)hz);
	sh.measure = sh.start + (uint64_t)(o->learn * (double)hz);
	sh.end = sh.measure + (uint64_t)(o->seconds * (double)hz);
	sh.drain_end = sh.end + hz * 3 / 10;
	if (launch(&sh, &main_queue) != 0) {
		rte_eal_mp_wait_lcore();
		goto out;
	}
	if (main_queue != UINT32_MAX) {
		pg_queue_main(&sh.queues[main_queue]);
	} else {
		uint64_t next_report = sh.start + hz;

		while (__atomic_load_n(&sh.nb_done, __ATOMIC_ACQUIRE) < o->queues) {
			uint64_t now = rte_rdtsc();
			if (!o->quiet && now >= next_report && now < sh.end) {
				pg_progress(sh.queues, o->queues, now);
				next_report += hz;
			}
			rte_delay_us_sleep(10000);
		}
	}
	rte_eal_mp_wait_lcore();

	if (stop && interrupted_early(&sh)) {
		fprintf(stderr, "podwall-bench: %s during the %s: no measured result\n",
			strsignal(stop), phase_name(&sh, sh.queues[0].t_end));
		rc = 128 + stop;
		goto out;
	}
	pg_aggregate(&sh, &res);
	pg_print_report(&sh, &res);
	if (o->json != NULL && pg_write_json(&sh, &res) != 0)
		goto out;
	/* Keep the links up while the harness reads the DUT's counters. */
	t = rte_rdtsc() + (uint64_t)(o->hold * (double)hz);
	while (!stop && rte_rdtsc() < t)
		pg_drain_all(&sh, o->queues);
	denied = res.all.rx_denied + res.all.rep_rx_denied + res.learn.rx_denied +
		res.learn.rep_rx_denied;
	rc = denied != 0 ? 2 : 0;
out:
	ports_close(o);
	for (i = 0; sh.queues != NULL && i < o->queues; i++) {
		free(sh.queues[i].lat);
		free(sh.queues[i].rtt);
	}
	rte_free(sh.queues);
	free(sh.flows);
	free(sh.flow_tx);
	free(sh.flow_rx);
	free(sh.flow_rep_tx);
	free(sh.flow_rep_rx);
	free(res.lat);
	free(res.rtt);
	return rc;
}

int
main(int argc, char **argv)
{
	struct pg_opts o;
	char err[1024];
	int i, dashdash = -1, rc;

	memset(&o, 0, sizeof(o));
	o.sc.nb_pods = 1000;
	o.sc.nb_ns = 10;
	o.sc.nb_apps = 10;
	o.sc.nb_policies = 100;
	o.sc.allowed_pct = 80;
	o.sc.seed = 1;
	o.sc.shapes = SC_SHAPES_RICH;
	o.flows = 1024;
	o.size = 64;
	o.seconds = 10;
	o.burst = 32;
	o.catch_up = 8;
	o.tx_port = 0;
	o.rx_port = 1;
	o.queues = 1;
	o.setup_mpps = 1.0;
	o.proto = PG_PROTO_UDP;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashdash = i;
			break;
		}
	if (dashdash < 0) {
		/* No EAL arguments: only --write-scenario (or --help) makes sense. */
		if (parse_opts(argc, argv, &o) != 0)
			return 1;
		if (o.write_dir == NULL) {
			fprintf(stderr,
				"podwall-bench: EAL arguments and '--' are needed to run\n");
			return 1;
		}
		return sc_write(&o.sc, o.write_dir) == 0 ? 0 : 1;
	}
	argv[dashdash] = argv[0];
	if (parse_opts(argc - dashdash, argv + dashdash, &o) != 0)
		return 1;
	/* Writes the manifests (into --write-scenario DIR, else a temporary directory) and,
	 * for the rich shape, decodes them for the verdicts. */
	rc = sc_scenario_create(&o.sc, o.write_dir, &o.scn, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "podwall-bench: scenario: %s\n", err);
		return 1;
	}
	rc = rte_eal_init(dashdash, argv);
	if (rc < 0) {
		fprintf(stderr, "podwall-bench: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = run_traffic(&o);
	rte_eal_cleanup();
	sc_scenario_free(o.scn);
	/* 0; 2: a denied packet arrived; 128 + signal: interrupted before the measured phase. */
	return rc == 0 || rc == 2 || rc > 128 ? rc : 1;
}
