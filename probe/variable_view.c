/* How variables are presented (see variable_view.h): scopes' DWARF variables, known registers,
 * and values as probe_variables, shared by the stopped-thread requests and snapshot reports. */
#include "variable_view.h"

#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "redaction.h"
#include "value_format.h"

#define ERR_LEN 256
#define VALUE_TEXT_LEN 2048
#define TYPE_TEXT_LEN 256
/* Names and evaluate names fit the var_ref that may later expand them. */
#define NAME_LEN sizeof ((var_ref *)0)->name
#define EVALUATE_NAME_LEN sizeof ((var_ref *)0)->evaluate_name

int variable_view_count(size_t n)
{
    return n < INT_MAX ? (int)n : INT_MAX;
}

size_t variable_view_scope(const value_frame *vf, var_ref_kind kind, const dvar **vars)
{
    *vars = NULL;
    const dscope_chain *chain = vf->chain;
    if (!chain)
        return 0;
    const dscope *scope = &chain->scopes[vf->scope_level];
    switch (kind) {
    case VAR_REF_ARGUMENTS: *vars = scope->params; return scope->n_params;
    case VAR_REF_LOCALS: *vars = scope->locals; return scope->n_locals;
    case VAR_REF_GLOBALS: *vars = chain->globals; return chain->n_globals;
    case VAR_REF_STATICS: *vars = chain->statics; return chain->n_statics;
    case VAR_REF_REGISTERS:
    case VAR_REF_VALUE: break;
    }
    return 0;
}

size_t variable_view_registers(const frame_regs *regs, int *regnos)
{
    size_t n = 0;
    for (int regno = 0; regno < FRAME_REG_COUNT; regno++)
        if (frame_reg_known(regs, regno))
            regnos[n++] = regno;
    return n;
}

void variable_view_ref_child_counts(const value_frame *vf, const var_ref *ref, size_t *named,
                                    size_t *indexed)
{
    int regnos[FRAME_REG_COUNT];
    const dvar *vars;
    *indexed = 0;
    if (ref->kind == VAR_REF_VALUE)
        value_child_counts(vf, &ref->value, named, indexed);
    else if (ref->kind == VAR_REF_REGISTERS)
        *named = variable_view_registers(vf->regs, regnos);
    else
        *named = variable_view_scope(vf, ref->kind, &vars);
}

/* True when s needs no parentheses before a postfix operator: a name followed by members
 * (. and ->) and subscripts, e.g. "req->items[i + 1].name". */
static bool is_postfix_expression(const char *s)
{
    int depth = 0;
    for (; *s; s++) {
        if (*s == '[')
            depth++;
        else if (*s == ']')
            depth--;
        else if (depth == 0 && *s == '-' && s[1] == '>')
            s++;
        else if (depth == 0 && !(isalnum((unsigned char)*s) || *s == '_' || *s == '$' || *s == '.'))
            return false;
    }
    return depth == 0;
}

void variable_view_child_evaluate_name(const char *parent_evaluate_name, const dtype *parent_type,
                                       const char *child_name, char *out, size_t len)
{
    const char *p = parent_evaluate_name;
    const dtype *st = dtype_strip(parent_type);
    const char *open = is_postfix_expression(p) ? "" : "(";
    const char *close = open[0] ? ")" : "";
    int n;
    if (!p[0] || !st)
        n = snprintf(out, len, "%s", "");
    else if (st->kind == DT_POINTER)
        n = snprintf(out, len, "*%s%s%s", open, p, close);
    else if (st->kind == DT_ARRAY)
        n = snprintf(out, len, "%s%s%s%s", open, p, close, child_name);
    else if (child_name[0] == '<')
        n = snprintf(out, len, "%s", p);
    else
        n = snprintf(out, len, "%s%s%s.%s", open, p, close, child_name);
    if (n < 0 || (size_t)n >= len)
        out[0] = '\0';
}

void variable_view_value(const value_frame *vf, const value *v, probe_variable *out)
{
    char text[VALUE_TEXT_LEN], type[TYPE_TEXT_LEN];
    out->value = strdup(value_format(vf, v, text, sizeof text));
    out->type = strdup(dtype_describe(v->type, type, sizeof type));
    size_t named, indexed;
    value_child_counts(vf, v, &named, &indexed);
    out->named = variable_view_count(named);
    out->indexed = variable_view_count(indexed);
}

void variable_view_error(const char *message, const dtype *type, probe_variable *out)
{
    char text[ERR_LEN + 16], type_text[TYPE_TEXT_LEN];
    snprintf(text, sizeof text, "<error: %s>", message);
    out->value = strdup(text);
    out->type = strdup(dtype_describe(type, type_text, sizeof type_text));
}

/* A value whose name matches a redaction pattern: "<redacted>", its type, no children, and *v
 * unavailable so that nothing reads it. */
static void show_redacted(const dtype *type, value *v, probe_variable *out)
{
    char type_text[TYPE_TEXT_LEN];
    *v = (value){ .type = type, .where = VALUE_UNAVAILABLE, .reason = "redacted" };
    out->value = strdup(REDACTION_TEXT);
    out->type = strdup(dtype_describe(type, type_text, sizeof type_text));
    out->named = out->indexed = 0;
}

bool variable_view_variable(const value_frame *vf, const dvar *var, value *v, probe_variable *out)
{
    char err[ERR_LEN];
    out->name = strdup(var->name ? var->name : "<unnamed>");
    out->evaluate_name = var->name ? strdup(var->name) : NULL;
    if (redaction_pattern_of(var->name)) {
        show_redacted(var->type, v, out);
        return true;
    }
    if (value_of_variable(vf, var, v, err, sizeof err) != 0) {
        variable_view_error(err, var->type, out);
        return false;
    }
    variable_view_value(vf, v, out);
    return true;
}

bool variable_view_child(const value_frame *vf, const value *parent, const char *parent_name,
                         const char *parent_evaluate_name, size_t i, value *child,
                         probe_variable *out)
{
    char name[NAME_LEN], evaluate_name[EVALUATE_NAME_LEN], err[ERR_LEN];
    snprintf(name, sizeof name, "[%zu]", i);
    if (value_child(vf, parent, parent_name, i, name, sizeof name, child, err, sizeof err) != 0) {
        out->name = strdup(name);
        variable_view_error(err, NULL, out);
        return false;
    }
    variable_view_child_evaluate_name(parent_evaluate_name, parent->type, name, evaluate_name,
                                      sizeof evaluate_name);
    out->name = strdup(name);
    out->evaluate_name = evaluate_name[0] ? strdup(evaluate_name) : NULL;
    if (redaction_pattern_of(name))
        show_redacted(child->type, child, out);
    else
        variable_view_value(vf, child, out);
    return true;
}

void variable_view_register(const frame_regs *regs, int regno, probe_variable *out)
{
    char text[24];
    snprintf(text, sizeof text, "0x%016" PRIx64, regs->reg[regno]);
    out->name = strdup(frame_reg_name(regno));
    out->value = strdup(text);
    out->type = strdup("uint64_t");
}

void variable_view_free(probe_variable *shown)
{
    free(shown->name);
    free(shown->value);
    free(shown->type);
    free(shown->evaluate_name);
}

int variable_view_check_readable(const value_frame *vf, const value *v, char *err, size_t err_len)
{
    const dtype *st = dtype_strip(v->type);
    uint8_t bytes[VALUE_INLINE_BYTES];
    size_t size = st && st->size < sizeof bytes ? (size_t)st->size : sizeof bytes;
    if (v->where != VALUE_UNAVAILABLE && (!st || st->size == 0 || st->kind == DT_FUNCTION))
        return 0;
    return value_read(vf, v, bytes, size, err, err_len);
}
