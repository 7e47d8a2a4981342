/* SPDX-License-Identifier: Apache-2.0 */
#include "podwall/pw_stats.h"

#include <stddef.h>

static const char *const drop_names[PW_DROP_MAX] = {
#define NAME_PARSE_(name, desc) [PW_DROP_PARSE_##name] = #name,
	PW_PARSE_RESULTS(NAME_PARSE_)
#undef NAME_PARSE_
#define NAME_FWD_(name, desc) [PW_DROP_##name] = #name,
		PW_FWD_DROP_REASONS(NAME_FWD_)
#undef NAME_FWD_
};

static const char *const drop_descs[PW_DROP_MAX] = {
#define DESC_PARSE_(name, desc) [PW_DROP_PARSE_##name] = desc,
	PW_PARSE_RESULTS(DESC_PARSE_)
#undef DESC_PARSE_
#define DESC_FWD_(name, desc) [PW_DROP_##name] = desc,
		PW_FWD_DROP_REASONS(DESC_FWD_)
#undef DESC_FWD_
};

/* The X-macro names are upper case; stats show them lower case. Built once, on first use,
 * from the control thread (the dataplane never asks for names). */
static char lower_names[PW_DROP_MAX][32];

const char *
pw_drop_reason_name(enum pw_drop_reason r)
{
	if ((unsigned int)r >= PW_DROP_MAX || r == PW_DROP_PARSE_OK)
		return NULL;
	if (lower_names[r][0] == '\0') {
		const char *s = drop_names[r];
		size_t i;

		for (i = 0; s[i] != '\0' && i + 1 < sizeof(lower_names[r]); i++)
			lower_names[r][i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
		lower_names[r][i] = '\0';
	}
	return lower_names[r];
}

const char *
pw_drop_reason_desc(enum pw_drop_reason r)
{
	if ((unsigned int)r >= PW_DROP_MAX)
		return "unknown";
	return drop_descs[r];
}

void
pw_port_counters_add(struct pw_port_counters *acc, const struct pw_port_counters *c)
{
	unsigned int r;

	acc->rx_packets += c->rx_packets;
	acc->rx_bytes += c->rx_bytes;
	acc->tx_packets += c->tx_packets;
	acc->tx_bytes += c->tx_bytes;
	for (r = 0; r < PW_DROP_MAX; r++)
		acc->drops[r] += c->drops[r];
}
