/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * The control thread's event loop (redis ae.h style): one thread, epoll for file descriptors,
 * periodic timers, no locks. Everything on the slow path (socket server, policy sources,
 * snapshot reclamation, deny-log drain) runs from it.
 */
#ifndef PW_EVLOOP_H
#define PW_EVLOOP_H

#include <stdint.h>

struct pw_evloop;

/** Called when @p fd is ready; @p events is the epoll event mask. */
typedef void (*pw_evloop_fd_cb)(struct pw_evloop *loop, int fd, uint32_t events, void *arg);
/** Called each time a timer fires. */
typedef void (*pw_evloop_timer_cb)(struct pw_evloop *loop, void *arg);

/**
 * Create a loop. All pw_evloop_* functions except pw_evloop_stop() must be called from the
 * thread that runs the loop.
 * @return 0, -EINVAL, -ENOMEM or another -errno from epoll_create1()/eventfd().
 */
int pw_evloop_create(struct pw_evloop **ret_loop);
/** Free the loop (does not close registered fds); NULL is a no-op. */
void pw_evloop_free(struct pw_evloop *loop);

/**
 * Watch @p fd for @p events (EPOLLIN, EPOLLOUT, ...), level-triggered. Call pw_evloop_del_fd()
 * before closing @p fd. May be called from a callback.
 * @return 0, -EEXIST (already watched), -EBADF, -EINVAL, -ENOMEM or -errno from epoll_ctl()
 *         (-EPERM for a regular file).
 */
int pw_evloop_add_fd(
	struct pw_evloop *loop, int fd, uint32_t events, pw_evloop_fd_cb cb, void *arg);
/** Change the events watched on @p fd. @return 0, -ENOENT (not watched) or -errno. */
int pw_evloop_mod_fd(struct pw_evloop *loop, int fd, uint32_t events);
/**
 * Stop watching @p fd; safe to call from any callback, including that fd's own. An event for
 * @p fd already returned by the current epoll_wait() is not dispatched, even if @p fd is added
 * again (a reused fd number) in the meantime.
 * @return 0 or -ENOENT (not watched).
 */
int pw_evloop_del_fd(struct pw_evloop *loop, int fd);

/**
 * Add a periodic timer, first firing @p period_ms from now, never earlier. A timer less than a
 * period late keeps its phase; one that falls further behind (a long callback) fires once and
 * restarts its period: missed periods are not replayed.
 * @return a timer id > 0 (never reused), or -EINVAL (@p period_ms is 0) or -ENOMEM.
 */
int64_t pw_evloop_add_timer(
	struct pw_evloop *loop, uint32_t period_ms, pw_evloop_timer_cb cb, void *arg);
/** Remove a timer; safe from its own callback. @return 0 or -ENOENT. */
int pw_evloop_del_timer(struct pw_evloop *loop, int64_t id);

/**
 * Wait up to @p timeout_ms (capped by the next timer; < 0: no cap but the timers) and dispatch
 * what is ready: fd callbacks first, then due timers. Not reentrant: do not call it from a
 * callback.
 * @return number of callbacks run, or -errno (EINTR is not an error: returns 0).
 */
int pw_evloop_run_once(struct pw_evloop *loop, int timeout_ms);

/**
 * Run until pw_evloop_stop(). A stop requested before this call makes it return at once; the
 * request is consumed, so the loop can be run again.
 * @return 0 or -errno.
 */
int pw_evloop_run(struct pw_evloop *loop);

/**
 * Make pw_evloop_run() return after the current iteration; async-signal-safe (call it from a
 * signal handler or another thread), and preserves errno.
 */
void pw_evloop_stop(struct pw_evloop *loop);

/** CLOCK_MONOTONIC in milliseconds: the clock the loop's timers run on. Any thread. */
uint64_t pw_evloop_now_ms(void);

#endif /* PW_EVLOOP_H */
