/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Kubernetes JSON → model objects, strictly. The same decoder serves the manifests source,
 * the Kubernetes API client and the tests. An invalid object is rejected on its own with a
 * message that names it and the field; the caller logs it once.
 */
#ifndef PW_DECODE_H
#define PW_DECODE_H

#include <stddef.h>

#include <jansson.h>

#include "control/model/model.h"

/** A decoded object: exactly one of the pointers is set, per kind. */
struct pw_k8s_obj {
	enum pw_kind kind;
	struct pw_namespace *ns;
	struct pw_pod *pod;
	struct pw_policy *policy;
};

/** Identity of an object as written (for logs and deletes), even when decoding fails. */
struct pw_k8s_ref {
	char kind[32]; /**< as in the object ("Pod", "Deployment", ...), "" if missing */
	char ns[64];   /**< "" for cluster-scoped objects or when missing */
	char name[254];
};

/**
 * Decode one object (borrowed). Namespaced objects without metadata.namespace get
 * @p default_ns (NULL: "default").
 *
 * @param err  on failure, one line: "NetworkPolicy prod/web: spec.ingress[0].from[1].ipBlock
 *             .cidr: '10.0.0/8' is not a CIDR"
 * @return 0; -ENOTSUP for a kind podwall does not use (err says which); -EINVAL for an
 *         invalid object; -ENOMEM.
 */
int pw_k8s_decode(const json_t *obj, const char *default_ns, struct pw_k8s_obj *ret, char *err,
	size_t err_len);

/** Fill @p ret from whatever of apiVersion/kind/metadata the object has. */
void pw_k8s_ref_of(const json_t *obj, const char *default_ns, struct pw_k8s_ref *ret);

/** Free the decoded object; NULL members are skipped. */
void pw_k8s_obj_free(struct pw_k8s_obj *obj);

/**
 * Add or replace the decoded object in @p model, which takes ownership, also on failure
 * (pw_model_put_namespace() and the others). @return 0, -ENOMEM, or -EINVAL: a pod whose IP
 * another endpoint pod holds (pw_k8s_put_strerror() says so).
 */
int pw_k8s_obj_put(struct pw_model *model, struct pw_k8s_obj *obj);

/** What pw_k8s_obj_put()'s error @p rc (negative) means, for a log line. */
const char *pw_k8s_put_strerror(int rc);

#endif /* PW_DECODE_H */
