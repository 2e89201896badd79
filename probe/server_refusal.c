/* Refusals by the server (see server_refusal.h): decoding the close frame's code and reason and
 * logging each distinct reason once. Runs on the agent thread only. */
#include "server_refusal.h"

#include <stdio.h>
#include <string.h>
#include "log.h"

static bool active;
static char last_reason[128];

bool server_refusal_note(const void *payload, size_t len)
{
    const unsigned char *p = payload;
    if (!p || len < 2)
        return false;
    unsigned code = (unsigned)p[0] << 8 | p[1];
    if (code != SERVER_REFUSAL_UNAUTHENTICATED && code != SERVER_REFUSAL_FORBIDDEN)
        return false;
    char reason[sizeof last_reason];
    size_t n = len - 2 < sizeof reason - 1 ? len - 2 : sizeof reason - 1;
    memcpy(reason, p + 2, n);
    reason[n] = '\0';
    if (!active || strcmp(reason, last_reason) != 0)
        log_warn("refused by the server (%u): %s; the program runs on, retrying", code, reason);
    active = true;
    snprintf(last_reason, sizeof last_reason, "%s", reason);
    return true;
}

bool server_refusal_active(void)
{
    return active;
}

void server_refusal_clear(void)
{
    if (active)
        log_info("accepted by the server");
    active = false;
    last_reason[0] = '\0';
}
