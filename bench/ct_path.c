/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-ct-bench, whole worker path (bench/README.md, "Connection tracking"): what one
 * worker spends per 64-byte frame from rx burst to tx burst, with and without conntrack.
 *
 * A real dataplane (pw_dp_create(): two ports, one worker, wire mode) on two net_ring ports
 * whose rings this file owns. The worker's loop runs on the bench's thread, one iteration at
 * a time (pw_dp_worker_poll(): the code pw_worker_main() runs on its lcore): it polls both
 * ports, parses, decides (pw_ct_decide_burst(), or pw_decide_burst() with conntrack off),
 * sends to the other port and ticks the flow table's expiry.
 *
 * Between iterations, untimed, the generator writes the next 32 frames (from a template: the
 * flow's addresses, ports and TCP flags) into mbufs and puts them on port 0's rx ring, as a
 * NIC's DMA would. Timed: the worker's iteration, the transmitted frames taken off port 1's
 * tx ring and freed, and the mbufs of the next burst allocated: the rx refill and the tx
 * completion a NIC's PMD does inside its rx and tx bursts. The frames are hot in cache when
 * the worker reads them (written just before), which favours no run: every run reads them
 * alike, and a constant cost left out only lowers the ratios against allow-all.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "bench/ct_bench.h"
#include "dataplane/ct_state.h"
#include "dataplane/pw_dp.h"

#define FRAME_LEN 60 /* 64 on the wire with the FCS */
#define RING_SIZE 1024
#define GEN_MBUFS 4095
#define OFF_IP_SRC 26
#define OFF_IP_DST 30
#define OFF_TCP 34
#define OFF_TCP_FLAGS 47

struct ctb_path {
	struct rte_mempool *pool; /* the generator's (the NIC's) mbufs */
	struct rte_ring *rx[2];	  /* what port i receives */
	struct rte_ring *tx[2];	  /* what port i sends */
	uint16_t port_id[2];
	unsigned int seq; /* ports are made per run: their names */
	unsigned int worker_lcore;
	uint8_t tmpl[FRAME_LEN];
};

/* Ethernet, IPv4 (46 bytes, DF, TTL 64, TCP), TCP (20 bytes, window 8192), 6 bytes data. */
static void
make_template(uint8_t *f)
{
	static const uint8_t hdr[] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, /* Ethernet */
		0x45, 0, 0, CTB_IP_LEN_64B, 0, 0, 0x40, 0, 64, 6, 0, 0,	    /* IPv4 */
	};

	memset(f, 0, FRAME_LEN);
	memcpy(f, hdr, sizeof(hdr));
	f[OFF_TCP + 12] = 5 << 4;
	f[OFF_TCP + 14] = 0x20;
}

struct ctb_path *
ctb_path_create(void)
{
	struct ctb_path *p = calloc(1, sizeof(*p));
	char name[RTE_RING_NAMESIZE];
	unsigned int i;

	if (p == NULL)
		exit(1);
	p->worker_lcore = rte_get_next_lcore(-1, 1, 0);
	if (p->worker_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "ct-bench: the path runs need a worker lcore (--cores A,B)\n");
		exit(1);
	}
	p->pool = rte_pktmbuf_pool_create(
		"ctb_gen", GEN_MBUFS, 256, 0, RTE_PKTMBUF_HEADROOM + 128, (int)rte_socket_id());
	if (p->pool == NULL) {
		fprintf(stderr, "ct-bench: mbuf pool: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "ctb_rx%u", i);
		p->rx[i] = rte_ring_create(
			name, RING_SIZE, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ctb_tx%u", i);
		p->tx[i] = rte_ring_create(
			name, RING_SIZE, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (p->rx[i] == NULL || p->tx[i] == NULL) {
			fprintf(stderr, "ct-bench: rings: %s\n", rte_strerror(rte_errno));
			exit(1);
		}
	}
	make_template(p->tmpl);
	return p;
}

void
ctb_path_free(struct ctb_path *p)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		rte_ring_free(p->rx[i]);
		rte_ring_free(p->tx[i]);
	}
	rte_mempool_free(p->pool);
	free(p);
}

/* A dataplane as podwall runs it, on two fresh ring ports, with @p snap live. */
static struct pw_dp *
make_dp(struct ctb_path *p, bool ct, uint32_t ct_size, struct pw_snapshot *snap)
{
	static const char *const pnames[2] = { "p0", "p1" };
	struct pw_dp_params dp;
	struct pw_ct_timeouts to;
	char dev[2][RTE_ETH_NAME_MAX_LEN], name[32], err[256];
	struct pw_dp *d;
	unsigned int i;
	int id;

	memset(&dp, 0, sizeof(dp));
	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "ctb%u_%u", i, p->seq);
		id = rte_eth_from_rings(name, &p->rx[i], 1, &p->tx[i], 1, rte_socket_id());
		if (id < 0 || rte_eth_dev_get_name_by_port((uint16_t)id, dev[i]) != 0) {
			fprintf(stderr, "ct-bench: ring port %s: %s\n", name,
				rte_strerror(rte_errno));
			exit(1);
		}
		p->port_id[i] = (uint16_t)id;
		dp.ports[i].name = pnames[i];
		dp.ports[i].dev_name = dev[i];
		dp.ports[i].role = "pod";
	}
	p->seq++;
	dp.nb_ports = 2;
	dp.fwd_mode = PW_DP_FWD_WIRE;
	dp.worker_lcores[0] = p->worker_lcore;
	dp.nb_workers = 1;
	dp.rx_queues = 1;
	dp.rx_desc = RING_SIZE;
	dp.tx_desc = RING_SIZE;
	dp.burst_size = CTB_BURST;
	dp.nb_mbufs = 1023; /* the dataplane's own pool: the ring ports never take from it */
	dp.drop_port = -1;
	dp.ct_enabled = ct;
	dp.ct_size = ct_size;
	pw_ct_timeouts_default(&to);
	/* enum pw_dp_ct_timeout and enum pw_ct_timeout_class are in the same order. */
	for (i = 0; i < PW_DP_CT_NB_TIMEOUTS; i++)
		dp.ct_timeout_s[i] = to.ms[i] / 1000;
	if (pw_dp_create(&dp, &d, err, sizeof(err)) != 0) {
		fprintf(stderr, "ct-bench: dataplane: %s\n", err);
		exit(1);
	}
	if (pw_dp_publish(d, snap) != 0) {
		fprintf(stderr, "ct-bench: publish: out of memory\n");
		exit(1);
	}
	for (i = 0; i < 2; i++)
		if (rte_eth_dev_start(p->port_id[i]) != 0) {
			fprintf(stderr, "ct-bench: port start failed\n");
			exit(1);
		}
	return d;
}

static void
free_dp(struct ctb_path *p, struct pw_dp *d)
{
	unsigned int i;

	for (i = 0; i < 2; i++)
		(void)rte_eth_dev_stop(p->port_id[i]);
	pw_dp_free(d); /* closes (and so releases) the ring ports */
}

/* The generator: frame of stream packet @p desc (flow | CTB_REPLY) into @p m. */
static inline void
write_frame(const struct ctb_path *p, struct rte_mbuf *m, uint32_t desc, uint8_t tcp_flags)
{
	uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
	struct ctb_tuple t;

	ctb_tuple(desc & ~CTB_REPLY, (desc & CTB_REPLY) != 0, &t);
	memcpy(f, p->tmpl, FRAME_LEN);
	memcpy(f + OFF_IP_SRC, t.src, 4);
	memcpy(f + OFF_IP_DST, t.dst, 4);
	f[OFF_TCP] = (uint8_t)(t.sport >> 8);
	f[OFF_TCP + 1] = (uint8_t)t.sport;
	f[OFF_TCP + 2] = (uint8_t)(t.dport >> 8);
	f[OFF_TCP + 3] = (uint8_t)t.dport;
	f[OFF_TCP_FLAGS] = tcp_flags;
	m->data_len = FRAME_LEN;
	m->pkt_len = FRAME_LEN;
}

/*
 * Send @p n packets through the worker, 32 per iteration: stream packets @p est[0..n-1], or
 * with @p est NULL flows @p k0.. in the original direction (@p reply: back). All must be
 * forwarded. @return TSC cycles of the timed part (file comment).
 */
static uint64_t
pass(struct ctb_path *p, struct pw_dp *d, const uint32_t *est, uint32_t k0, bool reply, uint32_t n,
	uint8_t tcp_flags)
{
	struct rte_mbuf *m[CTB_BURST], *out[2 * CTB_BURST];
	uint64_t cyc = 0, t0;
	uint32_t off;
	unsigned int nb, got, sent, next, i;

	nb = n < CTB_BURST ? n : CTB_BURST;
	if (nb != 0 && rte_pktmbuf_alloc_bulk(p->pool, m, nb) != 0)
		goto no_mbufs;
	for (off = 0; off < n; off += nb, nb = next) {
		for (i = 0; i < nb; i++)
			write_frame(p, m[i],
				est != NULL ? est[off + i] :
					      (k0 + off + i) | (reply ? CTB_REPLY : 0),
				tcp_flags);
		if (rte_ring_enqueue_bulk(p->rx[0], (void **)m, nb, NULL) != nb)
			goto lost;
		next = n - off - nb < CTB_BURST ? n - off - nb : CTB_BURST;

		t0 = rte_rdtsc();
		got = pw_dp_worker_poll(d, 0);
		sent = rte_ring_dequeue_burst(p->tx[1], (void **)out, 2 * CTB_BURST, NULL);
		rte_pktmbuf_free_bulk(out, sent);
		if (next != 0 && rte_pktmbuf_alloc_bulk(p->pool, m, next) != 0)
			goto no_mbufs;
		cyc += rte_rdtsc() - t0;

		if (got != nb || sent != nb)
			goto lost;
	}
	return cyc;

no_mbufs:
	fprintf(stderr, "ct-bench: generator out of mbufs\n");
	exit(1);
lost:
	fprintf(stderr, "ct-bench: packets lost or dropped at %" PRIu32 " (of %" PRIu32 ")\n", off,
		n);
	exit(1);
}

/* Every flow of client 0 on source port 1024 (flows k < 65536, k % 256 == 0) must be
 * established after the handshake: the run measures established flows, not half-open. */
static void
check_established(struct pw_dp *d, uint32_t flows)
{
	static struct pw_dp_flow f[CTB_NB_PODS];
	struct pw_dp_flow_filter filt = {
		.has_ip = true, .family = 4, .ip = { 10, 1, 0, 1 }, .has_port = true, .port = 1024
	};
	uint32_t want = flows < 65536 ? (flows + CTB_NB_PODS - 1) / CTB_NB_PODS : CTB_NB_PODS;
	unsigned int n, i;
	bool trunc;

	n = pw_dp_flows(d, &filt, f, CTB_NB_PODS, &trunc);
	for (i = 0; i < n; i++)
		if (strcmp(f[i].state, "established") != 0)
			break;
	if (n != want || i != n) {
		fprintf(stderr, "ct-bench: %u of %u sampled flows, %u established\n", n, want, i);
		exit(1);
	}
}

void
ctb_path_run(struct ctb_path *p, enum ctb_path_run run, uint32_t flows, unsigned int passes,
	const uint32_t *est, double *ret_cycles, double *ret_busy)
{
	bool ct = run == CTB_PATH_ESTABLISHED || run == CTB_PATH_FIRST;
	struct pw_snapshot *snap = ctb_snapshot(
		run != CTB_PATH_NOPOLICY, run != CTB_PATH_PODS && run != CTB_PATH_NOPOLICY);
	struct pw_dp_lcore_counters lc0, lc1;
	struct pw_port_counters pc;
	struct pw_dp_ct_counters cc;
	uint64_t cyc = 0, npkt;
	struct pw_dp *d;
	unsigned int i;

	d = make_dp(p, ct, run == CTB_PATH_FIRST ? 2 * flows : flows, snap);
	if (run == CTB_PATH_ESTABLISHED) {
		/* The handshake of every flow, untimed: SYN, SYN-ACK, ACK. */
		(void)pass(p, d, NULL, 0, false, flows, CTB_TCP_SYN);
		(void)pass(p, d, NULL, 0, true, flows, CTB_TCP_SYN | CTB_TCP_ACK);
		(void)pass(p, d, NULL, 0, false, flows, CTB_TCP_ACK);
		check_established(d, flows);
	} else if (run == CTB_PATH_FIRST) {
		(void)pass(p, d, NULL, 0, false, flows, CTB_TCP_SYN);
	}
	pw_dp_worker_counters(d, 0, &pc, &lc0);
	if (run == CTB_PATH_FIRST) {
		cyc = pass(p, d, NULL, flows, false, flows, CTB_TCP_SYN);
		npkt = flows;
	} else {
		for (i = 0; i < passes; i++)
			cyc += pass(p, d, est, 0, false, flows, CTB_TCP_ACK);
		npkt = (uint64_t)flows * passes;
	}
	pw_dp_worker_counters(d, 0, &pc, &lc1);
	if (ct) {
		pw_dp_ct_counters(d, 0, true, &cc);
		if (cc.active != (run == CTB_PATH_FIRST ? 2ull * flows : flows)) {
			fprintf(stderr, "ct-bench: %" PRIu64 " flows tracked, expected %u\n",
				cc.active, run == CTB_PATH_FIRST ? 2 * flows : flows);
			exit(1);
		}
	}
	if (lc1.packets - lc0.packets != npkt) {
		fprintf(stderr,
			"ct-bench: the worker counted %" PRIu64 " packets, expected %" PRIu64 "\n",
			lc1.packets - lc0.packets, npkt);
		exit(1);
	}
	*ret_cycles = (double)cyc / (double)npkt;
	*ret_busy = (double)(lc1.busy_cycles - lc0.busy_cycles) / (double)npkt;
	free_dp(p, d);
}
