/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the Kubernetes decoder: any bytes that parse as JSON, decoded as an object
 * of any kind, must give 0 with exactly the object of the decoded kind, or an error code with
 * a one-line message, and never a crash, a leak or a sanitizer report. Replayed over
 * corpus/k8s_decode/ by replay.c under gcc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/model/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pw_k8s_ref ref;
	struct pw_k8s_obj obj;
	char err[512];
	json_t *j;
	int r;

	/* JSON_ALLOW_NUL: let "\u0000" reach the decoder, which must refuse it itself. */
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (j == NULL)
		return 0;
	pw_k8s_ref_of(j, NULL, &ref);
	r = pw_k8s_decode(j, size % 2 == 0 ? NULL : "fuzz", &obj, err, sizeof(err));
	if (r == 0) {
		if ((obj.kind == PW_KIND_NAMESPACE) != (obj.ns != NULL) ||
			(obj.kind == PW_KIND_POD) != (obj.pod != NULL) ||
			(obj.kind == PW_KIND_POLICY) != (obj.policy != NULL))
			abort();
	} else {
		if (r != -EINVAL && r != -ENOTSUP && r != -ENOMEM)
			abort();
		if (err[0] == '\0' || strchr(err, '\n') != NULL || obj.ns != NULL ||
			obj.pod != NULL || obj.policy != NULL)
			abort();
	}
	pw_k8s_obj_free(&obj);
	json_decref(j);
	return 0;
}
