/* Whether a breakpoint address can take a 5-byte jump: the whole instructions it would replace,
 * checked against every branch of the function (all its ranges) with Zydis. Agent thread only. */
#ifndef PODBUG_SITE_SAFETY_H
#define PODBUG_SITE_SAFETY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "symbols.h"

#define SITE_JUMP_SIZE 5         /* jmp rel32 */
#define SITE_MAX_REPLACED 20     /* whole instructions covering at least 5 bytes: at most 4 + 15 */
#define SITE_MAX_INSNS 5

/* The instructions a jump at address replaces. */
typedef struct site_range {
    uintptr_t address;
    size_t length;                          /* bytes the jump overwrites: >= SITE_JUMP_SIZE */
    size_t n_insns;
    uint8_t insn_length[SITE_MAX_INSNS];
    uint8_t original[SITE_MAX_REPLACED];    /* the program's bytes (never an int3 of ours) */
} site_range;

/* Checks the site at addr (an instruction boundary: a line-table or function-entry address) in
 * the function containing it, as symbols know it (DWARF subprogram ranges, including a split-off
 * cold part, else the ELF symbol and its size). Safe when: the function's ranges are known and
 * every instruction in them decodes; the instructions from addr covering 5 bytes all lie inside
 * the same range (or, in a short function, end it with a ret or jmp followed by alignment padding
 * that belongs to no function: the jump then also covers padding, length stays 5 and only the
 * function's instructions are listed and relocated); no relative branch anywhere in the function (or its other ranges) targets
 * addr + 1 .. addr + length - 1; the function has no indirect jmp (a switch table's targets are
 * unknown); no call in the range except as its last instruction (a return address inside the
 * range); the function has no exception landing pads (an LSDA in its FDE); every replaced
 * instruction can be relocated (relocate_sequence); no breakpoint int3 of
 * ours lies inside the range except at addr. Fills out and returns 0, or returns -1 with reason,
 * one line naming the cause and the place, e.g. "the jump at 0x401136 (handle+0x16) targets the
 * replaced bytes", "'dispatch' has an indirect jump (a switch table?): its targets are unknown",
 * "the call at handle+0x9 would return inside the replaced bytes", "'loop' at handle+0x4 cannot be
 * relocated", "the function ends 3 bytes after the breakpoint", "no symbol with a size covers
 * 0x...". Bytes under our int3 sites are read as the originals (trap_original_byte). */
int site_safety_check(sym_index *symbols, uintptr_t addr, site_range *out, char *reason,
                      size_t reason_len);

#endif
