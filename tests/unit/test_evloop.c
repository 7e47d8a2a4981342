/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the control event loop: fd readiness, timers, deletion from inside callbacks
 * (the fd being dispatched and other fds of the same epoll batch), stop, and error codes.
 * Timing checks only use lower bounds and ordering, which a slow CI machine cannot break.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include <cmocka.h>

#include "control/evloop.h"

/* Upper bound on loop iterations in a test, so that a bug fails instead of hanging. */
#define MAX_ITER 1000

struct fd_rec {
	int nb_calls;
	int last_fd;
	uint32_t last_events;
};

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void
record_cb(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct fd_rec *r = arg;

	(void)loop;
	r->nb_calls++;
	r->last_fd = fd;
	r->last_events = events;
}

static void
write_byte(int fd)
{
	char c = 'x';

	assert_int_equal(write(fd, &c, 1), 1);
}

static void
noop_timer(struct pw_evloop *loop, void *arg)
{
	(void)loop;
	(void)arg;
}

static void
test_create_free(void **state)
{
	struct pw_evloop *loop = NULL;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	assert_non_null(loop);
	/* Nothing registered and a zero timeout: returns at once with nothing run. */
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	pw_evloop_free(loop);
	pw_evloop_free(NULL);
	assert_int_equal(pw_evloop_create(NULL), -EINVAL);
}

static void
test_pipe_readiness(void **state)
{
	struct fd_rec rec = { 0 };
	struct pw_evloop *loop;
	int p[2];
	char c;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pw_evloop_add_fd(loop, p[0], EPOLLIN, record_cb, &rec), 0);

	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	assert_int_equal(rec.nb_calls, 0);

	write_byte(p[1]);
	assert_int_equal(pw_evloop_run_once(loop, 1000), 1);
	assert_int_equal(rec.nb_calls, 1);
	assert_int_equal(rec.last_fd, p[0]);
	assert_true(rec.last_events & EPOLLIN);

	/* Level-triggered: still readable until drained. */
	assert_int_equal(pw_evloop_run_once(loop, 0), 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	assert_int_equal(rec.nb_calls, 2);

	/* Writer closed: the read end reports EPOLLHUP even though only EPOLLIN is watched. */
	close(p[1]);
	assert_int_equal(pw_evloop_run_once(loop, 1000), 1);
	assert_true(rec.last_events & EPOLLHUP);

	assert_int_equal(pw_evloop_del_fd(loop, p[0]), 0);
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	close(p[0]);
	pw_evloop_free(loop);
}

static void
test_eventfd_mod(void **state)
{
	struct fd_rec rec = { 0 };
	struct pw_evloop *loop;
	uint64_t v = 1;
	int efd;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	efd = eventfd(0, EFD_NONBLOCK);
	assert_true(efd >= 0);
	assert_int_equal(pw_evloop_add_fd(loop, efd, EPOLLIN, record_cb, &rec), 0);
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);

	/* An eventfd is always writable: switching to EPOLLOUT makes it fire. */
	assert_int_equal(pw_evloop_mod_fd(loop, efd, EPOLLOUT), 0);
	assert_int_equal(pw_evloop_run_once(loop, 0), 1);
	assert_true(rec.last_events & EPOLLOUT);
	assert_false(rec.last_events & EPOLLIN);

	assert_int_equal(pw_evloop_mod_fd(loop, efd, EPOLLIN), 0);
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	assert_int_equal(write(efd, &v, sizeof(v)), (ssize_t)sizeof(v));
	assert_int_equal(pw_evloop_run_once(loop, 1000), 1);
	assert_true(rec.last_events & EPOLLIN);
	assert_int_equal(rec.nb_calls, 2);

	assert_int_equal(pw_evloop_del_fd(loop, efd), 0);
	close(efd);
	pw_evloop_free(loop);
}

static void
test_error_codes(void **state)
{
	struct fd_rec rec = { 0 };
	struct pw_evloop *loop;
	char path[] = "/tmp/pw_evloop_XXXXXX";
	int p[2], file_fd;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	assert_int_equal(pipe(p), 0);

	assert_int_equal(pw_evloop_add_fd(loop, p[0], EPOLLIN, record_cb, &rec), 0);
	assert_int_equal(pw_evloop_add_fd(loop, p[0], EPOLLIN, record_cb, &rec), -EEXIST);
	assert_int_equal(pw_evloop_add_fd(loop, p[1], EPOLLOUT, NULL, &rec), -EINVAL);
	assert_int_equal(pw_evloop_add_fd(loop, -1, EPOLLIN, record_cb, &rec), -EBADF);
	assert_int_equal(pw_evloop_del_fd(loop, p[1]), -ENOENT);
	assert_int_equal(pw_evloop_del_fd(loop, 100000), -ENOENT);
	assert_int_equal(pw_evloop_del_fd(loop, -1), -ENOENT);
	assert_int_equal(pw_evloop_mod_fd(loop, p[1], EPOLLIN), -ENOENT);
	assert_int_equal(pw_evloop_del_fd(loop, p[0]), 0);
	assert_int_equal(pw_evloop_del_fd(loop, p[0]), -ENOENT);
	/* Deleted fds can be added again. */
	assert_int_equal(pw_evloop_add_fd(loop, p[0], EPOLLIN, record_cb, &rec), 0);
	assert_int_equal(pw_evloop_del_fd(loop, p[0]), 0);

	/* epoll refuses regular files; the error comes back unchanged and nothing is left. */
	file_fd = mkstemp(path);
	assert_true(file_fd >= 0);
	assert_int_equal(pw_evloop_add_fd(loop, file_fd, EPOLLIN, record_cb, &rec), -EPERM);
	assert_int_equal(pw_evloop_del_fd(loop, file_fd), -ENOENT);
	close(file_fd);
	unlink(path);

	assert_int_equal(pw_evloop_add_timer(loop, 0, noop_timer, NULL), -EINVAL);
	assert_int_equal(pw_evloop_add_timer(loop, 10, (pw_evloop_timer_cb)NULL, NULL), -EINVAL);
	assert_int_equal(pw_evloop_del_timer(loop, 12345), -ENOENT);

	close(p[0]);
	close(p[1]);
	pw_evloop_free(loop);
}

struct timer_log {
	char seq[64]; /* which timer fired, in order: 'a' or 'b' */
	size_t nb;
	int nb_a, nb_b;
};

static void
timer_a(struct pw_evloop *loop, void *arg)
{
	struct timer_log *log = arg;

	(void)loop;
	if (log->nb < sizeof(log->seq) - 1)
		log->seq[log->nb++] = 'a';
	log->nb_a++;
}

static void
timer_b(struct pw_evloop *loop, void *arg)
{
	struct timer_log *log = arg;

	(void)loop;
	if (log->nb < sizeof(log->seq) - 1)
		log->seq[log->nb++] = 'b';
	log->nb_b++;
}

static void
test_timers_fire(void **state)
{
	struct timer_log log = { .nb = 0 };
	struct pw_evloop *loop;
	int64_t ta, tb;
	uint64_t start, elapsed;
	int i;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	start = mono_ms();
	ta = pw_evloop_add_timer(loop, 10, timer_a, &log);
	tb = pw_evloop_add_timer(loop, 40, timer_b, &log);
	assert_true(ta > 0);
	assert_true(tb > 0);
	assert_true(ta != tb);

	/* With no fds, the 5 s timeout is cut short by the timers: 3 x 40 ms, not 5 s each. */
	for (i = 0; i < MAX_ITER && log.nb_b < 3; i++)
		assert_true(pw_evloop_run_once(loop, 5000) >= 0);
	assert_int_equal(log.nb_b, 3);
	/*
	 * Timers never fire early, so n firings of a timer take at least n periods; nothing more
	 * can be asserted about counts without a wall-clock bound a loaded machine could break
	 * (a stalled loop fires a late timer once, and a timer less than a period late catches up).
	 */
	elapsed = mono_ms() - start;
	assert_true(elapsed < 5000);
	assert_true(elapsed >= 40u * (uint64_t)log.nb_b);
	assert_true(elapsed >= 10u * (uint64_t)log.nb_a);
	/* The 10 ms timer is due first: whenever the 40 ms one first fires, it has fired too. */
	assert_true(log.nb_a >= 1);
	assert_int_equal(log.seq[0], 'a');
	assert_int_equal(pw_evloop_del_timer(loop, ta), 0);
	assert_int_equal(pw_evloop_del_timer(loop, ta), -ENOENT);
	assert_int_equal(pw_evloop_del_timer(loop, tb), 0);
	/* No timer, no fd: a zero timeout returns at once. */
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	pw_evloop_free(loop);
}

struct self_del {
	int64_t id;
	int64_t other_id;
	int nb_calls;
	int other_calls;
};

static void
timer_del_self(struct pw_evloop *loop, void *arg)
{
	struct self_del *s = arg;

	if (++s->nb_calls == 2)
		assert_int_equal(pw_evloop_del_timer(loop, s->id), 0);
}

static void
timer_del_other(struct pw_evloop *loop, void *arg)
{
	struct self_del *s = arg;

	s->nb_calls++;
	if (s->other_id != 0) {
		assert_int_equal(pw_evloop_del_timer(loop, s->other_id), 0);
		s->other_id = 0;
	}
}

static void
timer_count_other(struct pw_evloop *loop, void *arg)
{
	struct self_del *s = arg;

	(void)loop;
	s->other_calls++;
}

static void
test_timer_del_in_callback(void **state)
{
	struct self_del s1 = { 0 }, s2 = { 0 };
	struct pw_evloop *loop;
	uint64_t end;
	int i;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	s1.id = pw_evloop_add_timer(loop, 5, timer_del_self, &s1);
	assert_true(s1.id > 0);
	/*
	 * Same period, added first: whenever the second timer is due the first is too, and it
	 * runs first and deletes the second, which must then never run.
	 */
	s2.id = pw_evloop_add_timer(loop, 5, timer_del_other, &s2);
	s2.other_id = pw_evloop_add_timer(loop, 5, timer_count_other, &s2);
	assert_true(s2.id > 0 && s2.other_id > 0);

	for (i = 0; i < MAX_ITER && (s1.nb_calls < 2 || s2.nb_calls < 3); i++)
		assert_true(pw_evloop_run_once(loop, 10) >= 0);
	/* Then long enough for several more periods of the self-deleted timer. */
	end = mono_ms() + 30;
	while (mono_ms() < end)
		assert_true(pw_evloop_run_once(loop, 10) >= 0);
	assert_int_equal(s1.nb_calls, 2);
	assert_true(s2.nb_calls >= 3);
	assert_int_equal(s2.other_calls, 0);
	assert_int_equal(pw_evloop_del_timer(loop, s1.id), -ENOENT);
	assert_int_equal(pw_evloop_del_timer(loop, s2.id), 0);
	pw_evloop_free(loop);
}

struct adder {
	int64_t new_id;
	int nb_new;
};

static void
timer_count(struct pw_evloop *loop, void *arg)
{
	(void)loop;
	((struct adder *)arg)->nb_new++;
}

static void
timer_add_one(struct pw_evloop *loop, void *arg)
{
	struct adder *a = arg;

	/* Added from a callback: may move the timer array while it is being walked. */
	if (a->new_id == 0) {
		int i;

		for (i = 0; i < 20; i++) {
			int64_t id = pw_evloop_add_timer(loop, 1, timer_count, a);

			assert_true(id > 0);
			if (i == 0)
				a->new_id = id;
		}
	}
}

static void
test_timer_add_in_callback(void **state)
{
	struct adder a = { 0 };
	struct pw_evloop *loop;
	int64_t id;
	int i;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	id = pw_evloop_add_timer(loop, 1, timer_add_one, &a);
	assert_true(id > 0);
	for (i = 0; i < MAX_ITER && a.new_id == 0; i++)
		assert_true(pw_evloop_run_once(loop, 100) >= 0);
	/* Timers added by a callback are not due in the same round. */
	assert_int_equal(a.nb_new, 0);
	for (i = 0; i < MAX_ITER && a.nb_new < 20; i++)
		assert_true(pw_evloop_run_once(loop, 100) >= 0);
	assert_true(a.nb_new >= 20);
	assert_true(a.new_id > id);
	pw_evloop_free(loop);
}

static void
del_self_cb(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct fd_rec *r = arg;

	(void)events;
	r->nb_calls++;
	assert_int_equal(pw_evloop_del_fd(loop, fd), 0);
	/* Closing right after the delete, as a client's callback does on EOF. */
	close(fd);
}

static void
test_del_own_fd_in_callback(void **state)
{
	struct fd_rec rec = { 0 };
	struct pw_evloop *loop;
	int p[2];

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pw_evloop_add_fd(loop, p[0], EPOLLIN, del_self_cb, &rec), 0);
	write_byte(p[1]);
	assert_int_equal(pw_evloop_run_once(loop, 1000), 1);
	assert_int_equal(rec.nb_calls, 1);
	/* Still data in the pipe, but nothing watches it any more. */
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	assert_int_equal(rec.nb_calls, 1);
	close(p[1]);
	pw_evloop_free(loop);
}

/* Two ready pipes in one batch; whichever callback runs first removes the other. */
struct pair {
	int fds[2];  /* read ends */
	int wfds[2]; /* write ends */
	int nb_calls;
	bool reuse;	     /* put a new, empty pipe under the deleted fd's number */
	struct fd_rec fresh; /* calls on that new registration */
	int spare[2];
};

static void
fresh_cb(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct pair *pr = arg;

	(void)loop;
	(void)events;
	record_cb(loop, fd, events, &pr->fresh);
}

static void
pair_cb(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct pair *pr = arg;
	int other = fd == pr->fds[0] ? pr->fds[1] : pr->fds[0];

	(void)events;
	pr->nb_calls++;
	if (pr->nb_calls > 1)
		return;
	assert_int_equal(pw_evloop_del_fd(loop, other), 0);
	if (pr->reuse) {
		/*
		 * Same fd number, different file: the event already fetched for the old one
		 * must not reach the new registration (which is not readable).
		 */
		assert_int_equal(pipe(pr->spare), 0);
		assert_int_equal(dup2(pr->spare[0], other), other);
		assert_int_equal(pw_evloop_add_fd(loop, other, EPOLLIN, fresh_cb, pr), 0);
	}
}

static void
run_pair(bool reuse)
{
	struct pair pr = { .reuse = reuse };
	struct pw_evloop *loop;
	int p0[2], p1[2], i;

	assert_int_equal(pw_evloop_create(&loop), 0);
	assert_int_equal(pipe(p0), 0);
	assert_int_equal(pipe(p1), 0);
	pr.fds[0] = p0[0];
	pr.fds[1] = p1[0];
	pr.wfds[0] = p0[1];
	pr.wfds[1] = p1[1];
	for (i = 0; i < 2; i++) {
		assert_int_equal(pw_evloop_add_fd(loop, pr.fds[i], EPOLLIN, pair_cb, &pr), 0);
		write_byte(pr.wfds[i]);
	}
	/* Both are ready before the wait, so one epoll_wait returns both. */
	assert_int_equal(pw_evloop_run_once(loop, 1000), 1);
	assert_int_equal(pr.nb_calls, 1);
	assert_int_equal(pr.fresh.nb_calls, 0);
	if (reuse) {
		/* The new registration works: make it readable. */
		write_byte(pr.spare[1]);
		assert_int_equal(pw_evloop_run_once(loop, 1000), 2);
		assert_int_equal(pr.fresh.nb_calls, 1);
		close(pr.spare[0]);
		close(pr.spare[1]);
	}
	for (i = 0; i < 2; i++) {
		close(pr.fds[i]);
		close(pr.wfds[i]);
	}
	pw_evloop_free(loop);
}

static void
test_del_other_fd_in_batch(void **state)
{
	(void)state;
	run_pair(false);
}

static void
test_del_reused_fd_in_batch(void **state)
{
	(void)state;
	run_pair(true);
}

struct stopper {
	int nb_calls;
	int stop_at;
};

static void
timer_stop(struct pw_evloop *loop, void *arg)
{
	struct stopper *s = arg;

	if (++s->nb_calls == s->stop_at)
		pw_evloop_stop(loop);
}

static void
fd_stop(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	struct stopper *s = arg;
	char c;

	(void)events;
	assert_int_equal(read(fd, &c, 1), 1);
	s->nb_calls++;
	pw_evloop_stop(loop);
}

static void
test_stop_from_callback(void **state)
{
	struct stopper s = { .stop_at = 3 }, fs = { 0 };
	struct pw_evloop *loop;
	int64_t id;
	int p[2];

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	id = pw_evloop_add_timer(loop, 2, timer_stop, &s);
	assert_true(id > 0);
	assert_int_equal(pw_evloop_run(loop), 0);
	assert_int_equal(s.nb_calls, 3);
	assert_int_equal(pw_evloop_del_timer(loop, id), 0);

	/* The stop request was consumed: the loop runs again, and stops from an fd callback. */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pw_evloop_add_fd(loop, p[0], EPOLLIN, fd_stop, &fs), 0);
	write_byte(p[1]);
	assert_int_equal(pw_evloop_run(loop), 0);
	assert_int_equal(fs.nb_calls, 1);

	/* A stop requested before run() (a signal during start-up) is not lost. */
	pw_evloop_stop(loop);
	write_byte(p[1]);
	assert_int_equal(pw_evloop_run(loop), 0);
	assert_int_equal(fs.nb_calls, 1);

	assert_int_equal(pw_evloop_del_fd(loop, p[0]), 0);
	close(p[0]);
	close(p[1]);
	pw_evloop_free(loop);
}

static void *
stop_later(void *arg)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	pw_evloop_stop(arg);
	return NULL;
}

static void
test_stop_wakes_blocked_loop(void **state)
{
	struct pw_evloop *loop;
	pthread_t th;

	(void)state;
	assert_int_equal(pw_evloop_create(&loop), 0);
	/* No fds, no timers: only the stop's eventfd write can end the wait. */
	assert_int_equal(pthread_create(&th, NULL, stop_later, loop), 0);
	assert_int_equal(pw_evloop_run(loop), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
	pw_evloop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_free),
		cmocka_unit_test(test_pipe_readiness),
		cmocka_unit_test(test_eventfd_mod),
		cmocka_unit_test(test_error_codes),
		cmocka_unit_test(test_timers_fire),
		cmocka_unit_test(test_timer_del_in_callback),
		cmocka_unit_test(test_timer_add_in_callback),
		cmocka_unit_test(test_del_own_fd_in_callback),
		cmocka_unit_test(test_del_other_fd_in_batch),
		cmocka_unit_test(test_del_reused_fd_in_batch),
		cmocka_unit_test(test_stop_from_callback),
		cmocka_unit_test(test_stop_wakes_blocked_loop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
