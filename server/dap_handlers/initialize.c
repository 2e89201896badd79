/* DAP "initialize": answers with podbug's capabilities. Only what podbug really supports is
 * announced; each later capability is switched on by the change that implements it. */
#include "handlers.h"

#include "../breakpoints.h"
#include "../exception_filters.h"

void dap_handle_initialize(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    if (s->initialized) {
        dap_respond_error(ref, "initialize was already sent on this connection");
        return;
    }
    s->initialized = true;
    s->supports_progress = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(args, "supportsProgressReporting"));
    cJSON *caps = cJSON_CreateObject();
    cJSON_AddBoolToObject(caps, "supportsConfigurationDoneRequest", true);
    cJSON_AddBoolToObject(caps, "supportsConditionalBreakpoints", true);
    cJSON_AddBoolToObject(caps, "supportsFunctionBreakpoints", true);
    cJSON_AddBoolToObject(caps, "supportsReadMemoryRequest", true);
    cJSON_AddBoolToObject(caps, "supportsDisassembleRequest", true);
    cJSON_AddBoolToObject(caps, "supportsModulesRequest", true);
    cJSON_AddBoolToObject(caps, "supportsHitConditionalBreakpoints", true);
    cJSON_AddBoolToObject(caps, "supportsLogPoints", true);
    cJSON_AddBoolToObject(caps, "supportsEvaluateForHovers", true);
    cJSON_AddBoolToObject(caps, "supportsSetVariable", true);
    cJSON_AddBoolToObject(caps, "supportsSteppingGranularity", true);
    cJSON_AddBoolToObject(caps, "supportsTerminateRequest", true);
    cJSON_AddBoolToObject(caps, "supportTerminateDebuggee", true);
    cJSON_AddBoolToObject(caps, "supportsRestartRequest", false);
    cJSON_AddBoolToObject(caps, "supportsSingleThreadExecutionRequests", false);
    cJSON_AddBoolToObject(caps, "supportsExceptionInfoRequest", true);
    cJSON_AddBoolToObject(caps, "supportsExceptionFilterOptions", true);
    cJSON_AddItemToObject(caps, "exceptionBreakpointFilters", exception_filters_capability());
    cJSON *modes = breakpoints_modes_capability();
    exception_filters_add_modes(modes);
    cJSON_AddItemToObject(caps, "breakpointModes", modes);
    dap_respond(ref, true, NULL, caps);
}
