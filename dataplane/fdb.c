/* SPDX-License-Identifier: Apache-2.0 */
#include "fdb.h"

#include <string.h>

static uint32_t
nb_sets_for(uint32_t nb_entries)
{
	uint32_t sets = 1;

	while (sets * PW_FDB_WAYS < nb_entries && sets < (1u << 24))
		sets <<= 1;
	return sets;
}

size_t
pw_fdb_mem_size(uint32_t nb_entries)
{
	return sizeof(struct pw_fdb) + sizeof(struct pw_fdb_set) +
		(size_t)nb_sets_for(nb_entries) * sizeof(struct pw_fdb_set);
}

struct pw_fdb *
pw_fdb_init(void *mem, uint32_t nb_entries, uint32_t ageing_ms)
{
	struct pw_fdb *fdb = mem;
	uint32_t sets = nb_sets_for(nb_entries);

	if (nb_entries == 0 || ((uintptr_t)mem & 63) != 0)
		return NULL;
	fdb->set_mask = sets - 1;
	fdb->ageing_ms = ageing_ms;
	memset(fdb->sets, 0, (size_t)sets * sizeof(struct pw_fdb_set));
	return fdb;
}

void
pw_fdb_flush(struct pw_fdb *fdb)
{
	memset(fdb->sets, 0, ((size_t)fdb->set_mask + 1) * sizeof(struct pw_fdb_set));
}

uint32_t
pw_fdb_count(const struct pw_fdb *fdb, uint32_t now_ms)
{
	uint32_t n = 0, s;
	unsigned int i;

	for (s = 0; s <= fdb->set_mask; s++)
		for (i = 0; i < PW_FDB_WAYS; i++) {
			const struct pw_fdb_entry *e = &fdb->sets[s].way[i];
			uint64_t k = __atomic_load_n(&e->key, __ATOMIC_RELAXED);

			if (k != 0 &&
				pw_fdb_fresh(fdb, __atomic_load_n(&e->seen_ms, __ATOMIC_RELAXED),
					now_ms))
				n++;
		}
	return n;
}
