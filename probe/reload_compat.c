/* Comparing a running module's reload_view with its rebuild's (reload_compat.h): signatures and
 * variable types, the layout of every struct, union and enum they reach, the variables shared. */
#include "reload_compat.h"

#include "dwarf_types.h"
#include "reload_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COMPARE_DEPTH 64  /* types nested deeper than this are taken as the same */
#define DESCRIBE_MAX 512
#define MEMBER_MAX (DESCRIBE_MAX + 64)
#define TEXT_MAX 1024
#define TAG_KEY_MAX 512
#define MORE "; ..."

/* Most important first: a changed type explains the signatures and variables that use it. */
typedef enum { RANK_TYPE, RANK_FUNCTION, RANK_VARIABLE } reason_rank;

typedef struct reason {
    reason_rank rank;
    size_t order;        /* when its check began: a struct before the structs its members reach */
    char *text;
} reason;

typedef struct comparer {
    const reload_view *running, *rebuilt;
    di_vec reasons;      /* reason */
    size_t next_order;
    di_vec checked;      /* char *: keys of the structs, unions and enums already compared */
    bool out_of_memory;
} comparer;

/* A message built from "; "-separated parts, cut at TEXT_MAX. */
typedef struct text {
    char buf[TEXT_MAX];
    size_t used;
} text;

static void text_add(text *t, const char *format, ...)
{
    if (t->used && t->used < sizeof t->buf - 1)
        t->used += (size_t)snprintf(t->buf + t->used, sizeof t->buf - t->used, "; ");
    if (t->used >= sizeof t->buf - 1) {
        t->used = sizeof t->buf - 1;
        return;
    }
    va_list args;
    va_start(args, format);
    int n = vsnprintf(t->buf + t->used, sizeof t->buf - t->used, format, args);
    va_end(args);
    t->used = n < 0 ? t->used : t->used + (size_t)n;
    if (t->used > sizeof t->buf - 1)
        t->used = sizeof t->buf - 1;
}

static void add_reason(comparer *c, reason_rank rank, size_t order, const char *format, ...)
{
    char message[TEXT_MAX];
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof message, format, args);
    va_end(args);
    reason r = { rank, order, strdup(message) };
    if (!r.text || !di_vec_push(&c->reasons, &r, sizeof r)) {
        free(r.text);
        c->out_of_memory = true;
    }
}

/* True the first time key is met. */
static bool first_check(comparer *c, const char *key)
{
    char **keys = (char **)c->checked.items;
    for (size_t i = 0; i < c->checked.count; i++)
        if (strcmp(keys[i], key) == 0)
            return false;
    char *copy = strdup(key);
    if (!copy || !di_vec_push(&c->checked, &copy, sizeof copy)) {
        free(copy);
        c->out_of_memory = true;
    }
    return true;
}

/* ---- "the same type" ---- */

static bool same_name(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static const dtype *or_void(const dtype *t)
{
    return t ? t : dtype_builtin("void");
}

/* Skips const and volatile, saying which were met. */
static const dtype *unqualified(const dtype *t, unsigned *qualifiers)
{
    *qualifiers = 0;
    for (t = or_void(t); t->kind == DT_CONST || t->kind == DT_VOLATILE; t = or_void(t->target))
        *qualifiers |= 1u << t->kind;
    return t;
}

static bool same_type(comparer *c, const dtype *a, const dtype *b, const char *alias, int depth);

static void describe_member(const dmember *m, char *out, size_t len)
{
    char type[DESCRIBE_MAX];
    dtype_describe(m->type, type, sizeof type);
    if (m->bit_size)
        snprintf(out, len, "%s:%u at %llu bit %u", type, m->bit_size,
                 (unsigned long long)m->offset, m->bit_offset);
    else
        snprintf(out, len, "%s at %llu", type, (unsigned long long)m->offset);
}

static const char *member_name(const dmember *m)
{
    return m->name ? m->name : "<anonymous>";
}

/* The member of r matching member i of other: by name, an unnamed one by its rank among the
 * unnamed. NULL when r has none. */
static const dmember *matching_member(const dtype *r, const dtype *other, size_t i)
{
    const dmember *wanted = &other->members[i];
    size_t unnamed_rank = 0;
    for (size_t k = 0; k < i; k++)
        unnamed_rank += !other->members[k].name;
    for (size_t k = 0; k < r->n_members; k++) {
        const dmember *m = &r->members[k];
        if (wanted->name ? same_name(m->name, wanted->name) : !m->name && unnamed_rank-- == 0)
            return m;
    }
    return NULL;
}

static void compare_layouts(comparer *c, const dtype *a, const dtype *b, const char *display,
                            int depth)
{
    size_t order = c->next_order++;
    text changes = { 0 };
    if (a->size != b->size)
        text_add(&changes, "size %llu -> %llu", (unsigned long long)a->size,
                 (unsigned long long)b->size);
    for (size_t i = 0; i < a->n_members; i++) {
        const dmember *ma = &a->members[i], *mb = matching_member(b, a, i);
        if (!mb) {
            text_add(&changes, "member %s removed (was at %llu)", member_name(ma),
                     (unsigned long long)ma->offset);
            continue;
        }
        bool same_type_here = same_type(c, ma->type, mb->type, NULL, depth + 1);
        if (!same_type_here || ma->offset != mb->offset || ma->bit_size != mb->bit_size ||
            ma->bit_offset != mb->bit_offset) {
            char was[MEMBER_MAX], now[MEMBER_MAX];
            describe_member(ma, was, sizeof was);
            describe_member(mb, now, sizeof now);
            text_add(&changes, "member %s: %s -> %s", member_name(ma), was, now);
        }
    }
    for (size_t i = 0; i < b->n_members; i++)
        if (!matching_member(a, b, i))
            text_add(&changes, "member %s added at %llu", member_name(&b->members[i]),
                     (unsigned long long)b->members[i].offset);
    if (changes.used)
        add_reason(c, RANK_TYPE, order, "%s changed layout: %s", display, changes.buf);
}

static const denumerator *find_enumerator(const dtype *t, const char *name)
{
    for (size_t i = 0; i < t->n_enumerators; i++)
        if (same_name(t->enumerators[i].name, name))
            return &t->enumerators[i];
    return NULL;
}

static void compare_enums(comparer *c, const dtype *a, const dtype *b, const char *display)
{
    text changes = { 0 };
    if (a->size != b->size)
        text_add(&changes, "size %llu -> %llu", (unsigned long long)a->size,
                 (unsigned long long)b->size);
    for (size_t i = 0; i < a->n_enumerators; i++) {
        const denumerator *ea = &a->enumerators[i], *eb = find_enumerator(b, ea->name);
        if (!eb)
            text_add(&changes, "%s removed (was %lld)", ea->name, (long long)ea->value);
        else if (ea->value != eb->value)
            text_add(&changes, "%s = %lld -> %lld", ea->name, (long long)ea->value,
                     (long long)eb->value);
    }
    for (size_t i = 0; i < b->n_enumerators; i++)
        if (!find_enumerator(a, b->enumerators[i].name))
            text_add(&changes, "%s = %lld added", b->enumerators[i].name,
                     (long long)b->enumerators[i].value);
    if (changes.used)
        add_reason(c, RANK_TYPE, c->next_order++, "%s changed: %s", display, changes.buf);
}

/* Compares the definitions of a struct, union or enum met with the same tag on both sides, once
 * per tag (an anonymous one under a typedef: once per typedef name; otherwise once per pair). */
static void check_definitions(comparer *c, const dtype *a, const dtype *b, const char *alias,
                              int depth)
{
    char key[TAG_KEY_MAX], display[TAG_KEY_MAX];
    if (reload_tag_key(a, display, sizeof display)) {
        snprintf(key, sizeof key, "%s", display);
    } else if (alias) {
        snprintf(key, sizeof key, "typedef %s", alias);
        snprintf(display, sizeof display, "%s", alias);
    } else {
        snprintf(key, sizeof key, "%p %p", (const void *)a, (const void *)b);
        dtype_describe(a, display, sizeof display);
    }
    if (!first_check(c, key))
        return;
    a = a->declaration ? reload_view_definition(c->running, a) : a;
    b = b->declaration ? reload_view_definition(c->rebuilt, b) : b;
    if (!a || !b)
        return; /* opaque on one side: that side never sees the layout */
    if (a->kind == DT_ENUM)
        compare_enums(c, a, b, display);
    else
        compare_layouts(c, a, b, display, depth);
}

/* Function types: every part is compared (no early exit), so that each struct reached is. */
static bool same_signature(comparer *c, const dtype *a, const dtype *b, int depth)
{
    bool same = same_type(c, a->target, b->target, NULL, depth + 1) && a->n_params == b->n_params;
    for (size_t i = 0; i < a->n_params && i < b->n_params; i++)
        same &= same_type(c, a->params[i], b->params[i], NULL, depth + 1);
    return same;
}

/* "The same type": typedef names and qualifiers alike, then the same kind and name (base types
 * and their size, pointer and array targets, tags) and, for tagged types, the same definition
 * (checked once, reported on its own). alias: the typedef naming an anonymous struct. */
static bool same_type(comparer *c, const dtype *a, const dtype *b, const char *alias, int depth)
{
    if (depth > MAX_COMPARE_DEPTH)
        return true;
    for (;;) {
        unsigned qa = 0, qb = 0;
        a = unqualified(a, &qa);
        b = unqualified(b, &qb);
        if (qa != qb)
            return false;
        if (a->kind != DT_TYPEDEF && b->kind != DT_TYPEDEF)
            break;
        if (a->kind != b->kind || !same_name(a->name, b->name))
            return false;
        alias = a->name;
        a = a->target;
        b = b->target;
    }
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case DT_BASE:
        return same_name(a->name, b->name) && a->size == b->size;
    case DT_POINTER:
        return a->size == b->size && same_type(c, a->target, b->target, NULL, depth + 1);
    case DT_ARRAY:
        return a->count_known == b->count_known && a->count == b->count &&
               same_type(c, a->target, b->target, NULL, depth + 1);
    case DT_STRUCT:
    case DT_UNION:
    case DT_ENUM:
        if (!same_name(a->name, b->name))
            return false;
        check_definitions(c, a, b, alias, depth);
        return true;
    case DT_FUNCTION:
        return same_signature(c, a, b, depth);
    default:
        return true; /* void */
    }
}

/* ---- functions and variables ---- */

static void compare_functions(comparer *c)
{
    for (size_t i = 0; i < c->running->n_functions; i++) {
        const view_function *f = &c->running->functions[i];
        const view_function *g = reload_view_function(c->rebuilt, f->k.key);
        if (g && !same_type(c, f->signature, g->signature, NULL, 0)) {
            char was[DESCRIBE_MAX], now[DESCRIBE_MAX];
            add_reason(c, RANK_FUNCTION, c->next_order++, "function %s changed signature: %s -> %s",
                       f->k.key, dtype_describe(f->signature, was, sizeof was),
                       dtype_describe(g->signature, now, sizeof now));
        }
    }
}

static const char *storage(const view_variable *v)
{
    return v->thread_local ? "thread-local" : "fixed address";
}

/* Compares the variables present in both; those alike go to out->variables. */
static void compare_variables(comparer *c, reload_comparison *out)
{
    out->variables = calloc(c->running->n_variables ? c->running->n_variables : 1,
                            sizeof *out->variables);
    if (!out->variables) {
        c->out_of_memory = true;
        return;
    }
    for (size_t i = 0; i < c->running->n_variables; i++) {
        const view_variable *x = &c->running->variables[i];
        const view_variable *y = reload_view_variable(c->rebuilt, x->k.key);
        char was[DESCRIBE_MAX], now[DESCRIBE_MAX];
        if (!y)
            continue;
        if (x->thread_local != y->thread_local) {
            add_reason(c, RANK_VARIABLE, c->next_order++, "variable %s changed storage: %s -> %s",
                       x->k.key, storage(x), storage(y));
        } else if (!same_type(c, x->type, y->type, NULL, 0)) {
            add_reason(c, RANK_VARIABLE, c->next_order++, "variable %s changed type: %s -> %s",
                       x->k.key, dtype_describe(x->type, was, sizeof was),
                       dtype_describe(y->type, now, sizeof now));
        } else {
            reload_variable *v = &out->variables[out->n_variables];
            *v = (reload_variable){
                .key = strdup(x->k.key), .old_address = x->address, .new_address = y->address,
                .size = y->size, .is_static = y->is_static, .thread_local = y->thread_local,
            };
            if (!v->key)
                c->out_of_memory = true;
            else
                out->n_variables++;
        }
    }
}

/* ---- the verdict ---- */

static int by_rank(const void *a, const void *b)
{
    const reason *x = a, *y = b;
    if (x->rank != y->rank)
        return (x->rank > y->rank) - (x->rank < y->rank);
    return (x->order > y->order) - (x->order < y->order);
}

/* The reasons, most important first, "; "-separated; those that do not fit become "; ...". */
static void join_reasons(comparer *c, char *out, size_t len)
{
    reason *reasons = (reason *)c->reasons.items;
    if (c->reasons.count)
        qsort(reasons, c->reasons.count, sizeof *reasons, by_rank);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < c->reasons.count; i++) {
        const char *separator = i ? "; " : "";
        size_t need = strlen(separator) + strlen(reasons[i].text);
        size_t reserve = i + 1 < c->reasons.count ? strlen(MORE) : 0;
        if (used + need + reserve >= len) {
            if (i == 0)
                snprintf(out, len, "%s", reasons[i].text);
            else
                snprintf(out + used, len - used, "%s", MORE);
            return;
        }
        used += (size_t)snprintf(out + used, len - used, "%s%s", separator, reasons[i].text);
    }
}

static void free_comparer(comparer *c)
{
    reason *reasons = (reason *)c->reasons.items;
    for (size_t i = 0; i < c->reasons.count; i++)
        free(reasons[i].text);
    char **keys = (char **)c->checked.items;
    for (size_t i = 0; i < c->checked.count; i++)
        free(keys[i]);
    di_vec_free(&c->reasons);
    di_vec_free(&c->checked);
}

int reload_compare(const reload_view *running, const reload_view *rebuilt, reload_comparison *out)
{
    *out = (reload_comparison){ 0 };
    comparer c = { .running = running, .rebuilt = rebuilt };
    compare_functions(&c);
    compare_variables(&c, out);
    join_reasons(&c, out->reason, sizeof out->reason);
    out->compatible = c.reasons.count == 0;
    bool failed = c.out_of_memory;
    free_comparer(&c);
    if (failed) {
        reload_comparison_free(out);
        return -1;
    }
    return 0;
}

void reload_comparison_free(reload_comparison *c)
{
    for (size_t i = 0; i < c->n_variables; i++)
        free((char *)c->variables[i].key);
    free(c->variables);
    c->variables = NULL;
    c->n_variables = 0;
}
