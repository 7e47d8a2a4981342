/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The operator socket server. Requests are parsed by pw_sockserv_handle_line(), a pure function
 * over bytes (the fuzz target's entry point); the rest is the socket plumbing: listener set-up
 * with stale-socket recovery, per-client line splitting with a size cap, and buffered
 * non-blocking replies. Nothing a client does can stop the daemon: every failure closes that
 * client only, and send() uses MSG_NOSIGNAL so a vanished peer cannot raise SIGPIPE.
 */
#include "control/sockserv.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "control/evloop.h"
#include "podwall/pw_proto.h"

/* A client whose unread replies exceed this is not reading them: drop it. */
#define MAX_OUTPUT (16u << 20)
/* Bytes read per readiness event; level-triggered epoll calls again, which keeps clients fair. */
#define READ_CHUNK 65536
/* Connections accepted per readiness event, for the same reason. */
#define ACCEPT_BURST 16
#define LISTEN_BACKLOG 16
/* Longest error message put in a reply. */
#define MSG_LEN 256

struct command {
	char *name;
	char *help;
	pw_sock_handler handler;
	void *arg;
};

struct client {
	TAILQ_ENTRY(client) next;
	struct pw_sockserv *srv;
	int fd;
	char *in; /* max_request + 2 bytes: a line, an optional '\r' and the '\n' */
	size_t in_len;
	bool discarding; /* skipping the rest of an oversized line */
	bool eof;	 /* peer shut down its side: flush the replies, then close */
	char *out;
	size_t out_off; /* first unsent byte */
	size_t out_len;
	size_t out_cap;
	uint32_t events; /* what is watched on fd */
};

TAILQ_HEAD(client_list, client);

struct pw_sockserv {
	struct pw_evloop *loop;
	char *path; /* NULL: no socket, handle_line() only */
	int listen_fd;
	dev_t dev; /* identity of the socket file we bound, to unlink only our own */
	ino_t ino;
	unsigned int max_clients;
	size_t max_request;
	struct command *cmds;
	size_t nb_cmds;
	struct client_list clients;
	unsigned int nb_clients;
};

static const char HELP_HELP[] = "list the commands and what they do";

/*
 * Error messages may quote client bytes (a command name, jansson's "near '...'"), which need not
 * be UTF-8, and json_string() refuses invalid UTF-8. Keep printable ASCII only.
 */
static void
sanitize(char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
	}
}

static char *
dump_reply(json_t *reply)
{
	char *line = NULL;

	if (reply != NULL)
		line = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (line == NULL)
		line = strdup("{\"ok\":false,\"error\":{\"code\":\"internal\","
			      "\"message\":\"out of memory\"}}");
	return line;
}

static char *error_reply(const char *code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static char *
error_reply(const char *code, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sanitize(msg);
	return dump_reply(
		json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code, "message", msg));
}

static const struct command *
find_command(const struct pw_sockserv *srv, const char *name)
{
	size_t i;

	for (i = 0; i < srv->nb_cmds; i++) {
		if (strcmp(srv->cmds[i].name, name) == 0)
			return &srv->cmds[i];
	}
	return NULL;
}

static int
append_help(json_t *cmds, const char *name, const char *help)
{
	return json_array_append_new(cmds, json_pack("{s:s, s:s}", "cmd", name, "help", help));
}

static json_t *
help_result(const struct pw_sockserv *srv)
{
	json_t *cmds = json_array();
	size_t i;

	if (cmds == NULL || append_help(cmds, "help", HELP_HELP) < 0)
		goto err_free;
	for (i = 0; i < srv->nb_cmds; i++) {
		if (append_help(cmds, srv->cmds[i].name, srv->cmds[i].help) < 0)
			goto err_free;
	}
	return json_pack("{s:o}", "commands", cmds);

err_free:
	json_decref(cmds);
	return NULL;
}

static char *
run_command(const struct command *cmd, json_t *req)
{
	char err[MSG_LEN] = "";
	json_t *result = NULL;
	int ret;

	ret = cmd->handler(cmd->arg, req, &result, err, sizeof(err));
	if (ret != 0) {
		/* A handler that set a result before failing must not leak it. */
		json_decref(result);
		err[sizeof(err) - 1] = '\0';
		if (ret == -EINVAL)
			return error_reply(PW_PROTO_ERR_BAD_REQUEST, "%s",
				err[0] != '\0' ? err : "invalid arguments");
		return error_reply(PW_PROTO_ERR_INTERNAL, "%s",
			err[0] != '\0' ? err : strerror(ret < 0 ? -ret : ret));
	}
	if (result == NULL)
		result = json_object();
	return dump_reply(
		json_pack("{s:b, s:s, s:o}", "ok", 1, "cmd", cmd->name, "result", result));
}

char *
pw_sockserv_handle_line(struct pw_sockserv *srv, const char *line, size_t len)
{
	const struct command *cmd;
	json_error_t jerr;
	json_t *req, *jcmd;
	const char *name;
	char *reply;

	assert(srv != NULL);
	if (len > srv->max_request)
		return error_reply(
			PW_PROTO_ERR_TOO_LARGE, "request longer than %zu bytes", srv->max_request);
	/* JSON_DECODE_ANY so that a scalar gets "not an object" rather than a parse error. */
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (req == NULL)
		return error_reply(PW_PROTO_ERR_BAD_REQUEST, "invalid JSON at byte %d: %s",
			jerr.position, jerr.text);
	if (!json_is_object(req)) {
		reply = error_reply(PW_PROTO_ERR_BAD_REQUEST, "request must be a JSON object");
		goto out;
	}
	jcmd = json_object_get(req, "cmd");
	if (!json_is_string(jcmd)) {
		reply = error_reply(PW_PROTO_ERR_BAD_REQUEST, "\"cmd\" must be a string");
		goto out;
	}
	name = json_string_value(jcmd);
	if (strcmp(name, "help") == 0) {
		reply = dump_reply(json_pack(
			"{s:b, s:s, s:o}", "ok", 1, "cmd", "help", "result", help_result(srv)));
		goto out;
	}
	cmd = find_command(srv, name);
	if (cmd == NULL) {
		reply = error_reply(PW_PROTO_ERR_UNKNOWN_COMMAND,
			"unknown command '%.64s' (try \"help\")", name);
		goto out;
	}
	reply = run_command(cmd, req);
out:
	json_decref(req);
	return reply;
}

int
pw_sockserv_register(struct pw_sockserv *srv, const char *cmd, const char *help,
	pw_sock_handler handler, void *arg)
{
	struct command *cmds, *c;

	if (srv == NULL || cmd == NULL || cmd[0] == '\0' || handler == NULL)
		return -EINVAL;
	if (strcmp(cmd, "help") == 0 || find_command(srv, cmd) != NULL)
		return -EEXIST;
	cmds = realloc(srv->cmds, (srv->nb_cmds + 1) * sizeof(*cmds));
	if (cmds == NULL)
		return -ENOMEM;
	srv->cmds = cmds;
	c = &cmds[srv->nb_cmds];
	c->name = strdup(cmd);
	c->help = strdup(help != NULL ? help : "");
	if (c->name == NULL || c->help == NULL) {
		free(c->name);
		free(c->help);
		return -ENOMEM;
	}
	c->handler = handler;
	c->arg = arg;
	srv->nb_cmds++;
	return 0;
}

unsigned int
pw_sockserv_nb_clients(const struct pw_sockserv *srv)
{
	return srv != NULL ? srv->nb_clients : 0;
}

static void
client_close(struct client *c)
{
	struct pw_sockserv *srv = c->srv;

	(void)pw_evloop_del_fd(srv->loop, c->fd);
	close(c->fd);
	TAILQ_REMOVE(&srv->clients, c, next);
	srv->nb_clients--;
	free(c->in);
	free(c->out);
	free(c);
}

static int
client_watch(struct client *c, uint32_t events)
{
	int ret;

	if (c->events == events)
		return 0;
	ret = pw_evloop_mod_fd(c->srv->loop, c->fd, events);
	if (ret == 0)
		c->events = events;
	return ret;
}

/* Send what the kernel takes now; watch EPOLLOUT while something is left. @return 0 or -errno. */
static int
client_flush(struct client *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -errno;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
		/* A half-closed client has had all its replies: nothing more will come. */
		if (c->eof)
			return -ECONNRESET;
		return client_watch(c, EPOLLIN);
	}
	return client_watch(c, c->eof ? EPOLLOUT : EPOLLIN | EPOLLOUT);
}

/* Queue one reply line. @return 0, or -ENOBUFS when the client is not reading its replies. */
static int
client_queue(struct client *c, const char *line)
{
	size_t len = strlen(line);
	size_t need;

	if (c->out_off > 0 && c->out_off == c->out_len) {
		c->out_off = 0;
		c->out_len = 0;
	}
	need = c->out_len - c->out_off + len + 1;
	if (need > MAX_OUTPUT)
		return -ENOBUFS;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (need > c->out_cap) {
		size_t cap = c->out_cap == 0 ? 4096 : c->out_cap;
		char *out;

		while (cap < need)
			cap *= 2;
		out = realloc(c->out, cap);
		if (out == NULL)
			return -ENOMEM;
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return 0;
}

static int
client_reply_line(struct client *c, const char *line, size_t len)
{
	char *reply = pw_sockserv_handle_line(c->srv, line, len);
	int ret;

	if (reply == NULL)
		return -ENOMEM;
	ret = client_queue(c, reply);
	free(reply);
	return ret;
}

static int
client_too_large(struct client *c)
{
	char *reply = error_reply(
		PW_PROTO_ERR_TOO_LARGE, "request longer than %zu bytes", c->srv->max_request);
	int ret;

	if (reply == NULL)
		return -ENOMEM;
	ret = client_queue(c, reply);
	free(reply);
	return ret;
}

/* Answer every complete line in the input buffer and keep the partial tail. @return 0 or -errno. */
static int
client_process_input(struct client *c)
{
	size_t max = c->srv->max_request;
	size_t start = 0;
	int ret = 0;

	while (start < c->in_len) {
		char *line = c->in + start;
		char *nl = memchr(line, '\n', c->in_len - start);
		size_t len;

		if (nl == NULL) {
			/*
			 * No newline in max + 1 bytes (max + '\r' is still a valid line): this
			 * line is too long. Say so once and skip up to its newline.
			 */
			if (!c->discarding && c->in_len - start > max + 1) {
				c->discarding = true;
				ret = client_too_large(c);
			}
			if (c->discarding)
				start = c->in_len;
			break;
		}
		start += (size_t)(nl - line) + 1;
		if (c->discarding) {
			c->discarding = false;
			continue;
		}
		len = (size_t)(nl - line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0)
			continue;
		ret = len > max ? client_too_large(c) : client_reply_line(c, line, len);
		if (ret < 0)
			break;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	return ret;
}

static int
client_read(struct client *c)
{
	size_t room = c->srv->max_request + 2 - c->in_len;
	ssize_t n;

	if (room > READ_CHUNK)
		room = READ_CHUNK;
	n = recv(c->fd, c->in + c->in_len, room, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	if (n == 0) {
		/* A partial last line is never answered: requests end with '\n'. */
		c->eof = true;
		return 0;
	}
	c->in_len += (size_t)n;
	return client_process_input(c);
}

static void
on_client(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	int ret = 0;

	(void)loop;
	(void)fd;
	if (events & EPOLLERR) {
		client_close(c);
		return;
	}
	if (!c->eof && (events & (EPOLLIN | EPOLLHUP)))
		ret = client_read(c);
	if (ret == 0)
		ret = client_flush(c);
	if (ret < 0)
		client_close(c);
}

static void
refuse_client(int fd)
{
	static const char msg[] = "{\"ok\":false,\"error\":{\"code\":\"internal\","
				  "\"message\":\"too many clients\"}}\n";
	ssize_t n;

	/* Best effort: a fresh socket's buffer takes this, and nothing is lost if it does not. */
	n = send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	(void)n;
	close(fd);
}

static void
on_accept(struct pw_evloop *loop, int lfd, uint32_t events, void *arg)
{
	struct pw_sockserv *srv = arg;
	int i;

	(void)events;
	for (i = 0; i < ACCEPT_BURST; i++) {
		struct client *c;
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			/* EAGAIN ends the burst; EMFILE and the like are retried on the next event. */
			return;
		}
		if (srv->nb_clients >= srv->max_clients) {
			refuse_client(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		c->events = EPOLLIN;
		c->in = malloc(srv->max_request + 2);
		if (c->in == NULL || pw_evloop_add_fd(loop, fd, EPOLLIN, on_client, c) < 0) {
			free(c->in);
			free(c);
			close(fd);
			continue;
		}
		TAILQ_INSERT_TAIL(&srv->clients, c, next);
		srv->nb_clients++;
	}
}

/* Create the missing directories above @p path, like mkdir -p with mode 0750. */
static int
make_parent_dirs(const char *path)
{
	char *dir = strdup(path);
	char *p;
	int ret = 0;

	if (dir == NULL)
		return -ENOMEM;
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		goto out;
	*p = '\0';
	for (p = dir + 1; ret == 0; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) < 0 && errno != EEXIST)
			ret = -errno;
		if (last)
			break;
		*p = '/';
	}
out:
	free(dir);
	return ret;
}

/*
 * Clear the way for bind(): remove a socket file nobody listens on; refuse a live socket
 * (another podwall) and anything that is not a socket (never delete an operator's file).
 */
static int
remove_stale_socket(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, ret;

	if (lstat(addr->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Non-blocking: a live listener with a full backlog answers EAGAIN, not a hang. */
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0 || errno == EAGAIN)
		ret = -EADDRINUSE;
	else if (errno == ECONNREFUSED)
		ret = unlink(addr->sun_path) < 0 && errno != ENOENT ? -errno : 0;
	else if (errno == ENOENT)
		ret = 0;
	else
		ret = -errno;
	close(fd);
	return ret;
}

static int
open_listener(struct pw_sockserv *srv, mode_t mode)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old_umask;
	int fd, ret;

	if (strlen(srv->path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, srv->path);
	ret = make_parent_dirs(srv->path);
	if (ret < 0)
		return ret;
	ret = remove_stale_socket(&addr);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/*
	 * bind() creates the file with 0777 & ~umask: set the umask so it never exists with more
	 * than @mode, not even until the chmod() below. The umask is per process; this runs on the
	 * control thread at start-up, before anything else creates files.
	 */
	old_umask = umask(~mode & 0777);
	ret = bind(fd, (const struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (ret < 0) {
		ret = -errno;
		goto err_close;
	}
	/* A umask can only remove bits: chmod() sets exactly the bits asked for. */
	if (chmod(srv->path, mode) < 0 || lstat(srv->path, &st) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if (listen(fd, LISTEN_BACKLOG) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	ret = pw_evloop_add_fd(srv->loop, fd, EPOLLIN, on_accept, srv);
	if (ret < 0)
		goto err_unlink;
	srv->listen_fd = fd;
	return 0;

err_unlink:
	(void)unlink(srv->path);
err_close:
	close(fd);
	return ret;
}

int
pw_sockserv_create(const struct pw_sockserv_params *params, struct pw_evloop *loop,
	struct pw_sockserv **ret_srv)
{
	struct pw_sockserv *srv;
	mode_t mode;
	int ret;

	if (params == NULL || ret_srv == NULL || (params->path == NULL) != (loop == NULL))
		return -EINVAL;
	mode = params->mode != 0 ? params->mode : 0660;
	/* No execute bits, nothing for others: the socket gives control of the dataplane. */
	if (mode & ~(mode_t)0660)
		return -EINVAL;
	if (params->path != NULL && params->path[0] == '\0')
		return -EINVAL;
	srv = calloc(1, sizeof(*srv));
	if (srv == NULL)
		return -ENOMEM;
	srv->loop = loop;
	srv->listen_fd = -1;
	srv->max_clients = params->max_clients != 0 ? params->max_clients : PW_PROTO_MAX_CLIENTS;
	srv->max_request = params->max_request != 0 ? params->max_request : PW_PROTO_MAX_REQUEST;
	TAILQ_INIT(&srv->clients);
	if (params->path != NULL) {
		srv->path = strdup(params->path);
		if (srv->path == NULL) {
			ret = -ENOMEM;
			goto err_free_srv;
		}
		ret = open_listener(srv, mode);
		if (ret < 0)
			goto err_free_path;
	}
	*ret_srv = srv;
	return 0;

err_free_path:
	free(srv->path);
err_free_srv:
	free(srv);
	return ret;
}

void
pw_sockserv_free(struct pw_sockserv *srv)
{
	struct client *c;
	struct stat st;
	size_t i;

	if (srv == NULL)
		return;
	while ((c = TAILQ_FIRST(&srv->clients)) != NULL)
		client_close(c);
	if (srv->listen_fd >= 0) {
		(void)pw_evloop_del_fd(srv->loop, srv->listen_fd);
		close(srv->listen_fd);
		/* Someone may have replaced the file since (a newer podwall): leave theirs alone. */
		if (lstat(srv->path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == srv->dev &&
			st.st_ino == srv->ino)
			(void)unlink(srv->path);
	}
	for (i = 0; i < srv->nb_cmds; i++) {
		free(srv->cmds[i].name);
		free(srv->cmds[i].help);
	}
	free(srv->cmds);
	free(srv->path);
	free(srv);
}
