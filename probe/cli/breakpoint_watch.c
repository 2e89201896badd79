/* One watch over DAP (see breakpoint_watch.h): initialize, attach, setBreakpoints, configurationDone,
 * the event loop with arming reports and server messages on stderr, and the clean exit. */
#include "breakpoint_watch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "dap_attach.h"
#include "json_fields.h"

#define EVENT_POLL_MS 250               /* how soon an interruption is noticed */
#define CLEANUP_TIMEOUT_MS 5000

void breakpoint_watch_note(const breakpoint_watch *w, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fprintf(stderr, "podbug %s: ", w->cmd->syntax.command);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}

/* A server message: on stderr, one "podbug: " prefix, one trailing newline. */
static void show_output(const cJSON *body)
{
    const char *text = json_string(body, "output", NULL);
    if (!text || !text[0])
        return;
    size_t len = strlen(text);
    fprintf(stderr, "%s%s%s", strncmp(text, "podbug", 6) == 0 ? "" : "podbug: ", text,
            text[len - 1] == '\n' ? "" : "\n");
}

/* Reports our breakpoint's state ("armed in 2 processes", "not armed yet: why") when it is set and
 * when it changes between armed and not armed. */
static void note_breakpoint(breakpoint_watch *w, const cJSON *bp, bool first)
{
    int64_t id = (int64_t)json_number(bp, "id", -1);
    if (first)
        w->bp_id = id;
    else if (id != w->bp_id)
        return;
    bool verified = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(bp, "verified"));
    if (!verified && (first || w->armed))
        breakpoint_watch_note(w, "not armed %s: %s", first ? "yet" : "any more",
                              json_string(bp, "message", "no reason given"));
    else if (verified && (first || !w->armed))
        breakpoint_watch_note(w, "%s", json_string(bp, "message", "armed"));
    w->armed = verified;
}

/* The shared handling of an event no command claimed. */
static void handle_event(breakpoint_watch *w, const cJSON *event)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(event, "body");
    if (json_string_is(event, "event", "output"))
        show_output(body);
    else if (json_string_is(event, "event", "breakpoint"))
        note_breakpoint(w, cJSON_GetObjectItemCaseSensitive(body, "breakpoint"), false);
}

static void on_early_event(void *ctx, const cJSON *event)
{
    handle_event(ctx, event);
}

/* The setBreakpoints arguments for our one breakpoint, or for none (to remove it). */
static cJSON *set_breakpoints_args(const breakpoint_watch *w, bool remove)
{
    cJSON *args = cJSON_CreateObject();
    cJSON *source = cJSON_AddObjectToObject(args, "source");
    cJSON_AddStringToObject(source, "path", w->opt.file);
    cJSON *list = cJSON_AddArrayToObject(args, "breakpoints");
    if (remove)
        return args;
    cJSON *bp = cJSON_CreateObject();
    cJSON_AddNumberToObject(bp, "line", w->opt.line);
    if (w->opt.condition)
        cJSON_AddStringToObject(bp, "condition", w->opt.condition);
    if (w->cmd->mode)
        cJSON_AddStringToObject(bp, "mode", w->cmd->mode);
    if (w->opt.message)
        cJSON_AddStringToObject(bp, "logMessage", w->opt.message);
    cJSON_AddItemToArray(list, bp);
    return args;
}

/* initialize, attach with the selector, initialized, setBreakpoints, configurationDone. Returns 0,
 * or -1 with err (the server's messages name their request: "attach: ..."). */
static int start_session(breakpoint_watch *w, char *err, size_t err_len)
{
    if (dap_attach(w->dap, w->opt.selector, false, on_early_event, w, WATCH_REQUEST_TIMEOUT_MS, err, err_len) != 0)
        return -1;
    cJSON *set;
    if (dap_client_request(w->dap, "setBreakpoints", set_breakpoints_args(w, false), WATCH_REQUEST_TIMEOUT_MS, &set,
                           err, err_len) != 0)
        return -1;
    const cJSON *bp = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(set, "breakpoints"), 0);
    if (cJSON_IsObject(bp))
        note_breakpoint(w, bp, true);
    cJSON_Delete(set);
    if (!bp) {
        snprintf(err, err_len, "setBreakpoints: the server answered without the breakpoint");
        return -1;
    }
    return dap_client_request(w->dap, "configurationDone", NULL, WATCH_REQUEST_TIMEOUT_MS, NULL, err, err_len);
}

/* Hands events to the command until --count items or an interruption. Returns 0, or -1 with err
 * when the connection is lost. */
static int watch_events(breakpoint_watch *w, char *err, size_t err_len)
{
    for (long printed = 0; !cli_interrupted() && (w->opt.count == 0 || printed < w->opt.count);) {
        cJSON *event;
        int got = dap_client_next_event(w->dap, EVENT_POLL_MS, &event, err, err_len);
        if (got < 0)
            return -1;
        if (got == 0)
            continue;
        if (w->cmd->on_event(w, event))
            printed++;
        else
            handle_event(w, event);
        cJSON_Delete(event);
    }
    return 0;
}

int breakpoint_watch_run(const watch_command *cmd, const server_url *server, int argc, char **argv)
{
    breakpoint_watch w = { .cmd = cmd };
    int parsed = watch_options_parse(&cmd->syntax, argc, argv, &w.opt);
    if (parsed != WATCH_OPTIONS_OK)
        return parsed == WATCH_OPTIONS_HELP ? 0 : 2;
    char err[600];
    w.dap = dap_client_connect(server->host, w.opt.dap_port, err, sizeof err);
    if (!w.dap) {
        breakpoint_watch_note(&w, "%s", err);
        watch_options_free(&w.opt);
        return 1;
    }
    cli_catch_interruptions();
    int rc = 0;
    if (start_session(&w, err, sizeof err) != 0 || watch_events(&w, err, sizeof err) != 0) {
        if (!cli_interrupted()) {
            breakpoint_watch_note(&w, "%s", err);
            rc = 1;
        }
    }
    /* Best effort: closing the connection makes the server remove the breakpoint anyway. */
    if (dap_client_request(w.dap, "setBreakpoints", set_breakpoints_args(&w, true), CLEANUP_TIMEOUT_MS, NULL, err,
                           sizeof err) == 0)
        dap_client_request(w.dap, "disconnect", NULL, CLEANUP_TIMEOUT_MS, NULL, err, sizeof err);
    dap_client_close(w.dap);
    watch_options_free(&w.opt);
    return rc;
}
