/* Compiles a condition for one breakpoint address (see cond.h): parses the text, resolves names,
 * members and types against DWARF at that pc, and emits bytecode with the typing rules of
 * expr_eval.c (promotions, usual arithmetic conversions, pointers, short-circuits). Agent only. */
#include "cond.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond_bytecode.h"
#include "expr.h"
#include "value.h"
#include "value_support.h"

#define TYPE_TEXT_LEN 128

/* A string literal's type, "char [n]", made for one compilation. */
typedef struct literal_type {
    dtype type;
    struct literal_type *next;
} literal_type;

typedef struct compiler {
    cond_program *p;
    sym_index *symbols;
    uintptr_t pc;
    dscope_chain chain;
    bool has_chain;
    size_t scope_level;        /* the inlined-call scope whose names are visible (0: innermost) */
    literal_type *literal_types;
    char *err;
    size_t err_len;
    const char *what;          /* "condition" or "expression", for messages */
} compiler;

/* A compiled subexpression: a place (its address is on the stack; its bytes are read only when
 * it is used as a number) or a value (on the stack). */
typedef enum { OPERAND_PLACE, OPERAND_VALUE } operand_kind;
typedef enum { FROM_MEMORY, FROM_VARIABLE, FROM_POOL } place_origin;

typedef struct operand {
    operand_kind kind;
    const dtype *type;
    place_origin origin;       /* PLACE: a variable's object may be a copy, the pool's is one */
    uint32_t bit_size;         /* PLACE: a bitfield at bit_offset bits from the address */
    uint32_t bit_offset;
    bool is_register;          /* VALUE: $rax ... */
} operand;

/* An operand used as a number, after promotion (see expr_eval.c): an int of `bits` (32 or 64),
 * a double, or a pointer of `type`. */
typedef enum { NUM_INT, NUM_FLOAT, NUM_POINTER } num_kind;
typedef struct num {
    num_kind kind;
    const dtype *type;
    unsigned bits;
    bool is_unsigned;
} num;

static int compile_node(compiler *c, const expr_node *e, operand *out);

static int fail(const compiler *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const compiler *c, const char *fmt, ...)
{
    if (c->err && c->err_len) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(c->err, c->err_len, fmt, args);
        va_end(args);
    }
    return -1;
}

static const char *describe(const dtype *t, char buf[TYPE_TEXT_LEN])
{
    return dtype_describe(t, buf, TYPE_TEXT_LEN);
}

static const dtype *builtin(const compiler *c, const char *name)
{
    return debuginfo_builtin_type(c->symbols, name);
}

static size_t emit(compiler *c, cond_op op, uint8_t flags, uint16_t a, uint32_t b, uint64_t imm)
{
    return cond_emit(c->p, (cond_insn){.op = op, .flags = flags, .a = a, .b = b, .imm = imm});
}

/* Low `bits` bits of stack[top - depth], sign-extended when is_signed; nothing for 64. */
static void emit_extend(compiler *c, unsigned bits, bool is_signed, uint32_t depth)
{
    if (bits < 64)
        emit(c, COP_EXTEND, is_signed, (uint16_t)bits, depth, 0);
}

static operand value_of_type(const dtype *t)
{
    return (operand){.kind = OPERAND_VALUE, .type = t};
}

/* "'+'", "'<='" ... for messages, as expr_eval.c words them. */
static const char *op_text(int op)
{
    static const struct { int op; const char *text; } names[] = {
        {OP_SHL, "'<<'"}, {OP_SHR, "'>>'"}, {OP_LE, "'<='"}, {OP_GE, "'>='"}, {OP_EQ, "'=='"},
        {OP_NE, "'!='"}, {OP_AND, "'&&'"}, {OP_OR, "'||'"}, {'+', "'+'"}, {'-', "'-'"},
        {'*', "'*'"}, {'/', "'/'"}, {'%', "'%'"}, {'<', "'<'"}, {'>', "'>'"}, {'&', "'&'"},
        {'^', "'^'"}, {'|', "'|'"}, {'!', "'!'"}, {'~', "'~'"},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].op == op)
            return names[i].text;
    return "'?:'";
}

static bool is_comparison(int op)
{
    return op == '<' || op == '>' || op == OP_LE || op == OP_GE || op == OP_EQ || op == OP_NE;
}

static const char *int_type_name(unsigned bits, bool is_unsigned)
{
    if (bits == 64)
        return is_unsigned ? "unsigned long" : "long";
    return is_unsigned ? "unsigned int" : "int";
}

static operand int_value(const compiler *c, unsigned bits, bool is_unsigned)
{
    return value_of_type(builtin(c, int_type_name(bits, is_unsigned)));
}

/* An integer literal's value as its type holds it. */
static uint64_t literal_bits(const compiler *c, const expr_node *e)
{
    const dtype *t = builtin(c, e->literal_type);
    uint64_t size = type_size(t);
    return bits_extend((uint64_t)e->int_value, (unsigned)(size ? 8 * size : 64),
                       type_is_signed(t));
}

/* ---- reading places ---- */

static int not_a_number(const compiler *c, const dtype *t)
{
    char type[TYPE_TEXT_LEN];
    return fail(c, "cannot use a value of type '%s' as a number", describe(t, type));
}

/* Replaces a scalar place on the stack by its value (integers extended per their type,
 * floating-point values as double). A value stays as it is. */
static int load(compiler *c, operand *o)
{
    if (o->kind == OPERAND_VALUE)
        return 0;
    uint64_t size = type_size(o->type);
    if (type_is_float(o->type)) {
        if (size != 4 && size != 8 && size != 16)
            return not_a_number(c, o->type);
        emit(c, COP_LOAD, size == 4 ? COND_LOAD_F32 : size == 8 ? COND_LOAD_F64 : COND_LOAD_F80,
             (uint16_t)size, 0, 0);
    } else if (!type_is_integer(o->type) && !type_is_pointer(o->type)) {
        return not_a_number(c, o->type);
    } else if (o->bit_size) {
        if (o->bit_size > 64)
            return fail(c, "a bitfield of %u bits is wider than 64", o->bit_size);
        cond_emit_add(c->p, o->bit_offset / 8);
        emit(c, COP_LOAD_BITS, type_is_signed(o->type), (uint16_t)o->bit_size, o->bit_offset % 8,
             0);
    } else {
        if (size == 0 || size > 8)
            return not_a_number(c, o->type);
        emit(c, COP_LOAD, type_is_signed(o->type) ? COND_LOAD_SIGNED : COND_LOAD_UNSIGNED,
             (uint16_t)size, 0, 0);
    }
    *o = value_of_type(o->type);
    return 0;
}

/* ---- numbers ---- */

static int invalid_operand(const compiler *c, const dtype *t, const char *what)
{
    char type[TYPE_TEXT_LEN];
    return fail(c, "invalid operand of type '%s' to %s", describe(t, type), what);
}

static int invalid_operands(const compiler *c, int op, const num *a, const num *b)
{
    static const char *const kinds[] = {"an integer", "a floating-point number", "a pointer"};
    return fail(c, "invalid operands to %s (%s and %s)", op_text(op), kinds[a->kind],
                kinds[b->kind]);
}

/* An array used as a value: a pointer to its first element, which must be in memory. */
static int decay(compiler *c, operand *o, num *out)
{
    static const char not_in_memory[] = "cannot use an array that is not in memory as a pointer";
    if (o->kind != OPERAND_PLACE || o->origin == FROM_POOL)
        return fail(c, not_in_memory);
    if (o->origin == FROM_VARIABLE)
        emit(c, COP_REQUIRE_MEMORY, 0, COND_USE_DECAY, 0, 0);
    const dtype *pointer = debuginfo_pointer_to(c->symbols, type_strip(o->type)->target);
    if (!pointer)
        return fail(c, "out of memory");
    *out = (num){.kind = NUM_POINTER, .type = pointer, .bits = 64, .is_unsigned = true};
    *o = value_of_type(pointer);
    return 0;
}

/* Promotes a scalar operand for arithmetic (`what` names the operation for messages). */
static int to_num(compiler *c, operand *o, num *out, const char *what)
{
    if (type_is_array(o->type))
        return decay(c, o, out);
    if (type_is_float(o->type)) {
        *out = (num){.kind = NUM_FLOAT, .bits = 64};
        return load(c, o);
    }
    if (type_is_pointer(o->type)) {
        *out = (num){.kind = NUM_POINTER, .type = o->type, .bits = 64, .is_unsigned = true};
        return load(c, o);
    }
    if (!type_is_integer(o->type))
        return invalid_operand(c, o->type, what);
    uint64_t size = type_size(o->type);
    bool is_unsigned = !type_is_signed(o->type);
    bool fits_int = o->bit_size ? o->bit_size < 32 || (o->bit_size == 32 && !is_unsigned)
                                : size < 4 || (size == 4 && !is_unsigned);
    unsigned bits = o->bit_size ? (o->bit_size > 32 ? 64 : 32) : (size > 4 ? 64 : 32);
    *out = (num){.kind = NUM_INT, .bits = bits, .is_unsigned = is_unsigned && !fits_int};
    return load(c, o);
}

static int compile_num(compiler *c, const expr_node *e, num *out, const char *what)
{
    operand o;
    if (compile_node(c, e, &o) != 0)
        return -1;
    return to_num(c, &o, out, what);
}

/* Leaves the truth (0 or 1) of a number on the stack. */
static void emit_truth(compiler *c, const num *n)
{
    emit(c, n->kind == NUM_FLOAT ? COP_F_TO_BOOL : COP_TO_BOOL, 0, 0, 0, 0);
}

/* The common integer type of two (usual arithmetic conversions on promoted operands). */
static num common_int(const num *a, const num *b)
{
    unsigned bits = a->bits > b->bits ? a->bits : b->bits;
    bool is_unsigned = a->bits == b->bits ? a->is_unsigned || b->is_unsigned
                     : a->bits > b->bits ? a->is_unsigned : b->is_unsigned;
    return (num){.kind = NUM_INT, .bits = bits, .is_unsigned = is_unsigned};
}

/* The instruction converting an int of class n held canonically to class to (only a signed
 * 32-bit value becoming unsigned 32-bit changes bits); COP_NOP when none is needed. */
static cond_insn int_conversion(const num *n, const num *to, uint32_t depth)
{
    if (to->bits == 32 && to->is_unsigned && !n->is_unsigned)
        return (cond_insn){.op = COP_EXTEND, .a = 32, .b = depth};
    return (cond_insn){.op = COP_NOP};
}

static void emit_int_conversion(compiler *c, const num *n, const num *to, uint32_t depth)
{
    cond_insn insn = int_conversion(n, to, depth);
    if (insn.op != COP_NOP)
        cond_emit(c->p, insn);
}

/* ---- binary operators ---- */

static cond_op comparison_op(int op, bool is_unsigned)
{
    switch (op) {
    case '<': return is_unsigned ? COP_LT_U : COP_LT_S;
    case '>': return is_unsigned ? COP_GT_U : COP_GT_S;
    case OP_LE: return is_unsigned ? COP_LE_U : COP_LE_S;
    case OP_GE: return is_unsigned ? COP_GE_U : COP_GE_S;
    case OP_EQ: return COP_EQ;
    default: return COP_NE;
    }
}

static int shift(compiler *c, int op, const num *a, operand *out)
{
    emit(c, op == OP_SHL ? COP_SHL : a->is_unsigned ? COP_SHR_U : COP_SHR_S, 0,
         (uint16_t)a->bits, 0, 0);
    if (op == OP_SHL)
        emit_extend(c, a->bits, !a->is_unsigned, 0);
    *out = int_value(c, a->bits, a->is_unsigned);
    return 0;
}

static int int_binary(compiler *c, int op, const num *a, const num *b, operand *out)
{
    if (op == OP_SHL || op == OP_SHR)
        return shift(c, op, a, out);
    num to = common_int(a, b);
    emit_int_conversion(c, a, &to, 1);
    emit_int_conversion(c, b, &to, 0);
    if (is_comparison(op)) {
        emit(c, comparison_op(op, to.is_unsigned), 0, 0, 0, 0);
        *out = int_value(c, 32, false);
        return 0;
    }
    cond_op code;
    switch (op) {
    case '+': code = COP_ADD; break;
    case '-': code = COP_SUB; break;
    case '*': code = COP_MUL; break;
    case '&': code = COP_AND; break;
    case '|': code = COP_OR; break;
    case '^': code = COP_XOR; break;
    case '/': code = to.is_unsigned ? COP_DIV_U : COP_DIV_S; break;
    default: code = to.is_unsigned ? COP_MOD_U : COP_MOD_S; break; /* '%' */
    }
    emit(c, code, 0, 0, 0, 0);
    emit_extend(c, to.bits, !to.is_unsigned, 0);
    *out = int_value(c, to.bits, to.is_unsigned);
    return 0;
}

static int float_binary(compiler *c, int op, const num *a, const num *b, operand *out)
{
    static const struct { int op; cond_op code; } ops[] = {
        {'<', COP_FLT}, {'>', COP_FGT}, {OP_LE, COP_FLE}, {OP_GE, COP_FGE}, {OP_EQ, COP_FEQ},
        {OP_NE, COP_FNE}, {'+', COP_FADD}, {'-', COP_FSUB}, {'*', COP_FMUL}, {'/', COP_FDIV},
    };
    size_t i = 0;
    while (i < sizeof ops / sizeof ops[0] && ops[i].op != op)
        i++;
    if (i == sizeof ops / sizeof ops[0])
        return invalid_operands(c, op, a, b);
    if (a->kind == NUM_INT)
        emit(c, COP_INT_TO_F, !a->is_unsigned, 0, 1, 0);
    if (b->kind == NUM_INT)
        emit(c, COP_INT_TO_F, !b->is_unsigned, 0, 0, 0);
    emit(c, ops[i].code, 0, 0, 0, 0);
    *out = is_comparison(op) ? int_value(c, 32, false) : value_of_type(builtin(c, "double"));
    return 0;
}

/* Size of what a pointer points to, for arithmetic (void and functions count 1, as in GNU C). */
static uint64_t pointee_size(const dtype *pointer)
{
    uint64_t size = type_size(type_strip(pointer)->target);
    return size ? size : 1;
}

static int pointer_binary(compiler *c, int op, const num *a, const num *b, operand *out)
{
    char ta[TYPE_TEXT_LEN], tb[TYPE_TEXT_LEN];
    bool both = a->kind == NUM_POINTER && b->kind == NUM_POINTER;
    if (is_comparison(op) && (both || a->kind == NUM_INT || b->kind == NUM_INT)) {
        emit(c, comparison_op(op, true), 0, 0, 0, 0);
        *out = int_value(c, 32, false);
        return 0;
    }
    if (op == '-' && both) {
        uint64_t size = pointee_size(a->type);
        if (size != pointee_size(b->type))
            return fail(c, "cannot subtract '%s' and '%s'", describe(a->type, ta),
                        describe(b->type, tb));
        emit(c, COP_PTR_DIFF, 0, 0, 0, size);
        *out = int_value(c, 64, false);
        return 0;
    }
    const num *p = a->kind == NUM_POINTER ? a : b, *n = p == a ? b : a;
    bool additive = op == '+' || (op == '-' && p == a);
    if (!additive || n->kind != NUM_INT)
        return invalid_operands(c, op, a, b);
    uint8_t flags = (p == b ? COND_INDEX_SWAPPED : 0) | (op == '-' ? COND_INDEX_SUBTRACT : 0);
    emit(c, COP_INDEX, flags, 0, 0, pointee_size(p->type));
    *out = value_of_type(p->type);
    return 0;
}

static int compile_logical(compiler *c, const expr_node *e, operand *out)
{
    num n;
    if (compile_num(c, e->lhs, &n, op_text(e->op)) != 0)
        return -1;
    emit_truth(c, &n);
    size_t jump = emit(c, e->op == OP_OR ? COP_OR_ELSE : COP_AND_THEN, 0, 0, 0, 0);
    if (compile_num(c, e->rhs, &n, op_text(e->op)) != 0)
        return -1;
    emit_truth(c, &n);
    cond_patch_target(c->p, jump, (uint32_t)cond_label(c->p));
    *out = int_value(c, 32, false);
    return 0;
}

static int compile_binary(compiler *c, const expr_node *e, operand *out)
{
    if (e->op == OP_AND || e->op == OP_OR)
        return compile_logical(c, e, out);
    num a, b;
    if (compile_num(c, e->lhs, &a, op_text(e->op)) != 0 ||
        compile_num(c, e->rhs, &b, op_text(e->op)) != 0)
        return -1;
    if (a.kind == NUM_POINTER || b.kind == NUM_POINTER)
        return pointer_binary(c, e->op, &a, &b, out);
    if (a.kind == NUM_FLOAT || b.kind == NUM_FLOAT)
        return float_binary(c, e->op, &a, &b, out);
    return int_binary(c, e->op, &a, &b, out);
}

/* ---- ?: ---- */

/* The two branches' results made one type: the common integer type, double when one is a
 * double, the pointer when one is a pointer. Each branch ends with a placeholder (conv_a,
 * conv_b) that becomes its conversion. */
static int unify_branches(compiler *c, const num *a, const num *b, size_t conv_a,
                          size_t conv_b, operand *out)
{
    if (a->kind == NUM_INT && b->kind == NUM_INT) {
        num to = common_int(a, b);
        c->p->code[conv_a] = int_conversion(a, &to, 0);
        c->p->code[conv_b] = int_conversion(b, &to, 0);
        *out = int_value(c, to.bits, to.is_unsigned);
        return 0;
    }
    if ((a->kind == NUM_FLOAT) != (b->kind == NUM_FLOAT)) {
        const num *n = a->kind == NUM_FLOAT ? b : a;
        if (n->kind == NUM_POINTER)
            return invalid_operands(c, '?', a, b);
        c->p->code[n == a ? conv_a : conv_b] =
            (cond_insn){.op = COP_INT_TO_F, .flags = !n->is_unsigned};
    }
    if (a->kind == NUM_FLOAT || b->kind == NUM_FLOAT)
        *out = value_of_type(builtin(c, "double"));
    else
        *out = value_of_type(a->kind == NUM_POINTER ? a->type : b->type);
    return 0;
}

static int compile_ternary(compiler *c, const expr_node *e, operand *out)
{
    num n, a, b;
    if (compile_num(c, e->cond, &n, "'?:'") != 0)
        return -1;
    if (n.kind == NUM_FLOAT)
        emit_truth(c, &n);
    size_t to_else = emit(c, COP_JUMP_IF_ZERO, 0, 0, 0, 0);
    size_t depth = c->p->depth;
    if (compile_num(c, e->lhs, &a, "'?:'") != 0)
        return -1;
    size_t conv_a = emit(c, COP_NOP, 0, 0, 0, 0);
    size_t to_end = emit(c, COP_JUMP, 0, 0, 0, 0);
    cond_patch_target(c->p, to_else, (uint32_t)cond_label(c->p));
    cond_set_depth(c->p, depth);
    if (compile_num(c, e->rhs, &b, "'?:'") != 0)
        return -1;
    size_t conv_b = emit(c, COP_NOP, 0, 0, 0, 0);
    cond_patch_target(c->p, to_end, (uint32_t)cond_label(c->p));
    if (c->p->out_of_memory)
        return fail(c, "out of memory");
    return unify_branches(c, &a, &b, conv_a, conv_b, out);
}

/* ---- places: variables, members, elements, dereference ---- */

static const dvar *find_named(const dvar *vars, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (vars[i].name && strcmp(vars[i].name, name) == 0)
            return &vars[i];
    return NULL;
}

/* The scope's locals and parameters (the innermost scope's unless compiling for an outer one),
 * the unit's statics and globals (those come with `unit` set), then every module's. */
static const dvar *find_variable(const compiler *c, const char *name, const dscope_chain **unit)
{
    const dvar *var = NULL;
    *unit = c->has_chain ? &c->chain : NULL;
    if (c->has_chain && c->scope_level < c->chain.n_scopes) {
        const dscope *scope = &c->chain.scopes[c->scope_level];
        var = find_named(scope->locals, scope->n_locals, name);
        if (!var)
            var = find_named(scope->params, scope->n_params, name);
    }
    if (!var && c->has_chain) {
        var = find_named(c->chain.statics, c->chain.n_statics, name);
        if (!var)
            var = find_named(c->chain.globals, c->chain.n_globals, name);
    }
    if (!var) {
        *unit = NULL;
        var = debuginfo_find_variable(c->symbols, c->pc, name);
    }
    return var;
}

/* $rax, $rip, $pc, $sp ...: the frame's register, an unsigned long. */
static int compile_register(compiler *c, const char *name, operand *out)
{
    int regno = strcmp(name, "pc") == 0 ? DWREG_RIP : strcmp(name, "sp") == 0 ? DWREG_RSP : -1;
    for (int i = 0; regno < 0 && i < FRAME_REG_COUNT; i++)
        if (strcmp(name, frame_reg_name(i)) == 0)
            regno = i;
    if (regno < 0)
        return fail(c, "unknown builtin '$%s'", name);
    emit(c, COP_REGISTER, 0, (uint16_t)regno, 0, 0);
    *out = value_of_type(builtin(c, "unsigned long"));
    out->is_register = true;
    return 0;
}

static int compile_identifier(compiler *c, const expr_node *e, operand *out)
{
    if (e->name[0] == '$')
        return compile_register(c, e->name + 1, out);
    const dscope_chain *unit;
    const dvar *var = find_variable(c, e->name, &unit);
    if (!var)
        return fail(c, "no variable named '%s' in scope", e->name);
    cond_variable_ref ref;
    if (cond_add_variable(c->p, unit, var, c->pc, &ref, c->err, c->err_len) != 0)
        return -1;
    if (ref.is_constant)
        emit(c, COP_PUSH_POOL, 0, 0, ref.constant, 0);
    else
        emit(c, COP_VARIABLE, 0, ref.location, 0, 0);
    *out = (operand){.kind = OPERAND_PLACE, .type = var->type,
                     .origin = ref.is_constant ? FROM_POOL : FROM_VARIABLE};
    return 0;
}

/* Element `index` of the array place o (bounds checked now). */
static int constant_element(compiler *c, operand *o, int64_t index)
{
    char type[TYPE_TEXT_LEN];
    const dtype *s = type_strip(o->type);
    bool beyond = s->count_known ? index < 0 || (uint64_t)index >= s->count : index < 0;
    if (beyond)
        return fail(c, "index %" PRId64 " is out of bounds for '%s'", index,
                    describe(o->type, type));
    cond_emit_add(c->p, (uint64_t)index * type_size(s->target));
    o->type = s->target;
    return 0;
}

/* *o: an array's first element, or what a pointer points to (a null pointer fails at run time). */
static int dereference(compiler *c, operand *o)
{
    char type[TYPE_TEXT_LEN];
    const dtype *s = type_strip(o->type);
    if (s && s->kind == DT_ARRAY && o->kind == OPERAND_PLACE)
        return constant_element(c, o, 0);
    if (!s || s->kind != DT_POINTER)
        return fail(c, "cannot dereference a value of type '%s'", describe(o->type, type));
    const dtype *target = type_strip(s->target);
    if (!target || target->kind == DT_VOID)
        return fail(c, "cannot dereference '%s'", describe(o->type, type));
    if (target->kind == DT_FUNCTION)
        return fail(c, "cannot dereference a function pointer");
    if (load(c, o) != 0)
        return -1;
    emit(c, COP_NONNULL, 0, 0, 0, 0);
    *o = (operand){.kind = OPERAND_PLACE, .type = s->target, .origin = FROM_MEMORY};
    return 0;
}

static bool points_to_aggregate(const dtype *t)
{
    const dtype *s = type_strip(t);
    const dtype *target = s && (s->kind == DT_POINTER || s->kind == DT_ARRAY)
                              ? type_strip(s->target) : NULL;
    return target && (target->kind == DT_STRUCT || target->kind == DT_UNION);
}

static int compile_member(compiler *c, const expr_node *e, operand *out)
{
    char type[TYPE_TEXT_LEN];
    operand o;
    if (compile_node(c, e->lhs, &o) != 0)
        return -1;
    bool arrow = e->kind == EXPR_ARROW;
    if (arrow ? !points_to_aggregate(o.type) : type_is_pointer(o.type))
        return fail(c, "cannot use '%s' on a value of type '%s'", arrow ? "->" : ".",
                    describe(o.type, type));
    if (arrow && dereference(c, &o) != 0)
        return -1;
    /* value.c finds the member (through anonymous members too) on a value at address 0: its
     * address is then the member's offset. */
    value object = {.type = o.type, .where = VALUE_MEMORY}, member;
    if (o.kind != OPERAND_PLACE)
        object.where = VALUE_BYTES;
    if (value_member(NULL, &object, e->name, &member, c->err, c->err_len) != 0)
        return -1;
    cond_emit_add(c->p, member.address);
    *out = (operand){.kind = OPERAND_PLACE, .type = member.type, .origin = o.origin,
                     .bit_size = member.bit_size, .bit_offset = member.bit_offset};
    return 0;
}

/* Compiles an operand of [], loading integers and pointers (arrays stay places). */
static int compile_subscript_part(compiler *c, const expr_node *e, operand *out)
{
    if (compile_node(c, e, out) != 0)
        return -1;
    if (type_is_integer(out->type) || type_is_pointer(out->type))
        return load(c, out);
    return 0;
}

static int compile_index(compiler *c, const expr_node *e, operand *out)
{
    char type[TYPE_TEXT_LEN];
    operand base, index;
    if (compile_subscript_part(c, e->lhs, &base) != 0)
        return -1;
    if (type_is_array(base.type) && base.kind == OPERAND_PLACE && e->rhs->kind == EXPR_INT) {
        *out = base;
        return constant_element(c, out, (int64_t)literal_bits(c, e->rhs));
    }
    if (compile_subscript_part(c, e->rhs, &index) != 0)
        return -1;
    bool swapped = type_is_integer(base.type) &&
                   (type_is_pointer(index.type) || type_is_array(index.type));
    if (swapped) {
        operand t = base;
        base = index;
        index = t;
    }
    if (!type_is_integer(index.type))
        return fail(c, "array subscript is not an integer");
    const dtype *s = type_strip(base.type);
    uint32_t base_depth = swapped ? 0 : 1, index_depth = swapped ? 1 : 0;
    uint8_t flags = swapped ? COND_INDEX_SWAPPED : 0;
    if (s && s->kind == DT_ARRAY && base.kind == OPERAND_PLACE) {
        emit(c, COP_BOUNDS, s->count_known, (uint16_t)index_depth, 0, s->count);
        emit(c, COP_INDEX, flags, 0, 0, type_size(s->target));
        *out = (operand){.kind = OPERAND_PLACE, .type = s->target, .origin = base.origin};
        return 0;
    }
    if (!s || s->kind != DT_POINTER)
        return fail(c, "cannot index a value of type '%s'", describe(base.type, type));
    uint64_t element = type_size(s->target);
    if (element == 0)
        return fail(c, "cannot index '%s': the size of what it points to is not known",
                    describe(base.type, type));
    emit(c, COP_NONNULL, 0, (uint16_t)base_depth, 0, 0);
    emit(c, COP_INDEX, flags, 0, 0, element);
    *out = (operand){.kind = OPERAND_PLACE, .type = s->target, .origin = FROM_MEMORY};
    return 0;
}

/* ---- unary operators ---- */

static int address_of(compiler *c, const operand *o, operand *out)
{
    if (o->kind == OPERAND_VALUE || o->origin == FROM_POOL)
        return fail(c, "cannot take the address of %s",
                    o->is_register ? "a register" : "a computed value");
    if (o->bit_size)
        return fail(c, "cannot take the address of a bitfield");
    if (o->origin == FROM_VARIABLE)
        emit(c, COP_REQUIRE_MEMORY, 0, COND_USE_ADDRESS, 0, 0);
    const dtype *pointer = debuginfo_pointer_to(c->symbols, o->type);
    if (!pointer)
        return fail(c, "out of memory");
    *out = value_of_type(pointer);
    return 0;
}

static int compile_unary(compiler *c, const expr_node *e, operand *out)
{
    operand o;
    if (compile_node(c, e->lhs, &o) != 0)
        return -1;
    if (e->op == '*') {
        *out = o;
        return dereference(c, out);
    }
    if (e->op == '&')
        return address_of(c, &o, out);
    const dtype *type = o.type;
    num n;
    if (to_num(c, &o, &n, op_text(e->op)) != 0)
        return -1;
    if (e->op == '!') {
        if (n.kind == NUM_FLOAT)
            emit_truth(c, &n);
        emit(c, COP_NOT, 0, 0, 0, 0);
        *out = int_value(c, 32, false);
        return 0;
    }
    if (n.kind == NUM_POINTER || (n.kind == NUM_FLOAT && e->op == '~'))
        return invalid_operand(c, type, op_text(e->op));
    if (n.kind == NUM_FLOAT) {
        if (e->op == '-')
            emit(c, COP_FNEG, 0, 0, 0, 0);
        *out = value_of_type(builtin(c, "double"));
        return 0;
    }
    if (e->op != '+') {
        emit(c, e->op == '-' ? COP_NEG : COP_COMPLEMENT, 0, 0, 0, 0);
        emit_extend(c, n.bits, !n.is_unsigned, 0);
    }
    *out = int_value(c, n.bits, n.is_unsigned);
    return 0;
}

/* ---- casts ---- */

static bool is_bool(const dtype *t)
{
    const dtype *s = type_strip(t);
    return s && s->kind == DT_BASE && s->encoding == DT_ENC_BOOL;
}

/* An integer value truncated to integer or pointer type t and held as t holds it. */
static void fit_integer(compiler *c, const dtype *t)
{
    uint64_t size = type_size(t);
    if (is_bool(t))
        emit(c, COP_TO_BOOL, 0, 0, 0, 0);
    else if (size && size < 8)
        emit_extend(c, (unsigned)(8 * size), type_is_signed(t), 0);
}

static void fit_float(compiler *c, const dtype *t)
{
    if (type_size(t) == 4)
        emit(c, COP_F_ROUND32, 0, 0, 0, 0);
}

static int compile_cast(compiler *c, const expr_node *e, operand *out)
{
    const dtype *t = debuginfo_find_type(c->symbols, c->pc, e->type_name);
    if (!t) {
        size_t base_len = strlen(e->type_name); /* the name without its '*'s */
        while (base_len && (e->type_name[base_len - 1] == '*' ||
                            e->type_name[base_len - 1] == ' '))
            base_len--;
        return fail(c, "unknown type '%.*s'", (int)base_len, e->type_name);
    }
    if (!type_is_integer(t) && !type_is_float(t) && !type_is_pointer(t))
        return fail(c, "cannot cast to '%s'", e->type_name);
    char what[TYPE_TEXT_LEN + 16];
    snprintf(what, sizeof what, "a cast to '%s'", e->type_name);
    operand o;
    num n;
    if (compile_node(c, e->lhs, &o) != 0)
        return -1;
    const dtype *from = o.type;
    if (to_num(c, &o, &n, what) != 0)
        return -1;
    if (n.kind == NUM_FLOAT) {
        if (type_is_pointer(t))
            return invalid_operand(c, from, what);
        if (type_is_float(t)) {
            fit_float(c, t);
        } else {
            emit(c, COP_F_TO_INT, type_is_signed(t), 0, 0, 0);
            fit_integer(c, t);
        }
    } else if (type_is_float(t)) {
        if (n.kind == NUM_POINTER)
            return invalid_operand(c, from, what);
        emit(c, COP_INT_TO_F, !n.is_unsigned, 0, 0, 0);
        fit_float(c, t);
    } else {
        fit_integer(c, t);
    }
    *out = value_of_type(t);
    return 0;
}

/* ---- literals ---- */

static int compile_int(compiler *c, const expr_node *e, operand *out)
{
    emit(c, COP_PUSH, 0, 0, 0, literal_bits(c, e));
    *out = value_of_type(builtin(c, e->literal_type));
    return 0;
}

static int compile_float(compiler *c, const expr_node *e, operand *out)
{
    uint64_t bits;
    memcpy(&bits, &e->float_value, sizeof bits);
    emit(c, COP_PUSH, 0, 0, 0, bits);
    *out = value_of_type(builtin(c, "double"));
    return 0;
}

/* "text": its bytes in the pool, a place of type char [n]. */
static int compile_string(compiler *c, const expr_node *e, operand *out)
{
    size_t n = e->string_len + 1;
    if (n > COND_OBJECT_MAX)
        return fail(c, "string literal is too long (at most %d characters)",
                    COND_OBJECT_MAX - 1);
    literal_type *t = calloc(1, sizeof *t);
    if (!t)
        return fail(c, "out of memory");
    t->type = (dtype){.kind = DT_ARRAY, .size = n, .target = builtin(c, "char"), .count = n,
                      .count_known = true};
    t->next = c->literal_types;
    c->literal_types = t;
    uint32_t at = cond_pool_add(c->p, e->string, e->string_len);
    cond_pool_add(c->p, "", 1);
    emit(c, COP_PUSH_POOL, 0, 0, at, 0);
    *out = (operand){.kind = OPERAND_PLACE, .type = &t->type, .origin = FROM_POOL};
    return 0;
}

/* ---- $streq ---- */

/* A string argument on the stack: a char array's address or a char pointer's value. */
static int string_argument(compiler *c, const expr_node *e, int argn, uint16_t *limit,
                           bool *is_array)
{
    char type[TYPE_TEXT_LEN];
    operand o;
    if (compile_node(c, e, &o) != 0)
        return -1;
    const dtype *s = type_strip(o.type);
    if (!s || (s->kind != DT_ARRAY && s->kind != DT_POINTER) || !type_is_char(s->target) ||
        (s->kind == DT_ARRAY && o.kind != OPERAND_PLACE))
        return fail(c, "$streq: argument %d is not a string (its type is '%s')", argn,
                    describe(o.type, type));
    *is_array = s->kind == DT_ARRAY;
    *limit = *is_array && s->count_known && s->count < COND_STRING_MAX ? (uint16_t)s->count
                                                                        : COND_STRING_MAX;
    return *is_array ? 0 : load(c, &o);
}

static int compile_call(compiler *c, const expr_node *e, operand *out)
{
    if (strcmp(e->name, "$streq") != 0)
        return fail(c, "unknown builtin '%s'", e->name);
    if (e->n_args != 2)
        return fail(c, "$streq takes 2 arguments, not %zu", e->n_args);
    uint16_t limits[2];
    bool arrays[2];
    for (int i = 0; i < 2; i++)
        if (string_argument(c, e->args[i], i + 1, &limits[i], &arrays[i]) != 0)
            return -1;
    uint8_t flags = (arrays[0] ? COND_STREQ_ARRAY1 : 0) | (arrays[1] ? COND_STREQ_ARRAY2 : 0);
    emit(c, COP_STREQ, flags, limits[0], limits[1], 0);
    *out = int_value(c, 32, false);
    return 0;
}

/* ---- the tree ---- */

static int compile_node(compiler *c, const expr_node *e, operand *out)
{
    switch (e->kind) {
    case EXPR_INT: return compile_int(c, e, out);
    case EXPR_FLOAT: return compile_float(c, e, out);
    case EXPR_STRING: return compile_string(c, e, out);
    case EXPR_IDENT: return compile_identifier(c, e, out);
    case EXPR_MEMBER:
    case EXPR_ARROW: return compile_member(c, e, out);
    case EXPR_INDEX: return compile_index(c, e, out);
    case EXPR_UNARY: return compile_unary(c, e, out);
    case EXPR_BINARY: return compile_binary(c, e, out);
    case EXPR_TERNARY: return compile_ternary(c, e, out);
    case EXPR_CAST: return compile_cast(c, e, out);
    case EXPR_CALL: return compile_call(c, e, out);
    }
    return fail(c, "unknown expression node %d", (int)e->kind);
}

/* The checks every finished program passes. */
static int finish(compiler *c)
{
    emit(c, COP_RETURN, 0, 0, 0, 0);
    if (c->p->out_of_memory)
        return fail(c, "out of memory");
    if (c->p->n_code > COND_MAX_STEPS)
        return fail(c, "the %s is too long: %zu instructions, at most %d", c->what,
                    c->p->n_code, COND_MAX_STEPS);
    if (c->p->max_depth > COND_STACK_MAX)
        return fail(c, "the %s is nested too deeply", c->what);
    return 0;
}

/* The whole condition: a number or a pointer, whose truth the program returns. (An array
 * would always be true: refused like a struct.) */
static int compile_condition(compiler *c, const expr_node *e)
{
    char type[TYPE_TEXT_LEN];
    operand o;
    if (compile_node(c, e, &o) != 0)
        return -1;
    if (!type_is_integer(o.type) && !type_is_float(o.type) && !type_is_pointer(o.type))
        return fail(c, "a condition must be a number or a pointer, not '%s'",
                    describe(o.type, type));
    num n;
    if (to_num(c, &o, &n, "a condition") != 0)
        return -1;
    if (n.kind == NUM_FLOAT)
        emit_truth(c, &n);
    return finish(c);
}

/* A value to show: a scalar as its type holds it, or a char array's address (a string). */
static int compile_shown_value(compiler *c, const expr_node *e)
{
    char type[TYPE_TEXT_LEN];
    operand o;
    if (compile_node(c, e, &o) != 0)
        return -1;
    const dtype *s = type_strip(o.type);
    if (s && s->kind == DT_ARRAY && type_is_char(s->target) && o.kind == OPERAND_PLACE) {
        if (o.origin == FROM_VARIABLE)
            emit(c, COP_REQUIRE_MEMORY, 0, COND_USE_DECAY, 0, 0);
        if (!(c->p->value_type = debuginfo_pointer_to(c->symbols, s->target)))
            return fail(c, "out of memory");
        return finish(c);
    }
    if (!type_is_integer(o.type) && !type_is_float(o.type) && !type_is_pointer(o.type))
        return fail(c, "a logpoint can show numbers, pointers and strings, not '%s'",
                    describe(o.type, type));
    c->p->value_type = o.type;
    if (load(c, &o) != 0)
        return -1;
    return finish(c);
}

typedef int (*compile_root)(compiler *c, const expr_node *e);

static cond_program *compile_text(sym_index *symbols, uintptr_t pc, size_t scope_level,
                                  const char *text, char *err, size_t err_len, const char *what,
                                  compile_root root)
{
    if (err && err_len)
        err[0] = '\0';
    compiler c = {.symbols = symbols, .pc = pc, .scope_level = scope_level, .err = err,
                  .err_len = err_len, .what = what};
    if (!symbols || !text) {
        fail(&c, "no symbols to compile the %s against", what);
        return NULL;
    }
    expr_node *e = expr_parse(text, err, err_len);
    if (!e)
        return NULL;
    char reason[256];
    c.has_chain = debuginfo_scope_at(symbols, pc, false, &c.chain, reason, sizeof reason);
    c.p = cond_program_new();
    int rc = c.p ? root(&c, e) : fail(&c, "out of memory");
    expr_free(e);
    while (c.literal_types) {
        literal_type *next = c.literal_types->next;
        free(c.literal_types);
        c.literal_types = next;
    }
    if (rc != 0) {
        cond_free(c.p);
        return NULL;
    }
    return c.p;
}

cond_program *cond_compile(sym_index *symbols, uintptr_t pc, const char *text, char *err,
                           size_t err_len)
{
    return compile_text(symbols, pc, 0, text, err, err_len, "condition", compile_condition);
}

cond_program *cond_compile_value(sym_index *symbols, uintptr_t pc, const char *text, char *err,
                                 size_t err_len)
{
    return cond_compile_value_in_scope(symbols, pc, 0, text, err, err_len);
}

cond_program *cond_compile_value_in_scope(sym_index *symbols, uintptr_t pc, size_t scope_level,
                                          const char *text, char *err, size_t err_len)
{
    return compile_text(symbols, pc, scope_level, text, err, err_len, "expression",
                        compile_shown_value);
}
