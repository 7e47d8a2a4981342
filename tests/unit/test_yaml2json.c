/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the YAML tree (control/yamltree.h) and its conversion to JSON
 * (control/yaml2json.h): every scalar type, quoted against plain, nesting, streams of
 * documents with their lines, and each refused construct with the line it is reported at.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "control/yaml2json.h"
#include "control/yamltree.h"

/* Converts a one-document text; returns the error code, fills *ret or err. */
static int
convert_text(const char *text, json_t **ret, struct pw_yaml_error *err)
{
	struct pw_yaml_stream *stream = NULL;
	int r;

	r = pw_yaml_parse((const uint8_t *)text, strlen(text), NULL, &stream, err);
	if (r != 0)
		return r;
	assert_int_equal(stream->nb_docs, 1);
	r = pw_yaml2json(stream->docs[0].root, ret, err);
	pw_yaml_stream_free(stream);
	return r;
}

/* Asserts that @p yaml converts to the same value as the JSON text @p want. */
static void
assert_converts(const char *yaml, const char *want)
{
	json_t *got = NULL, *exp;
	json_error_t jerr;
	struct pw_yaml_error err = { 0 };

	exp = json_loads(want, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
	assert_non_null(exp);
	if (convert_text(yaml, &got, &err) != 0)
		fail_msg("'%s': line %u: %s", yaml, err.line, err.msg);
	if (!json_equal(got, exp)) {
		char *s = json_dumps(got, JSON_ENCODE_ANY);

		fail_msg("'%s' gave %s, want %s", yaml, s, want);
	}
	json_decref(got);
	json_decref(exp);
}

/* Asserts that @p yaml is refused at @p line with a message containing @p part. */
static void
assert_refused(const char *yaml, unsigned int line, const char *part)
{
	struct pw_yaml_error err = { 0 };
	json_t *got = NULL;

	assert_int_equal(convert_text(yaml, &got, &err), -EINVAL);
	assert_null(got);
	if (err.line != line || strstr(err.msg, part) == NULL)
		fail_msg("'%s': got line %u '%s', want line %u '%s'", yaml, err.line, err.msg, line,
			part);
	assert_null(strchr(err.msg, '\n'));
}

static void
test_scalars_plain(void **state)
{
	(void)state;
	assert_converts("v: 42", "{\"v\": 42}");
	assert_converts("v: -7", "{\"v\": -7}");
	assert_converts("v: +5", "{\"v\": 5}");
	assert_converts("v: 0x1F", "{\"v\": 31}");
	assert_converts("v: 0o17", "{\"v\": 15}");
	/* YAML 1.2: a leading zero is decimal, not octal. */
	assert_converts("v: 0660", "{\"v\": 660}");
	assert_converts("v: -9223372036854775808", "{\"v\": -9223372036854775808}");
	assert_converts("v: 99999999999999999999", "{\"v\": 1e20}");
	assert_converts("v: 1.5", "{\"v\": 1.5}");
	assert_converts("v: .5", "{\"v\": 0.5}");
	assert_converts("v: 1.", "{\"v\": 1.0}");
	assert_converts("v: 1e3", "{\"v\": 1000.0}");
	assert_converts("v: -2.5E-1", "{\"v\": -0.25}");
	assert_converts("v: true", "{\"v\": true}");
	assert_converts("v: True", "{\"v\": true}");
	assert_converts("v: FALSE", "{\"v\": false}");
	assert_converts("v: null", "{\"v\": null}");
	assert_converts("v: ~", "{\"v\": null}");
	assert_converts("v: NULL", "{\"v\": null}");
	assert_converts("v:", "{\"v\": null}");
	/* Core schema, not YAML 1.1: these stay strings. */
	assert_converts("v: yes", "{\"v\": \"yes\"}");
	assert_converts("v: off", "{\"v\": \"off\"}");
	assert_converts("v: 1_000", "{\"v\": \"1_000\"}");
	assert_converts("v: 0b101", "{\"v\": \"0b101\"}");
	assert_converts("v: 1.2.3", "{\"v\": \"1.2.3\"}");
	assert_converts("v: 10.0.0.0/8", "{\"v\": \"10.0.0.0/8\"}");
	assert_converts("v: 0x", "{\"v\": \"0x\"}");
	assert_converts("v: e3", "{\"v\": \"e3\"}");
	assert_converts("v: nulls", "{\"v\": \"nulls\"}");
	assert_converts("v: tRUE", "{\"v\": \"tRUE\"}");
	assert_converts("v: 2001-12-14", "{\"v\": \"2001-12-14\"}");
}

static void
test_scalars_quoted(void **state)
{
	(void)state;
	assert_converts("v: \"1\"", "{\"v\": \"1\"}");
	assert_converts("v: '1'", "{\"v\": \"1\"}");
	assert_converts("v: \"true\"", "{\"v\": \"true\"}");
	assert_converts("v: 'null'", "{\"v\": \"null\"}");
	assert_converts("v: ''", "{\"v\": \"\"}");
	assert_converts("v: \"~\"", "{\"v\": \"~\"}");
	assert_converts("v: \"a\\tb\\u00e9\"", "{\"v\": \"a\\tb\\u00e9\"}");
	/* An escaped NUL survives as a NUL inside the string. */
	assert_converts("v: \"a\\0b\"", "{\"v\": \"a\\u0000b\"}");
	assert_converts("v: |\n  80\n  90\n", "{\"v\": \"80\\n90\\n\"}");
	assert_converts("v: >-\n  true\n  false\n", "{\"v\": \"true false\"}");
	assert_converts(
		"\"1\": a\n2: b\ntrue: c\n", "{\"1\": \"a\", \"2\": \"b\", \"true\": \"c\"}");
}

static void
test_tags(void **state)
{
	(void)state;
	assert_converts("v: !!str 80", "{\"v\": \"80\"}");
	assert_converts("v: !!int \"80\"", "{\"v\": 80}");
	assert_converts("v: !!float 1", "{\"v\": 1.0}");
	assert_converts("v: !!bool 'true'", "{\"v\": true}");
	assert_converts("v: !!null ''", "{\"v\": null}");
	assert_converts("v: ! 12", "{\"v\": \"12\"}");
	assert_converts("v: !!binary aGk=", "{\"v\": \"aGk=\"}");
	assert_converts("v: !!map {a: 1}", "{\"v\": {\"a\": 1}}");
	assert_converts("%TAG !e! tag:yaml.org,2002:\n---\nv: !e!str 5\n", "{\"v\": \"5\"}");
	assert_refused("a: 1\nv: !!int abc", 2, "is not a valid !!int");
	assert_refused("v: !!bool yes", 1, "is not a valid !!bool");
	assert_refused("v: !Ref x", 1, "unsupported tag !Ref");
	assert_refused("v: !!seq {a: 1}", 1, "unsupported tag");
}

static void
test_nested(void **state)
{
	(void)state;
	assert_converts("apiVersion: networking.k8s.io/v1\n"
			"kind: NetworkPolicy\n"
			"metadata:\n"
			"  name: web\n"
			"spec:\n"
			"  podSelector:\n"
			"    matchLabels: {app: web}\n"
			"  ingress:\n"
			"  - from:\n"
			"    - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}\n"
			"    ports:\n"
			"    - {protocol: TCP, port: 80}\n"
			"    - port: http\n"
			"  egress: []\n"
			"  policyTypes: [Ingress, Egress]\n",
		"{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\","
		" \"metadata\": {\"name\": \"web\"}, \"spec\": {\"podSelector\": {\"matchLabels\":"
		" {\"app\": \"web\"}}, \"ingress\": [{\"from\": [{\"ipBlock\": {\"cidr\":"
		" \"10.0.0.0/8\", \"except\": [\"10.1.0.0/16\"]}}], \"ports\": [{\"protocol\":"
		" \"TCP\", \"port\": 80}, {\"port\": \"http\"}]}], \"egress\": [],"
		" \"policyTypes\": [\"Ingress\", \"Egress\"]}}");
	/* Flow style is JSON: a JSON document converts to itself. */
	assert_converts("{\"a\": [1, 2.5, \"x\", null, true, {}], \"b\": {\"c\": []}}",
		"{\"a\": [1, 2.5, \"x\", null, true, {}], \"b\": {\"c\": []}}");
	assert_converts("- 1\n- - 2\n  - [3]\n", "[1, [2, [3]]]");
	assert_converts("plain", "\"plain\"");
	assert_converts("~", "null");
	/* Conversion knows nothing of Kubernetes: a List stays a List. */
	assert_converts("kind: List\nitems:\n- kind: Pod\n",
		"{\"kind\": \"List\", \"items\": [{\"kind\": \"Pod\"}]}");
	/* Anchors alone are harmless. */
	assert_converts("a: &x 1\nb: &y [2]\n", "{\"a\": 1, \"b\": [2]}");
}

static void
test_refused(void **state)
{
	(void)state;
	assert_refused(
		"a: 1\nb:\n  c: 1\n  d: 2\n  c: 3\n", 5, "duplicate key 'c' (first at line 3)");
	assert_refused("a: &x 1\nb:\n  - *x\n", 3, "YAML aliases (*x) are not supported");
	assert_refused("base: &b {x: 1}\nuse:\n  <<: *b\n", 3, "merge keys (<<) are not supported");
	assert_refused("? [a, b]\n: c\n", 1, "mapping keys must be scalars, found a list");
	assert_refused("a:\n  b: .inf\n", 2, ".inf cannot be represented in JSON");
	assert_refused("a: -.Inf\n", 1, "cannot be represented in JSON");
	assert_refused("a: .NaN\n", 1, "cannot be represented in JSON");
	assert_refused("a: 1e999\n", 1, "1e999 cannot be represented in JSON");
	assert_refused(
		"a: 0x10000000000000000\n", 1, "integer 0x10000000000000000 is out of range");
	/* Quoted, the same duplicate is still a duplicate: keys are compared as text. */
	assert_refused("\"a\": 1\na: 2\n", 2, "duplicate key 'a'");
}

struct doc_rec {
	unsigned int nb;
	unsigned int lines[8];
	json_t *docs[8];
	char errs[8][PW_YAML_ERR_LEN + 16];
	bool had_root[8];
};

static void
record_doc(void *arg, unsigned int line, const struct pw_yaml_node *root, json_t *json,
	const struct pw_yaml_error *err)
{
	struct doc_rec *r = arg;

	assert_true(r->nb < 8);
	assert_true((json == NULL) != (err == NULL));
	r->lines[r->nb] = line;
	r->docs[r->nb] = json_incref(json);
	r->had_root[r->nb] = root != NULL;
	if (err != NULL)
		snprintf(r->errs[r->nb], sizeof(r->errs[0]), "%u: %s", err->line, err->msg);
	r->nb++;
}

static void
rec_free(struct doc_rec *r)
{
	unsigned int i;

	for (i = 0; i < r->nb; i++)
		json_decref(r->docs[i]);
}

static void
test_stream(void **state)
{
	const char *text = "# leading comment\n"
			   "\n"
			   "kind: A\n"
			   "---\n"
			   "kind: B\n"
			   "--- # a separator with a comment\n"
			   "kind: [C\n"
			   "---\n"
			   "# only a comment\n"
			   "---   \n"
			   "a: 1\n"
			   "a: 2\n"
			   "--- {kind: E}\n"
			   "...\n"
			   "---\n";
	struct doc_rec r = { 0 };

	(void)state;
	assert_int_equal(
		pw_yaml2json_stream((const uint8_t *)text, strlen(text), record_doc, &r), 0);
	/* A, B, the syntax error, the comment-only document, the duplicate, E (after a "---"
	 * that is no separator, read by libyaml) and the empty last document. */
	assert_int_equal(r.nb, 7);
	assert_int_equal(r.lines[0], 3);
	assert_string_equal(json_string_value(json_object_get(r.docs[0], "kind")), "A");
	assert_int_equal(r.lines[1], 4);
	assert_string_equal(json_string_value(json_object_get(r.docs[1], "kind")), "B");
	assert_null(r.docs[2]);
	assert_false(r.had_root[2]);
	assert_int_equal(r.lines[2], 7);
	assert_string_equal(
		r.errs[2], "7: did not find expected ',' or ']' while parsing a flow sequence");
	assert_true(json_is_null(r.docs[3]));
	assert_int_equal(r.lines[3], 8);
	assert_null(r.docs[4]);
	assert_true(r.had_root[4]);
	assert_int_equal(r.lines[4], 10);
	assert_string_equal(r.errs[4], "12: duplicate key 'a' (first at line 11)");
	assert_int_equal(r.lines[5], 13);
	assert_string_equal(json_string_value(json_object_get(r.docs[5], "kind")), "E");
	assert_true(json_is_null(r.docs[6]));
	assert_int_equal(r.lines[6], 15);
	rec_free(&r);

	memset(&r, 0, sizeof(r));
	assert_int_equal(pw_yaml2json_stream(NULL, 0, record_doc, &r), 0);
	assert_int_equal(pw_yaml2json_stream((const uint8_t *)"# x\n", 4, record_doc, &r), 0);
	assert_int_equal(r.nb, 0);
	assert_int_equal(pw_yaml2json_stream(NULL, 1, record_doc, &r), -EINVAL);
	assert_int_equal(
		pw_yaml2json_stream((const uint8_t *)"", PW_YAML_MAX_SIZE + 1, record_doc, &r),
		-EFBIG);
}

static void
test_parse_limits(void **state)
{
	const struct pw_yaml_params multi = { .multi_doc = true, .first_line = 10 };
	const struct pw_yaml_params small = { .max_depth = 2, .max_nodes = 5, .max_size = 64 };
	struct pw_yaml_stream *s = NULL;
	struct pw_yaml_error err;
	char deep[200];

	(void)state;
	assert_int_equal(
		pw_yaml_parse((const uint8_t *)"a: 1\n---\nb: 2\n", 14, NULL, &s, &err), -EINVAL);
	assert_int_equal(err.line, 2);
	assert_false(err.syntax);
	assert_string_equal(err.msg, "only one YAML document is allowed");

	assert_int_equal(
		pw_yaml_parse((const uint8_t *)"a: 1\n---\nb: 2\n", 14, &multi, &s, &err), 0);
	assert_int_equal(s->nb_docs, 2);
	assert_int_equal(s->docs[0].line, 10);
	assert_int_equal(s->docs[1].line, 11);
	assert_int_equal(s->docs[1].root->kids[0]->line, 12);
	assert_string_equal(pw_yaml_map_get(s->docs[1].root, "b")->text, "2");
	assert_null(pw_yaml_map_get(s->docs[1].root, "c"));
	assert_null(pw_yaml_seq_get(s->docs[1].root, 0));
	pw_yaml_stream_free(s);

	assert_int_equal(pw_yaml_parse((const uint8_t *)"a: [[1]]", 8, &small, &s, &err), -EINVAL);
	assert_int_equal(err.line, 1);
	assert_string_equal(err.msg, "nested deeper than 2 levels");
	assert_int_equal(
		pw_yaml_parse((const uint8_t *)"[1, 2, 3, 4, 5]", 15, &small, &s, &err), -EINVAL);
	assert_string_equal(err.msg, "more than 5 nodes");
	memset(deep, 'a', sizeof(deep));
	assert_int_equal(
		pw_yaml_parse((const uint8_t *)deep, sizeof(deep), &small, &s, &err), -EFBIG);
	assert_string_equal(err.msg, "larger than 64 bytes");
	/* Reader errors carry an offset; the line is counted from it. */
	assert_int_equal(
		pw_yaml_parse((const uint8_t *)"a: 1\nb: \x01\n", 10, &multi, &s, &err), -EINVAL);
	assert_true(err.syntax);
	assert_int_equal(err.line, 11);
	assert_int_equal(
		pw_yaml_parse((const uint8_t *)"a: 1\n b: 2\n", 11, NULL, &s, &err), -EINVAL);
	assert_true(err.syntax);
	assert_int_equal(err.line, 2);
	assert_int_equal(pw_yaml_parse(NULL, 1, NULL, &s, &err), -EINVAL);
	pw_yaml_stream_free(NULL);
}

static void
test_parse_int(void **state)
{
	int64_t v = 0;

	(void)state;
	assert_int_equal(pw_yaml_parse_int("123", false, &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(pw_yaml_parse_int("-0x10", false, &v), 0);
	assert_int_equal(v, -16);
	assert_int_equal(pw_yaml_parse_int("0o17", false, &v), -EINVAL);
	assert_int_equal(pw_yaml_parse_int("0o17", true, &v), 0);
	assert_int_equal(v, 15);
	assert_int_equal(pw_yaml_parse_int("0o18", true, &v), -EINVAL);
	assert_int_equal(pw_yaml_parse_int("9223372036854775807", false, &v), 0);
	assert_int_equal(v, INT64_MAX);
	assert_int_equal(pw_yaml_parse_int("9223372036854775808", false, &v), -ERANGE);
	assert_int_equal(pw_yaml_parse_int("-9223372036854775808", false, &v), 0);
	assert_true(v == INT64_MIN);
	assert_int_equal(pw_yaml_parse_int("184467440737095516160", false, &v), -ERANGE);
	assert_int_equal(pw_yaml_parse_int("", false, &v), -EINVAL);
	assert_int_equal(pw_yaml_parse_int("-", false, &v), -EINVAL);
	assert_int_equal(pw_yaml_parse_int("1 ", false, &v), -EINVAL);
	assert_int_equal(pw_yaml_parse_int("0xg", false, &v), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_plain),
		cmocka_unit_test(test_scalars_quoted),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_stream),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_int),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
