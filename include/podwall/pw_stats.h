/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Counters shared by the dataplane (the only writer, one lcore per element) and control
 * (the reader, which sums them). Drop reasons are an X-macro so the enum and the names that
 * stats, telemetry and podwallctl show come from one list (VPP foreach_acl_fa_error, Cilium
 * drop_reasons.h). Names are stable: monitoring keys on them.
 */
#ifndef PW_STATS_H
#define PW_STATS_H

#include <stdint.h>

#include "podwall/pw_pkt.h"

/** Drop reasons beyond the parser's: _(NAME, "description"). */
#define PW_FWD_DROP_REASONS(_)                                                               \
	_(POLICY_DENY, "denied by network policy")                                           \
	_(BEFORE_SYNC, "fail-closed: no policy synced yet")                                  \
	_(NO_DEST, "no destination port (unpaired wire port, or bridge with nowhere to go)") \
	_(SAME_PORT, "bridge destination is the port the frame came in on")                  \
	_(TX_FULL, "transmit queue full (unsent tail freed)")                                \
	_(CT_FULL, "new flow dropped: connection table full (conntrack.on_full: drop-new)")

/**
 * All drop reasons. Values below PW_PARSE_MAX equal enum pw_parse_result (PW_DROP_PARSE_OK
 * is never counted); forwarding reasons follow.
 */
enum pw_drop_reason {
#define PW_DROP_PARSE_(name, desc) PW_DROP_PARSE_##name,
	PW_PARSE_RESULTS(PW_DROP_PARSE_)
#undef PW_DROP_PARSE_
#define PW_DROP_FWD_(name, desc) PW_DROP_##name,
	PW_FWD_DROP_REASONS(PW_DROP_FWD_)
#undef PW_DROP_FWD_
		PW_DROP_MAX
};

/** Stable lower-case name of a drop reason ("trunc_ipv4", "policy_deny"); NULL for PARSE_OK. */
const char *pw_drop_reason_name(enum pw_drop_reason r);

/** One-line description of a drop reason. */
const char *pw_drop_reason_desc(enum pw_drop_reason r);

/** Counters of one port as seen by one lcore (the port it received on, or sent to). */
struct pw_port_counters {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t drops[PW_DROP_MAX]; /**< by reason, charged to the receiving port */
};

/** Add @p c to @p acc, field by field. */
void pw_port_counters_add(struct pw_port_counters *acc, const struct pw_port_counters *c);

#endif /* PW_STATS_H */
