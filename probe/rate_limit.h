/* Rate limits and budgets the signal handler can keep: the generic cell rate algorithm on one
 * atomic (the time the allowance is used up to), so concurrent hits need no lock. */
#ifndef PODBUG_RATE_LIMIT_H
#define PODBUG_RATE_LIMIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define RATE_SECOND_NS UINT64_C(1000000000)

/* Zero-initialised: the full burst is available. */
typedef struct rate_limit { atomic_uint_fast64_t due_ns; } rate_limit;

/* The allowance one unit costs at per_second units per second (per_second >= 1). */
static inline uint64_t rate_cost_ns(uint64_t units, uint64_t per_second)
{
    return units * RATE_SECOND_NS / per_second;
}

/* Handler-safe: spends cost_ns of allowance when the backlog this leaves stays within burst_ns
 * and returns true; otherwise spends nothing and returns false. */
bool rate_limit_admit(rate_limit *r, uint64_t now_ns, uint64_t cost_ns, uint64_t burst_ns);
/* Handler-safe: spends cost_ns whatever it leaves (a cost known only afterwards). Returns false
 * when the backlog is now over burst_ns. */
bool rate_limit_charge(rate_limit *r, uint64_t now_ns, uint64_t cost_ns, uint64_t burst_ns);
/* Handler-safe: true when an event costing nothing would be admitted (backlog within burst_ns). */
bool rate_limit_open(const rate_limit *r, uint64_t now_ns, uint64_t burst_ns);
/* Handler-safe: CLOCK_MONOTONIC in ns. */
uint64_t rate_now_ns(void);

#endif
