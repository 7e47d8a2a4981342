/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The operator socket server (protocol in include/podwall/pw_proto.h): a Unix stream socket
 * served from the control event loop, newline-delimited JSON, size-bounded requests, a capped
 * number of clients, non-blocking writes with a bounded output buffer per client.
 */
#ifndef PW_SOCKSERV_H
#define PW_SOCKSERV_H

#include <stddef.h>

#include <jansson.h>

struct pw_evloop;
struct pw_sockserv;

/**
 * A command handler, called on the control thread.
 * @param arg         as registered
 * @param req         the whole request object (borrowed)
 * @param ret_result  on success, a new reference to the result object
 * @param err         on failure, a message for the client (at most @p err_len bytes)
 * @return 0, or -EINVAL (reply code "bad_request") or another -errno ("internal")
 */
typedef int (*pw_sock_handler)(
	void *arg, json_t *req, json_t **ret_result, char *err, size_t err_len);

struct pw_sockserv_params {
	const char *path;  /**< socket path; a stale file is replaced, a live socket is an error */
	unsigned int mode; /**< permission bits (0 = 0660); a bit outside 0660: -EINVAL */
	unsigned int max_clients; /**< 0 = PW_PROTO_MAX_CLIENTS */
	size_t max_request;	  /**< 0 = PW_PROTO_MAX_REQUEST */
};

/**
 * Create the socket and register it with @p loop. A socket file left by a dead process is
 * removed; if another process still listens on @p path, fails with -EADDRINUSE. The parent
 * directory is created (0750) if missing. The socket file never has more permissions than
 * params->mode: the process umask is changed around bind(), so call this from the control
 * thread while no other thread creates files.
 *
 * With params->path NULL and @p loop NULL, creates a server with no socket: commands can be
 * registered and pw_sockserv_handle_line() called (unit tests, the fuzz target).
 *
 * Each client's unsent replies are bounded (16 MiB); a client that does not read them is
 * dropped. A request line longer than params->max_request gets a "too_large" error and the
 * connection keeps being served from the next line.
 * @return 0, -EINVAL (bad params, mode wider than 0660, only one of path and loop NULL),
 *         -EADDRINUSE (a live socket at path), -EEXIST (path exists and is not a socket),
 *         -ENAMETOOLONG, -ENOMEM or another -errno.
 */
int pw_sockserv_create(const struct pw_sockserv_params *params, struct pw_evloop *loop,
	struct pw_sockserv **ret_srv);

/**
 * Register command @p cmd ("help" is built in and lists the commands with their @p help).
 * The strings are copied.
 * @return 0, -EINVAL (empty name, NULL handler), -EEXIST or -ENOMEM.
 */
int pw_sockserv_register(struct pw_sockserv *srv, const char *cmd, const char *help,
	pw_sock_handler handler, void *arg);

/**
 * Close every client and the listening socket and unlink the path, unless the file there is no
 * longer the socket this server bound; NULL is a no-op. Does not free the loop.
 */
void pw_sockserv_free(struct pw_sockserv *srv);

/** Number of connected clients. */
unsigned int pw_sockserv_nb_clients(const struct pw_sockserv *srv);

/**
 * Handle one request line (no newline) and return the reply line (no newline), a string
 * the caller frees with free(). Pure apart from calling the handlers: the fuzz target and
 * the unit tests drive it directly. @p line need not be NUL-terminated; a line longer than
 * the server's max_request gets a "too_large" error.
 * @return compact JSON, never NULL except when out of memory.
 */
char *pw_sockserv_handle_line(struct pw_sockserv *srv, const char *line, size_t len);

#endif /* PW_SOCKSERV_H */
