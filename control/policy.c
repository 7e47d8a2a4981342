/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy controller (see policy.h). Source events arrive on the control thread; each
 * object is decoded alone and either replaces its previous version in the model or is
 * rejected with a log line naming it (its last good version stays). Changes mark the model
 * dirty; a rebuild runs PW_POLICY_QUIET_MS after the last change and at most
 * PW_POLICY_MAX_DELAY_MS after the first, so a burst of edits costs one build.
 */
#include "control/policy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "control/aclbuild.h"
#include "control/evloop.h"
#include "control/k8s/client.h"
#include "control/manifests.h"
#include "control/model/decode.h"
#include "control/model/model.h"
#include "dataplane/pw_dp.h"
#include "podwall/pw_explain.h"
#include "podwall/pw_log.h"

#define TICK_MS 2

struct pw_policy_ctl {
	char *node;
	char *dir;
	struct pw_evloop *loop;
	struct pw_dp *dp;
	unsigned int nb_workers;
	void (*published)(void *arg, uint64_t generation);
	void *arg;

	struct pw_model *model;
	struct pw_manifests *src; /**< one of the two sources */
	struct pw_k8s_source *k8s;
	json_t *rejected;     /**< "Kind ns/name" → the decoder's message */
	json_t *retired_hits; /**< decisions of freed snapshots, in pw_policy_ctl_hits_json form */

	bool dirty;
	uint64_t first_change_ms;
	uint64_t last_change_ms;
	int64_t timer;

	uint64_t generation;	/**< last published */
	uint64_t built_version; /**< model version of the last published build */
	uint64_t nb_builds;
	uint64_t nb_build_failures;
	uint64_t nb_acl_reused; /**< ACL tables shared with the previous snapshot, since start */
	char last_error[512];
	struct pw_snapshot_info info; /**< of the last published build */
	/* Where the time of a change goes (propagation), for the last published build. */
	uint64_t decode_ns;	       /**< decoding the objects of this batch (accumulating) */
	double last_decode_ms;	       /**< of the batch the last build published */
	double last_publish_ms;	       /**< pw_dp_publish() */
	double last_build_cpu_ms;      /**< CPU time of the control thread in the build */
	double last_change_to_live_ms; /**< first change of the batch → published */
};

static void on_retire(void *arg, const struct pw_snapshot *s);

static uint64_t
clock_ns(clockid_t clock)
{
	struct timespec t;

	clock_gettime(clock, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t
now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static void
ref_key(const struct pw_k8s_ref *ref, char *buf, size_t len)
{
	if (ref->ns[0] != '\0')
		snprintf(buf, len, "%s %s/%s", ref->kind, ref->ns, ref->name);
	else
		snprintf(buf, len, "%s %s", ref->kind, ref->name);
}

static int
rebuild(struct pw_policy_ctl *pc, char *err, size_t err_len)
{
	struct pw_aclbuild_params p = {
		.generation = pc->generation + 1,
		.nb_workers = pc->nb_workers,
		.socket_id = -1,
		.prev = pw_dp_live(pc->dp),
	};
	struct pw_snapshot *snap = NULL;
	uint64_t version = pw_model_version(pc->model), cpu0;
	struct pw_snapshot_info info;
	double cpu_ms;
	int ret;

	pc->dirty = false;
	if (pc->generation > 0 && version == pc->built_version)
		return 0;
	pc->nb_builds++;
	cpu0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	ret = pw_snapshot_build(pc->model, pc->node, &p, &snap, err, err_len);
	cpu_ms = (double)(clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / 1e6;
	if (ret == 0) {
		uint64_t t0 = now_ns();

		info = snap->info;
		ret = pw_dp_publish(pc->dp, snap);
		if (ret != 0)
			snprintf(err, err_len, "publish: %s", strerror(-ret));
		pc->last_publish_ms = (double)(now_ns() - t0) / 1e6;
	}
	if (ret != 0) {
		/* The live snapshot stays in force. */
		pc->nb_build_failures++;
		snprintf(pc->last_error, sizeof(pc->last_error), "%s", err);
		PW_CTL_LOG(ERR, "policy build failed, generation %llu stays: %s",
			(unsigned long long)pc->generation, err);
		return ret;
	}
	pc->generation = p.generation;
	pc->built_version = version;
	pc->info = info;
	pc->last_build_cpu_ms = cpu_ms;
	pc->nb_acl_reused += info.nb_acl_reused;
	pc->last_decode_ms = (double)pc->decode_ns / 1e6;
	pc->decode_ns = 0;
	/* A build with no change behind it (the first one of an empty source) has no start. */
	pc->last_change_to_live_ms =
		pc->first_change_ms != 0 ? (double)(pw_evloop_now_ms() - pc->first_change_ms) : 0.0;
	pc->first_change_ms = 0;
	PW_CTL_LOG(INFO,
		"policy generation %llu live: %u policies, %u pods, %u identities, %u rules "
		"(%u+%u ACL, %u of %u tables reused), built in %.2f ms",
		(unsigned long long)pc->generation, pw_model_nb_policies(pc->model),
		pw_model_nb_pods(pc->model), info.nb_identities, info.nb_rules, info.nb_acl_rules4,
		info.nb_acl_rules6, info.nb_acl_reused, info.nb_acl_tables,
		(double)info.build_ns / 1e6);
	if (pc->published != NULL)
		pc->published(pc->arg, pc->generation);
	return 0;
}

static void
on_tick(struct pw_evloop *loop, void *arg)
{
	struct pw_policy_ctl *pc = arg;
	uint64_t now = pw_evloop_now_ms();
	char err[512];

	if (pc->dirty && now - pc->last_change_ms < PW_POLICY_QUIET_MS &&
		now - pc->first_change_ms < PW_POLICY_MAX_DELAY_MS)
		return;
	(void)pw_evloop_del_timer(loop, pc->timer);
	pc->timer = 0;
	if (pc->dirty)
		(void)rebuild(pc, err, sizeof(err));
}

static void
mark_dirty(struct pw_policy_ctl *pc)
{
	uint64_t now = pw_evloop_now_ms();

	if (!pc->dirty) {
		pc->dirty = true;
		pc->first_change_ms = now;
	}
	pc->last_change_ms = now;
}

static void
on_object(void *arg, const json_t *obj, const char *file, unsigned int line)
{
	struct pw_policy_ctl *pc = arg;
	struct pw_k8s_obj o;
	struct pw_k8s_ref ref;
	char err[512], key[400];
	uint64_t t0;
	int ret;

	pw_k8s_ref_of(obj, NULL, &ref);
	ref_key(&ref, key, sizeof(key));
	t0 = now_ns();
	ret = pw_k8s_decode(obj, NULL, &o, err, sizeof(err));
	pc->decode_ns += now_ns() - t0;
	if (ret == -ENOTSUP) {
		PW_CTL_LOG(DEBUG, "%s:%u: ignored: %s", file, line, err);
		return;
	}
	if (ret != 0) {
		PW_CTL_LOG(WARNING, "%s:%u: rejected %s: %s", file, line, key, err);
		json_object_set_new(pc->rejected, key, json_string(err));
		return;
	}
	ret = pw_k8s_obj_put(pc->model, &o);
	if (ret != 0) {
		snprintf(err, sizeof(err), "%s", pw_k8s_put_strerror(ret));
		PW_CTL_LOG(WARNING, "%s:%u: rejected %s: %s", file, line, key, err);
		json_object_set_new(pc->rejected, key, json_string(err));
		return;
	}
	json_object_del(pc->rejected, key);
	mark_dirty(pc);
}

static void
on_removed(void *arg, const char *kind, const char *ns, const char *name)
{
	struct pw_policy_ctl *pc = arg;
	struct pw_k8s_ref ref;
	enum pw_kind k;
	char key[400];

	snprintf(ref.kind, sizeof(ref.kind), "%s", kind);
	snprintf(ref.ns, sizeof(ref.ns), "%s", ns);
	snprintf(ref.name, sizeof(ref.name), "%s", name);
	ref_key(&ref, key, sizeof(key));
	json_object_del(pc->rejected, key);
	for (k = 0; k < PW_KIND_MAX; k++)
		if (strcmp(kind, pw_kind_name(k)) == 0)
			break;
	if (k == PW_KIND_MAX || pw_model_delete(pc->model, k, ns, name) != 0)
		return;
	PW_CTL_LOG(INFO, "%s removed", key);
	mark_dirty(pc);
}

static void
on_error(void *arg, const char *file, unsigned int line, const char *msg)
{
	(void)arg;
	PW_CTL_LOG(WARNING, "%s:%u: %s", file, line, msg);
}

static void
on_synced(void *arg)
{
	struct pw_policy_ctl *pc = arg;

	/* The first sync publishes even an empty cluster: "synced, nothing isolated". */
	if (pc->generation == 0)
		mark_dirty(pc);
	/* Without a loop, pw_policy_ctl_sync_now() builds right after the scan. */
	if (pc->loop == NULL || !pc->dirty || pc->timer > 0)
		return;
	pc->timer = pw_evloop_add_timer(pc->loop, TICK_MS, on_tick, pc);
	if (pc->timer < 0) {
		char err[512];

		pc->timer = 0;
		(void)rebuild(pc, err, sizeof(err));
	}
}

static const struct pw_manifests_ops manifests_ops = {
	.object = on_object,
	.removed = on_removed,
	.error = on_error,
	.synced = on_synced,
};

int
pw_policy_ctl_create(const struct pw_policy_ctl_params *params, struct pw_policy_ctl **ret,
	char *err, size_t err_len)
{
	struct pw_policy_ctl *pc = calloc(1, sizeof(*pc));
	int rc;

	if (pc == NULL)
		return -ENOMEM;
	pc->node = strdup(params->node);
	pc->dir = strdup(params->k8s != NULL ? "" : params->manifests_dir);
	pc->loop = params->loop;
	pc->dp = params->dp;
	pc->nb_workers = params->nb_workers;
	pc->published = params->published;
	pc->arg = params->arg;
	pc->rejected = json_object();
	pc->retired_hits = json_object();
	rc = pc->node == NULL || pc->dir == NULL || pc->rejected == NULL ||
			pc->retired_hits == NULL ?
		-ENOMEM :
		0;
	if (rc == 0)
		rc = pw_model_create(&pc->model);
	if (rc == 0 && params->k8s != NULL) {
		rc = pc->loop == NULL ? -EINVAL :
					pw_k8s_source_create(params->k8s, &manifests_ops, pc,
						pc->loop, &pc->k8s, err, err_len);
		if (pc->loop == NULL)
			snprintf(err, err_len, "the Kubernetes source needs an event loop");
	} else if (rc == 0) {
		rc = pw_manifests_create(pc->dir, &manifests_ops, pc, pc->loop, &pc->src);
		if (rc != 0)
			snprintf(err, err_len, "manifests %s: %s", pc->dir, strerror(-rc));
	} else {
		snprintf(err, err_len, "out of memory");
	}
	if (rc != 0) {
		pw_policy_ctl_free(pc);
		return rc;
	}
	pw_dp_set_retire_cb(pc->dp, on_retire, pc);
	*ret = pc;
	return 0;
}

int
pw_policy_ctl_sync_now(struct pw_policy_ctl *pc, char *err, size_t err_len)
{
	int rc;

	if (pc->k8s != NULL) {
		snprintf(err, err_len, "the Kubernetes source syncs by itself");
		return -EAGAIN;
	}
	rc = pw_manifests_scan(pc->src);

	if (rc != 0) {
		snprintf(err, err_len, "manifests %s: %s", pc->dir, strerror(-rc));
		return rc;
	}
	if (pc->timer > 0) {
		(void)pw_evloop_del_timer(pc->loop, pc->timer);
		pc->timer = 0;
	}
	/* The first build publishes even an empty model: "synced, nothing isolated". */
	if (pc->generation == 0)
		pc->built_version = ~0ull;
	return rebuild(pc, err, err_len);
}

uint64_t
pw_policy_ctl_generation(const struct pw_policy_ctl *pc)
{
	return pc->generation;
}

json_t *
pw_policy_ctl_status_json(const struct pw_policy_ctl *pc)
{
	const struct pw_snapshot_info *i = &pc->info;
	json_t *o;

	o = json_pack("{s:s, s:s, s:{s:i, s:i, s:i}, s:O, s:I, s:i, s:i, s:{s:i, s:i}, "
		      "s:{s:f, s:f, s:f, s:f, s:f, s:f, s:f}, s:I, s:I, s:I, s:s?}",
		"manifests_dir", pc->dir, "node", pc->node, "objects", "namespaces",
		(int)pw_model_nb_namespaces(pc->model), "pods", (int)pw_model_nb_pods(pc->model),
		"policies", (int)pw_model_nb_policies(pc->model), "rejected", pc->rejected,
		"generation", (json_int_t)pc->generation, "identities", (int)i->nb_identities,
		"rules", (int)i->nb_rules, "acl_rules", "ipv4", (int)i->nb_acl_rules4, "ipv6",
		(int)i->nb_acl_rules6, "last_build_ms", "decode", pc->last_decode_ms, "compile",
		(double)i->compile_ns / 1e6, "acl_build", (double)i->acl_build_ns / 1e6, "maps",
		((double)i->build_ns - (double)i->compile_ns - (double)i->acl_build_ns) / 1e6,
		"total", (double)i->build_ns / 1e6, "publish", pc->last_publish_ms,
		"change_to_live", pc->last_change_to_live_ms, "acl_mem_bytes",
		(json_int_t)i->acl_mem_bytes, "builds", (json_int_t)pc->nb_builds, "build_failures",
		(json_int_t)pc->nb_build_failures, "last_error",
		pc->last_error[0] != '\0' ? pc->last_error : NULL);
	/* The last build's CPU time on the control thread: its own cost, apart from the time
	 * other threads and processes took the CPU from it (last_build_ms are wall times). */
	if (o != NULL)
		json_object_set_new(o, "last_build_cpu_ms", json_real(pc->last_build_cpu_ms));
	/* ACL tables of the live snapshot, and how many the last build shared with the snapshot
	 * before it instead of building them (acl_build then counts only the others). */
	if (o != NULL)
		json_object_set_new(o, "acl_tables",
			json_pack("{s:i, s:i, s:i, s:I}", "live", (int)i->nb_acl_tables, "reused",
				(int)i->nb_acl_reused, "id_bits", (int)i->acl_ids, "reused_total",
				(json_int_t)pc->nb_acl_reused));
	if (o != NULL && pc->k8s != NULL) {
		json_object_del(o, "manifests_dir");
		json_object_set_new(o, "kubernetes", pw_k8s_source_status_json(pc->k8s));
	}
	return o;
}

static void
add_hit(json_t *out, const char *key, const char *what, uint64_t n)
{
	json_t *pol = json_object_get(out, key), *cur;

	if (pol == NULL) {
		pol = json_object();
		json_object_set_new(out, key, pol);
	}
	cur = json_object_get(pol, what);
	json_object_set_new(pol, what,
		json_integer((cur != NULL ? json_integer_value(cur) : 0) + (json_int_t)n));
}

/* Add the decisions counted by snapshot @s to @out. */
static void
snapshot_hits(const struct pw_snapshot *s, json_t *out)
{
	uint32_t r;

	if (s == NULL || !s->compiled)
		return;
	for (r = 1; r <= s->nb_rules; r++) {
		const struct pw_rule_meta *m = &s->rules[r];
		uint64_t n = pw_snapshot_rule_hits(s, r);
		char key[400];

		if (n == 0)
			continue;
		snprintf(key, sizeof(key), "%s/%s", m->ns, m->name);
		add_hit(out, key, m->dir == 0 ? "egress" : "ingress", n);
	}
	if (pw_snapshot_rule_hits(s, 0) != 0)
		add_hit(out, "(isolated, no rule matched)", "denied", pw_snapshot_rule_hits(s, 0));
}

/* A retired snapshot is about to be freed: keep what it counted. */
static void
on_retire(void *arg, const struct pw_snapshot *s)
{
	struct pw_policy_ctl *pc = arg;

	snapshot_hits(s, pc->retired_hits);
}

json_t *
pw_policy_ctl_hits_json(const struct pw_policy_ctl *pc)
{
	json_t *out = json_deep_copy(pc->retired_hits);

	/* Snapshots retired but not yet freed are not counted until they are freed: a few
	 * milliseconds of decisions may show late, never twice. */
	snapshot_hits(pw_dp_live(pc->dp), out);
	return out;
}

static int
parse_proto(const json_t *v, uint8_t *ret)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} names[] = { { "tcp", 6 }, { "udp", 17 }, { "sctp", 132 }, { "icmp", 1 },
		{ "icmpv6", 58 } };
	unsigned int i;

	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 255) {
		*ret = (uint8_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EINVAL;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(json_string_value(v), names[i].name) == 0) {
			*ret = names[i].proto;
			return 0;
		}
	return -EINVAL;
}

static int
parse_addr(const json_t *v, struct pw_ip *ip)
{
	const char *s = json_string_value(v);

	memset(ip, 0, sizeof(*ip));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, ip->addr.b) == 1) {
		ip->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, ip->addr.b) == 1) {
		ip->family = 6;
		return 0;
	}
	return -EINVAL;
}

/* The policies that select @pod and isolate it in direction @egress (for explaining a
 * denial: these are the policies whose rules could have allowed the flow). */
static json_t *
isolated_by(const struct pw_model *model, const struct pw_pod *pod, bool egress)
{
	json_t *arr = json_array();
	unsigned int i;

	for (i = 0; i < pw_model_nb_policies(model); i++) {
		const struct pw_policy *p = pw_model_policy_at(model, i);
		bool isolates = egress ? p->isolates_egress : p->isolates_ingress;
		char buf[400];

		if (!isolates || strcmp(p->ns, pod->ns) != 0 ||
			!pw_selector_matches(&p->pod_selector, &pod->labels))
			continue;
		snprintf(buf, sizeof(buf), "%s/%s", p->ns, p->name);
		json_array_append_new(arr, json_string(buf));
	}
	return arr;
}

static json_t *
dir_json(const struct pw_explain_dir *d, const struct pw_model *model, const struct pw_ip *ip,
	bool egress)
{
	const struct pw_pod *pod = pw_model_pod_by_ip(model, ip);
	json_t *o = json_pack("{s:s, s:b, s:b, s:i}", "decision", pw_explain_state_name(d->state),
		"enforced", d->enforced, "allowed", d->allowed, "identity", (int)d->identity);
	char buf[400];

	if (pod != NULL) {
		snprintf(buf, sizeof(buf), "%s/%s", pod->ns, pod->name);
		json_object_set_new(o, "pod", json_string(buf));
		if (d->enforced)
			json_object_set_new(o, "isolated_by", isolated_by(model, pod, egress));
	} else {
		json_object_set_new(o, "pod", json_null());
	}
	if (d->meta != NULL) {
		snprintf(buf, sizeof(buf), "%s/%s", d->meta->ns, d->meta->name);
		json_object_set_new(o, "policy", json_string(buf));
		json_object_set_new(o, "rule",
			json_sprintf("spec.%s[%u]", d->meta->dir == 0 ? "egress" : "ingress",
				d->meta->rule));
	}
	return o;
}

int
pw_policy_ctl_explain(
	const struct pw_policy_ctl *pc, const json_t *req, json_t **ret, char *err, size_t err_len)
{
	const struct pw_snapshot *s = pw_dp_live(pc->dp);
	const json_t *port = json_object_get(req, "port");
	struct pw_ip from, to;
	struct pw_pkt_meta meta;
	struct pw_explain ex;
	uint8_t proto = 0;

	if (parse_addr(json_object_get(req, "from"), &from) != 0 ||
		parse_addr(json_object_get(req, "to"), &to) != 0 || from.family != to.family) {
		snprintf(err, err_len, "'from' and 'to' must be IP addresses of one family");
		return -EINVAL;
	}
	if (parse_proto(json_object_get(req, "proto"), &proto) != 0) {
		snprintf(err, err_len, "'proto' must be tcp, udp, sctp, icmp, icmpv6 or 0..255");
		return -EINVAL;
	}
	if (port == NULL && (proto == 6 || proto == 17 || proto == 132)) {
		snprintf(err, err_len, "'port' is required for tcp, udp and sctp");
		return -EINVAL;
	}
	if (port != NULL &&
		(!json_is_integer(port) || json_integer_value(port) < 0 ||
			json_integer_value(port) > 65535)) {
		snprintf(err, err_len, "'port' must be 0..65535");
		return -EINVAL;
	}
	if (s == NULL) {
		snprintf(err, err_len, "no policy snapshot yet");
		return -ENOENT;
	}
	memset(&meta, 0, sizeof(meta));
	meta.l3 = from.family == 4 ? PW_L3_IPV4 : PW_L3_IPV6;
	meta.src = from.addr;
	meta.dst = to.addr;
	meta.proto = proto;
	meta.dport = port != NULL ? (uint16_t)json_integer_value(port) : 0;
	if (pw_snapshot_explain(s, &meta, &ex) != 0) {
		snprintf(err, err_len, "explain failed");
		return -EIO;
	}
	*ret = json_pack("{s:I, s:b, s:o, s:o}", "generation", (json_int_t)ex.generation, "allowed",
		ex.allowed, "egress", dir_json(&ex.egress, pc->model, &from, true), "ingress",
		dir_json(&ex.ingress, pc->model, &to, false));
	return *ret != NULL ? 0 : -ENOMEM;
}

void
pw_policy_ctl_free(struct pw_policy_ctl *pc)
{
	if (pc == NULL)
		return;
	if (pc->timer > 0)
		(void)pw_evloop_del_timer(pc->loop, pc->timer);
	pw_dp_set_retire_cb(pc->dp, NULL, NULL);
	pw_manifests_free(pc->src);
	pw_k8s_source_free(pc->k8s);
	pw_model_free(pc->model);
	json_decref(pc->rejected);
	json_decref(pc->retired_hits);
	free(pc->node);
	free(pc->dir);
	free(pc);
}
