/* SPDX-License-Identifier: Apache-2.0 */
/*
 * curl multi on pw_evloop, as libcurl's hiperfifo/ephiperfifo examples do with libevent and
 * epoll: CURLMOPT_SOCKETFUNCTION adds, changes and removes fds, CURLMOPT_TIMERFUNCTION arms one
 * timer, and each fd event or timer expiry calls curl_multi_socket_action() and then collects
 * finished transfers with curl_multi_info_read(). curl forbids calling back into the multi
 * handle from its own callbacks, so finished transfers are handed out only after
 * curl_multi_socket_action() has returned.
 */
#include "control/k8s/http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "control/evloop.h"
#include "control/k8s/auth.h"

/* Private data of each easy handle made here. */
struct easy_ctx {
	void *arg;
	struct curl_slist *headers; /* holds the Authorization header: wiped when freed */
};

struct pw_k8s_http {
	struct pw_evloop *loop;
	CURLM *multi;
	struct pw_k8s_timer timer; /* curl's timeout */
	pw_k8s_http_done_cb done;
	pw_k8s_http_idle_cb idle;
	void *idle_arg;
	int *fds; /* fds registered with the loop, so that none is left behind on free */
	unsigned int nb_fds;
	unsigned int cap_fds;
};

/* One-shot timers */

static void
on_timer(struct pw_evloop *loop, void *arg)
{
	struct pw_k8s_timer *t = arg;

	/* Disarm first: the callback may arm it again. */
	(void)pw_evloop_del_timer(loop, t->id);
	t->id = 0;
	t->cb(t->arg);
}

void
pw_k8s_timer_init(struct pw_k8s_timer *t, struct pw_evloop *loop, void (*cb)(void *arg), void *arg)
{
	t->loop = loop;
	t->id = 0;
	t->cb = cb;
	t->arg = arg;
}

int
pw_k8s_timer_arm(struct pw_k8s_timer *t, uint32_t ms)
{
	int64_t id;

	pw_k8s_timer_stop(t);
	id = pw_evloop_add_timer(t->loop, ms > 0 ? ms : 1, on_timer, t);
	if (id < 0)
		return (int)id;
	t->id = id;
	return 0;
}

void
pw_k8s_timer_stop(struct pw_k8s_timer *t)
{
	if (t->id > 0)
		(void)pw_evloop_del_timer(t->loop, t->id);
	t->id = 0;
}

/* The multi handle on the loop */

static void
collect(struct pw_k8s_http *h)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct easy_ctx *ctx = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode result = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ctx);
		curl_multi_remove_handle(h->multi, easy);
		h->done(ctx != NULL ? ctx->arg : NULL, easy, result);
	}
	if (h->idle != NULL)
		h->idle(h->idle_arg);
}

static void
on_fd(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct pw_k8s_http *h = arg;
	int flags = 0, running;

	(void)loop;
	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	curl_multi_socket_action(h->multi, fd, flags, &running);
	collect(h);
}

static void
on_curl_timeout(void *arg)
{
	struct pw_k8s_http *h = arg;
	int running;

	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	collect(h);
}

static int
track_fd(struct pw_k8s_http *h, int fd, bool add)
{
	unsigned int i;

	for (i = 0; i < h->nb_fds; i++) {
		if (h->fds[i] == fd) {
			if (!add)
				h->fds[i] = h->fds[--h->nb_fds];
			return 0;
		}
	}
	if (!add)
		return 0;
	if (h->nb_fds == h->cap_fds) {
		unsigned int cap = h->cap_fds == 0 ? 8 : h->cap_fds * 2;
		int *fds = realloc(h->fds, cap * sizeof(*fds));

		if (fds == NULL)
			return -ENOMEM;
		h->fds = fds;
		h->cap_fds = cap;
	}
	h->fds[h->nb_fds++] = fd;
	return 0;
}

static int
on_curl_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct pw_k8s_http *h = userp;
	uint32_t events = 0;
	int rc;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (socketp != NULL) {
			(void)pw_evloop_del_fd(h->loop, s);
			(void)track_fd(h, s, false);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (socketp != NULL)
		return pw_evloop_mod_fd(h->loop, s, events) == 0 ? 0 : -1;
	rc = track_fd(h, s, true);
	if (rc == 0)
		rc = pw_evloop_add_fd(h->loop, s, events, on_fd, h);
	if (rc == -EEXIST)
		rc = pw_evloop_mod_fd(h->loop, s, events);
	if (rc != 0) {
		(void)track_fd(h, s, false);
		return -1;
	}
	curl_multi_assign(h->multi, s, h);
	return 0;
}

static int
on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct pw_k8s_http *h = userp;

	(void)multi;
	if (timeout_ms < 0) {
		pw_k8s_timer_stop(&h->timer);
		return 0;
	}
	/* 0 means "as soon as possible": the next loop iteration, not from inside curl. */
	if (timeout_ms > 24 * 3600 * 1000L)
		timeout_ms = 24 * 3600 * 1000L;
	return pw_k8s_timer_arm(&h->timer, (uint32_t)timeout_ms) == 0 ? 0 : -1;
}

int
pw_k8s_http_create(struct pw_evloop *loop, pw_k8s_http_done_cb done, pw_k8s_http_idle_cb idle,
	void *idle_arg, struct pw_k8s_http **ret)
{
	struct pw_k8s_http *h;

	if (loop == NULL || done == NULL || ret == NULL)
		return -EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		goto err_global;
	h->loop = loop;
	h->done = done;
	h->idle = idle;
	h->idle_arg = idle_arg;
	pw_k8s_timer_init(&h->timer, loop, on_curl_timeout, h);
	h->multi = curl_multi_init();
	if (h->multi == NULL)
		goto err_free;
	if (curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket) != CURLM_OK ||
		curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h) != CURLM_OK ||
		curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer) != CURLM_OK ||
		curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h) != CURLM_OK)
		goto err_multi;
	/* Multiplex the watches over one HTTP/2 connection where the server allows it. */
	(void)curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	*ret = h;
	return 0;

err_multi:
	curl_multi_cleanup(h->multi);
err_free:
	free(h);
err_global:
	curl_global_cleanup();
	return -ENOMEM;
}

int
pw_k8s_http_add(struct pw_k8s_http *h, CURL *easy)
{
	return curl_multi_add_handle(h->multi, easy) == CURLM_OK ? 0 : -EIO;
}

void
pw_k8s_http_remove(struct pw_k8s_http *h, CURL *easy)
{
	curl_multi_remove_handle(h->multi, easy);
}

void
pw_k8s_http_free(struct pw_k8s_http *h)
{
	unsigned int i;

	if (h == NULL)
		return;
	/* Closing connections calls on_curl_socket(REMOVE), which unregisters their fds. */
	curl_multi_cleanup(h->multi);
	for (i = 0; i < h->nb_fds; i++)
		(void)pw_evloop_del_fd(h->loop, h->fds[i]);
	pw_k8s_timer_stop(&h->timer);
	free(h->fds);
	free(h);
	curl_global_cleanup();
}

const char *
pw_k8s_http_version(bool *ret_http2)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);

	if (ret_http2 != NULL)
		*ret_http2 = (v->features & CURL_VERSION_HTTP2) != 0;
	return v->version;
}

/* Easy handles */

static int
set_pem(CURL *easy, const struct pw_k8s_pem *pem, CURLoption file_opt, CURLoption blob_opt)
{
	struct curl_blob blob;

	if (pem->data != NULL) {
		blob.data = pem->data;
		blob.len = pem->len;
		blob.flags = CURL_BLOB_COPY;
		return curl_easy_setopt(easy, blob_opt, &blob) == CURLE_OK ? 0 : -1;
	}
	if (pem->file != NULL)
		return curl_easy_setopt(easy, file_opt, pem->file) == CURLE_OK ? 0 : -1;
	return 0;
}

static void
free_headers(struct curl_slist *headers)
{
	struct curl_slist *l;

	for (l = headers; l != NULL; l = l->next)
		explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(headers);
}

/* Append "Authorization: Bearer TOKEN" without leaving a copy of the token behind. */
static struct curl_slist *
append_bearer(struct curl_slist *headers, const char *token)
{
	static const char prefix[] = "Authorization: Bearer ";
	size_t n = sizeof(prefix) + strlen(token);
	struct curl_slist *l;
	char *line = malloc(n);

	if (line == NULL)
		return NULL;
	memcpy(line, prefix, sizeof(prefix) - 1);
	memcpy(line + sizeof(prefix) - 1, token, n - sizeof(prefix) + 1);
	l = curl_slist_append(headers, line);
	pw_k8s_wipe_free(line, n);
	return l;
}

CURL *
pw_k8s_http_easy(const struct pw_k8s_req *req)
{
	const struct pw_k8s_auth *auth = req->auth;
	struct curl_slist *l;
	struct easy_ctx *ctx;
	CURL *easy;
	bool ok;

	ctx = calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	ctx->arg = req->write_arg;
	easy = curl_easy_init();
	if (easy == NULL) {
		free(ctx);
		return NULL;
	}
	if (curl_easy_setopt(easy, CURLOPT_PRIVATE, ctx) != CURLE_OK) {
		free(ctx);
		curl_easy_cleanup(easy);
		return NULL;
	}
	l = curl_slist_append(NULL, "Accept: application/json");
	if (l == NULL)
		goto err;
	ctx->headers = l;
	if (req->token != NULL) {
		l = append_bearer(ctx->headers, req->token);
		if (l == NULL)
			goto err;
		ctx->headers = l;
	}
	ok = curl_easy_setopt(easy, CURLOPT_URL, req->url) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, ctx->headers) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, req->write_cb) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, req->write_arg) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, req->errbuf) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "") == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_timeout_ms) ==
			CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_TCP_KEEPIDLE, 30L) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_TCP_KEEPINTVL, 10L) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_USERAGENT, "podwall/" PW_VERSION) == CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, auth->insecure ? 0L : 1L) ==
			CURLE_OK &&
		curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, auth->insecure ? 0L : 2L) ==
			CURLE_OK &&
		set_pem(easy, &auth->ca, CURLOPT_CAINFO, CURLOPT_CAINFO_BLOB) == 0 &&
		set_pem(easy, &auth->cert, CURLOPT_SSLCERT, CURLOPT_SSLCERT_BLOB) == 0 &&
		set_pem(easy, &auth->key, CURLOPT_SSLKEY, CURLOPT_SSLKEY_BLOB) == 0;
	if (!ok)
		goto err;
	/* Best effort: an older curl without HTTP/2, or pipewait, still works over HTTP/1.1. */
	(void)curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	(void)curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
	if (req->fresh_connect)
		(void)curl_easy_setopt(easy, CURLOPT_FRESH_CONNECT, 1L);
	if (req->header_cb != NULL &&
		(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, req->header_cb) != CURLE_OK ||
			curl_easy_setopt(easy, CURLOPT_HEADERDATA, req->write_arg) != CURLE_OK))
		goto err;
	return easy;

err:
	pw_k8s_http_easy_free(easy);
	return NULL;
}

void
pw_k8s_http_easy_free(CURL *easy)
{
	struct easy_ctx *ctx = NULL;

	if (easy == NULL)
		return;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&ctx);
	curl_easy_cleanup(easy);
	if (ctx != NULL) {
		free_headers(ctx->headers);
		free(ctx);
	}
}
