/* Version 2 of libhandlers.so, the rebuild the tests reload: handle() answers 3 * amount + 1.
 * Every version is compiled as tests/targets/reload/handlers.c (see the Makefile). */
#include "handlers.h"
#include "handlers_state.h"

int handle(const struct request *r)
{
    record_call(); /* BP:handle */
    return HANDLERS_V2_RESULT(r->amount);
}
