/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/lib/model_load.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "control/model/decode.h"
#include "control/model/model.h"

void
pwt_load(struct pw_model *m, const char *text)
{
	struct pw_k8s_obj obj;
	json_error_t jerr;
	char err[512];
	char *s = strdup(text), *p;
	json_t *j;
	int r;

	assert_non_null(s);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	j = json_loads(s, 0, &jerr);
	if (j == NULL)
		fail_msg("bad test JSON: %s: %s", jerr.text, s);
	if (pw_k8s_decode(j, NULL, &obj, err, sizeof(err)) != 0)
		fail_msg("decode: %s", err);
	json_decref(j);
	free(s);
	switch (obj.kind) {
	case PW_KIND_NAMESPACE:
		r = pw_model_put_namespace(m, obj.ns);
		break;
	case PW_KIND_POD:
		r = pw_model_put_pod(m, obj.pod);
		break;
	default:
		r = pw_model_put_policy(m, obj.policy);
		break;
	}
	assert_int_equal(r, 0);
}
