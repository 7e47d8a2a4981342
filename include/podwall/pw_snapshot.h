/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The policy snapshot: everything a worker needs to decide a packet, built by control off
 * the fast path, immutable once published, freed only after an RCU QSBR grace period.
 *
 * This is the foundation's layout: a generation and a default verdict. The policy engine
 * adds the identity maps and the rte_acl contexts here.
 */
#ifndef PW_SNAPSHOT_H
#define PW_SNAPSHOT_H

#include <stdint.h>

enum pw_verdict {
	PW_VERDICT_ALLOW = 0,
	PW_VERDICT_DENY = 1,
};

struct pw_snapshot {
	uint64_t generation;	 /**< strictly increasing, 1 for the first published snapshot */
	uint8_t default_verdict; /**< enum pw_verdict for IP traffic no rule decides */
	uint64_t built_tsc;	 /**< rte_rdtsc() when the build finished */
};

#endif /* PW_SNAPSHOT_H */
