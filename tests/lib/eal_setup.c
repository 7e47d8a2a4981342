/* SPDX-License-Identifier: Apache-2.0 */
#include "tests/lib/eal_setup.h"

#include <stdio.h>
#include <string.h>

#include <rte_eal.h>

#define MAX_ARGS 32

int
pwt_eal_init(const char *name, const char *mem_mb, const char *const *extra)
{
	/* EAL keeps pointers into argv and may permute it: give it storage of its own. */
	static char args[MAX_ARGS][128];
	static char *argv[MAX_ARGS + 1];
	const char *fixed[] = { name, "--no-huge", "-m", mem_mb, "--no-pci", "--no-telemetry", "-l",
		"0", "--log-level=lib.eal:error" };
	int argc = 0;
	unsigned int i;

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		snprintf(args[argc++], sizeof(args[0]), "%s", fixed[i]);
	snprintf(args[argc++], sizeof(args[0]), "--file-prefix=%s", name);
	for (i = 0; extra != NULL && extra[i] != NULL && argc < MAX_ARGS; i++)
		snprintf(args[argc++], sizeof(args[0]), "%s", extra[i]);
	for (i = 0; i < (unsigned int)argc; i++)
		argv[i] = args[i];
	argv[argc] = NULL;
	return rte_eal_init(argc, argv) < 0 ? -1 : 0;
}
