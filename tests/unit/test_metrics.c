/* Unit tests for server/metrics: the exact Prometheus text (HELP, TYPE, series in order), label
 * and help escaping, counters, gauges set or read at render time, and reset. */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "metrics.h"

static uint64_t forty_two(void)
{
    return 42;
}

static void expect_render(const char *expected)
{
    char *text = metrics_render();
    cr_assert_not_null(text);
    cr_expect_str_eq(text, expected);
    free(text);
}

TestSuite(metrics, .fini = metrics_reset);

Test(metrics, renders_help_type_and_series_in_registration_order)
{
    metric_family *hits = metrics_register("podbug_hits_total", "Hits reported.", METRIC_COUNTER, NULL);
    metric_family *bytes = metrics_register("podbug_bytes_sent_total", "Bytes sent.", METRIC_COUNTER, "channel");
    metrics_register_read("podbug_probes", "Probes connected.", forty_two);
    metric_family *limit = metrics_register("podbug_limit_max_probes", "Probes at once.", METRIC_GAUGE, NULL);
    metrics_add(hits, NULL, 2);
    metrics_add(hits, NULL, 1);
    metrics_declare(bytes, "probe");
    metrics_add(bytes, "dap", 10);
    metrics_add(bytes, "dap", 5);
    metrics_set(limit, NULL, 10000);
    expect_render("# HELP podbug_hits_total Hits reported.\n"
                  "# TYPE podbug_hits_total counter\n"
                  "podbug_hits_total 3\n"
                  "# HELP podbug_bytes_sent_total Bytes sent.\n"
                  "# TYPE podbug_bytes_sent_total counter\n"
                  "podbug_bytes_sent_total{channel=\"probe\"} 0\n"
                  "podbug_bytes_sent_total{channel=\"dap\"} 15\n"
                  "# HELP podbug_probes Probes connected.\n"
                  "# TYPE podbug_probes gauge\n"
                  "podbug_probes 42\n"
                  "# HELP podbug_limit_max_probes Probes at once.\n"
                  "# TYPE podbug_limit_max_probes gauge\n"
                  "podbug_limit_max_probes 10000\n");
}

Test(metrics, an_unlabelled_family_shows_zero_and_a_labelled_one_only_its_series)
{
    metrics_register("podbug_snapshots_total", "Snapshots.", METRIC_COUNTER, NULL);
    metrics_register("podbug_errors_total", "Errors.", METRIC_COUNTER, "kind");
    expect_render("# HELP podbug_snapshots_total Snapshots.\n"
                  "# TYPE podbug_snapshots_total counter\n"
                  "podbug_snapshots_total 0\n"
                  "# HELP podbug_errors_total Errors.\n"
                  "# TYPE podbug_errors_total counter\n");
}

Test(metrics, escapes_label_values_and_help)
{
    metric_family *f = metrics_register("podbug_errors_total", "Errors \\ by \"kind\"\nsecond line.", METRIC_COUNTER,
                                        "kind");
    metrics_add(f, "a \"quoted\" \\ back\nslash", 1);
    expect_render("# HELP podbug_errors_total Errors \\\\ by \"kind\"\\nsecond line.\n"
                  "# TYPE podbug_errors_total counter\n"
                  "podbug_errors_total{kind=\"a \\\"quoted\\\" \\\\ back\\nslash\"} 1\n");
}

Test(metrics, reset_forgets_every_family)
{
    metric_family *f = metrics_register("podbug_hits_total", "Hits.", METRIC_COUNTER, NULL);
    metrics_add(f, NULL, 7);
    metrics_reset();
    expect_render("");
    metrics_register("podbug_hits_total", "Hits.", METRIC_COUNTER, NULL);
    expect_render("# HELP podbug_hits_total Hits.\n"
                  "# TYPE podbug_hits_total counter\n"
                  "podbug_hits_total 0\n");
}
