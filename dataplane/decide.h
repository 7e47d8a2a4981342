/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The decision step: the one place in the worker loop where a burst of parsed packets gets
 * its verdicts. Connection tracking and the ACL classification go here.
 */
#ifndef PW_DECIDE_H
#define PW_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "podwall/pw_pkt.h"
#include "podwall/pw_snapshot.h"
#include "podwall/pw_stats.h"

/**
 * Decide a burst. On entry reason[i] is 0 for a packet the parser read fully, else its
 * drop reason (never changed here: a malformed packet stays dropped). On return reason[i]
 * is 0 for a packet to forward, else why it is dropped.
 *
 * Only IP packets are subject to policy; ARP and other EtherTypes pass (the bridge needs
 * ARP). Before the first snapshot (@p snap NULL), IP packets are dropped with
 * PW_DROP_BEFORE_SYNC unless @p fail_open.
 *
 * Worker lcores; no allocation, no locks.
 */
static inline void
pw_decide_burst(const struct pw_snapshot *snap, bool fail_open, const struct pw_pkt_meta *meta,
	uint16_t *reason, uint16_t nb)
{
	uint16_t i;

	for (i = 0; i < nb; i++) {
		bool is_ip = meta[i].l3 == PW_L3_IPV4 || meta[i].l3 == PW_L3_IPV6;

		if (reason[i] != 0 || !is_ip)
			continue;
		if (snap == NULL) {
			if (!fail_open)
				reason[i] = PW_DROP_BEFORE_SYNC;
		} else if (snap->default_verdict != PW_VERDICT_ALLOW) {
			reason[i] = PW_DROP_POLICY_DENY;
		}
	}
}

#endif /* PW_DECIDE_H */
