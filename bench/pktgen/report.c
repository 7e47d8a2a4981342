/* SPDX-License-Identifier: Apache-2.0 */
/* podwall-bench's report: see report.h. */
#include "report.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

const char *
pg_proto_name(enum pg_proto p)
{
	return p == PG_PROTO_TCP ? "tcp" : p == PG_PROTO_MIX ? "mix" : "udp";
}

static void
ip_str(const struct sc_flow *f, bool src, char *buf, size_t len)
{
	uint32_t ip = src ? f->src_ip : f->dst_ip;
	char s[INET6_ADDRSTRLEN];
	uint8_t a[16];

	if (!f->v6) {
		snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
			ip & 255);
		return;
	}
	/* A pod's address, or an outside one (the rich shape's ipBlock destinations). */
	sc_pod_ip6(src ? f->src_pod : f->dst_pod, a);
	snprintf(buf, len, "[%s]", inet_ntop(AF_INET6, a, s, sizeof(s)) != NULL ? s : "?");
}

static void
flow_str(const struct sc_flow *f, char *buf, size_t len)
{
	char s[48], d[48];
	ip_str(f, true, s, sizeof(s));
	ip_str(f, false, d, sizeof(d));
	snprintf(buf, len, "%s %s:%u -> %s:%u", f->proto == IPPROTO_TCP ? "tcp" : "udp", s,
		f->sport, d, f->dport);
}

static void
json_num(FILE *f, const char *key, double v, bool comma)
{
	if (isnan(v))
		fprintf(f, "  \"%s\": null%s\n", key, comma ? "," : "");
	else
		fprintf(f, "  \"%s\": %.6g%s\n", key, v, comma ? "," : "");
}

/* A count, exactly (json_num()'s %.6g would round counts above a million). */
static void
json_u64(FILE *f, const char *key, uint64_t v, bool comma)
{
	fprintf(f, "  \"%s\": %" PRIu64 "%s\n", key, v, comma ? "," : "");
}

#define NB_CTR (sizeof(struct pg_counters) / sizeof(uint64_t))

static void
ctr_acc(struct pg_counters *sum, const struct pg_counters *a, const struct pg_counters *b)
{
	const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
	uint64_t *ps = (uint64_t *)sum;
	size_t i;

	for (i = 0; i < NB_CTR; i++)
		ps[i] += pa[i] - (pb != NULL ? pb[i] : 0);
}

void
pg_aggregate(const struct pg_shared *sh, struct pg_result *res)
{
	const struct pg_opts *o = sh->o;
	uint64_t t_end = sh->measure, first_refused = 0;
	unsigned int q, i;
	size_t b;

	for (q = 0; q < o->queues; q++) {
		const struct pg_queue *qq = &sh->queues[q];

		ctr_acc(&res->all, &qq->c, NULL);
		ctr_acc(&res->run, &qq->c, &qq->c0);
		ctr_acc(&res->learn, &qq->learn, NULL);
		if (qq->t_end > t_end)
			t_end = qq->t_end;
		if (qq->first_refused != 0 &&
			(first_refused == 0 || qq->first_refused < first_refused))
			first_refused = qq->first_refused;
		for (b = 0; b < PG_LAT_BUCKETS; b++) {
			res->lat[b] += qq->lat[b];
			if (res->rtt != NULL)
				res->rtt[b] += qq->rtt[b];
		}
		if (qq->lat_max_ns > res->lat_max_ns)
			res->lat_max_ns = qq->lat_max_ns;
		if (qq->rtt_max_ns > res->rtt_max_ns)
			res->rtt_max_ns = qq->rtt_max_ns;
	}
	res->secs = (double)(t_end - sh->measure) / (double)sh->hz;
	res->first_refused_s = first_refused == 0 ?
		NAN :
		(double)(int64_t)(first_refused - sh->start) / (double)sh->hz;
	for (i = 0; i < o->flows; i++) {
		res->nb_allowed_flows += sh->flows[i].allowed;
		if (!sh->flows[i].allowed || sh->flow_tx[i] == 0)
			continue;
		if (sh->flow_rx[i] < sh->flow_tx[i])
			res->missing += sh->flow_tx[i] - sh->flow_rx[i];
		if (sh->flow_rx[i] == 0 && res->nb_lost_flows < PG_REPORT_FLOWS)
			res->lost_flows[res->nb_lost_flows++] = i;
		/* With connection tracking every reply of an allowed flow must come back. */
		if (o->bidir && !o->stateless && sh->flow_rep_tx[i] != 0 &&
			sh->flow_rep_rx[i] == 0 && res->nb_rep_lost_flows < PG_REPORT_FLOWS)
			res->rep_lost_flows[res->nb_rep_lost_flows++] = i;
	}
	if (res->all.rep_tx_allowed > res->all.rep_rx_allowed)
		res->rep_missing = res->all.rep_tx_allowed - res->all.rep_rx_allowed;
}

static double
mpps(uint64_t n, double secs)
{
	return secs > 0 ? (double)n / secs / 1e6 : 0;
}

static double
gbps(uint64_t bytes, double secs)
{
	return secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0;
}

static double
pct(uint64_t part, uint64_t whole)
{
	return whole != 0 ? 100.0 * (double)part / (double)whole : 0.0;
}

/* Allowed packets sent before the measured phase that never arrived. */
static uint64_t
learn_lost(const struct pg_counters *l)
{
	return l->tx_allowed > l->rx_allowed ? l->tx_allowed - l->rx_allowed : 0;
}

void
pg_print_report(const struct pg_shared *sh, const struct pg_result *r)
{
	const struct pg_opts *o = sh->o;
	const struct pg_counters *a = &r->all, *n = &r->run, *l = &r->learn;
	char buf[160];
	unsigned int i, q;

	if (sh->learning)
		printf("learning %.1f s (handshakes included): tx %" PRIu64 " (%" PRIu64
		       " allowed), tx-fail %" PRIu64 " (%" PRIu64 " allowed, %" PRIu64
		       " denied); rx %" PRIu64 " (%" PRIu64 " allowed, %" PRIu64
		       " of them after the learning phase); allowed lost %" PRIu64
		       ", denied that arrived %" PRIu64 "\n",
			o->learn, l->tx, l->tx_allowed, l->tx_fail, l->tx_fail_allowed,
			l->tx_fail - l->tx_fail_allowed, l->rx, l->rx_allowed, l->late_learning,
			learn_lost(l), l->rx_denied + l->rep_rx_denied);
	printf("tx %" PRIu64 " pkts (%" PRIu64 " allowed, %" PRIu64
	       " handshake), %.3f Mpps, %.3f Gbps; tx-fail %" PRIu64 " (%" PRIu64
	       " allowed, %" PRIu64 " denied)\n",
		a->tx, a->tx_allowed, a->setup_tx, mpps(n->tx, r->secs), gbps(n->tx_bytes, r->secs),
		a->tx_fail, a->tx_fail_allowed, a->tx_fail - a->tx_fail_allowed);
	if (!isnan(r->first_refused_s))
		printf("first refused packet %.3f s after sending started\n", r->first_refused_s);
	if (o->rate_mpps > 0)
		printf("pacing: %" PRIu64 " late slots skipped (%" PRIu64
		       " packets not offered: the generator itself was late)\n",
			a->late_slots, a->late_slots * o->burst);
	printf("rx %" PRIu64 " pkts, %.3f Mpps, %.3f Gbps; allowed %" PRIu64
	       ", allowed lost %" PRIu64 " (%.3f%%), denied that arrived %" PRIu64 "\n",
		a->rx, mpps(n->rx, r->secs), gbps(n->rx_bytes, r->secs), a->rx_allowed, r->missing,
		pct(r->missing, a->tx_allowed), a->rx_denied);
	printf("latency us: p50 %.1f p99 %.1f p99.9 %.1f max %.1f\n", pg_lat_pct(r->lat, 50),
		pg_lat_pct(r->lat, 99), pg_lat_pct(r->lat, 99.9), (double)r->lat_max_ns / 1000.0);
	if (o->bidir) {
		printf("replies: tx %" PRIu64 " (%" PRIu64 " allowed), %.3f Mpps; tx-fail %" PRIu64
		       "; rx %" PRIu64 ", %.3f Mpps, %.3f Gbps; allowed lost %" PRIu64
		       " (%.3f%%), denied that arrived %" PRIu64 "\n",
			a->rep_tx, a->rep_tx_allowed, mpps(n->rep_tx, r->secs), a->rep_tx_fail,
			a->rep_rx, mpps(n->rep_rx, r->secs), gbps(n->rep_rx_bytes, r->secs),
			r->rep_missing, pct(r->rep_missing, a->rep_tx_allowed), a->rep_rx_denied);
		printf("round trip us: p50 %.1f p99 %.1f p99.9 %.1f max %.1f\n",
			pg_lat_pct(r->rtt, 50), pg_lat_pct(r->rtt, 99), pg_lat_pct(r->rtt, 99.9),
			(double)r->rtt_max_ns / 1000.0);
	}
	if (o->queues > 1)
		for (q = 0; q < o->queues; q++) {
			struct pg_counters d;
			memset(&d, 0, sizeof(d));
			ctr_acc(&d, &sh->queues[q].c, &sh->queues[q].c0);
			printf("queue %u: tx %.3f Mpps rx %.3f Mpps replies-rx %.3f Mpps\n", q,
				mpps(d.tx, r->secs), mpps(d.rx, r->secs), mpps(d.rep_rx, r->secs));
		}
	if (a->rx_wrong_queue != 0)
		printf("ERROR %" PRIu64 " packets came back on another queue than they were sent "
		       "on\n",
			a->rx_wrong_queue);
	for (q = 0; q < o->queues; q++)
		for (i = 0; i < sh->queues[q].nb_denied_seen; i++) {
			flow_str(&sh->flows[sh->queues[q].denied_seen[i]], buf, sizeof(buf));
			printf("ERROR denied flow arrived: #%u %s\n", sh->queues[q].denied_seen[i],
				buf);
		}
	for (i = 0; i < r->nb_lost_flows; i++) {
		flow_str(&sh->flows[r->lost_flows[i]], buf, sizeof(buf));
		printf("ERROR allowed flow never arrived: #%u %s (%" PRIu64 " sent)\n",
			r->lost_flows[i], buf, sh->flow_tx[r->lost_flows[i]]);
	}
	for (i = 0; i < r->nb_rep_lost_flows; i++) {
		flow_str(&sh->flows[r->rep_lost_flows[i]], buf, sizeof(buf));
		printf("ERROR replies of allowed flow never arrived: #%u %s (%" PRIu64 " sent)\n",
			r->rep_lost_flows[i], buf, sh->flow_rep_tx[r->rep_lost_flows[i]]);
	}
	fflush(stdout);
}

int
pg_write_json(const struct pg_shared *sh, const struct pg_result *r)
{
	const struct pg_opts *o = sh->o;
	const struct pg_counters *a = &r->all, *n = &r->run;
	FILE *f = fopen(o->json, "w");
	unsigned int q;

	if (f == NULL) {
		perror(o->json);
		return -1;
	}
	fprintf(f, "{\n");
	json_num(f, "seconds", r->secs, true);
	json_num(f, "learn_s", o->learn, true);
	json_num(f, "catch_up_bursts", o->catch_up, true);
	fprintf(f, "  \"shapes\": \"%s\",\n", o->sc.shapes == SC_SHAPES_RICH ? "rich" : "simple");
	if (sh->learning) {
		const struct pg_counters *l = &r->learn;

		/* Everything before the measured phase (the TCP handshakes and the learning
		 * seconds), with what was sent then and arrived later. */
		fprintf(f,
			"  \"learn\": {\"sent\": %" PRIu64 ", \"sent_allowed\": %" PRIu64
			", \"handshake\": %" PRIu64 ", \"received\": %" PRIu64
			", \"received_allowed\": %" PRIu64 ", \"refused\": %" PRIu64
			", \"refused_allowed\": %" PRIu64 ", \"refused_denied\": %" PRIu64
			", \"lost\": %" PRIu64 ", \"denied_arrived\": %" PRIu64
			", \"reply_denied_arrived\": %" PRIu64 ", \"wrong_queue\": %" PRIu64
			", \"late_learning\": %" PRIu64 ", \"late_slots\": %" PRIu64 "},\n",
			l->tx, l->tx_allowed, l->setup_tx, l->rx, l->rx_allowed, l->tx_fail,
			l->tx_fail_allowed, l->tx_fail - l->tx_fail_allowed, learn_lost(l),
			l->rx_denied, l->rep_rx_denied, l->rx_wrong_queue, l->late_learning,
			l->late_slots);
	} else {
		fprintf(f, "  \"learn\": null,\n");
	}
	json_num(f, "flows", o->flows, true);
	json_num(f, "allowed_flows", r->nb_allowed_flows, true);
	json_num(f, "frame_size", o->imix ? 0 : o->size, true);
	fprintf(f, "  \"imix\": %s,\n  \"new_flows\": %s,\n", o->imix ? "true" : "false",
		o->new_flows ? "true" : "false");
	fprintf(f, "  \"proto\": \"%s\",\n  \"bidir\": %s,\n  \"stateless\": %s,\n",
		pg_proto_name(o->proto), o->bidir ? "true" : "false",
		o->stateless ? "true" : "false");
	json_num(f, "ipv6_pct", o->ipv6_pct, true);
	json_num(f, "queues", o->queues, true);
	json_num(f, "rate_mpps_asked", o->rate_mpps, true);
	json_u64(f, "tx_packets", a->tx, true);
	json_u64(f, "tx_allowed", a->tx_allowed, true);
	json_u64(f, "tx_handshake", a->setup_tx, true);
	json_u64(f, "tx_fail", a->tx_fail, true);
	json_u64(f, "refused_allowed", a->tx_fail_allowed, true);
	json_u64(f, "refused_denied", a->tx_fail - a->tx_fail_allowed, true);
	json_num(f, "first_refused_s", r->first_refused_s, true);
	json_u64(f, "late_slots", a->late_slots, true);
	json_u64(f, "late_packets", a->late_slots * o->burst, true);
	json_num(f, "tx_mpps", mpps(n->tx, r->secs), true);
	json_num(f, "tx_gbps", gbps(n->tx_bytes, r->secs), true);
	json_u64(f, "rx_packets", a->rx, true);
	json_u64(f, "rx_allowed", a->rx_allowed, true);
	json_u64(f, "rx_denied", a->rx_denied, true);
	json_u64(f, "rx_foreign", a->rx_foreign, true);
	json_u64(f, "rx_wrong_queue", a->rx_wrong_queue, true);
	json_num(f, "rx_mpps", mpps(n->rx, r->secs), true);
	json_num(f, "rx_gbps", gbps(n->rx_bytes, r->secs), true);
	json_u64(f, "allowed_lost", r->missing, true);
	json_num(f, "allowed_loss_pct", pct(r->missing, a->tx_allowed), true);
	json_num(f, "allowed_flows_never_arrived", r->nb_lost_flows, true);
	json_u64(f, "reply_tx_packets", a->rep_tx, true);
	json_u64(f, "reply_tx_allowed", a->rep_tx_allowed, true);
	json_u64(f, "reply_tx_fail", a->rep_tx_fail, true);
	json_u64(f, "reply_rx_packets", a->rep_rx, true);
	json_u64(f, "reply_rx_denied", a->rep_rx_denied, true);
	json_num(f, "reply_rx_mpps", mpps(n->rep_rx, r->secs), true);
	json_u64(f, "reply_allowed_lost", r->rep_missing, true);
	json_num(f, "rtt_p50_us", pg_lat_pct(r->rtt, 50), true);
	json_num(f, "rtt_p99_us", pg_lat_pct(r->rtt, 99), true);
	fprintf(f, "  \"per_queue\": [");
	for (q = 0; q < o->queues; q++) {
		struct pg_counters d;
		memset(&d, 0, sizeof(d));
		ctr_acc(&d, &sh->queues[q].c, &sh->queues[q].c0);
		fprintf(f, "%s{\"tx_mpps\": %.6g, \"rx_mpps\": %.6g, \"reply_rx_mpps\": %.6g}",
			q ? ", " : "", mpps(d.tx, r->secs), mpps(d.rx, r->secs),
			mpps(d.rep_rx, r->secs));
	}
	fprintf(f, "],\n");
	json_num(f, "latency_p50_us", pg_lat_pct(r->lat, 50), true);
	json_num(f, "latency_p99_us", pg_lat_pct(r->lat, 99), true);
	json_num(f, "latency_p999_us", pg_lat_pct(r->lat, 99.9), true);
	json_num(f, "latency_max_us", (double)r->lat_max_ns / 1000.0, false);
	fprintf(f, "}\n");
	return fclose(f) == 0 ? 0 : -1;
}

void
pg_progress(struct pg_queue *qs, unsigned int nb, uint64_t now)
{
	static uint64_t last_t, last_tx, last_rx, last_rep, last_fail, last_late;
	const struct pg_shared *sh = qs[0].sh;
	uint64_t tx = 0, rx = 0, rep = 0, denied = 0, fail = 0, late = 0;
	uint64_t t0 = 0, r0 = 0, p0 = 0, f0 = 0, l0 = 0;
	char reps[48] = "";
	double dt;
	unsigned int i;

	for (i = 0; i < nb; i++) {
		tx += __atomic_load_n(&qs[i].pub_tx, __ATOMIC_RELAXED);
		rx += __atomic_load_n(&qs[i].pub_rx, __ATOMIC_RELAXED);
		rep += __atomic_load_n(&qs[i].pub_rep_rx, __ATOMIC_RELAXED);
		denied += __atomic_load_n(&qs[i].pub_denied, __ATOMIC_RELAXED);
		fail += __atomic_load_n(&qs[i].pub_fail, __ATOMIC_RELAXED);
		late += __atomic_load_n(&qs[i].pub_late, __ATOMIC_RELAXED);
		t0 += __atomic_load_n(&qs[i].pub0_tx, __ATOMIC_RELAXED);
		r0 += __atomic_load_n(&qs[i].pub0_rx, __ATOMIC_RELAXED);
		p0 += __atomic_load_n(&qs[i].pub0_rep_rx, __ATOMIC_RELAXED);
		f0 += __atomic_load_n(&qs[i].pub0_fail, __ATOMIC_RELAXED);
		l0 += __atomic_load_n(&qs[i].pub0_late, __ATOMIC_RELAXED);
	}
	if (last_t == 0) {
		last_t = sh->start;
		last_tx = t0;
		last_rx = r0;
		last_rep = p0;
		last_fail = f0;
		last_late = l0;
	}
	dt = (double)(now - last_t) / (double)sh->hz;
	if (dt <= 0)
		return;
	if (sh->o->bidir)
		snprintf(reps, sizeof(reps), " replies-rx %.3f Mpps",
			(double)(rep - last_rep) / dt / 1e6);
	/* Seconds since sending started, learning included; refusals and late (skipped) pacer
	 * slots are counts over this line's interval, marked learning when any of it was. */
	fprintf(stderr,
		"[%4.0fs/%.0fs] tx %.3f Mpps rx %.3f Mpps%s denied-rx %" PRIu64
		" tx-refused %" PRIu64 " late-slots %" PRIu64 "%s\n",
		(double)(now - sh->start) / (double)sh->hz, sh->o->learn + sh->o->seconds,
		(double)(tx - last_tx) / dt / 1e6, (double)(rx - last_rx) / dt / 1e6, reps, denied,
		fail - last_fail, late - last_late, last_t < sh->measure ? " learning" : "");
	last_t = now;
	last_tx = tx;
	last_rx = rx;
	last_rep = rep;
	last_fail = fail;
	last_late = late;
}

double
pg_lat_pct(const uint64_t *h, double pct)
{
	uint64_t total = 0, acc = 0, want;
	unsigned int i;

	if (h == NULL)
		return NAN;
	for (i = 0; i < PG_LAT_BUCKETS; i++)
		total += h[i];
	if (total == 0)
		return NAN;
	want = (uint64_t)ceil((double)total * pct / 100.0);
	for (i = 0; i < PG_LAT_BUCKETS; i++) {
		acc += h[i];
		if (acc >= want)
			return (i + 0.5) * PG_LAT_BUCKET_NS / 1000.0;
	}
	return NAN;
}
