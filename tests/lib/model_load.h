/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Unit-test helper: build a model from manifests written inline as JSON with single quotes
 * (so they read like manifests inside C strings).
 */
#ifndef PW_TEST_MODEL_LOAD_H
#define PW_TEST_MODEL_LOAD_H

struct pw_model;

/**
 * Decode one object ("{'apiVersion':'v1','kind':'Pod',...}", single quotes for double) and
 * put it in @p m; fails the running cmocka test on bad JSON, a decode error or a refused put.
 */
void pwt_load(struct pw_model *m, const char *text);

#endif /* PW_TEST_MODEL_LOAD_H */
