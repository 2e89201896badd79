/* The machine code of a fast breakpoint's trampoline: save the program's registers, call a C
 * entry, restore them, then run the relocated instructions (no) or an int3 (yes). */
#ifndef PODBUG_TRAMPOLINE_H
#define PODBUG_TRAMPOLINE_H

#include <stddef.h>
#include <stdint.h>
#include "relocate.h"
#include "site_safety.h"

#define TRAMPOLINE_RED_ZONE 128
#define TRAMPOLINE_MAX_SIZE 512

/* What the trampoline saved on the program's stack, lowest address first: the block the C
 * entry receives. The program's rsp was (uintptr_t)(&saved->next + 1) + TRAMPOLINE_RED_ZONE. */
typedef struct trampoline_saved {
    uint8_t xmm_high[8][16];  /* xmm8 .. xmm15 */
    uint8_t xmm_low[8][16];   /* xmm0 .. xmm7 */
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t rflags;
    uint64_t next;            /* written by the entry: where the trampoline goes on */
} trampoline_saved;

/* The C entry: called with the trampoline's argument and the saved block, on an aligned stack,
 * direction flag clear; must set saved->next to the trampoline's resume or slow exit. */
typedef void (*trampoline_entry_fn)(const void *arg, trampoline_saved *saved);

/* Where things are in a built trampoline (absolute addresses). */
typedef struct trampoline_layout {
    uintptr_t entry;     /* the jump at the site goes here */
    uintptr_t resume;    /* no hit: the relocated instructions, then a jmp back */
    uintptr_t relocated; /* the first relocated instruction */
    uintptr_t slow_exit; /* a hit: restores rsp and reaches the int3 */
    uintptr_t exit_int3; /* the int3 whose trap is a hit at the site's address */
    uintptr_t end;       /* one past the last byte */
} trampoline_layout;

/* Builds into code (TRAMPOLINE_MAX_SIZE bytes) the trampoline for range when written at dest:
 * entry(arg, saved) decides; the replaced instructions are relocated with relocate_sequence.
 * Returns the byte count and fills layout, or 0 with err. No allocation, no I/O. */
size_t trampoline_build(const site_range *range, uintptr_t dest, trampoline_entry_fn entry,
                        const void *arg, uint8_t *code, trampoline_layout *layout, char *err,
                        size_t err_len);

#endif
