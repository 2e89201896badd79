/* Breakpoint conditions: an expression compiled once for one breakpoint address (names, types and
 * locations resolved against DWARF there) into compact bytecode, and the machine that runs it in
 * the hitting thread's signal handler on frame-0 registers with safe reads: no allocation, no locks. */
#ifndef PODBUG_COND_H
#define PODBUG_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "frame_regs.h"
#include "debuginfo.h"
#include "symbols.h"

#define COND_MAX_STEPS 4096     /* instructions per evaluation by default; more is an error, never a hang */

typedef struct cond_program cond_program;

/* Compiles text for the breakpoint at runtime address pc. Returns the program, or NULL with err
 * giving the compiler's message ("no variable named 'amout' in scope", "no member 'x' in
 * 'struct req'", "expected ')' at column 9", "'x' is optimized out at this breakpoint"). */
cond_program *cond_compile(sym_index *symbols, uintptr_t pc, const char *text, char *err, size_t err_len);
void cond_free(cond_program *p);
/* True when evaluating needs the frame's CFA (DW_OP_call_frame_cfa / fbreg locations). */
bool cond_needs_cfa(const cond_program *p);
/* Sets the instructions one evaluation may run (a breakpoint's condition_steps budget); running
 * out is the run-time error "step limit exceeded". */
void cond_set_step_limit(cond_program *p, unsigned steps);
/* Instructions in the program (for reporting and tests). */
size_t cond_length(const cond_program *p);

typedef enum { COND_FALSE = 0, COND_TRUE = 1, COND_ERROR = -1 } cond_result;

typedef struct cond_error {
    const char *message;      /* static text: "cannot dereference a null pointer",
                               * "cannot read memory", "division by zero", "step limit exceeded",
                               * "'x' is optimized out here" */
    uint64_t address;         /* the address that could not be read, when relevant */
} cond_error;

/* Runs p on frame-0 registers (regs->cfa set when cond_needs_cfa). Async-signal-safe. */
cond_result cond_eval(const cond_program *p, const frame_regs *regs, cond_error *err);

/* Compiles text as a value to show (a logpoint's {expression}): the program returns the
 * expression's scalar value instead of its truth. A char array compiles to its address (shown as
 * a string); a struct, union or other array is an error ("a logpoint can show numbers, pointers
 * and strings, not 'struct x'"). */
cond_program *cond_compile_value(sym_index *symbols, uintptr_t pc, const char *text, char *err,
                                 size_t err_len);
/* cond_compile_value with names resolved in scope_level of the inlined-call chain at pc (0, the
 * innermost, is cond_compile_value's; debuginfo_scope_at lists the chain). */
cond_program *cond_compile_value_in_scope(sym_index *symbols, uintptr_t pc, size_t scope_level,
                                          const char *text, char *err, size_t err_len);
/* The type of what a cond_compile_value program returns (a char array's is a char pointer);
 * NULL for a condition. Owned by the symbols, so it outlives the program. */
const dtype *cond_value_type(const cond_program *p);
/* Runs a cond_compile_value program: *out is the value (integers, pointers, enums, bools and
 * chars as 64 bits extended per their type, floating-point values as a double's bits). Returns
 * 0, or -1 with err. Async-signal-safe. */
int cond_eval_value(const cond_program *p, const frame_regs *regs, uint64_t *out, cond_error *err);

#endif
