/* Unit tests for expr_parse.c: expressions printed back fully parenthesised (so precedence,
 * associativity, casts and literal types show), and every error message with its column. */
#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "expr.h"

typedef struct out {
    char text[1024];
    size_t used;
} out;

static void put(out *o, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(o->text + o->used, sizeof o->text - o->used, fmt, args);
    va_end(args);
    if (n > 0)
        o->used += (size_t)n < sizeof o->text - o->used ? (size_t)n : sizeof o->text - o->used - 1;
}

static const char *op_name(int op)
{
    static char single[2];
    switch (op) {
    case OP_SHL: return "<<";
    case OP_SHR: return ">>";
    case OP_LE: return "<=";
    case OP_GE: return ">=";
    case OP_EQ: return "==";
    case OP_NE: return "!=";
    case OP_AND: return "&&";
    case OP_OR: return "||";
    default:
        single[0] = (char)op;
        return single;
    }
}

/* The tree in a canonical form: every operation in parentheses, literal types in <>. */
static void print(out *o, const expr_node *e)
{
    switch (e->kind) {
    case EXPR_INT:
        put(o, "%lld", (long long)e->int_value);
        if (strcmp(e->literal_type, "int") != 0)
            put(o, "<%s>", e->literal_type);
        break;
    case EXPR_FLOAT:
        put(o, "%g", e->float_value);
        break;
    case EXPR_STRING:
        put(o, "\"");
        for (size_t i = 0; i < e->string_len; i++) {
            unsigned char c = (unsigned char)e->string[i];
            put(o, c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? "%c" : "\\x%02x", c);
        }
        put(o, "\"");
        break;
    case EXPR_IDENT:
        put(o, "%s", e->name);
        break;
    case EXPR_MEMBER:
    case EXPR_ARROW:
        put(o, "(");
        print(o, e->lhs);
        put(o, "%s%s)", e->kind == EXPR_ARROW ? "->" : ".", e->name);
        break;
    case EXPR_INDEX:
        put(o, "(");
        print(o, e->lhs);
        put(o, "[");
        print(o, e->rhs);
        put(o, "])");
        break;
    case EXPR_UNARY:
        put(o, "(%s", op_name(e->op));
        print(o, e->lhs);
        put(o, ")");
        break;
    case EXPR_BINARY:
        put(o, "(");
        print(o, e->lhs);
        put(o, " %s ", op_name(e->op));
        print(o, e->rhs);
        put(o, ")");
        break;
    case EXPR_TERNARY:
        put(o, "(");
        print(o, e->cond);
        put(o, " ? ");
        print(o, e->lhs);
        put(o, " : ");
        print(o, e->rhs);
        put(o, ")");
        break;
    case EXPR_CAST:
        put(o, "((%s) ", e->type_name);
        print(o, e->lhs);
        put(o, ")");
        break;
    case EXPR_CALL:
        put(o, "%s(", e->name);
        for (size_t i = 0; i < e->n_args; i++) {
            put(o, i ? ", " : "");
            print(o, e->args[i]);
        }
        put(o, ")");
        break;
    }
}

typedef struct parse_case {
    const char *input;
    const char *expected;   /* the canonical form, or the exact error */
} parse_case;

static void check_valid(const parse_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[256] = "";
        expr_node *e = expr_parse(cases[i].input, err, sizeof err);
        cr_assert_not_null(e, "'%s' failed: %s", cases[i].input, err);
        out o = {.used = 0};
        o.text[0] = '\0';
        print(&o, e);
        cr_expect_str_eq(o.text, cases[i].expected, "'%s' parsed as %s", cases[i].input, o.text);
        expr_free(e);
    }
}

static void check_errors(const parse_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char err[256] = "";
        expr_node *e = expr_parse(cases[i].input, err, sizeof err);
        cr_assert_null(e, "'%s' should not parse", cases[i].input);
        cr_expect_str_eq(err, cases[i].expected, "'%s'", cases[i].input);
    }
}

#define CHECK(fn, cases) fn(cases, sizeof cases / sizeof cases[0])

Test(expr_parse, literals)
{
    static const parse_case cases[] = {
        {"42", "42"},
        {"0", "0"},
        {"0x1F", "31"},
        {"0XfF", "255"},
        {"017", "15"},
        {"5u", "5<unsigned int>"},
        {"5U", "5<unsigned int>"},
        {"5l", "5<long>"},
        {"5ul", "5<unsigned long>"},
        {"5LU", "5<unsigned long>"},
        {"5ll", "5<long>"},
        {"5ull", "5<unsigned long>"},
        {"2147483647", "2147483647"},
        {"2147483648", "2147483648<long>"},
        {"0x80000000", "2147483648<unsigned int>"},
        {"0x100000000", "4294967296<long>"},
        {"4294967296u", "4294967296<unsigned long>"},
        {"18446744073709551615", "-1<unsigned long>"},
        {"0xffffffffffffffff", "-1<unsigned long>"},
        {"1.5", "1.5"},
        {".25", "0.25"},
        {"2.", "2"},
        {"1e3", "1000"},
        {"2.5E-1", "0.25"},
        {"1.5f", "1.5"},
        {"'a'", "97<char>"},
        {"'\\n'", "10<char>"},
        {"'\\0'", "0<char>"},
        {"'\\''", "39<char>"},
        {"'\\\\'", "92<char>"},
        {"'\\x41'", "65<char>"},
        {"'\\101'", "65<char>"},
        {"'\\xff'", "-1<char>"},
        {"\"admin\"", "\"admin\""},
        {"\"a\\tb\\\"c\\\\\"", "\"a\\x09b\\x22c\\x5c\""},
        {"\"nul\\0in\"", "\"nul\\x00in\""},
        {"\"\"", "\"\""},
        {"\"con\" \"cat\"", "\"concat\""},
    };
    CHECK(check_valid, cases);
}

Test(expr_parse, identifiers_members_and_calls)
{
    static const parse_case cases[] = {
        {"x", "x"},
        {"_under_score9", "_under_score9"},
        {"$rip", "$rip"},
        {"  spaced\t", "spaced"},
        {"s.a", "(s.a)"},
        {"p->name", "(p->name)"},
        {"p->next->next->value", "(((p->next)->next)->value)"},
        {"a[1]", "(a[1])"},
        {"a[i + 1][2]", "((a[(i + 1)])[2])"},
        {"reqs[2].user->name[0]", "((((reqs[2]).user)->name)[0])"},
        {"$streq(p->name, \"admin\")", "$streq((p->name), \"admin\")"},
        {"$streq()", "$streq()"},
        {"$f(1, 2, 3)", "$f(1, 2, 3)"},
    };
    CHECK(check_valid, cases);
}

Test(expr_parse, precedence_and_associativity)
{
    static const parse_case cases[] = {
        {"1 + 2 * 3", "(1 + (2 * 3))"},
        {"1 * 2 + 3", "((1 * 2) + 3)"},
        {"1 - 2 - 3", "((1 - 2) - 3)"},
        {"8 / 4 / 2", "((8 / 4) / 2)"},
        {"a % b * c", "((a % b) * c)"},
        {"1 << 2 + 3", "(1 << (2 + 3))"},
        {"a >> 1 < b", "((a >> 1) < b)"},
        {"a < b == c > d", "((a < b) == (c > d))"},
        {"a <= b != c >= d", "((a <= b) != (c >= d))"},
        {"a & b == c", "(a & (b == c))"},
        {"a ^ b & c", "(a ^ (b & c))"},
        {"a | b ^ c", "(a | (b ^ c))"},
        {"a && b | c", "(a && (b | c))"},
        {"a || b && c", "(a || (b && c))"},
        {"a ? b : c ? d : e", "(a ? b : (c ? d : e))"},
        {"a || b ? c + 1 : d", "((a || b) ? (c + 1) : d)"},
        {"a ? b ? 1 : 2 : 3", "(a ? (b ? 1 : 2) : 3)"},
        {"-x * 2", "((-x) * 2)"},
        {"!a && ~b", "((!a) && (~b))"},
        {"*p + 1", "((*p) + 1)"},
        {"*p->q", "(*(p->q))"},
        {"&s.a", "(&(s.a))"},
        {"- -x", "(-(-x))"},
        {"--x", "(-(-x))"},
        {"+x", "(+x)"},
        {"(1 + 2) * 3", "((1 + 2) * 3)"},
        {"((x))", "x"},
        {"a-1", "(a - 1)"},
        {"a - -1", "(a - (-1))"},
        {"p->a[3]", "((p->a)[3])"},
        {"*a[2]", "(*(a[2]))"},
    };
    CHECK(check_valid, cases);
}

Test(expr_parse, casts_and_parenthesised_expressions)
{
    static const parse_case cases[] = {
        {"(int)x", "((int) x)"},
        {"(unsigned)x", "((unsigned int) x)"},
        {"(unsigned long)x", "((unsigned long) x)"},
        {"(long unsigned int)x", "((unsigned long) x)"},
        {"(unsigned long long)x", "((unsigned long long) x)"},
        {"(signed char)x", "((signed char) x)"},
        {"(unsigned char)x", "((unsigned char) x)"},
        {"(short)x", "((short) x)"},
        {"(unsigned short int)x", "((unsigned short) x)"},
        {"(long double)x", "((long double) x)"},
        {"(signed)x", "((int) x)"},
        {"(_Bool)x", "((_Bool) x)"},
        {"(const char *)p", "((char *) p)"},
        {"(char * const *)p", "((char **) p)"},
        {"(void *)p", "((void *) p)"},
        {"(struct req *)p", "((struct req *) p)"},
        {"(struct req **)p", "((struct req **) p)"},
        {"(union value)u", "((union value) u)"},
        {"(enum color)1", "((enum color) 1)"},
        {"(int)-1", "((int) (-1))"},
        {"(int)*p", "((int) (*p))"},
        {"(char)'a'", "((char) 97<char>)"},
        {"(long)(x + 1)", "((long) (x + 1))"},
        {"(int)(long)x", "((int) ((long) x))"},
        {"(unsigned)x + 1", "(((unsigned int) x) + 1)"},
        {"(int)p->len", "((int) (p->len))"},
        {"(int)a[2]", "((int) (a[2]))"},
        {"(req_t *)p", "((req_t *) p)"},
        {"(req_t)x", "((req_t) x)"},
        {"(req_t)0", "((req_t) 0)"},
        {"(req_t)(x)", "((req_t) x)"},
        {"(size_t)!x", "((size_t) (!x))"},
        {"(size_t)~x", "((size_t) (~x))"},
        {"(size_t)\"s\"", "((size_t) \"s\")"},
        {"(x) - 1", "(x - 1)"},
        {"(x) + 1", "(x + 1)"},
        {"(x) * 2", "(x * 2)"},
        {"(x) & 1", "(x & 1)"},
        {"(x) == 1", "(x == 1)"},
        {"(x)", "x"},
        {"(x)[1]", "(x[1])"},
        {"(p)->a", "(p->a)"},
        {"(a * b)", "(a * b)"},
        {"(strct req *)p", "((strct req *) p)"},
        {"(strct req)x", "((strct req) x)"},
        {"(req_t x)y", "((req_t x) y)"},
    };
    CHECK(check_valid, cases);
}

Test(expr_parse, errors_name_the_column)
{
    static const parse_case cases[] = {
        {"", "empty expression"},
        {"   ", "empty expression"},
        {"1 +", "unexpected end of expression"},
        {"(1 + 2", "expected ')' at column 7"},
        {"a[1", "expected ']' at column 4"},
        {"1 + )", "unexpected ')' at column 5"},
        {"1 2", "unexpected '2' at column 3"},
        {"a b", "unexpected 'b' at column 3"},
        {"x = 1", "assignment is not supported at column 3 (use '==' to compare)"},
        {"a @ b", "unexpected character '@' at column 3"},
        {"a \x01", "unexpected character 0x01 at column 3"},
        {"s.", "expected a member name after '.' at column 3"},
        {"p->1", "expected a member name after '->' at column 4"},
        {"a ? b", "expected ':' at column 6"},
        {"a ? b :", "unexpected end of expression"},
        {"foo(1)", "cannot call 'foo' at column 1: only builtins like $streq can be called"},
        {"$f(1 2)", "expected ',' at column 6"},
        {"$f(1,)", "unexpected ')' at column 6"},
        {"$f(1", "expected ')' at column 5"},
        {"0x", "invalid hex literal at column 1"},
        {"0xg", "invalid hex literal at column 1"},
        {"089", "invalid digit '8' in octal literal at column 1"},
        {"12abc", "invalid suffix 'abc' on integer literal at column 1"},
        {"1uu", "invalid suffix 'uu' on integer literal at column 1"},
        {"1lll", "invalid suffix 'lll' on integer literal at column 1"},
        {"18446744073709551616", "integer literal is too large at column 1"},
        {"1 + 1.5x", "invalid suffix on floating literal at column 5"},
        {"1e", "invalid suffix on floating literal at column 1"},
        {"'ab'", "character literal with more than one character at column 1"},
        {"''", "empty character literal at column 1"},
        {"'a", "unterminated character literal at column 1"},
        {"x == \"abc", "unterminated string literal at column 6"},
        {"\"a\\qb\"", "unknown escape sequence '\\q' at column 3"},
        {"'\\x100'", "escape sequence out of range at column 2"},
        {"\"abc\\", "unterminated escape sequence at column 5"},
        {"(unsigned double)x", "invalid type name at column 2"},
        {"(long long long)x", "invalid type name at column 2"},
        {"(short long)x", "invalid type name at column 2"},
        {"(signed unsigned)x", "invalid type name at column 2"},
        {"(char char)x", "invalid type name at column 2"},
        {"(const)x", "invalid type name at column 2"},
        {"(struct)x", "expected a name after 'struct' at column 8"},
        {"(struct int)x", "expected a name after 'struct' at column 9"},
        {"(int x)y", "expected ')' at column 6"},
        {"(int)", "unexpected end of expression"},
        {"(int *", "expected ')' at column 7"},
        {"a * / b", "unexpected '/' at column 5"},
        {"($rax)(1)", "unexpected '(' at column 7"},
        {"$f(", "expected ')' at column 4"},
    };
    CHECK(check_errors, cases);
}

/* Builds a string of n copies of unit between prefix and suffix. */
static char *repeat(const char *prefix, const char *unit, size_t n, const char *suffix)
{
    size_t len = strlen(prefix) + strlen(unit) * n + strlen(suffix) + 1;
    char *s = malloc(len);
    cr_assert_not_null(s);
    strcpy(s, prefix);
    for (size_t i = 0; i < n; i++)
        strcat(s, unit);
    strcat(s, suffix);
    return s;
}

Test(expr_parse, limits)
{
    char err[256];
    char *nested_ok = repeat("", "(", 60, "1");
    char *closed = repeat(nested_ok, ")", 60, "");
    expr_node *e = expr_parse(closed, err, sizeof err);
    cr_assert_not_null(e, "60 parentheses are fine: %s", err);
    expr_free(e);

    char *too_deep = repeat("", "-", 70, "x");
    cr_assert_null(expr_parse(too_deep, err, sizeof err));
    cr_assert_str_eq(err, "expression nested too deeply at column 65");

    char *long_chain = repeat("x", " + x", 70, "");
    cr_assert_null(expr_parse(long_chain, err, sizeof err), "a 71-term chain is 71 levels deep");
    cr_assert(strncmp(err, "expression nested too deeply at column ", 39) == 0, "%s", err);

    char *long_text = repeat("", " ", EXPR_MAX_LENGTH, "1");
    cr_assert_null(expr_parse(long_text, err, sizeof err));
    cr_assert_str_eq(err, "expression is too long (more than 4096 characters)");
    long_text[EXPR_MAX_LENGTH - 1] = '\0';
    e = expr_parse(long_text + EXPR_MAX_LENGTH - 2, err, sizeof err);
    cr_assert_null(e, "only blanks");

    char *many_args = repeat("$f(0", ", 0", 16, ")");
    cr_assert_null(expr_parse(many_args, err, sizeof err));
    cr_assert_str_eq(err, "too many arguments to $f at column 50");

    free(nested_ok);
    free(closed);
    free(too_deep);
    free(long_chain);
    free(long_text);
    free(many_args);
}

Test(expr_parse, positions_point_into_the_text)
{
    char err[256];
    expr_node *e = expr_parse("count + p->len", err, sizeof err);
    cr_assert_not_null(e, "%s", err);
    cr_assert_eq(e->position, 6, "the operator");
    cr_assert_eq(e->lhs->position, 0);
    cr_assert_eq(e->rhs->kind, EXPR_ARROW);
    cr_assert_eq(e->rhs->position, 9);
    cr_assert_eq(e->rhs->lhs->position, 8);
    expr_free(e);
}

Test(expr_parse, error_buffer_may_be_small_or_absent)
{
    char err[8];
    cr_assert_null(expr_parse("1 +", err, sizeof err));
    cr_assert_str_eq(err, "unexpec");
    cr_assert_null(expr_parse("1 +", NULL, 0));
    cr_assert_null(expr_parse(NULL, err, sizeof err));
    cr_assert_str_eq(err, "empty e");
}
