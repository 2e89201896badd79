/* Programs started by DAP "launch": the process with the probe preloaded and held, its output
 * forwarded as "output" events, its release once the session is configured, its exit ("exited",
 * "terminated"), and its end on terminate or disconnect. Driven by the loop's timer: no waits. */
#ifndef PODBUG_LAUNCH_H
#define PODBUG_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include "dap_handlers/handlers.h"
#include "launch_env.h"

/* How long a started program's probe may take to register before the launch fails. */
#define LAUNCH_REGISTER_TIMEOUT_MS 10000
/* How long a program may take to end after SIGTERM (disconnect) before it gets SIGKILL. */
#define LAUNCH_KILL_GRACE_MS 2000

typedef struct launch_spec {
    char *program;       /* the path it is started with, absolute */
    char **argv;         /* program, then the arguments; NULL-terminated */
    char *cwd;           /* absolute */
    launch_env env;      /* the server's environment with the launch's "env" applied */
    bool stop_on_entry;  /* stop with reason "entry" before main's code runs */
} launch_spec;

void launch_spec_free(launch_spec *spec);

/* Starts spec's program for s, with the probe beside the server preloaded and held, and takes
 * spec and options (both, whatever the outcome). ref is answered once the probe registered (s is
 * then attached with options to that process alone, and gets "initialized"), or with the reason
 * the program did not get that far. Returns 0, or -1 with err when nothing was started. */
int launch_start(dap_session *s, const dap_request_ref *ref, launch_spec *spec, dap_session_options *options,
                 char *err, size_t err_len);
/* Whether s launched a program (starting, running or ended). */
bool launch_owned_by(const dap_session *s);
/* Whether p's stop is at s's stopOnEntry breakpoint (reason "entry"); that breakpoint is then
 * removed from p, so that it stops once. */
bool launch_take_entry_stop(const dap_session *s, probe_peer *p);
/* s sent configurationDone: its program starts once the breakpoints sent before are armed. */
void launch_configuration_done(dap_session *s);
/* disconnect of s: false when s launched nothing (the caller detaches as for attach). Otherwise
 * answers ref: with terminate, once the program ended (SIGTERM, SIGKILL after
 * LAUNCH_KILL_GRACE_MS); without, at once, the program running on released. */
bool launch_disconnect(dap_session *s, const dap_request_ref *ref, bool terminate);
/* terminate of s: SIGTERM to its program (resumed first when it is stopped for the debugger).
 * Returns 0, or -1 with err when s launched nothing. */
int launch_terminate(dap_session *s, char *err, size_t err_len);
/* s closed without disconnect: its program is ended as a disconnect would. */
void launch_session_closed(dap_session *s);
/* Forwards output, notices registrations and exits, applies deadlines. Called by the loop's timer. */
void launch_tick(int64_t now_ms);
/* The server stops: programs still owned by a session are killed. */
void launch_shutdown(void);

#endif
