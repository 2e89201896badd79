/* Canary arming (attach argument `canary`): the session's canary window, one breakpoint's canary
 * state and its transitions, which process is the canary, and the messages that describe it. */
#ifndef PODBUG_CANARY_H
#define PODBUG_CANARY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "fleet.h"

struct dap_session;

#define CANARY_DEFAULT_WINDOW_MS 2000
#define CANARY_MIN_WINDOW_MS 100
#define CANARY_MAX_WINDOW_MS (3600 * 1000)

/* A session's canary setting: window_ms 0 = off (breakpoints go to every process at once). */
typedef struct canary_options {
    int64_t window_ms;
} canary_options;

/* json: NULL, null or false (off), true (2 s) or {"seconds": N} with N in 0.1..3600 (omitted: 2).
 * Returns 0, or -1 with err like "canary.seconds must be a number 0.1..3600". */
int canary_parse(const cJSON *json, canary_options *out, char *err, size_t err_len);

/* A new or changed breakpoint of a canary session goes through PLACING (sent to the candidates one
 * at a time, longest-connected first, until one binds it) to WATCHING (armed in that process only)
 * and, once the window has passed without a breach, back to NONE: armed everywhere as usual. A
 * breach (the canary process left, or switched the breakpoint off for its CPU budget) makes it
 * FAILED until the breakpoint is changed. A condition that fails at run time is not a breach: the
 * probe counts it as false and the process is unharmed. */
typedef enum canary_phase {
    CANARY_NONE,        /* no canary (or promoted): the breakpoint goes to every matching process */
    CANARY_PLACING,     /* a breakpoints.set to candidate probe_id is in flight */
    CANARY_UNPLACED,    /* bound in no candidate: the next process that joins is tried */
    CANARY_WATCHING,    /* armed in probe_id only, until promote_at_ms */
    CANARY_FAILED,      /* breached: armed nowhere; failure says why */
} canary_phase;

typedef struct bp_canary {
    canary_phase phase;
    uint64_t probe_id;      /* PLACING: the candidate; WATCHING, FAILED: the canary */
    uint64_t placement;     /* PLACING: which request asks it (a stale reply is told apart) */
    char probe_name[96];    /* its "<pod>/<pid>" */
    int64_t promote_at_ms;  /* WATCHING: when the rest of the fleet gets it (net_now_ms clock) */
    char *failure;          /* FAILED: "canary failed in <pod>/<pid>: <why>" */
} bp_canary;

/* The probe s sees with the smallest id above after_id (ids grow with connection order, so 0 gives
 * the longest-connected one), or NULL. */
probe_peer *canary_candidate(const struct dap_session *s, uint64_t after_id);

/* Back to NONE, forgetting any failure. */
void canary_reset(bp_canary *c);
/* PLACING, asking p with request `placement` (a number unique to that request). */
void canary_ask(bp_canary *c, const probe_peer *p, uint64_t placement);
/* Whether the reply to request `placement` decides this breakpoint's canary. */
bool canary_awaits(const bp_canary *c, uint64_t placement);
/* The candidate bound it: WATCHING until now_ms + window_ms. */
void canary_placed(bp_canary *c, int64_t now_ms, int64_t window_ms);
/* No candidate bound it: UNPLACED. */
void canary_unplaced(bp_canary *c);
/* A breach in the canary: FAILED with "canary failed in <canary>: <why>". */
void canary_fail(bp_canary *c, const char *why);
/* Whether probe_id is this breakpoint's canary (or the candidate being asked). */
bool canary_is_in(const bp_canary *c, uint64_t probe_id);
/* Whether the window has passed without a breach. */
bool canary_due(const bp_canary *c, int64_t now_ms);
/* Whether the breakpoint is kept from the fleet-wide fan-out (every phase but NONE). */
bool canary_holds_back(const bp_canary *c);

/* "2 s", "0.5 s", "1 h": the window for messages. */
const char *canary_format_window(int64_t window_ms, char *buf, size_t len);
/* The breakpoint's DAP message while the canary decides: WATCHING "canary: armed in shop-1/42;
 * the other 2 processes follow after 2 s" (n_others: the other processes the session sees),
 * PLACING "canary: arming in shop-1/42", FAILED the failure. NULL in the other phases. */
const char *canary_message(const bp_canary *c, size_t n_others, int64_t window_ms, char *buf, size_t len);

#endif
