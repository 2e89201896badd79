/* The state of libhandlers.so that its versions share (included by each handlers_*.c but the hook
 * variant): one counter of each kind hot reload must keep across a swap, and their accessors. */
#ifndef PODBUG_TEST_HANDLERS_STATE_H
#define PODBUG_TEST_HANDLERS_STATE_H

long handled_total;  /* a global: the new code binds to the running definition */
static long handled_here; /* a file static: carried over by name through DWARF */

/* Adds add to a function static (carried over as "handlers.c:count_call:calls"); returns it. */
static long count_call(long add)
{
    static long calls;
    return __atomic_add_fetch(&calls, add, __ATOMIC_RELAXED);
}

static void record_call(void)
{
    __atomic_add_fetch(&handled_total, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&handled_here, 1, __ATOMIC_RELAXED);
    count_call(1);
}

long handlers_total(void) { return __atomic_load_n(&handled_total, __ATOMIC_RELAXED); }
long handlers_here(void) { return __atomic_load_n(&handled_here, __ATOMIC_RELAXED); }
long handlers_calls(void) { return count_call(0); }

#endif
