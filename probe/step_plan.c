/* Step decisions (see step_plan.h). Frames are told apart by their CFA: a deeper frame has a lower
 * one (the stack grows down), so a recursive call is deeper even at the same code address. */
#include "step_plan.h"

#include <string.h>

static step_action stop(void)
{
    return (step_action){ .kind = STEP_ACTION_STOP };
}

static step_action trace(uintptr_t low, uintptr_t high)
{
    return (step_action){ .kind = STEP_ACTION_TRACE, .low = low, .high = high };
}

static step_action trace_line(const step_position *pos)
{
    return trace(pos->line.low, pos->line.high);
}

/* Leaves the frame at pos: runs to its return address (the caller's rsp is then pos->cfa). */
static step_action run_to_return(const step_position *pos)
{
    if (!pos->return_address || !pos->cfa)
        return stop(); /* outermost frame, or no unwind information: nowhere to return to */
    return (step_action){ .kind = STEP_ACTION_RUN_TO, .address = pos->return_address, .sp = pos->cfa };
}

static void set_origin(step_origin *origin, const step_position *pos)
{
    *origin = (step_origin){ pos->cfa, pos->line.file, pos->line.line };
}

static bool is_new_line(const step_origin *origin, const step_position *pos)
{
    const step_line *l = &pos->line;
    if (!l->known || !l->at_stmt_start)
        return false;
    return l->line != origin->line || !origin->file || strcmp(l->file, origin->file) != 0;
}

step_action step_plan_start(step_kind kind, step_granularity granularity, const step_position *pos,
                            step_origin *origin)
{
    set_origin(origin, pos);
    if (kind == STEP_OUT)
        return run_to_return(pos);
    if (granularity == STEP_BY_INSTRUCTION)
        return trace(pos->pc, pos->pc);
    if (!pos->line.known)
        return run_to_return(pos); /* no line information here: step out of it first */
    return trace_line(pos);
}

step_action step_plan_next(step_kind kind, step_granularity granularity, const step_position *pos,
                           step_origin *origin)
{
    if (pos->in_slot)
        return trace(pos->pc, pos->pc); /* follow the displaced instruction back to the code */
    if (kind == STEP_OUT)
        return stop(); /* arrived at the return address */
    bool deeper = origin->cfa && pos->cfa && pos->cfa < origin->cfa;
    bool outer = origin->cfa && pos->cfa && pos->cfa > origin->cfa;
    if (granularity == STEP_BY_INSTRUCTION)
        return kind == STEP_OVER && deeper ? run_to_return(pos) : stop();
    if (deeper) {
        if (kind == STEP_IN && pos->line.known) {
            if (pos->line.shared_start)
                return stop(); /* its entry line and first body line share the entry: no prologue */
            set_origin(origin, pos); /* stops at the callee's first line after its entry line */
            return trace_line(pos);
        }
        return run_to_return(pos);
    }
    if (!pos->line.known)
        return run_to_return(pos);
    if (outer) {
        if (pos->line.at_stmt_start)
            return stop(); /* the caller's next line starts at the return address */
        set_origin(origin, pos); /* mid-line in the caller: finish that line */
        return trace_line(pos);
    }
    return is_new_line(origin, pos) ? stop() : trace_line(pos);
}
