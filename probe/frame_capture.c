/* Frames of an interrupted context (see frame_capture.h): frame 0 from the ucontext, callers
 * from libunwind started with UNW_INIT_SIGNAL_FRAME, whose register numbers are DWARF's. */
#define UNW_LOCAL_ONLY
#include "frame_capture.h"

#include <libunwind.h>
#include "signal_interpose.h"

/* ucontext general registers by DWARF register number. */
static const int greg_of_dwarf[FRAME_REG_COUNT] = {
    REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP, REG_R8,
    REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15, REG_RIP,
};

PODBUG_HANDLER_TEXT static void read_context(const ucontext_t *uc, frame_regs *top)
{
    for (int r = 0; r < FRAME_REG_COUNT; r++)
        top->reg[r] = (uint64_t)uc->uc_mcontext.gregs[greg_of_dwarf[r]];
    top->valid = (1u << FRAME_REG_COUNT) - 1;
    top->cfa = 0;
}

PODBUG_HANDLER_TEXT static int get_unwound(void *cursor, int regno, uint64_t *value)
{
    unw_word_t v;
    int rc = unw_get_reg(cursor, regno, &v);
    *value = (uint64_t)v;
    return rc;
}

/* The caller's registers at the cursor's current frame; false at the end of the stack. */
PODBUG_HANDLER_TEXT static bool read_caller(unw_cursor_t *cursor, frame_regs *f)
{
    return frame_regs_unwound(f, get_unwound, cursor);
}

PODBUG_HANDLER_TEXT int frame_capture(ucontext_t *uc, frame_regs *frames, size_t max)
{
    read_context(uc, &frames[0]);
    unw_cursor_t cursor;
    if (max < 2 || unw_init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) < 0)
        return 1;
    size_t count = 1;
    while (count < max && unw_step(&cursor) > 0 && read_caller(&cursor, &frames[count])) {
        if (frame_reg_known(&frames[count], DWREG_RSP))
            frames[count - 1].cfa = frames[count].reg[DWREG_RSP]; /* the CFA of a frame is its caller's sp */
        count++;
    }
    return (int)count;
}

PODBUG_HANDLER_TEXT void frame_capture_top(ucontext_t *uc, frame_regs *top, bool with_cfa)
{
    read_context(uc, top);
    unw_cursor_t cursor;
    frame_regs caller;
    if (with_cfa && unw_init_local2(&cursor, (unw_context_t *)uc, UNW_INIT_SIGNAL_FRAME) == 0 &&
        unw_step(&cursor) > 0 && read_caller(&cursor, &caller) && frame_reg_known(&caller, DWREG_RSP))
        top->cfa = caller.reg[DWREG_RSP];
}

void frame_capture_set_register(ucontext_t *uc, int regno, uint64_t value)
{
    uc->uc_mcontext.gregs[greg_of_dwarf[regno]] = (greg_t)value;
}
