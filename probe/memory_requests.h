/* The probe's answers about its process's memory and code: read_memory, disassemble and
 * modules (PROBE_PROTOCOL.md 4.17-4.19). They need no stop. Agent thread only. */
#ifndef PODBUG_MEMORY_REQUESTS_H
#define PODBUG_MEMORY_REQUESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "probe_msg.h"
#include "symbols.h"

/* Whether type is one of the requests this module answers. */
bool memory_requests_owns(const char *type);
/* The result body of env (a request memory_requests_owns), or NULL with err filled. */
cJSON *memory_requests_answer(sym_index *symbols, const probe_envelope *env, char *err, size_t err_len);

#endif
