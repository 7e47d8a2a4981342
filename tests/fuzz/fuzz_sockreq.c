/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the operator socket's request parser: any bytes given to
 * pw_sockserv_handle_line() must yield one line of valid JSON with a boolean "ok", and never a
 * crash, a leak or a sanitizer report. Replayed over corpus/sockreq/ by replay.c under gcc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/sockserv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns the request with an "echoed" flag, so replies carry fuzzer-chosen content. */
static int
echo(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	json_t *fail = json_object_get(req, "fail");

	(void)arg;
	/* Lets the fuzzer reach the error paths too, with a message it controls. */
	if (json_is_string(fail)) {
		snprintf(err, err_len, "%s", json_string_value(fail));
		return json_string_length(fail) % 2 == 0 ? -EINVAL : -EIO;
	}
	*ret_result = json_deep_copy(req);
	if (*ret_result == NULL)
		return -ENOMEM;
	return json_object_set_new(*ret_result, "echoed", json_true()) == 0 ? 0 : -ENOMEM;
}

static struct pw_sockserv *
server(void)
{
	static struct pw_sockserv *srv;
	struct pw_sockserv_params params = { .path = NULL };

	/* Created once and kept: the fuzzer calls this millions of times. */
	if (srv == NULL) {
		if (pw_sockserv_create(&params, NULL, &srv) != 0 ||
			pw_sockserv_register(srv, "echo", "echo the request", echo, NULL) != 0)
			abort();
	}
	return srv;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *reply = pw_sockserv_handle_line(server(), (const char *)data, size);
	json_t *j;

	if (reply == NULL)
		abort();
	/* One line on the wire: a newline inside the reply would split it in two. */
	if (strchr(reply, '\n') != NULL)
		abort();
	j = json_loads(reply, 0, NULL);
	if (!json_is_object(j) || !json_is_boolean(json_object_get(j, "ok")))
		abort();
	json_decref(j);
	free(reply);
	return 0;
}
