/* podbug-server's own metrics (podbug_*): registered once at start with the limits in force,
 * counted with one call where things happen, rendered by metrics.h at GET /metrics. */
#ifndef PODBUG_SERVER_SERVER_METRICS_H
#define PODBUG_SERVER_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include "server_limits.h"

struct cJSON;
struct probe_output;
struct reload_outcome;

typedef enum {
    PODBUG_HITS,            /* stops, snapshots and log lines reported by probes */
    PODBUG_HITS_DROPPED,    /* hits the probes dropped (rate limits, budgets) */
    PODBUG_SNAPSHOTS,       /* snapshots received */
    PODBUG_RELOADS,         /* label result: reloaded, refused, failed, rolled_back */
    PODBUG_ERRORS,          /* label kind: bad_message, probe_error, too_big, rate_limited, ... */
    PODBUG_BYTES_RECEIVED,  /* label channel: probe, dap */
    PODBUG_BYTES_SENT,      /* label channel: probe, dap */
    PODBUG_AUTH_REFUSED,    /* label reason: no_token, unknown_token, forbidden */
    PODBUG_COUNTER_COUNT
} podbug_counter;

/* Registers every podbug_* family, the limits (and --snapshot-limit) as podbug_limit_* gauges.
 * Returns 0, or -1 when out of memory. */
int server_metrics_init(const server_limits *limits, size_t snapshot_limit);
/* Adds n to a counter; label is the series' label value (NULL for counters without label). */
void server_metrics_count(podbug_counter which, const char *label, uint64_t n);
/* A logpoint's output event: one hit unless it only reports drops, and the lines it dropped. */
void server_metrics_count_output(const struct probe_output *line);
/* A valid snapshot body: one hit, one snapshot, and the snapshots dropped before it. */
void server_metrics_count_snapshot(const struct cJSON *body);
/* Counts the result of every process of a finished reload. */
void server_metrics_count_reloads(const struct reload_outcome *outcomes, size_t n);

#endif
