/* Names of the DWARF x86-64 registers a frame_regs holds (see frame_regs.h), in DWARF's order,
 * not the hardware encoding's; and which registers of an unwound caller's frame are true. */
#include "frame_regs.h"
#include "signal_interpose.h"

/* Registers libunwind recovers correctly in callers' frames (callee-saved, sp, ip). */
static const int unwound_regs[] = { DWREG_RBX, DWREG_RBP, DWREG_RSP, DWREG_R12, DWREG_R13,
                                    DWREG_R14, DWREG_R15, DWREG_RIP };

const char *frame_reg_name(int regno)
{
    static const char *const names[FRAME_REG_COUNT] = {
        "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
        "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip",
    };
    return regno >= 0 && regno < FRAME_REG_COUNT ? names[regno] : 0;
}

PODBUG_HANDLER_TEXT bool frame_regs_unwound(frame_regs *f, frame_reg_getter get, void *cursor)
{
    f->valid = 0;
    f->cfa = 0;
    for (size_t i = 0; i < sizeof unwound_regs / sizeof unwound_regs[0]; i++)
        if (get(cursor, unwound_regs[i], &f->reg[unwound_regs[i]]) == 0)
            f->valid |= 1u << unwound_regs[i];
    return frame_reg_known(f, DWREG_RIP) && f->reg[DWREG_RIP] != 0;
}
