/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control's view of the workers' flow tables: counters and the operator's `flows`. Readers
 * only: relaxed loads of single-writer counters, and entries copied under the tables'
 * sequence counts (pw_ct_read(), dataplane/ct.h). Nothing here writes worker memory.
 */
#include <string.h>

#include <rte_cycles.h>

#include "ct.h"
#include "dp_internal.h"

bool
pw_dp_ct_enabled(const struct pw_dp *dp)
{
	return dp->params.ct_enabled;
}

uint64_t
pw_dp_ct_capacity(const struct pw_dp *dp)
{
	if (!dp->params.ct_enabled)
		return 0;
	return (uint64_t)(dp->params.ct_size / dp->nb_workers) * dp->nb_workers;
}

static void
ct_counters_raw(const struct pw_dp *dp, unsigned int w, struct pw_dp_ct_counters *ret)
{
	struct pw_ct_counters c;

	memset(ret, 0, sizeof(*ret));
	if (w >= dp->nb_workers || dp->workers[w]->ct == NULL)
		return;
	pw_ct_counters_read(dp->workers[w]->ct, &c);
	ret->active = c.active;
	ret->created = c.created;
	ret->expired = c.expired;
	ret->evicted = c.evicted;
	ret->table_full = c.table_full;
	ret->revalidated = c.revalidated;
	ret->revoked = c.revoked;
}

void
pw_dp_ct_counters(const struct pw_dp *dp, unsigned int w, bool raw, struct pw_dp_ct_counters *ret)
{
	const struct pw_dp_ct_counters *b;

	ct_counters_raw(dp, w, ret);
	if (raw || w >= dp->nb_workers)
		return;
	b = &dp->base_ct[w];
	ret->created -= b->created;
	ret->expired -= b->expired;
	ret->evicted -= b->evicted;
	ret->table_full -= b->table_full;
	ret->revalidated -= b->revalidated;
	ret->revoked -= b->revoked;
}

void
pw_dp_ct_stats_reset(struct pw_dp *dp)
{
	unsigned int w;

	for (w = 0; w < dp->nb_workers; w++)
		ct_counters_raw(dp, w, &dp->base_ct[w]);
}

static bool
ip_is(const struct pw_dp_flow_filter *f, uint8_t family, const uint8_t *ip)
{
	return f->family == family && memcmp(f->ip, ip, family == 4 ? 4 : 16) == 0;
}

/* The address at either end, and the port at either end ("--ip client --port 80"). */
static bool
flow_matches(const struct pw_dp_flow_filter *f, const struct pw_dp_flow *fl)
{
	if (f == NULL)
		return true;
	if (f->has_ip && !ip_is(f, fl->family, fl->src) && !ip_is(f, fl->family, fl->dst))
		return false;
	return !f->has_port || f->port == fl->sport || f->port == fl->dport;
}

static void
to_flow(const struct pw_ct_entry *e, unsigned int w, uint32_t now_ms, struct pw_dp_flow *ret)
{
	bool orig_ab = (e->flags & PW_CT_F_ORIG_AB) != 0;
	uint32_t idle = now_ms - e->last_ms;
	uint32_t to = e->to_ms;

	memset(ret, 0, sizeof(*ret));
	ret->worker = w;
	ret->family = (e->key.kflags & PW_CT_KEY_V6) != 0 ? 6 : 4;
	ret->proto = e->key.proto;
	memcpy(ret->src, orig_ab ? e->key.a.b : e->key.b.b, 16);
	memcpy(ret->dst, orig_ab ? e->key.b.b : e->key.a.b, 16);
	ret->sport = orig_ab ? e->key.pa : e->key.pb;
	ret->dport = orig_ab ? e->key.pb : e->key.pa;
	ret->state = pw_ct_state_name(e->state);
	ret->replied = (e->flags & PW_CT_F_REPLIED) != 0;
	ret->revoked = (e->flags & PW_CT_F_DENIED) != 0;
	ret->generation = e->gen;
	/* A worker may have stamped a packet after our clock read: that is idle 0, not 49 days. */
	ret->idle_ms = idle < (1u << 31) ? idle : 0;
	ret->age_ms = (uint32_t)(now_ms - e->created_ms) < (1u << 31) ? now_ms - e->created_ms : 0;
	ret->expires_ms = ret->idle_ms < to ? to - ret->idle_ms : 0;
	ret->packets[0] = e->packets[0];
	ret->packets[1] = e->packets[1];
	ret->bytes[0] = e->bytes[0];
	ret->bytes[1] = e->bytes[1];
}

unsigned int
pw_dp_flows(const struct pw_dp *dp, const struct pw_dp_flow_filter *filter, struct pw_dp_flow *ret,
	unsigned int max, bool *ret_truncated)
{
	uint32_t now_ms = (uint32_t)(rte_rdtsc() / dp->ms_div);
	unsigned int w, n = 0;

	*ret_truncated = false;
	for (w = 0; w < dp->nb_workers; w++) {
		const struct pw_ct *ct = dp->workers[w]->ct;
		uint32_t i;

		if (ct == NULL)
			continue;
		for (i = 0; i < ct->max_flows; i++) {
			struct pw_ct_entry e;
			struct pw_dp_flow fl;

			if (!pw_ct_read(ct, i, &e))
				continue;
			to_flow(&e, w, now_ms, &fl);
			if (!flow_matches(filter, &fl))
				continue;
			if (n == max) {
				*ret_truncated = true;
				return n;
			}
			ret[n++] = fl;
		}
	}
	return n;
}
