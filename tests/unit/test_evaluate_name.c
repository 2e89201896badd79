/* Unit tests for server/evaluate_name: canonical forms of simple access expressions, and which
 * expressions name the same captured variable. */
#include <criterion/criterion.h>
#include <string.h>

#include "evaluate_name.h"

Test(evaluate_name, canonical_forms)
{
    static const struct { const char *in, *out; } cases[] = {
        { "count", "count" },
        { " count ", "count" },
        { "$rax", "$rax" },
        { "*o", "(*o)" },
        { "o->amount", "(*o).amount" },
        { "(*o).amount", "(*o).amount" },
        { "o -> amount", "(*o).amount" },
        { "((*o).items)[0]", "(*o).items[0]" },
        { "o->items[ 0 ]", "(*o).items[0]" },
        { "*((*o).customer)", "(*(*o).customer)" },
        { "*o->customer", "(*(*o).customer)" },
        { "o->customer->name", "(*(*o).customer).name" },
        { "**pp", "(*(*pp))" },
        { "*o.x", "(*o.x)" },
        { "a[1][2].b", "a[1][2].b" },
        { "a[0x10]", "a[0x10]" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128] = "?";
        cr_expect(evaluate_name_canonical(cases[i].in, out, sizeof out), "not simple: %s", cases[i].in);
        cr_expect_str_eq(out, cases[i].out, "input: %s", cases[i].in);
    }
}

Test(evaluate_name, other_expressions_are_not_simple)
{
    static const char *const cases[] = { "", "a +", "a + b", "&x", "(int)x", "a[-1]", "a[", "(a", "a)", "a.", "f(x)",
                                         "a->", "x y" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        cr_expect_not(evaluate_name_canonical(cases[i], out, sizeof out), "accepted: '%s'", cases[i]);
    }
}

/* n parentheses around x. */
static void nested(char *buf, int n)
{
    memset(buf, '(', (size_t)n);
    buf[n] = 'x';
    memset(buf + n + 1, ')', (size_t)n);
    buf[2 * n + 1] = '\0';
}

Test(evaluate_name, deep_or_long_expressions_are_refused_safely)
{
    char text[2100], out[64];
    nested(text, 60);
    cr_expect(evaluate_name_canonical(text, out, sizeof out));
    cr_expect_str_eq(out, "x");
    nested(text, 1000);
    cr_expect_not(evaluate_name_canonical(text, out, sizeof out));
    char small[8];
    cr_expect_not(evaluate_name_canonical("o->amount", small, sizeof small));
}

Test(evaluate_name, matching)
{
    cr_expect(evaluate_names_match("o->amount", "(*o).amount"));
    cr_expect(evaluate_names_match("((*o).items)[1]", "o->items[1]"));
    cr_expect_not(evaluate_names_match("o->amount", "o->id"));
    cr_expect_not(evaluate_names_match("o->items[1]", "o->items[2]"));
    cr_expect(evaluate_names_match("a + b", "a+b"), "not simple: compared but for white space");
    cr_expect_not(evaluate_names_match("a + b", "a-b"));
}
