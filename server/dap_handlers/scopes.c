/* DAP "scopes": the scopes of a stopped frame (Arguments, Locals, Globals, Statics, Registers),
 * listed by the probe; their probe references become DAP variablesReferences. A snapshot frame's
 * scopes are the stored ones. */
#include "handlers.h"

#include "../handles.h"

static void answer_scopes(const dap_request_ref *ref, probe_peer *p, const cJSON *result)
{
    probe_scopes_reply reply = { 0 };
    char err[200];
    if (probe_scopes_reply_from_json(result, &reply, err, sizeof err) != 0) {
        dap_respond_error(ref, "scopes: the probe sent a malformed reply: %s", err);
        probe_scopes_reply_free(&reply);
        return;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON *scopes = cJSON_AddArrayToObject(body, "scopes");
    for (size_t i = 0; i < reply.n; i++) {
        const probe_scope *sc = &reply.scopes[i];
        cJSON_AddItemToArray(scopes, dap_scope_json(sc->name, sc->presentation_hint, handles_var_id(p->id, sc->ref),
                                                    sc->named, sc->expensive != 0));
    }
    dap_respond(ref, true, NULL, body);
    probe_scopes_reply_free(&reply);
}

void dap_handle_scopes(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *frame_id = cJSON_GetObjectItemCaseSensitive(args, "frameId");
    if (!cJSON_IsNumber(frame_id)) {
        dap_respond_error(ref, "scopes: 'frameId' is required");
        return;
    }
    if (dap_snapshot_scopes(s, ref, frame_id->valueint))
        return;
    probe_frame_request fr;
    probe_peer *p = dap_frame_probe(s, ref, frame_id->valueint, &fr.tid, &fr.frame);
    if (p)
        dap_probe_forward(ref, p, PMSG_SCOPES, probe_frame_request_to_json(&fr), answer_scopes);
}
