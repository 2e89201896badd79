/* Reloads in progress (see reload_run.h). Phases: CANARY (the first process alone), WATCH (its
 * healthy window), FLEET (every other target at once), UNDO (all-or-nothing: the failure of one
 * rolls back those that reloaded). A run ends when its last request has answered. */
#include "reload_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "net.h"
#include "probe_link.h"
#include "reload_report.h"
#include "reloads.h"
#include "server_metrics.h"

typedef enum run_phase { PHASE_CANARY, PHASE_WATCH, PHASE_FLEET, PHASE_UNDO } run_phase;

typedef struct reload_run {
    dap_request_ref ref;
    bool progress;               /* the client reports progress (initialize's supportsProgressReporting) */
    char progress_id[48];
    reload_args args;
    int64_t reload_id;           /* 0 for a rollback */
    reload_outcome *outcomes;    /* the canary (if any) first */
    size_t n;
    size_t answered;             /* first answers, for the percentage */
    int outstanding;             /* requests in flight, plus one while a phase sends */
    run_phase phase;
    int64_t watch_until_ms;
    reload_crash *crash;         /* a crash in this reload's code, reported when the run ends */
    struct reload_run *next;
} reload_run;

typedef enum ask_kind { ASK_RELOAD, ASK_ROLLBACK, ASK_UNDO } ask_kind;

/* One request of a run: which outcome it decides. */
typedef struct run_request {
    reload_run *run;
    size_t index;
    ask_kind kind;
} run_request;

static reload_run *runs;
static uint64_t next_progress_id = 1;

static void send_progress(reload_run *r, const char *event, cJSON *body)
{
    dap_session *s = r->progress ? dap_session_find(r->ref.session_id) : NULL;
    if (!s) {
        cJSON_Delete(body);
        return;
    }
    cJSON_AddStringToObject(body, "progressId", r->progress_id);
    dap_send_event(s, event, body);
}

/* A progressUpdate for an outcome: its line, the share of first answers, and the outcome itself. */
static void progress_outcome(reload_run *r, const reload_outcome *o, bool first_answer)
{
    char *line = reload_progress_line(o);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "message", line ? line : o->process.name);
    if (first_answer)
        cJSON_AddNumberToObject(body, "percentage", 100.0 * (double)r->answered / (double)r->n);
    cJSON_AddItemToObject(body, "outcome", reload_outcome_json(o, r->args.rollback));
    send_progress(r, "progressUpdate", body);
    free(line);
}

static void progress_message(reload_run *r, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "message", message);
    send_progress(r, "progressUpdate", body);
}

static void free_run(reload_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        reload_outcome_free(&r->outcomes[i]);
    free(r->outcomes);
    reload_args_free(&r->args);
    free(r);
}

/* The response, the end of the progress, the crash report; then the run is gone. */
static void finish(reload_run *r)
{
    for (reload_run **rp = &runs; *rp; rp = &(*rp)->next)
        if (*rp == r) {
            *rp = r->next;
            break;
        }
    char *summary = reload_summary(r->args.name, r->args.rollback, r->outcomes, r->n);
    bool ok = reload_all_done(r->args.rollback, r->outcomes, r->n);
    server_metrics_count_reloads(r->outcomes, r->n);
    log_info("podbug/reload %lld: %s", (long long)r->reload_id, summary ? summary : "out of memory");
    cJSON *end = cJSON_CreateObject();
    cJSON_AddStringToObject(end, "message", summary ? summary : "done");
    send_progress(r, "progressEnd", end);
    if (r->crash)
        reload_crash_finish(r->crash);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "reloadId", (double)r->reload_id);
    cJSON *processes = cJSON_AddArrayToObject(body, "processes");
    for (size_t i = 0; i < r->n; i++)
        cJSON_AddItemToArray(processes, reload_outcome_json(&r->outcomes[i], r->args.rollback));
    cJSON_AddStringToObject(body, "summary", summary ? summary : "");
    dap_respond(&r->ref, ok, summary ? summary : "out of memory", body);
    free(summary);
    free_run(r);
}

static void on_answer(void *ctx, probe_peer *p, const cJSON *result, const char *error);

/* Sends the request of `kind` deciding outcome i. A process that has gone is decided at once. */
static void ask(reload_run *r, size_t i, ask_kind kind)
{
    reload_outcome *o = &r->outcomes[i];
    probe_peer *p = fleet_find(o->probe_id);
    cJSON *body = NULL;
    if (kind == ASK_RELOAD) {
        probe_reload m = { r->args.name, r->args.library, r->args.sha256, r->reload_id };
        body = p ? probe_reload_to_json(&m) : NULL;
    } else {
        probe_reload_rollback m = { r->args.name, kind == ASK_UNDO ? r->reload_id : 0 };
        body = p ? probe_reload_rollback_to_json(&m) : NULL;
        if (!m.reload_id) /* absent: whatever reload made the running generation */
            cJSON_DeleteItemFromObjectCaseSensitive(body, "reload_id");
    }
    run_request *q = body ? malloc(sizeof *q) : NULL;
    if (!q) {
        cJSON_Delete(body);
        const char *why = p ? "out of memory" : "the process has gone";
        if (kind == ASK_UNDO) {
            reload_outcome_say(o, "could not roll back: %s", why);
        } else {
            o->status = RELOAD_FAILED;
            reload_outcome_say(o, "%s", why);
            r->answered++;
        }
        progress_outcome(r, o, kind != ASK_UNDO);
        return;
    }
    *q = (run_request){ r, i, kind };
    if (kind == ASK_UNDO)
        reloads_set_undoing(r->reload_id, &o->process, true);
    else
        o->status = RELOAD_PENDING;
    r->outstanding++;
    probe_link_request_within(p, kind == ASK_RELOAD ? PMSG_RELOAD : PMSG_RELOAD_ROLLBACK, body,
                              RELOAD_PROBE_TIMEOUT_MS, on_answer, q);
}

static void fan_out(reload_run *r);
static void undo(reload_run *r);

static bool any_failed(const reload_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->outcomes[i].status == RELOAD_FAILED || r->outcomes[i].status == RELOAD_REFUSED)
            return true;
    return false;
}

/* The canary reloaded: its healthy window starts (the rest follow at once for a window of 0). */
static void watch_canary(reload_run *r)
{
    size_t others = r->n - 1;
    char text[300], rest[80] = "watching it";
    if (others > 0)
        snprintf(rest, sizeof rest, "the other %zu process%s follow%s if it stays healthy", others,
                 others == 1 ? "" : "es", others == 1 ? "s" : "");
    snprintf(text, sizeof text, "canary %s reloaded; %s for %g s", r->outcomes[0].process.name, rest,
             (double)r->args.canary_ms / 1000);
    progress_message(r, text);
    r->phase = PHASE_WATCH;
    r->watch_until_ms = net_now_ms() + r->args.canary_ms;
    if (r->args.canary_ms == 0)
        fan_out(r);
}

/* What comes after the last answer of a phase. */
static void advance(reload_run *r)
{
    switch (r->phase) {
    case PHASE_CANARY:
        if (r->outcomes[0].status == RELOAD_RELOADED)
            watch_canary(r);
        else
            finish(r);
        return;
    case PHASE_FLEET:
        if (!r->args.rollback && any_failed(r))
            undo(r);
        else
            finish(r);
        return;
    case PHASE_WATCH: /* no request is sent while watching */
    case PHASE_UNDO:
        finish(r);
        return;
    }
}

static void settle(reload_run *r)
{
    if (--r->outstanding == 0)
        advance(r);
}

static void fan_out(reload_run *r)
{
    r->phase = PHASE_FLEET;
    r->outstanding++; /* held while sending */
    for (size_t i = 0; i < r->n; i++)
        if (r->outcomes[i].status == RELOAD_NOT_ATTEMPTED)
            ask(r, i, r->args.rollback ? ASK_ROLLBACK : ASK_RELOAD);
    settle(r);
}

/* All or nothing: every process that reloaded is rolled back, saying where the reload failed. */
static void undo(reload_run *r)
{
    r->phase = PHASE_UNDO;
    r->outstanding++;
    for (size_t i = 0; i < r->n; i++)
        if (r->outcomes[i].status == RELOAD_RELOADED)
            ask(r, i, ASK_UNDO);
    settle(r);
}

/* The name of the first process where the reload failed, for the others' messages. */
static const char *first_failure(const reload_run *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->outcomes[i].status == RELOAD_FAILED || r->outcomes[i].status == RELOAD_REFUSED)
            return r->outcomes[i].process.name;
    return "another process";
}

static void record_reload(reload_run *r, reload_outcome *o, const probe_peer *p, const cJSON *result, const char *error)
{
    char err[300];
    if (o->status != RELOAD_PENDING) /* decided meanwhile: it crashed in the new code */
        return;
    if (!error && probe_reload_result_from_json(result, &o->result, err, sizeof err) != 0) {
        reload_outcome_say(o, "the probe sent a malformed reply: %s", err);
        o->status = RELOAD_FAILED;
    } else if (error) {
        o->status = strncmp(error, "refused: ", 9) == 0 ? RELOAD_REFUSED : RELOAD_FAILED;
        reload_outcome_say(o, "%s", p ? error : "the process disconnected during the reload");
    } else {
        o->status = RELOAD_RELOADED;
        if (reloads_applied(r->reload_id, &o->process, o->result.module, o->result.generation) != 0)
            log_warn("reload %lld in %s: not remembered (out of memory)", (long long)r->reload_id, o->process.name);
    }
}

static void record_rollback(reload_run *r, reload_outcome *o, const probe_peer *p, const cJSON *result,
                            const char *error, ask_kind kind)
{
    char err[300];
    probe_reload_rollback_result done = { 0 };
    if (!error && probe_reload_rollback_result_from_json(result, &done, err, sizeof err) != 0)
        error = err;
    else if (error && !p)
        error = "the process disconnected";
    if (kind == ASK_UNDO)
        reloads_set_undoing(r->reload_id, &o->process, false);
    if (kind == ASK_UNDO && o->status != RELOAD_RELOADED) { /* it crashed meanwhile: that says it all */
        if (!error)
            reloads_rolled_back(&o->process, done.module, done.generation);
    } else if (error && kind == ASK_UNDO) {
        reload_outcome_say(o, "could not roll back: %s", error);
    } else if (error) {
        o->status = RELOAD_FAILED;
        reload_outcome_say(o, "%s", error);
    } else {
        reloads_rolled_back(&o->process, done.module, done.generation);
        o->status = RELOAD_ROLLED_BACK;
        o->restored = done.restored;
        o->result.generation = done.generation;
        if (kind == ASK_UNDO) {
            reload_outcome_say(o, "the reload failed in %s", first_failure(r));
            if (r->crash)
                reload_crash_rolled_back(r->crash, o->process.name);
        } else {
            free(o->result.module);
            o->result.module = done.module;
            done.module = NULL;
            o->result.time_us = done.time_us;
        }
    }
    probe_reload_rollback_result_free(&done);
}

static void on_answer(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    run_request *q = ctx;
    reload_run *r = q->run;
    reload_outcome *o = &r->outcomes[q->index];
    if (q->kind == ASK_RELOAD)
        record_reload(r, o, p, result, error);
    else
        record_rollback(r, o, p, result, error, q->kind);
    if (q->kind != ASK_UNDO)
        r->answered++;
    progress_outcome(r, o, q->kind != ASK_UNDO);
    free(q);
    settle(r);
}

void reload_run_start(dap_session *s, const dap_request_ref *ref, reload_args *args, probe_peer *const *targets,
                      size_t n)
{
    reload_run *r = calloc(1, sizeof *r);
    reload_outcome *outcomes = r ? calloc(n, sizeof *outcomes) : NULL;
    const reload_record *record = outcomes && !args->rollback ? reloads_begin(args->name, s->id) : NULL;
    if (!outcomes || (!args->rollback && !record)) {
        free(r);
        free(outcomes);
        reload_args_free(args);
        dap_respond_error(ref, "podbug/reload: out of memory");
        return;
    }
    r->ref = *ref;
    r->progress = s->supports_progress;
    snprintf(r->progress_id, sizeof r->progress_id, "podbug-reload-%llu", (unsigned long long)next_progress_id++);
    r->args = *args;
    memset(args, 0, sizeof *args);
    r->reload_id = record ? record->id : 0;
    r->outcomes = outcomes;
    /* the canary is the longest-connected process: the smallest probe id */
    size_t canary = 0;
    for (size_t i = 1; i < n; i++)
        if (targets[i]->id < targets[canary]->id)
            canary = i;
    bool staged = r->args.canary && !r->args.rollback;
    for (size_t i = 0; i < n; i++) {
        size_t slot = i == canary ? 0 : i < canary ? i + 1 : i;
        reload_outcome_init(&r->outcomes[slot], targets[i], staged && i == canary);
        r->outcomes[slot].status = RELOAD_NOT_ATTEMPTED;
        r->n++;
    }
    r->next = runs;
    runs = r;

    const char *what = r->args.name ? r->args.name : "the module reloaded last";
    char title[300], message[200];
    snprintf(title, sizeof title, "%s %s", r->args.rollback ? "Roll back" : "Hot reload", what);
    snprintf(message, sizeof message, "%zu process%s%s%s", n, n == 1 ? "" : "es", staged ? "; canary first: " : "",
             staged ? r->outcomes[0].process.name : "");
    cJSON *start = cJSON_CreateObject();
    cJSON_AddStringToObject(start, "title", title);
    cJSON_AddStringToObject(start, "message", message);
    if (ref->seq >= 1 && ref->seq <= INT32_MAX)
        cJSON_AddNumberToObject(start, "requestId", (double)ref->seq);
    send_progress(r, "progressStart", start);
    log_info("podbug/reload %lld: %s%s%s in %s", (long long)r->reload_id, title, r->args.rollback ? "" : ", SHA-256 ",
             r->args.sha256, message);

    if (staged) {
        r->phase = PHASE_CANARY;
        r->outstanding++;
        ask(r, 0, ASK_RELOAD);
        settle(r);
    } else {
        fan_out(r);
    }
}

bool reload_run_busy(const probe_peer *p)
{
    for (const reload_run *r = runs; r; r = r->next)
        for (size_t i = 0; i < r->n; i++)
            if (r->outcomes[i].probe_id == p->id)
                return true;
    return false;
}

bool reload_run_take_crash(int64_t reload_id, const probe_peer *p, reload_crash *c)
{
    reload_run *r = runs;
    while (r && (r->reload_id != reload_id || r->crash))
        r = r->next;
    if (!r)
        return false;
    r->crash = c;
    for (size_t i = 0; i < r->n; i++) {
        reload_outcome *o = &r->outcomes[i];
        if (reload_process_is(&o->process, p)) {
            o->status = RELOAD_FAILED;
            reload_outcome_say(o, "crashed in the reloaded code: %s", reload_crash_description(c));
            progress_outcome(r, o, false);
        }
    }
    if (r->phase == PHASE_WATCH)
        finish(r);
    return true;
}

void reload_runs_tick(int64_t now_ms)
{
    reload_run *r = runs;
    while (r) {
        reload_run *next = r->next;
        if (r->phase == PHASE_WATCH) {
            reload_outcome *canary = &r->outcomes[0];
            if (!fleet_find(canary->probe_id)) {
                canary->status = RELOAD_FAILED;
                reload_outcome_say(canary, "the process left during the canary window");
                progress_outcome(r, canary, false);
                finish(r);
            } else if (now_ms >= r->watch_until_ms) {
                fan_out(r);
            }
        }
        r = next;
    }
}
