/* DAP "variables": the children of a variablesReference (a scope, or a value with members,
 * elements or a pointee), a page at a time, as the probe formats them (or as a stored snapshot
 * holds them). */
#include "handlers.h"

#include <string.h>
#include "../handles.h"

static void answer_variables(const dap_request_ref *ref, probe_peer *p, const cJSON *result)
{
    probe_variables_reply reply = { 0 };
    char err[200];
    if (probe_variables_reply_from_json(result, &reply, err, sizeof err) != 0) {
        dap_respond_error(ref, "variables: the probe sent a malformed reply: %s", err);
        probe_variables_reply_free(&reply);
        return;
    }
    cJSON *body = cJSON_CreateObject();
    cJSON *variables = cJSON_AddArrayToObject(body, "variables");
    for (size_t i = 0; i < reply.n; i++) {
        const probe_variable *v = &reply.variables[i];
        cJSON *item = dap_variable_json(v->name, v->value, v->type, handles_var_id(p->id, v->ref), v->named,
                                        v->indexed, v->evaluate_name);
        dap_add_memory_reference(item, p, v->value, v->type);
        cJSON_AddItemToArray(variables, item);
    }
    dap_respond(ref, true, NULL, body);
    probe_variables_reply_free(&reply);
}

/* Reads an optional non-negative integer argument into *out; false (answered) when malformed. */
static bool paging_argument(const dap_request_ref *ref, const cJSON *args, const char *key, int *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, key);
    *out = 0;
    if (!item)
        return true;
    if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble > 1e9) {
        dap_respond_error(ref, "variables: '%s' must be a non-negative integer", key);
        return false;
    }
    *out = item->valueint;
    return true;
}

void dap_handle_variables(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    probe_variables_request vr = { 0 };
    const cJSON *filter = cJSON_GetObjectItemCaseSensitive(args, "filter");
    if (filter && !(cJSON_IsString(filter) &&
                    (strcmp(filter->valuestring, "indexed") == 0 || strcmp(filter->valuestring, "named") == 0))) {
        dap_respond_error(ref, "variables: 'filter' must be \"indexed\" or \"named\"");
        return;
    }
    if (!paging_argument(ref, args, "start", &vr.start) || !paging_argument(ref, args, "count", &vr.count))
        return;
    vr.filter = filter ? filter->valuestring : NULL;
    const cJSON *var_id = cJSON_GetObjectItemCaseSensitive(args, "variablesReference");
    if (cJSON_IsNumber(var_id) && dap_snapshot_variables(s, ref, var_id->valueint, vr.start, vr.count, vr.filter))
        return;
    probe_peer *p = dap_var_probe(s, ref, args, &vr.ref);
    if (!p)
        return;
    dap_probe_forward(ref, p, PMSG_VARIABLES, probe_variables_request_to_json(&vr), answer_variables);
}
