/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Internal to control/k8s: the source's state, shared by client.c (life cycle, status,
 * synced()) and reflector.c (each resource's list-then-watch state machine).
 */
#ifndef PW_K8S_REFLECTOR_H
#define PW_K8S_REFLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "control/manifests.h"
#include "control/k8s/auth.h"
#include "control/k8s/http.h"
#include "control/k8s/watch.h"

/* Size of a message (error, status). */
#define PW_K8S_MSG_LEN 384

enum pw_k8s_wstate {
	PW_K8S_W_LISTING,
	PW_K8S_W_WATCHING,
	PW_K8S_W_BACKOFF,
};

/* Why a request was abandoned from a callback (returning 0 from the write callback). */
enum pw_k8s_abort {
	PW_K8S_ABORT_NONE,
	PW_K8S_ABORT_RELIST,	   /* 410 ERROR event: list again now */
	PW_K8S_ABORT_RELIST_ERROR, /* bad line, oversized line: list again after a backoff step */
	PW_K8S_ABORT_RETRY, /* another ERROR event, a list page too large: back off, resume */
};

/** One resource's list-then-watch state machine (client-go's Reflector). */
struct pw_k8s_reflector {
	struct pw_k8s_source *src;
	const struct pw_k8s_resource *res;
	enum pw_k8s_wstate state;
	bool next_is_list;	   /* in PW_K8S_W_BACKOFF: what to start when the delay is over */
	struct pw_k8s_timer timer; /* backoff delay, or idle check while a request runs */

	/* The request in flight. */
	CURL *easy;
	bool is_list;
	uint64_t last_data_ns;
	char errbuf[CURL_ERROR_SIZE];
	char *body; /* list page, or error body */
	size_t body_len;
	size_t body_cap;
	struct pw_k8s_lines lines;
	enum pw_k8s_abort abort_why;
	char abort_msg[PW_K8S_MSG_LEN];

	/* A list in progress. */
	json_t *list_items;
	char *cont;

	/* What the watch holds. */
	char *rv;		    /* resourceVersion to resume from; NULL until the first list */
	json_t *known;		    /* "ns/name" -> resourceVersion of what was delivered */
	bool listed;		    /* the first list was delivered */
	uint64_t events_since_list; /* valid watch events since the last list */
	uint64_t start_ns;	    /* when the request in flight started */
	unsigned int failures;	    /* consecutive, for the backoff */
	bool fresh_connect;

	/* For status. */
	uint64_t nb_reconnects, nb_relists, nb_events, nb_errors, nb_unauthorized;
	struct timespec last_sync_wall;
	uint64_t last_sync_ns; /* 0: never */
	char last_error[PW_K8S_MSG_LEN];
	uint64_t last_error_ns;
	uint32_t backoff_ms;
};

struct pw_k8s_source {
	struct pw_manifests_ops ops;
	void *arg;
	struct pw_evloop *loop;
	struct pw_k8s_http *http;
	struct pw_k8s_auth auth;
	struct pw_k8s_token token;
	bool token_force; /* re-read the token file before the next request (after a 401) */
	uint32_t watch_timeout_s, idle_ms, connect_ms, page_size, backoff_base_ms, backoff_max_ms;
	size_t max_line;
	uint64_t rnd;
	bool synced;	     /* the first full sync was delivered */
	bool pending_synced; /* something was delivered since the last synced() */
	struct pw_k8s_reflector watches[PW_K8S_NB_RES];
};

/** Monotonic nanoseconds. */
uint64_t pw_k8s_now_ns(void);

/** Set up @p w for resource @p res of @p src. @return 0 or -ENOMEM. */
int pw_k8s_reflector_init(
	struct pw_k8s_reflector *w, struct pw_k8s_source *src, const struct pw_k8s_resource *res);

/** Start: list, then watch. */
void pw_k8s_reflector_start(struct pw_k8s_reflector *w);

/** The transfer of @p w (CURLOPT_PRIVATE) finished: a pw_k8s_http_done_cb. */
void pw_k8s_reflector_done(void *arg, CURL *easy, CURLcode result);

/** Abandon the request in flight and free everything; delivers nothing. */
void pw_k8s_reflector_fini(struct pw_k8s_reflector *w);

/** Status of @p w; @return a new reference or NULL. */
json_t *pw_k8s_reflector_status_json(const struct pw_k8s_reflector *w, uint64_t now);

#endif /* PW_K8S_REFLECTOR_H */
