/* Stepping one thread of a stopped process in-process: the trap flag single-steps it inside our
 * SIGTRAP handler while the pc stays in a range, internal int3 sites run it to return addresses,
 * and the agent decides (step_plan) each time it leaves a range. The other threads stay parked. */
#ifndef PODBUG_STEPPER_H
#define PODBUG_STEPPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "step_plan.h"
#include "symbols.h"

/* ---- handler side (async-signal-safe), called by trap.c and stopper.c ---- */

/* A single-step trap (trap_trace_fn): true when it belongs to the step. */
bool stepper_on_trace(void *ucontext, bool at_armed_site);
/* A trap at a site that no breakpoint wanted: the step's run-to address, or a site the stepping
 * thread single-stepped onto. */
void stepper_on_site(uintptr_t addr, void *ucontext);
/* The thread is about to park for a breakpoint: when it is the stepping thread, the step ends. */
void stepper_end_at_breakpoint(void *ucontext);

/* ---- agent side ---- */

/* Starts a step of parked thread tid (the process is stopped); it runs, the others stay parked.
 * Returns 0, or -1 with err ("thread 12 is not stopped", "a step of thread 9 is in progress"). */
int stepper_start(sym_index *symbols, pid_t tid, step_kind kind, step_granularity granularity,
                  char *err, size_t err_len);

/* After the stepping thread woke the agent: decides and moves the step on. Returns true with
 * *tid when the step ended where it should be reported (reason "step"). A step ended by a
 * breakpoint is reported by the breakpoint's event instead (false here). */
bool stepper_poll(sym_index *symbols, pid_t *tid);

/* True while a step runs (started and not yet ended). */
bool stepper_active(void);

/* Abandons the step in progress (pause, disconnect): its internal site is removed and the
 * stepping thread, parked or not, stops single-stepping. */
void stepper_cancel(void);

#endif
