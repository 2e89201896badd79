/* Unit tests for value.c: variables located by DWARF expressions in a fake frame, and the
 * operations on values over real objects of this test process, with exact error texts. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>

#include "stopper.h"
#include "value_fixture.h"

#define ERR_LEN 256
#define RAX_BITS 0xffffffff0000002aull
#define RBX_BITS 0x1122334455667788ull
#define RBP_BITS 0x7ffd00001000ull
#define FAKE_TID 4242

static struct req the_req, other_req;
static int some_int = 31337;
static uint8_t stack_slots[64];   /* the fake frame's stack: its CFA is stack_slots + 32 */

static sym_index *symbols;
static frame_regs regs;
static dscope scope;
static dscope_chain chain;
static value_frame frame;
static char err[ERR_LEN];

static const uint8_t cfa_frame_base[] = { DW_OP_call_frame_cfa };

static void open_frame(void)
{
    symbols = sym_index_create();
    cr_assert_not_null(symbols);
    memset(&regs, 0, sizeof regs);
    regs.reg[DWREG_RAX] = RAX_BITS;
    regs.reg[DWREG_RBX] = RBX_BITS;
    regs.reg[DWREG_RBP] = RBP_BITS;
    regs.reg[DWREG_RSP] = (uintptr_t)stack_slots;
    regs.valid = ((1u << FRAME_REG_COUNT) - 1) & ~(1u << DWREG_RDX);
    regs.cfa = (uintptr_t)(stack_slots + 32);
    scope = (dscope){ .function = "handle" };
    chain = (dscope_chain){ .scopes = &scope, .n_scopes = 1, .frame_base = cfa_frame_base,
                            .frame_base_len = sizeof cfa_frame_base };
    frame = (value_frame){ .symbols = symbols, .pc = 0x1010, .regs = &regs, .chain = &chain,
                           .tid = FAKE_TID };
    other_req = (struct req){ .id = 2, .user = "bob" };
    the_req = (struct req){
        .id = 1, .where = { 3, -4 }, .radius = 5, .counts = { 10, 20, 30, 40 }, .name = "alice",
        .user = "admin", .next = &other_req, .color = BLUE,
        .flags = { .mode = 5, .delta = -3, .on = 1, .mid = 777, .big = -123456789012L },
        .ratio = 0.25, .small = 200, .amount = -5,
    };
    memset(err, 0, sizeof err);
}

static void close_frame(void)
{
    sym_index_destroy(symbols);
}

TestSuite(value, .init = open_frame, .fini = close_frame);

/* ---- helpers ---- */

/* The value of a local of the frame described by ops. */
static value local_at(const char *name, const dtype *type, const uint8_t *ops, size_t len)
{
    static dvar local;
    local = (dvar){ .name = name, .type = type, .kind = DVAR_LOCAL, .expr = ops, .expr_len = len };
    scope.locals = &local;
    scope.n_locals = 1;
    value v;
    cr_assert_eq(value_of_variable(&frame, &local, &v, err, sizeof err), 0, "%s: %s", name, err);
    return v;
}

#define LOCAL(name, type, ...)                                                                  \
    local_at(name, type, (const uint8_t[]){ __VA_ARGS__ }, sizeof((uint8_t[]){ __VA_ARGS__ }))

static int64_t as_int(value v)
{
    int64_t n;
    cr_assert_eq(value_as_int(&frame, &v, &n, err, sizeof err), 0, "%s", err);
    return n;
}

static double as_double(value v)
{
    double d;
    cr_assert_eq(value_as_double(&frame, &v, &d, err, sizeof err), 0, "%s", err);
    return d;
}

static value member(const value *v, const char *name)
{
    value m;
    cr_assert_eq(value_member(&frame, v, name, &m, err, sizeof err), 0, "%s: %s", name, err);
    return m;
}

static void expect_int_error(const value *v, const char *expected)
{
    int64_t n;
    cr_assert_eq(value_as_int(&frame, v, &n, err, sizeof err), -1);
    cr_assert_str_eq(err, expected);
}

static void expect_unavailable(const value *v, const char *reason)
{
    cr_assert_eq(v->where, VALUE_UNAVAILABLE);
    cr_assert_str_eq(v->reason, reason);
}

/* ---- locating variables ---- */

Test(value, a_global_in_memory)
{
    uint8_t ops[9];
    dvar global = { .name = "the_req", .type = &req_t, .kind = DVAR_GLOBAL,
                    .expr = addr_expr(ops, &the_req), .expr_len = 9 };
    value v;
    cr_assert_eq(value_of_variable(&frame, &global, &v, err, sizeof err), 0, "%s", err);
    cr_assert_eq(v.where, VALUE_MEMORY);
    cr_assert_eq(v.address, (uintptr_t)&the_req);
    cr_assert_eq(v.type, &req_t);
}

Test(value, a_global_with_a_load_bias)
{
    uint8_t ops[9];
    dvar global = { .name = "some_int", .type = &int_t, .kind = DVAR_GLOBAL,
                    .expr = addr_expr(ops, (const void *)((uintptr_t)&some_int - 0x1000)), .expr_len = 9,
                    .load_bias = 0x1000 };
    value v;
    cr_assert_eq(value_of_variable(&frame, &global, &v, err, sizeof err), 0, "%s", err);
    cr_assert_eq(as_int(v), 31337);
}

Test(value, locals_relative_to_the_frame_base)
{
    int stored = 1234;
    memcpy(stack_slots + 16, &stored, sizeof stored);
    value v = LOCAL("count", &int_t, DW_OP_fbreg, 0x70); /* CFA - 16 */
    cr_assert_eq(v.where, VALUE_MEMORY);
    cr_assert_eq(v.address, (uintptr_t)(stack_slots + 16));
    cr_assert_eq(as_int(v), 1234);

    static const uint8_t rsp_base[] = { DW_OP_breg7, 8 };
    chain.frame_base = rsp_base;
    chain.frame_base_len = sizeof rsp_base;
    v = LOCAL("count", &int_t, DW_OP_fbreg, 8);
    cr_assert_eq(v.address, (uintptr_t)(stack_slots + 16), "frame base = rsp + 8");

    static const uint8_t rbp_register_base[] = { DW_OP_reg6 };
    chain.frame_base = rbp_register_base;
    chain.frame_base_len = sizeof rbp_register_base;
    v = LOCAL("count", &int_t, DW_OP_fbreg, 0x10);
    cr_assert_eq(v.address, RBP_BITS + 16, "a register frame base is the register's contents");
}

Test(value, without_a_frame_base_fbreg_is_optimized_out)
{
    regs.cfa = 0;
    value v = LOCAL("count", &int_t, DW_OP_fbreg, 0x70);
    expect_unavailable(&v, "optimized out");

    uint8_t ops[] = { DW_OP_fbreg, 0x70 };
    dvar foreign = { .name = "elsewhere", .type = &int_t, .kind = DVAR_LOCAL, .expr = ops,
                     .expr_len = sizeof ops };
    regs.cfa = (uintptr_t)(stack_slots + 32);
    cr_assert_eq(value_of_variable(&frame, &foreign, &v, err, sizeof err), 0);
    expect_unavailable(&v, "optimized out"); /* not the chain's variable: no frame base */
}

Test(value, a_variable_in_a_register)
{
    value v = LOCAL("n", &int_t, DW_OP_reg0);
    cr_assert_eq(v.where, VALUE_REGISTER);
    cr_assert_eq(v.regno, DWREG_RAX);
    cr_assert_eq(as_int(v), 42, "the low 4 bytes of rax");

    v = LOCAL("wide", &ulong_t, DW_OP_regx, 3);
    cr_assert_eq((uint64_t)as_int(v), RBX_BITS);

    v = LOCAL("n", &int_t, DW_OP_reg1);
    expect_unavailable(&v, "optimized out"); /* rdx is not known in this frame */
}

Test(value, a_point_in_a_register_has_members)
{
    value v = LOCAL("p", &point_t, DW_OP_reg0);
    value y = member(&v, "y");
    cr_assert_eq(y.where, VALUE_BYTES, "a part of a register is a computed value");
    cr_assert_eq(as_int(member(&v, "x")), 42);
    cr_assert_eq(as_int(y), -1);
}

Test(value, computed_values)
{
    value v = LOCAL("n", &int_t, DW_OP_const8u, 5, 0, 0, 0, 1, 0, 0, 0, DW_OP_stack_value);
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_eq(as_int(v), 5, "truncated to the type's size");

    v = LOCAL("l", &long_t, DW_OP_consts, 0x7e, DW_OP_stack_value);
    cr_assert_eq(as_int(v), -2);

    v = LOCAL("i", &int_t, DW_OP_implicit_value, 4, 0x2a, 0, 0, 0);
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_eq(as_int(v), 42);

    v = LOCAL("d", &dbl_t, DW_OP_implicit_value, 8, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f);
    cr_assert_eq(as_double(v), 1.5);

    v = LOCAL("i", &int_t, DW_OP_implicit_value, 2, 0x2a, 0);
    expect_unavailable(&v, "partly optimized out");
}

Test(value, pieces_are_assembled)
{
    value v = LOCAL("p", &point_t, DW_OP_reg0, DW_OP_piece, 4, DW_OP_reg3, DW_OP_piece, 4);
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_eq(as_int(member(&v, "x")), 42);
    cr_assert_eq(as_int(member(&v, "y")), 0x55667788);

    uint8_t ops[] = { DW_OP_addr, 0, 0, 0, 0, 0, 0, 0, 0, DW_OP_piece, 4,
                      DW_OP_lit7, DW_OP_stack_value, DW_OP_piece, 4 };
    addr_expr(ops, &some_int);
    v = local_at("p", &point_t, ops, sizeof ops);
    cr_assert_eq(as_int(member(&v, "x")), 31337, "memory pieces are read now");
    cr_assert_eq(as_int(member(&v, "y")), 7);
}

Test(value, missing_padding_does_not_matter_but_missing_members_do)
{
    struct padded { char c; int i; };
    static const dmember padded_members[] = {
        { .name = "c", .type = &char_t, .offset = offsetof(struct padded, c) },
        { .name = "i", .type = &int_t, .offset = offsetof(struct padded, i) },
    };
    static const dtype padded_t = { .kind = DT_STRUCT, .name = "padded",
                                    .size = sizeof(struct padded), .members = padded_members,
                                    .n_members = 2 };
    value v = LOCAL("s", &padded_t, DW_OP_reg0, DW_OP_piece, 1, DW_OP_piece, 3,
                    DW_OP_reg3, DW_OP_piece, 4);
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_eq(as_int(member(&v, "c")), 42);
    cr_assert_eq(as_int(member(&v, "i")), 0x55667788);

    v = LOCAL("p", &point_t, DW_OP_reg0, DW_OP_piece, 4, DW_OP_piece, 4);
    expect_unavailable(&v, "partly optimized out");
    v = LOCAL("p", &point_t, DW_OP_reg0, DW_OP_piece, 4);
    expect_unavailable(&v, "partly optimized out");
}

Test(value, pieces_that_cannot_be_read_or_held)
{
    dvar var = { .name = "p", .type = &point_t, .kind = DVAR_LOCAL,
                 .expr = (const uint8_t[]){ DW_OP_lit16, DW_OP_piece, 4, DW_OP_reg0,
                                            DW_OP_piece, 4 },
                 .expr_len = 6 };
    value v;
    cr_assert_eq(value_of_variable(&frame, &var, &v, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot evaluate the location of 'p': cannot read memory at 0x10");

    var.name = "r";
    var.type = &req_t;
    var.expr = (const uint8_t[]){ DW_OP_reg0, DW_OP_piece, 4 };
    var.expr_len = 3;
    char expected[ERR_LEN];
    snprintf(expected, sizeof expected, "cannot evaluate the location of 'r': its pieces cover "
             "%zu bytes, more than 64", sizeof(struct req));
    cr_assert_eq(value_of_variable(&frame, &var, &v, err, sizeof err), -1);
    cr_assert_str_eq(err, expected);
}

Test(value, location_lists_pick_the_entry_for_the_pc)
{
    static const uint8_t in_rax[] = { DW_OP_reg0 }, in_rbx[] = { DW_OP_reg3 };
    static const dloc_range ranges[] = {
        { .low = 0x1000, .high = 0x1010, .expr = in_rax, .expr_len = 1 },
        { .low = 0x1010, .high = 0x1020, .expr = in_rbx, .expr_len = 1 },
    };
    dvar var = { .name = "n", .type = &int_t, .kind = DVAR_LOCAL, .ranges = ranges,
                 .n_ranges = 2 };
    value v;
    frame.pc = 0x1010;
    cr_assert_eq(value_of_variable(&frame, &var, &v, err, sizeof err), 0);
    cr_assert_eq(v.regno, DWREG_RBX, "[low, high) contains the pc");

    frame.is_return_address = true;
    cr_assert_eq(value_of_variable(&frame, &var, &v, err, sizeof err), 0);
    cr_assert_eq(v.regno, DWREG_RAX, "a return address is looked up at pc - 1");

    frame.is_return_address = false;
    frame.pc = 0x1020;
    cr_assert_eq(value_of_variable(&frame, &var, &v, err, sizeof err), 0);
    expect_unavailable(&v, "optimized out");
}

Test(value, optimized_out_and_broken_locations)
{
    dvar none = { .name = "gone", .type = &int_t, .kind = DVAR_LOCAL };
    value v;
    cr_assert_eq(value_of_variable(&frame, &none, &v, err, sizeof err), 0);
    expect_unavailable(&v, "optimized out");
    expect_int_error(&v, "the value is optimized out here");

    v = LOCAL("entry", &int_t, DW_OP_entry_value, 1, DW_OP_reg5, DW_OP_stack_value);
    expect_unavailable(&v, "optimized out");

    dvar broken = { .name = "x", .type = &int_t, .kind = DVAR_LOCAL,
                    .expr = (const uint8_t[]){ DW_OP_lit1, DW_OP_convert, 0x2a, DW_OP_stack_value },
                    .expr_len = 4 };
    cr_assert_eq(value_of_variable(&frame, &broken, &v, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot evaluate the location of 'x': unsupported operation "
                          "DW_OP_convert at offset 1");
}

Test(value, constants)
{
    dvar minus_one = { .name = "k", .type = &int_t, .kind = DVAR_LOCAL, .has_const_value = true,
                       .const_bytes = (const uint8_t[]){ 0xff }, .const_len = 1 };
    value v;
    cr_assert_eq(value_of_variable(&frame, &minus_one, &v, err, sizeof err), 0);
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_eq(as_int(v), -1, "a short signed constant is sign-extended");

    dvar answer = { .name = "k", .type = &uint_t, .kind = DVAR_LOCAL, .has_const_value = true,
                    .const_bytes = (const uint8_t[]){ 0xff }, .const_len = 1 };
    cr_assert_eq(value_of_variable(&frame, &answer, &v, err, sizeof err), 0);
    cr_assert_eq(as_int(v), 255);
}

/* ---- reading and converting ---- */

Test(value, scalars_convert)
{
    static const signed char minus = -1;
    static const float side = 2.5f;
    static const long double precise = 0.125L;
    static const double negative = -2.7;
    static const _Bool yes = 1;
    value v = in_memory(&const_my_int_t, &some_int);
    cr_assert_eq(as_int(v), 31337, "through const and typedef");
    v = in_memory(&color_t, &the_req.color);
    cr_assert_eq(as_int(v), BLUE);
    v = in_memory(&char_t, &minus);
    cr_assert_eq(as_int(v), -1);
    v = in_memory(&uchar_t, &the_req.small);
    cr_assert_eq(as_int(v), 200);
    v = in_memory(&bool_t, &yes);
    cr_assert_eq(as_int(v), 1);
    v = in_memory(&flt_t, &side);
    cr_assert_eq(as_double(v), 2.5);
    v = in_memory(&ldbl_t, &precise);
    cr_assert_eq(as_double(v), 0.125);
    v = in_memory(&dbl_t, &negative);
    cr_assert_eq(as_int(v), -2, "floats truncate toward zero");
    v = in_memory(&int_t, &some_int);
    cr_assert_eq(as_double(v), 31337.0);
    v = in_memory(&char_ptr_t, &the_req.user);
    uint64_t address;
    cr_assert_eq(value_as_uint(&frame, &v, &address, err, sizeof err), 0);
    cr_assert_eq(address, (uintptr_t)the_req.user);
}

Test(value, classification)
{
    value v = in_memory(&color_t, &the_req.color);
    cr_assert(value_is_integer(&v) && !value_is_float(&v) && !value_is_pointer(&v));
    v = in_memory(&my_int_t, &some_int);
    cr_assert(value_is_integer(&v));
    v = in_memory(&dbl_t, &the_req.ratio);
    cr_assert(value_is_float(&v) && !value_is_integer(&v));
    v = in_memory(&req_ptr_t, &the_req.next);
    cr_assert(value_is_pointer(&v) && !value_is_integer(&v));
    v = in_memory(&int4_t, &the_req.counts);
    cr_assert(!value_is_pointer(&v) && !value_is_integer(&v), "arrays decay only in expressions");
}

Test(value, unreadable_and_unconvertible)
{
    value v = in_memory(&int_t, (const void *)0x10);
    expect_int_error(&v, "cannot read memory at 0x10");
    char buf[4];
    cr_assert_eq(value_read(&frame, &v, buf, sizeof buf, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot read memory at 0x10");

    v = in_memory(&point_t, &the_req.where);
    expect_int_error(&v, "cannot use a value of type 'struct point' as a number");

    value computed;
    value_from_int(&int_t, 1, &computed);
    uint8_t big[VALUE_INLINE_BYTES + 1];
    cr_assert_eq(value_read(&frame, &computed, big, sizeof big, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot read past the 64 bytes of a computed value");
}

Test(value, making_values)
{
    value v;
    value_from_int(&int_t, 0x100000005, &v);
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_eq(as_int(v), 5);
    value_from_int(&bool_t, 7, &v);
    cr_assert_eq(v.bytes[0], 1, "a _Bool holds 0 or 1");
    value_from_int(&char_t, 300, &v);
    cr_assert_eq(as_int(v), 44);
    value_from_int(&flt_t, 3, &v);
    cr_assert_eq(as_double(v), 3.0);
    value_from_double(&int_t, -2.9, &v);
    cr_assert_eq(as_int(v), -2);
    value_from_double(&uchar_t, 255.0, &v);
    cr_assert_eq(as_int(v), 255);
    value_from_double(&ldbl_t, 0.5, &v);
    cr_assert_eq(as_double(v), 0.5);
    value_from_double(&long_t, 0.0 / 0.0, &v);
    cr_assert_eq(as_int(v), 0, "NaN converts to 0");
    value_from_double(&long_t, 1e300, &v);
    cr_assert_eq(as_int(v), INT64_MAX, "saturates where C leaves it undefined");
}

/* ---- bitfields ---- */

Test(value, bitfields_are_extracted_and_sign_extended)
{
    value flags = member(&(value){ .type = &req_t, .where = VALUE_MEMORY,
                                   .address = (uintptr_t)&the_req }, "flags");
    cr_assert_eq(as_int(member(&flags, "mode")), 5);
    cr_assert_eq(as_int(member(&flags, "delta")), -3);
    cr_assert_eq(as_int(member(&flags, "on")), 1);
    cr_assert_eq(as_int(member(&flags, "mid")), 777);
    cr_assert_eq(as_int(member(&flags, "big")), -123456789012L);

    int delta;
    value d = member(&flags, "delta");
    cr_assert_eq(value_read(&frame, &d, &delta, sizeof delta, err, sizeof err), 0);
    cr_assert_eq(delta, -3, "value_read gives a bitfield as a whole integer");
}

Test(value, a_bitfield_spanning_nine_bytes)
{
    static struct wide_bits wide = { .low = 9, .high = 0x2aaaaaaaaaaaaaabull };
    value v = in_memory(&wide_bits_t, &wide);
    cr_assert_eq(as_int(member(&v, "low")), 9);
    cr_assert_eq((uint64_t)as_int(member(&v, "high")), 0x2aaaaaaaaaaaaaabull);

    value source;
    value_from_int(&ulong_t, 0x3fffffffffffff01, &source);
    value high = member(&v, "high");
    cr_assert_eq(value_assign(&frame, &high, &source, err, sizeof err), 0, "%s", err);
    cr_assert_eq((uint64_t)wide.high, 0x3fffffffffffff01ull);
    cr_assert_eq(wide.low, 9, "the neighbour keeps its bits");
}

Test(value, bitfields_of_a_computed_value)
{
    struct flags bits = { .mode = 6, .delta = -16, .on = 0, .mid = 1023, .big = 99 };
    uint64_t raw;
    memcpy(&raw, &bits, sizeof raw);
    uint8_t ops[] = { DW_OP_const8u, 0, 0, 0, 0, 0, 0, 0, 0, DW_OP_stack_value };
    memcpy(ops + 1, &raw, sizeof raw);
    value v = local_at("f", &flags_t, ops, sizeof ops);
    cr_assert_eq(v.where, VALUE_BYTES);
    cr_assert_eq(as_int(member(&v, "mode")), 6);
    cr_assert_eq(as_int(member(&v, "delta")), -16);
    cr_assert_eq(as_int(member(&v, "on")), 0);
    cr_assert_eq(as_int(member(&v, "mid")), 1023);
    cr_assert_eq(as_int(member(&v, "big")), 99);
}

/* ---- members, elements, pointers ---- */

Test(value, members)
{
    value r = in_memory(&req_t, &the_req);
    value where = member(&r, "where");
    cr_assert_eq(where.address, (uintptr_t)&the_req.where);
    cr_assert_eq(as_int(member(&where, "y")), -4, "nested struct");
    cr_assert_eq(as_int(member(&r, "radius")), 5, "through the anonymous union");
    value side = member(&r, "side");
    cr_assert_eq(side.address, (uintptr_t)&the_req.side);

    value m;
    cr_assert_eq(value_member(&frame, &r, "amout", &m, err, sizeof err), -1);
    cr_assert_str_eq(err, "no member 'amout' in 'struct req'");
    value typedefed = in_memory(&req_typedef_t, &the_req);
    cr_assert_eq(value_member(&frame, &typedefed, "amout", &m, err, sizeof err), -1);
    cr_assert_str_eq(err, "no member 'amout' in 'req_t'");
    cr_assert_eq(as_int(member(&typedefed, "amount")), -5);
    value n = in_memory(&int_t, &some_int);
    cr_assert_eq(value_member(&frame, &n, "x", &m, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot take member 'x' of a value of type 'int'");

    value gone = { .type = &point_t, .where = VALUE_UNAVAILABLE, .reason = "optimized out" };
    cr_assert_eq(value_member(&frame, &gone, "x", &m, err, sizeof err), 0);
    expect_unavailable(&m, "optimized out");
}

Test(value, members_by_index)
{
    value r = in_memory(&req_t, &the_req), m;
    cr_assert_eq(value_member_at(&frame, &r, 2, &m, err, sizeof err), 0);
    cr_assert_eq(m.type, &shape_t, "the anonymous union itself");
    cr_assert_eq(m.address, (uintptr_t)&the_req.radius);
    cr_assert_eq(value_member_at(&frame, &r, 14, &m, err, sizeof err), -1);
    cr_assert_str_eq(err, "no member #14 in 'struct req'");
}

Test(value, elements)
{
    value counts = in_memory(&int4_t, &the_req.counts), e;
    cr_assert_eq(value_index(&frame, &counts, 2, &e, err, sizeof err), 0);
    cr_assert_eq(as_int(e), 30);
    cr_assert_eq(value_index(&frame, &counts, 4, &e, err, sizeof err), -1);
    cr_assert_str_eq(err, "index 4 is out of bounds for 'int [4]'");
    cr_assert_eq(value_index(&frame, &counts, -1, &e, err, sizeof err), -1);
    cr_assert_str_eq(err, "index -1 is out of bounds for 'int [4]'");

    int *first = the_req.counts;
    value p = in_memory(&int_ptr_t, &first);
    cr_assert_eq(value_index(&frame, &p, 3, &e, err, sizeof err), 0);
    cr_assert_eq(as_int(e), 40);

    int *null = NULL;
    p = in_memory(&int_ptr_t, &null);
    cr_assert_eq(value_index(&frame, &p, 0, &e, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot dereference a null pointer");

    value opaque = in_memory(&void_ptr_t, &the_req.opaque);
    cr_assert_eq(value_index(&frame, &opaque, 0, &e, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot index 'void *': the size of what it points to is not known");

    value n = in_memory(&int_t, &some_int);
    cr_assert_eq(value_index(&frame, &n, 0, &e, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot index a value of type 'int'");

    value computed = LOCAL("a", &int4_t, DW_OP_implicit_value, 16, 1, 0, 0, 0, 2, 0, 0, 0,
                           3, 0, 0, 0, 4, 0, 0, 0);
    cr_assert_eq(value_index(&frame, &computed, 3, &e, err, sizeof err), 0);
    cr_assert_eq(e.where, VALUE_BYTES);
    cr_assert_eq(as_int(e), 4);
}

Test(value, dereference)
{
    value next = in_memory(&req_ptr_t, &the_req.next), target;
    cr_assert_eq(value_deref(&frame, &next, &target, err, sizeof err), 0);
    cr_assert_eq(target.address, (uintptr_t)&other_req);
    cr_assert_eq(as_int(member(&target, "id")), 2);

    value null_next = in_memory(&req_ptr_t, &other_req.next);
    cr_assert_eq(value_deref(&frame, &null_next, &target, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot dereference a null pointer");

    value opaque = in_memory(&void_ptr_t, &the_req.opaque);
    cr_assert_eq(value_deref(&frame, &opaque, &target, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot dereference 'void *'");

    value n = in_memory(&int_t, &some_int);
    cr_assert_eq(value_deref(&frame, &n, &target, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot dereference a value of type 'int'");

    value handler = in_memory(&handler_ptr_t, &the_req.handler);
    cr_assert_eq(value_deref(&frame, &handler, &target, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot dereference a function pointer");

    static const int *const bad = (const int *)0x10;
    value bad_pointer = in_memory(&int_ptr_t, &bad);
    cr_assert_eq(value_deref(&frame, &bad_pointer, &target, err, sizeof err), 0,
                 "dereferencing is lazy");
    expect_int_error(&target, "cannot read memory at 0x10");

    value counts = in_memory(&int4_t, &the_req.counts);
    cr_assert_eq(value_deref(&frame, &counts, &target, err, sizeof err), 0);
    cr_assert_eq(as_int(target), 10, "an array dereferences to its first element");

    value gone = { .type = &int_ptr_t, .where = VALUE_UNAVAILABLE };
    cr_assert_eq(value_deref(&frame, &gone, &target, err, sizeof err), -1);
    cr_assert_str_eq(err, "the value is optimized out here");
}

Test(value, address_of)
{
    value where = in_memory(&point_t, &the_req.where), pointer;
    cr_assert_eq(value_address_of(&frame, &where, &pointer, err, sizeof err), 0, "%s", err);
    char type[64];
    cr_assert_str_eq(dtype_describe(pointer.type, type, sizeof type), "struct point *");
    uint64_t address;
    cr_assert_eq(value_as_uint(&frame, &pointer, &address, err, sizeof err), 0);
    cr_assert_eq(address, (uintptr_t)&the_req.where);

    value in_register = LOCAL("n", &int_t, DW_OP_reg0);
    cr_assert_eq(value_address_of(&frame, &in_register, &pointer, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot take the address of a register");
    value computed;
    value_from_int(&int_t, 1, &computed);
    cr_assert_eq(value_address_of(&frame, &computed, &pointer, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot take the address of a computed value");
    value flags = in_memory(&flags_t, &the_req.flags);
    value mode = member(&flags, "mode");
    cr_assert_eq(value_address_of(&frame, &mode, &pointer, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot take the address of a bitfield");
    value gone = { .type = &int_t, .where = VALUE_UNAVAILABLE };
    cr_assert_eq(value_address_of(&frame, &gone, &pointer, err, sizeof err), -1);
    cr_assert_str_eq(err, "cannot take the address of a value that is optimized out");
}

/* ---- writing ---- */

static int assign_int(value target, int64_t n)
{
    value source;
    value_from_int(&long_t, n, &source);
    return value_assign(&frame, &target, &source, err, sizeof err);
}

static int assign(value target, value source)
{
    return value_assign(&frame, &target, &source, err, sizeof err);
}

Test(value, assignments_to_memory)
{
    value r = in_memory(&req_t, &the_req);
    cr_assert_eq(assign_int(member(&r, "id"), 77), 0, "%s", err);
    cr_assert_eq(the_req.id, 77);

    value flags = member(&r, "flags");
    cr_assert_eq(assign_int(member(&flags, "delta"), -2), 0, "%s", err);
    cr_assert_eq(the_req.flags.delta, -2);
    cr_assert_eq(the_req.flags.mode, 5, "neighbouring bitfields keep their values");
    cr_assert_eq(the_req.flags.on, 1);
    cr_assert_eq(the_req.flags.mid, 777);
    cr_assert_eq(the_req.flags.big, -123456789012L);

    cr_assert_eq(assign_int(member(&r, "side"), 3), 0, "%s", err);
    cr_assert_eq(the_req.side, 3.0f, "an integer assigned to a float converts");
    value ratio_source;
    value_from_double(&dbl_t, 2.5, &ratio_source);
    cr_assert_eq(assign(member(&r, "ratio"), ratio_source), 0, "%s", err);
    cr_assert_eq(the_req.ratio, 2.5);
    cr_assert_eq(assign(member(&r, "small"), ratio_source), 0, "%s", err);
    cr_assert_eq(the_req.small, 2, "a double assigned to an integer truncates");
    cr_assert_eq(assign_int(member(&r, "next"), 0), 0, "%s", err);
    cr_assert_null(the_req.next);
    cr_assert_eq(assign_int(member(&r, "color"), GREEN), 0, "%s", err);
    cr_assert_eq(the_req.color, GREEN);
}

Test(value, assignments_that_fail)
{
    value r = in_memory(&req_t, &the_req);
    cr_assert_eq(assign_int(member(&r, "where"), 1), -1);
    cr_assert_str_eq(err, "cannot set a value of type 'struct point'");

    value gone = { .type = &int_t, .where = VALUE_UNAVAILABLE };
    cr_assert_eq(assign_int(gone, 1), -1);
    cr_assert_str_eq(err, "cannot set a value that is optimized out");

    value computed;
    value_from_int(&int_t, 1, &computed);
    cr_assert_eq(assign_int(computed, 1), -1);
    cr_assert_str_eq(err, "cannot set a computed value");

    value in_register = LOCAL("n", &int_t, DW_OP_reg3);
    cr_assert_eq(assign_int(in_register, 1), -1);
    cr_assert_str_eq(err, "cannot set a register of a caller's frame");
    frame.set_register = stopper_set_register;
    cr_assert_eq(assign_int(in_register, 1), -1, "thread 4242 is not parked");
    cr_assert_str_eq(err, "cannot set register rbx of thread 4242");

    static const char read_only[] = "constant";
    value c = in_memory(&char_t, read_only);
    char expected[ERR_LEN];
    snprintf(expected, sizeof expected, "cannot write memory at 0x%" PRIxPTR, (uintptr_t)read_only);
    cr_assert_eq(assign_int(c, 'x'), -1);
    cr_assert_str_eq(err, expected);

    value source = in_memory(&point_t, &the_req.where);
    cr_assert_eq(assign(member(&r, "id"), source), -1);
    cr_assert_str_eq(err, "cannot use a value of type 'struct point' as a number");
}
