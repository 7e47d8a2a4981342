/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-mem-read: what one random cache-line read costs this machine when reads are
 * independent and prefetched ahead, the bound under any flow table whose working set does
 * not fit in cache (bench/README.md, "Connection tracking", the memory floor).
 *
 *   podwall-mem-read [MB (256)] [prefetch distance (16)]
 *
 * Reads 4M random 128-byte slots of an MB-sized array (2 MB pages when it can get them),
 * the first line of each, then both lines, and prints TSC cycles per slot.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <x86intrin.h>

#define NB_READS (1u << 22)

static double
measure(const uint8_t *a, const uint32_t *slot, unsigned int dist, int lines)
{
	uint64_t t0, sum = 0;
	uint32_t i;

	t0 = __rdtsc();
	for (i = 0; i < NB_READS; i++) {
		if (i + dist < NB_READS) {
			__builtin_prefetch(a + (size_t)slot[i + dist] * 128);
			if (lines == 2)
				__builtin_prefetch(a + (size_t)slot[i + dist] * 128 + 64);
		}
		sum += a[(size_t)slot[i] * 128];
		if (lines == 2)
			sum += a[(size_t)slot[i] * 128 + 64];
	}
	t0 = __rdtsc() - t0;
	if (sum == 1)
		putchar(' ');
	return (double)t0 / NB_READS;
}

int
main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 256, size = mb << 20;
	unsigned int dist = argc > 2 ? (unsigned int)strtoul(argv[2], NULL, 10) : 16;
	uint64_t x = 0x9e3779b97f4a7c15ull;
	const char *pages = "2 MB pages";
	uint32_t *slot;
	uint8_t *a;
	uint32_t i;

	if (mb == 0 || size / 128 > UINT32_MAX) {
		fprintf(stderr, "usage: podwall-mem-read [MB (256)] [prefetch distance (16)]\n");
		return 2;
	}
	a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1,
		0);
	if (a == MAP_FAILED) {
		pages = "4 kB pages (no hugepages free; transparent ones asked)";
		a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (a == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		(void)madvise(a, size, MADV_HUGEPAGE);
	}
	memset(a, 1, size);
	slot = malloc(sizeof(*slot) * NB_READS);
	if (slot == NULL)
		return 1;
	for (i = 0; i < NB_READS; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		slot[i] = (uint32_t)(x % (size / 128));
	}
	printf("%zu MB, %s, prefetch %u ahead: %.1f cycles per random line, %.1f per two "
	       "adjacent lines\n",
		mb, pages, dist, measure(a, slot, dist, 1), measure(a, slot, dist, 2));
	free(slot);
	munmap(a, size);
	return 0;
}
