/* Session budgets (see budgets.h): one table maps each attach field to its place and its range
 * (the probe protocol's ranges, from probe_msg.h); parsing, defaults and per-breakpoint budgets. */
#include "budgets.h"

#include <stdio.h>
#include <string.h>

typedef struct budget_field {
    const char *name;      /* attach argument, inside "budgets" */
    size_t offset;         /* in session_budgets */
    int min, max;
} budget_field;

#define BUDGET(json_name, member, range) \
    { json_name, offsetof(session_budgets, member), PROBE_##range##_MIN, PROBE_##range##_MAX }

static const budget_field budget_fields[] = {
    BUDGET("snapshotFrames", snapshot_frames, MAX_FRAMES),
    BUDGET("snapshotDepth", snapshot_depth, MAX_DEPTH),
    BUDGET("snapshotBytes", snapshot_bytes, MAX_BYTES),
    BUDGET("snapshotsPerSecond", snapshots_per_second, PER_SECOND),
    BUDGET("snapshotBytesPerSecond", snapshot_bytes_per_second, BYTES_PER_SECOND),
    BUDGET("logLinesPerSecond", log_lines_per_second, PER_SECOND),
    BUDGET("logBytesPerSecond", log_bytes_per_second, BYTES_PER_SECOND),
    BUDGET("conditionCpuPercent", condition_cpu_percent, CPU_PERCENT),
    BUDGET("conditionSteps", condition_steps, CONDITION_STEPS),
    { "expirySeconds", offsetof(session_budgets, expiry_seconds), 1, BUDGETS_MAX_EXPIRY_SECONDS },
};
#define N_BUDGET_FIELDS (sizeof budget_fields / sizeof budget_fields[0])

void budgets_defaults(session_budgets *out)
{
    memset(out, 0, sizeof *out);
    out->snapshot_depth = -1;
    out->expiry_seconds = BUDGETS_DEFAULT_EXPIRY_SECONDS;
}

static const budget_field *field_named(const char *name)
{
    for (size_t i = 0; i < N_BUDGET_FIELDS; i++)
        if (strcmp(budget_fields[i].name, name) == 0)
            return &budget_fields[i];
    return NULL;
}

static int unknown_field(const char *name, char *err, size_t err_len)
{
    int n = snprintf(err, err_len, "budgets: unknown field '%.60s' (known:", name);
    for (size_t i = 0; i < N_BUDGET_FIELDS && n >= 0 && (size_t)n < err_len; i++)
        n += snprintf(err + n, err_len - (size_t)n, "%s %s", i ? "," : "", budget_fields[i].name);
    if (n >= 0 && (size_t)n < err_len)
        snprintf(err + n, err_len - (size_t)n, ")");
    return -1;
}

int budgets_parse(const cJSON *json, session_budgets *out, char *err, size_t err_len)
{
    budgets_defaults(out);
    if (!json || cJSON_IsNull(json))
        return 0;
    if (!cJSON_IsObject(json)) {
        snprintf(err, err_len, "'budgets' must be an object (e.g. {\"snapshotsPerSecond\": 5})");
        return -1;
    }
    for (const cJSON *item = json->child; item; item = item->next) {
        const budget_field *f = field_named(item->string);
        if (!f)
            return unknown_field(item->string, err, err_len);
        double v = item->valuedouble;
        if (!cJSON_IsNumber(item) || v < f->min || v > f->max || v != (double)(int)v) {
            snprintf(err, err_len, "budgets.%s must be an integer %d..%d", f->name, f->min, f->max);
            return -1;
        }
        *(int *)((char *)out + f->offset) = (int)v;
    }
    return 0;
}

probe_bp_budget budgets_for_breakpoint(const session_budgets *b, bool snapshot, bool logpoint)
{
    probe_bp_budget budget = { .max_depth = -1, .cpu_percent = b->condition_cpu_percent,
                               .condition_steps = b->condition_steps };
    if (logpoint) {
        budget.per_second = b->log_lines_per_second;
        budget.bytes_per_second = b->log_bytes_per_second;
    } else if (snapshot) {
        budget.max_frames = b->snapshot_frames;
        budget.max_depth = b->snapshot_depth;
        budget.max_bytes = b->snapshot_bytes;
        budget.per_second = b->snapshots_per_second;
        budget.bytes_per_second = b->snapshot_bytes_per_second;
    }
    return budget;
}

int budgets_snapshots_per_second(const session_budgets *b)
{
    return b->snapshots_per_second ? b->snapshots_per_second : PROBE_DEFAULT_SNAPSHOTS_PER_SECOND;
}

const char *budgets_format_duration(int seconds, char *buf, size_t len)
{
    if (seconds >= 3600 && seconds % 3600 == 0)
        snprintf(buf, len, "%d h", seconds / 3600);
    else if (seconds >= 60 && seconds % 60 == 0)
        snprintf(buf, len, "%d min", seconds / 60);
    else
        snprintf(buf, len, "%d s", seconds);
    return buf;
}
