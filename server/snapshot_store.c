/* The snapshot store (see snapshot_store.h): a list from oldest to newest with running totals,
 * evicting from the old end, and a list of per-breakpoint counts. Linear lookups suit its size. */
#include "snapshot_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static snapshot_record *oldest, *newest;
static size_t record_count, record_bytes;
static size_t limit_count = SNAPSHOT_STORE_DEFAULT_COUNT;
static size_t limit_bytes = SNAPSHOT_STORE_DEFAULT_BYTES;
static uint64_t next_id = 1;
static snapshot_evict_fn evict_hook;
static snapshot_bp_stats *stats, **stats_tail = &stats;

void snapshot_store_configure(size_t max_count, size_t max_bytes)
{
    limit_count = max_count ? max_count : SNAPSHOT_STORE_DEFAULT_COUNT;
    limit_bytes = max_bytes ? max_bytes : SNAPSHOT_STORE_DEFAULT_BYTES;
}

void snapshot_store_on_evict(snapshot_evict_fn fn)
{
    evict_hook = fn;
}

static void free_record(snapshot_record *r)
{
    cJSON_Delete(r->body);
    free(r->pod);
    free(r->display_name);
    free(r->source_path);
    free(r->thread_name);
    free(r);
}

static void unlink_record(snapshot_record *r)
{
    if (r->older)
        r->older->newer = r->newer;
    else
        oldest = r->newer;
    if (r->newer)
        r->newer->older = r->older;
    else
        newest = r->older;
    record_count--;
    record_bytes -= r->bytes;
}

static void evict(snapshot_record *r)
{
    if (evict_hook)
        evict_hook(r);
    unlink_record(r);
    free_record(r);
}

/* The counts of a breakpoint, created at zero when it has none. NULL when out of memory. */
static snapshot_bp_stats *stats_of(int64_t breakpoint_id)
{
    for (snapshot_bp_stats *st = stats; st; st = st->next)
        if (st->breakpoint_id == breakpoint_id)
            return st;
    snapshot_bp_stats *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->breakpoint_id = breakpoint_id;
    *stats_tail = st;
    stats_tail = &st->next;
    return st;
}

static char *copy_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

const snapshot_record *snapshot_store_add(const snapshot_origin *origin, cJSON *body, size_t bytes)
{
    snapshot_record *r = calloc(1, sizeof *r);
    snapshot_bp_stats *st = stats_of(origin->breakpoint_id);
    if (!r || !st) {
        free(r);
        cJSON_Delete(body);
        return NULL;
    }
    const cJSON *tid = cJSON_GetObjectItemCaseSensitive(body, "tid");
    const cJSON *thread_name = cJSON_GetObjectItemCaseSensitive(body, "thread_name");
    const cJSON *time_ms = cJSON_GetObjectItemCaseSensitive(body, "time_ms");
    char display[160];
    snprintf(display, sizeof display, "%s/%d", origin->pod ? origin->pod : "?", origin->pid);
    r->body = body;
    r->pod = copy_or_empty(origin->pod);
    r->display_name = strdup(display);
    r->source_path = copy_or_empty(origin->source_path);
    r->thread_name = copy_or_empty(cJSON_IsString(thread_name) ? thread_name->valuestring : NULL);
    if (!r->pod || !r->display_name || !r->source_path || !r->thread_name) {
        free_record(r);
        return NULL;
    }
    r->id = next_id++;
    r->breakpoint_id = origin->breakpoint_id;
    r->session_id = origin->session_id;
    r->probe_id = origin->probe_id;
    r->pid = origin->pid;
    r->line = origin->line;
    r->tid = cJSON_IsNumber(tid) ? tid->valueint : 0;
    r->time_ms = cJSON_IsNumber(time_ms) ? (int64_t)time_ms->valuedouble : 0;
    r->sequence = ++st->captured;
    r->bytes = bytes;

    r->older = newest;
    if (newest)
        newest->newer = r;
    else
        oldest = r;
    newest = r;
    record_count++;
    record_bytes += bytes;
    while (oldest != r && (record_count > limit_count || record_bytes > limit_bytes))
        evict(oldest);
    return r;
}

void snapshot_store_count_dropped(int64_t breakpoint_id, int64_t dropped)
{
    snapshot_bp_stats *st = dropped > 0 ? stats_of(breakpoint_id) : NULL;
    if (st)
        st->dropped += dropped;
}

const snapshot_record *snapshot_store_find(uint64_t id)
{
    for (const snapshot_record *r = newest; r; r = r->older)
        if (r->id == id)
            return r;
    return NULL;
}

const snapshot_record *snapshot_store_newest(void)
{
    return newest;
}

size_t snapshot_store_count(void)
{
    return record_count;
}

size_t snapshot_store_bytes(void)
{
    return record_bytes;
}

const snapshot_bp_stats *snapshot_store_stats(int64_t breakpoint_id)
{
    for (const snapshot_bp_stats *st = stats; st; st = st->next)
        if (st->breakpoint_id == breakpoint_id)
            return st;
    return NULL;
}

const snapshot_bp_stats *snapshot_store_stats_first(void)
{
    return stats;
}

void snapshot_store_clear(void)
{
    while (oldest)
        evict(oldest);
    while (stats) {
        snapshot_bp_stats *st = stats;
        stats = st->next;
        free(st);
    }
    stats_tail = &stats;
}
