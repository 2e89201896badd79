/* Unit tests of the handler's rate limits (probe/rate_limit.c): bursts, refills, costs known
 * afterwards, and a CPU budget expressed as allowance per ns. */
#include <criterion/criterion.h>
#include "rate_limit.h"

#define START UINT64_C(5000000000)

Test(rate_limit, bursts_then_one_per_interval)
{
    rate_limit rate = { 0 };
    const uint64_t per_second = 100, interval = rate_cost_ns(1, per_second);
    for (uint64_t i = 0; i < per_second; i++)
        cr_assert(rate_limit_admit(&rate, START, interval, RATE_SECOND_NS), "burst %d", (int)i);
    cr_expect_not(rate_limit_admit(&rate, START, interval, RATE_SECOND_NS), "past the burst");
    cr_expect_not(rate_limit_admit(&rate, START + interval / 2, interval, RATE_SECOND_NS),
                  "before the next interval");
    cr_expect(rate_limit_admit(&rate, START + interval, interval, RATE_SECOND_NS),
              "one more after an interval");
    cr_expect_not(rate_limit_admit(&rate, START + interval, interval, RATE_SECOND_NS));
    for (uint64_t i = 0; i < per_second; i++) /* a quiet second refills the whole burst */
        cr_assert(rate_limit_admit(&rate, START + 3 * RATE_SECOND_NS, interval, RATE_SECOND_NS));
    cr_expect_not(rate_limit_admit(&rate, START + 3 * RATE_SECOND_NS, interval, RATE_SECOND_NS));
}

Test(rate_limit, a_refused_event_spends_nothing)
{
    rate_limit rate = { 0 };
    cr_assert(rate_limit_admit(&rate, START, 600, 1000));
    cr_expect_not(rate_limit_admit(&rate, START, 600, 1000));
    cr_expect(rate_limit_admit(&rate, START, 400, 1000), "the refused 600 left 400 free");
}

Test(rate_limit, charges_afterwards_and_closes_until_paid_back)
{
    rate_limit bytes = { 0 };
    const uint64_t per_second = 1000; /* bytes */
    cr_expect(rate_limit_open(&bytes, START, RATE_SECOND_NS));
    cr_expect_not(rate_limit_charge(&bytes, START, rate_cost_ns(1500, per_second), RATE_SECOND_NS),
                  "1500 bytes is over a burst of one second");
    cr_expect_not(rate_limit_open(&bytes, START, RATE_SECOND_NS));
    cr_expect_not(rate_limit_open(&bytes, START + RATE_SECOND_NS / 4, RATE_SECOND_NS));
    cr_expect(rate_limit_open(&bytes, START + RATE_SECOND_NS / 2, RATE_SECOND_NS),
              "half a second pays 500 bytes back");
}

Test(rate_limit, cpu_budget_as_allowance)
{
    /* 10% of a core with a burst of 2 s of wall time: each ns of CPU costs 10 ns of allowance. */
    rate_limit cpu = { 0 };
    const uint64_t burst = 2 * RATE_SECOND_NS;
    uint64_t now = START, used = 0;
    while (rate_limit_charge(&cpu, now, 5000 * 10, burst)) { /* 5 us evaluations, back to back */
        used += 5000;
        now += 5000;
    }
    /* Using the CPU at 100% overflows after burst / (10 - 1) ns of it: about 222 ms. */
    cr_expect(used > 200000000 && used < 240000000, "used %llu ns", (unsigned long long)used);
    rate_limit idle = { 0 };
    for (int i = 0; i < 100000; i++) /* 5 us every 100 us is 5%: never overflows */
        cr_assert(rate_limit_charge(&idle, START + (uint64_t)i * 100000, 5000 * 10, burst));
}
