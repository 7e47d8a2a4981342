/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * libcurl's multi interface on the control event loop (internal to control/k8s): curl's
 * sockets become pw_evloop fds, its timeout a one-shot pw_evloop timer, and finished transfers
 * are handed to a callback outside of curl's own callbacks, where they may be freed and new
 * ones started. Also: one-shot timers, and the easy handles of API requests with their TLS and
 * authentication options.
 *
 * Control thread only. Nothing here logs.
 */
#ifndef PW_K8S_HTTP_H
#define PW_K8S_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#include <curl/curl.h>

struct pw_evloop;
struct pw_k8s_auth;
struct pw_k8s_http;

/** A one-shot timer on a pw_evloop (whose timers are periodic). */
struct pw_k8s_timer {
	struct pw_evloop *loop;
	int64_t id; /**< 0: not armed */
	void (*cb)(void *arg);
	void *arg;
};

/** Set up @p t (not armed). */
void pw_k8s_timer_init(
	struct pw_k8s_timer *t, struct pw_evloop *loop, void (*cb)(void *arg), void *arg);
/** (Re)arm @p t to fire once, @p ms (at least 1) from now. @return 0 or -ENOMEM. */
int pw_k8s_timer_arm(struct pw_k8s_timer *t, uint32_t ms);
/** Disarm @p t; a disarmed timer is a no-op. */
void pw_k8s_timer_stop(struct pw_k8s_timer *t);

/**
 * Called for each finished transfer, outside of curl's callbacks, after it was removed from
 * the multi handle: the callee owns @p easy (curl_easy_cleanup() it).
 * @p arg is the easy handle's CURLOPT_PRIVATE.
 */
typedef void (*pw_k8s_http_done_cb)(void *arg, CURL *easy, CURLcode result);
/** Called after each batch of socket or timer work, once finished transfers were handled. */
typedef void (*pw_k8s_http_idle_cb)(void *arg);

/**
 * @return 0, -ENOMEM, or -EIO if curl cannot be set up.
 */
int pw_k8s_http_create(struct pw_evloop *loop, pw_k8s_http_done_cb done, pw_k8s_http_idle_cb idle,
	void *idle_arg, struct pw_k8s_http **ret);

/** Start @p easy. @return 0 or -EIO (curl refused it: the caller still owns it). */
int pw_k8s_http_add(struct pw_k8s_http *h, CURL *easy);

/** Abandon a transfer not finished yet; the caller then owns @p easy. Not from curl callbacks. */
void pw_k8s_http_remove(struct pw_k8s_http *h, CURL *easy);

/** Abandon all transfers (their handles must have been removed), close connections, free. */
void pw_k8s_http_free(struct pw_k8s_http *h);

/** libcurl's version, and whether it has HTTP/2 (for status). */
const char *pw_k8s_http_version(bool *ret_http2);

/** Options of one API request. */
struct pw_k8s_req {
	const char *url;
	const struct pw_k8s_auth *auth;
	const char *token; /**< bearer token, or NULL */
	uint32_t connect_timeout_ms;
	bool fresh_connect; /**< do not reuse a connection (after a failure) */
	curl_write_callback write_cb;
	void *write_arg;	       /**< also CURLOPT_PRIVATE */
	curl_write_callback header_cb; /**< may be NULL */
	char *errbuf;		       /**< CURL_ERROR_SIZE bytes */
};

/**
 * Make an easy handle for a GET: Accept JSON, gzip, HTTP/2 over TLS, no redirects, TLS
 * verification per @p auth, client certificate, and an Authorization header that is wiped
 * when the handle is freed with pw_k8s_http_easy_free().
 * @return the handle, or NULL (out of memory, or an option curl refused).
 */
CURL *pw_k8s_http_easy(const struct pw_k8s_req *req);

/** Free an easy handle made by pw_k8s_http_easy(), wiping its headers; NULL is a no-op. */
void pw_k8s_http_easy_free(CURL *easy);

#endif /* PW_K8S_HTTP_H */
