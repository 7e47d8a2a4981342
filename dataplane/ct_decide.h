/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The decision step with connection tracking (DESIGN decision 4): what pw_decide_burst()
 * does for a burst, with a flow table in front of it.
 *
 *  - A packet of a flow whose entry was decided by the live snapshot's generation is decided
 *    by the entry: allowed (a reply included: Kubernetes semantics), or dropped as
 *    policy_deny if the flow was revoked. Its TCP state, last-seen time and counters move.
 *  - A packet without an entry (the first of a flow) is classified (pw_decide_burst(), all
 *    such packets of the burst in one call) and, if allowed, creates the entry. A full table
 *    drops it as ct_full, or evicts (conntrack.on_full).
 *  - Revalidation: a packet whose entry was decided by an older generation re-classifies the
 *    flow in its ORIGINAL direction, whichever way the packet goes: a reply re-checks that
 *    the connection may still be opened. Denied: the entry is marked revoked and this packet
 *    and all later ones of both directions are dropped, until a newer snapshot allows the
 *    flow again or it times out. Allowed: the entry takes the new generation.
 *  - An ICMP or ICMPv6 error quoting a packet of a live allowed flow, sent back to that
 *    packet's source, is allowed (related), whichever worker's table holds the flow (the
 *    table's peers, pw_ct_peek()). Other errors are classified as themselves.
 *  - An entry timed out, or a TCP flow in TIME_WAIT or CLOSED that sees a new SYN, is
 *    replaced: the packet counts as the first of a new flow.
 *  - Untracked packets (ct_state.h) are classified, every one, as without conntrack; so are
 *    echo replies and TCP RSTs that match no entry, which never create one.
 *
 * Rule hit counters (pw_snapshot.hits) count packets as without conntrack: an entry
 * remembers the rules its classification hit and bumps them again for every packet it
 * decides (a reply counts for the rule that allowed its connection).
 */
#ifndef PW_CT_DECIDE_H
#define PW_CT_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/classify.h"
#include "dataplane/ct.h"
#include "dataplane/pw_dp.h"
#include "podwall/pw_pkt.h"
#include "podwall/pw_snapshot.h"

/** Slots of the per-burst set of flows already planned (a power of two, 2 x PW_MAX_BURST). */
#define PW_CT_BURST_SET (2 * PW_MAX_BURST)

/** Per-burst scratch of one worker (in struct pw_worker, never on a stack: about 80 kB). */
struct pw_ct_scratch {
	struct pw_ct_key keys[PW_MAX_BURST];
	uint64_t hash[PW_MAX_BURST];
	uint32_t handle[PW_MAX_BURST];
	uint16_t pos[PW_MAX_BURST];  /**< packets looked up */
	uint16_t cls[PW_MAX_BURST];  /**< index of the packet's classification in cmeta */
	uint8_t kind[PW_MAX_BURST];  /**< enum pw_ct_kind */
	uint8_t ab[PW_MAX_BURST];    /**< the packet goes from key.a to key.b */
	uint8_t what[PW_MAX_BURST];  /**< what cmeta[cls[i]] holds (ct_decide.c) */
	uint8_t sit[PW_MAX_BURST];   /**< the entry's situation in pass 3 (ct_decide.c) */
	uint16_t cpos[PW_MAX_BURST]; /**< packets pass 3 decided, to count (ct_decide.c) */
	uint8_t cdir[PW_MAX_BURST];  /**< and the direction of each */
	struct pw_pkt_meta cmeta[PW_MAX_BURST + 1]; /**< metas to classify; the last: one-off */
	uint16_t creason[PW_MAX_BURST + 1];
	uint32_t heg[PW_MAX_BURST + 1]; /**< rule hit column + 1 of each classification, egress */
	uint32_t hin[PW_MAX_BURST + 1]; /**< and ingress (0: direction not enforced) */
	/* The flows of this burst that have a classification planned: one per flow. */
	uint32_t set_stamp[PW_CT_BURST_SET]; /**< == stamp: slot in use in this burst */
	uint16_t set_pkt[PW_CT_BURST_SET];
	uint32_t stamp;
};

/**
 * Decide a burst with connection tracking. Same contract as pw_decide_burst() for @p reason
 * (0 on entry: parsed; on return: 0 forward, else the drop reason), plus PW_DROP_CT_FULL.
 * With @p snap NULL (before the first snapshot) no flow is tracked: pw_decide_burst() decides.
 *
 * Worker lcores: @p ct, @p cs and @p sc are the calling worker's own; no allocation, no locks.
 * @param frames  frames[i] is the frame meta[i] was parsed from (read only for ICMP errors);
 *                NULL: no ICMP error is related to a flow
 * @param now_ms  the worker's clock (32-bit milliseconds, may wrap)
 */
void pw_ct_decide_burst(struct pw_ct *ct, const struct pw_snapshot *snap, bool fail_open,
	const struct pw_pkt_meta *meta, const uint8_t *const *frames, uint16_t *reason, uint16_t nb,
	struct pw_ct_scratch *cs, struct pw_cls_scratch *sc, unsigned int worker, uint32_t now_ms);

#endif /* PW_CT_DECIDE_H */
