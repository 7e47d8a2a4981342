/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The bridge's MAC table: set-associative, lock-free, shared by all workers.
 *
 * One set is one cache line of four entries. An entry's MAC and port live in one 64-bit word,
 * so a reader never sees a MAC with another entry's port. Writers race benignly: two workers
 * learning into the same slot at once leave one of the two MACs, and the other is learnt
 * again on its next frame (until then its frames are flooded, which is what a switch does
 * for an unknown destination anyway). The table never allocates after pw_fdb_init().
 *
 * Learning is one domain for all VLANs (shared VLAN learning); tags are forwarded untouched.
 * Times are in milliseconds from any monotonic origin, as 32-bit values that may wrap.
 */
#ifndef PW_FDB_H
#define PW_FDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PW_FDB_WAYS 4

struct pw_fdb_entry {
	uint64_t key;	  /**< mac << 16 | port << 1 | 1 (valid); 0 = empty */
	uint32_t seen_ms; /**< when the MAC was last seen */
	uint32_t pad;
};

struct pw_fdb_set {
	struct pw_fdb_entry way[PW_FDB_WAYS];
} __attribute__((aligned(64)));

struct pw_fdb {
	uint32_t set_mask;  /**< number of sets - 1 (a power of two) */
	uint32_t ageing_ms; /**< an entry not seen for longer is ignored and may be replaced */
	struct pw_fdb_set sets[]; /**< in the same allocation */
};

/** Bytes needed for a table of at least @p nb_entries entries (rounded up to a power of two). */
size_t pw_fdb_mem_size(uint32_t nb_entries);

/**
 * Initialise a table in @p mem (pw_fdb_mem_size() bytes, 64-byte aligned, any contents).
 * @return the table (== mem), or NULL if @p nb_entries is 0 or @p mem is misaligned.
 */
struct pw_fdb *pw_fdb_init(void *mem, uint32_t nb_entries, uint32_t ageing_ms);

/** Forget every entry. Not safe while workers run. */
void pw_fdb_flush(struct pw_fdb *fdb);

/** Number of live (not aged-out) entries at @p now_ms; control-thread diagnostic, O(size). */
uint32_t pw_fdb_count(const struct pw_fdb *fdb, uint32_t now_ms);

static inline uint64_t
pw_fdb_mac48(const uint8_t *mac)
{
	return (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
		(uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | (uint64_t)mac[5];
}

static inline uint32_t
pw_fdb_set_index(const struct pw_fdb *fdb, uint64_t mac48)
{
	/* Fibonacci hashing: the top bits of the product are well mixed even for MACs that
	 * differ only in their last byte. */
	return (uint32_t)((mac48 * 0x9e3779b97f4a7c15ull) >> 32) & fdb->set_mask;
}

static inline bool
pw_fdb_fresh(const struct pw_fdb *fdb, uint32_t seen_ms, uint32_t now_ms)
{
	return (uint32_t)(now_ms - seen_ms) <= fdb->ageing_ms;
}

/**
 * Learn that @p mac is behind port index @p port (< 32768). Writes only when something
 * changed (or the timestamp is more than 1 s old) so that steady traffic keeps the cache line
 * shared between workers. Any worker; lock-free.
 */
static inline void
pw_fdb_learn(struct pw_fdb *fdb, const uint8_t *mac, uint16_t port, uint32_t now_ms)
{
	uint64_t mac48 = pw_fdb_mac48(mac);
	uint64_t key = mac48 << 16 | (uint64_t)port << 1 | 1;
	struct pw_fdb_set *set = &fdb->sets[pw_fdb_set_index(fdb, mac48)];
	struct pw_fdb_entry *victim = &set->way[0];
	uint64_t victim_score = 0;
	unsigned int i;

	for (i = 0; i < PW_FDB_WAYS; i++) {
		struct pw_fdb_entry *e = &set->way[i];
		uint64_t k = __atomic_load_n(&e->key, __ATOMIC_RELAXED);
		uint32_t age = now_ms - __atomic_load_n(&e->seen_ms, __ATOMIC_RELAXED);
		uint64_t score;

		if (k != 0 && (k >> 16) == mac48) {
			if (k != key)
				__atomic_store_n(&e->key, key, __ATOMIC_RELAXED);
			if (age >= 1000 || k != key)
				__atomic_store_n(&e->seen_ms, now_ms, __ATOMIC_RELAXED);
			return;
		}
		/* Replace an empty slot first, else the one not seen for longest. */
		score = k == 0 ? UINT64_MAX : age;
		if (score > victim_score) {
			victim = e;
			victim_score = score;
		}
	}
	__atomic_store_n(&victim->seen_ms, now_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&victim->key, key, __ATOMIC_RELAXED);
}

/**
 * Port index behind @p mac, or -1 if unknown or aged out. Any worker; lock-free.
 */
static inline int
pw_fdb_lookup(const struct pw_fdb *fdb, const uint8_t *mac, uint32_t now_ms)
{
	uint64_t mac48 = pw_fdb_mac48(mac);
	const struct pw_fdb_set *set = &fdb->sets[pw_fdb_set_index(fdb, mac48)];
	unsigned int i;

	for (i = 0; i < PW_FDB_WAYS; i++) {
		uint64_t k = __atomic_load_n(&set->way[i].key, __ATOMIC_RELAXED);

		if (k != 0 && (k >> 16) == mac48) {
			uint32_t seen = __atomic_load_n(&set->way[i].seen_ms, __ATOMIC_RELAXED);

			return pw_fdb_fresh(fdb, seen, now_ms) ? (int)((k >> 1) & 0x7fff) : -1;
		}
	}
	return -1;
}

#endif /* PW_FDB_H */
