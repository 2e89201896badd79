/* Types, variables and scopes from DWARF: what is visible at a pc (parameters, locals of the
 * enclosing lexical blocks, inlined-call chain, the compile unit's globals and statics) and what
 * each type looks like. Built lazily per module, cached, owned by the index. Agent thread only. */
#ifndef PODBUG_DEBUGINFO_H
#define PODBUG_DEBUGINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "symbols.h"

typedef enum {
    DT_VOID, DT_BASE, DT_POINTER, DT_STRUCT, DT_UNION, DT_ARRAY, DT_ENUM,
    DT_TYPEDEF, DT_CONST, DT_VOLATILE, DT_FUNCTION
} dtype_kind;

typedef enum {
    DT_ENC_SIGNED, DT_ENC_UNSIGNED, DT_ENC_SIGNED_CHAR, DT_ENC_UNSIGNED_CHAR, DT_ENC_BOOL,
    DT_ENC_FLOAT, DT_ENC_OTHER
} dtype_encoding;

typedef struct dtype dtype;

typedef struct dmember {
    const char *name;        /* NULL for an anonymous struct/union member */
    const dtype *type;
    uint64_t offset;         /* byte offset of the member (of its storage unit for a bitfield) */
    uint32_t bit_size;       /* 0 when not a bitfield */
    uint32_t bit_offset;     /* bitfield: bits from the least significant bit of the byte at
                              * `offset` (DW_AT_data_bit_offset - 8*offset, little-endian) */
} dmember;

typedef struct denumerator { const char *name; int64_t value; } denumerator;

struct dtype {
    dtype_kind kind;
    const char *name;        /* "int", "req" (of struct req), "size_t" (typedef); NULL if none */
    uint64_t size;           /* bytes; 0 for void, functions and incomplete types */
    dtype_encoding encoding; /* DT_BASE (and DT_ENUM: signed or unsigned) */
    const dtype *target;     /* POINTER, TYPEDEF, CONST, VOLATILE: the type referred to (NULL =
                              * void); ARRAY: element type; FUNCTION: return type (NULL = void) */
    const dmember *members;  /* STRUCT, UNION */
    size_t n_members;
    uint64_t count;          /* ARRAY: elements of the first dimension (a multi-dimensional array is
                              * an array of arrays) */
    bool count_known;        /* false for "int a[]" and flexible array members */
    const denumerator *enumerators; /* ENUM */
    size_t n_enumerators;
    const dtype *const *params;     /* FUNCTION: parameter types */
    size_t n_params;
    bool declaration;        /* an incomplete struct/union/enum (no definition in this unit) */
};

/* Strips typedefs, const and volatile. */
const dtype *dtype_strip(const dtype *t);
/* C spelling of a type: "int", "struct req *", "const char *", "int [10]", "enum color",
 * "int (*)(int, char *)". Returns buf. */
const char *dtype_describe(const dtype *t, char *buf, size_t len);

typedef enum { DVAR_PARAM, DVAR_LOCAL, DVAR_GLOBAL, DVAR_STATIC } dvar_kind;

typedef struct dloc_range {
    uint64_t low, high;      /* runtime addresses [low, high) where expr applies */
    const uint8_t *expr;
    size_t expr_len;
} dloc_range;

typedef struct dvar {
    const char *name;
    const dtype *type;
    dvar_kind kind;
    const uint8_t *expr;     /* single location expression; NULL when none or a list */
    size_t expr_len;
    const dloc_range *ranges; /* location list (DW_AT_location as loclist); NULL when single */
    size_t n_ranges;
    bool has_const_value;    /* DW_AT_const_value: the value is const_bytes (no location) */
    const uint8_t *const_bytes;
    size_t const_len;
    uint64_t load_bias;      /* of the module, for DW_OP_addr in expr */
    uint32_t decl_line;
} dvar;

/* One frame's visible names: a concrete function, or one inlined instance inside it. */
typedef struct dscope {
    const char *function;    /* name of the function (or inlined function) */
    const dvar *params;      /* in declaration order */
    size_t n_params;
    const dvar *locals;      /* of every lexical block containing pc, innermost block first; a
                              * variable declared after pc's line is still listed (C scoping is
                              * by block, like gdb) */
    size_t n_locals;
    const char *call_file;   /* inlined instance: where it was inlined (the caller's line); NULL */
    uint32_t call_line;      /* for a concrete function */
} dscope;

typedef struct dscope_chain {
    const dscope *scopes;    /* innermost first: scopes[0] is the innermost inlined instance at
                              * pc (or the function itself), the last is the concrete function */
    size_t n_scopes;
    const uint8_t *frame_base;   /* DW_AT_frame_base of the concrete function */
    size_t frame_base_len;
    const dvar *globals;     /* the compile unit's variables with external linkage */
    size_t n_globals;
    const dvar *statics;     /* the compile unit's file-static variables (and function statics
                              * of the functions in the chain) */
    size_t n_statics;
    uint64_t load_bias;
    /* .debug_addr resolution for DW_OP_addrx in this unit, for dwarf_expr_env */
    bool (*debug_addr)(void *ctx, uint64_t index, uint64_t *out);
    void *debug_addr_ctx;
} dscope_chain;

/* What is visible at pc (a runtime address; pass is_return_address for frames above the top so
 * that pc - 1 is used). Returns true and fills *out (owned by the index, valid until it is
 * destroyed); false when pc has no DWARF subprogram, with reason filled ("no debug information
 * for libc.so.6"). */
bool debuginfo_scope_at(sym_index *idx, uintptr_t pc, bool is_return_address, dscope_chain *out,
                        char *reason, size_t reason_len);

/* A global or static variable by name, for expressions: the compile unit of pc first, then every
 * module. NULL when none. */
const dvar *debuginfo_find_variable(sym_index *idx, uintptr_t pc, const char *name);

/* A type by C name for casts: "int", "unsigned long", "struct req", "enum color", "req_t"
 * (typedef). The compile unit of pc first, then the module. NULL when none. */
const dtype *debuginfo_find_type(sym_index *idx, uintptr_t pc, const char *name);

/* The pointer type to t (made on demand, cached). NULL when out of memory. */
const dtype *debuginfo_pointer_to(sym_index *idx, const dtype *t);

/* Base types that expressions need even where a unit does not define them ("int", "long",
 * "unsigned long", "char", "double", "_Bool"). Never NULL. */
const dtype *debuginfo_builtin_type(sym_index *idx, const char *name);

#endif
