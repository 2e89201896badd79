/* Unit tests for server/server_limits: the defaults in force, and the message-rate bucket that
 * admits a burst then the rate, drops the excess and closes after 10 s of drops. */
#include <criterion/criterion.h>

#include "probe_msg.h"
#include "server_limits.h"

#define START 5000000

Test(server_limits, defaults_until_set)
{
    const server_limits *in_force = server_limits_get();
    cr_expect_eq(in_force->max_message_bytes, PROBE_MAX_MESSAGE);
    cr_expect_eq(in_force->max_probes, LIMIT_DEFAULT_MAX_PROBES);
    cr_expect_eq(in_force->max_sessions, LIMIT_DEFAULT_MAX_SESSIONS);
    server_limits changed = server_limits_defaults();
    changed.max_probes = 1;
    server_limits_set(&changed);
    cr_expect_eq(server_limits_get()->max_probes, 1);
}

Test(server_limits, a_full_bucket_admits_a_burst_then_the_rate)
{
    message_rate rate = { 0 };
    const size_t burst = 3 * LIMIT_BURST_SECONDS;
    for (size_t i = 0; i < burst; i++)
        cr_assert_eq(message_rate_admit(&rate, START, 3), RATE_ADMIT, "burst message %zu", i);
    cr_expect_eq(message_rate_admit(&rate, START, 3), RATE_DROP_STARTS, "past the burst");
    cr_expect_eq(message_rate_admit(&rate, START + 300, 3), RATE_DROP, "less than a token refilled");
    cr_expect_eq(message_rate_admit(&rate, START + 334, 3), RATE_ADMIT, "a third of a second: one more");
    cr_expect_eq(message_rate_admit(&rate, START + 334, 3), RATE_DROP);
}

Test(server_limits, a_second_without_drops_ends_a_run_and_ten_seconds_of_drops_close)
{
    message_rate rate = { 0 };
    int64_t t = START;
    for (size_t i = 0; i < 2 * LIMIT_BURST_SECONDS; i++)
        message_rate_admit(&rate, t, 2);
    cr_expect_eq(message_rate_admit(&rate, t, 2), RATE_DROP_STARTS);
    t += 2000; /* quiet: the bucket refills 4 */
    for (int i = 0; i < 4; i++)
        cr_assert_eq(message_rate_admit(&rate, t, 2), RATE_ADMIT);
    cr_expect_eq(message_rate_admit(&rate, t, 2), RATE_DROP_STARTS, "a new run of drops");
    const int64_t run_start = t;
    for (; t < run_start + LIMIT_OVER_RATE_CLOSE_MS; t += 100) {
        rate_verdict v = message_rate_admit(&rate, t, 2);
        while (v == RATE_ADMIT)
            v = message_rate_admit(&rate, t, 2);
        cr_assert(v == RATE_DROP || (t == run_start && v == RATE_DROP_STARTS), "at +%lld ms", (long long)(t - run_start));
    }
    rate_verdict v = message_rate_admit(&rate, t, 2);
    while (v == RATE_ADMIT)
        v = message_rate_admit(&rate, t, 2);
    cr_expect_eq(v, RATE_CLOSE, "ten seconds of drops");
}
