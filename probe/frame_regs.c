/* Names of the DWARF x86-64 registers a frame_regs holds (see frame_regs.h).
 * The order is DWARF's, not the hardware encoding's. */
#include "frame_regs.h"

const char *frame_reg_name(int regno)
{
    static const char *const names[FRAME_REG_COUNT] = {
        "rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp", "r8",
        "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "rip",
    };
    return regno >= 0 && regno < FRAME_REG_COUNT ? names[regno] : 0;
}
