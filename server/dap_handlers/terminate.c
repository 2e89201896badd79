/* DAP "terminate": asks the program this session launched to end (SIGTERM); its exit then brings
 * "exited" and "terminated". A session that attached has nothing to terminate. */
#include "handlers.h"

#include "../launch.h"

void dap_handle_terminate(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    char err[200];
    if (launch_terminate(s, err, sizeof err) != 0)
        dap_respond_error(ref, "terminate: %s", err);
    else
        dap_respond(ref, true, NULL, NULL);
}
