/* DAP "exceptionInfo": which fatal signal stopped a thread and what happened ("SIGSEGV: invalid
 * read at 0x0": the faulting address is in the description), as its probe described it, for a
 * live process stopped in stop mode and for a crash snapshot's thread. */
#include "handlers.h"

#include "../handles.h"
#include "../snapshot_threads.h"

static void answer(const dap_request_ref *ref, const char *signal, const char *description)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "exceptionId", signal);
    cJSON_AddStringToObject(body, "description", description ? description : signal);
    cJSON_AddStringToObject(body, "breakMode", "always");
    cJSON *details = cJSON_AddObjectToObject(body, "details");
    cJSON_AddStringToObject(details, "message", description ? description : signal);
    cJSON_AddStringToObject(details, "typeName", signal);
    dap_respond(ref, true, NULL, body);
}

/* A crash snapshot's thread: answers from the stored body. False when thread_id is no snapshot's. */
static bool answer_snapshot(dap_session *s, const dap_request_ref *ref, int thread_id)
{
    uint64_t id;
    if (!handles_snapshot_thread(thread_id, &id))
        return false;
    const snapshot_record *r = snapshot_threads_shown(s, id);
    const cJSON *exception = r ? cJSON_GetObjectItemCaseSensitive(r->body, "exception") : NULL;
    const char *signal = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(exception, "signal"));
    if (!signal)
        dap_respond_error(ref, "exceptionInfo: snapshot thread %d is not a crash", thread_id);
    else
        answer(ref, signal, cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->body, "description")));
    return true;
}

void dap_handle_exception_info(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *thread_id = cJSON_GetObjectItemCaseSensitive(args, "threadId");
    if (cJSON_IsNumber(thread_id) && answer_snapshot(s, ref, thread_id->valueint))
        return;
    int tid;
    probe_peer *p = dap_thread_probe(s, ref, args, &tid);
    if (!p)
        return;
    const probe_stopped *stop = &p->stop;
    if (!p->stopped || !stop->exception.signal || stop->tid != tid) {
        dap_respond_error(ref, "exceptionInfo: thread %d did not stop on a fatal signal", tid);
        return;
    }
    answer(ref, stop->exception.signal, stop->description);
}
