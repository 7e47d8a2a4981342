/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The Kubernetes API policy source: lists and watches Namespaces, Pods and NetworkPolicies
 * (networking.k8s.io/v1) cluster-wide, and delivers them through the same callbacks as the
 * manifests source (struct pw_manifests_ops), so that the policy controller takes either.
 *
 * Per resource, a paginated list (limit/continue), then a watch from the list's
 * resourceVersion with bookmarks; the watch is resumed from the last resourceVersion seen when
 * it ends or breaks. All I/O is non-blocking, on libcurl's multi interface driven by the
 * caller's event loop; HTTP/2 is used where libcurl and the server have it (the three watches
 * then share one connection), and responses may be gzip-compressed.
 *
 * Delivery (the "file" argument of the callbacks is the resource's label, "k8s:pods", and the
 * line is 0):
 * - object(): an object that is new or changed (its resourceVersion differs from the one
 *   delivered last), complete with apiVersion and kind (which list responses leave out).
 * - removed(): a DELETED event, or an object absent from a new list.
 * - error(): something that went wrong and that an operator should read: a failed request, a
 *   bad line in a watch stream, a certificate problem. Never contains the token.
 * - synced(): once after the first lists of all three resources have been delivered, then
 *   after each batch of changes (the events one read from the network delivered, or a relist).
 *   Nothing is delivered between an object() and the synced() that follows it, so that a
 *   controller that rebuilds on synced() never sees half a relist.
 *
 * Faults:
 * - A watch that ends or breaks (server restart, disconnect, timeoutSeconds) resumes from the
 *   last resourceVersion; failures are retried after a capped exponential backoff with jitter
 *   (100 ms doubling to 30 s, each delay between half and all of its step), reset by success.
 * - "410 Gone" (as an HTTP status, or an ERROR event with a 410 Status, or "too old resource
 *   version") means the resourceVersion was compacted: the resource is listed again. The new
 *   list replaces the old state in one batch: removals of the objects absent from it, then its
 *   new and changed objects, then synced(). The old state is never cleared first, so no table
 *   built in between lacks objects that still exist (fail static).
 * - A line that is not a valid event (bad JSON, missing fields, another kind) or longer than
 *   the line bound: the event it carried is lost, so the stream can no longer be trusted; it
 *   is reported and the resource is listed again (after a backoff step, so that a server that
 *   keeps sending garbage is not hammered).
 * - A request that receives no byte for idle_timeout_ms (a stalled server) is abandoned and
 *   retried on a fresh connection.
 * - 401: the token file is re-read and the request retried with backoff; counted in status.
 *
 * Threading: everything runs on the event loop's thread. Callbacks must not call
 * pw_k8s_source_free().
 */
#ifndef PW_K8S_CLIENT_H
#define PW_K8S_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct pw_evloop;
struct pw_manifests_ops;
struct pw_k8s_source;

/** Configuration; NULL or 0 members take the defaults. Strings are copied. */
struct pw_k8s_params {
	const char *server;	/**< API server URL; NULL: from the kubeconfig, or in-cluster */
	const char *kubeconfig; /**< kubeconfig file (its current context) */
	const char *token_file; /**< bearer token file, re-read when it changes */
	const char *ca_file;	/**< CA bundle for the server's certificate */
	bool insecure_skip_tls_verify; /**< no certificate checks (reported through error()) */
	const char *sa_dir;	     /**< in-cluster credentials; NULL: the service-account mount */
	uint32_t watch_timeout_s;    /**< timeoutSeconds of a watch; 0: random in 300..599 */
	uint32_t idle_timeout_ms;    /**< abandon a request silent this long; 0: 90000 (bookmarks
				       come about every minute) */
	uint32_t connect_timeout_ms; /**< 0: 10000 */
	uint32_t page_size;	     /**< items per list page; 0: PW_K8S_PAGE_SIZE */
	uint32_t backoff_base_ms;    /**< first retry delay; 0: 100 */
	uint32_t backoff_max_ms;     /**< retry delay cap; 0: 30000 */
	size_t max_line;	     /**< longest watch line; 0: PW_K8S_MAX_LINE (16 MiB) */
};

/**
 * Create the source and start listing (nothing is delivered before the loop runs).
 * @param ops
 *   Callbacks, copied; object and removed are required.
 * @param loop
 *   The control event loop; must outlive the source.
 * @param ret
 *   The source, to free with pw_k8s_source_free(); untouched on failure.
 * @param err
 *   On failure, one line (never the token).
 * @return 0; -EINVAL (bad arguments or configuration); -ENOENT (no server configured and not
 *         in a cluster); -ENOMEM; -errno reading the kubeconfig or the token file.
 */
int pw_k8s_source_create(const struct pw_k8s_params *p, const struct pw_manifests_ops *ops,
	void *arg, struct pw_evloop *loop, struct pw_k8s_source **ret, char *err, size_t err_len);

/** Whether the first lists of all resources have been delivered (synced() was called). */
bool pw_k8s_source_synced(const struct pw_k8s_source *s);

/**
 * Status for the socket: server, how it authenticates (never the token), whether TLS is
 * verified, and per resource: state (listing, watching, backoff), resourceVersion, objects
 * held, last successful sync (wall time and age), reconnects, relists, events, 401s, the last
 * error and its age. @return a new reference, NULL on allocation failure.
 */
json_t *pw_k8s_source_status_json(const struct pw_k8s_source *s);

/** Stop every request and free everything; delivers nothing. NULL is a no-op. */
void pw_k8s_source_free(struct pw_k8s_source *s);

#endif /* PW_K8S_CLIENT_H */
