/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the manifests source on a temporary directory: a full scan of a mix of files
 * (multi-document YAML, Lists, JSON, bad documents, files to skip), then live updates through
 * a real event loop (create, edit, delete, atomic rename, a ConfigMap-style symlink swap, a
 * burst of writes), the fail-static and several-files rules, and the error codes. Waits are
 * bounded (1 s per expected update) so that a bug fails instead of hanging.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <jansson.h>

#include "control/evloop.h"
#include "control/manifests.h"

#define MAX_EVENTS 256
#define WAIT_MS 1000

/* Everything the source reported, in order. */
struct rec {
	unsigned int nb_objects;
	char objects[MAX_EVENTS][160]; /* "kind/ns/name@file:line" (file without directory) */
	json_t *last;		       /* the last object delivered */
	unsigned int nb_removed;
	char removed[MAX_EVENTS][128]; /* "kind/ns/name" */
	unsigned int nb_errors;
	char errors[MAX_EVENTS][384]; /* "file:line: msg" */
	unsigned int nb_synced;
};

struct fixture {
	char dir[64];
	struct rec rec;
	struct pw_evloop *loop;
	struct pw_manifests *m;
};

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

static void
on_object(void *arg, const json_t *obj, const char *file, unsigned int line)
{
	struct rec *r = arg;
	json_t *meta = json_object_get(obj, "metadata");

	assert_true(r->nb_objects < MAX_EVENTS);
	snprintf(r->objects[r->nb_objects++], sizeof(r->objects[0]), "%s/%s/%s@%s:%u",
		json_string_value(json_object_get(obj, "kind")),
		json_string_value(json_object_get(meta, "namespace")),
		json_string_value(json_object_get(meta, "name")), base(file), line);
	json_decref(r->last);
	r->last = json_deep_copy(obj);
}

static void
on_removed(void *arg, const char *kind, const char *ns, const char *name)
{
	struct rec *r = arg;

	assert_true(r->nb_removed < MAX_EVENTS);
	snprintf(r->removed[r->nb_removed++], sizeof(r->removed[0]), "%s/%s/%s", kind, ns, name);
}

static void
on_error(void *arg, const char *file, unsigned int line, const char *msg)
{
	struct rec *r = arg;

	assert_true(r->nb_errors < MAX_EVENTS);
	assert_null(strchr(msg, '\n'));
	snprintf(r->errors[r->nb_errors++], sizeof(r->errors[0]), "%s:%u: %s", base(file), line,
		msg);
}

static void
on_synced(void *arg)
{
	struct rec *r = arg;

	r->nb_synced++;
}

static const struct pw_manifests_ops ops = {
	.object = on_object,
	.removed = on_removed,
	.error = on_error,
	.synced = on_synced,
};

static void
rec_reset(struct rec *r)
{
	json_decref(r->last);
	memset(r, 0, sizeof(*r));
}

static bool
has(char (*list)[160], unsigned int nb, const char *want)
{
	unsigned int i;

	for (i = 0; i < nb; i++)
		if (strcmp(list[i], want) == 0)
			return true;
	return false;
}

static void
assert_object(const struct rec *r, const char *want)
{
	if (!has((char(*)[160])r->objects, r->nb_objects, want))
		fail_msg("object %s not delivered (%u delivered)", want, r->nb_objects);
}

static void
assert_removed(const struct rec *r, const char *want)
{
	unsigned int i;

	for (i = 0; i < r->nb_removed; i++)
		if (strcmp(r->removed[i], want) == 0)
			return;
	fail_msg("removal of %s not delivered (%u delivered)", want, r->nb_removed);
}

static void
assert_error(const struct rec *r, const char *prefix)
{
	unsigned int i;

	for (i = 0; i < r->nb_errors; i++)
		if (strncmp(r->errors[i], prefix, strlen(prefix)) == 0)
			return;
	fail_msg("no error starting with '%s' (%u errors, first: %s)", prefix, r->nb_errors,
		r->nb_errors ? r->errors[0] : "-");
}

static void
write_file(const struct fixture *f, const char *name, const char *content)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	assert_int_equal(fwrite(content, 1, strlen(content), fp), strlen(content));
	assert_int_equal(fclose(fp), 0);
}

/* Writes a temporary file, then renames it over @p name, as atomic-save editors do. */
static void
write_atomic(const struct fixture *f, const char *name, const char *content)
{
	char from[128], to[128];

	write_file(f, ".tmp-save", content);
	snprintf(from, sizeof(from), "%s/.tmp-save", f->dir);
	snprintf(to, sizeof(to), "%s/%s", f->dir, name);
	assert_int_equal(rename(from, to), 0);
}

static void
remove_file(const struct fixture *f, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(unlink(path), 0);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Runs the loop until @p nb_synced batches were delivered; fails after WAIT_MS. */
static void
wait_synced(struct fixture *f, unsigned int nb_synced)
{
	uint64_t deadline = mono_ms() + WAIT_MS;

	while (f->rec.nb_synced < nb_synced) {
		if (mono_ms() > deadline)
			fail_msg("no update within %d ms", WAIT_MS);
		assert_true(pw_evloop_run_once(f->loop, 10) >= 0);
	}
}

/* Runs the loop for @p ms, to show that nothing (more) arrives. */
static void
run_for(struct fixture *f, unsigned int ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end)
		assert_true(pw_evloop_run_once(f->loop, 5) >= 0);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/pw-manifests-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(pw_evloop_create(&f->loop), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	pw_manifests_free(f->m);
	pw_evloop_free(f->loop);
	rec_reset(&f->rec);
	/* The directory holds only what the tests wrote. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_scan(void **state)
{
	struct fixture *f = *state;
	char path[128];

	write_file(f, "a.yaml",
		"# policies\n"
		"apiVersion: networking.k8s.io/v1\n"
		"kind: NetworkPolicy\n"
		"metadata: {name: np1, namespace: prod}\n"
		"---\n"
		"kind: Pod\n"
		"metadata:\n"
		"  name: p1\n"
		"---\n"
		"kind: [broken\n"
		"---\n"
		"kind: Namespace\n"
		"metadata: {name: prod, namespace: ignored}\n"
		"---\n");
	write_file(f, "b.yml",
		"apiVersion: v1\n"
		"kind: List\n"
		"items:\n"
		"- kind: NetworkPolicy\n"
		"  metadata: {name: np2, namespace: prod}\n"
		"- 42\n"
		"- kind: Pod\n"
		"  metadata: {name: p2, namespace: dev}\n");
	write_file(f, "c.json",
		"{\"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"np3\", \"namespace\": "
		"\"x\"}}\n"
		"{\"kind\": \"NetworkPolicyList\", \"items\": [\n"
		"  {\"kind\": \"NetworkPolicy\", \"metadata\": {\"name\": \"np4\"}}]}\n");
	write_file(f, "d.yaml",
		"- not a mapping\n"
		"---\n"
		"metadata: {name: nokind}\n"
		"---\n"
		"kind: Pod\n"
		"metadata: {namespace: x}\n"
		"---\n"
		"kind: Pod\n"
		"metadata: {name: dup, labels: {v: '1'}}\n"
		"---\n"
		"kind: Pod\n"
		"metadata: {name: dup, labels: {v: '2'}}\n");
	write_file(f, "e.json",
		"{\"kind\": \"Pod\",\n \"metadata\": {\"name\": \"x\",\n \"name\": 1}}");
	/* None of these is read. */
	write_file(f, ".hidden.yaml", "kind: Pod\nmetadata: {name: hidden}\n");
	write_file(f, ".#a.yaml", "kind: Pod\nmetadata: {name: lock}\n");
	write_file(f, "a.yaml~", "kind: Pod\nmetadata: {name: backup}\n");
	write_file(f, ".a.yaml.swp", "kind: Pod\nmetadata: {name: swap}\n");
	write_file(f, "#a.yaml#", "kind: Pod\nmetadata: {name: autosave}\n");
	write_file(f, "notes.txt", "kind: Pod\nmetadata: {name: txt}\n");
	write_file(f, "UPPER.YAML", "kind: Pod\nmetadata: {name: upper}\n");
	snprintf(path, sizeof(path), "%s/dir.yaml", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);

	assert_int_equal(pw_manifests_create(f->dir, &ops, &f->rec, NULL, &f->m), 0);
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_int_equal(f->rec.nb_synced, 1);
	assert_int_equal(f->rec.nb_removed, 0);
	assert_object(&f->rec, "NetworkPolicy/prod/np1@a.yaml:2");
	assert_object(&f->rec, "Pod/default/p1@a.yaml:6");
	/* Cluster-scoped: no namespace in the identity, whatever metadata says. */
	assert_object(&f->rec, "Namespace/ignored/prod@a.yaml:12");
	assert_object(&f->rec, "NetworkPolicy/prod/np2@b.yml:4");
	assert_object(&f->rec, "Pod/dev/p2@b.yml:7");
	assert_object(&f->rec, "NetworkPolicy/x/np3@c.json:1");
	assert_object(&f->rec, "NetworkPolicy/default/np4@c.json:2");
	assert_object(&f->rec, "Pod/default/dup@d.yaml:11");
	assert_int_equal(f->rec.nb_objects, 8);
	assert_error(&f->rec, "a.yaml:10: did not find expected ',' or ']'");
	assert_error(&f->rec, "b.yml:6: items[1]: a manifest must be a mapping, found a scalar");
	assert_error(&f->rec, "d.yaml:1: a manifest must be a mapping, found a list");
	assert_error(&f->rec, "d.yaml:3: no kind");
	assert_error(&f->rec, "d.yaml:5: Pod without metadata.name");
	assert_error(&f->rec, "e.json:3: duplicate object key");
	assert_int_equal(f->rec.nb_errors, 6);
	/* The default namespace is written into the object. */
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(f->rec.last, "metadata"), "namespace")),
		"default");

	/* A rescan with nothing changed delivers nothing but synced (and the same errors). */
	rec_reset(&f->rec);
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_int_equal(f->rec.nb_objects, 0);
	assert_int_equal(f->rec.nb_removed, 0);
	assert_int_equal(f->rec.nb_synced, 1);
	assert_int_equal(f->rec.nb_errors, 6);

	/* Without a loop nothing is watched: changes wait for the next scan. */
	rec_reset(&f->rec);
	remove_file(f, "b.yml");
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_int_equal(f->rec.nb_removed, 2);
	assert_removed(&f->rec, "NetworkPolicy/prod/np2");
	assert_removed(&f->rec, "Pod/dev/p2");
	remove_file(f, "a.yaml");
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_removed(&f->rec, "Namespace//prod");
	assert_removed(&f->rec, "Pod/default/p1");
}

static void
test_watch(void **state)
{
	struct fixture *f = *state;
	uint64_t t0;
	unsigned int i;

	assert_int_equal(pw_manifests_create(f->dir, &ops, &f->rec, f->loop, &f->m), 0);
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_int_equal(f->rec.nb_synced, 1);
	assert_int_equal(f->rec.nb_objects, 0);

	/* Create: delivered within the wait (in practice a few ms). */
	t0 = mono_ms();
	write_file(f, "pol.yaml",
		"kind: NetworkPolicy\nmetadata: {name: a}\n---\n"
		"kind: NetworkPolicy\nmetadata: {name: b}\n");
	wait_synced(f, 2);
	assert_true(mono_ms() - t0 < WAIT_MS);
	assert_int_equal(f->rec.nb_objects, 2);
	assert_object(&f->rec, "NetworkPolicy/default/a@pol.yaml:1");
	assert_object(&f->rec, "NetworkPolicy/default/b@pol.yaml:4");

	/* Edit: b goes, a changes. */
	rec_reset(&f->rec);
	write_file(f, "pol.yaml", "kind: NetworkPolicy\nmetadata: {name: a, labels: {x: y}}\n");
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_objects, 1);
	assert_object(&f->rec, "NetworkPolicy/default/a@pol.yaml:1");
	assert_int_equal(f->rec.nb_removed, 1);
	assert_removed(&f->rec, "NetworkPolicy/default/b");

	/* Atomic rename over the file: a change, never a removal. */
	rec_reset(&f->rec);
	write_atomic(f, "pol.yaml", "kind: NetworkPolicy\nmetadata: {name: a, labels: {x: z}}\n");
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_removed, 0);
	assert_int_equal(f->rec.nb_objects, 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(f->rec.last, "metadata"), "labels"), "x")),
		"z");

	/* Rename to a new name: the objects move without a removal. */
	rec_reset(&f->rec);
	{
		char from[128], to[128];

		snprintf(from, sizeof(from), "%s/pol.yaml", f->dir);
		snprintf(to, sizeof(to), "%s/renamed.yaml", f->dir);
		assert_int_equal(rename(from, to), 0);
	}
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_removed, 0);
	assert_object(&f->rec, "NetworkPolicy/default/a@renamed.yaml:1");

	/* A burst of writes is coalesced, and the last content wins. */
	rec_reset(&f->rec);
	for (i = 0; i < 50; i++) {
		char text[128];

		snprintf(text, sizeof(text),
			"kind: Pod\nmetadata: {name: burst, labels: {n: '%u'}}\n", i);
		write_file(f, "burst.yaml", text);
	}
	wait_synced(f, 1);
	run_for(f, 50);
	assert_true(f->rec.nb_synced <= 3);
	assert_true(f->rec.nb_objects <= 3);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(f->rec.last, "metadata"), "labels"), "n")),
		"49");

	/* Writes interleaved with loop iterations are coalesced by the debounce. */
	rec_reset(&f->rec);
	for (i = 0; i < 20; i++) {
		char text[128];

		snprintf(text, sizeof(text),
			"kind: Pod\nmetadata: {name: burst, labels: {n: '%u'}}\n", 100 + i);
		write_file(f, "burst.yaml", text);
		assert_true(pw_evloop_run_once(f->loop, 0) >= 0);
	}
	wait_synced(f, 1);
	run_for(f, 50);
	assert_true(f->rec.nb_synced <= 10);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(f->rec.last, "metadata"), "labels"), "n")),
		"119");

	/* Delete: every object of the file goes. Skipped names trigger nothing. */
	rec_reset(&f->rec);
	remove_file(f, "renamed.yaml");
	remove_file(f, "burst.yaml");
	wait_synced(f, 1);
	run_for(f, 20);
	assert_int_equal(f->rec.nb_removed, 2);
	assert_removed(&f->rec, "NetworkPolicy/default/a");
	assert_removed(&f->rec, "Pod/default/burst");
	rec_reset(&f->rec);
	write_file(f, ".hidden.yaml", "kind: Pod\nmetadata: {name: hidden}\n");
	write_file(f, "x.yaml~", "kind: Pod\nmetadata: {name: backup}\n");
	run_for(f, 30);
	assert_int_equal(f->rec.nb_synced, 0);
	assert_int_equal(f->rec.nb_objects, 0);
}

/* A ConfigMap volume: files are symlinks through "..data", which is swapped atomically. */
static void
test_configmap_swap(void **state)
{
	struct fixture *f = *state;
	char path[128], target[128];

	snprintf(path, sizeof(path), "%s/..v1", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file(f, "..v1/pol.yaml",
		"kind: NetworkPolicy\nmetadata: {name: cm, labels: {v: '1'}}\n");
	snprintf(path, sizeof(path), "%s/..data", f->dir);
	assert_int_equal(symlink("..v1", path), 0);
	snprintf(path, sizeof(path), "%s/pol.yaml", f->dir);
	assert_int_equal(symlink("..data/pol.yaml", path), 0);

	assert_int_equal(pw_manifests_create(f->dir, &ops, &f->rec, f->loop, &f->m), 0);
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_object(&f->rec, "NetworkPolicy/default/cm@pol.yaml:1");

	rec_reset(&f->rec);
	snprintf(path, sizeof(path), "%s/..v2", f->dir);
	assert_int_equal(mkdir(path, 0700), 0);
	write_file(f, "..v2/pol.yaml",
		"kind: NetworkPolicy\nmetadata: {name: cm, labels: {v: '2'}}\n");
	snprintf(path, sizeof(path), "%s/..data_tmp", f->dir);
	assert_int_equal(symlink("..v2", path), 0);
	snprintf(target, sizeof(target), "%s/..data", f->dir);
	assert_int_equal(rename(path, target), 0);
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_removed, 0);
	assert_int_equal(f->rec.nb_objects, 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_object_get(json_object_get(f->rec.last, "metadata"), "labels"), "v")),
		"2");
}

/* A file that breaks keeps its objects; one that is fixed or deleted loses them. */
static void
test_fail_static(void **state)
{
	struct fixture *f = *state;

	write_file(f, "p.yaml",
		"kind: NetworkPolicy\nmetadata: {name: one}\n---\n"
		"kind: NetworkPolicy\nmetadata: {name: two}\n");
	assert_int_equal(pw_manifests_create(f->dir, &ops, &f->rec, f->loop, &f->m), 0);
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_int_equal(f->rec.nb_objects, 2);

	/* "two" is now broken mid-edit: reported, kept; "one" changed: delivered. */
	rec_reset(&f->rec);
	write_file(f, "p.yaml",
		"kind: NetworkPolicy\nmetadata: {name: one, labels: {a: b}}\n---\n"
		"kind: NetworkPolicy\nmetadata: {name: two\n");
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_removed, 0);
	assert_int_equal(f->rec.nb_objects, 1);
	assert_error(&f->rec, "p.yaml:5: ");

	/* Unreadable: reported, kept. */
	rec_reset(&f->rec);
	if (geteuid() != 0) {
		char path[128];

		snprintf(path, sizeof(path), "%s/p.yaml", f->dir);
		assert_int_equal(chmod(path, 0), 0);
		wait_synced(f, 0);
		run_for(f, 30);
		assert_error(&f->rec, "p.yaml:0: cannot read: Permission denied");
		assert_int_equal(f->rec.nb_removed, 0);
		assert_int_equal(chmod(path, 0600), 0);
		run_for(f, 30);
		rec_reset(&f->rec);
	}

	/* Fixed without "two": now it goes. */
	write_file(f, "p.yaml", "kind: NetworkPolicy\nmetadata: {name: one, labels: {a: b}}\n");
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_removed, 1);
	assert_removed(&f->rec, "NetworkPolicy/default/two");
	assert_int_equal(f->rec.nb_objects, 0);
}

/* One object in two files: removed only when neither has it. */
static void
test_two_files(void **state)
{
	struct fixture *f = *state;

	write_file(f, "a.yaml", "kind: Pod\nmetadata: {name: same, labels: {from: a}}\n");
	write_file(f, "b.yaml", "kind: Pod\nmetadata: {name: same, labels: {from: b}}\n");
	assert_int_equal(pw_manifests_create(f->dir, &ops, &f->rec, f->loop, &f->m), 0);
	assert_int_equal(pw_manifests_scan(f->m), 0);
	/* Both delivered in name order: the last one wins. */
	assert_int_equal(f->rec.nb_objects, 2);
	assert_object(&f->rec, "Pod/default/same@b.yaml:1");

	rec_reset(&f->rec);
	remove_file(f, "b.yaml");
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_removed, 0);
	assert_int_equal(f->rec.nb_objects, 1);
	assert_object(&f->rec, "Pod/default/same@a.yaml:1");

	rec_reset(&f->rec);
	remove_file(f, "a.yaml");
	wait_synced(f, 1);
	assert_int_equal(f->rec.nb_removed, 1);
	assert_removed(&f->rec, "Pod/default/same");
}

static void
test_limits_and_errors(void **state)
{
	struct fixture *f = *state;
	const struct pw_manifests_ops no_removed = { .object = on_object };
	struct pw_manifests *m = NULL;
	char path[128];
	int fd;

	assert_int_equal(pw_manifests_create("/nonexistent/pw", &ops, NULL, NULL, &m), -ENOENT);
	assert_int_equal(pw_manifests_create("/dev/null", &ops, NULL, NULL, &m), -ENOTDIR);
	assert_int_equal(pw_manifests_create(f->dir, &no_removed, NULL, NULL, &m), -EINVAL);
	assert_int_equal(pw_manifests_create(NULL, &ops, NULL, NULL, &m), -EINVAL);
	assert_null(m);
	assert_int_equal(pw_manifests_scan(NULL), -EINVAL);
	pw_manifests_free(NULL);

	/* Over the size cap: reported with line 0, nothing read. A sparse file costs no disk. */
	snprintf(path, sizeof(path), "%s/big.yaml", f->dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, PW_MANIFESTS_MAX_FILE_SIZE + 1), 0);
	close(fd);
	write_file(f, "empty.yaml", "");
	assert_int_equal(pw_manifests_create(f->dir, &ops, &f->rec, NULL, &f->m), 0);
	assert_int_equal(pw_manifests_scan(f->m), 0);
	assert_int_equal(f->rec.nb_errors, 1);
	assert_error(&f->rec, "big.yaml:0: larger than 16777216 bytes");
	assert_int_equal(f->rec.nb_objects, 0);
	assert_int_equal(f->rec.nb_synced, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_configmap_swap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_static, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits_and_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
