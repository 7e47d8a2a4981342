/* SPDX-License-Identifier: Apache-2.0 */
/* podwall-bench's scenario: see scenario.h. */
#include "scenario.h"
#include "scenario_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/stat.h>

uint64_t
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

/*
 * The rich shape's outside addresses (SC_EXT_BIT): in the first ipBlock and not in its except
 * range, in that except range, in the second ipBlock, in none.
 */
static const uint32_t ext_ip4[SC_NB_EXT] = {
	203u << 24 | 113u << 8 | 10,		/* 203.0.113.10 */
	203u << 24 | 113u << 8 | 200,		/* 203.0.113.200 */
	198u << 24 | 51u << 16 | 100u << 8 | 7, /* 198.51.100.7 */
	192u << 24 | 2u << 8 | 1,		/* 192.0.2.1 */
};
static const uint8_t ext_ip6[SC_NB_EXT][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, 0xca, 0xfe, [15] = 0x10 },		 /* 2001:db8:cafe::10 */
	{ 0x20, 0x01, 0x0d, 0xb8, 0xca, 0xfe, 0x80, 0x00, [15] = 0xc8 }, /* ...:cafe:8000::c8 */
	{ 0x20, 0x01, 0x0d, 0xb8, 0x51, 0x00, [15] = 0x07 },		 /* 2001:db8:5100::7 */
	{ 0x20, 0x01, 0x0d, 0xb8, 0x02, 0x00, [15] = 0x01 },		 /* 2001:db8:200::1 */
};

uint32_t
sc_pod_ip(unsigned int i)
{
	if ((i & SC_EXT_BIT) != 0)
		return ext_ip4[(i & ~SC_EXT_BIT) % SC_NB_EXT];
	return (10u << 24 | 64u << 16) + i + 1;
}

void
sc_pod_ip6(unsigned int i, uint8_t out[16])
{
	static const uint8_t prefix[12] = { 0xfd, 0x00, 0x00, 0x10, 0x00, 0x64 };
	uint32_t n = i + 1;

	if ((i & SC_EXT_BIT) != 0) {
		memcpy(out, ext_ip6[(i & ~SC_EXT_BIT) % SC_NB_EXT], 16);
		return;
	}
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

int
sc_write_file(const char *dir, const char *name, FILE **ret)
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
	if (p->shapes == SC_SHAPES_RICH)
		return sc_rich_write(p, dir);
	if (sc_write_file(dir, "00-namespaces.yaml", &f) != 0)
		return -1;
	for (i = 0; i < p->nb_ns; i++)
		fprintf(f,
			"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-%u\n"
			"  labels:\n    kubernetes.io/metadata.name: ns-%u\n    team: team-%u\n",
			i, i, i % 7);
	rc |= fclose(f);
	if (sc_write_file(dir, "10-pods.yaml", &f) != 0)
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
	if (sc_write_file(dir, "20-policies.yaml", &f) != 0)
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

/* ---- The rich shape's manifests (scenario_priv.h) -------------------------------------- */

#define PODS_PER_FILE 10000
#define POLICIES_PER_FILE 2000

static const char *const tier_name[3] = { "web", "api", "db" };
static const char *const env_name[3] = { "prod", "staging", "dev" };

static void
write_namespaces(const struct sc_params *p, FILE *f)
{
	unsigned int k;

	for (k = 0; k < p->nb_ns; k++)
		fprintf(f,
			"---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-%u\n"
			"  labels:\n    team: team-%u\n    env: %s\n",
			k, k % 7, env_name[k % 3]);
	fprintf(f, "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-system\n");
}

static void
pod_ips(unsigned int i, char *v4, size_t len4, char *v6, size_t len6)
{
	uint32_t ip = sc_pod_ip(i);
	uint8_t a[16];

	sc_pod_ip6(i, a);
	snprintf(v4, len4, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	snprintf(v6, len6, "fd00:10:64::%x:%x", a[12] << 8 | a[13], a[14] << 8 | a[15]);
}

static void
write_pod(const struct sc_params *p, FILE *f, unsigned int i)
{
	static const char *const ports[3] = {
		"        - name: http\n          containerPort: 8080\n"
		"        - name: quic\n          containerPort: 8443\n          protocol: UDP\n",
		"        - name: http\n          containerPort: 8081\n"
		"        - name: grpc\n          containerPort: 50051\n          protocol: TCP\n",
		"        - name: pg\n          containerPort: 5432\n",
	};
	unsigned int app = sc_rich_pod_app(p, i), tier = app % 3;
	char v4[16], v6[48];

	pod_ips(i, v4, sizeof(v4), v6, sizeof(v6));
	fprintf(f,
		"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-%u\n  namespace: ns-%u\n"
		"  labels:\n    app: app-%u\n    tier: %s\n    track: %s\n"
		"spec:\n  nodeName: " SC_NODE "\n  containers:\n"
		"    - name: main\n      image: bench\n      ports:\n%s"
		"    - name: exporter\n      image: exporter\n      ports:\n"
		"        - name: metrics\n          containerPort: %u\n"
		"status:\n  phase: Running\n  podIP: %s\n  podIPs:\n    - ip: %s\n    - ip: %s\n",
		i, sc_rich_pod_ns(p, i), app, tier_name[tier],
		sc_rich_pod_canary(p, i) ? "canary" : "stable", ports[tier],
		tier == SC_TIER_DB ? 9187 : 9100, v4, v4, v6);
}

static void
write_dns_pod(const struct sc_params *p, FILE *f, unsigned int j)
{
	unsigned int i = p->nb_pods + j;
	char v4[16], v6[48];

	pod_ips(i, v4, sizeof(v4), v6, sizeof(v6));
	fprintf(f,
		"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: coredns-%u\n"
		"  namespace: kube-system\n  labels:\n    k8s-app: kube-dns\n"
		"spec:\n  nodeName: " SC_NODE "\n  containers:\n"
		"    - name: coredns\n      image: coredns\n      ports:\n"
		"        - name: dns\n          containerPort: 53\n          protocol: UDP\n"
		"        - name: dns-tcp\n          containerPort: 53\n          protocol: TCP\n"
		"        - name: metrics\n          containerPort: 9153\n"
		"status:\n  phase: Running\n  podIP: %s\n  podIPs:\n    - ip: %s\n    - ip: %s\n",
		j, v4, v4, v6);
}

static const char dns_rule[] = "    - to:\n        - namespaceSelector:\n"
			       "            matchLabels:\n"
			       "              kubernetes.io/metadata.name: kube-system\n"
			       "          podSelector:\n            matchLabels:\n"
			       "              k8s-app: kube-dns\n"
			       "      ports:\n        - protocol: UDP\n          port: 53\n"
			       "        - protocol: TCP\n          port: 53\n";

static void
write_policy(const struct sc_params *p, FILE *f, unsigned int pol)
{
	unsigned int ka = sc_rich_ka(p), g = pol % ka, ns = g % p->nb_ns, app = g / p->nb_ns;
	unsigned int round = pol / ka;

	fprintf(f,
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
		"  name: np-%u\n  namespace: ns-%u\nspec:\n",
		pol, ns);
	switch (sc_rich_shape(p, pol)) {
	case 0:
		fprintf(f,
			"  podSelector:\n    matchLabels:\n      app: app-%u\n"
			"  policyTypes: [Ingress]\n  ingress:\n    - from:\n"
			"        - podSelector:\n            matchLabels:\n              app: "
			"app-%u\n"
			"      ports:\n        - protocol: UDP\n          port: 8080\n"
			"        - protocol: TCP\n          port: 8080\n",
			app, (app + 1 + round) % p->nb_apps);
		break;
	case 1:
		fprintf(f,
			"  podSelector:\n    matchLabels:\n      app: app-%u\n"
			"  policyTypes: [Ingress]\n  ingress:\n    - from:\n"
			"        - namespaceSelector:\n            matchLabels:\n"
			"              team: team-%u\n"
			"          podSelector:\n            matchExpressions:\n"
			"              - key: tier\n                operator: In\n"
			"                values: [web, api]\n"
			"      ports:\n        - protocol: TCP\n          port: http\n",
			app, (ns + 1) % 7);
		break;
	case 2:
		fprintf(f,
			"  podSelector:\n    matchLabels:\n      app: app-%u\n"
			"  policyTypes: [Ingress]\n  ingress:\n    - from:\n"
			"        - namespaceSelector:\n            matchExpressions:\n"
			"              - key: env\n                operator: NotIn\n"
			"                values: [prod]\n"
			"      ports:\n        - protocol: TCP\n          port: 30000\n"
			"          endPort: 30100\n        - protocol: UDP\n          port: quic\n",
			app);
		break;
	case 3:
		fprintf(f,
			"  podSelector:\n    matchLabels:\n      app: app-%u\n"
			"  policyTypes: [Egress]\n  egress:\n    - to:\n"
			"        - podSelector:\n            matchLabels:\n              app: "
			"app-%u\n"
			"      ports:\n        - protocol: TCP\n          port: 8080\n"
			"        - protocol: TCP\n          port: grpc\n"
			"%s"
			"    - to:\n        - ipBlock:\n            cidr: \"203.0.113.0/24\"\n"
			"            except: [\"203.0.113.128/25\"]\n"
			"        - ipBlock:\n            cidr: \"2001:db8:cafe::/48\"\n"
			"            except: [\"2001:db8:cafe:8000::/49\"]\n"
			"      ports:\n        - protocol: TCP\n          port: 443\n"
			"        - protocol: UDP\n          port: 443\n",
			app, (app + 1) % p->nb_apps, dns_rule);
		break;
	case 4:
		fprintf(f,
			"  podSelector:\n    matchLabels:\n      app: app-%u\n"
			"  policyTypes: [Ingress, Egress]\n  ingress:\n    - from:\n"
			"        - podSelector:\n            matchExpressions:\n"
			"              - key: tier\n                operator: In\n"
			"                values: [web, api]\n"
			"              - key: track\n                operator: NotIn\n"
			"                values: [canary]\n"
			"      ports:\n        - protocol: TCP\n          port: metrics\n"
			"        - protocol: TCP\n          port: 8080\n"
			"  egress:\n%s"
			"    - to:\n        - ipBlock:\n            cidr: \"198.51.100.0/24\"\n"
			"        - ipBlock:\n            cidr: \"2001:db8:5100::/48\"\n",
			app, dns_rule);
		break;
	default:
		fprintf(f,
			"  podSelector:\n    matchExpressions:\n      - key: app\n"
			"        operator: In\n        values: [app-%u]\n"
			"  policyTypes: [Ingress]\n  ingress:\n    - from:\n"
			"        - namespaceSelector: {}\n          podSelector:\n"
			"            matchLabels:\n              track: canary\n",
			app);
		break;
	}
}

int
sc_rich_write(const struct sc_params *p, const char *dir)
{
	char name[64];
	unsigned int i, j;
	FILE *f;
	int rc = 0;

	if (sc_write_file(dir, "00-namespaces.yaml", &f) != 0)
		return -1;
	write_namespaces(p, f);
	rc |= fclose(f);
	/* Several files: each stays far below the manifests source's 16 MB limit. */
	for (i = 0; i < p->nb_pods; i += PODS_PER_FILE) {
		snprintf(name, sizeof(name), "10-pods-%04u.yaml", i / PODS_PER_FILE);
		if (sc_write_file(dir, name, &f) != 0)
			return -1;
		for (j = i; j < p->nb_pods && j < i + PODS_PER_FILE; j++)
			write_pod(p, f, j);
		rc |= fclose(f);
	}
	if (sc_write_file(dir, "15-kube-system.yaml", &f) != 0)
		return -1;
	for (j = 0; j < SC_NB_DNS_PODS; j++)
		write_dns_pod(p, f, j);
	rc |= fclose(f);
	for (i = 0; i < p->nb_policies; i += POLICIES_PER_FILE) {
		snprintf(name, sizeof(name), "20-policies-%04u.yaml", i / POLICIES_PER_FILE);
		if (sc_write_file(dir, name, &f) != 0)
			return -1;
		for (j = i; j < p->nb_policies && j < i + POLICIES_PER_FILE; j++)
			write_policy(p, f, j);
		rc |= fclose(f);
	}
	return rc == 0 ? 0 : -1;
}
