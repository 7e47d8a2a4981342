/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Internal to the policy compiler (compile.c: identities; compile_rules.c: what the rules
 * reference and the ACL rules they expand to): the compile context and the helpers the two
 * files share. Not for other modules.
 */
#ifndef PW_COMPILE_PRIV_H
#define PW_COMPILE_PRIV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/model/compile.h"

#define NO_BIT UINT32_MAX

/* A growable array of fixed-size items. */
struct vec {
	void *items;
	size_t nb;
	size_t cap;
	size_t size;
};

#define VEC_AT(v, type, i) (&((type *)(v)->items)[i])

/* A selector bit: a policy's podSelector (peer NULL) or a PODS peer of one of its rules. */
struct term {
	const struct pw_policy *pol;
	const struct pw_peer *peer;
};

/* A named port that some rule references. */
struct named_port {
	const char *name;
	uint8_t proto;
};

/* A distinct signature: its ascending set bits are sigpool[off..off + len). */
struct sigent {
	size_t off;
	uint32_t len;
	uint32_t first_ep; /* the first endpoint pod that has it */
	uint32_t nb_pods;
	uint32_t id; /* its identity */
	uint64_t hash;
};

/* A number a named port has on some pod: one signature bit. */
struct triple {
	uint32_t named;
	uint16_t port;
};

/* The arguments of the last id_ranges() call that filled a range vector. */
struct range_key {
	uint32_t b1;
	uint32_t b2;
	int local_only;
	int dc_dir;
	int valid;
};

struct cctx {
	const struct pw_model *model;
	const char *node;
	struct pw_compiled *cp;
	const struct pw_pod **pods; /* the model's, in its order (pw_model_pod_at()) */
	const struct pw_policy **pols;
	unsigned int nb_pols;
	unsigned int *eps; /* model pod index of each endpoint pod */
	unsigned int nb_eps;
	unsigned int *pol_term;		 /* per policy: the term of its podSelector */
	struct vec terms;		 /* struct term */
	struct vec named;		 /* struct named_port */
	struct vec triples;		 /* struct triple, sorted; bit nb_terms + index */
	uint32_t nb_bits;		 /* terms, triples, local */
	struct vec sigpool;		 /* uint32_t: the bits of every distinct signature */
	struct vec sigents;		 /* struct sigent */
	uint32_t *ep_sig;		 /* per endpoint pod: its signature's index in sigents */
	const struct sigent **ident_sig; /* [1..nb_idents] */
	uint32_t *bit_start;		 /* [0..nb_bits]: per bit, its span of bit_ids */
	uint32_t *bit_ids;		 /* per bit, the ascending identities that have it */
	uint32_t *enf[2];		 /* [dir][id]: identities 1..id that enforce dir */
	struct vec sel_ranges;		 /* struct pw_cp_range */
	struct vec peer_ranges;
	struct range_key sel_key; /* what sel_ranges holds */
	struct range_key peer_key;
	struct vec prefixes; /* struct pw_cidr */
	struct vec rules;    /* struct pw_cp_rule */
	struct vec metas;    /* struct pw_cp_meta */
};

static inline int
vec_push(struct vec *v, const void *item)
{
	if (v->nb == v->cap) {
		size_t cap = v->cap != 0 ? v->cap * 2 : 16;
		void *p = realloc(v->items, cap * v->size);

		if (p == NULL)
			return -ENOMEM;
		v->items = p;
		v->cap = cap;
	}
	memcpy((char *)v->items + v->nb * v->size, item, v->size);
	v->nb++;
	return 0;
}

/* compile_rules.c */

/* Every PODS peer and named port of the rules of the directions a policy isolates. */
int pw_cp_collect_terms(struct cctx *c);
/* Every (named port, number) some endpoint pod has, sorted and unique. */
int pw_cp_collect_triples(struct cctx *c);
/* The signature bit of a container port, or NO_BIT when no rule names it. */
uint32_t pw_cp_triple_bit(const struct cctx *c, const struct pw_container_port *cpt);
/* Rules of every policy, walking the terms in the order pw_cp_collect_terms() made them. */
int pw_cp_compile_rules(struct cctx *c);

#endif /* PW_COMPILE_PRIV_H */
