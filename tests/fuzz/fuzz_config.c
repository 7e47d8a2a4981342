/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the configuration loader: any bytes either load into a configuration that
 * keeps the documented bounds, or fail with one line that names the file. A message from
 * libcyaml itself means the schema check missed something libcyaml rejects: that is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_config(const struct pw_config *cfg)
{
	unsigned int i;

	if (cfg->node_name == NULL || cfg->socket_path == NULL ||
		strcmp(cfg->path, "fuzz.yaml") != 0)
		abort();
	if (cfg->nb_ports < 1 || cfg->nb_ports > PW_CONFIG_MAX_PORTS)
		abort();
	for (i = 0; i < cfg->nb_ports; i++)
		if (cfg->ports[i].name == NULL || cfg->ports[i].device == NULL)
			abort();
	if (cfg->fwd_mode == PW_FWD_WIRE && cfg->nb_ports % 2 != 0)
		abort();
	if (cfg->nb_worker_lcores < 1 || cfg->nb_worker_lcores > PW_CONFIG_MAX_LCORES)
		abort();
	for (i = 0; i < cfg->nb_worker_lcores; i++)
		if (cfg->worker_lcores[i] < 1 || cfg->worker_lcores[i] > 1023)
			abort();
	if (cfg->nb_eal_args > PW_CONFIG_MAX_EAL_ARGS)
		abort();
	if (cfg->burst_size < 1 || cfg->burst_size > 512 || (cfg->socket_mode & ~0660u) != 0)
		abort();
	if ((cfg->rx_desc & (cfg->rx_desc - 1)) != 0 || (cfg->tx_desc & (cfg->tx_desc - 1)) != 0)
		abort();
	if (cfg->source_type == PW_SOURCE_MANIFESTS && cfg->manifests_dir == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[PW_CONFIG_ERR_LEN];
	struct pw_config *cfg = NULL;
	int ret;

	ret = pw_config_load_data("fuzz.yaml", data, size, &cfg, err);
	if (ret == 0) {
		if (cfg == NULL)
			abort();
		check_config(cfg);
	} else {
		if (cfg != NULL || strncmp(err, "fuzz.yaml:", 10) != 0 || strchr(err, '\n') != NULL)
			abort();
		/* "fuzz.yaml:LINE: (root): libcyaml: ...": the fallback for what pass 2 missed. */
		if (strncmp(err + 10 + strspn(err + 10, "0123456789"),
			    ": (root): libcyaml: ", 20) == 0)
			abort();
	}
	pw_config_free(cfg);
	return 0;
}
