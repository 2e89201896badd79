/* The registers of one stack frame as captured when its thread stopped, in DWARF x86-64
 * numbering, with which of them are known in that frame (callers' caller-saved ones are not). */
#ifndef PODBUG_FRAME_REGS_H
#define PODBUG_FRAME_REGS_H

#include <stdbool.h>
#include <stdint.h>

/* DWARF register numbers for x86-64 (System V psABI). */
enum {
    DWREG_RAX = 0, DWREG_RDX = 1, DWREG_RCX = 2, DWREG_RBX = 3, DWREG_RSI = 4, DWREG_RDI = 5,
    DWREG_RBP = 6, DWREG_RSP = 7, DWREG_R8 = 8, DWREG_R9, DWREG_R10, DWREG_R11, DWREG_R12,
    DWREG_R13, DWREG_R14, DWREG_R15 = 15, DWREG_RIP = 16,
    FRAME_REG_COUNT = 17
};

typedef struct frame_regs {
    uint64_t reg[FRAME_REG_COUNT];
    uint32_t valid;   /* bit n set: reg[n] is this frame's true value */
    uint64_t cfa;     /* the frame's canonical frame address (DW_OP_call_frame_cfa); 0 = unknown */
} frame_regs;

static inline bool frame_reg_known(const frame_regs *r, int regno)
{
    return regno >= 0 && regno < FRAME_REG_COUNT && (r->valid >> regno) & 1u;
}

/* "rax", "rdx", ... "rip"; NULL for a number outside 0..16. */
const char *frame_reg_name(int regno);

/* Reads a register an unwinder recovered in the frame at cursor: 0, or nonzero when unknown. */
typedef int (*frame_reg_getter)(void *cursor, int regno, uint64_t *value);
/* A caller's frame from an unwinder (libunwind, local or remote): only rip, rsp and the
 * callee-saved registers are taken, as its caller-saved ones are stale; cfa 0. False when the
 * frame has no return address (the end of the stack). Async-signal-safe. */
bool frame_regs_unwound(frame_regs *f, frame_reg_getter get, void *cursor);

#endif
