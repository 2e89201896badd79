/* Logpoints (see logpoints.h): template parsing and interning, per-address compilation, the
 * capture the signal handler runs, the record ring, and formatting in the agent.
 *
 * The ring is a bounded multi-producer, single-consumer queue: each cell carries a stamp, 2*round
 * when free for that round and 2*round + 1 when it holds that round's record. A producer claims
 * a position with a compare-and-swap on the head, fills the cell, then publishes the stamp; the
 * agent takes cells in order and frees them for the next round. No locks, no allocation. */
#include "logpoints.h"

#include <inttypes.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "expr.h"
#include "redaction.h"
#include "safe_mem.h"
#include "signal_interpose.h"
#include "stopper.h"
#include "value.h"
#include "value_format.h"
#include "value_support.h"

#define RING_MASK ((uint64_t)LOGPOINT_RING_SIZE - 1)
#define VALUE_TEXT_LEN 512
#define ERR_TEXT_LEN 256

_Static_assert((LOGPOINT_RING_SIZE & (LOGPOINT_RING_SIZE - 1)) == 0, "ring size: a power of two");

typedef struct ring_cell {
    atomic_uint_fast64_t stamp;
    logpoint_record record;
} ring_cell;

static ring_cell ring[LOGPOINT_RING_SIZE];
static atomic_uint_fast64_t ring_head;
static uint64_t ring_tail; /* agent only */

/* Templates in use or once used: records in the ring point to them. Agent only. */
typedef struct interned_template {
    logpoint_template template;
    struct interned_template *next;
} interned_template;

static interned_template *interned;

/* ---- handler side ---------------------------------------------------------------------- */

PODBUG_HANDLER_TEXT bool logpoint_ring_push(const logpoint_record *r)
{
    uint_fast64_t pos = atomic_load_explicit(&ring_head, memory_order_relaxed);
    ring_cell *cell;
    for (;;) {
        cell = &ring[pos & RING_MASK];
        uint64_t free_stamp = 2 * (pos / LOGPOINT_RING_SIZE);
        uint64_t stamp = atomic_load_explicit(&cell->stamp, memory_order_acquire);
        if (stamp == free_stamp) {
            if (atomic_compare_exchange_weak_explicit(&ring_head, &pos, pos + 1,
                                                      memory_order_relaxed, memory_order_relaxed))
                break;
        } else if (stamp < free_stamp) {
            return false; /* the agent has not taken last round's record yet: full */
        } else {
            pos = atomic_load_explicit(&ring_head, memory_order_relaxed);
        }
    }
    cell->record = *r;
    atomic_store_explicit(&cell->stamp, 2 * (pos / LOGPOINT_RING_SIZE) + 1, memory_order_release);
    return true;
}

/* Copies the string a char pointer value points to (up to LOGPOINT_STRING_MAX bytes). */
PODBUG_HANDLER_TEXT static void capture_string(logpoint_value *v)
{
    if (v->bits == 0)
        return; /* shown as a null pointer */
    size_t got = safe_mem_read_upto((uintptr_t)v->bits, v->string, sizeof v->string);
    if (got == 0) {
        v->error = "cannot read memory";
        v->error_address = v->bits;
        return;
    }
    size_t len = 0;
    while (len < got && v->string[len] != '\0')
        len++;
    v->has_string = true;
    v->string_len = (uint16_t)len;
    v->string_cut = len == got && got == sizeof v->string;
}

PODBUG_HANDLER_TEXT bool logpoint_capture(const logpoint_site *site, int64_t bp_id,
                                          const frame_regs *regs)
{
    logpoint_record r;
    r.bp_id = bp_id;
    r.tid = (int)syscall(SYS_gettid);
    r.template = site->template;
    r.n_values = site->n_programs;
    for (size_t i = 0; i < site->n_programs; i++) {
        logpoint_value *v = &r.values[i];
        cond_error err = { NULL, 0 };
        v->type = cond_value_type(site->programs[i]);
        v->bits = 0;
        v->error = NULL;
        v->error_address = 0;
        v->has_string = v->string_cut = false;
        v->string_len = 0;
        v->redacted = site->is_redacted[i];
        if (v->redacted)
            continue;
        if (cond_eval_value(site->programs[i], regs, &v->bits, &err) != 0) {
            v->error = err.message ? err.message : "the expression failed";
            v->error_address = err.address;
        } else if (site->is_string[i]) {
            capture_string(v);
        }
    }
    if (!logpoint_ring_push(&r))
        return false;
    stopper_notify_agent();
    return true;
}

/* ---- agent side: the ring's consumer ---------------------------------------------------- */

bool logpoint_ring_take(logpoint_record *out)
{
    ring_cell *cell = &ring[ring_tail & RING_MASK];
    uint64_t round = ring_tail / LOGPOINT_RING_SIZE;
    if (atomic_load_explicit(&cell->stamp, memory_order_acquire) != 2 * round + 1)
        return false;
    *out = cell->record;
    atomic_store_explicit(&cell->stamp, 2 * round + 2, memory_order_release);
    ring_tail++;
    return true;
}

/* ---- templates -------------------------------------------------------------------------- */

static int template_error(logpoint_template *t, char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int template_error(logpoint_template *t, char *err, size_t err_len, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(err, err_len, fmt, args);
    va_end(args);
    logpoint_template_free(t);
    return -1;
}

static char *trimmed_copy(const char *start, const char *end)
{
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    return strndup(start, (size_t)(end - start));
}

int logpoint_template_parse(const char *text, logpoint_template *out, char *err, size_t err_len)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(text);
    char *literal = malloc(len + 1);
    out->text = strdup(text);
    out->literals = calloc(LOGPOINT_MAX_SEGMENTS + 1, sizeof *out->literals);
    out->exprs = calloc(LOGPOINT_MAX_SEGMENTS, sizeof *out->exprs);
    if (!literal || !out->text || !out->literals || !out->exprs) {
        free(literal);
        return template_error(out, err, err_len, "out of memory");
    }
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if ((c == '{' || c == '}') && text[i + 1] == c) {
            literal[n++] = c;
            i++;
        } else if (c == '}') {
            free(literal);
            return template_error(out, err, err_len,
                                  "logMessage: '}' at column %zu must be written '}}'", i + 1);
        } else if (c == '{') {
            const char *close = strchr(text + i + 1, '}');
            char *expr = close ? trimmed_copy(text + i + 1, close) : NULL;
            const char *problem = !close ? "is not closed" : !expr ? "out of memory"
                                : !*expr ? "has no expression" : NULL;
            if (!problem && out->n_exprs == LOGPOINT_MAX_SEGMENTS)
                problem = "is one {expression} too many (at most 8)";
            char *piece = problem ? NULL : strndup(literal, n);
            if (problem || !piece) {
                free(expr);
                free(literal);
                return template_error(out, err, err_len, "logMessage: '{' at column %zu %s", i + 1,
                                      problem ? problem : "out of memory");
            }
            out->literals[out->n_exprs] = piece;
            out->exprs[out->n_exprs++] = expr;
            n = 0;
            i = (size_t)(close - text);
        } else {
            literal[n++] = c;
        }
    }
    out->literals[out->n_exprs] = strndup(literal, n);
    free(literal);
    if (!out->literals[out->n_exprs])
        return template_error(out, err, err_len, "out of memory");
    return 0;
}

void logpoint_template_free(logpoint_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->literals && i <= t->n_exprs; i++)
        free(t->literals[i]);
    for (size_t i = 0; t->exprs && i < t->n_exprs; i++)
        free(t->exprs[i]);
    free(t->literals);
    free(t->exprs);
    free(t->text);
    memset(t, 0, sizeof *t);
}

/* The interned template of text (parsed the first time). */
static const logpoint_template *intern(const char *text, char *err, size_t err_len)
{
    for (interned_template *i = interned; i; i = i->next)
        if (strcmp(i->template.text, text) == 0)
            return &i->template;
    interned_template *i = calloc(1, sizeof *i);
    if (!i) {
        snprintf(err, err_len, "out of memory");
        return NULL;
    }
    if (logpoint_template_parse(text, &i->template, err, err_len) != 0) {
        free(i);
        return NULL;
    }
    i->next = interned;
    interned = i;
    return &i->template;
}

/* Whether expression text (which compiled) reads a redacted name. */
static bool reads_secret(const char *text)
{
    char err[ERR_TEXT_LEN];
    expr_node *tree = expr_parse(text, err, sizeof err);
    bool secret = redaction_expr_reads_secret(tree, err, sizeof err);
    expr_free(tree);
    return secret;
}

logpoint_site *logpoint_site_compile(sym_index *symbols, uintptr_t pc, const char *text, char *err,
                                     size_t err_len)
{
    const logpoint_template *t = intern(text, err, err_len);
    logpoint_site *site = t ? calloc(1, sizeof *site) : NULL;
    if (!site) {
        if (t)
            snprintf(err, err_len, "out of memory");
        return NULL;
    }
    site->template = t;
    for (size_t i = 0; i < t->n_exprs; i++) {
        char why[400];
        cond_program *p = cond_compile_value(symbols, pc, t->exprs[i], why, sizeof why);
        if (!p) {
            snprintf(err, err_len, "{%s}: %s", t->exprs[i], why);
            logpoint_site_free(site);
            return NULL;
        }
        const dtype *type = type_strip(cond_value_type(p));
        site->is_string[site->n_programs] = type && type->kind == DT_POINTER &&
                                             type_is_char(type->target);
        site->is_redacted[site->n_programs] = reads_secret(t->exprs[i]);
        site->programs[site->n_programs++] = p;
        site->needs_cfa |= cond_needs_cfa(p);
    }
    return site;
}

void logpoint_site_free(logpoint_site *site)
{
    if (!site)
        return;
    for (size_t i = 0; i < site->n_programs; i++)
        cond_free(site->programs[i]);
    free(site);
}

/* ---- formatting ------------------------------------------------------------------------- */

/* Appends text to the string in out, cutting it where out is full. */
static void append(char *out, size_t len, const char *text)
{
    size_t used = strlen(out);
    if (used + 1 < len)
        snprintf(out + used, len - used, "%s", text);
}

/* A captured string: value_format reads it as a char array from the record, never from the
 * target. */
static void format_string(const value_frame *frame, const logpoint_value *v, const dtype *pointer,
                          char *out, size_t len)
{
    dtype array = { .kind = DT_ARRAY, .size = v->string_len, .target = type_strip(pointer)->target,
                    .count = v->string_len, .count_known = true };
    value shown = { .type = &array, .where = VALUE_MEMORY, .address = (uintptr_t)v->string };
    value_format(frame, &shown, out, len);
    if (v->string_cut)
        append(out, len, "...");
}

static void format_value(const value_frame *frame, const logpoint_value *v, char *out, size_t len)
{
    if (v->redacted) {
        snprintf(out, len, "%s", REDACTION_TEXT);
        return;
    }
    if (v->error) {
        if (v->error_address)
            snprintf(out, len, "<error: %s at 0x%" PRIx64 ">", v->error, v->error_address);
        else
            snprintf(out, len, "<error: %s>", v->error);
        return;
    }
    if (v->has_string) {
        format_string(frame, v, v->type, out, len);
        return;
    }
    value shown;
    if (type_is_float(v->type)) {
        double d;
        memcpy(&d, &v->bits, sizeof d);
        value_from_double(v->type, d, &shown);
    } else {
        value_from_int(v->type, (int64_t)v->bits, &shown);
    }
    value_format(frame, &shown, out, len);
}

const char *logpoint_format(sym_index *symbols, const logpoint_record *r, char *out, size_t len)
{
    const logpoint_template *t = r->template;
    value_frame frame = { .symbols = symbols };
    out[0] = '\0';
    for (size_t i = 0; i <= t->n_exprs; i++) {
        append(out, len, t->literals[i]);
        if (i == t->n_exprs || i >= r->n_values)
            continue;
        char shown[VALUE_TEXT_LEN];
        format_value(&frame, &r->values[i], shown, sizeof shown);
        append(out, len, shown);
    }
    return out;
}
