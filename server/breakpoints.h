/* A session's source breakpoints and their fan-out to every matching probe, late joiners
 * included; each breakpoint's state is the fleet's: verified when bound in some process. */
#ifndef PODBUG_BREAKPOINTS_H
#define PODBUG_BREAKPOINTS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include "dap_session.h"

typedef struct session_bp {
    int64_t id;             /* the DAP breakpoint id, also the probe protocol id (server-unique) */
    char *ide_path;         /* as the IDE named the source */
    char *build_path;       /* mapped through sourceMap, sent to probes */
    int line;
    char *mode;             /* "stop" */
    char *condition;        /* DAP SourceBreakpoint.condition; NULL when none */
    char *hit_condition;    /* DAP SourceBreakpoint.hitCondition; NULL when none */
    char *log_message;      /* DAP SourceBreakpoint.logMessage: a logpoint; NULL when none */
    uint64_t *bound;        /* probes where it is armed */
    size_t n_bound;
    size_t cap_bound;
    char *failure;          /* why it did not bind somewhere: "pod-a/12: no code at ..." */
    struct session_bp *next;
} session_bp;

/* setBreakpoints for one source: replaces the session's breakpoints in that file (same line,
 * same id; a changed condition, hit condition or log message is sent again), sends them to every matching probe, and answers ref once all have replied
 * or timed out. `requested` is the DAP arguments' "breakpoints" array (may be NULL). */
void breakpoints_set_source(dap_session *s, const dap_request_ref *ref, const char *ide_path,
                            const cJSON *requested);
/* A probe joined that s sees: arm all of s's breakpoints there; report changes as events. */
void breakpoints_probe_joined(dap_session *s, probe_peer *p);
/* A probe left: unbind; report breakpoints whose state changed. */
void breakpoints_probe_left(dap_session *s, const probe_peer *p);
/* Removes all of s's breakpoints from every probe it sees and frees them. */
void breakpoints_remove_all(dap_session *s);
bool breakpoints_owned(const dap_session *s, int64_t id);
/* The breakpoint id of s, or NULL. */
const session_bp *breakpoints_find(const dap_session *s, int64_t id);

#endif
