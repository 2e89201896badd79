/* The server's store of captured snapshots: each kept as the probe's JSON body plus where it came
 * from, bounded by count and bytes (oldest evicted first), with per-breakpoint counts. */
#ifndef PODBUG_SNAPSHOT_STORE_H
#define PODBUG_SNAPSHOT_STORE_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#define SNAPSHOT_STORE_DEFAULT_COUNT 1000
#define SNAPSHOT_STORE_DEFAULT_BYTES ((size_t)64 * 1024 * 1024)

/* The breakpoint id of crash snapshots (a fatal signal in snapshot mode): no breakpoint has it. */
#define SNAPSHOT_CRASH_ID 0

/* Where a snapshot came from; the strings are copied by snapshot_store_add. */
typedef struct snapshot_origin {
    int64_t breakpoint_id;
    uint64_t session_id;       /* the session owning the breakpoint */
    uint64_t probe_id;
    const char *pod;
    int pid;
    const char *source_path;   /* the breakpoint's source as the IDE names it */
    int line;                  /* the breakpoint's line */
} snapshot_origin;

typedef struct snapshot_record {
    uint64_t id;               /* store id: from 1, never reused */
    int64_t breakpoint_id;
    uint64_t session_id;
    uint64_t probe_id;
    char *pod;
    int pid;
    char *display_name;        /* "<pod>/<pid>" */
    char *source_path;
    int line;
    int tid;                   /* from the body: the thread that hit the breakpoint */
    char *thread_name;
    int64_t time_ms;           /* from the body: capture time, ms since the epoch */
    int64_t sequence;          /* 1, 2, 3 ... per breakpoint */
    cJSON *body;               /* the validated snapshot body (PROBE_PROTOCOL.md 4.15) */
    size_t bytes;              /* size of its JSON text, counted against the byte limit */
    struct snapshot_record *older, *newer;
} snapshot_record;

/* Per-breakpoint counts: snapshots captured (stored) and dropped by the probes. */
typedef struct snapshot_bp_stats {
    int64_t breakpoint_id;
    int64_t captured;
    int64_t dropped;
    struct snapshot_bp_stats *next;
} snapshot_bp_stats;

/* Called with each record just before it is evicted (and at snapshot_store_clear). */
typedef void (*snapshot_evict_fn)(const snapshot_record *r);

/* Limits: at most max_count snapshots and max_bytes of JSON text (0 = the default). Applies at
 * the next add. */
void snapshot_store_configure(size_t max_count, size_t max_bytes);
void snapshot_store_on_evict(snapshot_evict_fn fn);
/* Stores body (taken: freed on failure too), whose JSON text is `bytes` long, with its tid,
 * thread name and time read from it; evicts the oldest snapshots beyond the limits (never the new
 * one). Returns the new record, or NULL when out of memory. */
const snapshot_record *snapshot_store_add(const snapshot_origin *origin, cJSON *body, size_t bytes);
/* Adds to a breakpoint's count of dropped snapshots. */
void snapshot_store_count_dropped(int64_t breakpoint_id, int64_t dropped);

const snapshot_record *snapshot_store_find(uint64_t id);
/* Newest first: snapshot_store_newest(), then r->older until NULL. */
const snapshot_record *snapshot_store_newest(void);
size_t snapshot_store_count(void);
size_t snapshot_store_bytes(void);
/* The counts of one breakpoint (NULL when it never captured or dropped any); all of them in
 * order of first appearance from snapshot_store_stats_first(), then ->next. */
const snapshot_bp_stats *snapshot_store_stats(int64_t breakpoint_id);
const snapshot_bp_stats *snapshot_store_stats_first(void);
/* Forgets every snapshot (evict hook called for each) and every count. */
void snapshot_store_clear(void);

#endif
