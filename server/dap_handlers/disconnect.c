/* DAP "disconnect": removes this session's breakpoints from every process, resumes what it had
 * stopped, and leaves every attached target running. A program the session launched is ended
 * (terminateDebuggee, default true) or left running. */
#include "handlers.h"

#include "../launch.h"

void dap_handle_disconnect(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *terminate = cJSON_GetObjectItemCaseSensitive(args, "terminateDebuggee");
    if (terminate && !cJSON_IsNull(terminate) && !cJSON_IsBool(terminate)) {
        dap_respond_error(ref, "disconnect: 'terminateDebuggee' must be true or false");
        return;
    }
    if (!launch_disconnect(s, ref, !cJSON_IsFalse(terminate)))
        dap_session_detach(s, ref);
}
