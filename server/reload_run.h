/* One podbug/reload (or rollback) in progress: the requests to every target probe at once, the
 * canary stage, all-or-nothing (a failure anywhere rolls the others back), progress events and the
 * response. Everything is asynchronous; the loop never waits. */
#ifndef PODBUG_RELOAD_RUN_H
#define PODBUG_RELOAD_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dap_session.h"
#include "reload_crash.h"
#include "reload_request.h"

/* How long a probe may take to reload or roll back (DWARF reading, waiting for threads). */
#define RELOAD_PROBE_TIMEOUT_MS 60000

/* Starts the reload (or rollback) of args (taken over) in the n target probes and answers ref
 * when it is over. targets is copied. */
void reload_run_start(dap_session *s, const dap_request_ref *ref, reload_args *args, probe_peer *const *targets,
                      size_t n);

/* Whether p is a target of a reload still in progress (a second one waits until it is over). */
bool reload_run_busy(const probe_peer *p);

/* A crash of p in the code of reload_id: when that reload is still in progress it takes the crash
 * over (its all-or-nothing rollback covers the others; it finishes c when done) and returns true. */
bool reload_run_take_crash(int64_t reload_id, const probe_peer *p, reload_crash *c);

/* Canary windows: a canary that left fails the reload; a window that passed lets the rest follow.
 * Called by the loop's timer. */
void reload_runs_tick(int64_t now_ms);

#endif
