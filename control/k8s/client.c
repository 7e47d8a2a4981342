/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Kubernetes source: credentials, the curl multi handle on the loop, one reflector per
 * resource (reflector.c), and the synced() that closes each batch of deliveries.
 */
#include "control/k8s/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/evloop.h"
#include "control/k8s/reflector.h"

#define DEFAULT_IDLE_MS 90000
#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_BACKOFF_BASE_MS 100
#define DEFAULT_BACKOFF_MAX_MS 30000

static void
on_idle(void *arg)
{
	struct pw_k8s_source *s = arg;

	if (s->synced && s->pending_synced) {
		s->pending_synced = false;
		if (s->ops.synced != NULL)
			s->ops.synced(s->arg);
	}
}

static void
params_defaults(struct pw_k8s_source *s, const struct pw_k8s_params *p)
{
	s->watch_timeout_s = p->watch_timeout_s;
	s->idle_ms = p->idle_timeout_ms != 0 ? p->idle_timeout_ms : DEFAULT_IDLE_MS;
	s->connect_ms = p->connect_timeout_ms != 0 ? p->connect_timeout_ms : DEFAULT_CONNECT_MS;
	s->page_size = p->page_size != 0 ? p->page_size : PW_K8S_PAGE_SIZE;
	s->backoff_base_ms = p->backoff_base_ms != 0 ? p->backoff_base_ms : DEFAULT_BACKOFF_BASE_MS;
	s->backoff_max_ms = p->backoff_max_ms != 0 ? p->backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
	if (s->backoff_max_ms < s->backoff_base_ms)
		s->backoff_max_ms = s->backoff_base_ms;
	s->max_line = p->max_line;
	s->rnd = pw_k8s_now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
	if (s->rnd == 0)
		s->rnd = 1;
}

int
pw_k8s_source_create(const struct pw_k8s_params *p, const struct pw_manifests_ops *ops, void *arg,
	struct pw_evloop *loop, struct pw_k8s_source **ret, char *err, size_t err_len)
{
	struct pw_k8s_auth_params ap;
	struct pw_k8s_source *s;
	unsigned int i;
	int rc;

	if (p == NULL || ops == NULL || ops->object == NULL || ops->removed == NULL ||
		loop == NULL || ret == NULL) {
		snprintf(err, err_len, "invalid arguments");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto err_nomem;
	s->ops = *ops;
	s->arg = arg;
	s->loop = loop;
	params_defaults(s, p);
	ap = (struct pw_k8s_auth_params){
		.server = p->server,
		.kubeconfig = p->kubeconfig,
		.token_file = p->token_file,
		.ca_file = p->ca_file,
		.insecure_skip_tls_verify = p->insecure_skip_tls_verify,
		.sa_dir = p->sa_dir,
	};
	rc = pw_k8s_auth_resolve(&ap, &s->auth, err, err_len);
	if (rc != 0)
		goto err_free;
	if (s->auth.token_file != NULL) {
		rc = pw_k8s_token_refresh(&s->token, s->auth.token_file, true, NULL);
		if (rc != 0) {
			snprintf(err, err_len, "token file %s: %s", s->auth.token_file,
				rc == -EINVAL ? "empty, or holds control characters" :
						strerror(-rc));
			goto err_free;
		}
	}
	rc = pw_k8s_http_create(loop, pw_k8s_reflector_done, on_idle, s, &s->http);
	if (rc != 0) {
		snprintf(err, err_len, "cannot set up libcurl: %s", strerror(-rc));
		goto err_free;
	}
	for (i = 0; i < PW_K8S_NB_RES; i++) {
		rc = pw_k8s_reflector_init(&s->watches[i], s, &pw_k8s_resources[i]);
		if (rc != 0)
			goto err_free;
	}
	if (s->auth.insecure && s->ops.error != NULL)
		s->ops.error(s->arg, "k8s", 0,
			"TLS certificate verification is OFF (insecure_skip_tls_verify): the API "
			"server is not authenticated");
	for (i = 0; i < PW_K8S_NB_RES; i++)
		pw_k8s_reflector_start(&s->watches[i]);
	*ret = s;
	return 0;

err_nomem:
	snprintf(err, err_len, "out of memory");
	return -ENOMEM;
err_free:
	if (rc == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	pw_k8s_source_free(s);
	return rc;
}

bool
pw_k8s_source_synced(const struct pw_k8s_source *s)
{
	return s != NULL && s->synced;
}

void
pw_k8s_source_free(struct pw_k8s_source *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; i < PW_K8S_NB_RES; i++)
		pw_k8s_reflector_fini(&s->watches[i]);
	pw_k8s_http_free(s->http);
	pw_k8s_token_clear(&s->token);
	pw_k8s_auth_clear(&s->auth);
	free(s);
}

json_t *
pw_k8s_source_status_json(const struct pw_k8s_source *s)
{
	json_t *j, *watches;
	uint64_t now = pw_k8s_now_ns();
	unsigned int i;
	bool h2;
	const char *curl_version = pw_k8s_http_version(&h2);

	if (s == NULL)
		return NULL;
	watches = json_array();
	j = json_pack("{s:s, s:s, s:s?, s:b, s:b, s:s, s:b, s:b, s:o}", "server", s->auth.server,
		"auth", s->auth.source != NULL ? s->auth.source : "", "token_file",
		s->auth.token_file, "bearer_token", s->auth.token != NULL || s->token.value != NULL,
		"tls_verify", !s->auth.insecure, "libcurl", curl_version, "http2", h2, "synced",
		s->synced, "watches", watches);
	if (j == NULL)
		return NULL;
	for (i = 0; i < PW_K8S_NB_RES; i++) {
		json_t *w = pw_k8s_reflector_status_json(&s->watches[i], now);

		if (w == NULL || json_array_append_new(watches, w) != 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}
