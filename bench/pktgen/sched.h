/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * podwall-bench's schedule, in pure C (no DPDK, so the unit tests need no EAL): the pacing of
 * bursts at a constant offered load (--rate), and the sequence-number window that tells a
 * packet sent during the learning phase (--learn) from one of the measured phase.
 */
#ifndef PW_BENCH_SCHED_H
#define PW_BENCH_SCHED_H

#include <stdbool.h>
#include <stdint.h>

/**
 * One queue's pacer. Burst k is due at t0 + floor(k * num / den) cycles, computed exactly,
 * so a rate that does not divide the TSC rate does not drift. A sender that polls late by
 * less than one burst interval sends the due burst at once and stays on the grid. One that
 * is later than that (its own stall) may send at most @c catch_up missed bursts back to back
 * (pg_pace_set_catch_up(); 0 after pg_pace_init()): older missed slots are skipped and
 * counted. A short hiccup of the sender then costs no offered load, and a long stall cannot
 * turn into a flood of back-to-back bursts that overruns the receiver's ring: the offered
 * load never exceeds the rate asked by more than catch_up bursts at any moment. Written by
 * its queue's lcore only.
 */
struct pg_pace {
	uint64_t t0;	       /**< TSC of slot 0 */
	unsigned __int128 num; /**< slot interval = num / den cycles */
	uint64_t den;
	uint64_t slot;	     /**< the next slot to send */
	uint64_t catch_up;   /**< missed slots that may still be sent late, back to back */
	uint64_t nb_sent;    /**< slots sent (pg_pace_poll() returned true) */
	uint64_t nb_skipped; /**< slots skipped because the sender was late */
};

/**
 * Set up a pacer for bursts of @p burst packets, @p nb_queues queues sharing @p rate_mpps
 * equally (each queue sends rate / nb_queues).
 *
 * @param p the pacer (written)
 * @param t0 TSC of the first slot
 * @param hz TSC cycles per second (> 0)
 * @param burst packets per burst (> 0)
 * @param nb_queues queues sharing the rate (> 0)
 * @param rate_mpps the rate over all queues, in Mpps
 * @return 0, or -EINVAL when a parameter is 0, or the rate is not finite or rounds to less
 *   than 1e-9 Mpps (the pacer's resolution), or is above 1e9 Mpps
 */
int pg_pace_init(struct pg_pace *p, uint64_t t0, uint64_t hz, unsigned int burst,
	unsigned int nb_queues, double rate_mpps);

/** Let the sender catch up at most @p slots missed bursts after a stall (see above). */
void pg_pace_set_catch_up(struct pg_pace *p, uint64_t slots);

/** TSC at which slot @p slot is due. */
uint64_t pg_pace_due(const struct pg_pace *p, uint64_t slot);

/**
 * Whether a burst is due at @p now; if so, the slot is consumed. When @p now is at or past
 * the slot after the next one's due time (late by a whole interval or more), the slots due
 * before the latest are skipped and counted in nb_skipped, but for the last @c catch_up of
 * them, which the next polls send at once, one per poll.
 *
 * @return true: send one burst now; false: not yet.
 */
bool pg_pace_poll(struct pg_pace *p, uint64_t now);

/** The slot interval in cycles (for reports; the pacer itself keeps the exact fraction). */
double pg_pace_interval(const struct pg_pace *p);

/**
 * One queue's sequence numbers at the end of the learning phase: the measured phase starts
 * at @c first; the @c nb_learn numbers before it (modulo 2^32) were sent while learning. The
 * window is consulted only while @c open: its owner closes it once 2^31 numbers have been
 * sent since @c first, long before a wrapped number could fall into it again.
 */
struct pg_seqwin {
	uint32_t first;	   /**< first sequence number of the measured phase */
	uint32_t nb_learn; /**< numbers used before it (at most 2^31) */
	bool open;
};

/**
 * Start the measured phase at @p first, after @p nb_sent_before sequence numbers were used
 * (capped at 2^31).
 */
void pg_seqwin_start(struct pg_seqwin *w, uint32_t first, uint64_t nb_sent_before);

/**
 * Close the window once @p next (the owner's next sequence number) is 2^31 or more past
 * @c first. @return whether the window is still open.
 */
bool pg_seqwin_update(struct pg_seqwin *w, uint32_t next);

/** Whether @p seq was sent before the measured phase (false when the window is closed). */
bool pg_seqwin_is_learning(const struct pg_seqwin *w, uint32_t seq);

#endif /* PW_BENCH_SCHED_H */
