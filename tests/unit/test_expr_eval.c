/* Unit tests for expr_eval.c: expressions in a fake frame with a handmade scope chain over real
 * objects (globals and cast types also through this binary's DWARF); exact results and errors. */
#include <criterion/criterion.h>

#include <stdio.h>

#include "expr.h"
#include "value_fixture.h"

#define ERR_LEN 256

typedef struct req req_alias;

/* Found through the real debug information of this binary, not the handmade chain. */
int expr_eval_test_counter = 7;
req_alias *expr_eval_test_alias;

static struct req the_req, other_req;
static int limit = 100;
static uint8_t stack_slots[64];   /* the fake frame's stack: its CFA is stack_slots + 32 */

static sym_index *symbols;
static frame_regs regs;
static dscope scopes[2];
static dscope_chain chain;
static value_frame frame;
static char err[ERR_LEN];

static const uint8_t cfa_frame_base[] = { DW_OP_call_frame_cfa };
static const uint8_t in_rdi[] = { DW_OP_reg5 };
static const uint8_t at_cfa_minus_16[] = { DW_OP_fbreg, 0x70 };
static uint8_t the_req_at[9], limit_at[9];

static const dvar params[] = {
    { .name = "r", .type = &req_ptr_t, .kind = DVAR_PARAM, .expr = in_rdi, .expr_len = 1 },
};
static const dvar locals[] = {
    { .name = "count", .type = &int_t, .kind = DVAR_LOCAL, .expr = at_cfa_minus_16,
      .expr_len = sizeof at_cfa_minus_16 },
    { .name = "gone", .type = &int_t, .kind = DVAR_LOCAL },
};
static const dvar outer_locals[] = {
    { .name = "outer_only", .type = &int_t, .kind = DVAR_LOCAL, .has_const_value = true,
      .const_bytes = (const uint8_t[]){ 9, 0, 0, 0 }, .const_len = 4 },
};
static dvar statics[1], globals[1];

__attribute__((noinline)) int expr_eval_test_anchor(int x)
{
    return x + expr_eval_test_counter + (expr_eval_test_alias != NULL);
}

static void open_frame(void)
{
    symbols = sym_index_create();
    cr_assert_not_null(symbols);
    other_req = (struct req){ .id = 2, .user = "bob" };
    the_req = (struct req){
        .id = 1, .where = { 3, -4 }, .radius = 5, .counts = { 10, 20, 30, 40 }, .name = "alice",
        .user = "admin", .next = &other_req, .color = BLUE,
        .flags = { .mode = 5, .delta = -3, .on = 1, .mid = 777, .big = -123456789012L },
        .ratio = 0.25, .small = 200, .amount = -5,
    };
    expr_eval_test_alias = &the_req;
    int count = 1234;
    memcpy(stack_slots + 16, &count, sizeof count);

    memset(&regs, 0, sizeof regs);
    regs.reg[DWREG_RDI] = (uintptr_t)&the_req;
    regs.reg[DWREG_RAX] = 0xabcdef;
    regs.reg[DWREG_RSP] = (uintptr_t)stack_slots;
    regs.valid = ((1u << FRAME_REG_COUNT) - 1) & ~(1u << DWREG_RDX);
    regs.cfa = (uintptr_t)(stack_slots + 32);

    statics[0] = (dvar){ .name = "the_req", .type = &req_t, .kind = DVAR_STATIC,
                         .expr = addr_expr(the_req_at, &the_req), .expr_len = 9 };
    globals[0] = (dvar){ .name = "limit", .type = &int_t, .kind = DVAR_GLOBAL,
                         .expr = addr_expr(limit_at, &limit), .expr_len = 9 };
    scopes[0] = (dscope){ .function = "check", .params = params, .n_params = 1,
                          .locals = locals, .n_locals = 2 };
    scopes[1] = (dscope){ .function = "handle", .locals = outer_locals, .n_locals = 1 };
    chain = (dscope_chain){ .scopes = scopes, .n_scopes = 2, .frame_base = cfa_frame_base,
                            .frame_base_len = 1, .globals = globals, .n_globals = 1,
                            .statics = statics, .n_statics = 1 };
    frame = (value_frame){ .symbols = symbols, .pc = (uintptr_t)expr_eval_test_anchor,
                           .regs = &regs, .chain = &chain };
    memset(err, 0, sizeof err);
}

static void close_frame(void)
{
    sym_index_destroy(symbols);
}

TestSuite(expr_eval, .init = open_frame, .fini = close_frame);

/* Parses and evaluates text; returns expr_eval's status. */
static int evaluate(const char *text, value *out)
{
    expr_node *e = expr_parse(text, err, sizeof err);
    cr_assert_not_null(e, "'%s' does not parse: %s", text, err);
    int status = expr_eval(e, &frame, out, err, sizeof err);
    expr_free(e);
    return status;
}

typedef struct int_case {
    const char *text;
    const char *type;   /* dtype_describe of the result */
    int64_t value;
} int_case;

static void check_ints(const int_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        value v;
        char type[128];
        int64_t got;
        cr_assert_eq(evaluate(cases[i].text, &v), 0, "'%s': %s", cases[i].text, err);
        cr_expect_str_eq(dtype_describe(v.type, type, sizeof type), cases[i].type, "'%s'",
                         cases[i].text);
        cr_assert_eq(value_as_int(&frame, &v, &got, err, sizeof err), 0, "'%s': %s",
                     cases[i].text, err);
        cr_expect_eq(got, cases[i].value, "'%s' = %lld, expected %lld", cases[i].text,
                     (long long)got, (long long)cases[i].value);
    }
}

typedef struct error_case {
    const char *text;
    const char *error;
} error_case;

static void check_errors(const error_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        value v;
        cr_expect_eq(evaluate(cases[i].text, &v), -1, "'%s' should fail", cases[i].text);
        cr_expect_str_eq(err, cases[i].error, "'%s'", cases[i].text);
    }
}

#define CHECK(fn, cases) fn(cases, sizeof cases / sizeof cases[0])

Test(expr_eval, names_members_and_elements)
{
    static const int_case cases[] = {
        { "42", "int", 42 },
        { "count", "int", 1234 },
        { "r->id", "int", 1 },
        { "(*r).id", "int", 1 },
        { "r->where.y", "int", -4 },
        { "r->radius", "int", 5 },
        { "r->counts[2]", "int", 30 },
        { "2[r->counts]", "int", 30 },
        { "*r->counts", "int", 10 },
        { "r->next->id", "int", 2 },
        { "r->user[0]", "const char", 'a' },
        { "r->name[4]", "char", 'e' },
        { "r->color", "enum color", BLUE },
        { "r->flags.delta", "int", -3 },
        { "r->flags.big", "long", -123456789012L },
        { "the_req.counts[1] * 2", "int", 40 },
        { "the_req.amount", "long", -5 },
        { "limit", "int", 100 },
        { "expr_eval_test_counter + 1", "int", 8 },
        { "expr_eval_test_alias->where.x", "int", 3 },
        { "$rax", "unsigned long", 0xabcdef },
        { "$sp == (unsigned long)$rsp", "int", 1 },
    };
    CHECK(check_ints, cases);
}

Test(expr_eval, arithmetic_follows_c)
{
    static const int_case cases[] = {
        { "count + 1", "int", 1235 },
        { "7 / 2", "int", 3 },
        { "-7 / 2", "int", -3 },
        { "-7 % 3", "int", -1 },
        { "7u % 3", "unsigned int", 1 },
        { "5u - 6", "unsigned int", 4294967295 },
        { "5ul - 6", "unsigned long", -1 },
        { "-1 < 0u", "int", 0 },
        { "-1L < 0u", "int", 1 },
        { "2147483647 + 1", "int", INT32_MIN },
        { "1 << 31", "int", INT32_MIN },
        { "1L << 40", "long", 1099511627776 },
        { "-16 >> 2", "int", -4 },
        { "0xffffffffu >> 28", "unsigned int", 15 },
        { "6 & 3", "int", 2 },
        { "6 | 3", "int", 7 },
        { "6 ^ 3", "int", 5 },
        { "~0", "int", -1 },
        { "~0u", "unsigned int", 4294967295 },
        { "!0", "int", 1 },
        { "!5", "int", 0 },
        { "!r", "int", 0 },
        { "-(-3)", "int", 3 },
        { "+3", "int", 3 },
        { "r->small + 1", "int", 201 },
        { "r->flags.mode - 6", "int", -1 },
        { "'a' + 1", "int", 98 },
        { "'a'", "char", 97 },
        { "count > 1000 ? 1 : 2", "int", 1 },
        { "r->ratio * 2 == 0.5", "int", 1 },
        { "1.5 < 2", "int", 1 },
        { "-9223372036854775807L - 1 == (long)0x8000000000000000", "int", 1 },
        { "(-9223372036854775807L - 1) / -1", "long", INT64_MIN },
    };
    CHECK(check_ints, cases);
}

Test(expr_eval, logic_short_circuits)
{
    static const int_case cases[] = {
        { "1 && 0", "int", 0 },
        { "0 || 2", "int", 1 },
        { "0 && gone", "int", 0 },
        { "1 || no_such_name", "int", 1 },
        { "1 ? 10 : gone", "int", 10 },
        { "0 ? gone : 20", "int", 20 },
        { "r && r->next && r->next->next == 0", "int", 1 },
        { "r->id == 1 && $streq(r->user, \"admin\")", "int", 1 },
    };
    CHECK(check_ints, cases);
}

Test(expr_eval, pointers)
{
    static const int_case cases[] = {
        { "r == &the_req", "int", 1 },
        { "r != r->next", "int", 1 },
        { "r->next > r || r->next < r", "int", 1 },
        { "r == 0", "int", 0 },
        { "&r->counts[3] - &r->counts[0]", "long", 3 },
        { "(r->counts + 4) - r->counts", "long", 4 },
        { "*(r->counts + 2)", "int", 30 },
        { "*(2 + r->counts)", "int", 30 },
        { "*(&r->counts[3] - 1)", "int", 30 },
        { "r->counts[1] == *(&r->counts[0] + 1)", "int", 1 },
        { "(char *)r->user + 1 - (char *)r->user", "long", 1 },
        { "(unsigned long)r == (unsigned long)&the_req", "int", 1 },
        { "(long)(r + 1) - (long)r", "long", sizeof(struct req) },
        { "(long)((void *)r + 1) - (long)r", "long", 1 },
    };
    CHECK(check_ints, cases);
}

Test(expr_eval, casts)
{
    static const int_case cases[] = {
        { "(int)3.9", "int", 3 },
        { "(int)-3.9", "int", -3 },
        { "(unsigned char)300", "unsigned char", 44 },
        { "(short)70000", "short", 4464 },
        { "(long)-1", "long", -1 },
        { "(unsigned long)-1 == 0xffffffffffffffff", "int", 1 },
        { "(_Bool)5", "_Bool", 1 },
        { "(char)'a'", "char", 97 },
        { "(unsigned)count", "unsigned int", 1234 },
        { "(long unsigned int)1", "unsigned long", 1 },
        { "((struct req *)r)->amount", "long", -5 },
        { "((req_alias *)r)->where.x", "int", 3 },
        { "(int)r->color", "int", BLUE },
    };
    CHECK(check_ints, cases);
}

Test(expr_eval, strings)
{
    static const int_case cases[] = {
        { "$streq(r->user, \"admin\")", "int", 1 },
        { "$streq(r->user, \"admi\")", "int", 0 },
        { "$streq(r->user, \"bob\")", "int", 0 },
        { "$streq(r->name, \"alice\")", "int", 1 },
        { "$streq(\"alice\", r->name)", "int", 1 },
        { "$streq(r->next->user, \"bob\")", "int", 1 },
        { "$streq(\"x\", \"x\")", "int", 1 },
        { "$streq(\"\", \"\")", "int", 1 },
        { "$streq(\"a\\0b\", \"a\")", "int", 1 },
    };
    CHECK(check_ints, cases);

    value v;
    cr_assert_eq(evaluate("\"hi\"", &v), 0, "%s", err);
    char type[64];
    cr_assert_str_eq(dtype_describe(v.type, type, sizeof type), "char [3]");
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_str_eq((const char *)v.bytes, "hi");
}

/* C comparisons with NaN: every one is false except != (0.0 / 0.0 is a NaN, not an error). */
Test(expr_eval, comparisons_with_nan)
{
    static const int_case cases[] = {
        { "0.0 / 0.0 > 1", "int", 0 },
        { "0.0 / 0.0 >= 1", "int", 0 },
        { "0.0 / 0.0 < 1", "int", 0 },
        { "0.0 / 0.0 <= 1", "int", 0 },
        { "0.0 / 0.0 == 0.0 / 0.0", "int", 0 },
        { "0.0 / 0.0 != 1", "int", 1 },
    };
    CHECK(check_ints, cases);
}

Test(expr_eval, floating_point)
{
    static const struct { const char *text; const char *type; double value; } cases[] = {
        { "r->ratio", "double", 0.25 },
        { "r->ratio * 4", "double", 1.0 },
        { "-r->ratio", "double", -0.25 },
        { "1.5 + 1", "double", 2.5 },
        { "(double)7 / 2", "double", 3.5 },
        { "(float)1.25", "float", 1.25 },
        { "1 ? 0.5 : 1", "double", 0.5 },
        { "1.0 / 0 > 1e308", "int", 1 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        value v;
        char type[64];
        double got;
        cr_assert_eq(evaluate(cases[i].text, &v), 0, "'%s': %s", cases[i].text, err);
        cr_expect_str_eq(dtype_describe(v.type, type, sizeof type), cases[i].type, "'%s'",
                         cases[i].text);
        cr_assert_eq(value_as_double(&frame, &v, &got, err, sizeof err), 0, "%s", err);
        cr_expect_eq(got, cases[i].value, "'%s' = %g", cases[i].text, got);
    }
}

Test(expr_eval, results_keep_their_place)
{
    value v;
    cr_assert_eq(evaluate("r->where", &v), 0, "%s", err);
    cr_assert_eq(v.where, VALUE_MEMORY);
    cr_assert_eq(v.address, (uintptr_t)&the_req.where);
    cr_assert_eq(evaluate("r", &v), 0, "%s", err);
    cr_assert_eq(v.where, VALUE_REGISTER);
    cr_assert_eq(v.regno, DWREG_RDI);
    cr_assert_eq(evaluate("&r->where", &v), 0, "%s", err);
    uint64_t address;
    cr_assert_eq(value_as_uint(&frame, &v, &address, err, sizeof err), 0);
    cr_assert_eq(address, (uintptr_t)&the_req.where);
    char type[64];
    cr_assert_str_eq(dtype_describe(v.type, type, sizeof type), "struct point *");
}

Test(expr_eval, errors_are_precise)
{
    static const error_case cases[] = {
        { "amout", "no variable named 'amout' in scope" },
        { "outer_only", "no variable named 'outer_only' in scope" },
        { "r->amout", "no member 'amout' in 'struct req'" },
        { "gone", "'gone' is optimized out here" },
        { "gone + 1", "'gone' is optimized out here" },
        { "r->next->next->id", "cannot dereference a null pointer" },
        { "*(int *)16", "cannot read memory at 0x10" },
        { "((struct req *)16)->id", "cannot read memory at 0x10" },
        { "1 / 0", "division by zero" },
        { "count % (count - count)", "division by zero" },
        { "(strct req *)r", "unknown type 'strct req'" },
        { "(strct req)count", "unknown type 'strct req'" },
        { "(struct nothing *)r", "unknown type 'struct nothing'" },
        { "r.id", "cannot use '.' on a value of type 'struct req *'" },
        { "the_req->id", "cannot use '->' on a value of type 'struct req'" },
        { "count->x", "cannot use '->' on a value of type 'int'" },
        { "count.x", "cannot take member 'x' of a value of type 'int'" },
        { "count[0]", "cannot index a value of type 'int'" },
        { "r->counts[4]", "index 4 is out of bounds for 'int [4]'" },
        { "r->counts[1.5]", "array subscript is not an integer" },
        { "*count", "cannot dereference a value of type 'int'" },
        { "*r->opaque", "cannot dereference 'void *'" },
        { "*r->handler", "cannot dereference a function pointer" },
        { "&$rax", "cannot take the address of a register" },
        { "&1", "cannot take the address of a computed value" },
        { "&r->flags.mode", "cannot take the address of a bitfield" },
        { "r->where + 1", "invalid operand of type 'struct point' to '+'" },
        { "!r->where", "invalid operand of type 'struct point' to '!'" },
        { "r->where ? 1 : 2", "invalid operand of type 'struct point' to '?:'" },
        { "-r", "invalid operand of type 'struct req *' to '-'" },
        { "~1.5", "invalid operand of type 'double' to '~'" },
        { "1.5 % 2", "invalid operands to '%' (a floating-point number and an integer)" },
        { "1.5 << 2", "invalid operands to '<<' (a floating-point number and an integer)" },
        { "r * 2", "invalid operands to '*' (a pointer and an integer)" },
        { "r + r", "invalid operands to '+' (a pointer and a pointer)" },
        { "1 - r", "invalid operands to '-' (an integer and a pointer)" },
        { "r + 1.5", "invalid operands to '+' (a pointer and a floating-point number)" },
        { "r - (char *)r", "cannot subtract 'struct req *' and 'char *'" },
        { "1 << 32", "shift count 32 is out of range for 'int'" },
        { "1 << -1", "shift count -1 is out of range for 'int'" },
        { "(struct req)1", "cannot cast to 'struct req'" },
        { "(void)1", "cannot cast to 'void'" },
        { "(int *)1.5", "invalid operand of type 'double' to a cast to 'int *'" },
        { "(double)r", "invalid operand of type 'struct req *' to a cast to 'double'" },
        { "(int)r->where", "invalid operand of type 'struct point' to a cast to 'int'" },
        { "$streq(r->user)", "$streq takes 2 arguments, not 1" },
        { "$streq(count, \"x\")", "$streq: argument 1 is not a string (its type is 'int')" },
        { "$streq(\"x\", r->counts)", "$streq: argument 2 is not a string (its type is 'int [4]')" },
        { "$streq((char *)0, \"x\")", "$streq: argument 1 is a null pointer" },
        { "$streq((char *)16, \"x\")", "cannot read memory at 0x10" },
        { "$streq(gone, \"x\")", "'gone' is optimized out here" },
        { "$strcmp(1, 2)", "unknown builtin '$strcmp'" },
        { "$foo", "unknown builtin '$foo'" },
        { "$rdx", "register rdx is not known in this frame" },
        { "\"0123456789012345678901234567890123456789012345678901234567890123\"",
          "string literal is too long (at most 63 characters)" },
    };
    CHECK(check_errors, cases);
}

Test(expr_eval, scope_levels_and_frames_without_a_chain)
{
    value v;
    int64_t n;
    frame.scope_level = 1;
    cr_assert_eq(evaluate("outer_only", &v), 0, "%s", err);
    cr_assert_eq(value_as_int(&frame, &v, &n, err, sizeof err), 0);
    cr_assert_eq(n, 9);
    cr_assert_eq(evaluate("count", &v), -1, "the inlined callee's locals are not visible");
    cr_assert_str_eq(err, "no variable named 'count' in scope");
    cr_assert_eq(evaluate("limit", &v), 0, "the unit's globals are: %s", err);

    frame.chain = NULL;
    cr_assert_eq(evaluate("expr_eval_test_counter", &v), 0, "%s", err);
    cr_assert_eq(value_as_int(&frame, &v, &n, err, sizeof err), 0);
    cr_assert_eq(n, 7);
    cr_assert_eq(evaluate("r", &v), -1);
    cr_assert_str_eq(err, "no variable named 'r' in scope");
}

Test(expr_eval, a_long_string_argument)
{
    static char long_text[5000];
    memset(long_text, 'a', sizeof long_text - 1);
    static char *long_pointer = long_text;
    uint8_t ops[9];
    dvar local = { .name = "text", .type = &char_ptr_t, .kind = DVAR_LOCAL,
                   .expr = addr_expr(ops, &long_pointer), .expr_len = sizeof ops };
    scopes[0].locals = &local;
    scopes[0].n_locals = 1;
    value v;
    char expected[ERR_LEN];
    snprintf(expected, sizeof expected, "$streq: the string at 0x%lx is longer than 4096 bytes",
             (unsigned long)(uintptr_t)long_text);
    cr_assert_eq(evaluate("$streq(text, text)", &v), -1);
    cr_assert_str_eq(err, expected);
    cr_assert_eq(evaluate("$streq(text, \"aaa\")", &v), -1, "the first string is too long");
    long_text[4095] = '\0';
    cr_assert_eq(evaluate("$streq(text, text)", &v), 0, "4095 characters fit: %s", err);
}
