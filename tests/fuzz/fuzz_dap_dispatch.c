/* libFuzzer target for the server's DAP request handling (dap_session -> dap_dispatch -> handlers):
 * each input line is one DAP message to a session without a network, beside one stopped fake probe. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "conn.h"
#include "dap_session.h"
#include "inject_attach.h"
#include "launch.h"
#include "log.h"
#include "net.h"
#include "probe_link.h"
#include "reload_run.h"
#include "session_auth.h"

/* The connections here have no socket: the two libwebsockets calls conn.c makes outside the event
 * loop are replaced (the executable's definitions take precedence over the shared library's). */
int lws_callback_on_writable(struct lws *wsi)
{
    (void)wsi;
    return 1;
}

const char *lws_get_peer_simple(struct lws *wsi, char *name, size_t namelen)
{
    (void)wsi;
    snprintf(name, namelen, "fuzz");
    return name;
}

static const char hello_message[] =
    "{\"v\":1,\"type\":\"hello\",\"id\":1,\"body\":{\"pod\":\"checkout-7f9c\",\"namespace\":\"shop\","
    "\"labels\":{\"app\":\"checkout\"},\"pid\":4242,\"hostname\":\"node-3\",\"exe\":\"/usr/bin/checkout\","
    "\"build_id\":\"5f0c6a1e9b\",\"start_time_ms\":1700000000123,\"probe_version\":\"0.1.0\"}}";
static const char stopped_message[] =
    "{\"v\":1,\"type\":\"stopped\",\"body\":{\"reason\":\"breakpoint\",\"tid\":101,\"breakpoint_ids\":[1],"
    "\"all_threads_stopped\":true,\"threads\":[{\"tid\":100,\"name\":\"main\"},{\"tid\":101,\"name\":\"worker-1\"}]}}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level(LOG_ERROR);
    return 0;
}

/* Requests this target must not run: they start programs or ptrace existing processes. */
static bool touches_the_machine(const cJSON *msg)
{
    const cJSON *command = cJSON_GetObjectItemCaseSensitive(msg, "command");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(msg, "arguments");
    if (cJSON_IsString(command) && strcmp(command->valuestring, "launch") == 0)
        return true;
    return cJSON_GetObjectItemCaseSensitive(args, "inject") != NULL;
}

/* Whether the session dispatches msg as a request (one that must be answered). */
static bool is_request(const cJSON *msg)
{
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
    return cJSON_IsString(type) && strcmp(type->valuestring, "request") == 0 &&
           cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(msg, "seq"));
}

/* Counts the responses queued on c (each must be a JSON object) and empties its queue. */
static size_t drain_responses(conn *c)
{
    size_t responses = 0;
    unsigned char *payload;
    size_t len;
    while (out_queue_peek(&c->out, &payload, &len)) {
        cJSON *msg = cJSON_ParseWithLength((const char *)payload, len);
        if (!cJSON_IsObject(msg))
            abort();
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(msg, "type");
        if (cJSON_IsString(type) && strcmp(type->valuestring, "response") == 0)
            responses++;
        cJSON_Delete(msg);
        out_queue_pop(&c->out);
    }
    return responses;
}

/* Every timer of the server, far in the future: requests to the probe time out (and are answered). */
static void run_timers_until(int64_t now_ms)
{
    probe_link_tick(now_ms);
    dap_sessions_tick(now_ms);
    reload_runs_tick(now_ms);
    inject_attach_tick(now_ms);
    launch_tick(now_ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    conn *probe = conn_create(NULL, CONN_PROBE);
    conn *ide = conn_create(NULL, CONN_DAP_WS);
    if (!probe || !ide)
        abort();
    probe_link_on_open(probe);
    probe_link_on_message(probe, hello_message, sizeof hello_message - 1);
    probe_link_on_message(probe, stopped_message, sizeof stopped_message - 1);
    dap_session_on_open(ide);
    session_auth_on_open(ide->owner, NULL); /* no token file: every role but secrets */

    size_t requests = 0;
    const char *text = (const char *)data, *end = text + size;
    while (text < end && !ide->closing) {
        const char *newline = memchr(text, '\n', (size_t)(end - text));
        size_t len = (size_t)((newline ? newline : end) - text);
        cJSON *msg = cJSON_ParseWithLength(text, len);
        bool skip = msg && touches_the_machine(msg);
        if (!skip) {
            if (cJSON_IsObject(msg) && is_request(msg))
                requests++;
            dap_session_on_message(ide, text, len);
        }
        cJSON_Delete(msg);
        text += len + 1;
    }
    run_timers_until(net_now_ms() + 3600 * 1000);
    size_t responses = drain_responses(ide);
    /* A request is answered exactly once, unless the session was closed for a malformed message. */
    if (!ide->closing && responses != requests) {
        fprintf(stderr, "%zu requests got %zu responses\n", requests, responses);
        abort();
    }

    dap_session_on_close(ide);
    probe_link_on_close(probe);
    run_timers_until(net_now_ms() + 7200 * 1000);
    conn_destroy(ide);
    conn_destroy(probe);
    return 0;
}
