/* What `podbug reload` prints: a line per process as it answers ("pod-a/4242  reloaded  patched
 * handle  0.4 ms"), the summary or the one-line reason, crashes in reloaded code; or JSON. */
#ifndef PODBUG_CLI_RELOAD_PRINT_H
#define PODBUG_CLI_RELOAD_PRINT_H

#include <cjson/cJSON.h>
#include <stdbool.h>

typedef struct reload_printer {
    bool json;
    cJSON *printed;   /* process -> the status its last line showed, for the reload under way */
} reload_printer;

void reload_printer_init(reload_printer *p, bool json);
void reload_printer_free(reload_printer *p);

/* A DAP event (the dap_event_fn of the client): progress of the reload under way, crash reports
 * (podbug/reloadCrashed); others are ignored. */
void reload_print_event(void *printer, const cJSON *event);

/* The podbug/reload response: the processes not shown yet (or whose status changed), then the
 * summary on stdout, or "podbug reload: <reason>" on stderr. Returns 0 when it succeeded, else 1. */
int reload_print_response(reload_printer *p, const cJSON *response);

#endif
