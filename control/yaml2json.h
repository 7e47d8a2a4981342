/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * YAML to JSON (jansson), as Kubernetes manifests are read: scalars resolve by the YAML 1.2
 * core schema, so that a manifest's "port: 80" is a number and "name: web" a string.
 *
 * Plain (unquoted) scalars:
 * - "" (empty), "~", "null", "Null", "NULL": null
 * - "true", "True", "TRUE", "false", "False", "FALSE": true/false ("yes", "on"... are strings)
 * - [-+] then decimal digits, "0x" hex or "0o" octal: an integer; a decimal beyond int64_t
 *   becomes a real, hex or octal beyond it is an error
 * - [-+] digits with "." and/or an exponent (".5", "1.", "1e3", "1.5E-3"): a real; ".inf" and
 *   ".nan" are errors, since JSON has no such numbers
 * - anything else: a string. Quoted and block ("|", ">") scalars are always strings.
 * Explicit tags: "!!str" and "!" make a string; "!!int", "!!float", "!!bool", "!!null" demand
 * that type (!!float accepts integers); "!!binary" and "!!timestamp" keep the text as a string;
 * "!!map", "!!seq" must match the node. Other tags are errors.
 *
 * Mappings become objects and sequences arrays. Keys must be scalars and are taken as their
 * text (so "1: x" has key "1"); a duplicate key, an alias ("*a") and a merge key ("<<") are
 * errors, each reported with its line. Anchors ("&a") alone are accepted and ignored.
 *
 * Nothing here logs. Not thread-safe per call; no shared state.
 */
#ifndef PW_YAML2JSON_H
#define PW_YAML2JSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "control/yamltree.h"

/**
 * Convert one node (usually a document's root) and everything under it.
 * @param ret
 *   On success a new reference, owned by the caller; untouched on failure.
 * @param err
 *   On failure, the line of the offending node and a message; may be NULL.
 * @return 0, -EINVAL (see the file comment for what is refused) or -ENOMEM.
 */
int pw_yaml2json(const struct pw_yaml_node *n, json_t **ret, struct pw_yaml_error *err);

/**
 * Called once per document of a stream, in order.
 * @param line
 *   The line where the document starts (its first node, or "---" for an explicit start), or
 *   for a document that does not parse, the line of the syntax error.
 * @param root
 *   The document's tree (borrowed: valid during the call), NULL if it did not parse; lets the
 *   caller find the line of a part of the document.
 * @param json
 *   The document (borrowed: json_incref() it to keep it), NULL on error. An empty document is
 *   a JSON null.
 * @param err
 *   Why the document is unusable, NULL on success.
 */
typedef void (*pw_yaml2json_doc_cb)(void *arg, unsigned int line, const struct pw_yaml_node *root,
	json_t *json, const struct pw_yaml_error *err);

/**
 * Convert every document of a YAML stream, each on its own: the text is split at separator
 * lines ("---" alone or followed by a comment) as Kubernetes' YAMLReader does, so a document
 * that does not parse costs only itself. A separator followed by content ("--- {a: 1}") does
 * not split, but libyaml still reads it as a new document.
 * @param data
 *   The text (need not be NUL-terminated); may be NULL when @p len is 0.
 * @param cb
 *   Called per document. Blanks and comments before the first "---" are no document; after a
 *   "---", they are an empty one (JSON null).
 * @return 0 (even if some documents failed: see @p cb), -EFBIG (@p len over PW_YAML_MAX_SIZE),
 *         -ENOMEM, or -EINVAL for bad arguments.
 */
int pw_yaml2json_stream(const uint8_t *data, size_t len, pw_yaml2json_doc_cb cb, void *arg);

#endif /* PW_YAML2JSON_H */
