/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * Unit-test helper: start EAL the way every DPDK unit test here does (STYLE.md "Tests").
 */
#ifndef PW_TEST_EAL_SETUP_H
#define PW_TEST_EAL_SETUP_H

/**
 * rte_eal_init() with `--no-huge -m MEM --no-pci --no-telemetry --file-prefix=NAME -l 0
 * --log-level=lib.eal:error`, then @p extra (NULL-terminated, may be NULL).
 * @return 0, or -1 when EAL does not start.
 */
int pwt_eal_init(const char *name, const char *mem_mb, const char *const *extra);

#endif /* PW_TEST_EAL_SETUP_H */
