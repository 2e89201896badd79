/* podbug's C expression language: parsing text into a syntax tree, and evaluating a tree in a
 * stopped frame to a value. Conditions (a later change) compile the same tree to bytecode. */
#ifndef PODBUG_EXPR_H
#define PODBUG_EXPR_H

#include <stddef.h>
#include <stdint.h>
#include "value.h"

typedef enum {
    EXPR_INT,        /* integer or character literal: int_value, literal_type ("int", "long",
                        "unsigned int", "unsigned long", "char") */
    EXPR_FLOAT,      /* float_value */
    EXPR_STRING,     /* "text": string (escapes decoded), string_len */
    EXPR_IDENT,      /* name */
    EXPR_MEMBER,     /* lhs.name */
    EXPR_ARROW,      /* lhs->name */
    EXPR_INDEX,      /* lhs[rhs] */
    EXPR_UNARY,      /* op lhs: '*', '&', '-', '+', '!', '~' */
    EXPR_BINARY,     /* lhs op rhs: + - * / % << >> < > <= >= == != & ^ | && || */
    EXPR_TERNARY,    /* cond ? lhs : rhs */
    EXPR_CAST,       /* (type_name) lhs; type_name like "unsigned long", "struct req *" */
    EXPR_CALL        /* builtin call: name(args...), e.g. $streq(a, "x"); only '$' builtins */
} expr_kind;

/* Binary operators beyond one character use these codes in `op`. */
enum { OP_SHL = 256, OP_SHR, OP_LE, OP_GE, OP_EQ, OP_NE, OP_AND, OP_OR };

typedef struct expr_node {
    expr_kind kind;
    int op;
    int64_t int_value;
    const char *literal_type;
    double float_value;
    char *string;
    size_t string_len;
    char *name;               /* IDENT, MEMBER, ARROW, CALL */
    char *type_name;          /* CAST */
    struct expr_node *cond, *lhs, *rhs;
    struct expr_node **args;  /* CALL */
    size_t n_args;
    size_t position;          /* offset in the text, for messages */
} expr_node;

#define EXPR_MAX_LENGTH 4096
#define EXPR_MAX_DEPTH 64

/* Parses text. Returns the tree, or NULL with err naming the problem and its position:
 * "expected ')' at column 12", "unexpected end of expression", "expression nested too deeply".
 * Without a symbol table, "(name)" is a cast only when an identifier, a literal, '(', '!' or '~'
 * follows: "(size_t)-1" is a subtraction, "(size_t)(-1)" a cast; "(T *)" is always a cast. */
expr_node *expr_parse(const char *text, char *err, size_t err_len);
void expr_free(expr_node *e);

/* Evaluates e in frame f. Identifiers resolve to the frame's parameters and locals (at
 * f->scope_level), then statics and globals (debuginfo_find_variable). Returns 0 with *out, or
 * -1 with a precise err: "no variable named 'amout' in scope", "no member 'amout' in
 * 'struct req'", "cannot dereference a null pointer", "'x' is optimized out here",
 * "division by zero", "unknown type 'strct req'". An optimized-out identifier is an error even
 * alone. A result in memory is checked to be readable. Builtins: $streq(a, b) (1 when two C
 * strings are equal; a and b are char pointers, arrays or string literals; reads at most 4096
 * bytes), and the frame's registers $rax ... $r15, $rip, $pc, $sp (unsigned long). */
int expr_eval(const expr_node *e, const value_frame *f, value *out, char *err, size_t err_len);

#endif
