/* SPDX-License-Identifier: Apache-2.0 */
/* podwall-bench's schedule: see sched.h. */
#include "sched.h"

#include <errno.h>
#include <math.h>

#define SEQ_HALF (UINT32_C(1) << 31)

int
pg_pace_init(struct pg_pace *p, uint64_t t0, uint64_t hz, unsigned int burst,
	unsigned int nb_queues, double rate_mpps)
{
	double mpps_milli = rate_mpps * 1e9; /* milli-packets per second, all queues */

	if (hz == 0 || burst == 0 || nb_queues == 0 || !isfinite(rate_mpps) || mpps_milli < 0.5 ||
		mpps_milli > 1e18)
		return -EINVAL;
	/* interval = hz * burst * nb_queues / (rate_mpps * 1e6) cycles, kept as an exact
	 * fraction of integers: hz * burst * nb_queues * 1000 over the rate in mpps. */
	p->t0 = t0;
	p->num = (unsigned __int128)hz * burst * nb_queues * 1000u;
	p->den = (uint64_t)llround(mpps_milli);
	p->slot = 0;
	p->catch_up = 0;
	p->nb_sent = 0;
	p->nb_skipped = 0;
	return 0;
}

uint64_t
pg_pace_due(const struct pg_pace *p, uint64_t slot)
{
	return p->t0 + (uint64_t)((unsigned __int128)slot * p->num / p->den);
}

bool
pg_pace_poll(struct pg_pace *p, uint64_t now)
{
	uint64_t latest;

	if (now < pg_pace_due(p, p->slot))
		return false;
	/* On time, or late by less than one interval: stay on the grid. Later than that: the
	 * latest slot due at @now is the largest k with floor(k * num / den) <= now - t0,
	 * i.e. k * num < (now - t0 + 1) * den; the sender may be catch_up slots behind it. */
	if (now >= pg_pace_due(p, p->slot + 1)) {
		latest = (uint64_t)((((unsigned __int128)(now - p->t0) + 1) * p->den - 1) / p->num);
		if (latest - p->slot > p->catch_up) {
			p->nb_skipped += latest - p->slot - p->catch_up;
			p->slot = latest - p->catch_up;
		}
	}
	p->slot++;
	p->nb_sent++;
	return true;
}

void
pg_pace_set_catch_up(struct pg_pace *p, uint64_t slots)
{
	p->catch_up = slots;
}

double
pg_pace_interval(const struct pg_pace *p)
{
	return (double)p->num / (double)p->den;
}

void
pg_seqwin_start(struct pg_seqwin *w, uint32_t first, uint64_t nb_sent_before)
{
	w->first = first;
	w->nb_learn = nb_sent_before > SEQ_HALF ? SEQ_HALF : (uint32_t)nb_sent_before;
	w->open = true;
}

bool
pg_seqwin_update(struct pg_seqwin *w, uint32_t next)
{
	if (w->open && (uint32_t)(next - w->first) >= SEQ_HALF)
		w->open = false;
	return w->open;
}

bool
pg_seqwin_is_learning(const struct pg_seqwin *w, uint32_t seq)
{
	/* first - seq is 1..nb_learn for the numbers just before first; anything at or after
	 * first (less than 2^31 past it while the window is open) gives 2^31 or more. */
	return w->open && (uint32_t)(w->first - seq) - 1u < w->nb_learn;
}
