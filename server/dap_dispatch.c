/* Routes each DAP request to its handler in server/dap_handlers/ (one file per request).
 * Adding a request means adding one file and one line to the table below. */
#include "dap_dispatch.h"

#include <string.h>
#include "dap_handlers/handlers.h"
#include "session_auth.h"

static const struct {
    const char *command;
    dap_handler_fn handler;
} handlers[] = {
    { "initialize", dap_handle_initialize },
    { "attach", dap_handle_attach },
    { "launch", dap_handle_launch },
    { "setBreakpoints", dap_handle_set_breakpoints },
    { "setFunctionBreakpoints", dap_handle_set_function_breakpoints },
    { "readMemory", dap_handle_read_memory },
    { "disassemble", dap_handle_disassemble },
    { "modules", dap_handle_modules },
    { "setExceptionBreakpoints", dap_handle_set_exception_breakpoints },
    { "exceptionInfo", dap_handle_exception_info },
    { "configurationDone", dap_handle_configuration_done },
    { "threads", dap_handle_threads },
    { "stackTrace", dap_handle_stack_trace },
    { "continue", dap_handle_continue },
    { "next", dap_handle_next },
    { "stepIn", dap_handle_step_in },
    { "stepOut", dap_handle_step_out },
    { "pause", dap_handle_pause },
    { "scopes", dap_handle_scopes },
    { "variables", dap_handle_variables },
    { "evaluate", dap_handle_evaluate },
    { "setVariable", dap_handle_set_variable },
    { "disconnect", dap_handle_disconnect },
    { "terminate", dap_handle_terminate },
    { "podbug/pods", dap_handle_pods },
    { "podbug/snapshots", dap_handle_snapshots },
    { "podbug/reload", dap_handle_reload },
};

void dap_dispatch(dap_session *s, const cJSON *request)
{
    dap_request_ref ref = dap_request_ref_of(s, request);
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(request, "arguments");
    cJSON *empty = NULL;
    if (args && !cJSON_IsObject(args)) {
        dap_respond_error(&ref, "%s: \"arguments\" must be an object", ref.command);
        return;
    }
    if (!session_auth_allows(s, &ref))
        return;
    if (!args)
        args = empty = cJSON_CreateObject();
    bool found = false;
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
        if (strcmp(handlers[i].command, ref.command) == 0) {
            handlers[i].handler(s, &ref, args);
            found = true;
            break;
        }
    }
    if (!found)
        dap_respond_error(&ref, "podbug does not support the request '%s'", ref.command);
    cJSON_Delete(empty);
}
