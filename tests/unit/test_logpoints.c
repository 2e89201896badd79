/* Unit tests of logpoints.c: logMessage templates, the record ring (wrap, full), the rate limit,
 * and the formatting of captured records with handmade types (never reading live memory). */
#include <criterion/criterion.h>
#include <string.h>

#include "logpoints.h"

/* ---- templates ---- */

Test(logpoint_template, splits_literals_and_expressions)
{
    logpoint_template t;
    char err[200];
    cr_assert_eq(logpoint_template_parse("order {o->id} by { o->user }!", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_exprs, 2);
    cr_expect_str_eq(t.literals[0], "order ");
    cr_expect_str_eq(t.exprs[0], "o->id");
    cr_expect_str_eq(t.literals[1], " by ");
    cr_expect_str_eq(t.exprs[1], "o->user");
    cr_expect_str_eq(t.literals[2], "!");
    logpoint_template_free(&t);
}

Test(logpoint_template, doubled_braces_are_literal)
{
    logpoint_template t;
    char err[200];
    cr_assert_eq(logpoint_template_parse("{{x}} = {{{x}}}", &t, err, sizeof err), 0, "%s", err);
    cr_assert_eq(t.n_exprs, 1);
    cr_expect_str_eq(t.literals[0], "{x} = {");
    cr_expect_str_eq(t.exprs[0], "x");
    cr_expect_str_eq(t.literals[1], "}");
    logpoint_template_free(&t);
}

Test(logpoint_template, text_without_expressions)
{
    logpoint_template t;
    char err[200];
    cr_assert_eq(logpoint_template_parse("", &t, err, sizeof err), 0, "%s", err);
    cr_expect_eq(t.n_exprs, 0);
    cr_expect_str_eq(t.literals[0], "");
    logpoint_template_free(&t);
}

Test(logpoint_template, refuses_bad_braces_with_the_column)
{
    static const struct { const char *text, *message; } cases[] = {
        { "order {o->id", "logMessage: '{' at column 7 is not closed" },
        { "a } b", "logMessage: '}' at column 3 must be written '}}'" },
        { "x {  } y", "logMessage: '{' at column 3 has no expression" },
        { "{a}{b}{c}{d}{e}{f}{g}{h}{i}", "logMessage: '{' at column 25 is one {expression} too many (at most 8)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        logpoint_template t;
        char err[200] = "";
        cr_expect_eq(logpoint_template_parse(cases[i].text, &t, err, sizeof err), -1, "%s", cases[i].text);
        cr_expect_str_eq(err, cases[i].message);
        cr_expect_null(t.literals);
    }
}

/* ---- the ring ---- */

static logpoint_record numbered(int64_t id)
{
    logpoint_record r;
    memset(&r, 0, sizeof r);
    r.bp_id = id;
    return r;
}

Test(logpoint_ring, keeps_order_refuses_when_full_and_wraps)
{
    logpoint_record r = numbered(0), out;
    cr_expect_not(logpoint_ring_take(&out), "empty at first");
    int64_t next_in = 1, next_out = 1;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < LOGPOINT_RING_SIZE; i++) {
            r = numbered(next_in++);
            cr_assert(logpoint_ring_push(&r), "room for %zu", i);
        }
        r = numbered(-1);
        cr_expect_not(logpoint_ring_push(&r), "full");
        /* take half, refill it, then drain: order holds across the wrap */
        for (size_t i = 0; i < LOGPOINT_RING_SIZE / 2; i++) {
            cr_assert(logpoint_ring_take(&out));
            cr_assert_eq(out.bp_id, next_out++);
        }
        for (size_t i = 0; i < LOGPOINT_RING_SIZE / 2; i++) {
            r = numbered(next_in++);
            cr_assert(logpoint_ring_push(&r));
        }
        cr_expect_not(logpoint_ring_push(&r), "full again");
        while (logpoint_ring_take(&out))
            cr_assert_eq(out.bp_id, next_out++);
        cr_expect_eq(next_out, next_in);
    }
}

/* ---- formatting ---- */

static const dtype int_type = { .kind = DT_BASE, .name = "int", .size = 4, .encoding = DT_ENC_SIGNED };
static const dtype uint_type = { .kind = DT_BASE, .name = "unsigned int", .size = 4, .encoding = DT_ENC_UNSIGNED };
static const dtype char_type = { .kind = DT_BASE, .name = "char", .size = 1, .encoding = DT_ENC_SIGNED_CHAR };
static const dtype bool_type = { .kind = DT_BASE, .name = "_Bool", .size = 1, .encoding = DT_ENC_BOOL };
static const dtype double_type = { .kind = DT_BASE, .name = "double", .size = 8, .encoding = DT_ENC_FLOAT };
static const dtype const_char = { .kind = DT_CONST, .target = &char_type };
static const dtype string_type = { .kind = DT_POINTER, .size = 8, .target = &const_char };
static const dtype int_pointer = { .kind = DT_POINTER, .size = 8, .target = &int_type };
static const denumerator colors[] = { { "RED", 0 }, { "GREEN", 1 }, { "BLUE", 7 } };
static const dtype color_type = { .kind = DT_ENUM, .name = "color", .size = 4, .encoding = DT_ENC_UNSIGNED,
                                  .enumerators = colors, .n_enumerators = 3 };

static logpoint_value scalar(const dtype *t, uint64_t bits)
{
    logpoint_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.bits = bits;
    return v;
}

static logpoint_value captured_string(const char *text, bool cut)
{
    logpoint_value v = scalar(&string_type, 0x1000);
    v.has_string = true;
    v.string_cut = cut;
    v.string_len = (uint16_t)strlen(text);
    memcpy(v.string, text, v.string_len);
    return v;
}

static const char *format_one(const char *message, logpoint_value v, char *out, size_t len)
{
    static logpoint_template t;
    char err[200];
    logpoint_template_free(&t);
    cr_assert_eq(logpoint_template_parse(message, &t, err, sizeof err), 0, "%s", err);
    static logpoint_record r;
    memset(&r, 0, sizeof r);
    r.template = &t;
    r.n_values = 1;
    r.values[0] = v;
    return logpoint_format(NULL, &r, out, len);
}

Test(logpoint_format, shows_each_kind_of_value)
{
    char out[600];
    double d = 2.5;
    uint64_t d_bits;
    memcpy(&d_bits, &d, sizeof d_bits);
    cr_expect_str_eq(format_one("n={x}.", scalar(&int_type, (uint64_t)-42), out, sizeof out), "n=-42.");
    cr_expect_str_eq(format_one("{x}", scalar(&uint_type, 4000000000u), out, sizeof out), "4000000000");
    cr_expect_str_eq(format_one("{x}", scalar(&char_type, 'a'), out, sizeof out), "97 'a'");
    cr_expect_str_eq(format_one("{x}", scalar(&bool_type, 1), out, sizeof out), "true");
    cr_expect_str_eq(format_one("{x}", scalar(&double_type, d_bits), out, sizeof out), "2.5");
    cr_expect_str_eq(format_one("{x}", scalar(&color_type, 7), out, sizeof out), "BLUE");
    cr_expect_str_eq(format_one("{x}", scalar(&color_type, 3), out, sizeof out), "3");
    cr_expect_str_eq(format_one("{x}", scalar(&int_pointer, 0x7ffd10), out, sizeof out), "0x7ffd10");
    cr_expect_str_eq(format_one("{x}", scalar(&string_type, 0), out, sizeof out), "0x0");
}

Test(logpoint_format, quotes_captured_strings_and_marks_cut_ones)
{
    char out[600];
    cr_expect_str_eq(format_one("by {u}", captured_string("bob", false), out, sizeof out), "by \"bob\"");
    cr_expect_str_eq(format_one("{u}", captured_string("a\"b\n", false), out, sizeof out), "\"a\\\"b\\n\"");
    cr_expect_str_eq(format_one("{u}", captured_string("", false), out, sizeof out), "\"\"");
    cr_expect_str_eq(format_one("{u}", captured_string("abc", true), out, sizeof out), "\"abc\"...");
}

Test(logpoint_format, shows_failed_values_as_errors)
{
    char out[600];
    logpoint_value v = scalar(&int_type, 0);
    v.error = "cannot dereference a null pointer";
    cr_expect_str_eq(format_one("tier {t}", v, out, sizeof out), "tier <error: cannot dereference a null pointer>");
    v.error = "cannot read memory";
    v.error_address = 0x10;
    cr_expect_str_eq(format_one("{t}", v, out, sizeof out), "<error: cannot read memory at 0x10>");
}

Test(logpoint_format, several_values_and_a_short_buffer)
{
    logpoint_template t;
    char err[200], out[600], small[8];
    cr_assert_eq(logpoint_template_parse("a={a} b={b} end", &t, err, sizeof err), 0, "%s", err);
    static logpoint_record r;
    r.template = &t;
    r.n_values = 2;
    r.values[0] = scalar(&int_type, 1);
    r.values[1] = captured_string("x", false);
    cr_expect_str_eq(logpoint_format(NULL, &r, out, sizeof out), "a=1 b=\"x\" end");
    cr_expect_str_eq(logpoint_format(NULL, &r, small, sizeof small), "a=1 b=\"");
    logpoint_template_free(&t);
}
