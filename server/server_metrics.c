/* The podbug_* metric families: gauges read from the fleet, sessions and snapshot store, counters
 * bumped by the modules where hits, snapshots, reloads, errors and bytes happen, and the limits. */
#include "server_metrics.h"

#include "breakpoints.h"
#include "dap_session.h"
#include "fleet.h"
#include "metrics.h"
#include "probe_msg.h"
#include "reload_report.h"
#include "snapshot_store.h"

static metric_family *counters[PODBUG_COUNTER_COUNT];

static uint64_t read_probes(void)
{
    return fleet_count();
}

static uint64_t read_sessions(void)
{
    return dap_session_count();
}

static uint64_t read_snapshots_stored(void)
{
    return snapshot_store_count();
}

static uint64_t read_breakpoints(void)
{
    uint64_t n = 0;
    for (const dap_session *s = dap_session_first(); s; s = s->next)
        for (const session_bp *b = s->breakpoints; b; b = b->next)
            n++;
    return n;
}

typedef struct counter_spec {
    const char *name;
    const char *help;
    const char *label;
    const char *declared[7];   /* label values shown from the start, NULL-terminated */
} counter_spec;

static const counter_spec counter_specs[PODBUG_COUNTER_COUNT] = {
    [PODBUG_HITS] = { "podbug_hits_total", "Stops, snapshots and log lines reported by probes.", NULL, { NULL } },
    [PODBUG_HITS_DROPPED] = { "podbug_hits_dropped_total", "Hits the probes dropped (rate limits and budgets).",
                              NULL, { NULL } },
    [PODBUG_SNAPSHOTS] = { "podbug_snapshots_total", "Snapshots received from probes.", NULL, { NULL } },
    [PODBUG_RELOADS] = { "podbug_reloads_total", "Hot reloads per process, by result.", "result",
                         { "reloaded", "refused", "failed", "rolled_back", NULL } },
    [PODBUG_ERRORS] = { "podbug_errors_total", "Errors, by kind.", "kind",
                        { "bad_message", "probe_error", "too_big", "rate_limited", "over_limit", "slow_client" } },
    [PODBUG_BYTES_RECEIVED] = { "podbug_bytes_received_total", "Message bytes received, by channel.", "channel",
                                { "probe", "dap", NULL } },
    [PODBUG_BYTES_SENT] = { "podbug_bytes_sent_total", "Message bytes sent, by channel.", "channel",
                            { "probe", "dap", NULL } },
    [PODBUG_AUTH_REFUSED] = { "podbug_auth_refused_total",
                              "Connections and requests refused for a missing, unknown or insufficient token.",
                              "reason", { "no_token", "unknown_token", "forbidden", NULL } },
};

static int register_limit(const char *name, const char *help, size_t value)
{
    metric_family *f = metrics_register(name, help, METRIC_GAUGE, NULL);
    if (!f)
        return -1;
    metrics_set(f, NULL, value);
    return 0;
}

int server_metrics_init(const server_limits *limits, size_t snapshot_limit)
{
    if (!metrics_register_read("podbug_probes", "Probes connected and registered.", read_probes) ||
        !metrics_register_read("podbug_sessions", "Debug adapter (IDE) sessions connected.", read_sessions) ||
        !metrics_register_read("podbug_breakpoints", "Breakpoints set by all sessions.", read_breakpoints) ||
        !metrics_register_read("podbug_snapshots_stored", "Snapshots kept in memory.", read_snapshots_stored))
        return -1;
    for (int i = 0; i < PODBUG_COUNTER_COUNT; i++) {
        const counter_spec *spec = &counter_specs[i];
        counters[i] = metrics_register(spec->name, spec->help, METRIC_COUNTER, spec->label);
        if (!counters[i])
            return -1;
        for (size_t j = 0; j < sizeof spec->declared / sizeof spec->declared[0] && spec->declared[j]; j++)
            metrics_declare(counters[i], spec->declared[j]);
    }
    return register_limit("podbug_limit_max_message_bytes", "Largest probe or DAP message accepted (bytes).",
                          limits->max_message_bytes) ||
           register_limit("podbug_limit_max_probes", "Probe connections accepted at once.", limits->max_probes) ||
           register_limit("podbug_limit_max_sessions", "DAP connections accepted at once.", limits->max_sessions) ||
           register_limit("podbug_limit_max_messages_per_second", "Messages accepted per connection and second.",
                          limits->max_messages_per_second) ||
           register_limit("podbug_limit_max_queued_bytes", "Unsent bytes a connection may queue before it is closed.",
                          limits->max_queued_bytes) ||
           register_limit("podbug_limit_snapshots", "Snapshots kept in memory (oldest evicted first).",
                          snapshot_limit) ||
           register_limit("podbug_limit_snapshot_bytes", "Bytes of snapshots kept in memory.",
                          SNAPSHOT_STORE_DEFAULT_BYTES)
               ? -1
               : 0;
}

void server_metrics_count(podbug_counter which, const char *label, uint64_t n)
{
    metrics_add(counters[which], label, n);
}

static uint64_t non_negative(int64_t n)
{
    return n > 0 ? (uint64_t)n : 0;
}

void server_metrics_count_output(const probe_output *line)
{
    server_metrics_count(PODBUG_HITS, NULL, line->tid != 0);
    server_metrics_count(PODBUG_HITS_DROPPED, NULL, non_negative(line->dropped));
}

void server_metrics_count_snapshot(const cJSON *body)
{
    const cJSON *dropped = cJSON_GetObjectItemCaseSensitive(body, "dropped");
    server_metrics_count(PODBUG_HITS, NULL, 1);
    server_metrics_count(PODBUG_SNAPSHOTS, NULL, 1);
    server_metrics_count(PODBUG_HITS_DROPPED, NULL, cJSON_IsNumber(dropped) ? non_negative((int64_t)dropped->valuedouble) : 0);
}

/* The result label of a process's reload; NULL for one that was never attempted or is pending. */
static const char *reload_result_label(reload_status status)
{
    switch (status) {
    case RELOAD_RELOADED: return "reloaded";
    case RELOAD_REFUSED: return "refused";
    case RELOAD_FAILED: return "failed";
    case RELOAD_ROLLED_BACK: return "rolled_back";
    case RELOAD_PENDING:
    case RELOAD_NOT_ATTEMPTED: break;
    }
    return NULL;
}

void server_metrics_count_reloads(const reload_outcome *outcomes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *result = reload_result_label(outcomes[i].status);
        if (result)
            server_metrics_count(PODBUG_RELOADS, result, 1);
    }
}
