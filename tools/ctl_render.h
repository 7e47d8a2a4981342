/* SPDX-License-Identifier: Apache-2.0 */
/*
 * podwallctl's renderers: print a command's result (the "result" of the daemon's reply) as
 * text. Each falls back to JSON, or prints "-", where the result is not what it expects.
 */
#ifndef PW_CTL_RENDER_H
#define PW_CTL_RENDER_H

#include <jansson.h>

/* Indented JSON, for --json, "raw" and results a renderer does not recognise. */
void ctl_render_json(json_t *result);
void ctl_render_status(json_t *r);
void ctl_render_stats(json_t *r);
void ctl_render_done(json_t *result);
void ctl_render_help(json_t *r);
void ctl_render_explain(json_t *r);
void ctl_render_policies(json_t *r);
void ctl_render_flows(json_t *r);

#endif /* PW_CTL_RENDER_H */
