/* DAP "configurationDone": the IDE has sent its breakpoints. Breakpoints are already armed as
 * they arrive, so this records the fact, and lets a program the session launched start. */
#include "handlers.h"

#include "../launch.h"

void dap_handle_configuration_done(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    s->configuration_done = true;
    launch_configuration_done(s);
    dap_respond(ref, true, NULL, NULL);
}
