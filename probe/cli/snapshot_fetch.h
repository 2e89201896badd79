/* Reading one snapshot thread through DAP (podbug/snapshots, stackTrace, scopes, variables) into a
 * JSON tree that `podbug snap` prints as it is (--json) or as text (snapshot_text.h). */
#ifndef PODBUG_CLI_SNAPSHOT_FETCH_H
#define PODBUG_CLI_SNAPSHOT_FETCH_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include "dap_client.h"

#define SNAPSHOT_FETCH_FRAMES 20      /* stackTrace levels */
#define SNAPSHOT_FETCH_LEVELS 3       /* nesting of variables; a pointer's pointee adds none */
#define SNAPSHOT_FETCH_CHILDREN 50    /* children per variable */
#define SNAPSHOT_FETCH_REQUESTS 400   /* variables requests per snapshot, at most */

/* The snapshot shown as DAP thread thread_id, of breakpoint bp_id:
 *   {"snapshot": <sequence>, "breakpoint", "pod", "pid", "tid", "thread", "time" (ISO 8601, UTC),
 *    "time_ms" (since the epoch),
 *    "frames": [{"name", "source", "line", "scopes": [{"name", "variables": [VAR...]}]}]}
 * VAR = {"name", "value", "type", "children": [VAR...], "more": <children not shown>}, children
 * only when fetched, "more" only when some were left out. Registers and expensive scopes are left
 * out. NULL with err when a request fails. */
cJSON *snapshot_fetch(dap_client *dap, int64_t bp_id, int thread_id, char *err, size_t err_len);

#endif
