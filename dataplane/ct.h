/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The flow table of one worker: DESIGN decision 4. Each worker owns one table and is its
 * only writer: no locks, no atomics read-modify-write, no allocation after pw_ct_init().
 * Both directions of a flow reach the same worker (dataplane/dp.c, "Multi-queue"), so the
 * one table a worker sees holds every flow it must decide.
 *
 * Layout, in one block of memory sized at start (pw_ct_mem_size()):
 *  - entries: max_flows of 128 bytes (two cache lines): line 0 holds all that a lookup and a
 *    decision read (key, last seen, state, flags, timeout class, generation, the rule hit
 *    columns), line 1 what a packet only adds to (the per-flow counters) and what only
 *    inserts, deletes and readers touch (hash, creation time, sequence count, timeout in ms).
 *    A decision never waits for line 1: the lookup prefetches it for writing along with line
 *    0, and pw_ct_decide_burst() adds the counters of a burst's packets after deciding them
 *    all (pw_ct_count()).
 *  - the free entries' handles, as a stack (4 bytes per flow): the entries the next inserts
 *    will take are known ahead, so a burst of new flows prefetches them
 *    (pw_ct_prefetch_free()).
 *  - buckets: an index over the entries, a power of two of 64-byte buckets of 8 slots
 *    (entry handle + 16-bit signature), at most 80% full. A key's home bucket is its hash;
 *    when the home is full the entry goes to the next bucket with room (linear probing by
 *    bucket), and every bucket passed counts it in nb_past, so a lookup stops at the first
 *    bucket with nb_past 0 and a deletion leaves no tombstone.
 *
 * Lookup is pipelined over a burst (pw_ct_lookup_burst()), one short loop per stage so that
 * the misses of a whole burst overlap: hash and prefetch every home bucket
 * (pw_ct_hash_prefetch()), then match signatures and prefetch both lines of the candidate
 * entries (pw_ct_lookup_candidates()), then compare keys (pw_ct_lookup_resolve()). Comparing
 * keys in the decision's own loop instead was measured slower on a machine whose table
 * misses go to DRAM (bench/README.md, "Connection tracking").
 *
 * Expiry is incremental: pw_ct_tick(), once per worker loop iteration, scans a few entries
 * so that the whole table is swept once per PW_CT_SWEEP_MS, never all at once; a hit on an
 * entry that timed out before its sweep treats it as gone. When the table is full, an insert
 * first reclaims a timed-out entry from a sample of PW_CT_SAMPLE, then either fails
 * (drop-new) or evicts the sampled flow idle the longest, flows never replied to first.
 *
 * Readers on other threads (the operator's `flows`, stats) never write. pw_ct_read() copies
 * an entry under a sequence count that the owner makes odd while it changes the entry's key
 * (insert, delete): a copy that overlapped such a change is retried or skipped, so a reader
 * never pairs one flow's key with another's orig direction. Per-packet fields (state, last
 * seen, counters) are single-writer relaxed stores that a reader may see one packet stale.
 * Counters (struct pw_ct_counters) likewise. The memory lives until the dataplane is freed,
 * after the workers stopped, so a reader can never touch freed memory.
 */
#ifndef PW_CT_H
#define PW_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "dataplane/ct_state.h"

#define PW_CT_BUCKET_SLOTS 8
#define PW_CT_SWEEP_MS 1000 /**< the expiry sweep visits every entry once per this period */
#define PW_CT_SLICE_MAX 64  /**< entries one pw_ct_tick() visits at most */
#define PW_CT_SAMPLE 16	    /**< entries a full table looks at to reclaim or evict one */
#define PW_CT_MIN_FLOWS 16

/** pw_ct_entry.flags */
#define PW_CT_F_USED 0x01
#define PW_CT_F_ORIG_AB 0x02 /**< the originator is key.a (its first packet went a → b) */
#define PW_CT_F_REPLIED 0x04 /**< the responder has sent a packet */
#define PW_CT_F_DENIED 0x08  /**< revoked: re-classified as denied; dropped until re-granted */

struct pw_ct_entry {
	/* Line 0: all that a lookup and a decision read, and the time it writes. */
	struct pw_ct_key key;
	uint32_t last_ms; /**< last packet, either direction */
	uint8_t state;	  /**< enum pw_ct_state */
	uint8_t flags;	  /**< PW_CT_F_* */
	uint8_t to_cls;	  /**< enum pw_ct_timeout_class of the state */
	uint8_t pad0;
	uint64_t gen; /**< generation of the snapshot that last decided the flow */
	/* Rule hit columns (pw_snapshot.hits) + 1 that the deciding classification bumped,
	 * per direction enforced (0: none): each packet the entry decides bumps them again. */
	uint32_t hit_eg;
	uint32_t hit_in;
	/* Line 1: counters, [0] original direction, [1] reply; then what a packet never
	 * touches. */
	uint64_t packets[2];
	uint64_t bytes[2];
	uint32_t hash;	     /**< low 32 bits of the key's hash: the home bucket */
	uint32_t created_ms; /**< first packet */
	uint32_t to_ms;	     /**< idle timeout of the state, for readers (owner: to_cls) */
	uint16_t seq;	     /**< odd while the owner changes key or flags USED (pw_ct_read()) */
	uint8_t pad1[18];
} __attribute__((aligned(64)));

struct pw_ct_bucket {
	uint32_t handle[PW_CT_BUCKET_SLOTS]; /**< entry index + 1; 0 = free slot */
	uint16_t sig[PW_CT_BUCKET_SLOTS];    /**< top 16 bits of the key's hash */
	uint32_t nb_past; /**< entries homed here or before, stored in a later bucket */
	uint8_t pad[12];
} __attribute__((aligned(64)));

/** Counters of one table, written by its worker only. */
struct pw_ct_counters {
	uint64_t active;      /**< entries in use */
	uint64_t created;     /**< flows inserted */
	uint64_t expired;     /**< flows removed after their idle timeout */
	uint64_t evicted;     /**< flows removed to make room (on_full: evict-oldest) */
	uint64_t table_full;  /**< new flows dropped: table full (on_full: drop-new) */
	uint64_t revalidated; /**< flows re-classified after a policy change */
	uint64_t revoked;     /**< of those, found denied */
};

struct pw_ct_params {
	uint32_t max_flows; /**< entries (>= PW_CT_MIN_FLOWS) */
	bool evict;	    /**< full table: evict the oldest idle flow (else drop the new one) */
	struct pw_ct_timeouts timeouts;
	uint64_t seed; /**< hash seed: random per table, so flows cannot be aimed at a bucket */
};

struct pw_ct {
	uint32_t max_flows;
	uint32_t bucket_mask;
	uint64_t seed;
	bool evict;
	struct pw_ct_timeouts to;
	uint32_t nb_free; /**< handles on free_stack */
	uint32_t nb_used;
	uint32_t cursor;       /**< next entry the expiry sweep visits */
	uint32_t per_ms;       /**< entries the sweep owes per elapsed millisecond */
	uint32_t tick_ms;      /**< time of the last pw_ct_tick() */
	uint32_t owed;	       /**< entries the sweep is behind by */
	uint32_t evict_cursor; /**< next entry a full table samples */
	bool ticked;
	struct pw_ct_counters ctr; /**< single writer: relaxed stores */
	struct pw_ct_entry *entries;
	struct pw_ct_bucket *buckets;
	uint32_t *free_stack; /**< free handles; the next insert takes free_stack[nb_free - 1] */
	/* The other workers' tables, read only (pw_ct_peek()): an ICMP error comes from a
	 * third address, so RSS may hand it to a worker that does not own the flow it quotes.
	 * Set once before the workers start (pw_ct_set_peers()). */
	const struct pw_ct *const *peers;
	uint16_t nb_peers;
} __attribute__((aligned(128)));

/** Bytes pw_ct_init() needs for @p max_flows flows (0 if too many). */
size_t pw_ct_mem_size(uint32_t max_flows);

/**
 * Initialise a table in @p mem (pw_ct_mem_size() bytes, 128-byte aligned, any contents): it
 * writes all of it, so that no page of the table faults later.
 * @return the table (at @p mem), or NULL on bad parameters or alignment
 */
struct pw_ct *pw_ct_init(void *mem, const struct pw_ct_params *params);

static inline uint64_t
pw_ct_mum(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/** Word @p i (0..4) of a key, as the hash and the comparison read it. */
static inline uint64_t
pw_ct_key_word(const struct pw_ct_key *k, unsigned int i)
{
	uint64_t w;

	memcpy(&w, (const uint8_t *)k + 8 * i, sizeof(w));
	return w;
}

/** The seeded hash of a key (wyhash-style multiply-fold over its five words). */
static inline uint64_t
pw_ct_hash(const struct pw_ct_key *k, uint64_t seed)
{
	uint64_t h;

	h = pw_ct_mum(pw_ct_key_word(k, 0) ^ seed ^ 0xa0761d6478bd642full,
		pw_ct_key_word(k, 1) ^ 0xe7037ed1a0b428dbull);
	h = pw_ct_mum(h ^ pw_ct_key_word(k, 2) ^ 0x8ebc6af09c88c6e3ull,
		pw_ct_key_word(k, 3) ^ 0x589965cc75374cc3ull);
	return pw_ct_mum(
		h ^ pw_ct_key_word(k, 4) ^ 0x1d8e4e27c47d124full, seed ^ 0xa0761d6478bd642full);
}

static inline bool
pw_ct_key_eq(const struct pw_ct_key *x, const struct pw_ct_key *y)
{
#if defined(__SSE2__)
	/* The addresses as two 16-byte lanes, the rest as one word. */
	__m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)x),
		_mm_loadu_si128((const __m128i *)(const void *)y));
	__m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(const void *)&x->b),
		_mm_loadu_si128((const __m128i *)(const void *)&y->b));

	return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_or_si128(a, b), _mm_setzero_si128())) ==
		0xffff &&
		pw_ct_key_word(x, 4) == pw_ct_key_word(y, 4);
#else
	return ((pw_ct_key_word(x, 0) ^ pw_ct_key_word(y, 0)) |
		       (pw_ct_key_word(x, 1) ^ pw_ct_key_word(y, 1)) |
		       (pw_ct_key_word(x, 2) ^ pw_ct_key_word(y, 2)) |
		       (pw_ct_key_word(x, 3) ^ pw_ct_key_word(y, 3)) |
		       (pw_ct_key_word(x, 4) ^ pw_ct_key_word(y, 4))) == 0;
#endif
}

/** The entry of handle @p h (1..max_flows). */
static inline struct pw_ct_entry *
pw_ct_entry(struct pw_ct *ct, uint32_t h)
{
	return &ct->entries[h - 1];
}

/** Find @p k (hash @p hash). Owner thread. @return its handle, or 0. */
uint32_t pw_ct_find(const struct pw_ct *ct, const struct pw_ct_key *k, uint64_t hash);

/** Stage 1 of a lookup: the hash of @p k, with its home bucket prefetched. Owner thread. */
static inline uint64_t
pw_ct_hash_prefetch(const struct pw_ct *ct, const struct pw_ct_key *k)
{
	uint64_t h = pw_ct_hash(k, ct->seed);

	__builtin_prefetch(&ct->buckets[(uint32_t)h & ct->bucket_mask]);
	return h;
}

/**
 * Stage 2 of a lookup, for keys[pos[0..n-1]] whose hashes pw_ct_hash_prefetch() gave
 * (hash[i]): ret_cand[i], the likely entry (the first signature match in the home bucket),
 * 0 when another bucket must be searched, UINT32_MAX for a sure miss. Both lines of each
 * likely entry are prefetched, line 1 for writing. Owner thread.
 */
void pw_ct_lookup_candidates(const struct pw_ct *ct, const uint16_t *pos, uint16_t n,
	const uint64_t *hash, uint32_t *ret_cand);

/** Stage 3 of a lookup: the handle of @p k (0: absent) from its candidate @p cand. */
static inline uint32_t
pw_ct_lookup_resolve(
	const struct pw_ct *ct, const struct pw_ct_key *k, uint64_t hash, uint32_t cand)
{
	if (cand == UINT32_MAX)
		return 0;
	if (cand != 0 && pw_ct_key_eq(&ct->entries[cand - 1].key, k))
		return cand;
	/* A signature collision, a later slot, or an entry stored past its home. */
	return pw_ct_find(ct, k, hash);
}

/**
 * Stages 2 and 3 of a lookup, for keys[pos[0..n-1]] whose hashes pw_ct_hash_prefetch() gave
 * (hash[i]): ret_handle[i] for each i in pos (0 = miss). Owner thread.
 */
void pw_ct_lookup_hashed(const struct pw_ct *ct, const struct pw_ct_key *keys, const uint16_t *pos,
	uint16_t n, const uint64_t *hash, uint32_t *ret_handle);

/**
 * Look up keys[pos[0..n-1]]: ret_hash[i] and ret_handle[i] (0 = miss) for each i in pos.
 * Pipelined with prefetches (both stages above). Owner thread.
 */
void pw_ct_lookup_burst(const struct pw_ct *ct, const struct pw_ct_key *keys, const uint16_t *pos,
	uint16_t n, uint64_t *ret_hash, uint32_t *ret_handle);

/**
 * Insert @p k, known absent, with the given flags (PW_CT_F_USED added), state and deciding
 * generation, seen now; its counters and rule hit columns start at 0. A full table first
 * reclaims a timed-out entry, then evicts if so configured. Owner thread.
 * @return the new handle, or 0 when the table is full (counted in table_full)
 */
uint32_t pw_ct_insert(struct pw_ct *ct, const struct pw_ct_key *k, uint64_t hash, uint8_t flags,
	uint8_t state, uint64_t gen, uint32_t now_ms);

/** What pw_ct_insert_first() sets beside the key. */
struct pw_ct_first {
	uint8_t flags; /**< PW_CT_F_* (PW_CT_F_USED added) */
	uint8_t state;
	uint16_t l3_len; /**< the first packet's IP bytes, counted in the original direction */
	uint32_t hit_eg; /**< rule hit columns + 1 (pw_ct_entry.hit_eg) */
	uint32_t hit_in;
	uint64_t gen;
};

/**
 * pw_ct_insert() for the first packet of a flow, in one pass over the entry: the packet is
 * counted (orig direction) and the rule hit columns set. Owner thread.
 * @return the new handle, or 0 when the table is full (counted in table_full)
 */
uint32_t pw_ct_insert_first(struct pw_ct *ct, const struct pw_ct_key *k, uint64_t hash,
	const struct pw_ct_first *f, uint32_t now_ms);

/** Remove entry @p h (in use). Owner thread. */
void pw_ct_delete(struct pw_ct *ct, uint32_t h);

/** Prefetch, for writing, the entries the next @p n inserts will take. Owner thread. */
static inline void
pw_ct_prefetch_free(const struct pw_ct *ct, uint32_t n)
{
	uint32_t j;

	for (j = 0; j < n && j < ct->nb_free; j++) {
		const struct pw_ct_entry *e = &ct->entries[ct->free_stack[ct->nb_free - 1 - j] - 1];

		__builtin_prefetch(e, 1);
		__builtin_prefetch(&e->packets, 1);
	}
}

/** Whether entry @p e has timed out at @p now_ms (wrap-safe). */
static inline bool
pw_ct_entry_expired(const struct pw_ct *ct, const struct pw_ct_entry *e, uint32_t now_ms)
{
	return (uint32_t)(now_ms - e->last_ms) > ct->to.ms[e->to_cls];
}

/** Move entry @p e to state @p st, and to that state's timeout. Owner thread. */
static inline void
pw_ct_set_state(const struct pw_ct *ct, struct pw_ct_entry *e, uint8_t st)
{
	uint8_t cls = (uint8_t)pw_ct_timeout_class(e->key.proto, st);

	__atomic_store_n(&e->state, st, __ATOMIC_RELAXED);
	__atomic_store_n(&e->to_cls, cls, __ATOMIC_RELAXED);
	__atomic_store_n(&e->to_ms, ct->to.ms[cls], __ATOMIC_RELAXED);
}

/**
 * Remove the timed-out entries among the next @p budget entries of the sweep. Owner thread.
 * @return entries removed
 */
uint32_t pw_ct_expire(struct pw_ct *ct, uint32_t now_ms, uint32_t budget);

/**
 * The incremental sweep: call once per worker loop iteration; it visits the entries owed
 * since the last call (max_flows per PW_CT_SWEEP_MS), at most PW_CT_SLICE_MAX. Also
 * publishes counters.active. Owner thread.
 */
void pw_ct_tick(struct pw_ct *ct, uint32_t now_ms);

/** Single-writer counter update (readers load relaxed). */
static inline void
pw_ct_ctr_add(uint64_t *c, uint64_t delta)
{
	__atomic_store_n(c, *c + delta, __ATOMIC_RELAXED);
}

/** Add one packet of @p bytes to entry @p e's counters in direction @p dir (0 orig, 1
 * reply): line 1 only. */
static inline void
pw_ct_count(struct pw_ct_entry *e, unsigned int dir, uint32_t bytes)
{
	pw_ct_ctr_add(&e->packets[dir], 1);
	pw_ct_ctr_add(&e->bytes[dir], bytes);
}

/** Account one packet of @p bytes on entry @p e in direction @p dir (0 orig, 1 reply). */
static inline void
pw_ct_touch(struct pw_ct_entry *e, unsigned int dir, uint32_t bytes, uint32_t now_ms)
{
	__atomic_store_n(&e->last_ms, now_ms, __ATOMIC_RELAXED);
	pw_ct_count(e, dir, bytes);
}

/**
 * Copy entry @p i (0..max_flows-1) into @p ret if it is in use, tolerating a concurrent
 * owner (see the file comment). Any thread.
 * @return true if @p ret holds a consistent copy of an entry in use
 */
bool pw_ct_read(const struct pw_ct *ct, uint32_t i, struct pw_ct_entry *ret);

/**
 * Find @p k in @p ct from a thread that does not own it, and copy its entry into @p ret:
 * bucket slots are read with relaxed loads and the entry through pw_ct_read(), so a flow that
 * the owner is inserting or deleting at that moment may be missed, never mismatched. For the
 * rare packets one worker decides by another's flows (ICMP errors). Any thread.
 * @return true if @p ret holds the entry of @p k
 */
bool pw_ct_peek(const struct pw_ct *ct, const struct pw_ct_key *k, struct pw_ct_entry *ret);

/**
 * Give @p ct the tables it may peek into: @p tables[0..n-1], itself skipped. Before the
 * workers start. @p tables must outlive @p ct.
 */
static inline void
pw_ct_set_peers(struct pw_ct *ct, const struct pw_ct *const *tables, uint16_t n)
{
	ct->peers = tables;
	ct->nb_peers = n;
}

/** The table's counters, relaxed loads. Any thread. */
void pw_ct_counters_read(const struct pw_ct *ct, struct pw_ct_counters *ret);

#endif /* PW_CT_H */
