/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file
 * From configuration to EAL arguments: lcores, ports (--vdev / -a), memory (hugepages when
 * there are enough, else --no-huge), then the operator's own extra arguments.
 */
#ifndef PW_EAL_ARGS_H
#define PW_EAL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pw_config;

#define PW_EAL_MAX_ARGS 256

struct pw_eal_args {
	int argc;
	char *argv[PW_EAL_MAX_ARGS + 1]; /**< malloc'd strings, NULL-terminated */
	bool hugepages;			 /**< true: EAL uses hugepages; false: --no-huge */
	char why[256];			 /**< why hugepages are used or not, for the log */
};

/** Where the hugepage probe reads; tests point these at fixture files. */
struct pw_hugepage_probe {
	const char *meminfo_path; /**< normally /proc/meminfo */
	const char *mounts_path;  /**< normally /proc/mounts */
};

/**
 * Whether @p need_mb megabytes of free hugepages are available on a mounted hugetlbfs.
 * @p why receives a one-line explanation either way.
 */
bool pw_hugepages_available(
	const struct pw_hugepage_probe *probe, uint32_t need_mb, char *why, size_t why_len);

/**
 * The ethdev name EAL gives the device of a configured port: the devargs name before the
 * first comma for a vdev ("net_pcap0"), the full domain:bus:dev.fn form for PCI.
 * @return 0, or -EINVAL for an empty or oversized device string.
 */
int pw_port_dev_name(const char *device, char *buf, size_t len, bool *ret_is_pci);

/**
 * Build the EAL argument vector for @p cfg. @p probe NULL means the real /proc files.
 * @return 0, or -EINVAL (message in @p err: hugepages "on" but unavailable, too many
 * arguments) or -ENOMEM.
 */
int pw_eal_args_build(const struct pw_config *cfg, const char *prog,
	const struct pw_hugepage_probe *probe, struct pw_eal_args *ret, char *err, size_t err_len);

/** Free the strings of @p args (not the struct). */
void pw_eal_args_free(struct pw_eal_args *args);

#endif /* PW_EAL_ARGS_H */
