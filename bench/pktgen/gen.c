/* SPDX-License-Identifier: Apache-2.0 */
/* podwall-bench's traffic engine: see gen.h. */
#include "gen.h"
#include "report.h"

#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define ETH_LEN ((unsigned int)sizeof(struct rte_ether_hdr))
#define TCP_SYNACK (RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG)

/* Where a received frame's headers and payload are. */
struct view {
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip4; /* one of ip4, ip6 */
	struct rte_ipv6_hdr *ip6;
	void *l4;
	struct pg_payload *pl;
	uint8_t proto;
};

static inline unsigned int
l3_len(bool v6)
{
	return v6 ? (unsigned int)sizeof(struct rte_ipv6_hdr) :
		    (unsigned int)sizeof(struct rte_ipv4_hdr);
}

static inline unsigned int
l4_len(uint8_t proto)
{
	return proto == IPPROTO_TCP ? (unsigned int)sizeof(struct rte_tcp_hdr) :
				      (unsigned int)sizeof(struct rte_udp_hdr);
}

unsigned int
pg_min_frame(const struct sc_flow *f)
{
	return ETH_LEN + l3_len(f->v6) + l4_len(f->proto) +
		(unsigned int)sizeof(struct pg_payload) + RTE_ETHER_CRC_LEN;
}

static inline bool
tx_phase_reporter(const struct pg_queue *q)
{
	return q->reporter && !q->sh->o->quiet;
}

static unsigned int
frame_size(struct pg_queue *q, const struct sc_flow *f)
{
	static const unsigned int imix[12] = { 64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 570,
		64 };
	unsigned int min = pg_min_frame(f);
	unsigned int sz = q->sh->o->imix ? imix[q->imix_i++ % 12] : q->sh->o->size;

	return sz < min ? min : sz;
}

/* The L4 checksum: UDP over IPv4 goes without (0, as before); TCP and UDP over IPv6 carry
 * one (IPv6 requires it for UDP). The device under test does not check it, the peers would. */
static inline void
l4_cksum(struct view *v)
{
	if (v->ip4 != NULL && v->proto == IPPROTO_UDP) {
		((struct rte_udp_hdr *)v->l4)->dgram_cksum = 0;
		return;
	}
	if (v->proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = v->l4;
		t->cksum = 0;
		t->cksum = v->ip4 != NULL ? rte_ipv4_udptcp_cksum(v->ip4, t) :
					    rte_ipv6_udptcp_cksum(v->ip6, t);
	} else {
		struct rte_udp_hdr *u = v->l4;
		u->dgram_cksum = 0;
		u->dgram_cksum = rte_ipv6_udptcp_cksum(v->ip6, u);
	}
}

/* Write one original (port A to port B) of flow @fi into @m. */
static struct pg_payload *
build(struct pg_queue *q, struct rte_mbuf *m, unsigned int fi, uint16_t sport, uint8_t tcp_flags,
	uint8_t pflags, uint64_t now)
{
	const struct pg_shared *sh = q->sh;
	const struct sc_flow *f = &sh->flows[fi];
	unsigned int len = frame_size(q, f) - RTE_ETHER_CRC_LEN;
	char *p = rte_pktmbuf_mtod(m, char *);
	unsigned int l4_off = ETH_LEN + l3_len(f->v6);
	struct view v;

	/* A fresh mbuf: its data room (RTE_MBUF_DEFAULT_BUF_SIZE) holds any frame we send. */
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	memset(&v, 0, sizeof(v));
	v.eth = (struct rte_ether_hdr *)p;
	v.l4 = p + l4_off;
	v.pl = (struct pg_payload *)(p + l4_off + l4_len(f->proto));
	v.proto = f->proto;
	memset(v.eth, 0, sizeof(*v.eth));
	v.eth->dst_addr.addr_bytes[0] = 0x02;
	v.eth->dst_addr.addr_bytes[5] = 0x02;
	v.eth->src_addr.addr_bytes[0] = 0x02;
	v.eth->src_addr.addr_bytes[5] = 0x01;
	if (f->v6) {
		v.ip6 = (struct rte_ipv6_hdr *)(v.eth + 1);
		v.eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		v.ip6->vtc_flow = rte_cpu_to_be_32(6u << 28);
		v.ip6->payload_len = rte_cpu_to_be_16((uint16_t)(len - l4_off));
		v.ip6->proto = f->proto;
		v.ip6->hop_limits = 64;
		sc_pod_ip6(f->src_pod, v.ip6->src_addr);
		sc_pod_ip6(f->dst_pod, v.ip6->dst_addr);
	} else {
		v.ip4 = (struct rte_ipv4_hdr *)(v.eth + 1);
		v.eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		memset(v.ip4, 0, sizeof(*v.ip4));
		v.ip4->version_ihl = RTE_IPV4_VHL_DEF;
		v.ip4->total_length = rte_cpu_to_be_16((uint16_t)(len - ETH_LEN));
		v.ip4->time_to_live = 64;
		v.ip4->next_proto_id = f->proto;
		v.ip4->src_addr = rte_cpu_to_be_32(f->src_ip);
		v.ip4->dst_addr = rte_cpu_to_be_32(f->dst_ip);
		v.ip4->hdr_checksum = rte_ipv4_cksum(v.ip4);
	}
	if (f->proto == IPPROTO_TCP) {
		struct rte_tcp_hdr *t = v.l4;
		t->src_port = rte_cpu_to_be_16(sport);
		t->dst_port = rte_cpu_to_be_16(f->dport);
		t->sent_seq = rte_cpu_to_be_32((uint32_t)q->seq);
		t->recv_ack = rte_cpu_to_be_32((tcp_flags & RTE_TCP_ACK_FLAG) != 0 ? 1 : 0);
		t->data_off = 5 << 4;
		t->tcp_flags = tcp_flags;
		t->rx_win = rte_cpu_to_be_16(65535);
		t->tcp_urp = 0;
	} else {
		struct rte_udp_hdr *u = v.l4;
		u->src_port = rte_cpu_to_be_16(sport);
		u->dst_port = rte_cpu_to_be_16(f->dport);
		u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - l4_off));
	}
	v.pl->tsc = now;
	v.pl->seq = (uint32_t)q->seq++;
	v.pl->flow = fi;
	v.pl->magic = PG_MAGIC;
	v.pl->flags = (uint8_t)(pflags | (f->allowed ? PG_F_ALLOWED : 0));
	l4_cksum(&v);
	return v.pl;
}

/* Find a received frame's headers; false for anything that is not one of ours. */
static bool
parse(struct rte_mbuf *m, const struct pg_shared *sh, struct view *v)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = ETH_LEN;
	uint16_t et;

	memset(v, 0, sizeof(*v));
	if (len < ETH_LEN + sizeof(struct rte_ipv4_hdr))
		return false;
	v->eth = (struct rte_ether_hdr *)p;
	et = rte_be_to_cpu_16(v->eth->ether_type);
	if (et == RTE_ETHER_TYPE_IPV4) {
		v->ip4 = (struct rte_ipv4_hdr *)(p + off);
		v->proto = v->ip4->next_proto_id;
		off += (uint32_t)(v->ip4->version_ihl & 0x0f) * 4;
	} else if (et == RTE_ETHER_TYPE_IPV6) {
		v->ip6 = (struct rte_ipv6_hdr *)(p + off);
		v->proto = v->ip6->proto;
		off += (uint32_t)sizeof(struct rte_ipv6_hdr);
	} else {
		return false;
	}
	if (v->proto != IPPROTO_UDP && v->proto != IPPROTO_TCP)
		return false;
	if (off + sizeof(struct rte_tcp_hdr) > len)
		return false;
	v->l4 = p + off;
	off += v->proto == IPPROTO_TCP ?
		(uint32_t)(((struct rte_tcp_hdr *)v->l4)->data_off >> 4) * 4 :
		(uint32_t)sizeof(struct rte_udp_hdr);
	if (off + sizeof(struct pg_payload) > len)
		return false;
	v->pl = (struct pg_payload *)(p + off);
	return v->pl->magic == PG_MAGIC && v->pl->flow < sh->o->flows;
}

static inline uint16_t *
sport_of(struct view *v)
{
	return v->proto == IPPROTO_TCP ? &((struct rte_tcp_hdr *)v->l4)->src_port :
					 &((struct rte_udp_hdr *)v->l4)->src_port;
}

/* Turn a received frame around: addresses and ports swapped. */
static void
swap(struct view *v)
{
	struct rte_ether_addr ea = v->eth->src_addr;
	uint16_t *sp = sport_of(v), port = sp[0];

	v->eth->src_addr = v->eth->dst_addr;
	v->eth->dst_addr = ea;
	if (v->ip4 != NULL) {
		uint32_t a = v->ip4->src_addr;
		v->ip4->src_addr = v->ip4->dst_addr;
		v->ip4->dst_addr = a;
	} else {
		uint8_t a[16];
		memcpy(a, v->ip6->src_addr, 16);
		memcpy(v->ip6->src_addr, v->ip6->dst_addr, 16);
		memcpy(v->ip6->dst_addr, a, 16);
	}
	sp[0] = sp[1];
	sp[1] = port;
}

/* A flow's counter, from the queue that owns the flow or (a frame that came back on another
 * queue, counted as an error too) from any other. */
static inline void
flow_inc(uint64_t *ctr, bool own)
{
	if (likely(own))
		(*ctr)++;
	else
		__atomic_fetch_add(ctr, 1, __ATOMIC_RELAXED);
}

static inline void
hist_add(uint64_t *h, uint64_t *max, uint64_t ns)
{
	if (ns > *max)
		*max = ns;
	h[ns / PG_LAT_BUCKET_NS < PG_LAT_BUCKETS ? ns / PG_LAT_BUCKET_NS : PG_LAT_BUCKETS - 1]++;
}

/* Empty a histogram: only the buckets up to its maximum can be in use, so the reset at the
 * end of the learning phase clears a few kB, not the whole 8 MB (which would stall the
 * sender for milliseconds just as the measured phase starts). */
static void
hist_reset(uint64_t *h, uint64_t *max)
{
	uint64_t last = *max / PG_LAT_BUCKET_NS;

	if (h != NULL)
		memset(h, 0,
			(size_t)(last < PG_LAT_BUCKETS ? last + 1 : PG_LAT_BUCKETS) * sizeof(*h));
	*max = 0;
}

/* Remember the first few denied flows that arrived, for the report. */
static inline void
note_denied(struct pg_queue *q, unsigned int fi)
{
	if (q->nb_denied_seen < PG_REPORT_FLOWS &&
		(q->nb_denied_seen == 0 || q->denied_seen[q->nb_denied_seen - 1] != fi))
		q->denied_seen[q->nb_denied_seen++] = fi;
}

/* Whether a frame of flow @fi carrying sequence number @seq was sent before the measured
 * phase. Sequence numbers are the flow's queue's, and so is the window: another queue reads
 * it only for a frame that came back on the wrong queue (an error already), with atomics. */
static inline bool
late_learning(const struct pg_queue *q, unsigned int fi, uint32_t seq)
{
	const struct pg_shared *sh = q->sh;
	const struct pg_queue *owner;
	struct pg_seqwin w;

	if (likely(!sh->learning) || !q->measuring)
		return false;
	owner = &sh->queues[fi % sh->o->queues];
	if (likely(owner == q))
		return pg_seqwin_is_learning(&q->win, seq);
	w.open = __atomic_load_n(&owner->win.open, __ATOMIC_ACQUIRE);
	w.first = __atomic_load_n(&owner->win.first, __ATOMIC_RELAXED);
	w.nb_learn = __atomic_load_n(&owner->win.nb_learn, __ATOMIC_RELAXED);
	return pg_seqwin_is_learning(&w, seq);
}

/* A frame sent before the measured phase arrived after it: it counts for learning only (no
 * per-flow count, no latency, no reply). */
static void
count_late(struct pg_queue *q, const struct rte_mbuf *m, unsigned int fi, bool reply, bool own,
	bool allowed)
{
	struct pg_counters *l = &q->learn;

	l->late_learning++;
	l->rx_wrong_queue += !own;
	if (reply) {
		l->rep_rx++;
		l->rep_rx_bytes += m->pkt_len + RTE_ETHER_CRC_LEN;
		l->rep_rx_allowed += allowed;
		l->rep_rx_denied += !allowed;
	} else {
		l->rx++;
		l->rx_bytes += m->pkt_len + RTE_ETHER_CRC_LEN;
		l->rx_allowed += allowed;
		l->rx_denied += !allowed;
	}
	if (!allowed)
		note_denied(q, fi);
}

/* What a frame about to be sent says: read before rte_eth_tx_burst(), after which the PMD
 * may have freed it (memif copies and frees at once) and another lcore reused it. */
struct sent_info {
	uint32_t flow;
	uint16_t bytes;
	uint8_t flags;
};

static inline void
note(struct sent_info *si, const struct rte_mbuf *m, const struct pg_payload *pl)
{
	si->flow = pl->flow;
	si->flags = pl->flags;
	si->bytes = (uint16_t)(m->pkt_len + RTE_ETHER_CRC_LEN);
}

/* Send @m[0..n-1] (originals, described by @si) on port A, queue q, and count them. */
static void
tx_originals(struct pg_queue *q, struct rte_mbuf **m, const struct sent_info *si, unsigned int n)
{
	const struct pg_shared *sh = q->sh;
	unsigned int sent, i;

	if (n == 0)
		return;
	sent = rte_eth_tx_burst(sh->o->tx_port, (uint16_t)q->q, m, (uint16_t)n);
	for (i = 0; i < sent; i++) {
		flow_inc(&sh->flow_tx[si[i].flow], si[i].flow % sh->o->queues == q->q);
		q->c.tx_allowed += si[i].flags & PG_F_ALLOWED;
		q->c.setup_tx += (si[i].flags & PG_F_SETUP) != 0;
		q->c.tx_bytes += si[i].bytes;
	}
	q->c.tx += sent;
	if (sent < n) {
		q->c.tx_fail += n - sent;
		for (i = sent; i < n; i++)
			q->c.tx_fail_allowed += si[i].flags & PG_F_ALLOWED;
		if (q->first_refused == 0)
			q->first_refused = rte_rdtsc();
		rte_pktmbuf_free_bulk(&m[sent], n - sent);
	}
}

/* No mbufs for a burst of @n: count them refused, allowed or denied as the flows they would
 * have been (the same flows are tried again next time). */
static void
refuse_unbuilt(struct pg_queue *q, bool setup, unsigned int n)
{
	const struct pg_shared *sh = q->sh;
	unsigned int nbq = sh->o->queues, next = q->next, i;

	for (i = 0; i < n; i++) {
		while (setup && sh->flows[q->q + next * nbq].proto != IPPROTO_TCP)
			next = next + 1 == q->nb_flows ? 0 : next + 1;
		q->c.tx_fail_allowed += sh->flows[q->q + next * nbq].allowed;
		next = next + 1 == q->nb_flows ? 0 : next + 1;
	}
	q->c.tx_fail += n;
	if (q->first_refused == 0)
		q->first_refused = rte_rdtsc();
}

/* One burst of originals: the next flows of this queue, or (@setup) the next TCP flows'
 * SYNs. */
static unsigned int
send_burst(struct pg_queue *q, uint64_t now, bool setup, unsigned int n)
{
	const struct pg_shared *sh = q->sh;
	const struct pg_opts *o = sh->o;
	struct rte_mbuf *m[PG_MAX_BURST];
	struct sent_info si[PG_MAX_BURST];
	unsigned int i, nbq = o->queues;

	if (rte_pktmbuf_alloc_bulk(sh->mp, m, n) != 0) {
		refuse_unbuilt(q, setup, n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		unsigned int fi;
		const struct sc_flow *f;
		uint16_t sport;
		uint8_t flags = 0;

		/* The SYNs go to TCP flows only (the caller counted them: one lies ahead). */
		while (setup && sh->flows[q->q + q->next * nbq].proto != IPPROTO_TCP)
			q->next++;
		fi = q->q + q->next * nbq;
		f = &sh->flows[fi];
		sport = f->sport;

		if (o->new_flows)
			sport = (uint16_t)(1024 + (f->sport - 1024 + q->pass * 7919u) % 64000);
		if (f->proto == IPPROTO_TCP)
			flags = setup || o->new_flows ? RTE_TCP_SYN_FLAG :
							RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		note(&si[i], m[i], build(q, m[i], fi, sport, flags, setup ? PG_F_SETUP : 0, now));
		if (++q->next == q->nb_flows) {
			q->next = 0;
			q->pass++;
		}
	}
	tx_originals(q, m, si, n);
	return n;
}

/* The verdict a reply to @v must get: with connection tracking, that of an allowed flow's
 * reply (forwarded); without, the policy's on the reversed packet (the flow's destination to
 * its source, to the original source port: sc_scenario_reply_allowed()). */
static bool
reply_allowed(const struct pg_shared *sh, const struct sc_flow *f, struct view *v)
{
	if (sh->o->no_policy || !sh->o->stateless)
		return true;
	return sc_scenario_reply_allowed(sh->o->scn, f, rte_be_to_cpu_16(*sport_of(v)));
}

/* Receive originals on port B; in bidirectional mode answer the allowed ones from port B. */
static void
recv_b(struct pg_queue *q)
{
	struct pg_shared *sh = q->sh;
	const struct pg_opts *o = sh->o;
	struct rte_mbuf *m[PG_MAX_BURST], *rep[PG_MAX_BURST], *drop[PG_MAX_BURST];
	struct sent_info si[PG_MAX_BURST];
	uint16_t n = rte_eth_rx_burst(o->rx_port, (uint16_t)q->q, m, PG_MAX_BURST), i;
	unsigned int nrep = 0, ndrop = 0, sent;
	uint64_t now = rte_rdtsc();

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		struct view v;
		unsigned int fi;
		bool own;

		if (!parse(m[i], sh, &v) || (v.pl->flags & PG_F_REPLY) != 0) {
			q->c.rx_foreign++;
			drop[ndrop++] = m[i];
			continue;
		}
		fi = v.pl->flow;
		own = fi % o->queues == q->q;
		if (unlikely(late_learning(q, fi, v.pl->seq))) {
			count_late(q, m[i], fi, false, own, (v.pl->flags & PG_F_ALLOWED) != 0);
			drop[ndrop++] = m[i];
			continue;
		}
		q->c.rx_wrong_queue += !own;
		q->c.rx++;
		q->c.rx_bytes += m[i]->pkt_len + RTE_ETHER_CRC_LEN;
		flow_inc(&sh->flow_rx[fi], own);
		hist_add(q->lat, &q->lat_max_ns,
			(uint64_t)((double)(now - v.pl->tsc) * sh->ns_per_cycle));
		if ((v.pl->flags & PG_F_ALLOWED) == 0) {
			q->c.rx_denied++;
			note_denied(q, fi);
			drop[ndrop++] = m[i];
			continue;
		}
		q->c.rx_allowed++;
		if (!o->bidir) {
			drop[ndrop++] = m[i];
			continue;
		}
		/* The answer: SYN-ACK to a SYN, ACK to anything else. */
		v.pl->flags = (uint8_t)(PG_F_REPLY | (v.pl->flags & PG_F_SETUP) |
			(reply_allowed(sh, &sh->flows[fi], &v) ? PG_F_ALLOWED : 0));
		swap(&v);
		if (v.proto == IPPROTO_TCP) {
			struct rte_tcp_hdr *t = v.l4;
			t->tcp_flags = (t->tcp_flags & RTE_TCP_SYN_FLAG) != 0 ? TCP_SYNACK :
										RTE_TCP_ACK_FLAG;
			t->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(t->sent_seq) + 1);
			t->sent_seq = rte_cpu_to_be_32(v.pl->seq);
		}
		l4_cksum(&v);
		note(&si[nrep], m[i], v.pl);
		rep[nrep++] = m[i];
	}
	if (ndrop != 0)
		rte_pktmbuf_free_bulk(drop, ndrop);
	if (nrep == 0)
		return;
	sent = rte_eth_tx_burst(o->rx_port, (uint16_t)q->q, rep, (uint16_t)nrep);
	for (i = 0; i < sent; i++) {
		flow_inc(&sh->flow_rep_tx[si[i].flow], si[i].flow % o->queues == q->q);
		q->c.rep_tx_allowed += si[i].flags & PG_F_ALLOWED;
	}
	q->c.rep_tx += sent;
	if (sent < nrep) {
		q->c.rep_tx_fail += nrep - sent;
		rte_pktmbuf_free_bulk(&rep[sent], nrep - sent);
	}
}

/* Receive replies on port A (anything there is foreign in one-directional mode); a SYN-ACK
 * of an allowed flow is answered with the handshake's ACK, an original again. */
static void
recv_a(struct pg_queue *q)
{
	struct pg_shared *sh = q->sh;
	const struct pg_opts *o = sh->o;
	struct rte_mbuf *m[PG_MAX_BURST], *ack[PG_MAX_BURST], *drop[PG_MAX_BURST];
	struct sent_info si[PG_MAX_BURST];
	uint16_t n = rte_eth_rx_burst(o->tx_port, (uint16_t)q->q, m, PG_MAX_BURST), i;
	unsigned int nack = 0, ndrop = 0;
	uint64_t now = rte_rdtsc();

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		const struct sc_flow *f;
		struct rte_tcp_hdr *t;
		struct view v;
		unsigned int fi;
		bool own, allowed;

		drop[ndrop++] = m[i];
		if (!o->bidir || !parse(m[i], sh, &v) || (v.pl->flags & PG_F_REPLY) == 0) {
			q->c.rx_foreign++;
			continue;
		}
		fi = v.pl->flow;
		f = &sh->flows[fi];
		own = fi % o->queues == q->q;
		allowed = (v.pl->flags & PG_F_ALLOWED) != 0;
		if (unlikely(late_learning(q, fi, v.pl->seq))) {
			/* A late SYN-ACK still gets its ACK below: that is a measured original. */
			count_late(q, m[i], fi, true, own, allowed);
		} else {
			q->c.rx_wrong_queue += !own;
			q->c.rep_rx++;
			q->c.rep_rx_bytes += m[i]->pkt_len + RTE_ETHER_CRC_LEN;
			flow_inc(&sh->flow_rep_rx[fi], own);
			hist_add(q->rtt, &q->rtt_max_ns,
				(uint64_t)((double)(now - v.pl->tsc) * sh->ns_per_cycle));
			q->c.rep_rx_denied += !allowed;
			q->c.rep_rx_allowed += allowed;
			if (!allowed)
				note_denied(q, fi);
		}
		if (!allowed)
			continue;
		t = v.l4;
		if (v.proto != IPPROTO_TCP || t->tcp_flags != TCP_SYNACK)
			continue;
		/* Complete the handshake: back to the original direction, a bare ACK. */
		ndrop--;
		swap(&v);
		t->tcp_flags = RTE_TCP_ACK_FLAG;
		t->recv_ack = rte_cpu_to_be_32(rte_be_to_cpu_32(t->sent_seq) + 1);
		t->sent_seq = rte_cpu_to_be_32((uint32_t)q->seq);
		v.pl->tsc = now;
		v.pl->seq = (uint32_t)q->seq++;
		v.pl->flags = (uint8_t)(PG_F_SETUP | (f->allowed ? PG_F_ALLOWED : 0));
		l4_cksum(&v);
		note(&si[nack], m[i], v.pl);
		ack[nack++] = m[i];
	}
	if (ndrop != 0)
		rte_pktmbuf_free_bulk(drop, ndrop);
	tx_originals(q, ack, si, nack);
}

/* The progress lines' totals run on across the learning phase's reset: learn + c. */
static void
publish(struct pg_queue *q)
{
	const struct pg_counters *c = &q->c, *l = &q->learn;

	__atomic_store_n(&q->pub_tx, l->tx + c->tx, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub_rx, l->rx + c->rx, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub_rep_rx, l->rep_rx + c->rep_rx, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub_denied,
		l->rx_denied + l->rep_rx_denied + c->rx_denied + c->rep_rx_denied,
		__ATOMIC_RELAXED);
	__atomic_store_n(&q->pub_fail, l->tx_fail + c->tx_fail, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub_late, l->late_slots + c->late_slots, __ATOMIC_RELAXED);
}

/* The end of the learning phase, on the queue's own lcore: what was counted so far (the TCP
 * handshakes and the learning seconds) becomes the queue's learn counters, and every
 * counter the report uses starts again from zero: totals, this queue's flows' counters,
 * the latency histograms. Frames sent until now that arrive later are told apart by their
 * sequence numbers (late_learning()). */
static void
learn_reset(struct pg_queue *q)
{
	struct pg_shared *sh = q->sh;
	unsigned int nbq = sh->o->queues, k;
	struct pg_seqwin w;

	q->learn = q->c;
	memset(&q->c, 0, sizeof(q->c));
	memset(&q->c0, 0, sizeof(q->c0));
	for (k = 0; k < q->nb_flows; k++) {
		unsigned int fi = q->q + k * nbq;

		sh->flow_tx[fi] = 0;
		sh->flow_rx[fi] = 0;
		sh->flow_rep_tx[fi] = 0;
		sh->flow_rep_rx[fi] = 0;
	}
	hist_reset(q->lat, &q->lat_max_ns);
	hist_reset(q->rtt, &q->rtt_max_ns);
	pg_seqwin_start(&w, (uint32_t)q->seq, q->seq);
	__atomic_store_n(&q->win.first, w.first, __ATOMIC_RELAXED);
	__atomic_store_n(&q->win.nb_learn, w.nb_learn, __ATOMIC_RELAXED);
	__atomic_store_n(&q->win.open, w.open, __ATOMIC_RELEASE);
	q->measuring = true;
}

/* Close the learning window once it could be confused with wrapped sequence numbers. */
static inline void
learn_window_update(struct pg_queue *q)
{
	struct pg_seqwin w = q->win;

	if (unlikely(w.open) && !pg_seqwin_update(&w, (uint32_t)q->seq))
		__atomic_store_n(&q->win.open, false, __ATOMIC_RELEASE);
}

static void
drop_rx(const struct pg_shared *sh, unsigned int q)
{
	struct rte_mbuf *m[PG_MAX_BURST];

	rte_pktmbuf_free_bulk(m, rte_eth_rx_burst(sh->o->rx_port, (uint16_t)q, m, PG_MAX_BURST));
	rte_pktmbuf_free_bulk(m, rte_eth_rx_burst(sh->o->tx_port, (uint16_t)q, m, PG_MAX_BURST));
}

void
pg_drain_all(const struct pg_shared *sh, unsigned int nb_queues)
{
	unsigned int q;

	for (q = 0; q < nb_queues; q++)
		drop_rx(sh, q);
}

/* Before the timed phase: one SYN per TCP flow of this queue, paced, then wait for start. */
static void
setup_phase(struct pg_queue *q)
{
	struct pg_shared *sh = q->sh;
	const struct pg_opts *o = sh->o;
	double per_queue = o->setup_mpps * 1e6 / o->queues;
	uint64_t interval = (uint64_t)((double)sh->hz * o->burst / per_queue), next = rte_rdtsc();
	unsigned int left = 0, k;

	for (k = 0; k < q->nb_flows; k++)
		left += sh->flows[q->q + k * o->queues].proto == IPPROTO_TCP;
	while (!*sh->stop && left > 0) {
		uint64_t now = rte_rdtsc();

		if (now >= next) {
			left -= send_burst(q, now, true, left < o->burst ? left : o->burst);
			next += interval;
		}
		recv_b(q);
		recv_a(q);
	}
	q->next = 0;
	q->pass = 0;
}

int
pg_queue_main(void *arg)
{
	struct pg_queue *q = arg;
	struct pg_shared *sh = q->sh;
	const struct pg_opts *o = sh->o;
	uint64_t now, next_report;
	bool paced;

	/* Warm-up: let the DUT settle (policy sync), dropping whatever arrives. */
	while (!*sh->stop && rte_rdtsc() < sh->warm_end)
		drop_rx(sh, q->q);
	if (sh->setup)
		setup_phase(q);
	while (!*sh->stop && rte_rdtsc() < sh->start) {
		recv_b(q);
		recv_a(q);
	}
	q->c0 = q->c;
	q->measuring = !sh->learning;
	publish(q);
	__atomic_store_n(&q->pub0_tx, q->pub_tx, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub0_rx, q->pub_rx, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub0_rep_rx, q->pub_rep_rx, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub0_fail, q->pub_fail, __ATOMIC_RELAXED);
	__atomic_store_n(&q->pub0_late, q->pub_late, __ATOMIC_RELAXED);
	/* The rate was checked with the same arguments before launch (run_traffic()). */
	paced = o->rate_mpps > 0 &&
		pg_pace_init(&q->pace, sh->start, sh->hz, o->burst, o->queues, o->rate_mpps) == 0;
	pg_pace_set_catch_up(&q->pace, o->catch_up);
	next_report = sh->start + sh->hz;
	while (!*sh->stop && (now = rte_rdtsc()) < sh->end) {
		if (unlikely(!q->measuring) && now >= sh->measure)
			learn_reset(q);
		if (!paced) {
			send_burst(q, now, false, o->burst);
		} else {
			/* A constant offered load: after a stall of ours at most catch_up
			 * missed bursts go back to back, older ones are skipped and counted
			 * (sched.h). */
			uint64_t skipped = q->pace.nb_skipped;

			if (pg_pace_poll(&q->pace, now)) {
				q->c.late_slots += q->pace.nb_skipped - skipped;
				send_burst(q, now, false, o->burst);
			}
		}
		if (sh->learning && q->measuring)
			learn_window_update(q);
		recv_b(q);
		recv_a(q);
		publish(q);
		if (tx_phase_reporter(q) && now >= next_report) {
			pg_progress(sh->queues, o->queues, now);
			next_report += sh->hz;
		}
	}
	q->t_end = rte_rdtsc();
	/* Drain what is in flight (replies and handshakes still answer): until drain_end, or
	 * for as long after a signal; not at all when it came before the measured phase (no
	 * result: the program ends at once). */
	if (!*sh->stop || q->t_end >= sh->measure) {
		uint64_t until = RTE_MIN(sh->drain_end, q->t_end + (sh->drain_end - sh->end));

		while (rte_rdtsc() < until) {
			recv_b(q);
			recv_a(q);
		}
	}
	publish(q);
	__atomic_fetch_add(&sh->nb_done, 1, __ATOMIC_RELEASE);
	return 0;
}
