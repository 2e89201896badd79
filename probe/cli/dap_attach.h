/* What every CLI command that talks DAP does first: initialize as podbug-cli, attach with a
 * selector, wait for "initialized"; and the interruptions (SIGINT, SIGTERM, SIGHUP) they all end
 * on cleanly. */
#ifndef PODBUG_CLI_DAP_ATTACH_H
#define PODBUG_CLI_DAP_ATTACH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include "dap_client.h"

/* Installs the handlers (without SA_RESTART, so that they cut a wait short). */
void cli_catch_interruptions(void);
/* The signal that interrupted the command, 0 while none has. */
int cli_interrupted(void);

/* The session setup with the server's DAP, up to "initialized" (the caller sends its configuration
 * and configurationDone). selector: an object of label -> value (empty: every
 * process); PODBUG_TOKEN, when set, is the attach's "token". progress: declares supportsProgressReporting. Events before "initialized" go to
 * on_event (may be NULL). Each request waits up to timeout_ms. Returns 0, or -1 with err (the
 * server's messages name their request: "attach: ..."; "interrupted"). */
int dap_attach(dap_client *c, const cJSON *selector, bool progress, dap_event_fn on_event, void *ctx,
               int timeout_ms, char *err, size_t err_len);

#endif
