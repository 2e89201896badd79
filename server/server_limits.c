/* The limits in force on the server (see server_limits.h) and the message-rate token bucket: what
 * exceeds the rate is dropped; a run of drops lasting LIMIT_OVER_RATE_CLOSE_MS ends in a close. */
#include "server_limits.h"

#include "probe_msg.h"

#define DEFAULT_LIMITS                                                                                      \
    { PROBE_MAX_MESSAGE, LIMIT_DEFAULT_MAX_PROBES, LIMIT_DEFAULT_MAX_SESSIONS, LIMIT_DEFAULT_MESSAGES_PER_SECOND, \
      LIMIT_DEFAULT_QUEUED_BYTES }

static server_limits in_force = DEFAULT_LIMITS;

server_limits server_limits_defaults(void)
{
    return (server_limits)DEFAULT_LIMITS;
}

void server_limits_set(const server_limits *limits)
{
    in_force = *limits;
}

const server_limits *server_limits_get(void)
{
    return &in_force;
}

rate_verdict message_rate_admit(message_rate *r, int64_t now_ms, size_t per_second)
{
    const int64_t capacity = (int64_t)per_second * LIMIT_BURST_SECONDS * 1000;
    if (!r->started) {
        r->started = true;
        r->milli_tokens = capacity;
    } else if (now_ms > r->last_ms) {
        int64_t refill = (now_ms - r->last_ms) * (int64_t)per_second;
        r->milli_tokens = refill >= capacity - r->milli_tokens ? capacity : r->milli_tokens + refill;
    }
    r->last_ms = now_ms;
    if (r->milli_tokens >= 1000) {
        r->milli_tokens -= 1000;
        return RATE_ADMIT;
    }
    bool run_starts = r->over_since_ms == 0 || now_ms - r->last_drop_ms >= 1000;
    r->last_drop_ms = now_ms;
    if (run_starts) {
        r->over_since_ms = now_ms;
        return RATE_DROP_STARTS;
    }
    return now_ms - r->over_since_ms >= LIMIT_OVER_RATE_CLOSE_MS ? RATE_CLOSE : RATE_DROP;
}
