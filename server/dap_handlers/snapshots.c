/* Custom DAP request "podbug/snapshots": the stored snapshots, newest first, optionally of one
 * breakpoint, with the per-breakpoint counts of captured and dropped snapshots. */
#include "handlers.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include "../snapshot_threads.h"

/* "2026-11-22T22:42:00.123Z" */
static const char *iso_time(int64_t time_ms, char *buf, size_t len)
{
    time_t seconds = (time_t)(time_ms / 1000);
    struct tm tm;
    char date[32] = "";
    if (gmtime_r(&seconds, &tm))
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", date, (int)(time_ms % 1000));
    return buf;
}

static cJSON *snapshot_json(const dap_session *s, const snapshot_record *r)
{
    const cJSON *frame0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(r->body, "frames"), 0);
    const cJSON *function = cJSON_GetObjectItemCaseSensitive(frame0, "function");
    char time_text[48];
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    cJSON_AddNumberToObject(o, "breakpointId", (double)r->breakpoint_id);
    cJSON_AddNumberToObject(o, "session", (double)r->session_id);
    cJSON_AddStringToObject(o, "pod", r->pod);
    cJSON_AddNumberToObject(o, "pid", r->pid);
    cJSON_AddNumberToObject(o, "tid", r->tid);
    cJSON_AddStringToObject(o, "thread", r->thread_name);
    cJSON_AddNumberToObject(o, "sequence", (double)r->sequence);
    cJSON_AddStringToObject(o, "time", iso_time(r->time_ms, time_text, sizeof time_text));
    cJSON_AddNumberToObject(o, "timeMs", (double)r->time_ms);
    cJSON *source = cJSON_AddObjectToObject(o, "source");
    const char *slash = strrchr(r->source_path, '/');
    cJSON_AddStringToObject(source, "name", slash ? slash + 1 : r->source_path);
    cJSON_AddStringToObject(source, "path", r->source_path);
    cJSON_AddNumberToObject(o, "line", r->line);
    if (cJSON_IsString(function))
        cJSON_AddStringToObject(o, "function", function->valuestring);
    const cJSON *description = cJSON_GetObjectItemCaseSensitive(r->body, "description");
    cJSON_AddStringToObject(o, "reason", r->breakpoint_id == SNAPSHOT_CRASH_ID ? "crash" : "breakpoint");
    if (cJSON_IsString(description))
        cJSON_AddStringToObject(o, "description", description->valuestring);
    const cJSON *threads = cJSON_GetObjectItemCaseSensitive(r->body, "threads");
    if (cJSON_IsArray(threads)) /* a crash: every other thread's frames, as the probe sent them */
        cJSON_AddItemToObject(o, "threads", cJSON_Duplicate(threads, true));
    const cJSON *capture_ns = cJSON_GetObjectItemCaseSensitive(r->body, "capture_ns");
    if (cJSON_IsNumber(capture_ns))
        cJSON_AddNumberToObject(o, "captureNs", capture_ns->valuedouble);
    const cJSON *truncated = cJSON_GetObjectItemCaseSensitive(r->body, "truncated");
    cJSON_AddBoolToObject(o, "truncated", cJSON_IsTrue(truncated));
    int thread_id = snapshot_threads_thread_id(s, r->id);
    if (thread_id)
        cJSON_AddNumberToObject(o, "threadId", thread_id);
    return o;
}

void dap_handle_snapshots(dap_session *s, const dap_request_ref *ref, const cJSON *args)
{
    const cJSON *bp = cJSON_GetObjectItemCaseSensitive(args, "breakpointId");
    bool integer = cJSON_IsNumber(bp) && bp->valuedouble >= 0 && bp->valuedouble <= (double)PROBE_MAX_INTEGER &&
                   bp->valuedouble == (double)(int64_t)bp->valuedouble;
    if (bp && !cJSON_IsNull(bp) && !integer) {
        dap_respond_error(ref, "podbug/snapshots: 'breakpointId' must be an integer (a breakpoint's id)");
        return;
    }
    bool one = cJSON_IsNumber(bp);
    int64_t bp_id = one ? (int64_t)bp->valuedouble : 0;
    cJSON *body = cJSON_CreateObject();
    cJSON *snapshots = cJSON_AddArrayToObject(body, "snapshots");
    for (const snapshot_record *r = snapshot_store_newest(); r; r = r->older)
        if (!one || r->breakpoint_id == bp_id)
            cJSON_AddItemToArray(snapshots, snapshot_json(s, r));
    cJSON *breakpoints = cJSON_AddArrayToObject(body, "breakpoints");
    for (const snapshot_bp_stats *st = snapshot_store_stats_first(); st; st = st->next) {
        if (one && st->breakpoint_id != bp_id)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", (double)st->breakpoint_id);
        cJSON_AddNumberToObject(o, "captured", (double)st->captured);
        cJSON_AddNumberToObject(o, "dropped", (double)st->dropped);
        cJSON_AddItemToArray(breakpoints, o);
    }
    dap_respond(ref, true, NULL, body);
}
