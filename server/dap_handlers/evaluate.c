/* DAP "evaluate" (contexts repl, watch, hover, ...): the probe evaluates the C expression in a
 * stopped frame; a failure is success:false with the probe's precise message. In a snapshot frame
 * the expression is looked up among the captured variables. */
#include "handlers.h"

static void answer_evaluate(const dap_request_ref *ref, probe_peer *p, const cJSON *result)
{
    dap_answer_value(ref, p, result, "result");
}

void dap_handle_evaluate(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *expression = cJSON_GetObjectItemCaseSensitive(args, "expression");
    const cJSON *frame_id = cJSON_GetObjectItemCaseSensitive(args, "frameId");
    const cJSON *context = cJSON_GetObjectItemCaseSensitive(args, "context");
    if (!cJSON_IsString(expression)) {
        dap_respond_error(ref, "evaluate: 'expression' is required");
        return;
    }
    if (!cJSON_IsNumber(frame_id)) {
        dap_respond_error(ref, "evaluate needs a stopped frame (frameId)");
        return;
    }
    if (dap_snapshot_evaluate(s, ref, frame_id->valueint, expression->valuestring))
        return;
    probe_evaluate_request er = { .expression = expression->valuestring,
                                  .context = cJSON_IsString(context) ? context->valuestring : "repl" };
    probe_peer *p = dap_frame_probe(s, ref, frame_id->valueint, &er.tid, &er.frame);
    if (p)
        dap_probe_forward(ref, p, PMSG_EVALUATE, probe_evaluate_request_to_json(&er), answer_evaluate);
}
