/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Internal to the manifests source (control/manifests.h): the content of one file to the
 * objects it defines, each with its identity key and line. Pure: no files, no state, no
 * logging; the rules (Lists, default namespace, cluster-scoped kinds) are those documented in
 * manifests.h.
 */
#ifndef PW_MANIFESTS_PARSE_H
#define PW_MANIFESTS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** One object as one file defines it. */
struct pw_manifests_obj {
	char *key;	/**< kind '\0' namespace '\0' name '\0' (namespace "" if cluster-scoped) */
	size_t key_len; /**< bytes of key, the last NUL excluded */
	json_t *json;	/**< one reference, owned */
	unsigned int line; /**< where the object starts */
};

/** The objects of one file, in order of first appearance, indexed by key. Zero-initialise. */
struct pw_manifests_objs {
	struct pw_manifests_obj *objs;
	unsigned int nb_objs;
	unsigned int cap_objs;
	json_t *index; /**< key -> position in objs; NULL while empty */
};

/** Called for each document or List item that cannot be used; @p msg is one line. */
typedef void (*pw_manifests_parse_error_cb)(void *arg, unsigned int line, const char *msg);

/**
 * Read the objects of one file's content into @p objs (appended; a key already there is
 * replaced: the later definition wins).
 * @param is_json
 *   The content is one or more JSON values (else a YAML stream).
 * @param on_error
 *   Called for every unusable document, with its line; may be NULL.
 * @return the number of errors reported (0: every document was usable), or -ENOMEM (@p objs
 *         then holds what was read so far).
 */
int pw_manifests_parse(const uint8_t *buf, size_t len, bool is_json, struct pw_manifests_objs *objs,
	pw_manifests_parse_error_cb on_error, void *arg);

/**
 * Append an object, or replace the one with the same key.
 * @param key
 *   Malloc'd; ownership passes to @p objs, even on failure.
 * @param json
 *   Borrowed: @p objs takes its own reference.
 * @return 0 or -ENOMEM.
 */
int pw_manifests_objs_push(
	struct pw_manifests_objs *objs, char *key, size_t key_len, json_t *json, unsigned int line);

/** The object with key @p key, or NULL. */
const struct pw_manifests_obj *pw_manifests_objs_find(
	const struct pw_manifests_objs *objs, const char *key, size_t key_len);

/** Free every object and the index, leaving @p objs empty (zeroed). */
void pw_manifests_objs_clear(struct pw_manifests_objs *objs);

#endif /* PW_MANIFESTS_PARSE_H */
