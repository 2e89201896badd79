/* DAP "setBreakpoints": the IDE's complete list of line breakpoints for one source file,
 * fanned out to every process the session sees; answered once the probes have replied. */
#include "handlers.h"

#include "../breakpoints.h"

void dap_handle_set_breakpoints(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(args, "source");
    const cJSON *path = cJSON_GetObjectItemCaseSensitive(source, "path");
    const cJSON *requested = cJSON_GetObjectItemCaseSensitive(args, "breakpoints");
    if (!cJSON_IsString(path) || path->valuestring[0] == '\0') {
        dap_respond_error(ref, "setBreakpoints: source.path is required (podbug matches sources by path)");
        return;
    }
    if (requested && !cJSON_IsArray(requested)) {
        dap_respond_error(ref, "setBreakpoints: 'breakpoints' must be an array");
        return;
    }
    if (!s->attached) {
        dap_respond_error(ref, "setBreakpoints: attach first, so that podbug knows which processes to arm");
        return;
    }
    breakpoints_set_source(s, ref, path->valuestring, requested);
}
