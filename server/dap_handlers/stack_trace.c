/* DAP "stackTrace": asks the owning probe for the stopped thread's frames, then maps them to
 * DAP frames (ids, IDE paths through sourceMap). The probe symbolizes; the server translates. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../handles.h"
#include "../probe_link.h"

typedef struct stack_request {
    dap_request_ref ref;
    int tid;
    int start_frame;
} stack_request;

static cJSON *dap_frame(const dap_session *s, const probe_peer *p, int tid, int index, const probe_frame *f)
{
    cJSON *o = cJSON_CreateObject();
    char text[64];
    cJSON_AddNumberToObject(o, "id", handles_frame_id(p->id, tid, index));
    const char *module_name = f->module ? strrchr(f->module, '/') : NULL;
    module_name = module_name ? module_name + 1 : f->module;
    if (f->function) {
        cJSON_AddStringToObject(o, "name", f->function);
    } else {
        /* Like gdb's "?? () from libc.so.6": the address, and the module when known. */
        snprintf(text, sizeof text, "0x%llx%s%.32s", (unsigned long long)f->pc, module_name ? " in " : "",
                 module_name ? module_name : "");
        cJSON_AddStringToObject(o, "name", text);
    }
    if (f->file) {
        char *path = source_map_to_ide(&s->map, f->file);
        if (path) {
            cJSON *src = cJSON_AddObjectToObject(o, "source");
            const char *base = strrchr(path, '/');
            cJSON_AddStringToObject(src, "name", base ? base + 1 : path);
            cJSON_AddStringToObject(src, "path", path);
            free(path);
        }
    } else {
        cJSON_AddStringToObject(o, "presentationHint", "subtle");
    }
    cJSON_AddNumberToObject(o, "line", f->line);
    cJSON_AddNumberToObject(o, "column", f->line ? 1 : 0);
    snprintf(text, sizeof text, "0x%llx", (unsigned long long)f->pc);
    cJSON_AddStringToObject(o, "instructionPointerReference", text);
    if (module_name)
        cJSON_AddStringToObject(o, "moduleId", module_name);
    return o;
}

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
            cJSON_AddItemToArray(frames, dap_frame(s, p, req->tid, req->start_frame + (int)i, &reply.frames[i]));
        cJSON_AddNumberToObject(body, "totalFrames", reply.total_frames);
        dap_respond(&req->ref, true, NULL, body);
    }
    probe_stack_reply_free(&reply);
    free(req);
}

void dap_handle_stack_trace(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    int tid;
    probe_peer *p = dap_thread_probe(s, ref, args, &tid);
    if (!p)
        return;
    if (!p->stopped) {
        dap_respond_error(ref, "stackTrace: thread %d is running; it has a stack only while stopped",
                          cJSON_GetObjectItemCaseSensitive(args, "threadId")->valueint);
        return;
    }
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(args, "startFrame");
    const cJSON *levels = cJSON_GetObjectItemCaseSensitive(args, "levels");
    probe_stack_request sr = { tid, cJSON_IsNumber(start) && start->valueint > 0 ? start->valueint : 0,
                               cJSON_IsNumber(levels) && levels->valueint > 0 ? levels->valueint : 0 };
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
