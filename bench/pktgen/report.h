/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall-bench's report: the progress lines during the run, the run's totals over every
 * queue, the text report on stdout and the JSON summary (bench/README.md, "podwall-bench").
 */
#ifndef PW_BENCH_REPORT_H
#define PW_BENCH_REPORT_H

#include <stdint.h>

#include "gen.h"

/* The run's totals, over every queue. */
struct pg_result {
	struct pg_counters all;	  /* everything measured (without --learn: the handshakes too) */
	struct pg_counters run;	  /* start..end (measure..end with --learn): rates */
	struct pg_counters learn; /* --learn: the handshakes and learning, late arrivals too */
	double secs;		  /* of the measured phase */
	double first_refused_s;	  /* since sending started (negative: handshakes); NAN: none */
	uint64_t missing, rep_missing;
	unsigned int lost_flows[PG_REPORT_FLOWS], nb_lost_flows;
	unsigned int rep_lost_flows[PG_REPORT_FLOWS], nb_rep_lost_flows;
	unsigned int nb_allowed_flows;
	uint64_t *lat, *rtt;
	uint64_t lat_max_ns, rtt_max_ns;
};

/** "udp", "tcp" or "mix". */
const char *pg_proto_name(enum pg_proto p);

/** Sum every queue's counters, latencies and per-flow losses into @p res (zeroed first by
 * the caller, its lat/rtt histograms allocated). */
void pg_aggregate(const struct pg_shared *sh, struct pg_result *res);

/** The text report, on stdout. */
void pg_print_report(const struct pg_shared *sh, const struct pg_result *r);

/** The JSON summary, to --json. @return 0, or -1 when it cannot be written */
int pg_write_json(const struct pg_shared *sh, const struct pg_result *r);

/** Print one progress line to stderr (called by the reporting lcore about once a second). */
void pg_progress(struct pg_queue *qs, unsigned int nb, uint64_t now);

/** Latency percentile in microseconds of histogram @p h (NAN when empty). */
double pg_lat_pct(const uint64_t *h, double pct);

#endif /* PW_BENCH_REPORT_H */
