/* The bytecode of compiled conditions, private to cond_*.c: instructions, variable locations and
 * the program that holds them, plus the builder the compiler uses to write a program. */
#ifndef PODBUG_COND_BYTECODE_H
#define PODBUG_COND_BYTECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cond.h"
#include "debuginfo.h"

#define COND_STACK_MAX 128      /* values on the machine's stack */
#define COND_MAX_VARIABLES 16   /* distinct variables one condition reads */
#define COND_OBJECT_MAX 64      /* bytes of a variable that does not live in memory */
#define COND_STRING_MAX 4096    /* bytes $streq reads of one string */

/* Stack effects are written as [before] -> [after], top last. Integers are kept as 64 bits,
 * sign- or zero-extended from their C type's width; floating-point values as double bits. */
typedef enum cond_op {
    COP_PUSH,           /* -> [imm] */
    COP_PUSH_POOL,      /* -> [address of pool byte b] */
    COP_REGISTER,       /* -> [register a of the frame] */
    COP_VARIABLE,       /* -> [address of variable a's object: in memory, or a copy in scratch] */
    COP_REQUIRE_MEMORY, /* [address] must not be a scratch copy; a: a cond_memory_use */
    COP_NONNULL,        /* stack[top - a] must not be 0 */
    COP_BOUNDS,         /* stack[top - a], signed, must be >= 0 and, when flags, < imm */
    COP_INDEX,          /* [base, index] -> [base +/- index * imm]; flags: COND_INDEX_* */
    COP_ADD_IMM,        /* [x] -> [x + imm] */
    COP_LOAD,           /* [address] -> [the a bytes there as flags (a cond_load_format)] */
    COP_LOAD_BITS,      /* [address] -> [a bits from bit b]; flags: sign-extend */
    COP_EXTEND,         /* stack[top - b] = its low a bits, sign-extended when flags */
    COP_TO_BOOL,        /* [x] -> [x != 0] */
    COP_NOT,            /* [x] -> [x == 0] */
    COP_NEG, COP_COMPLEMENT,
    COP_ADD, COP_SUB, COP_MUL, COP_AND, COP_OR, COP_XOR,
    COP_DIV_S, COP_DIV_U, COP_MOD_S, COP_MOD_U,
    COP_SHL, COP_SHR_S, COP_SHR_U, /* a: width of the left operand (the count must be less) */
    COP_EQ, COP_NE, COP_LT_S, COP_LE_S, COP_GT_S, COP_GE_S, COP_LT_U, COP_LE_U, COP_GT_U, COP_GE_U,
    COP_PTR_DIFF,       /* [p, q] -> [(p - q) / imm], signed */
    COP_INT_TO_F,       /* stack[top - b] = (double) it, signed when flags */
    COP_F_TO_INT,       /* [d] -> [d truncated, saturating]; flags: to a signed integer */
    COP_F_ROUND32,      /* [d] -> [(double)(float)d] */
    COP_FADD, COP_FSUB, COP_FMUL, COP_FDIV, COP_FNEG,
    COP_FEQ, COP_FNE, COP_FLT, COP_FLE, COP_FGT, COP_FGE,
    COP_F_TO_BOOL,      /* [d] -> [d != 0] */
    COP_JUMP,           /* to b */
    COP_JUMP_IF_ZERO,   /* [x] -> [], to b when x == 0 */
    COP_AND_THEN,       /* [x]: to b keeping x when x == 0, else pop it */
    COP_OR_ELSE,        /* [x]: to b keeping x when x != 0, else pop it */
    COP_STREQ,          /* [s1, s2] -> [equal]; a, b: bytes to read at most; flags: COND_STREQ_* */
    COP_NOP,            /* a conversion the compiler did not need */
    COP_RETURN          /* [x]: the condition is x != 0 */
} cond_op;

typedef enum { COND_LOAD_SIGNED, COND_LOAD_UNSIGNED, COND_LOAD_F32, COND_LOAD_F64,
               COND_LOAD_F80 } cond_load_format;
typedef enum { COND_USE_ADDRESS, COND_USE_DECAY } cond_memory_use;

enum { COND_INDEX_SWAPPED = 1, COND_INDEX_SUBTRACT = 2 };  /* [index, base]; base - index */
enum { COND_STREQ_ARRAY1 = 1, COND_STREQ_ARRAY2 = 2 };     /* which arguments are char arrays */

typedef struct cond_insn {
    uint8_t op;
    uint8_t flags;
    uint16_t a;
    uint32_t b;
    uint64_t imm;
} cond_insn;

/* A location of one operation, which the machine follows without the DWARF interpreter. */
typedef enum cond_direct_location {
    COND_DIRECT_NONE,
    COND_DIRECT_REGISTER,        /* DW_OP_regN: the value is in register direct_reg */
    COND_DIRECT_AT_REGISTER,     /* DW_OP_bregN off: in memory at register direct_reg + offset */
    COND_DIRECT_AT_CFA,          /* DW_OP_fbreg off over a DW_OP_call_frame_cfa frame base */
} cond_direct_location;

/* Where one variable is at the breakpoint: the DWARF expression of the location-list entry
 * covering its pc (bytes and messages in the pool). */
typedef struct cond_location {
    uint32_t expr, expr_len;
    uint32_t object_size;     /* bytes of its type */
    uint32_t optimized_out;   /* pool offset of "'x' is optimized out here" */
    uint32_t unreadable;      /* pool offset of "cannot evaluate the location of 'x'" */
    bool uses_frame_base;     /* DW_OP_fbreg */
    bool own_unit;            /* the breakpoint's unit: its .debug_addr entries apply */
    uint64_t load_bias;
    uint8_t direct;           /* a cond_direct_location: the expression in short */
    uint8_t direct_reg;
    int64_t direct_offset;
} cond_location;

/* A .debug_addr entry the locations use, resolved at compile time. */
typedef struct cond_debug_addr {
    uint64_t index, value;
} cond_debug_addr;

struct cond_program {
    cond_insn *code;
    size_t n_code;
    uint8_t *pool;            /* expressions, constant values, string literals, messages */
    size_t pool_len;
    cond_location locations[COND_MAX_VARIABLES];
    size_t n_locations;
    const dvar *location_source[COND_MAX_VARIABLES]; /* where each came from (compiling) */
    bool has_frame_base;
    cond_location frame_base;  /* the function's DW_AT_frame_base */
    cond_debug_addr *debug_addrs;
    size_t n_debug_addrs;
    bool needs_cfa;
    const dtype *value_type;  /* cond_compile_value: the type of the result; else NULL */
    unsigned max_steps;       /* instructions per evaluation (COND_MAX_STEPS unless set) */
    /* building */
    size_t code_cap, pool_cap, debug_addrs_cap;
    size_t depth, max_depth;  /* stack depth after the last instruction, and its maximum */
    size_t last_label;        /* no instruction before this one may be merged into */
    bool out_of_memory;
};

/* ---- the builder (cond_program.c) ---- */

cond_program *cond_program_new(void);
/* Appends insn; returns its index. Tracks the stack depth it leaves. */
size_t cond_emit(cond_program *p, cond_insn insn);
/* [x] -> [x + n], merged into a preceding COP_ADD_IMM. */
void cond_emit_add(cond_program *p, uint64_t n);
/* The index of the next instruction, as a jump target. */
size_t cond_label(cond_program *p);
void cond_patch_target(cond_program *p, size_t jump, size_t target);
/* Resets the tracked depth (at the second branch of a ?:). */
void cond_set_depth(cond_program *p, size_t depth);
/* Copies bytes into the pool; returns their offset (0 after running out of memory). */
uint32_t cond_pool_add(cond_program *p, const void *bytes, size_t len);
/* A NUL-terminated message in the pool. */
uint32_t cond_pool_printf(cond_program *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds a resolved .debug_addr entry (once per index). */
void cond_add_debug_addr(cond_program *p, uint64_t index, uint64_t value);

/* ---- variables' locations (cond_locations.c) ---- */

typedef struct cond_variable_ref {
    bool is_constant;   /* DW_AT_const_value: its bytes are at pool offset `constant` */
    uint32_t constant;
    uint16_t location;  /* else: index in p->locations */
} cond_variable_ref;

/* Records where var is at pc. unit is pc's scope chain when var is one of its variables (its
 * .debug_addr entries and frame base apply), else NULL. Returns 0, or -1 with err:
 * "'x' is optimized out at this breakpoint", "a condition may read at most 16 variables". */
int cond_add_variable(cond_program *p, const dscope_chain *unit, const dvar *var, uintptr_t pc,
                      cond_variable_ref *out, char *err, size_t err_len);

#endif
