/* An incompatible rebuild of libhandlers.so: struct request has a long id and one more member, so
 * hot reload must refuse it (naming struct request) and keep the running code. */
#include "handlers_state.h"

struct request {
    long id;
    int amount;
    int extra;
};

int handle(const struct request *r)
{
    record_call();
    return (int)r->id + r->amount * 2 + r->extra;
}
