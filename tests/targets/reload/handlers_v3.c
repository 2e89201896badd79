/* Version 3 of libhandlers.so, a second rebuild (reloads on top of reloads): handle() answers
 * 5 * amount + 3. Every version is compiled as tests/targets/reload/handlers.c (see the Makefile). */
#include "handlers.h"
#include "handlers_state.h"

int handle(const struct request *r)
{
    record_call(); /* BP:handle */
    return HANDLERS_V3_RESULT(r->amount);
}
