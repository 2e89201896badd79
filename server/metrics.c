/* The metric registry (families of series keyed by one label value) and its Prometheus text
 * rendering: HELP and TYPE lines, escaped help and label values, series in creation order. */
#include "metrics.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct metric_series {
    char *label_value;   /* NULL for a family without label */
    uint64_t value;
    struct metric_series *next;
} metric_series;

struct metric_family {
    char *name;
    char *help;
    char *label_name;
    metric_type type;
    metric_read_fn read;
    metric_series *series;
    metric_series *last;
    metric_family *next;
};

static metric_family *families;
static metric_family *last_family;

metric_family *metrics_register(const char *name, const char *help, metric_type type, const char *label_name)
{
    metric_family *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->name = strdup(name);
    f->help = strdup(help);
    f->label_name = label_name ? strdup(label_name) : NULL;
    f->type = type;
    if (!f->name || !f->help || (label_name && !f->label_name)) {
        free(f->name);
        free(f->help);
        free(f->label_name);
        free(f);
        return NULL;
    }
    if (last_family)
        last_family->next = f;
    else
        families = f;
    last_family = f;
    return f;
}

metric_family *metrics_register_read(const char *name, const char *help, metric_read_fn fn)
{
    metric_family *f = metrics_register(name, help, METRIC_GAUGE, NULL);
    if (f)
        f->read = fn;
    return f;
}

static bool same_label(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static metric_series *find_series(const metric_family *f, const char *label_value)
{
    for (metric_series *s = f->series; s; s = s->next)
        if (same_label(s->label_value, label_value))
            return s;
    return NULL;
}

static metric_series *series_for(metric_family *f, const char *label_value)
{
    if (!f)
        return NULL;
    metric_series *s = find_series(f, label_value);
    if (s)
        return s;
    s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->label_value = label_value ? strdup(label_value) : NULL;
    if (label_value && !s->label_value) {
        free(s);
        return NULL;
    }
    if (f->last)
        f->last->next = s;
    else
        f->series = s;
    f->last = s;
    return s;
}

void metrics_add(metric_family *f, const char *label_value, uint64_t n)
{
    metric_series *s = series_for(f, label_value);
    if (s)
        s->value += n;
}

void metrics_set(metric_family *f, const char *label_value, uint64_t value)
{
    metric_series *s = series_for(f, label_value);
    if (s)
        s->value = value;
}

void metrics_declare(metric_family *f, const char *label_value)
{
    series_for(f, label_value);
}

/* Help text escapes backslash and newline; label values also escape the double quote. */
static void write_escaped(FILE *out, const char *text, bool escape_quote)
{
    for (const char *c = text; *c; c++) {
        if (*c == '\\')
            fputs("\\\\", out);
        else if (*c == '\n')
            fputs("\\n", out);
        else if (*c == '"' && escape_quote)
            fputs("\\\"", out);
        else
            fputc(*c, out);
    }
}

static void write_family(FILE *out, const metric_family *f)
{
    fprintf(out, "# HELP %s ", f->name);
    write_escaped(out, f->help, false);
    fprintf(out, "\n# TYPE %s %s\n", f->name, f->type == METRIC_COUNTER ? "counter" : "gauge");
    if (f->read) {
        fprintf(out, "%s %llu\n", f->name, (unsigned long long)f->read());
        return;
    }
    if (!f->series && !f->label_name)
        fprintf(out, "%s 0\n", f->name);
    for (const metric_series *s = f->series; s; s = s->next) {
        fputs(f->name, out);
        if (s->label_value && f->label_name) {
            fprintf(out, "{%s=\"", f->label_name);
            write_escaped(out, s->label_value, true);
            fputs("\"}", out);
        }
        fprintf(out, " %llu\n", (unsigned long long)s->value);
    }
}

char *metrics_render(void)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    for (const metric_family *f = families; f; f = f->next)
        write_family(out, f);
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void metrics_reset(void)
{
    while (families) {
        metric_family *f = families;
        families = f->next;
        while (f->series) {
            metric_series *s = f->series;
            f->series = s->next;
            free(s->label_value);
            free(s);
        }
        free(f->name);
        free(f->help);
        free(f->label_name);
        free(f);
    }
    last_family = NULL;
}
