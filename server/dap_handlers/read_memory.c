/* DAP "readMemory": bytes of a process (running or stopped) at a memory reference, read by its
 * probe; bytes it cannot read are counted in unreadableBytes. */
#include "handlers.h"

#include <inttypes.h>
#include <stdio.h>

static void answer_read_memory(const dap_request_ref *ref, probe_peer *p, const cJSON *result)
{
    probe_read_memory_reply reply = { 0 };
    char err[200], address[32];
    if (probe_read_memory_reply_from_json(result, &reply, err, sizeof err) != 0) {
        dap_respond_error(ref, "readMemory: the probe sent a malformed reply: %s", err);
        return;
    }
    cJSON *body = cJSON_CreateObject();
    snprintf(address, sizeof address, "0x%" PRIx64, reply.address);
    cJSON_AddStringToObject(body, "address", address);
    cJSON_AddStringToObject(body, "data", reply.data);
    cJSON_AddNumberToObject(body, "unreadableBytes", reply.unreadable_bytes);
    dap_respond(ref, true, NULL, body);
    probe_read_memory_reply_free(&reply);
}

void dap_handle_read_memory(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *count = cJSON_GetObjectItemCaseSensitive(args, "count");
    if (!cJSON_IsNumber(count) || count->valuedouble < 0 || count->valuedouble > PROBE_READ_MEMORY_MAX) {
        dap_respond_error(ref, "readMemory: count must be 0..%d bytes", PROBE_READ_MEMORY_MAX);
        return;
    }
    probe_read_memory_request req = { .count = count->valueint };
    probe_peer *p = dap_memory_probe(s, ref, args, &req.address);
    if (p)
        dap_probe_forward_anytime(ref, p, PMSG_READ_MEMORY, probe_read_memory_request_to_json(&req),
                                  answer_read_memory);
}
