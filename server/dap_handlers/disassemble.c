/* DAP "disassemble": instructions around a memory reference, decoded by the process's probe
 * (original bytes under breakpoints), with symbols and the source lines where they change. */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void answer_disassemble(const dap_request_ref *ref, probe_peer *p, const cJSON *result)
{
    probe_disassemble_reply reply = { 0 };
    char err[200], address[32];
    if (probe_disassemble_reply_from_json(result, &reply, err, sizeof err) != 0) {
        dap_respond_error(ref, "disassemble: the probe sent a malformed reply: %s", err);
        return;
    }
    dap_session *s = dap_session_find(ref->session_id);
    cJSON *body = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(body, "instructions");
    for (size_t i = 0; i < reply.n; i++) {
        const probe_instruction *in = &reply.instructions[i];
        cJSON *o = cJSON_CreateObject();
        snprintf(address, sizeof address, "0x%" PRIx64, in->address);
        cJSON_AddStringToObject(o, "address", address);
        cJSON_AddStringToObject(o, "instructionBytes", in->bytes);
        cJSON_AddStringToObject(o, "instruction", in->text);
        if (in->symbol)
            cJSON_AddStringToObject(o, "symbol", in->symbol);
        char *path = in->file && s ? source_map_to_ide(&s->map, in->file) : NULL;
        if (path) {
            cJSON *src = cJSON_AddObjectToObject(o, "location");
            const char *base = strrchr(path, '/');
            cJSON_AddStringToObject(src, "name", base ? base + 1 : path);
            cJSON_AddStringToObject(src, "path", path);
            cJSON_AddNumberToObject(o, "line", in->line);
            free(path);
        }
        cJSON_AddItemToArray(list, o);
    }
    dap_respond(ref, true, NULL, body);
    probe_disassemble_reply_free(&reply);
}

void dap_handle_disassemble(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(args, "instructionCount");
    const cJSON *offset = cJSON_GetObjectItemCaseSensitive(args, "instructionOffset");
    const cJSON *resolve = cJSON_GetObjectItemCaseSensitive(args, "resolveSymbols");
    if (!cJSON_IsNumber(count) || count->valuedouble < 1 || count->valuedouble > PROBE_DISASSEMBLE_MAX) {
        dap_respond_error(ref, "disassemble: instructionCount must be 1..%d", PROBE_DISASSEMBLE_MAX);
        return;
    }
    if (offset && (!cJSON_IsNumber(offset) || offset->valuedouble < -PROBE_DISASSEMBLE_MAX ||
                   offset->valuedouble > PROBE_DISASSEMBLE_MAX)) {
        dap_respond_error(ref, "disassemble: instructionOffset must be -%d..%d", PROBE_DISASSEMBLE_MAX,
                          PROBE_DISASSEMBLE_MAX);
        return;
    }
    probe_disassemble_request req = { .instruction_count = count->valueint,
                                      .instruction_offset = offset ? offset->valueint : 0,
                                      .resolve_symbols = !resolve || cJSON_IsTrue(resolve) };
    probe_peer *p = dap_memory_probe(s, ref, args, &req.address);
    if (p)
        dap_probe_forward_anytime(ref, p, PMSG_DISASSEMBLE, probe_disassemble_request_to_json(&req),
                                  answer_disassemble);
}
