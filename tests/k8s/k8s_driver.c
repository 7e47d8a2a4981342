/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test driver of the Kubernetes source, without the daemon: an event loop, the source, and one
 * JSON line on stdout per callback, for tests/k8s/test_k8s_source.py to read:
 *   {"ev":"object","kind":"Pod","api":"v1","ns":"default","name":"web","rv":"12","bytes":N,
 *    "file":"k8s:pods"}
 *   {"ev":"removed","kind":"Pod","ns":"default","name":"web"}
 *   {"ev":"error","file":"k8s:pods","msg":"..."}
 *   {"ev":"synced"}
 *   {"ev":"status","status":{...}}   (on SIGUSR1, and every --status-ms if given)
 * "kind" and "api" of an object are read from the delivered object itself, so the test sees
 * that they were filled in. Runs until SIGTERM or SIGINT, then frees everything and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>

#include <jansson.h>

#include "control/evloop.h"
#include "control/manifests.h"
#include "control/k8s/client.h"

static struct pw_evloop *loop;
static int status_pipe[2] = { -1, -1 };
static struct pw_k8s_source *src;

static void
emit(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (s != NULL) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(s);
	}
	json_decref(j);
}

static const char *
str_at(const json_t *obj, const char *a, const char *b)
{
	const json_t *v = json_object_get(obj, a);

	if (b != NULL)
		v = json_object_get(v, b);
	return json_is_string(v) ? json_string_value(v) : "";
}

static void
on_object(void *arg, const json_t *obj, const char *file, unsigned int line)
{
	char *dump = json_dumps(obj, JSON_COMPACT);
	size_t bytes = dump != NULL ? strlen(dump) : 0;

	(void)arg;
	(void)line;
	free(dump);
	emit(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "ev", "object", "kind",
		str_at(obj, "kind", NULL), "api", str_at(obj, "apiVersion", NULL), "ns",
		str_at(obj, "metadata", "namespace"), "name", str_at(obj, "metadata", "name"), "rv",
		str_at(obj, "metadata", "resourceVersion"), "bytes", (json_int_t)bytes, "file",
		file));
}

static void
on_removed(void *arg, const char *kind, const char *ns, const char *name)
{
	(void)arg;
	emit(json_pack(
		"{s:s, s:s, s:s, s:s}", "ev", "removed", "kind", kind, "ns", ns, "name", name));
}

static void
on_error(void *arg, const char *file, unsigned int line, const char *msg)
{
	(void)arg;
	(void)line;
	emit(json_pack("{s:s, s:s, s:s}", "ev", "error", "file", file, "msg", msg));
}

static void
on_synced(void *arg)
{
	(void)arg;
	emit(json_pack("{s:s}", "ev", "synced"));
}

static const struct pw_manifests_ops ops = {
	.object = on_object,
	.removed = on_removed,
	.error = on_error,
	.synced = on_synced,
};

static void
print_status(void)
{
	emit(json_pack("{s:s, s:o}", "ev", "status", "status", pw_k8s_source_status_json(src)));
}

static void
on_status_fd(struct pw_evloop *l, int fd, uint32_t events, void *arg)
{
	char buf[64];

	(void)l;
	(void)events;
	(void)arg;
	if (read(fd, buf, sizeof(buf)) > 0)
		print_status();
}

static void
on_status_timer(struct pw_evloop *l, void *arg)
{
	(void)l;
	(void)arg;
	print_status();
}

static void
on_signal(int sig)
{
	int saved = errno;

	if (sig == SIGUSR1) {
		ssize_t n = write(status_pipe[1], "s", 1);

		(void)n;
	} else {
		pw_evloop_stop(loop);
	}
	errno = saved;
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: k8s_driver [--server URL] [--token-file F] [--ca F] [--kubeconfig F]\n"
		"  [--insecure] [--sa-dir D] [--idle-timeout-ms N] [--watch-timeout-s N]\n"
		"  [--page-size N] [--backoff-base-ms N] [--backoff-max-ms N] [--max-line N]\n"
		"  [--status-ms N]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token-file", required_argument, NULL, 't' },
		{ "ca", required_argument, NULL, 'c' },
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "insecure", no_argument, NULL, 'i' },
		{ "sa-dir", required_argument, NULL, 'a' },
		{ "idle-timeout-ms", required_argument, NULL, 'I' },
		{ "watch-timeout-s", required_argument, NULL, 'W' },
		{ "page-size", required_argument, NULL, 'P' },
		{ "backoff-base-ms", required_argument, NULL, 'B' },
		{ "backoff-max-ms", required_argument, NULL, 'M' },
		{ "max-line", required_argument, NULL, 'L' },
		{ "status-ms", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct pw_k8s_params p = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	unsigned long status_ms = 0;
	char err[512];
	int c, rc;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			p.server = optarg;
			break;
		case 't':
			p.token_file = optarg;
			break;
		case 'c':
			p.ca_file = optarg;
			break;
		case 'k':
			p.kubeconfig = optarg;
			break;
		case 'i':
			p.insecure_skip_tls_verify = true;
			break;
		case 'a':
			p.sa_dir = optarg;
			break;
		case 'I':
			p.idle_timeout_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'W':
			p.watch_timeout_s = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			p.page_size = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'B':
			p.backoff_base_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'M':
			p.backoff_max_ms = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'L':
			p.max_line = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			status_ms = strtoul(optarg, NULL, 10);
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (pipe2(status_pipe, O_CLOEXEC | O_NONBLOCK) != 0 || pw_evloop_create(&loop) != 0) {
		perror("k8s_driver: setup");
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = pw_k8s_source_create(&p, &ops, NULL, loop, &src, err, sizeof(err));
	if (rc != 0) {
		emit(json_pack("{s:s, s:s, s:i}", "ev", "fatal", "msg", err, "rc", rc));
		fprintf(stderr, "k8s_driver: %s\n", err);
		pw_evloop_free(loop);
		return 1;
	}
	if (pw_evloop_add_fd(loop, status_pipe[0], EPOLLIN, on_status_fd, NULL) != 0 ||
		(status_ms > 0 &&
			pw_evloop_add_timer(loop, (uint32_t)status_ms, on_status_timer, NULL) <
				0)) {
		fprintf(stderr, "k8s_driver: cannot watch the status pipe\n");
		return 1;
	}
	rc = pw_evloop_run(loop);
	print_status();
	pw_k8s_source_free(src);
	(void)pw_evloop_del_fd(loop, status_pipe[0]);
	pw_evloop_free(loop);
	close(status_pipe[0]);
	close(status_pipe[1]);
	return rc == 0 ? 0 : 1;
}
