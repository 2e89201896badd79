/* Unit tests for protocol/probe_msg: envelope validation, the error reply, and a round trip plus
 * malformed-input checks (with the exact error path) for every typed message body. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "probe_msg.h"

/* ---- helpers ---- */

static void expect_same_string(const char *actual, const char *expected, const char *what)
{
    if (!expected)
        cr_expect_null(actual, "%s: expected NULL, got \"%s\"", what, actual);
    else if (!actual)
        cr_expect_fail("%s: expected \"%s\", got NULL", what, expected);
    else
        cr_expect_str_eq(actual, expected, "%s", what);
}

/* Sends body through the whole wire path: envelope text, envelope decode. */
static probe_envelope over_the_wire(const char *type, int64_t id, cJSON *body)
{
    char *text = probe_envelope_encode(type, id, body);
    cr_assert_not_null(text);
    probe_envelope env;
    char err[256] = "";
    cr_assert_eq(probe_envelope_decode(text, strlen(text), &env, err, sizeof err), 0,
                 "envelope rejected: %s (%s)", err, text);
    free(text);
    cr_assert_str_eq(env.type, type);
    cr_assert_eq(env.id, id);
    return env;
}

/* Encodes *in with T's codec, sends it over the wire and decodes it into *out. */
#define ROUND_TRIP(T, type, id, in, out)                                                     \
    do {                                                                                     \
        probe_envelope env_ = over_the_wire(type, id, T##_to_json(in));                     \
        char err_[256] = "";                                                                 \
        cr_assert_eq(T##_from_json(env_.body, out, err_, sizeof err_), 0, "%s", err_);       \
        probe_envelope_free(&env_);                                                          \
    } while (0)

/* ---- envelope ---- */

Test(probe_envelope, decodes_a_full_envelope)
{
    const char *text = " {\"v\":1,\"type\":\"stack_trace\",\"id\":42,\"body\":{\"tid\":7}}\n";
    probe_envelope env;
    char err[256];
    cr_assert_eq(probe_envelope_decode(text, strlen(text), &env, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(env.type, PMSG_STACK_TRACE);
    cr_expect_eq(env.id, 42);
    cr_expect_eq(cJSON_GetObjectItem(env.body, "tid")->valueint, 7);
    probe_envelope_free(&env);
    cr_expect_null(env.root);
    probe_envelope_free(&env); /* twice is harmless */
}

Test(probe_envelope, absent_id_and_body_mean_event_and_empty_object)
{
    const char *text = "{\"v\":1,\"type\":\"heartbeat\"}";
    probe_envelope env;
    char err[256];
    cr_assert_eq(probe_envelope_decode(text, strlen(text), &env, err, sizeof err), 0, "%s", err);
    cr_expect_eq(env.id, 0);
    cr_assert(cJSON_IsObject(env.body));
    cr_expect_null(env.body->child);
    probe_envelope_free(&env);
}

Test(probe_envelope, text_need_not_be_nul_terminated)
{
    const char text[] = "{\"v\":1,\"type\":\"continue\",\"id\":3}GARBAGE";
    probe_envelope env;
    char err[256];
    cr_assert_eq(probe_envelope_decode(text, strlen(text) - strlen("GARBAGE"), &env, err,
                                       sizeof err), 0, "%s", err);
    cr_expect_eq(env.id, 3);
    probe_envelope_free(&env);
}

Test(probe_envelope, encode_omits_id_zero_and_rejects_bad_arguments)
{
    char *text = probe_envelope_encode(PMSG_HEARTBEAT, 0, NULL);
    cr_assert_not_null(text);
    cr_expect_str_eq(text, "{\"v\":1,\"type\":\"heartbeat\",\"body\":{}}");
    free(text);
    cr_expect_null(probe_envelope_encode(PMSG_HEARTBEAT, -1, cJSON_CreateObject()));
    cr_expect_null(probe_envelope_encode("", 1, NULL));
    cr_expect_null(probe_envelope_encode(NULL, 1, NULL));
}

Test(probe_envelope, error_reply_round_trips)
{
    char *text = probe_error_encode(9, "no thread 123");
    probe_envelope env;
    char err[256];
    cr_assert_eq(probe_envelope_decode(text, strlen(text), &env, err, sizeof err), 0, "%s", err);
    cr_expect_str_eq(env.type, PMSG_ERROR);
    cr_expect_eq(env.id, 9);
    cr_expect_str_eq(cJSON_GetObjectItem(env.body, "message")->valuestring, "no thread 123");
    probe_envelope_free(&env);
    free(text);
}

struct bad_envelope {
    const char *text;
    const char *error;
};

Test(probe_envelope, malformed_envelopes_are_rejected_with_a_reason)
{
    static const struct bad_envelope cases[] = {
        { "not json", "invalid JSON at byte 0" },
        { "{\"v\":1,\"type\":\"x\"", "invalid JSON at byte 16" },
        { "{\"v\":1,\"type\":\"x\"} {}", "unexpected data after the JSON value at byte 19" },
        { "[1]", "envelope: expected a JSON object" },
        { "{\"type\":\"x\"}", "v: missing (this peer speaks protocol version 1)" },
        { "{\"v\":2,\"type\":\"x\"}", "v: unsupported protocol version 2 (this peer speaks 1)" },
        { "{\"v\":\"1\",\"type\":\"x\"}", "v: expected the protocol version number 1" },
        { "{\"v\":1}", "type: missing" },
        { "{\"v\":1,\"type\":3}", "type: expected a string" },
        { "{\"v\":1,\"type\":\"\"}", "type: must not be empty" },
        { "{\"v\":1,\"type\":\"x\",\"id\":-1}", "id: expected a non-negative integer" },
        { "{\"v\":1,\"type\":\"x\",\"id\":1.5}", "id: expected a non-negative integer" },
        { "{\"v\":1,\"type\":\"x\",\"id\":\"1\"}", "id: expected a non-negative integer" },
        { "{\"v\":1,\"type\":\"x\",\"id\":1e300}", "id: expected a non-negative integer" },
        { "{\"v\":1,\"type\":\"x\",\"body\":[]}", "body: expected an object" },
        { "{\"v\":1,\"type\":\"x\",\"body\":{\"id\":4e777}}",
          "a number is too large for JSON (it overflows a double)" },
        { "{\"v\":1,\"type\":\"x\",\"body\":{\"a\":[{\"b\":-1e999}]}}",
          "a number is too large for JSON (it overflows a double)" },
        { "{\"v\":1,\"type\":\"x\",\"body\":null}", "body: expected an object" },
        { "", "empty probe message" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        probe_envelope env;
        char err[256] = "";
        cr_expect_eq(probe_envelope_decode(cases[i].text, strlen(cases[i].text), &env, err,
                                           sizeof err), -1, "accepted: %s", cases[i].text);
        cr_expect_str_eq(err, cases[i].error, "input: %s", cases[i].text);
        cr_expect_null(env.root);
    }
}

Test(probe_envelope, oversized_message_is_rejected)
{
    size_t len = PROBE_MAX_MESSAGE + 1;
    char *text = malloc(len);
    memset(text, ' ', len);
    probe_envelope env;
    char err[256];
    cr_assert_eq(probe_envelope_decode(text, len, &env, err, sizeof err), -1);
    cr_expect_str_eq(err, "probe message of 33554433 bytes exceeds the limit of 33554432");
    free(text);
}

/* ---- round trips of every typed message ---- */

static void expect_same_location(const probe_location *a, const probe_location *b)
{
    cr_expect_eq(a->address, b->address);
    expect_same_string(a->function, b->function, "location.function");
    expect_same_string(a->file, b->file, "location.file");
    cr_expect_eq(a->line, b->line);
}

static void expect_same_frame(const probe_frame *a, const probe_frame *b)
{
    cr_expect_eq(a->pc, b->pc);
    expect_same_string(a->function, b->function, "frame.function");
    expect_same_string(a->file, b->file, "frame.file");
    cr_expect_eq(a->line, b->line);
    expect_same_string(a->module, b->module, "frame.module");
}

Test(probe_types, hello_round_trips)
{
    probe_label labels[] = { { "app", "checkout" }, { "tier", "backend" } };
    probe_hello in = {
        .pod = "checkout-7f9c", .namespace_ = "shop", .labels = labels, .n_labels = 2,
        .pid = 4242, .hostname = "node-3", .exe = "/usr/bin/checkout",
        .build_id = "5f0c6a1e9b", .start_time_ms = 1700000000123, .probe_version = "0.1.0",
        .held = 1,
    };
    probe_hello out;
    ROUND_TRIP(probe_hello, PMSG_HELLO, 1, &in, &out);
    expect_same_string(out.pod, in.pod, "pod");
    expect_same_string(out.namespace_, in.namespace_, "namespace");
    cr_assert_eq(out.n_labels, 2);
    for (size_t i = 0; i < 2; i++) {
        expect_same_string(out.labels[i].key, labels[i].key, "label key");
        expect_same_string(out.labels[i].value, labels[i].value, "label value");
    }
    cr_expect_eq(out.pid, in.pid);
    expect_same_string(out.hostname, in.hostname, "hostname");
    expect_same_string(out.exe, in.exe, "exe");
    expect_same_string(out.build_id, in.build_id, "build_id");
    cr_expect_eq(out.start_time_ms, in.start_time_ms);
    expect_same_string(out.probe_version, in.probe_version, "probe_version");
    cr_expect_eq(out.held, 1);
    probe_hello_free(&out);
    cr_expect_null(out.pod);
    cr_expect_null(out.labels);
}

Test(probe_types, hello_optional_fields_may_be_absent)
{
    probe_hello in = { .pod = "p", .namespace_ = "default", .pid = 1, .exe = "/a",
                       .build_id = "", .probe_version = "1" };
    probe_hello out;
    ROUND_TRIP(probe_hello, PMSG_HELLO, 1, &in, &out);
    cr_expect_eq(out.n_labels, 0);
    cr_expect_null(out.labels);
    cr_expect_null(out.hostname);
    expect_same_string(out.build_id, "", "build_id");
    cr_expect_eq(out.start_time_ms, 0);
    cr_expect_eq(out.held, 0);
    probe_hello_free(&out);
}

Test(probe_types, breakpoints_set_round_trips)
{
    probe_bp_spec specs[] = {
        { .id = 1, .source = "/src/worker.c", .line = 42, .mode = "stop" },
        { .id = 999999999999999, .source = "/src/a b.c", .line = 1, .mode = "snapshot" },
        { .id = 7, .source = "/src/orders.c", .line = 9, .mode = "stop",
          .condition = "o->amount > 100 && $streq(o->user, \"bob\")", .hit_condition = ">= 4",
          .log_message = "order {o->id} by {o->user}" },
    };
    probe_bp_set in = { specs, 3 }, out;
    ROUND_TRIP(probe_bp_set, PMSG_BREAKPOINTS_SET, 77, &in, &out);
    cr_assert_eq(out.n, 3);
    for (size_t i = 0; i < 3; i++) {
        cr_expect_eq(out.breakpoints[i].id, specs[i].id);
        expect_same_string(out.breakpoints[i].source, specs[i].source, "source");
        cr_expect_eq(out.breakpoints[i].line, specs[i].line);
        expect_same_string(out.breakpoints[i].mode, specs[i].mode, "mode");
        expect_same_string(out.breakpoints[i].condition, specs[i].condition, "condition");
        expect_same_string(out.breakpoints[i].hit_condition, specs[i].hit_condition, "hit_condition");
        expect_same_string(out.breakpoints[i].log_message, specs[i].log_message, "log_message");
    }
    probe_bp_set_free(&out);
}

static void expect_same_budget(const probe_bp_budget *a, const probe_bp_budget *b)
{
    cr_expect_eq(a->max_frames, b->max_frames, "max_frames");
    cr_expect_eq(a->max_depth, b->max_depth, "max_depth");
    cr_expect_eq(a->max_bytes, b->max_bytes, "max_bytes");
    cr_expect_eq(a->per_second, b->per_second, "per_second");
    cr_expect_eq(a->bytes_per_second, b->bytes_per_second, "bytes_per_second");
    cr_expect_eq(a->cpu_percent, b->cpu_percent, "cpu_percent");
    cr_expect_eq(a->condition_steps, b->condition_steps, "condition_steps");
}

Test(probe_types, breakpoint_budgets_round_trip)
{
    probe_bp_spec specs[] = {
        { .id = 1, .source = "a.c", .line = 3, .mode = "snapshot",
          .budget = { .max_frames = 64, .max_depth = 0, .max_bytes = 4096, .per_second = 100000,
                      .bytes_per_second = 1073741824, .cpu_percent = 1, .condition_steps = 16 } },
        { .id = 2, .source = "a.c", .line = 4, .mode = "stop",
          .budget = { .max_depth = -1, .cpu_percent = 50 } },
    };
    probe_bp_set in = { specs, 2 }, out;
    ROUND_TRIP(probe_bp_set, PMSG_BREAKPOINTS_SET, 3, &in, &out);
    cr_assert_eq(out.n, 2);
    expect_same_budget(&out.breakpoints[0].budget, &specs[0].budget);
    expect_same_budget(&out.breakpoints[1].budget, &specs[1].budget);
    probe_bp_set_free(&out);
}

Test(probe_types, absent_budget_fields_take_their_defaults_and_are_not_sent)
{
    cJSON *json = cJSON_Parse("{\"breakpoints\":[{\"id\":3,\"source\":\"a.c\",\"line\":5},"
                              "{\"id\":4,\"source\":\"a.c\",\"line\":6,\"budget\":{\"per_second\":7}}]}");
    probe_bp_set out;
    char err[256];
    cr_assert_eq(probe_bp_set_from_json(json, &out, err, sizeof err), 0, "%s", err);
    probe_bp_budget defaults = { .max_depth = -1 }, seven = { .max_depth = -1, .per_second = 7 };
    expect_same_budget(&out.breakpoints[0].budget, &defaults);
    expect_same_budget(&out.breakpoints[1].budget, &seven);
    cJSON *again = probe_bp_set_to_json(&out);
    char *text = cJSON_PrintUnformatted(again);
    cr_expect_str_eq(text, "{\"breakpoints\":[{\"id\":3,\"source\":\"a.c\",\"line\":5,\"mode\":\"stop\"},"
                           "{\"id\":4,\"source\":\"a.c\",\"line\":6,\"mode\":\"stop\","
                           "\"budget\":{\"per_second\":7}}]}");
    free(text);
    cJSON_Delete(again);
    probe_bp_set_free(&out);
    cJSON_Delete(json);
}

Test(probe_types, breakpoint_mode_defaults_to_stop_without_conditions)
{
    cJSON *json = cJSON_Parse("{\"breakpoints\":[{\"id\":3,\"source\":\"a.c\",\"line\":5}]}");
    probe_bp_set out;
    char err[256];
    cr_assert_eq(probe_bp_set_from_json(json, &out, err, sizeof err), 0, "%s", err);
    expect_same_string(out.breakpoints[0].mode, "stop", "mode");
    cr_expect_null(out.breakpoints[0].condition);
    cr_expect_null(out.breakpoints[0].hit_condition);
    cr_expect_null(out.breakpoints[0].log_message);
    probe_bp_set_free(&out);
    cJSON_Delete(json);
}

Test(probe_types, empty_breakpoint_set_round_trips)
{
    probe_bp_set in = { NULL, 0 }, out;
    ROUND_TRIP(probe_bp_set, PMSG_BREAKPOINTS_SET, 2, &in, &out);
    cr_expect_eq(out.n, 0);
    cr_expect_null(out.breakpoints);
    probe_bp_set_free(&out);
}

Test(probe_types, breakpoints_clear_round_trips)
{
    int64_t ids[] = { 1, 5, 999999999999999 };
    probe_bp_clear in = { ids, 3 }, out;
    ROUND_TRIP(probe_bp_clear, PMSG_BREAKPOINTS_CLEAR, 3, &in, &out);
    cr_assert_eq(out.n, 3);
    cr_expect_arr_eq(out.ids, ids, sizeof ids);
    probe_bp_clear_free(&out);
}

Test(probe_types, breakpoints_result_round_trips)
{
    probe_location locations[] = {
        { .address = 0x401136, .function = "work", .file = "/src/worker.c", .line = 42 },
        { .address = 0xffffffffffffffffu, .function = NULL, .file = NULL, .line = 0 },
    };
    probe_bp_state states[] = {
        { .id = 1, .verified = 1, .message = NULL, .locations = locations, .n_locations = 2 },
        { .id = 2, .verified = 0, .message = "no code at /src/a.c:3" },
    };
    probe_bp_result in = { states, 2 }, out;
    ROUND_TRIP(probe_bp_result, PMSG_RESULT, 77, &in, &out);
    cr_assert_eq(out.n, 2);
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(out.breakpoints[i].id, states[i].id);
        cr_expect_eq(out.breakpoints[i].verified, states[i].verified);
        expect_same_string(out.breakpoints[i].message, states[i].message, "message");
        cr_assert_eq(out.breakpoints[i].n_locations, states[i].n_locations);
        for (size_t j = 0; j < states[i].n_locations; j++)
            expect_same_location(&out.breakpoints[i].locations[j], &states[i].locations[j]);
    }
    probe_bp_result_free(&out);
}

Test(probe_types, address_is_sent_as_a_hex_string)
{
    probe_location location = { .address = 0x7f0012345678, .line = 1 };
    probe_bp_state state = { .id = 1, .verified = 1, .locations = &location, .n_locations = 1 };
    probe_bp_result in = { &state, 1 };
    cJSON *json = probe_bp_result_to_json(&in);
    char *text = cJSON_PrintUnformatted(json);
    cr_expect(strstr(text, "\"address\":\"0x7f0012345678\"") != NULL, "%s", text);
    free(text);
    cJSON_Delete(json);
}

Test(probe_types, stopped_round_trips)
{
    int64_t hit[] = { 4, 8 };
    probe_thread threads[] = { { 100, "main" }, { 101, "worker-1" } };
    probe_stopped in = {
        .reason = "breakpoint", .tid = 101, .breakpoint_ids = hit, .n_breakpoint_ids = 2,
        .all_threads_stopped = 1, .threads = threads, .n_threads = 2,
    };
    probe_stopped out;
    ROUND_TRIP(probe_stopped, PMSG_STOPPED, 0, &in, &out);
    expect_same_string(out.reason, in.reason, "reason");
    cr_expect_eq(out.tid, in.tid);
    cr_assert_eq(out.n_breakpoint_ids, 2);
    cr_expect_arr_eq(out.breakpoint_ids, hit, sizeof hit);
    cr_expect_eq(out.all_threads_stopped, 1);
    cr_assert_eq(out.n_threads, 2);
    for (size_t i = 0; i < 2; i++) {
        cr_expect_eq(out.threads[i].tid, threads[i].tid);
        expect_same_string(out.threads[i].name, threads[i].name, "thread name");
    }
    probe_stopped_free(&out);
}

Test(probe_types, breakpoint_error_round_trips)
{
    probe_bp_error in = { .id = 12, .message = "cannot dereference a null pointer", .count = 3 }, out;
    ROUND_TRIP(probe_bp_error, PMSG_BREAKPOINT_ERROR, 0, &in, &out);
    cr_expect_eq(out.id, 12);
    expect_same_string(out.message, in.message, "message");
    cr_expect_eq(out.count, 3);
    cr_expect_eq(out.disabled, 0);
    probe_bp_error_free(&out);

    probe_bp_error off = { .id = 5, .message = "used 35% of a core (budget 10%)", .count = 1,
                           .disabled = 1 };
    ROUND_TRIP(probe_bp_error, PMSG_BREAKPOINT_ERROR, 0, &off, &out);
    cr_expect_eq(out.disabled, 1);
    expect_same_string(out.message, off.message, "message");
    probe_bp_error_free(&out);
}

Test(probe_types, snapshot_dropped_round_trips)
{
    probe_snapshot_dropped in = { .id = 9, .dropped = 123 }, out;
    ROUND_TRIP(probe_snapshot_dropped, PMSG_SNAPSHOT_DROPPED, 0, &in, &out);
    cr_expect_eq(out.id, 9);
    cr_expect_eq(out.dropped, 123);
    probe_snapshot_dropped_free(&out);
}

Test(probe_types, reload_round_trips)
{
    probe_reload in = { .name = "libhandlers.so", .library = "f0VMRgIBAQ==",
                        .sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                        .reload_id = 4 }, out;
    ROUND_TRIP(probe_reload, PMSG_RELOAD, 21, &in, &out);
    expect_same_string(out.name, in.name, "name");
    expect_same_string(out.library, in.library, "library");
    expect_same_string(out.sha256, in.sha256, "sha256");
    cr_expect_eq(out.reload_id, 4);
    probe_reload_free(&out);
}

Test(probe_types, reload_result_round_trips_and_leaves_out_no_warnings)
{
    char *patched[] = { "handle_order", "compute_fee" };
    char *warnings[] = { "thread-local variable 'scratch' starts fresh in the new code" };
    probe_reload_result in = { .module = "/app/libhandlers.so", .generation = 2, .patched = patched,
                               .n_listed = 2, .n_patched = 2, .unchanged = 7, .added = 1,
                               .time_us = 1830, .warnings = warnings, .n_warnings = 1 }, out;
    ROUND_TRIP(probe_reload_result, PMSG_RESULT, 21, &in, &out);
    expect_same_string(out.module, in.module, "module");
    cr_expect_eq(out.generation, 2);
    cr_assert_eq(out.n_listed, 2);
    expect_same_string(out.patched[0], "handle_order", "patched[0]");
    expect_same_string(out.patched[1], "compute_fee", "patched[1]");
    cr_expect_eq(out.n_patched, 2);
    cr_expect_eq(out.unchanged, 7);
    cr_expect_eq(out.added, 1);
    cr_expect_eq(out.time_us, 1830);
    cr_assert_eq(out.n_warnings, 1);
    expect_same_string(out.warnings[0], warnings[0], "warnings[0]");
    probe_reload_result_free(&out);

    probe_reload_result quiet = { .module = "/app/libhandlers.so", .generation = 1 };
    cJSON *json = probe_reload_result_to_json(&quiet);
    cr_expect_null(cJSON_GetObjectItem(json, "warnings"), "no warnings: the field is absent");
    cr_expect(cJSON_IsArray(cJSON_GetObjectItem(json, "patched")), "patched is always sent");
    cJSON_Delete(json);
}

Test(probe_types, reload_rollback_round_trips)
{
    probe_reload_rollback in = { .name = "libhandlers.so", .reload_id = 4 }, out;
    ROUND_TRIP(probe_reload_rollback, PMSG_RELOAD_ROLLBACK, 22, &in, &out);
    expect_same_string(out.name, in.name, "name");
    cr_expect_eq(out.reload_id, 4);
    probe_reload_rollback_free(&out);

    probe_reload_rollback any = { 0 };
    ROUND_TRIP(probe_reload_rollback, PMSG_RELOAD_ROLLBACK, 23, &any, &out);
    cr_expect_null(out.name);
    cr_expect_eq(out.reload_id, 0);
    probe_reload_rollback_free(&out);

    probe_reload_rollback_result done = { .module = "/app/libhandlers.so", .generation = 0,
                                          .restored = 3, .time_us = 95 }, back;
    ROUND_TRIP(probe_reload_rollback_result, PMSG_RESULT, 22, &done, &back);
    expect_same_string(back.module, done.module, "module");
    cr_expect_eq(back.generation, 0);
    cr_expect_eq(back.restored, 3);
    cr_expect_eq(back.time_us, 95);
    probe_reload_rollback_result_free(&back);
}

/* The example of PROBE_PROTOCOL.md 4.15. */
#define SNAPSHOT_EXAMPLE                                                                     \
    "{\"id\":2,\"tid\":4243,\"thread_name\":\"worker-1\",\"time_ms\":1795000000000,"             \
    "\"capture_ns\":14200,\"truncated\":false,\"dropped\":0,\"frames\":["                      \
    "{\"pc\":\"0x401196\",\"function\":\"process\",\"file\":\"/src/orders.c\",\"line\":30,"        \
    "\"module\":\"/app/orders\",\"scopes\":[{\"name\":\"Arguments\",\"presentation_hint\":"       \
    "\"arguments\",\"variables\":[{\"name\":\"o\",\"value\":\"0x4052a0\",\"type\":"              \
    "\"struct order *\",\"evaluate_name\":\"o\",\"named\":1,\"children\":[{\"name\":\"*o\","      \
    "\"value\":\"{...}\",\"type\":\"struct order\",\"evaluate_name\":\"*o\",\"named\":2,"         \
    "\"children\":[{\"name\":\"id\",\"value\":\"7\",\"type\":\"int\",\"evaluate_name\":"         \
    "\"o->id\"},{\"name\":\"amount\",\"value\":\"300\",\"type\":\"long\",\"evaluate_name\":"     \
    "\"o->amount\"}]}]}]}]}]}"

static int validate_text(const char *text, char *err, size_t err_len)
{
    cJSON *json = cJSON_Parse(text);
    cr_assert_not_null(json, "test input is not JSON: %s", text);
    int rc = probe_snapshot_validate(json, err, err_len);
    cJSON_Delete(json);
    return rc;
}

Test(probe_snapshot, the_protocol_example_is_valid)
{
    char err[256] = "";
    cr_expect_eq(validate_text(SNAPSHOT_EXAMPLE, err, sizeof err), 0, "%s", err);
    cr_expect_eq(validate_text("{\"id\":2,\"tid\":1,\"thread_name\":\"\",\"time_ms\":0,"
                               "\"capture_ns\":0,\"truncated\":true,\"dropped\":4,\"frames\":[]}",
                               err, sizeof err), 0, "%s", err);
}

/* A snapshot whose only variable has `levels` levels of children ("a" > "b" > "b" ...). */
static char *nested_snapshot(int levels)
{
    size_t cap = 512 + (size_t)levels * 64;
    char *text = malloc(cap);
    cr_assert_not_null(text);
    strcpy(text, "{\"id\":1,\"tid\":1,\"thread_name\":\"t\",\"time_ms\":1,\"capture_ns\":1,"
                 "\"truncated\":false,\"dropped\":0,\"frames\":[{\"pc\":\"0x1\",\"scopes\":["
                 "{\"name\":\"Locals\",\"variables\":[");
    for (int i = 0; i < levels; i++)
        strcat(text, i ? ",\"children\":[{\"name\":\"b\",\"value\":\"1\"" : "{\"name\":\"a\",\"value\":\"1\"");
    for (int i = 0; i < levels; i++)
        strcat(text, i ? "]}" : "}");
    strcat(text, "]}]}]}");
    return text;
}

Test(probe_snapshot, variables_nest_at_most_64_levels)
{
    char err[1200] = "";
    char *ok = nested_snapshot(PROBE_SNAPSHOT_MAX_VARIABLE_DEPTH);
    cr_expect_eq(validate_text(ok, err, sizeof err), 0, "%s", err);
    free(ok);
    char *deep = nested_snapshot(PROBE_SNAPSHOT_MAX_VARIABLE_DEPTH + 1);
    cr_expect_eq(validate_text(deep, err, sizeof err), -1);
    char expected[1200] = "frames[0].scopes[0].variables[0]";
    for (int i = 1; i <= PROBE_SNAPSHOT_MAX_VARIABLE_DEPTH; i++)
        strcat(expected, ".children[0]");
    strcat(expected, ": nested too deeply");
    cr_expect_str_eq(err, expected);
    free(deep);
}

#define SNAPSHOT_WITH(fields) \
    "{\"id\":1,\"tid\":1,\"thread_name\":\"t\",\"time_ms\":1,\"capture_ns\":1,\"truncated\":false" fields "}"
#define ONE_FRAME(frame) SNAPSHOT_WITH(",\"dropped\":0,\"frames\":[" frame "]")
#define ONE_VARIABLE(variable) \
    ONE_FRAME("{\"pc\":\"0x1\",\"scopes\":[{\"name\":\"L\",\"variables\":[" variable "]}]}")

Test(probe_snapshot, malformed_snapshots_name_the_offending_field)
{
    static const struct { const char *json, *error; } cases[] = {
        { "[]", "body: expected an object" },
        { SNAPSHOT_WITH(""), "dropped: missing required field" },
        { SNAPSHOT_WITH(",\"dropped\":-1,\"frames\":[]"), "dropped: expected an integer >= 0" },
        { SNAPSHOT_WITH(",\"dropped\":0"), "frames: missing required field" },
        { ONE_FRAME("{\"scopes\":[]}"), "frames[0].pc: missing required field" },
        { ONE_FRAME("{\"pc\":17,\"scopes\":[]}"),
          "frames[0].pc: expected a hex address string like \"0x401136\"" },
        { ONE_FRAME("{\"pc\":\"0x1\",\"line\":\"3\",\"scopes\":[]}"), "frames[0].line: expected an integer" },
        { ONE_FRAME("{\"pc\":\"0x1\"}"), "frames[0].scopes: missing required field" },
        { ONE_FRAME("{\"pc\":\"0x1\",\"scopes\":[{\"name\":\"L\"}]}"),
          "frames[0].scopes[0].variables: missing required field" },
        { ONE_VARIABLE("{\"name\":\"x\"}"), "frames[0].scopes[0].variables[0].value: missing required field" },
        { ONE_VARIABLE("{\"name\":\"x\",\"value\":\"1\",\"named\":-1}"),
          "frames[0].scopes[0].variables[0].named: expected an integer >= 0" },
        { ONE_VARIABLE("{\"name\":\"x\",\"value\":\"1\",\"children\":[{\"name\":\"y\",\"value\":2}]}"),
          "frames[0].scopes[0].variables[0].children[0].value: expected a string" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[256] = "";
        cr_expect_eq(validate_text(cases[i].json, err, sizeof err), -1, "accepted: %s", cases[i].json);
        cr_expect_str_eq(err, cases[i].error, "input: %s", cases[i].json);
    }
}

Test(probe_types, output_round_trips)
{
    probe_output in = { .id = 4, .tid = 321, .text = "order 3 by \"bob\" {x}", .dropped = 17 }, out;
    ROUND_TRIP(probe_output, PMSG_OUTPUT, 0, &in, &out);
    cr_expect_eq(out.id, 4);
    cr_expect_eq(out.tid, 321);
    expect_same_string(out.text, in.text, "text");
    cr_expect_eq(out.dropped, 17);
    probe_output_free(&out);
}

Test(probe_types, stack_request_round_trips_and_defaults)
{
    probe_stack_request in = { .tid = 55, .start_frame = 3, .levels = 20 }, out;
    ROUND_TRIP(probe_stack_request, PMSG_STACK_TRACE, 5, &in, &out);
    cr_expect_eq(out.tid, 55);
    cr_expect_eq(out.start_frame, 3);
    cr_expect_eq(out.levels, 20);
    probe_stack_request_free(&out);

    cJSON *json = cJSON_Parse("{\"tid\":55}");
    char err[256];
    out.levels = out.start_frame = -1;
    cr_assert_eq(probe_stack_request_from_json(json, &out, err, sizeof err), 0, "%s", err);
    cr_expect_eq(out.start_frame, 0);
    cr_expect_eq(out.levels, 0);
    probe_stack_request_free(&out);
    cJSON_Delete(json);
}

Test(probe_types, stack_reply_round_trips)
{
    probe_frame frames[] = {
        { .pc = 0x55555555513a, .function = "work", .file = "/src/worker.c", .line = 42,
          .module = "/usr/bin/worker" },
        { .pc = 0x7ffff7829d90, .function = NULL, .file = NULL, .line = 0, .module = NULL },
    };
    probe_stack_reply in = { frames, 2, 12 }, out;
    ROUND_TRIP(probe_stack_reply, PMSG_RESULT, 5, &in, &out);
    cr_assert_eq(out.n, 2);
    for (size_t i = 0; i < 2; i++)
        expect_same_frame(&out.frames[i], &frames[i]);
    cr_expect_eq(out.total_frames, 12);
    probe_stack_reply_free(&out);
}

Test(probe_types, continue_and_heartbeat_round_trip)
{
    probe_continue cont_in = { .tid = 101 }, cont_out;
    ROUND_TRIP(probe_continue, PMSG_CONTINUE, 6, &cont_in, &cont_out);
    cr_expect_eq(cont_out.tid, 101);
    probe_continue_free(&cont_out);

    probe_heartbeat beat_in = { .time_ms = 1700000000999 }, beat_out;
    ROUND_TRIP(probe_heartbeat, PMSG_HEARTBEAT, 0, &beat_in, &beat_out);
    cr_expect_eq(beat_out.time_ms, beat_in.time_ms);
    probe_heartbeat_free(&beat_out);
}

Test(probe_types, frame_request_round_trips)
{
    probe_frame_request in = { .tid = 4243, .frame = 7 }, out;
    ROUND_TRIP(probe_frame_request, PMSG_SCOPES, 11, &in, &out);
    cr_expect_eq(out.tid, 4243);
    cr_expect_eq(out.frame, 7);
    probe_frame_request_free(&out);
}

Test(probe_types, scopes_reply_round_trips)
{
    probe_scope scopes[] = {
        { .name = "Arguments", .presentation_hint = "arguments", .ref = 1, .named = 2 },
        { .name = "Globals", .presentation_hint = NULL, .ref = 999999999999999, .named = 0,
          .expensive = 1 },
    };
    probe_scopes_reply in = { scopes, 2 }, out;
    ROUND_TRIP(probe_scopes_reply, PMSG_RESULT, 11, &in, &out);
    cr_assert_eq(out.n, 2);
    for (size_t i = 0; i < 2; i++) {
        expect_same_string(out.scopes[i].name, scopes[i].name, "scope name");
        expect_same_string(out.scopes[i].presentation_hint, scopes[i].presentation_hint,
                           "presentation_hint");
        cr_expect_eq(out.scopes[i].ref, scopes[i].ref);
        cr_expect_eq(out.scopes[i].named, scopes[i].named);
        cr_expect_eq(out.scopes[i].expensive, scopes[i].expensive);
    }
    probe_scopes_reply_free(&out);
    cr_expect_null(out.scopes);
}

Test(probe_types, variables_request_round_trips_and_defaults)
{
    probe_variables_request in = { .ref = 42, .start = 100, .count = 50, .filter = "indexed" }, out;
    ROUND_TRIP(probe_variables_request, PMSG_VARIABLES, 12, &in, &out);
    cr_expect_eq(out.ref, 42);
    cr_expect_eq(out.start, 100);
    cr_expect_eq(out.count, 50);
    expect_same_string(out.filter, "indexed", "filter");
    probe_variables_request_free(&out);

    cJSON *json = cJSON_Parse("{\"ref\":3}");
    char err[256];
    cr_assert_eq(probe_variables_request_from_json(json, &out, err, sizeof err), 0, "%s", err);
    cr_expect_eq(out.start, 0);
    cr_expect_eq(out.count, 0);
    cr_expect_null(out.filter);
    probe_variables_request_free(&out);
    cJSON_Delete(json);
}

Test(probe_types, variables_reply_round_trips)
{
    probe_variable variables[] = {
        { .name = "user", .value = "0x4006f4 \"al\\\"ice\"", .type = "const char *",
          .evaluate_name = "req->user" },
        { .name = "items", .value = "[100]", .type = "int [100]", .ref = 7, .indexed = 100,
          .evaluate_name = "items" },
        { .name = "*p", .value = "{...}", .type = NULL, .ref = 8, .named = 3 },
    };
    probe_variables_reply in = { variables, 3 }, out;
    ROUND_TRIP(probe_variables_reply, PMSG_RESULT, 12, &in, &out);
    cr_assert_eq(out.n, 3);
    for (size_t i = 0; i < 3; i++) {
        expect_same_string(out.variables[i].name, variables[i].name, "name");
        expect_same_string(out.variables[i].value, variables[i].value, "value");
        expect_same_string(out.variables[i].type, variables[i].type, "type");
        cr_expect_eq(out.variables[i].ref, variables[i].ref);
        cr_expect_eq(out.variables[i].named, variables[i].named);
        cr_expect_eq(out.variables[i].indexed, variables[i].indexed);
        expect_same_string(out.variables[i].evaluate_name, variables[i].evaluate_name,
                           "evaluate_name");
    }
    probe_variables_reply_free(&out);
}

Test(probe_types, evaluate_request_round_trips_and_context_defaults_to_repl)
{
    probe_evaluate_request in = { .tid = 9, .frame = 2, .expression = "$streq(p->name, \"admin\")",
                                  .context = "hover" }, out;
    ROUND_TRIP(probe_evaluate_request, PMSG_EVALUATE, 13, &in, &out);
    cr_expect_eq(out.tid, 9);
    cr_expect_eq(out.frame, 2);
    expect_same_string(out.expression, in.expression, "expression");
    expect_same_string(out.context, "hover", "context");
    probe_evaluate_request_free(&out);

    cJSON *json = cJSON_Parse("{\"tid\":9,\"expression\":\"x\"}");
    char err[256];
    cr_assert_eq(probe_evaluate_request_from_json(json, &out, err, sizeof err), 0, "%s", err);
    cr_expect_eq(out.frame, 0);
    expect_same_string(out.context, "repl", "context");
    probe_evaluate_request_free(&out);
    cJSON_Delete(json);
}

Test(probe_types, set_variable_request_round_trips)
{
    probe_set_variable_request in = { .ref = 5, .name = "[3]", .value = "x + 1" }, out;
    ROUND_TRIP(probe_set_variable_request, PMSG_SET_VARIABLE, 14, &in, &out);
    cr_expect_eq(out.ref, 5);
    expect_same_string(out.name, "[3]", "name");
    expect_same_string(out.value, "x + 1", "value");
    probe_set_variable_request_free(&out);
}

Test(probe_types, value_reply_round_trips)
{
    probe_value_reply in = { .value = "RED", .type = "enum color" }, out;
    ROUND_TRIP(probe_value_reply, PMSG_RESULT, 13, &in, &out);
    expect_same_string(out.value, "RED", "value");
    expect_same_string(out.type, "enum color", "type");
    cr_expect_eq(out.ref, 0);
    probe_value_reply_free(&out);

    probe_value_reply expandable = { .value = "{...}", .ref = 31, .named = 4, .indexed = 0 };
    ROUND_TRIP(probe_value_reply, PMSG_RESULT, 14, &expandable, &out);
    cr_expect_null(out.type);
    cr_expect_eq(out.ref, 31);
    cr_expect_eq(out.named, 4);
    probe_value_reply_free(&out);
}

Test(probe_types, optional_null_means_absent)
{
    cJSON *json = cJSON_Parse("{\"pc\":\"0x10\"}");
    cJSON *frames = cJSON_CreateArray();
    cJSON_AddItemToArray(frames, json);
    cJSON_AddNumberToObject(json, "line", 3);
    cJSON_AddNullToObject(json, "function");
    cJSON *reply = cJSON_CreateObject();
    cJSON_AddItemToObject(reply, "frames", frames);
    cJSON_AddNumberToObject(reply, "total_frames", 1);
    probe_stack_reply out;
    char err[256];
    cr_assert_eq(probe_stack_reply_from_json(reply, &out, err, sizeof err), 0, "%s", err);
    cr_expect_null(out.frames[0].function);
    cr_expect_eq(out.frames[0].pc, 0x10);
    probe_stack_reply_free(&out);
    cJSON_Delete(reply);
}

#define FREE_ZEROED(T)                                                                       \
    do {                                                                                     \
        T m_, zero_;                                                                         \
        memset(&m_, 0, sizeof m_);                                                           \
        memset(&zero_, 0, sizeof zero_);                                                     \
        T##_free(&m_);                                                                       \
        cr_expect_arr_eq(&m_, &zero_, sizeof m_, #T "_free changed a zeroed struct");        \
    } while (0)

Test(probe_types, free_is_safe_on_zeroed_structs)
{
    FREE_ZEROED(probe_hello);
    FREE_ZEROED(probe_bp_set);
    FREE_ZEROED(probe_bp_clear);
    FREE_ZEROED(probe_bp_result);
    FREE_ZEROED(probe_stopped);
    FREE_ZEROED(probe_bp_error);
    FREE_ZEROED(probe_output);
    FREE_ZEROED(probe_stack_request);
    FREE_ZEROED(probe_stack_reply);
    FREE_ZEROED(probe_continue);
    FREE_ZEROED(probe_heartbeat);
    FREE_ZEROED(probe_bp_state);
    FREE_ZEROED(probe_frame_request);
    FREE_ZEROED(probe_scopes_reply);
    FREE_ZEROED(probe_variables_request);
    FREE_ZEROED(probe_variables_reply);
    FREE_ZEROED(probe_evaluate_request);
    FREE_ZEROED(probe_set_variable_request);
    FREE_ZEROED(probe_value_reply);
    FREE_ZEROED(probe_snapshot_dropped);
    FREE_ZEROED(probe_reload);
    FREE_ZEROED(probe_reload_result);
    FREE_ZEROED(probe_reload_rollback);
    FREE_ZEROED(probe_reload_rollback_result);
}

Test(probe_types, a_single_breakpoint_state_can_be_freed)
{
    cJSON *json = cJSON_Parse("{\"breakpoints\":[{\"id\":1,\"verified\":true,\"message\":\"m\","
                              "\"locations\":[{\"address\":\"0x1\",\"file\":\"a.c\"}]}]}");
    probe_bp_result result;
    char err[256];
    cr_assert_eq(probe_bp_result_from_json(json, &result, err, sizeof err), 0, "%s", err);
    probe_bp_state kept = result.breakpoints[0];
    free(result.breakpoints); /* the caller took the element over */
    probe_bp_state_free(&kept);
    cr_expect_null(kept.message);
    cr_expect_null(kept.locations);
    cr_expect_eq(kept.n_locations, 0);
    cJSON_Delete(json);
}

/* ---- malformed typed bodies ---- */

/* Decodes body text with T's codec; a failure must leave the struct zeroed. */
#define DEFINE_TRY(T)                                                                        \
    static int try_##T(const cJSON *json, char *err, size_t err_len)                         \
    {                                                                                        \
        T m, zero;                                                                           \
        memset(&m, 0x5a, sizeof m);                                                          \
        memset(&zero, 0, sizeof zero);                                                       \
        int rc = T##_from_json(json, &m, err, err_len);                                      \
        if (rc != 0)                                                                         \
            cr_expect_arr_eq(&m, &zero, sizeof m, "%s left data behind after failing", #T);  \
        T##_free(&m);                                                                        \
        return rc;                                                                           \
    }

DEFINE_TRY(probe_hello)
DEFINE_TRY(probe_bp_set)
DEFINE_TRY(probe_bp_clear)
DEFINE_TRY(probe_bp_result)
DEFINE_TRY(probe_stopped)
DEFINE_TRY(probe_bp_error)
DEFINE_TRY(probe_output)
DEFINE_TRY(probe_stack_request)
DEFINE_TRY(probe_stack_reply)
DEFINE_TRY(probe_continue)
DEFINE_TRY(probe_heartbeat)
DEFINE_TRY(probe_frame_request)
DEFINE_TRY(probe_scopes_reply)
DEFINE_TRY(probe_variables_request)
DEFINE_TRY(probe_variables_reply)
DEFINE_TRY(probe_evaluate_request)
DEFINE_TRY(probe_set_variable_request)
DEFINE_TRY(probe_value_reply)
DEFINE_TRY(probe_snapshot_dropped)
DEFINE_TRY(probe_reload)
DEFINE_TRY(probe_reload_result)
DEFINE_TRY(probe_reload_rollback)
DEFINE_TRY(probe_reload_rollback_result)

struct bad_body {
    int (*decode)(const cJSON *json, char *err, size_t err_len);
    const char *json;
    const char *error;
};

#define HELLO_WITH(extra) \
    "{\"pod\":\"p\",\"namespace\":\"n\",\"exe\":\"/x\",\"build_id\":\"\",\"probe_version\":\"1\"" extra "}"
#define BP(extra) "{\"id\":1,\"source\":\"a.c\"" extra "}"
#define RELOAD_WITH(extra) "{\"name\":\"libh.so\",\"library\":\"AA==\",\"sha256\":\"00\"" extra "}"
#define RELOAD_RESULT_WITH(extra) \
    "{\"module\":\"/l.so\",\"generation\":1,\"patched\":[],\"n_patched\":0,\"unchanged\":0," \
    "\"added\":0,\"time_us\":5" extra "}"
#define BP_STATE_AT(address) \
    "{\"breakpoints\":[{\"id\":1,\"verified\":true,\"locations\":[{\"address\":" address "}]}]}"

static const struct bad_body bad_bodies[] = {
    { try_probe_hello, "[]", "body: expected an object" },
    { try_probe_hello, HELLO_WITH(""), "pid: missing required field" },
    { try_probe_hello, "{\"pid\":1}", "pod: missing required field" },
    { try_probe_hello, HELLO_WITH(",\"pid\":\"12\""), "pid: expected an integer" },
    { try_probe_hello, HELLO_WITH(",\"pid\":0"), "pid: expected an integer >= 1" },
    { try_probe_hello, HELLO_WITH(",\"pid\":1.5"), "pid: expected an integer" },
    { try_probe_hello, HELLO_WITH(",\"pid\":3000000000"), "pid: expected an integer <= 2147483647" },
    { try_probe_hello, HELLO_WITH(",\"pid\":1,\"labels\":[]"), "labels: expected an object of strings" },
    { try_probe_hello, HELLO_WITH(",\"pid\":1,\"labels\":{\"app\":\"a\",\"tier\":3}"),
      "labels.tier: expected a string" },
    { try_probe_hello, HELLO_WITH(",\"pid\":1,\"hostname\":7"), "hostname: expected a string" },
    { try_probe_hello, HELLO_WITH(",\"pid\":1,\"start_time_ms\":-5"),
      "start_time_ms: expected an integer >= 0" },
    { try_probe_hello, "{\"pod\":null}", "pod: expected a string" },
    { try_probe_bp_set, "{}", "breakpoints: missing required field" },
    { try_probe_bp_set, "{\"breakpoints\":{}}", "breakpoints: expected an array" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1") "," BP(",\"line\":2") "," BP(",\"line\":\"3\"") "]}",
      "breakpoints[2].line: expected an integer" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":0") "]}", "breakpoints[0].line: expected an integer >= 1" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1") ",7]}", "breakpoints[1]: expected an object" },
    { try_probe_bp_set, "{\"breakpoints\":[{\"id\":1,\"line\":2}]}", "breakpoints[0].source: missing required field" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"mode\":\"fast\"") "]}",
      "breakpoints[0].mode: expected one of \"stop\", \"snapshot\"" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"condition\":true") "]}",
      "breakpoints[0].condition: expected a string" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"hit_condition\":3") "]}",
      "breakpoints[0].hit_condition: expected a string" },
    { try_probe_bp_error, "{\"id\":1,\"count\":1}", "message: missing required field" },
    { try_probe_output, "{\"id\":1,\"tid\":2,\"dropped\":0}", "text: missing required field" },
    { try_probe_output, "{\"id\":1,\"tid\":-2,\"text\":\"t\",\"dropped\":0}", "tid: expected an integer >= 0" },
    { try_probe_output, "{\"id\":1,\"tid\":2,\"text\":\"t\",\"dropped\":-1}", "dropped: expected an integer >= 0" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"log_message\":[]") "]}",
      "breakpoints[0].log_message: expected a string" },
    { try_probe_bp_error, "{\"id\":1,\"message\":\"m\",\"count\":0}", "count: expected an integer >= 1" },
    { try_probe_bp_clear, "{\"ids\":[1,\"2\"]}", "ids[1]: expected an integer" },
    { try_probe_bp_clear, "{\"ids\":[-1]}", "ids[0]: expected an integer >= 0" },
    { try_probe_bp_clear, "{\"ids\":[1000000000000000]}", "ids[0]: expected an integer <= 999999999999999" },
    { try_probe_bp_result, "{\"breakpoints\":[{\"id\":1,\"verified\":\"yes\"}]}",
      "breakpoints[0].verified: expected true or false" },
    { try_probe_bp_result, "{\"breakpoints\":[{\"id\":1}]}", "breakpoints[0].verified: missing required field" },
    { try_probe_bp_result, BP_STATE_AT("4198710"),
      "breakpoints[0].locations[0].address: expected a hex address string like \"0x401136\"" },
    { try_probe_bp_result, BP_STATE_AT("\"0x\""),
      "breakpoints[0].locations[0].address: expected a hex address string like \"0x401136\"" },
    { try_probe_bp_result, BP_STATE_AT("\"401136\""),
      "breakpoints[0].locations[0].address: expected a hex address string like \"0x401136\"" },
    { try_probe_bp_result, BP_STATE_AT("\"0x40113g\""),
      "breakpoints[0].locations[0].address: expected a hex address string like \"0x401136\"" },
    { try_probe_bp_result, BP_STATE_AT("\"0x10000000000000000\""),
      "breakpoints[0].locations[0].address: expected a hex address string like \"0x401136\"" },
    { try_probe_bp_result, "{\"breakpoints\":[{\"id\":1,\"verified\":true,\"locations\":[{}]}]}",
      "breakpoints[0].locations[0].address: missing required field" },
    { try_probe_stopped, "{\"tid\":1}", "reason: missing required field" },
    { try_probe_stopped, "{\"reason\":\"pause\",\"tid\":1,\"breakpoint_ids\":\"1\"}",
      "breakpoint_ids: expected an array" },
    { try_probe_stopped, "{\"reason\":\"pause\",\"tid\":1,\"all_threads_stopped\":1}",
      "all_threads_stopped: expected true or false" },
    { try_probe_stopped, "{\"reason\":\"pause\",\"tid\":1,\"threads\":[{\"tid\":1,\"name\":\"a\"},{\"name\":\"b\"}]}",
      "threads[1].tid: missing required field" },
    { try_probe_stack_request, "{}", "tid: missing required field" },
    { try_probe_stack_request, "{\"tid\":1,\"levels\":-1}", "levels: expected an integer >= 0" },
    { try_probe_stack_reply, "{\"frames\":[{\"function\":\"f\"}],\"total_frames\":1}",
      "frames[0].pc: missing required field" },
    { try_probe_stack_reply, "{\"frames\":[]}", "total_frames: missing required field" },
    { try_probe_stack_reply, "{\"frames\":[{\"pc\":\"0x1\",\"module\":[]}],\"total_frames\":1}",
      "frames[0].module: expected a string" },
    { try_probe_continue, "{\"tid\":\"a\"}", "tid: expected an integer" },
    { try_probe_heartbeat, "{}", "time_ms: missing required field" },
    { try_probe_heartbeat, "{\"time_ms\":1e300}", "time_ms: expected an integer <= 999999999999999" },
    { try_probe_frame_request, "{\"frame\":0}", "tid: missing required field" },
    { try_probe_frame_request, "{\"tid\":1}", "frame: missing required field" },
    { try_probe_frame_request, "{\"tid\":1,\"frame\":-1}", "frame: expected an integer >= 0" },
    { try_probe_frame_request, "{\"tid\":0,\"frame\":0}", "tid: expected an integer >= 1" },
    { try_probe_scopes_reply, "{}", "scopes: missing required field" },
    { try_probe_scopes_reply, "{\"scopes\":[{\"name\":\"Locals\",\"ref\":0}]}",
      "scopes[0].ref: expected an integer >= 1" },
    { try_probe_scopes_reply, "{\"scopes\":[{\"ref\":1}]}", "scopes[0].name: missing required field" },
    { try_probe_scopes_reply, "{\"scopes\":[{\"name\":\"Locals\",\"ref\":1,\"expensive\":0}]}",
      "scopes[0].expensive: expected true or false" },
    { try_probe_variables_request, "{}", "ref: missing required field" },
    { try_probe_variables_request, "{\"ref\":\"7\"}", "ref: expected an integer" },
    { try_probe_variables_request, "{\"ref\":7,\"count\":-1}", "count: expected an integer >= 0" },
    { try_probe_variables_request, "{\"ref\":7,\"start\":0.5}", "start: expected an integer" },
    { try_probe_variables_request, "{\"ref\":7,\"filter\":\"all\"}",
      "filter: expected one of \"indexed\", \"named\"" },
    { try_probe_variables_reply, "{\"variables\":{}}", "variables: expected an array" },
    { try_probe_variables_reply, "{\"variables\":[{\"name\":\"x\",\"value\":\"1\"},{\"name\":\"y\"}]}",
      "variables[1].value: missing required field" },
    { try_probe_variables_reply, "{\"variables\":[{\"name\":\"x\",\"value\":\"1\",\"indexed\":-3}]}",
      "variables[0].indexed: expected an integer >= 0" },
    { try_probe_variables_reply, "{\"variables\":[{\"name\":\"x\",\"value\":1}]}",
      "variables[0].value: expected a string" },
    { try_probe_evaluate_request, "{\"tid\":1}", "expression: missing required field" },
    { try_probe_evaluate_request, "{\"expression\":\"x\"}", "tid: missing required field" },
    { try_probe_evaluate_request, "{\"tid\":1,\"expression\":\"x\",\"context\":7}",
      "context: expected a string" },
    { try_probe_set_variable_request, "{\"ref\":1,\"name\":\"x\"}", "value: missing required field" },
    { try_probe_set_variable_request, "{\"ref\":0,\"name\":\"x\",\"value\":\"1\"}",
      "ref: expected an integer >= 1" },
    { try_probe_set_variable_request, "{\"ref\":1,\"name\":[],\"value\":\"1\"}",
      "name: expected a string" },
    { try_probe_value_reply, "{\"type\":\"int\"}", "value: missing required field" },
    { try_probe_value_reply, "{\"value\":\"1\",\"ref\":-1}", "ref: expected an integer >= 0" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"max_frames\":65}") "]}",
      "breakpoints[0].budget.max_frames: must be 1..64" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"max_depth\":-1}") "]}",
      "breakpoints[0].budget.max_depth: must be 0..4" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"max_bytes\":4095}") "]}",
      "breakpoints[0].budget.max_bytes: must be 4096..1048576" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"per_second\":0}") "]}",
      "breakpoints[0].budget.per_second: must be 1..100000" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"bytes_per_second\":1e12}") "]}",
      "breakpoints[0].budget.bytes_per_second: must be 1024..1073741824" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"cpu_percent\":101}") "]}",
      "breakpoints[0].budget.cpu_percent: must be 1..100" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"condition_steps\":8}") "]}",
      "breakpoints[0].budget.condition_steps: must be 16..65536" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"cpu_percent\":\"5\"}") "]}",
      "breakpoints[0].budget.cpu_percent: expected an integer" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":{\"cpu_percent\":5.5}") "]}",
      "breakpoints[0].budget.cpu_percent: expected an integer" },
    { try_probe_bp_set, "{\"breakpoints\":[" BP(",\"line\":1,\"budget\":[]") "]}",
      "breakpoints[0].budget: expected an object" },
    { try_probe_bp_error, "{\"id\":1,\"message\":\"m\",\"count\":1,\"disabled\":1}",
      "disabled: expected true or false" },
    { try_probe_snapshot_dropped, "{\"id\":1}", "dropped: missing required field" },
    { try_probe_snapshot_dropped, "{\"id\":1,\"dropped\":0}", "dropped: expected an integer >= 1" },
    { try_probe_snapshot_dropped, "{\"dropped\":3}", "id: missing required field" },
    { try_probe_reload, RELOAD_WITH(""), "reload_id: missing required field" },
    { try_probe_reload, RELOAD_WITH(",\"reload_id\":0"), "reload_id: expected an integer >= 1" },
    { try_probe_reload, "{\"name\":\"libh.so\",\"sha256\":\"00\",\"reload_id\":1}",
      "library: missing required field" },
    { try_probe_reload, "{\"library\":\"AA==\",\"sha256\":\"00\",\"reload_id\":1}",
      "name: missing required field" },
    { try_probe_reload, "{\"name\":\"libh.so\",\"library\":\"AA==\",\"reload_id\":1}",
      "sha256: missing required field" },
    { try_probe_reload, "{\"name\":\"libh.so\",\"library\":[],\"sha256\":\"00\",\"reload_id\":1}",
      "library: expected a string" },
    { try_probe_reload_result, RELOAD_RESULT_WITH(",\"warnings\":[\"w\",3]"),
      "warnings[1]: expected a string" },
    { try_probe_reload_result, "{\"module\":\"/l.so\",\"generation\":0}",
      "generation: expected an integer >= 1" },
    { try_probe_reload_result, "{\"module\":\"/l.so\",\"generation\":1,\"patched\":[\"f\",null]}",
      "patched[1]: expected a string" },
    { try_probe_reload_result, "{\"module\":\"/l.so\",\"generation\":1,\"patched\":[]}",
      "n_patched: missing required field" },
    { try_probe_reload_rollback, "{\"reload_id\":-1}", "reload_id: expected an integer >= 0" },
    { try_probe_reload_rollback, "{\"name\":7}", "name: expected a string" },
    { try_probe_reload_rollback_result, "{\"module\":\"/l.so\",\"generation\":0,\"restored\":1}",
      "time_us: missing required field" },
    { try_probe_reload_rollback_result,
      "{\"module\":\"/l.so\",\"generation\":-1,\"restored\":1,\"time_us\":1}",
      "generation: expected an integer >= 0" },
};

Test(probe_types, malformed_bodies_name_the_offending_field)
{
    for (size_t i = 0; i < sizeof bad_bodies / sizeof bad_bodies[0]; i++) {
        cJSON *json = cJSON_Parse(bad_bodies[i].json);
        cr_assert_not_null(json, "test input is not JSON: %s", bad_bodies[i].json);
        char err[256] = "";
        cr_expect_eq(bad_bodies[i].decode(json, err, sizeof err), -1, "accepted: %s",
                     bad_bodies[i].json);
        cr_expect_str_eq(err, bad_bodies[i].error, "input: %s", bad_bodies[i].json);
        cJSON_Delete(json);
    }
}
