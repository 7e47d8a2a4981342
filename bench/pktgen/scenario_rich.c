/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-bench's rich scenario shape (scenario_priv.h): candidate flows. Nothing here
 * decides a verdict: scenario_oracle.c asks refeval.
 */
#include "scenario_priv.h"

#include <netinet/in.h>

static unsigned int
rn(uint64_t *rs, unsigned int n)
{
	return n == 0 ? 0 : (unsigned int)(sc_rand(rs) % n);
}

/* ---- Candidate flows -------------------------------------------------------------------- */

/*
 * A random pod of group (ns, app); canary: 1 a canary pod, 0 a stable one, -1 either (the
 * constraint is dropped when the group has no such pod).
 */
static unsigned int
group_pod(const struct sc_params *p, uint64_t *rs, unsigned int ns, unsigned int app, int canary)
{
	unsigned int ka = sc_rich_ka(p), base = ns + p->nb_ns * app;
	unsigned int nb = (p->nb_pods - 1 - base) / ka + 1, r = rn(rs, nb);

	if (canary == 1 && nb >= 4)
		r = (r / 4) * 4 + 3 < nb ? (r / 4) * 4 + 3 : 3;
	else if (canary == 0 && r % 4 == 3)
		r--;
	return base + ka * r;
}

static unsigned int
random_pod(const struct sc_params *p, uint64_t *rs)
{
	return rn(rs, p->nb_pods);
}

static unsigned int
dns_pod(const struct sc_params *p, uint64_t *rs)
{
	return p->nb_pods + rn(rs, SC_NB_DNS_PODS);
}

/* An app of tier web or api (any app when there is none). */
static unsigned int
web_or_api_app(const struct sc_params *p, uint64_t *rs)
{
	unsigned int a = rn(rs, p->nb_apps);

	if (a % 3 == SC_TIER_DB && p->nb_apps > 1)
		a--;
	return a;
}

/* A port worth trying: the ones the scenario's pods and rules use, their edges, others. */
static uint16_t
menu_port(uint64_t *rs)
{
	static const uint16_t menu[] = { 8080, 8081, 8443, 9100, 9187, 5432, 50051, 53, 443, 29999,
		30101, 9153 };
	unsigned int k = rn(rs, 16);

	if (k < sizeof(menu) / sizeof(menu[0]))
		return menu[k];
	if (k < 14)
		return (uint16_t)(30000 + rn(rs, 101));
	return (uint16_t)(1024 + rn(rs, 60000));
}

/* One of the destination pod's own ports of @p proto, or a menu port. */
static uint16_t
pod_port(const struct sc_params *p, uint64_t *rs, unsigned int d, uint8_t proto)
{
	static const uint16_t tcp[3][3] = { { 8080, 9100, 8080 }, { 8081, 50051, 9100 },
		{ 5432, 9187, 5432 } };

	if (d >= p->nb_pods)
		return 53;
	if (proto == IPPROTO_UDP)
		return sc_rich_pod_app(p, d) % 3 == SC_TIER_WEB && rn(rs, 2) == 0 ? 8443 :
										    menu_port(rs);
	return tcp[sc_rich_pod_app(p, d) % 3][rn(rs, 3)];
}

/* Whether a policy of shape 3 or 4 (egress isolation) selects pod @p i's group. */
static bool
egress_isolated(const struct sc_params *p, unsigned int i)
{
	unsigned int ka = sc_rich_ka(p), pol;

	if (i >= p->nb_pods)
		return false;
	for (pol = sc_rich_pod_ns(p, i) + p->nb_ns * sc_rich_pod_app(p, i); pol < p->nb_policies;
		pol += ka)
		if (sc_rich_shape(p, pol) == 3 || sc_rich_shape(p, pol) == 4)
			return true;
	return false;
}

/* A candidate aimed at an allowing rule of policy @p pol. @return whether at an egress rule. */
static bool
aimed(const struct sc_params *p, uint64_t *rs, unsigned int pol, uint8_t proto, struct sc_flow *f)
{
	unsigned int ka = sc_rich_ka(p), g = pol % ka, ns = g % p->nb_ns, app = g / p->nb_ns;
	unsigned int k, d = group_pod(p, rs, ns, app, -1), s;
	bool egress = false;
	uint16_t port;

	switch (sc_rich_shape(p, pol)) {
	case 0:
		s = group_pod(p, rs, ns, (app + 1 + pol / ka) % p->nb_apps, -1);
		port = 8080;
		break;
	case 1:
		/* A namespace k with k % 7 == (ns + 1) % 7, if any. */
		k = (ns + 1) % 7;
		k = k < p->nb_ns ? k + 7 * rn(rs, (p->nb_ns - 1 - k) / 7 + 1) : rn(rs, p->nb_ns);
		s = group_pod(p, rs, k, web_or_api_app(p, rs), -1);
		port = app % 3 == SC_TIER_API ? 8081 : 8080;
		break;
	case 2:
		k = rn(rs, p->nb_ns);
		if (k % 3 == 0 && p->nb_ns > 1)
			k = k + 1 < p->nb_ns ? k + 1 : k - 1;
		s = group_pod(p, rs, k, rn(rs, p->nb_apps), -1);
		port = proto == IPPROTO_UDP ? 8443 : (uint16_t)(30000 + rn(rs, 101));
		break;
	case 3:
		egress = true;
		s = d;
		k = rn(rs, 3);
		if (k == 0) {
			d = group_pod(p, rs, ns, (app + 1) % p->nb_apps, -1);
			port = rn(rs, 2) == 0 ? 8080 : 50051;
		} else if (k == 1) {
			d = dns_pod(p, rs);
			port = 53;
		} else {
			d = SC_EXT_BIT | rn(rs, 2); /* in the ipBlock, or in its except range */
			port = 443;
		}
		break;
	case 4:
		if (rn(rs, 2) == 0) {
			s = group_pod(p, rs, ns, web_or_api_app(p, rs), 0);
			port = rn(rs, 2) == 0 ? 8080 : app % 3 == SC_TIER_DB ? 9187 : 9100;
		} else {
			egress = true;
			s = d;
			d = rn(rs, 2) == 0 ? dns_pod(p, rs) : (SC_EXT_BIT | 2);
			port = d == (SC_EXT_BIT | 2) ? menu_port(rs) : 53;
		}
		break;
	default:
		s = group_pod(p, rs, rn(rs, p->nb_ns), rn(rs, p->nb_apps), 1);
		port = pod_port(p, rs, d, proto);
		break;
	}
	f->src_pod = s;
	f->dst_pod = d;
	f->dport = port;
	return egress;
}

void
sc_rich_candidate(
	const struct sc_params *p, uint64_t *rs, bool aim_allowed, uint8_t proto, struct sc_flow *f)
{
	unsigned int k = rn(rs, 10), d;

	f->proto = proto;
	if (p->nb_policies > 0 && (aim_allowed ? k < 9 : k < 3)) {
		/* An ingress rule's peer that its own egress policy stops is a wasted try. */
		for (k = 0; k < 4; k++)
			if (aimed(p, rs, rn(rs, p->nb_policies), proto, f) ||
				!egress_isolated(p, f->src_pod))
				break;
		return;
	}
	f->src_pod = random_pod(p, rs);
	k = rn(rs, 20);
	d = k == 0 ? dns_pod(p, rs) : k < 3 ? (SC_EXT_BIT | rn(rs, SC_NB_EXT)) : random_pod(p, rs);
	f->dst_pod = d;
	f->dport = (d & SC_EXT_BIT) != 0 ? (rn(rs, 2) == 0 ? 443 : menu_port(rs)) :
		rn(rs, 2) == 0		 ? pod_port(p, rs, d, proto) :
					   menu_port(rs);
}
