/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The dataplane's public API: the only dataplane header that control/ includes.
 *
 * Life cycle, all on the main (control) lcore after rte_eal_init():
 * pw_dp_create() → pw_dp_start() → [pw_dp_publish(), stats readers] → pw_dp_stop() →
 * pw_dp_free().
 */
#ifndef PW_DP_H
#define PW_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "podwall/pw_snapshot.h"
#include "podwall/pw_stats.h"

#define PW_MAX_PORTS 32
#define PW_MAX_WORKERS 64
#define PW_MAX_BURST 512
#define PW_MAX_RXQ_PER_PORT 64
#define PW_PORT_NAME_LEN 32

struct pw_dp;

enum pw_dp_fwd_mode {
	PW_DP_FWD_WIRE = 0,
	PW_DP_FWD_BRIDGE,
};

/** Connection-tracking timeouts, in the order of the configuration's conntrack.timeouts. */
enum pw_dp_ct_timeout {
	PW_DP_CT_TCP_SYN = 0,
	PW_DP_CT_TCP_ESTABLISHED,
	PW_DP_CT_TCP_FIN,
	PW_DP_CT_TCP_CLOSED,
	PW_DP_CT_UDP,
	PW_DP_CT_SCTP,
	PW_DP_CT_ICMP,
	PW_DP_CT_OTHER,
	PW_DP_CT_NB_TIMEOUTS
};

struct pw_dp_port_params {
	const char *name;     /**< operator-facing name */
	const char *dev_name; /**< ethdev name after EAL probing ("net_pcap0", "0000:3b:00.0") */
	const char *device;   /**< the configured PCI address or devargs, for status */
	const char *role;     /**< "pod" or "uplink" */
};

struct pw_dp_params {
	struct pw_dp_port_params ports[PW_MAX_PORTS];
	unsigned int nb_ports;
	enum pw_dp_fwd_mode fwd_mode;
	uint32_t mac_ageing_s;
	unsigned int worker_lcores[PW_MAX_WORKERS];
	unsigned int nb_workers;
	uint16_t rx_queues; /**< per port; 0 = one per worker */
	uint16_t rx_desc;
	uint16_t tx_desc;
	uint16_t burst_size;
	uint32_t nb_mbufs;
	bool fail_open; /**< before the first snapshot: allow (true) or drop (false) IP traffic */
	/**
	 * Index of a port that receives a copy-free diversion of every frame the dataplane
	 * drops as malformed or denied (replay writes them to a capture), or -1. It is never a
	 * forwarding destination and floods skip it.
	 */
	int drop_port;
	/**
	 * Connection tracking (DESIGN decision 4): one flow table per worker of
	 * ct_size / nb_workers entries. With more than one worker, every port needs the same
	 * number of rx queues, at least one per worker (see pw_dp_create()).
	 */
	bool ct_enabled;
	uint32_t ct_size; /**< flows, all workers together */
	bool ct_evict;	  /**< full table: evict the oldest idle flow (else drop the new) */
	uint32_t ct_timeout_s[PW_DP_CT_NB_TIMEOUTS]; /**< idle timeouts, 1..604800 s */
};

/** Per-port description, for status. */
struct pw_dp_port_info {
	uint16_t port_id;
	char name[PW_PORT_NAME_LEN];
	const char *device;
	const char *role;
	const char *driver;
	char mac[18];
	uint16_t nb_rxq;
	uint16_t nb_txq;
	bool link_up;
	uint32_t link_speed_mbps;
	bool link_full_duplex;
};

/** Per-worker description, for status. */
struct pw_dp_worker_info {
	unsigned int lcore;
	unsigned int nb_rxq;
	uint16_t rx_port[PW_MAX_PORTS * PW_MAX_RXQ_PER_PORT]; /**< port index (not port id) */
	uint16_t rx_queue[PW_MAX_PORTS * PW_MAX_RXQ_PER_PORT];
};

/** Counters of one worker lcore. */
struct pw_dp_lcore_counters {
	uint64_t polls;	      /**< rx_burst calls */
	uint64_t busy_polls;  /**< rx_burst calls that returned packets */
	uint64_t busy_cycles; /**< TSC cycles spent in non-empty polls, rx to tx flush */
	uint64_t packets;     /**< packets received by this worker */
};

/** Connection-tracking counters of one worker's flow table. */
struct pw_dp_ct_counters {
	uint64_t active;      /**< flows in the table now (not affected by a reset) */
	uint64_t created;     /**< flows created */
	uint64_t expired;     /**< flows removed after their idle timeout */
	uint64_t evicted;     /**< flows removed to make room (on_full: evict-oldest) */
	uint64_t table_full;  /**< new flows dropped as ct_full (on_full: drop-new) */
	uint64_t revalidated; /**< flows re-classified after a policy change */
	uint64_t revoked;     /**< flows a policy change denied (then dropped) */
};

/** One tracked flow, as the operator's `flows` shows it. */
struct pw_dp_flow {
	unsigned int worker;
	uint8_t family;	     /**< 4 or 6 */
	uint8_t proto;	     /**< IPPROTO_* */
	uint8_t src[16];     /**< the originator's address, network order (IPv4: first 4 bytes) */
	uint8_t dst[16];     /**< the responder's */
	uint16_t sport;	     /**< the originator's port; ICMP echo: the identifier */
	uint16_t dport;	     /**< the responder's port; ICMP echo: 0 */
	const char *state;   /**< "established", "syn_sent", ..., "active" (static) */
	bool replied;	     /**< the responder has answered */
	bool revoked;	     /**< denied by the policy since it was opened: its packets drop */
	uint64_t generation; /**< the policy generation that last decided it */
	uint64_t age_ms;     /**< since its first packet */
	uint64_t idle_ms;    /**< since its last packet */
	uint64_t expires_ms; /**< until its idle timeout, at the current state */
	uint64_t packets[2]; /**< [0] originator to responder, [1] back */
	uint64_t bytes[2];   /**< IP bytes */
};

/** Which flows pw_dp_flows() returns: the address at either end, and the port at either end. */
struct pw_dp_flow_filter {
	bool has_ip;
	uint8_t family; /**< 4 or 6, with has_ip */
	uint8_t ip[16]; /**< network order */
	bool has_port;
	uint16_t port;
};

/** NIC-level counters of one port (rte_eth_stats). */
struct pw_dp_nic_counters {
	uint64_t ipackets, opackets, imissed, ierrors, oerrors, rx_nombuf;
};

/**
 * Set up the dataplane: packet pool, ports (queues, RSS), bridge table, per-worker state
 * and the RCU QSBR variable. Ports must already be probed by EAL (--vdev / -a).
 * Main lcore only. On failure @p err says why, naming the port.
 * @return 0 or -errno.
 */
int pw_dp_create(
	const struct pw_dp_params *params, struct pw_dp **ret_dp, char *err, size_t err_len);

/** Start the ports and launch the workers on their lcores. @return 0 or -errno. */
int pw_dp_start(struct pw_dp *dp);

/** Ask the workers to stop, wait for them, stop the ports. Idempotent. */
void pw_dp_stop(struct pw_dp *dp);

/** Free everything, including any published and pending snapshots; NULL is a no-op. */
void pw_dp_free(struct pw_dp *dp);

/**
 * Publish @p snap (takes ownership; allocated with malloc) with one atomic store. The
 * previous snapshot is freed by pw_dp_reclaim() once every worker has passed a quiescent
 * state. Never blocks. Control thread only.
 * @return 0 or -ENOMEM (then @p snap is freed and the live snapshot is unchanged).
 */
int pw_dp_publish(struct pw_dp *dp, struct pw_snapshot *snap);

/** Free retired snapshots whose grace period has ended; never blocks. @return number freed. */
unsigned int pw_dp_reclaim(struct pw_dp *dp);

/**
 * Called by pw_dp_reclaim() for each retired snapshot just before it is freed, when no
 * worker can touch it any more: its counters are final (control folds them into totals).
 */
typedef void (*pw_dp_retire_cb)(void *arg, const struct pw_snapshot *snap);

/** Set the retire callback (NULL: none). Control thread. */
void pw_dp_set_retire_cb(struct pw_dp *dp, pw_dp_retire_cb cb, void *arg);

/** Retired snapshots not yet freed. */
unsigned int pw_dp_nb_pending(const struct pw_dp *dp);

/** The live snapshot (control thread: it owns it until the next publish), or NULL. */
const struct pw_snapshot *pw_dp_live(const struct pw_dp *dp);

unsigned int pw_dp_nb_ports(const struct pw_dp *dp);
unsigned int pw_dp_nb_workers(const struct pw_dp *dp);
const char *pw_dp_fwd_mode_name(const struct pw_dp *dp);
uint16_t pw_dp_burst_size(const struct pw_dp *dp);

/** Describe port @p idx (0..nb_ports-1), link state read now. @return 0 or -EINVAL. */
int pw_dp_port_info(const struct pw_dp *dp, unsigned int idx, struct pw_dp_port_info *ret);
/** Describe worker @p w. @return 0 or -EINVAL. */
int pw_dp_worker_info(const struct pw_dp *dp, unsigned int w, struct pw_dp_worker_info *ret);

/**
 * Counters, summed over workers, minus the baseline of the last pw_dp_stats_reset().
 * Any thread (relaxed loads of single-writer counters); the reset baseline is control's.
 */
void pw_dp_port_counters(const struct pw_dp *dp, unsigned int idx, struct pw_port_counters *ret);
/** One worker's counters over all ports, and its cycle counters. */
void pw_dp_worker_counters(const struct pw_dp *dp, unsigned int w, struct pw_port_counters *ret,
	struct pw_dp_lcore_counters *ret_lc);
/** NIC counters of port @p idx from rte_eth_stats_get(), minus the reset baseline. */
int pw_dp_nic_counters(const struct pw_dp *dp, unsigned int idx, struct pw_dp_nic_counters *ret);
/** Make every reader see zero from now on; the workers' own counters are untouched. */
void pw_dp_stats_reset(struct pw_dp *dp);
/** Same as pw_dp_port_counters() but without the reset baseline (telemetry). */
void pw_dp_port_counters_raw(
	const struct pw_dp *dp, unsigned int idx, struct pw_port_counters *ret);

/** Whether connection tracking is on, and its capacity in flows over all workers. */
bool pw_dp_ct_enabled(const struct pw_dp *dp);
uint64_t pw_dp_ct_capacity(const struct pw_dp *dp);

/**
 * Worker @p w's connection-tracking counters (all zero when tracking is off), minus the
 * baseline of the last pw_dp_stats_reset() (except active). @p raw: without the baseline.
 * Any thread (relaxed loads of single-writer counters).
 */
void pw_dp_ct_counters(
	const struct pw_dp *dp, unsigned int w, bool raw, struct pw_dp_ct_counters *ret);

/**
 * Copy up to @p max tracked flows that match @p filter (NULL: all) into @p ret, worker by
 * worker. Reads the workers' tables while they run: each flow is a consistent copy (the
 * table's sequence counts, dataplane/ct.h), its counters may be one packet stale, and a
 * flow created or removed during the walk may be missed. Costs one pass over every table
 * (about 15 ms per million flows of capacity, measured): for operators, not for polling.
 * Control thread.
 * @param ret_truncated  set when more flows matched than @p max
 * @return flows copied
 */
unsigned int pw_dp_flows(const struct pw_dp *dp, const struct pw_dp_flow_filter *filter,
	struct pw_dp_flow *ret, unsigned int max, bool *ret_truncated);

/**
 * Benchmarks (bench/ct_path.c): run one iteration of worker @p worker's loop on the calling
 * thread, the code its lcore runs: every rx queue of the worker polled once, each burst
 * parsed, decided and sent, the flow table's expiry tick, the loop counters
 * (pw_dp_worker_counters()). Only for a dataplane whose workers were never launched (no
 * pw_dp_start(): the caller starts and stops the ports itself) and from one thread, which
 * then also publishes: it stands in for the worker, so no grace period needs waiting for.
 * @return packets received
 */
unsigned int pw_dp_worker_poll(struct pw_dp *dp, unsigned int worker);

#endif /* PW_DP_H */
