/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One resource's list-then-watch state machine, as client-go's Reflector (ListAndWatch): list
 * (paginated) → deliver → watch from the list's resourceVersion → on a clean end, watch again
 * from the last resourceVersion seen → on 410, list again → on failure, back off and resume.
 *
 * Each reflector remembers the objects it delivered (key "namespace/name" → resourceVersion),
 * so that a relist can say which ones vanished, and so that an unchanged object is not
 * delivered twice. Pages of a list are collected and delivered only when the last one has
 * arrived, in one batch with its removals, so that a half-read list is never visible.
 */
#include "control/k8s/reflector.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A list page larger than this is refused (500 objects of 512 KiB). */
#define MAX_LIST_PAGE (256u * 1024 * 1024)
/* Bytes of an error response body kept for its message. */
#define MAX_ERROR_BODY (64 * 1024)

static const char *const state_names[] = {
	[PW_K8S_W_LISTING] = "listing",
	[PW_K8S_W_WATCHING] = "watching",
	[PW_K8S_W_BACKOFF] = "backoff",
};

uint64_t
pw_k8s_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t
next_random(struct pw_k8s_source *s)
{
	/* xorshift64*: jitter needs spread, not secrecy. */
	s->rnd ^= s->rnd >> 12;
	s->rnd ^= s->rnd << 25;
	s->rnd ^= s->rnd >> 27;
	return (uint32_t)((s->rnd * 2685821657736338717ull) >> 32);
}

/*
 * Remove the tokens from text the server sent: a proxy may echo them. The previous token too:
 * a request made with it may fail after a rotation.
 */
static void
redact(const struct pw_k8s_source *s, char *msg)
{
	const char *const tokens[] = { s->token.value, s->token.prev, s->auth.token };

	pw_k8s_redact(msg, tokens, sizeof(tokens) / sizeof(tokens[0]));
}

static void __attribute__((format(printf, 2, 3)))
report(struct pw_k8s_reflector *w, const char *fmt, ...)
{
	struct pw_k8s_source *s = w->src;
	char msg[PW_K8S_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	redact(s, msg);
	snprintf(w->last_error, sizeof(w->last_error), "%s", msg);
	w->last_error_ns = pw_k8s_now_ns();
	w->nb_errors++;
	if (s->ops.error != NULL)
		s->ops.error(s->arg, w->res->label, 0, msg);
}

static void
mark_synced(struct pw_k8s_reflector *w)
{
	clock_gettime(CLOCK_REALTIME, &w->last_sync_wall);
	w->last_sync_ns = pw_k8s_now_ns();
}

/* Requests */

static void start_list(struct pw_k8s_reflector *w);
static void start_watch(struct pw_k8s_reflector *w);

static void
reset_request(struct pw_k8s_reflector *w)
{
	free(w->body);
	w->body = NULL;
	w->body_len = 0;
	w->body_cap = 0;
	pw_k8s_lines_reset(&w->lines);
	w->abort_why = PW_K8S_ABORT_NONE;
	w->abort_msg[0] = '\0';
	w->errbuf[0] = '\0';
}

static void
drop_list(struct pw_k8s_reflector *w)
{
	json_decref(w->list_items);
	w->list_items = NULL;
	free(w->cont);
	w->cont = NULL;
}

/* Try again after the next backoff step: a list if @p list (or nothing was listed yet). */
static void
retry_later(struct pw_k8s_reflector *w, bool list)
{
	struct pw_k8s_source *s = w->src;

	w->backoff_ms = pw_k8s_backoff_ms(
		w->failures, s->backoff_base_ms, s->backoff_max_ms, next_random(s));
	if (w->failures < 64)
		w->failures++;
	w->state = PW_K8S_W_BACKOFF;
	w->next_is_list = list || w->rv == NULL;
	w->fresh_connect = true;
	if (pw_k8s_timer_arm(&w->timer, w->backoff_ms) != 0)
		report(w, "cannot arm a timer: the %s watch stops", w->res->name);
}

static size_t
on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pw_k8s_reflector *w = arg;

	(void)data;
	w->last_data_ns = pw_k8s_now_ns();
	return size * nmemb;
}

static bool
append_body(struct pw_k8s_reflector *w, const char *data, size_t n, size_t max)
{
	if (w->body_len + n > max)
		return false;
	if (w->body_len + n + 1 > w->body_cap) {
		size_t cap = w->body_cap == 0 ? 16384 : w->body_cap;
		char *b;

		while (cap < w->body_len + n + 1)
			cap *= 2;
		if (cap > max + 1)
			cap = max + 1;
		b = realloc(w->body, cap);
		if (b == NULL)
			return false;
		w->body = b;
		w->body_cap = cap;
	}
	memcpy(w->body + w->body_len, data, n);
	w->body_len += n;
	w->body[w->body_len] = '\0';
	return true;
}

/* "ns/name": both are bounded by the decoder (63 and 253 bytes). */
static void
make_key(char *key, size_t size, const char *ns, const char *name)
{
	snprintf(key, size, "%s/%s", ns, name);
}

/* Whether the object @p key at @p rv differs from what was delivered (or is new). */
static bool
changed(const json_t *known, const char *key, const char *rv)
{
	const json_t *old = json_object_get(known, key);

	return old == NULL || strcmp(json_string_value(old), rv) != 0;
}

static int
set_known(json_t *known, const char *key, const char *rv)
{
	return json_object_set_new(known, key, json_string(rv)) == 0 ? 0 : -ENOMEM;
}

/* One watch line: deliver its event, or decide to stop the stream. */
static int
on_line(void *arg, const char *line, size_t len)
{
	struct pw_k8s_reflector *w = arg;
	struct pw_k8s_source *s = w->src;
	char err[PW_K8S_ERR_LEN], key[PW_K8S_KEY_LEN], st[PW_K8S_ERR_LEN];
	struct pw_k8s_event ev;
	int rc;

	rc = pw_k8s_event_decode(line, len, w->res, &ev, err, sizeof(err));
	if (rc != 0) {
		w->abort_why = PW_K8S_ABORT_RELIST_ERROR;
		snprintf(w->abort_msg, sizeof(w->abort_msg), "%s", err);
		return -1;
	}
	w->nb_events++;
	switch (ev.type) {
	case PW_K8S_EV_ERROR:
		pw_k8s_status_describe(&ev.status, st, sizeof(st));
		w->abort_why = pw_k8s_status_is_gone(&ev.status) ? PW_K8S_ABORT_RELIST :
								   PW_K8S_ABORT_RETRY;
		snprintf(w->abort_msg, sizeof(w->abort_msg), "watch ERROR event: %s", st);
		pw_k8s_event_clear(&ev);
		return -1;
	case PW_K8S_EV_BOOKMARK:
		break;
	case PW_K8S_EV_DELETED:
		make_key(key, sizeof(key), ev.ns, ev.name);
		if (json_object_get(w->known, key) != NULL) {
			json_object_del(w->known, key);
			s->ops.removed(s->arg, w->res->kind, ev.ns, ev.name);
			s->pending_synced = true;
		}
		break;
	default:
		make_key(key, sizeof(key), ev.ns, ev.name);
		if (!changed(w->known, key, ev.rv))
			break;
		if (set_known(w->known, key, ev.rv) != 0) {
			w->abort_why = PW_K8S_ABORT_RELIST_ERROR;
			snprintf(w->abort_msg, sizeof(w->abort_msg), "out of memory");
			pw_k8s_event_clear(&ev);
			return -1;
		}
		s->ops.object(s->arg, ev.object, w->res->label, 0);
		s->pending_synced = true;
		break;
	}
	/* Resume from here if the stream breaks. */
	if (ev.rv != NULL) {
		char *rv = strdup(ev.rv);

		if (rv != NULL) {
			free(w->rv);
			w->rv = rv;
		}
	}
	w->failures = 0;
	w->events_since_list++;
	mark_synced(w);
	pw_k8s_event_clear(&ev);
	return 0;
}

static size_t
on_write(char *data, size_t size, size_t nmemb, void *arg)
{
	struct pw_k8s_reflector *w = arg;
	size_t n = size * nmemb;
	long code = 0;
	int rc;

	w->last_data_ns = pw_k8s_now_ns();
	curl_easy_getinfo(w->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code != 200) {
		/* Keep the start of an error body for its message; drop the rest. */
		if (w->body_len < MAX_ERROR_BODY)
			(void)append_body(w, data,
				n < MAX_ERROR_BODY - w->body_len ? n : MAX_ERROR_BODY - w->body_len,
				MAX_ERROR_BODY);
		return n;
	}
	if (w->is_list) {
		if (append_body(w, data, n, MAX_LIST_PAGE))
			return n;
		w->abort_why = PW_K8S_ABORT_RETRY;
		snprintf(w->abort_msg, sizeof(w->abort_msg),
			"list page larger than %u bytes, or out of memory", MAX_LIST_PAGE);
		return 0;
	}
	rc = pw_k8s_lines_feed(&w->lines, data, n, on_line, w);
	if (rc == 0)
		return n;
	if (rc == -EMSGSIZE) {
		w->abort_why = PW_K8S_ABORT_RELIST_ERROR;
		snprintf(w->abort_msg, sizeof(w->abort_msg), "watch line longer than %zu bytes",
			w->lines.max);
	} else if (rc == -ENOMEM) {
		w->abort_why = PW_K8S_ABORT_RELIST_ERROR;
		snprintf(w->abort_msg, sizeof(w->abort_msg), "out of memory");
	}
	return 0;
}

static void
on_timer(void *arg)
{
	struct pw_k8s_reflector *w = arg;
	struct pw_k8s_source *s = w->src;
	uint64_t idle_ns = (uint64_t)s->idle_ms * 1000000u, now = pw_k8s_now_ns();
	CURL *easy = w->easy;

	if (w->state == PW_K8S_W_BACKOFF) {
		if (w->next_is_list)
			start_list(w);
		else
			start_watch(w);
		return;
	}
	if (easy == NULL)
		return;
	if (now - w->last_data_ns < idle_ns) {
		(void)pw_k8s_timer_arm(
			&w->timer, (uint32_t)((w->last_data_ns + idle_ns - now) / 1000000u) + 1);
		return;
	}
	/* Stalled: nothing for idle_ms. Abandon the request and retry on a new connection. */
	w->easy = NULL;
	pw_k8s_http_remove(s->http, easy);
	pw_k8s_http_easy_free(easy);
	report(w, "%s %s: no data for %u ms: reconnecting", w->is_list ? "list" : "watch",
		w->res->name, s->idle_ms);
	if (!w->is_list)
		w->nb_reconnects++;
	reset_request(w);
	retry_later(w, w->is_list);
}

static void
start_request(struct pw_k8s_reflector *w, const char *url, bool is_list)
{
	struct pw_k8s_source *s = w->src;
	struct pw_k8s_req req = {
		.url = url,
		.auth = &s->auth,
		.connect_timeout_ms = s->connect_ms,
		.fresh_connect = w->fresh_connect,
		.write_cb = on_write,
		.write_arg = w,
		.header_cb = on_header,
		.errbuf = w->errbuf,
	};
	int rc;

	if (s->auth.token_file != NULL) {
		rc = pw_k8s_token_refresh(&s->token, s->auth.token_file, s->token_force, NULL);
		s->token_force = false;
		if (rc != 0)
			report(w, "token file %s: %s%s", s->auth.token_file, strerror(-rc),
				s->token.value != NULL ? " (using the previous token)" : "");
		if (s->token.value == NULL) {
			retry_later(w, is_list);
			return;
		}
	}
	req.token = s->token.value != NULL ? s->token.value : s->auth.token;
	reset_request(w);
	w->is_list = is_list;
	w->state = is_list ? PW_K8S_W_LISTING : PW_K8S_W_WATCHING;
	w->easy = pw_k8s_http_easy(&req);
	if (w->easy == NULL) {
		report(w, "cannot set up a request (out of memory?)");
		retry_later(w, is_list);
		return;
	}
	if (pw_k8s_http_add(s->http, w->easy) != 0) {
		pw_k8s_http_easy_free(w->easy);
		w->easy = NULL;
		report(w, "curl refused a request");
		retry_later(w, is_list);
		return;
	}
	w->fresh_connect = false;
	w->start_ns = pw_k8s_now_ns();
	w->last_data_ns = w->start_ns;
	(void)pw_k8s_timer_arm(&w->timer, s->idle_ms);
}

static void
start_list(struct pw_k8s_reflector *w)
{
	struct pw_k8s_source *s = w->src;
	char *url;

	if (pw_k8s_url_list(s->auth.server, w->res, s->page_size, w->cont, &url) != 0) {
		report(w, "cannot build a list URL");
		retry_later(w, true);
		return;
	}
	if (w->cont == NULL) {
		json_decref(w->list_items);
		w->list_items = json_array();
		if (w->listed)
			w->nb_relists++;
	}
	start_request(w, url, true);
	free(url);
}

static void
start_watch(struct pw_k8s_reflector *w)
{
	struct pw_k8s_source *s = w->src;
	uint32_t timeout = s->watch_timeout_s;
	char *url;

	/* As client-go: a random timeout, so that watches of many nodes do not end together. */
	if (timeout == 0)
		timeout = 300 + next_random(s) % 300;
	if (pw_k8s_url_watch(s->auth.server, w->res, w->rv, timeout, &url) != 0) {
		report(w, "cannot build a watch URL");
		retry_later(w, true);
		return;
	}
	/* A huge line is rare: do not keep its buffer for the life of the watch. */
	if (w->lines.cap > 1024 * 1024)
		pw_k8s_lines_free(&w->lines);
	start_request(w, url, false);
	free(url);
}

/* Lists */

/*
 * The last page arrived: deliver the new state in one batch. Removals first, so that an
 * object that replaced a vanished one (a pod IP reused by a new pod) is not refused as a
 * conflict with it; the controller rebuilds only on synced(), after the whole batch.
 */
static int
finish_list(struct pw_k8s_reflector *w, const char *rv)
{
	struct pw_k8s_source *s = w->src;
	json_t *known = json_object(), *it;
	const char *key;
	void *tmp;
	size_t i;

	if (known == NULL)
		return -ENOMEM;
	json_array_foreach (w->list_items, i, it) {
		const char *ns, *name, *orv;
		char k[PW_K8S_KEY_LEN];

		(void)pw_k8s_object_id(it, w->res, &ns, &name, &orv);
		make_key(k, sizeof(k), ns, name);
		if (set_known(known, k, orv) != 0) {
			json_decref(known);
			return -ENOMEM;
		}
	}
	json_object_foreach_safe (w->known, tmp, key, it) {
		const char *slash = strchr(key, '/');
		char ns[256];

		if (json_object_get(known, key) != NULL || slash == NULL)
			continue;
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - key), key);
		s->ops.removed(s->arg, w->res->kind, ns, slash + 1);
		s->pending_synced = true;
	}
	json_array_foreach (w->list_items, i, it) {
		const char *ns, *name, *orv;
		char k[PW_K8S_KEY_LEN];

		(void)pw_k8s_object_id(it, w->res, &ns, &name, &orv);
		make_key(k, sizeof(k), ns, name);
		if (!changed(w->known, k, orv))
			continue;
		s->ops.object(s->arg, it, w->res->label, 0);
		s->pending_synced = true;
	}
	json_decref(w->known);
	w->known = known;
	free(w->rv);
	w->rv = strdup(rv);
	drop_list(w);
	w->listed = true;
	w->events_since_list = 0;
	mark_synced(w);
	/* The first sync needs every resource; afterwards, each relist is a batch of its own. */
	if (!s->synced) {
		for (i = 0; i < PW_K8S_NB_RES; i++)
			if (!s->watches[i].listed)
				return 0;
		s->synced = true;
		s->pending_synced = true;
	}
	return w->rv != NULL ? 0 : -ENOMEM;
}

static void
list_page_done(struct pw_k8s_reflector *w)
{
	char err[PW_K8S_ERR_LEN];
	struct pw_k8s_list_page page;
	int rc;

	rc = pw_k8s_list_decode(w->body, w->body_len, w->res, &page, err, sizeof(err));
	if (rc != 0) {
		report(w, "list %s: %s", w->res->name, err);
		drop_list(w);
		retry_later(w, true);
		return;
	}
	if (json_array_extend(w->list_items, page.items) != 0) {
		pw_k8s_list_page_clear(&page);
		report(w, "list %s: out of memory", w->res->name);
		drop_list(w);
		retry_later(w, true);
		return;
	}
	free(w->cont);
	w->cont = page.cont;
	page.cont = NULL;
	if (w->cont != NULL) {
		pw_k8s_list_page_clear(&page);
		start_list(w);
		return;
	}
	rc = finish_list(w, page.rv);
	pw_k8s_list_page_clear(&page);
	if (rc != 0) {
		report(w, "list %s: out of memory", w->res->name);
		drop_list(w);
		retry_later(w, true);
		return;
	}
	start_watch(w);
}

/* Finished transfers */

/* Say which CA failed to verify the server: the usual cause is a wrong ca_file. */
static const char *
ca_hint(const struct pw_k8s_source *s, CURLcode result)
{
	if (result != CURLE_PEER_FAILED_VERIFICATION && result != CURLE_SSL_CACERT_BADFILE)
		return "";
	if (s->auth.ca.data != NULL)
		return " (CA: the kubeconfig's certificate-authority-data)";
	if (s->auth.ca.file != NULL)
		return " (CA: ca_file or certificate-authority; is it the one that signed the "
		       "API server's certificate?)";
	return " (CA: the system's store; set ca_file)";
}

/*
 * The resourceVersion is gone: list again, at once, unless the watch got nothing since the
 * last list (a server that answers every watch with 410 would make a tight list loop).
 */
static void
relist_gone(struct pw_k8s_reflector *w)
{
	drop_list(w);
	if (w->listed && w->events_since_list == 0)
		retry_later(w, true);
	else
		start_list(w);
}

static void
http_error(struct pw_k8s_reflector *w, long code)
{
	struct pw_k8s_source *s = w->src;
	struct pw_k8s_status st;
	char desc[PW_K8S_ERR_LEN];
	const char *what = w->is_list ? "list" : "watch";

	/* Before the message is cut to an excerpt, which could keep half a token. */
	if (w->body != NULL) {
		redact(s, w->body);
		w->body_len = strlen(w->body);
	}
	pw_k8s_status_from_body(w->body, w->body_len, (int)code, &st);
	pw_k8s_status_describe(&st, desc, sizeof(desc));
	if (pw_k8s_status_is_gone(&st)) {
		/* A continue token or a resourceVersion too old: list from scratch, now. */
		report(w, "%s %s: HTTP %ld (%s): listing again", what, w->res->name, code, desc);
		relist_gone(w);
		return;
	}
	if (code == 401) {
		w->nb_unauthorized++;
		s->token_force = true;
	}
	report(w, "%s %s: HTTP %ld (%s)", what, w->res->name, code, desc);
	/* A failed page restarts its list: its continue token may be the cause. */
	if (w->is_list)
		drop_list(w);
	retry_later(w, w->is_list);
}

void
pw_k8s_reflector_done(void *arg, CURL *easy, CURLcode result)
{
	struct pw_k8s_reflector *w = arg;
	long code = 0;
	int rc;

	if (w == NULL || easy != w->easy) {
		pw_k8s_http_easy_free(easy);
		return;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
	w->easy = NULL;
	pw_k8s_http_easy_free(easy);
	pw_k8s_timer_stop(&w->timer);
	if (w->abort_why != PW_K8S_ABORT_NONE) {
		report(w, "%s %s: %s", w->is_list ? "list" : "watch", w->res->name, w->abort_msg);
		switch (w->abort_why) {
		case PW_K8S_ABORT_RELIST:
			relist_gone(w);
			break;
		case PW_K8S_ABORT_RELIST_ERROR:
			drop_list(w);
			retry_later(w, true);
			break;
		default:
			if (!w->is_list)
				w->nb_reconnects++;
			retry_later(w, w->is_list);
			break;
		}
		return;
	}
	if (result != CURLE_OK && code == 200 && !w->is_list) {
		/* A stream cut: a server restart, a load balancer, a network fault. */
		report(w, "watch %s: %s: resuming", w->res->name,
			w->errbuf[0] != '\0' ? w->errbuf : curl_easy_strerror(result));
		w->nb_reconnects++;
		retry_later(w, false);
		return;
	}
	if (result != CURLE_OK) {
		report(w, "%s %s: %s%s", w->is_list ? "list" : "watch", w->res->name,
			w->errbuf[0] != '\0' ? w->errbuf : curl_easy_strerror(result),
			ca_hint(w->src, result));
		if (!w->is_list)
			w->nb_reconnects++;
		if (w->is_list)
			drop_list(w);
		retry_later(w, w->is_list);
		return;
	}
	if (code != 200) {
		http_error(w, code);
		return;
	}
	if (w->is_list) {
		list_page_done(w);
		return;
	}
	/* timeoutSeconds elapsed: the stream ended cleanly. A last line without "\n" counts. */
	rc = pw_k8s_lines_finish(&w->lines, on_line, w);
	if (rc != 0 || w->abort_why != PW_K8S_ABORT_NONE) {
		report(w, "watch %s: %s", w->res->name,
			w->abort_msg[0] != '\0' ? w->abort_msg : "bad last line");
		retry_later(w, w->abort_why != PW_K8S_ABORT_RETRY);
		return;
	}
	/* A server that ends every watch at once, empty, gets the backoff, not a loop. */
	if (w->events_since_list == 0 && pw_k8s_now_ns() - w->start_ns < 1000000000u) {
		retry_later(w, false);
		return;
	}
	w->failures = 0;
	mark_synced(w);
	start_watch(w);
}

/* Life cycle */

int
pw_k8s_reflector_init(
	struct pw_k8s_reflector *w, struct pw_k8s_source *src, const struct pw_k8s_resource *res)
{
	w->src = src;
	w->res = res;
	w->known = json_object();
	if (w->known == NULL)
		return -ENOMEM;
	pw_k8s_lines_init(&w->lines, src->max_line);
	pw_k8s_timer_init(&w->timer, src->loop, on_timer, w);
	return 0;
}

void
pw_k8s_reflector_start(struct pw_k8s_reflector *w)
{
	start_list(w);
}

void
pw_k8s_reflector_fini(struct pw_k8s_reflector *w)
{
	if (w->easy != NULL) {
		pw_k8s_http_remove(w->src->http, w->easy);
		pw_k8s_http_easy_free(w->easy);
		w->easy = NULL;
	}
	if (w->timer.loop != NULL)
		pw_k8s_timer_stop(&w->timer);
	free(w->body);
	w->body = NULL;
	pw_k8s_lines_free(&w->lines);
	drop_list(w);
	free(w->rv);
	w->rv = NULL;
	json_decref(w->known);
	w->known = NULL;
}

/* Status */

json_t *
pw_k8s_reflector_status_json(const struct pw_k8s_reflector *w, uint64_t now)
{
	json_t *j = json_pack("{s:s, s:s, s:s?, s:I, s:b, s:I, s:I, s:I, s:I, s:I}", "resource",
		w->res->name, "state", state_names[w->state], "resource_version", w->rv, "objects",
		(json_int_t)json_object_size(w->known), "synced", w->listed, "reconnects",
		(json_int_t)w->nb_reconnects, "relists", (json_int_t)w->nb_relists, "events",
		(json_int_t)w->nb_events, "errors", (json_int_t)w->nb_errors, "unauthorized",
		(json_int_t)w->nb_unauthorized);

	if (j == NULL)
		return NULL;
	if (w->last_sync_ns != 0) {
		char ts[32];
		struct tm tm;

		gmtime_r(&w->last_sync_wall.tv_sec, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_set_new(j, "last_sync", json_string(ts));
		json_object_set_new(j, "last_sync_age_s",
			json_real((double)((now - w->last_sync_ns) / 1000000u) / 1e3));
	} else {
		json_object_set_new(j, "last_sync", json_null());
	}
	if (w->state == PW_K8S_W_BACKOFF) {
		json_object_set_new(j, "retry_in_ms", json_integer(w->backoff_ms));
		json_object_set_new(j, "failures", json_integer(w->failures));
	}
	if (w->last_error_ns != 0) {
		json_object_set_new(j, "last_error", json_string(w->last_error));
		json_object_set_new(j, "last_error_age_s",
			json_real((double)((now - w->last_error_ns) / 1000000u) / 1e3));
	}
	return j;
}
