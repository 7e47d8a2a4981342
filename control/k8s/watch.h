/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The pure parts of the Kubernetes API client, over bytes only (no sockets, no clock, no
 * randomness of their own), so that unit tests and fuzzers reach them directly:
 * - the resources watched and the URLs of their list and watch requests;
 * - a line splitter for watch streams, with a bound on the line length;
 * - the decoding of a watch event line and of a list response page;
 * - the reading of a Status object (error bodies, ERROR events), "410 Gone" detection;
 * - the reconnect backoff schedule.
 *
 * Nothing here logs: errors come back as -errno plus a one-line message. Messages never quote
 * more than a short excerpt of the server's text.
 */
#ifndef PW_K8S_WATCH_H
#define PW_K8S_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** Longest watch line (one event, so one object) accepted; a longer one is an error. */
#define PW_K8S_MAX_LINE (16 * 1024 * 1024)
/** Items per list page requested (the "limit" parameter). */
#define PW_K8S_PAGE_SIZE 500
/** Longest namespace and name accepted (Kubernetes' own limits: DNS label, subdomain). */
#define PW_K8S_MAX_NS 63
#define PW_K8S_MAX_NAME 253
/** Size of a "namespace/name" key, NUL included. */
#define PW_K8S_KEY_LEN (PW_K8S_MAX_NS + 1 + PW_K8S_MAX_NAME + 1)
/** Size of the error messages written by this module, NUL included. */
#define PW_K8S_ERR_LEN 256

/** A kind of object that the client lists and watches. */
struct pw_k8s_resource {
	const char *name;	 /**< "pods": for status and messages */
	const char *path;	 /**< "/api/v1/pods": the collection, all namespaces */
	const char *api_version; /**< "v1": written into items, which lists leave without it */
	const char *kind;	 /**< "Pod" */
	const char *list_kind;	 /**< "PodList" */
	const char *label;	 /**< "k8s:pods": the "file" of struct pw_manifests_ops */
	bool namespaced;	 /**< false: the namespace of every object is "" */
};

/** The resources watched, in the order they are listed. */
enum pw_k8s_res {
	PW_K8S_RES_NAMESPACES,
	PW_K8S_RES_PODS,
	PW_K8S_RES_POLICIES,
	PW_K8S_NB_RES,
};

/** Descriptors of the resources, indexed by enum pw_k8s_res. */
extern const struct pw_k8s_resource pw_k8s_resources[PW_K8S_NB_RES];

/**
 * URL of one list page: "<server><path>?limit=N[&continue=TOKEN]".
 * @param server
 *   "https://host:port" with an optional path prefix; trailing slashes are dropped.
 * @param cont
 *   The continue token of the previous page, or NULL for the first page; percent-encoded.
 * @param ret_url
 *   A malloc'd string owned by the caller; untouched on failure.
 * @return 0, -EINVAL or -ENOMEM.
 */
int pw_k8s_url_list(const char *server, const struct pw_k8s_resource *r, unsigned int limit,
	const char *cont, char **ret_url);

/**
 * URL of a watch:
 * "<server><path>?watch=1&allowWatchBookmarks=true&timeoutSeconds=T&resourceVersion=RV".
 * @param rv
 *   The resourceVersion to watch from (percent-encoded); must not be empty.
 * @return 0, -EINVAL or -ENOMEM; @p ret_url as for pw_k8s_url_list().
 */
int pw_k8s_url_watch(const char *server, const struct pw_k8s_resource *r, const char *rv,
	unsigned int timeout_s, char **ret_url);

/** A line splitter: bytes in, complete lines out, with at most @c max bytes held. */
struct pw_k8s_lines {
	char *buf;  /**< the partial line carried over between chunks */
	size_t len; /**< bytes in buf */
	size_t cap; /**< bytes allocated */
	size_t max; /**< longest line accepted, '\n' excluded; 0: PW_K8S_MAX_LINE */
};

/**
 * Called per complete line, without its "\n" (nor a "\r" before it); empty lines are skipped.
 * @p line is not NUL-terminated and valid only during the call.
 * @return 0 to go on, or a negative value that stops pw_k8s_lines_feed(), which returns it.
 */
typedef int (*pw_k8s_line_cb)(void *arg, const char *line, size_t len);

/** Initialise @p ls with a line bound (0: PW_K8S_MAX_LINE). Allocates nothing. */
void pw_k8s_lines_init(struct pw_k8s_lines *ls, size_t max);

/**
 * Feed a chunk. Complete lines are passed to @p cb (from the chunk itself when no partial line
 * is held, so that most lines are not copied); the rest is kept for the next chunk.
 * @return 0; -EMSGSIZE if a line grows beyond the bound (the partial line is dropped; the
 *         caller should abandon the stream: the rest of that line would be read as new lines);
 *         -ENOMEM; or what @p cb returned (the bytes after that line are dropped).
 */
int pw_k8s_lines_feed(
	struct pw_k8s_lines *ls, const char *data, size_t len, pw_k8s_line_cb cb, void *arg);

/**
 * The stream ended cleanly: pass a last line that had no "\n" to @p cb, if any.
 * @return as pw_k8s_lines_feed().
 */
int pw_k8s_lines_finish(struct pw_k8s_lines *ls, pw_k8s_line_cb cb, void *arg);

/** Drop any partial line (a new stream starts). The buffer is kept for reuse. */
void pw_k8s_lines_reset(struct pw_k8s_lines *ls);

/** Free the buffer; @p ls stays usable, with the same bound (it allocates again as needed). */
void pw_k8s_lines_free(struct pw_k8s_lines *ls);

/** A Kubernetes Status (an error response body, or the object of an ERROR event). */
struct pw_k8s_status {
	int code;	   /**< "code", or the HTTP status when the body has none; 0 if unknown */
	char reason[64];   /**< "reason" ("Expired", "Unauthorized", ...), "" if absent */
	char message[160]; /**< an excerpt of "message", "" if absent */
};

/**
 * Read a Status from a JSON value (borrowed). Missing or mistyped fields stay empty; this
 * cannot fail.
 */
void pw_k8s_status_from_json(const json_t *obj, struct pw_k8s_status *ret);

/**
 * Read a Status from an HTTP error body: JSON (a Status object) or anything else (an excerpt
 * of the text becomes the message). @p http_code is used when the body has no "code".
 */
void pw_k8s_status_from_body(
	const char *body, size_t len, int http_code, struct pw_k8s_status *ret);

/**
 * Whether a Status means that the resourceVersion (or a continue token) is too old, so that
 * only a new list can resume: code 410, reason "Expired" or "Gone", or a message that says
 * "too old resource version" (what older API servers send with other codes).
 */
bool pw_k8s_status_is_gone(const struct pw_k8s_status *st);

/** One line of a Status for messages: "410 Expired: too old resource version: 1 (5)". */
void pw_k8s_status_describe(const struct pw_k8s_status *st, char *buf, size_t size);

/** Watch event types. */
enum pw_k8s_ev_type {
	PW_K8S_EV_ADDED,
	PW_K8S_EV_MODIFIED,
	PW_K8S_EV_DELETED,
	PW_K8S_EV_BOOKMARK,
	PW_K8S_EV_ERROR,
};

/** A decoded watch event. */
struct pw_k8s_event {
	enum pw_k8s_ev_type type;
	/**
	 * ADDED, MODIFIED, DELETED: the object, with apiVersion and kind set (a new reference,
	 * released by pw_k8s_event_clear()). NULL for BOOKMARK and ERROR.
	 */
	json_t *object;
	const char *ns;	  /**< namespace ("" for cluster-scoped resources); points into object */
	const char *name; /**< points into object */
	/**
	 * metadata.resourceVersion of the object or bookmark (points into the event); NULL for
	 * ERROR.
	 */
	const char *rv;
	struct pw_k8s_status status; /**< ERROR only */
	json_t *root;		     /**< internal: the whole event */
};

/**
 * Decode one watch line of resource @p r. Strict: the line must be a JSON object with a known
 * "type" and an "object" that is a JSON object; ADDED, MODIFIED and DELETED objects must be of
 * the resource's kind (or have no kind: it is filled in) and have metadata.name (at most
 * PW_K8S_MAX_NAME bytes, no '/'), metadata.resourceVersion and, for namespaced resources,
 * metadata.namespace (at most PW_K8S_MAX_NS bytes, no '/') as non-empty strings; a BOOKMARK must have metadata.resourceVersion. An ERROR event always decodes (its
 * Status may be empty).
 * @param ret
 *   The event; on success release it with pw_k8s_event_clear(). Zeroed on failure.
 * @param err
 *   On failure, one line (size PW_K8S_ERR_LEN is enough).
 * @return 0, -EINVAL (not an event as above) or -ENOMEM.
 */
int pw_k8s_event_decode(const char *line, size_t len, const struct pw_k8s_resource *r,
	struct pw_k8s_event *ret, char *err, size_t err_len);

/** Release what pw_k8s_event_decode() returned; a zeroed event is a no-op. */
void pw_k8s_event_clear(struct pw_k8s_event *ev);

/** Name of an event type ("ADDED", ...). */
const char *pw_k8s_ev_type_name(enum pw_k8s_ev_type t);

/** One page of a list response. */
struct pw_k8s_list_page {
	json_t *items;	 /**< array of objects with apiVersion and kind set (new reference) */
	char *rv;	 /**< metadata.resourceVersion of the list (malloc'd) */
	char *cont;	 /**< metadata.continue, NULL on the last page (malloc'd) */
	size_t nb_items; /**< json_array_size(items) */
};

/**
 * Decode a list response body (a PodList, ...). Strict as pw_k8s_event_decode() for each item;
 * "items" may be null (an empty list). Items of another kind are an error.
 * @return 0, -EINVAL or -ENOMEM; @p ret is zeroed on failure. Release with
 *         pw_k8s_list_page_clear().
 */
int pw_k8s_list_decode(const char *body, size_t len, const struct pw_k8s_resource *r,
	struct pw_k8s_list_page *ret, char *err, size_t err_len);

/** Release a list page; a zeroed page is a no-op. */
void pw_k8s_list_page_clear(struct pw_k8s_list_page *page);

/**
 * Namespace and name of an object that pw_k8s_list_decode() or pw_k8s_event_decode() accepted
 * (borrowed strings; "" namespace for cluster-scoped resources). @return 0 or -EINVAL.
 */
int pw_k8s_object_id(const json_t *obj, const struct pw_k8s_resource *r, const char **ret_ns,
	const char **ret_name, const char **ret_rv);

/**
 * Delay before reconnect attempt @p attempt (0 for the first retry): @p base_ms doubled per
 * attempt and capped at @p max_ms, then jittered to between half and all of it by @p rnd
 * (uniform over uint32_t; the caller supplies the randomness, so tests can pin it).
 * @return milliseconds, at least 1.
 */
uint32_t pw_k8s_backoff_ms(unsigned int attempt, uint32_t base_ms, uint32_t max_ms, uint32_t rnd);

#endif /* PW_K8S_WATCH_H */
