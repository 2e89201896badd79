/* What the probe does for the server: registration, breakpoints, stack traces, scopes, variables,
 * evaluate, set_variable, continue, release, and reporting stops and failed conditions. Agent thread;
 * replies through agent_send. */
#ifndef PODBUG_SERVER_REQUESTS_H
#define PODBUG_SERVER_REQUESTS_H

#include "config.h"
#include "probe_msg.h"
#include "symbols.h"

void server_requests_init(const probe_config *cfg, sym_index *symbols);
/* Connected: send hello. */
void server_requests_on_connect(void);
/* One message from the server. */
void server_requests_handle(const probe_envelope *env);
/* A thread hit a breakpoint and parked: stop the process and report it. */
void server_requests_on_hit(void);
/* Sends what the signal handlers left for the agent since the last call: breakpoint.error for
 * conditions that failed for the first time and breakpoints switched off by their CPU budget,
 * logpoint lines (output), snapshots, and the drop counts no line or snapshot carried. Called on
 * every wake-up and on the heartbeat timer. */
void server_requests_report_events(void);
/* Connection lost: never leave the target stopped or armed for a debugger that is gone. */
void server_requests_on_disconnect(void);

#endif
