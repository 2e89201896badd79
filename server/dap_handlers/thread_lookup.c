/* Resolves a request's "threadId" to the probe (process) that owns it, among the processes the
 * session sees, answering the request with a precise error when it cannot. */
#include "handlers.h"

#include "../handles.h"

probe_peer *dap_thread_probe(dap_session *s, const dap_request_ref *ref, const cJSON *args, int *tid)
{
    const cJSON *thread_id = cJSON_GetObjectItemCaseSensitive(args, "threadId");
    if (!cJSON_IsNumber(thread_id)) {
        dap_respond_error(ref, "%s: 'threadId' is required", ref->command);
        return NULL;
    }
    uint64_t probe_id;
    probe_peer *p = NULL;
    if (handles_thread(thread_id->valueint, &probe_id, tid))
        p = fleet_find(probe_id);
    if (!p || !dap_session_sees(s, p)) {
        dap_respond_error(ref, "%s: unknown thread %d (its process may have exited)", ref->command,
                          thread_id->valueint);
        return NULL;
    }
    return p;
}
