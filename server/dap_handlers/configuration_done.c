/* DAP "configurationDone": the IDE has sent its breakpoints. Breakpoints are already armed as
 * they arrive, so this only records the fact. */
#include "handlers.h"

void dap_handle_configuration_done(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    s->configuration_done = true;
    dap_respond(ref, true, NULL, NULL);
}
