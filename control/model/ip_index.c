/* SPDX-License-Identifier: Apache-2.0 */
/* The model's index of endpoint pod IPs: open addressing keyed by (family, address),
 * backward-shift deletion. */
#include "control/model/ip_index.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
ip_hash(const struct pw_ip *ip)
{
	uint64_t h = (ip->addr.q[0] ^ (ip->addr.q[1] * 0x9e3779b97f4a7c15ULL)) + ip->family;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static bool
ip_eq(const struct pw_ip *a, const struct pw_ip *b)
{
	return a->family == b->family && a->addr.q[0] == b->addr.q[0] &&
		a->addr.q[1] == b->addr.q[1];
}

/* Only the family's bytes count: callers may leave garbage past an IPv4 address. */
static struct pw_ip
ip_norm(const struct pw_ip *ip)
{
	struct pw_ip n;

	memset(&n, 0, sizeof(n));
	n.family = ip->family;
	memcpy(n.addr.b, ip->addr.b, ip->family == 4 ? 4 : 16);
	return n;
}

static unsigned int
ip_probe(const struct pw_ip_index *ix, const struct pw_ip *ip)
{
	unsigned int mask = ix->nb_slots - 1;
	unsigned int i = (unsigned int)ip_hash(ip) & mask;

	while (ix->slots[i].pod != NULL && !ip_eq(&ix->slots[i].ip, ip))
		i = (i + 1) & mask;
	return i;
}

const struct pw_pod *
pw_ip_index_find(const struct pw_ip_index *ix, const struct pw_ip *ip)
{
	struct pw_ip n;

	if (ix->nb == 0 || (ip->family != 4 && ip->family != 6))
		return NULL;
	n = ip_norm(ip);
	return ix->slots[ip_probe(ix, &n)].pod;
}

int
pw_ip_index_reserve(struct pw_ip_index *ix, unsigned int nb_more)
{
	struct pw_ip_slot *old = ix->slots;
	unsigned int old_nb = ix->nb_slots, nb_slots = ix->nb_slots == 0 ? 64 : ix->nb_slots;
	unsigned int i;

	if ((ix->nb + nb_more) * 2 <= ix->nb_slots)
		return 0;
	while ((ix->nb + nb_more) * 2 > nb_slots)
		nb_slots *= 2;
	ix->slots = calloc(nb_slots, sizeof(*ix->slots));
	if (ix->slots == NULL) {
		ix->slots = old;
		return -ENOMEM;
	}
	ix->nb_slots = nb_slots;
	for (i = 0; i < old_nb; i++) {
		if (old[i].pod != NULL)
			ix->slots[ip_probe(ix, &old[i].ip)] = old[i];
	}
	free(old);
	return 0;
}

static void
ip_add(struct pw_ip_index *ix, const struct pw_ip *ip, const struct pw_pod *pod)
{
	struct pw_ip n = ip_norm(ip);
	unsigned int s = ip_probe(ix, &n);

	if (ix->slots[s].pod == NULL)
		ix->nb++;
	ix->slots[s].ip = n;
	ix->slots[s].pod = pod;
}

static void
ip_remove(struct pw_ip_index *ix, const struct pw_ip *ip, const struct pw_pod *pod)
{
	unsigned int mask = ix->nb_slots - 1;
	struct pw_ip n;
	unsigned int i, j;

	if (ix->nb == 0)
		return;
	n = ip_norm(ip);
	i = ip_probe(ix, &n);
	/* Only the pod that owns the entry may remove it. */
	if (ix->slots[i].pod != pod)
		return;
	ix->nb--;
	j = i;
	for (;;) {
		unsigned int home;

		ix->slots[i].pod = NULL;
		for (;;) {
			j = (j + 1) & mask;
			if (ix->slots[j].pod == NULL)
				return;
			home = (unsigned int)ip_hash(&ix->slots[j].ip) & mask;
			if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
				continue;
			break;
		}
		ix->slots[i] = ix->slots[j];
		i = j;
	}
}

void
pw_ip_index_pod(struct pw_ip_index *ix, const struct pw_pod *pod, bool add)
{
	unsigned int i;

	if (!pod->endpoint)
		return;
	for (i = 0; i < pod->nb_ips && i < 2; i++) {
		if (add)
			ip_add(ix, &pod->ips[i], pod);
		else
			ip_remove(ix, &pod->ips[i], pod);
	}
}

void
pw_ip_index_clear(struct pw_ip_index *ix)
{
	if (ix->slots != NULL)
		memset(ix->slots, 0, (size_t)ix->nb_slots * sizeof(*ix->slots));
	ix->nb = 0;
}

void
pw_ip_index_free(struct pw_ip_index *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->nb_slots = 0;
	ix->nb = 0;
}
