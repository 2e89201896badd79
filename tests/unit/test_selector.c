/* Unit tests for server/selector: parsing the attach arguments selector and pid, matching probes
 * (built by hand here, with pod and namespace as labels) and the describe texts for messages. */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <string.h>

#include "selector.h"

/* Parses the JSON texts (NULL = argument absent); returns selector_parse's result, err filled. */
static int try_parse(const char *selector_text, const char *pid_text, selector *out, char *err, size_t err_len)
{
    cJSON *sel = selector_text ? cJSON_Parse(selector_text) : NULL;
    cJSON *pid = pid_text ? cJSON_Parse(pid_text) : NULL;
    cr_assert(!selector_text || sel, "bad JSON in the test: %s", selector_text);
    cr_assert(!pid_text || pid, "bad JSON in the test: %s", pid_text);
    int rc = selector_parse(sel, pid, out, err, err_len);
    cJSON_Delete(sel);
    cJSON_Delete(pid);
    return rc;
}

static selector parse_ok(const char *selector_text, const char *pid_text)
{
    selector s;
    char err[256] = "";
    cr_assert_eq(try_parse(selector_text, pid_text, &s, err, sizeof err), 0, "%s / %s: %s", selector_text,
                 pid_text, err);
    return s;
}

static void expect_refused(const char *selector_text, const char *pid_text, const char *message)
{
    selector s;
    char err[256] = "";
    cr_expect_eq(try_parse(selector_text, pid_text, &s, err, sizeof err), -1, "%s / %s", selector_text, pid_text);
    cr_expect_str_eq(err, message, "%s / %s: got \"%s\"", selector_text, pid_text, err);
    cr_expect_eq(s.n_labels, 0);
    cr_expect_null(s.labels);
    selector_free(&s);
}

static const char pid_message[] = "'pid' must be a positive integer";

/* A registered probe of pod shop-7 in namespace prod, labelled app=shop tier=web, pid 4242. */
static probe_label shop_labels[] = { { "app", "shop" }, { "tier", "web" } };

static probe_peer shop_probe(void)
{
    return (probe_peer){
        .id = 1,
        .registered = true,
        .hello = { .pod = "shop-7", .namespace_ = "prod", .labels = shop_labels, .n_labels = 2, .pid = 4242 },
    };
}

static bool matches(const char *selector_text, const char *pid_text, const probe_peer *p)
{
    selector s = parse_ok(selector_text, pid_text);
    bool result = selector_matches(&s, p);
    selector_free(&s);
    return result;
}

static void expect_description(const char *selector_text, const char *pid_text, const char *text)
{
    selector s = parse_ok(selector_text, pid_text);
    char buf[128];
    selector_describe(&s, buf, sizeof buf);
    cr_expect_str_eq(buf, text, "%s / %s: got \"%s\"", selector_text, pid_text, buf);
    selector_free(&s);
}

Test(selector, absent_or_null_selector_is_every_process)
{
    selector absent = parse_ok(NULL, NULL);
    cr_expect_eq(absent.n_labels, 0);
    cr_expect_eq(absent.pid, 0);
    selector_free(&absent);

    selector null_sel = parse_ok("null", NULL);
    cr_expect_eq(null_sel.n_labels, 0);
    selector_free(&null_sel);

    selector empty = parse_ok("{}", NULL);
    cr_expect_eq(empty.n_labels, 0);
    selector_free(&empty);
}

Test(selector, parses_labels_and_pid)
{
    selector s = parse_ok("{\"app\": \"shop\", \"namespace\": \"prod\"}", "12");
    cr_assert_eq(s.n_labels, 2);
    cr_expect_str_eq(s.labels[0].key, "app");
    cr_expect_str_eq(s.labels[0].value, "shop");
    cr_expect_str_eq(s.labels[1].key, "namespace");
    cr_expect_str_eq(s.labels[1].value, "prod");
    cr_expect_eq(s.pid, 12);
    selector_free(&s);
    cr_expect_eq(s.n_labels, 0);
    cr_expect_null(s.labels);
    cr_expect_eq(s.pid, 0);
}

Test(selector, refuses_what_is_not_an_object)
{
    static const char message[] = "'selector' must be an object of label -> value, e.g. {\"app\": \"shop\"}";
    expect_refused("\"app=shop\"", NULL, message);
    expect_refused("[\"app\", \"shop\"]", NULL, message);
    expect_refused("7", NULL, message);
}

Test(selector, refuses_non_string_values)
{
    expect_refused("{\"app\": 1}", NULL, "'selector' entry 'app' must have a string value");
    expect_refused("{\"app\": \"shop\", \"tier\": null}", NULL, "'selector' entry 'tier' must have a string value");
    expect_refused("{\"app\": [\"shop\"]}", NULL, "'selector' entry 'app' must have a string value");
}

Test(selector, pid_must_be_a_positive_integer)
{
    expect_refused(NULL, "0", pid_message);
    expect_refused(NULL, "-1", pid_message);
    expect_refused(NULL, "1.5", pid_message);
    expect_refused(NULL, "\"12\"", pid_message);
    expect_refused(NULL, "true", pid_message);
    expect_refused(NULL, "1e12", pid_message);
    expect_refused("{\"app\": \"shop\"}", "-3", pid_message);

    selector one = parse_ok(NULL, "1");
    cr_expect_eq(one.pid, 1);
    selector_free(&one);
    selector largest = parse_ok(NULL, "4194304");
    cr_expect_eq(largest.pid, 4194304);
    selector_free(&largest);
}

Test(selector, empty_selector_matches_every_registered_probe)
{
    probe_peer p = shop_probe();
    cr_expect(matches(NULL, NULL, &p));
    cr_expect(matches("{}", NULL, &p));

    probe_peer bare = { .id = 2, .registered = true, .hello = { .pid = 7 } };
    cr_expect(matches(NULL, NULL, &bare));
}

Test(selector, unregistered_probe_never_matches)
{
    probe_peer p = shop_probe();
    p.registered = false;
    cr_expect_not(matches(NULL, NULL, &p));
    cr_expect_not(matches("{\"app\": \"shop\"}", NULL, &p));
    cr_expect_not(matches(NULL, "4242", &p));
}

Test(selector, every_label_must_be_present_with_the_same_value)
{
    probe_peer p = shop_probe();
    cr_expect(matches("{\"app\": \"shop\"}", NULL, &p));
    cr_expect(matches("{\"app\": \"shop\", \"tier\": \"web\"}", NULL, &p));
    cr_expect_not(matches("{\"app\": \"cart\"}", NULL, &p));
    cr_expect_not(matches("{\"app\": \"shop\", \"tier\": \"db\"}", NULL, &p));
    cr_expect_not(matches("{\"app\": \"shop\", \"zone\": \"a\"}", NULL, &p));
    cr_expect_not(matches("{\"app\": \"Shop\"}", NULL, &p));
    cr_expect_not(matches("{\"app\": \"\"}", NULL, &p));
}

Test(selector, pod_and_namespace_are_labels)
{
    probe_peer p = shop_probe();
    cr_expect(matches("{\"pod\": \"shop-7\"}", NULL, &p));
    cr_expect(matches("{\"namespace\": \"prod\", \"app\": \"shop\"}", NULL, &p));
    cr_expect_not(matches("{\"pod\": \"shop-8\"}", NULL, &p));
    cr_expect_not(matches("{\"namespace\": \"staging\"}", NULL, &p));
}

Test(selector, absent_pod_or_namespace_does_not_match)
{
    probe_peer p = shop_probe();
    p.hello.pod = NULL;
    p.hello.namespace_ = NULL;
    cr_expect_not(matches("{\"pod\": \"shop-7\"}", NULL, &p));
    cr_expect_not(matches("{\"namespace\": \"prod\"}", NULL, &p));
    cr_expect(matches("{\"app\": \"shop\"}", NULL, &p));
}

Test(selector, pid_filters_processes)
{
    probe_peer p = shop_probe();
    cr_expect(matches(NULL, "4242", &p));
    cr_expect_not(matches(NULL, "4243", &p));
    cr_expect(matches("{\"app\": \"shop\"}", "4242", &p));
    cr_expect_not(matches("{\"app\": \"cart\"}", "4242", &p));
    cr_expect_not(matches("{\"app\": \"shop\"}", "1", &p));
}

Test(selector, describes_labels_and_pid)
{
    expect_description(NULL, NULL, "every process");
    expect_description("{}", NULL, "every process");
    expect_description("{\"app\": \"shop\"}", NULL, "app=shop");
    expect_description("{\"app\": \"shop\", \"namespace\": \"prod\"}", "12", "app=shop,namespace=prod pid=12");
    expect_description(NULL, "12", "pid=12");
}

Test(selector, description_is_cut_to_the_buffer)
{
    selector s = parse_ok("{\"app\": \"shop\", \"namespace\": \"prod\"}", "12");
    char buf[16];
    memset(buf, 'x', sizeof buf);
    selector_describe(&s, buf, 8);
    cr_expect_str_eq(buf, "app=sho");
    cr_expect_eq(buf[8], 'x', "wrote past the given length");
    selector_describe(&s, buf, 12);
    cr_expect_str_eq(buf, "app=shop,na");
    selector_free(&s);
}
