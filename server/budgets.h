/* A session's breakpoint budgets: the attach argument `budgets` (validated, with errors naming the
 * field), and the probe-protocol budget each kind of breakpoint gets from it. */
#ifndef PODBUG_BUDGETS_H
#define PODBUG_BUDGETS_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include "probe_msg.h"

#define BUDGETS_DEFAULT_EXPIRY_SECONDS 86400
#define BUDGETS_MAX_EXPIRY_SECONDS (366 * 86400)

/* What the session asked for; 0 (snapshot_depth: -1) = not given, the probe's default applies. */
typedef struct session_budgets {
    int snapshot_frames;
    int snapshot_depth;
    int snapshot_bytes;
    int snapshots_per_second;
    int snapshot_bytes_per_second;
    int log_lines_per_second;
    int log_bytes_per_second;
    int condition_cpu_percent;
    int condition_steps;
    int expiry_seconds;          /* snapshot and logpoint breakpoints expire after this */
} session_budgets;

void budgets_defaults(session_budgets *out);
/* json: NULL (all defaults) or an object of the fields above in camelCase (snapshotFrames, ...,
 * expirySeconds). Returns 0, or -1 with err like "budgets.snapshotFrames must be an integer
 * 1..64" (an unknown field is refused with the known ones listed). */
int budgets_parse(const cJSON *json, session_budgets *out, char *err, size_t err_len);
/* The budget sent with a breakpoint: snapshot fields for a snapshot breakpoint, log fields for a
 * logpoint, the condition's for all. */
probe_bp_budget budgets_for_breakpoint(const session_budgets *b, bool snapshot, bool logpoint);
/* The snapshots per second a snapshot breakpoint of this session may capture. */
int budgets_snapshots_per_second(const session_budgets *b);
/* A duration for messages: "24 h", "90 min", "45 s". */
const char *budgets_format_duration(int seconds, char *buf, size_t len);

#endif
