/* Snapshot threads (see snapshot_threads.h): from a probe's snapshot and snapshot.dropped events
 * to the store, the owning session's thread and stopped events, and drop reports. */
#include "snapshot_threads.h"

#include <stdio.h>
#include <string.h>
#include "breakpoints.h"
#include "handles.h"
#include "log.h"
#include "reload_crash.h"

static void on_evicted(const snapshot_record *r);

void snapshot_threads_init(size_t max_snapshots, size_t max_bytes)
{
    snapshot_store_configure(max_snapshots, max_bytes);
    snapshot_store_on_evict(on_evicted);
}

/* The session that owns breakpoint bp_id among those that see p, and the breakpoint. */
static dap_session *owner_of(const probe_peer *p, int64_t bp_id, const session_bp **bp)
{
    for (dap_session *s = dap_session_first(); s; s = s->next) {
        *bp = dap_session_sees(s, p) ? breakpoints_find(s, bp_id) : NULL;
        if (*bp)
            return s;
    }
    return NULL;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void report_dropped(dap_session *s, const session_bp *b, const probe_peer *p, int64_t dropped)
{
    snapshot_store_count_dropped(b->id, dropped);
    char name[96], text[400];
    fleet_display_name(p, name, sizeof name);
    snprintf(text, sizeof text, "podbug: snapshot breakpoint %s:%d dropped %lld snapshot%s in %s (budget: %d per second)\n",
             base_name(b->ide_path), b->line, (long long)dropped, dropped == 1 ? "" : "s", name,
             budgets_snapshots_per_second(&s->budgets));
    dap_send_console(s, text);
}

/* "<pod>/<pid> <thread name> [snapshot <bp id>#<seq>]", or "[crash #<seq>]" */
static const char *thread_name(const snapshot_record *r, char *buf, size_t len)
{
    if (r->breakpoint_id == SNAPSHOT_CRASH_ID)
        snprintf(buf, len, "%s %s [crash #%lld]", r->display_name, r->thread_name, (long long)r->sequence);
    else
        snprintf(buf, len, "%s %s [snapshot %lld#%lld]", r->display_name, r->thread_name,
                 (long long)r->breakpoint_id, (long long)r->sequence);
    return buf;
}

static void show(dap_session *s, const snapshot_record *r)
{
    int thread_id = handles_snapshot_thread_id(r->id);
    if (!thread_id)
        return;
    if (s->n_snapshots_shown == SESSION_MAX_SNAPSHOT_THREADS)
        snapshot_threads_dismiss(s, s->snapshots_shown[0]);
    s->snapshots_shown[s->n_snapshots_shown++] = r->id;
    dap_send_thread_event(s, "started", thread_id);

    bool crash = r->breakpoint_id == SNAPSHOT_CRASH_ID;
    char description[300];
    if (crash)
        snprintf(description, sizeof description, "%s in %s (crash snapshot)",
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r->body, "description")), r->display_name);
    else
        snprintf(description, sizeof description, "snapshot %lld#%lld in %s", (long long)r->breakpoint_id,
                 (long long)r->sequence, r->display_name);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "reason", crash ? "exception" : "snapshot");
    cJSON_AddStringToObject(body, "description", description);
    cJSON_AddNumberToObject(body, "threadId", thread_id);
    cJSON_AddBoolToObject(body, "preserveFocusHint", s->snapshot_focus_given);
    cJSON_AddBoolToObject(body, "allThreadsStopped", false);
    if (!crash) {
        cJSON *hit = cJSON_AddArrayToObject(body, "hitBreakpointIds");
        cJSON_AddItemToArray(hit, cJSON_CreateNumber((double)r->breakpoint_id));
    }
    dap_send_event(s, "stopped", body);
    s->snapshot_focus_given = true;
}

/* A crash snapshot: stored whoever watches (it outlives the process, for podbug/snapshots), and
 * shown to every session that sees the process. Its source and line are the crashing frame's. */
static void on_crash_snapshot(probe_peer *p, cJSON *body, size_t bytes)
{
    const cJSON *frame0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(body, "frames"), 0);
    const cJSON *line = cJSON_GetObjectItemCaseSensitive(frame0, "line");
    dap_session *first = NULL;
    for (dap_session *s = dap_session_first(); s && !first; s = s->next)
        if (dap_session_sees(s, p))
            first = s;
    snapshot_origin origin = { .breakpoint_id = SNAPSHOT_CRASH_ID, .session_id = first ? first->id : 0,
                               .probe_id = p->id, .pod = p->hello.pod, .pid = p->hello.pid,
                               .source_path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(frame0, "file")),
                               .line = cJSON_IsNumber(line) ? line->valueint : 0 };
    log_info("crash snapshot from %s/%d: %s", p->hello.pod, p->hello.pid,
             cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "description")));
    reload_crash_on_snapshot(p, body);
    const snapshot_record *r = snapshot_store_add(&origin, body, bytes);
    if (!r) {
        log_warn("out of memory storing a crash snapshot");
        return;
    }
    for (dap_session *s = dap_session_first(); s; s = s->next)
        if (dap_session_sees(s, p))
            show(s, r);
}

void snapshot_threads_on_snapshot(probe_peer *p, cJSON *body, size_t bytes)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "id");
    const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(body, "dropped");
    if (id->valuedouble == SNAPSHOT_CRASH_ID && cJSON_IsString(cJSON_GetObjectItemCaseSensitive(body, "description"))) {
        on_crash_snapshot(p, body, bytes);
        return;
    }
    const session_bp *b;
    dap_session *s = owner_of(p, (int64_t)id->valuedouble, &b);
    if (!s) {
        log_debug("snapshot of breakpoint %.0f from probe %llu: no session owns it any more", id->valuedouble,
                  (unsigned long long)p->id);
        cJSON_Delete(body);
        return;
    }
    if (dropped->valuedouble > 0)
        report_dropped(s, b, p, (int64_t)dropped->valuedouble);
    snapshot_origin origin = { .breakpoint_id = b->id, .session_id = s->id, .probe_id = p->id,
                               .pod = p->hello.pod, .pid = p->hello.pid, .source_path = b->ide_path,
                               .line = b->line };
    const snapshot_record *r = snapshot_store_add(&origin, body, bytes);
    if (r)
        show(s, r);
    else
        log_warn("out of memory storing a snapshot of breakpoint %lld", (long long)b->id);
}

void snapshot_threads_on_dropped(probe_peer *p, const probe_snapshot_dropped *report)
{
    const session_bp *b;
    dap_session *s = owner_of(p, report->id, &b);
    if (s)
        report_dropped(s, b, p, report->dropped);
}

/* Index of snapshot_id among those s shows, or -1. */
static int shown_index(const dap_session *s, uint64_t snapshot_id)
{
    for (size_t i = 0; i < s->n_snapshots_shown; i++)
        if (s->snapshots_shown[i] == snapshot_id)
            return (int)i;
    return -1;
}

const snapshot_record *snapshot_threads_shown(const dap_session *s, uint64_t snapshot_id)
{
    return shown_index(s, snapshot_id) >= 0 ? snapshot_store_find(snapshot_id) : NULL;
}

int snapshot_threads_thread_id(const dap_session *s, uint64_t snapshot_id)
{
    return shown_index(s, snapshot_id) >= 0 ? handles_snapshot_thread_id(snapshot_id) : 0;
}

void snapshot_threads_dismiss(dap_session *s, uint64_t snapshot_id)
{
    int i = shown_index(s, snapshot_id);
    if (i < 0)
        return;
    int thread_id = handles_snapshot_thread_id(snapshot_id);
    memmove(&s->snapshots_shown[i], &s->snapshots_shown[i + 1],
            (s->n_snapshots_shown - (size_t)i - 1) * sizeof s->snapshots_shown[0]);
    s->n_snapshots_shown--;
    handles_forget_snapshot(snapshot_id);
    if (thread_id)
        dap_send_thread_event(s, "exited", thread_id);
}

void snapshot_threads_list(const dap_session *s, cJSON *threads)
{
    for (size_t i = 0; i < s->n_snapshots_shown; i++) {
        const snapshot_record *r = snapshot_store_find(s->snapshots_shown[i]);
        int thread_id = r ? handles_snapshot_thread_id(r->id) : 0;
        if (!thread_id)
            continue;
        char name[300];
        cJSON *t = cJSON_CreateObject();
        cJSON_AddNumberToObject(t, "id", thread_id);
        cJSON_AddStringToObject(t, "name", thread_name(r, name, sizeof name));
        cJSON_AddItemToArray(threads, t);
    }
}

void snapshot_threads_forget_session(dap_session *s)
{
    for (size_t i = 0; i < s->n_snapshots_shown; i++)
        handles_forget_snapshot(s->snapshots_shown[i]);
    s->n_snapshots_shown = 0;
}

static void on_evicted(const snapshot_record *r)
{
    for (dap_session *s = dap_session_first(); s; s = s->next) /* a crash is shown to several */
        snapshot_threads_dismiss(s, r->id);
    handles_forget_snapshot(r->id);
}
