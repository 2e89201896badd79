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
    *origin = (step_origin){ pos->cfa, pos->inlining, pos->line.file, pos->line.line };
}

static bool same_file(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* True when pc, in the origin's machine frame, is no longer inside the origin's inlined call:
 * fewer inlined calls around it, or as many but another call site. */
static bool left_inlined_call(const step_origin *origin, const step_position *pos)
{
    const step_inlining *from = &origin->inlining, *now = &pos->inlining;
    if (now->depth != from->depth)
        return now->depth < from->depth;
    return now->call_line != from->call_line || !same_file(now->call_file, from->call_file);
}

/* stepOut: of a machine frame it ends at the return address; of an inlined call it follows the
 * code instruction by instruction (calls inside it run to their return) until pc leaves it. */
static step_action step_out_next(const step_position *pos, const step_origin *origin, bool deeper,
                                 bool outer)
{
    if (!origin->inlining.depth || outer)
        return stop(); /* at the return address (an inlined call that ended its function, too) */
    if (deeper)
        return run_to_return(pos);
    return left_inlined_call(origin, pos) ? stop() : trace(pos->pc, pos->pc);
}

static bool is_new_line(const step_origin *origin, const step_position *pos)
{
    const step_line *l = &pos->line;
    if (!l->known || !l->at_stmt_start)
        return false;
    return l->line != origin->line || !origin->file || !same_file(l->file, origin->file);
}

step_action step_plan_start(step_kind kind, step_granularity granularity, const step_position *pos,
                            step_origin *origin)
{
    set_origin(origin, pos);
    if (kind == STEP_OUT)
        return pos->inlining.depth ? trace(pos->pc, pos->pc) : run_to_return(pos);
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
    bool deeper = origin->cfa && pos->cfa && pos->cfa < origin->cfa;
    bool outer = origin->cfa && pos->cfa && pos->cfa > origin->cfa;
    if (kind == STEP_OUT)
        return step_out_next(pos, origin, deeper, outer);
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
    if (outer || left_inlined_call(origin, pos)) {
        if (pos->line.at_stmt_start)
            return stop(); /* the caller's next line starts where the call returned */
        set_origin(origin, pos); /* mid-line in the caller: finish that line */
        return trace_line(pos);
    }
    if (kind == STEP_OVER && pos->inlining.depth > origin->inlining.depth)
        return trace_line(pos); /* inside a call inlined into the line: its lines are stepped over */
    return is_new_line(origin, pos) ? stop() : trace_line(pos);
}
