/* The decisions of a step, as pure functions: where a step of a kind and granularity starts, and,
 * each time the stepping thread leaves its current range, whether it stops, keeps single-stepping
 * in a new range, or runs freely to a return address (a call to step over, code without lines). */
#ifndef PODBUG_STEP_PLAN_H
#define PODBUG_STEP_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "step_lines.h"

typedef enum step_kind { STEP_OVER, STEP_IN, STEP_OUT } step_kind;
/* "statement" steps are line steps: the line tables gcc and clang emit have no statement rows. */
typedef enum step_granularity { STEP_BY_LINE, STEP_BY_INSTRUCTION } step_granularity;

/* The inlined calls around a pc inside its machine frame: how many (0 in the function's own
 * code, or without debug information) and where the innermost one was inlined. */
typedef struct step_inlining {
    size_t depth;
    const char *call_file; /* depth 0: NULL */
    uint32_t call_line;
} step_inlining;

/* Where the stepping thread is now. */
typedef struct step_position {
    uintptr_t pc;
    uintptr_t cfa;            /* its frame's canonical frame address; 0 when unknown */
    uintptr_t return_address; /* its caller's pc; 0 when unknown */
    bool in_slot;             /* pc is in an out-of-line slot (a displaced instruction) */
    step_line line;           /* runtime addresses */
    step_inlining inlining;
} step_position;

/* The frame (machine frame and inlined call in it) and line the step is leaving. */
typedef struct step_origin {
    uintptr_t cfa;
    step_inlining inlining;
    const char *file;
    int line;
} step_origin;

typedef enum step_action_kind {
    STEP_ACTION_STOP,   /* the step ends here */
    STEP_ACTION_TRACE,  /* single-step while the pc stays in [low, high), then decide again */
    STEP_ACTION_RUN_TO, /* run freely until the pc is `address` with rsp == `sp`, then decide */
} step_action_kind;

typedef struct step_action {
    step_action_kind kind;
    uintptr_t low, high;
    uintptr_t address, sp;
} step_action;

/* The first action of a step from pos; sets *origin. */
step_action step_plan_start(step_kind kind, step_granularity granularity, const step_position *pos,
                            step_origin *origin);

/* The action once the thread reached pos (outside its range, or at its run-to address); may
 * move *origin to the frame the thread entered (step in) or returned to. */
step_action step_plan_next(step_kind kind, step_granularity granularity, const step_position *pos,
                           step_origin *origin);

#endif
