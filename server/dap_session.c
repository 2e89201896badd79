/* DAP sessions (see dap_session.h): validating incoming requests, numbering and sending responses
 * and events, and translating fleet changes (a probe joins, stops, leaves, a breakpoint's condition
 * fails in it) into DAP events. */
#include "dap_session.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "breakpoints.h"
#include "conn.h"
#include "dap_dispatch.h"
#include "exception_filters.h"
#include "handles.h"
#include "launch.h"
#include "log.h"
#include "probe_link.h"
#include "server_metrics.h"
#include "snapshot_threads.h"

static dap_session *sessions;
static size_t session_count;
static uint64_t next_session_id = 1;

dap_session *dap_session_find(uint64_t id)
{
    for (dap_session *s = sessions; s; s = s->next)
        if (s->id == id)
            return s;
    return NULL;
}

dap_session *dap_session_first(void)
{
    return sessions;
}

size_t dap_session_count(void)
{
    return session_count;
}

bool dap_session_sees(const dap_session *s, const probe_peer *p)
{
    return s->attached && !s->detached && selector_matches(&s->sel, p);
}

void dap_session_on_open(conn *c)
{
    dap_session *s = calloc(1, sizeof *s);
    if (!s) {
        conn_close(c, "out of memory");
        return;
    }
    s->id = next_session_id++;
    s->conn = c;
    s->next_seq = 1;
    s->stop_all = true;
    s->fast_breakpoints = true;
    budgets_defaults(&s->budgets);
    s->next = sessions;
    sessions = s;
    session_count++;
    c->owner = s;
    log_info("DAP session %llu opened (%s from %s)", (unsigned long long)s->id, conn_kind_name(c->kind), c->peer);
}

void dap_session_on_close(conn *c)
{
    dap_session *s = c->owner;
    if (!s)
        return;
    c->owner = NULL;
    dap_session_detach(s, NULL);
    launch_session_closed(s);
    snapshot_threads_forget_session(s);
    for (dap_session **sp = &sessions; *sp; sp = &(*sp)->next) {
        if (*sp == s) {
            *sp = s->next;
            session_count--;
            break;
        }
    }
    selector_free(&s->sel);
    source_map_free(&s->map);
    log_info("DAP session %llu closed", (unsigned long long)s->id);
    free(s);
}

static void send_message(dap_session *s, cJSON *msg)
{
    cJSON_AddNumberToObject(msg, "seq", (double)s->next_seq++);
    char *text = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    if (!text)
        return;
    log_debug("DAP %llu <- %s", (unsigned long long)s->id, text);
    conn_send(s->conn, text, strlen(text));
    free(text);
}

dap_request_ref dap_request_ref_of(const dap_session *s, const cJSON *request)
{
    dap_request_ref ref = { s->id, 0, "" };
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(request, "seq");
    const cJSON *command = cJSON_GetObjectItemCaseSensitive(request, "command");
    /* A seq no int64_t holds is answered as seq 0. */
    bool in_range = cJSON_IsNumber(seq) && seq->valuedouble >= -(double)PROBE_MAX_INTEGER &&
                    seq->valuedouble <= (double)PROBE_MAX_INTEGER;
    ref.seq = in_range ? (int64_t)seq->valuedouble : 0;
    snprintf(ref.command, sizeof ref.command, "%s", cJSON_IsString(command) ? command->valuestring : "");
    return ref;
}

void dap_respond(const dap_request_ref *ref, bool success, const char *message, cJSON *body)
{
    dap_session *s = dap_session_find(ref->session_id);
    if (!s) {
        cJSON_Delete(body);
        return;
    }
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "type", "response");
    cJSON_AddNumberToObject(msg, "request_seq", (double)ref->seq);
    cJSON_AddBoolToObject(msg, "success", success);
    cJSON_AddStringToObject(msg, "command", ref->command);
    if (!success) {
        cJSON_AddStringToObject(msg, "message", message ? message : "failed");
        if (!body) {
            body = cJSON_CreateObject();
            cJSON *error = cJSON_AddObjectToObject(body, "error");
            cJSON_AddNumberToObject(error, "id", 1);
            cJSON_AddStringToObject(error, "format", message ? message : "failed");
            cJSON_AddBoolToObject(error, "showUser", true);
        }
    }
    if (body)
        cJSON_AddItemToObject(msg, "body", body);
    send_message(s, msg);
}

void dap_respond_error(const dap_request_ref *ref, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    dap_respond(ref, false, message, NULL);
}

void dap_send_event(dap_session *s, const char *event, cJSON *body)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "type", "event");
    cJSON_AddStringToObject(msg, "event", event);
    if (body)
        cJSON_AddItemToObject(msg, "body", body);
    send_message(s, msg);
}

void dap_session_on_message(conn *c, const char *text, size_t len)
{
    dap_session *s = c->owner;
    if (!s)
        return;
    log_debug("DAP %llu -> %.*s", (unsigned long long)s->id, (int)(len > 2000 ? 2000 : len), text);
    cJSON *msg = cJSON_ParseWithLength(text, len);
    if (!msg || !cJSON_IsObject(msg)) {
        log_warn("DAP session %llu sent a message that is not a JSON object", (unsigned long long)s->id);
        cJSON_Delete(msg);
        server_metrics_count(PODBUG_ERRORS, "bad_message", 1);
        conn_close(c, "malformed DAP message (not a JSON object)");
        return;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(msg, "seq");
    const cJSON *command = cJSON_GetObjectItemCaseSensitive(msg, "command");
    if (!cJSON_IsString(type) || !cJSON_IsNumber(seq)) {
        log_warn("DAP session %llu sent a message without type or seq", (unsigned long long)s->id);
        server_metrics_count(PODBUG_ERRORS, "bad_message", 1);
        conn_close(c, "malformed DAP message (needs \"type\" and \"seq\")");
    } else if (strcmp(type->valuestring, "request") != 0) {
        log_debug("ignoring DAP %s from session %llu", type->valuestring, (unsigned long long)s->id);
    } else if (!cJSON_IsString(command)) {
        dap_request_ref ref = dap_request_ref_of(s, msg);
        dap_respond_error(&ref, "a request needs a \"command\" string");
    } else {
        dap_dispatch(s, msg);
    }
    cJSON_Delete(msg);
}

/* A detach in progress: the disconnect request is answered when every resume has been confirmed. */
typedef struct detach_ctx {
    bool has_ref;
    dap_request_ref ref;
    int outstanding;
} detach_ctx;

static void detach_step_done(detach_ctx *d)
{
    if (--d->outstanding > 0)
        return;
    if (d->has_ref)
        dap_respond(&d->ref, true, NULL, NULL);
    free(d);
}

static void on_detach_continue_reply(void *ctx, probe_peer *p, const cJSON *result, const char *error)
{
    if (error)
        log_warn("resuming after detach: %s", error);
    else if (p)
        fleet_clear_stop(p);
    if (ctx)
        detach_step_done(ctx);
}

/* Resumes every thread of p; d (may be NULL) counts the confirmation. */
static void resume_process(probe_peer *p, detach_ctx *d)
{
    handles_forget_frames(p->id);
    if (d)
        d->outstanding++;
    probe_link_request(p, PMSG_CONTINUE, cJSON_CreateObject(), on_detach_continue_reply, d);
}

void dap_session_resume_process(probe_peer *p)
{
    for (dap_session *s = sessions; s; s = s->next) {
        if (!dap_session_sees(s, p))
            continue;
        cJSON *body = cJSON_CreateObject();
        cJSON_AddNumberToObject(body, "threadId", handles_thread_id(p->id, p->hello.pid));
        cJSON_AddBoolToObject(body, "allThreadsContinued", true);
        dap_send_event(s, "continued", body);
    }
    resume_process(p, NULL);
}

void dap_session_detach(dap_session *s, const dap_request_ref *ref)
{
    if (s->detached) {
        if (ref)
            dap_respond(ref, true, NULL, NULL);
        return;
    }
    detach_ctx *d = calloc(1, sizeof *d);
    if (d) {
        d->has_ref = ref != NULL;
        if (ref)
            d->ref = *ref;
        d->outstanding = 1; /* held until every resume is sent */
    }
    breakpoints_remove_all(s);
    exception_filters_session_gone(s);
    for (probe_peer *p = fleet_first(); p; p = p->next) {
        if (!dap_session_sees(s, p) || !p->stopped)
            continue;
        bool watched_by_other = false;
        for (dap_session *o = sessions; o; o = o->next)
            if (o != s && dap_session_sees(o, p))
                watched_by_other = true;
        if (watched_by_other)
            continue;
        resume_process(p, d);
    }
    s->detached = true;
    if (d)
        detach_step_done(d);
    else if (ref)
        dap_respond(ref, true, NULL, NULL);
}

void dap_send_console(dap_session *s, const char *text)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "category", "console");
    cJSON_AddStringToObject(body, "output", text);
    dap_send_event(s, "output", body);
}

void dap_send_thread_event(dap_session *s, const char *reason, int thread_id)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "reason", reason);
    cJSON_AddNumberToObject(body, "threadId", thread_id);
    dap_send_event(s, "thread", body);
}

void dap_sessions_probe_joined(probe_peer *p)
{
    for (dap_session *s = sessions; s; s = s->next) {
        if (!dap_session_sees(s, p))
            continue;
        dap_send_thread_event(s, "started", handles_thread_id(p->id, p->hello.pid));
        breakpoints_probe_joined(s, p);
    }
    exception_filters_probe_joined(p);
}

void dap_sessions_probe_stopped(probe_peer *p)
{
    bool reported = false;
    for (dap_session *s = sessions; s; s = s->next) {
        if (!dap_session_sees(s, p))
            continue;
        cJSON *hit = cJSON_CreateArray();
        for (size_t i = 0; i < p->stop.n_breakpoint_ids; i++)
            if (breakpoints_owned(s, p->stop.breakpoint_ids[i]))
                cJSON_AddItemToArray(hit, cJSON_CreateNumber((double)p->stop.breakpoint_ids[i]));
        bool entry = launch_take_entry_stop(s, p); /* stopOnEntry of a launched program */
        if (cJSON_GetArraySize(hit) == 0 && p->stop.n_breakpoint_ids > 0 && !entry) {
            cJSON_Delete(hit); /* another session's breakpoint */
            continue;
        }
        char name[96];
        fleet_display_name(p, name, sizeof name);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "reason", entry ? "entry"
                                : breakpoints_stop_reason(s, p->stop.reason ? p->stop.reason : "breakpoint",
                                                          p->stop.breakpoint_ids, p->stop.n_breakpoint_ids));
        cJSON_AddStringToObject(body, "description", p->stop.description ? p->stop.description : name);
        cJSON_AddNumberToObject(body, "threadId", handles_thread_id(p->id, p->stop.tid));
        cJSON_AddBoolToObject(body, "allThreadsStopped", p->stop.all_threads_stopped != 0);
        cJSON_AddItemToObject(body, "hitBreakpointIds", hit);
        dap_send_event(s, "stopped", body);
        reported = true;
    }
    if (!reported) {
        log_info("no session owns the stop reported by probe %llu; resuming it", (unsigned long long)p->id);
        probe_continue body = { p->stop.tid }; /* that thread alone when it stopped alone */
        fleet_release_thread(p, body.tid);
        probe_link_request(p, PMSG_CONTINUE, probe_continue_to_json(&body), on_detach_continue_reply, NULL);
    }
}

void dap_sessions_probe_left(probe_peer *p)
{
    for (dap_session *s = sessions; s; s = s->next) {
        if (!dap_session_sees(s, p))
            continue;
        if (p->stopped)
            for (size_t i = 0; i < p->stop.n_threads; i++)
                if (p->stop.threads[i].tid != p->hello.pid)
                    dap_send_thread_event(s, "exited", handles_thread_id(p->id, p->stop.threads[i].tid));
        dap_send_thread_event(s, "exited", handles_thread_id(p->id, p->hello.pid));
        breakpoints_probe_left(s, p);
    }
    handles_forget_probe(p->id);
}

void dap_sessions_breakpoint_error(probe_peer *p, const probe_bp_error *report)
{
    char name[96], text[600];
    fleet_display_name(p, name, sizeof name);
    if (report->disabled)
        snprintf(text, sizeof text, "podbug: breakpoint %lld switched off in %s: %s\n", (long long)report->id, name,
                 report->message);
    else
        snprintf(text, sizeof text,
                 "podbug: the condition of breakpoint %lld failed in %s: %s (treated as false; reported once)\n",
                 (long long)report->id, name, report->message);
    for (dap_session *s = sessions; s; s = s->next) {
        if (!dap_session_sees(s, p) || !breakpoints_owned(s, report->id))
            continue;
        if (report->disabled)
            breakpoints_switched_off(s, p, report);
        dap_send_console(s, text);
    }
}

void dap_sessions_tick(int64_t now_ms)
{
    for (dap_session *s = sessions; s; s = s->next)
        if (s->attached && !s->detached) {
            breakpoints_expire(s, now_ms);
            breakpoints_promote_canaries(s, now_ms);
        }
}

void dap_sessions_logpoint_output(probe_peer *p, const probe_output *line)
{
    char name[96], dropped[80] = "";
    fleet_display_name(p, name, sizeof name);
    if (line->dropped > 0)
        snprintf(dropped, sizeof dropped, "%s(%lld line%s dropped by the rate limit)",
                 line->text[0] ? " " : "", (long long)line->dropped, line->dropped == 1 ? "" : "s");
    size_t len = strlen(name) + strlen(line->text) + strlen(dropped) + 4;
    char *text = malloc(len);
    if (!text)
        return;
    snprintf(text, len, "%s: %s%s\n", name, line->text, dropped);
    for (dap_session *s = sessions; s; s = s->next) {
        const session_bp *b = dap_session_sees(s, p) ? breakpoints_find(s, line->id) : NULL;
        if (!b)
            continue;
        const char *slash = strrchr(b->ide_path, '/');
        cJSON *source = cJSON_CreateObject();
        cJSON_AddStringToObject(source, "name", slash ? slash + 1 : b->ide_path);
        cJSON_AddStringToObject(source, "path", b->ide_path);
        cJSON *body = cJSON_CreateObject();
        cJSON_AddStringToObject(body, "category", "console");
        cJSON_AddStringToObject(body, "output", text);
        cJSON_AddItemToObject(body, "source", source);
        cJSON_AddNumberToObject(body, "line", b->line);
        dap_send_event(s, "output", body);
    }
    free(text);
}
