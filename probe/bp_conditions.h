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

#define BP_CONDITIONS_MAX_PER_ADDRESS 16

typedef enum { HIT_EVERY, HIT_EQUAL, HIT_AT_LEAST, HIT_MULTIPLE } hit_condition_op;
typedef struct hit_condition { hit_condition_op op; uint64_t n; } hit_condition;

/* DAP hitCondition text: "" (every hit), "5" or "== 5" (the 5th hit only), ">= 5" (from the 5th),
 * "> 5" (from the 6th), "% 5" (every 5th). Returns 0, or -1 with err ("hit condition '%x' is not
 * a count: use N, == N, >= N, > N or % N"). */
int hit_condition_parse(const char *text, hit_condition *out, char *err, size_t err_len);

/* Agent: registers breakpoint bp_id at addr with its program (owned from now on; NULL = no
 * condition). Returns 0, or -1 when the address already has BP_CONDITIONS_MAX_PER_ADDRESS. */
int bp_conditions_add(uintptr_t addr, int64_t bp_id, cond_program *program, hit_condition hit);
/* The same for a logpoint: log is its site at addr (owned from now on; NULL = a breakpoint that
 * stops). */
int bp_conditions_add_logpoint(uintptr_t addr, int64_t bp_id, cond_program *program,
                               hit_condition hit, logpoint_site *log);
/* Agent: removes it; its program is freed once no handler can still be running it. */
void bp_conditions_remove(uintptr_t addr, int64_t bp_id);

/* Handler: evaluates the condition and then the hit condition of every breakpoint at addr for
 * this hit (hit counts advance only when the condition is true, and per breakpoint). A logpoint
 * that passes captures its values (within its rate limit) and never wants the hit. Writes the
 * ids that want the hit; returns how many. A condition error counts as false and is recorded. */
size_t bp_conditions_filter(uintptr_t addr, ucontext_t *uc, int64_t *ids, size_t max);

/* Handler-safe: how many breakpoints have recorded their first runtime error so far. The stop
 * module compares it around bp_conditions_filter and wakes the agent when it grew. */
uint64_t bp_conditions_first_errors(void);

/* Agent: the next breakpoint with runtime errors not yet reported: its id, the first error's
 * text and how many errors so far. Each breakpoint is reported once. */
bool bp_conditions_take_error(int64_t *bp_id, char *message, size_t message_len, uint64_t *count);
/* Agent: the records of logpoint bp_id dropped (rate limit, full ring) since the last call. */
uint64_t bp_conditions_take_dropped(int64_t bp_id);
/* Agent: some logpoint with dropped records not yet taken: its id and how many. */
bool bp_conditions_take_any_dropped(int64_t *bp_id, uint64_t *dropped);
/* Hits of bp_id that passed its condition (for tests and /metrics). */
uint64_t bp_conditions_hits(int64_t bp_id);

#endif
