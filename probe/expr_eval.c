/* Evaluates expression trees in a stopped frame (see expr.h) with C semantics on x86-64:
 * promotions, arithmetic conversions, pointers, short-circuits, casts, builtins. Agent only. */
#include "expr.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "safe_mem.h"
#include "value_support.h"

#define TYPE_TEXT_LEN 128
#define STREQ_LIMIT 4096

typedef struct eval {
    const value_frame *f;
    char *err;
    size_t err_len;
} eval;

static int eval_node(const eval *ev, const expr_node *e, value *out);

static const dtype *builtin(const eval *ev, const char *name)
{
    return debuginfo_builtin_type(ev->f->symbols, name);
}

static uintptr_t lookup_pc(const value_frame *f)
{
    return f->is_return_address ? f->pc - 1 : f->pc;
}

/* "'+'", "'<='" ... for messages. */
static const char *op_text(int op)
{
    switch (op) {
    case OP_SHL: return "'<<'";
    case OP_SHR: return "'>>'";
    case OP_LE: return "'<='";
    case OP_GE: return "'>='";
    case OP_EQ: return "'=='";
    case OP_NE: return "'!='";
    case OP_AND: return "'&&'";
    case OP_OR: return "'||'";
    case '+': return "'+'";
    case '-': return "'-'";
    case '*': return "'*'";
    case '/': return "'/'";
    case '%': return "'%'";
    case '<': return "'<'";
    case '>': return "'>'";
    case '&': return "'&'";
    case '^': return "'^'";
    case '|': return "'|'";
    case '!': return "'!'";
    case '~': return "'~'";
    default: return "'?:'";
    }
}

/* ---- names ---- */

static const dvar *find_named(const dvar *vars, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (vars[i].name && strcmp(vars[i].name, name) == 0)
            return &vars[i];
    return NULL;
}

/* The frame's locals and parameters at its scope level, its unit's statics and globals, then
 * every module's. */
static const dvar *find_variable(const value_frame *f, const char *name)
{
    const dscope_chain *chain = f->chain;
    const dvar *var = NULL;
    if (chain && f->scope_level < chain->n_scopes) {
        const dscope *scope = &chain->scopes[f->scope_level];
        var = find_named(scope->locals, scope->n_locals, name);
        if (!var)
            var = find_named(scope->params, scope->n_params, name);
    }
    if (!var && chain) {
        var = find_named(chain->statics, chain->n_statics, name);
        if (!var)
            var = find_named(chain->globals, chain->n_globals, name);
    }
    if (!var && f->symbols)
        var = debuginfo_find_variable(f->symbols, lookup_pc(f), name);
    return var;
}

/* $rax, $rip, $pc, $sp ...: the frame's register as an unsigned long lvalue. */
static int eval_register(const eval *ev, const char *name, value *out)
{
    int regno = strcmp(name, "pc") == 0 ? DWREG_RIP : strcmp(name, "sp") == 0 ? DWREG_RSP : -1;
    for (int i = 0; regno < 0 && i < FRAME_REG_COUNT; i++)
        if (strcmp(name, frame_reg_name(i)) == 0)
            regno = i;
    if (regno < 0)
        return value_fail(ev->err, ev->err_len, "unknown builtin '$%s'", name);
    if (!ev->f->regs || !frame_reg_known(ev->f->regs, regno))
        return value_fail(ev->err, ev->err_len, "register %s is not known in this frame",
                          frame_reg_name(regno));
    *out = (value){.type = builtin(ev, "unsigned long"), .where = VALUE_REGISTER, .regno = regno};
    uint64_t bits = ev->f->regs->reg[regno];
    memcpy(out->bytes, &bits, sizeof bits);
    return 0;
}

static int eval_identifier(const eval *ev, const expr_node *e, value *out)
{
    if (e->name[0] == '$')
        return eval_register(ev, e->name + 1, out);
    const dvar *var = find_variable(ev->f, e->name);
    if (!var)
        return value_fail(ev->err, ev->err_len, "no variable named '%s' in scope", e->name);
    if (value_of_variable(ev->f, var, out, ev->err, ev->err_len) != 0)
        return -1;
    if (out->where == VALUE_UNAVAILABLE)
        return value_fail(ev->err, ev->err_len, "'%s' is optimized out here", e->name);
    return 0;
}

/* ---- literals ---- */

/* The types of string literals, "char [n]", by n. */
static dtype string_types[VALUE_INLINE_BYTES + 1];

static int eval_string(const eval *ev, const expr_node *e, value *out)
{
    size_t n = e->string_len + 1;
    if (n > VALUE_INLINE_BYTES)
        return value_fail(ev->err, ev->err_len, "string literal is too long (at most %d "
                          "characters)", VALUE_INLINE_BYTES - 1);
    dtype *t = &string_types[n];
    *t = (dtype){.kind = DT_ARRAY, .size = n, .target = builtin(ev, "char"), .count = n,
                 .count_known = true};
    *out = (value){.type = t, .where = VALUE_BYTES};
    memcpy(out->bytes, e->string, e->string_len);
    return 0;
}

/* ---- arithmetic operands ---- */

typedef enum { NUM_INT, NUM_FLOAT, NUM_POINTER } num_kind;

/* An operand after promotion: an int of `bits` (32 or 64) held sign- or zero-extended in u, a
 * double, or a pointer (address in u, its type in `type`). */
typedef struct num {
    num_kind kind;
    const dtype *type;   /* NUM_POINTER */
    unsigned bits;
    bool is_unsigned;
    uint64_t u;
    double d;
} num;

static int invalid_operand(const eval *ev, const value *v, const char *what)
{
    char type[TYPE_TEXT_LEN];
    return value_fail(ev->err, ev->err_len, "invalid operand of type '%s' to %s",
                      dtype_describe(v->type, type, sizeof type), what);
}

/* An array used as a value: a pointer to its first element. */
static int decay(const eval *ev, const value *v, num *out)
{
    if (v->where != VALUE_MEMORY)
        return value_fail(ev->err, ev->err_len, "cannot use an array that is not in memory as a "
                          "pointer");
    const dtype *pointer = debuginfo_pointer_to(ev->f->symbols, type_strip(v->type)->target);
    if (!pointer)
        return value_fail(ev->err, ev->err_len, "out of memory");
    *out = (num){.kind = NUM_POINTER, .type = pointer, .bits = 64, .is_unsigned = true,
                 .u = v->address};
    return 0;
}

/* Promotes a scalar value for arithmetic (`what` names the operation for messages). */
static int to_num(const eval *ev, const value *v, num *out, const char *what)
{
    const value_frame *f = ev->f;
    if (type_is_array(v->type))
        return decay(ev, v, out);
    if (type_is_float(v->type)) {
        *out = (num){.kind = NUM_FLOAT, .bits = 64};
        return value_as_double(f, v, &out->d, ev->err, ev->err_len);
    }
    if (type_is_pointer(v->type)) {
        *out = (num){.kind = NUM_POINTER, .type = v->type, .bits = 64, .is_unsigned = true};
        return value_as_uint(f, v, &out->u, ev->err, ev->err_len);
    }
    if (!type_is_integer(v->type))
        return invalid_operand(ev, v, what);
    uint64_t size = type_size(v->type);
    bool is_unsigned = !type_is_signed(v->type);
    bool fits_int = v->bit_size ? v->bit_size < 32 || (v->bit_size == 32 && !is_unsigned)
                                : size < 4 || (size == 4 && !is_unsigned);
    unsigned bits = v->bit_size ? (v->bit_size > 32 ? 64 : 32) : (size > 4 ? 64 : 32);
    *out = (num){.kind = NUM_INT, .bits = bits, .is_unsigned = is_unsigned && !fits_int};
    return value_as_uint(f, v, &out->u, ev->err, ev->err_len);
}

static int eval_num(const eval *ev, const expr_node *e, num *out, const char *what)
{
    value v;
    if (eval_node(ev, e, &v) != 0)
        return -1;
    return to_num(ev, &v, out, what);
}

static const char *int_type_name(unsigned bits, bool is_unsigned)
{
    if (bits == 64)
        return is_unsigned ? "unsigned long" : "long";
    return is_unsigned ? "unsigned int" : "int";
}

static int int_result(const eval *ev, uint64_t u, unsigned bits, bool is_unsigned, value *out)
{
    value_from_int(builtin(ev, int_type_name(bits, is_unsigned)),
                   (int64_t)bits_extend(u, bits, !is_unsigned), out);
    return 0;
}

static int bool_result(const eval *ev, bool b, value *out)
{
    return int_result(ev, b, 32, false, out);
}

static bool truth(const num *n)
{
    return n->kind == NUM_FLOAT ? n->d != 0 : n->u != 0;
}

static int eval_truth(const eval *ev, const expr_node *e, bool *out, const char *what)
{
    num n;
    if (eval_num(ev, e, &n, what) != 0)
        return -1;
    *out = truth(&n);
    return 0;
}

static double as_double(const num *n)
{
    if (n->kind == NUM_FLOAT)
        return n->d;
    return n->is_unsigned ? (double)n->u : (double)(int64_t)n->u;
}

static int invalid_operands(const eval *ev, int op, const num *a, const num *b)
{
    static const char *const kinds[] = {"an integer", "a floating-point number", "a pointer"};
    return value_fail(ev->err, ev->err_len, "invalid operands to %s (%s and %s)", op_text(op),
                      kinds[a->kind], kinds[b->kind]);
}

/* ---- binary operators ---- */

#define UNORDERED 2 /* a comparison involving NaN: only != is true */

static int compare(const eval *ev, int op, int order, value *out)
{
    if (order == UNORDERED)
        return bool_result(ev, op == OP_NE, out);
    switch (op) {
    case '<': return bool_result(ev, order < 0, out);
    case '>': return bool_result(ev, order > 0, out);
    case OP_LE: return bool_result(ev, order <= 0, out);
    case OP_GE: return bool_result(ev, order >= 0, out);
    case OP_EQ: return bool_result(ev, order == 0, out);
    default: return bool_result(ev, order != 0, out); /* OP_NE */
    }
}

static bool is_comparison(int op)
{
    return op == '<' || op == '>' || op == OP_LE || op == OP_GE || op == OP_EQ || op == OP_NE;
}

static int float_binary(const eval *ev, int op, const num *a, const num *b, value *out)
{
    double x = as_double(a), y = as_double(b), r;
    if (is_comparison(op))
        return compare(ev, op, x < y ? -1 : x > y ? 1 : x == y ? 0 : UNORDERED, out);
    switch (op) {
    case '+': r = x + y; break;
    case '-': r = x - y; break;
    case '*': r = x * y; break;
    case '/': r = x / y; break;
    default: return invalid_operands(ev, op, a, b);
    }
    value_from_double(builtin(ev, "double"), r, out);
    return 0;
}

static int shift(const eval *ev, int op, const num *a, const num *b, value *out)
{
    int64_t count = b->is_unsigned && b->u > INT64_MAX ? INT64_MAX : (int64_t)b->u;
    if (count < 0 || count >= (int64_t)a->bits)
        return value_fail(ev->err, ev->err_len, "shift count %" PRId64 " is out of range for "
                          "'%s'", count, int_type_name(a->bits, a->is_unsigned));
    uint64_t r;
    if (op == OP_SHL)
        r = a->u << count;
    else if (a->is_unsigned)
        r = a->u >> count;
    else
        r = (int64_t)a->u < 0 ? ~(~a->u >> count) : a->u >> count;
    return int_result(ev, r, a->bits, a->is_unsigned, out);
}

static int int_binary(const eval *ev, int op, num a, num b, value *out)
{
    if (op == OP_SHL || op == OP_SHR)
        return shift(ev, op, &a, &b, out);
    unsigned bits = a.bits > b.bits ? a.bits : b.bits;
    bool is_unsigned = a.bits == b.bits ? a.is_unsigned || b.is_unsigned
                     : a.bits > b.bits ? a.is_unsigned : b.is_unsigned;
    uint64_t x = bits_extend(a.u, bits, !is_unsigned), y = bits_extend(b.u, bits, !is_unsigned);
    uint64_t r;
    int64_t sx = (int64_t)x, sy = (int64_t)y;
    if (is_comparison(op)) {
        int order = is_unsigned ? (x < y ? -1 : x > y) : (sx < sy ? -1 : sx > sy);
        return compare(ev, op, order, out);
    }
    switch (op) {
    case '+': r = x + y; break;
    case '-': r = x - y; break;
    case '*': r = x * y; break;
    case '&': r = x & y; break;
    case '|': r = x | y; break;
    case '^': r = x ^ y; break;
    default: /* '/' and '%' */
        if (y == 0)
            return value_fail(ev->err, ev->err_len, "division by zero");
        if (is_unsigned)
            r = op == '/' ? x / y : x % y;
        else if (sx == INT64_MIN && sy == -1)
            r = op == '/' ? x : 0;
        else
            r = (uint64_t)(op == '/' ? sx / sy : sx % sy);
        break;
    }
    return int_result(ev, r, bits, is_unsigned, out);
}

/* Size of what a pointer points to, for arithmetic (void and functions count 1, as in GNU C). */
static uint64_t pointee_size(const dtype *pointer)
{
    uint64_t size = type_size(type_strip(pointer)->target);
    return size ? size : 1;
}

static int pointer_binary(const eval *ev, int op, const num *a, const num *b, value *out)
{
    char ta[TYPE_TEXT_LEN], tb[TYPE_TEXT_LEN];
    bool both = a->kind == NUM_POINTER && b->kind == NUM_POINTER;
    if (is_comparison(op) && (both || a->kind == NUM_INT || b->kind == NUM_INT))
        return compare(ev, op, a->u < b->u ? -1 : a->u > b->u, out);
    if (op == '-' && both) {
        uint64_t size = pointee_size(a->type);
        if (size != pointee_size(b->type))
            return value_fail(ev->err, ev->err_len, "cannot subtract '%s' and '%s'",
                              dtype_describe(a->type, ta, sizeof ta),
                              dtype_describe(b->type, tb, sizeof tb));
        return int_result(ev, (uint64_t)((int64_t)(a->u - b->u) / (int64_t)size), 64, false, out);
    }
    const num *p = a->kind == NUM_POINTER ? a : b, *n = p == a ? b : a;
    bool additive = op == '+' || (op == '-' && p == a);
    if (!additive || n->kind != NUM_INT)
        return invalid_operands(ev, op, a, b);
    uint64_t delta = n->u * pointee_size(p->type);
    value_from_int(p->type, (int64_t)(op == '+' ? p->u + delta : p->u - delta), out);
    return 0;
}

static int eval_logical(const eval *ev, const expr_node *e, value *out)
{
    bool left, right;
    if (eval_truth(ev, e->lhs, &left, op_text(e->op)) != 0)
        return -1;
    if (left == (e->op == OP_OR))
        return bool_result(ev, left, out);
    if (eval_truth(ev, e->rhs, &right, op_text(e->op)) != 0)
        return -1;
    return bool_result(ev, right, out);
}

static int eval_binary(const eval *ev, const expr_node *e, value *out)
{
    if (e->op == OP_AND || e->op == OP_OR)
        return eval_logical(ev, e, out);
    num a, b;
    if (eval_num(ev, e->lhs, &a, op_text(e->op)) != 0 ||
        eval_num(ev, e->rhs, &b, op_text(e->op)) != 0)
        return -1;
    if (a.kind == NUM_POINTER || b.kind == NUM_POINTER)
        return pointer_binary(ev, e->op, &a, &b, out);
    if (a.kind == NUM_FLOAT || b.kind == NUM_FLOAT)
        return float_binary(ev, e->op, &a, &b, out);
    return int_binary(ev, e->op, a, b, out);
}

/* ---- unary operators ---- */

static int eval_unary(const eval *ev, const expr_node *e, value *out)
{
    value v;
    if (eval_node(ev, e->lhs, &v) != 0)
        return -1;
    if (e->op == '*')
        return value_deref(ev->f, &v, out, ev->err, ev->err_len);
    if (e->op == '&')
        return value_address_of(ev->f, &v, out, ev->err, ev->err_len);
    num n;
    if (to_num(ev, &v, &n, op_text(e->op)) != 0)
        return -1;
    if (e->op == '!')
        return bool_result(ev, !truth(&n), out);
    if (n.kind == NUM_POINTER || (n.kind == NUM_FLOAT && e->op == '~'))
        return invalid_operand(ev, &v, op_text(e->op));
    if (n.kind == NUM_FLOAT) {
        value_from_double(builtin(ev, "double"), e->op == '-' ? -n.d : n.d, out);
        return 0;
    }
    uint64_t r = e->op == '-' ? 0 - n.u : e->op == '~' ? ~n.u : n.u;
    return int_result(ev, r, n.bits, n.is_unsigned, out);
}

/* ---- casts ---- */

/* The type a cast names ("unsigned long", "struct req *", "req_t **"). */
static int resolve_type(const eval *ev, const char *type_name, const dtype **out)
{
    *out = ev->f->symbols ? debuginfo_find_type(ev->f->symbols, lookup_pc(ev->f), type_name)
                          : NULL;
    if (*out)
        return 0;
    size_t base_len = strlen(type_name); /* the name without its '*'s */
    while (base_len && (type_name[base_len - 1] == '*' || type_name[base_len - 1] == ' '))
        base_len--;
    return value_fail(ev->err, ev->err_len, "unknown type '%.*s'", (int)base_len, type_name);
}

static int eval_cast(const eval *ev, const expr_node *e, value *out)
{
    const dtype *t = NULL;
    char what[TYPE_TEXT_LEN + 16];
    if (resolve_type(ev, e->type_name, &t) != 0)
        return -1;
    if (!type_is_integer(t) && !type_is_float(t) && !type_is_pointer(t))
        return value_fail(ev->err, ev->err_len, "cannot cast to '%s'", e->type_name);
    snprintf(what, sizeof what, "a cast to '%s'", e->type_name);
    value v;
    num n;
    if (eval_node(ev, e->lhs, &v) != 0 || to_num(ev, &v, &n, what) != 0)
        return -1;
    if (n.kind == NUM_FLOAT) {
        if (type_is_pointer(t))
            return invalid_operand(ev, &v, what);
        value_from_double(t, n.d, out);
    } else if (type_is_float(t)) {
        if (n.kind == NUM_POINTER)
            return invalid_operand(ev, &v, what);
        value_from_double(t, as_double(&n), out);
    } else {
        value_from_int(t, (int64_t)n.u, out);
    }
    return 0;
}

/* ---- members, elements ---- */

static bool points_to_aggregate(const value *v)
{
    const dtype *s = type_strip(v->type);
    const dtype *target = s && (s->kind == DT_POINTER || s->kind == DT_ARRAY)
                              ? type_strip(s->target) : NULL;
    return target && (target->kind == DT_STRUCT || target->kind == DT_UNION);
}

static int eval_member(const eval *ev, const expr_node *e, value *out)
{
    char type[TYPE_TEXT_LEN];
    value v, object;
    if (eval_node(ev, e->lhs, &v) != 0)
        return -1;
    bool arrow = e->kind == EXPR_ARROW;
    if (arrow ? !points_to_aggregate(&v) : type_is_pointer(v.type))
        return value_fail(ev->err, ev->err_len, "cannot use '%s' on a value of type '%s'",
                          arrow ? "->" : ".", dtype_describe(v.type, type, sizeof type));
    if (arrow && value_deref(ev->f, &v, &object, ev->err, ev->err_len) != 0)
        return -1;
    return value_member(ev->f, arrow ? &object : &v, e->name, out, ev->err, ev->err_len);
}

static int eval_index(const eval *ev, const expr_node *e, value *out)
{
    value base, index;
    if (eval_node(ev, e->lhs, &base) != 0 || eval_node(ev, e->rhs, &index) != 0)
        return -1;
    if (value_is_integer(&base) && (value_is_pointer(&index) || type_is_array(index.type))) {
        value swap = base;
        base = index;
        index = swap;
    }
    if (!value_is_integer(&index))
        return value_fail(ev->err, ev->err_len, "array subscript is not an integer");
    int64_t i;
    if (value_as_int(ev->f, &index, &i, ev->err, ev->err_len) != 0)
        return -1;
    return value_index(ev->f, &base, i, out, ev->err, ev->err_len);
}

/* ---- $streq ---- */

/* The C string a char array, char pointer or string literal holds, read into buf. */
static int string_argument(const eval *ev, const value *v, int argn, char *buf, size_t *len)
{
    char type[TYPE_TEXT_LEN];
    const dtype *s = type_strip(v->type);
    if (!s || (s->kind != DT_ARRAY && s->kind != DT_POINTER) || !type_is_char(s->target))
        return value_fail(ev->err, ev->err_len, "$streq: argument %d is not a string (its type "
                          "is '%s')", argn, dtype_describe(v->type, type, sizeof type));
    uint64_t address = v->address, want = STREQ_LIMIT;
    if (s->kind == DT_ARRAY && s->count_known && s->count < want)
        want = s->count;
    size_t got;
    if (s->kind == DT_ARRAY && v->where != VALUE_MEMORY) {
        if (value_read(ev->f, v, buf, (size_t)want, ev->err, ev->err_len) != 0)
            return -1;
        got = (size_t)want;
    } else {
        if (s->kind == DT_POINTER && value_as_uint(ev->f, v, &address, ev->err, ev->err_len) != 0)
            return -1;
        if (address == 0)
            return value_fail(ev->err, ev->err_len, "$streq: argument %d is a null pointer", argn);
        got = safe_mem_read_upto((uintptr_t)address, buf, (size_t)want);
    }
    const char *nul = memchr(buf, 0, got);
    if (nul) {
        *len = (size_t)(nul - buf);
        return 0;
    }
    if (got < want)
        return value_fail(ev->err, ev->err_len, "cannot read memory at 0x%" PRIx64,
                          address + got);
    if (s->kind == DT_ARRAY && want < STREQ_LIMIT) {
        *len = got; /* a full char array without a terminator */
        return 0;
    }
    return value_fail(ev->err, ev->err_len, "$streq: the string at 0x%" PRIx64 " is longer "
                      "than %d bytes", address, STREQ_LIMIT);
}

static int eval_streq(const eval *ev, const expr_node *e, value *out)
{
    if (e->n_args != 2)
        return value_fail(ev->err, ev->err_len, "$streq takes 2 arguments, not %zu", e->n_args);
    char text[2][STREQ_LIMIT];
    size_t len[2];
    for (int i = 0; i < 2; i++) {
        value v;
        if (eval_node(ev, e->args[i], &v) != 0 ||
            string_argument(ev, &v, i + 1, text[i], &len[i]) != 0)
            return -1;
    }
    return bool_result(ev, len[0] == len[1] && memcmp(text[0], text[1], len[0]) == 0, out);
}

static int eval_call(const eval *ev, const expr_node *e, value *out)
{
    if (strcmp(e->name, "$streq") == 0)
        return eval_streq(ev, e, out);
    return value_fail(ev->err, ev->err_len, "unknown builtin '%s'", e->name);
}

/* ---- the tree ---- */

static int eval_node(const eval *ev, const expr_node *e, value *out)
{
    bool cond;
    switch (e->kind) {
    case EXPR_INT:
        value_from_int(builtin(ev, e->literal_type), e->int_value, out);
        return 0;
    case EXPR_FLOAT:
        value_from_double(builtin(ev, "double"), e->float_value, out);
        return 0;
    case EXPR_STRING:
        return eval_string(ev, e, out);
    case EXPR_IDENT:
        return eval_identifier(ev, e, out);
    case EXPR_MEMBER:
    case EXPR_ARROW:
        return eval_member(ev, e, out);
    case EXPR_INDEX:
        return eval_index(ev, e, out);
    case EXPR_UNARY:
        return eval_unary(ev, e, out);
    case EXPR_BINARY:
        return eval_binary(ev, e, out);
    case EXPR_TERNARY:
        if (eval_truth(ev, e->cond, &cond, "'?:'") != 0)
            return -1;
        return eval_node(ev, cond ? e->lhs : e->rhs, out);
    case EXPR_CAST:
        return eval_cast(ev, e, out);
    case EXPR_CALL:
        return eval_call(ev, e, out);
    }
    return value_fail(ev->err, ev->err_len, "unknown expression node %d", (int)e->kind);
}

int expr_eval(const expr_node *e, const value_frame *f, value *out, char *err, size_t err_len)
{
    eval ev = {.f = f, .err = err, .err_len = err_len};
    if (err && err_len)
        err[0] = '\0';
    if (eval_node(&ev, e, out) != 0)
        return -1;
    /* A result in memory must be readable: "*(int *)16" fails here, not when shown. */
    uint8_t bytes[VALUE_INLINE_BYTES];
    uint64_t size = out->bit_size ? sizeof(uint64_t) : type_size(out->type);
    if (out->where == VALUE_MEMORY && size)
        return value_read(f, out, bytes, size < sizeof bytes ? (size_t)size : sizeof bytes, err,
                          err_len);
    return 0;
}
