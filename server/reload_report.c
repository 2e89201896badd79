/* Telling what a hot reload did (see reload_report.h): per-process JSON and progress lines, and the
 * summary that names the patched functions, the slowest process, or the failure and its fallout. */
#include "reload_report.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names listed in a summary or a progress line before "and N more". */
#define NAMES_SHOWN 8

const char *reload_status_name(reload_status status)
{
    switch (status) {
    case RELOAD_PENDING: return "pending";
    case RELOAD_RELOADED: return "reloaded";
    case RELOAD_ROLLED_BACK: return "rolled back";
    case RELOAD_REFUSED: return "refused";
    case RELOAD_FAILED: return "failed";
    case RELOAD_NOT_ATTEMPTED: return "not attempted";
    }
    return "?";
}

int reload_outcome_init(reload_outcome *o, const probe_peer *p, bool canary)
{
    memset(o, 0, sizeof *o);
    o->probe_id = p->id;
    o->process = reload_process_of(p);
    o->pod = strdup(p->hello.pod ? p->hello.pod : "");
    o->pid = p->hello.pid;
    o->canary = canary;
    o->status = RELOAD_PENDING;
    return o->pod ? 0 : -1;
}

void reload_outcome_say(reload_outcome *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = NULL;
    if (vasprintf(&text, fmt, ap) < 0)
        text = NULL;
    va_end(ap);
    free(o->message);
    o->message = text;
}

void reload_outcome_free(reload_outcome *o)
{
    free(o->pod);
    free(o->message);
    probe_reload_result_free(&o->result);
    memset(o, 0, sizeof *o);
}

static double time_ms(const reload_outcome *o)
{
    return (double)o->result.time_us / 1000.0;
}

cJSON *reload_outcome_json(const reload_outcome *o, bool rollback)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "process", o->process.name);
    cJSON_AddStringToObject(j, "pod", o->pod);
    cJSON_AddNumberToObject(j, "pid", o->pid);
    cJSON_AddStringToObject(j, "status", reload_status_name(o->status));
    cJSON_AddStringToObject(j, "message", o->message ? o->message : "");
    cJSON_AddStringToObject(j, "module", o->result.module ? o->result.module : "");
    cJSON_AddNumberToObject(j, "generation", o->result.generation);
    cJSON *patched = cJSON_AddArrayToObject(j, "patched");
    for (size_t i = 0; i < o->result.n_listed; i++)
        cJSON_AddItemToArray(patched, cJSON_CreateString(o->result.patched[i]));
    cJSON_AddNumberToObject(j, "unchanged", (double)o->result.unchanged);
    cJSON_AddNumberToObject(j, "added", (double)o->result.added);
    if (rollback)
        cJSON_AddNumberToObject(j, "restored", (double)o->restored);
    cJSON_AddNumberToObject(j, "timeMs", time_ms(o));
    if (o->result.n_warnings > 0) {
        cJSON *warnings = cJSON_AddArrayToObject(j, "warnings");
        for (size_t i = 0; i < o->result.n_warnings; i++)
            cJSON_AddItemToArray(warnings, cJSON_CreateString(o->result.warnings[i]));
    }
    return j;
}

/* "0.4 ms", "2.3 s" */
static void put_duration(FILE *f, double ms)
{
    if (ms < 1000)
        fprintf(f, "%.1f ms", ms);
    else
        fprintf(f, "%.1f s", ms / 1000);
}

/* "a, b and c" of the first NAMES_SHOWN names, then "and N more" for the rest of total. */
static void put_names(FILE *f, char *const *names, size_t n, size_t total)
{
    size_t shown = n < NAMES_SHOWN ? n : NAMES_SHOWN;
    for (size_t i = 0; i < shown; i++)
        fprintf(f, "%s%s", i == 0 ? "" : (i + 1 == shown && total == shown ? " and " : ", "), names[i]);
    if (total > shown)
        fprintf(f, " and %zu more", total - shown);
}

/* "patched handle and compute" or "no function changed", over the given outcomes' patched lists
 * (their union, counted up to MAX_DISTINCT names). */
static void put_patched(FILE *f, const reload_outcome *outcomes, size_t n)
{
    enum { MAX_DISTINCT = 2 * PROBE_RELOAD_MAX_LISTED };
    char *names[MAX_DISTINCT];
    size_t n_names = 0;
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        const probe_reload_result *r = &outcomes[i].result;
        if (r->n_patched > total)
            total = r->n_patched;
        for (size_t k = 0; k < r->n_listed && n_names < MAX_DISTINCT; k++) {
            bool seen = false;
            for (size_t m = 0; m < n_names && !seen; m++)
                seen = strcmp(names[m], r->patched[k]) == 0;
            if (!seen)
                names[n_names++] = r->patched[k];
        }
    }
    if (total == 0 && n_names == 0) {
        fputs("no function changed", f);
        return;
    }
    fputs("patched ", f);
    size_t shown = n_names < NAMES_SHOWN ? n_names : NAMES_SHOWN;
    put_names(f, names, shown, (size_t)total > n_names ? (size_t)total : n_names);
}

/* Closes a memory stream: its text, or NULL (freed) when writing failed. */
static char *finish(FILE *f, char **text)
{
    if (fclose(f) == 0)
        return *text;
    free(*text);
    return NULL;
}

char *reload_progress_line(const reload_outcome *o)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "%s: ", o->process.name);
    if (o->status == RELOAD_RELOADED && !o->message) {
        put_patched(f, o, 1);
        fputs(" (", f);
        put_duration(f, time_ms(o));
        fputc(')', f);
    } else if (o->status == RELOAD_ROLLED_BACK && !o->message) {
        fprintf(f, "rolled back to generation %d (", o->result.generation);
        put_duration(f, time_ms(o));
        fputc(')', f);
    } else if (o->status == RELOAD_FAILED || o->status == RELOAD_NOT_ATTEMPTED ||
               (o->status == RELOAD_ROLLED_BACK && o->message)) {
        fprintf(f, "%s: %s", reload_status_name(o->status), o->message ? o->message : "no reason given");
    } else {
        fputs(o->message ? o->message : reload_status_name(o->status), f);
    }
    return finish(f, &text);
}

bool reload_all_done(bool rollback, const reload_outcome *outcomes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (outcomes[i].status != (rollback ? RELOAD_ROLLED_BACK : RELOAD_RELOADED))
            return false;
    return n > 0;
}

static size_t count_status(const reload_outcome *outcomes, size_t n, reload_status status)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += outcomes[i].status == status;
    return count;
}

/* "; <label>pod-a/1, pod-b/2 and pod-c/3" of the processes with that status (none: nothing). */
static void put_processes(FILE *f, const char *label, const reload_outcome *outcomes, size_t n, reload_status status)
{
    size_t total = count_status(outcomes, n, status);
    if (total == 0)
        return;
    char *names[NAMES_SHOWN];
    size_t n_names = 0;
    for (size_t i = 0; i < n && n_names < NAMES_SHOWN; i++)
        if (outcomes[i].status == status)
            names[n_names++] = (char *)outcomes[i].process.name;
    fprintf(f, "; %s", label);
    put_names(f, names, n_names, total);
}

static void put_success(FILE *f, const char *lib, bool rollback, const reload_outcome *outcomes, size_t n)
{
    double slowest = 0;
    int64_t unchanged = 0, added = 0;
    for (size_t i = 0; i < n; i++) {
        if (time_ms(&outcomes[i]) > slowest)
            slowest = time_ms(&outcomes[i]);
        if (outcomes[i].result.unchanged > unchanged)
            unchanged = outcomes[i].result.unchanged;
        if (outcomes[i].result.added > added)
            added = outcomes[i].result.added;
    }
    if (rollback) {
        fprintf(f, "rolled back %s in %zu of %zu process%s", lib, n, n, n == 1 ? "" : "es");
    } else {
        fprintf(f, "reloaded %s in %zu of %zu process%s: ", lib, n, n, n == 1 ? "" : "es");
        put_patched(f, outcomes, n);
        fprintf(f, "; %lld function%s unchanged", (long long)unchanged, unchanged == 1 ? "" : "s");
        if (added > 0)
            fprintf(f, "; %lld function%s added", (long long)added, added == 1 ? "" : "s");
    }
    fputs("; slowest ", f);
    put_duration(f, slowest);
}

static void put_failure(FILE *f, const char *lib, bool rollback, const reload_outcome *outcomes, size_t n)
{
    const reload_outcome *first = NULL;
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        if (outcomes[i].status == RELOAD_REFUSED || outcomes[i].status == RELOAD_FAILED) {
            first = first ? first : &outcomes[i];
            failed++;
        }
    }
    fprintf(f, "%s of %s ", rollback ? "rollback" : "reload", lib);
    if (first)
        fprintf(f, "failed in %s%s: %s", first->canary ? "canary " : "", first->process.name,
                first->message ? first->message : reload_status_name(first->status));
    else
        fputs("did not complete", f);
    if (failed > 1)
        fprintf(f, "; %zu more process%s failed", failed - 1, failed == 2 ? "" : "es");
    if (rollback) {
        put_processes(f, "rolled back in ", outcomes, n, RELOAD_ROLLED_BACK);
    } else {
        put_processes(f, "the others were rolled back: ", outcomes, n, RELOAD_ROLLED_BACK);
        put_processes(f, "could not roll back, still running the new code: ", outcomes, n, RELOAD_RELOADED);
    }
    size_t skipped = count_status(outcomes, n, RELOAD_NOT_ATTEMPTED);
    if (skipped > 0)
        fprintf(f, "; %zu process%s not attempted", skipped, skipped == 1 ? "" : "es");
}

char *reload_summary(const char *name, bool rollback, const reload_outcome *outcomes, size_t n)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    const char *lib = name ? name : "the module reloaded last";
    if (reload_all_done(rollback, outcomes, n))
        put_success(f, lib, rollback, outcomes, n);
    else
        put_failure(f, lib, rollback, outcomes, n);
    return finish(f, &text);
}
