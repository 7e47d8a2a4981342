/* SPDX-License-Identifier: Apache-2.0 */
/* podwall-bench's schedule (bench/pktgen/sched.c): the pacer keeps a constant offered load
 * (no catching up after a stall, no drift at rates that do not divide the TSC rate), and
 * the learning phase's sequence window tells late learning packets from measured ones. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../bench/pktgen/sched.h"

#define HZ UINT64_C(2000000000) /* 2 GHz */

/* Poll every @step cycles from @from to @to (exclusive); return the bursts sent. */
static uint64_t
poll_span(struct pg_pace *p, uint64_t from, uint64_t to, uint64_t step)
{
	uint64_t t, n = 0;

	for (t = from; t < to; t += step)
		n += pg_pace_poll(p, t);
	return n;
}

static void
test_init_rejects(void **state)
{
	struct pg_pace p;

	(void)state;
	assert_int_equal(pg_pace_init(&p, 0, 0, 32, 1, 1.0), -EINVAL);
	assert_int_equal(pg_pace_init(&p, 0, HZ, 0, 1, 1.0), -EINVAL);
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 0, 1.0), -EINVAL);
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, 0.0), -EINVAL);
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, -1.0), -EINVAL);
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, NAN), -EINVAL);
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, INFINITY), -EINVAL);
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, 1e-9), 0);
}

/* 1 Mpps in bursts of 32 at 2 GHz: one burst every 64,000 cycles, exactly on the grid. */
static void
test_on_time(void **state)
{
	const uint64_t t0 = 1000000;
	struct pg_pace p;
	uint64_t k;

	(void)state;
	assert_int_equal(pg_pace_init(&p, t0, HZ, 32, 1, 1.0), 0);
	assert_true(pg_pace_interval(&p) == 64000.0);
	assert_false(pg_pace_poll(&p, 0));
	assert_false(pg_pace_poll(&p, t0 - 1));
	for (k = 0; k < 1000; k++) {
		assert_int_equal(pg_pace_due(&p, k), t0 + k * 64000);
		assert_true(pg_pace_poll(&p, t0 + k * 64000));
		/* Once per slot: polling again in the same interval sends nothing. */
		assert_false(pg_pace_poll(&p, t0 + k * 64000));
		assert_false(pg_pace_poll(&p, t0 + k * 64000 + 63999));
	}
	assert_int_equal(p.nb_sent, 1000);
	assert_int_equal(p.nb_skipped, 0);
}

/* Late by less than one interval: the burst goes at once and the next one stays on the grid
 * (it comes sooner), nothing is skipped. */
static void
test_late_less_than_a_burst(void **state)
{
	struct pg_pace p;
	uint64_t k;

	(void)state;
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, 1.0), 0);
	for (k = 0; k < 1000; k++) {
		uint64_t late = (k * 7919) % 64000; /* 0 .. 63,999 cycles late */

		assert_true(pg_pace_poll(&p, k * 64000 + late));
		assert_false(pg_pace_poll(&p, k * 64000 + late));
	}
	assert_int_equal(p.slot, 1000);
	assert_int_equal(p.nb_sent, 1000);
	assert_int_equal(p.nb_skipped, 0);
	/* Exactly one interval late: slot 1000 is then due too, so 1000 is skipped. */
	assert_true(pg_pace_poll(&p, 1001 * 64000));
	assert_int_equal(p.nb_skipped, 1);
	assert_int_equal(p.slot, 1002);
}

/* A stall of 10 ms (156.25 intervals): one burst after it, the missed slots skipped and
 * counted, the grid kept; the load afterwards is the rate asked, with no catch-up bursts. */
static void
test_late_by_a_lot(void **state)
{
	const uint64_t stall_end = 20 * 64000 + HZ / 100; /* 10 ms after slot 20 was sent */
	struct pg_pace p;
	uint64_t sent;

	(void)state;
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, 1.0), 0);
	assert_int_equal(poll_span(&p, 0, 20 * 64000 + 1, 1000), 21); /* slots 0..20 */
	/* Stalled: the next poll is at stall_end = 1,280,000 + 20,000,000 cycles; slots 21 ..
	 * 332 (due at 21,248,000) are due, only the latest goes. */
	assert_true(pg_pace_poll(&p, stall_end));
	assert_int_equal(p.nb_skipped, 332 - 21);
	assert_int_equal(p.slot, 333);
	assert_false(pg_pace_poll(&p, stall_end));
	assert_false(pg_pace_poll(&p, pg_pace_due(&p, 333) - 1));
	/* Afterwards: exactly one burst per interval, polled every 1,000 cycles for 1 s. */
	sent = poll_span(&p, stall_end + 1, stall_end + 1 + HZ, 1000);
	assert_int_equal(sent, HZ / 64000);
	assert_int_equal(p.nb_skipped, 311);
	/* Offered over the whole run: never more than the slots elapsed. */
	assert_true(p.nb_sent + p.nb_skipped == p.slot);
	assert_true(p.nb_sent <= (stall_end + 1 + HZ) / 64000 + 1);
}

/* With catch_up = 8: a stall of 5 intervals costs no offered load (the 5 missed bursts go
 * back to back, one per poll); a stall of 100 intervals sends the last 8 missed and the
 * latest, skips the rest; the grid is kept either way. */
static void
test_bounded_catch_up(void **state)
{
	struct pg_pace p;
	uint64_t k, t;

	(void)state;
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 1, 1.0), 0);
	pg_pace_set_catch_up(&p, 8);
	assert_int_equal(poll_span(&p, 0, 10 * 64000 + 1, 1000), 11); /* slots 0..10 */
	/* Next poll 5 intervals late: slots 11..15 due, all of them go. */
	t = 15 * 64000 + 10;
	for (k = 11; k <= 15; k++)
		assert_true(pg_pace_poll(&p, t));
	assert_false(pg_pace_poll(&p, t));
	assert_int_equal(p.nb_skipped, 0);
	assert_int_equal(p.slot, 16);
	/* 100 intervals late: slots 16..115 due; 16..106 skipped, 107..115 sent. */
	t = 115 * 64000 + 10;
	for (k = 0; k < 9; k++)
		assert_true(pg_pace_poll(&p, t));
	assert_false(pg_pace_poll(&p, t));
	assert_int_equal(p.nb_skipped, 107 - 16);
	assert_int_equal(p.slot, 116);
	/* Back on the grid: one burst per interval. */
	assert_int_equal(poll_span(&p, t + 1, 1116 * 64000, 1000), 1000); /* 116..1115 */
	assert_true(p.nb_sent + p.nb_skipped == p.slot);
}

/* A rate whose interval is not a whole number of cycles: 0.3 Mpps in bursts of 32 at
 * 2.1 GHz (224,000 cycles exactly) and 0.7 Mpps in bursts of 7 at 2,999,999,999 Hz
 * (29,999.99999 cycles). Over a long run the count is exact, no drift. */
static void
test_rates_that_do_not_divide(void **state)
{
	struct pg_pace p;
	uint64_t hz = UINT64_C(2999999999), t, n;

	(void)state;
	assert_int_equal(pg_pace_init(&p, 0, UINT64_C(2100000000), 32, 1, 0.3), 0);
	assert_true(pg_pace_interval(&p) == 224000.0);

	/* 0.7 Mpps / 7 = 100,000 bursts per second. */
	assert_int_equal(pg_pace_init(&p, 5, hz, 7, 1, 0.7), 0);
	assert_true(fabs(pg_pace_interval(&p) - 29999.99999) < 1e-6);
	/* Due times are floors of the exact fraction; slot 100,000 is one second in. */
	assert_int_equal(pg_pace_due(&p, 1), 5 + 29999);
	assert_int_equal(pg_pace_due(&p, 3), 5 + 89999);
	assert_int_equal(pg_pace_due(&p, 100000), 5 + hz);
	assert_int_equal(pg_pace_due(&p, 1000000), 5 + 10 * hz);
	/* Ten seconds, polled every 9,973 cycles: 1,000,000 bursts (a truncated interval of
	 * 29,999 cycles would have given 1,000,034). */
	n = 0;
	for (t = 5; t < 5 + 10 * hz; t += 9973)
		n += pg_pace_poll(&p, t);
	assert_int_equal(n, 1000000);
	assert_int_equal(p.nb_skipped, 0);

	/* Two queues share the rate: each sends half. */
	assert_int_equal(pg_pace_init(&p, 0, HZ, 32, 2, 1.0), 0);
	assert_true(pg_pace_interval(&p) == 128000.0);
}

/* 1 packet per second (1e-6 Mpps) in bursts of 1, and 1e-9 Mpps (one per 1,000 s). */
static void
test_very_low_rate(void **state)
{
	struct pg_pace p;

	(void)state;
	assert_int_equal(pg_pace_init(&p, 0, HZ, 1, 1, 1e-6), 0);
	assert_true(pg_pace_interval(&p) == (double)HZ);
	assert_true(pg_pace_poll(&p, 0));
	assert_int_equal(poll_span(&p, 1, HZ, HZ / 1000), 0);
	assert_true(pg_pace_poll(&p, HZ));
	assert_false(pg_pace_poll(&p, HZ + 1));
	/* A 3.5 s stall: slots 2 and 3 skipped, 4 goes (due at 4 s), 5 is next. */
	assert_true(pg_pace_poll(&p, HZ * 4 + HZ / 2));
	assert_int_equal(p.nb_skipped, 2);
	assert_int_equal(pg_pace_due(&p, p.slot), 5 * HZ);

	assert_int_equal(pg_pace_init(&p, 0, HZ, 1, 1, 1e-9), 0);
	assert_true(pg_pace_poll(&p, 0));
	assert_false(pg_pace_poll(&p, 999 * HZ));
	assert_true(pg_pace_poll(&p, 1000 * HZ));
}

/* Very high rates: 100 Mpps in bursts of 1 at 2 GHz is one burst per 20 cycles; 1,000 Mpps
 * is one per 2 cycles; 10,000 Mpps has an interval under one cycle. A sender polling every
 * 100 cycles sends one burst per poll and the rest is counted as skipped, never sent late. */
static void
test_very_high_rate(void **state)
{
	struct pg_pace p;
	uint64_t n;

	(void)state;
	assert_int_equal(pg_pace_init(&p, 0, HZ, 1, 1, 100.0), 0);
	assert_true(pg_pace_interval(&p) == 20.0);
	n = poll_span(&p, 0, 1000000, 100);
	assert_int_equal(n, 10000);
	/* Every poll after the first was 5 slots after the last: 4 skipped each time. */
	assert_int_equal(p.nb_skipped, 4 * 9999);
	assert_int_equal(p.slot, 49996);

	/* Polling faster than the interval: no skips, one burst per 20 cycles. */
	assert_int_equal(pg_pace_init(&p, 0, HZ, 1, 1, 100.0), 0);
	assert_int_equal(poll_span(&p, 0, 1000000, 3), 50000);
	assert_int_equal(p.nb_skipped, 0);

	assert_int_equal(pg_pace_init(&p, 0, HZ, 1, 1, 10000.0), 0);
	assert_true(pg_pace_interval(&p) == 0.2);
	assert_true(pg_pace_poll(&p, 0));
	assert_int_equal(p.slot, 5); /* slots 0..4 are all due at t0: 0..3 skipped */
	assert_int_equal(p.nb_skipped, 4);
	assert_true(pg_pace_poll(&p, 1));
	assert_int_equal(p.slot, 10);
	assert_false(pg_pace_poll(&p, 1));
	/* An hour at 2 GHz, polled at the end: the 128-bit arithmetic does not overflow. */
	assert_true(pg_pace_poll(&p, 3600 * HZ));
	assert_int_equal(p.slot, 3600 * HZ * 5 + 5);
}

/* The learning window: numbers just before 'first' are learning, 'first' and after are not;
 * across the 2^32 wrap; closed after 2^31 measured numbers. */
static void
test_seqwin(void **state)
{
	struct pg_seqwin w;

	(void)state;
	pg_seqwin_start(&w, 1000, 1000);
	assert_true(pg_seqwin_is_learning(&w, 0));
	assert_true(pg_seqwin_is_learning(&w, 999));
	assert_false(pg_seqwin_is_learning(&w, 1000));
	assert_false(pg_seqwin_is_learning(&w, 1001));
	assert_false(pg_seqwin_is_learning(&w, UINT32_MAX)); /* not sent: before the first */
	assert_false(pg_seqwin_is_learning(&w, 1000 + (UINT32_C(1) << 31) - 1));

	/* Wrapped: learning sent 4294967200 .. 99, measuring starts at 100. */
	pg_seqwin_start(&w, 100, 196);
	assert_true(pg_seqwin_is_learning(&w, UINT32_C(4294967200)));
	assert_true(pg_seqwin_is_learning(&w, UINT32_MAX));
	assert_true(pg_seqwin_is_learning(&w, 0));
	assert_true(pg_seqwin_is_learning(&w, 99));
	assert_false(pg_seqwin_is_learning(&w, UINT32_C(4294967199)));
	assert_false(pg_seqwin_is_learning(&w, 100));
	assert_false(pg_seqwin_is_learning(&w, 5000000));

	/* A learning phase longer than 2^31 numbers is capped at 2^31. */
	pg_seqwin_start(&w, 7, UINT64_C(1) << 40);
	assert_int_equal(w.nb_learn, UINT32_C(1) << 31);
	assert_true(pg_seqwin_is_learning(&w, 7 - (UINT32_C(1) << 31)));
	assert_false(pg_seqwin_is_learning(&w, 7 - (UINT32_C(1) << 31) - 1));
	/* Every measured number sent while the window is open is measured. */
	assert_false(pg_seqwin_is_learning(&w, 7 + (UINT32_C(1) << 31) - 1));

	/* The window closes 2^31 numbers after first, and then nothing is learning. */
	pg_seqwin_start(&w, 1000, 1000);
	assert_true(pg_seqwin_update(&w, 1000));
	assert_true(pg_seqwin_update(&w, 1000 + (UINT32_C(1) << 31) - 1));
	assert_false(pg_seqwin_update(&w, 1000 + (UINT32_C(1) << 31)));
	assert_false(pg_seqwin_is_learning(&w, 999));
	assert_false(pg_seqwin_update(&w, 1001)); /* stays closed */

	/* No learning at all: nothing is ever learning. */
	pg_seqwin_start(&w, 0, 0);
	assert_false(pg_seqwin_is_learning(&w, UINT32_MAX));
	assert_false(pg_seqwin_is_learning(&w, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_on_time),
		cmocka_unit_test(test_late_less_than_a_burst),
		cmocka_unit_test(test_late_by_a_lot),
		cmocka_unit_test(test_bounded_catch_up),
		cmocka_unit_test(test_rates_that_do_not_divide),
		cmocka_unit_test(test_very_low_rate),
		cmocka_unit_test(test_very_high_rate),
		cmocka_unit_test(test_seqwin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
