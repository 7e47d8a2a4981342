/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the operator socket server: the protocol through pw_sockserv_handle_line(),
 * then the real socket in a temporary directory, driven by client sockets and
 * pw_evloop_run_once() in this one thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cmocka.h>
#include <jansson.h>

#include "control/evloop.h"
#include "control/sockserv.h"
#include "podwall/pw_proto.h"

/* Loop iterations (10 ms each at most) to wait for something before failing. */
#define MAX_PUMP 300
#define SMALL_MAX_REQUEST 64

/* Handlers. */

/* Echoes the request back as the result. */
static int
h_echo(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	(void)arg;
	(void)err;
	(void)err_len;
	*ret_result = json_deep_copy(req);
	return *ret_result != NULL ? 0 : -ENOMEM;
}

static int
h_bad_args(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	(void)arg;
	(void)req;
	/* Sets a result before failing: the server must drop it (ASan checks for the leak). */
	*ret_result = json_object();
	snprintf(err, err_len, "missing \"port\"");
	return -EINVAL;
}

static int
h_io(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	(void)arg;
	(void)req;
	(void)ret_result;
	snprintf(err, err_len, "ring full");
	return -EIO;
}

static int
h_silent_fail(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	(void)arg;
	(void)req;
	(void)ret_result;
	(void)err;
	(void)err_len;
	return -EINVAL;
}

static int
h_no_result(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	int *nb_calls = arg;

	(void)req;
	(void)ret_result;
	(void)err;
	(void)err_len;
	(*nb_calls)++;
	return 0;
}

/* Returns {"data": "<size x's>"}, to overflow the socket buffer. */
static int
h_big(void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len)
{
	json_int_t size = json_integer_value(json_object_get(req, "size"));
	char *data;

	(void)arg;
	if (size <= 0 || size > (64 << 20)) {
		snprintf(err, err_len, "bad size");
		return -EINVAL;
	}
	data = malloc((size_t)size);
	if (data == NULL)
		return -ENOMEM;
	memset(data, 'x', (size_t)size);
	*ret_result = json_pack("{s:s%}", "data", data, (size_t)size);
	free(data);
	return *ret_result != NULL ? 0 : -ENOMEM;
}

static int nb_no_result_calls;

static void
register_all(struct pw_sockserv *srv)
{
	assert_int_equal(pw_sockserv_register(srv, "echo", "echo the request", h_echo, NULL), 0);
	assert_int_equal(
		pw_sockserv_register(srv, "bad-args", "always -EINVAL", h_bad_args, NULL), 0);
	assert_int_equal(pw_sockserv_register(srv, "io", "always -EIO", h_io, NULL), 0);
	assert_int_equal(pw_sockserv_register(srv, "silent", NULL, h_silent_fail, NULL), 0);
	assert_int_equal(pw_sockserv_register(srv, "noresult", "returns no result", h_no_result,
				 &nb_no_result_calls),
		0);
	assert_int_equal(pw_sockserv_register(srv, "big", "a large reply", h_big, NULL), 0);
}

/* Protocol tests: a server without a socket. */

static int
setup_nosock(void **state)
{
	struct pw_sockserv_params params = { .path = NULL };
	struct pw_sockserv *srv = NULL;

	if (pw_sockserv_create(&params, NULL, &srv) != 0)
		return -1;
	register_all(srv);
	*state = srv;
	return 0;
}

static int
teardown_nosock(void **state)
{
	pw_sockserv_free(*state);
	return 0;
}

static json_t *
handle(struct pw_sockserv *srv, const char *req)
{
	char *reply = pw_sockserv_handle_line(srv, req, strlen(req));
	json_error_t jerr;
	json_t *j;

	assert_non_null(reply);
	/* One compact line: no newline may split the reply. */
	assert_null(strchr(reply, '\n'));
	j = json_loads(reply, 0, &jerr);
	if (j == NULL)
		fail_msg("reply is not JSON: %s: %s", jerr.text, reply);
	free(reply);
	assert_true(json_is_object(j));
	return j;
}

static void
assert_error(json_t *reply, const char *code)
{
	json_t *err = json_object_get(reply, "error");

	assert_true(json_is_false(json_object_get(reply, "ok")));
	assert_true(json_is_object(err));
	assert_string_equal(json_string_value(json_object_get(err, "code")), code);
	assert_true(json_is_string(json_object_get(err, "message")));
	assert_null(json_object_get(reply, "result"));
}

static void
expect_error(struct pw_sockserv *srv, const char *req, const char *code)
{
	json_t *reply = handle(srv, req);

	assert_error(reply, code);
	json_decref(reply);
}

static const char *
error_message(json_t *reply)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), "message"));
}

static void
test_ok_reply(void **state)
{
	struct pw_sockserv *srv = *state;
	const char req[] = "{\"cmd\":\"echo\",\"x\":[1,\"two\"]}";
	char *reply = pw_sockserv_handle_line(srv, req, strlen(req));

	/* Exact bytes: compact, and "ok", "cmd", "result" in that order. */
	assert_string_equal(reply,
		"{\"ok\":true,\"cmd\":\"echo\",\"result\":{\"cmd\":\"echo\","
		"\"x\":[1,\"two\"]}}");
	free(reply);

	/* Not NUL-terminated: only len bytes are read. */
	reply = pw_sockserv_handle_line(srv, "{\"cmd\":\"echo\"}garbage", 14);
	assert_string_equal(reply, "{\"ok\":true,\"cmd\":\"echo\",\"result\":{\"cmd\":\"echo\"}}");
	free(reply);
}

static void
test_no_result_is_empty_object(void **state)
{
	struct pw_sockserv *srv = *state;
	json_t *reply;

	nb_no_result_calls = 0;
	reply = handle(srv, "{\"cmd\":\"noresult\"}");
	assert_true(json_is_true(json_object_get(reply, "ok")));
	assert_string_equal(json_string_value(json_object_get(reply, "cmd")), "noresult");
	assert_true(json_is_object(json_object_get(reply, "result")));
	assert_int_equal(json_object_size(json_object_get(reply, "result")), 0);
	assert_int_equal(nb_no_result_calls, 1);
	json_decref(reply);
}

static void
test_handler_errors(void **state)
{
	struct pw_sockserv *srv = *state;
	json_t *reply;

	reply = handle(srv, "{\"cmd\":\"bad-args\"}");
	assert_error(reply, PW_PROTO_ERR_BAD_REQUEST);
	assert_string_equal(error_message(reply), "missing \"port\"");
	json_decref(reply);

	reply = handle(srv, "{\"cmd\":\"io\"}");
	assert_error(reply, PW_PROTO_ERR_INTERNAL);
	assert_string_equal(error_message(reply), "ring full");
	json_decref(reply);

	/* No message from the handler: a generic one, never an empty string. */
	reply = handle(srv, "{\"cmd\":\"silent\"}");
	assert_error(reply, PW_PROTO_ERR_BAD_REQUEST);
	assert_true(strlen(error_message(reply)) > 0);
	json_decref(reply);
}

static void
test_bad_requests(void **state)
{
	struct pw_sockserv *srv = *state;
	static const char *const bad[] = {
		"not json",
		"{\"cmd\":",
		"{\"cmd\":\"echo\"} trailing",
		"[1,2]",
		"\"echo\"",
		"42",
		"null",
		"{}",
		"{\"command\":\"echo\"}",
		"{\"cmd\":5}",
		"{\"cmd\":null}",
		"{\"cmd\":[\"echo\"]}",
		"{\"cmd\":\"echo\",\"cmd\":\"echo\"}",
		"{\"cmd\":\"echo\",\"a\":1,\"a\":2}",
		"{\"cmd\":\"echo\",\"s\":\"\\u0000\"}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(srv, bad[i], PW_PROTO_ERR_BAD_REQUEST);
}

static void
test_invalid_utf8(void **state)
{
	struct pw_sockserv *srv = *state;
	/* jansson quotes the bad bytes in its message; the reply must still be valid JSON. */
	static const char *const bad[] = {
		"\xff\xfe{\"cmd\":\"echo\"}",
		"{\"cmd\":\"\xc3\x28\"}",
		"{\"\xe2\x82\":1}",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(srv, bad[i], PW_PROTO_ERR_BAD_REQUEST);
}

static void
test_unknown_command(void **state)
{
	struct pw_sockserv *srv = *state;
	json_t *reply;

	expect_error(srv, "{\"cmd\":\"flows\"}", PW_PROTO_ERR_UNKNOWN_COMMAND);
	expect_error(srv, "{\"cmd\":\"\"}", PW_PROTO_ERR_UNKNOWN_COMMAND);
	expect_error(srv, "{\"cmd\":\"ECHO\"}", PW_PROTO_ERR_UNKNOWN_COMMAND);
	/* A non-ASCII name is reported without breaking the reply. */
	reply = handle(srv, "{\"cmd\":\"\xc3\xa9\\u2603\\n\"}");
	assert_error(reply, PW_PROTO_ERR_UNKNOWN_COMMAND);
	json_decref(reply);
}

static void
test_help(void **state)
{
	static const char *const names[] = { "help", "echo", "bad-args", "io", "silent", "noresult",
		"big" };
	struct pw_sockserv *srv = *state;
	json_t *reply, *cmds, *c;
	size_t i;

	reply = handle(srv, "{\"cmd\":\"help\"}");
	assert_true(json_is_true(json_object_get(reply, "ok")));
	assert_string_equal(json_string_value(json_object_get(reply, "cmd")), "help");
	cmds = json_object_get(json_object_get(reply, "result"), "commands");
	assert_true(json_is_array(cmds));
	assert_int_equal(json_array_size(cmds), sizeof(names) / sizeof(names[0]));
	json_array_foreach (cmds, i, c) {
		assert_string_equal(json_string_value(json_object_get(c, "cmd")), names[i]);
		assert_true(json_is_string(json_object_get(c, "help")));
	}
	assert_string_equal(json_string_value(json_object_get(json_array_get(cmds, 1), "help")),
		"echo the request");
	/* Registered without a help text. */
	assert_string_equal(
		json_string_value(json_object_get(json_array_get(cmds, 4), "help")), "");
	json_decref(reply);
}

static void
test_register_errors(void **state)
{
	struct pw_sockserv *srv = *state;

	assert_int_equal(pw_sockserv_register(srv, "echo", "again", h_echo, NULL), -EEXIST);
	assert_int_equal(pw_sockserv_register(srv, "help", "mine", h_echo, NULL), -EEXIST);
	assert_int_equal(pw_sockserv_register(srv, "", "empty", h_echo, NULL), -EINVAL);
	assert_int_equal(pw_sockserv_register(srv, "x", "no handler", NULL, NULL), -EINVAL);
	assert_int_equal(pw_sockserv_register(NULL, "x", "no server", h_echo, NULL), -EINVAL);
}

static void
test_create_errors(void **state)
{
	struct pw_sockserv_params params = { .path = "/tmp/pw-never-created.sock" };
	struct pw_sockserv *srv = NULL;
	struct pw_evloop *loop;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	/* A socket without a loop, or a loop without a socket. */
	assert_int_equal(pw_sockserv_create(&params, NULL, &srv), -EINVAL);
	params.path = NULL;
	assert_int_equal(pw_sockserv_create(&params, loop, &srv), -EINVAL);
	assert_int_equal(pw_sockserv_create(NULL, loop, &srv), -EINVAL);
	params.path = "";
	assert_int_equal(pw_sockserv_create(&params, loop, &srv), -EINVAL);
	assert_null(srv);
	assert_int_equal(pw_sockserv_nb_clients(NULL), 0);
	pw_sockserv_free(NULL);
	pw_evloop_free(loop);
}

static void
test_too_large_line(void **state)
{
	struct pw_sockserv_params params = { .max_request = SMALL_MAX_REQUEST };
	char line[SMALL_MAX_REQUEST + 2];
	struct pw_sockserv *srv;
	json_t *reply;

	(void)state;
	assert_int_equal(pw_sockserv_create(&params, NULL, &srv), 0);
	assert_int_equal(pw_sockserv_register(srv, "echo", NULL, h_echo, NULL), 0);
	/* Exactly max_request bytes is accepted, one more is not. */
	snprintf(line, sizeof(line), "{\"cmd\":\"echo\",\"pad\":\"%*s\"}",
		SMALL_MAX_REQUEST - (int)strlen("{\"cmd\":\"echo\",\"pad\":\"\"}"), "");
	assert_int_equal(strlen(line), SMALL_MAX_REQUEST);
	reply = handle(srv, line);
	assert_true(json_is_true(json_object_get(reply, "ok")));
	json_decref(reply);
	strcat(line, " ");
	expect_error(srv, line, PW_PROTO_ERR_TOO_LARGE);
	pw_sockserv_free(srv);
}

/* Socket tests. */

struct sock_fixture {
	char dir[64];
	char path[128];
	struct pw_evloop *loop;
	struct pw_sockserv *srv;
};

struct tclient {
	int fd;
	char *buf;
	size_t len;
	size_t cap;
	bool eof;
};

static int
setup_sock(void **state)
{
	struct sock_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/pw_sockserv_XXXXXX");
	if (mkdtemp(f->dir) == NULL || pw_evloop_create(&f->loop) != 0) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/podwall.sock", f->dir);
	*state = f;
	return 0;
}

static int
teardown_sock(void **state)
{
	struct sock_fixture *f = *state;
	char cmd[128];

	pw_sockserv_free(f->srv);
	pw_evloop_free(f->loop);
	/* The directory holds only what the test made; mkdtemp gave it a unique name. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static void
start_server(struct sock_fixture *f, unsigned int max_clients, size_t max_request)
{
	struct pw_sockserv_params params = {
		.path = f->path,
		.mode = 0660,
		.max_clients = max_clients,
		.max_request = max_request,
	};

	assert_int_equal(pw_sockserv_create(&params, f->loop, &f->srv), 0);
	register_all(f->srv);
}

static int
connect_path(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	strcpy(addr.sun_path, path);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static struct tclient *
client_new(struct sock_fixture *f)
{
	struct tclient *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->fd = connect_path(f->path);
	assert_true(c->fd >= 0);
	return c;
}

static void
client_free(struct tclient *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	free(c);
}

static void
client_send(struct tclient *c, const char *s)
{
	size_t len = strlen(s);

	assert_int_equal(send(c->fd, s, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void
pump(struct sock_fixture *f)
{
	assert_true(pw_evloop_run_once(f->loop, 10) >= 0);
}

/* Read what is available without blocking. */
static void
client_poll(struct tclient *c)
{
	for (;;) {
		ssize_t n;

		if (c->cap - c->len < 65536) {
			c->cap = c->cap == 0 ? 65536 : c->cap * 2;
			c->buf = realloc(c->buf, c->cap);
			assert_non_null(c->buf);
		}
		n = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, MSG_DONTWAIT);
		if (n == 0) {
			c->eof = true;
			return;
		}
		if (n < 0) {
			/* A server that dropped us with unread input gives ECONNRESET. */
			if (errno == ECONNRESET)
				c->eof = true;
			return;
		}
		c->len += (size_t)n;
	}
}

/* Pump the loop until the client has a whole line; return it (caller frees), or NULL at EOF. */
static char *
client_line(struct sock_fixture *f, struct tclient *c)
{
	int i;

	for (i = 0; i < MAX_PUMP; i++) {
		char *nl = c->len > 0 ? memchr(c->buf, '\n', c->len) : NULL;

		if (nl != NULL) {
			size_t len = (size_t)(nl - c->buf);
			char *line = strndup(c->buf, len);

			assert_non_null(line);
			memmove(c->buf, nl + 1, c->len - len - 1);
			c->len -= len + 1;
			return line;
		}
		if (c->eof)
			return NULL;
		pump(f);
		client_poll(c);
	}
	fail_msg("no reply");
	return NULL;
}

static json_t *
client_reply(struct sock_fixture *f, struct tclient *c)
{
	char *line = client_line(f, c);
	json_t *j;

	assert_non_null(line);
	j = json_loads(line, 0, NULL);
	if (j == NULL)
		fail_msg("reply is not JSON: %.200s", line);
	free(line);
	return j;
}

static void
expect_ok(struct sock_fixture *f, struct tclient *c, const char *cmd)
{
	json_t *reply = client_reply(f, c);

	assert_true(json_is_true(json_object_get(reply, "ok")));
	assert_string_equal(json_string_value(json_object_get(reply, "cmd")), cmd);
	json_decref(reply);
}

static void
expect_sock_error(struct sock_fixture *f, struct tclient *c, const char *code)
{
	json_t *reply = client_reply(f, c);

	assert_error(reply, code);
	json_decref(reply);
}

static void
expect_eof(struct sock_fixture *f, struct tclient *c)
{
	int i;

	for (i = 0; i < MAX_PUMP && !c->eof; i++) {
		pump(f);
		client_poll(c);
	}
	assert_true(c->eof);
}

static void
wait_clients(struct sock_fixture *f, unsigned int n)
{
	int i;

	for (i = 0; i < MAX_PUMP && pw_sockserv_nb_clients(f->srv) != n; i++)
		pump(f);
	assert_int_equal(pw_sockserv_nb_clients(f->srv), n);
}

static void
test_two_clients(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *a, *b;

	start_server(f, 0, 0);
	a = client_new(f);
	b = client_new(f);
	wait_clients(f, 2);
	client_send(b, "{\"cmd\":\"echo\",\"who\":\"b\"}\n");
	client_send(a, "{\"cmd\":\"echo\",\"who\":\"a\"}\n");
	expect_ok(f, a, "echo");
	expect_ok(f, b, "echo");
	client_send(a, "{\"cmd\":\"help\"}\n");
	expect_ok(f, a, "help");
	client_free(a);
	client_free(b);
	wait_clients(f, 0);
}

static void
test_split_request(void **state)
{
	static const char *const parts[] = { "{\"cm", "d\":", "\"ec", "ho\",\"n\":4", "2}", "\n" };
	struct sock_fixture *f = *state;
	struct tclient *c;
	json_t *reply;
	size_t i;

	start_server(f, 0, 0);
	c = client_new(f);
	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		client_send(c, parts[i]);
		/* Let the server read each piece separately. */
		pump(f);
		client_poll(c);
		if (i + 1 < sizeof(parts) / sizeof(parts[0]))
			assert_int_equal(c->len, 0);
	}
	reply = client_reply(f, c);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(reply, "result"), "n")), 42);
	json_decref(reply);
	client_free(c);
}

static void
test_two_requests_one_write(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *c;
	json_t *reply;
	int i;

	start_server(f, 0, 0);
	c = client_new(f);
	/* CRLF, blank lines and several requests in one write. */
	client_send(c,
		"{\"cmd\":\"echo\",\"i\":0}\n\n\r\n{\"cmd\":\"echo\",\"i\":1}\r\n"
		"{\"cmd\":\"nope\"}\n{\"cmd\":\"echo\",\"i\":2}\n");
	for (i = 0; i < 4; i++) {
		reply = client_reply(f, c);
		if (i == 2) {
			assert_error(reply, PW_PROTO_ERR_UNKNOWN_COMMAND);
		} else {
			json_t *n = json_object_get(json_object_get(reply, "result"), "i");

			assert_int_equal(json_integer_value(n), i < 2 ? i : 2);
		}
		json_decref(reply);
	}
	/* Blank lines got no reply. */
	for (i = 0; i < 5; i++) {
		pump(f);
		client_poll(c);
	}
	assert_int_equal(c->len, 0);
	client_free(c);
}

static void
test_oversized_line(void **state)
{
	struct sock_fixture *f = *state;
	char big[4 * SMALL_MAX_REQUEST + 2];
	char line[SMALL_MAX_REQUEST + 1];
	struct tclient *c;

	start_server(f, 0, SMALL_MAX_REQUEST);
	c = client_new(f);
	/* Oversized, all in one write: one too_large, and the next request still works. */
	memset(big, 'y', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	client_send(c, big);
	client_send(c, "{\"cmd\":\"echo\"}\n");
	expect_sock_error(f, c, PW_PROTO_ERR_TOO_LARGE);
	expect_ok(f, c, "echo");

	/* Oversized in many writes, with reads in between: still one error. */
	big[sizeof(big) - 2] = '\0';
	client_send(c, big);
	pump(f);
	client_send(c, big);
	pump(f);
	client_send(c, "}\n{\"cmd\":\"echo\"}\n");
	expect_sock_error(f, c, PW_PROTO_ERR_TOO_LARGE);
	expect_ok(f, c, "echo");

	/* Exactly max_request bytes, then with CRLF: accepted. */
	snprintf(line, sizeof(line), "{\"cmd\":\"echo\",\"pad\":\"%*s\"}",
		SMALL_MAX_REQUEST - (int)strlen("{\"cmd\":\"echo\",\"pad\":\"\"}"), "");
	assert_int_equal(strlen(line), SMALL_MAX_REQUEST);
	client_send(c, line);
	client_send(c, "\n");
	expect_ok(f, c, "echo");
	client_send(c, line);
	client_send(c, "\r\n");
	expect_ok(f, c, "echo");
	/* One byte over, newline in the same read. */
	client_send(c, line);
	client_send(c, " \n");
	expect_sock_error(f, c, PW_PROTO_ERR_TOO_LARGE);
	client_send(c, "{\"cmd\":\"echo\"}\n");
	expect_ok(f, c, "echo");
	assert_int_equal(pw_sockserv_nb_clients(f->srv), 1);
	client_free(c);
}

static void
test_max_clients(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *a, *b, *extra, *d;
	json_t *reply;

	start_server(f, 2, 0);
	a = client_new(f);
	b = client_new(f);
	wait_clients(f, 2);
	extra = client_new(f);
	reply = client_reply(f, extra);
	assert_error(reply, PW_PROTO_ERR_INTERNAL);
	assert_string_equal(error_message(reply), "too many clients");
	json_decref(reply);
	expect_eof(f, extra);
	client_free(extra);
	assert_int_equal(pw_sockserv_nb_clients(f->srv), 2);

	client_send(a, "{\"cmd\":\"echo\"}\n");
	client_send(b, "{\"cmd\":\"echo\"}\n");
	expect_ok(f, a, "echo");
	expect_ok(f, b, "echo");

	/* A slot freed by a leaving client is available again. */
	client_free(a);
	wait_clients(f, 1);
	d = client_new(f);
	wait_clients(f, 2);
	client_send(d, "{\"cmd\":\"echo\"}\n");
	expect_ok(f, d, "echo");
	client_free(b);
	client_free(d);
	wait_clients(f, 0);
}

static void
test_disconnect_mid_request(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *a, *b;

	start_server(f, 0, 0);
	a = client_new(f);
	b = client_new(f);
	wait_clients(f, 2);
	client_send(a, "{\"cmd\":\"ec");
	pump(f);
	client_free(a);
	client_send(b, "{\"cmd\":\"echo\"}\n");
	expect_ok(f, b, "echo");
	wait_clients(f, 1);
	client_free(b);
}

static void
test_half_close(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *c;

	start_server(f, 0, 0);
	c = client_new(f);
	/* Request, then shutdown of the write side: the reply still comes, then EOF. */
	client_send(c, "{\"cmd\":\"big\",\"size\":1000000}\n{\"cmd\":\"echo\"}\n{\"cmd\":\"ec");
	assert_int_equal(shutdown(c->fd, SHUT_WR), 0);
	expect_ok(f, c, "big");
	expect_ok(f, c, "echo");
	expect_eof(f, c);
	assert_int_equal(c->len, 0);
	wait_clients(f, 0);
	client_free(c);
}

static void
test_large_reply(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *c;
	json_t *reply;
	const char *data;

	start_server(f, 0, 0);
	c = client_new(f);
	/* Far more than a socket buffer: sent in pieces as the client reads. */
	client_send(c, "{\"cmd\":\"big\",\"size\":4000000}\n{\"cmd\":\"echo\"}\n");
	reply = client_reply(f, c);
	data = json_string_value(json_object_get(json_object_get(reply, "result"), "data"));
	assert_non_null(data);
	assert_int_equal(strlen(data), 4000000);
	json_decref(reply);
	expect_ok(f, c, "echo");
	client_free(c);
}

static void
test_slow_reader_dropped(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *hog, *other;
	int i;

	start_server(f, 0, 0);
	hog = client_new(f);
	other = client_new(f);
	wait_clients(f, 2);
	/* 20 replies of 1 MB, never read: past the 16 MiB output bound. */
	for (i = 0; i < 20; i++)
		client_send(hog, "{\"cmd\":\"big\",\"size\":1000000}\n");
	wait_clients(f, 1);
	client_send(other, "{\"cmd\":\"echo\"}\n");
	expect_ok(f, other, "echo");
	client_free(hog);
	client_free(other);
}

static void
test_socket_mode(void **state)
{
	struct sock_fixture *f = *state;
	struct pw_sockserv_params params = { .path = f->path, .mode = 0666 };
	struct pw_sockserv *srv = NULL;
	struct stat st;

	/* Too wide, or with execute bits: refused before anything is created. */
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), -EINVAL);
	params.mode = 0670;
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), -EINVAL);
	params.mode = 0760;
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), -EINVAL);
	params.mode = 04660;
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), -EINVAL);
	assert_null(srv);
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);

	start_server(f, 0, 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0660);
	pw_sockserv_free(f->srv);
	f->srv = NULL;

	params.mode = 0600;
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	pw_sockserv_free(srv);

	/* 0 means the default. */
	params.mode = 0;
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), 0);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0660);
	pw_sockserv_free(srv);
}

static void
test_parent_dirs_created(void **state)
{
	struct sock_fixture *f = *state;
	struct pw_sockserv_params params = { .mode = 0660 };
	struct pw_sockserv *srv;
	char path[192], dir[160];
	struct stat st;
	mode_t old = umask(022);

	snprintf(dir, sizeof(dir), "%s/run/podwall", f->dir);
	snprintf(path, sizeof(path), "%s/pw.sock", dir);
	params.path = path;
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), 0);
	umask(old);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0750);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	pw_sockserv_free(srv);
}

static void
test_stale_socket_recovered(void **state)
{
	struct sock_fixture *f = *state;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct tclient *c;
	int fd;

	/* What a crashed podwall leaves: a socket file with no listener. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	strcpy(addr.sun_path, f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	close(fd);
	assert_int_equal(connect_path(f->path), -ECONNREFUSED);

	start_server(f, 0, 0);
	c = client_new(f);
	client_send(c, "{\"cmd\":\"echo\"}\n");
	expect_ok(f, c, "echo");
	client_free(c);
}

static void
test_live_socket_refused(void **state)
{
	struct sock_fixture *f = *state;
	struct pw_sockserv_params params = { .path = f->path, .mode = 0660 };
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct pw_sockserv *srv = NULL;
	struct tclient *c;
	int fd, cfd;

	/* Another process listening at the path. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	strcpy(addr.sun_path, f->path);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), -EADDRINUSE);
	assert_null(srv);
	/* Its socket is untouched. */
	cfd = connect_path(f->path);
	assert_true(cfd >= 0);
	close(cfd);
	close(fd);
	assert_int_equal(unlink(f->path), 0);

	/* A second podwall on the same path. */
	start_server(f, 0, 0);
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), -EADDRINUSE);
	c = client_new(f);
	client_send(c, "{\"cmd\":\"echo\"}\n");
	expect_ok(f, c, "echo");
	client_free(c);
}

static void
test_regular_file_kept(void **state)
{
	struct sock_fixture *f = *state;
	struct pw_sockserv_params params = { .path = f->path, .mode = 0660 };
	struct pw_sockserv *srv = NULL;
	char buf[32] = "";
	FILE *fp;

	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fputs("precious", fp);
	fclose(fp);
	assert_int_equal(pw_sockserv_create(&params, f->loop, &srv), -EEXIST);
	assert_null(srv);
	fp = fopen(f->path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	assert_string_equal(buf, "precious");
}

static void
test_free_unlinks(void **state)
{
	struct sock_fixture *f = *state;
	struct tclient *c;
	struct stat st;
	FILE *fp;

	start_server(f, 0, 0);
	c = client_new(f);
	wait_clients(f, 1);
	pw_sockserv_free(f->srv);
	f->srv = NULL;
	assert_int_equal(lstat(f->path, &st), -1);
	assert_int_equal(errno, ENOENT);
	/* The client was closed. */
	client_poll(c);
	assert_true(c->eof);
	client_free(c);

	/* A file that replaced our socket is not ours to unlink. */
	start_server(f, 0, 0);
	assert_int_equal(unlink(f->path), 0);
	fp = fopen(f->path, "w");
	assert_non_null(fp);
	fclose(fp);
	pw_sockserv_free(f->srv);
	f->srv = NULL;
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
}

int
main(void)
{
	const struct CMUnitTest proto_tests[] = {
		cmocka_unit_test_setup_teardown(test_ok_reply, setup_nosock, teardown_nosock),
		cmocka_unit_test_setup_teardown(
			test_no_result_is_empty_object, setup_nosock, teardown_nosock),
		cmocka_unit_test_setup_teardown(test_handler_errors, setup_nosock, teardown_nosock),
		cmocka_unit_test_setup_teardown(test_bad_requests, setup_nosock, teardown_nosock),
		cmocka_unit_test_setup_teardown(test_invalid_utf8, setup_nosock, teardown_nosock),
		cmocka_unit_test_setup_teardown(
			test_unknown_command, setup_nosock, teardown_nosock),
		cmocka_unit_test_setup_teardown(test_help, setup_nosock, teardown_nosock),
		cmocka_unit_test_setup_teardown(
			test_register_errors, setup_nosock, teardown_nosock),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_too_large_line),
	};
	const struct CMUnitTest sock_tests[] = {
		cmocka_unit_test_setup_teardown(test_two_clients, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_split_request, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(
			test_two_requests_one_write, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_oversized_line, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_max_clients, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(
			test_disconnect_mid_request, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_half_close, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_large_reply, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(
			test_slow_reader_dropped, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_socket_mode, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(
			test_parent_dirs_created, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(
			test_stale_socket_recovered, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(
			test_live_socket_refused, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_regular_file_kept, setup_sock, teardown_sock),
		cmocka_unit_test_setup_teardown(test_free_unlinks, setup_sock, teardown_sock),
	};
	int nb_failed;

	nb_failed = cmocka_run_group_tests_name("protocol", proto_tests, NULL, NULL);
	nb_failed += cmocka_run_group_tests_name("socket", sock_tests, NULL, NULL);
	return nb_failed;
}
