/* The generic cell rate algorithm behind every probe rate limit and budget (see rate_limit.h):
 * `due` is when the allowance spent so far is paid back; an event is late while due - now > burst. */
#include "rate_limit.h"

#include <time.h>
#include "signal_interpose.h"

PODBUG_HANDLER_TEXT static uint64_t start_of(uint64_t due, uint64_t now_ns)
{
    return due > now_ns ? due : now_ns;
}

PODBUG_HANDLER_TEXT bool rate_limit_admit(rate_limit *r, uint64_t now_ns, uint64_t cost_ns, uint64_t burst_ns)
{
    uint_fast64_t due = atomic_load_explicit(&r->due_ns, memory_order_relaxed);
    for (;;) {
        uint64_t next = start_of(due, now_ns) + cost_ns;
        if (next - now_ns > burst_ns)
            return false;
        if (atomic_compare_exchange_weak_explicit(&r->due_ns, &due, next, memory_order_relaxed,
                                                  memory_order_relaxed))
            return true;
    }
}

PODBUG_HANDLER_TEXT bool rate_limit_charge(rate_limit *r, uint64_t now_ns, uint64_t cost_ns, uint64_t burst_ns)
{
    uint_fast64_t due = atomic_load_explicit(&r->due_ns, memory_order_relaxed);
    uint64_t next;
    do
        next = start_of(due, now_ns) + cost_ns;
    while (!atomic_compare_exchange_weak_explicit(&r->due_ns, &due, next, memory_order_relaxed,
                                                  memory_order_relaxed));
    return next - now_ns <= burst_ns;
}

PODBUG_HANDLER_TEXT bool rate_limit_open(const rate_limit *r, uint64_t now_ns, uint64_t burst_ns)
{
    uint64_t due = atomic_load_explicit(&r->due_ns, memory_order_relaxed);
    return due <= now_ns || due - now_ns <= burst_ns;
}

PODBUG_HANDLER_TEXT uint64_t rate_now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * RATE_SECOND_NS + (uint64_t)now.tv_nsec;
}
