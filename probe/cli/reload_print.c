/* Printing `podbug reload` (see reload_print.h): per-process lines from the outcome the server puts
 * in each progressUpdate (or in the response), summaries, crash reports with their frames. */
#include "reload_print.h"

#include <stdio.h>
#include <string.h>
#include "json_fields.h"

/* Patched names shown on one line before "and N more". */
#define NAMES_SHOWN 8

void reload_printer_init(reload_printer *p, bool json)
{
    p->json = json;
    p->printed = cJSON_CreateObject();
}

void reload_printer_free(reload_printer *p)
{
    cJSON_Delete(p->printed);
    p->printed = NULL;
}

static void print_patched(const cJSON *patched)
{
    int n = cJSON_GetArraySize(patched);
    if (n == 0) {
        fputs("no function changed", stdout);
        return;
    }
    fputs("patched", stdout);
    for (int i = 0; i < n && i < NAMES_SHOWN; i++)
        printf("%s %s", i ? "," : "", cJSON_GetStringValue(cJSON_GetArrayItem(patched, i)));
    if (n > NAMES_SHOWN)
        printf(" and %d more", n - NAMES_SHOWN);
}

/* "pod-a/4242  reloaded  patched handle  0.4 ms", "pod-b/4243  refused  struct request changed
 * layout ...", then a line per warning. */
static void print_outcome(reload_printer *p, const cJSON *o)
{
    const char *process = json_string(o, "process", "?");
    const char *status = json_string(o, "status", "?");
    const char *message = json_string(o, "message", "");
    bool reloaded = strcmp(status, "reloaded") == 0, rolled_back = strcmp(status, "rolled back") == 0;
    printf("%s  %s  ", process, status);
    if (reloaded && !message[0])
        print_patched(cJSON_GetObjectItemCaseSensitive(o, "patched"));
    else if (rolled_back && !message[0])
        printf("generation %d runs now", (int)json_number(o, "generation", 0));
    else
        fputs(strncmp(message, "refused: ", 9) == 0 ? message + 9 : message, stdout);
    if ((reloaded || rolled_back) && !message[0])
        printf("  %.1f ms", json_number(o, "timeMs", 0));
    putchar('\n');
    const cJSON *warning;
    cJSON_ArrayForEach(warning, cJSON_GetObjectItemCaseSensitive(o, "warnings"))
        printf("%s  warning  %s\n", process, cJSON_GetStringValue(warning));
    fflush(stdout);
    cJSON_DeleteItemFromObjectCaseSensitive(p->printed, process);
    cJSON_AddStringToObject(p->printed, process, status);
}

/* A crash in reloaded code: what, where, its frames, and where the reload was rolled back. */
static void print_crash(const cJSON *body)
{
    printf("podbug reload: reload %.0f of %s crashed %s: %s\n", json_number(body, "reloadId", 0),
           json_string(body, "module", "?"), json_string(body, "process", "?"), json_string(body, "description", "?"));
    int i = 0;
    const cJSON *frame;
    cJSON_ArrayForEach(frame, cJSON_GetObjectItemCaseSensitive(body, "frames")) {
        const char *file = json_string(frame, "file", NULL);
        printf("    #%d %s", i++, json_string(frame, "function", json_string(frame, "pc", "?")));
        if (file)
            printf(" (%s:%.0f)\n", file, json_number(frame, "line", 0));
        else
            printf(" (%s)\n", json_string(frame, "module", "?"));
    }
    const cJSON *rolled_back = cJSON_GetObjectItemCaseSensitive(body, "rolledBack");
    printf("podbug reload: rolled back in %s", cJSON_GetArraySize(rolled_back) ? "" : "no other process");
    for (int k = 0; k < cJSON_GetArraySize(rolled_back); k++)
        printf("%s%s", k ? ", " : "", cJSON_GetStringValue(cJSON_GetArrayItem(rolled_back, k)));
    putchar('\n');
    const cJSON *failure;
    cJSON_ArrayForEach(failure, cJSON_GetObjectItemCaseSensitive(body, "notRolledBack"))
        printf("podbug reload: could not roll back %s\n", cJSON_GetStringValue(failure));
    fflush(stdout);
}

static void print_json(const cJSON *json)
{
    char *text = cJSON_PrintUnformatted(json);
    if (text)
        puts(text);
    cJSON_free(text);
    fflush(stdout);
}

void reload_print_event(void *printer, const cJSON *event)
{
    reload_printer *p = printer;
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(event, "body");
    if (json_string_is(event, "event", "podbug/reloadCrashed")) {
        if (p->json)
            print_json(event);
        else
            print_crash(body);
        return;
    }
    if (p->json || !json_string_is(event, "event", "progressUpdate"))
        return;
    const cJSON *outcome = cJSON_GetObjectItemCaseSensitive(body, "outcome");
    if (cJSON_IsObject(outcome)) {
        print_outcome(p, outcome);
    } else {
        printf("%s\n", json_string(body, "message", ""));
        fflush(stdout);
    }
}

int reload_print_response(reload_printer *p, const cJSON *response)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(response, "body");
    bool ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(response, "success"));
    if (p->json && body)
        print_json(body);
    const cJSON *processes = p->json ? NULL : cJSON_GetObjectItemCaseSensitive(body, "processes");
    const cJSON *o;
    cJSON_ArrayForEach(o, processes) {
        const char *shown = json_string(p->printed, json_string(o, "process", "?"), "");
        if (strcmp(shown, json_string(o, "status", "?")) != 0)
            print_outcome(p, o);
    }
    cJSON_Delete(p->printed);
    p->printed = cJSON_CreateObject();
    if (ok) {
        if (!p->json)
            printf("%s\n", json_string(body, "summary", "reloaded"));
        fflush(stdout);
        return 0;
    }
    fprintf(stderr, "podbug reload: %s\n", json_string(response, "message", "the server refused the reload"));
    return 1;
}
