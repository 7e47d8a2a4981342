/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the Kubernetes client's pure parts: the watch line splitter (every split point
 * of a sample stream, oversized lines), event and list decoding (each type, missing fields,
 * bad JSON), Status reading and 410 detection, the backoff schedule, URL escaping, base64,
 * kubeconfig parsing and credential resolution, token file rotation. Then the source itself
 * on an event loop against a closed port: it reports the failure, backs off, and never shows
 * its token.
 */
#include <errno.h>
#include <fcntl.h>
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
#include "control/k8s/auth.h"
#include "control/k8s/client.h"
#include "control/k8s/watch.h"

static const struct pw_k8s_resource *const pods = &pw_k8s_resources[PW_K8S_RES_PODS];
static const struct pw_k8s_resource *const nss = &pw_k8s_resources[PW_K8S_RES_NAMESPACES];
static const struct pw_k8s_resource *const pols = &pw_k8s_resources[PW_K8S_RES_POLICIES];

/* Line splitter */

struct lines_rec {
	char text[4096]; /* lines joined by '|' */
	unsigned int nb;
	int stop_at; /* return -42 on this line (1-based), 0: never */
};

static int
rec_line(void *arg, const char *line, size_t len)
{
	struct lines_rec *r = arg;
	size_t n = strlen(r->text);

	assert_true(len > 0);
	assert_null(memchr(line, '\n', len));
	assert_true(n + len + 2 < sizeof(r->text));
	memcpy(r->text + n, line, len);
	r->text[n + len] = '|';
	r->text[n + len + 1] = '\0';
	r->nb++;
	return r->stop_at != 0 && (int)r->nb == r->stop_at ? -42 : 0;
}

static const char sample_stream[] = "{\"type\":\"ADDED\",\"object\":{}}\n"
				    "\n"
				    "{\"type\":\"BOOKMARK\"}\r\n"
				    "x\n"
				    "\r\n"
				    "{\"type\":\"DELETED\",\"object\":{\"a\":\"b\"}}\n"
				    "last-without-newline";
static const char sample_lines[] = "{\"type\":\"ADDED\",\"object\":{}}|{\"type\":\"BOOKMARK\"}|x|"
				   "{\"type\":\"DELETED\",\"object\":{\"a\":\"b\"}}|"
				   "last-without-newline|";

static void
feed_split(const char *data, size_t len, const size_t *cuts, unsigned int nb_cuts, size_t max,
	struct lines_rec *r)
{
	struct pw_k8s_lines ls;
	size_t off = 0;
	unsigned int i;

	pw_k8s_lines_init(&ls, max);
	for (i = 0; i <= nb_cuts; i++) {
		size_t end = i < nb_cuts ? cuts[i] : len;

		assert_int_equal(pw_k8s_lines_feed(&ls, data + off, end - off, rec_line, r), 0);
		off = end;
	}
	assert_int_equal(pw_k8s_lines_finish(&ls, rec_line, r), 0);
	assert_int_equal(ls.len, 0);
	pw_k8s_lines_free(&ls);
}

static void
test_lines_every_split(void **state)
{
	size_t len = strlen(sample_stream), cuts[2];
	struct lines_rec r;

	(void)state;
	/* One chunk, then every single split point, then every pair of split points. */
	memset(&r, 0, sizeof(r));
	feed_split(sample_stream, len, NULL, 0, 0, &r);
	assert_string_equal(r.text, sample_lines);
	for (cuts[0] = 0; cuts[0] <= len; cuts[0]++) {
		memset(&r, 0, sizeof(r));
		feed_split(sample_stream, len, cuts, 1, 0, &r);
		assert_string_equal(r.text, sample_lines);
		for (cuts[1] = cuts[0]; cuts[1] <= len; cuts[1]++) {
			memset(&r, 0, sizeof(r));
			feed_split(sample_stream, len, cuts, 2, 64, &r);
			assert_string_equal(r.text, sample_lines);
		}
	}
	/* Byte by byte. */
	{
		struct pw_k8s_lines ls;
		size_t i;

		memset(&r, 0, sizeof(r));
		pw_k8s_lines_init(&ls, 0);
		assert_int_equal(ls.max, PW_K8S_MAX_LINE);
		for (i = 0; i < len; i++)
			assert_int_equal(
				pw_k8s_lines_feed(&ls, sample_stream + i, 1, rec_line, &r), 0);
		assert_int_equal(pw_k8s_lines_finish(&ls, rec_line, &r), 0);
		assert_string_equal(r.text, sample_lines);
		pw_k8s_lines_free(&ls);
	}
}

static void
test_lines_oversized(void **state)
{
	struct pw_k8s_lines ls;
	struct lines_rec r;
	size_t i;

	(void)state;
	/* Exactly the bound passes, with or without "\r"; one more byte fails. */
	memset(&r, 0, sizeof(r));
	pw_k8s_lines_init(&ls, 8);
	assert_int_equal(pw_k8s_lines_feed(&ls, "12345678\n123\r5678\r\n", 19, rec_line, &r), 0);
	assert_string_equal(r.text, "12345678|123\r5678|");
	assert_int_equal(pw_k8s_lines_feed(&ls, "123456789\n", 10, rec_line, &r), -EMSGSIZE);
	pw_k8s_lines_reset(&ls);
	/* The same, held across chunks. */
	for (i = 0; i < 8; i++)
		assert_int_equal(pw_k8s_lines_feed(&ls, "a", 1, rec_line, &r), 0);
	assert_int_equal(pw_k8s_lines_feed(&ls, "\r", 1, rec_line, &r), 0);
	assert_int_equal(pw_k8s_lines_feed(&ls, "\n", 1, rec_line, &r), 0);
	assert_string_equal(r.text, "12345678|123\r5678|aaaaaaaa|");
	for (i = 0; i < 9; i++)
		assert_int_equal(pw_k8s_lines_feed(&ls, "b", 1, rec_line, &r), 0);
	assert_int_equal(pw_k8s_lines_feed(&ls, "b", 1, rec_line, &r), -EMSGSIZE);
	assert_int_equal(ls.len, 0);
	/* Nine bytes and a newline, held: refused at the newline. */
	for (i = 0; i < 9; i++)
		assert_int_equal(pw_k8s_lines_feed(&ls, "c", 1, rec_line, &r), 0);
	assert_int_equal(pw_k8s_lines_feed(&ls, "\n", 1, rec_line, &r), -EMSGSIZE);
	/* An oversized last line without "\n". */
	pw_k8s_lines_reset(&ls);
	assert_int_equal(pw_k8s_lines_feed(&ls, "123456789", 9, rec_line, &r), 0);
	assert_int_equal(pw_k8s_lines_finish(&ls, rec_line, &r), -EMSGSIZE);
	/* Still usable after a reset. */
	assert_int_equal(pw_k8s_lines_feed(&ls, "ok\n", 3, rec_line, &r), 0);
	assert_string_equal(r.text, "12345678|123\r5678|aaaaaaaa|ok|");
	/* The buffer never grew past the bound (plus the "\r"). */
	assert_true(ls.cap <= 9);
	pw_k8s_lines_free(&ls);

	/* A callback can stop the stream. */
	memset(&r, 0, sizeof(r));
	r.stop_at = 2;
	pw_k8s_lines_init(&ls, 0);
	assert_int_equal(pw_k8s_lines_feed(&ls, "a\nb\nc\n", 6, rec_line, &r), -42);
	assert_string_equal(r.text, "a|b|");
	pw_k8s_lines_free(&ls);
}

/* Events */

static int
decode(const char *line, const struct pw_k8s_resource *res, struct pw_k8s_event *ev, char *err)
{
	return pw_k8s_event_decode(line, strlen(line), res, ev, err, PW_K8S_ERR_LEN);
}

static void
test_event_types(void **state)
{
	struct pw_k8s_event ev;
	char err[PW_K8S_ERR_LEN];

	(void)state;
	assert_int_equal(decode("{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"web\","
				"\"namespace\":\"prod\",\"resourceVersion\":\"7\"},"
				"\"spec\":{}}}",
				 pods, &ev, err),
		0);
	assert_int_equal(ev.type, PW_K8S_EV_ADDED);
	assert_string_equal(ev.ns, "prod");
	assert_string_equal(ev.name, "web");
	assert_string_equal(ev.rv, "7");
	/* Filled in: the decoder downstream needs them. */
	assert_string_equal(json_string_value(json_object_get(ev.object, "kind")), "Pod");
	assert_string_equal(json_string_value(json_object_get(ev.object, "apiVersion")), "v1");
	pw_k8s_event_clear(&ev);

	assert_int_equal(decode("{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"NetworkPolicy\","
				"\"apiVersion\":\"networking.k8s.io/v1\",\"metadata\":{\"name\":"
				"\"p\",\"namespace\":\"a\",\"resourceVersion\":\"9\"}}}",
				 pols, &ev, err),
		0);
	assert_int_equal(ev.type, PW_K8S_EV_MODIFIED);
	pw_k8s_event_clear(&ev);

	/* Cluster-scoped: the namespace is "" even if the object says otherwise. */
	assert_int_equal(decode("{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"ns1\","
				"\"resourceVersion\":\"10\"}}}",
				 nss, &ev, err),
		0);
	assert_int_equal(ev.type, PW_K8S_EV_DELETED);
	assert_string_equal(ev.ns, "");
	assert_string_equal(json_string_value(json_object_get(ev.object, "kind")), "Namespace");
	pw_k8s_event_clear(&ev);

	assert_int_equal(decode("{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":"
				"{\"resourceVersion\":\"12345\"}}}",
				 pods, &ev, err),
		0);
	assert_int_equal(ev.type, PW_K8S_EV_BOOKMARK);
	assert_string_equal(ev.rv, "12345");
	assert_null(ev.object);
	pw_k8s_event_clear(&ev);

	assert_int_equal(decode("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,"
				"\"reason\":\"Expired\",\"message\":\"too old resource version: "
				"1 (5)\"}}",
				 pods, &ev, err),
		0);
	assert_int_equal(ev.type, PW_K8S_EV_ERROR);
	assert_int_equal(ev.status.code, 410);
	assert_true(pw_k8s_status_is_gone(&ev.status));
	pw_k8s_status_describe(&ev.status, err, sizeof(err));
	assert_string_equal(err, "410 Expired: too old resource version: 1 (5)");
	pw_k8s_event_clear(&ev);

	/* Older servers: the message alone says it. A 500 is not "gone". */
	assert_int_equal(decode("{\"type\":\"ERROR\",\"object\":{\"code\":500,\"message\":\"too "
				"old resource version: 3\"}}",
				 pods, &ev, err),
		0);
	assert_true(pw_k8s_status_is_gone(&ev.status));
	pw_k8s_event_clear(&ev);
	assert_int_equal(decode("{\"type\":\"ERROR\",\"object\":{\"code\":500,\"reason\":"
				"\"InternalError\"}}",
				 pods, &ev, err),
		0);
	assert_false(pw_k8s_status_is_gone(&ev.status));
	pw_k8s_event_clear(&ev);
	assert_int_equal(
		decode("{\"type\":\"ERROR\",\"object\":{\"reason\":\"Gone\"}}", pods, &ev, err), 0);
	assert_true(pw_k8s_status_is_gone(&ev.status));
	pw_k8s_event_clear(&ev);
	assert_int_equal(decode("{\"type\":\"ERROR\",\"object\":{}}", pods, &ev, err), 0);
	pw_k8s_status_describe(&ev.status, err, sizeof(err));
	assert_string_equal(err, "an empty Status");
	pw_k8s_event_clear(&ev);
}

static void
test_event_bad(void **state)
{
	static const struct {
		const char *line;
		const struct pw_k8s_resource *res;
		const char *err; /* a substring of the message */
	} cases[] = {
		{ "{\"type\":\"ADDED\",", NULL, "bad JSON" },
		{ "not json", NULL, "bad JSON" },
		{ "[1,2]", NULL, "not a JSON object" },
		{ "{\"object\":{}}", NULL, "without a type" },
		{ "{\"type\":7,\"object\":{}}", NULL, "without a type" },
		{ "{\"type\":\"SYNC\",\"object\":{}}", NULL, "unknown type 'SYNC'" },
		{ "{\"type\":\"ADDED\"}", NULL, "without an object" },
		{ "{\"type\":\"ADDED\",\"object\":[]}", NULL, "without an object" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"namespace\":\"a\","
		  "\"resourceVersion\":\"1\"}}}",
			NULL, "without a valid metadata.name" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"namespace\":"
		  "\"a\"}}}",
			NULL, "resourceVersion" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\","
		  "\"resourceVersion\":\"1\"}}}",
			NULL, "namespace" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a/"
		  "b\",\"namespace\":\"a\","
		  "\"resourceVersion\":\"1\"}}}",
			NULL, "metadata.name" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"\",\"namespace\":\"a\","
		  "\"resourceVersion\":\"1\"}}}",
			NULL, "metadata.name" },
		{ "{\"type\":\"ADDED\",\"object\":{\"kind\":\"Service\",\"metadata\":{\"name\":"
		  "\"a\","
		  "\"namespace\":\"a\",\"resourceVersion\":\"1\"}}}",
			NULL, "a Service where a Pod was expected" },
		{ "{\"type\":\"ADDED\",\"object\":{\"apiVersion\":\"v2\",\"metadata\":{\"name\":"
		  "\"a\","
		  "\"namespace\":\"a\",\"resourceVersion\":\"1\"}}}",
			NULL, "apiVersion v2" },
		{ "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{}}}", NULL, "BOOKMARK" },
		{ "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":5}}}", NULL,
			"BOOKMARK" },
		{ "{\"type\":\"ADDED\",\"type\":\"DELETED\",\"object\":{}}", NULL, "bad JSON" },
		{ "{\"type\":\"ADDED\",\"object\":{\"kind\":\"NetworkPolicy\",\"metadata\":{"
		  "\"name\":"
		  "\"a\",\"namespace\":\"a\",\"resourceVersion\":\"1\"}}}",
			&pw_k8s_resources[PW_K8S_RES_NAMESPACES], "where a Namespace" },
	};
	struct pw_k8s_event ev;
	char err[PW_K8S_ERR_LEN], longname[400];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&ev, 0xff, sizeof(ev));
		err[0] = '\0';
		assert_int_equal(
			decode(cases[i].line, cases[i].res != NULL ? cases[i].res : pods, &ev, err),
			-EINVAL);
		if (strstr(err, cases[i].err) == NULL)
			fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].err);
		assert_null(strchr(err, '\n'));
		/* Zeroed on failure: clearing it is harmless. */
		assert_null(ev.object);
		pw_k8s_event_clear(&ev);
	}
	/* Kubernetes' own name limits. */
	snprintf(longname, sizeof(longname),
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"%0*d\",\"namespace\":"
		"\"a\","
		"\"resourceVersion\":\"1\"}}}",
		PW_K8S_MAX_NAME + 1, 0);
	assert_int_equal(decode(longname, pods, &ev, err), -EINVAL);
	snprintf(longname, sizeof(longname),
		"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"%0*d\",\"namespace\":"
		"\"a\","
		"\"resourceVersion\":\"1\"}}}",
		PW_K8S_MAX_NAME, 0);
	assert_int_equal(decode(longname, pods, &ev, err), 0);
	pw_k8s_event_clear(&ev);
	assert_string_equal(pw_k8s_ev_type_name(PW_K8S_EV_BOOKMARK), "BOOKMARK");
	assert_string_equal(pw_k8s_ev_type_name((enum pw_k8s_ev_type)99), "?");
}

static void
test_status_body(void **state)
{
	static const char status401[] =
		"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
		"\"message\":\"Unauthorized\",\"reason\":\"Unauthorized\",\"code\":401}";
	static const char html[] = "<html>\n<b>502 Bad Gateway</b></html>";
	struct pw_k8s_status st;
	char buf[PW_K8S_ERR_LEN], big[600];

	(void)state;
	pw_k8s_status_from_body(status401, strlen(status401), 0, &st);
	assert_int_equal(st.code, 401);
	pw_k8s_status_describe(&st, buf, sizeof(buf));
	assert_string_equal(buf, "401 Unauthorized: Unauthorized");
	assert_false(pw_k8s_status_is_gone(&st));

	/* Not JSON: an excerpt on one line, and the HTTP status. */
	pw_k8s_status_from_body(html, strlen(html), 502, &st);
	assert_int_equal(st.code, 502);
	assert_string_equal(st.message, "<html>?<b>502 Bad Gateway</b></html>");
	pw_k8s_status_from_body(NULL, 0, 410, &st);
	assert_true(pw_k8s_status_is_gone(&st));
	pw_k8s_status_describe(&st, buf, sizeof(buf));
	assert_string_equal(buf, "410");

	/* A long message is cut. */
	memset(big, 'x', sizeof(big));
	pw_k8s_status_from_body(big, sizeof(big), 500, &st);
	assert_true(strlen(st.message) <= 80);
	assert_string_equal(st.message + strlen(st.message) - 3, "...");
}

/* Lists */

static void
test_list_decode(void **state)
{
	static const char page1[] =
		"{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":"
		"\"55\","
		"\"continue\":\"tok+/=\",\"remainingItemCount\":1},\"items\":["
		"{\"metadata\":{\"name\":\"a\",\"namespace\":\"x\",\"resourceVersion\":\"3\"}},"
		"{\"metadata\":{\"name\":\"b\",\"namespace\":\"x\",\"resourceVersion\":\"4\"}}]}";
	static const char last[] = "{\"kind\":\"NamespaceList\",\"metadata\":{\"resourceVersion\":"
				   "\"56\"},\"items\":null}";
	static const struct {
		const char *body;
		const char *err;
	} bad[] = {
		{ "{", "bad JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"kind\":\"ServiceList\",\"metadata\":{\"resourceVersion\":\"1\"}}",
			"ServiceList" },
		{ "{\"kind\":\"PodList\",\"metadata\":{}}", "resourceVersion" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":{}}", "not a list" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[1]}", "item 0 is not" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{\"kind\":\"Node\","
		  "\"metadata\":{\"name\":\"a\",\"namespace\":\"x\",\"resourceVersion\":\"3\"}}]}",
			"item 0: a Node" },
		{ "{\"metadata\":{\"resourceVersion\":\"1\"},\"items\":[{\"metadata\":{\"name\":"
		  "\"a\","
		  "\"namespace\":\"x\",\"resourceVersion\":\"3\"}},{\"metadata\":{}}]}",
			"item 1" },
	};
	struct pw_k8s_list_page page;
	const char *ns, *name, *rv;
	char err[PW_K8S_ERR_LEN];
	size_t i;

	(void)state;
	assert_int_equal(
		pw_k8s_list_decode(page1, strlen(page1), pods, &page, err, sizeof(err)), 0);
	assert_string_equal(page.rv, "55");
	assert_string_equal(page.cont, "tok+/=");
	assert_int_equal(page.nb_items, 2);
	for (i = 0; i < 2; i++) {
		json_t *it = json_array_get(page.items, i);

		assert_string_equal(json_string_value(json_object_get(it, "kind")), "Pod");
		assert_string_equal(json_string_value(json_object_get(it, "apiVersion")), "v1");
		assert_int_equal(pw_k8s_object_id(it, pods, &ns, &name, &rv), 0);
		assert_string_equal(ns, "x");
		assert_string_equal(name, i == 0 ? "a" : "b");
	}
	pw_k8s_list_page_clear(&page);
	pw_k8s_list_page_clear(&page);

	assert_int_equal(pw_k8s_list_decode(last, strlen(last), nss, &page, err, sizeof(err)), 0);
	assert_null(page.cont);
	assert_int_equal(page.nb_items, 0);
	assert_true(json_is_array(page.items));
	pw_k8s_list_page_clear(&page);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(pw_k8s_list_decode(bad[i].body, strlen(bad[i].body), pods, &page,
					 err, sizeof(err)),
			-EINVAL);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("list case %zu: '%s' does not say '%s'", i, err, bad[i].err);
		assert_null(page.items);
	}
}

/* URLs */

static void
test_urls(void **state)
{
	char *url;

	(void)state;
	assert_int_equal(pw_k8s_url_list("https://10.0.0.1:6443", pods, 500, NULL, &url), 0);
	assert_string_equal(url, "https://10.0.0.1:6443/api/v1/pods?limit=500");
	free(url);
	/* A continue token is opaque base64: '+', '/', '=' must be escaped. */
	assert_int_equal(pw_k8s_url_list("https://h//", pols, 2, "eyJ+a/b=c&d e%", &url), 0);
	assert_string_equal(url,
		"https://h/apis/networking.k8s.io/v1/networkpolicies?limit=2&"
		"continue=eyJ%2Ba%2Fb%3Dc%26d%20e%25");
	free(url);
	assert_int_equal(pw_k8s_url_watch("https://h:1/prefix/", nss, "123", 300, &url), 0);
	assert_string_equal(url,
		"https://h:1/prefix/api/v1/namespaces?watch=1&"
		"allowWatchBookmarks=true&timeoutSeconds=300&resourceVersion=123");
	free(url);
	assert_int_equal(pw_k8s_url_watch("https://h", pods, "a&b=c", 5, &url), 0);
	assert_non_null(strstr(url, "&resourceVersion=a%26b%3Dc"));
	free(url);
	assert_int_equal(pw_k8s_url_watch("https://h", pods, "", 5, &url), -EINVAL);
	assert_int_equal(pw_k8s_url_watch("https://h", pods, NULL, 5, &url), -EINVAL);
	assert_int_equal(pw_k8s_url_list("/", pods, 5, NULL, &url), -EINVAL);
	assert_int_equal(pw_k8s_url_list("https://h", pods, 0, NULL, &url), -EINVAL);
}

/* Backoff */

static void
test_backoff(void **state)
{
	uint32_t prev = 0;
	unsigned int a;

	(void)state;
	/* rnd 0: half of each step; rnd max: the whole step. Doubling from 100 ms to 30 s. */
	assert_int_equal(pw_k8s_backoff_ms(0, 100, 30000, 0), 50);
	assert_int_equal(pw_k8s_backoff_ms(0, 100, 30000, UINT32_MAX), 100);
	assert_int_equal(pw_k8s_backoff_ms(1, 100, 30000, UINT32_MAX), 200);
	assert_int_equal(pw_k8s_backoff_ms(3, 100, 30000, UINT32_MAX), 800);
	assert_int_equal(pw_k8s_backoff_ms(8, 100, 30000, UINT32_MAX), 25600);
	assert_int_equal(pw_k8s_backoff_ms(9, 100, 30000, UINT32_MAX), 30000);
	assert_int_equal(pw_k8s_backoff_ms(9, 100, 30000, 0), 15000);
	assert_int_equal(pw_k8s_backoff_ms(1000, 100, 30000, UINT32_MAX), 30000);
	assert_int_equal(pw_k8s_backoff_ms(UINT32_MAX, 100, 30000, UINT32_MAX / 2), 22499);
	for (a = 0; a < 40; a++) {
		uint32_t lo = pw_k8s_backoff_ms(a, 100, 30000, 0);
		uint32_t hi = pw_k8s_backoff_ms(a, 100, 30000, UINT32_MAX);
		uint32_t mid = pw_k8s_backoff_ms(a, 100, 30000, 0x80000000u);

		assert_true(lo <= mid && mid <= hi && hi <= 30000 && lo * 2 >= hi - 1);
		assert_true(hi >= prev);
		prev = hi;
	}
	/* Never 0, even with a zero base. */
	assert_int_equal(pw_k8s_backoff_ms(0, 0, 0, 0), 1);
}

/* Base64 and kubeconfig */

static void
test_base64(void **state)
{
	uint8_t *out;
	size_t len;

	(void)state;
	assert_int_equal(pw_k8s_base64_decode("aGVsbG8=", 8, &out, &len), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(out, "hello", 5);
	free(out);
	assert_int_equal(pw_k8s_base64_decode("aGVs\nbG8", 8, &out, &len), 0);
	assert_string_equal((char *)out, "hello");
	free(out);
	assert_int_equal(pw_k8s_base64_decode("", 0, &out, &len), 0);
	assert_int_equal(len, 0);
	free(out);
	assert_int_equal(pw_k8s_base64_decode("+/+/", 4, &out, &len), 0);
	assert_int_equal(len, 3);
	free(out);
	assert_int_equal(pw_k8s_base64_decode("aGVsbG8=x", 9, &out, &len), -EINVAL);
	assert_int_equal(pw_k8s_base64_decode("aGV*", 4, &out, &len), -EINVAL);
	assert_int_equal(pw_k8s_base64_decode("a", 1, &out, &len), -EINVAL);
	assert_int_equal(pw_k8s_base64_decode("aGVsbG9=", 8, &out, &len), -EINVAL);
}

static const char kubeconfig_token[] = "apiVersion: v1\n"
				       "kind: Config\n"
				       "current-context: prod\n"
				       "contexts:\n"
				       "- name: dev\n"
				       "  context: {cluster: dev, user: dev}\n"
				       "- name: prod\n"
				       "  context:\n"
				       "    cluster: prod-cluster\n"
				       "    user: prod-user\n"
				       "    namespace: kube-system\n"
				       "clusters:\n"
				       "- name: prod-cluster\n"
				       "  cluster:\n"
				       "    server: https://10.1.2.3:6443\n"
				       "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJU\n"
				       "users:\n"
				       "- name: prod-user\n"
				       "  user:\n"
				       "    token: abc.def\n";

static int
kubeconfig(const char *text, struct pw_k8s_auth *a, char *err)
{
	return pw_k8s_kubeconfig_parse(
		(const uint8_t *)text, strlen(text), "/etc/kube", a, err, PW_K8S_ERR_LEN);
}

static void
test_kubeconfig(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} bad[] = {
		{ "clusters: []\n", "no current-context" },
		{ "current-context: x\ncontexts: []\n", "'x' is not in contexts" },
		{ "current-context: x\ncontexts: [{name: x, context: {user: u}}]\n",
			"names no cluster" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n",
			"'c' is not in clusters" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {}}]\n",
			"has no server" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n",
			"'u' is not in users" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
		  "users: [{name: u, user: {exec: {command: aws}}}]\n",
			"'exec' credentials are not supported" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
		  "users: [{name: u, user: {client-certificate: c.crt}}]\n",
			"needs a client key" },
		{ "current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\n"
		  "clusters: [{name: c, cluster: {server: 'https://h', "
		  "certificate-authority-data: '!!'}}]\n",
			"not base64" },
		{ "current-context: [\n", "line" },
		{ "- a\n- b\n", "not a mapping" },
		{ "", "empty" },
	};
	struct pw_k8s_auth a;
	char err[PW_K8S_ERR_LEN];
	size_t i;

	(void)state;
	assert_int_equal(kubeconfig(kubeconfig_token, &a, err), 0);
	assert_string_equal(a.server, "https://10.1.2.3:6443");
	assert_string_equal(a.token, "abc.def");
	assert_null(a.token_file);
	assert_int_equal(a.ca.len, 15);
	assert_memory_equal(a.ca.data, "-----BEGIN CERT", 15);
	assert_null(a.ca.file);
	assert_false(a.insecure);
	assert_string_equal(a.source, "kubeconfig (context prod)");
	pw_k8s_auth_clear(&a);

	/* A token file and a CA file, relative to the kubeconfig's directory; insecure. */
	assert_int_equal(
		kubeconfig("current-context: c\n"
			   "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
			   "clusters: [{name: k, cluster: {server: 'https://h:1', "
			   "certificate-authority: ca.pem, insecure-skip-tls-verify: true}}]\n"
			   "users: [{name: u, user: {tokenFile: /run/token}}]\n",
			&a, err),
		0);
	assert_string_equal(a.ca.file, "/etc/kube/ca.pem");
	assert_string_equal(a.token_file, "/run/token");
	assert_null(a.token);
	assert_true(a.insecure);
	pw_k8s_auth_clear(&a);

	/* Client certificates, inline and as files; a user without credentials is anonymous. */
	assert_int_equal(kubeconfig("current-context: c\n"
				    "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
				    "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
				    "users: [{name: u, user: {client-certificate-data: Y2VydA==, "
				    "client-key-data: a2V5}}]\n",
				 &a, err),
		0);
	assert_int_equal(a.cert.len, 4);
	assert_memory_equal(a.cert.data, "cert", 4);
	assert_int_equal(a.key.len, 3);
	assert_memory_equal(a.key.data, "key", 3);
	assert_null(a.token);
	assert_null(a.ca.file);
	assert_null(a.ca.data);
	pw_k8s_auth_clear(&a);
	assert_int_equal(kubeconfig("current-context: c\n"
				    "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
				    "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
				    "users: [{name: u, user: {client-certificate: sub/c.crt, "
				    "client-key: /abs/c.key}}, {name: v, user: {token: x}}]\n",
				 &a, err),
		0);
	assert_string_equal(a.cert.file, "/etc/kube/sub/c.crt");
	assert_string_equal(a.key.file, "/abs/c.key");
	pw_k8s_auth_clear(&a);
	assert_int_equal(kubeconfig("current-context: c\n"
				    "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
				    "clusters: [{name: k, cluster: {server: 'https://h:1'}}]\n"
				    "users: [{name: u, user: }]\n",
				 &a, err),
		0);
	assert_null(a.token);
	assert_null(a.cert.file);
	pw_k8s_auth_clear(&a);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(kubeconfig(bad[i].text, &a, err), -EINVAL);
		if (strstr(err, bad[i].err) == NULL)
			fail_msg("kubeconfig case %zu: '%s' does not say '%s'", i, err, bad[i].err);
		pw_k8s_auth_clear(&a);
	}
}

/* Credentials and tokens on disk */

struct tmp {
	char dir[64];
};

static void
write_file(const char *dir, const char *name, const char *text)
{
	char path[256], tmp[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, name);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	/* As kubelet rotates a token: a new file renamed over the old one. */
	assert_int_equal(rename(tmp, path), 0);
}

static int
setup_tmp(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	snprintf(t->dir, sizeof(t->dir), "/tmp/pw-k8s-test-XXXXXX");
	if (mkdtemp(t->dir) == NULL)
		return -1;
	*state = t;
	return 0;
}

static int
teardown_tmp(void **state)
{
	struct tmp *t = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		return -1;
	free(t);
	return 0;
}

static void
test_auth_resolve(void **state)
{
	struct tmp *t = *state;
	struct pw_k8s_auth_params p = { 0 };
	struct pw_k8s_auth a;
	char err[PW_K8S_ERR_LEN], path[256], sa[128];

	/* Explicit: the server without trailing slashes, the files as given. */
	p.server = "https://api.example:6443/";
	p.token_file = "/t";
	p.ca_file = "/ca";
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), 0);
	assert_string_equal(a.server, "https://api.example:6443");
	assert_string_equal(a.token_file, "/t");
	assert_string_equal(a.ca.file, "/ca");
	assert_string_equal(a.source, "config");
	assert_false(a.insecure);
	pw_k8s_auth_clear(&a);
	p.server = "ftp://x";
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "https://"));
	pw_k8s_auth_clear(&a);

	/* In-cluster: the service's variables, the mounted token and CA. */
	memset(&p, 0, sizeof(p));
	snprintf(sa, sizeof(sa), "%s/sa", t->dir);
	p.sa_dir = sa;
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
	pw_k8s_auth_clear(&a);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), 0);
	assert_string_equal(a.server, "https://[fd00::1]:443");
	snprintf(path, sizeof(path), "%s/token", sa);
	assert_string_equal(a.token_file, path);
	snprintf(path, sizeof(path), "%s/ca.crt", sa);
	assert_string_equal(a.ca.file, path);
	assert_string_equal(a.source, "in-cluster");
	pw_k8s_auth_clear(&a);
	setenv("KUBERNETES_SERVICE_PORT", "44x", 1);
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), -EINVAL);
	pw_k8s_auth_clear(&a);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");

	/* A kubeconfig file, with explicit values overriding it. */
	write_file(t->dir, "kubeconfig", kubeconfig_token);
	snprintf(path, sizeof(path), "%s/kubeconfig", t->dir);
	memset(&p, 0, sizeof(p));
	p.kubeconfig = path;
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), 0);
	assert_string_equal(a.token, "abc.def");
	assert_non_null(strstr(a.source, "kubeconfig /tmp/pw-k8s-test-"));
	pw_k8s_auth_clear(&a);
	p.token_file = "/explicit-token";
	p.ca_file = "/explicit-ca";
	p.server = "https://override";
	p.insecure_skip_tls_verify = true;
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), 0);
	assert_null(a.token);
	assert_string_equal(a.token_file, "/explicit-token");
	assert_string_equal(a.ca.file, "/explicit-ca");
	assert_null(a.ca.data);
	assert_string_equal(a.server, "https://override");
	assert_true(a.insecure);
	pw_k8s_auth_clear(&a);
	snprintf(path, sizeof(path), "%s/missing", t->dir);
	p.kubeconfig = path;
	assert_int_equal(pw_k8s_auth_resolve(&p, &a, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "kubeconfig"));
	pw_k8s_auth_clear(&a);
}

static void
test_token_refresh(void **state)
{
	struct tmp *t = *state;
	struct pw_k8s_token tok = { 0 };
	char path[256];
	bool changed;

	snprintf(path, sizeof(path), "%s/token", t->dir);
	assert_int_equal(pw_k8s_token_refresh(&tok, path, false, &changed), -ENOENT);
	assert_null(tok.value);
	write_file(t->dir, "token", "  first-token\n");
	assert_int_equal(pw_k8s_token_refresh(&tok, path, false, &changed), 0);
	assert_true(changed);
	assert_string_equal(tok.value, "first-token");
	/* Unchanged file: not re-read. */
	assert_int_equal(pw_k8s_token_refresh(&tok, path, false, &changed), 0);
	assert_false(changed);
	/* Forced with the same content: read, but not a change. */
	assert_int_equal(pw_k8s_token_refresh(&tok, path, true, &changed), 0);
	assert_false(changed);
	/* Rotated (a new inode); the old value is kept for redaction. */
	write_file(t->dir, "token", "second-token");
	assert_int_equal(pw_k8s_token_refresh(&tok, path, false, &changed), 0);
	assert_true(changed);
	assert_string_equal(tok.value, "second-token");
	assert_string_equal(tok.prev, "first-token");
	/* Bad files keep the previous token. */
	write_file(t->dir, "token", " \n");
	assert_int_equal(pw_k8s_token_refresh(&tok, path, false, &changed), -EINVAL);
	assert_string_equal(tok.value, "second-token");
	write_file(t->dir, "token", "abc\r\nInjected: header");
	assert_int_equal(pw_k8s_token_refresh(&tok, path, false, &changed), -EINVAL);
	assert_string_equal(tok.value, "second-token");
	{
		static const char nul[] = "abc\0def";
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		assert_int_equal(fwrite(nul, 1, sizeof(nul) - 1, f), sizeof(nul) - 1);
		assert_int_equal(fclose(f), 0);
		assert_int_equal(pw_k8s_token_refresh(&tok, path, true, &changed), -EINVAL);
	}
	assert_int_equal(pw_k8s_token_refresh(&tok, t->dir, false, &changed), -EINVAL);
	assert_string_equal(tok.value, "second-token");
	pw_k8s_token_clear(&tok);
	assert_null(tok.value);
	assert_null(tok.prev);
}

static void
test_redact(void **state)
{
	const char *const secrets[] = { NULL, "", "eyJhbGciOiJSUzI1NiIsImtpZCI6", "short" };
	char msg[256];

	(void)state;
	snprintf(msg, sizeof(msg),
		"401: token eyJhbGciOiJSUzI1NiIsImtpZCI6 rejected, "
		"eyJhbGciOiJSUzI1NiIsImtpZCI6!");
	pw_k8s_redact(msg, secrets, 4);
	assert_string_equal(msg, "401: token [redacted] rejected, [redacted]!");
	/* Never longer: a short secret gets part of the mask. */
	snprintf(msg, sizeof(msg), "a short b");
	pw_k8s_redact(msg, secrets, 4);
	assert_string_equal(msg, "a [reda b");
	/* A message cut in the middle of a secret. */
	snprintf(msg, sizeof(msg), "bad token eyJhbGciOiJSUzI1...");
	pw_k8s_redact(msg, secrets, 4);
	assert_string_equal(msg, "bad token [redacted]...");
	snprintf(msg, sizeof(msg), "bad token eyJhbGciOi");
	pw_k8s_redact(msg, secrets, 4);
	assert_string_equal(msg, "bad token [redacted]");
	/* Seven bytes of a secret are not enough to tell. */
	snprintf(msg, sizeof(msg), "ends with eyJhbGc");
	pw_k8s_redact(msg, secrets, 4);
	assert_string_equal(msg, "ends with eyJhbGc");
	snprintf(msg, sizeof(msg), "...");
	pw_k8s_redact(msg, secrets, 4);
	assert_string_equal(msg, "...");
}

/* The source on a loop, against a closed port */

struct src_rec {
	unsigned int nb_errors, nb_objects, nb_synced;
	char last_error[512];
	bool token_seen;
};

static const char secret[] = "s3cr3t-t0ken-do-not-print";

static void
src_object(void *arg, const json_t *obj, const char *file, unsigned int line)
{
	struct src_rec *r = arg;

	(void)obj;
	(void)file;
	(void)line;
	r->nb_objects++;
}

static void
src_removed(void *arg, const char *kind, const char *ns, const char *name)
{
	(void)arg;
	(void)kind;
	(void)ns;
	(void)name;
}

static void
src_error(void *arg, const char *file, unsigned int line, const char *msg)
{
	struct src_rec *r = arg;

	assert_int_equal(line, 0);
	assert_true(strncmp(file, "k8s", 3) == 0);
	assert_null(strchr(msg, '\n'));
	if (strstr(msg, secret) != NULL)
		r->token_seen = true;
	snprintf(r->last_error, sizeof(r->last_error), "%s", msg);
	r->nb_errors++;
}

static void
src_synced(void *arg)
{
	struct src_rec *r = arg;

	r->nb_synced++;
}

static const struct pw_manifests_ops src_ops = {
	.object = src_object,
	.removed = src_removed,
	.error = src_error,
	.synced = src_synced,
};

static void
test_source_unreachable(void **state)
{
	struct tmp *t = *state;
	struct pw_k8s_params p = { 0 };
	struct pw_k8s_source *s = NULL;
	struct pw_evloop *loop;
	struct src_rec r = { 0 };
	char err[512], path[256], *dump;
	json_t *st, *w;
	time_t deadline;
	size_t i;

	assert_int_equal(pw_evloop_create(&loop), 0);
	/* Configuration errors come back at once, token-free. */
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(
		pw_k8s_source_create(&p, &src_ops, &r, loop, &s, err, sizeof(err)), -ENOENT);
	assert_null(s);
	p.server = "https://127.0.0.1:1";
	snprintf(path, sizeof(path), "%s/token", t->dir);
	p.token_file = path;
	assert_int_equal(
		pw_k8s_source_create(&p, &src_ops, &r, loop, &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "token file"));
	write_file(t->dir, "token", secret);
	assert_int_equal(
		pw_k8s_source_create(NULL, &src_ops, &r, loop, &s, err, sizeof(err)), -EINVAL);

	/* Port 1 on loopback refuses: every resource reports it and backs off. */
	p.backoff_base_ms = 20;
	p.backoff_max_ms = 40;
	p.insecure_skip_tls_verify = true;
	assert_int_equal(pw_k8s_source_create(&p, &src_ops, &r, loop, &s, err, sizeof(err)), 0);
	/* The insecure warning comes first. */
	assert_int_equal(r.nb_errors, 1);
	assert_non_null(strstr(r.last_error, "TLS certificate verification is OFF"));
	deadline = time(NULL) + 10;
	while (r.nb_errors < 10 && time(NULL) < deadline)
		assert_true(pw_evloop_run_once(loop, 100) >= 0);
	assert_true(r.nb_errors >= 10);
	assert_non_null(strstr(r.last_error, "list "));
	assert_int_equal(r.nb_objects, 0);
	assert_int_equal(r.nb_synced, 0);
	assert_false(pw_k8s_source_synced(s));
	assert_false(r.token_seen);

	st = pw_k8s_source_status_json(s);
	assert_non_null(st);
	dump = json_dumps(st, 0);
	assert_null(strstr(dump, secret));
	free(dump);
	assert_string_equal(
		json_string_value(json_object_get(st, "server")), "https://127.0.0.1:1");
	assert_true(json_is_false(json_object_get(st, "tls_verify")));
	assert_true(json_is_false(json_object_get(st, "synced")));
	assert_int_equal(json_array_size(json_object_get(st, "watches")), PW_K8S_NB_RES);
	json_array_foreach (json_object_get(st, "watches"), i, w) {
		const char *state_name = json_string_value(json_object_get(w, "state"));

		assert_true(
			strcmp(state_name, "backoff") == 0 || strcmp(state_name, "listing") == 0);
		assert_true(json_is_null(json_object_get(w, "last_sync")));
		assert_true(json_is_string(json_object_get(w, "last_error")));
		assert_true(json_is_null(json_object_get(w, "resource_version")));
	}
	json_decref(st);
	pw_k8s_source_free(s);
	pw_k8s_source_free(NULL);
	assert_null(pw_k8s_source_status_json(NULL));
	/* Nothing left on the loop: it has nothing to wait for. */
	assert_int_equal(pw_evloop_run_once(loop, 0), 0);
	pw_evloop_free(loop);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_every_split),
		cmocka_unit_test(test_lines_oversized),
		cmocka_unit_test(test_event_types),
		cmocka_unit_test(test_event_bad),
		cmocka_unit_test(test_status_body),
		cmocka_unit_test(test_list_decode),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_kubeconfig),
		cmocka_unit_test_setup_teardown(test_auth_resolve, setup_tmp, teardown_tmp),
		cmocka_unit_test_setup_teardown(test_token_refresh, setup_tmp, teardown_tmp),
		cmocka_unit_test(test_redact),
		cmocka_unit_test_setup_teardown(test_source_unreachable, setup_tmp, teardown_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
