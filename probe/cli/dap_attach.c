/* Opening a CLI's DAP session (see dap_attach.h): initialize, attach, the wait for "initialized"
 * with the events before it handed on, and the interruption flag. */
#include "dap_attach.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include "json_fields.h"

#define EVENT_POLL_MS 250 /* how soon an interruption is noticed */

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
    interrupted = sig;
}

void cli_catch_interruptions(void)
{
    struct sigaction sa = { .sa_handler = on_interrupt };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

int cli_interrupted(void)
{
    return interrupted;
}

/* Hands events on until `initialized`. Returns 0, or -1 with err. */
static int await_initialized(dap_client *c, dap_event_fn on_event, void *ctx, int timeout_ms, char *err,
                             size_t err_len)
{
    for (int waited = 0; waited < timeout_ms && !interrupted; waited += EVENT_POLL_MS) {
        cJSON *event;
        int got = dap_client_next_event(c, EVENT_POLL_MS, &event, err, err_len);
        if (got < 0)
            return -1;
        if (got == 0)
            continue;
        bool done = json_string_is(event, "event", "initialized");
        if (!done && on_event)
            on_event(ctx, event);
        cJSON_Delete(event);
        if (done)
            return 0;
    }
    if (interrupted)
        snprintf(err, err_len, "interrupted");
    else
        snprintf(err, err_len, "no 'initialized' event from the server within %d s", timeout_ms / 1000);
    return -1;
}

int dap_attach(dap_client *c, const cJSON *selector, bool progress, dap_event_fn on_event, void *ctx,
               int timeout_ms, char *err, size_t err_len)
{
    cJSON *init = cJSON_CreateObject();
    cJSON_AddStringToObject(init, "clientID", "podbug-cli");
    cJSON_AddStringToObject(init, "adapterID", "podbug-cli");
    cJSON_AddBoolToObject(init, "linesStartAt1", true);
    cJSON_AddBoolToObject(init, "columnsStartAt1", true);
    cJSON_AddStringToObject(init, "pathFormat", "path");
    if (progress)
        cJSON_AddBoolToObject(init, "supportsProgressReporting", true);
    if (dap_client_request(c, "initialize", init, timeout_ms, NULL, err, err_len) != 0)
        return -1;
    cJSON *attach = cJSON_CreateObject();
    cJSON_AddItemReferenceToObject(attach, "selector", (cJSON *)selector);
    const char *token = getenv("PODBUG_TOKEN");
    if (token && *token)
        cJSON_AddStringToObject(attach, "token", token);
    if (dap_client_request(c, "attach", attach, timeout_ms, NULL, err, err_len) != 0)
        return -1;
    return await_initialized(c, on_event, ctx, timeout_ms, err, err_len);
}
