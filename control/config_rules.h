/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Internal to the configuration loader: per-key rules (ranges, formats) checked on the YAML
 * tree before libcyaml loads it, and the value parsers that the loader shares with them.
 */
#ifndef PW_CONFIG_RULES_H
#define PW_CONFIG_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/yamlschema.h"

/**
 * The rule table for pw_yaml_schema_check(), keyed by key path without indices.
 * @param ret_nb
 *   Number of rules.
 * @return a static table.
 */
const struct pw_yaml_rule *pw_config_rules(size_t *ret_nb);

/**
 * A port device's identity, so that two spellings of one device compare equal: a PCI address
 * "DDDD:BB:DD.F" or "BB:DD.F" becomes "DDDD:BB:DD.F"; a vdev "net_<driver><n>[,args]" becomes
 * its name. Either may be followed by ",devargs".
 * @return true and the identity in @p canon, or false if @p s is neither.
 */
bool pw_config_device_identity(const char *s, char *canon, size_t size);

/**
 * The socket mode, written in octal with a leading 0 ("0660" or "0o660"), as YAML 1.1 reads
 * 0660. It is a string in the schema because "660" or "0668" must not silently become some
 * other number.
 * @return 0 and the mode in @p ret_mode, or -EINVAL.
 */
int pw_config_parse_mode(const char *s, uint32_t *ret_mode);

#endif /* PW_CONFIG_RULES_H */
