/* A DAP client session (an IDE attached to part of the fleet): its connection, sequence numbers,
 * selector, source map and breakpoints; sending responses and events; reacting to fleet changes. */
#ifndef PODBUG_DAP_SESSION_H
#define PODBUG_DAP_SESSION_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include "budgets.h"
#include "canary.h"
#include "fatal_signals.h"
#include "fleet.h"
#include "probe_msg.h"
#include "selector.h"
#include "source_map.h"

struct conn;
struct session_bp;

/* Snapshot threads a session shows at most; older ones are dismissed. */
#define SESSION_MAX_SNAPSHOT_THREADS 50

typedef struct dap_session {
    uint64_t id;                 /* server-unique, never reused */
    struct conn *conn;
    int64_t next_seq;            /* seq of the next message we send; starts at 1 */
    bool initialized;            /* initialize answered */
    bool authenticated;          /* holds a valid token, or the server has no --token-file */
    unsigned roles;              /* auth_role bits of that token (session_auth.h) */
    bool supports_progress;      /* initialize said supportsProgressReporting */
    bool attached;
    bool configuration_done;
    bool detached;               /* disconnect handled: breakpoints removed, processes resumed */
    selector sel;
    source_map map;
    bool stop_all;
    bool fast_breakpoints;       /* attach argument "fastBreakpoints" (default true) */
    session_budgets budgets;     /* attach argument "budgets" */
    canary_options canary;       /* attach argument "canary" */
    struct session_bp *breakpoints;
    int exception_modes[FATAL_SIGNAL_COUNT]; /* setExceptionBreakpoints: exception_mode per fatal_signals() */
    uint64_t snapshots_shown[SESSION_MAX_SNAPSHOT_THREADS]; /* store ids, oldest first */
    size_t n_snapshots_shown;
    bool snapshot_focus_given;   /* a snapshot's stopped event has taken the focus once */
    struct dap_session *next;
} dap_session;

/* Names a request so that it can be answered later, after its session may have gone. */
typedef struct dap_request_ref {
    uint64_t session_id;
    int64_t seq;
    char command[48];
} dap_request_ref;

void dap_session_on_open(struct conn *c);
void dap_session_on_message(struct conn *c, const char *text, size_t len);
void dap_session_on_close(struct conn *c);

dap_session *dap_session_find(uint64_t id);
dap_session *dap_session_first(void);
size_t dap_session_count(void);
bool dap_session_sees(const dap_session *s, const probe_peer *p);

dap_request_ref dap_request_ref_of(const dap_session *s, const cJSON *request);
/* Sends the response to ref (dropped if its session is gone). Takes ownership of body (may be
 * NULL). A failure carries message and an ErrorResponse body {"error": {...}}. */
void dap_respond(const dap_request_ref *ref, bool success, const char *message, cJSON *body);
void dap_respond_error(const dap_request_ref *ref, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Takes ownership of body (may be NULL). */
void dap_send_event(dap_session *s, const char *event, cJSON *body);
/* A "thread" event: reason "started" or "exited". */
void dap_send_thread_event(dap_session *s, const char *reason, int thread_id);
/* An "output" event of category "console" with text (which should end in a newline). */
void dap_send_console(dap_session *s, const char *text);

/* Removes the session's breakpoints from every probe and resumes the stopped processes no other
 * session watches. With ref (a disconnect request), answers it once those processes run. */
void dap_session_detach(dap_session *s, const dap_request_ref *ref);
/* Resumes every thread of the stopped process p for no request (terminating a launched program:
 * parked threads would keep its SIGTERM pending); the sessions that see it hear "continued". */
void dap_session_resume_process(probe_peer *p);

/* Fleet changes, from probe_link. */
void dap_sessions_probe_joined(probe_peer *p);
void dap_sessions_probe_stopped(probe_peer *p);
void dap_sessions_probe_left(probe_peer *p);
/* A breakpoint's condition failed in p: an "output" event for the sessions owning it; one that
 * p switched off (report->disabled) also gets a "breakpoint" event. */
void dap_sessions_breakpoint_error(probe_peer *p, const probe_bp_error *report);
/* A logpoint's line from p: an "output" event with its source and line for the sessions owning
 * it. */
void dap_sessions_logpoint_output(probe_peer *p, const probe_output *line);
/* Expires breakpoints whose time has come and promotes canaries whose window has passed, in every
 * session. Called by the loop's timer. */
void dap_sessions_tick(int64_t now_ms);

#endif
