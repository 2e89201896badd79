/* Unit tests for dwarf_expr.c: hand-assembled DW_OP byte strings for every class of operation,
 * evaluated against fake frame registers, with exact locations and exact failure reasons. */
#include <criterion/criterion.h>

#include <dwarf.h>
#include <string.h>

#include "dwarf_expr.h"

#define RAX_VALUE 0x1000u
#define RBX_VALUE 0x1300u
#define RSP_VALUE 0x7ffe0000u
#define RBP_VALUE 0x7ffe0040u
#define CFA_VALUE 0x7ffe0100u
#define FRAME_BASE 0x7ffe0080u
#define LOAD_BIAS 0x550000000000u

static uint64_t memory_word = 0x1122334455667788u;

/* .debug_addr of the fake unit: entries 0..3 are 0x2000, 0x2010, ... */
static bool fake_debug_addr(void *ctx, uint64_t index, uint64_t *out)
{
    (void)ctx;
    if (index > 3)
        return false;
    *out = 0x2000 + index * 0x10;
    return true;
}

static frame_regs regs;
static dwarf_expr_env env;

static void setup(void)
{
    memset(&regs, 0, sizeof regs);
    for (int i = 0; i < FRAME_REG_COUNT; i++)
        regs.reg[i] = 0x1000 + (uint64_t)i * 0x100;
    regs.reg[DWREG_RSP] = RSP_VALUE;
    regs.reg[DWREG_RBP] = RBP_VALUE;
    regs.valid = ((1u << FRAME_REG_COUNT) - 1) & ~(1u << DWREG_RDX); /* rdx is not known */
    regs.cfa = CFA_VALUE;
    env = (dwarf_expr_env){.regs = &regs, .has_frame_base = true, .frame_base = FRAME_BASE,
                           .load_bias = LOAD_BIAS, .debug_addr = fake_debug_addr,
                           .address_size = 8};
}

TestSuite(dwarf_expr, .init = setup);

typedef struct expr_case {
    const char *name;
    uint8_t ops[40];
    size_t len;
    dwarf_expr_status status;
    location_kind kind;   /* of the single location on success */
    uint64_t expected;    /* its address, register number or value */
    const char *reason;   /* the exact reason on failure */
} expr_case;

#define OK_CASE(name, kind, expected, ...)                                                      \
    {name, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), DWARF_EXPR_OK, kind, expected, NULL}
#define FAIL_CASE(name, status, reason, ...)                                                    \
    {name, {__VA_ARGS__}, sizeof((uint8_t[]){__VA_ARGS__}), status, LOCATION_UNAVAILABLE, 0, reason}

#define VALUE LOCATION_VALUE
#define MEMORY LOCATION_MEMORY
#define REGISTER LOCATION_REGISTER
#define SV DW_OP_stack_value
#define ERROR DWARF_EXPR_ERROR
#define GONE DWARF_EXPR_UNAVAILABLE

static void check_case(const expr_case *c)
{
    dwarf_location loc;
    char reason[160] = "untouched";
    dwarf_expr_status st = dwarf_expr_eval(c->ops, c->len, &env, &loc, reason, sizeof reason);
    cr_assert_eq(st, c->status, "%s: status %d, expected %d (%s)", c->name, st, c->status, reason);
    cr_assert_eq(loc.n_pieces, 1, "%s: %zu pieces", c->name, loc.n_pieces);
    if (st != DWARF_EXPR_OK) {
        cr_assert_str_eq(reason, c->reason, "%s", c->name);
        cr_assert_eq(loc.pieces[0].kind, LOCATION_UNAVAILABLE, "%s", c->name);
        return;
    }
    const location_piece *p = &loc.pieces[0];
    cr_assert_eq(p->kind, c->kind, "%s: kind %d", c->name, p->kind);
    cr_assert_eq(p->size, 0, "%s", c->name);
    uint64_t got = p->kind == VALUE ? p->value : p->kind == MEMORY ? p->address : (uint64_t)p->regno;
    cr_assert_eq(got, c->expected, "%s: got 0x%lx, expected 0x%lx", c->name,
                 (unsigned long)got, (unsigned long)c->expected);
}

static void check_cases(const expr_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++)
        check_case(&cases[i]);
}

#define CHECK_CASES(cases) check_cases(cases, sizeof cases / sizeof cases[0])

Test(dwarf_expr, constants_and_addresses)
{
    static const expr_case cases[] = {
        OK_CASE("lit0", VALUE, 0, DW_OP_lit0, SV),
        OK_CASE("lit31", VALUE, 31, DW_OP_lit31, SV),
        OK_CASE("addr gets the load bias", MEMORY, LOAD_BIAS + 0x4010,
                DW_OP_addr, 0x10, 0x40, 0, 0, 0, 0, 0, 0),
        OK_CASE("addrx reads .debug_addr", MEMORY, LOAD_BIAS + 0x2020, DW_OP_addrx, 2),
        OK_CASE("GNU_addr_index", MEMORY, LOAD_BIAS + 0x2010, DW_OP_GNU_addr_index, 1),
        OK_CASE("constx has no bias", VALUE, 0x2030, DW_OP_constx, 3, SV),
        OK_CASE("const1u", VALUE, 0xff, DW_OP_const1u, 0xff, SV),
        OK_CASE("const1s", VALUE, (uint64_t)-1, DW_OP_const1s, 0xff, SV),
        OK_CASE("const2u", VALUE, 0xfffe, DW_OP_const2u, 0xfe, 0xff, SV),
        OK_CASE("const2s", VALUE, (uint64_t)-2, DW_OP_const2s, 0xfe, 0xff, SV),
        OK_CASE("const4u", VALUE, 0x80000000u, DW_OP_const4u, 0, 0, 0, 0x80, SV),
        OK_CASE("const4s", VALUE, (uint64_t)INT32_MIN, DW_OP_const4s, 0, 0, 0, 0x80, SV),
        OK_CASE("const8u", VALUE, 0x0102030405060708u,
                DW_OP_const8u, 8, 7, 6, 5, 4, 3, 2, 1, SV),
        OK_CASE("const8s", VALUE, (uint64_t)-3,
                DW_OP_const8s, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, SV),
        OK_CASE("constu", VALUE, 624485, DW_OP_constu, 0xe5, 0x8e, 0x26, SV),
        OK_CASE("consts", VALUE, (uint64_t)-123456, DW_OP_consts, 0xc0, 0xbb, 0x78, SV),
        OK_CASE("constu of 10 bytes", VALUE, UINT64_MAX, DW_OP_constu,
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, SV),
        OK_CASE("consts of 10 bytes", VALUE, (uint64_t)INT64_MIN, DW_OP_consts,
                0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f, SV),
        OK_CASE("a bare value is an address", MEMORY, 7, DW_OP_lit7),
        OK_CASE("nop does nothing", MEMORY, 1, DW_OP_nop, DW_OP_lit1, DW_OP_nop),
        FAIL_CASE("addrx beyond .debug_addr", ERROR, "cannot resolve .debug_addr index 9",
                  DW_OP_addrx, 9),
        FAIL_CASE("truncated address", ERROR, "truncated operand at offset 0",
                  DW_OP_addr, 1, 2, 3),
        FAIL_CASE("truncated const4u", ERROR, "truncated operand at offset 1",
                  DW_OP_lit0, DW_OP_const4u, 1, 2),
        FAIL_CASE("truncated LEB128", ERROR, "truncated LEB128 at offset 1", DW_OP_constu, 0x80),
        FAIL_CASE("LEB128 over 10 bytes", ERROR, "LEB128 too large at offset 1", DW_OP_constu,
                  0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, addrx_without_a_resolver_fails)
{
    env.debug_addr = NULL;
    static const expr_case c =
        FAIL_CASE("no resolver", ERROR, "cannot resolve .debug_addr index 0", DW_OP_addrx, 0);
    check_case(&c);
}

Test(dwarf_expr, stack_operations)
{
    static const expr_case cases[] = {
        OK_CASE("dup", VALUE, 6, DW_OP_lit3, DW_OP_dup, DW_OP_plus, SV),
        OK_CASE("drop", VALUE, 1, DW_OP_lit1, DW_OP_lit2, DW_OP_drop, SV),
        OK_CASE("over", VALUE, 7, DW_OP_lit7, DW_OP_lit2, DW_OP_over, SV),
        OK_CASE("pick", VALUE, 1, DW_OP_lit1, DW_OP_lit2, DW_OP_lit3, DW_OP_pick, 2, SV),
        OK_CASE("swap", VALUE, 1, DW_OP_lit1, DW_OP_lit2, DW_OP_swap, DW_OP_minus, SV),
        OK_CASE("rot: top becomes third", VALUE, 3,
                DW_OP_lit1, DW_OP_lit2, DW_OP_lit3, DW_OP_rot, DW_OP_drop, DW_OP_drop, SV),
        OK_CASE("rot: second becomes top", VALUE, 2,
                DW_OP_lit1, DW_OP_lit2, DW_OP_lit3, DW_OP_rot, SV),
        OK_CASE("rot: third becomes second", VALUE, 1,
                DW_OP_lit1, DW_OP_lit2, DW_OP_lit3, DW_OP_rot, DW_OP_drop, SV),
        FAIL_CASE("underflow", ERROR, "stack underflow at offset 1", DW_OP_lit1, DW_OP_plus),
        FAIL_CASE("underflow on drop", ERROR, "stack underflow at offset 0", DW_OP_drop),
        FAIL_CASE("underflow on rot", ERROR, "stack underflow at offset 2",
                  DW_OP_lit1, DW_OP_lit2, DW_OP_rot),
        FAIL_CASE("pick beyond the stack", ERROR, "DW_OP_pick beyond the stack at offset 1",
                  DW_OP_lit1, DW_OP_pick, 5),
        FAIL_CASE("stack_value on empty stack", ERROR, "stack underflow at offset 0", SV),
        FAIL_CASE("no location", ERROR, "the expression leaves no location (empty stack)",
                  DW_OP_lit1, DW_OP_drop),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, stack_overflow_at_64_entries)
{
    expr_case c = {"overflow", {0}, 0, ERROR, LOCATION_UNAVAILABLE, 0,
                   "stack overflow (more than 64 entries) at offset 64"};
    c.len = 65;
    uint8_t ops[65];
    memset(ops, DW_OP_lit1, sizeof ops);
    dwarf_location loc;
    char reason[160];
    cr_assert_eq(dwarf_expr_eval(ops, sizeof ops, &env, &loc, reason, sizeof reason), ERROR);
    cr_assert_str_eq(reason, c.reason);
    cr_assert_eq(dwarf_expr_eval(ops, 64, &env, &loc, reason, sizeof reason), DWARF_EXPR_OK,
                 "64 entries fit");
}

Test(dwarf_expr, arithmetic_and_logic)
{
    static const expr_case cases[] = {
        OK_CASE("abs", VALUE, 5, DW_OP_consts, 0x7b, DW_OP_abs, SV),
        OK_CASE("and", VALUE, 0x4, DW_OP_lit12, DW_OP_lit6, DW_OP_and, SV),
        OK_CASE("div is signed", VALUE, (uint64_t)-3, DW_OP_consts, 0x79, DW_OP_lit2, DW_OP_div, SV),
        OK_CASE("div of INT64_MIN by -1 wraps", VALUE, (uint64_t)INT64_MIN,
                DW_OP_const8u, 0, 0, 0, 0, 0, 0, 0, 0x80, DW_OP_consts, 0x7f, DW_OP_div, SV),
        OK_CASE("minus", VALUE, 5, DW_OP_lit8, DW_OP_lit3, DW_OP_minus, SV),
        OK_CASE("mod", VALUE, 1, DW_OP_lit7, DW_OP_lit3, DW_OP_mod, SV),
        OK_CASE("mul", VALUE, 42, DW_OP_lit6, DW_OP_lit7, DW_OP_mul, SV),
        OK_CASE("neg", VALUE, (uint64_t)-9, DW_OP_lit9, DW_OP_neg, SV),
        OK_CASE("not", VALUE, ~(uint64_t)0, DW_OP_lit0, DW_OP_not, SV),
        OK_CASE("or", VALUE, 0xe, DW_OP_lit12, DW_OP_lit6, DW_OP_or, SV),
        OK_CASE("plus", VALUE, 30, DW_OP_lit10, DW_OP_lit20, DW_OP_plus, SV),
        OK_CASE("plus_uconst", VALUE, 201, DW_OP_lit1, DW_OP_plus_uconst, 0xc8, 0x01, SV),
        OK_CASE("shl", VALUE, 16, DW_OP_lit1, DW_OP_lit4, DW_OP_shl, SV),
        OK_CASE("shl by 64 is 0", VALUE, 0, DW_OP_lit1, DW_OP_const1u, 64, DW_OP_shl, SV),
        OK_CASE("shr", VALUE, 4, DW_OP_lit16, DW_OP_lit2, DW_OP_shr, SV),
        OK_CASE("shr is logical", VALUE, UINT64_MAX >> 60,
                DW_OP_consts, 0x7f, DW_OP_const1u, 60, DW_OP_shr, SV),
        OK_CASE("shra keeps the sign", VALUE, (uint64_t)-4, DW_OP_consts, 0x70, DW_OP_lit2,
                DW_OP_shra, SV),
        OK_CASE("shra by 64", VALUE, UINT64_MAX, DW_OP_consts, 0x70, DW_OP_const1u, 64,
                DW_OP_shra, SV),
        OK_CASE("xor", VALUE, 0xa, DW_OP_lit12, DW_OP_lit6, DW_OP_xor, SV),
        OK_CASE("eq", VALUE, 1, DW_OP_lit3, DW_OP_lit3, DW_OP_eq, SV),
        OK_CASE("ne", VALUE, 0, DW_OP_lit3, DW_OP_lit3, DW_OP_ne, SV),
        OK_CASE("lt is signed", VALUE, 1, DW_OP_consts, 0x7f, DW_OP_lit1, DW_OP_lt, SV),
        OK_CASE("gt is signed", VALUE, 0, DW_OP_consts, 0x7f, DW_OP_lit1, DW_OP_gt, SV),
        OK_CASE("le", VALUE, 1, DW_OP_lit1, DW_OP_lit1, DW_OP_le, SV),
        OK_CASE("ge", VALUE, 0, DW_OP_lit1, DW_OP_lit2, DW_OP_ge, SV),
        FAIL_CASE("div by zero", ERROR, "division by zero in DW_OP_div at offset 2",
                  DW_OP_lit1, DW_OP_lit0, DW_OP_div),
        FAIL_CASE("mod by zero", ERROR, "division by zero in DW_OP_mod at offset 2",
                  DW_OP_lit1, DW_OP_lit0, DW_OP_mod),
        FAIL_CASE("plus_uconst on empty stack", ERROR, "stack underflow at offset 0",
                  DW_OP_plus_uconst, 1),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, branches)
{
    static const expr_case cases[] = {
        /* litN; bra +4; lit5; skip +1; lit7 */
        OK_CASE("bra taken", VALUE, 7, DW_OP_lit1, DW_OP_bra, 4, 0, DW_OP_lit5, DW_OP_skip, 1, 0,
                DW_OP_lit7, SV),
        OK_CASE("bra not taken", VALUE, 5, DW_OP_lit0, DW_OP_bra, 4, 0, DW_OP_lit5, DW_OP_skip,
                1, 0, DW_OP_lit7, SV),
        OK_CASE("skip to the end", MEMORY, 1, DW_OP_lit1, DW_OP_skip, 1, 0, DW_OP_lit2),
        FAIL_CASE("endless loop", ERROR, "expression runs more than 10000 steps at offset 0",
                  DW_OP_lit1, DW_OP_bra, 0xfc, 0xff),
        FAIL_CASE("branch before the start", ERROR, "branch target out of range at offset 0",
                  DW_OP_skip, 0xf0, 0xff),
        FAIL_CASE("branch past the end", ERROR, "branch target out of range at offset 1",
                  DW_OP_lit1, DW_OP_bra, 0x10, 0x00),
        FAIL_CASE("truncated branch offset", ERROR, "truncated operand at offset 0",
                  DW_OP_skip, 1),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, registers)
{
    static const expr_case cases[] = {
        OK_CASE("reg0", REGISTER, DWREG_RAX, DW_OP_reg0),
        OK_CASE("reg3", REGISTER, DWREG_RBX, DW_OP_reg3),
        OK_CASE("regx", REGISTER, DWREG_R12, DW_OP_regx, 12),
        OK_CASE("breg7 -8", MEMORY, RSP_VALUE - 8, DW_OP_breg7, 0x78),
        OK_CASE("breg0 as a value", VALUE, RAX_VALUE + 3, DW_OP_breg0, 3, SV),
        OK_CASE("bregx 6 +16", MEMORY, RBP_VALUE + 16, DW_OP_bregx, 6, 16),
        OK_CASE("fbreg -20", MEMORY, FRAME_BASE - 20, DW_OP_fbreg, 0x6c),
        OK_CASE("call_frame_cfa", MEMORY, CFA_VALUE, DW_OP_call_frame_cfa),
        OK_CASE("cfa + 16", MEMORY, CFA_VALUE + 16, DW_OP_call_frame_cfa, DW_OP_plus_uconst, 16),
        FAIL_CASE("unknown register", GONE, "register rdx is not known in this frame", DW_OP_reg1),
        FAIL_CASE("unknown base register", GONE, "register rdx is not known in this frame",
                  DW_OP_breg1, 8),
        FAIL_CASE("xmm register", GONE, "register xmm0 is not known in this frame",
                  DW_OP_regx, 17),
        FAIL_CASE("register number out of every table", GONE,
                  "register #99 is not known in this frame", DW_OP_bregx, 99, 0),
        FAIL_CASE("a register location must end", ERROR,
                  "a register or value location is not followed by DW_OP_piece at offset 1",
                  DW_OP_reg0, DW_OP_lit1),
        FAIL_CASE("stack_value must end", ERROR,
                  "a register or value location is not followed by DW_OP_piece at offset 2",
                  DW_OP_lit1, SV, DW_OP_lit1),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, frame_base_and_cfa_unknown)
{
    env.has_frame_base = false;
    regs.cfa = 0;
    static const expr_case cases[] = {
        FAIL_CASE("no frame base", GONE, "the frame base is not known in this frame",
                  DW_OP_fbreg, 0x70),
        FAIL_CASE("no cfa", GONE, "the frame's CFA is not known", DW_OP_call_frame_cfa),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, no_registers_at_all)
{
    env.regs = NULL;
    static const expr_case cases[] = {
        FAIL_CASE("reg", GONE, "register rax is not known in this frame", DW_OP_reg0),
        FAIL_CASE("breg", GONE, "register rsp is not known in this frame", DW_OP_breg7, 0),
        FAIL_CASE("cfa", GONE, "the frame's CFA is not known", DW_OP_call_frame_cfa),
        OK_CASE("addr still works", MEMORY, LOAD_BIAS + 8, DW_OP_addr, 8, 0, 0, 0, 0, 0, 0, 0),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, memory_reads)
{
    uint64_t at = (uint64_t)(uintptr_t)&memory_word;
    expr_case cases[] = {
        OK_CASE("deref", VALUE, 0x1122334455667788u, DW_OP_const8u, 0, 0, 0, 0, 0, 0, 0, 0,
                DW_OP_deref, SV),
        OK_CASE("deref_size 2", VALUE, 0x7788, DW_OP_const8u, 0, 0, 0, 0, 0, 0, 0, 0,
                DW_OP_deref_size, 2, SV),
        OK_CASE("deref_size 1 of the 2nd byte", VALUE, 0x77, DW_OP_const8u, 0, 0, 0, 0, 0, 0,
                0, 0, DW_OP_plus_uconst, 1, DW_OP_deref_size, 1, SV),
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        memcpy(&cases[i].ops[1], &at, sizeof at);
    CHECK_CASES(cases);

    static const expr_case failures[] = {
        FAIL_CASE("deref of 0x10", ERROR, "cannot read memory at 0x10 for DW_OP_deref",
                  DW_OP_lit16, DW_OP_deref),
        FAIL_CASE("deref_size of 0x0", ERROR, "cannot read memory at 0x0 for DW_OP_deref_size",
                  DW_OP_lit0, DW_OP_deref_size, 4),
        FAIL_CASE("deref_size 9", ERROR, "bad size for a dereference at offset 1",
                  DW_OP_lit0, DW_OP_deref_size, 9),
        FAIL_CASE("deref on empty stack", ERROR, "stack underflow at offset 0", DW_OP_deref),
    };
    CHECK_CASES(failures);
}

Test(dwarf_expr, implicit_values)
{
    static const uint8_t ops[] = {DW_OP_implicit_value, 4, 0x78, 0x56, 0x34, 0x12};
    dwarf_location loc;
    char reason[160];
    cr_assert_eq(dwarf_expr_eval(ops, sizeof ops, &env, &loc, reason, sizeof reason),
                 DWARF_EXPR_OK, "%s", reason);
    cr_assert_eq(loc.n_pieces, 1);
    cr_assert_eq(loc.pieces[0].kind, LOCATION_IMPLICIT);
    cr_assert_eq(loc.pieces[0].size, 4, "the size of an implicit value is its length");
    cr_assert_eq(loc.pieces[0].bytes, ops + 2);

    static const expr_case failures[] = {
        FAIL_CASE("longer than the expression", ERROR, "bad DW_OP_implicit_value size at offset 0",
                  DW_OP_implicit_value, 5, 1, 2),
        FAIL_CASE("empty", ERROR, "bad DW_OP_implicit_value size at offset 0",
                  DW_OP_implicit_value, 0),
    };
    CHECK_CASES(failures);
}

Test(dwarf_expr, unavailable_and_unsupported)
{
    static const expr_case cases[] = {
        FAIL_CASE("entry_value", GONE, "uses the value on entry (DW_OP_entry_value)",
                  DW_OP_entry_value, 1, DW_OP_reg5, SV),
        FAIL_CASE("GNU_entry_value", GONE, "uses the value on entry (DW_OP_entry_value)",
                  DW_OP_GNU_entry_value, 1, DW_OP_reg4, DW_OP_lit1, DW_OP_plus, SV),
        FAIL_CASE("implicit_pointer", GONE,
                  "points to an optimized-out object (DW_OP_implicit_pointer)",
                  DW_OP_implicit_pointer, 0x10, 0, 0, 0, 0),
        FAIL_CASE("GNU_implicit_pointer", GONE,
                  "points to an optimized-out object (DW_OP_implicit_pointer)",
                  DW_OP_GNU_implicit_pointer, 0x10, 0, 0, 0, 0),
        FAIL_CASE("GNU_parameter_ref", GONE,
                  "refers to a parameter in the caller (DW_OP_GNU_parameter_ref)",
                  DW_OP_GNU_parameter_ref, 1, 0, 0, 0),
        FAIL_CASE("convert", ERROR, "unsupported operation DW_OP_convert at offset 1",
                  DW_OP_lit1, DW_OP_convert, 0x2a, SV),
        FAIL_CASE("GNU_convert", ERROR, "unsupported operation DW_OP_GNU_convert at offset 1",
                  DW_OP_lit1, DW_OP_GNU_convert, 0x2a, SV),
        FAIL_CASE("deref_type", ERROR, "unsupported operation DW_OP_deref_type at offset 1",
                  DW_OP_lit1, DW_OP_deref_type, 8, 0x2a),
        FAIL_CASE("GNU_deref_type", ERROR,
                  "unsupported operation DW_OP_GNU_deref_type at offset 0",
                  DW_OP_GNU_deref_type, 8, 0x2a),
        FAIL_CASE("regval_type", ERROR, "unsupported operation DW_OP_regval_type at offset 0",
                  DW_OP_regval_type, 0, 0x2a),
        FAIL_CASE("const_type", ERROR, "unsupported operation DW_OP_const_type at offset 0",
                  DW_OP_const_type, 0x2a, 1, 0),
        FAIL_CASE("TLS", ERROR, "unsupported operation DW_OP_form_tls_address at offset 1",
                  DW_OP_lit0, DW_OP_form_tls_address),
        FAIL_CASE("unknown opcode", ERROR, "unknown opcode 0x1 at offset 1", DW_OP_lit0, 0x01),
        FAIL_CASE("unknown high opcode", ERROR, "unknown opcode 0xff at offset 0", 0xff),
    };
    CHECK_CASES(cases);
}

Test(dwarf_expr, empty_expression_is_unavailable)
{
    dwarf_location loc;
    char reason[160];
    cr_assert_eq(dwarf_expr_eval(NULL, 0, &env, &loc, reason, sizeof reason), GONE);
    cr_assert_str_eq(reason, "no location (empty expression)");
    cr_assert_eq(loc.n_pieces, 1);
    cr_assert_eq(loc.pieces[0].kind, LOCATION_UNAVAILABLE);
}

Test(dwarf_expr, reason_is_truncated_to_its_buffer)
{
    static const uint8_t ops[] = {DW_OP_reg1};
    dwarf_location loc;
    char reason[9];
    cr_assert_eq(dwarf_expr_eval(ops, sizeof ops, &env, &loc, reason, sizeof reason), GONE);
    cr_assert_str_eq(reason, "register");
    cr_assert_eq(dwarf_expr_eval(ops, sizeof ops, &env, &loc, NULL, 0), GONE, "no buffer is fine");
}

Test(dwarf_expr, pieces)
{
    static const uint8_t ops[] = {
        DW_OP_reg3, DW_OP_piece, 8,                          /* rbx, 8 bytes */
        DW_OP_fbreg, 0x70, DW_OP_piece, 4,                   /* memory at frame base - 16 */
        DW_OP_lit9, SV, DW_OP_piece, 2,                      /* the value 9 */
        DW_OP_piece, 2,                                      /* optimized out */
        DW_OP_implicit_value, 2, 0xaa, 0xbb, DW_OP_piece, 2, /* literal bytes */
        DW_OP_const2u, 0x34, 0x12, SV, DW_OP_bit_piece, 8, 8, /* the value's second byte */
    };
    dwarf_location loc;
    char reason[160];
    cr_assert_eq(dwarf_expr_eval(ops, sizeof ops, &env, &loc, reason, sizeof reason),
                 DWARF_EXPR_OK, "%s", reason);
    cr_assert_eq(loc.n_pieces, 6);
    const location_piece *p = loc.pieces;
    cr_assert(p[0].kind == REGISTER && p[0].regno == DWREG_RBX && p[0].size == 8);
    cr_assert(p[1].kind == MEMORY && p[1].address == FRAME_BASE - 16 && p[1].size == 4);
    cr_assert(p[2].kind == VALUE && p[2].value == 9 && p[2].size == 2);
    cr_assert(p[3].kind == LOCATION_UNAVAILABLE && p[3].size == 2);
    cr_assert(p[4].kind == LOCATION_IMPLICIT && p[4].size == 2 && p[4].bytes[0] == 0xaa);
    cr_assert(p[5].kind == VALUE && p[5].value == 0x12 && p[5].size == 1, "value 0x%lx",
              (unsigned long)p[5].value);
}

Test(dwarf_expr, bit_piece_of_memory_moves_the_address)
{
    static const uint8_t ops[] = {DW_OP_breg7, 0, DW_OP_bit_piece, 32, 16};
    dwarf_location loc;
    char reason[160];
    cr_assert_eq(dwarf_expr_eval(ops, sizeof ops, &env, &loc, reason, sizeof reason),
                 DWARF_EXPR_OK, "%s", reason);
    cr_assert(loc.pieces[0].kind == MEMORY && loc.pieces[0].address == RSP_VALUE + 2 &&
              loc.pieces[0].size == 4);
}

Test(dwarf_expr, bad_pieces)
{
    static const expr_case cases[] = {
        FAIL_CASE("bit piece not byte aligned", GONE,
                  "a piece is not byte aligned (DW_OP_bit_piece)", DW_OP_reg0, DW_OP_bit_piece, 3, 0),
        FAIL_CASE("bit piece inside a register", GONE, "a piece starts inside a register",
                  DW_OP_reg0, DW_OP_bit_piece, 8, 8),
        FAIL_CASE("empty piece", ERROR, "empty piece at offset 1", DW_OP_reg0, DW_OP_piece, 0),
        FAIL_CASE("location after the last piece", ERROR, "a location follows the last DW_OP_piece",
                  DW_OP_reg0, DW_OP_piece, 8, DW_OP_reg3),
        FAIL_CASE("piece with an unknown register", GONE, "register rdx is not known in this frame",
                  DW_OP_reg0, DW_OP_piece, 4, DW_OP_reg1, DW_OP_piece, 4),
        FAIL_CASE("implicit value shorter than its piece", ERROR,
                  "DW_OP_implicit_value is shorter than its piece at offset 3",
                  DW_OP_implicit_value, 1, 0xaa, DW_OP_piece, 2),
        FAIL_CASE("nine pieces", GONE, "the location has more than 8 pieces",
                  DW_OP_piece, 1, DW_OP_piece, 1, DW_OP_piece, 1, DW_OP_piece, 1, DW_OP_piece, 1,
                  DW_OP_piece, 1, DW_OP_piece, 1, DW_OP_piece, 1, DW_OP_piece, 1),
    };
    CHECK_CASES(cases);
}
