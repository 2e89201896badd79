/* A debugger value: a typed object in the stopped process (in memory, in a register of a frame,
 * or computed), and the operations expressions and the variables view need on it: read its bytes
 * safely, take a member, an element, dereference, convert to an integer, write a scalar. */
#ifndef PODBUG_VALUE_H
#define PODBUG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "debuginfo.h"
#include "dwarf_expr.h"
#include "frame_regs.h"

#define VALUE_INLINE_BYTES 64

typedef enum {
    VALUE_MEMORY,     /* an lvalue at `address` */
    VALUE_REGISTER,   /* an lvalue in register `regno` of the frame (frame 0 can be written) */
    VALUE_BYTES,      /* an rvalue: `bytes` hold it (computed, stack_value, assembled pieces) */
    VALUE_UNAVAILABLE /* optimized out here; `reason` may say more */
} value_where;

typedef struct value {
    const dtype *type;
    value_where where;
    uint64_t address;          /* VALUE_MEMORY */
    int regno;                 /* VALUE_REGISTER */
    uint8_t bytes[VALUE_INLINE_BYTES]; /* VALUE_BYTES (and VALUE_REGISTER's contents) */
    uint32_t bit_size;         /* a bitfield: its width, and its bit offset from `address` or */
    uint32_t bit_offset;       /* from bytes[0]; 0 / 0 otherwise */
    const char *reason;        /* VALUE_UNAVAILABLE: static text, may be NULL */
} value;

/* Sets register regno of thread tid's top frame (a thread held stopped). Returns 0 or -1. */
typedef int (*value_register_setter)(pid_t tid, int regno, uint64_t value);

/* Where a frame's variables are evaluated: its registers and its debug scope. */
typedef struct value_frame {
    sym_index *symbols;
    uintptr_t pc;              /* the frame's pc (for frames above the top, the return address) */
    bool is_return_address;
    const frame_regs *regs;
    const dscope_chain *chain; /* may be NULL: then only globals found by name resolve */
    size_t scope_level;        /* which scope of the chain (inlined level) names resolve in */
    value_register_setter set_register; /* frame 0 of a stopped thread: how register writes
                                * reach it (stopper_set_register in the probe); NULL: the frame's
                                * registers cannot be set */
    pid_t tid;
} value_frame;

/* The value of a variable in a frame (location lists picked by pc). Returns 0, or -1 with err
 * ("cannot evaluate the location of 'x': ..."). An optimized-out variable is not an error: it
 * gives a VALUE_UNAVAILABLE value. */
int value_of_variable(const value_frame *f, const dvar *var, value *out, char *err, size_t err_len);

/* Reads the value's bytes (at most VALUE_INLINE_BYTES, or len) into buf. Returns 0, or -1 with
 * err ("cannot read memory at 0x10", "'x' is optimized out here"). */
int value_read(const value_frame *f, const value *v, void *buf, size_t len, char *err, size_t err_len);

/* Scalar conversions. Integers, enums, bools, chars, pointers convert to integers; floats to
 * double. Bitfields are extracted and sign-extended per their type. */
int value_as_int(const value_frame *f, const value *v, int64_t *out, char *err, size_t err_len);
int value_as_uint(const value_frame *f, const value *v, uint64_t *out, char *err, size_t err_len);
int value_as_double(const value_frame *f, const value *v, double *out, char *err, size_t err_len);
bool value_is_integer(const value *v);   /* integer, char, bool, enum (after dtype_strip) */
bool value_is_float(const value *v);
bool value_is_pointer(const value *v);   /* pointers; arrays decay in expressions, see below */

/* s.name (also through an anonymous member). Errors: "no member 'amout' in 'struct req'". */
int value_member(const value_frame *f, const value *v, const char *name, value *out, char *err, size_t err_len);
/* The member by index (for the variables view), no error for valid indexes. */
int value_member_at(const value_frame *f, const value *v, size_t index, value *out, char *err, size_t err_len);
/* a[i] for arrays and pointers. Errors: "cannot index a value of type 'int'". */
int value_index(const value_frame *f, const value *v, int64_t index, value *out, char *err, size_t err_len);
/* *p. Errors: "cannot dereference a null pointer", "cannot dereference 'void *'",
 * "cannot dereference a value of type 'int'". */
int value_deref(const value_frame *f, const value *v, value *out, char *err, size_t err_len);
/* &x for lvalues in memory: a pointer rvalue. Errors: "cannot take the address of a register". */
int value_address_of(const value_frame *f, const value *v, value *out, char *err, size_t err_len);

/* Makes an rvalue of type t from an integer / a double (truncating to t's size). */
void value_from_int(const dtype *t, int64_t v, value *out);
void value_from_double(const dtype *t, double v, value *out);

/* Writes a scalar (integer, enum, bool, char, float, pointer) into the value's location: memory
 * (safe_mem_write) or a frame-0 register. Errors: "cannot set 'x': it is optimized out",
 * "cannot set a register of a caller's frame". */
int value_assign(const value_frame *f, const value *target, const value *source, char *err, size_t err_len);

#endif
