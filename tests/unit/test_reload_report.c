/* Unit tests for server/reload_report: statuses, the per-process JSON of podbug/reload's response,
 * the progress line per answer, and the summary of a success, a failure with its rollbacks, a
 * failed canary and a rollback. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reload_report.h"

/* An outcome of process name: its status, message (or NULL), patched names, counts, time. */
static reload_outcome outcome(const char *name, reload_status status, const char *message, const char *patched_csv,
                              int64_t unchanged, int64_t time_us)
{
    reload_outcome o;
    memset(&o, 0, sizeof o);
    snprintf(o.process.name, sizeof o.process.name, "%s", name);
    o.pod = strdup(name);
    *strchr(o.pod, '/') = '\0';
    o.pid = atoi(strchr(name, '/') + 1);
    o.status = status;
    o.message = message ? strdup(message) : NULL;
    if (status == RELOAD_RELOADED || status == RELOAD_ROLLED_BACK) {
        o.result.module = strdup("/app/libhandlers.so");
        o.result.generation = status == RELOAD_RELOADED ? 1 : 0;
    }
    o.result.patched = calloc(16, sizeof *o.result.patched);
    char *names = strdup(patched_csv), *save = NULL;
    for (char *n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save))
        o.result.patched[o.result.n_listed++] = strdup(n);
    free(names);
    o.result.n_patched = (int64_t)o.result.n_listed;
    o.result.unchanged = unchanged;
    o.result.time_us = time_us;
    return o;
}

static void free_all(reload_outcome *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        reload_outcome_free(&o[i]);
}

static void expect_summary(const char *name, bool rollback, const reload_outcome *o, size_t n, const char *expected)
{
    char *text = reload_summary(name, rollback, o, n);
    cr_assert_not_null(text);
    cr_expect_str_eq(text, expected);
    free(text);
}

Test(reload_report, status_names)
{
    cr_expect_str_eq(reload_status_name(RELOAD_RELOADED), "reloaded");
    cr_expect_str_eq(reload_status_name(RELOAD_ROLLED_BACK), "rolled back");
    cr_expect_str_eq(reload_status_name(RELOAD_REFUSED), "refused");
    cr_expect_str_eq(reload_status_name(RELOAD_FAILED), "failed");
    cr_expect_str_eq(reload_status_name(RELOAD_NOT_ATTEMPTED), "not attempted");
}

Test(reload_report, a_success_names_the_patched_functions_and_the_slowest)
{
    reload_outcome o[] = {
        outcome("pod-a/123", RELOAD_RELOADED, NULL, "handle", 4, 400),
        outcome("pod-b/124", RELOAD_RELOADED, NULL, "handle", 4, 2100),
        outcome("pod-c/125", RELOAD_RELOADED, NULL, "handle", 4, 900),
    };
    cr_expect(reload_all_done(false, o, 3));
    cr_expect_not(reload_all_done(true, o, 3));
    expect_summary("libhandlers.so", false, o, 3,
                   "reloaded libhandlers.so in 3 of 3 processes: patched handle; 4 functions unchanged; slowest 2.1 ms");
    free_all(o, 3);
}

Test(reload_report, patched_lists_merge_and_stop_at_eight)
{
    reload_outcome o[] = {
        outcome("pod-a/1", RELOAD_RELOADED, NULL, "f1,f2,f3,f4,f5", 1, 1500000),
        outcome("pod-b/2", RELOAD_RELOADED, NULL, "f4,f5,f6,f7,f8,f9,f10", 0, 3000),
    };
    o[1].result.added = 2;
    expect_summary("libhandlers.so", false, o, 2,
                   "reloaded libhandlers.so in 2 of 2 processes: patched f1, f2, f3, f4, f5, f6, f7, f8 and 2 more; "
                   "1 function unchanged; 2 functions added; slowest 1.5 s");
    free_all(o, 2);
    reload_outcome none[] = { outcome("pod-a/1", RELOAD_RELOADED, NULL, "", 7, 100) };
    expect_summary("libhandlers.so", false, none, 1,
                   "reloaded libhandlers.so in 1 of 1 process: no function changed; 7 functions unchanged; slowest 0.1 ms");
    free_all(none, 1);
}

Test(reload_report, a_failure_names_the_process_its_reason_and_the_rollbacks)
{
    reload_outcome o[] = {
        outcome("pod-a/123", RELOAD_ROLLED_BACK, "the reload failed in pod-b/124", "handle", 4, 400),
        outcome("pod-b/124", RELOAD_REFUSED, "refused: struct request changed layout: size 8 -> 16", "", 0, 0),
        outcome("pod-c/125", RELOAD_ROLLED_BACK, "the reload failed in pod-b/124", "handle", 4, 400),
    };
    cr_expect_not(reload_all_done(false, o, 3));
    expect_summary("libhandlers.so", false, o, 3,
                   "reload of libhandlers.so failed in pod-b/124: refused: struct request changed layout: size 8 -> 16; "
                   "the others were rolled back: pod-a/123 and pod-c/125");
    free_all(o, 3);
}

Test(reload_report, a_failed_rollback_and_more_failures_are_said)
{
    reload_outcome o[] = {
        outcome("pod-a/1", RELOAD_RELOADED, "could not roll back: the probe disconnected", "handle", 4, 400),
        outcome("pod-b/2", RELOAD_FAILED, "cannot load the library: undefined symbol: foo", "", 0, 0),
        outcome("pod-c/3", RELOAD_FAILED, "the process disconnected during the reload", "", 0, 0),
        outcome("pod-d/4", RELOAD_ROLLED_BACK, "the reload failed in pod-b/2", "handle", 4, 400),
    };
    expect_summary("libhandlers.so", false, o, 4,
                   "reload of libhandlers.so failed in pod-b/2: cannot load the library: undefined symbol: foo; "
                   "1 more process failed; the others were rolled back: pod-d/4; "
                   "could not roll back, still running the new code: pod-a/1");
    free_all(o, 4);
}

Test(reload_report, a_failed_canary_leaves_the_others_alone)
{
    reload_outcome o[] = {
        outcome("pod-a/1", RELOAD_FAILED, "crashed in the reloaded code: SIGSEGV: invalid read at 0x0", "handle", 4, 400),
        outcome("pod-b/2", RELOAD_NOT_ATTEMPTED, NULL, "", 0, 0),
        outcome("pod-c/3", RELOAD_NOT_ATTEMPTED, NULL, "", 0, 0),
    };
    o[0].canary = true;
    expect_summary("libhandlers.so", false, o, 3,
                   "reload of libhandlers.so failed in canary pod-a/1: crashed in the reloaded code: SIGSEGV: invalid "
                   "read at 0x0; 2 processes not attempted");
    free_all(o, 3);
}

Test(reload_report, rollbacks)
{
    reload_outcome o[] = {
        outcome("pod-a/1", RELOAD_ROLLED_BACK, NULL, "", 0, 120),
        outcome("pod-b/2", RELOAD_ROLLED_BACK, NULL, "", 0, 80),
    };
    cr_expect(reload_all_done(true, o, 2));
    expect_summary("libhandlers.so", true, o, 2, "rolled back libhandlers.so in 2 of 2 processes; slowest 0.1 ms");
    expect_summary(NULL, true, o, 2, "rolled back the module reloaded last in 2 of 2 processes; slowest 0.1 ms");
    reload_outcome_say(&o[1], "nothing to roll back");
    o[1].status = RELOAD_FAILED;
    expect_summary("libhandlers.so", true, o, 2,
                   "rollback of libhandlers.so failed in pod-b/2: nothing to roll back; rolled back in pod-a/1");
    free_all(o, 2);
}

Test(reload_report, progress_lines)
{
    reload_outcome o[] = {
        outcome("pod-a/123", RELOAD_RELOADED, NULL, "handle,compute", 4, 400),
        outcome("pod-b/124", RELOAD_REFUSED, "refused: struct request changed layout", "", 0, 0),
        outcome("pod-c/125", RELOAD_FAILED, "checksum mismatch", "", 0, 0),
        outcome("pod-d/126", RELOAD_ROLLED_BACK, "the reload failed in pod-b/124", "", 0, 0),
        outcome("pod-e/127", RELOAD_ROLLED_BACK, NULL, "", 0, 250),
        outcome("pod-f/128", RELOAD_RELOADED, "could not roll back: timed out", "handle", 0, 0),
        outcome("pod-g/129", RELOAD_NOT_ATTEMPTED, "the canary failed", "", 0, 0),
    };
    const char *expected[] = {
        "pod-a/123: patched handle and compute (0.4 ms)",
        "pod-b/124: refused: struct request changed layout",
        "pod-c/125: failed: checksum mismatch",
        "pod-d/126: rolled back: the reload failed in pod-b/124",
        "pod-e/127: rolled back to generation 0 (0.2 ms)",
        "pod-f/128: could not roll back: timed out",
        "pod-g/129: not attempted: the canary failed",
    };
    for (size_t i = 0; i < sizeof o / sizeof o[0]; i++) {
        char *line = reload_progress_line(&o[i]);
        cr_assert_not_null(line);
        cr_expect_str_eq(line, expected[i]);
        free(line);
    }
    free_all(o, sizeof o / sizeof o[0]);
}

Test(reload_report, the_json_of_an_outcome)
{
    reload_outcome o = outcome("pod-a/123", RELOAD_RELOADED, NULL, "handle", 4, 2100);
    o.result.added = 1;
    o.result.warnings = calloc(1, sizeof *o.result.warnings);
    o.result.warnings[0] = strdup("thread-local variable 'x' starts fresh in the new code");
    o.result.n_warnings = 1;
    cJSON *j = reload_outcome_json(&o, false);
    char *text = cJSON_PrintUnformatted(j);
    cr_expect_str_eq(text, "{\"process\":\"pod-a/123\",\"pod\":\"pod-a\",\"pid\":123,\"status\":\"reloaded\","
                           "\"message\":\"\",\"module\":\"/app/libhandlers.so\",\"generation\":1,"
                           "\"patched\":[\"handle\"],\"unchanged\":4,\"added\":1,\"timeMs\":2.1,"
                           "\"warnings\":[\"thread-local variable 'x' starts fresh in the new code\"]}");
    free(text);
    cJSON_Delete(j);
    reload_outcome_free(&o);
    reload_outcome r = outcome("pod-b/2", RELOAD_FAILED, "checksum mismatch", "", 0, 0);
    r.restored = 0;
    j = reload_outcome_json(&r, true);
    text = cJSON_PrintUnformatted(j);
    cr_expect_str_eq(text, "{\"process\":\"pod-b/2\",\"pod\":\"pod-b\",\"pid\":2,\"status\":\"failed\","
                           "\"message\":\"checksum mismatch\",\"module\":\"\",\"generation\":0,\"patched\":[],"
                           "\"unchanged\":0,\"added\":0,\"restored\":0,\"timeMs\":0}");
    free(text);
    cJSON_Delete(j);
    reload_outcome_free(&r);
}
