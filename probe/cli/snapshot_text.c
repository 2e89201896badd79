/* Printing a snapshot for people (see snapshot_text.h): a pointer with its pointee is "p -> ...",
 * structs and arrays are braces around their members, strings are not expanded into characters. */
#include "snapshot_text.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include "json_fields.h"

#define INDENT 4

/* One line being built; overflowing means "too long for one line". */
typedef struct line_buf {
    char text[SNAPSHOT_TEXT_WIDTH + 1];
    size_t used;
    size_t limit;
    bool overflow;
} line_buf;

__attribute__((format(printf, 2, 3))) static void put(line_buf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(b->text + b->used, sizeof b->text - b->used, fmt, args);
    va_end(args);
    if (n < 0 || b->used + (size_t)n > b->limit)
        b->overflow = true;
    else
        b->used += (size_t)n;
}

static const cJSON *children_of(const cJSON *var)
{
    const cJSON *kids = cJSON_GetObjectItemCaseSensitive(var, "children");
    return cJSON_GetArraySize(kids) > 0 ? kids : NULL;
}

/* The pointee of a pointer shown through it: its one child "*name", unless the pointer's value
 * already shows what it points to (a string). */
static const cJSON *shown_pointee(const cJSON *var)
{
    const cJSON *kids = children_of(var);
    const cJSON *only = kids && cJSON_GetArraySize(kids) == 1 ? kids->child : NULL;
    return only && json_string(only, "name", "")[0] == '*' && !strchr(json_string(var, "value", ""), '"') ? only : NULL;
}

/* The members or elements shown in braces: for structs ("{...}") and arrays too long to be
 * spelled in their value ("[100]"); short arrays and strings already are. */
static const cJSON *shown_members(const cJSON *var)
{
    const char *value = json_string(var, "value", "");
    return strcmp(value, "{...}") == 0 || value[0] == '[' ? children_of(var) : NULL;
}

static bool is_element(const cJSON *var)
{
    return json_string(var, "name", "")[0] == '[';
}

static void put_value(line_buf *b, const cJSON *var)
{
    const cJSON *pointee = shown_pointee(var), *members = shown_members(var), *m;
    if (pointee) {
        put(b, "%s -> ", json_string(var, "value", ""));
        put_value(b, pointee);
    } else if (members) {
        put(b, "{");
        cJSON_ArrayForEach(m, members) {
            put(b, "%s", m == members->child ? "" : ", ");
            if (!is_element(m))
                put(b, "%s = ", json_string(m, "name", "?"));
            put_value(b, m);
        }
        put(b, "%s}", cJSON_GetObjectItemCaseSensitive(var, "more") ? ", ..." : "");
    } else {
        put(b, "%s", json_string(var, "value", ""));
    }
}

static void print_variable(FILE *out, const cJSON *var, int indent);

/* Ends a line that already shows "name = " with var's value, over several lines if needed. */
static void print_value_lines(FILE *out, const cJSON *var, int indent)
{
    const cJSON *pointee = shown_pointee(var), *members = shown_members(var), *m;
    if (pointee) {
        fprintf(out, "%s -> ", json_string(var, "value", ""));
        print_value_lines(out, pointee, indent);
    } else if (members) {
        fputs("{\n", out);
        cJSON_ArrayForEach(m, members)
            print_variable(out, m, indent + INDENT);
        if (cJSON_GetObjectItemCaseSensitive(var, "more"))
            fprintf(out, "%*s...\n", indent + INDENT, "");
        fprintf(out, "%*s}\n", indent, "");
    } else {
        fprintf(out, "%s\n", json_string(var, "value", ""));
    }
}

static void print_variable(FILE *out, const cJSON *var, int indent)
{
    line_buf b = { .limit = SNAPSHOT_TEXT_WIDTH > indent ? SNAPSHOT_TEXT_WIDTH - (size_t)indent : 0 };
    put(&b, "%s = ", json_string(var, "name", "?"));
    put_value(&b, var);
    if (!b.overflow) {
        fprintf(out, "%*s%s\n", indent, "", b.text);
        return;
    }
    fprintf(out, "%*s%s = ", indent, "", json_string(var, "name", "?"));
    print_value_lines(out, var, indent);
}

/* "2026-11-22 10:00:01.123", local time. */
static void print_time(FILE *out, long long ms)
{
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    char text[32];
    if (localtime_r(&seconds, &tm) && strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm))
        fprintf(out, "%s.%03lld", text, ms % 1000);
}

static void print_header(FILE *out, const cJSON *snap)
{
    fprintf(out, "snapshot %lld of bp %lld  %s/%lld %s  ", (long long)json_number(snap, "snapshot", 0),
            (long long)json_number(snap, "breakpoint", 0), json_string(snap, "pod", "?"),
            (long long)json_number(snap, "pid", 0), json_string(snap, "thread", "?"));
    print_time(out, (long long)json_number(snap, "time_ms", 0));
    fputc('\n', out);
}

void snapshot_text_print(FILE *out, const cJSON *snapshot)
{
    print_header(out, snapshot);
    const cJSON *frame, *scope, *var;
    int i = 0;
    cJSON_ArrayForEach(frame, cJSON_GetObjectItemCaseSensitive(snapshot, "frames")) {
        const char *source = json_string(frame, "source", NULL);
        const char *base = source && strrchr(source, '/') ? strrchr(source, '/') + 1 : source;
        fprintf(out, "#%d %s", i++, json_string(frame, "name", "?"));
        if (base)
            fprintf(out, " (%s:%d)", base, (int)json_number(frame, "line", 0));
        fputc('\n', out);
        cJSON_ArrayForEach(scope, cJSON_GetObjectItemCaseSensitive(frame, "scopes"))
            cJSON_ArrayForEach(var, cJSON_GetObjectItemCaseSensitive(scope, "variables"))
                print_variable(out, var, INDENT);
    }
    fputc('\n', out);
}
