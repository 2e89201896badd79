/* Parses podbug's C expression language into a syntax tree (see expr.h): a tokenizer and a
 * recursive-descent parser with precedence climbing; every error names its 1-based column. */
#include "expr.h"

#include <limits.h>
#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CALL_ARGS 16

enum { TOK_END, TOK_INT, TOK_FLOAT, TOK_CHAR, TOK_STRING, TOK_IDENT, TOK_PUNCT };
enum { OP_ARROW = 512 };   /* "->", a token only */

typedef struct token {
    int kind;
    size_t pos, len;            /* the token's text */
    int op;                     /* TOK_PUNCT: a character or an OP_* code */
    int64_t int_value;          /* TOK_INT, TOK_CHAR */
    const char *literal_type;   /* TOK_INT, TOK_CHAR */
    double float_value;         /* TOK_FLOAT */
} token;

typedef struct parser {
    const char *text;
    size_t len;
    token tok;                  /* the current token */
    size_t next;                /* where the token after it starts */
    int nesting;                /* parse_unary recursion */
    bool failed;
    char *err;
    size_t err_len;
} parser;

static void fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(parser *p, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (p->err && p->err_len) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(p->err, p->err_len, fmt, args);
        va_end(args);
    }
}

static size_t column(size_t pos)
{
    return pos + 1;
}

/* ---- tokens ---- */

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_ident_char(char c)
{
    return is_ident_start(c) || is_digit(c);
}

static int hex_digit(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes one character of a quoted literal at *at (an escape sequence or a plain byte). */
static bool scan_char(parser *p, size_t *at, unsigned char *out, bool report)
{
    const char *s = p->text;
    size_t start = *at;
    if (s[*at] != '\\') {
        *out = (unsigned char)s[(*at)++];
        return true;
    }
    (*at)++;
    static const char escapes[] = "ntrabfv\\'\"?";
    static const char values[] = "\n\t\r\a\b\f\v\\'\"?";
    char c = *at < p->len ? s[*at] : '\0';
    const char *e = c ? strchr(escapes, c) : NULL;
    if (e) {
        (*at)++;
        *out = (unsigned char)values[e - escapes];
        return true;
    }
    unsigned value = 0;
    if (c >= '0' && c <= '7') {
        for (int n = 0; n < 3 && *at < p->len && s[*at] >= '0' && s[*at] <= '7'; n++)
            value = value * 8 + (unsigned)(s[(*at)++] - '0');
    } else if (c == 'x' && *at + 1 < p->len && hex_digit(s[*at + 1]) >= 0) {
        for ((*at)++; *at < p->len && hex_digit(s[*at]) >= 0 && value <= 0xff; (*at)++)
            value = value * 16 + (unsigned)hex_digit(s[*at]);
    } else {
        if (report && c)
            fail(p, "unknown escape sequence '\\%c' at column %zu", c, column(start));
        else if (report)
            fail(p, "unterminated escape sequence at column %zu", column(start));
        return false;
    }
    if (value > 0xff) {
        if (report)
            fail(p, "escape sequence out of range at column %zu", column(start));
        return false;
    }
    *out = (unsigned char)value;
    return true;
}

/* Scans a quoted literal starting at pos (the opening quote), decoding at most cap bytes into
 * buf; returns the decoded length in *n and the position after the closing quote in *end. */
static bool scan_quoted(parser *p, size_t pos, char *buf, size_t cap, size_t *n, size_t *end,
                        bool report)
{
    char quote = p->text[pos];
    size_t at = pos + 1;
    *n = 0;
    while (at < p->len && p->text[at] != quote) {
        unsigned char c;
        if (!scan_char(p, &at, &c, report))
            return false;
        if (*n < cap)
            buf[*n] = (char)c;
        (*n)++;
    }
    if (at >= p->len) {
        if (report)
            fail(p, "unterminated %s literal at column %zu",
                 quote == '"' ? "string" : "character", column(pos));
        return false;
    }
    *end = at + 1;
    return true;
}

static bool lex_char_literal(parser *p, token *t, bool report)
{
    char c;
    size_t n, end;
    if (!scan_quoted(p, t->pos, &c, 1, &n, &end, report))
        return false;
    if (n != 1) {
        if (report)
            fail(p, "%s at column %zu", n ? "character literal with more than one character"
                                          : "empty character literal", column(t->pos));
        return false;
    }
    t->kind = TOK_CHAR;
    t->len = end - t->pos;
    t->int_value = (signed char)c;
    t->literal_type = "char";
    return true;
}

static locale_t c_locale(void)
{
    static locale_t loc;
    if (!loc)
        loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return loc;
}

static bool lex_float(parser *p, token *t, bool report)
{
    const char *start = p->text + t->pos;
    char *end;
    locale_t loc = c_locale();
    t->float_value = loc ? strtod_l(start, &end, loc) : strtod(start, &end);
    size_t at = (size_t)(end - p->text);
    if (at < p->len && strchr("fFlL", p->text[at]))
        at++;
    t->kind = TOK_FLOAT;
    t->len = at - t->pos;
    if (at < p->len && is_ident_char(p->text[at])) {
        if (report)
            fail(p, "invalid suffix on floating literal at column %zu", column(t->pos));
        return false;
    }
    return true;
}

/* C's type for an integer literal: the first of the candidates (by suffix and base) that can
 * represent it. */
static const char *integer_literal_type(uint64_t v, bool decimal, int u, int l)
{
    if (u && l)
        return "unsigned long";
    if (u)
        return v <= UINT_MAX ? "unsigned int" : "unsigned long";
    if (!l && v <= INT_MAX)
        return "int";
    if (!l && !decimal && v <= UINT_MAX)
        return "unsigned int";
    return v <= INT64_MAX ? "long" : "unsigned long";
}

static bool lex_integer(parser *p, token *t, bool report)
{
    const char *s = p->text;
    size_t at = t->pos;
    unsigned base = 10;
    if (s[at] == '0' && at + 1 < p->len && (s[at + 1] == 'x' || s[at + 1] == 'X')) {
        base = 16;
        at += 2;
        if (at >= p->len || hex_digit(s[at]) < 0) {
            if (report)
                fail(p, "invalid hex literal at column %zu", column(t->pos));
            return false;
        }
    } else if (s[at] == '0') {
        base = 8;
    }
    uint64_t v = 0;
    bool overflow = false;
    for (; at < p->len && hex_digit(s[at]) >= 0 && (base == 16 || is_digit(s[at])); at++) {
        unsigned d = (unsigned)hex_digit(s[at]);
        if (d >= base) {
            if (report)
                fail(p, "invalid digit '%c' in octal literal at column %zu", s[at], column(t->pos));
            return false;
        }
        overflow |= v > (UINT64_MAX - d) / base;
        v = v * base + d;
    }
    int u = 0, l = 0;
    size_t suffix = at;
    for (; at < p->len && strchr("uUlL", s[at]); at++)
        (s[at] == 'u' || s[at] == 'U') ? u++ : l++;
    if (u > 1 || l > 2 || (at < p->len && is_ident_char(s[at]))) {
        while (at < p->len && is_ident_char(s[at]))
            at++;
        if (report)
            fail(p, "invalid suffix '%.*s' on integer literal at column %zu", (int)(at - suffix),
                 s + suffix, column(t->pos));
        return false;
    }
    if (overflow) {
        if (report)
            fail(p, "integer literal is too large at column %zu", column(t->pos));
        return false;
    }
    t->kind = TOK_INT;
    t->len = at - t->pos;
    t->int_value = (int64_t)v;
    t->literal_type = integer_literal_type(v, base == 10, u, l);
    return true;
}

static bool lex_number(parser *p, token *t, bool report)
{
    const char *s = p->text;
    size_t at = t->pos;
    bool hex = s[at] == '0' && at + 1 < p->len && (s[at + 1] == 'x' || s[at + 1] == 'X');
    while (!hex && at < p->len && is_digit(s[at]))
        at++;
    if (!hex && at < p->len && (s[at] == '.' || s[at] == 'e' || s[at] == 'E'))
        return lex_float(p, t, report);
    return lex_integer(p, t, report);
}

static bool lex_punct(parser *p, token *t, bool report)
{
    static const struct { const char text[3]; int op; } pairs[] = {
        {"->", OP_ARROW}, {"<<", OP_SHL}, {">>", OP_SHR}, {"<=", OP_LE}, {">=", OP_GE},
        {"==", OP_EQ}, {"!=", OP_NE}, {"&&", OP_AND}, {"||", OP_OR},
    };
    const char *s = p->text + t->pos;
    t->kind = TOK_PUNCT;
    if (t->pos + 1 < p->len) {
        for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
            if (s[0] == pairs[i].text[0] && s[1] == pairs[i].text[1]) {
                t->op = pairs[i].op;
                t->len = 2;
                return true;
            }
        }
    }
    if (s[0] && strchr("()[].,?:+-*/%<>&^|!~", s[0])) {
        t->op = s[0];
        t->len = 1;
        return true;
    }
    if (!report)
        return false;
    if (s[0] == '=')
        fail(p, "assignment is not supported at column %zu (use '==' to compare)",
             column(t->pos));
    else if ((unsigned char)s[0] > 0x20 && (unsigned char)s[0] < 0x7f)
        fail(p, "unexpected character '%c' at column %zu", s[0], column(t->pos));
    else
        fail(p, "unexpected character 0x%02x at column %zu", (unsigned char)s[0], column(t->pos));
    return false;
}

/* The token starting at or after pos. With report false nothing is recorded (lookahead). */
static bool lex_at(parser *p, size_t pos, token *t, bool report)
{
    while (pos < p->len && (p->text[pos] == ' ' || p->text[pos] == '\t' ||
                            p->text[pos] == '\n' || p->text[pos] == '\r'))
        pos++;
    *t = (token){.kind = TOK_END, .pos = pos};
    if (pos >= p->len)
        return true;
    char c = p->text[pos];
    if (is_ident_start(c)) {
        while (pos + t->len < p->len && is_ident_char(p->text[pos + t->len]))
            t->len++;
        t->kind = TOK_IDENT;
        return true;
    }
    if (is_digit(c) || (c == '.' && pos + 1 < p->len && is_digit(p->text[pos + 1])))
        return lex_number(p, t, report);
    if (c == '\'')
        return lex_char_literal(p, t, report);
    if (c == '"') {
        size_t n, end;
        if (!scan_quoted(p, pos, NULL, 0, &n, &end, report))
            return false;
        t->kind = TOK_STRING;
        t->len = end - pos;
        return true;
    }
    return lex_punct(p, t, report);
}

static void advance(parser *p)
{
    if (p->failed)
        return;
    if (lex_at(p, p->next, &p->tok, true))
        p->next = p->tok.pos + p->tok.len;
    else
        p->tok.kind = TOK_END;
}

static bool is_punct(const token *t, int op)
{
    return t->kind == TOK_PUNCT && t->op == op;
}

static bool token_is_word(const parser *p, const token *t, const char *word)
{
    return t->kind == TOK_IDENT && t->len == strlen(word) &&
           memcmp(p->text + t->pos, word, t->len) == 0;
}

/* "unexpected ')' at column 5" or "unexpected end of expression". */
static void unexpected(parser *p)
{
    if (p->tok.kind == TOK_END)
        fail(p, "unexpected end of expression");
    else
        fail(p, "unexpected '%.*s' at column %zu", (int)(p->tok.len < 24 ? p->tok.len : 24),
             p->text + p->tok.pos, column(p->tok.pos));
}

static bool expect(parser *p, int op)
{
    if (p->failed)
        return false;
    if (!is_punct(&p->tok, op)) {
        fail(p, "expected '%c' at column %zu", op, column(p->tok.pos));
        return false;
    }
    advance(p);
    return !p->failed;
}

/* ---- nodes ---- */

void expr_free(expr_node *e)
{
    if (!e)
        return;
    expr_free(e->cond);
    expr_free(e->lhs);
    expr_free(e->rhs);
    for (size_t i = 0; i < e->n_args; i++)
        expr_free(e->args[i]);
    free(e->args);
    free(e->string);
    free(e->name);
    free(e->type_name);
    free(e);
}

static expr_node *new_node(parser *p, expr_kind kind, size_t pos)
{
    expr_node *e = calloc(1, sizeof *e);
    if (!e)
        fail(p, "out of memory");
    else {
        e->kind = kind;
        e->position = pos;
    }
    return e;
}

static char *copy_text(parser *p, const char *s, size_t n)
{
    char *c = malloc(n + 1);
    if (!c) {
        fail(p, "out of memory");
        return NULL;
    }
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

/* The height of a node over children at most child_height high; false when too deep. */
static bool grow(parser *p, size_t pos, int child_height, int *height)
{
    if (p->failed)
        return false;
    if (child_height + 1 > EXPR_MAX_DEPTH) {
        fail(p, "expression nested too deeply at column %zu", column(pos));
        return false;
    }
    *height = child_height + 1;
    return true;
}

/* Builds a node over already parsed children (freed on failure); height is the tree height. */
static expr_node *join(parser *p, expr_kind kind, int op, size_t pos, expr_node *cond,
                       expr_node *lhs, expr_node *rhs, int *height, int child_height)
{
    expr_node *e = NULL;
    if (grow(p, pos, child_height, height))
        e = new_node(p, kind, pos);
    if (!e) {
        expr_free(cond);
        expr_free(lhs);
        expr_free(rhs);
        return NULL;
    }
    e->op = op;
    e->cond = cond;
    e->lhs = lhs;
    e->rhs = rhs;
    return e;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* ---- grammar ---- */

static expr_node *parse_expression(parser *p, int *height);
static expr_node *parse_unary(parser *p, int *height);

static expr_node *parse_string(parser *p)
{
    expr_node *e = new_node(p, EXPR_STRING, p->tok.pos);
    if (!e)
        return NULL;
    while (!p->failed && p->tok.kind == TOK_STRING) { /* adjacent literals concatenate */
        size_t n, end;
        scan_quoted(p, p->tok.pos, NULL, 0, &n, &end, false);
        char *joined = realloc(e->string, e->string_len + n + 1);
        if (!joined) {
            fail(p, "out of memory");
            break;
        }
        e->string = joined;
        scan_quoted(p, p->tok.pos, e->string + e->string_len, n, &n, &end, false);
        e->string_len += n;
        e->string[e->string_len] = '\0';
        advance(p);
    }
    if (p->failed) {
        expr_free(e);
        return NULL;
    }
    return e;
}

static expr_node *parse_call(parser *p, expr_node *call, int *height)
{
    int deepest = 0;
    advance(p); /* '(' */
    while (!p->failed && !is_punct(&p->tok, ')') && p->tok.kind != TOK_END) {
        if (call->n_args == MAX_CALL_ARGS) {
            fail(p, "too many arguments to %s at column %zu", call->name, column(p->tok.pos));
            break;
        }
        if (call->n_args && !expect(p, ','))
            break;
        if (!call->args && !(call->args = calloc(MAX_CALL_ARGS, sizeof *call->args))) {
            fail(p, "out of memory");
            break;
        }
        int h = 0;
        expr_node *arg = parse_expression(p, &h);
        if (!arg)
            break;
        call->args[call->n_args++] = arg;
        deepest = max_int(deepest, h);
    }
    if (!expect(p, ')') || !grow(p, call->position, deepest, height)) {
        expr_free(call);
        return NULL;
    }
    return call;
}

static expr_node *parse_identifier(parser *p, int *height)
{
    token name = p->tok;
    expr_node *e = new_node(p, EXPR_IDENT, name.pos);
    if (!e || !(e->name = copy_text(p, p->text + name.pos, name.len))) {
        expr_free(e);
        return NULL;
    }
    advance(p);
    *height = 1;
    if (!is_punct(&p->tok, '('))
        return e;
    if (name.len == 0 || p->text[name.pos] != '$') {
        fail(p, "cannot call '%s' at column %zu: only builtins like $streq can be called",
             e->name, column(name.pos));
        expr_free(e);
        return NULL;
    }
    e->kind = EXPR_CALL;
    return parse_call(p, e, height);
}

static expr_node *parse_literal(parser *p, int *height)
{
    expr_node *e;
    if (p->tok.kind == TOK_STRING) {
        e = parse_string(p);
    } else {
        e = new_node(p, p->tok.kind == TOK_FLOAT ? EXPR_FLOAT : EXPR_INT, p->tok.pos);
        if (e) {
            e->int_value = p->tok.int_value;
            e->literal_type = p->tok.literal_type;
            e->float_value = p->tok.float_value;
            advance(p);
        }
    }
    *height = 1;
    return e;
}

static expr_node *parse_primary(parser *p, int *height)
{
    switch (p->tok.kind) {
    case TOK_IDENT:
        return parse_identifier(p, height);
    case TOK_INT:
    case TOK_FLOAT:
    case TOK_CHAR:
    case TOK_STRING:
        return parse_literal(p, height);
    default:
        break;
    }
    if (!is_punct(&p->tok, '(')) {
        unexpected(p);
        return NULL;
    }
    advance(p);
    expr_node *e = parse_expression(p, height);
    if (e && !expect(p, ')')) {
        expr_free(e);
        return NULL;
    }
    return e;
}

/* The name after '.' or '->'. */
static char *member_name(parser *p, const char *op)
{
    if (p->tok.kind != TOK_IDENT) {
        fail(p, "expected a member name after '%s' at column %zu", op, column(p->tok.pos));
        return NULL;
    }
    char *name = copy_text(p, p->text + p->tok.pos, p->tok.len);
    advance(p);
    return name;
}

static expr_node *parse_postfix(parser *p, int *height)
{
    expr_node *e = parse_primary(p, height);
    while (e && !p->failed) {
        size_t pos = p->tok.pos;
        if (is_punct(&p->tok, '.') || is_punct(&p->tok, OP_ARROW)) {
            bool arrow = p->tok.op == OP_ARROW;
            advance(p);
            char *name = p->failed ? NULL : member_name(p, arrow ? "->" : ".");
            e = join(p, arrow ? EXPR_ARROW : EXPR_MEMBER, 0, pos, NULL, e, NULL, height, *height);
            if (e)
                e->name = name;
            else
                free(name);
        } else if (is_punct(&p->tok, '[')) {
            advance(p);
            int index_height = 0;
            expr_node *index = p->failed ? NULL : parse_expression(p, &index_height);
            if (index)
                expect(p, ']');
            e = join(p, EXPR_INDEX, 0, pos, NULL, e, index, height,
                     max_int(*height, index_height));
        } else {
            break;
        }
    }
    if (p->failed) {
        expr_free(e);
        return NULL;
    }
    return e;
}

/* ---- casts ---- */

static const char *const type_words[] = {
    "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "_Bool",
};
enum { W_VOID, W_CHAR, W_SHORT, W_INT, W_LONG, W_FLOAT, W_DOUBLE, W_SIGNED, W_UNSIGNED, W_BOOL,
       W_COUNT };

static int type_word(const parser *p, const token *t)
{
    for (int i = 0; i < W_COUNT; i++)
        if (token_is_word(p, t, type_words[i]))
            return i;
    return -1;
}

static bool is_qualifier(const parser *p, const token *t)
{
    return token_is_word(p, t, "const") || token_is_word(p, t, "volatile");
}

static bool is_tag_word(const parser *p, const token *t)
{
    return token_is_word(p, t, "struct") || token_is_word(p, t, "union") ||
           token_is_word(p, t, "enum");
}

/* With the current token '(': does a cast start here? A cast is "(type-name)": C type words
 * (unsigned, signed, int, long, short, char, _Bool, float, double, void, const, volatile),
 * "struct X", "union X", "enum X" or a typedef name, then any number of '*'. The parser has no
 * symbol table, so "(name)" alone is a cast only when what follows can only start an operand: an
 * identifier, a literal, '(', '!' or '~'. "(size_t)-1", "(T)*p" and "(T)&x" are therefore
 * subtraction, multiplication and bitwise and; "(size_t)(-1)" and "(T *)p" are casts.
 * "(name *)" and "(several words)" always are (a misspelt "(strct req *)p" is then reported as
 * an unknown type, not as a syntax error). */
static bool starts_cast(parser *p)
{
    token t;
    if (!lex_at(p, p->next, &t, false) || t.kind != TOK_IDENT)
        return false;
    if (type_word(p, &t) >= 0 || is_qualifier(p, &t) || is_tag_word(p, &t))
        return true;
    if (p->text[t.pos] == '$')
        return false;
    int words = 0, stars = 0;
    do {
        words += t.kind == TOK_IDENT;
        stars += is_punct(&t, '*');
        if (!lex_at(p, t.pos + t.len, &t, false))
            return false;
    } while ((t.kind == TOK_IDENT && !stars && p->text[t.pos] != '$') || is_punct(&t, '*'));
    if (!is_punct(&t, ')'))
        return false;
    if (stars || words > 1)
        return true;
    if (!lex_at(p, t.pos + t.len, &t, false))
        return false;
    return t.kind == TOK_IDENT || t.kind == TOK_INT || t.kind == TOK_FLOAT ||
           t.kind == TOK_CHAR || t.kind == TOK_STRING || is_punct(&t, '(') ||
           is_punct(&t, '!') || is_punct(&t, '~');
}

/* The C spelling of a combination of base type words, or NULL when it is not a type. */
static const char *base_type_name(const int n[W_COUNT])
{
    int total = 0;
    for (int i = 0; i < W_COUNT; i++)
        total += n[i];
    bool is_unsigned = n[W_UNSIGNED] > 0;
    if (n[W_SIGNED] + n[W_UNSIGNED] > 1 || n[W_INT] > 1 || n[W_LONG] > 2)
        return NULL;
    if (n[W_VOID] || n[W_BOOL] || n[W_FLOAT])
        return total != 1 ? NULL : n[W_VOID] ? "void" : n[W_BOOL] ? "_Bool" : "float";
    if (n[W_DOUBLE])
        return total == 1 ? "double" : total == 2 && n[W_LONG] == 1 ? "long double" : NULL;
    if (n[W_CHAR])
        return total != 1 + n[W_SIGNED] + n[W_UNSIGNED] ? NULL
               : n[W_SIGNED] ? "signed char" : is_unsigned ? "unsigned char" : "char";
    if (n[W_SHORT])
        return n[W_SHORT] > 1 || n[W_LONG] ? NULL : is_unsigned ? "unsigned short" : "short";
    if (n[W_LONG] == 2)
        return is_unsigned ? "unsigned long long" : "long long";
    if (n[W_LONG] == 1)
        return is_unsigned ? "unsigned long" : "long";
    return is_unsigned ? "unsigned int" : "int";
}

/* name + " " + the word (the words of a name that is no C type, kept to be reported). */
static char *append_word(parser *p, char *name, const char *word, size_t len)
{
    size_t used = name ? strlen(name) + 1 : 0;
    char *longer = realloc(name, used + len + 1);
    if (!longer) {
        free(name);
        fail(p, "out of memory");
        return NULL;
    }
    if (used)
        longer[used - 1] = ' ';
    memcpy(longer + used, word, len);
    longer[used + len] = '\0';
    return longer;
}

/* The base of a type name: "unsigned long", "struct req", "req_t". NULL after fail(). */
static char *parse_type_base(parser *p)
{
    size_t start = p->tok.pos;
    int words[W_COUNT] = {0};
    bool any_word = false;
    char *named = NULL;    /* a tag or typedef name */
    while (!p->failed && p->tok.kind == TOK_IDENT) {
        int w = type_word(p, &p->tok);
        if (is_qualifier(p, &p->tok)) {
            advance(p);
        } else if (w >= 0 && !named) {
            words[w]++;
            any_word = true;
            advance(p);
        } else if (is_tag_word(p, &p->tok) && !named && !any_word) {
            token tag = p->tok;
            advance(p);
            if (p->tok.kind != TOK_IDENT || type_word(p, &p->tok) >= 0) {
                fail(p, "expected a name after '%.*s' at column %zu", (int)tag.len,
                     p->text + tag.pos, column(p->tok.pos));
                break;
            }
            named = malloc(tag.len + 1 + p->tok.len + 1);
            if (!named) {
                fail(p, "out of memory");
                break;
            }
            sprintf(named, "%.*s %.*s", (int)tag.len, p->text + tag.pos, (int)p->tok.len,
                    p->text + p->tok.pos);
            advance(p);
        } else if (!any_word && p->text[p->tok.pos] != '$') {
            named = append_word(p, named, p->text + p->tok.pos, p->tok.len);
            advance(p);
        } else {
            break;
        }
    }
    if (p->failed) {
        free(named);
        return NULL;
    }
    if (named)
        return named;
    const char *base = any_word ? base_type_name(words) : NULL;
    if (!base) {
        fail(p, "invalid type name at column %zu", column(start));
        return NULL;
    }
    return copy_text(p, base, strlen(base));
}

/* "(type-name) operand" with the current token '('. */
static expr_node *parse_cast(parser *p, int *height)
{
    size_t pos = p->tok.pos;
    advance(p);
    char *base = parse_type_base(p);
    size_t stars = 0;
    while (base && !p->failed && (is_punct(&p->tok, '*') || is_qualifier(p, &p->tok))) {
        stars += is_punct(&p->tok, '*');
        advance(p);
    }
    char *type_name = base ? malloc(strlen(base) + 2 + stars) : NULL;
    if (base && !type_name)
        fail(p, "out of memory");
    if (type_name) {
        size_t n = (size_t)sprintf(type_name, "%s%s", base, stars ? " " : "");
        memset(type_name + n, '*', stars);
        type_name[n + stars] = '\0';
    }
    free(base);
    int operand_height = 0;
    expr_node *operand = type_name && expect(p, ')') ? parse_unary(p, &operand_height) : NULL;
    expr_node *e = operand ? join(p, EXPR_CAST, 0, pos, NULL, operand, NULL, height,
                                  operand_height) : NULL;
    if (e)
        e->type_name = type_name;
    else
        free(type_name);
    return e;
}

static expr_node *parse_unary_inner(parser *p, int *height)
{
    if (p->tok.kind == TOK_PUNCT && p->tok.op < 256 && strchr("*&-+!~", p->tok.op)) {
        size_t pos = p->tok.pos;
        int op = p->tok.op;
        advance(p);
        int operand_height = 0;
        expr_node *operand = p->failed ? NULL : parse_unary(p, &operand_height);
        return operand ? join(p, EXPR_UNARY, op, pos, NULL, operand, NULL, height, operand_height)
                       : NULL;
    }
    if (is_punct(&p->tok, '(') && starts_cast(p))
        return parse_cast(p, height);
    return parse_postfix(p, height);
}

static expr_node *parse_unary(parser *p, int *height)
{
    if (++p->nesting > EXPR_MAX_DEPTH) {
        fail(p, "expression nested too deeply at column %zu", column(p->tok.pos));
        return NULL;
    }
    expr_node *e = parse_unary_inner(p, height);
    p->nesting--;
    return e;
}

/* Binding strength of a binary operator token; 0 when it is none. */
static int precedence(const token *t)
{
    if (t->kind != TOK_PUNCT)
        return 0;
    switch (t->op) {
    case OP_OR: return 1;
    case OP_AND: return 2;
    case '|': return 3;
    case '^': return 4;
    case '&': return 5;
    case OP_EQ: case OP_NE: return 6;
    case '<': case '>': case OP_LE: case OP_GE: return 7;
    case OP_SHL: case OP_SHR: return 8;
    case '+': case '-': return 9;
    case '*': case '/': case '%': return 10;
    default: return 0;
    }
}

static expr_node *parse_binary(parser *p, int min_precedence, int *height)
{
    expr_node *lhs = parse_unary(p, height);
    int prec;
    while (lhs && !p->failed && (prec = precedence(&p->tok)) >= min_precedence) {
        size_t pos = p->tok.pos;
        int op = p->tok.op;
        advance(p);
        int rhs_height = 0;
        expr_node *rhs = p->failed ? NULL : parse_binary(p, prec + 1, &rhs_height);
        if (!rhs) {
            expr_free(lhs);
            return NULL;
        }
        lhs = join(p, EXPR_BINARY, op, pos, NULL, lhs, rhs, height, max_int(*height, rhs_height));
    }
    return lhs;
}

static expr_node *parse_expression(parser *p, int *height)
{
    expr_node *cond = parse_binary(p, 1, height);
    if (!cond || p->failed || !is_punct(&p->tok, '?'))
        return cond;
    size_t pos = p->tok.pos;
    advance(p);
    int then_height = 0, else_height = 0;
    expr_node *then = p->failed ? NULL : parse_expression(p, &then_height);
    expr_node *otherwise = then && expect(p, ':') ? parse_expression(p, &else_height) : NULL;
    if (!otherwise) {
        expr_free(cond);
        expr_free(then);
        return NULL;
    }
    return join(p, EXPR_TERNARY, '?', pos, cond, then, otherwise, height,
                max_int(*height, max_int(then_height, else_height)));
}

expr_node *expr_parse(const char *text, char *err, size_t err_len)
{
    parser p = {.text = text ? text : "", .err = err, .err_len = err_len};
    if (err && err_len)
        err[0] = '\0';
    p.len = strnlen(p.text, EXPR_MAX_LENGTH + 1);
    if (p.len > EXPR_MAX_LENGTH) {
        fail(&p, "expression is too long (more than %d characters)", EXPR_MAX_LENGTH);
        return NULL;
    }
    advance(&p);
    if (!p.failed && p.tok.kind == TOK_END) {
        fail(&p, "empty expression");
        return NULL;
    }
    int height = 0;
    expr_node *e = p.failed ? NULL : parse_expression(&p, &height);
    if (e && !p.failed && p.tok.kind != TOK_END)
        unexpected(&p);
    if (p.failed) {
        expr_free(e);
        return NULL;
    }
    return e;
}
