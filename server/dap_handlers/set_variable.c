/* DAP "setVariable": the probe assigns the value of an expression to a scalar or pointer child
 * of a variablesReference, in memory or in a register of the top frame, and shows the result.
 * Snapshots are read-only. */
#include "handlers.h"

static void answer_set_variable(const dap_request_ref *ref, probe_peer *p, const cJSON *result)
{
    dap_answer_value(ref, p, result, "value");
}

void dap_handle_set_variable(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(args, "name");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(args, "value");
    if (!cJSON_IsString(name) || !cJSON_IsString(value)) {
        dap_respond_error(ref, "setVariable: 'name' and 'value' are required strings");
        return;
    }
    const cJSON *var_id = cJSON_GetObjectItemCaseSensitive(args, "variablesReference");
    if (cJSON_IsNumber(var_id) && dap_snapshot_set_variable(s, ref, var_id->valueint))
        return;
    probe_set_variable_request sr = { .name = name->valuestring, .value = value->valuestring };
    probe_peer *p = dap_var_probe(s, ref, args, &sr.ref);
    if (p)
        dap_probe_forward(ref, p, PMSG_SET_VARIABLE, probe_set_variable_request_to_json(&sr), answer_set_variable);
}
