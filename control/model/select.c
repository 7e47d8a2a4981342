/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Label selectors and CIDR arithmetic, as Kubernetes defines them
 * (k8s.io/apimachinery/pkg/labels, selector.go: Requirement.Matches).
 */
#include "control/model/model.h"

#include <string.h>

static bool
value_in(const struct pw_sel_req *req, const char *value)
{
	unsigned int i;

	for (i = 0; i < req->nb_values; i++) {
		if (strcmp(req->values[i], value) == 0)
			return true;
	}
	return false;
}

static bool
req_matches(const struct pw_sel_req *req, const struct pw_labels *labels)
{
	const char *value = pw_labels_get(labels, req->key);

	switch (req->op) {
	case PW_SEL_IN:
		/* 1. In: the key is present and its value is one of the values. */
		return value != NULL && value_in(req, value);
	case PW_SEL_NOT_IN:
		/* 2. NotIn: the key is absent, or its value is none of the values. */
		return value == NULL || !value_in(req, value);
	case PW_SEL_EXISTS:
		/* 3. Exists: the key is present, whatever its value. */
		return value != NULL;
	case PW_SEL_DOES_NOT_EXIST:
		/* 4. DoesNotExist: the key is absent. */
		return value == NULL;
	}
	/* An operator the decoder never produces matches nothing: fail closed. */
	return false;
}

bool
pw_selector_matches(const struct pw_selector *sel, const struct pw_labels *labels)
{
	unsigned int i;

	/* 5. Requirements are ANDed; an empty selector ({}) has none and matches everything. */
	for (i = 0; i < sel->nb_reqs; i++) {
		if (!req_matches(&sel->reqs[i], labels))
			return false;
	}
	return true;
}

bool
pw_cidr_contains(const struct pw_cidr *cidr, const struct pw_ip *ip)
{
	unsigned int max = cidr->family == 4 ? 32 : 128;
	unsigned int full, rest;

	if (cidr->family != ip->family || (cidr->family != 4 && cidr->family != 6) ||
		cidr->prefix > max)
		return false;
	/* Compare whole bytes of the prefix, then the remaining high bits of the next byte. */
	full = cidr->prefix / 8;
	rest = cidr->prefix % 8;
	if (memcmp(cidr->addr.b, ip->addr.b, full) != 0)
		return false;
	if (rest != 0) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((cidr->addr.b[full] & mask) != (ip->addr.b[full] & mask))
			return false;
	}
	return true;
}

bool
pw_ipblock_contains(const struct pw_peer *peer, const struct pw_ip *ip)
{
	unsigned int i;

	if (peer->kind != PW_PEER_IPBLOCK || !pw_cidr_contains(&peer->cidr, ip))
		return false;
	/* An ipBlock is its cidr minus every except range. */
	for (i = 0; i < peer->nb_except; i++) {
		if (pw_cidr_contains(&peer->except[i], ip))
			return false;
	}
	return true;
}
