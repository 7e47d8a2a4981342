/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for YAML to JSON: any bytes, as a multi-document stream. Each document either
 * converts or fails with a one-line message whose line lies inside the input. A converted
 * document, dumped as JSON and read back as YAML (JSON is YAML's flow style), must give the
 * same value: that checks the scalar rules against jansson's own number and string output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/yaml2json.h"
#include "control/yamltree.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_ctx {
	unsigned int nb_lines; /* lines in the input, counting a last one without a break */
	unsigned int last_line;
};

static void
check_error(const struct fuzz_ctx *c, const struct pw_yaml_error *err)
{
	if (err->msg[0] == '\0' || strchr(err->msg, '\n') != NULL)
		abort();
	if (err->line < 1 || err->line > c->nb_lines)
		abort();
}

static void
check_round_trip(const json_t *json)
{
	const struct pw_yaml_params params = { 0 };
	struct pw_yaml_stream *stream = NULL;
	json_t *back = NULL;
	char *text;

	text = json_dumps(json, JSON_ENCODE_ANY);
	if (text == NULL)
		abort();
	/* JSON leaves NEL, LS and PS raw in strings, where YAML reads them as line breaks (and
	 * JSON_ENSURE_ASCII would write surrogate pairs, which YAML refuses): no round trip. */
	if (strstr(text, "\xc2\x85") != NULL || strstr(text, "\xe2\x80\xa8") != NULL ||
		strstr(text, "\xe2\x80\xa9") != NULL) {
		free(text);
		return;
	}
	if (pw_yaml_parse((const uint8_t *)text, strlen(text), &params, &stream, NULL) != 0 ||
		stream->nb_docs != 1 || pw_yaml2json(stream->docs[0].root, &back, NULL) != 0 ||
		!json_equal(json, back))
		abort();
	json_decref(back);
	pw_yaml_stream_free(stream);
	free(text);
}

static void
on_doc(void *arg, unsigned int line, const struct pw_yaml_node *root, json_t *json,
	const struct pw_yaml_error *err)
{
	struct fuzz_ctx *c = arg;

	if ((json == NULL) == (err == NULL) || (root == NULL && json != NULL))
		abort();
	if (line < 1 || line > c->nb_lines || line < c->last_line)
		abort();
	c->last_line = line;
	if (err != NULL) {
		check_error(c, err);
		return;
	}
	check_round_trip(json);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pw_yaml_params params = { .multi_doc = true };
	struct fuzz_ctx c = { .nb_lines = 1 };
	struct pw_yaml_stream *stream = NULL;
	struct pw_yaml_error err;
	unsigned int i;

	c.nb_lines += pw_yaml_line_breaks(data, size);
	if (pw_yaml2json_stream(data, size, on_doc, &c) != 0)
		abort();
	/* The whole stream at once: an error must name a line too, which for a syntax error at
	 * the end of the input is the line after the last one (libyaml's mark). */
	if (pw_yaml_parse(data, size, &params, &stream, &err) != 0) {
		c.nb_lines += err.syntax;
		check_error(&c, &err);
		return 0;
	}
	for (i = 0; i < stream->nb_docs; i++) {
		json_t *json = NULL;

		if (pw_yaml2json(stream->docs[i].root, &json, &err) != 0)
			check_error(&c, &err);
		json_decref(json);
	}
	pw_yaml_stream_free(stream);
	return 0;
}
