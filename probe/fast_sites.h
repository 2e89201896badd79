/* Fast breakpoint sites: whole instructions at the address replaced by a jmp to a per-site
 * trampoline near the code that saves the registers, asks bp_conditions whether any breakpoint
 * there wants the hit, and on no runs the relocated instructions and jumps back (nanoseconds, no
 * trap); on yes it enters the trap path through an int3 with the program's exact registers. */
#ifndef PODBUG_FAST_SITES_H
#define PODBUG_FAST_SITES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "symbols.h"

/* How a breakpoint site is armed. */
typedef enum site_path { SITE_PATH_TRAP, SITE_PATH_FAST } site_path;

/* Arms a breakpoint site at addr (reference counted per address, like trap_arm; an address
 * already armed keeps the path it has). A new site takes the fast path when want_fast, the
 * process allows it (PODBUG_BREAKPOINTS=trap forces traps for the whole process) and
 * site_safety_check accepts it; otherwise trap_arm's int3. *path tells which; why (why_len) says
 * why a site wanted fast took the trap path ("" when fast or not wanted), e.g. "the jump at
 * 0x401136 (handle+0x16) targets the replaced bytes". Patching follows entry_patch's three
 * phases: a redirect int3 first (a thread reaching it runs the trampoline), finished only when no
 * thread's pc (running, sleeping, or parked by the stopper) is inside the replaced bytes.
 * A fast site whose replaced bytes would meet another fast site's, or whose patch cannot finish
 * (a thread stays inside), takes the trap path with that reason; an address inside the bytes an
 * armed fast site replaced turns that site into a trap site first (same references).
 * Returns 0, or -1 with err (then nothing is armed). Agent thread. */
int breakpoint_site_arm(sym_index *symbols, uintptr_t addr, bool want_fast, site_path *path,
                        char *why, size_t why_len, char *err, size_t err_len);
/* Drops one reference; at zero restores the program's bytes (int3 first; the trampoline is kept
 * forever, a thread may still be in it). Returns 0, or -1 when addr is not armed. Agent. */
int breakpoint_site_disarm(uintptr_t addr);
/* Restores every fast site and every trap site (disconnect). Agent. */
void breakpoint_site_disarm_all(void);

/* True when addr lies in the bytes a fast site replaced (addr itself excluded): nothing else may
 * be patched there. */
bool fast_sites_cover(uintptr_t addr);
/* The program's byte at addr, seeing through fast sites' jumps and trap sites' int3s. Returns 0,
 * or -1 when unreadable. */
int fast_sites_original_byte(uintptr_t addr, uint8_t *out);
/* True when addr lies in a trampoline (its relocated instructions or its own code). */
bool fast_sites_in_trampoline(uintptr_t addr);

/* Hits taken through trampolines since start (for the bench and /metrics; added per thread by
 * batches of 64, so it may lag by up to 63 per thread). */
uint64_t fast_sites_hit_count(void);

/* The process-wide switch (PODBUG_BREAKPOINTS=trap: false): when false every site is a trap.
 * Default true. Agent. */
void fast_sites_allow(bool allowed);

/* True when a fast site's replaced bytes (its address included) meet [start, start + len). */
bool fast_sites_overlap(uintptr_t start, size_t len);
/* Copies the program's bytes over buf (the len bytes at addr as read from memory) wherever a
 * fast site's jump or int3s stand. */
void fast_sites_original_view(uintptr_t addr, uint8_t *buf, size_t len);

/* When a fast site's jump is at addr, sets *relocated to its trampoline's relocated instructions
 * (where a trap site armed over the jump sends threads: its hit evaluated the breakpoints) and
 * returns true. Agent. */
bool fast_sites_relocated_at(uintptr_t addr, uintptr_t *relocated);

/* Handler-safe, for single steps: where pc stands among fast sites. */
typedef enum fast_step {
    FAST_STEP_NONE,     /* not a fast site's code */
    FAST_STEP_AT_SITE,  /* a fast site's jump comes next (its trampoline's int3 will decide) */
    FAST_STEP_ENTERED,  /* a trampoline's entry: *exit is its exit int3 */
    FAST_STEP_INSIDE,   /* elsewhere in a trampoline (its relocated instructions) */
} fast_step;
fast_step fast_sites_step_at(uintptr_t pc, uintptr_t *exit);

/* Handler-safe: true when the calling thread, interrupted at pc, is inside a trampoline or its
 * C entry, where it must not park (no unwind information there). */
bool fast_sites_thread_inside(uintptr_t pc);

#endif
