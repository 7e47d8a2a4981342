/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/ct.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Buckets are at most this full on average (slots used / slots), as a fraction of 32. */
#define FILL_32THS 25

static uint32_t
nb_buckets_for(uint32_t max_flows)
{
	uint64_t slots = ((uint64_t)max_flows * 32 + FILL_32THS - 1) / FILL_32THS;
	uint64_t need = (slots + PW_CT_BUCKET_SLOTS - 1) / PW_CT_BUCKET_SLOTS;
	uint64_t n = 1;

	while (n < need)
		n <<= 1;
	return n > (1ull << 31) ? 0 : (uint32_t)n;
}

static size_t
entries_offset(void)
{
	return (sizeof(struct pw_ct) + 127) & ~(size_t)127;
}

size_t
pw_ct_mem_size(uint32_t max_flows)
{
	uint32_t nb = nb_buckets_for(max_flows);

	if (max_flows < PW_CT_MIN_FLOWS || nb == 0)
		return 0;
	return entries_offset() + (size_t)max_flows * sizeof(struct pw_ct_entry) +
		(size_t)nb * sizeof(struct pw_ct_bucket) + (size_t)max_flows * sizeof(uint32_t);
}

struct pw_ct *
pw_ct_init(void *mem, const struct pw_ct_params *p)
{
	struct pw_ct *ct = mem;
	uint32_t nb = nb_buckets_for(p->max_flows);
	uint32_t i;

	if (mem == NULL || ((uintptr_t)mem & 127) != 0 || p->max_flows < PW_CT_MIN_FLOWS || nb == 0)
		return NULL;
	for (i = 0; i < PW_CT_TO_MAX; i++)
		if (p->timeouts.ms[i] == 0 || p->timeouts.ms[i] >= (1u << 31))
			return NULL;
	/* Every page is written now, at start: a worker never takes a page fault in its flow
	 * table (memory without hugepages is mapped lazily). */
	memset(mem, 0, pw_ct_mem_size(p->max_flows));
	ct->max_flows = p->max_flows;
	ct->bucket_mask = nb - 1;
	ct->seed = p->seed;
	ct->evict = p->evict;
	ct->to = p->timeouts;
	ct->entries = (struct pw_ct_entry *)((uint8_t *)mem + entries_offset());
	ct->buckets = (struct pw_ct_bucket *)(ct->entries + p->max_flows);
	ct->free_stack = (uint32_t *)(ct->buckets + nb);
	ct->per_ms = p->max_flows / PW_CT_SWEEP_MS + 1;
	/* The free stack hands out low handles first: a young table stays compact. */
	for (i = 0; i < p->max_flows; i++)
		ct->free_stack[i] = p->max_flows - i;
	ct->nb_free = p->max_flows;
	return ct;
}

/* The first free slot of @p b, or PW_CT_BUCKET_SLOTS. */
static inline unsigned int
free_slot(const struct pw_ct_bucket *b)
{
#if defined(__SSE2__)
	__m128i z = _mm_setzero_si128();
	__m128i lo = _mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(const void *)b->handle), z);
	__m128i hi =
		_mm_cmpeq_epi32(_mm_load_si128((const __m128i *)(const void *)&b->handle[4]), z);
	/* Eight 32-bit lanes of 0 or -1, packed to eight bytes: one mask bit per slot. */
	unsigned int m = (unsigned int)_mm_movemask_epi8(
		_mm_packs_epi16(_mm_packs_epi32(lo, hi), _mm_setzero_si128()));

	return m != 0 ? (unsigned int)__builtin_ctz(m) : PW_CT_BUCKET_SLOTS;
#else
	unsigned int s;

	for (s = 0; s < PW_CT_BUCKET_SLOTS; s++)
		if (b->handle[s] == 0)
			break;
	return s;
#endif
}

/* Slots of @p b whose signature is @p sig and which are in use, as a bit mask. */
static inline unsigned int
sig_match(const struct pw_ct_bucket *b, uint16_t sig)
{
#if defined(__SSE2__)
	__m128i s = _mm_loadu_si128((const __m128i *)(const void *)b->sig);
	__m128i m = _mm_cmpeq_epi16(s, _mm_set1_epi16((short)sig));

	/* Eight 16-bit lanes of 0 or -1, packed to eight bytes: one mask bit per slot. */
	return (unsigned int)_mm_movemask_epi8(_mm_packs_epi16(m, _mm_setzero_si128()));
#else
	unsigned int r = 0, i;

	for (i = 0; i < PW_CT_BUCKET_SLOTS; i++)
		r |= (unsigned int)(b->sig[i] == sig) << i;
	return r;
#endif
}

static inline uint16_t
hash_sig(uint64_t hash)
{
	return (uint16_t)(hash >> 48);
}

uint32_t
pw_ct_find(const struct pw_ct *ct, const struct pw_ct_key *k, uint64_t hash)
{
	uint32_t b = (uint32_t)hash & ct->bucket_mask;
	uint16_t sig = hash_sig(hash);
	uint32_t n;

	for (n = 0; n <= ct->bucket_mask; n++) {
		const struct pw_ct_bucket *bk = &ct->buckets[b];
		unsigned int m = sig_match(bk, sig);

		while (m != 0) {
			unsigned int s = (unsigned int)__builtin_ctz(m);
			uint32_t h = bk->handle[s];

			m &= m - 1;
			if (h != 0 && pw_ct_key_eq(&ct->entries[h - 1].key, k))
				return h;
		}
		if (bk->nb_past == 0)
			return 0;
		b = (b + 1) & ct->bucket_mask;
	}
	return 0;
}

void
pw_ct_lookup_candidates(const struct pw_ct *ct, const uint16_t *pos, uint16_t n,
	const uint64_t *hash, uint32_t *ret_cand)
{
	uint16_t j;

	/* The first signature match of the home bucket is the likely entry: fetch both its
	 * lines now, the first for the key comparison and the decision, the second for the
	 * counters that the decision's caller adds later. */
	for (j = 0; j < n; j++) {
		uint16_t i = pos[j];
		const struct pw_ct_bucket *bk = &ct->buckets[(uint32_t)hash[i] & ct->bucket_mask];
		unsigned int m = sig_match(bk, hash_sig(hash[i]));
		uint32_t h = m != 0 ? bk->handle[__builtin_ctz(m)] : 0;

		/* No candidate here and nothing stored past this bucket: a sure miss (a new
		 * flow), which the next stage need not look for again. */
		ret_cand[i] = h != 0 || bk->nb_past != 0 ? h : UINT32_MAX;
		if (h != 0) {
			__builtin_prefetch(&ct->entries[h - 1]);
			__builtin_prefetch(&ct->entries[h - 1].packets, 1);
		}
	}
}

void
pw_ct_lookup_hashed(const struct pw_ct *ct, const struct pw_ct_key *keys, const uint16_t *pos,
	uint16_t n, const uint64_t *hash, uint32_t *ret_handle)
{
	uint16_t j;

	pw_ct_lookup_candidates(ct, pos, n, hash, ret_handle);
	for (j = 0; j < n; j++) {
		uint16_t i = pos[j];

		ret_handle[i] = pw_ct_lookup_resolve(ct, &keys[i], hash[i], ret_handle[i]);
	}
}

void
pw_ct_lookup_burst(const struct pw_ct *ct, const struct pw_ct_key *keys, const uint16_t *pos,
	uint16_t n, uint64_t *ret_hash, uint32_t *ret_handle)
{
	uint16_t j;

	for (j = 0; j < n; j++)
		ret_hash[pos[j]] = pw_ct_hash_prefetch(ct, &keys[pos[j]]);
	pw_ct_lookup_hashed(ct, keys, pos, n, ret_hash, ret_handle);
}

/* The seqlock's write side: odd while the key and USED change. */
static inline void
write_begin(struct pw_ct_entry *e)
{
	__atomic_store_n(&e->seq, (uint16_t)(e->seq + 1), __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static inline void
write_end(struct pw_ct_entry *e)
{
	__atomic_store_n(&e->seq, (uint16_t)(e->seq + 1), __ATOMIC_RELEASE);
}

void
pw_ct_delete(struct pw_ct *ct, uint32_t h)
{
	struct pw_ct_entry *e = &ct->entries[h - 1];
	uint32_t b = e->hash & ct->bucket_mask;
	uint32_t n;

	for (n = 0; n <= ct->bucket_mask; n++) {
		struct pw_ct_bucket *bk = &ct->buckets[b];
		unsigned int s;

		for (s = 0; s < PW_CT_BUCKET_SLOTS; s++)
			if (bk->handle[s] == h)
				break;
		if (s < PW_CT_BUCKET_SLOTS) {
			bk->handle[s] = 0;
			bk->sig[s] = 0;
			break;
		}
		/* Passed on the way to where it was stored: one fewer to look past. */
		bk->nb_past--;
		b = (b + 1) & ct->bucket_mask;
	}
	write_begin(e);
	__atomic_store_n(&e->flags, 0, __ATOMIC_RELAXED);
	write_end(e);
	ct->free_stack[ct->nb_free++] = h;
	ct->nb_used--;
}

/* Free a timed-out entry, or evict one, from a sample; @return whether one was freed. */
static bool
reclaim(struct pw_ct *ct, uint32_t now_ms)
{
	uint32_t victim = 0, best_age = 0, n;
	bool victim_replied = true;

	for (n = 0; n < PW_CT_SAMPLE; n++) {
		uint32_t i = ct->evict_cursor;
		struct pw_ct_entry *e = &ct->entries[i];
		bool replied;
		uint32_t age;

		ct->evict_cursor = i + 1 < ct->max_flows ? i + 1 : 0;
		if ((e->flags & PW_CT_F_USED) == 0)
			continue;
		if (pw_ct_entry_expired(ct, e, now_ms)) {
			pw_ct_delete(ct, i + 1);
			pw_ct_ctr_add(&ct->ctr.expired, 1);
			return true;
		}
		/* Flows never replied to go first (Linux's early_drop spares assured flows),
		 * then the one idle the longest. */
		replied = (e->flags & PW_CT_F_REPLIED) != 0;
		age = now_ms - e->last_ms;
		if (victim == 0 || (victim_replied && !replied) ||
			(victim_replied == replied && age > best_age)) {
			victim = i + 1;
			best_age = age;
			victim_replied = replied;
		}
	}
	if (!ct->evict || victim == 0)
		return false;
	pw_ct_delete(ct, victim);
	pw_ct_ctr_add(&ct->ctr.evicted, 1);
	return true;
}

/* Take a free entry and a bucket slot for @p hash. @return the handle, or 0: table full. */
static inline __attribute__((always_inline)) uint32_t
take(struct pw_ct *ct, uint64_t hash, uint32_t now_ms)
{
	uint32_t b = (uint32_t)hash & ct->bucket_mask;
	uint32_t h, n;

	if (ct->nb_free == 0 && !reclaim(ct, now_ms)) {
		pw_ct_ctr_add(&ct->ctr.table_full, 1);
		return 0;
	}
	h = ct->free_stack[--ct->nb_free];
	/* There is always room: the buckets hold 1.28 times max_flows. */
	for (n = 0; n <= ct->bucket_mask; n++) {
		struct pw_ct_bucket *bk = &ct->buckets[b];
		unsigned int s = free_slot(bk);

		if (s < PW_CT_BUCKET_SLOTS) {
			bk->sig[s] = hash_sig(hash);
			bk->handle[s] = h;
			break;
		}
		bk->nb_past++;
		b = (b + 1) & ct->bucket_mask;
	}
	ct->nb_used++;
	pw_ct_ctr_add(&ct->ctr.created, 1);
	return h;
}

/* Write entry @p h, new: its key, @p f, and @p packets packets of f->l3_len bytes. */
static inline __attribute__((always_inline)) void
fill(struct pw_ct *ct, uint32_t h, const struct pw_ct_key *k, uint64_t hash,
	const struct pw_ct_first *f, uint64_t packets, uint32_t now_ms)
{
	struct pw_ct_entry *e = &ct->entries[h - 1];
	uint8_t cls = (uint8_t)pw_ct_timeout_class(k->proto, f->state);

	write_begin(e);
	e->key = *k;
	__atomic_store_n(&e->last_ms, now_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&e->state, f->state, __ATOMIC_RELAXED);
	__atomic_store_n(&e->flags, (uint8_t)(f->flags | PW_CT_F_USED), __ATOMIC_RELAXED);
	__atomic_store_n(&e->to_cls, cls, __ATOMIC_RELAXED);
	__atomic_store_n(&e->gen, f->gen, __ATOMIC_RELAXED);
	__atomic_store_n(&e->hit_eg, f->hit_eg, __ATOMIC_RELAXED);
	__atomic_store_n(&e->hit_in, f->hit_in, __ATOMIC_RELAXED);
	__atomic_store_n(&e->packets[0], packets, __ATOMIC_RELAXED);
	__atomic_store_n(&e->packets[1], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&e->bytes[0], packets * f->l3_len, __ATOMIC_RELAXED);
	__atomic_store_n(&e->bytes[1], 0, __ATOMIC_RELAXED);
	e->hash = (uint32_t)hash;
	__atomic_store_n(&e->created_ms, now_ms, __ATOMIC_RELAXED);
	__atomic_store_n(&e->to_ms, ct->to.ms[cls], __ATOMIC_RELAXED);
	write_end(e);
}

uint32_t
pw_ct_insert_first(struct pw_ct *ct, const struct pw_ct_key *k, uint64_t hash,
	const struct pw_ct_first *f, uint32_t now_ms)
{
	uint32_t h = take(ct, hash, now_ms);

	if (h != 0)
		fill(ct, h, k, hash, f, 1, now_ms);
	return h;
}

uint32_t
pw_ct_insert(struct pw_ct *ct, const struct pw_ct_key *k, uint64_t hash, uint8_t flags,
	uint8_t state, uint64_t gen, uint32_t now_ms)
{
	const struct pw_ct_first f = { .flags = flags, .state = state, .gen = gen };
	uint32_t h = take(ct, hash, now_ms);

	if (h != 0)
		fill(ct, h, k, hash, &f, 0, now_ms);
	return h;
}

uint32_t
pw_ct_expire(struct pw_ct *ct, uint32_t now_ms, uint32_t budget)
{
	uint32_t n, freed = 0;

	if (budget > ct->max_flows)
		budget = ct->max_flows;
	for (n = 0; n < budget; n++) {
		uint32_t i = ct->cursor;
		struct pw_ct_entry *e = &ct->entries[i];

		ct->cursor = i + 1 < ct->max_flows ? i + 1 : 0;
		if ((e->flags & PW_CT_F_USED) != 0 && pw_ct_entry_expired(ct, e, now_ms)) {
			pw_ct_delete(ct, i + 1);
			freed++;
		}
	}
	if (freed != 0)
		pw_ct_ctr_add(&ct->ctr.expired, freed);
	return freed;
}

void
pw_ct_tick(struct pw_ct *ct, uint32_t now_ms)
{
	uint32_t dt, n;

	if (!ct->ticked) {
		ct->ticked = true;
		ct->tick_ms = now_ms;
	}
	dt = now_ms - ct->tick_ms;
	if (dt != 0) {
		uint64_t owed = (uint64_t)ct->owed + (uint64_t)dt * ct->per_ms;

		/* Never owe more than one sweep: after a stall, one pass catches up. */
		ct->owed = owed > ct->max_flows ? ct->max_flows : (uint32_t)owed;
		ct->tick_ms = now_ms;
	}
	n = ct->owed < PW_CT_SLICE_MAX ? ct->owed : PW_CT_SLICE_MAX;
	if (n != 0) {
		ct->owed -= n;
		(void)pw_ct_expire(ct, now_ms, n);
	}
	if (ct->ctr.active != ct->nb_used)
		__atomic_store_n(&ct->ctr.active, (uint64_t)ct->nb_used, __ATOMIC_RELAXED);
}

bool
pw_ct_read(const struct pw_ct *ct, uint32_t i, struct pw_ct_entry *ret)
{
	const struct pw_ct_entry *e;
	unsigned int tries;

	if (i >= ct->max_flows)
		return false;
	e = &ct->entries[i];
	for (tries = 0; tries < 4; tries++) {
		uint16_t s1 = __atomic_load_n(&e->seq, __ATOMIC_ACQUIRE);
		uint64_t w[sizeof(*e) / 8];
		const uint64_t *src = (const uint64_t *)(const void *)e;
		unsigned int k;

		if ((s1 & 1) != 0)
			continue;
		for (k = 0; k < sizeof(w) / sizeof(w[0]); k++)
			w[k] = __atomic_load_n(&src[k], __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&e->seq, __ATOMIC_RELAXED) != s1)
			continue;
		memcpy(ret, w, sizeof(*ret));
		return (ret->flags & PW_CT_F_USED) != 0;
	}
	return false;
}

bool
pw_ct_peek(const struct pw_ct *ct, const struct pw_ct_key *k, struct pw_ct_entry *ret)
{
	uint64_t hash = pw_ct_hash(k, ct->seed);
	uint32_t b = (uint32_t)hash & ct->bucket_mask;
	uint16_t sig = hash_sig(hash);
	uint32_t n;

	for (n = 0; n <= ct->bucket_mask; n++) {
		const struct pw_ct_bucket *bk = &ct->buckets[b];
		unsigned int s;

		for (s = 0; s < PW_CT_BUCKET_SLOTS; s++) {
			uint32_t h = __atomic_load_n(&bk->handle[s], __ATOMIC_RELAXED);

			if (h == 0 || __atomic_load_n(&bk->sig[s], __ATOMIC_RELAXED) != sig)
				continue;
			if (pw_ct_read(ct, h - 1, ret) && pw_ct_key_eq(&ret->key, k))
				return true;
		}
		if (__atomic_load_n(&bk->nb_past, __ATOMIC_RELAXED) == 0)
			return false;
		b = (b + 1) & ct->bucket_mask;
	}
	return false;
}

void
pw_ct_counters_read(const struct pw_ct *ct, struct pw_ct_counters *ret)
{
	ret->active = __atomic_load_n(&ct->ctr.active, __ATOMIC_RELAXED);
	ret->created = __atomic_load_n(&ct->ctr.created, __ATOMIC_RELAXED);
	ret->expired = __atomic_load_n(&ct->ctr.expired, __ATOMIC_RELAXED);
	ret->evicted = __atomic_load_n(&ct->ctr.evicted, __ATOMIC_RELAXED);
	ret->table_full = __atomic_load_n(&ct->ctr.table_full, __ATOMIC_RELAXED);
	ret->revalidated = __atomic_load_n(&ct->ctr.revalidated, __ATOMIC_RELAXED);
	ret->revoked = __atomic_load_n(&ct->ctr.revoked, __ATOMIC_RELAXED);
}
