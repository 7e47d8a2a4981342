/* SPDX-License-Identifier: Apache-2.0 */
/* podwall-bench's scenario: see scenario.h. */
#include "scenario.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>

static uint64_t
sc_rand(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int
sc_normalize(struct sc_params *p)
{
	if (p->nb_ns == 0 || p->nb_pods == 0 || p->nb_pods > 4000000 || p->allowed_pct > 100)
		return -1;
	if (p->nb_ns > p->nb_pods)
		p->nb_ns = p->nb_pods;
	if (p->nb_apps == 0)
		p->nb_apps = 1;
	if ((uint64_t)p->nb_ns * p->nb_apps > p->nb_pods)
		p->nb_apps = p->nb_pods / p->nb_ns;
	if (p->seed == 0)
		p->seed = 1;
	return 0;
}

uint32_t
sc_pod_ip(unsigned int i)
{
	return (10u << 24 | 64u << 16) + i + 1;
}

void
sc_pod_ip6(unsigned int i, uint8_t out[16])
{
	static const uint8_t prefix[12] = { 0xfd, 0x00, 0x00, 0x10, 0x00, 0x64 };
	uint32_t n = i + 1;

	memcpy(out, prefix, sizeof(prefix));
	out[12] = (uint8_t)(n >> 24);
	out[13] = (uint8_t)(n >> 16);
	out[14] = (uint8_t)(n >> 8);
	out[15] = (uint8_t)n;
}

static unsigned int
pod_ns(const struct sc_params *p, unsigned int i)
{
	return i % p->nb_ns;
}

static unsigned int
pod_app(const struct sc_params *p, unsigned int i)
{
	return (i / p->nb_ns) % p->nb_apps;
}

bool
sc_allowed(const struct sc_params *p, unsigned int s, unsigned int d, uint16_t dport)
{
	unsigned int ka = p->nb_ns * p->nb_apps;
	unsigned int g = pod_ns(p, d) + p->nb_ns * pod_app(p, d);
	unsigned int pol;

	if (g >= p->nb_policies)
		return true; /* no policy selects d: not isolated */
	if (dport != SC_ALLOWED_PORT || pod_ns(p, s) != pod_ns(p, d))
		return false;
	for (pol = g; pol < p->nb_policies; pol += ka)
		if (pod_app(p, s) == (pod_app(p, d) + 1 + pol / ka) % p->nb_apps)
			return true;
	return false;
}

/* A random pod of group (ns, app). */
static unsigned int
group_pod(const struct sc_params *p, uint64_t *rs, unsigned int ns, unsigned int app)
{
	unsigned int ka = p->nb_ns * p->nb_apps;
	unsigned int base = ns + p->nb_ns * app;
	unsigned int nb = (p->nb_pods - 1 - base) / ka + 1;
	return base + ka * (unsigned int)(sc_rand(rs) % nb);
}

void
sc_flows(const struct sc_params *p, struct sc_flow *flows, unsigned int n)
{
	unsigned int ka = p->nb_ns * p->nb_apps;
	unsigned int nb_iso = p->nb_policies < ka ? p->nb_policies : ka;
	uint64_t rs = p->seed;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct sc_flow *f = &flows[i];
		bool want = (sc_rand(&rs) % 100) < p->allowed_pct;
		unsigned int s, d;

		if (nb_iso == 0)
			want = true;
		if (want) {
			d = (unsigned int)(sc_rand(&rs) % p->nb_pods);
			if (pod_ns(p, d) + p->nb_ns * pod_app(p, d) < p->nb_policies)
				s = group_pod(
					p, &rs, pod_ns(p, d), (pod_app(p, d) + 1) % p->nb_apps);
			else
				s = (unsigned int)(sc_rand(&rs) % p->nb_pods);
			f->dport = SC_ALLOWED_PORT;
		} else {
			unsigned int g = (unsigned int)(sc_rand(&rs) % nb_iso);
			d = group_pod(p, &rs, g % p->nb_ns, g / p->nb_ns);
			s = (unsigned int)(sc_rand(&rs) % p->nb_pods);
			f->dport = SC_DENIED_PORT;
		}
		f->src_ip = sc_pod_ip(s);
		f->dst_ip = sc_pod_ip(d);
		f->src_pod = s;
		f->dst_pod = d;
		f->v6 = 0;
		f->proto = IPPROTO_UDP;
		f->sport = (uint16_t)(1024 + i % 64000);
		f->allowed = sc_allowed(p, s, d, f->dport);
	}
}

static int
write_file(const char *dir, const char *name, FILE **ret)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	*ret = fopen(path, "w");
	if (*ret == NULL) {
		perror(path);
		return -1;
	}
	return 0;
}

int
sc_write(const struct sc_params *p, const char *dir)
{
	unsigned int ka = p->nb_ns * p->nb_apps;
	unsigned int i;
	FILE *f;
	int rc = 0;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		perror(dir);
		return -1;
	}
	if (write_file(dir, "00-namespaces.yaml", &f) != 0)
		return -1;
	for (i = 0; i < p->nb_ns; i++)
		fprintf(f,
			"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-%u\n"
			"  labels:\n    kubernetes.io/metadata.name: ns-%u\n    team: team-%u\n",
			i, i, i % 7);
	rc |= fclose(f);
	if (write_file(dir, "10-pods.yaml", &f) != 0)
		return -1;
	for (i = 0; i < p->nb_pods; i++) {
		uint32_t ip = sc_pod_ip(i);
		char v4[16];

		snprintf(v4, sizeof(v4), "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255,
			ip & 255);
		fprintf(f,
			"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-%u\n"
			"  namespace: ns-%u\n  labels:\n    app: app-%u\n    tier: tier-%u\n"
			"spec:\n  nodeName: node-1\n  containers:\n    - name: c\n"
			"      image: bench\n      ports:\n        - containerPort: %u\n"
			"          protocol: UDP\n        - containerPort: %u\n"
			"          protocol: TCP\nstatus:\n  phase: Running\n  podIP: %s\n"
			"  podIPs:\n    - ip: %s\n    - ip: fd00:10:64::%x:%x\n",
			i, pod_ns(p, i), pod_app(p, i), pod_app(p, i) % 3, SC_ALLOWED_PORT,
			SC_ALLOWED_PORT, v4, v4, (i + 1) >> 16, (i + 1) & 0xffff);
	}
	rc |= fclose(f);
	if (write_file(dir, "20-policies.yaml", &f) != 0)
		return -1;
	for (i = 0; i < p->nb_policies; i++) {
		unsigned int g = i % ka;
		unsigned int app = g / p->nb_ns;
		fprintf(f,
			"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
			"  name: np-%u\n  namespace: ns-%u\nspec:\n  podSelector:\n"
			"    matchLabels:\n      app: app-%u\n  policyTypes: [Ingress]\n"
			"  ingress:\n    - from:\n        - podSelector:\n            "
			"matchLabels:\n"
			"              app: app-%u\n      ports:\n        - protocol: UDP\n"
			"          port: %u\n        - protocol: TCP\n          port: %u\n",
			i, g % p->nb_ns, app, (app + 1 + i / ka) % p->nb_apps, SC_ALLOWED_PORT,
			SC_ALLOWED_PORT);
	}
	rc |= fclose(f);
	return rc == 0 ? 0 : -1;
}
