/* Canonical forms of simple C access expressions (see evaluate_name.h): a small recursive-descent
 * reader that writes the canonical text as it goes. */
#include "evaluate_name.h"

#include <ctype.h>
#include <string.h>

/* Parentheses and dereferences may nest this deep (the reader recurses). */
#define MAX_NESTING 64

typedef struct reader {
    const char *p;
    char *out;
    size_t len, n;
    int depth;
    bool ok;
} reader;

static void skip_space(reader *r)
{
    while (isspace((unsigned char)*r->p))
        r->p++;
}

static bool accept(reader *r, const char *token)
{
    skip_space(r);
    size_t n = strlen(token);
    if (strncmp(r->p, token, n) != 0)
        return false;
    r->p += n;
    return true;
}

static void emit(reader *r, const char *text, size_t n)
{
    if (r->n + n >= r->len) {
        r->ok = false;
        return;
    }
    memcpy(r->out + r->n, text, n);
    r->n += n;
    r->out[r->n] = '\0';
}

/* Copies a run of characters accepted by `is` (at least one). */
static void word(reader *r, int (*is)(int))
{
    skip_space(r);
    const char *start = r->p;
    while (*r->p && is((unsigned char)*r->p))
        r->p++;
    if (r->p == start)
        r->ok = false;
    else
        emit(r, start, (size_t)(r->p - start));
}

static int is_identifier_char(int c)
{
    return isalnum(c) || c == '_' || c == '$';
}

/* Wraps what was written since `start` as a dereference: "(*" ... ")". */
static void wrap_deref(reader *r, size_t start)
{
    if (r->n + 3 >= r->len) {
        r->ok = false;
        return;
    }
    memmove(r->out + start + 2, r->out + start, r->n - start);
    memcpy(r->out + start, "(*", 2);
    r->n += 2;
    emit(r, ")", 1);
}

static void unary(reader *r);

static void postfix(reader *r)
{
    size_t start = r->n;
    if (accept(r, "(")) {
        unary(r);
        if (!accept(r, ")"))
            r->ok = false;
    } else {
        word(r, is_identifier_char);
    }
    while (r->ok) {
        if (accept(r, "->")) {
            wrap_deref(r, start);
            emit(r, ".", 1);
            word(r, is_identifier_char);
        } else if (accept(r, ".")) {
            emit(r, ".", 1);
            word(r, is_identifier_char);
        } else if (accept(r, "[")) {
            emit(r, "[", 1);
            word(r, isalnum);
            emit(r, "]", 1);
            if (!accept(r, "]"))
                r->ok = false;
        } else {
            return;
        }
    }
}

static void unary(reader *r)
{
    if (++r->depth > MAX_NESTING) {
        r->ok = false;
        return;
    }
    if (accept(r, "*")) {
        size_t start = r->n;
        unary(r);
        if (r->ok)
            wrap_deref(r, start);
    } else {
        postfix(r);
    }
    r->depth--;
}

bool evaluate_name_canonical(const char *expression, char *out, size_t len)
{
    reader r = { expression, out, len, 0, 0, len > 0 };
    if (r.ok)
        out[0] = '\0';
    unary(&r);
    skip_space(&r);
    return r.ok && *r.p == '\0';
}

static bool same_but_space(const char *a, const char *b)
{
    for (;;) {
        while (isspace((unsigned char)*a))
            a++;
        while (isspace((unsigned char)*b))
            b++;
        if (*a != *b)
            return false;
        if (!*a)
            return true;
        a++;
        b++;
    }
}

bool evaluate_names_match(const char *a, const char *b)
{
    char canonical_a[512], canonical_b[512];
    if (evaluate_name_canonical(a, canonical_a, sizeof canonical_a) &&
        evaluate_name_canonical(b, canonical_b, sizeof canonical_b))
        return strcmp(canonical_a, canonical_b) == 0;
    return same_but_space(a, b);
}
