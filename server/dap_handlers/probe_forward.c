/* The steps shared by the handlers that ask a probe about its process (scopes, variables,
 * evaluate, setVariable on a stop; readMemory, disassemble any time): handles, forwarding, replies. */
#include "handlers.h"

#include <stdlib.h>
#include "../handles.h"
#include "../probe_link.h"
#include "../session_auth.h"

typedef struct forwarded_request {
    dap_request_ref ref;
    dap_probe_answer_fn answer;
    bool needs_stop;           /* the answer is about a stop: void once the process continued */
} forwarded_request;

/* The probe if the session sees it and its process is still stopped; NULL otherwise. */
static probe_peer *stopped_probe(dap_session *s, uint64_t probe_id)
{
    probe_peer *p = fleet_find(probe_id);
    return p && p->stopped && dap_session_sees(s, p) ? p : NULL;
}

probe_peer *dap_frame_probe(dap_session *s, const dap_request_ref *ref, int frame_id, int *tid, int *index)
{
    uint64_t probe_id;
    probe_peer *p = handles_frame(frame_id, &probe_id, tid, index) ? stopped_probe(s, probe_id) : NULL;
    if (!p)
        dap_respond_error(ref, "%s: unknown frame %d (the process may have continued)", ref->command, frame_id);
    return p;
}

probe_peer *dap_var_probe(dap_session *s, const dap_request_ref *ref, const cJSON *args, int64_t *probe_ref)
{
    const cJSON *var_id = cJSON_GetObjectItemCaseSensitive(args, "variablesReference");
    if (!cJSON_IsNumber(var_id)) {
        dap_respond_error(ref, "%s: 'variablesReference' is required", ref->command);
        return NULL;
    }
    uint64_t probe_id;
    probe_peer *p = handles_var(var_id->valueint, &probe_id, probe_ref) ? stopped_probe(s, probe_id) : NULL;
    if (!p)
        dap_respond_error(ref, "%s: unknown variablesReference %d (the process may have continued)", ref->command,
                          var_id->valueint);
    return p;
}

static void on_probe_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    forwarded_request *req = ctx; /* answers are dropped if the IDE has gone meanwhile */
    if (!result)
        dap_respond_error(&req->ref, "%s", error ? error : "the process has gone");
    else if (!p)
        dap_respond_error(&req->ref, "%s: the process has gone", req->ref.command);
    else if (req->needs_stop && !p->stopped)
        dap_respond_error(&req->ref, "%s: the process continued before its probe answered", req->ref.command);
    else
        req->answer(&req->ref, p, result);
    free(req);
}

static void forward(const dap_request_ref *ref, probe_peer *p, const char *type, cJSON *body,
                    dap_probe_answer_fn answer, bool needs_stop)
{
    forwarded_request *req = body ? malloc(sizeof *req) : NULL;
    if (!req) {
        cJSON_Delete(body);
        dap_respond_error(ref, "out of memory");
        return;
    }
    req->ref = *ref;
    req->answer = answer;
    req->needs_stop = needs_stop;
    const dap_session *s = dap_session_find(ref->session_id);
    if (needs_stop && s && session_auth_reveals(s)) /* role secrets: the probe shows redacted values */
        cJSON_AddBoolToObject(body, "reveal", true);
    probe_link_request(p, type, body, on_probe_reply, req);
}

void dap_probe_forward(const dap_request_ref *ref, probe_peer *p, const char *type, cJSON *body,
                       dap_probe_answer_fn answer)
{
    forward(ref, p, type, body, answer, true);
}

void dap_probe_forward_anytime(const dap_request_ref *ref, probe_peer *p, const char *type, cJSON *body,
                               dap_probe_answer_fn answer)
{
    forward(ref, p, type, body, answer, false);
}

void dap_answer_value(const dap_request_ref *ref, probe_peer *p, const cJSON *result, const char *value_key)
{
    probe_value_reply reply = { 0 };
    char err[200];
    if (probe_value_reply_from_json(result, &reply, err, sizeof err) != 0) {
        dap_respond_error(ref, "%s: the probe sent a malformed reply: %s", ref->command, err);
    } else {
        cJSON *body = cJSON_CreateObject();
        dap_add_value_fields(body, value_key, reply.value, reply.type, handles_var_id(p->id, reply.ref), reply.named,
                             reply.indexed);
        dap_add_memory_reference(body, p, reply.value, reply.type);
        dap_respond(ref, true, NULL, body);
    }
    probe_value_reply_free(&reply);
}
