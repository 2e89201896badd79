/* DAP "setExceptionBreakpoints": the session's fatal-signal filters ("filters" and "filterOptions"
 * with mode stop or snapshot), fanned out to every process it sees and to later ones; answered
 * once the processes have them. */
#include "handlers.h"

#include "../exception_filters.h"

void dap_handle_set_exception_breakpoints(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    int modes[FATAL_SIGNAL_COUNT];
    char err[200];
    int count = exception_filters_parse(args, modes, err, sizeof err);
    if (count < 0) {
        dap_respond_error(ref, "setExceptionBreakpoints: %s", err);
        return;
    }
    exception_filters_set(s, ref, modes, count);
}
