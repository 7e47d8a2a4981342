/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control event loop: epoll for descriptors, a small array of periodic timers whose nearest
 * deadline bounds the epoll_wait() timeout (no timerfd), and an eventfd that pw_evloop_stop()
 * writes so a signal handler can wake a blocked loop.
 *
 * Registrations live in a table indexed by fd. Each registration gets a new generation and the
 * epoll event carries (generation << 32 | fd), so an event that was already in the batch returned
 * by epoll_wait() is dropped when its fd was deleted, or deleted and reused by a later accept(), by
 * a callback that ran before it.
 */
#include "control/evloop.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

/* Events taken from the kernel per epoll_wait(); more ready fds are picked up next round. */
#define MAX_EVENTS 64
/* epoll data of the wake-up eventfd: no fd table entry ever has this generation and fd. */
#define WAKE_DATA UINT64_MAX

struct fd_entry {
	pw_evloop_fd_cb cb;
	void *arg;
	uint32_t events;
	uint32_t gen; /* bumped on each add; 0 means unused */
};

struct timer {
	int64_t id;
	uint64_t period_ns;
	uint64_t next_ns;
	pw_evloop_timer_cb cb;
	void *arg;
	bool deleted;
};

struct pw_evloop {
	int epfd;
	int wakefd;
	bool stop; /* written by pw_evloop_stop(), possibly from a signal handler */
	struct fd_entry *fds;
	size_t nb_fds; /* size of fds[], indexed by fd */
	uint32_t next_gen;
	struct timer *timers;
	size_t nb_timers;
	size_t cap_timers;
	int64_t next_timer_id;
	bool timers_dirty; /* some timer is marked deleted and awaits compaction */
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer, and is immune to clock steps. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
pw_evloop_now_ms(void)
{
	return now_ns() / 1000000u;
}

static inline uint64_t
make_data(int fd, uint32_t gen)
{
	return (uint64_t)gen << 32 | (uint32_t)fd;
}

static struct fd_entry *
lookup_fd(struct pw_evloop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nb_fds || loop->fds[fd].gen == 0)
		return NULL;
	return &loop->fds[fd];
}

int
pw_evloop_create(struct pw_evloop **ret_loop)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = WAKE_DATA };
	struct pw_evloop *loop;
	int ret;

	if (ret_loop == NULL)
		return -EINVAL;
	loop = calloc(1, sizeof(*loop));
	if (loop == NULL)
		return -ENOMEM;
	loop->next_timer_id = 1;
	loop->next_gen = 1;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		ret = -errno;
		goto err_free_loop;
	}
	loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->wakefd < 0) {
		ret = -errno;
		goto err_close_epoll;
	}
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev) < 0) {
		ret = -errno;
		goto err_close_wake;
	}
	*ret_loop = loop;
	return 0;

err_close_wake:
	close(loop->wakefd);
err_close_epoll:
	close(loop->epfd);
err_free_loop:
	free(loop);
	return ret;
}

void
pw_evloop_free(struct pw_evloop *loop)
{
	if (loop == NULL)
		return;
	close(loop->wakefd);
	close(loop->epfd);
	free(loop->fds);
	free(loop->timers);
	free(loop);
}

static int
grow_fds(struct pw_evloop *loop, int fd)
{
	size_t n = loop->nb_fds == 0 ? 64 : loop->nb_fds;
	struct fd_entry *fds;

	while (n <= (size_t)fd)
		n *= 2;
	fds = realloc(loop->fds, n * sizeof(*fds));
	if (fds == NULL)
		return -ENOMEM;
	memset(fds + loop->nb_fds, 0, (n - loop->nb_fds) * sizeof(*fds));
	loop->fds = fds;
	loop->nb_fds = n;
	return 0;
}

int
pw_evloop_add_fd(struct pw_evloop *loop, int fd, uint32_t events, pw_evloop_fd_cb cb, void *arg)
{
	struct epoll_event ev = { .events = events };
	struct fd_entry *e;
	uint32_t gen;
	int ret;

	if (loop == NULL || cb == NULL)
		return -EINVAL;
	if (fd < 0)
		return -EBADF;
	if (lookup_fd(loop, fd) != NULL)
		return -EEXIST;
	if ((size_t)fd >= loop->nb_fds) {
		ret = grow_fds(loop, fd);
		if (ret < 0)
			return ret;
	}
	gen = loop->next_gen++;
	/* 0 marks a free slot; after 2^32 adds, skip it. */
	if (gen == 0)
		gen = loop->next_gen++;
	ev.data.u64 = make_data(fd, gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	e = &loop->fds[fd];
	e->cb = cb;
	e->arg = arg;
	e->events = events;
	e->gen = gen;
	return 0;
}

int
pw_evloop_mod_fd(struct pw_evloop *loop, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events };
	struct fd_entry *e;

	if (loop == NULL)
		return -EINVAL;
	e = lookup_fd(loop, fd);
	if (e == NULL)
		return -ENOENT;
	if (e->events == events)
		return 0;
	ev.data.u64 = make_data(fd, e->gen);
	if (epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0)
		return -errno;
	e->events = events;
	return 0;
}

int
pw_evloop_del_fd(struct pw_evloop *loop, int fd)
{
	struct fd_entry *e;

	if (loop == NULL)
		return -EINVAL;
	e = lookup_fd(loop, fd);
	if (e == NULL)
		return -ENOENT;
	memset(e, 0, sizeof(*e));
	/*
	 * EBADF/ENOENT mean the caller closed the fd first, which already removed it from the
	 * epoll set (unless dup'ed; then a stray event fails the generation check): the fd is
	 * no longer watched either way.
	 */
	if (epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 && errno != EBADF && errno != ENOENT)
		return -errno;
	return 0;
}

int64_t
pw_evloop_add_timer(struct pw_evloop *loop, uint32_t period_ms, pw_evloop_timer_cb cb, void *arg)
{
	struct timer *t;

	/* A zero period would make every iteration fire it and the loop spin. */
	if (loop == NULL || cb == NULL || period_ms == 0)
		return -EINVAL;
	if (loop->nb_timers == loop->cap_timers) {
		size_t cap = loop->cap_timers == 0 ? 8 : loop->cap_timers * 2;
		struct timer *timers = realloc(loop->timers, cap * sizeof(*timers));

		if (timers == NULL)
			return -ENOMEM;
		loop->timers = timers;
		loop->cap_timers = cap;
	}
	t = &loop->timers[loop->nb_timers++];
	t->id = loop->next_timer_id++;
	t->period_ns = (uint64_t)period_ms * 1000000u;
	t->next_ns = now_ns() + t->period_ns;
	t->cb = cb;
	t->arg = arg;
	t->deleted = false;
	return t->id;
}

int
pw_evloop_del_timer(struct pw_evloop *loop, int64_t id)
{
	size_t i;

	if (loop == NULL)
		return -EINVAL;
	for (i = 0; i < loop->nb_timers; i++) {
		struct timer *t = &loop->timers[i];

		if (t->id == id && !t->deleted) {
			/* Only marked: the timer loop may be iterating over this array. */
			t->deleted = true;
			loop->timers_dirty = true;
			return 0;
		}
	}
	return -ENOENT;
}

static void
compact_timers(struct pw_evloop *loop)
{
	size_t i, j = 0;

	for (i = 0; i < loop->nb_timers; i++) {
		if (!loop->timers[i].deleted)
			loop->timers[j++] = loop->timers[i];
	}
	loop->nb_timers = j;
	loop->timers_dirty = false;
}

/* Milliseconds epoll_wait() may block: the caller's limit, shortened to the nearest timer. */
static int
wait_timeout(const struct pw_evloop *loop, int timeout_ms)
{
	uint64_t now, nearest = UINT64_MAX, ms;
	size_t i;

	for (i = 0; i < loop->nb_timers; i++) {
		if (!loop->timers[i].deleted && loop->timers[i].next_ns < nearest)
			nearest = loop->timers[i].next_ns;
	}
	if (nearest == UINT64_MAX)
		return timeout_ms;
	now = now_ns();
	if (nearest <= now)
		return 0;
	/* Round up: waking a little early would only spin until the deadline. */
	ms = (nearest - now + 999999u) / 1000000u;
	if (ms > INT_MAX)
		ms = INT_MAX;
	if (timeout_ms >= 0 && (uint64_t)timeout_ms < ms)
		return timeout_ms;
	return (int)ms;
}

static int
run_timers(struct pw_evloop *loop)
{
	/* Timers added by a callback are not due yet: only look at those present now. */
	size_t i, n = loop->nb_timers;
	uint64_t now = now_ns();
	int nb_run = 0;

	for (i = 0; i < n; i++) {
		/* Re-read each time: a callback may add a timer and move the array. */
		struct timer *t = &loop->timers[i];

		if (t->deleted || t->next_ns > now)
			continue;
		t->next_ns += t->period_ns;
		/* After a long stall, fire once and restart the period instead of catching up. */
		if (t->next_ns <= now)
			t->next_ns = now + t->period_ns;
		t->cb(loop, t->arg);
		nb_run++;
	}
	return nb_run;
}

static void
drain_wake(struct pw_evloop *loop)
{
	uint64_t v;
	ssize_t n;

	/* Nonblocking and a counter: one read empties it; EAGAIN is harmless. */
	n = read(loop->wakefd, &v, sizeof(v));
	(void)n;
}

int
pw_evloop_run_once(struct pw_evloop *loop, int timeout_ms)
{
	struct epoll_event events[MAX_EVENTS];
	int i, n, nb_run = 0;

	if (loop == NULL)
		return -EINVAL;
	n = epoll_wait(loop->epfd, events, MAX_EVENTS, wait_timeout(loop, timeout_ms));
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		uint64_t data = events[i].data.u64;
		int fd = (int)(uint32_t)data;
		struct fd_entry *e;

		if (data == WAKE_DATA) {
			drain_wake(loop);
			continue;
		}
		e = lookup_fd(loop, fd);
		/* Deleted, or deleted and re-added, by an earlier callback of this batch. */
		if (e == NULL || e->gen != (uint32_t)(data >> 32))
			continue;
		e->cb(loop, fd, events[i].events, e->arg);
		nb_run++;
	}
	nb_run += run_timers(loop);
	if (loop->timers_dirty)
		compact_timers(loop);
	return nb_run;
}

int
pw_evloop_run(struct pw_evloop *loop)
{
	int ret = 0;

	if (loop == NULL)
		return -EINVAL;
	while (!__atomic_load_n(&loop->stop, __ATOMIC_ACQUIRE)) {
		ret = pw_evloop_run_once(loop, -1);
		if (ret < 0)
			break;
		ret = 0;
	}
	/*
	 * Consume the request so the loop can be run again. A stop that came before this call
	 * (a signal during start-up) is not cleared on entry: it makes this call return at once.
	 */
	__atomic_store_n(&loop->stop, false, __ATOMIC_RELEASE);
	return ret;
}

void
pw_evloop_stop(struct pw_evloop *loop)
{
	uint64_t one = 1;
	int saved_errno = errno;
	ssize_t n;

	__atomic_store_n(&loop->stop, true, __ATOMIC_RELEASE);
	/* write() is async-signal-safe; EAGAIN only means a wake-up is already pending. */
	n = write(loop->wakefd, &one, sizeof(one));
	(void)n;
	/* A signal handler must not change errno under the code it interrupted. */
	errno = saved_errno;
}
