/* DAP "setFunctionBreakpoints": the IDE's complete list of function breakpoints, fanned out to
 * every process the session sees like source breakpoints; answered once the probes have replied. */
#include "handlers.h"

#include "../breakpoints.h"

void dap_handle_set_function_breakpoints(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *requested = cJSON_GetObjectItemCaseSensitive(args, "breakpoints");
    if (!cJSON_IsArray(requested)) {
        dap_respond_error(ref, "setFunctionBreakpoints: 'breakpoints' must be an array");
        return;
    }
    if (!s->attached) {
        dap_respond_error(ref, "setFunctionBreakpoints: attach first, so that podbug knows which processes to arm");
        return;
    }
    breakpoints_set_functions(s, ref, requested);
}
