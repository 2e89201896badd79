/* Memory references of DAP (readMemory, disassemble): "0x<address>@<probe id>" names the process
 * too; a bare "0x<address>" (a frame's instructionPointerReference) means the only stopped
 * process the session sees, or its only process. */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../probe_link.h"

void dap_memory_reference(char *out, size_t out_len, uint64_t address, uint64_t probe_id)
{
    snprintf(out, out_len, "0x%" PRIx64 "@%" PRIu64, address, probe_id);
}

void dap_add_memory_reference(cJSON *o, const probe_peer *p, const char *value, const char *type)
{
    size_t len = type ? strlen(type) : 0;
    if (!len || type[len - 1] != '*' || strncmp(value, "0x", 2) != 0)
        return;
    char reference[64];
    dap_memory_reference(reference, sizeof reference, strtoull(value, NULL, 16), p->id);
    cJSON_AddStringToObject(o, "memoryReference", reference);
}

/* The process a bare address means: the only stopped one the session sees, else its only one. */
static probe_peer *implied_probe(dap_session *s)
{
    probe_peer *stopped = NULL, *any = NULL;
    size_t n_stopped = 0, n_any = 0;
    for (probe_peer *p = fleet_first(); p; p = p->next) {
        if (!dap_session_sees(s, p))
            continue;
        n_any++;
        any = p;
        if (p->stopped) {
            n_stopped++;
            stopped = p;
        }
    }
    return n_stopped == 1 ? stopped : n_stopped == 0 && n_any == 1 ? any : NULL;
}

probe_peer *dap_memory_probe(dap_session *s, const dap_request_ref *ref, const cJSON *args, uint64_t *address)
{
    const cJSON *reference = cJSON_GetObjectItemCaseSensitive(args, "memoryReference");
    const cJSON *offset = cJSON_GetObjectItemCaseSensitive(args, "offset");
    char *end = NULL;
    if (cJSON_IsString(reference))
        *address = strtoull(reference->valuestring, &end, 16);
    if (!end || end == reference->valuestring || (*end && *end != '@')) {
        dap_respond_error(ref, "%s: memoryReference must be \"0x<address>\" or \"0x<address>@<process>\"",
                          ref->command);
        return NULL;
    }
    if (cJSON_IsNumber(offset)) {
        if (offset->valuedouble < -(double)PROBE_MAX_INTEGER || offset->valuedouble > (double)PROBE_MAX_INTEGER) {
            dap_respond_error(ref, "%s: offset is out of range", ref->command);
            return NULL;
        }
        *address += (uint64_t)(int64_t)offset->valuedouble;
    }
    probe_peer *p = NULL;
    if (*end == '@') {
        p = fleet_find(strtoull(end + 1, NULL, 10));
        if (!p || !dap_session_sees(s, p)) {
            dap_respond_error(ref, "%s: the process of memory reference '%s' is gone", ref->command,
                              reference->valuestring);
            return NULL;
        }
    } else if (!(p = implied_probe(s))) {
        dap_respond_error(ref, "%s: memory reference '%s' names no process and this session sees several: "
                          "use \"0x<address>@<process>\"", ref->command, reference->valuestring);
    }
    return p;
}
