/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall-bench's traffic engine: one lcore per queue pair sends its share of the flows on
 * port A queue q, receives them on port B queue q and (bidirectional mode) answers them from
 * port B, then receives the answers on port A queue q. Every frame carries after its L4
 * header a struct pg_payload: TSC timestamp, sequence number, flow index and the verdict the
 * device under test must give it (bench/README.md, "Packet generator and harness").
 */
#ifndef PW_BENCH_GEN_H
#define PW_BENCH_GEN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mempool.h>

#include "scenario.h"
#include "sched.h"

#define PG_MAGIC 0xb7
#define PG_MAX_BURST 256
#define PG_MAX_CATCH_UP 1024 /* --catch-up, bursts */
#define PG_MAX_QUEUES 64
#define PG_LAT_BUCKET_NS 100
#define PG_LAT_BUCKETS 1000000 /* 100 ms at 0.1 us */
#define PG_REPORT_FLOWS 5

/* pg_payload.flags */
#define PG_F_ALLOWED 0x01 /* the device under test must forward it */
#define PG_F_REPLY 0x02	  /* sent from port B to port A */
#define PG_F_SETUP 0x04	  /* a handshake packet sent before the timed phase */

/* After the L4 header; fits a 64-byte IPv4/UDP frame (60 bytes without the FCS). */
struct __rte_packed pg_payload {
	uint64_t tsc;
	uint32_t seq;
	uint32_t flow;
	uint8_t magic;
	uint8_t flags;
};

enum pg_proto {
	PG_PROTO_UDP,
	PG_PROTO_TCP,
	PG_PROTO_MIX, /* half the flows each */
};

struct pg_opts {
	struct sc_params sc;
	struct sc_scenario *scn; /* the scenario and its verdicts (scenario.h) */
	const char *write_dir;
	const char *json;
	unsigned int flows;
	unsigned int size;
	unsigned int queues;
	unsigned int ipv6_pct; /* share of flows sent over IPv6 */
	enum pg_proto proto;
	bool imix;
	bool new_flows;
	bool no_policy;
	bool bidir;
	bool stateless; /* the DUT tracks no connections: replies are judged by policy */
	bool quiet;
	double rate_mpps;
	double setup_mpps;
	double seconds;
	double learn; /* learning seconds before the measured ones (RFC 2544 learning frames) */
	double warmup;
	double hold;
	unsigned int burst;
	unsigned int catch_up; /* --rate: missed bursts that may go back to back after a stall */
	uint16_t tx_port;      /* port A */
	uint16_t rx_port;      /* port B */
};

/* Only uint64_t members: they are summed as an array (podwall_bench.c, ctr_acc()). */
struct pg_counters {
	uint64_t tx, tx_bytes, tx_allowed;
	uint64_t tx_fail, tx_fail_allowed; /* refused by the port (or no mbuf); of them allowed */
	uint64_t rx, rx_bytes, rx_allowed, rx_denied, rx_foreign, rx_wrong_queue;
	uint64_t rep_tx, rep_tx_allowed, rep_tx_fail;
	uint64_t rep_rx, rep_rx_bytes, rep_rx_allowed, rep_rx_denied;
	uint64_t setup_tx;   /* SYNs and handshake ACKs, also counted in tx */
	uint64_t late_slots; /* bursts the pacer skipped: the sender was late (--rate) */
	/* Originals and replies sent before the measured phase that arrived after it (only in
	 * a queue's learn counters, which count them in rx or rep_rx too). */
	uint64_t late_learning;
};

/* What every queue's lcore shares: read-only during the run but for the per-flow counters,
 * of which each queue writes only its own flows' entries (flow i belongs to queue i % N). */
struct pg_queue;

struct pg_shared {
	const struct pg_opts *o;
	struct pg_queue *queues; /* o->queues of them */
	struct sc_flow *flows;
	uint64_t *flow_tx, *flow_rx;	     /* originals, per flow */
	uint64_t *flow_rep_tx, *flow_rep_rx; /* replies, per flow (bidirectional mode) */
	struct rte_mempool *mp;
	volatile sig_atomic_t *stop;
	uint64_t hz;
	double ns_per_cycle;
	/* The time line, TSC: drop what arrives until warm_end, send the TCP handshakes
	 * until start, send from start (learning until measure, then measured) until end,
	 * receive until drain_end. */
	uint64_t warm_end, start, measure, end, drain_end;
	bool setup;    /* TCP flows that are not --new: one SYN per flow before start */
	bool learning; /* --learn: counters are reset at measure */
	unsigned int nb_done;
};

struct pg_queue {
	struct pg_shared *sh;
	unsigned int q;
	unsigned int nb_flows; /* flows q, q + N, q + 2N, ... */
	unsigned int next;     /* the next of them to send */
	uint32_t pass;
	uint64_t seq; /* sequence numbers used; frames carry the low 32 bits */
	unsigned int imix_i;
	bool reporter;	/* also prints the progress lines (the main lcore running a queue) */
	bool measuring; /* past the learning phase (always, without --learn) */
	struct pg_counters c;
	struct pg_counters c0;	  /* at start: rates are over start..t_end */
	struct pg_counters learn; /* before measure (--learn): c at the reset, and late ones */
	struct pg_pace pace;	  /* --rate */
	struct pg_seqwin win;	  /* this queue's sequence numbers sent before measure */
	uint64_t first_refused;	  /* TSC of the first refused original, 0 if none */
	uint64_t t_end;
	uint64_t *lat; /* one-way latency of originals, histogram */
	uint64_t *rtt; /* replies: original sent to reply received */
	uint64_t lat_max_ns, rtt_max_ns;
	unsigned int denied_seen[PG_REPORT_FLOWS];
	unsigned int nb_denied_seen;
	/* Published once per loop for the progress lines (relaxed stores and loads): totals
	 * since the first packet, learning included (learn + c), and their values at start. */
	uint64_t pub_tx, pub_rx, pub_rep_rx, pub_denied, pub_fail, pub_late;
	uint64_t pub0_tx, pub0_rx, pub0_rep_rx, pub0_fail, pub0_late;
} __rte_cache_aligned;

/** Smallest frame (with FCS) that holds a flow's headers and the payload. */
unsigned int pg_min_frame(const struct sc_flow *f);

/** The lcore entry point: run queue @p arg (struct pg_queue) along the shared time line. */
int pg_queue_main(void *arg);

/** Drop whatever arrives on every queue of both ports (used while holding the links up). */
void pg_drain_all(const struct pg_shared *sh, unsigned int nb_queues);

#endif /* PW_BENCH_GEN_H */
