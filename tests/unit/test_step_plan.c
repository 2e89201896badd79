/* Unit tests of the stepping decisions: line ranges around a pc in a line table
 * (probe/step_lines.c) and where a step stops, keeps stepping or runs to a return
 * (probe/step_plan.c), on synthetic rows and positions. */
#include <criterion/criterion.h>
#include "step_plan.h"

#define ROW(a, l, stmt) { .address = (a), .file = "/src/f.c", .line = (l), .sequence = 1, .is_stmt = (stmt) }
#define END(a) { .address = (a), .sequence = 1, .end_sequence = true }

/* A function: entry line 10 at 0x100, line 11 at 0x108 (a non-stmt row of line 12 inside it
 * at 0x10c), line 11 again at 0x110, line 12 at 0x118, end at 0x120. */
static dwarf_line_row rows[] = {
    ROW(0x100, 10, true), ROW(0x108, 11, true), ROW(0x10c, 12, false),
    ROW(0x110, 11, true), ROW(0x118, 12, true), END(0x120),
};
static const dwarf_module module = { .rows = rows, .row_count = sizeof rows / sizeof rows[0] };

Test(step_lines, range_spans_rows_a_step_may_cross)
{
    step_line l;
    step_line_in_module(&module, 0x10a, &l);
    cr_assert(l.known);
    cr_expect_eq(l.line, 11);
    cr_expect_not(l.at_stmt_start);
    cr_expect_eq(l.low, 0x108);
    cr_expect_eq(l.high, 0x118, "the non-stmt row and line 11 again are crossed; line 12 stops");
    step_line_in_module(&module, 0x118, &l);
    cr_expect(l.at_stmt_start);
    cr_expect_eq(l.high, 0x120);
    step_line_in_module(&module, 0x200, &l);
    cr_expect_not(l.known);
    cr_expect_eq(l.low, l.high);
}

Test(step_lines, rows_of_two_lines_at_one_address_share_the_start)
{
    dwarf_line_row shared[] = { ROW(0x100, 10, true), ROW(0x100, 11, true), ROW(0x104, 12, true), END(0x108) };
    const dwarf_module m = { .rows = shared, .row_count = 4 };
    step_line l;
    step_line_in_module(&m, 0x100, &l);
    cr_expect_eq(l.line, 11);
    cr_expect(l.shared_start);
}

static step_position at(uintptr_t pc, uintptr_t cfa, int line, bool stmt_start)
{
    step_position p = { .pc = pc, .cfa = cfa, .return_address = 0x5000 };
    p.line = (step_line){ .known = line > 0, .file = "/src/f.c", .line = line, .at_stmt_start = stmt_start,
                          .low = pc, .high = pc + 4 };
    return p;
}

Test(step_plan, next_stops_at_a_new_line_in_the_same_frame)
{
    step_origin origin;
    step_position start = at(0x108, 0x7000, 11, true);
    step_action a = step_plan_start(STEP_OVER, STEP_BY_LINE, &start, &origin);
    cr_assert_eq(a.kind, STEP_ACTION_TRACE);
    step_position same_line = at(0x110, 0x7000, 11, true);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &same_line, &origin).kind, STEP_ACTION_TRACE);
    step_position mid_row = at(0x11a, 0x7000, 12, false);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &mid_row, &origin).kind, STEP_ACTION_TRACE);
    step_position next_line = at(0x118, 0x7000, 12, true);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &next_line, &origin).kind, STEP_ACTION_STOP);
}

Test(step_plan, next_runs_over_a_call_to_its_return_in_this_frame)
{
    step_origin origin;
    step_position start = at(0x108, 0x7000, 11, true);
    step_plan_start(STEP_OVER, STEP_BY_LINE, &start, &origin);
    step_position callee = at(0x900, 0x6f00, 40, true); /* deeper: a lower CFA */
    step_action a = step_plan_next(STEP_OVER, STEP_BY_LINE, &callee, &origin);
    cr_assert_eq(a.kind, STEP_ACTION_RUN_TO);
    cr_expect_eq(a.address, 0x5000);
    cr_expect_eq(a.sp, 0x6f00, "the rsp after the return is the callee's CFA: a recursion runs on");
}

Test(step_plan, step_in_enters_code_with_lines_and_steps_over_code_without)
{
    step_origin origin;
    step_position start = at(0x108, 0x7000, 11, true);
    step_plan_start(STEP_IN, STEP_BY_LINE, &start, &origin);
    step_position entry = at(0x900, 0x6f00, 40, true);
    cr_expect_eq(step_plan_next(STEP_IN, STEP_BY_LINE, &entry, &origin).kind, STEP_ACTION_TRACE,
                 "the entry line is the prologue: step on to the next line");
    cr_expect_eq(origin.cfa, 0x6f00);
    cr_expect_eq(origin.line, 40);
    step_position body = at(0x910, 0x6f00, 41, true);
    cr_expect_eq(step_plan_next(STEP_IN, STEP_BY_LINE, &body, &origin).kind, STEP_ACTION_STOP);

    step_plan_start(STEP_IN, STEP_BY_LINE, &start, &origin);
    step_position libc = at(0xa000, 0x6f00, 0, false);
    cr_expect_eq(step_plan_next(STEP_IN, STEP_BY_LINE, &libc, &origin).kind, STEP_ACTION_RUN_TO);

    step_plan_start(STEP_IN, STEP_BY_LINE, &start, &origin);
    step_position no_prologue = at(0x900, 0x6f00, 40, true);
    no_prologue.line.shared_start = true;
    cr_expect_eq(step_plan_next(STEP_IN, STEP_BY_LINE, &no_prologue, &origin).kind, STEP_ACTION_STOP);
}

Test(step_plan, returning_mid_line_finishes_the_callers_line)
{
    step_origin origin;
    step_position start = at(0x918, 0x6f00, 42, true);
    step_plan_start(STEP_OVER, STEP_BY_LINE, &start, &origin);
    step_position caller = at(0x10a, 0x7000, 11, false);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &caller, &origin).kind, STEP_ACTION_TRACE);
    cr_expect_eq(origin.cfa, 0x7000);
    step_position caller_next = at(0x118, 0x7000, 12, true);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &caller_next, &origin).kind, STEP_ACTION_STOP);
}

Test(step_plan, step_out_runs_to_the_return_and_stops)
{
    step_origin origin;
    step_position start = at(0x910, 0x6f00, 41, true);
    step_action a = step_plan_start(STEP_OUT, STEP_BY_LINE, &start, &origin);
    cr_assert_eq(a.kind, STEP_ACTION_RUN_TO);
    cr_expect_eq(a.address, 0x5000);
    step_position back = at(0x5000, 0x7000, 11, false);
    cr_expect_eq(step_plan_next(STEP_OUT, STEP_BY_LINE, &back, &origin).kind, STEP_ACTION_STOP);
    start.return_address = 0;
    cr_expect_eq(step_plan_start(STEP_OUT, STEP_BY_LINE, &start, &origin).kind, STEP_ACTION_STOP,
                 "the outermost frame has nowhere to return");
}

Test(step_plan, instruction_steps_stop_after_one_and_follow_slots)
{
    step_origin origin;
    step_position start = at(0x108, 0x7000, 11, true);
    step_action a = step_plan_start(STEP_IN, STEP_BY_INSTRUCTION, &start, &origin);
    cr_assert_eq(a.kind, STEP_ACTION_TRACE);
    cr_expect_eq(a.low, a.high, "an empty range: decide after one instruction");
    step_position slot = at(0x40000, 0, 0, false);
    slot.in_slot = true;
    cr_expect_eq(step_plan_next(STEP_IN, STEP_BY_INSTRUCTION, &slot, &origin).kind, STEP_ACTION_TRACE);
    step_position next = at(0x10b, 0x7000, 11, false);
    cr_expect_eq(step_plan_next(STEP_IN, STEP_BY_INSTRUCTION, &next, &origin).kind, STEP_ACTION_STOP);
    step_position callee = at(0x900, 0x6f00, 40, true);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_INSTRUCTION, &callee, &origin).kind, STEP_ACTION_RUN_TO,
                 "an instruction step over a call runs to its return");
}

/* pos inside a call inlined at /src/f.c:11 (line 30 of the inlined function), same machine frame */
static step_position inlined(uintptr_t pc, int line, bool stmt_start)
{
    step_position p = at(pc, 0x7000, line, stmt_start);
    p.inlining = (step_inlining){ .depth = 1, .call_file = "/src/f.c", .call_line = 11 };
    return p;
}

Test(step_plan, step_out_of_an_inlined_call_ends_when_the_pc_leaves_it)
{
    step_origin origin;
    step_position start = inlined(0x108, 30, true);
    step_action a = step_plan_start(STEP_OUT, STEP_BY_LINE, &start, &origin);
    cr_assert_eq(a.kind, STEP_ACTION_TRACE, "no return to run to: the inlined code is followed");
    cr_expect_eq(a.low, a.high);
    step_position still_inside = inlined(0x10c, 31, true);
    cr_expect_eq(step_plan_next(STEP_OUT, STEP_BY_LINE, &still_inside, &origin).kind, STEP_ACTION_TRACE);
    step_position callee = at(0x900, 0x6f00, 40, true);
    cr_expect_eq(step_plan_next(STEP_OUT, STEP_BY_LINE, &callee, &origin).kind, STEP_ACTION_RUN_TO,
                 "a call made by the inlined code runs to its return");
    step_position other_call = inlined(0x110, 30, true);
    other_call.inlining.call_line = 12;
    cr_expect_eq(step_plan_next(STEP_OUT, STEP_BY_LINE, &other_call, &origin).kind, STEP_ACTION_STOP,
                 "the same function inlined at another call site is another frame");
    step_position caller = at(0x114, 0x7000, 11, false);
    cr_expect_eq(step_plan_next(STEP_OUT, STEP_BY_LINE, &caller, &origin).kind, STEP_ACTION_STOP,
                 "back in the caller's code, even mid-line");
}

Test(step_plan, next_steps_over_an_inlined_call_and_step_in_stops_in_it)
{
    step_origin origin;
    step_position start = at(0x100, 0x7000, 11, true);
    step_plan_start(STEP_OVER, STEP_BY_LINE, &start, &origin);
    step_position body = inlined(0x108, 30, true);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &body, &origin).kind, STEP_ACTION_TRACE,
                 "the inlined body's lines belong to the call's line");
    cr_expect_eq(origin.line, 11);
    step_position after = at(0x118, 0x7000, 12, true);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &after, &origin).kind, STEP_ACTION_STOP);

    step_plan_start(STEP_IN, STEP_BY_LINE, &start, &origin);
    cr_expect_eq(step_plan_next(STEP_IN, STEP_BY_LINE, &body, &origin).kind, STEP_ACTION_STOP);

    step_position inside = inlined(0x108, 30, true);
    step_plan_start(STEP_OVER, STEP_BY_LINE, &inside, &origin);
    step_position caller_mid_line = at(0x10c, 0x7000, 11, false);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &caller_mid_line, &origin).kind, STEP_ACTION_TRACE,
                 "leaving the inlined call mid-line finishes the caller's line");
    cr_expect_eq(origin.inlining.depth, 0);
    step_position caller_next = at(0x118, 0x7000, 12, true);
    cr_expect_eq(step_plan_next(STEP_OVER, STEP_BY_LINE, &caller_next, &origin).kind, STEP_ACTION_STOP);
}
