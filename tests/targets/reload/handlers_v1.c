/* Version 1 of libhandlers.so, the one reload_app is linked with: handle() doubles the amount.
 * Every version is compiled as tests/targets/reload/handlers.c (see the Makefile). */
#include "handlers.h"
#include "handlers_state.h"

int handle(const struct request *r)
{
    record_call(); /* BP:handle */
    return HANDLERS_V1_RESULT(r->amount);
}
