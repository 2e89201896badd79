/* Crash rollback (see reload_crash.h): reading the crash snapshot's "reload", the rollbacks to the
 * other processes running that reload, and the report to the sessions once they have all answered. */
#include "reload_crash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dap_session.h"
#include "log.h"
#include "probe_link.h"
#include "reload_run.h"
#include "reloads.h"

struct reload_crash {
    int64_t reload_id;
    char *name;                 /* the library's file name */
    char process[96];           /* the crashed process, "<pod>/<pid>" */
    char *description;          /* "SIGSEGV: invalid read at 0x0" */
    cJSON *frames;              /* [{pc, function, file, line, module}] */
    uint64_t *sessions;         /* told at the end: those that saw the process, and the reload's */
    size_t n_sessions;
    cJSON *rolled_back;         /* ["pod-b/124", ...] */
    cJSON *failures;            /* ["pod-c/125: why", ...] */
    int outstanding;            /* rollbacks in flight, plus one while sending */
};

/* One rollback sent for a crash. */
typedef struct crash_rollback {
    reload_crash *crash;
    reload_process process;
} crash_rollback;

static void free_crash(reload_crash *c)
{
    free(c->name);
    free(c->description);
    cJSON_Delete(c->frames);
    free(c->sessions);
    cJSON_Delete(c->rolled_back);
    cJSON_Delete(c->failures);
    free(c);
}

static void add_session(reload_crash *c, uint64_t id)
{
    for (size_t i = 0; i < c->n_sessions; i++)
        if (c->sessions[i] == id)
            return;
    uint64_t *grown = realloc(c->sessions, (c->n_sessions + 1) * sizeof *grown);
    if (!grown)
        return;
    c->sessions = grown;
    c->sessions[c->n_sessions++] = id;
}

/* The frames of the crashing thread without their variables. */
static cJSON *bare_frames(const cJSON *frames)
{
    static const char *const keys[] = { "pc", "function", "file", "line", "module" };
    cJSON *out = cJSON_CreateArray();
    const cJSON *f;
    cJSON_ArrayForEach(f, frames) {
        cJSON *copy = cJSON_CreateObject();
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, keys[k]);
            if (v && !cJSON_IsNull(v))
                cJSON_AddItemToObject(copy, keys[k], cJSON_Duplicate(v, false));
        }
        cJSON_AddItemToArray(out, copy);
    }
    return out;
}

static reload_crash *crash_of(const probe_peer *p, const cJSON *body, int64_t reload_id, const reload_record *r)
{
    reload_crash *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    const char *description = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "description"));
    c->reload_id = reload_id;
    c->name = strdup(r->name);
    fleet_display_name(p, c->process, sizeof c->process);
    c->description = strdup(description ? description : "crashed");
    c->frames = bare_frames(cJSON_GetObjectItemCaseSensitive(body, "frames"));
    c->rolled_back = cJSON_CreateArray();
    c->failures = cJSON_CreateArray();
    if (!c->name || !c->description || !c->frames || !c->rolled_back || !c->failures) {
        free_crash(c);
        return NULL;
    }
    for (dap_session *s = dap_session_first(); s; s = s->next)
        if (dap_session_sees(s, p))
            add_session(c, s->id);
    add_session(c, r->session_id);
    return c;
}

const char *reload_crash_description(const reload_crash *c)
{
    return c->description;
}

void reload_crash_rolled_back(reload_crash *c, const char *process)
{
    cJSON_AddItemToArray(c->rolled_back, cJSON_CreateString(process));
}

void reload_crash_not_rolled_back(reload_crash *c, const char *process, const char *why)
{
    char line[400];
    snprintf(line, sizeof line, "%s: %s", process, why);
    cJSON_AddItemToArray(c->failures, cJSON_CreateString(line));
}

/* The output event's text: what crashed where, the frames, what was rolled back. Malloc'ed. */
static char *crash_text(const reload_crash *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "podbug: the reloaded %s (reload %lld) crashed %s: %s\n", c->name, (long long)c->reload_id, c->process,
            c->description);
    int i = 0;
    const cJSON *frame;
    cJSON_ArrayForEach(frame, c->frames) {
        const char *function = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(frame, "function"));
        const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(frame, "file"));
        const char *module = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(frame, "module"));
        const cJSON *line = cJSON_GetObjectItemCaseSensitive(frame, "line");
        fprintf(f, "    #%d %s", i++,
                function ? function : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(frame, "pc")));
        if (file && cJSON_IsNumber(line))
            fprintf(f, " (%s:%d)\n", file, line->valueint);
        else
            fprintf(f, " (%s)\n", module ? module : "?");
    }
    int n = cJSON_GetArraySize(c->rolled_back);
    if (n == 0) {
        fprintf(f, "podbug: reload %lld was rolled back in no other process\n", (long long)c->reload_id);
    } else {
        fprintf(f, "podbug: reload %lld was rolled back in", (long long)c->reload_id);
        for (int k = 0; k < n; k++)
            fprintf(f, "%s %s", k ? "," : "", cJSON_GetArrayItem(c->rolled_back, k)->valuestring);
        fputc('\n', f);
    }
    const cJSON *failure;
    cJSON_ArrayForEach(failure, c->failures)
        fprintf(f, "podbug: could not roll back reload %lld in %s\n", (long long)c->reload_id, failure->valuestring);
    return fclose(f) == 0 ? text : (free(text), NULL);
}

void reload_crash_finish(reload_crash *c)
{
    char *text = crash_text(c);
    log_warn("%s", text ? text : "a reloaded library crashed");
    for (size_t i = 0; i < c->n_sessions; i++) {
        dap_session *s = dap_session_find(c->sessions[i]);
        if (!s)
            continue;
        cJSON *output = cJSON_CreateObject();
        cJSON_AddStringToObject(output, "category", "important");
        cJSON_AddStringToObject(output, "output", text ? text : "podbug: a reloaded library crashed\n");
        dap_send_event(s, "output", output);
        cJSON *event = cJSON_CreateObject();
        cJSON_AddNumberToObject(event, "reloadId", (double)c->reload_id);
        cJSON_AddStringToObject(event, "module", c->name);
        cJSON_AddStringToObject(event, "process", c->process);
        cJSON_AddStringToObject(event, "description", c->description);
        cJSON_AddItemToObject(event, "frames", cJSON_Duplicate(c->frames, true));
        cJSON_AddItemToObject(event, "rolledBack", cJSON_Duplicate(c->rolled_back, true));
        cJSON_AddItemToObject(event, "notRolledBack", cJSON_Duplicate(c->failures, true));
        dap_send_event(s, "podbug/reloadCrashed", event);
    }
    free(text);
    free_crash(c);
}

static void settle(reload_crash *c)
{
    if (--c->outstanding == 0)
        reload_crash_finish(c);
}

static void on_rollback_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    crash_rollback *rb = ctx;
    char err[200];
    probe_reload_rollback_result done = { 0 };
    if (!error && probe_reload_rollback_result_from_json(result, &done, err, sizeof err) != 0)
        error = err;
    if (error) {
        reloads_set_undoing(rb->crash->reload_id, &rb->process, false);
        reload_crash_not_rolled_back(rb->crash, rb->process.name, error);
    } else {
        reloads_rolled_back(&rb->process, done.module, done.generation);
        reload_crash_rolled_back(rb->crash, rb->process.name);
    }
    probe_reload_rollback_result_free(&done);
    settle(rb->crash);
    free(rb);
}

/* Sends reload.rollback of the crash's reload to every other process where it runs. */
static void roll_back_others(reload_crash *c, const probe_peer *crashed)
{
    c->outstanding = 1; /* held while sending */
    for (probe_peer *q = fleet_first(); q; q = q->next) {
        reload_process proc = reload_process_of(q);
        if (q == crashed || !q->registered || !reloads_running_in(c->reload_id, &proc))
            continue;
        crash_rollback *rb = malloc(sizeof *rb);
        probe_reload_rollback m = { c->name, c->reload_id };
        cJSON *body = rb ? probe_reload_rollback_to_json(&m) : NULL;
        if (!body) {
            free(rb);
            reload_crash_not_rolled_back(c, proc.name, "out of memory");
            continue;
        }
        *rb = (crash_rollback){ c, proc };
        reloads_set_undoing(c->reload_id, &proc, true);
        c->outstanding++;
        probe_link_request_within(q, PMSG_RELOAD_ROLLBACK, body, RELOAD_PROBE_TIMEOUT_MS, on_rollback_reply, rb);
    }
    settle(c);
}

void reload_crash_on_snapshot(probe_peer *p, const cJSON *body)
{
    const cJSON *reload = cJSON_GetObjectItemCaseSensitive(body, "reload");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(reload, "reload_id");
    if (!cJSON_IsObject(reload))
        return;
    bool in_range = cJSON_IsNumber(id) && id->valuedouble >= 1 && id->valuedouble <= (double)PROBE_MAX_INTEGER;
    const reload_record *r = in_range ? reloads_find((int64_t)id->valuedouble) : NULL;
    if (!r) {
        log_warn("a crash in reloaded code of %s/%d names reload %.0f, which this server does not remember",
                 p->hello.pod, p->hello.pid, cJSON_IsNumber(id) ? id->valuedouble : 0.0);
        return;
    }
    reload_crash *c = crash_of(p, body, r->id, r);
    if (!c) {
        log_warn("out of memory handling a crash in reloaded code");
        return;
    }
    if (!reload_run_take_crash(r->id, p, c))
        roll_back_others(c, p);
}
