/* SPDX-License-Identifier: Apache-2.0 */
/* The bridge MAC table: learning, moves, ageing, replacement and time wrap-around. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/fdb.h"

struct fixture {
	void *mem;
	struct pw_fdb *fdb;
};

static int
setup_small(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	/* 8 entries = 2 sets of 4 ways: small enough to force collisions. */
	f->mem = aligned_alloc(64, (pw_fdb_mem_size(8) + 63) & ~(size_t)63);
	f->fdb = pw_fdb_init(f->mem, 8, 300000);
	*state = f;
	return f->fdb == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	free(f->mem);
	free(f);
	return 0;
}

static void
mac_of(uint8_t *mac, unsigned int n)
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void
test_unknown_is_minus_one(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];

	mac_of(mac, 1);
	assert_int_equal(pw_fdb_lookup(f->fdb, mac, 0), -1);
	assert_int_equal(pw_fdb_count(f->fdb, 0), 0);
}

static void
test_learn_and_move(void **state)
{
	struct fixture *f = *state;
	uint8_t a[6], b[6];

	mac_of(a, 1);
	mac_of(b, 2);
	pw_fdb_learn(f->fdb, a, 3, 1000);
	pw_fdb_learn(f->fdb, b, 7, 1000);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 1000), 3);
	assert_int_equal(pw_fdb_lookup(f->fdb, b, 1000), 7);
	/* The station moved to another port: the newest port wins at once. */
	pw_fdb_learn(f->fdb, a, 5, 1001);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 1001), 5);
	assert_int_equal(pw_fdb_count(f->fdb, 1001), 2);
}

static void
test_ageing(void **state)
{
	struct fixture *f = *state;
	uint8_t a[6];

	mac_of(a, 9);
	pw_fdb_learn(f->fdb, a, 1, 10000);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 10000 + 300000), 1);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 10000 + 300001), -1);
	/* Seen again: fresh again. */
	pw_fdb_learn(f->fdb, a, 1, 10000 + 300001);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 10000 + 600000), 1);
}

static void
test_refresh_keeps_entry_alive(void **state)
{
	struct fixture *f = *state;
	uint8_t a[6];
	uint32_t t;

	mac_of(a, 4);
	/* Frames every 500 ms for 20 minutes keep the entry (ageing is 5 minutes). */
	for (t = 0; t < 1200000; t += 500)
		pw_fdb_learn(f->fdb, a, 2, t);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 1200000), 2);
}

static void
test_time_wraps(void **state)
{
	struct fixture *f = *state;
	uint8_t a[6];

	mac_of(a, 5);
	pw_fdb_learn(f->fdb, a, 6, UINT32_MAX - 100);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 200), 6);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 300000), -1);
}

static void
test_full_table_replaces_oldest(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];
	unsigned int i, found = 0;

	/* 64 MACs into 8 slots: every set fills, the most recent ones must be the ones kept. */
	for (i = 0; i < 64; i++) {
		mac_of(mac, i);
		pw_fdb_learn(f->fdb, mac, (uint16_t)(i % 30), 1000 + i * 10);
	}
	assert_int_equal(pw_fdb_count(f->fdb, 2000), 8);
	for (i = 0; i < 64; i++) {
		int port;

		mac_of(mac, i);
		port = pw_fdb_lookup(f->fdb, mac, 2000);
		if (port >= 0) {
			assert_int_equal(port, i % 30);
			found++;
		}
	}
	assert_int_equal(found, 8);
	/* The last MAC learnt always survives. */
	mac_of(mac, 63);
	assert_int_equal(pw_fdb_lookup(f->fdb, mac, 2000), 63 % 30);
}

static void
test_flush(void **state)
{
	struct fixture *f = *state;
	uint8_t a[6];

	mac_of(a, 1);
	pw_fdb_learn(f->fdb, a, 1, 0);
	pw_fdb_flush(f->fdb);
	assert_int_equal(pw_fdb_lookup(f->fdb, a, 0), -1);
}

static void
test_init_rejects_bad_args(void **state)
{
	void *mem = aligned_alloc(64, 4096);

	(void)state;
	assert_null(pw_fdb_init(mem, 0, 1000));
	assert_null(pw_fdb_init((char *)mem + 8, 4, 1000));
	assert_true(pw_fdb_mem_size(16384) >= 16384 * sizeof(struct pw_fdb_entry));
	free(mem);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unknown_is_minus_one, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_learn_and_move, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_ageing, setup_small, teardown),
		cmocka_unit_test_setup_teardown(
			test_refresh_keeps_entry_alive, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_time_wraps, setup_small, teardown),
		cmocka_unit_test_setup_teardown(
			test_full_table_replaces_oldest, setup_small, teardown),
		cmocka_unit_test_setup_teardown(test_flush, setup_small, teardown),
		cmocka_unit_test(test_init_rejects_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
