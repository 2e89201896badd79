/* A session's source breakpoints and their fan-out to every matching probe, late joiners
 * included; each breakpoint's state is the fleet's: verified when bound in some process. */
#ifndef PODBUG_BREAKPOINTS_H
#define PODBUG_BREAKPOINTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include "canary.h"
#include "dap_session.h"

/* How a breakpoint is armed in one process: every location through the fast path (a jump to a
 * trampoline), some through a trap although the fast path was wanted, or with traps as asked
 * (a breakpoint without condition, log message or snapshot mode, which stops at every hit). */
typedef enum bp_path { BP_PATH_PLAIN, BP_PATH_FAST, BP_PATH_TRAP } bp_path;

typedef struct session_bp {
    int64_t id;             /* the DAP breakpoint id, also the probe protocol id (server-unique) */
    char *ide_path;         /* as the IDE named the source; NULL for a function breakpoint */
    char *build_path;       /* mapped through sourceMap, sent to probes; NULL likewise */
    int line;               /* 0 for a function breakpoint */
    char *function;         /* DAP FunctionBreakpoint.name; NULL for a source breakpoint */
    char *mode;             /* DAP SourceBreakpoint.mode: "stop" (default) or "snapshot" */
    char *condition;        /* DAP SourceBreakpoint.condition; NULL when none */
    char *hit_condition;    /* DAP SourceBreakpoint.hitCondition; NULL when none */
    char *log_message;      /* DAP SourceBreakpoint.logMessage: a logpoint; NULL when none */
    uint64_t *bound;        /* probes where it is armed */
    uint8_t *bound_path;    /* per bound probe, a bp_path: how it is armed there */
    size_t n_bound;
    size_t cap_bound;
    char *trap_reason;      /* why some probe armed it with traps ("pod-a/12: ..."); NULL */
    char *failure;          /* why it did not bind somewhere: "pod-a/12: no code at ..." */
    char *switched_off;     /* "switched off in pod-a/12: ..." when a probe disabled it (CPU budget) */
    char *refused;          /* not sent to any probe: an unknown mode, or expired; NULL = armed */
    int64_t expires_ms;     /* snapshot breakpoints and logpoints: when they expire (net_now_ms
                             * clock); 0 = never */
    bp_canary canary;       /* sessions with canary arming: where it stands (see canary.h) */
    struct session_bp *next;
} session_bp;

/* setBreakpoints for one source: replaces the session's breakpoints in that file (same line,
 * same id; a changed mode, condition, hit condition or log message is sent again and restarts its
 * expiry), sends them to every matching probe with the session's budgets, and answers ref once
 * all have replied or timed out. `requested` is the DAP arguments' "breakpoints" array (may be
 * NULL). An unknown mode makes an unverified breakpoint whose message names the modes. With canary
 * arming, a new or changed breakpoint goes to one process first (and out of the others) and to
 * the rest when its canary is promoted. */
void breakpoints_set_source(dap_session *s, const dap_request_ref *ref, const char *ide_path,
                            const cJSON *requested);
/* setFunctionBreakpoints: replaces the session's function breakpoints (the same name keeps its
 * id; a changed condition or hit condition is sent again) and fans them out like source
 * breakpoints (canary, late joiners). `requested` is the DAP "breakpoints" array (may be NULL). */
void breakpoints_set_functions(dap_session *s, const dap_request_ref *ref, const cJSON *requested);
/* The DAP reason of a stop the probe reports as probe_reason at breakpoints ids: "function
 * breakpoint" when it is "breakpoint" and the breakpoints of s among ids are all function
 * breakpoints; else probe_reason. */
const char *breakpoints_stop_reason(const dap_session *s, const char *probe_reason, const int64_t *ids,
                                    size_t n);
/* A probe joined that s sees: arm all of s's breakpoints there; report changes as events. */
void breakpoints_probe_joined(dap_session *s, probe_peer *p);
/* A probe left: unbind; report breakpoints whose state changed. A canary that leaves fails its
 * breakpoints' canaries. */
void breakpoints_probe_left(dap_session *s, const probe_peer *p);
/* Removes all of s's breakpoints from every probe it sees and frees them. */
void breakpoints_remove_all(dap_session *s);
/* A probe switched breakpoint id off (breakpoint.error with disabled): unbinds it there and sends
 * the session a "breakpoint" event; in its canary, the canary fails. Returns false when s has no
 * such breakpoint. */
bool breakpoints_switched_off(dap_session *s, probe_peer *p, const probe_bp_error *report);
/* Expires the session's snapshot breakpoints and logpoints whose time has come (now_ms on the
 * net_now_ms clock): removed from the probes, reported with a "breakpoint" event. */
void breakpoints_expire(dap_session *s, int64_t now_ms);
/* Arms the breakpoints whose canary window has passed without a breach in the session's other
 * processes; a "breakpoint" event reports each once they have replied. Called by the loop's timer. */
void breakpoints_promote_canaries(dap_session *s, int64_t now_ms);
bool breakpoints_owned(const dap_session *s, int64_t id);
/* The breakpointModes capability: [{"mode":"stop","label":"Stop",...,"appliesTo":["source"]},
 * {"mode":"snapshot",...}]. */
cJSON *breakpoints_modes_capability(void);
/* The breakpoint id of s, or NULL. */
const session_bp *breakpoints_find(const dap_session *s, int64_t id);

#endif
