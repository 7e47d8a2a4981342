/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Explain one flow: run the worker's classification (classify.h) on a one-packet burst and
 * report each direction with the rule that decided it. Slow path: the scratch is malloc'd.
 */
#include "podwall/pw_explain.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"

static void
explain_dir(const struct pw_snapshot *s, uint32_t identity, uint8_t enforce_flag, uint32_t rule,
	struct pw_explain_dir *ret)
{
	uint8_t flags = s->ident_flags[identity];

	ret->identity = identity;
	ret->enforced = (flags & enforce_flag) != 0;
	if (!ret->enforced) {
		ret->allowed = true;
		ret->state = (flags & PW_IDENT_F_LOCAL) != 0 ? PW_EXPLAIN_NOT_ISOLATED :
							       PW_EXPLAIN_NOT_ENFORCED;
		return;
	}
	ret->allowed = rule != 0;
	ret->state = rule != 0 ? PW_EXPLAIN_ALLOWED : PW_EXPLAIN_NO_RULE;
	ret->rule = rule <= s->nb_rules ? rule : 0;
	ret->meta = ret->rule != 0 ? &s->rules[ret->rule] : NULL;
}

int
pw_snapshot_explain(
	const struct pw_snapshot *s, const struct pw_pkt_meta *flow, struct pw_explain *ret)
{
	struct pw_cls_scratch *sc;
	const uint16_t reason = 0;

	if (flow->l3 != PW_L3_IPV4 && flow->l3 != PW_L3_IPV6)
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->generation = s->generation;
	ret->compiled = s->compiled;
	if (!s->compiled) {
		ret->egress.allowed = ret->ingress.allowed = true;
		ret->allowed = s->default_verdict == PW_VERDICT_ALLOW;
		return 0;
	}
	sc = malloc(sizeof(*sc));
	if (sc == NULL)
		return -ENOMEM;
	pw_cls_run(s, flow, &reason, 1, sc);
	explain_dir(s, sc->sid[0], PW_IDENT_F_ENFORCE_EGRESS, sc->reg[0], &ret->egress);
	explain_dir(s, sc->did[0], PW_IDENT_F_ENFORCE_INGRESS, sc->rin[0], &ret->ingress);
	ret->allowed = ret->egress.allowed && ret->ingress.allowed;
	free(sc);
	return 0;
}

const char *
pw_explain_state_name(enum pw_explain_state st)
{
	switch (st) {
	case PW_EXPLAIN_NOT_ENFORCED:
		return "not enforced";
	case PW_EXPLAIN_NOT_ISOLATED:
		return "not isolated";
	case PW_EXPLAIN_ALLOWED:
		return "allowed by rule";
	case PW_EXPLAIN_NO_RULE:
		return "isolated, no rule matched";
	}
	return "?";
}

uint64_t
pw_snapshot_rule_hits(const struct pw_snapshot *s, uint32_t rule)
{
	uint64_t sum = 0;
	uint32_t w;

	if (s->hits == NULL || rule > s->nb_rules)
		return 0;
	for (w = 0; w < s->nb_workers; w++)
		sum += __atomic_load_n(
			&s->hits[(size_t)w * s->hits_stride + rule], __ATOMIC_RELAXED);
	return sum;
}
