/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Checks a YAML tree (control/yamltree.h) against a libcyaml schema before libcyaml loads it,
 * so that every error names its line and key path ("ports[1].role"). libcyaml 1.3.1 reports
 * errors without lines and parses scalars laxly ("1_000" as 1, "maybe" as true); this check is
 * strict: integers are plain decimal or 0x hex without leading zeros, booleans are true/false,
 * enum names match exactly, and strings hold no NUL.
 *
 * Supported schema types: mappings (at most 32 fields), sequences, CYAML_INT, CYAML_UINT,
 * CYAML_BOOL, CYAML_ENUM and CYAML_STRING; any other type is a programmer error (assert).
 * Aliases are refused. Every integer field must have a rule (its range).
 */
#ifndef PW_YAMLSCHEMA_H
#define PW_YAMLSCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cyaml/cyaml.h>

#include "control/yamltree.h"

/** Size of a key path in messages, NUL included; a longer path is cut. */
#define PW_YAML_PATH_LEN 256
/** Size of a pw_yaml_check_error message, NUL included. */
#define PW_YAML_CHECK_MSG_LEN 512

struct pw_yaml_rule;

/**
 * Extra check of a string value. Write the whole message (without path) into @p msg.
 * @return 0 if valid, -EINVAL otherwise.
 */
typedef int (*pw_yaml_string_check)(
	const struct pw_yaml_node *n, const struct pw_yaml_rule *rule, char *msg, size_t size);

/** Checks beyond the schema for one value, found by its key path without list indices. */
struct pw_yaml_rule {
	const char *path; /**< "workers.lcores" for every workers.lcores[i] */
	int64_t min;	  /**< integers: smallest allowed value */
	int64_t max;	  /**< integers: largest allowed value; strings: free for @p check */
	bool pow2;	  /**< integers: must also be a power of two */
	pw_yaml_string_check check; /**< strings: NULL or an extra check */
};

/** Where and why a check failed. */
struct pw_yaml_check_error {
	unsigned int line;	     /**< 1-based */
	char path[PW_YAML_PATH_LEN]; /**< "ports[1].role", "(root)" for the document itself */
	char msg[PW_YAML_CHECK_MSG_LEN];
};

/**
 * Check @p root against @p schema and @p rules.
 * @param err
 *   Filled on failure (the first error found).
 * @return 0 or -EINVAL.
 */
int pw_yaml_schema_check(const struct pw_yaml_node *root, const cyaml_schema_value_t *schema,
	const struct pw_yaml_rule *rules, size_t nb_rules, struct pw_yaml_check_error *err);

#endif /* PW_YAMLSCHEMA_H */
