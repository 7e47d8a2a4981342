/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * A YAML stream as a tree of nodes that know their line, built from libyaml's event parser.
 * Shared by the configuration loader (which checks the tree against its schema) and the
 * manifests source (which converts it to JSON). Anchors and aliases are kept as written, never
 * expanded: an alias is a node of its own that callers refuse or report.
 *
 * Nothing here logs: errors come back as -errno plus a struct pw_yaml_error that names the
 * line. Not thread-safe per object; distinct streams may be used from distinct threads.
 */
#ifndef PW_YAMLTREE_H
#define PW_YAMLTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Default nesting limit of pw_yaml_parse() (mappings and sequences). */
#define PW_YAML_MAX_DEPTH 64
/** Default node limit: bounds the memory an input costs (a node is about 80 bytes). */
#define PW_YAML_MAX_NODES (1024 * 1024)
/** Default input size limit. */
#define PW_YAML_MAX_SIZE (16 * 1024 * 1024)
/** Size of an error message, NUL included. */
#define PW_YAML_ERR_LEN 256
/** Longest excerpt of user text that pw_yaml_excerpt() copies, before "...". */
#define PW_YAML_EXCERPT_LEN 48

enum pw_yaml_kind {
	PW_YAML_SCALAR,
	PW_YAML_MAPPING,
	PW_YAML_SEQUENCE,
	PW_YAML_ALIAS, /**< "*name": text is the anchor name */
};

/** One node. A mapping's kids are key, value, key, value, ...; a sequence's are its items. */
struct pw_yaml_node {
	enum pw_yaml_kind kind;
	unsigned int line; /**< 1-based line of the node's first character */
	bool plain; /**< scalar written without quotes or block style: may be a bool, number or null */
	char *text; /**< scalar value or alias name, NUL-terminated; may hold NULs: see len */
	size_t len; /**< bytes in text, terminating NUL excluded */
	char *tag;  /**< explicit tag, resolved ("tag:yaml.org,2002:str" for "!!str"), or NULL */
	struct pw_yaml_node *parent; /**< NULL for a document root */
	struct pw_yaml_node **kids;
	unsigned int nb_kids;
	unsigned int cap_kids; /**< internal: allocated entries of kids */
};

/** One document of a stream. */
struct pw_yaml_doc {
	struct pw_yaml_node *root; /**< never NULL; an empty document is an empty plain scalar */
	unsigned int line;	   /**< line where the document starts ("---" or its first node) */
};

/** A parsed stream: zero or more documents. */
struct pw_yaml_stream {
	struct pw_yaml_doc *docs;
	unsigned int nb_docs;
};

/** Options of pw_yaml_parse(); zero-initialised fields take the defaults. */
struct pw_yaml_params {
	bool multi_doc;		 /**< accept several documents; false: a second one is an error */
	unsigned int first_line; /**< line number of data[0], for a part of a file; 0 means 1 */
	unsigned int max_depth;	 /**< 0: PW_YAML_MAX_DEPTH */
	unsigned int max_nodes;	 /**< 0: PW_YAML_MAX_NODES */
	size_t max_size;	 /**< 0: PW_YAML_MAX_SIZE */
};

/** Why a parse or a conversion failed. */
struct pw_yaml_error {
	unsigned int line; /**< 1-based line of the problem; one past the last line for a syntax
			    error at the end of the input (libyaml's mark) */
	bool syntax; /**< true: libyaml rejected the text; false: a limit or a rule of the caller */
	char msg[PW_YAML_ERR_LEN]; /**< one line, without file or line prefix */
};

/**
 * Parse a YAML stream into trees.
 *
 * @param data
 *   The text; need not be NUL-terminated. May be NULL when @p len is 0.
 * @param params
 *   Options; NULL for the defaults (one document).
 * @param ret_stream
 *   On success, the documents; free with pw_yaml_stream_free(). Untouched on failure.
 * @param err
 *   On failure, the line and message; may be NULL.
 * @return
 *   0; -EINVAL for a syntax error, a second document when not allowed, a nesting or node limit
 *   exceeded; -EFBIG for input over max_size; -ENOMEM.
 */
int pw_yaml_parse(const uint8_t *data, size_t len, const struct pw_yaml_params *params,
	struct pw_yaml_stream **ret_stream, struct pw_yaml_error *err);

/**
 * Count line breaks as YAML (and so libyaml's line numbers) does: "\n", "\r\n", a lone "\r",
 * and the UTF-8 NEL, LS and PS characters. A "\r" ending @p data counts as a break.
 */
unsigned int pw_yaml_line_breaks(const uint8_t *data, size_t len);

/** Free a stream and all its nodes; NULL is a no-op. */
void pw_yaml_stream_free(struct pw_yaml_stream *stream);

/** Whether @p n is a plain null scalar: empty, "~", "null", "Null" or "NULL" (tags ignored). */
bool pw_yaml_is_null(const struct pw_yaml_node *n);

/**
 * The value of key @p key (a scalar compared byte for byte) in mapping @p map.
 * @return the first matching value, or NULL if absent or if @p map is NULL or not a mapping.
 */
const struct pw_yaml_node *pw_yaml_map_get(const struct pw_yaml_node *map, const char *key);

/** Item @p i of sequence @p seq; NULL if out of range or if @p seq is NULL or not a sequence. */
const struct pw_yaml_node *pw_yaml_seq_get(const struct pw_yaml_node *seq, unsigned int i);

/**
 * Copy user text for a message: at most PW_YAML_EXCERPT_LEN bytes and "..." if cut, control
 * characters replaced by '?', so that the message stays one readable line.
 * @return @p buf. @p size must be at least 4.
 */
const char *pw_yaml_excerpt(const char *text, size_t len, char *buf, size_t size);

/**
 * Describe a node for "expected X, found Y" messages: "a mapping", "a list", "an alias",
 * "an empty value" or the quoted excerpt "'abc'" (written into @p buf).
 * @return a static string or @p buf.
 */
const char *pw_yaml_describe(const struct pw_yaml_node *n, char *buf, size_t size);

/**
 * Parse an integer: optional sign, then decimal digits (leading zeros allowed: the caller
 * decides), "0x" hexadecimal or, if @p octal, "0o" octal. No spaces, no '_'.
 * @param ret
 *   The value, set only on success.
 * @return 0; -EINVAL if @p s is not an integer; -ERANGE if it is one beyond int64_t.
 */
int pw_yaml_parse_int(const char *s, bool octal, int64_t *ret);

/**
 * Read a whole file, stopping at @p max_size + 1 bytes so that the caller can tell "too large"
 * from the length alone.
 * @param nonblock
 *   Open with O_NONBLOCK and refuse anything but a regular file (-EINVAL), so that a FIFO can
 *   never block the caller; false also reads pipes (a config file given as /dev/fd/N).
 * @param ret_buf
 *   A malloc'd buffer (never NULL on success), owned by the caller.
 * @return 0, -EISDIR, -EINVAL, -ENOMEM or -errno from open()/read().
 */
int pw_yaml_read_file(
	const char *path, size_t max_size, bool nonblock, uint8_t **ret_buf, size_t *ret_len);

#endif /* PW_YAMLTREE_H */
