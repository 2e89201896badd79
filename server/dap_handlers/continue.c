/* DAP "continue": resumes the whole process that owns the thread, or the thread alone when it
 * stopped alone (stopAll false); answered once the probe confirms, then other sessions hear
 * "continued". Processes in other pods are not touched. On a snapshot thread it dismisses it. */
#include "handlers.h"

#include <stdlib.h>
#include "../handles.h"
#include "../probe_link.h"

typedef struct continue_request {
    dap_request_ref ref;
    int thread_id;
    int tid;
} continue_request;

static void on_continue_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    continue_request *req = ctx;
    if (!result || !p) {
        dap_respond_error(&req->ref, "continue: %s", error ? error : "the process has gone");
        free(req);
        return;
    }
    bool all = fleet_release_thread(p, req->tid);
    handles_forget_frames(p->id);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddBoolToObject(body, "allThreadsContinued", all);
    dap_respond(&req->ref, true, NULL, body);
    for (dap_session *o = dap_session_first(); o; o = o->next) {
        if (o->id == req->ref.session_id || !dap_session_sees(o, p))
            continue;
        cJSON *ev = cJSON_CreateObject();
        cJSON_AddNumberToObject(ev, "threadId", req->thread_id);
        cJSON_AddBoolToObject(ev, "allThreadsContinued", all);
        dap_send_event(o, "continued", ev);
    }
    free(req);
}

void dap_handle_continue(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *thread_id = cJSON_GetObjectItemCaseSensitive(args, "threadId");
    if (cJSON_IsNumber(thread_id) && dap_snapshot_continue(s, ref, thread_id->valueint))
        return;
    int tid;
    probe_peer *p = dap_thread_probe(s, ref, args, &tid);
    if (!p)
        return;
    if (!p->stopped) {
        cJSON *body = cJSON_CreateObject();
        cJSON_AddBoolToObject(body, "allThreadsContinued", true);
        dap_respond(ref, true, NULL, body); /* already running: nothing to do */
        return;
    }
    continue_request *req = malloc(sizeof *req);
    if (!req) {
        dap_respond_error(ref, "out of memory");
        return;
    }
    req->ref = *ref;
    req->thread_id = cJSON_GetObjectItemCaseSensitive(args, "threadId")->valueint;
    req->tid = tid;
    probe_continue body = { tid }; /* the probe resumes tid alone only when it was stopped alone */
    probe_link_request(p, PMSG_CONTINUE, probe_continue_to_json(&body), on_continue_reply, req);
}
