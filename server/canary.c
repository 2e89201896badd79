/* Canary arming (see canary.h): the attach argument, the per-breakpoint state machine, the choice
 * of the canary process and the messages; breakpoints.c does the sending. */
#include "canary.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "budgets.h"
#include "dap_session.h"

int canary_parse(const cJSON *json, canary_options *out, char *err, size_t err_len)
{
    out->window_ms = 0;
    if (!json || cJSON_IsNull(json) || cJSON_IsFalse(json))
        return 0;
    if (cJSON_IsTrue(json)) {
        out->window_ms = CANARY_DEFAULT_WINDOW_MS;
        return 0;
    }
    if (!cJSON_IsObject(json)) {
        snprintf(err, err_len, "'canary' must be true, false or an object like {\"seconds\": 2}");
        return -1;
    }
    out->window_ms = CANARY_DEFAULT_WINDOW_MS;
    for (const cJSON *item = json->child; item; item = item->next) {
        if (strcmp(item->string, "seconds") != 0) {
            snprintf(err, err_len, "canary: unknown field '%.60s' (known: seconds)", item->string);
            return -1;
        }
        double ms = cJSON_IsNumber(item) ? item->valuedouble * 1000 : -1;
        if (!(ms >= CANARY_MIN_WINDOW_MS && ms <= CANARY_MAX_WINDOW_MS)) {
            snprintf(err, err_len, "canary.seconds must be a number %g..%d", CANARY_MIN_WINDOW_MS / 1000.0,
                     CANARY_MAX_WINDOW_MS / 1000);
            return -1;
        }
        out->window_ms = (int64_t)(ms + 0.5);
    }
    return 0;
}

probe_peer *canary_candidate(const dap_session *s, uint64_t after_id)
{
    probe_peer *best = NULL;
    for (probe_peer *p = fleet_first(); p; p = p->next)
        if (p->id > after_id && (!best || p->id < best->id) && dap_session_sees(s, p))
            best = p;
    return best;
}

void canary_reset(bp_canary *c)
{
    free(c->failure);
    memset(c, 0, sizeof *c);
}

void canary_ask(bp_canary *c, const probe_peer *p, uint64_t placement)
{
    canary_reset(c);
    c->phase = CANARY_PLACING;
    c->probe_id = p->id;
    c->placement = placement;
    fleet_display_name(p, c->probe_name, sizeof c->probe_name);
}

bool canary_awaits(const bp_canary *c, uint64_t placement)
{
    return c->phase == CANARY_PLACING && c->placement == placement;
}

void canary_placed(bp_canary *c, int64_t now_ms, int64_t window_ms)
{
    c->phase = CANARY_WATCHING;
    c->promote_at_ms = now_ms + window_ms;
}

void canary_unplaced(bp_canary *c)
{
    canary_reset(c);
    c->phase = CANARY_UNPLACED;
}

void canary_fail(bp_canary *c, const char *why)
{
    size_t len = strlen(c->probe_name) + strlen(why) + 24;
    free(c->failure);
    c->failure = malloc(len);
    if (c->failure)
        snprintf(c->failure, len, "canary failed in %s: %s", c->probe_name, why);
    c->phase = CANARY_FAILED;
}

bool canary_is_in(const bp_canary *c, uint64_t probe_id)
{
    return (c->phase == CANARY_PLACING || c->phase == CANARY_WATCHING) && c->probe_id == probe_id;
}

bool canary_due(const bp_canary *c, int64_t now_ms)
{
    return c->phase == CANARY_WATCHING && now_ms >= c->promote_at_ms;
}

bool canary_holds_back(const bp_canary *c)
{
    return c->phase != CANARY_NONE;
}

const char *canary_format_window(int64_t window_ms, char *buf, size_t len)
{
    if (window_ms % 1000 == 0)
        return budgets_format_duration((int)(window_ms / 1000), buf, len);
    snprintf(buf, len, "%g s", (double)window_ms / 1000);
    return buf;
}

const char *canary_message(const bp_canary *c, size_t n_others, int64_t window_ms, char *buf, size_t len)
{
    char window[32];
    switch (c->phase) {
    case CANARY_WATCHING:
        canary_format_window(window_ms, window, sizeof window);
        if (n_others == 0)
            snprintf(buf, len, "canary: armed in %s; processes that join follow after %s", c->probe_name, window);
        else if (n_others == 1)
            snprintf(buf, len, "canary: armed in %s; the other process follows after %s", c->probe_name, window);
        else
            snprintf(buf, len, "canary: armed in %s; the other %zu processes follow after %s", c->probe_name,
                     n_others, window);
        return buf;
    case CANARY_PLACING:
        snprintf(buf, len, "canary: arming in %s", c->probe_name);
        return buf;
    case CANARY_FAILED:
        snprintf(buf, len, "%s", c->failure ? c->failure : "canary failed");
        return buf;
    case CANARY_NONE:
    case CANARY_UNPLACED:
        break;
    }
    return NULL;
}
