/* DAP "stackTrace": asks the owning probe for the stopped thread's frames, then maps them to
 * DAP frames (ids, IDE paths through sourceMap). The probe symbolizes; the server translates.
 * A snapshot thread's frames come from its stored snapshot. */
#include "handlers.h"

#include <stdlib.h>
#include "../handles.h"
#include "../probe_link.h"

typedef struct stack_request {
    dap_request_ref ref;
    int tid;
    int start_frame;
} stack_request;

static void on_stack_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    stack_request *req = ctx;
    dap_session *s = dap_session_find(req->ref.session_id);
    probe_stack_reply reply = { 0 };
    char err[200];
    if (!s) {
        free(req);
        return;
    }
    if (!result || !p) {
        dap_respond_error(&req->ref, "stackTrace: %s", error ? error : "the process has gone");
    } else if (probe_stack_reply_from_json(result, &reply, err, sizeof err) != 0) {
        dap_respond_error(&req->ref, "stackTrace: the probe sent a malformed reply: %s", err);
    } else {
        cJSON *body = cJSON_CreateObject();
        cJSON *frames = cJSON_AddArrayToObject(body, "stackFrames");
        for (size_t i = 0; i < reply.n; i++)
            cJSON_AddItemToArray(frames, dap_frame_json(s, handles_frame_id(p->id, req->tid, req->start_frame + (int)i),
                                                        &reply.frames[i]));
        cJSON_AddNumberToObject(body, "totalFrames", reply.total_frames);
        dap_respond(&req->ref, true, NULL, body);
    }
    probe_stack_reply_free(&reply);
    free(req);
}

void dap_handle_stack_trace(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *thread_id = cJSON_GetObjectItemCaseSensitive(args, "threadId");
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(args, "startFrame");
    const cJSON *levels = cJSON_GetObjectItemCaseSensitive(args, "levels");
    int start_frame = cJSON_IsNumber(start) && start->valueint > 0 ? start->valueint : 0;
    int max_levels = cJSON_IsNumber(levels) && levels->valueint > 0 ? levels->valueint : 0;
    if (cJSON_IsNumber(thread_id) && dap_snapshot_stack_trace(s, ref, thread_id->valueint, start_frame, max_levels))
        return;
    int tid;
    probe_peer *p = dap_thread_probe(s, ref, args, &tid);
    if (!p)
        return;
    if (!p->stopped) {
        dap_respond_error(ref, "stackTrace: thread %d is running; it has a stack only while stopped", thread_id->valueint);
        return;
    }
    probe_stack_request sr = { tid, start_frame, max_levels };
    stack_request *req = malloc(sizeof *req);
    cJSON *body = req ? probe_stack_request_to_json(&sr) : NULL;
    if (!body) {
        free(req);
        dap_respond_error(ref, "out of memory");
        return;
    }
    req->ref = *ref;
    req->tid = tid;
    req->start_frame = sr.start_frame;
    probe_link_request(p, PMSG_STACK_TRACE, body, on_stack_reply, req);
}
