/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The decision step: the one place in the worker loop where a burst of parsed packets gets
 * its verdicts. Connection tracking goes here too.
 */
#ifndef PW_DECIDE_H
#define PW_DECIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "podwall/pw_pkt.h"
#include "podwall/pw_snapshot.h"
#include "podwall/pw_stats.h"

/* Single-writer counter bump: readers on other lcores see the old or the new value. */
static inline void
pw_decide_hit(uint64_t *row, uint32_t rule)
{
	if (row != NULL)
		__atomic_store_n(&row[rule], row[rule] + 1, __ATOMIC_RELAXED);
}

/**
 * Decide a burst. On entry reason[i] is 0 for a packet the parser read fully, else its
 * drop reason (never changed here: a malformed packet stays dropped). On return reason[i]
 * is 0 for a packet to forward, else why it is dropped.
 *
 * Only IP packets are subject to policy; ARP and other EtherTypes pass (the bridge needs
 * ARP). Before the first snapshot (@p snap NULL), IP packets are dropped with
 * PW_DROP_BEFORE_SYNC unless @p fail_open. A snapshot without tables applies its
 * default_verdict. A compiled snapshot needs both directions (DESIGN decision 2):
 *   1. egress is allowed if the source identity does not enforce egress, or an egress rule
 *      of a policy selecting it matched (ACL category PW_ACL_CAT_EGRESS);
 *   2. ingress likewise at the destination (PW_ACL_CAT_INGRESS);
 *   3. otherwise the packet is dropped with PW_DROP_POLICY_DENY.
 * The deciding rules' hit counters in row @p worker of the snapshot are bumped (column 0 for
 * an enforced direction no rule allowed).
 *
 * Worker lcores; @p nb <= PW_CLS_MAX; @p sc is the worker's own; no allocation, no locks.
 */
static inline void pw_decide_burst(const struct pw_snapshot *snap, bool fail_open,
	const struct pw_pkt_meta *meta, uint16_t *reason, uint16_t nb, struct pw_cls_scratch *sc,
	unsigned int worker);

/**
 * pw_decide_burst(), which also says for each packet which hit counter columns it bumped:
 * ret_heg[i] and ret_hin[i] are the egress and ingress columns + 1, 0 for a direction not
 * enforced (or no classification: not IP, dropped, no compiled snapshot). Connection
 * tracking keeps them to count later packets of the flow.
 */
static inline void
pw_decide_burst_hits(const struct pw_snapshot *snap, bool fail_open, const struct pw_pkt_meta *meta,
	uint16_t *reason, uint16_t nb, struct pw_cls_scratch *sc, unsigned int worker,
	uint32_t *ret_heg, uint32_t *ret_hin)
{
	uint64_t *row;
	uint16_t i;

	if (snap == NULL || !snap->compiled) {
		for (i = 0; i < nb; i++) {
			bool is_ip = meta[i].l3 == PW_L3_IPV4 || meta[i].l3 == PW_L3_IPV6;

			if (ret_heg != NULL) {
				ret_heg[i] = 0;
				ret_hin[i] = 0;
			}
			if (reason[i] != 0 || !is_ip)
				continue;
			if (snap == NULL) {
				if (!fail_open)
					reason[i] = PW_DROP_BEFORE_SYNC;
			} else if (snap->default_verdict != PW_VERDICT_ALLOW) {
				reason[i] = PW_DROP_POLICY_DENY;
			}
		}
		return;
	}

	pw_cls_run(snap, meta, reason, nb, sc);
	row = snap->hits != NULL && worker < snap->nb_workers ?
		snap->hits + (size_t)worker * snap->hits_stride :
		NULL;
	for (i = 0; i < nb; i++) {
		bool is_ip = meta[i].l3 == PW_L3_IPV4 || meta[i].l3 == PW_L3_IPV6;
		uint32_t eg = 0, in = 0;

		if (reason[i] == 0 && is_ip) {
			if ((snap->ident_flags[sc->sid[i]] & PW_IDENT_F_ENFORCE_EGRESS) != 0) {
				pw_decide_hit(row, sc->reg[i]);
				eg = sc->reg[i] + 1;
			}
			if ((snap->ident_flags[sc->did[i]] & PW_IDENT_F_ENFORCE_INGRESS) != 0) {
				pw_decide_hit(row, sc->rin[i]);
				in = sc->rin[i] + 1;
			}
			/* An enforced direction that no rule allowed: column 0, so 1 here. */
			if (eg == 1 || in == 1)
				reason[i] = PW_DROP_POLICY_DENY;
		}
		if (ret_heg != NULL) {
			ret_heg[i] = eg;
			ret_hin[i] = in;
		}
	}
}

static inline void
pw_decide_burst(const struct pw_snapshot *snap, bool fail_open, const struct pw_pkt_meta *meta,
	uint16_t *reason, uint16_t nb, struct pw_cls_scratch *sc, unsigned int worker)
{
	pw_decide_burst_hits(snap, fail_open, meta, reason, nb, sc, worker, NULL, NULL);
}

#endif /* PW_DECIDE_H */
