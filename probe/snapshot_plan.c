/* Snapshot plans (see snapshot_plan.h): a breadth-first walk of the types of the variables
 * visible at a breakpoint, naming every pointer it meets as a C expression compiled there. */
#include "snapshot_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "debuginfo.h"
#include "signal_interpose.h"
#include "value_support.h"

#define EXPRESSION_LEN 256

struct snapshot_plan {
    snapshot_limits limits;
    size_t n;
    snapshot_pointee pointees[SNAPSHOT_PLAN_MAX_POINTEES];
    char *expressions[SNAPSHOT_PLAN_MAX_POINTEES];
    size_t scope_levels[SNAPSHOT_PLAN_MAX_POINTEES]; /* where the expression's names resolve */
};

/* An object whose members are looked into for pointers: a variable (no hops), or what a
 * planned pointer points to (text is then "*pointer"). */
typedef struct walk_item {
    char *text;
    const dtype *type;
    uint32_t hops;
    size_t scope_level;
} walk_item;

typedef struct planner {
    snapshot_plan *plan;
    sym_index *symbols;
    uintptr_t pc;
    walk_item *queue;       /* FIFO: objects one hop away are walked before those two away */
    size_t head, tail, capacity;
    bool out_of_memory;
} planner;

static bool plan_full(const planner *p)
{
    return p->out_of_memory || p->plan->n == SNAPSHOT_PLAN_MAX_POINTEES;
}

static bool enqueue(planner *p, const char *text, const dtype *type, uint32_t hops, size_t level)
{
    if (p->tail == p->capacity) {
        size_t capacity = p->capacity ? 2 * p->capacity : 64;
        walk_item *queue = realloc(p->queue, capacity * sizeof *queue);
        if (!queue)
            return false;
        p->queue = queue;
        p->capacity = capacity;
    }
    char *copy = strdup(text);
    if (!copy)
        return false;
    p->queue[p->tail++] = (walk_item){ copy, type, hops, level };
    return true;
}

static bool already_planned(const snapshot_plan *plan, const char *text, size_t level)
{
    for (size_t i = 0; i < plan->n; i++)
        if (plan->scope_levels[i] == level && strcmp(plan->expressions[i], text) == 0)
            return true;
    return false;
}

/* Bytes to copy for a pointer to target: a string's most for char, else the type's size
 * (arrays whole), at most a quarter of the budget; 0 when there is nothing to copy. */
static uint32_t pointee_size(const dtype *target, uint32_t max_bytes, bool *is_string)
{
    *is_string = type_is_char(target);
    uint64_t size = *is_string ? SNAPSHOT_STRING_MAX : type_size(target);
    uint64_t cap = max_bytes / 4;
    return (uint32_t)(size < cap ? size : cap);
}

/* Plans the pointer that text (of pointer type pointer_type, hops away from its variable)
 * holds, and queues its pointee to be looked into when the depth allows. */
static void plan_pointer(planner *p, const char *text, const dtype *pointer_type, uint32_t hops,
                         size_t level)
{
    const dtype *target = type_strip(pointer_type->target);
    snapshot_plan *plan = p->plan;
    if (plan_full(p) || hops + 1 > plan->limits.max_depth || !target ||
        target->kind == DT_FUNCTION || target->declaration || already_planned(plan, text, level))
        return;
    bool is_string;
    uint32_t size = pointee_size(target, plan->limits.max_bytes, &is_string);
    if (size == 0)
        return;
    char err[128];
    cond_program *program = cond_compile_value_in_scope(p->symbols, p->pc, level, text, err,
                                                        sizeof err);
    if (!program)
        return; /* optimized out here, or not expressible: nothing to copy */
    char *copy = strdup(text);
    if (!copy) {
        cond_free(program);
        p->out_of_memory = true;
        return;
    }
    plan->pointees[plan->n] = (snapshot_pointee){ program, size, is_string };
    plan->expressions[plan->n] = copy;
    plan->scope_levels[plan->n] = level;
    plan->n++;
    char pointee[EXPRESSION_LEN];
    if (hops + 2 <= plan->limits.max_depth &&
        (size_t)snprintf(pointee, sizeof pointee, "*%s", text) < sizeof pointee &&
        !enqueue(p, pointee, target, hops + 1, level))
        p->out_of_memory = true;
}

/* The expression of member `name` of the object text ("s.m", "p->m" for "*p", "(*q)->m" for
 * "**q"); false when too long. */
static bool member_text(const char *text, const char *name, char *out, size_t len)
{
    int n;
    if (text[0] == '*')
        n = snprintf(out, len, text[1] == '*' ? "(%s)->%s" : "%s->%s", text + 1, name);
    else
        n = snprintf(out, len, "%s.%s", text, name);
    return n >= 0 && (size_t)n < len;
}

/* The expression of element i of the array text ("a[1]", "(*p)[1]"); false when too long. */
static bool element_text(const char *text, size_t i, char *out, size_t len)
{
    int n = snprintf(out, len, text[0] == '*' ? "(%s)[%zu]" : "%s[%zu]", text, i);
    return n >= 0 && (size_t)n < len;
}

/* Looks into the object text of type `type` for pointers: itself, its members, the first
 * elements of its arrays. */
static void walk_object(planner *p, const char *text, const dtype *type, uint32_t hops,
                        size_t level)
{
    const dtype *t = type_strip(type);
    char inner[EXPRESSION_LEN];
    if (!t || plan_full(p))
        return;
    if (t->kind == DT_POINTER) {
        plan_pointer(p, text, t, hops, level);
    } else if (t->kind == DT_STRUCT || t->kind == DT_UNION) {
        for (size_t i = 0; i < t->n_members && !plan_full(p); i++) {
            const dmember *m = &t->members[i];
            if (m->bit_size)
                continue;
            if (!m->name) /* an anonymous struct or union: its members are the parent's */
                walk_object(p, text, m->type, hops, level);
            else if (member_text(text, m->name, inner, sizeof inner))
                walk_object(p, inner, m->type, hops, level);
        }
    } else if (t->kind == DT_ARRAY && t->count_known) {
        uint64_t count = t->count < SNAPSHOT_PLAN_ARRAY_ELEMENTS ? t->count
                                                                 : SNAPSHOT_PLAN_ARRAY_ELEMENTS;
        for (uint64_t i = 0; i < count && !plan_full(p); i++)
            if (element_text(text, (size_t)i, inner, sizeof inner))
                walk_object(p, inner, t->target, hops, level);
    }
}

static void walk_variables(planner *p, const dvar *vars, size_t n, size_t level)
{
    for (size_t i = 0; i < n && !plan_full(p); i++)
        if (vars[i].name)
            walk_object(p, vars[i].name, vars[i].type, 0, level);
}

snapshot_plan *snapshot_plan_stack_only(const snapshot_limits *limits)
{
    snapshot_plan *plan = calloc(1, sizeof *plan);
    if (plan)
        plan->limits = *limits;
    return plan;
}

snapshot_plan *snapshot_plan_compile(sym_index *symbols, uintptr_t pc,
                                     const snapshot_limits *limits, char *err, size_t err_len)
{
    planner p = { .symbols = symbols, .pc = pc, .plan = calloc(1, sizeof(snapshot_plan)) };
    if (!p.plan) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    p.plan->limits = *limits;
    dscope_chain chain;
    char reason[256];
    if (debuginfo_scope_at(symbols, pc, false, &chain, reason, sizeof reason)) {
        for (size_t level = 0; level < chain.n_scopes; level++) {
            walk_variables(&p, chain.scopes[level].params, chain.scopes[level].n_params, level);
            walk_variables(&p, chain.scopes[level].locals, chain.scopes[level].n_locals, level);
        }
        for (; p.head < p.tail; p.head++) {
            walk_item *item = &p.queue[p.head];
            walk_object(&p, item->text, item->type, item->hops, item->scope_level);
        }
    }
    for (size_t i = 0; i < p.tail; i++)
        free(p.queue[i].text);
    free(p.queue);
    if (p.out_of_memory) {
        snapshot_plan_free(p.plan);
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    return p.plan;
}

void snapshot_plan_free(snapshot_plan *plan)
{
    if (!plan)
        return;
    for (size_t i = 0; i < plan->n; i++) {
        cond_free(plan->pointees[i].pointer);
        free(plan->expressions[i]);
    }
    free(plan);
}

PODBUG_HANDLER_TEXT const snapshot_limits *snapshot_plan_limits(const snapshot_plan *plan)
{
    return &plan->limits;
}

PODBUG_HANDLER_TEXT size_t snapshot_plan_pointees(const snapshot_plan *plan)
{
    return plan->n;
}

PODBUG_HANDLER_TEXT const snapshot_pointee *snapshot_plan_pointee(const snapshot_plan *plan,
                                                                  size_t i)
{
    return &plan->pointees[i];
}

const char *snapshot_plan_expression(const snapshot_plan *plan, size_t i)
{
    return plan->expressions[i];
}
