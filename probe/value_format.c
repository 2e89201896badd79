/* How values look in the IDE (see value_format.h): one-line text per kind of type, like lldb-dap
 * and gdb print them, and the children a value expands into. Agent thread only. */
#include "value_format.h"

#include <inttypes.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "safe_mem.h"

#define SHORT_ARRAY_MAX 8   /* arrays of scalars up to this many elements are shown inline */
#define ERR_LEN 160

/* ---- bounded text ---- */

typedef struct text {
    char *buf;
    size_t len;
    size_t used;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->used + 1 >= t->len)
        return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(t->buf + t->used, t->len - t->used, fmt, args);
    va_end(args);
    if (n > 0)
        t->used = (size_t)n < t->len - t->used ? t->used + (size_t)n : t->len - 1;
}

static void put_error(text *t, const char *message)
{
    put(t, "<error: %s>", message);
}

/* ---- characters and strings ---- */

static bool is_char_type(const dtype *t)
{
    return t && t->kind == DT_BASE && t->size == 1 &&
           (t->encoding == DT_ENC_SIGNED_CHAR || t->encoding == DT_ENC_UNSIGNED_CHAR);
}

/* Length of the valid UTF-8 multi-byte sequence at s (at most n bytes), or 0. */
static size_t utf8_sequence_length(const unsigned char *s, size_t n)
{
    size_t len = s[0] >= 0xc2 && s[0] <= 0xdf ? 2
               : s[0] >= 0xe0 && s[0] <= 0xef ? 3
               : s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    for (size_t i = 1; i < len; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    bool overlong = (s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xf0 && s[1] < 0x90);
    bool surrogate_or_too_big = (s[0] == 0xed && s[1] >= 0xa0) || (s[0] == 0xf4 && s[1] >= 0x90);
    return overlong || surrogate_or_too_big ? 0 : len;
}

/* One byte as it appears between quotes: C escapes, \xNN for other unprintable bytes. */
static void put_escaped_byte(text *t, unsigned char c, char quote)
{
    static const char escapes[] = "\a\b\f\n\r\t\v\\";
    static const char letters[] = "abfnrtv\\";
    const char *e = c ? strchr(escapes, c) : NULL;
    if (c == 0)
        put(t, "\\0");
    else if (e)
        put(t, "\\%c", letters[e - escapes]);
    else if (c == (unsigned char)quote)
        put(t, "\\%c", quote);
    else if (c >= 0x20 && c < 0x7f)
        put(t, "%c", c);
    else
        put(t, "\\x%02x", c);
}

/* chars[0..n) as a quoted string, up to the first NUL and at most VALUE_STRING_LIMIT chars;
 * "..." follows when text was left out (`more`: bytes exist past n). UTF-8 text stays as is. */
static void put_string(text *t, const unsigned char *chars, size_t n, bool more)
{
    const unsigned char *nul = memchr(chars, 0, n);
    size_t len = nul ? (size_t)(nul - chars) : n;
    bool cut = !nul && more;
    if (len > VALUE_STRING_LIMIT) {
        len = VALUE_STRING_LIMIT;
        cut = true;
    }
    put(t, "\"");
    for (size_t i = 0; i < len;) {
        size_t seq = chars[i] >= 0x80 ? utf8_sequence_length(chars + i, len - i) : 0;
        if (seq) {
            put(t, "%.*s", (int)seq, (const char *)chars + i);
            i += seq;
        } else {
            put_escaped_byte(t, chars[i++], '"');
        }
    }
    put(t, "%s", cut ? "\"..." : "\"");
}

/* The string at address: up to VALUE_STRING_LIMIT + 1 bytes, stopping at unreadable memory. */
static void put_string_at(text *t, uint64_t address)
{
    unsigned char chars[VALUE_STRING_LIMIT + 1];
    size_t got = safe_mem_read_upto((uintptr_t)address, chars, sizeof chars);
    if (got == 0) {
        put(t, "<error: cannot read memory at 0x%" PRIx64 ">", address);
        return;
    }
    put_string(t, chars, got, true);
}

/* ---- scalars ---- */

static bool is_signed(const dtype *t)
{
    return t->encoding == DT_ENC_SIGNED || t->encoding == DT_ENC_SIGNED_CHAR;
}

static void put_char(text *t, const value_frame *f, const value *v)
{
    char err[ERR_LEN];
    int64_t code;
    if (value_as_int(f, v, &code, err, sizeof err) != 0) {
        put_error(t, err);
        return;
    }
    put(t, "%" PRId64 " '", code);
    put_escaped_byte(t, (unsigned char)code, '\'');
    put(t, "'");
}

static void put_integer(text *t, const value_frame *f, const value *v, const dtype *st)
{
    char err[ERR_LEN];
    int64_t s;
    uint64_t u;
    if (is_signed(st) ? value_as_int(f, v, &s, err, sizeof err) != 0
                      : value_as_uint(f, v, &u, err, sizeof err) != 0)
        put_error(t, err);
    else if (is_signed(st))
        put(t, "%" PRId64, s);
    else
        put(t, "%" PRIu64, u);
}

static void put_bool(text *t, const value_frame *f, const value *v)
{
    char err[ERR_LEN];
    uint64_t u;
    if (value_as_uint(f, v, &u, err, sizeof err) != 0)
        put_error(t, err);
    else if (u <= 1)
        put(t, "%s", u ? "true" : "false");
    else
        put(t, "%" PRIu64, u); /* not a valid bool: show the truth */
}

/* The shortest %g text that reads back as the same float or double, in the "C" locale whatever
 * the program set (a decimal comma would change what the IDE shows). */
static void put_float(text *t, const value_frame *f, const value *v, const dtype *st)
{
    static locale_t c_locale;
    char err[ERR_LEN];
    double d;
    if (value_as_double(f, v, &d, err, sizeof err) != 0) {
        put_error(t, err);
        return;
    }
    if (!c_locale)
        c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    locale_t previous = c_locale ? uselocale(c_locale) : (locale_t)0;
    int max_digits = st->size == sizeof(float) ? 9 : 17;
    char digits[64];
    for (int precision = 1; precision <= max_digits; precision++) {
        snprintf(digits, sizeof digits, "%.*g", precision, d);
        double back = strtod(digits, NULL);
        if (st->size == sizeof(float) ? (float)back == (float)d : back == d)
            break;
    }
    if (previous)
        uselocale(previous);
    put(t, "%s", digits);
}

static void put_enum(text *t, const value_frame *f, const value *v, const dtype *st)
{
    char err[ERR_LEN];
    int64_t s = 0;
    uint64_t u = 0;
    bool is_unsigned = st->encoding == DT_ENC_UNSIGNED;
    if (is_unsigned ? value_as_uint(f, v, &u, err, sizeof err) != 0
                    : value_as_int(f, v, &s, err, sizeof err) != 0) {
        put_error(t, err);
        return;
    }
    for (size_t i = 0; i < st->n_enumerators; i++) {
        const denumerator *e = &st->enumerators[i];
        if (is_unsigned ? (uint64_t)e->value == u : e->value == s) {
            put(t, "%s", e->name);
            return;
        }
    }
    if (is_unsigned)
        put(t, "%" PRIu64, u);
    else
        put(t, "%" PRId64, s);
}

static void put_base(text *t, const value_frame *f, const value *v, const dtype *st)
{
    if (is_char_type(st))
        put_char(t, f, v);
    else if (st->encoding == DT_ENC_BOOL)
        put_bool(t, f, v);
    else if (st->encoding == DT_ENC_FLOAT)
        put_float(t, f, v, st);
    else if (st->encoding == DT_ENC_OTHER)
        put(t, "<error: cannot show a value of type '%s'>", st->name ? st->name : "?");
    else
        put_integer(t, f, v, st);
}

/* "0x401136 <compute_fee>", "<compute_fee+4>" inside a function, the bare address elsewhere. */
static void put_code_address(text *t, const value_frame *f, uint64_t address)
{
    sym_info info;
    put(t, "0x%" PRIx64, address);
    if (address == 0 || !sym_lookup(f->symbols, (uintptr_t)address, false, &info) || !info.function)
        return;
    if (info.function_start && address != info.function_start)
        put(t, " <%s+%" PRIu64 ">", info.function, address - info.function_start);
    else
        put(t, " <%s>", info.function);
}

static void put_pointer(text *t, const value_frame *f, const value *v, const dtype *st)
{
    char err[ERR_LEN];
    uint64_t address;
    if (value_as_uint(f, v, &address, err, sizeof err) != 0) {
        put_error(t, err);
        return;
    }
    const dtype *target = dtype_strip(st->target);
    if (target && target->kind == DT_FUNCTION) {
        put_code_address(t, f, address);
    } else if (is_char_type(target) && address != 0) {
        put(t, "0x%" PRIx64 " ", address);
        put_string_at(t, address);
    } else {
        put(t, "0x%" PRIx64, address);
    }
}

/* ---- aggregates ---- */

static void format_into(text *t, const value_frame *f, const value *v);

static void put_char_array(text *t, const value_frame *f, const value *v, const dtype *st)
{
    if (v->where == VALUE_MEMORY && !st->count_known) {
        put_string_at(t, v->address); /* a flexible array member: the text that follows */
        return;
    }
    unsigned char chars[VALUE_STRING_LIMIT + 1];
    size_t want = st->count < sizeof chars ? (size_t)st->count : sizeof chars;
    size_t got;
    if (v->where == VALUE_MEMORY) {
        got = safe_mem_read_upto((uintptr_t)v->address, chars, want);
    } else {
        char err[ERR_LEN];
        want = want < VALUE_INLINE_BYTES ? want : VALUE_INLINE_BYTES;
        if (value_read(f, v, chars, want, err, sizeof err) != 0) {
            put_error(t, err);
            return;
        }
        got = want;
    }
    if (got == 0 && want > 0)
        put(t, "<error: cannot read memory at 0x%" PRIx64 ">", v->address);
    else
        put_string(t, chars, got, got < st->count);
}

static bool is_scalar(const dtype *t)
{
    return t && (t->kind == DT_BASE || t->kind == DT_ENUM || t->kind == DT_POINTER);
}

/* {1, 2, 3} */
static void put_short_array(text *t, const value_frame *f, const value *v, const dtype *st)
{
    put(t, "{");
    for (uint64_t i = 0; i < st->count; i++) {
        value element;
        char err[ERR_LEN];
        put(t, "%s", i ? ", " : "");
        if (value_index(f, v, (int64_t)i, &element, err, sizeof err) != 0)
            put_error(t, err);
        else
            format_into(t, f, &element);
    }
    put(t, "}");
}

static void put_array(text *t, const value_frame *f, const value *v, const dtype *st)
{
    const dtype *element = dtype_strip(st->target);
    if (is_char_type(element))
        put_char_array(t, f, v, st);
    else if (!st->count_known)
        put(t, "[]");
    else if (st->count <= SHORT_ARRAY_MAX && is_scalar(element))
        put_short_array(t, f, v, st);
    else
        put(t, "[%" PRIu64 "]", st->count);
}

static void format_into(text *t, const value_frame *f, const value *v)
{
    if (v->where == VALUE_UNAVAILABLE) {
        put(t, "<optimized out>");
        return;
    }
    const dtype *st = dtype_strip(v->type);
    switch (st ? st->kind : DT_VOID) {
    case DT_BASE: put_base(t, f, v, st); break;
    case DT_ENUM: put_enum(t, f, v, st); break;
    case DT_POINTER: put_pointer(t, f, v, st); break;
    case DT_STRUCT:
    case DT_UNION: put(t, "{...}"); break;
    case DT_ARRAY: put_array(t, f, v, st); break;
    case DT_FUNCTION:
        if (v->where == VALUE_MEMORY)
            put_code_address(t, f, v->address);
        else
            put_error(t, "a function that is not in memory");
        break;
    case DT_VOID:
    case DT_TYPEDEF: /* dtype_strip leaves no typedef, const or volatile */
    case DT_CONST:
    case DT_VOLATILE: put(t, "void"); break;
    }
}

const char *value_format(const value_frame *f, const value *v, char *out, size_t len)
{
    text t = { out, len, 0 };
    if (len == 0)
        return out;
    out[0] = '\0';
    format_into(&t, f, v);
    return out;
}

/* ---- children ---- */

/* A pointer expands to its pointee unless that is nothing to look at (void, code) or text that
 * the pointer's own value already shows (char *). */
static bool pointee_is_expandable(const dtype *target)
{
    const dtype *st = dtype_strip(target);
    return st && st->kind != DT_VOID && st->kind != DT_FUNCTION && !is_char_type(st);
}

void value_child_counts(const value_frame *f, const value *v, size_t *named, size_t *indexed)
{
    *named = *indexed = 0;
    const dtype *st = dtype_strip(v->type);
    if (v->where == VALUE_UNAVAILABLE || !st)
        return;
    char err[ERR_LEN];
    uint64_t address;
    switch (st->kind) {
    case DT_STRUCT:
    case DT_UNION: *named = st->n_members; break;
    case DT_ARRAY: *indexed = st->count_known ? (size_t)st->count : 0; break;
    case DT_POINTER:
        if (pointee_is_expandable(st->target) &&
            value_as_uint(f, v, &address, err, sizeof err) == 0 && address != 0)
            *named = 1;
        break;
    default: break;
    }
}

static const char *anonymous_member_name(const dmember *m)
{
    const dtype *st = dtype_strip(m->type);
    return st && st->kind == DT_STRUCT ? "<anonymous struct>" : "<anonymous union>";
}

int value_child(const value_frame *f, const value *v, const char *parent_name, size_t i,
                char *name, size_t name_len, value *child, char *err, size_t err_len)
{
    size_t named, indexed;
    value_child_counts(f, v, &named, &indexed);
    if (i >= named + indexed) {
        snprintf(err, err_len, "'%s' has no child %zu (it has %zu)", parent_name, i,
                 named + indexed);
        return -1;
    }
    const dtype *st = dtype_strip(v->type);
    switch (st->kind) {
    case DT_STRUCT:
    case DT_UNION: {
        const dmember *m = &st->members[i];
        snprintf(name, name_len, "%s", m->name ? m->name : anonymous_member_name(m));
        return value_member_at(f, v, i, child, err, err_len);
    }
    case DT_ARRAY:
        snprintf(name, name_len, "[%zu]", i);
        return value_index(f, v, (int64_t)i, child, err, err_len);
    default: /* a pointer: its only child is the pointee */
        snprintf(name, name_len, "*%s", parent_name);
        return value_deref(f, v, child, err, err_len);
    }
}
