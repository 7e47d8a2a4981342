/* SPDX-License-Identifier: Apache-2.0 */
#include "eal_args.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* "0000:3b:00.0" or "3b:00.0". */
static bool
is_pci_address(const char *s)
{
	unsigned int dom, bus, dev, fn;
	char tail;

	if (sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) == 4)
		return true;
	return sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) == 3;
}

int
pw_port_dev_name(const char *device, char *buf, size_t len, bool *ret_is_pci)
{
	size_t n = strcspn(device, ",");
	char head[64];
	unsigned int dom = 0, bus, dev, fn;

	if (n == 0 || n >= sizeof(head))
		return -EINVAL;
	memcpy(head, device, n);
	head[n] = '\0';
	*ret_is_pci = is_pci_address(head);
	if (*ret_is_pci) {
		if (sscanf(head, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4) {
			dom = 0;
			(void)sscanf(head, "%x:%x.%x", &bus, &dev, &fn);
		}
		snprintf(buf, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	} else {
		snprintf(buf, len, "%s", head);
	}
	return 0;
}

static bool
hugetlbfs_mounted(const char *mounts_path)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(mounts_path, "r");

	if (f == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		char dev[128], dir[256], type[64];

		if (sscanf(line, "%127s %255s %63s", dev, dir, type) == 3 &&
			strcmp(type, "hugetlbfs") == 0)
			found = true;
	}
	fclose(f);
	return found;
}

bool
pw_hugepages_available(
	const struct pw_hugepage_probe *probe, uint32_t need_mb, char *why, size_t why_len)
{
	uint64_t free_pages = 0, page_kb = 0, free_mb;
	char line[256];
	FILE *f;

	if (!hugetlbfs_mounted(probe->mounts_path)) {
		snprintf(why, why_len, "no hugetlbfs mounted");
		return false;
	}
	f = fopen(probe->meminfo_path, "r");
	if (f == NULL) {
		snprintf(why, why_len, "cannot read %s", probe->meminfo_path);
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		(void)sscanf(line, "HugePages_Free: %" SCNu64, &free_pages);
		(void)sscanf(line, "Hugepagesize: %" SCNu64 " kB", &page_kb);
	}
	fclose(f);
	free_mb = free_pages * page_kb / 1024;
	if (free_mb < need_mb) {
		snprintf(why, why_len, "%" PRIu64 " MB of hugepages free, %u MB needed", free_mb,
			need_mb);
		return false;
	}
	snprintf(why, why_len, "%" PRIu64 " MB of hugepages free (%" PRIu64 " kB pages)", free_mb,
		page_kb);
	return true;
}

static int
push(struct pw_eal_args *a, const char *s)
{
	if (a->argc >= PW_EAL_MAX_ARGS)
		return -E2BIG;
	a->argv[a->argc] = strdup(s);
	if (a->argv[a->argc] == NULL)
		return -ENOMEM;
	a->argc++;
	a->argv[a->argc] = NULL;
	return 0;
}

static bool
user_sets(const struct pw_config *cfg, const char *opt)
{
	size_t n = strlen(opt);
	unsigned int i;

	for (i = 0; i < cfg->nb_eal_args; i++)
		if (strncmp(cfg->eal_args[i], opt, n) == 0)
			return true;
	return false;
}

/* The operator maps lcores to CPUs: "--lcores=0@0,1@1,2@1" (or "--lcores LIST", "-l LIST")
 * in dpdk.eal_args, e.g. to run two workers on a two-CPU machine. */
static bool
user_sets_lcores(const struct pw_config *cfg)
{
	unsigned int i;

	for (i = 0; i < cfg->nb_eal_args; i++)
		if (strcmp(cfg->eal_args[i], "-l") == 0)
			return true;
	return user_sets(cfg, "--lcores");
}

static int
push_lcores(struct pw_eal_args *a, const struct pw_config *cfg)
{
	char buf[1024];
	size_t off;
	unsigned int i;

	/* lcore 0 is the main lcore: it runs control. */
	off = (size_t)snprintf(buf, sizeof(buf), "0");
	for (i = 0; i < cfg->nb_worker_lcores && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, ",%u", cfg->worker_lcores[i]);
	if (off >= sizeof(buf))
		return -E2BIG;
	if (push(a, "-l") != 0 || push(a, buf) != 0)
		return -ENOMEM;
	return 0;
}

static int
push_ports(struct pw_eal_args *a, const struct pw_config *cfg)
{
	bool any_pci = false;
	unsigned int i;

	for (i = 0; i < cfg->nb_ports; i++) {
		char name[64];
		bool pci;
		int ret;

		ret = pw_port_dev_name(cfg->ports[i].device, name, sizeof(name), &pci);
		if (ret != 0)
			return ret;
		ret = push(a, pci ? "-a" : "--vdev");
		if (ret == 0)
			ret = push(a, cfg->ports[i].device);
		if (ret != 0)
			return ret;
		any_pci |= pci;
	}
	/* Without a PCI port, keep EAL from probing (and taking) the host's NICs. */
	return any_pci ? 0 : push(a, "--no-pci");
}

int
pw_eal_args_build(const struct pw_config *cfg, const char *prog,
	const struct pw_hugepage_probe *probe, struct pw_eal_args *ret, char *err, size_t err_len)
{
	static const struct pw_hugepage_probe real = { "/proc/meminfo", "/proc/mounts" };
	char mem[32];
	unsigned int i;
	int rc;

	memset(ret, 0, sizeof(*ret));
	if (probe == NULL)
		probe = &real;
	switch (cfg->hugepages) {
	case PW_HUGEPAGES_OFF:
		ret->hugepages = false;
		snprintf(ret->why, sizeof(ret->why), "hugepages: off in %s", cfg->path);
		break;
	case PW_HUGEPAGES_ON:
		ret->hugepages =
			pw_hugepages_available(probe, cfg->memory_mb, ret->why, sizeof(ret->why));
		if (!ret->hugepages) {
			snprintf(err, err_len, "%s: dpdk.hugepages is on but %s", cfg->path,
				ret->why);
			return -EINVAL;
		}
		break;
	default:
		ret->hugepages =
			pw_hugepages_available(probe, cfg->memory_mb, ret->why, sizeof(ret->why));
		break;
	}

	rc = push(ret, prog);
	/* The operator's own lcore map replaces "-l 0,<workers>": EAL takes only one. */
	if (rc == 0 && !user_sets_lcores(cfg))
		rc = push_lcores(ret, cfg);
	if (rc == 0)
		rc = push_ports(ret, cfg);
	if (rc == 0 && !ret->hugepages) {
		snprintf(mem, sizeof(mem), "%u", cfg->memory_mb);
		rc = push(ret, "--no-huge");
		if (rc == 0)
			rc = push(ret, "-m");
		if (rc == 0)
			rc = push(ret, mem);
	}
	if (rc == 0 && !user_sets(cfg, "--file-prefix"))
		rc = push(ret, "--file-prefix=podwall");
	for (i = 0; rc == 0 && i < cfg->nb_eal_args; i++)
		rc = push(ret, cfg->eal_args[i]);
	if (rc != 0) {
		snprintf(err, err_len, "%s: EAL arguments: %s", cfg->path,
			rc == -E2BIG ? "too many" : strerror(-rc));
		pw_eal_args_free(ret);
		return rc == -E2BIG ? -EINVAL : rc;
	}
	return 0;
}

void
pw_eal_args_free(struct pw_eal_args *args)
{
	int i;

	for (i = 0; i < args->argc; i++)
		free(args->argv[i]);
	args->argc = 0;
	args->argv[0] = NULL;
}
