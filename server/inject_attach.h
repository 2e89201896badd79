/* DAP attach by pid with "inject": true: runs `podbug attach --pid N --json` beside the server,
 * reads its answer without blocking the loop, waits for the probe to register, then attaches. */
#ifndef PODBUG_INJECT_ATTACH_H
#define PODBUG_INJECT_ATTACH_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include "dap_session.h"

/* How long the probe may take to register once `podbug attach` loaded it. */
#define INJECT_REGISTER_TIMEOUT_MS 10000
/* How long `podbug attach` itself may take. */
#define INJECT_COMMAND_TIMEOUT_MS 30000

/* Takes the attach request over when it must wait: while an earlier attach of s injects, or when
 * args ask for "inject" of a "pid" that no registered probe has (the injection starts; ref is
 * answered later, by the attach handler once the probe registered, or with the reason it failed).
 * Bad "inject" arguments are answered here too. Returns false when the attach goes on now. */
bool inject_attach_take(dap_session *s, const dap_request_ref *ref, const cJSON *args);

/* Moves every injection on: the command's output and exit, the probe's registration, timeouts.
 * Called by the loop's timer. */
void inject_attach_tick(int64_t now_ms);

#endif
