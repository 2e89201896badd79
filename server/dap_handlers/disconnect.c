/* DAP "disconnect": removes this session's breakpoints from every process, resumes what it had
 * stopped, and leaves every target running (podbug never kills a debuggee). */
#include "handlers.h"

void dap_handle_disconnect(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    dap_session_detach(s, ref);
}
