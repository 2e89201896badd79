/* `podbug log FILE:LINE MESSAGE`: a logpoint across the selected pods; each line the server
 * reports for it ("<pod>/<pid>: text") is printed on stdout as it arrives. */
#include <stdio.h>
#include <string.h>
#include "breakpoint_watch.h"
#include "commands.h"
#include "json_fields.h"

static const char help[] =
    "usage: podbug log FILE:LINE MESSAGE [--if COND] [--selector k=v,...] [--count N]\n"
    "                  [--server URL] [--dap-port N]\n"
    "\n"
    "Sets a logpoint at FILE:LINE in every process matching the selector (default: all) and prints\n"
    "each line as it arrives, as <pod>/<pid>: text. The process never stops.\n"
    "\n"
    "  MESSAGE          text with C expressions in braces, e.g. 'order {o->id} by {o->user}'\n"
    "                   ({{ and }} for literal braces)\n"
    "  --if COND        log only when the C condition holds, e.g. 'o->amount > 100'\n"
    "  --selector k=v,...  only the pods with these labels (namespace and pod count as labels)\n"
    "  --count N        exit after N lines (default: until Ctrl-C or SIGTERM)\n"
    "  --server URL     the podbug server (default ws://127.0.0.1:4700); its DAP port is used\n"
    "  --dap-port N     the server's DAP port (default 4711)\n"
    "\n"
    "Not armed yet (no matching pod, or the line or message does not compile) is said on stderr;\n"
    "podbug log keeps waiting for a pod where it arms. On exit the logpoint is removed.\n";

/* A logpoint line: an output event carrying our source and line. */
static bool print_log_line(breakpoint_watch *w, const cJSON *event)
{
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(event, "body");
    const char *output = json_string(body, "output", NULL);
    if (!json_string_is(event, "event", "output") || !output ||
        !json_string_is(cJSON_GetObjectItemCaseSensitive(body, "source"), "path", w->opt.file) ||
        json_number(body, "line", 0) != w->opt.line)
        return false;
    size_t len = strlen(output);
    fputs(output, stdout);
    if (len == 0 || output[len - 1] != '\n')
        putchar('\n');
    fflush(stdout);
    return true;
}

static const watch_command log_command = {
    .syntax = { .command = "log", .help = help, .takes_message = true, .takes_json = false },
    .mode = NULL,
    .on_event = print_log_line,
};

int cli_log(const server_url *server, int argc, char **argv)
{
    return breakpoint_watch_run(&log_command, server, argc, argv);
}
