/* The C entry every fast breakpoint's trampoline calls: frame-0 registers from the saved block,
 * the CFA when a condition needs it, the breakpoints' verdict through bp_conditions. */
#ifndef PODBUG_FAST_ENTRY_H
#define PODBUG_FAST_ENTRY_H

#include <stdbool.h>
#include <stdint.h>
#include "cfa_rule.h"
#include "trampoline.h"

/* What the entry knows of a site. Written before the trampoline that passes it can run. */
typedef struct fast_entry_site {
    uintptr_t address;      /* the breakpoint address (frame 0's rip) */
    uintptr_t resume;       /* the trampoline's resume (no hit) */
    uintptr_t slow_exit;    /* its slow exit (a hit: the trap path) */
    cfa_rule cfa;
    bool has_cfa_rule;      /* else a condition that needs the CFA gets it by one unwind step */
} fast_entry_site;

/* The trampolines' entry (a trampoline_entry_fn; arg is a fast_entry_site). Runs in the program's
 * thread, not in a signal handler: no allocation, no locks, no AVX. */
void fast_entry(const void *arg, trampoline_saved *saved);

/* Handler-safe: true while the calling thread runs a fast entry (a signal that interrupted it
 * must not park it there: its stack has no unwind information). */
bool fast_entry_busy(void);

/* Hits taken through trampolines since start (each thread adds its hits by batches of 64: the
 * count may lag by up to 63 per thread). */
uint64_t fast_entry_hits(void);

#endif
