/* SPDX-License-Identifier: Apache-2.0 */
/* Endpoint pod IPs → pods, for the model (model.c); not a public interface. */
#ifndef PW_MODEL_IP_INDEX_H
#define PW_MODEL_IP_INDEX_H

#include <stdbool.h>

#include "control/model/model.h"

struct pw_ip_slot {
	struct pw_ip ip;
	const struct pw_pod *pod; /* NULL = empty */
};

struct pw_ip_index {
	struct pw_ip_slot *slots;
	unsigned int nb_slots; /* power of two, or 0 */
	unsigned int nb;
};

/** The pod that holds @p ip, or NULL. */
const struct pw_pod *pw_ip_index_find(const struct pw_ip_index *ix, const struct pw_ip *ip);

/** Room for @p nb_more more addresses (at most half full). @return 0 or -ENOMEM */
int pw_ip_index_reserve(struct pw_ip_index *ix, unsigned int nb_more);

/** Index (@p add) or unindex an endpoint pod's addresses; a no-op for other pods. Removing
 * leaves an address another pod holds alone. Call pw_ip_index_reserve() before adding. */
void pw_ip_index_pod(struct pw_ip_index *ix, const struct pw_pod *pod, bool add);

/** Empty the index, keeping its slots. */
void pw_ip_index_clear(struct pw_ip_index *ix);

/** Free the slots. */
void pw_ip_index_free(struct pw_ip_index *ix);

#endif
