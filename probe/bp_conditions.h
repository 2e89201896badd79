/* Which of the breakpoints at an address want a hit: per breakpoint its compiled condition, its
 * hit condition and hit count, read by the signal handler from tables the agent publishes; runtime
 * errors are counted there and taken by the agent to be reported once. */
#ifndef PODBUG_BP_CONDITIONS_H
#define PODBUG_BP_CONDITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>
#include "cond.h"
#include "logpoints.h"
#include "snapshot_plan.h"

#define BP_CONDITIONS_MAX_PER_ADDRESS 16

typedef enum { HIT_EVERY, HIT_EQUAL, HIT_AT_LEAST, HIT_MULTIPLE } hit_condition_op;
typedef struct hit_condition { hit_condition_op op; uint64_t n; } hit_condition;

/* DAP hitCondition text: "" (every hit), "5" or "== 5" (the 5th hit only), ">= 5" (from the 5th),
 * "> 5" (from the 6th), "% 5" (every 5th). Returns 0, or -1 with err ("hit condition '%x' is not
 * a count: use N, == N, >= N, > N or % N"). */
int hit_condition_parse(const char *text, hit_condition *out, char *err, size_t err_len);

/* What a breakpoint does with a hit that passes its condition and hit condition. */
typedef enum { BP_STOP, BP_LOG, BP_SNAPSHOT } bp_action;

/* A breakpoint's budgets, resolved (every field set; see PROBE_PROTOCOL.md 4.2). */
typedef struct bp_budget {
    uint32_t per_second;        /* BP_LOG: lines, BP_SNAPSHOT: snapshots */
    uint32_t bytes_per_second;  /* BP_LOG: text (charged by the agent), BP_SNAPSHOT: captured */
    uint32_t cpu_percent;       /* condition evaluation, percent of one core */
} bp_budget;

/* Everything registered for one breakpoint at one address. The pointers are owned by the
 * registry from the call on (freed once no handler can run them). */
typedef struct bp_filter {
    bp_action action;
    cond_program *program;      /* NULL: no condition */
    hit_condition hit;
    logpoint_site *log;         /* BP_LOG */
    snapshot_plan *snapshot;    /* BP_SNAPSHOT */
    bp_budget budget;           /* taken from the breakpoint's first registered address */
} bp_filter;

/* The defaults of PROBE_PROTOCOL.md 4.2 for an action. */
bp_budget bp_budget_default(bp_action action);

/* Agent: registers breakpoint bp_id at addr. Returns 0, or -1 (everything in f freed) when the
 * address already has BP_CONDITIONS_MAX_PER_ADDRESS or memory runs out. */
int bp_conditions_register(uintptr_t addr, int64_t bp_id, const bp_filter *f);
/* A breakpoint that stops, with default budgets (program may be NULL). */
int bp_conditions_add(uintptr_t addr, int64_t bp_id, cond_program *program, hit_condition hit);
/* Agent: removes it; its program is freed once no handler can still be running it. */
void bp_conditions_remove(uintptr_t addr, int64_t bp_id);

/* Handler: evaluates the condition and then the hit condition of every breakpoint at addr for
 * this hit (hit counts advance only when the condition is true, and per breakpoint). A logpoint
 * that passes captures its values, a snapshot breakpoint its snapshot (within their rate limits)
 * and neither wants the hit. Writes the ids that want the hit; returns how many. A condition
 * error counts as false and is recorded; a condition that overruns its CPU budget switches its
 * breakpoint off (it is skipped from then on). */
size_t bp_conditions_filter(uintptr_t addr, ucontext_t *uc, int64_t *ids, size_t max);

/* Fast path (called from a trampoline, in the hitting thread, not in a signal handler; same
 * rules: no allocation, no locks): runs bp_conditions_filter's logic for addr on frame-0 regs
 * (regs->cfa filled when the address's programs need it): conditions, hit conditions and counts,
 * logpoints captured here. Returns true when a breakpoint that stops or snapshots wants the hit:
 * its verdict is left in the thread's slot, and the trap path that follows on the same thread
 * (bp_conditions_filter at the same addr) takes it instead of evaluating again, so that every
 * hit is counted once. False: nothing more to do. Async-signal-safe. */
bool bp_conditions_filter_fast(uintptr_t addr, const frame_regs *regs);
/* Fast path, after bp_conditions_filter_fast said no, when the trampoline leaves through its int3
 * all the same (the thread must park): the trap path that follows at addr on this thread takes
 * "no breakpoint wants this hit" instead of evaluating again. Async-signal-safe. */
void bp_conditions_fast_pass(uintptr_t addr);
/* Whether the breakpoints at addr need the frame's CFA (some program reads it). Handler-safe. */
bool bp_conditions_need_cfa(uintptr_t addr);

/* Handler-safe: how many things the agent must hear of have happened so far (a breakpoint's
 * first runtime error, a breakpoint switched off). The stop module compares it around
 * bp_conditions_filter and wakes the agent when it grew. */
uint64_t bp_conditions_news(void);

/* Agent: the next breakpoint with runtime errors not yet reported: its id, the first error's
 * text and how many errors so far. Each breakpoint is reported once. */
bool bp_conditions_take_error(int64_t *bp_id, char *message, size_t message_len, uint64_t *count);
/* Agent: the next breakpoint switched off by its CPU budget and not yet taken: its id and why
 * ("its condition used 212 ms of CPU in 41250 evaluations (5.1 us each), over its budget of 10%
 * of a core"). Its slots stay registered (and skipped) until removed. */
bool bp_conditions_take_switched_off(int64_t *bp_id, char *why, size_t why_len);
/* Agent: the lines or snapshots of bp_id dropped (rate limits, full ring or pool) since the last
 * call. */
uint64_t bp_conditions_take_dropped(int64_t bp_id);
/* Agent: some breakpoint with that action and dropped records not yet taken: its id and how many. */
bool bp_conditions_take_any_dropped(bp_action action, int64_t *bp_id, uint64_t *dropped);
/* Agent: charges a formatted logpoint line of `bytes` to bp_id's bytes_per_second; false (and
 * counted as dropped) when it is over. */
bool bp_conditions_admit_log_bytes(int64_t bp_id, size_t bytes);
/* Hits of bp_id that passed its condition (for tests and /metrics). */
uint64_t bp_conditions_hits(int64_t bp_id);

#endif
