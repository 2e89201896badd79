/* What a snapshot at one breakpoint address copies besides registers and stack: the objects the
 * frame's variables point to, to a bounded number of pointer hops, compiled once per address. */
#ifndef PODBUG_SNAPSHOT_PLAN_H
#define PODBUG_SNAPSHOT_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cond.h"
#include "frame_regs.h"
#include "safe_mem.h"
#include "symbols.h"

#define SNAPSHOT_PLAN_MAX_POINTEES 64  /* objects one plan copies at most */
#define SNAPSHOT_STRING_MAX 256        /* bytes of a char pointer's string copied at most */

/* A snapshot's size budget (see PROBE_PROTOCOL.md 4.2, "Budgets"). */
typedef struct snapshot_limits {
    uint32_t max_frames;   /* machine frames, 1..SNAPSHOT_MAX_FRAMES */
    uint32_t max_depth;    /* pointer hops followed from a variable (o -> *o is one), 0..4 */
    uint32_t max_bytes;    /* memory copied in all (stack and pointees), 4096..SNAPSHOT_MAX_BYTES */
} snapshot_limits;

typedef struct snapshot_plan snapshot_plan;

/* One object a snapshot copies: the pointer to it, evaluated at the hit, and how much. */
typedef struct snapshot_pointee {
    cond_program *pointer;        /* a cond_compile_value program giving the pointer */
    uint32_t size;                /* bytes to copy: the pointee's type size (a pointer to an
                                   * array: the array), at most max_bytes / 4 */
    bool is_string;               /* a char pointer: up to SNAPSHOT_STRING_MAX bytes, of which
                                   * those up to and including the first NUL are kept */
} snapshot_pointee;

/* Agent: the plan for a snapshot breakpoint at runtime address pc: for every argument and local
 * visible there (every scope of the inlined-call chain) and, within max_depth hops, every pointer
 * reachable through their members (structs and unions recursively, the first
 * SNAPSHOT_PLAN_ARRAY_ELEMENTS elements of arrays) and through the pointees' own members, a
 * compiled program giving the pointer and the size of what it points to. Pointers to void,
 * functions and incomplete types are not followed; expressions that do not compile there
 * (optimized out) are left out; identical ones are kept once. Breadth first (all pointees one hop
 * away before any two hops away), at most SNAPSHOT_PLAN_MAX_POINTEES. Code without DWARF gives a
 * plan without pointees. NULL with err only when out of memory. */
#define SNAPSHOT_PLAN_ARRAY_ELEMENTS 4
snapshot_plan *snapshot_plan_compile(sym_index *symbols, uintptr_t pc,
                                     const snapshot_limits *limits, char *err, size_t err_len);
/* Agent: a plan that copies registers and stack only (no pointees), for captures at a pc known
 * only in the handler (a crash). NULL when out of memory. */
snapshot_plan *snapshot_plan_stack_only(const snapshot_limits *limits);
void snapshot_plan_free(snapshot_plan *plan);
/* Handler-safe. */
const snapshot_limits *snapshot_plan_limits(const snapshot_plan *plan);
/* How many pointees the plan copies. Handler-safe. */
size_t snapshot_plan_pointees(const snapshot_plan *plan);
/* Pointee i (i < snapshot_plan_pointees), shallow ones first. Handler-safe. */
const snapshot_pointee *snapshot_plan_pointee(const snapshot_plan *plan, size_t i);
/* The C expression of pointee i's pointer: "o", "o->customer", "s.next->next", "arr[0].p",
 * "*argv" (for tests and reports). */
const char *snapshot_plan_expression(const snapshot_plan *plan, size_t i);

#endif
