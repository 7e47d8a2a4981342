/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwall-bench's scenario with its model (scenario.h, "A scenario with its model"): the
 * manifests decoded the way the daemon's manifests source decodes them (scenario_load.c),
 * and every flow's verdict from podwall's reference evaluator, cached per class of
 * endpoints.
 */
#include "scenario.h"
#include "scenario_priv.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "control/model/model.h"
#include "control/model/refeval.h"

#define MAX_TRIES 256
#define MAX_CLASSES (1u << 22)
#define MAX_INTERVALS 64

/* uint64 → uint64, open addressing; keys carry bit 63 so that 0 marks an empty slot. */
struct u64map {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap; /* a power of two */
	size_t nb;
};

struct sc_scenario {
	struct sc_params p;
	struct pw_model *model; /* rich shape */
	uint32_t *cls;		/* class of endpoint i (pods, DNS pods), rich shape */
	uint8_t *alone;		/* endpoint i: an ipBlock cidr covers one of its addresses */
	uint32_t nb_classes;	/* endpoint classes; outside address k is nb_classes + k */
	struct u64map fwd;	/* verdict per (src class, dst class, v6, tcp, port) */
	struct u64map rev;	/* port-interval mask per (src class, dst class, v6, tcp) */
	uint16_t starts[MAX_INTERVALS]; /* first port of each interval, increasing */
	unsigned int nb_intervals;	/* 0 until sc_scenario_flows() needs them */
	uint64_t evaluations;
};

static uint64_t
hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

static uint64_t *
u64map_find(const struct u64map *m, uint64_t key)
{
	size_t i;

	if (m->cap == 0)
		return NULL;
	key |= 1ull << 63;
	for (i = hash64(key) & (m->cap - 1); m->keys[i] != 0; i = (i + 1) & (m->cap - 1))
		if (m->keys[i] == key)
			return &m->vals[i];
	return NULL;
}

static int
u64map_put(struct u64map *m, uint64_t key, uint64_t val)
{
	size_t i;

	if (2 * (m->nb + 1) > m->cap) {
		struct u64map g = { .cap = m->cap == 0 ? 1024 : 2 * m->cap };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		g.vals = calloc(g.cap, sizeof(*g.vals));
		if (g.keys == NULL || g.vals == NULL) {
			free(g.keys);
			free(g.vals);
			return -ENOMEM;
		}
		for (i = 0; i < m->cap; i++) {
			size_t j;

			if (m->keys[i] == 0)
				continue;
			for (j = hash64(m->keys[i]) & (g.cap - 1); g.keys[j] != 0;
				j = (j + 1) & (g.cap - 1))
				;
			g.keys[j] = m->keys[i];
			g.vals[j] = m->vals[i];
		}
		g.nb = m->nb;
		free(m->keys);
		free(m->vals);
		*m = g;
	}
	key |= 1ull << 63;
	for (i = hash64(key) & (m->cap - 1); m->keys[i] != 0 && m->keys[i] != key;
		i = (i + 1) & (m->cap - 1))
		;
	m->nb += m->keys[i] == 0;
	m->keys[i] = key;
	m->vals[i] = val;
	return 0;
}

static void
u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- Endpoint classes ------------------------------------------------------------------- */

static void
endpoint_ip(unsigned int e, bool v6, struct pw_ip *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (v6) {
		ret->family = 6;
		sc_pod_ip6(e, ret->addr.b);
	} else {
		ret->family = 4;
		ret->addr.v4 = htonl(sc_pod_ip(e));
	}
}

/* Every distinct ipBlock cidr of the model (except ranges lie inside their cidr). */
static int
collect_cidrs(const struct pw_model *model, struct pw_cidr **ret, unsigned int *nb_ret)
{
	struct pw_cidr *v = NULL;
	unsigned int nb = 0, cap = 0, i, d, r, k, j;

	for (i = 0; i < pw_model_nb_policies(model); i++) {
		const struct pw_policy *pol = pw_model_policy_at(model, i);

		for (d = 0; d < 2; d++) {
			const struct pw_np_rule *rules = d == 0 ? pol->ingress : pol->egress;
			unsigned int nb_rules = d == 0 ? pol->nb_ingress : pol->nb_egress;

			for (r = 0; r < nb_rules; r++) {
				for (k = 0; k < rules[r].nb_peers; k++) {
					const struct pw_peer *peer = &rules[r].peers[k];

					if (peer->kind != PW_PEER_IPBLOCK)
						continue;
					for (j = 0; j < nb; j++)
						if (memcmp(&v[j], &peer->cidr, sizeof(v[j])) == 0)
							break;
					if (j < nb)
						continue;
					if (nb == cap) {
						struct pw_cidr *n;

						cap = cap == 0 ? 8 : 2 * cap;
						n = realloc(v, cap * sizeof(*v));
						if (n == NULL) {
							free(v);
							return -ENOMEM;
						}
						v = n;
					}
					v[nb++] = peer->cidr;
				}
			}
		}
	}
	*ret = v;
	*nb_ret = nb;
	return 0;
}

/* Append @p s to the key buffer; the separators (0x1e, 0x1f) appear in no label. */
static int
key_add(char **buf, size_t *len, size_t *cap, const char *s, char sep)
{
	size_t n = strlen(s) + 1;

	if (*len + n + 1 > *cap) {
		size_t c = (*cap == 0 ? 256 : *cap * 2) + n;
		char *b = realloc(*buf, c);

		if (b == NULL)
			return -ENOMEM;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, s, n - 1);
	(*buf)[*len + n - 1] = sep;
	*len += n;
	return 0;
}

/*
 * What refeval reads of a pod (control/model/refeval.c): its namespace (policies, namespace
 * labels), labels, node, container ports (named ports), whether it is an endpoint; its
 * address only through ipBlocks. Pods alike in all of that, whose addresses no ipBlock cidr
 * covers, get the same verdicts.
 */
static int
pod_key(const struct pw_pod *pod, char **buf, size_t *len, size_t *cap)
{
	char tmp[64];
	unsigned int i;
	int rc;

	*len = 0;
	rc = key_add(buf, len, cap, pod->ns, 0x1f);
	for (i = 0; rc == 0 && i < pod->labels.nb; i++) {
		rc = key_add(buf, len, cap, pod->labels.items[i].key, 0x1e);
		if (rc == 0)
			rc = key_add(buf, len, cap, pod->labels.items[i].value, 0x1e);
	}
	if (rc == 0)
		rc = key_add(buf, len, cap, pod->node != NULL ? pod->node : "", 0x1f);
	for (i = 0; rc == 0 && i < pod->nb_ports; i++) {
		snprintf(tmp, sizeof(tmp), "%u/%u", pod->ports[i].proto, pod->ports[i].port);
		rc = key_add(
			buf, len, cap, pod->ports[i].name != NULL ? pod->ports[i].name : "", 0x1e);
		if (rc == 0)
			rc = key_add(buf, len, cap, tmp, 0x1e);
	}
	if (rc == 0)
		rc = key_add(buf, len, cap, pod->endpoint ? "e" : "-", 0x1f);
	return rc;
}

static uint64_t
fnv1a(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

struct keyset {
	char **keys; /* per class; NULL for a pod on its own */
	size_t *lens;
	uint32_t nb, cap;
	struct u64map by_hash; /* hash → class + 1 of the first class with it (chain below) */
	uint32_t *next;	       /* class → next class + 1 with the same hash, 0 = none */
};

static int
keyset_grow(struct keyset *ks)
{
	uint32_t c = ks->cap == 0 ? 1024 : 2 * ks->cap;
	char **k = realloc(ks->keys, c * sizeof(*k));
	size_t *l;
	uint32_t *n;

	if (k == NULL)
		return -ENOMEM;
	ks->keys = k;
	l = realloc(ks->lens, c * sizeof(*l));
	if (l == NULL)
		return -ENOMEM;
	ks->lens = l;
	n = realloc(ks->next, c * sizeof(*n));
	if (n == NULL)
		return -ENOMEM;
	ks->next = n;
	ks->cap = c;
	return 0;
}

/* The class of @p key, a new one if unseen; @p alone: a new class whatever the key. */
static int
keyset_class(struct keyset *ks, const char *key, size_t len, bool alone, uint32_t *ret)
{
	uint64_t h = fnv1a(key, len);
	uint64_t *first = alone ? NULL : u64map_find(&ks->by_hash, h);
	uint32_t c;

	for (c = first != NULL ? (uint32_t)*first : 0; c != 0; c = ks->next[c - 1])
		if (ks->lens[c - 1] == len && memcmp(ks->keys[c - 1], key, len) == 0) {
			*ret = c - 1;
			return 0;
		}
	if (ks->nb == ks->cap && keyset_grow(ks) != 0)
		return -ENOMEM;
	c = ks->nb++;
	ks->keys[c] = NULL;
	ks->lens[c] = 0;
	ks->next[c] = 0;
	if (!alone) {
		ks->keys[c] = malloc(len);
		if (ks->keys[c] == NULL)
			return -ENOMEM;
		memcpy(ks->keys[c], key, len);
		ks->lens[c] = len;
		ks->next[c] = first != NULL ? (uint32_t)*first : 0;
		if (u64map_put(&ks->by_hash, h, c + 1) != 0)
			return -ENOMEM;
	}
	*ret = c;
	return 0;
}

static void
keyset_free(struct keyset *ks)
{
	uint32_t i;

	for (i = 0; i < ks->nb; i++)
		free(ks->keys[i]);
	free(ks->keys);
	free(ks->lens);
	free(ks->next);
	u64map_free(&ks->by_hash);
}

static int
make_classes(struct sc_scenario *sc, char *err, size_t err_len)
{
	unsigned int nb = sc_rich_nb_pods(&sc->p), e, j, nb_cidrs = 0;
	struct keyset ks = { .nb = 0 };
	struct pw_cidr *cidrs = NULL;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int rc;

	sc->cls = calloc(nb, sizeof(*sc->cls));
	sc->alone = calloc(nb, sizeof(*sc->alone));
	if (sc->cls == NULL || sc->alone == NULL)
		return -ENOMEM;
	rc = collect_cidrs(sc->model, &cidrs, &nb_cidrs);
	for (e = 0; rc == 0 && e < nb; e++) {
		const struct pw_pod *pod, *pod6;
		struct pw_ip ip4, ip6;
		bool alone = false;

		endpoint_ip(e, false, &ip4);
		endpoint_ip(e, true, &ip6);
		pod = pw_model_pod_by_ip(sc->model, &ip4);
		pod6 = pw_model_pod_by_ip(sc->model, &ip6);
		if (pod == NULL || pod != pod6) {
			sc_set_err(err, err_len,
				"scenario pod %u: its addresses are not one pod of the model", e);
			rc = -EINVAL;
			break;
		}
		for (j = 0; j < nb_cidrs && !alone; j++)
			alone = pw_cidr_contains(&cidrs[j], &ip4) ||
				pw_cidr_contains(&cidrs[j], &ip6);
		sc->alone[e] = alone;
		rc = pod_key(pod, &buf, &len, &cap);
		if (rc == 0)
			rc = keyset_class(&ks, buf, len, alone, &sc->cls[e]);
	}
	if (rc == 0 && ks.nb + SC_NB_EXT > MAX_CLASSES) {
		sc_set_err(
			err, err_len, "%u endpoint classes: more than the cache keys hold", ks.nb);
		rc = -E2BIG;
	}
	if (rc == -ENOMEM)
		sc_set_err(err, err_len, "out of memory");
	sc->nb_classes = ks.nb;
	keyset_free(&ks);
	free(buf);
	free(cidrs);
	return rc;
}

static uint32_t
class_of(const struct sc_scenario *sc, uint32_t e)
{
	return (e & SC_EXT_BIT) != 0 ? sc->nb_classes + (e & ~SC_EXT_BIT) : sc->cls[e];
}

/* ---- Verdicts --------------------------------------------------------------------------- */

static bool
evaluate(struct sc_scenario *sc, uint32_t s, uint32_t d, bool v6, uint8_t proto, uint16_t port)
{
	struct pw_verdict_pair v;
	struct pw_flow fl;

	endpoint_ip(s, v6, &fl.src);
	endpoint_ip(d, v6, &fl.dst);
	fl.proto = proto;
	fl.dport = port;
	pw_ref_evaluate(sc->model, SC_NODE, &fl, &v);
	sc->evaluations++;
	return v.allowed;
}

/* Whether refeval may see the endpoint's address family: through ipBlocks only. */
static bool
family_matters(const struct sc_scenario *sc, uint32_t e)
{
	return (e & SC_EXT_BIT) != 0 || sc->alone[e];
}

/*
 * The cache key. Between two endpoints whose addresses no ipBlock covers, refeval's verdict
 * is the same over IPv4 and IPv6 (it reads the addresses only to find the pods and in
 * ipBlocks), so the family is left out of the key for them.
 */
static uint64_t
class_key(const struct sc_scenario *sc, uint32_t s, uint32_t d, bool v6, uint8_t proto)
{
	v6 = v6 && (family_matters(sc, s) || family_matters(sc, d));
	return (uint64_t)class_of(sc, s) << 40 | (uint64_t)class_of(sc, d) << 18 |
		(uint64_t)v6 << 17 | (uint64_t)(proto == IPPROTO_TCP) << 16;
}

static int
verdict(struct sc_scenario *sc, uint32_t s, uint32_t d, bool v6, uint8_t proto, uint16_t port,
	bool *ret)
{
	uint64_t key = class_key(sc, s, d, v6, proto) | port;
	uint64_t *v = u64map_find(&sc->fwd, key);

	if (v != NULL) {
		*ret = *v != 0;
		return 0;
	}
	*ret = evaluate(sc, s, d, v6, proto, port);
	return u64map_put(&sc->fwd, key, *ret);
}

static void
bitmap_set(uint64_t *bm, unsigned int port)
{
	if (port <= 65535)
		bm[port / 64] |= 1ull << (port % 64);
}

/*
 * The ports where a verdict can change (refeval.c, 11-13 and 10): the first port and
 * endPort + 1 of numeric rule ports; each container port and the next one (named ports).
 */
static int
make_intervals(struct sc_scenario *sc)
{
	const struct pw_model *m = sc->model;
	uint64_t bm[1024];
	unsigned int i, d, r, k, n = 0;
	bool named = false;

	memset(bm, 0, sizeof(bm));
	bitmap_set(bm, 0);
	for (i = 0; i < pw_model_nb_policies(m); i++) {
		const struct pw_policy *pol = pw_model_policy_at(m, i);

		for (d = 0; d < 2; d++) {
			const struct pw_np_rule *rules = d == 0 ? pol->ingress : pol->egress;
			unsigned int nb_rules = d == 0 ? pol->nb_ingress : pol->nb_egress;

			for (r = 0; r < nb_rules; r++)
				for (k = 0; k < rules[r].nb_ports; k++) {
					const struct pw_np_port *pp = &rules[r].ports[k];

					named |= pp->kind == PW_NP_PORT_NAMED;
					if (pp->kind != PW_NP_PORT_NUMBER)
						continue;
					bitmap_set(bm, pp->port);
					bitmap_set(bm, (unsigned int)pp->end_port + 1);
				}
		}
	}
	for (i = 0; named && i < pw_model_nb_pods(m); i++) {
		const struct pw_pod *pod = pw_model_pod_at(m, i);

		for (k = 0; k < pod->nb_ports; k++) {
			bitmap_set(bm, pod->ports[k].port);
			bitmap_set(bm, (unsigned int)pod->ports[k].port + 1);
		}
	}
	for (i = 0; i < 65536; i++) {
		if ((bm[i / 64] >> (i % 64) & 1) == 0)
			continue;
		if (n == MAX_INTERVALS)
			return -E2BIG;
		sc->starts[n++] = (uint16_t)i;
	}
	sc->nb_intervals = n;
	return 0;
}

static unsigned int
interval_of(const struct sc_scenario *sc, uint16_t port)
{
	unsigned int lo = 0, hi = sc->nb_intervals; /* starts[0] == 0 <= port */

	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (sc->starts[mid] <= port)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* The verdicts of every port interval from @p s to @p d, one bit each. */
static int
port_mask(struct sc_scenario *sc, uint32_t s, uint32_t d, bool v6, uint8_t proto, uint64_t *ret)
{
	uint64_t key = class_key(sc, s, d, v6, proto), mask = 0;
	uint64_t *v = u64map_find(&sc->rev, key);
	unsigned int k;

	if (v != NULL) {
		*ret = *v;
		return 0;
	}
	for (k = 0; k < sc->nb_intervals; k++)
		if (evaluate(sc, s, d, v6, proto, sc->starts[k]))
			mask |= 1ull << k;
	*ret = mask;
	return u64map_put(&sc->rev, key, mask);
}

/* ---- The scenario ----------------------------------------------------------------------- */

static void
remove_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[4096];

	while (d != NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		(void)unlink(path);
	}
	if (d != NULL)
		closedir(d);
	(void)rmdir(dir);
}

int
sc_scenario_create(const struct sc_params *p, const char *dir, struct sc_scenario **ret, char *err,
	size_t err_len)
{
	struct sc_scenario *sc = calloc(1, sizeof(*sc));
	char tmp[] = "/tmp/podwall-scenario-XXXXXX";
	int rc = 0;

	if (sc == NULL)
		return -ENOMEM;
	sc->p = *p;
	if (dir == NULL) {
		if (mkdtemp(tmp) == NULL) {
			rc = -errno;
			sc_set_err(err, err_len, "mkdtemp %s: %s", tmp, strerror(errno));
			free(sc);
			return rc;
		}
		dir = tmp;
	}
	if (sc_write(p, dir) != 0) {
		sc_set_err(err, err_len, "writing the scenario into %s failed", dir);
		rc = -EIO;
	}
	if (rc == 0 && p->shapes == SC_SHAPES_RICH)
		rc = sc_load_model(dir, p->nb_ns + 1 + sc_rich_nb_pods(p) + p->nb_policies,
			&sc->model, err, err_len);
	if (rc == 0 && p->shapes == SC_SHAPES_RICH)
		rc = make_classes(sc, err, err_len);
	if (dir == tmp)
		remove_dir(tmp);
	if (rc != 0) {
		sc_scenario_free(sc);
		return rc;
	}
	*ret = sc;
	return 0;
}

void
sc_scenario_free(struct sc_scenario *sc)
{
	if (sc == NULL)
		return;
	pw_model_free(sc->model);
	free(sc->cls);
	free(sc->alone);
	u64map_free(&sc->fwd);
	u64map_free(&sc->rev);
	free(sc);
}

const struct sc_params *
sc_scenario_params(const struct sc_scenario *sc)
{
	return &sc->p;
}

const struct pw_model *
sc_scenario_model(const struct sc_scenario *sc)
{
	return sc->model;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t
flow_proto(const struct sc_flow *f)
{
	return f->proto == IPPROTO_TCP ? IPPROTO_TCP : IPPROTO_UDP;
}

static int
simple_flows(
	struct sc_scenario *sc, struct sc_flow *flows, unsigned int n, struct sc_flow_stats *st)
{
	unsigned int i;
	uint8_t *keep = malloc(n == 0 ? 1 : 2 * (size_t)n);

	if (keep == NULL)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		keep[2 * i] = flows[i].v6;
		keep[2 * i + 1] = flow_proto(&flows[i]);
	}
	sc_flows(&sc->p, flows, n);
	for (i = 0; i < n; i++) {
		flows[i].v6 = keep[2 * i];
		flows[i].proto = keep[2 * i + 1];
		flows[i].rev_ports = 0;
		st->asked_allowed += flows[i].allowed;
		st->candidates++;
	}
	free(keep);
	return 0;
}

int
sc_scenario_flows(struct sc_scenario *sc, struct sc_flow *flows, unsigned int n, unsigned int flags,
	struct sc_flow_stats *st)
{
	struct sc_flow_stats dummy;
	uint64_t rs = sc->p.seed, ev0 = sc->evaluations;
	double t0 = now_s();
	unsigned int i;
	int rc = 0;

	if (st == NULL)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	if (sc->p.shapes != SC_SHAPES_RICH) {
		rc = simple_flows(sc, flows, n, st);
		st->seconds = now_s() - t0;
		return rc;
	}
	if ((flags & SC_FLOWS_REPLIES) != 0 && sc->nb_intervals == 0) {
		rc = make_intervals(sc);
		if (rc != 0)
			return rc;
	}
	for (i = 0; rc == 0 && i < n; i++) {
		struct sc_flow *f = &flows[i];
		bool want = (sc_rand(&rs) % 100) < sc->p.allowed_pct, allowed = false;
		uint8_t proto = flow_proto(f);
		unsigned int t;

		st->asked_allowed += want;
		for (t = 0; rc == 0 && t < MAX_TRIES; t++) {
			sc_rich_candidate(&sc->p, &rs, want, proto, f);
			st->candidates++;
			rc = verdict(sc, f->src_pod, f->dst_pod, f->v6, proto, f->dport, &allowed);
			if (allowed == want)
				break;
		}
		st->unmet += allowed != want;
		f->src_ip = sc_pod_ip(f->src_pod);
		f->dst_ip = sc_pod_ip(f->dst_pod);
		f->sport = (uint16_t)(1024 + i % 64000);
		f->allowed = allowed;
		f->rev_ports = 0;
		if (rc == 0 && (flags & SC_FLOWS_REPLIES) != 0)
			rc = port_mask(sc, f->dst_pod, f->src_pod, f->v6, proto, &f->rev_ports);
	}
	st->evaluations = sc->evaluations - ev0;
	st->seconds = now_s() - t0;
	return rc;
}

bool
sc_scenario_reply_allowed(const struct sc_scenario *sc, const struct sc_flow *f, uint16_t sport)
{
	if (sc->p.shapes != SC_SHAPES_RICH)
		return sc_allowed(&sc->p, f->dst_pod, f->src_pod, sport);
	return (f->rev_ports >> interval_of(sc, sport) & 1) != 0;
}
