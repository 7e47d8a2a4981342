/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The manifests source. State is per file: the objects each file gave last time (with their
 * JSON, to tell a change from a rewrite of the same content), plus one count per object of the
 * files that define it, so that an object is removed only when the last of them drops it.
 *
 * Watching does not trust event names alone: a ConfigMap volume updates by swapping a "..data"
 * symlink, which changes every file without an event that names one. So each batch lists the
 * directory again, re-reads the files that events named, and stats the others to catch changes
 * behind symlinks. Listing a directory of manifests costs microseconds; a missed update would
 * leave a stale policy in force.
 */
#include "control/manifests.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "control/evloop.h"
#include "control/manifests_parse.h"
#include "control/yamltree.h"

/* A batch runs once the directory has been quiet this long... */
#define DEBOUNCE_MS 5
/* ...or this long after its first event, so that a steady stream of writes cannot starve it. */
#define MAX_DELAY_MS 100
/* Files listed at most; a directory with more is reported and the rest ignored. */
#define MAX_FILES 10000
/* Event names remembered per batch; past this every file is re-read. */
#define MAX_DIRTY 1024
#define MSG_LEN 320
#define WATCH_MASK                                                                          \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_ATTRIB | \
		IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct file {
	char *name;
	bool known; /* the identity below is that of the content behind objs */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	struct timespec ctim;
	struct pw_manifests_objs objs;
	bool seen; /* listed by the current scan */
};

struct pw_manifests {
	char *dir;
	struct pw_manifests_ops ops;
	void *arg;
	struct pw_evloop *loop;
	int ifd;	   /* inotify, -1 without a loop */
	int64_t timer;	   /* the pending batch's timer, 0 if none */
	uint64_t first_ms; /* first and last event of the pending batch */
	uint64_t last_ms;
	json_t *dirty;	/* names from events since the last batch, as a set */
	bool all_dirty; /* too many names, or an inotify queue overflow */
	bool dir_lost;
	bool busy;	     /* inside a scan: callbacks may not start another */
	struct file **files; /* sorted by name */
	unsigned int nb_files;
	json_t *refs; /* key -> number of files that define the object */
};

static void __attribute__((format(printf, 4, 5)))
report(struct pw_manifests *m, const char *file, unsigned int line, const char *fmt, ...)
{
	char msg[MSG_LEN];
	va_list ap;

	if (m->ops.error == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->ops.error(m->arg, file, line, msg);
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

static bool
wanted_name(const char *name)
{
	if (name[0] == '.')
		return false;
	return ends_with(name, ".yaml") || ends_with(name, ".yml") || ends_with(name, ".json");
}

static void
file_path(const struct pw_manifests *m, const struct file *f, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", m->dir, f->name);
}

static void
deliver(struct pw_manifests *m, const struct file *f, const struct pw_manifests_obj *o)
{
	char path[PATH_MAX];

	file_path(m, f, path, sizeof(path));
	m->ops.object(m->arg, o->json, path, o->line);
}

/*
 * File @p from no longer defines @p key. Returns the number of deliveries: a removal if no
 * other file defines it, else the other file's definition again.
 */
static int
release(struct pw_manifests *m, const struct file *from, const char *key, size_t key_len)
{
	json_t *count = json_object_getn(m->refs, key, key_len);
	const char *ns, *name;
	unsigned int i;

	if (count != NULL && json_integer_value(count) > 1) {
		json_integer_set(count, json_integer_value(count) - 1);
		/* The last file in name order wins, as in a full scan. */
		for (i = m->nb_files; i-- > 0;) {
			const struct file *g = m->files[i];
			const struct pw_manifests_obj *o = g != from && g->seen ?
				pw_manifests_objs_find(&g->objs, key, key_len) :
				NULL;

			if (o != NULL) {
				deliver(m, m->files[i], o);
				return 1;
			}
		}
		return 0;
	}
	json_object_deln(m->refs, key, key_len);
	ns = key + strlen(key) + 1;
	name = ns + strlen(ns) + 1;
	m->ops.removed(m->arg, key, ns, name);
	return 1;
}

static int
refs_add(struct pw_manifests *m, const char *key, size_t key_len)
{
	json_t *count = json_object_getn(m->refs, key, key_len);

	if (count != NULL)
		return json_integer_set(count, json_integer_value(count) + 1) == 0 ? 0 : -ENOMEM;
	return json_object_setn_new_nocheck(m->refs, key, key_len, json_integer(1)) == 0 ? 0 :
											   -ENOMEM;
}

/* Where the errors of the file being parsed go. */
struct parse_ctx {
	struct pw_manifests *m;
	const char *path;
};

static void
on_parse_error(void *arg, unsigned int line, const char *msg)
{
	const struct parse_ctx *ctx = arg;

	report(ctx->m, ctx->path, line, "%s", msg);
}

/*
 * Installs the objects @p nw just read from @p f (emptying @p nw), delivering what changed.
 * Returns the number of deliveries, or -ENOMEM.
 */
static int
apply(struct pw_manifests *m, struct file *f, const char *path, struct pw_manifests_objs *nw,
	bool had_error)
{
	const struct pw_manifests_objs *old = &f->objs;
	unsigned int i, nb_read = nw->nb_objs;
	int changes = 0, ret;

	/* Fail static: a file with errors keeps what it had (see the header). */
	for (i = 0; had_error && i < old->nb_objs; i++) {
		const struct pw_manifests_obj *o = &old->objs[i];
		char *key;

		if (pw_manifests_objs_find(nw, o->key, o->key_len) != NULL)
			continue;
		key = malloc(o->key_len + 1);
		if (key == NULL)
			return -ENOMEM;
		memcpy(key, o->key, o->key_len + 1);
		if (pw_manifests_objs_push(nw, key, o->key_len, o->json, o->line) != 0)
			return -ENOMEM;
	}
	for (i = 0; i < nb_read; i++) {
		const struct pw_manifests_obj *n = &nw->objs[i];
		const struct pw_manifests_obj *o = pw_manifests_objs_find(old, n->key, n->key_len);

		if (o == NULL && (ret = refs_add(m, n->key, n->key_len)) != 0)
			return ret;
		if (o == NULL || !json_equal(o->json, n->json)) {
			m->ops.object(m->arg, n->json, path, n->line);
			changes++;
		}
	}
	for (i = 0; i < old->nb_objs; i++)
		if (pw_manifests_objs_find(nw, old->objs[i].key, old->objs[i].key_len) == NULL)
			changes += release(m, f, old->objs[i].key, old->objs[i].key_len);
	pw_manifests_objs_clear(&f->objs);
	f->objs = *nw;
	memset(nw, 0, sizeof(*nw));
	return changes;
}

static void
set_identity(struct file *f, const struct stat *st)
{
	f->known = true;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->size = st->st_size;
	f->mtim = st->st_mtim;
	f->ctim = st->st_ctim;
}

static bool
same_identity(const struct file *f, const struct stat *st)
{
	return f->known && f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
		f->mtim.tv_sec == st->st_mtim.tv_sec && f->mtim.tv_nsec == st->st_mtim.tv_nsec &&
		f->ctim.tv_sec == st->st_ctim.tv_sec && f->ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/*
 * Reads @p f again if @p force or if it changed. Returns the number of deliveries, or -ENOMEM.
 * A name that is no longer a regular file (gone since the listing, a dangling symlink, a
 * directory) leaves f->seen false, so that the scan drops it.
 */
static int
reload(struct pw_manifests *m, struct file *f, bool force)
{
	struct pw_manifests_objs nw = { 0 };
	struct parse_ctx ctx;
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	struct stat st;
	size_t len = 0;
	int ret;

	file_path(m, f, path, sizeof(path));
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
		f->seen = false;
		return 0;
	}
	if (!force && same_identity(f, &st))
		return 0;
	ret = st.st_size > PW_MANIFESTS_MAX_FILE_SIZE ?
		-EFBIG :
		pw_yaml_read_file(path, PW_MANIFESTS_MAX_FILE_SIZE, true, &buf, &len);
	if (ret == 0 && len > PW_MANIFESTS_MAX_FILE_SIZE)
		ret = -EFBIG;
	if (ret != 0) {
		free(buf);
		if (ret == -ENOMEM)
			return ret;
		if (ret == -EFBIG)
			report(m, path, 0, "larger than %d bytes: keeping its previous objects",
				PW_MANIFESTS_MAX_FILE_SIZE);
		else
			report(m, path, 0, "cannot read: %s: keeping its previous objects",
				strerror(-ret));
		/* Unknown content: the next event or scan reads it again. */
		f->known = false;
		return 0;
	}
	set_identity(f, &st);
	ctx.m = m;
	ctx.path = path;
	ret = pw_manifests_parse(buf, len, ends_with(f->name, ".json"), &nw, on_parse_error, &ctx);
	free(buf);
	if (ret >= 0)
		ret = apply(m, f, path, &nw, ret > 0);
	pw_manifests_objs_clear(&nw);
	return ret;
}

static void
free_file(struct file *f)
{
	pw_manifests_objs_clear(&f->objs);
	free(f->name);
	free(f);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists the wanted names of the directory, sorted. */
static int
list_dir(struct pw_manifests *m, char ***ret_names, unsigned int *ret_nb)
{
	unsigned int nb = 0, cap = 0;
	char **names = NULL;
	struct dirent *de;
	DIR *d;
	int ret = 0;

	d = opendir(m->dir);
	if (d == NULL) {
		ret = -errno;
		report(m, m->dir, 0, "cannot list the directory: %s", strerror(-ret));
		return ret;
	}
	while ((de = readdir(d)) != NULL) {
		if (!wanted_name(de->d_name))
			continue;
		if (nb == MAX_FILES) {
			report(m, m->dir, 0, "more than %d manifest files: ignoring the rest",
				MAX_FILES);
			break;
		}
		if (nb == cap) {
			char **n = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));

			if (n == NULL)
				goto err_nomem;
			names = n;
		}
		if ((names[nb] = strdup(de->d_name)) == NULL)
			goto err_nomem;
		nb++;
	}
	closedir(d);
	if (nb > 0)
		qsort(names, nb, sizeof(*names), cmp_names);
	*ret_names = names;
	*ret_nb = nb;
	return 0;

err_nomem:
	closedir(d);
	while (nb > 0)
		free(names[--nb]);
	free(names);
	return -ENOMEM;
}

/* Drops a file that is gone, removing its objects. Returns the number of deliveries. */
static int
drop_file(struct pw_manifests *m, struct file *f)
{
	int changes = 0;
	unsigned int i;

	f->seen = false;
	for (i = 0; i < f->objs.nb_objs; i++)
		changes += release(m, f, f->objs.objs[i].key, f->objs.objs[i].key_len);
	free_file(f);
	return changes;
}

static struct file *
new_file(char *name)
{
	struct file *f = calloc(1, sizeof(*f));

	if (f != NULL)
		f->name = name;
	return f;
}

/*
 * Lists the directory and re-reads the files that @p force, the event names or their identity
 * say changed. Returns the number of deliveries, or -errno.
 */
static int
scan(struct pw_manifests *m, bool force)
{
	struct file **old = m->files, **files;
	unsigned int i, j = 0, nb_old = m->nb_files, nb = 0, nb_names = 0;
	char **names = NULL;
	int ret, changes = 0;

	ret = list_dir(m, &names, &nb_names);
	if (ret != 0)
		return ret;
	files = calloc(nb_names ? nb_names : 1, sizeof(*files));
	if (files == NULL) {
		while (nb_names > 0)
			free(names[--nb_names]);
		free(names);
		return -ENOMEM;
	}
	/* Both lists are sorted: keep the records of names still there, add the new ones. */
	for (i = 0; i < nb_names; i++) {
		while (j < nb_old && strcmp(old[j]->name, names[i]) < 0)
			j++;
		if (j < nb_old && strcmp(old[j]->name, names[i]) == 0) {
			files[nb++] = old[j];
			old[j++] = NULL;
			free(names[i]);
		} else if ((files[nb] = new_file(names[i])) != NULL) {
			nb++;
		} else {
			/* Not tracked yet: the next scan tries again. */
			free(names[i]);
			ret = -ENOMEM;
		}
	}
	free(names);
	m->files = files;
	m->nb_files = nb;
	for (i = 0; i < nb; i++)
		files[i]->seen = true;
	for (i = 0; i < nb && ret == 0; i++) {
		bool dirty = m->all_dirty || json_object_get(m->dirty, files[i]->name) != NULL;
		int r = reload(m, files[i], force || dirty);

		if (r < 0)
			ret = r;
		else
			changes += r;
	}
	/* Files go last, so that a renamed file's objects move without a removal. */
	for (j = 0; j < nb_old; j++)
		if (old[j] != NULL)
			changes += drop_file(m, old[j]);
	free(old);
	for (i = 0, j = 0; i < nb; i++) {
		if (files[i]->seen)
			files[j++] = files[i];
		else
			changes += drop_file(m, files[i]);
	}
	m->nb_files = j;
	if (ret != 0)
		return ret;
	m->all_dirty = false;
	json_object_clear(m->dirty);
	return changes;
}

static void
run_batch(struct pw_manifests *m)
{
	int changes;

	m->busy = true;
	changes = scan(m, false);
	m->busy = false;
	if (changes > 0 && m->ops.synced != NULL)
		m->ops.synced(m->arg);
}

static void
on_timer(struct pw_evloop *loop, void *arg)
{
	struct pw_manifests *m = arg;
	uint64_t now = pw_evloop_now_ms();

	if (now - m->last_ms < DEBOUNCE_MS && now - m->first_ms < MAX_DELAY_MS)
		return;
	pw_evloop_del_timer(loop, m->timer);
	m->timer = 0;
	run_batch(m);
}

static void
note_event(struct pw_manifests *m, const struct inotify_event *ev)
{
	if (ev->mask & IN_Q_OVERFLOW)
		m->all_dirty = true;
	if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) && !m->dir_lost) {
		m->dir_lost = true;
		report(m, m->dir, 0, "directory deleted or moved: no longer watched");
	}
	if (ev->len == 0 || !wanted_name(ev->name))
		return;
	/* Names need not be UTF-8, hence _nocheck; the set only answers "was it named". */
	if (json_object_size(m->dirty) >= MAX_DIRTY ||
		json_object_set_new_nocheck(m->dirty, ev->name, json_true()) != 0)
		m->all_dirty = true;
}

static void
on_inotify(struct pw_evloop *loop, int fd, uint32_t events, void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct pw_manifests *m = arg;
	uint64_t now = pw_evloop_now_ms();
	int64_t id;
	ssize_t n;

	(void)events;
	for (;;) {
		const char *p;

		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			note_event(m, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	m->last_ms = now;
	if (m->timer != 0)
		return;
	m->first_ms = now;
	id = pw_evloop_add_timer(loop, DEBOUNCE_MS, on_timer, m);
	if (id > 0)
		m->timer = id;
	else
		run_batch(m); /* no memory for a timer: no coalescing either */
}

int
pw_manifests_create(const char *dir, const struct pw_manifests_ops *ops, void *arg,
	struct pw_evloop *loop, struct pw_manifests **ret)
{
	struct pw_manifests *m;
	struct stat st;
	int r;

	if (dir == NULL || ops == NULL || ops->object == NULL || ops->removed == NULL ||
		ret == NULL || strlen(dir) + NAME_MAX + 2 > PATH_MAX)
		return -EINVAL;
	if (stat(dir, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->ifd = -1;
	m->ops = *ops;
	m->arg = arg;
	m->dir = strdup(dir);
	m->dirty = json_object();
	m->refs = json_object();
	if (m->dir == NULL || m->dirty == NULL || m->refs == NULL) {
		r = -ENOMEM;
		goto err_free;
	}
	if (loop != NULL) {
		m->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (m->ifd < 0 || inotify_add_watch(m->ifd, dir, WATCH_MASK) < 0) {
			r = -errno;
			goto err_free;
		}
		r = pw_evloop_add_fd(loop, m->ifd, EPOLLIN, on_inotify, m);
		if (r != 0)
			goto err_free;
		m->loop = loop;
	}
	*ret = m;
	return 0;

err_free:
	pw_manifests_free(m);
	return r;
}

int
pw_manifests_scan(struct pw_manifests *m)
{
	int ret;

	if (m == NULL)
		return -EINVAL;
	if (m->busy)
		return -EBUSY;
	m->busy = true;
	ret = scan(m, true);
	m->busy = false;
	if (ret < 0)
		return ret;
	if (m->ops.synced != NULL)
		m->ops.synced(m->arg);
	return 0;
}

void
pw_manifests_free(struct pw_manifests *m)
{
	unsigned int i;

	if (m == NULL)
		return;
	if (m->loop != NULL) {
		if (m->timer != 0)
			pw_evloop_del_timer(m->loop, m->timer);
		pw_evloop_del_fd(m->loop, m->ifd);
	}
	if (m->ifd >= 0)
		close(m->ifd);
	for (i = 0; i < m->nb_files; i++)
		free_file(m->files[i]);
	free(m->files);
	json_decref(m->dirty);
	json_decref(m->refs);
	free(m->dir);
	free(m);
}
