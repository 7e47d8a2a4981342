/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The decision step with connection tracking, in four passes over a burst:
 *   1. keys: each IP packet's flow key (or, for an ICMP error, the quoted flow's key);
 *   2. lookup: all keys at once, pipelined (pw_ct_lookup_burst()), which prefetches both
 *      lines of every entry found;
 *   3. plan: packets of current entries (most packets) are decided right away, from the
 *      entries' first lines; for the others, from what each entry says, which need the
 *      policy and in which direction (their own for new flows, the original one for
 *      revalidations); all of those are then classified in one pw_decide_burst() call. The
 *      packets decided here are added to their entries' counters (second lines) after the
 *      pass, so that no decision waits for a counter's line;
 *   4. apply, in packet order: create, revalidate or replace entries, set verdicts. Skipped
 *      when pass 3 decided the whole burst.
 * Pass 3 plans one classification per flow: the first packet of a flow in the burst. Later
 * ones (a SYN-ACK behind its SYN in a replayed capture, a burst of one stream after a policy
 * change) are decided in pass 4 by the entry the first one created or revalidated.
 * Pass 4 mutates the table while later packets of the burst still hold pass 2's handles: once
 * anything was inserted or deleted, a packet finds its entry again, and one whose situation
 * changed since pass 3 (its entry evicted, the first packet of its flow denied) is decided
 * from what the table says now, with a one-off classification if pass 3 planned none.
 * Each packet counts once in the rule hit counters: by its classification if it had one,
 * else by its entry.
 */
#include "dataplane/ct_decide.h"

#include <string.h>

#include "dataplane/decide.h"

/* What pass 3 put in cmeta for a packet. */
enum planned {
	PLAN_NONE = 0,
	PLAN_OWN,  /* the packet itself: stateless, or first packet of a flow */
	PLAN_ORIG, /* the flow's original direction: revalidation */
	PLAN_DONE, /* decided in pass 3 already (a current entry, a related ICMP error) */
};

/* A packet pass 3 decided and whose counters it left to add (cs->cdir). */
#define DIR_NONE 0xff

/* A packet's entry, as pass 4 sees it. */
enum situation {
	SIT_NONE,    /* no entry: a first packet */
	SIT_REPLACE, /* an entry that has to go first: timed out, or closed and a SYN */
	SIT_STALE,   /* decided by an older generation */
	SIT_CURRENT, /* decided by the live generation */
};

static inline bool
is_ip(const struct pw_pkt_meta *m)
{
	return m->l3 == PW_L3_IPV4 || m->l3 == PW_L3_IPV6;
}

static inline enum situation
situation(const struct pw_ct *ct, const struct pw_ct_entry *e, const struct pw_pkt_meta *m,
	uint64_t gen, uint32_t now_ms)
{
	if (e == NULL)
		return SIT_NONE;
	if (pw_ct_entry_expired(ct, e, now_ms))
		return SIT_REPLACE;
	if (e->key.proto == PW_CT_PROTO_TCP && pw_ct_state_closed(e->state) &&
		pw_ct_tcp_is_syn(m->tcp_flags))
		return SIT_REPLACE;
	return e->gen == gen ? SIT_CURRENT : SIT_STALE;
}

/* Whether this packet may create an entry when it has none. */
static inline bool
may_create(uint8_t kind, const struct pw_pkt_meta *m)
{
	if (kind == PW_CT_KIND_ECHO_REPLY)
		return false;
	return m->proto != PW_CT_PROTO_TCP || kind != PW_CT_KIND_FLOW ||
		pw_ct_tcp_may_create(m->tcp_flags);
}

/* A related ICMP error needs a live, allowed flow decided by the live generation. */
static inline bool
related_ok(const struct pw_ct *ct, const struct pw_ct_entry *e, uint64_t gen, uint32_t now_ms)
{
	return e != NULL && (e->flags & PW_CT_F_DENIED) == 0 && e->gen == gen &&
		!pw_ct_entry_expired(ct, e, now_ms);
}

/* related_ok() for a flow that another worker owns (pw_ct_peek()). Rare: an ICMP error that
 * RSS sent elsewhere than the flow it quotes. */
static bool
peer_related_ok(const struct pw_ct *ct, const struct pw_ct_key *k, uint64_t gen, uint32_t now_ms)
{
	struct pw_ct_entry copy;
	uint16_t j;

	for (j = 0; j < ct->nb_peers; j++) {
		const struct pw_ct *peer = ct->peers[j];

		if (peer != ct && pw_ct_peek(peer, k, &copy))
			return related_ok(peer, &copy, gen, now_ms);
	}
	return false;
}

/* Whether an ICMP error quoting key @p k, whose entry here is @p e (or NULL), is related. */
static inline bool
icmp_related(const struct pw_ct *ct, const struct pw_ct_entry *e, const struct pw_ct_key *k,
	uint64_t gen, uint32_t now_ms)
{
	return related_ok(ct, e, gen, now_ms) ||
		(e == NULL && ct->nb_peers > 1 && peer_related_ok(ct, k, gen, now_ms));
}

/* Classify cmeta[at..at+n-1] (one pw_decide_burst() call: it bumps the rule hit counters)
 * and keep, for each, the hit columns an entry will bump again for later packets. */
static void
classify(const struct pw_snapshot *snap, bool fail_open, uint16_t at, uint16_t n,
	struct pw_ct_scratch *cs, struct pw_cls_scratch *sc, unsigned int worker)
{
	memset(&cs->creason[at], 0, n * sizeof(cs->creason[0]));
	pw_decide_burst_hits(snap, fail_open, &cs->cmeta[at], &cs->creason[at], n, sc, worker,
		&cs->heg[at], &cs->hin[at]);
}

/* The verdict on the packet itself (PLAN_OWN) or on its flow's original direction, and the
 * index of its hit columns in cs->heg/hin. Planned in pass 3, or else classified now, alone,
 * in the last cmeta slot (rare: see the file comment). */
static uint16_t
verdict(const struct pw_snapshot *snap, bool fail_open, const struct pw_pkt_meta *m,
	enum planned want, const struct pw_ct_entry *e, uint16_t i, struct pw_ct_scratch *cs,
	struct pw_cls_scratch *sc, unsigned int worker, uint16_t *ret_at)
{
	if (cs->what[i] == want) {
		*ret_at = cs->cls[i];
		return cs->creason[cs->cls[i]];
	}
	if (want == PLAN_OWN)
		cs->cmeta[PW_MAX_BURST] = *m;
	else
		pw_ct_orig_meta(
			&e->key, (e->flags & PW_CT_F_ORIG_AB) != 0, &cs->cmeta[PW_MAX_BURST]);
	classify(snap, fail_open, PW_MAX_BURST, 1, cs, sc, worker);
	*ret_at = PW_MAX_BURST;
	return cs->creason[PW_MAX_BURST];
}

/* A packet an entry decided counts for the rules its classification hit. */
static inline void
bump_hits(uint64_t *row, const struct pw_ct_entry *e)
{
	if (row == NULL)
		return;
	if (e->hit_eg != 0)
		pw_decide_hit(row, e->hit_eg - 1);
	if (e->hit_in != 0)
		pw_decide_hit(row, e->hit_in - 1);
}

static inline void
set_hits(struct pw_ct_entry *e, const struct pw_ct_scratch *cs, uint16_t at)
{
	__atomic_store_n(&e->hit_eg, cs->heg[at], __ATOMIC_RELAXED);
	__atomic_store_n(&e->hit_in, cs->hin[at], __ATOMIC_RELAXED);
}

/* An allowed packet of a current entry: state, flags and time (the first line).
 * @return its direction on the entry (0 orig, 1 reply), for the counters */
static inline unsigned int
update_entry(const struct pw_ct *ct, struct pw_ct_entry *e, const struct pw_pkt_meta *m, bool ab,
	uint32_t now_ms)
{
	bool reply = ab != ((e->flags & PW_CT_F_ORIG_AB) != 0);

	/* Established TCP without SYN, FIN or RST stays established: most packets. */
	if (e->key.proto == PW_CT_PROTO_TCP &&
		(e->state != PW_CT_ST_TCP_ESTABLISHED ||
			(m->tcp_flags & (PW_TCP_SYN | PW_TCP_FIN | PW_TCP_RST)) != 0)) {
		uint8_t st = (uint8_t)pw_ct_tcp_next(e->state, reply, m->tcp_flags);

		if (st != e->state)
			pw_ct_set_state(ct, e, st);
	}
	if (reply && (e->flags & PW_CT_F_REPLIED) == 0)
		__atomic_store_n(
			&e->flags, (uint8_t)(e->flags | PW_CT_F_REPLIED), __ATOMIC_RELAXED);
	__atomic_store_n(&e->last_ms, now_ms, __ATOMIC_RELAXED);
	return reply ? 1 : 0;
}

/* A packet of a current entry (pass 3 or 4): counted for the entry's rules unless its own
 * classification counted it, then dropped if the flow was revoked, else accounted: its
 * direction in *ret_dir for the counters, which the caller adds (DIR_NONE: nothing to add).
 * @return its drop reason, or 0 */
static inline uint16_t
decide_current(const struct pw_ct *ct, struct pw_ct_entry *e, const struct pw_pkt_meta *m, bool ab,
	uint64_t *row, bool counted, uint32_t now_ms, uint8_t *ret_dir)
{
	if (!counted)
		bump_hits(row, e);
	if ((e->flags & PW_CT_F_DENIED) != 0) {
		/* Refreshed, so that a revoked flow stays revoked while it keeps trying,
		 * instead of timing out into a new flow. */
		__atomic_store_n(&e->last_ms, now_ms, __ATOMIC_RELAXED);
		*ret_dir = DIR_NONE;
		return PW_DROP_POLICY_DENY;
	}
	*ret_dir = (uint8_t)update_entry(ct, e, m, ab, now_ms);
	return 0;
}

/* Create the entry of packet @p i, the first of its flow, allowed by classification @p at.
 * @return false if the table is full */
static inline bool
insert_new(struct pw_ct *ct, const struct pw_ct_scratch *cs, uint16_t i,
	const struct pw_pkt_meta *m, uint8_t kind, uint16_t at, uint64_t gen, uint32_t now_ms)
{
	const struct pw_ct_first f = {
		.flags = cs->ab[i] ? PW_CT_F_ORIG_AB : 0,
		.state = m->proto == PW_CT_PROTO_TCP && kind == PW_CT_KIND_FLOW ?
			(uint8_t)pw_ct_tcp_initial(m->tcp_flags) :
			(uint8_t)PW_CT_ST_ACTIVE,
		.l3_len = m->l3_len,
		.hit_eg = cs->heg[at],
		.hit_in = cs->hin[at],
		.gen = gen,
	};

	return pw_ct_insert_first(ct, &cs->keys[i], cs->hash[i], &f, now_ms) != 0;
}

/* Pass 1: keys, and the packets to look up. Packets without a decision to make (dropped
 * already, or not IP) are marked done. @return how many to look up. */
static uint16_t
build_keys(const struct pw_pkt_meta *meta, const uint8_t *const *frames, const uint16_t *reason,
	uint16_t nb, struct pw_ct_scratch *cs)
{
	uint16_t i, n = 0;

	for (i = 0; i < nb; i++) {
		bool ab = false;
		uint8_t kind = PW_CT_KIND_UNTRACKED;

		cs->what[i] = PLAN_NONE;
		if (reason[i] == 0 && is_ip(&meta[i])) {
			kind = (uint8_t)pw_ct_key_build(&meta[i], &cs->keys[i], &ab);
			if (kind == PW_CT_KIND_ICMP_ERROR &&
				(frames == NULL ||
					!pw_ct_icmp_inner(frames[i], &meta[i], &cs->keys[i], &ab)))
				kind = PW_CT_KIND_UNTRACKED;
			if (kind != PW_CT_KIND_UNTRACKED)
				cs->pos[n++] = i;
		} else {
			cs->what[i] = PLAN_DONE;
		}
		cs->kind[i] = kind;
		cs->ab[i] = ab;
	}
	return n;
}

/* Whether packet @p i is the first of its flow that pass 3 plans in this burst. */
static bool
first_of_flow(struct pw_ct_scratch *cs, uint16_t i)
{
	uint32_t slot = (uint32_t)cs->hash[i] & (PW_CT_BURST_SET - 1);

	while (cs->set_stamp[slot] == cs->stamp) {
		uint16_t j = cs->set_pkt[slot];

		if (cs->hash[j] == cs->hash[i] && pw_ct_key_eq(&cs->keys[j], &cs->keys[i]))
			return false;
		slot = (slot + 1) & (PW_CT_BURST_SET - 1);
	}
	cs->set_stamp[slot] = cs->stamp;
	cs->set_pkt[slot] = i;
	return true;
}

/* Pass 3: decide what the entries decide alone, and plan what to classify. Deciding a
 * current entry's packets here, before pass 4 applies earlier packets of the burst, changes
 * nothing: those earlier packets cannot change a current entry's verdict (a stale or timed
 * out entry is stale or timed out for all its packets, which all wait for pass 4), except
 * by a new SYN on a closed TCP flow, so closed flows wait too. The counters of the packets
 * decided here are left to add_counts(): packets cs->cpos[0..*ret_nc-1], in direction
 * cs->cdir[0..].
 * @return how many metas are in cs->cmeta; *ret_left: packets left to pass 4 */
static uint16_t
plan(struct pw_ct *ct, const struct pw_snapshot *snap, const struct pw_pkt_meta *meta,
	uint16_t *reason, uint16_t nb, struct pw_ct_scratch *cs, uint64_t *row, uint32_t now_ms,
	uint16_t *ret_left, uint16_t *ret_nc)
{
	const uint64_t gen = snap->generation;
	uint16_t i, k = 0, left = 0, nc = 0;

	if (++cs->stamp == 0) {
		memset(cs->set_stamp, 0, sizeof(cs->set_stamp));
		cs->stamp = 1;
	}
	for (i = 0; i < nb; i++) {
		struct pw_ct_entry *e = NULL;

		if (cs->what[i] == PLAN_DONE)
			continue;
		if (cs->kind[i] != PW_CT_KIND_UNTRACKED && cs->handle[i] != 0)
			e = &ct->entries[cs->handle[i] - 1];
		if (cs->kind[i] == PW_CT_KIND_ICMP_ERROR) {
			if (icmp_related(ct, e, &cs->keys[i], gen, now_ms)) {
				cs->what[i] = PLAN_DONE;
				continue;
			}
			left++;
		} else if (cs->kind[i] != PW_CT_KIND_UNTRACKED) {
			enum situation s = situation(ct, e, &meta[i], gen, now_ms);

			cs->sit[i] = (uint8_t)s;
			if (s == SIT_CURRENT &&
				!(e->key.proto == PW_CT_PROTO_TCP &&
					pw_ct_state_closed(e->state))) {
				uint8_t dir;

				reason[i] = decide_current(
					ct, e, &meta[i], cs->ab[i], row, false, now_ms, &dir);
				if (dir != DIR_NONE) {
					cs->cdir[nc] = dir;
					cs->cpos[nc++] = i;
				}
				cs->what[i] = PLAN_DONE;
				continue;
			}
			left++;
			if (s == SIT_CURRENT || !first_of_flow(cs, i))
				continue;
			if (s == SIT_STALE) {
				pw_ct_orig_meta(
					&e->key, (e->flags & PW_CT_F_ORIG_AB) != 0, &cs->cmeta[k]);
				cs->what[i] = PLAN_ORIG;
				cs->cls[i] = k++;
				continue;
			}
		} else {
			left++;
		}
		cs->cmeta[k] = meta[i];
		cs->what[i] = PLAN_OWN;
		cs->cls[i] = k++;
	}
	*ret_left = left;
	*ret_nc = nc;
	return k;
}

/* The counters of the packets pass 3 decided, whose second lines pass 2 prefetched. Before
 * pass 4, which may delete and reuse entries. */
static void
add_counts(struct pw_ct *ct, const struct pw_pkt_meta *meta, uint16_t nc,
	const struct pw_ct_scratch *cs)
{
	uint16_t j;

	for (j = 0; j < nc; j++) {
		uint16_t i = cs->cpos[j];

		pw_ct_count(&ct->entries[cs->handle[i] - 1], cs->cdir[j], meta[i].l3_len);
	}
}

void
pw_ct_decide_burst(struct pw_ct *ct, const struct pw_snapshot *snap, bool fail_open,
	const struct pw_pkt_meta *meta, const uint8_t *const *frames, uint16_t *reason, uint16_t nb,
	struct pw_ct_scratch *cs, struct pw_cls_scratch *sc, unsigned int worker, uint32_t now_ms)
{
	uint64_t gen, revalidated = 0, revoked = 0;
	bool dirty = false, deleted = false;
	uint64_t *row;
	uint16_t i, n, k, left, nc;

	if (ct == NULL || snap == NULL) {
		pw_decide_burst(snap, fail_open, meta, reason, nb, sc, worker);
		return;
	}
	gen = snap->generation;
	row = snap->hits != NULL && worker < snap->nb_workers ?
		snap->hits + (size_t)worker * snap->hits_stride :
		NULL;
	n = build_keys(meta, frames, reason, nb, cs);
	pw_ct_lookup_burst(ct, cs->keys, cs->pos, n, cs->hash, cs->handle);
	k = plan(ct, snap, meta, reason, nb, cs, row, now_ms, &left, &nc);
	if (k != 0) {
		/* Most classified packets open a flow: fetch the entries they will take while
		 * the policy decides them. */
		pw_ct_prefetch_free(ct, k);
		classify(snap, fail_open, 0, k, cs, sc, worker);
	}
	add_counts(ct, meta, nc, cs);
	if (left == 0)
		return;

	for (i = 0; i < nb; i++) {
		const struct pw_pkt_meta *m = &meta[i];
		uint8_t kind = cs->kind[i];
		struct pw_ct_entry *e = NULL;
		bool counted = false, refind;
		enum situation sit;
		uint16_t v, at;
		uint8_t dir;
		uint32_t h;

		if (cs->what[i] == PLAN_DONE)
			continue;
		if (kind == PW_CT_KIND_UNTRACKED) {
			reason[i] = cs->creason[cs->cls[i]];
			continue;
		}
		/* Most packets here: the first of a new flow, classified in pass 3, with nothing
		 * deleted before it (nothing to find again: no earlier packet of its flow). */
		if (cs->sit[i] == SIT_NONE && cs->what[i] == PLAN_OWN && !deleted &&
			kind == PW_CT_KIND_FLOW) {
			at = cs->cls[i];
			v = cs->creason[at];
			if (v == 0 && may_create(kind, m)) {
				uint32_t used = ct->nb_used;

				if (!insert_new(ct, cs, i, m, kind, at, gen, now_ms))
					v = PW_DROP_CT_FULL;
				dirty = true;
				/* A full table may have reclaimed or evicted another entry. */
				deleted = ct->nb_used != used + 1;
			}
			reason[i] = v;
			continue;
		}
		/* Pass 2's handle still holds unless an entry was deleted since, or the flow
		 * was missing and an earlier packet of it in this burst may have created it
		 * (the first of each flow, which pass 3 planned, cannot have been preceded; an
		 * ICMP error can, by the packet it quotes). */
		h = cs->handle[i];
		refind = deleted ||
			(dirty && h == 0 &&
				(cs->what[i] == PLAN_NONE || kind == PW_CT_KIND_ICMP_ERROR));
		if (refind)
			h = pw_ct_find(ct, &cs->keys[i], cs->hash[i]);
		if (h != 0)
			e = pw_ct_entry(ct, h);

		if (kind == PW_CT_KIND_ICMP_ERROR) {
			reason[i] = icmp_related(ct, e, &cs->keys[i], gen, now_ms) ?
				0 :
				verdict(snap, fail_open, m, PLAN_OWN, NULL, i, cs, sc, worker, &at);
			continue;
		}
		/* Pass 3's situation still holds, but for a stale entry that an earlier packet
		 * of its flow may have revalidated since. */
		sit = (enum situation)cs->sit[i];
		if (refind || sit == SIT_STALE)
			sit = situation(ct, e, m, gen, now_ms);
		switch (sit) {
		case SIT_REPLACE:
			pw_ct_delete(ct, h);
			pw_ct_ctr_add(&ct->ctr.expired, 1);
			dirty = deleted = true;
			/* fall through */
		case SIT_NONE:
			v = verdict(snap, fail_open, m, PLAN_OWN, NULL, i, cs, sc, worker, &at);
			if (v == 0 && may_create(kind, m)) {
				uint32_t used = ct->nb_used;

				if (!insert_new(ct, cs, i, m, kind, at, gen, now_ms))
					v = PW_DROP_CT_FULL;
				dirty = true;
				/* A full table may have reclaimed or evicted another entry. */
				deleted |= ct->nb_used != used + 1;
			}
			reason[i] = v;
			break;
		case SIT_STALE:
			v = verdict(snap, fail_open, m, PLAN_ORIG, e, i, cs, sc, worker, &at);
			set_hits(e, cs, at);
			counted = true;
			revalidated++;
			if (v != 0 && (e->flags & PW_CT_F_DENIED) == 0)
				revoked++;
			__atomic_store_n(&e->flags,
				(uint8_t)(v != 0 ? e->flags | PW_CT_F_DENIED :
						   e->flags & ~PW_CT_F_DENIED),
				__ATOMIC_RELAXED);
			__atomic_store_n(&e->gen, gen, __ATOMIC_RELAXED);
			/* fall through */
		case SIT_CURRENT:
			/* A packet with a classification of its own was counted by it. */
			reason[i] = decide_current(ct, e, m, cs->ab[i], row,
				counted || cs->what[i] != PLAN_NONE, now_ms, &dir);
			if (dir != DIR_NONE)
				pw_ct_count(e, dir, m->l3_len);
			break;
		}
	}
	if (revalidated != 0) {
		pw_ct_ctr_add(&ct->ctr.revalidated, revalidated);
		pw_ct_ctr_add(&ct->ctr.revoked, revoked);
	}
}
