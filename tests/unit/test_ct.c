/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow table without EAL: insert and lookup from both directions (single and burst),
 * delete without tombstones, a random workload checked against a linear reference table
 * (OVS test-classifier's "tcls" idea) on a tiny table where buckets overflow, full-table
 * behaviours (drop-new counted, expired entries reclaimed first, evict-oldest sparing replied
 * flows), the incremental expiry sweep with an injected clock, and the reader's copies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dataplane/ct.h"

struct fixture {
	void *mem;
	struct pw_ct *ct;
};

static struct pw_ct *
make(struct fixture *f, uint32_t max_flows, bool evict, uint32_t udp_ms)
{
	struct pw_ct_params p = { .max_flows = max_flows, .evict = evict, .seed = 12345 };
	size_t sz = pw_ct_mem_size(max_flows);

	assert_true(sz > 0);
	pw_ct_timeouts_default(&p.timeouts);
	p.timeouts.ms[PW_CT_TO_UDP] = udp_ms;
	f->mem = aligned_alloc(128, (sz + 127) & ~(size_t)127);
	assert_non_null(f->mem);
	memset(f->mem, 0, sz);
	f->ct = pw_ct_init(f->mem, &p);
	assert_non_null(f->ct);
	return f->ct;
}

static void
unmake(struct fixture *f)
{
	free(f->mem);
}

/* Flow n: 10.0.x.y:n%60000 -> 10.1.0.1:53 UDP, as the key of its first packet. */
static struct pw_ct_key
key_of(uint32_t n, bool *ret_ab)
{
	struct pw_pkt_meta m;
	struct pw_ct_key k;
	bool ab;

	memset(&m, 0, sizeof(m));
	m.l3 = PW_L3_IPV4;
	m.proto = PW_CT_PROTO_UDP;
	m.src.b[0] = 10;
	m.src.b[2] = (uint8_t)(n >> 8);
	m.src.b[3] = (uint8_t)n;
	m.dst.b[0] = 10;
	m.dst.b[1] = 1;
	m.dst.b[3] = 1;
	m.sport = (uint16_t)(1024 + n % 60000);
	m.dport = 53;
	assert_int_equal(pw_ct_key_build(&m, &k, &ab), PW_CT_KIND_FLOW);
	if (ret_ab != NULL)
		*ret_ab = ab;
	return k;
}

/* With bad_hash, every flow hashes to one of three home buckets with one of five
 * signatures: long overflow chains and signature collisions, on purpose. */
static bool bad_hash;

static uint64_t
hash_of(const struct pw_ct *ct, const struct pw_ct_key *k, uint32_t n)
{
	if (bad_hash)
		return (uint64_t)(n % 3) | (uint64_t)(n % 5) << 48;
	return pw_ct_hash(k, ct->seed);
}

static uint32_t
insert(struct pw_ct *ct, uint32_t n, uint32_t now)
{
	bool ab;
	struct pw_ct_key k = key_of(n, &ab);

	return pw_ct_insert(
		ct, &k, hash_of(ct, &k, n), ab ? PW_CT_F_ORIG_AB : 0, PW_CT_ST_ACTIVE, 1, now);
}

static uint32_t
find(const struct pw_ct *ct, uint32_t n)
{
	struct pw_ct_key k = key_of(n, NULL);

	return pw_ct_find(ct, &k, hash_of(ct, &k, n));
}

static void
test_sizes(void **state)
{
	struct pw_ct_params p = { .max_flows = 8 };
	uint8_t mem[256] __attribute__((aligned(128)));

	(void)state;
	assert_int_equal(sizeof(struct pw_ct_entry), 128);
	assert_int_equal(sizeof(struct pw_ct_bucket), 64);
	assert_int_equal(sizeof(struct pw_ct_key), 40);
	assert_int_equal(pw_ct_mem_size(PW_CT_MIN_FLOWS - 1), 0);
	/* 1M flows: 128 MB of entries, 2^18 buckets (16 MB), a 4 MB free stack. */
	assert_true(pw_ct_mem_size(1u << 20) < (149u << 20));
	pw_ct_timeouts_default(&p.timeouts);
	assert_null(pw_ct_init(mem, &p)); /* too small */
	p.max_flows = 16;
	assert_null(pw_ct_init(mem + 64, &p)); /* misaligned */
	p.timeouts.ms[PW_CT_TO_UDP] = 0;
	assert_null(pw_ct_init(mem, &p)); /* a zero timeout */
}

static void
test_both_directions(void **state)
{
	struct fixture f;
	struct pw_ct *ct = make(&f, 1024, false, 60000);
	struct pw_pkt_meta m;
	struct pw_ct_key k[2];
	uint64_t hash[2];
	uint32_t handle[2], h;
	uint16_t pos[2] = { 0, 1 };
	bool ab[2];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.l3 = PW_L3_IPV6;
	m.proto = PW_CT_PROTO_TCP;
	m.src.b[0] = m.dst.b[0] = 0xfd;
	m.src.b[15] = 9;
	m.dst.b[15] = 3;
	m.sport = 33000;
	m.dport = 443;
	assert_int_equal(pw_ct_key_build(&m, &k[0], &ab[0]), PW_CT_KIND_FLOW);
	h = pw_ct_insert(ct, &k[0], pw_ct_hash(&k[0], ct->seed), ab[0] ? PW_CT_F_ORIG_AB : 0,
		PW_CT_ST_TCP_SYN_SENT, 7, 100);
	assert_int_not_equal(h, 0);
	assert_int_equal(ct->nb_used, 1);
	/* The reply finds the same entry, and knows it is the reply. */
	m.src.b[15] = 3;
	m.dst.b[15] = 9;
	m.sport = 443;
	m.dport = 33000;
	assert_int_equal(pw_ct_key_build(&m, &k[1], &ab[1]), PW_CT_KIND_FLOW);
	pw_ct_lookup_burst(ct, k, pos, 2, hash, handle);
	assert_int_equal(handle[0], h);
	assert_int_equal(handle[1], h);
	assert_true(ab[1] != ((pw_ct_entry(ct, h)->flags & PW_CT_F_ORIG_AB) != 0));
	assert_int_equal(pw_ct_entry(ct, h)->gen, 7);
	assert_int_equal(pw_ct_entry(ct, h)->state, PW_CT_ST_TCP_SYN_SENT);
	pw_ct_touch(pw_ct_entry(ct, h), 1, 60, 150);
	assert_int_equal(pw_ct_entry(ct, h)->packets[1], 1);
	assert_int_equal(pw_ct_entry(ct, h)->bytes[1], 60);
	assert_int_equal(pw_ct_entry(ct, h)->last_ms, 150);
	pw_ct_delete(ct, h);
	pw_ct_lookup_burst(ct, k, pos, 2, hash, handle);
	assert_int_equal(handle[0], 0);
	assert_int_equal(handle[1], 0);
	assert_int_equal(ct->nb_used, 0);
	assert_int_equal(ct->ctr.created, 1);
	unmake(&f);
}

/* Random inserts, lookups and deletes on a 64-flow table (16 buckets of 8 slots), against a
 * linear list of what must be there; run with the real hash and with a clustering one. */
static void
random_vs_reference(void)
{
	struct fixture f;
	struct pw_ct *ct = make(&f, 64, false, 60000);
	uint32_t present[200];
	uint32_t handle_of[200];
	unsigned int i, step;

	memset(present, 0, sizeof(present));
	srand(7);
	for (step = 0; step < 20000; step++) {
		uint32_t n = (uint32_t)rand() % 200;
		uint32_t h = find(ct, n);

		assert_int_equal(h != 0, present[n] != 0);
		if (!bad_hash) {
			/* Another worker's read-only lookup agrees with the owner's. */
			struct pw_ct_key k = key_of(n, NULL);
			struct pw_ct_entry copy;

			assert_int_equal(pw_ct_peek(ct, &k, &copy), present[n] != 0);
			if (h != 0)
				assert_memory_equal(&copy.key, &k, sizeof(k));
		}
		if (h != 0) {
			assert_int_equal(h, handle_of[n]);
			if (rand() % 2 == 0) {
				pw_ct_delete(ct, h);
				present[n] = 0;
			}
		} else if (ct->nb_used < 64) {
			h = insert(ct, n, step);
			assert_int_not_equal(h, 0);
			present[n] = 1;
			handle_of[n] = h;
		}
		if (step % 1000 == 0) {
			uint32_t nb = 0, past = 0;

			for (i = 0; i < 200; i++)
				nb += present[i];
			assert_int_equal(nb, ct->nb_used);
			/* With the table empty again, no bucket counts anything past it. */
			for (i = 0; i <= ct->bucket_mask; i++)
				past += ct->buckets[i].nb_past;
			if (nb == 0)
				assert_int_equal(past, 0);
		}
	}
	/* Full: the 65th distinct flow does not fit (drop-new). */
	for (i = 0; i < 200 && ct->nb_used < 64; i++)
		if (!present[i])
			present[i] = insert(ct, i, 20000) != 0;
	for (i = 0; i < 200; i++)
		if (!present[i])
			break;
	assert_int_equal(insert(ct, i, 20000), 0);
	assert_int_equal(ct->ctr.table_full, 1);
	for (i = 0; i < 200; i++)
		assert_int_equal(find(ct, i) != 0, present[i] != 0);
	unmake(&f);
}

static void
test_random_vs_reference(void **state)
{
	(void)state;
	bad_hash = false;
	random_vs_reference();
	bad_hash = true;
	random_vs_reference();
	bad_hash = false;
}

static void
test_full_reclaims_expired_first(void **state)
{
	struct fixture f;
	struct pw_ct *ct = make(&f, 16, false, 1000);
	uint32_t i;

	(void)state;
	for (i = 0; i < 16; i++)
		assert_int_not_equal(insert(ct, i, 0), 0);
	/* Nobody timed out: drop-new. */
	assert_int_equal(insert(ct, 100, 500), 0);
	assert_int_equal(ct->ctr.table_full, 1);
	/* Flow 3 was refreshed; the others are 1001 ms idle: one is reclaimed. */
	pw_ct_touch(pw_ct_entry(ct, find(ct, 3)), 0, 60, 900);
	assert_int_not_equal(insert(ct, 100, 1001), 0);
	assert_int_equal(ct->ctr.expired, 1);
	assert_int_equal(ct->ctr.evicted, 0);
	assert_int_not_equal(find(ct, 3), 0);
	assert_int_not_equal(find(ct, 100), 0);
	unmake(&f);
}

static void
test_evict_oldest_spares_replied(void **state)
{
	struct fixture f;
	struct pw_ct *ct = make(&f, 16, true, 60000);
	struct pw_ct_entry *e;
	uint32_t i, evicted_flow = 0;

	(void)state;
	/* Flow 0 is the oldest but was replied to (an established flow); the others are a
	 * flood of unreplied flows, flow 5 the oldest of them. */
	for (i = 0; i < 16; i++)
		assert_int_not_equal(insert(ct, i, i == 5 ? 10 : 100 + i), 0);
	e = pw_ct_entry(ct, find(ct, 0));
	e->last_ms = 1;
	e->flags |= PW_CT_F_REPLIED;
	assert_int_not_equal(insert(ct, 100, 2000), 0);
	assert_int_equal(ct->ctr.evicted, 1);
	assert_int_equal(ct->ctr.table_full, 0);
	assert_int_not_equal(find(ct, 0), 0);
	for (i = 0; i < 16; i++)
		if (find(ct, i) == 0)
			evicted_flow = i + 1;
	assert_int_equal(evicted_flow, 6);
	/* A whole flood keeps the replied flow. */
	for (i = 200; i < 1200; i++)
		assert_int_not_equal(insert(ct, i, 3000 + i), 0);
	assert_int_not_equal(find(ct, 0), 0);
	assert_int_equal(ct->nb_used, 16);
	assert_int_equal(ct->ctr.evicted, 1001);
	unmake(&f);
}

static void
test_sweep_is_incremental(void **state)
{
	struct fixture f;
	struct pw_ct *ct = make(&f, 4096, false, 5000);
	struct pw_ct_counters c;
	uint32_t i, now;

	(void)state;
	for (i = 0; i < 4000; i++)
		assert_int_not_equal(insert(ct, i, 0), 0);
	pw_ct_tick(ct, 0);
	pw_ct_counters_read(ct, &c);
	assert_int_equal(c.active, 4000);
	/* Before the timeout nothing goes, however much the sweep visits. */
	for (now = 1; now <= 5000; now++)
		pw_ct_tick(ct, now);
	assert_int_equal(ct->nb_used, 4000);
	/* One tick visits at most PW_CT_SLICE_MAX entries: never a stop-the-world sweep. */
	pw_ct_tick(ct, 6000);
	assert_true(ct->nb_used >= 4000 - PW_CT_SLICE_MAX);
	assert_true(ct->nb_used < 4000);
	/* Ticking on for one sweep period (1 s, 5 entries owed per ms) removes them all. */
	for (now = 6001; now < 6000 + PW_CT_SWEEP_MS + 100; now++)
		pw_ct_tick(ct, now);
	assert_int_equal(ct->nb_used, 0);
	pw_ct_counters_read(ct, &c);
	assert_int_equal(c.expired, 4000);
	assert_int_equal(c.active, 0);
	/* A long stall owes at most one sweep, still paid in slices. */
	for (i = 0; i < 100; i++)
		assert_int_not_equal(insert(ct, i, 7000), 0);
	pw_ct_tick(ct, 900000);
	assert_true(ct->owed <= ct->max_flows);
	assert_true(ct->nb_used >= 100 - PW_CT_SLICE_MAX);
	for (i = 0; i < 200; i++)
		pw_ct_tick(ct, 900000);
	assert_int_equal(ct->nb_used, 0);
	unmake(&f);
}

static void
test_reader_copies(void **state)
{
	struct fixture f;
	struct pw_ct *ct = make(&f, 32, false, 60000);
	struct pw_ct_entry copy;
	uint32_t h, i, seen = 0;
	struct pw_ct_key k = key_of(9, NULL);

	(void)state;
	for (i = 0; i < 10; i++)
		assert_int_not_equal(insert(ct, i, 0), 0);
	h = find(ct, 9);
	for (i = 0; i < 32; i++)
		if (pw_ct_read(ct, i, &copy))
			seen++;
	assert_int_equal(seen, 10);
	assert_true(pw_ct_read(ct, h - 1, &copy));
	assert_memory_equal(&copy.key, &k, sizeof(k));
	assert_int_equal(copy.seq % 2, 0);
	/* An entry being changed (odd sequence) is never returned; a freed one neither. */
	pw_ct_entry(ct, h)->seq++;
	assert_false(pw_ct_read(ct, h - 1, &copy));
	pw_ct_entry(ct, h)->seq++;
	pw_ct_delete(ct, h);
	assert_false(pw_ct_read(ct, h - 1, &copy));
	assert_false(pw_ct_read(ct, 32, &copy));
	unmake(&f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_both_directions),
		cmocka_unit_test(test_random_vs_reference),
		cmocka_unit_test(test_full_reclaims_expired_first),
		cmocka_unit_test(test_evict_oldest_spares_replied),
		cmocka_unit_test(test_sweep_is_incremental),
		cmocka_unit_test(test_reader_copies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
