/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Internal to the decoder (decode.c, decode_meta.c, decode_policy.c): the error context that
 * tracks the field path, and the helpers the files share. Not for other modules.
 */
#ifndef PW_DECODE_PRIV_H
#define PW_DECODE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "control/model/model.h"

/** Longest list podwall accepts anywhere in an object (the API server caps objects at ~1.5 MB). */
#define PW_DECODE_MAX_ITEMS 65536

/** Where the decoder is: the object's identity and the path of the field being read. */
struct pw_dctx {
	char *err; /**< caller's buffer, may be NULL */
	size_t err_len;
	const char *kind; /**< "Pod", ... */
	char ns[64];	  /**< printable, for messages; "" for cluster-scoped objects */
	char name[80];	  /**< printable, truncated, for messages */
	char path[512];	  /**< "spec.ingress[0].from[1]" */
	size_t path_len;
};

/** Append ".field" (or "field" at the root); @return the length to pass to pw_dctx_pop(). */
size_t pw_dctx_push(struct pw_dctx *c, const char *field);
/** Append "[i]". */
size_t pw_dctx_push_index(struct pw_dctx *c, size_t i);
/** Truncate the path back to @p saved. */
void pw_dctx_pop(struct pw_dctx *c, size_t saved);

/** Write "<Kind> <ns>/<name>: <path>: <problem>" to the error buffer. @return -EINVAL. */
int pw_dctx_fail(struct pw_dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Copy @p s into @p buf for a message: non-printable bytes become '?', long ones are cut. */
const char *pw_dctx_quote(char *buf, size_t size, const char *s);

/**
 * Member @p key of object @p obj, checked to be of @p type (JSON_TRUE stands for any
 * boolean). Absent and null both give *ret = NULL and 0, as in Kubernetes.
 * @return 0, or -EINVAL (wrong type; the message names the member).
 */
int pw_dget(
	struct pw_dctx *c, const json_t *obj, const char *key, json_type type, const json_t **ret);

/** Check that the array @p arr is not absurdly long. @return 0 or -EINVAL. */
int pw_dcheck_len(struct pw_dctx *c, const json_t *arr);

/** A string member's value, without embedded NULs. @return 0 or -EINVAL. */
int pw_dstring(struct pw_dctx *c, const json_t *str, const char **ret);

/** strdup, or NULL. */
char *pw_dstrdup(const char *s);

/** An RFC 1123 label: 1..@p max of [a-z0-9-], alphanumeric at both ends. */
bool pw_valid_dns_label(const char *s, size_t len, size_t max);

/** An RFC 1123 subdomain: ≤ 253 characters, dot-separated labels. */
bool pw_valid_dns_subdomain(const char *s, size_t len);

/**
 * Decode metadata.labels (@p j may be NULL) into @p ret, sorted by key, validating label
 * syntax; @p extra more items are allocated, unused, for the caller to add. @return 0,
 * -EINVAL or -ENOMEM (then @p ret holds what was decoded, for the caller to free).
 */
int pw_decode_labels(struct pw_dctx *c, const json_t *j, struct pw_labels *ret, unsigned int extra);

/** Sort labels by key (after adding one). */
void pw_labels_sort(struct pw_labels *labels);

/** Kubernetes IANA_SVC_NAME (a named port): ≤ 15 of [a-z0-9-], a letter, no "--", no '-' at ends. */
bool pw_valid_port_name(const char *s);

/** Decode a LabelSelector (the current path names it). @return 0, -EINVAL or -ENOMEM. */
int pw_decode_selector(struct pw_dctx *c, const json_t *j, struct pw_selector *ret);

/** Decode a NetworkPolicy's spec into @p pol (ns and name already set). */
int pw_decode_policy_spec(struct pw_dctx *c, const json_t *obj, struct pw_policy *pol);

#endif /* PW_DECODE_PRIV_H */
