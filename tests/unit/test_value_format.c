/* Tests of probe/value_format: the text of every kind of value and the children values expand
 * into, over handmade types and real objects in this test process's memory. */
#include <criterion/criterion.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "value_format.h"

#define TEXT_LEN 2048
#define UNREADABLE_ADDRESS 0x10

/* ---- handmade types ---- */

static const dtype int_t = { .kind = DT_BASE, .name = "int", .size = 4, .encoding = DT_ENC_SIGNED };
static const dtype uint_t = { .kind = DT_BASE, .name = "unsigned int", .size = 4,
                              .encoding = DT_ENC_UNSIGNED };
static const dtype long_t = { .kind = DT_BASE, .name = "long", .size = 8, .encoding = DT_ENC_SIGNED };
static const dtype char_t = { .kind = DT_BASE, .name = "char", .size = 1,
                              .encoding = DT_ENC_SIGNED_CHAR };
static const dtype uchar_t = { .kind = DT_BASE, .name = "unsigned char", .size = 1,
                               .encoding = DT_ENC_UNSIGNED_CHAR };
static const dtype bool_t = { .kind = DT_BASE, .name = "_Bool", .size = 1, .encoding = DT_ENC_BOOL };
static const dtype float_t = { .kind = DT_BASE, .name = "float", .size = 4, .encoding = DT_ENC_FLOAT };
static const dtype double_t = { .kind = DT_BASE, .name = "double", .size = 8,
                                .encoding = DT_ENC_FLOAT };
static const dtype my_int_t = { .kind = DT_TYPEDEF, .name = "my_int", .size = 4, .target = &int_t };
static const dtype const_my_int_t = { .kind = DT_CONST, .target = &my_int_t };
static const dtype const_char_t = { .kind = DT_CONST, .target = &char_t };

static const dtype char_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &const_char_t };
static const dtype int_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &int_t };
static const dtype void_ptr_t = { .kind = DT_POINTER, .size = 8, .target = NULL };

static const dtype *const fee_params[] = { &int_t };
static const dtype fee_fn_t = { .kind = DT_FUNCTION, .target = &int_t, .params = fee_params,
                                .n_params = 1 };
static const dtype fee_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &fee_fn_t };

static const denumerator color_values[] = { { "RED", 0 }, { "GREEN", 1 }, { "BLUE", 4 } };
static const dtype color_t = { .kind = DT_ENUM, .name = "color", .size = 4,
                               .encoding = DT_ENC_UNSIGNED, .enumerators = color_values,
                               .n_enumerators = 3 };
static const denumerator sign_values[] = { { "NEGATIVE", -1 }, { "ZERO", 0 } };
static const dtype sign_t = { .kind = DT_ENUM, .name = "sign", .size = 4, .encoding = DT_ENC_SIGNED,
                              .enumerators = sign_values, .n_enumerators = 2 };

struct point { int x; int y; };
static const dmember point_members[] = {
    { .name = "x", .type = &int_t, .offset = 0 },
    { .name = "y", .type = &int_t, .offset = 4 },
};
static const dtype point_t = { .kind = DT_STRUCT, .name = "point", .size = sizeof(struct point),
                               .members = point_members, .n_members = 2 };
static const dtype point_ptr_t = { .kind = DT_POINTER, .size = 8, .target = &point_t };

struct shape {
    int kind;
    union { int radius; float side; };
};
static const dmember shape_union_members[] = {
    { .name = "radius", .type = &int_t, .offset = 0 },
    { .name = "side", .type = &float_t, .offset = 0 },
};
static const dtype shape_union_t = { .kind = DT_UNION, .size = 4, .members = shape_union_members,
                                     .n_members = 2 };
static const dmember shape_members[] = {
    { .name = "kind", .type = &int_t, .offset = 0 },
    { .name = NULL, .type = &shape_union_t, .offset = 4 },
};
static const dtype shape_t = { .kind = DT_STRUCT, .name = "shape", .size = sizeof(struct shape),
                               .members = shape_members, .n_members = 2 };

/* Bitfields as gcc lays them out on x86-64: from the least significant bit of byte 0. */
struct flags { unsigned mode : 3; int delta : 5; unsigned on : 1; };
static const dmember flags_members[] = {
    { .name = "mode", .type = &uint_t, .offset = 0, .bit_size = 3, .bit_offset = 0 },
    { .name = "delta", .type = &int_t, .offset = 0, .bit_size = 5, .bit_offset = 3 },
    { .name = "on", .type = &uint_t, .offset = 0, .bit_size = 1, .bit_offset = 8 },
};
static const dtype flags_t = { .kind = DT_STRUCT, .name = "flags", .size = sizeof(struct flags),
                               .members = flags_members, .n_members = 3 };

static const dtype int3_t = { .kind = DT_ARRAY, .size = 12, .target = &int_t, .count = 3,
                              .count_known = true };
static const dtype int100_t = { .kind = DT_ARRAY, .size = 400, .target = &int_t, .count = 100,
                                .count_known = true };
static const dtype point2_t = { .kind = DT_ARRAY, .size = 16, .target = &point_t, .count = 2,
                                .count_known = true };
static const dtype char8_t = { .kind = DT_ARRAY, .size = 8, .target = &char_t, .count = 8,
                               .count_known = true };
static const dtype char4_t = { .kind = DT_ARRAY, .size = 4, .target = &char_t, .count = 4,
                               .count_known = true };
static const dtype char300_t = { .kind = DT_ARRAY, .size = 300, .target = &char_t, .count = 300,
                                 .count_known = true };
static const dtype color2_t = { .kind = DT_ARRAY, .size = 8, .target = &color_t, .count = 2,
                                .count_known = true };

/* ---- the frame values are read in ---- */

static sym_index *symbols;
static frame_regs no_registers;
static value_frame frame;

static void open_frame(void)
{
    symbols = sym_index_create();
    cr_assert_not_null(symbols);
    frame = (value_frame){ .symbols = symbols, .regs = &no_registers };
}

static void close_frame(void)
{
    sym_index_destroy(symbols);
}

TestSuite(value_format, .init = open_frame, .fini = close_frame);

static value in_memory(const dtype *type, const void *object)
{
    return (value){ .type = type, .where = VALUE_MEMORY, .address = (uintptr_t)object };
}

static const char *shown(const value *v)
{
    static char text[TEXT_LEN];
    return value_format(&frame, v, text, sizeof text);
}

static void expect_shown(const dtype *type, const void *object, const char *expected)
{
    value v = in_memory(type, object);
    cr_expect_str_eq(shown(&v), expected);
}

/* ---- objects the tests show ---- */

__attribute__((noinline)) int value_format_test_fee(int amount)
{
    return amount / 10 + 1;
}

struct text_case {
    const dtype *type;
    const void *object;
    const char *expected;
};

Test(value_format, scalars_in_memory)
{
    static const int forty_two = 42, minus_seven = -7;
    static const unsigned big = 4000000000u;
    static const long most_negative = INT64_MIN;
    static const char a = 'a', newline = '\n', nul = 0, quote = '\'';
    static const unsigned char high = 200;
    static const unsigned char yes = 1, no = 0, neither = 2;
    static const float tenth_f = 0.1f;
    static const double three_and_half = 3.5, third = 1.0 / 3.0, huge = 1e100, tenth = 0.1;
    static const unsigned green = 1, blue = 4, seven = 7;
    static const int negative = -1, unnamed = -5;
    static const struct text_case cases[] = {
        { &int_t, &forty_two, "42" },
        { &int_t, &minus_seven, "-7" },
        { &uint_t, &big, "4000000000" },
        { &long_t, &most_negative, "-9223372036854775808" },
        { &const_my_int_t, &forty_two, "42" },
        { &char_t, &a, "97 'a'" },
        { &char_t, &newline, "10 '\\n'" },
        { &char_t, &nul, "0 '\\0'" },
        { &char_t, &quote, "39 '\\''" },
        { &uchar_t, &high, "200 '\\xc8'" },
        { &bool_t, &yes, "true" },
        { &bool_t, &no, "false" },
        { &bool_t, &neither, "2" },
        { &float_t, &tenth_f, "0.1" },
        { &double_t, &three_and_half, "3.5" },
        { &double_t, &tenth, "0.1" },
        { &double_t, &third, "0.3333333333333333" },
        { &double_t, &huge, "1e+100" },
        { &color_t, &green, "GREEN" },
        { &color_t, &blue, "BLUE" },
        { &color_t, &seven, "7" },
        { &sign_t, &negative, "NEGATIVE" },
        { &sign_t, &unnamed, "-5" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_shown(cases[i].type, cases[i].object, cases[i].expected);
}

Test(value_format, aggregates_and_arrays)
{
    static const struct point origin = { 0, 0 };
    static const struct shape circle = { .kind = 1, .radius = 5 };
    static const int three[3] = { 1, -2, 3 };
    static const int hundred[100] = { 0 };
    static const struct point points[2] = { { 1, 2 }, { 3, 4 } };
    static const unsigned colors[2] = { 0, 4 };
    static const struct text_case cases[] = {
        { &point_t, &origin, "{...}" },
        { &shape_t, &circle, "{...}" },
        { &shape_union_t, &circle.radius, "{...}" },
        { &int3_t, three, "{1, -2, 3}" },
        { &int100_t, hundred, "[100]" },
        { &point2_t, points, "[2]" },
        { &color2_t, colors, "{RED, BLUE}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_shown(cases[i].type, cases[i].object, cases[i].expected);
}

Test(value_format, char_arrays_stop_at_nul_or_show_the_whole_array)
{
    static const char name[8] = "hi";
    static const char full[4] = { 'a', 'b', 'c', 'd' };
    static const char escaped[8] = "a\"b\\\t\x01";
    static char long_text[300];
    memset(long_text, 'y', sizeof long_text);
    expect_shown(&char8_t, name, "\"hi\"");
    expect_shown(&char4_t, full, "\"abcd\"");
    expect_shown(&char8_t, escaped, "\"a\\\"b\\\\\\t\\x01\"");

    char expected[sizeof long_text + 8];
    snprintf(expected, sizeof expected, "\"%.*s\"...", VALUE_STRING_LIMIT, long_text);
    expect_shown(&char300_t, long_text, expected);
    long_text[VALUE_STRING_LIMIT] = '\0'; /* exactly the limit: nothing left out */
    snprintf(expected, sizeof expected, "\"%s\"", long_text);
    expect_shown(&char300_t, long_text, expected);
}

Test(value_format, pointers_and_strings)
{
    static const int target = 9;
    static const char *const alice = "alice";
    static const char *const utf8 = "h\xc3\xa9llo \xff!";
    static const char *const nothing = NULL;
    static const char *const unreadable = (const char *)UNREADABLE_ADDRESS;
    static const int *const int_pointer = &target;
    static const int *const null_int = NULL;
    static const void *const opaque = &target;
    static char long_string[400];
    static const char *const long_pointer = long_string;
    memset(long_string, 'z', sizeof long_string - 1);
    char expected[TEXT_LEN];

    snprintf(expected, sizeof expected, "%p \"alice\"", (const void *)alice);
    expect_shown(&char_ptr_t, &alice, expected);
    snprintf(expected, sizeof expected, "%p \"h\xc3\xa9llo \\xff!\"", (const void *)utf8);
    expect_shown(&char_ptr_t, &utf8, expected);
    expect_shown(&char_ptr_t, &nothing, "0x0");
    expect_shown(&char_ptr_t, &unreadable, "0x10 <error: cannot read memory at 0x10>");
    snprintf(expected, sizeof expected, "%p \"%.*s\"...", (const void *)long_string,
             VALUE_STRING_LIMIT, long_string);
    expect_shown(&char_ptr_t, &long_pointer, expected);

    snprintf(expected, sizeof expected, "%p", (const void *)&target);
    expect_shown(&int_ptr_t, &int_pointer, expected);
    expect_shown(&void_ptr_t, &opaque, expected);
    expect_shown(&int_ptr_t, &null_int, "0x0");
}

Test(value_format, function_pointers_name_their_symbol)
{
    int (*const fee)(int) = value_format_test_fee;
    int (*const none)(int) = NULL;
    char expected[TEXT_LEN];
    snprintf(expected, sizeof expected, "%p <value_format_test_fee>", (void *)(uintptr_t)fee);
    expect_shown(&fee_ptr_t, &fee, expected);
    expect_shown(&fee_ptr_t, &none, "0x0");

    uintptr_t inside = (uintptr_t)fee + 4;
    snprintf(expected, sizeof expected, "0x%" PRIxPTR " <value_format_test_fee+4>", inside);
    expect_shown(&fee_ptr_t, &inside, expected);
}

Test(value_format, unavailable_and_unreadable_values)
{
    value gone = { .type = &int_t, .where = VALUE_UNAVAILABLE, .reason = "optimized out" };
    cr_expect_str_eq(shown(&gone), "<optimized out>");
    expect_shown(&int_t, (const void *)UNREADABLE_ADDRESS, "<error: cannot read memory at 0x10>");
    expect_shown(&char8_t, (const void *)UNREADABLE_ADDRESS, "<error: cannot read memory at 0x10>");
    expect_shown(&point_t, (const void *)UNREADABLE_ADDRESS, "{...}");
}

Test(value_format, computed_values)
{
    value v;
    value_from_int(&int_t, -12, &v);
    cr_expect_str_eq(shown(&v), "-12");
    value_from_double(&double_t, 2.25, &v);
    cr_expect_str_eq(shown(&v), "2.25");
    value_from_int(&color_t, 4, &v);
    cr_expect_str_eq(shown(&v), "BLUE");
    value computed_text = { .type = &char8_t, .where = VALUE_BYTES };
    memcpy(computed_text.bytes, "ok\0", 3);
    cr_expect_str_eq(shown(&computed_text), "\"ok\"");
}

Test(value_format, output_is_cut_to_the_buffer)
{
    static const int three[3] = { 100, 200, 300 };
    value v = in_memory(&int3_t, three);
    char small[6];
    cr_expect_str_eq(value_format(&frame, &v, small, sizeof small), "{100,");
}

/* ---- children ---- */

static void expect_counts(const value *v, size_t named, size_t indexed)
{
    size_t n, i;
    value_child_counts(&frame, v, &n, &i);
    cr_expect_eq(n, named, "named: %zu, expected %zu", n, named);
    cr_expect_eq(i, indexed, "indexed: %zu, expected %zu", i, indexed);
}

/* Child i of v: checks its name and its text. */
static void expect_child(const value *v, const char *parent, size_t i, const char *name,
                         const char *text)
{
    char child_name[128], err[160] = "";
    value child;
    cr_assert_eq(value_child(&frame, v, parent, i, child_name, sizeof child_name, &child, err,
                             sizeof err), 0, "child %zu of %s: %s", i, parent, err);
    cr_expect_str_eq(child_name, name);
    cr_expect_str_eq(shown(&child), text);
}

Test(value_format, struct_members_are_named_children)
{
    static const struct point p = { 3, -4 };
    value v = in_memory(&point_t, &p);
    expect_counts(&v, 2, 0);
    expect_child(&v, "p", 0, "x", "3");
    expect_child(&v, "p", 1, "y", "-4");

    char err[160] = "";
    char name[64];
    value child;
    cr_expect_eq(value_child(&frame, &v, "p", 2, name, sizeof name, &child, err, sizeof err), -1);
    cr_expect_str_eq(err, "'p' has no child 2 (it has 2)");
}

Test(value_format, anonymous_union_member_and_its_members)
{
    static const struct shape s = { .kind = 2, .radius = 7 };
    value v = in_memory(&shape_t, &s);
    expect_counts(&v, 2, 0);
    expect_child(&v, "s", 0, "kind", "2");
    expect_child(&v, "s", 1, "<anonymous union>", "{...}");

    char name[64], err[160];
    value inner;
    cr_assert_eq(value_child(&frame, &v, "s", 1, name, sizeof name, &inner, err, sizeof err), 0);
    expect_counts(&inner, 2, 0);
    expect_child(&inner, name, 0, "radius", "7");
}

Test(value_format, bitfields_show_their_value)
{
    static const struct flags f = { .mode = 5, .delta = -3, .on = 1 };
    value v = in_memory(&flags_t, &f);
    expect_counts(&v, 3, 0);
    expect_child(&v, "f", 0, "mode", "5");
    expect_child(&v, "f", 1, "delta", "-3");
    expect_child(&v, "f", 2, "on", "1");
}

Test(value_format, array_elements_are_indexed_children)
{
    static int hundred[100];
    for (int i = 0; i < 100; i++)
        hundred[i] = i * i;
    value v = in_memory(&int100_t, hundred);
    expect_counts(&v, 0, 100);
    expect_child(&v, "squares", 0, "[0]", "0");
    expect_child(&v, "squares", 99, "[99]", "9801");

    static const struct point points[2] = { { 1, 2 }, { 3, 4 } };
    value pv = in_memory(&point2_t, points);
    expect_counts(&pv, 0, 2);
    expect_child(&pv, "points", 1, "[1]", "{...}");
}

Test(value_format, a_pointer_to_data_has_its_pointee_as_child)
{
    static const struct point target = { 5, 6 };
    static const struct point *const p = &target;
    value v = in_memory(&point_ptr_t, &p);
    expect_counts(&v, 1, 0);
    expect_child(&v, "p", 0, "*p", "{...}");

    static const int nine = 9;
    static const int *const q = &nine;
    value qv = in_memory(&int_ptr_t, &q);
    expect_counts(&qv, 1, 0);
    expect_child(&qv, "q", 0, "*q", "9");
}

Test(value_format, values_without_children)
{
    static const int x = 1;
    static const int *const null_int = NULL;
    static const void *const opaque = &x;
    static const char *const text = "t";
    static int (*const fee)(int) = NULL;
    int (*const real_fee)(int) = value_format_test_fee;
    value cases[] = {
        in_memory(&int_t, &x),
        in_memory(&int_ptr_t, &null_int),
        in_memory(&void_ptr_t, &opaque),
        in_memory(&char_ptr_t, &text),
        in_memory(&fee_ptr_t, &fee),
        in_memory(&fee_ptr_t, &real_fee),
        { .type = &point_t, .where = VALUE_UNAVAILABLE },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_counts(&cases[i], 0, 0);
}

Test(value_format, a_pointer_to_unreadable_memory_expands_to_an_error)
{
    static const struct point *const bad = (const struct point *)UNREADABLE_ADDRESS;
    value v = in_memory(&point_ptr_t, &bad);
    expect_counts(&v, 1, 0);
    char name[64], err[160];
    value pointee;
    cr_assert_eq(value_child(&frame, &v, "bad", 0, name, sizeof name, &pointee, err, sizeof err), 0);
    expect_child(&pointee, name, 0, "x", "<error: cannot read memory at 0x10>");
}
