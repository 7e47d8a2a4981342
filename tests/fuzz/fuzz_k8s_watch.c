/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the watch stream reader: arbitrary bytes go through the line splitter in
 * chunks whose sizes come from the first input byte, each line through the event decoder, and
 * the whole input through the list decoder. The lines must be the same whatever the chunking
 * (they are compared with a one-chunk feed), decoded events must satisfy their contract, and
 * nothing may crash, leak or trip a sanitizer. Replayed over corpus/k8s_watch/ by replay.c
 * under gcc.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/k8s/watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A small bound, so that oversized lines are reached without megabytes of input. */
#define FUZZ_MAX_LINE 512

struct collect {
	const struct pw_k8s_resource *res;
	uint64_t hash; /* of the lines seen, in order */
	unsigned int nb_lines;
};

static void
check_event(const struct pw_k8s_event *ev, const struct pw_k8s_resource *r)
{
	const char *kind, *api;

	switch (ev->type) {
	case PW_K8S_EV_ADDED:
	case PW_K8S_EV_MODIFIED:
	case PW_K8S_EV_DELETED:
		kind = json_string_value(json_object_get(ev->object, "kind"));
		api = json_string_value(json_object_get(ev->object, "apiVersion"));
		if (kind == NULL || strcmp(kind, r->kind) != 0 || api == NULL ||
			strcmp(api, r->api_version) != 0 || ev->name == NULL ||
			ev->name[0] == '\0' || ev->ns == NULL ||
			(r->namespaced && ev->ns[0] == '\0') ||
			(!r->namespaced && ev->ns[0] != '\0') || ev->rv == NULL ||
			strlen(ev->name) > PW_K8S_MAX_NAME || strlen(ev->ns) > PW_K8S_MAX_NS)
			abort();
		break;
	case PW_K8S_EV_BOOKMARK:
		if (ev->object != NULL || ev->rv == NULL || ev->rv[0] == '\0')
			abort();
		break;
	case PW_K8S_EV_ERROR: {
		char buf[PW_K8S_ERR_LEN];

		if (ev->object != NULL)
			abort();
		pw_k8s_status_describe(&ev->status, buf, sizeof(buf));
		(void)pw_k8s_status_is_gone(&ev->status);
		break;
	}
	default:
		abort();
	}
}

static int
on_line(void *arg, const char *line, size_t len)
{
	struct collect *c = arg;
	struct pw_k8s_event ev;
	char err[PW_K8S_ERR_LEN];
	size_t i;
	int r;

	if (len == 0 || len > FUZZ_MAX_LINE || memchr(line, '\n', len) != NULL)
		abort();
	for (i = 0; i < len; i++)
		c->hash = c->hash * 1099511628211u + (uint8_t)line[i];
	c->hash = c->hash * 31 + len;
	c->nb_lines++;
	r = pw_k8s_event_decode(line, len, c->res, &ev, err, sizeof(err));
	if (r == 0) {
		check_event(&ev, c->res);
		pw_k8s_event_clear(&ev);
	} else if (r != -EINVAL && r != -ENOMEM) {
		abort();
	} else if (memchr(err, '\n', strlen(err)) != NULL || err[0] == '\0') {
		abort();
	}
	return 0;
}

/* Feed @p data in chunks of sizes taken from @p seed; returns the feed result. */
static int
feed(const uint8_t *data, size_t size, uint8_t seed, struct collect *c)
{
	struct pw_k8s_lines ls;
	size_t off = 0;
	int r = 0;

	pw_k8s_lines_init(&ls, FUZZ_MAX_LINE);
	while (off < size && r == 0) {
		size_t n = seed == 0 ? size - off : 1 + (seed + off * 7) % (seed % 61 + 1);

		if (n > size - off)
			n = size - off;
		r = pw_k8s_lines_feed(&ls, (const char *)data + off, n, on_line, c);
		off += n;
	}
	if (r == 0)
		r = pw_k8s_lines_finish(&ls, on_line, c);
	pw_k8s_lines_free(&ls);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct collect whole = { 0 }, chunked = { 0 };
	struct pw_k8s_list_page page;
	char err[PW_K8S_ERR_LEN];
	uint8_t seed;
	int r1, r2;

	if (size == 0)
		return 0;
	seed = data[0];
	data++;
	size--;
	whole.res = chunked.res = &pw_k8s_resources[seed % PW_K8S_NB_RES];
	r1 = feed(data, size, 0, &whole);
	r2 = feed(data, size, seed, &chunked);
	/* Up to an oversized line, if any, both saw the same lines. */
	if (r1 != r2 || whole.nb_lines != chunked.nb_lines || whole.hash != chunked.hash)
		abort();
	if (r1 != 0 && r1 != -EMSGSIZE)
		abort();

	if (pw_k8s_list_decode((const char *)data, size, whole.res, &page, err, sizeof(err)) == 0) {
		if (page.rv == NULL || page.items == NULL ||
			page.nb_items != json_array_size(page.items))
			abort();
		pw_k8s_list_page_clear(&page);
	}
	return 0;
}
