/* SPDX-License-Identifier: Apache-2.0 */
/* From configuration to EAL arguments, and the hugepage probe over fixture /proc files. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/config.h"
#include "control/eal_args.h"

/* Writable strings for struct pw_config, which owns char *. */
static char str0[] = "a";
static char str1[] = "net_pcap0,rx_pcap=/tmp/in.pcap,tx_pcap=/tmp/out.pcap";
static char str2[] = "b";
static char str3[] = "net_ring1";
static char str4[] = "test.yaml";
static char str5[] = "3b:00.1";
static char str6[] = "--file-prefix=mine";
static char str7[] = "--log-level=user.podwall.*:debug";
static char str8[] = "--lcores=0@0,1@1,3@1";
static char str9[] = "-l";
static char str10[] = "0,1,3";

struct fixture {
	char dir[64];
	char meminfo[128];
	char mounts[128];
	struct pw_hugepage_probe probe;
	struct pw_config cfg;
	struct pw_config_port ports[2];
	unsigned int lcores[2];
	char *eal_extra[2];
};

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
set_hugepages(struct fixture *f, bool mounted, unsigned int free_pages)
{
	char buf[256];

	write_file(f->mounts,
		mounted ? "proc /proc proc rw 0 0\nnone /dev/hugepages hugetlbfs "
			  "rw,pagesize=2M 0 0\n" :
			  "proc /proc proc rw 0 0\n");
	snprintf(buf, sizeof(buf),
		"MemTotal: 24000000 kB\nHugePages_Total: %u\nHugePages_Free: %u\n"
		"Hugepagesize: 2048 kB\n",
		free_pages, free_pages);
	write_file(f->meminfo, buf);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/pw-eal-XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->meminfo, sizeof(f->meminfo), "%s/meminfo", f->dir);
	snprintf(f->mounts, sizeof(f->mounts), "%s/mounts", f->dir);
	f->probe.meminfo_path = f->meminfo;
	f->probe.mounts_path = f->mounts;
	f->ports[0].name = str0;
	f->ports[0].device = str1;
	f->ports[1].name = str2;
	f->ports[1].device = str3;
	f->lcores[0] = 1;
	f->lcores[1] = 3;
	f->cfg.path = str4;
	f->cfg.ports = f->ports;
	f->cfg.nb_ports = 2;
	f->cfg.worker_lcores = f->lcores;
	f->cfg.nb_worker_lcores = 2;
	f->cfg.memory_mb = 512;
	f->cfg.hugepages = PW_HUGEPAGES_AUTO;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	unlink(f->meminfo);
	unlink(f->mounts);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The index of @s in @a, or -1. */
static int
find_arg(const struct pw_eal_args *a, const char *s)
{
	int i;

	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return i;
	return -1;
}

static void
test_probe(void **state)
{
	struct fixture *f = *state;
	char why[256];

	set_hugepages(f, false, 1024);
	assert_false(pw_hugepages_available(&f->probe, 512, why, sizeof(why)));
	assert_string_equal(why, "no hugetlbfs mounted");
	set_hugepages(f, true, 100);
	assert_false(pw_hugepages_available(&f->probe, 512, why, sizeof(why)));
	assert_string_equal(why, "200 MB of hugepages free, 512 MB needed");
	set_hugepages(f, true, 256);
	assert_true(pw_hugepages_available(&f->probe, 512, why, sizeof(why)));
	f->probe.meminfo_path = "/nonexistent/meminfo";
	assert_false(pw_hugepages_available(&f->probe, 512, why, sizeof(why)));
}

static void
test_vdevs_no_huge(void **state)
{
	struct fixture *f = *state;
	struct pw_eal_args a;
	char err[256];
	int i;

	set_hugepages(f, false, 0);
	assert_int_equal(pw_eal_args_build(&f->cfg, "podwall", &f->probe, &a, err, sizeof(err)), 0);
	assert_false(a.hugepages);
	assert_string_equal(a.argv[0], "podwall");
	i = find_arg(&a, "-l");
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "0,1,3");
	i = find_arg(&a, "--vdev");
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], f->ports[0].device);
	assert_string_equal(a.argv[i + 2], "--vdev");
	assert_string_equal(a.argv[i + 3], "net_ring1");
	assert_true(find_arg(&a, "--no-pci") > 0);
	i = find_arg(&a, "--no-huge");
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "-m");
	assert_string_equal(a.argv[i + 2], "512");
	assert_true(find_arg(&a, "--file-prefix=podwall") > 0);
	assert_null(a.argv[a.argc]);
	pw_eal_args_free(&a);
}

static void
test_pci_with_hugepages(void **state)
{
	struct fixture *f = *state;
	struct pw_eal_args a;
	char err[256];
	int i;

	set_hugepages(f, true, 1024);
	f->ports[1].device = str5;
	assert_int_equal(pw_eal_args_build(&f->cfg, "podwall", &f->probe, &a, err, sizeof(err)), 0);
	assert_true(a.hugepages);
	i = find_arg(&a, "-a");
	assert_true(i > 0);
	assert_string_equal(a.argv[i + 1], "3b:00.1");
	assert_int_equal(find_arg(&a, "--no-pci"), -1);
	assert_int_equal(find_arg(&a, "--no-huge"), -1);
	pw_eal_args_free(&a);
}

static void
test_hugepages_on_but_unavailable(void **state)
{
	struct fixture *f = *state;
	struct pw_eal_args a;
	char err[256];

	set_hugepages(f, true, 10);
	f->cfg.hugepages = PW_HUGEPAGES_ON;
	assert_int_equal(
		pw_eal_args_build(&f->cfg, "podwall", &f->probe, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "test.yaml: dpdk.hugepages is on but 20 MB"));
}

static void
test_hugepages_off_and_user_args(void **state)
{
	struct fixture *f = *state;
	struct pw_eal_args a;
	char err[256];

	set_hugepages(f, true, 4096);
	f->cfg.hugepages = PW_HUGEPAGES_OFF;
	f->eal_extra[0] = str6;
	f->eal_extra[1] = str7;
	f->cfg.eal_args = f->eal_extra;
	f->cfg.nb_eal_args = 2;
	assert_int_equal(pw_eal_args_build(&f->cfg, "podwall", &f->probe, &a, err, sizeof(err)), 0);
	assert_false(a.hugepages);
	assert_true(find_arg(&a, "--no-huge") > 0);
	assert_int_equal(find_arg(&a, "--file-prefix=podwall"), -1);
	/* The operator's own arguments come last, so they can override. */
	assert_string_equal(a.argv[a.argc - 2], "--file-prefix=mine");
	assert_string_equal(a.argv[a.argc - 1], "--log-level=user.podwall.*:debug");
	pw_eal_args_free(&a);
}

/* An lcore map of the operator's replaces podwall's "-l": several lcores on one CPU. */
static void
test_user_lcores_replace_l(void **state)
{
	struct fixture *f = *state;
	struct pw_eal_args a;
	char err[256];

	set_hugepages(f, false, 0);
	f->eal_extra[0] = str8;
	f->cfg.eal_args = f->eal_extra;
	f->cfg.nb_eal_args = 1;
	assert_int_equal(pw_eal_args_build(&f->cfg, "podwall", &f->probe, &a, err, sizeof(err)), 0);
	assert_int_equal(find_arg(&a, "-l"), -1);
	assert_string_equal(a.argv[a.argc - 1], "--lcores=0@0,1@1,3@1");
	pw_eal_args_free(&a);
	f->eal_extra[0] = str9;
	f->eal_extra[1] = str10;
	f->cfg.nb_eal_args = 2;
	assert_int_equal(pw_eal_args_build(&f->cfg, "podwall", &f->probe, &a, err, sizeof(err)), 0);
	/* Once, the operator's: podwall pushed none. */
	assert_int_equal(find_arg(&a, "-l"), a.argc - 2);
	assert_string_equal(a.argv[a.argc - 1], "0,1,3");
	pw_eal_args_free(&a);
	/* Without one, podwall's own stays. */
	f->eal_extra[0] = str7;
	f->cfg.nb_eal_args = 1;
	assert_int_equal(pw_eal_args_build(&f->cfg, "podwall", &f->probe, &a, err, sizeof(err)), 0);
	assert_string_equal(a.argv[find_arg(&a, "-l") + 1], "0,1,3");
	pw_eal_args_free(&a);
}

static void
test_dev_names(void **state)
{
	char buf[64];
	bool pci;

	(void)state;
	assert_int_equal(pw_port_dev_name("net_af_packet0,iface=veth0", buf, sizeof(buf), &pci), 0);
	assert_false(pci);
	assert_string_equal(buf, "net_af_packet0");
	assert_int_equal(pw_port_dev_name("0000:3b:00.0", buf, sizeof(buf), &pci), 0);
	assert_true(pci);
	assert_string_equal(buf, "0000:3b:00.0");
	assert_int_equal(pw_port_dev_name("3B:00.1,rxq_cqe_comp_en=0", buf, sizeof(buf), &pci), 0);
	assert_true(pci);
	assert_string_equal(buf, "0000:3b:00.1");
	assert_int_equal(pw_port_dev_name("", buf, sizeof(buf), &pci), -EINVAL);
	assert_int_equal(pw_port_dev_name(",x=1", buf, sizeof(buf), &pci), -EINVAL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vdevs_no_huge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pci_with_hugepages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hugepages_on_but_unavailable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hugepages_off_and_user_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_lcores_replace_l, setup, teardown),
		cmocka_unit_test(test_dev_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
