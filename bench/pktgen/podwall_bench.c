/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall-bench: a DPDK packet generator that sends a scenario's flows on one port and
 * receives what the device under test forwards on another, checking every packet's verdict
 * (bench/README.md, "Packet generator and harness").
 *
 *   podwall-bench [EAL args] -- [options]
 *   podwall-bench --write-scenario DIR [scenario options]   (no EAL)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "scenario.h"

#define MAGIC 0xb7
#define HDR_LEN \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr))
#define LAT_BUCKET_NS 100
#define LAT_BUCKETS 1000000 /* 100 ms at 0.1 us */
#define MAX_BURST 256
#define REPORT_FLOWS 5

/* After the UDP header; fits a 64-byte frame (60 bytes without the FCS). */
struct __rte_packed bench_payload {
	uint64_t tsc;
	uint32_t seq;
	uint32_t flow;
	uint8_t magic;
	uint8_t allowed;
};

struct opts {
	struct sc_params sc;
	const char *write_dir;
	const char *json;
	unsigned int flows;
	unsigned int size;
	bool imix;
	bool new_flows;
	bool no_policy;
	double rate_mpps;
	double seconds;
	double warmup;
	double hold;
	unsigned int burst;
	uint16_t tx_port;
	uint16_t rx_port;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *out)
{
	fprintf(out,
		"usage: podwall-bench [EAL args] -- [options]\n"
		"       podwall-bench --write-scenario DIR [scenario options]\n"
		"scenario: --pods N (1000) --namespaces K (10) --apps A (10) --policies M (100)\n"
		"          --allowed PCT (80) --seed S (1)\n"
		"traffic:  --flows F (1024) --new (every packet a new flow) --size B (64..1518, "
		"64)\n"
		"          --imix (64:570:1518 = 7:4:1) --rate MPPS (0 = as fast as possible)\n"
		"          --seconds S (10) --burst N (32) --tx-port P (0) --rx-port P (1)\n"
		"          --warmup S (0: seconds after link-up before sending)\n"
		"          --hold S (0: seconds to keep the links up after writing the JSON)\n"
		"          --no-policy (the DUT allows all: expect every packet) --json FILE\n");
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "pods", required_argument, NULL, 'p' },
		{ "namespaces", required_argument, NULL, 'K' },
		{ "apps", required_argument, NULL, 'A' },
		{ "policies", required_argument, NULL, 'M' },
		{ "allowed", required_argument, NULL, 'a' },
		{ "seed", required_argument, NULL, 'S' },
		{ "flows", required_argument, NULL, 'f' },
		{ "new", no_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'W' },
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
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || sc_normalize(&o->sc) != 0 || o->flows == 0 || o->size < 64 ||
		o->size > 1518 || o->burst == 0 || o->burst > MAX_BURST || o->seconds <= 0 ||
		o->rate_mpps < 0) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int
port_setup(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, 1024, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		fprintf(stderr, "port %u: setup failed: %s\n", port, rte_strerror(-rc));
	return rc;
}

struct counters {
	uint64_t tx, tx_bytes, tx_allowed, tx_fail;
	uint64_t rx, rx_bytes, rx_allowed, rx_denied, rx_foreign;
};

struct run {
	const struct opts *o;
	struct sc_flow *flows;
	uint64_t *flow_tx;
	uint64_t *flow_rx;
	uint64_t *lat; /* histogram */
	uint64_t lat_max_ns;
	unsigned int denied_seen[REPORT_FLOWS];
	unsigned int nb_denied_seen;
	struct counters c;
	uint32_t seq;
	unsigned int next_flow;
	uint32_t pass;
	unsigned int imix_i;
};

static unsigned int
frame_size(struct run *r)
{
	static const unsigned int imix[12] = { 64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 570,
		64 };
	if (!r->o->imix)
		return r->o->size;
	return imix[r->imix_i++ % 12];
}

static void
build(struct run *r, struct rte_mbuf *m, uint64_t now)
{
	unsigned int fi = r->next_flow;
	const struct sc_flow *f = &r->flows[fi];
	unsigned int len = frame_size(r) - RTE_ETHER_CRC_LEN;
	char *p = rte_pktmbuf_append(m, (uint16_t)len);
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)p;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	struct bench_payload *pl = (struct bench_payload *)(udp + 1);
	uint16_t sport = f->sport;

	if (r->o->new_flows)
		sport = (uint16_t)(1024 + (f->sport - 1024 + r->pass * 7919u) % 64000);
	memset(eth, 0, sizeof(*eth));
	eth->dst_addr.addr_bytes[0] = 0x02;
	eth->dst_addr.addr_bytes[5] = 0x02;
	eth->src_addr.addr_bytes[0] = 0x02;
	eth->src_addr.addr_bytes[5] = 0x01;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth)));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(f->src_ip);
	ip->dst_addr = rte_cpu_to_be_32(f->dst_ip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = rte_cpu_to_be_16(sport);
	udp->dst_port = rte_cpu_to_be_16(f->dport);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eth) - sizeof(*ip)));
	udp->dgram_cksum = 0;
	pl->tsc = now;
	pl->seq = r->seq++;
	pl->flow = fi;
	pl->magic = MAGIC;
	pl->allowed = f->allowed;
	if (++r->next_flow == r->o->flows) {
		r->next_flow = 0;
		r->pass++;
	}
}

static unsigned int
send_burst(struct run *r, struct rte_mempool *mp, uint64_t now)
{
	struct rte_mbuf *m[MAX_BURST];
	unsigned int n = r->o->burst, i, sent;

	if (rte_pktmbuf_alloc_bulk(mp, m, n) != 0) {
		r->c.tx_fail += n;
		return 0;
	}
	for (i = 0; i < n; i++)
		build(r, m[i], now);
	sent = rte_eth_tx_burst(r->o->tx_port, 0, m, (uint16_t)n);
	for (i = 0; i < sent; i++) {
		struct bench_payload *pl =
			rte_pktmbuf_mtod_offset(m[i], struct bench_payload *, HDR_LEN);
		r->flow_tx[pl->flow]++;
		r->c.tx_allowed += pl->allowed;
		r->c.tx_bytes += m[i]->pkt_len + RTE_ETHER_CRC_LEN;
	}
	r->c.tx += sent;
	if (sent < n) {
		r->c.tx_fail += n - sent;
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	}
	return sent;
}

static void
recv_burst(struct run *r, uint16_t port, double ns_per_cycle)
{
	struct rte_mbuf *m[MAX_BURST];
	uint16_t n = rte_eth_rx_burst(port, 0, m, MAX_BURST), i;
	uint64_t now = rte_rdtsc();

	for (i = 0; i < n; i++) {
		const struct bench_payload *pl;
		uint64_t ns;

		if (m[i]->pkt_len < HDR_LEN + sizeof(*pl) || port != r->o->rx_port) {
			r->c.rx_foreign++;
			continue;
		}
		pl = rte_pktmbuf_mtod_offset(m[i], const struct bench_payload *, HDR_LEN);
		if (pl->magic != MAGIC || pl->flow >= r->o->flows) {
			r->c.rx_foreign++;
			continue;
		}
		r->c.rx++;
		r->c.rx_bytes += m[i]->pkt_len + RTE_ETHER_CRC_LEN;
		r->flow_rx[pl->flow]++;
		if (pl->allowed) {
			r->c.rx_allowed++;
		} else {
			r->c.rx_denied++;
			if (r->nb_denied_seen < REPORT_FLOWS &&
				(r->nb_denied_seen == 0 ||
					r->denied_seen[r->nb_denied_seen - 1] != pl->flow))
				r->denied_seen[r->nb_denied_seen++] = pl->flow;
		}
		ns = (uint64_t)((double)(now - pl->tsc) * ns_per_cycle);
		if (ns > r->lat_max_ns)
			r->lat_max_ns = ns;
		r->lat[ns / LAT_BUCKET_NS < LAT_BUCKETS ? ns / LAT_BUCKET_NS : LAT_BUCKETS - 1]++;
	}
	rte_pktmbuf_free_bulk(m, n);
}

static double
lat_pct(const struct run *r, double pct)
{
	uint64_t total = 0, acc = 0, want;
	unsigned int i;

	for (i = 0; i < LAT_BUCKETS; i++)
		total += r->lat[i];
	if (total == 0)
		return NAN;
	want = (uint64_t)ceil((double)total * pct / 100.0);
	for (i = 0; i < LAT_BUCKETS; i++) {
		acc += r->lat[i];
		if (acc >= want)
			return (i + 0.5) * LAT_BUCKET_NS / 1000.0;
	}
	return NAN;
}

static void
ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

static void
flow_str(const struct sc_flow *f, char *buf, size_t len)
{
	char s[16], d[16];
	ip_str(f->src_ip, s, sizeof(s));
	ip_str(f->dst_ip, d, sizeof(d));
	snprintf(buf, len, "udp %s:%u -> %s:%u", s, f->sport, d, f->dport);
}

static void
json_num(FILE *f, const char *key, double v, bool comma)
{
	if (isnan(v))
		fprintf(f, "  \"%s\": null%s\n", key, comma ? "," : "");
	else
		fprintf(f, "  \"%s\": %.6g%s\n", key, v, comma ? "," : "");
}

static int
run_traffic(const struct opts *o)
{
	struct rte_mempool *mp;
	struct run r;
	uint64_t hz = rte_get_tsc_hz(), start, end, now, next_tx, next_report, last_rx = 0;
	uint64_t drain_end, interval = 0, missing = 0, lost_flows[REPORT_FLOWS];
	unsigned int nb_lost_flows = 0, i, nb_allowed_flows = 0;
	double ns_per_cycle = 1e9 / (double)hz, secs, p50, p99, p999;
	char buf[96];

	if (rte_eth_dev_count_avail() < 2 || !rte_eth_dev_is_valid_port(o->tx_port) ||
		!rte_eth_dev_is_valid_port(o->rx_port) || o->tx_port == o->rx_port) {
		fprintf(stderr, "podwall-bench: needs two distinct ports (--tx-port, --rx-port)\n");
		return -1;
	}
	mp = rte_pktmbuf_pool_create(
		"bench", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "podwall-bench: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if (port_setup(o->tx_port, mp) != 0 || port_setup(o->rx_port, mp) != 0)
		return -1;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.flows = calloc(o->flows, sizeof(*r.flows));
	r.flow_tx = calloc(o->flows, sizeof(uint64_t));
	r.flow_rx = calloc(o->flows, sizeof(uint64_t));
	r.lat = calloc(LAT_BUCKETS, sizeof(uint64_t));
	if (r.flows == NULL || r.flow_tx == NULL || r.flow_rx == NULL || r.lat == NULL) {
		fprintf(stderr, "podwall-bench: out of memory\n");
		return -1;
	}
	sc_flows(&o->sc, r.flows, o->flows);
	if (o->no_policy) /* the DUT enforces nothing: every packet must arrive */
		for (i = 0; i < o->flows; i++)
			r.flows[i].allowed = 1;
	for (i = 0; i < o->flows; i++)
		nb_allowed_flows += r.flows[i].allowed;
	printf("podwall-bench: %u flows (%u allowed by policy), %s frames, rate %s, %.1f s\n",
		o->flows, nb_allowed_flows, o->imix ? "IMIX" : "fixed-size",
		o->rate_mpps > 0 ? "limited" : "unlimited", o->seconds);
	fflush(stdout);
	if (o->rate_mpps > 0)
		interval = (uint64_t)((double)hz * o->burst / (o->rate_mpps * 1e6));

	/* Link wait (memif: the peer may start after us): 60 s at most. */
	for (i = 0; i < 600; i++) {
		struct rte_eth_link a, b;
		if (rte_eth_link_get_nowait(o->tx_port, &a) == 0 &&
			rte_eth_link_get_nowait(o->rx_port, &b) == 0 && a.link_status &&
			b.link_status)
			break;
		rte_delay_ms(100);
	}

	/* Warm-up: let the DUT settle (policy sync), dropping whatever arrives. */
	start = rte_rdtsc() + (uint64_t)(o->warmup * (double)hz);
	while (!stop && rte_rdtsc() < start) {
		struct rte_mbuf *m[MAX_BURST];
		rte_pktmbuf_free_bulk(m, rte_eth_rx_burst(o->rx_port, 0, m, MAX_BURST));
		rte_pktmbuf_free_bulk(m, rte_eth_rx_burst(o->tx_port, 0, m, MAX_BURST));
	}
	start = rte_rdtsc();
	end = start + (uint64_t)(o->seconds * (double)hz);
	next_tx = start;
	next_report = start + hz;
	struct counters last = r.c;
	while (!stop && (now = rte_rdtsc()) < end) {
		if (interval == 0 || now >= next_tx) {
			send_burst(&r, mp, now);
			next_tx += interval;
			if (now > next_tx + hz / 100)
				next_tx = now; /* fell behind: do not burst to catch up */
		}
		recv_burst(&r, o->rx_port, ns_per_cycle);
		recv_burst(&r, o->tx_port, ns_per_cycle);
		if (now >= next_report) {
			printf("[%3.0fs] tx %.3f Mpps rx %.3f Mpps allowed-rx %" PRIu64
			       " denied-rx %" PRIu64 " tx-fail %" PRIu64 "\n",
				(double)(now - start) / (double)hz,
				(double)(r.c.tx - last.tx) / 1e6, (double)(r.c.rx - last.rx) / 1e6,
				r.c.rx_allowed, r.c.rx_denied, r.c.tx_fail);
			fflush(stdout);
			last = r.c;
			next_report += hz;
		}
	}
	end = rte_rdtsc();
	last_rx = r.c.rx;
	/* Drain what is in flight: 300 ms. */
	drain_end = end + hz * 3 / 10;
	while (rte_rdtsc() < drain_end) {
		recv_burst(&r, o->rx_port, ns_per_cycle);
		recv_burst(&r, o->tx_port, ns_per_cycle);
	}
	secs = (double)(end - start) / (double)hz;
	for (i = 0; i < o->flows; i++) {
		if (!r.flows[i].allowed || r.flow_tx[i] == 0)
			continue;
		if (r.flow_rx[i] < r.flow_tx[i])
			missing += r.flow_tx[i] - r.flow_rx[i];
		if (r.flow_rx[i] == 0 && nb_lost_flows < REPORT_FLOWS)
			lost_flows[nb_lost_flows++] = i;
	}
	p50 = lat_pct(&r, 50);
	p99 = lat_pct(&r, 99);
	p999 = lat_pct(&r, 99.9);
	(void)last_rx;

	printf("tx %" PRIu64 " pkts (%" PRIu64 " allowed), %.3f Mpps, %.3f Gbps; tx-fail %" PRIu64
	       "\n",
		r.c.tx, r.c.tx_allowed, (double)r.c.tx / secs / 1e6,
		(double)r.c.tx_bytes * 8 / secs / 1e9, r.c.tx_fail);
	printf("rx %" PRIu64 " pkts, %.3f Mpps, %.3f Gbps; allowed %" PRIu64
	       ", allowed lost %" PRIu64 " (%.3f%%), denied that arrived %" PRIu64 "\n",
		r.c.rx, (double)r.c.rx / secs / 1e6, (double)r.c.rx_bytes * 8 / secs / 1e9,
		r.c.rx_allowed, missing,
		r.c.tx_allowed ? 100.0 * (double)missing / (double)r.c.tx_allowed : 0.0,
		r.c.rx_denied);
	printf("latency us: p50 %.1f p99 %.1f p99.9 %.1f max %.1f\n", p50, p99, p999,
		(double)r.lat_max_ns / 1000.0);
	for (i = 0; i < r.nb_denied_seen; i++) {
		flow_str(&r.flows[r.denied_seen[i]], buf, sizeof(buf));
		printf("ERROR denied flow arrived: #%u %s\n", r.denied_seen[i], buf);
	}
	for (i = 0; i < nb_lost_flows; i++) {
		flow_str(&r.flows[lost_flows[i]], buf, sizeof(buf));
		printf("ERROR allowed flow never arrived: #%" PRIu64 " %s (%" PRIu64 " sent)\n",
			lost_flows[i], buf, r.flow_tx[lost_flows[i]]);
	}
	if (o->json != NULL) {
		FILE *f = fopen(o->json, "w");
		if (f == NULL) {
			perror(o->json);
			return -1;
		}
		fprintf(f, "{\n");
		json_num(f, "seconds", secs, true);
		json_num(f, "flows", o->flows, true);
		json_num(f, "allowed_flows", nb_allowed_flows, true);
		json_num(f, "frame_size", o->imix ? 0 : o->size, true);
		fprintf(f, "  \"imix\": %s,\n  \"new_flows\": %s,\n", o->imix ? "true" : "false",
			o->new_flows ? "true" : "false");
		json_num(f, "rate_mpps_asked", o->rate_mpps, true);
		json_num(f, "tx_packets", (double)r.c.tx, true);
		json_num(f, "tx_allowed", (double)r.c.tx_allowed, true);
		json_num(f, "tx_fail", (double)r.c.tx_fail, true);
		json_num(f, "tx_mpps", (double)r.c.tx / secs / 1e6, true);
		json_num(f, "tx_gbps", (double)r.c.tx_bytes * 8 / secs / 1e9, true);
		json_num(f, "rx_packets", (double)r.c.rx, true);
		json_num(f, "rx_allowed", (double)r.c.rx_allowed, true);
		json_num(f, "rx_denied", (double)r.c.rx_denied, true);
		json_num(f, "rx_foreign", (double)r.c.rx_foreign, true);
		json_num(f, "rx_mpps", (double)r.c.rx / secs / 1e6, true);
		json_num(f, "rx_gbps", (double)r.c.rx_bytes * 8 / secs / 1e9, true);
		json_num(f, "allowed_lost", (double)missing, true);
		json_num(f, "allowed_loss_pct",
			r.c.tx_allowed ? 100.0 * (double)missing / (double)r.c.tx_allowed : 0.0,
			true);
		json_num(f, "allowed_flows_never_arrived", nb_lost_flows, true);
		json_num(f, "latency_p50_us", p50, true);
		json_num(f, "latency_p99_us", p99, true);
		json_num(f, "latency_p999_us", p999, true);
		json_num(f, "latency_max_us", (double)r.lat_max_ns / 1000.0, false);
		fprintf(f, "}\n");
		if (fclose(f) != 0)
			return -1;
	}
	/* Keep the links up while the harness reads the DUT's counters. */
	drain_end = rte_rdtsc() + (uint64_t)(o->hold * (double)hz);
	while (!stop && rte_rdtsc() < drain_end) {
		struct rte_mbuf *m[MAX_BURST];
		rte_pktmbuf_free_bulk(m, rte_eth_rx_burst(o->rx_port, 0, m, MAX_BURST));
		rte_pktmbuf_free_bulk(m, rte_eth_rx_burst(o->tx_port, 0, m, MAX_BURST));
	}
	rte_eth_dev_stop(o->tx_port);
	rte_eth_dev_stop(o->rx_port);
	free(r.flows);
	free(r.flow_tx);
	free(r.flow_rx);
	free(r.lat);
	return r.c.rx_denied != 0 ? 2 : 0;
}

int
main(int argc, char **argv)
{
	struct opts o;
	int i, dashdash = -1, rc;

	memset(&o, 0, sizeof(o));
	o.sc.nb_pods = 1000;
	o.sc.nb_ns = 10;
	o.sc.nb_apps = 10;
	o.sc.nb_policies = 100;
	o.sc.allowed_pct = 80;
	o.sc.seed = 1;
	o.flows = 1024;
	o.size = 64;
	o.seconds = 10;
	o.burst = 32;
	o.tx_port = 0;
	o.rx_port = 1;

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
	if (o.write_dir != NULL && sc_write(&o.sc, o.write_dir) != 0)
		return 1;
	rc = rte_eal_init(dashdash, argv);
	if (rc < 0) {
		fprintf(stderr, "podwall-bench: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = run_traffic(&o);
	rte_eal_cleanup();
	return rc == 0 ? 0 : rc == 2 ? 2 : 1;
}
