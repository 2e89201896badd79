/* Version 2 of libhandlers.so that takes over the running state itself: its podbug_reload_state
 * hook points its counters at the running library's (whose file static has another name there),
 * and refuses the reload (returns 1) when the running library has no such counters. */
#include "handlers.h"
#include "podbug_reload.h"

long handled_total;
static long fresh_here, fresh_calls; /* counted in until the hook points elsewhere */
static long *requests_seen_here = &fresh_here;
static long *calls_seen = &fresh_calls;

int podbug_reload_state(void *(*old_symbol)(const char *name))
{
    long *running_here = old_symbol("handled_here");
    long *running_calls = old_symbol("handlers.c:count_call:calls");
    if (!running_here || !running_calls)
        return 1;
    requests_seen_here = running_here;
    calls_seen = running_calls;
    return 0;
}

int handle(const struct request *r)
{
    __atomic_add_fetch(&handled_total, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(requests_seen_here, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(calls_seen, 1, __ATOMIC_RELAXED);
    return HANDLERS_V2_RESULT(r->amount);
}

long handlers_total(void) { return __atomic_load_n(&handled_total, __ATOMIC_RELAXED); }
long handlers_here(void) { return __atomic_load_n(requests_seen_here, __ATOMIC_RELAXED); }
long handlers_calls(void) { return __atomic_load_n(calls_seen, __ATOMIC_RELAXED); }
