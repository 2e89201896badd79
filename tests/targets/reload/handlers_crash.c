/* A bad rebuild of libhandlers.so: version 2, except that handle() dereferences a null pointer for
 * every request whose id ends in 999 (reload_app's workers get there at once with --ids 1000 and
 * never with --ids 999; a "call 999" line makes its main thread get there). */
#include <stddef.h>
#include "handlers.h"
#include "handlers_state.h"

int handle(const struct request *r)
{
    record_call(); /* BP:handle */
    if (r->id % 1000 == 999) {
        int *volatile nowhere = NULL;
        return *nowhere; /* CRASH:handle */
    }
    return HANDLERS_V2_RESULT(r->amount);
}
