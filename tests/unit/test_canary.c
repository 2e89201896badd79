/* Unit tests for server/canary: the attach argument `canary`, a breakpoint's canary states, the
 * choice of the canary process (longest connected first) and the messages the IDE sees. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "canary.h"
#include "dap_session.h"

static int parse(const char *text, canary_options *out, char *err, size_t err_len)
{
    cJSON *json = text ? cJSON_Parse(text) : NULL;
    cr_assert(!text || json, "test input is not JSON: %s", text);
    int rc = canary_parse(json, out, err, err_len);
    cJSON_Delete(json);
    return rc;
}

Test(canary, absent_null_and_false_are_off)
{
    canary_options c = { 123 };
    char err[200] = "";
    cr_assert_eq(parse(NULL, &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 0);
    cr_assert_eq(parse("null", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 0);
    cr_assert_eq(parse("false", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 0);
}

Test(canary, true_and_an_empty_object_take_two_seconds)
{
    canary_options c;
    char err[200] = "";
    cr_assert_eq(parse("true", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 2000);
    cr_assert_eq(parse("{}", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 2000);
}

Test(canary, seconds_from_a_tenth_to_an_hour)
{
    canary_options c;
    char err[200] = "";
    cr_assert_eq(parse("{\"seconds\": 1}", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 1000);
    cr_assert_eq(parse("{\"seconds\": 0.1}", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 100);
    cr_assert_eq(parse("{\"seconds\": 2.5}", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 2500);
    cr_assert_eq(parse("{\"seconds\": 3600}", &c, err, sizeof err), 0, "%s", err);
    cr_expect_eq(c.window_ms, 3600000);
}

Test(canary, bad_values_are_refused_with_the_reason)
{
    canary_options c;
    char err[200];
    const char *range = "canary.seconds must be a number 0.1..3600";
    const char *cases[][2] = {
        { "{\"seconds\": 0.05}", range },
        { "{\"seconds\": 3601}", range },
        { "{\"seconds\": -1}", range },
        { "{\"seconds\": \"2\"}", range },
        { "{\"seconds\": null}", range },
        { "{\"secs\": 2}", "canary: unknown field 'secs' (known: seconds)" },
        { "2", "'canary' must be true, false or an object like {\"seconds\": 2}" },
        { "\"yes\"", "'canary' must be true, false or an object like {\"seconds\": 2}" },
        { "[1]", "'canary' must be true, false or an object like {\"seconds\": 2}" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        err[0] = '\0';
        cr_expect_eq(parse(cases[i][0], &c, err, sizeof err), -1, "%s accepted", cases[i][0]);
        cr_expect_str_eq(err, cases[i][1], "for %s", cases[i][0]);
    }
}

Test(canary, windows_read_naturally)
{
    char buf[32];
    cr_expect_str_eq(canary_format_window(2000, buf, sizeof buf), "2 s");
    cr_expect_str_eq(canary_format_window(500, buf, sizeof buf), "0.5 s");
    cr_expect_str_eq(canary_format_window(1500, buf, sizeof buf), "1.5 s");
    cr_expect_str_eq(canary_format_window(120000, buf, sizeof buf), "2 min");
    cr_expect_str_eq(canary_format_window(3600000, buf, sizeof buf), "1 h");
}

/* A registered probe "<pod>/<pid>" in the fleet. */
static probe_peer *add_probe(const char *pod, int pid)
{
    probe_peer *p = fleet_add(NULL);
    cr_assert(p);
    p->registered = true;
    p->hello.pod = strdup(pod);
    p->hello.pid = pid;
    return p;
}

Test(canary, a_placed_canary_watches_until_its_window_ends)
{
    probe_peer *p = add_probe("shop-1", 42);
    bp_canary c = { 0 };
    cr_expect_not(canary_holds_back(&c));
    canary_ask(&c, p, 7);
    cr_expect_eq(c.phase, CANARY_PLACING);
    cr_expect(canary_awaits(&c, 7));
    cr_expect_not(canary_awaits(&c, 8), "a stale placement's reply does not count");
    cr_expect(canary_is_in(&c, p->id));
    cr_expect(canary_holds_back(&c));
    char msg[200];
    cr_expect_str_eq(canary_message(&c, 2, 2000, msg, sizeof msg), "canary: arming in shop-1/42");

    canary_placed(&c, 10000, 2000);
    cr_expect_eq(c.phase, CANARY_WATCHING);
    cr_expect_not(canary_awaits(&c, 7));
    cr_expect(canary_is_in(&c, p->id));
    cr_expect_not(canary_is_in(&c, p->id + 1));
    cr_expect_not(canary_due(&c, 11999));
    cr_expect(canary_due(&c, 12000));
    cr_expect_str_eq(canary_message(&c, 2, 2000, msg, sizeof msg),
                     "canary: armed in shop-1/42; the other 2 processes follow after 2 s");
    cr_expect_str_eq(canary_message(&c, 1, 1000, msg, sizeof msg),
                     "canary: armed in shop-1/42; the other process follows after 1 s");
    cr_expect_str_eq(canary_message(&c, 0, 500, msg, sizeof msg),
                     "canary: armed in shop-1/42; processes that join follow after 0.5 s");

    canary_reset(&c);
    cr_expect_eq(c.phase, CANARY_NONE);
    cr_expect_not(canary_holds_back(&c));
    cr_expect_null(canary_message(&c, 2, 2000, msg, sizeof msg));
    fleet_remove(p);
}

Test(canary, a_breach_fails_it_with_the_reason)
{
    probe_peer *p = add_probe("shop-2", 4242);
    bp_canary c = { 0 };
    canary_ask(&c, p, 1);
    canary_placed(&c, 0, 2000);
    canary_fail(&c, "the process exited");
    cr_expect_eq(c.phase, CANARY_FAILED);
    cr_expect_not(canary_is_in(&c, p->id), "a failed canary no longer waits for its process");
    cr_expect_not(canary_due(&c, 1000000), "a failed canary is never promoted");
    cr_expect(canary_holds_back(&c));
    char msg[200];
    cr_expect_str_eq(canary_message(&c, 2, 2000, msg, sizeof msg), "canary failed in shop-2/4242: the process exited");
    canary_ask(&c, p, 2); /* the user changed it: a new canary, the failure forgotten */
    cr_expect_null(c.failure);
    cr_expect_eq(c.phase, CANARY_PLACING);
    canary_unplaced(&c);
    cr_expect_eq(c.phase, CANARY_UNPLACED);
    cr_expect(canary_holds_back(&c));
    cr_expect_not(canary_is_in(&c, p->id));
    cr_expect_null(canary_message(&c, 2, 2000, msg, sizeof msg), "unplaced: the probes' failures say why");
    canary_reset(&c);
    fleet_remove(p);
}

Test(canary, candidates_come_longest_connected_first_among_the_sessions_processes)
{
    probe_peer *a = add_probe("shop-a", 1);
    probe_peer *other = add_probe("billing", 2);
    probe_peer *b = add_probe("shop-b", 3);
    probe_peer *unregistered = fleet_add(NULL);
    probe_peer *c = add_probe("shop-c", 4);
    probe_label label = { "app", "shop" };
    for (probe_peer *p = fleet_first(); p; p = p->next) {
        if (p == other || p == unregistered)
            continue;
        p->hello.labels = &label;
        p->hello.n_labels = 1;
    }
    dap_session s = { .attached = true };
    s.sel.labels = &label;
    s.sel.n_labels = 1;

    cr_expect_eq(canary_candidate(&s, 0), a);
    cr_expect_eq(canary_candidate(&s, a->id), b, "the billing process does not match the selector");
    cr_expect_eq(canary_candidate(&s, b->id), c, "an unregistered probe is no candidate");
    cr_expect_null(canary_candidate(&s, c->id));
    s.detached = true;
    cr_expect_null(canary_candidate(&s, 0), "a detached session sees no process");

    for (probe_peer *p = fleet_first(); p; p = p->next) {
        p->hello.labels = NULL;
        p->hello.n_labels = 0;
    }
    while (fleet_first())
        fleet_remove(fleet_first());
}
