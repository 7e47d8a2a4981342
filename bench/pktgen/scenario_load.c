/* SPDX-License-Identifier: Apache-2.0 */
/* The rich scenario's manifests decoded into a model the way the daemon decodes them
 * (control/policy.c on_object()): the manifests source, pw_k8s_decode(), the model. Any
 * rejection is an error of the scenario, reported with the object's name. */
#include "scenario_priv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "control/manifests.h"
#include "control/model/decode.h"
#include "control/model/model.h"

void
sc_set_err(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	if (err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

struct load {
	struct pw_model *model;
	unsigned int nb_objects;
	int rc;
	char err[1024];
};

static void
load_object(void *arg, const json_t *obj, const char *file, unsigned int line)
{
	struct load *l = arg;
	struct pw_k8s_ref ref;
	struct pw_k8s_obj o;
	char err[256];
	int rc;

	if (l->rc != 0)
		return;
	pw_k8s_ref_of(obj, NULL, &ref);
	rc = pw_k8s_decode(obj, NULL, &o, err, sizeof(err));
	if (rc != 0) {
		/* -ENOTSUP too: the scenario writes only objects podwall uses. */
		snprintf(l->err, sizeof(l->err), "%s:%u: %s %s/%s rejected: %s", file, line,
			ref.kind, ref.ns, ref.name, err);
		l->rc = rc == -ENOMEM ? -ENOMEM : -EINVAL;
		return;
	}
	rc = pw_k8s_obj_put(l->model, &o);
	if (rc != 0) {
		snprintf(l->err, sizeof(l->err), "%s:%u: %s %s/%s not taken by the model: %s", file,
			line, ref.kind, ref.ns, ref.name, pw_k8s_put_strerror(rc));
		l->rc = rc == -ENOMEM ? -ENOMEM : -EINVAL;
		return;
	}
	l->nb_objects++;
}

static void
load_removed(void *arg, const char *kind, const char *ns, const char *name)
{
	struct load *l = arg;

	if (l->rc == 0) {
		snprintf(l->err, sizeof(l->err), "%s %s/%s removed during the first scan", kind, ns,
			name);
		l->rc = -EINVAL;
	}
}

static void
load_error(void *arg, const char *file, unsigned int line, const char *msg)
{
	struct load *l = arg;

	if (l->rc == 0) {
		snprintf(l->err, sizeof(l->err), "%s:%u: %s", file, line, msg);
		l->rc = -EINVAL;
	}
}

static const struct pw_manifests_ops load_ops = {
	.object = load_object,
	.removed = load_removed,
	.error = load_error,
};

int
sc_load_model(const char *dir, unsigned int want, struct pw_model **ret, char *err, size_t err_len)
{
	struct load l = { .rc = 0 };
	struct pw_manifests *m;
	int rc;

	rc = pw_model_create(ret);
	if (rc != 0) {
		sc_set_err(err, err_len, "model: %s", strerror(-rc));
		return rc;
	}
	l.model = *ret;
	rc = pw_manifests_create(dir, &load_ops, &l, NULL, &m);
	if (rc != 0) {
		sc_set_err(err, err_len, "manifests %s: %s", dir, strerror(-rc));
		return rc;
	}
	rc = pw_manifests_scan(m);
	pw_manifests_free(m);
	if (l.rc != 0) {
		sc_set_err(err, err_len, "%s", l.err);
		return l.rc;
	}
	if (rc != 0) {
		sc_set_err(err, err_len, "manifests %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (l.nb_objects != want) {
		sc_set_err(err, err_len, "manifests %s: %u objects decoded, the scenario wrote %u",
			dir, l.nb_objects, want);
		return -EINVAL;
	}
	return 0;
}
