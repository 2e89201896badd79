/* Unit tests for server/budgets: parsing the attach argument `budgets` (defaults, ranges, unknown
 * fields), the budget each kind of breakpoint gets, and durations in messages. */
#include <criterion/criterion.h>

#include "budgets.h"

static int parse(const char *text, session_budgets *out, char *err, size_t err_len)
{
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    cr_assert(!text || json, "test input is not JSON: %s", text);
    int rc = budgets_parse(json, out, err, err_len);
    cJSON_Delete(json);
    return rc;
}

Test(budgets, absent_budgets_are_the_defaults)
{
    session_budgets b;
    char err[400] = "";
    cr_assert_eq(parse(NULL, &b, err, sizeof err), 0, "%s", err);
    cr_expect_eq(b.snapshot_frames, 0);
    cr_expect_eq(b.snapshot_depth, -1);
    cr_expect_eq(b.expiry_seconds, BUDGETS_DEFAULT_EXPIRY_SECONDS);
    cr_assert_eq(parse("{}", &b, err, sizeof err), 0, "%s", err);
    cr_expect_eq(b.snapshot_depth, -1);
    cr_expect_eq(budgets_snapshots_per_second(&b), PROBE_DEFAULT_SNAPSHOTS_PER_SECOND);
}

Test(budgets, every_field_is_read)
{
    session_budgets b;
    char err[400] = "";
    cr_assert_eq(parse("{\"snapshotFrames\":10,\"snapshotDepth\":0,\"snapshotBytes\":8192,\"snapshotsPerSecond\":7,"
                       "\"snapshotBytesPerSecond\":2048,\"logLinesPerSecond\":50,\"logBytesPerSecond\":4096,"
                       "\"conditionCpuPercent\":20,\"conditionSteps\":100,\"expirySeconds\":3600}",
                       &b, err, sizeof err), 0, "%s", err);
    cr_expect_eq(b.snapshot_frames, 10);
    cr_expect_eq(b.snapshot_depth, 0);
    cr_expect_eq(b.snapshot_bytes, 8192);
    cr_expect_eq(b.snapshots_per_second, 7);
    cr_expect_eq(b.snapshot_bytes_per_second, 2048);
    cr_expect_eq(b.log_lines_per_second, 50);
    cr_expect_eq(b.log_bytes_per_second, 4096);
    cr_expect_eq(b.condition_cpu_percent, 20);
    cr_expect_eq(b.condition_steps, 100);
    cr_expect_eq(b.expiry_seconds, 3600);
    cr_expect_eq(budgets_snapshots_per_second(&b), 7);

    probe_bp_budget snap = budgets_for_breakpoint(&b, true, false);
    cr_expect_eq(snap.max_frames, 10);
    cr_expect_eq(snap.max_depth, 0);
    cr_expect_eq(snap.max_bytes, 8192);
    cr_expect_eq(snap.per_second, 7);
    cr_expect_eq(snap.bytes_per_second, 2048);
    cr_expect_eq(snap.cpu_percent, 20);
    cr_expect_eq(snap.condition_steps, 100);

    probe_bp_budget log = budgets_for_breakpoint(&b, false, true);
    cr_expect_eq(log.max_frames, 0);
    cr_expect_eq(log.max_depth, -1);
    cr_expect_eq(log.per_second, 50);
    cr_expect_eq(log.bytes_per_second, 4096);
    cr_expect_eq(log.cpu_percent, 20);

    probe_bp_budget stop = budgets_for_breakpoint(&b, false, false);
    cr_expect_eq(stop.per_second, 0);
    cr_expect_eq(stop.max_depth, -1);
    cr_expect_eq(stop.condition_steps, 100);
}

Test(budgets, bad_values_name_the_field_and_its_range)
{
    static const struct { const char *json, *error; } cases[] = {
        { "[]", "'budgets' must be an object (e.g. {\"snapshotsPerSecond\": 5})" },
        { "{\"snapshotFrames\":0}", "budgets.snapshotFrames must be an integer 1..64" },
        { "{\"snapshotDepth\":5}", "budgets.snapshotDepth must be an integer 0..4" },
        { "{\"snapshotBytes\":1048577}", "budgets.snapshotBytes must be an integer 4096..1048576" },
        { "{\"snapshotsPerSecond\":1.5}", "budgets.snapshotsPerSecond must be an integer 1..100000" },
        { "{\"logBytesPerSecond\":\"1k\"}", "budgets.logBytesPerSecond must be an integer 1024..1073741824" },
        { "{\"conditionSteps\":1e9}", "budgets.conditionSteps must be an integer 16..65536" },
        { "{\"expirySeconds\":-1}", "budgets.expirySeconds must be an integer 1..31622400" },
        { "{\"cpu\":1}", "budgets: unknown field 'cpu' (known: snapshotFrames, snapshotDepth, snapshotBytes, "
                         "snapshotsPerSecond, snapshotBytesPerSecond, logLinesPerSecond, logBytesPerSecond, "
                         "conditionCpuPercent, conditionSteps, expirySeconds)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        session_budgets b;
        char err[400] = "";
        cr_expect_eq(parse(cases[i].json, &b, err, sizeof err), -1, "accepted: %s", cases[i].json);
        cr_expect_str_eq(err, cases[i].error, "input: %s", cases[i].json);
    }
}

Test(budgets, durations_read_naturally)
{
    char buf[32];
    cr_expect_str_eq(budgets_format_duration(86400, buf, sizeof buf), "24 h");
    cr_expect_str_eq(budgets_format_duration(3600, buf, sizeof buf), "1 h");
    cr_expect_str_eq(budgets_format_duration(5400, buf, sizeof buf), "90 min");
    cr_expect_str_eq(budgets_format_duration(60, buf, sizeof buf), "1 min");
    cr_expect_str_eq(budgets_format_duration(90, buf, sizeof buf), "90 s");
    cr_expect_str_eq(budgets_format_duration(2, buf, sizeof buf), "2 s");
}
