/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwallctl: the operator CLI. Sends one request over podwall's Unix socket (protocol in
 * include/podwall/pw_proto.h), reads the one-line reply and prints it as tables or as JSON.
 * Links jansson only, not DPDK, so it runs anywhere.
 *
 * A command is one entry of the commands[] table: how to build its request from the arguments
 * and how to render its result. Adding one (explain, flows) means adding an entry.
 *
 * Exit status: 0 ok, 1 the daemon replied an error, 2 usage error, 3 cannot talk to the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <jansson.h>

#include "podwall/pw_proto.h"

#include "ctl_render.h"
#include "ctl_table.h"

#define EXIT_DAEMON_ERROR 1
#define EXIT_USAGE 2
#define EXIT_CONNECT 3

/* A reply bigger than the daemon's own output bound (16 MiB) is not a podwall reply. */
#define MAX_REPLY (32u << 20)
#define DEFAULT_TIMEOUT_S 5.0
#define MAX_TIMEOUT_S 3600.0

struct command {
	const char *name;
	const char *args; /* usage of the arguments, "" if none */
	const char *summary;
	int min_args;
	int max_args;
	/* Build the request line (no newline) from the arguments; NULL on a usage error. */
	char *(*build_request)(const struct command *cmd, int argc, char **argv);
	/* Print the result; NULL prints it as JSON. */
	void (*render)(json_t *result);
};

/* Request builders. */

static char *
build_simple(const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd->name);
	char *line;

	(void)argc;
	(void)argv;
	if (req == NULL)
		return NULL;
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return line;
}

/* The argument is sent as is: the daemon judges it, which is the point of "raw". */
static char *
build_raw(const struct command *cmd, int argc, char **argv)
{
	(void)cmd;
	(void)argc;
	if (strchr(argv[0], '\n') != NULL) {
		fprintf(stderr, "podwallctl: raw: the request must be one line\n");
		return NULL;
	}
	return ctl_xstrdup(argv[0]);
}

/* explain --from IP --to IP [--proto P] [--port N] */
static char *
build_explain(const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd->name);
	char *line = NULL;
	int i;

	for (i = 0; req != NULL && i + 1 < argc; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];
		char *end;
		long port;

		if (strcmp(opt, "--from") == 0 || strcmp(opt, "--to") == 0 ||
			strcmp(opt, "--proto") == 0) {
			json_object_set_new(req, opt + 2, json_string(val));
		} else if (strcmp(opt, "--port") == 0) {
			port = strtol(val, &end, 10);
			if (*val == '\0' || *end != '\0' || port < 0 || port > 65535)
				goto usage;
			json_object_set_new(req, "port", json_integer(port));
		} else {
			goto usage;
		}
	}
	if (req == NULL || i != argc || json_object_get(req, "from") == NULL ||
		json_object_get(req, "to") == NULL)
		goto usage;
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return line;
usage:
	fprintf(stderr,
		"podwallctl: explain --from IP --to IP [--proto tcp|udp|sctp|icmp] "
		"[--port N]\n");
	json_decref(req);
	return NULL;
}

/* flows [--ip IP] [--port N] [--limit N] */
static char *
build_flows(const struct command *cmd, int argc, char **argv)
{
	json_t *req = json_pack("{s:s}", "cmd", cmd->name);
	char *line = NULL;
	int i;

	for (i = 0; req != NULL && i + 1 < argc; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];
		char *end;
		long n;

		if (strcmp(opt, "--ip") == 0) {
			json_object_set_new(req, "ip", json_string(val));
			continue;
		}
		if (strcmp(opt, "--port") != 0 && strcmp(opt, "--limit") != 0)
			goto usage;
		n = strtol(val, &end, 10);
		if (*val == '\0' || *end != '\0' || n < 0 || n > 65535)
			goto usage;
		json_object_set_new(req, opt + 2, json_integer(n));
	}
	if (req == NULL || i != argc)
		goto usage;
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return line;
usage:
	fprintf(stderr, "podwallctl: flows [--ip IP] [--port N] [--limit N]\n");
	json_decref(req);
	return NULL;
}

static const struct command commands[] = {
	{ "status", "", "show version, ports, lcores and policy state", 0, 0, build_simple,
		ctl_render_status },
	{ "stats", "", "show packet and drop counters", 0, 0, build_simple, ctl_render_stats },
	{ "stats-reset", "", "zero the counters", 0, 0, build_simple, ctl_render_done },
	{ "help", "", "list the daemon's commands", 0, 0, build_simple, ctl_render_help },
	{ "explain", "--from IP --to IP --proto P [--port N]",
		"which policy and rule decide a flow, per direction", 4, 8, build_explain,
		ctl_render_explain },
	{ "policies", "", "packets each policy allowed or denied on the live table", 0, 0,
		build_simple, ctl_render_policies },
	{ "flows", "[--ip IP] [--port N] [--limit N]",
		"tracked connections (at most 1000 shown), filtered by either end", 0, 6,
		build_flows, ctl_render_flows },
	{ "raw", "JSON", "send a raw request line, print the result as JSON", 1, 1, build_raw,
		NULL },
};

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: podwallctl [-s|--socket PATH] [--json] [--timeout SECONDS] COMMAND "
		"[ARGS]\n\n"
		"options:\n"
		"  -s, --socket PATH   daemon socket (default: $PODWALL_SOCKET or %s)\n"
		"  --json              print the result as JSON\n"
		"  --timeout SECONDS   give up after this long (default: %.0f)\n"
		"  -h, --help          show this help\n\n"
		"commands:\n",
		PW_PROTO_DEFAULT_SOCKET, DEFAULT_TIMEOUT_S);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s %s", commands[i].name, commands[i].args);
		fprintf(f, "  %-18s  %s\n", name, commands[i].summary);
	}
}

/* Talking to the daemon. */

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait for @p events until @p deadline. @return 0, or -ETIMEDOUT. */
static int
wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = events };
		double left = deadline - now_s();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		/* Rounded up, so that the last poll does not end just short of the deadline. */
		n = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* Connect, retrying while the daemon's backlog is full. @return the fd or -errno. */
static int
connect_socket(const char *path, double deadline)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A Unix socket connects at once or says EAGAIN (backlog full): then retry briefly. */
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		struct timespec pause = { .tv_sec = 0, .tv_nsec = 10 * 1000 * 1000 };

		if (errno != EAGAIN && errno != EINTR) {
			ret = -errno;
			close(fd);
			return ret;
		}
		if (now_s() >= deadline) {
			close(fd);
			return -ETIMEDOUT;
		}
		nanosleep(&pause, NULL);
	}
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len, double deadline)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			ret = wait_fd(fd, POLLOUT, deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read up to the first newline. @return the line (caller frees) or NULL with *ret_err set. */
static char *
recv_line(int fd, double deadline, int *ret_err)
{
	size_t len = 0, cap = 65536;
	char *buf = ctl_xrealloc(NULL, cap);

	for (;;) {
		char *nl = len > 0 ? memchr(buf, '\n', len) : NULL;
		ssize_t n;
		int ret;

		if (nl != NULL) {
			*nl = '\0';
			return buf;
		}
		if (len + 1 >= cap) {
			if (cap >= MAX_REPLY) {
				*ret_err = -EMSGSIZE;
				break;
			}
			cap *= 2;
			buf = ctl_xrealloc(buf, cap);
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0) {
			*ret_err = -ECONNRESET;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			*ret_err = -errno;
			break;
		}
		ret = wait_fd(fd, POLLIN, deadline);
		if (ret < 0) {
			*ret_err = ret;
			break;
		}
	}
	free(buf);
	return NULL;
}

static const char *
comm_error(int err)
{
	switch (err) {
	case -ETIMEDOUT:
		return "timed out waiting for the daemon";
	case -ECONNRESET:
		return "connection closed by the daemon before a reply";
	case -EMSGSIZE:
		return "reply too large";
	case -ENOENT:
		return "no such socket (is podwall running?)";
	case -ECONNREFUSED:
		return "connection refused (is podwall running?)";
	default:
		return strerror(-err);
	}
}

/* Print the reply; @return the exit status. */
static int
handle_reply(const struct command *cmd, const char *line, const char *path, bool as_json)
{
	json_t *reply = json_loads(line, 0, NULL);
	json_t *ok = json_object_get(reply, "ok");
	json_t *result = json_object_get(reply, "result");
	int status = EXIT_SUCCESS;

	if (!json_is_boolean(ok)) {
		fprintf(stderr, "podwallctl: %s: invalid reply from the daemon\n", path);
		status = EXIT_CONNECT;
	} else if (json_is_false(ok)) {
		json_t *err = json_object_get(reply, "error");

		fprintf(stderr, "podwallctl: %s: %s\n",
			json_string_value(json_object_get(err, "code")) ?: "error",
			json_string_value(json_object_get(err, "message")) ?: "(no message)");
		status = EXIT_DAEMON_ERROR;
	} else if (result == NULL) {
		/* A result is always sent; an empty object stands in for an older daemon's. */
		result = json_object();
		json_object_set_new(reply, "result", result);
	}
	if (status == EXIT_SUCCESS) {
		if (as_json || cmd->render == NULL)
			ctl_render_json(result);
		else
			cmd->render(result);
		if (fflush(stdout) != 0)
			status = EXIT_FAILURE;
	}
	json_decref(reply);
	return status;
}

static int
parse_timeout(const char *s, double *ret)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > MAX_TIMEOUT_S)
		return -EINVAL;
	*ret = v;
	return 0;
}

int
main(int argc, char **argv)
{
	enum {
		OPT_JSON = 256,
		OPT_TIMEOUT
	};
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = getenv("PODWALL_SOCKET");
	double timeout = DEFAULT_TIMEOUT_S, deadline;
	const struct command *cmd;
	bool as_json = false;
	char *req, *line;
	int c, fd, nargs, ret, status;

	if (path == NULL || path[0] == '\0')
		path = PW_PROTO_DEFAULT_SOCKET;
	/* '+': stop at the command, so a raw request may start with '-'. */
	while ((c = getopt_long(argc, argv, "+s:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case OPT_JSON:
			as_json = true;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(optarg, &timeout) < 0) {
				fprintf(stderr,
					"podwallctl: --timeout: expected seconds in (0, %.0f]\n",
					MAX_TIMEOUT_S);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = find_command(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "podwallctl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args) {
		fprintf(stderr, "podwallctl: usage: podwallctl [OPTIONS] %s%s%s\n", cmd->name,
			cmd->args[0] != '\0' ? " " : "", cmd->args);
		return EXIT_USAGE;
	}
	req = cmd->build_request(cmd, nargs, argv + optind + 1);
	if (req == NULL)
		return EXIT_USAGE;

	deadline = now_s() + timeout;
	fd = connect_socket(path, deadline);
	if (fd < 0) {
		fprintf(stderr, "podwallctl: cannot connect to %s: %s\n", path, comm_error(fd));
		free(req);
		return EXIT_CONNECT;
	}
	/* The request and its newline in one write: the daemon sees one complete line. */
	req = ctl_xrealloc(req, strlen(req) + 2);
	strcat(req, "\n");
	ret = send_all(fd, req, strlen(req), deadline);
	free(req);
	line = ret == 0 ? recv_line(fd, deadline, &ret) : NULL;
	close(fd);
	if (line == NULL) {
		fprintf(stderr, "podwallctl: %s: %s\n", path, comm_error(ret));
		return EXIT_CONNECT;
	}
	status = handle_reply(cmd, line, path, as_json);
	free(line);
	return status;
}
